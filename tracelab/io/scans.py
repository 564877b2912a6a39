"""``read_scans``: entry scans, checked, with repeat scans merged and counted."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab._i18n import msg
from tracelab._time import now_utc
from tracelab.io.checks import Loaded, RowChecker, check_profile, open_raw
from tracelab.io.files import ColumnMap
from tracelab.io.parse import (
    COLOUR_WORDS,
    METHOD_WORDS,
    Coded,
    blank,
    decode,
    lookup_codes,
    parse_floats,
    parse_times,
    sorted_codes,
    time_hint,
)
from tracelab.model import coords, regions
from tracelab.model import schema as s
from tracelab.model.regions import Region
from tracelab.privacy.pseudonym_columns import remember_codes
from tracelab.privacy.pseudonyms import arrow_strings, utf8_bytes

__all__ = ["read_scans", "merge_repeat_scans", "Progress"]

#: ``progress(stage, fields)``: told each stage of a long load (see :func:`read_scans`).
Progress = Callable[[str, Mapping[str, Any]], None]

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
#: Columns of few distinct values among a log's millions of rows, checked once per value.
_CODED = (s.PERSON_ID, s.VENUE_ID, s.CODE_COLOUR, s.METHOD)
#: Methods in the order of their codes (:func:`tracelab.io.parse.lookup_codes`).
_METHODS = tuple(METHOD_WORDS)


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
    progress: Progress | None = None,
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
    progress : callable, optional
        ``progress(stage, fields)``, told ``read`` (``table``, ``source``, ``read``: data
        rows of the file) once the file is read, and ``merging`` (``table``, ``accepted``,
        ``rejected``: rows so far) once the rows are checked, before repeat scans merge.

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
                         columns=columns, coded=_CODED)
    if done is not None:
        return replace(done, accepted=_empty())
    raw = chk.raw
    rows_read = len(raw.frame) + len(raw.broken_rows) + len(raw.lost_rows)
    if progress is not None:
        progress("read", {"table": "scans", "source": raw.source, "read": rows_read})
    f = chk.frame
    chk.limit_lengths((s.PERSON_ID, s.VENUE_ID), limit=64)
    chk.reject_scientific((s.PERSON_ID, s.VENUE_ID))
    person, venue = _stripped(chk, s.PERSON_ID), _stripped(chk, s.VENUE_ID)

    if venues is not None:
        registry = venues[s.VENUE_ID]
        known = _cells(venue, lambda v: _isin(v, registry))
        if rejected_venues is not None and len(rejected_venues):
            why = (rejected_venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)
                   .apply(lambda r: f"row {r[s.ROW]}: {r[s.REASON]}", axis=1))
            found = _cells(venue, lambda v: v.map(why).notna().to_numpy())
            told = _cells(venue, lambda v: (
                "venue_id " + v.map(repr) + " is in the venue registry, but its row there "
                "was rejected (" + v.map(why).fillna("").astype(str) + "); fix that row to "
                "keep this scan").to_numpy(dtype=object))
            chk.reject(~known & found, s.VENUE_ID, "venue_rejected",
                       pd.Series(told, index=f.index, dtype=object))
        chk.reject(~known, s.VENUE_ID, "unknown_venue",
                   "venue_id {value} is not in the venue registry")
    scanned = parse_times(f[s.SCANNED_AT], zone)
    chk.reject_far_times(s.SCANNED_AT, scanned)
    chk.reject(scanned.isna().to_numpy(), s.SCANNED_AT, "bad_time",
               lambda v: f"scanned_at {v!r} is not a time{time_hint(v)} (use {_TIME_FORMS})")
    now_at = now_utc(now)
    chk.reject((scanned > now_at).to_numpy(), s.SCANNED_AT, "future_time",
               f"scanned_at {{value}} is after the load time {now_at:%Y-%m-%d %H:%M} UTC")
    # Colours and methods stay small codes (parse_colours, parse_methods) until the
    # accepted rows are final: millions of Python objects are slow to filter and reorder.
    colour = np.full(len(f), -1, dtype=np.int8)
    if s.CODE_COLOUR in f.columns:
        colour = _words(chk, s.CODE_COLOUR, COLOUR_WORDS)
        unknown = colour < 0
        if research:  # a blank colour is no colour, not a bad one
            unknown = unknown & ~chk.per_cell(s.CODE_COLOUR, blank)
        chk.reject(unknown, s.CODE_COLOUR, "bad_colour",
                   "code_color {value} is not green, yellow or red (绿/黄/红)")
    method = np.full(len(f), _METHODS.index(s.SELF), dtype=np.int8)
    if s.METHOD in f.columns:
        empty = chk.per_cell(s.METHOD, blank)
        method = np.where(empty, method, _words(chk, s.METHOD, METHOD_WORDS))
        chk.reject(method < 0, s.METHOD, "bad_method",
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
        # The pair is shown only for the rows rejected: writing millions of floats as
        # text would cost more than the rest of the checks.
        shown = pd.Series("", index=f.index, dtype=object)
        if bad.any():
            shown[bad] = (f[s.DEVICE_LON][bad].astype(str) + ", "
                          + f[s.DEVICE_LAT][bad].astype(str)).to_numpy(dtype=object)
        chk.reject(bad, s.DEVICE_LON, "bad_coordinate",
                   "device position (lon, lat) {value} is not a pair of finite degrees",
                   values=shown)
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
    rows = np.flatnonzero(keep)
    if progress is not None:
        progress("merging", {"table": "scans", "accepted": len(rows),
                             "rejected": rows_read - len(rows)})
    merged = _merge_read(rows, person, venue, scanned, colour, method, exit_at,
                         dev_lon.to_numpy(np.float64), dev_lat.to_numpy(np.float64),
                         merged_in, merge_within)
    loaded = chk.finish(merged)
    # A row of tracelab's own output standing for n merged scans is read as n scans.
    derived = None
    if research and any(c in f.columns for c in _VENUE_ATTRIBUTES):
        attrs = f.loc[keep, [c for c in _VENUE_ATTRIBUTES if c in f.columns]]
        venue_column = venue.column(f.index) if isinstance(venue, Coded) else venue
        derived = attrs.assign(**{s.VENUE_ID: venue_column[keep]}).drop_duplicates(s.VENUE_ID)
    return replace(loaded, read=loaded.read + int((merged_in[keep] - 1).sum()),
                   set_aside=chk.rejected_keys({s.PERSON_ID: person, s.VENUE_ID: venue}), derived=derived)


def _stripped(chk: RowChecker, column: str) -> Coded | pd.Series:
    """``frame[column]`` as text without surrounding blanks: codes when the checker has them."""
    coded = chk.coded(column)
    if coded is not None:
        stripped = coded.map(lambda v: v.astype(str).str.strip())
        before, after = arrow_strings(coded.values), arrow_strings(stripped.values)
        if before is not None and after is not None and pc.all(pc.equal(
                pc.binary_length(before), pc.binary_length(after))).as_py():
            # Nothing was stripped: the values are still the distinct ones Coded.of found.
            return _Distinct(stripped.codes, stripped.values)
        return stripped
    return chk.frame[column].astype(str).str.strip()


class _Distinct(Coded):
    """A coded column whose values are distinct (as :meth:`Coded.of` codes a column).

    Its :meth:`sorted_codes` sorts the values as they are: coding a few hundred thousand
    distinct ids again would find nothing to merge.
    """

    def sorted_codes(self) -> tuple[np.ndarray, Any]:
        """:meth:`Coded.sorted_codes`, from the values' order alone."""
        n = len(self.values)
        order = _text_order(self.values)
        rank = np.empty(n + 1, dtype=np.intp)
        rank[order] = np.arange(n)
        rank[-1] = -1  # code -1 (missing) stays -1
        return rank[self.codes], self.values.array.take(order)


