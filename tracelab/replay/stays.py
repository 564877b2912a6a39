"""Scans to presence intervals on integer arrays: the loaders' merge and ``visits()``'s rule.

The replay logs a day's scans as integer codes and int64 nanoseconds. These kernels do
what :func:`tracelab.io.merge_repeat_scans` and :func:`tracelab.index.presence.visits`
do on frames of string ids, without building one: the same repeat window, and the
intervals of ``visits()``' own integer core (:func:`tracelab.index.intervals.presence`:
dwell assumptions, next-scan cut, slot rounding, stay cap), so they are the ones the
loaders and the engine build from the same scans (a test compares them).
"""

from __future__ import annotations

import numpy as np

from tracelab._i18n import msg
from tracelab._time import NAT, NS_PER_S
from tracelab.index.intervals import SortedScans, _next_later, presence
from tracelab.model.rules import Rule

__all__ = ["REPEAT_NS", "merge_repeats", "stays", "order_by"]

#: Repeat scans of one venue by one person this close are one scan (the loaders' default
#: ``merge_repeat_scans(within="2min")``).
REPEAT_NS = 120 * NS_PER_S


def order_by(*keys: np.ndarray) -> np.ndarray:
    """Stable row order by ``keys[0]``, then ``keys[1]``, ... (integer arrays).

    ``np.lexsort`` makes a pass per key with random access; when the keys, shifted to
    start at 0 and divided by their common unit (whole seconds of ns times), fit 64 bits,
    they are packed into one key and sorted once: by value with the row number in the low
    bits when that fits too, else by a stable argsort.

    Examples
    --------
    >>> order_by(np.array([2, 1, 2, 1]), np.array([5, 7, 3, 7])).tolist()
    [1, 3, 2, 0]
    """
    n = len(keys[0])
    if n < 2:
        return np.arange(n, dtype=np.int64)
    parts, bits = [], 0
    for k in keys:
        rel = k.astype(np.int64) - k.min()
        for unit in (NS_PER_S, 1_000_000, 1_000):
            if int(rel.max()) >= unit and not (rel % unit).any():
                rel //= unit
                break
        width = int(rel.max()).bit_length()
        parts.append((rel, width))
        bits += width
    if bits > 64:
        return np.lexsort(keys[::-1])
    packed = np.zeros(n, dtype=np.uint64)
    for rel, width in parts:
        if width:
            packed <<= np.uint64(width)
            packed |= rel.astype(np.uint64)
    row_bits = (n - 1).bit_length()
    if bits + row_bits > 64:
        return np.argsort(packed, kind="stable")
    packed <<= np.uint64(row_bits)
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    return (packed & np.uint64((1 << row_bits) - 1)).astype(np.int64)


def merge_repeats(person: np.ndarray, venue: np.ndarray, at: np.ndarray, exit_: np.ndarray,
                  within: int = REPEAT_NS) -> tuple[np.ndarray, ...]:
    """Merge each chain of scans of one venue by one person at most ``within`` ns apart.

    As :func:`tracelab.io.merge_repeat_scans`: a scan merges into the previous scan of the
    same person and venue when it follows it by at most ``within``; a chain keeps its
    first scan, with the latest exit of the chain.

    Parameters
    ----------
    person, venue : numpy.ndarray
        Integer codes.
    at, exit_ : numpy.ndarray
        Entry and exit, int64 ns (``NAT``: no exit scan).
    within : int
        Repeat window, ns, inclusive.

    Returns
    -------
    tuple of numpy.ndarray
        ``(person, venue, at, exit)`` of the kept scans, sorted by person and entry.

    Examples
    --------
    >>> p, v, t, e = merge_repeats(np.array([1, 1, 1]), np.array([4, 4, 4]),
    ...                            np.array([0, 60, 400]) * NS_PER_S,
    ...                            np.array([NAT, 900 * NS_PER_S, NAT]))
    >>> (t // NS_PER_S).tolist(), (e[0] // NS_PER_S).item()
    ([0, 400], 900)
    """
    order = order_by(person, at)
    p, v, w, e = person[order], venue[order], at[order], exit_[order]
    close = (p[1:] == p[:-1]) & (w[1:] - w[:-1] <= within)
    if not close.any():
        return p, v, w, e
    # Only people with two scans this close can have a chain: order theirs by venue.
    rows = np.flatnonzero(np.isin(p, p[1:][close]))
    sub = rows[order_by(p[rows], v[rows], w[rows])]
    sp, sv, sw = p[sub], v[sub], w[sub]
    same = np.zeros(len(sub), dtype=bool)
    same[1:] = (sp[1:] == sp[:-1]) & (sv[1:] == sv[:-1]) & (sw[1:] - sw[:-1] <= within)
    if not same.any():
        return p, v, w, e
    starts = np.flatnonzero(~same)
    e = e.copy()
    # NAT is the smallest int64, so the maximum is the latest exit, or NAT if none.
    e[sub[starts]] = np.maximum.reduceat(e[sub], starts)
    keep = np.ones(len(p), dtype=bool)
    keep[sub[same]] = False
    return p[keep], v[keep], w[keep], e[keep]


