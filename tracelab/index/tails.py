"""A day's append on arrays: the touched people's tails, their scans sorted once, scan times.

:func:`tracelab.index.county_update.append_day` rebuilds the visits of each person who
scanned on the new day from a local midnight before their last earlier scan on (their
*tail*). These are the steps on that tail that cost time in proportion to it, written
on integer arrays: :func:`index_tails` finds where each tail starts from the index,
:func:`tail_scans` joins the stored and the new rows, finds the repeat scans across the
cut and sorts the scans once (:func:`tracelab.index.intervals.sort_scans`), and
:func:`scan_times` puts the day's entry times into the store's sorted array.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracelab._time import to_ns
from tracelab.index.intervals import SortedScans, _hex_keys, _midnight, sort_scans
from tracelab.io.scans import merge_repeat_scans
from tracelab.model import schema as s

__all__ = ["Tail", "tail_scans", "repeat_people",
           "index_tails", "scan_times"]

_NEVER = np.iinfo(np.int64).max
_SINCE = "since"  # column of the touched-people frame: start of each person's tail


@dataclass(frozen=True)
class Tail:
    """The tail's scans after merging repeat scans, and which of them the store holds."""

    scans: pd.DataFrame
    stored: np.ndarray  # bool per row: in the store already, as it is
    merged: np.ndarray  # people (pseudonyms) whose stored rows a repeat scan changed


def repeat_people(person: np.ndarray, venue: np.ndarray, t_in: np.ndarray,
                  window: int) -> np.ndarray:
    """Whether each person (code) scanned one venue twice at most `window` ns apart.

    Parameters
    ----------
    person, venue, t_in : numpy.ndarray
        Codes and entry times (int64 ns) of scans sorted by person, then entry.
    window : int
        The repeat window in ns.

    Returns
    -------
    numpy.ndarray
        bool per person code up to the largest one.

    Notes
    -----
    Two scans of one venue within the window have only scans within the window between
    them in entry order, so each scan is compared with the next ones while they are
    near enough: a step per scan of a person's busiest window, not a sort by venue.

    Examples
    --------
    >>> t = np.array([0, 60, 100, 500], dtype=np.int64) * 10**9
    >>> repeat_people(np.array([0, 0, 0, 1]), np.array([3, 4, 3, 3]), t, 120 * 10**9).tolist()
    [True, False]
    """
    hit = np.zeros(int(person.max()) + 1 if len(person) else 0, dtype=bool)
    near = np.arange(len(person) - 1)
    step = 1
    while len(near):
        later = near + step
        near = near[(person[later] == person[near]) & (t_in[later] - t_in[near] <= window)]
        hit[person[near[venue[near + step] == venue[near]]]] = True
        near = near[near + step + 1 < len(person)]
        step += 1
    return hit


def tail_scans(old: pd.DataFrame, new: pd.DataFrame, table: pd.DataFrame,
               window: pd.Timedelta) -> tuple[Tail, SortedScans]:
    """The tail's rows with repeat scans merged as the loader does, and their sort.

    The same as ``_merged_tail(old, new)`` then ``sort_scans(tail.scans, table)``, with
    one sort of the scans where no repeat scan crosses the cut (most days): the repeat
    scans are found in the sorted scans (:func:`repeat_people`).

    Parameters
    ----------
    old : pandas.DataFrame
        The store's scan rows of the tails (``schema.SCAN_COLUMNS`` at least).
    new : pandas.DataFrame
        The day's scans, ``schema.SCAN_COLUMNS``.
    table : pandas.DataFrame
        The venue table indexed by ``venue_id`` (:func:`tracelab.index.presence.venue_table`).
    window : pandas.Timedelta
        The loader's repeat window.

    Returns
    -------
    (Tail, SortedScans)
        The rows (the store's first, then the day's; the people with a repeat scan
        across the cut merged and put last) and their :func:`sort_scans`.
    """
    tail = pd.concat([old.loc[:, list(s.SCAN_COLUMNS)], new], ignore_index=True)
    stored = np.arange(len(tail)) < len(old)
    ordered = sort_scans(tail, table)
    hit = repeat_people(ordered.person, ordered.venue, ordered.t_in, window.value)
    if not hit.any():
        return Tail(tail, stored, np.zeros(0, dtype=object)), ordered
    rows = np.zeros(len(tail), dtype=bool)
    rows[ordered.order] = hit[ordered.person]
    again = merge_repeat_scans(tail[rows], window)
    merged = Tail(pd.concat([tail[~rows], again], ignore_index=True),
                  np.concatenate([stored[~rows], np.zeros(len(again), dtype=bool)]),
                  pd.unique(tail[s.PERSON_ID].to_numpy(dtype=object)[rows]))
    return merged, sort_scans(merged.scans, table)


