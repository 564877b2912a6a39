"""``read_scans``: entry scans, checked, with repeat scans merged and counted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import now_utc
from tracelab.io.checks import Loaded, check_profile, open_raw
from tracelab.io.files import ColumnMap
from tracelab.io.parse import (
    blank,
    parse_colours,
    parse_floats,
    parse_methods,
    parse_times,
    time_hint,
)
from tracelab.model import coords, regions
from tracelab.model import schema as s
from tracelab.model.regions import Region

__all__ = ["read_scans", "merge_repeat_scans"]

REQUIRED = (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, s.CODE_COLOUR)
#: What tracing needs, for the ``research`` profile: the colour is optional there.
REQUIRED_RESEARCH = (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT)
#: Venue attributes a research log may carry on each scan row.
_VENUE_ATTRIBUTES = (s.NAME, s.VENUE_TYPE, s.LON, s.LAT)
_TIME_FORMS = "2022-11-18 08:05:03, 2022/11/18 08:05:03, 2022年11月18日 08:05 or epoch ms"
#: Most scans one row may stand for. A person scanning every two minutes around the clock
#: for a fortnight makes about 10,000 repeats; far beyond that is a broken count, and
#: summing it would overflow the read count.
MAX_MERGED_SCANS = 100_000
# Index 0 is "no colour" (research logs): any colour seen outranks it.
_BY_SEVERITY = (None, s.GREEN, s.YELLOW, s.RED)
_SEVERITY = {colour: rank for rank, colour in enumerate(_BY_SEVERITY) if colour is not None}


def read_scans(
    path: str | Path,
    venues: pd.DataFrame | None,
    *,
    rejected_venues: pd.DataFrame | None = None,
    merge_within: str | pd.Timedelta = "2min",
    device_crs: str = "WGS-84",
    now: pd.Timestamp | str | None = None,
    encoding: str | None = None,
    zone: str | None = None,
    region: Region | str | None = None,
    profile: str = "strict",
    columns: ColumnMap | None = None,
) -> Loaded:
    """Read and check entry scans.

    A scan is rejected for an unknown venue, an unparseable, out-of-range (outside
    1678-2261) or future time, a colour other than green/yellow/red (绿/黄/红), a method
    other than self/proxy (本人/代登记), an exit before its entry, or a ``merged_scans``
    that is not a whole number from 1 to :data:`MAX_MERGED_SCANS`. Repeat scans of the
    same venue by the same person within ``merge_within`` of the previous one are merged
    into the first: the kept row's ``merged_scans`` counts them, its colour is the most
    severe seen and its exit the latest.
    Files written by tracelab (:mod:`tracelab.io.layout`) carry ``merged_scans`` already;
    those counts are kept, and ``read`` counts the scans the rows stand for.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8/GBK/GB18030), XLSX or Parquet, English or Chinese headers.
    venues : DataFrame or None
        Accepted venues (``read_venues``); ``None`` skips the unknown-venue check.
    rejected_venues : DataFrame, optional
        ``Loaded.set_aside`` of the venue registry (``venue_id``, ``row``, ``reason``): a
        scan of one of them is rejected as ``venue_rejected``, naming the registry row,
        not as an unknown venue.
    merge_within : str or Timedelta
        Repeat-scan window.
    device_crs : str
        Frame of the device positions (``wx.getLocation`` defaults to WGS-84).
    now : Timestamp or str, optional
        Reference time for "in the future" (default: the current time).
    encoding : str, optional
        Override CSV encoding detection.
    zone : str, optional
        Zone of times that carry none; default the region's, else Asia/Shanghai.
    region : Region or str, optional
        The region the log belongs to (its zone).
    profile : {"strict", "research"}
        ``research`` asks only person, venue and time: a missing colour is empty, not an
        error, and venue attributes on the scan rows (name, type, lon, lat) are kept in
        ``Loaded.derived`` for a log without a registry.
    columns : mapping, optional
        Column mapping for other headers (:func:`tracelab.io.files.map_columns`).

    Returns
    -------
    Loaded
        ``accepted`` with ``schema.SCAN_COLUMNS`` sorted by person and time; ``set_aside``
        has the ``person_id``, ``venue_id``, ``row`` and ``reason`` of each rejected scan
        whose person id could be read (raw: pseudonymise it with the scans).

    Notes
    -----
    Without a method column every scan is taken as ``self``; without device positions the
    geofence checks of later steps have nothing to test.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scans.csv"
    >>> _ = p.write_text("人员编号,场所编码,扫码时间,健康码颜色,登记方式\\n"
    ...     "P1,V1,2022/11/18 08:05:03,绿,本人\\nP1,V1,2022/11/18 08:06:00,绿,本人\\n"
    ...     "P2,V9,2022/11/18 08:07:00,绿,本人\\n")
    >>> venues = pd.DataFrame({"venue_id": ["V1"]})
    >>> loaded = read_scans(p, venues, now="2022-12-01T00:00Z")
    >>> loaded.accepted[["person_id", "merged_scans"]].values.tolist()
    [['P1', 2]]
    >>> loaded.rejected[["row", "reason"]].values.tolist()
    [[3, 'unknown_venue']]
    >>> loaded.read == loaded.accepted_count + loaded.rejected_count
    True
    """
    zone = zone or (regions.region(region).zone if region is not None else s.DEFAULT_ZONE)
    research = check_profile(profile) == "research"
    chk, done = open_raw(path, encoding, "scan", REQUIRED_RESEARCH if research else REQUIRED,
                         columns=columns)
    if done is not None:
        return replace(done, accepted=_empty())
    f = chk.frame
    chk.limit_lengths((s.PERSON_ID, s.VENUE_ID), limit=64)
    chk.reject_scientific((s.PERSON_ID, s.VENUE_ID))
    person = f[s.PERSON_ID].astype(str).str.strip()
    venue = f[s.VENUE_ID].astype(str).str.strip()

    if venues is not None:
        known = venue.isin(venues[s.VENUE_ID]).to_numpy()
        if rejected_venues is not None and len(rejected_venues):
            why = (rejected_venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)
                   .apply(lambda r: f"row {r[s.ROW]}: {r[s.REASON]}", axis=1))
            found = venue.map(why)
            chk.reject(~known & found.notna().to_numpy(), s.VENUE_ID, "venue_rejected",
                       "venue_id " + venue.map(repr) + " is in the venue registry, but its row "
                       "there was rejected (" + found.fillna("").astype(str) + "); fix that "
                       "row to keep this scan")
        chk.reject(~known, s.VENUE_ID, "unknown_venue",
                   "venue_id {value} is not in the venue registry")
    scanned = parse_times(f[s.SCANNED_AT], zone)
    chk.reject_far_times(s.SCANNED_AT, scanned)
    chk.reject(scanned.isna().to_numpy(), s.SCANNED_AT, "bad_time",
               lambda v: f"scanned_at {v!r} is not a time{time_hint(v)} (use {_TIME_FORMS})")
    now_at = now_utc(now)
    chk.reject((scanned > now_at).to_numpy(), s.SCANNED_AT, "future_time",
               f"scanned_at {{value}} is after the load time {now_at:%Y-%m-%d %H:%M} UTC")
    if s.CODE_COLOUR in f.columns:
        colour = parse_colours(f[s.CODE_COLOUR])
        unknown = colour.isna().to_numpy()
        if research:  # a blank colour is no colour, not a bad one
            unknown = unknown & ~blank(f[s.CODE_COLOUR])
        chk.reject(unknown, s.CODE_COLOUR, "bad_colour",
                   "code_color {value} is not green, yellow or red (绿/黄/红)")
    else:
        colour = pd.Series(None, index=f.index, dtype=object)
    method = pd.Series(s.SELF, index=f.index, dtype=object)
    if s.METHOD in f.columns:
        empty = blank(f[s.METHOD])
        method = parse_methods(f[s.METHOD]).where(~pd.Series(empty, index=f.index), s.SELF)
        chk.reject(method.isna().to_numpy(), s.METHOD, "bad_method",
                   "method {value} is not self or proxy (本人/代登记)")
    exit_at = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]")
    if s.EXIT_AT in f.columns:
        empty = blank(f[s.EXIT_AT])
        exit_at = parse_times(f[s.EXIT_AT], zone)
        chk.reject_far_times(s.EXIT_AT, exit_at)
        chk.reject(exit_at.isna().to_numpy() & ~empty, s.EXIT_AT, "bad_time",
                   lambda v: f"exit_at {v!r} is not a time{time_hint(v)} (use {_TIME_FORMS})")
        chk.reject((exit_at < scanned).to_numpy(), s.EXIT_AT, "exit_before_entry",
                   "exit_at {value} is before scanned_at")
        chk.reject((exit_at > now_at).to_numpy(), s.EXIT_AT, "future_time",
                   f"exit_at {{value}} is after the load time {now_at:%Y-%m-%d %H:%M} UTC")
    dev_lon = dev_lat = pd.Series(np.nan, index=f.index)
    if s.DEVICE_LON in f.columns and s.DEVICE_LAT in f.columns:
        dev_lon, dev_lat = parse_floats(f[s.DEVICE_LON]), parse_floats(f[s.DEVICE_LAT])
        given = ~(blank(f[s.DEVICE_LON]) & blank(f[s.DEVICE_LAT]))
        bad = given & (dev_lon.isna() | dev_lat.isna() | (dev_lon.abs() > 180)
                       | (dev_lat.abs() > 90)).to_numpy()
        chk.reject(bad, s.DEVICE_LON, "bad_coordinate",
                   "device position (lon, lat) {value} is not a pair of finite degrees",
                   values=f[s.DEVICE_LON].astype(str) + ", " + f[s.DEVICE_LAT].astype(str))
        lon, lat = coords.to_wgs84(dev_lon.fillna(0).to_numpy(), dev_lat.fillna(0).to_numpy(),
                                   device_crs)
        dev_lon = pd.Series(np.where(dev_lon.isna(), np.nan, lon), index=f.index)
        dev_lat = pd.Series(np.where(dev_lat.isna(), np.nan, lat), index=f.index)

    merged_in = np.ones(len(f), dtype=np.int64)
    if s.MERGED_SCANS in f.columns:
        # Scans written by tracelab (the Parquet layout) were merged already: keep counts.
        count = parse_floats(f[s.MERGED_SCANS])
        whole = (count >= 1) & (count == np.floor(count))
        chk.reject(~whole.to_numpy(), s.MERGED_SCANS, "bad_count",
                   "merged_scans {value} is not a whole number of at least 1")
        huge = (count > MAX_MERGED_SCANS).to_numpy()
        chk.reject(huge, s.MERGED_SCANS, "count_too_large",
                   f"merged_scans {{value}} is more than {MAX_MERGED_SCANS:,} scans, more "
                   "than one row can stand for")
        merged_in = count.where(whole & ~huge, 1).to_numpy(np.int64)
    keep = chk.good
    accepted = pd.DataFrame({
        s.PERSON_ID: person[keep], s.VENUE_ID: venue[keep], s.SCANNED_AT: scanned[keep],
        s.CODE_COLOUR: colour[keep], s.METHOD: method[keep], s.EXIT_AT: exit_at[keep],
        s.DEVICE_LON: dev_lon[keep].astype("float64"), s.DEVICE_LAT: dev_lat[keep].astype("float64"),
        s.MERGED_SCANS: merged_in[keep],
    })
    merged = merge_repeat_scans(accepted, within=merge_within)
    loaded = chk.finish(merged)
    # A row of tracelab's own output standing for n merged scans is read as n scans.
    derived = None
    if research and any(c in f.columns for c in _VENUE_ATTRIBUTES):
        attrs = f.loc[keep, [c for c in _VENUE_ATTRIBUTES if c in f.columns]]
        derived = attrs.assign(**{s.VENUE_ID: venue[keep]}).drop_duplicates(s.VENUE_ID)
    return replace(loaded, read=loaded.read + int((merged_in[keep] - 1).sum()),
                   set_aside=chk.rejected_keys({s.PERSON_ID: person, s.VENUE_ID: venue}), derived=derived)


def merge_repeat_scans(scans: pd.DataFrame, within: str | pd.Timedelta = "2min") -> pd.DataFrame:
    """Merge repeat scans of one venue by one person less than ``within`` apart.

    A scan merges into the previous scan of the same person and venue when it follows it
    by at most ``within``; chains merge into their first scan. The kept row sums
    ``merged_scans``, takes the most severe colour and the latest exit.

    Parameters
    ----------
    scans : DataFrame
        Scans with ``schema.SCAN_COLUMNS``.
    within : str or Timedelta
        Repeat window; ``"0s"`` merges only identical instants.

    Returns
    -------
    DataFrame
        A new frame sorted by person, time and venue, index reset.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-18 00:00", "2022-11-18 00:01", "2022-11-18 00:05"], utc=True)
    >>> scans = pd.DataFrame({"person_id": "P1", "venue_id": "V1", "scanned_at": t,
    ...     "code_color": ["green", "red", "green"], "method": "self", "exit_at": pd.NaT,
    ...     "device_lon": float("nan"), "device_lat": float("nan"), "merged_scans": 1})
    >>> merge_repeat_scans(scans)[["code_color", "merged_scans"]].values.tolist()
    [['red', 2], ['green', 1]]
    """
    window = pd.Timedelta(within)
    if window < pd.Timedelta(0):
        raise ValueError(msg("within: {within!r} is negative; give a duration such as '2min'",
                             within=within))
    person = pd.factorize(scans[s.PERSON_ID], sort=True)[0]
    venue = pd.factorize(scans[s.VENUE_ID], sort=True)[0]
    when = scans[s.SCANNED_AT].to_numpy("datetime64[ns]").view("int64")
    # Integer sort keys: lexsort on codes is an order of magnitude faster than sorting
    # millions of strings, and factorize(sort=True) keeps the order of the ids.
    idx = np.lexsort((when, venue, person))
    p, v, w = person[idx], venue[idx], when[idx]
    same = np.zeros(len(idx), dtype=bool)
    same[1:] = (p[1:] == p[:-1]) & (v[1:] == v[:-1]) & (w[1:] - w[:-1] <= window.value)
    if same.any():
        starts = np.flatnonzero(~same)
        order = scans.iloc[idx[starts]]
        severity = scans[s.CODE_COLOUR].map(_SEVERITY).fillna(0).to_numpy(np.int64)[idx]
        # NaT is the smallest int64, so the maximum is the latest exit, or NaT if none.
        exits = scans[s.EXIT_AT].to_numpy("datetime64[ns]").view("int64")[idx]
        latest = np.maximum.reduceat(exits, starts).view("datetime64[ns]")
        order = order.assign(**{
            s.MERGED_SCANS: np.add.reduceat(scans[s.MERGED_SCANS].to_numpy()[idx], starts),
            s.CODE_COLOUR: np.asarray(_BY_SEVERITY, dtype=object)[
                np.maximum.reduceat(severity, starts)],
            s.EXIT_AT: pd.Series(latest, index=order.index).dt.tz_localize("UTC"),
        })
        p, w, v = p[starts], w[starts], v[starts]
    else:
        order = scans.iloc[idx]
    final = np.lexsort((v, w, p))
    return order.iloc[final].loc[:, list(s.SCAN_COLUMNS)].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in s.SCAN_COLUMNS})
    return frame.astype({s.SCANNED_AT: "datetime64[ns, UTC]", s.EXIT_AT: "datetime64[ns, UTC]",
                         s.DEVICE_LON: "float64", s.DEVICE_LAT: "float64",
                         s.MERGED_SCANS: "int64"})
