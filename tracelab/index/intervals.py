"""Scans to presence intervals, as integer arrays: the core of :func:`tracelab.index.presence.visits`.

:func:`sort_scans` does what every dwell assumption shares: it codes person and venue ids
(codes in id order), sorts the scans by person, entry, venue and exit, and finds each
scan's next later scan of the same person and its venue type's dwell. :func:`presence`
then gives one rule's intervals from that. ``visits`` builds its frame from the two; a
store's ingest (:mod:`tracelab.index.county_build`) sorts once and indexes every dwell
assumption from the codes, without a column of strings per assumption.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_MIN, to_ns
from tracelab._validate import require_columns
from tracelab.model import schema as s
from tracelab.model.rules import Rule

__all__ = ["SortedScans", "Presence", "sort_scans", "presence", "SOURCE_CODES"]

#: Code of each ``t_out_source`` (its position in ``schema.T_OUT_SOURCES``).
SOURCE_CODES = {name: i for i, name in enumerate(s.T_OUT_SOURCES)}
_EXIT, _NEXT, _MODEL, _DAY_END = (SOURCE_CODES[k] for k in (s.EXIT_SCAN, s.NEXT_SCAN,
                                                             s.DWELL_MODEL, s.DAY_END))
_NEVER = np.iinfo(np.int64).max


def _midnight(ns: np.ndarray, zone: str, days: int) -> np.ndarray:
    """The local midnight ``days`` after the start of each instant's local day, as UTC ns.

    Calendar days in ``zone``: across a clock change a day is 23 or 25 hours long.
    """
    local = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC").tz_convert(zone)
    midnight = (local.tz_localize(None).normalize() + pd.Timedelta(days=days)).tz_localize(
        zone, ambiguous="NaT", nonexistent="shift_forward"
    )
    return midnight.tz_convert("UTC").as_unit("ns").asi8


def _next_later(person: np.ndarray, t_in: np.ndarray) -> np.ndarray:
    """Each row's next strictly later entry of the same person (rows sorted by person, time).

    Scans at one instant (a date-only log puts every scan of a date there) share the next
    later one: they never cut each other.
    """
    n = len(t_in)
    if not n:
        return np.empty(0, dtype=np.int64)
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (person[1:] != person[:-1]) | (t_in[1:] != t_in[:-1])
    starts = np.flatnonzero(new_run)
    run_of = np.cumsum(new_run) - 1
    run_person, run_t = person[starts], t_in[starts]
    nxt = np.full(len(starts), _NEVER, dtype=np.int64)
    same = run_person[1:] == run_person[:-1]
    nxt[:-1] = np.where(same, run_t[1:], _NEVER)
    return nxt[run_of]


@dataclass(frozen=True)
class SortedScans:
    """Scans sorted by person, entry, venue and exit, with what every rule's visits need.

    ``order`` maps sorted rows to input rows; ``person``/``venue`` are codes in the sorted
    ids ``person_ids``/``venue_ids``; ``table_row`` is each scan's row in the venue table.
    """

    order: np.ndarray
    person: np.ndarray
    person_ids: np.ndarray
    venue: np.ndarray
    venue_ids: np.ndarray
    table_row: np.ndarray
    t_in: np.ndarray
    next_later: np.ndarray
    dwell: np.ndarray  # minutes, float
    has_exit: np.ndarray
    exit_at: np.ndarray  # int64 ns, valid where has_exit

    def __len__(self) -> int:
        return len(self.order)


@dataclass(frozen=True)
class Presence:
    """One rule's intervals of :class:`SortedScans`, in visit order.

    ``rows`` picks, for visit ``i``, its sorted scan (the identity but under day-long
    presence, whose visits run by day start); ``start``, ``end`` and ``source``
    (:data:`SOURCE_CODES`) are per visit.
    """

    rows: np.ndarray
    start: np.ndarray
    end: np.ndarray
    source: np.ndarray


def sort_scans(scans: pd.DataFrame, table: pd.DataFrame,
               dwell_minutes: Mapping[str, float] | None = None) -> SortedScans:
    """Sort and code `scans` against the venue table `table` (indexed by ``venue_id``).

    Raises
    ------
    ValueError
        If a time column is not tz-aware, a scan names a venue not in the table, or an
        exit precedes its entry.
    """
    require_columns(scans, (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT), "scans")
    venue_ids = scans[s.VENUE_ID].astype(str)
    unknown = venue_ids[~venue_ids.isin(table.index)].unique()
    if len(unknown):
        raise ValueError(
            msg("scans: {n} venue_id(s) not in venues, e.g. {unknown}; load with "
                "tracelab.io.read_dir, which rejects unknown venues", n=len(unknown),
                unknown=list(unknown[:3]))
        )
    t_in = to_ns(scans[s.SCANNED_AT], s.SCANNED_AT)
    has_exit_col = s.EXIT_AT in scans and scans[s.EXIT_AT].notna().any()
    # Ties (same person, entry and venue) are ordered by exit so the result does not
    # depend on the input's row order: only the last of them runs past the others.
    exit_key = (to_ns(scans[s.EXIT_AT], s.EXIT_AT) if has_exit_col
                else np.zeros(len(t_in), dtype=np.int64))
    # Integer codes in id order sort as the ids do: a lexsort of codes is an order of
    # magnitude faster than one of millions of strings, and ties keep their input order.
    pcode, puniq = pd.factorize(scans[s.PERSON_ID].astype(str), sort=True)
    vcode, vuniq = pd.factorize(venue_ids, sort=True)
    at = table.index.get_indexer(pd.Index(vuniq))[vcode]  # every venue is known (above)
    order = np.lexsort((exit_key, vcode, t_in, pcode))
    person, t_in, at = pcode[order], t_in[order], at[order]
    dwell = table[s.DWELL_MIN].to_numpy(np.float64)[at]
    if dwell_minutes:
        vtype = table[s.VENUE_TYPE].astype(str).to_numpy(dtype=object)[at]
        custom = pd.Series(vtype).map(dict(dwell_minutes)).to_numpy(np.float64)
        dwell = np.where(np.isnan(custom), dwell, custom)
    has_exit = (~scans[s.EXIT_AT].isna().to_numpy()[order] if has_exit_col
                else np.zeros(len(order), dtype=bool))
    exit_ns = exit_key[order]
    bad = has_exit & (exit_ns < t_in)
    if bad.any():
        raise ValueError(
            msg("scans: {n} exit_at before scanned_at (reason exit_before_entry); reject them "
                "on load", n=int(bad.sum()))
        )
    return SortedScans(order, person, np.asarray(puniq, dtype=object), vcode[order],
                       np.asarray(vuniq, dtype=object), at, t_in,
                       _next_later(person, t_in), dwell, has_exit, exit_ns)


def presence(scans: SortedScans, r: Rule) -> Presence:
    """The intervals ``[start, end)`` of sorted scans under rule `r`'s dwell assumption.

    Precedence as documented by :func:`tracelab.index.presence.visits`.
    """
    t_in, n = scans.t_in, len(scans)
    if r.dwell == "estimated_dwell":
        end = t_in + (scans.dwell * NS_PER_MIN).astype(np.int64)
        source = np.full(n, _MODEL, dtype=np.int8)
    elif r.dwell == "scan_only":
        end = t_in + np.int64(round(r.scan_instant_minutes * NS_PER_MIN))
        source = np.full(n, _MODEL, dtype=np.int8)
    else:
        end = _midnight(t_in, r.day_zone, 1)
        source = np.full(n, _DAY_END, dtype=np.int8)
    start = _midnight(t_in, r.day_zone, 0) if r.dwell == "whole_day" else t_in
    has_exit = scans.has_exit
    if has_exit.any():
        end = np.where(has_exit, scans.exit_at, end)
        source = np.where(has_exit, np.int8(_EXIT), source)
        start = np.where(has_exit, t_in, start)
    nxt = scans.next_later
    if r.cut_end == "next_slot" and r.rounding_minutes:
        # NHS roundUp: the slot the next check-in falls in ends the visit (15:15 -> 15:30).
        step = np.int64(r.rounding_minutes) * NS_PER_MIN
        nxt = np.where(nxt == _NEVER, nxt, nxt - np.mod(nxt, step) + step)
    cut = (nxt < end) & ~has_exit & (r.dwell != "whole_day")
    end = np.where(cut, nxt, end)
    source = np.where(cut, np.int8(_NEXT), source)
    end = np.minimum(end, start + np.int64(round(r.max_stay_hours * 60)) * NS_PER_MIN)
    rows = np.arange(n)
    if r.dwell == "whole_day":
        # Day starts keep the person order but not the time order of recorded exits.
        rows = np.lexsort((scans.venue, start, scans.person))
    return Presence(rows, start[rows], end[rows], source[rows].astype(np.int8))