def stays(person: np.ndarray, venue_rank: np.ndarray, at: np.ndarray, exit_: np.ndarray,
          dwell_min: np.ndarray, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    """Each scan's presence ``[t_in, t_out)`` under ``rule``, as ``visits()`` builds it.

    The scans are sorted and their next later scans found here, on integer arrays; the
    intervals are then those of :func:`tracelab.index.intervals.presence`, the core of
    :func:`tracelab.index.presence.visits`.

    Parameters
    ----------
    person : numpy.ndarray
        Integer person codes.
    venue_rank : numpy.ndarray
        Venue codes in the order of the venue ids (ties of one person and instant are
        ordered by venue id, as in ``visits()``).
    at, exit_ : numpy.ndarray
        Entry scan and exit scan, int64 ns (``NAT``: none).
    dwell_min : numpy.ndarray
        The venue type's dwell of each scan, minutes.
    rule : Rule
        Supplies ``dwell``, ``scan_instant_minutes``, ``cut_end`` with
        ``rounding_minutes``, ``max_stay_hours`` and ``day_zone``.

    Returns
    -------
    (t_in, t_out) : numpy.ndarray
        int64 ns, in the input's row order.

    Raises
    ------
    ValueError
        If an exit precedes its entry.

    Notes
    -----
    A scan's end depends on the person's next strictly later scan, so the rows given must
    hold, for each row, that person's next later scan (the whole log does; see
    :meth:`tracelab.replay.visitlog.VisitLog.add` for the part of it a new day needs).

    Examples
    --------
    Two scans 10 minutes apart: the first is cut by the second, the second keeps its
    venue type's 10-minute dwell.

    >>> from tracelab.model.rules import rule
    >>> t_in, t_out = stays(np.array([7, 7]), np.array([0, 1]),
    ...                     np.array([0, 600]) * NS_PER_S, np.array([NAT, NAT]),
    ...                     np.array([30, 10]), rule("twenty"))
    >>> ((t_out - t_in) // (60 * NS_PER_S)).tolist()
    [10, 10]
    """
    n = len(at)
    order = order_by(person, at)
    p, t = person[order], at[order]
    tie = (p[1:] == p[:-1]) & (t[1:] == t[:-1])
    if tie.any():
        # Scans of one person at one instant (rare): by venue id, then exit, as visits()
        # orders them; each run of them stays in place.
        in_run = np.r_[tie, False] | np.r_[False, tie]
        at_run = np.flatnonzero(in_run)
        run = np.cumsum(np.r_[True, ~tie])[at_run]
        sub = order[at_run]
        order[at_run] = sub[np.lexsort((exit_[sub], venue_rank[sub], run))]
        p, t = person[order], at[order]
    ex = exit_[order]
    has_exit = ex != NAT
    bad = has_exit & (ex < t)
    if bad.any():
        raise ValueError(msg("scans: {n} exit_at before scanned_at (reason "
                             "exit_before_entry); reject them on load", n=int(bad.sum())))
    v = venue_rank[order]
    # The rule's intervals come from visits()' own core, given the sorted scans.
    sorted_scans = SortedScans(
        order=order, person=p, person_ids=np.zeros(0, dtype=object), venue=v,
        venue_ids=np.zeros(0, dtype=object), table_row=v, t_in=t,
        next_later=_next_later(p, t), dwell=dwell_min[order].astype(np.float64),
        has_exit=has_exit, exit_at=ex)
    got = presence(sorted_scans, rule)
    t_in, t_out = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    rows = order[got.rows]
    t_in[rows], t_out[rows] = got.start, got.end
    return t_in, t_out
