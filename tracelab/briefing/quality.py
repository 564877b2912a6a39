"""Data-quality counts of a briefing: rejections, proxy share, remote and merged scans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab.model import coords
from tracelab.model import schema as s

if TYPE_CHECKING:
    import duckdb

__all__ = ["quality_counts", "database_quality_counts", "rejections_by_reason", "GEOFENCE_M"]

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
        pos = _positions(venues)
        placed = scans[[s.VENUE_ID, s.DEVICE_LON, s.DEVICE_LAT]].dropna()
        lon = placed[s.VENUE_ID].map(pos[s.LON]).to_numpy(float)
        lat = placed[s.VENUE_ID].map(pos[s.LAT]).to_numpy(float)
        with_position, remote = _remote(placed[s.DEVICE_LON].to_numpy(float),
                                        placed[s.DEVICE_LAT].to_numpy(float), lon, lat,
                                        geofence_m)
    return _counts(n, proxy, merged, with_position, remote, geofence_m, _files(loads))


def _positions(venues: pd.DataFrame) -> pd.DataFrame:
    return venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)[[s.LON, s.LAT]]


def _remote(device_lon: np.ndarray, device_lat: np.ndarray, lon: np.ndarray, lat: np.ndarray,
            geofence_m: float) -> tuple[int, int]:
    """Scans whose venue has a position, and those of them beyond the geofence."""
    ok = ~(np.isnan(lon) | np.isnan(lat))
    dist = coords.distance_m(device_lon[ok], device_lat[ok], lon[ok], lat[ok])
    return int(ok.sum()), int((np.asarray(dist) > geofence_m).sum())


def _files(loads: Mapping[str, Any] | None, accepted: Mapping[str, int] | None = None
           ) -> list[dict[str, Any]]:
    """Per loaded file: rows read, accepted (`accepted` overriding) and rejected."""
    return [{"file": loaded.source or name, "read": int(loaded.read),
             "accepted": int((accepted or {}).get(name, loaded.accepted_count)),
             "rejected": int(loaded.rejected_count)} for name, loaded in (loads or {}).items()]


def _counts(n: int, proxy: int, merged: int, with_position: int, remote: int,
            geofence_m: float, files: list[dict[str, Any]]) -> dict[str, Any]:
    return {"scans": n, "proxy": proxy, "proxy_share": proxy / n if n else 0.0,
            "with_position": with_position, "remote": remote, "geofence_m": geofence_m,
            "merged": merged, "files": files}


#: Scans per batch when a database streams the phone positions: a few megabytes a batch
#: (the distance's temporaries included) instead of every scan's coordinates at once.
_BATCH = 1 << 17


def database_quality_counts(con: duckdb.DuckDBPyConnection, venues: pd.DataFrame,
                            loads: Mapping[str, Any] | None = None, *,
                            geofence_m: float = GEOFENCE_M) -> dict[str, Any]:
    """:func:`quality_counts` of the ``scans`` table of a database, never loaded whole.

    Counts are aggregate SQL; the phone-to-venue distances are computed as
    :func:`quality_counts` computes them, on batches of positions streamed from the
    database, so both give the same figures for the same scans.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection whose ``scans`` table has ``schema.SCAN_COLUMNS`` (a county store's).
    venues : pandas.DataFrame
        ``VENUE_ID, LON, LAT`` (WGS-84).
    loads : mapping, optional
        As for :func:`quality_counts`; the scans' accepted rows are counted in the table
        (merged repeat scans included), whatever its ``Loaded`` frame holds.
    geofence_m : float, default 500

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> scans = pd.DataFrame({"venue_id": ["V1", "V1", "V1"],
    ...     "method": ["self", "proxy", "self"], "merged_scans": [1, 3, 1],
    ...     "device_lon": [114.0301, 114.23, None], "device_lat": [27.6301, 27.63, None]})
    >>> _ = con.execute("CREATE TABLE scans AS SELECT * FROM scans")
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "lon": [114.03], "lat": [27.63]})
    >>> q = database_quality_counts(con, venues)
    >>> q == quality_counts(scans, venues)
    True
    """
    n, proxy, merged, accepted = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {s.METHOD} = ?), "
        f"coalesce(sum(greatest({s.MERGED_SCANS} - 1, 0)), 0), "
        f"coalesce(sum({s.MERGED_SCANS}), 0) FROM scans", [s.PROXY]).fetchall()[0]
    pos = _positions(venues).reset_index()
    con.register("_tl_venue_positions", pos)
    try:
        reader = con.sql(
            f"SELECT s.{s.DEVICE_LON}, s.{s.DEVICE_LAT}, p.{s.LON}, p.{s.LAT} FROM scans s "
            f"JOIN _tl_venue_positions p ON s.{s.VENUE_ID} = p.{s.VENUE_ID} "
            f"WHERE s.{s.DEVICE_LON} IS NOT NULL AND s.{s.DEVICE_LAT} IS NOT NULL "
            f"AND NOT isnan(s.{s.DEVICE_LON}) AND NOT isnan(s.{s.DEVICE_LAT})"
        ).to_arrow_reader(_BATCH)
        with_position = remote = 0
        for batch in reader:
            dlon, dlat, lon, lat = (batch.column(i).to_numpy(zero_copy_only=False)
                                    .astype(float) for i in range(4))
            placed, far = _remote(dlon, dlat, lon, lat, geofence_m)
            with_position, remote = with_position + placed, remote + far
    finally:
        con.unregister("_tl_venue_positions")
    scans_accepted = {"scans": int(accepted)} if loads and "scans" in loads else None
    return _counts(int(n), int(proxy), int(merged), with_position, remote, geofence_m,
                   _files(loads, scans_accepted))