def _text_order(values: pd.Series) -> np.ndarray:
    """The order of distinct Arrow text, as Arrow sorts it (by UTF-8 bytes).

    Ids of up to 16 bytes without a NUL are sorted as one or two big-endian integers of
    their zero-padded bytes, which order them as their bytes do: an order of magnitude
    faster than comparing the strings.
    """
    arrow = arrow_strings(values)
    text = arrow.combine_chunks() if arrow is not None else pa.array(values, type=pa.string())
    n = len(text)
    if n < 2 or text.null_count:
        return np.asarray(pc.sort_indices(text), dtype=np.intp)
    data, bounds = utf8_bytes(text)
    lengths = np.diff(bounds)
    longest = int(lengths.max())
    if longest > 16 or not data.all():  # a NUL would tie with the zero padding
        return np.asarray(pc.sort_indices(text), dtype=np.intp)
    width = 8 if longest <= 8 else 16
    if int(lengths.min()) == width:
        padded = data.reshape(n, width)
    else:
        padded = np.zeros((n, width), dtype=np.uint8)
        inside = np.arange(width) < lengths[:, None]
        padded[inside] = data[(bounds[:-1, None] + np.arange(width))[inside]]
    words = padded.view(">u8").astype(np.uint64)
    if width == 8:
        return np.argsort(words[:, 0])  # distinct keys: any sort gives the one order
    return np.lexsort((words[:, 1], words[:, 0]))