def _first_scans(ids: pd.Series, when: np.ndarray, known: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct `ids` (first seen first), the first of their times, their places in `known`.

    The place in the sorted unique `known` ids is -1 for an id not there. Pseudonyms
    are grouped by a sort of their integer keys (:func:`_hex_keys`), not by hashing text.
    """
    mine, theirs = _hex_keys(ids), _hex_keys(known) if len(known) else None
    if mine is None or theirs is None or mine[1] != theirs[1]:
        code, uniques = pd.factorize(ids)
        names = np.asarray(uniques, dtype=str)
        firsts = np.full(len(names), _NEVER, dtype=np.int64)
        np.minimum.at(firsts, code, when)
        if not len(known) or not len(names):
            return names.astype(object), firsts, np.full(len(names), -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(known, names), len(known) - 1)
        return names.astype(object), firsts, np.where(known[at] == names, at, -1)
    by_key = np.argsort(mine[0])
    keys = mine[0][by_key]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    first_row = np.minimum.reduceat(by_key, starts)
    seen = np.argsort(first_row)  # first seen first, as pd.factorize has them
    first_row = first_row[seen]
    at = np.minimum(np.searchsorted(theirs[0], keys[starts]), len(known) - 1)
    at = np.where(theirs[0][at] == keys[starts], at, -1)[seen]
    names = pd.Series(ids.array.take(first_row)).to_numpy(dtype=object)
    return names, np.minimum.reduceat(when[by_key], starts)[seen], at


def index_tails(new: pd.DataFrame, person_ids: np.ndarray,
                last_entry: Callable[[np.ndarray, np.ndarray], np.ndarray],
                window: pd.Timedelta, zone: str) -> pd.DataFrame:
    """Each person of the day with the start of their tail (``since``, int64 ns UTC).

    ``_tails`` of a store with a graph whose entries are the scans: the start is the
    local midnight before the person's last entry before their first scan of the day,
    or before that first scan less the repeat window if earlier.

    Parameters
    ----------
    new : pandas.DataFrame
        The day's scans.
    person_ids : numpy.ndarray
        The graph's sorted person ids.
    last_entry : callable
        ``last_entry(codes, when)``: each person code's latest entry before `when`,
        ``_NEVER`` if none (:func:`tracelab.index.kernels.last_before` on the graph's arrays).
    window : pandas.Timedelta
        The loader's repeat window.
    zone : str
        The zone of the store's day-long presence.
    """
    names, firsts, at = _first_scans(new[s.PERSON_ID], to_ns(new[s.SCANNED_AT], s.SCANNED_AT),
                                     np.asarray(person_ids))
    known = at >= 0
    last_ns = np.full(len(names), _NEVER, dtype=np.int64)
    last_ns[known] = last_entry(at[known], firsts[known])
    start = np.minimum(last_ns, firsts - window.value)
    return pd.DataFrame({s.PERSON_ID: names, _SINCE: _midnight(start, zone, 0)})


def scan_times(old: np.ndarray, removed: np.ndarray, added: np.ndarray) -> np.ndarray:
    """Sorted entry times: `old` (sorted) without `removed` (a sub-multiset), with `added`.

    ``_scan_times`` as a merge: the new times are put in at their places in one copy
    of the store's array, not sorted with it again.

    Examples
    --------
    >>> scan_times(np.array([1, 3, 3, 5]), np.array([3]), np.array([4, 0])).tolist()
    [0, 1, 3, 4, 5]
    """
    old = np.asarray(old)
    if len(removed):
        removed = np.sort(removed)
        first = np.searchsorted(old, removed, side="left")
        # The k-th copy of a value to remove sits k places after its first copy.
        rank = np.arange(len(removed)) - np.searchsorted(removed, removed, side="left")
        keep = np.ones(len(old), dtype=bool)
        keep[first + rank] = False
        old = old[keep]
    added = np.sort(added)
    out = np.empty(len(old) + len(added), dtype=np.result_type(old, added))
    if not len(old) or not len(added) or added[0] >= old[-1]:  # a later day: one append
        out[:len(old)], out[len(old):] = old, added
        return out
    at = np.searchsorted(old, added, side="right") + np.arange(len(added))
    free = np.ones(len(out), dtype=bool)
    free[at] = False
    out[at], out[free] = added, old
    return out
