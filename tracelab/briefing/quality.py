"""Data-quality counts of a briefing: rejections, proxy share, remote and merged scans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tracelab.model import coords
from tracelab.model import schema as s

__all__ = ["quality_counts", "rejections_by_reason", "GEOFENCE_M"]

#: Phone-to-venue distance beyond which a scan counts as remote (DOMAIN §11.5
#: ``scan_geofence_m``; the same default as ``tracelab.governance.compliance.GEOFENCE_M``).
GEOFENCE_M = 500.0


def rejections_by_reason(rejections: pd.DataFrame) -> pd.DataFrame:
    """Count rejected rows per source file and reason.

    Examples
    --------
    >>> rej = pd.DataFrame({"source": ["scans.csv", "scans.csv", "venues.csv"],
    ...     "reason": ["unknown_venue", "unknown_venue", "bad_phone"]})
    >>> rejections_by_reason(rej)
           source         reason  count
    0   scans.csv  unknown_venue      2
    1  venues.csv      bad_phone      1
    """
    if rejections.empty:
        return pd.DataFrame({s.SOURCE: pd.Series([], dtype=object),
                             s.REASON: pd.Series([], dtype=object),
                             "count": pd.Series([], dtype="int64")})
    counts = rejections.groupby([s.SOURCE, s.REASON], sort=True).size().rename("count")
    return counts.reset_index().astype({"count": "int64"})


def quality_counts(scans: pd.DataFrame, venues: pd.DataFrame,
                   loads: Mapping[str, Any] | None = None, *,
                   geofence_m: float = GEOFENCE_M) -> dict[str, Any]:
    """Aggregate quality figures of loaded scans: no person appears, only counts.

    Parameters
    ----------
    scans : pandas.DataFrame
        Accepted scans (``METHOD``, optional ``MERGED_SCANS``, ``DEVICE_LON/LAT``).
    venues : pandas.DataFrame
        ``VENUE_ID, LON, LAT`` (WGS-84).
    loads : mapping, optional
        ``tracelab.io.DataDir.loads``: per-file rows read, accepted and rejected.
    geofence_m : float, default 500
        A scan whose phone lies farther than this from the venue is remote.

    Returns
    -------
    dict
        ``scans`` (rows), ``proxy`` and ``proxy_share`` (of rows), ``with_position``,
        ``remote`` (phone beyond `geofence_m`), ``merged`` (repeat scans merged into a
        kept row) and ``files`` (list of ``{file, read, accepted, rejected}``).

    Examples
    --------
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "lon": [114.03], "lat": [27.63]})
    >>> scans = pd.DataFrame({"venue_id": ["V1", "V1", "V1"],
    ...     "method": ["self", "proxy", "self"], "merged_scans": [1, 3, 1],
    ...     "device_lon": [114.0301, 114.23, None], "device_lat": [27.6301, 27.63, None]})
    >>> q = quality_counts(scans, venues)
    >>> q["proxy"], q["remote"], q["with_position"], q["merged"]
    (1, 1, 2, 2)
    """
    n = len(scans)
    proxy = int((scans[s.METHOD] == s.PROXY).sum()) if s.METHOD in scans else 0
    merged = (int((scans[s.MERGED_SCANS] - 1).clip(lower=0).sum())
              if s.MERGED_SCANS in scans else 0)
    remote = with_position = 0
    if s.DEVICE_LON in scans and s.DEVICE_LAT in scans:
        pos = venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)[[s.LON, s.LAT]]
        placed = scans[[s.VENUE_ID, s.DEVICE_LON, s.DEVICE_LAT]].dropna()
        lon = placed[s.VENUE_ID].map(pos[s.LON]).to_numpy(float)
        lat = placed[s.VENUE_ID].map(pos[s.LAT]).to_numpy(float)
        ok = ~(np.isnan(lon) | np.isnan(lat))
        with_position = int(ok.sum())
        dist = coords.distance_m(placed[s.DEVICE_LON].to_numpy(float)[ok],
                                 placed[s.DEVICE_LAT].to_numpy(float)[ok], lon[ok], lat[ok])
        remote = int((np.asarray(dist) > geofence_m).sum())
    files = []
    for name, loaded in (loads or {}).items():
        files.append({"file": loaded.source or name, "read": int(loaded.read),
                      "accepted": int(loaded.accepted_count),
                      "rejected": int(loaded.rejected_count)})
    return {"scans": n, "proxy": proxy, "proxy_share": proxy / n if n else 0.0,
            "with_position": with_position, "remote": remote, "geofence_m": geofence_m,
            "merged": merged, "files": files}