def _cells(values: Coded | pd.Series, func: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
    """``func`` of a column (a result per cell, from that cell alone), coded or not."""
    return values.test(func) if isinstance(values, Coded) else np.asarray(func(values))


def _isin(values: pd.Series, registry: pd.Series) -> np.ndarray:
    """``values.isin(registry).to_numpy()``; for Arrow text, one Arrow set lookup.

    pandas makes an Arrow scalar of each registry id first, which for a county's
    thousands of venues costs more than the lookup.
    """
    text, known = arrow_strings(values), arrow_strings(registry)
    if text is None or known is None:
        return values.isin(registry).to_numpy()
    found = pc.is_in(text, value_set=known.combine_chunks().cast(text.type))
    return np.array(found, dtype=np.bool_)


def _words(chk: RowChecker, column: str, words: dict) -> np.ndarray:
    """:func:`lookup_codes` of ``frame[column]``, looked up once per distinct value."""
    coded = chk.coded(column)
    if coded is None:
        return lookup_codes(words, chk.frame[column])[0]
    per_value, _ = lookup_codes(words, coded.values)
    return np.append(per_value, np.int8(-1))[coded.codes]  # code -1: missing, no word


def _merge_read(rows: np.ndarray, person: Coded | pd.Series, venue: Coded | pd.Series,
                scanned: pd.Series,
                colour: np.ndarray, method: np.ndarray, exit_at: pd.Series,
                lon: np.ndarray, lat: np.ndarray, count: np.ndarray,
                within: str | pd.Timedelta) -> pd.DataFrame:
    """:func:`merge_repeat_scans` of the accepted `rows` of the checked columns.

    The same frame, built from codes: ids are coded once over all rows and gathered from
    their distinct values, colours and methods (:func:`lookup_codes` codes) become text
    only for the rows kept.
    """
    window = _window(within)
    person_code, people = _sorted(person)
    venue_code, places = _sorted(venue)
    when = scanned.to_numpy("datetime64[ns]").view("int64")[rows]
    groups = _repeat_groups(person_code[rows], venue_code[rows], when, window)
    final = rows[groups.final]
    colours = _colour_ranks(colour)[rows]
    exits = exit_at.to_numpy("datetime64[ns]").view("int64")[rows]
    counts = count[rows]
    if groups.merged:
        colours = groups.reduce(np.maximum, colours)
        exits = groups.reduce(np.maximum, exits)
        counts = groups.reduce(np.add, counts)
    else:
        colours, exits, counts = colours[groups.final], exits[groups.final], counts[groups.final]
    exit_values = exits.view("datetime64[ns]")
    by_severity = np.asarray(_BY_SEVERITY, dtype=object)
    if groups.merged and (colours > 0).any():
        # As merge_repeat_scans assigns the colours: pandas reads text and None as str.
        colour_column = pd.Series(pd.array(by_severity, dtype="str").take(colours), dtype="str")
    else:
        colour_column = pd.Series(by_severity[colours], dtype=object)
    person_column = _ids(person, person_code, people, final)
    if isinstance(people, pd.arrays.ArrowStringArray):
        # Pseudonymisation hashes each person once: the codes spare it coding the column.
        distinct = pa.array(people)
        remember_codes(person_column, person_code[final],
                       distinct.combine_chunks() if isinstance(distinct, pa.ChunkedArray)
                       else distinct)
    return pd.DataFrame({
        s.PERSON_ID: person_column,
        s.VENUE_ID: _ids(venue, venue_code, places, final),
        s.SCANNED_AT: pd.Series(scanned.array.take(final), dtype=scanned.dtype, copy=False),
        s.CODE_COLOUR: colour_column,
        s.METHOD: pd.Series(decode(method[final], np.asarray(_METHODS, dtype=object)),
                            dtype=object),
        s.EXIT_AT: pd.Series(exit_values, dtype="datetime64[ns]").dt.tz_localize("UTC"),
        s.DEVICE_LON: lon[final], s.DEVICE_LAT: lat[final], s.MERGED_SCANS: counts,
    })


def _colour_ranks(colour: np.ndarray) -> np.ndarray:
    """Severity (index in :data:`_BY_SEVERITY`) of :func:`lookup_codes` colour codes."""
    table = np.asarray([_SEVERITY[c] for c in COLOUR_WORDS] + [0], dtype=np.int8)
    return table[colour]


def _sorted(values: Coded | pd.Series) -> tuple[np.ndarray, Any]:
    """:func:`sorted_codes` of a column, coded or not."""
    return values.sorted_codes() if isinstance(values, Coded) else sorted_codes(values)


def _ids(values: Coded | pd.Series, codes: np.ndarray, uniques: Any,
         rows: np.ndarray) -> pd.Series:
    """``values`` at `rows`: for Arrow text, gathered from its distinct values.

    A few hundred thousand ids stay in the cache; millions of scattered strings do not.
    """
    if isinstance(values, Coded):
        return pd.Series(uniques.take(codes[rows], allow_fill=True), dtype=values.values.dtype,
                         copy=False)
    if _is_arrow_text(values):
        taken = uniques.take(codes[rows], allow_fill=True)
    else:
        taken = values.array.take(rows)
    return pd.Series(taken, dtype=values.dtype, copy=False)


def _window(within: str | pd.Timedelta) -> int:
    window = pd.Timedelta(within)
    if window < pd.Timedelta(0):
        raise ValueError(msg("within: {within!r} is negative; give a duration such as '2min'",
                             within=within))
    return int(window.value)


class _Groups:
    """Repeat scans of one person and venue, in runs, and the order of the kept rows.

    ``idx`` orders rows by person, venue and time (ties in row order); ``starts`` are the
    positions in ``idx`` where a run of repeats begins; ``final`` lists the kept rows (each
    run's first) by person, time and venue, ties in row order; ``at`` is each final row's
    run.
    """

    def __init__(self, idx: np.ndarray, starts: np.ndarray | None, final: np.ndarray,
                 at: np.ndarray | None) -> None:
        self.idx, self.starts, self.final, self.at = idx, starts, final, at

    @property
    def merged(self) -> bool:
        """Whether any scan merged into another."""
        return self.starts is not None

    def reduce(self, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        """`ufunc` over each run of `values` (row-aligned), in the order of ``final``."""
        assert self.starts is not None and self.at is not None
        return ufunc.reduceat(values[self.idx], self.starts)[self.at]


def _repeat_groups(person: np.ndarray, venue: np.ndarray, when: np.ndarray,
                   window: int) -> _Groups:
    """The runs of repeat scans (codes of person and venue, int64 ns times)."""
    n = len(when)
    # Integer sort keys: sorting codes is an order of magnitude faster than sorting
    # millions of strings, and codes in id order (sort=True) keep the order of the ids.
    pair = _packed([venue, person])
    idx = _lexsort([when, *pair])
    w = when[idx]
    same = np.zeros(n, dtype=bool)
    if len(pair) == 1:  # one key per person and venue: one gather, one comparison
        k = pair[0][idx]
        same[1:] = k[1:] == k[:-1]
    else:
        p, v = person[idx], venue[idx]
        same[1:] = (p[1:] == p[:-1]) & (v[1:] == v[:-1])
    same[1:] &= np.diff(w) <= window
    merged = bool(same.any())
    starts = np.flatnonzero(~same) if merged else None
    kept = idx[starts] if starts is not None else idx
    # The result runs by person, time and venue; ties keep the kept rows' order, which
    # for equal person, venue and time is the input order. So the kept rows are sorted
    # from their input order: a log written in time order is nearly sorted by time.
    by_input = np.zeros(n, dtype=bool)
    by_input[kept] = True
    rows = np.flatnonzero(by_input)
    final = rows[_lexsort([*_packed([venue[rows], when[rows]]), person[rows]])]
    at = None
    if merged:
        run = np.empty(n, dtype=np.int64)
        run[kept] = np.arange(len(kept))
        at = run[final]
    return _Groups(idx, starts, final, at)


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
    window = _window(within)
    person, people = sorted_codes(scans[s.PERSON_ID])
    venue, places = sorted_codes(scans[s.VENUE_ID])
    when = scans[s.SCANNED_AT].to_numpy("datetime64[ns]").view("int64")
    groups = _repeat_groups(person, venue, when, window)
    final = groups.final
    columns = {c: pd.Series(scans[c].array.take(final), dtype=scans[c].dtype, copy=False)
               for c in s.SCAN_COLUMNS if c not in (s.PERSON_ID, s.VENUE_ID)}
    columns[s.PERSON_ID] = _ids(scans[s.PERSON_ID], person, people, final)
    columns[s.VENUE_ID] = _ids(scans[s.VENUE_ID], venue, places, final)
    out = pd.DataFrame({c: columns[c] for c in s.SCAN_COLUMNS})
    if groups.merged:
        colour, known = pd.factorize(scans[s.CODE_COLOUR])
        rank = np.asarray([_SEVERITY.get(c, 0) for c in known] + [0], dtype=np.int64)
        # NaT is the smallest int64, so the maximum is the latest exit, or NaT if none.
        latest = groups.reduce(np.maximum, scans[s.EXIT_AT].to_numpy("datetime64[ns]")
                               .view("int64")).view("datetime64[ns]")
        out = out.assign(**{
            s.MERGED_SCANS: groups.reduce(np.add, scans[s.MERGED_SCANS].to_numpy()),
            s.CODE_COLOUR: np.asarray(_BY_SEVERITY, dtype=object)[
                groups.reduce(np.maximum, rank[colour])],  # code -1: the last rank, 0
            s.EXIT_AT: pd.Series(latest, index=out.index).dt.tz_localize("UTC"),
        })
    return out


def _is_arrow_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def _packed(keys: list[np.ndarray]) -> list[np.ndarray]:
    """Integer sort keys (least significant first) packed into one when they fit 62 bits.

    ``_lexsort`` of the result orders rows as ``_lexsort(keys)`` does, in fewer passes.
    """
    if not len(keys[0]):
        return keys
    lows = [int(key.min()) for key in keys]
    spans = [int(key.max()) - low + 1 for key, low in zip(keys, lows, strict=True)]
    if math.prod(spans) >= 1 << 62:
        return keys
    packed = keys[0].astype(np.int64)  # a copy: changed in place below
    packed -= lows[0]
    scale = spans[0]
    for key, low, span in zip(keys[1:], lows[1:], spans[1:], strict=True):
        part = key.astype(np.int64)
        part -= low
        part *= scale
        packed += part
        scale *= span
    return [packed]


def _lexsort(keys: list[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys)`` of integer keys (the last the primary), one stable pass per key.

    A key spanning under 2**16 values is sorted by one radix pass, under 2**32 by two,
    which numpy does in linear time; wider ones by a stable (merge) sort, which is fast
    on nearly sorted keys such as the times of a log written in time order.

    Examples
    --------
    >>> keys = [np.array([3, 1, 2, 1]), np.array([0, 70000, 0, 0])]
    >>> _lexsort(keys).tolist(), np.lexsort(keys).tolist()
    ([3, 2, 0, 1], [3, 2, 0, 1])
    """
    order: np.ndarray | None = None
    for key in keys:
        k = key if order is None else key[order]
        step = _stable_argsort(k)
        order = step if order is None else order[step]
    return order if order is not None else np.arange(0)


def _stable_argsort(key: np.ndarray) -> np.ndarray:
    if len(key) < 2:
        return np.arange(len(key))
    low = int(key.min())
    span = int(key.max()) - low
    if span >= 1 << 32:
        return np.argsort(key, kind="stable")
    rel = key.astype(np.int64, copy=False) - low
    # uint16 keys are sorted by radix; the cast keeps the low 16 bits.
    order = np.argsort(rel.astype(np.uint16), kind="stable")
    if span < 1 << 16:
        return order
    high = (rel >> 16).astype(np.uint16)
    return order[np.argsort(high[order], kind="stable")]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in s.SCAN_COLUMNS})
    return frame.astype({s.SCANNED_AT: "datetime64[ns, UTC]", s.EXIT_AT: "datetime64[ns, UTC]",
                         s.DEVICE_LON: "float64", s.DEVICE_LAT: "float64",
                         s.MERGED_SCANS: "int64"})
