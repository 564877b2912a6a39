"""Array kernels of the visit index: id codes, the packed segment sort and range searches.

:class:`tracelab.index.graph.VisitGraph` is built and searched with these. Whole-column steps
run in chunks of ``CHUNK`` rows: a temporary of a million values stays in cache and is
reused by the allocator, where one of 14 million would be fresh memory at every step.
Steps that do not depend on each other run on two threads (numpy releases the GIL in
sorts, gathers and arithmetic), as DuckDB uses every core for the same work.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import pandas as pd

from tracelab._i18n import msg

__all__ = ["TIER_EDGES", "N_TIERS", "Seek", "codes", "dense", "sorted_by", "stay_tiers",
           "segment_order", "segment_max", "ranges", "segment_search", "parallel",
           "ordered_map", "first_at_or_after", "last_before"]

CHUNK = 1 << 20
_THREADED = 1 << 20  # rows from which running two steps at once pays for the threads
_WORKERS = min(os.cpu_count() or 1, 2)  # cpu_count costs ~20 us a call
_MAX = np.iinfo(np.int64).max
_MIN = np.iinfo(np.int64).min
_SMALL_QUERY = 48  # below this many windows, per-window np.searchsorted beats bisection

#: Stay-length tiers (upper edges, ns): each venue's visits are kept per tier, so a query
#: scans back only as far as the longest stay of that tier at that venue.
TIER_EDGES = np.array([30, 120, 480], dtype=np.int64) * 60_000_000_000
N_TIERS = len(TIER_EDGES) + 1


def parallel(*calls: Callable[[], Any], rows: int) -> list[Any]:
    """Results of ``calls``, on up to two threads when ``rows`` (the work's size) pays."""
    workers = min(len(calls), _WORKERS)
    if workers < 2 or rows < _THREADED:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(call) for call in calls]
        return [f.result() for f in futures]


def ordered_map(fn: Callable[..., Any], items: Iterable[tuple[Any, ...]]) -> list[Any]:
    """``[fn(*item) for item in items]``, on two threads when there is more than one item.

    A few items are in flight at a time, so the items (blocks of candidates) are produced
    as they are consumed and stay in cache.
    """
    it = iter(items)
    head = list(itertools.islice(it, 2))
    workers = _WORKERS
    if len(head) < 2 or workers < 2:
        return [fn(*item) for item in head]
    out: list[Any] = []
    pending: collections.deque[Future[Any]] = collections.deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for item in itertools.chain(head, it):
            pending.append(pool.submit(fn, *item))
            if len(pending) > 2 * workers:
                out.append(pending.popleft().result())
        out.extend(f.result() for f in pending)
    return out


def _chunks(n: int) -> range:
    return range(0, n, CHUNK)


def codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes in sorted-id order, and the sorted unique ids.

    Dense non-negative integer ids that are all present are their own codes: the column is
    returned as it is (callers must not write to it).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.remove_unused_categories()
        order = np.argsort(np.asarray(cats.cat.categories), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[cats.cat.codes.to_numpy(np.int64)], np.asarray(cats.cat.categories)[order]
    arr = values.to_numpy()
    if arr.dtype.kind in "iu" and len(arr) and arr.min() >= 0 and arr.max() < 4 * len(arr) + 1024:
        # A counting map: O(n) without hashing.
        present = np.bincount(arr) > 0
        if present.all():
            return arr, np.arange(len(present), dtype=arr.dtype)
        code_of = np.cumsum(present, dtype=np.int32 if len(present) < 2**31 else np.int64) - 1
        return code_of[arr], np.flatnonzero(present).astype(arr.dtype)
    found, uniques = pd.factorize(values, sort=True)
    return found.astype(np.int64), np.asarray(uniques)


def dense(ids: np.ndarray) -> bool:
    """Sorted unique integer ids that are exactly 0..n-1, so each id is its own code."""
    return bool(ids.dtype.kind in "iu" and len(ids) and ids[0] == 0
                and ids[-1] == len(ids) - 1 and (np.diff(ids) > 0).all())


def sorted_by(major: np.ndarray, minor: np.ndarray) -> bool:
    """Rows are ordered by ``major``, then ``minor``."""
    n = len(major)
    for a in range(0, max(n - 1, 0), CHUNK):
        b = min(a + CHUNK + 1, n)  # one row of overlap joins the chunks
        dm = np.diff(major[a:b])
        if (dm < 0).any() or ((dm == 0) & (np.diff(minor[a:b]) < 0)).any():
            return False
    return True


def stay_tiers(t_in: np.ndarray, t_out: np.ndarray) -> np.ndarray:
    """Stay tier of each visit (uint8, position among ``TIER_EDGES``).

    Raises
    ------
    ValueError
        If a visit leaves before it enters.
    """
    tier = np.empty(len(t_in), dtype=np.uint8)
    backwards = 0
    for a in _chunks(len(t_in)):
        stay = t_out[a:a + CHUNK] - t_in[a:a + CHUNK]
        backwards += int((stay < 0).sum())
        out = tier[a:a + CHUNK]
        np.greater(stay, TIER_EDGES[0], out=out, casting="unsafe")
        for edge in TIER_EDGES[1:]:
            out += stay > edge
    if backwards:
        raise ValueError(msg("visits: t_out before t_in in {backwards} row(s); build visits with "
                             "visits()", backwards=backwards))
    return tier


class Seek:
    """Sorted ``(segment, entry unit)`` keys: one ``np.searchsorted`` finds every bound.

    The packed sort key of :func:`segment_order` without its row bits; present when entry
    times are whole ``unit`` multiples of ``t0`` and the key fits 64 bits.
    """

    __slots__ = ("keys", "t0", "unit", "bits_t")

    def __init__(self, keys: np.ndarray, t0: int, unit: int, bits_t: int) -> None:
        self.keys, self.t0, self.unit, self.bits_t = keys, t0, unit, bits_t

    def bounds(self, segment: np.ndarray, since: np.ndarray, until: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``segment`` with ``since <= entry <= until``, as ``(lo, hi)`` bounds."""
        n, top = len(segment), 1 << self.bits_t
        # Clip before subtracting: a target far outside the data must not overflow.
        lo_t = max(self.t0 - self.unit, _MIN)
        hi_t = min(self.t0 + top * self.unit, _MAX, _MAX + self.t0)
        rel = np.minimum(np.maximum(np.concatenate([since, until]), lo_t), hi_t) - self.t0
        units = rel // self.unit
        units[:n] += rel[:n] % self.unit != 0  # first entry at or after since
        units[n:] += 1  # first entry after until
        np.minimum(np.maximum(units, 0, out=units), top, out=units)
        at = segment.astype(np.uint64) << np.uint64(self.bits_t)
        key = np.concatenate([at, at]) + units.astype(np.uint64)
        # Sorted needles: each search starts where the last ended, in cache.
        order = np.argsort(key)
        found = np.empty(len(key), dtype=np.int64)
        found[order] = np.searchsorted(self.keys, key[order], side="left")
        return found[:n], found[n:]

    def offsets(self, n_segments: int) -> np.ndarray:
        """CSR offsets of the segments 0..n_segments-1 in the sorted keys."""
        starts = np.arange(n_segments + 1, dtype=np.uint64) << np.uint64(self.bits_t)
        return np.searchsorted(self.keys, starts, side="left").astype(np.int64)


def _unit(t_in: np.ndarray, t0: int) -> int | None:
    """Whole seconds or milliseconds since ``t0`` when every entry is one, else None."""
    for unit in (1_000_000_000, 1_000_000):
        if all(not ((t_in[a:a + CHUNK] - t0) % unit).any() for a in _chunks(len(t_in))):
            return unit
    return None


def segment_order(venue: np.ndarray, tier: np.ndarray, t_in: np.ndarray, n_venues: int
                  ) -> tuple[np.ndarray, np.ndarray, Seek | None]:
    """Row order by segment (venue, stay tier), then t_in; the sorted entries; the keys.

    Indirect sorts of many rows are slow (random memory access), so when segment, entry
    unit and row number fit 64 bits they are packed into one key and sorted by value;
    entries are then read back from the key without a gather, and the key without its
    row bits becomes the :class:`Seek` index.
    """
    n = len(t_in)
    if n == 0:
        return np.zeros(0, np.int64), t_in, None
    t0 = int(t_in.min())
    unit = _unit(t_in, t0)
    bits_s = max(1, int(n_venues * N_TIERS - 1).bit_length())
    bits_t = max(1, ((int(t_in.max()) - t0) // (unit or 1)).bit_length())
    bits_i = max(1, int(n - 1).bit_length())
    if unit is None or bits_s + bits_t + bits_i > 64:
        order = np.lexsort((t_in, tier, venue))
        return order, t_in[order], None
    at_t, at_s = np.uint64(bits_i), np.uint64(bits_t + bits_i)
    key = np.empty(n, dtype=np.uint64)
    for a in _chunks(n):
        b = min(a + CHUNK, n)
        part = venue[a:b].astype(np.uint64)
        part *= np.uint64(N_TIERS)
        part += tier[a:b]
        part <<= at_s
        part |= ((t_in[a:b] - t0) // unit).astype(np.uint64) << at_t
        part |= np.arange(a, b, dtype=np.uint64)
        key[a:b] = part
    key.sort()
    order, v_t_in = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    row_bits, time_bits = np.uint64((1 << bits_i) - 1), np.uint64((1 << bits_t) - 1)
    for a in _chunks(n):
        part = key[a:a + CHUNK]
        np.bitwise_and(part, row_bits, out=order[a:a + CHUNK].view(np.uint64))
        part >>= at_t
        entry = v_t_in[a:a + CHUNK]
        np.bitwise_and(part, time_bits, out=entry.view(np.uint64))
        entry *= unit
        entry += t0
    return order, v_t_in, Seek(key, t0, unit, bits_t)


def segment_max(t_in: np.ndarray, t_out: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Longest stay ``t_out - t_in`` of each CSR segment (0 for an empty one)."""
    out = np.zeros(len(offsets) - 1, dtype=np.int64)
    full = np.flatnonzero(np.diff(offsets) > 0)
    if not len(full):
        return out
    starts = offsets[full]
    cuts = np.unique(np.searchsorted(starts, np.arange(CHUNK, offsets[-1], CHUNK)))
    for i, j in zip([0, *cuts.tolist()], [*cuts.tolist(), len(starts)], strict=True):
        if i < j:
            a, b = starts[i], offsets[full[j - 1] + 1]
            out[full[i:j]] = np.maximum.reduceat(t_out[a:b] - t_in[a:b], starts[i:j] - a)
    return out


def ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``arange(lo[i], hi[i])``; also return which i each item came from."""
    lengths = np.maximum(hi - lo, 0)
    total = int(lengths.sum())
    which = np.repeat(np.arange(len(lo)), lengths)
    starts = np.cumsum(lengths) - lengths
    pos = np.arange(total, dtype=np.int64) - np.repeat(starts - lo, lengths)
    return pos, which


def segment_search(keys: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray,
                   side: Literal["left", "right"]) -> np.ndarray:
    """``np.searchsorted(keys[lo:hi], target, side) + lo`` for many segments at once."""
    if len(lo) <= _SMALL_QUERY:
        return np.array([a + np.searchsorted(keys[a:b], t, side)
                         for a, b, t in zip(lo, hi, target, strict=True)], dtype=np.int64)
    lo, hi = lo.copy(), hi.copy()
    active = lo < hi
    while active.any():
        idx = np.flatnonzero(active)
        mid = (lo[idx] + hi[idx]) // 2
        k = keys[mid]
        right = k < target[idx] if side == "left" else k <= target[idx]
        lo[idx] = np.where(right, mid + 1, lo[idx])
        hi[idx] = np.where(right, hi[idx], mid)
        active[idx] = lo[idx] < hi[idx]
    return lo


def first_at_or_after(offsets: np.ndarray, p_pos: Any, t_in: Any, person: np.ndarray,
                      when: np.ndarray, hi: np.ndarray | None = None) -> np.ndarray:
    """Per `person`, the first place in their range of ``p_pos`` entering at or after `when`.

    Parameters
    ----------
    offsets, p_pos, t_in : array-like
        A graph's (or one part's) ``person_offsets``, ``p_pos`` and ``v_t_in``: person
        ``p``'s visits are ``p_pos[offsets[p]:offsets[p + 1]]``, by entry.
    person, when : numpy.ndarray
        Person codes and instants, one each per query.
    hi : numpy.ndarray, optional
        Per query, where the range ends instead (a base person's kept visits).

    Notes
    -----
    A new day comes after the stored ones, so for most people every entry is before
    `when`: the range's last entry is tried first, and a binary search in the range,
    all people at once, runs for the others only.

    Examples
    --------
    >>> first_at_or_after(np.array([0, 2, 2]), np.array([1, 0]), np.array([30, 10]),
    ...                   np.array([0, 0, 1]), np.array([40, 20, 5])).tolist()
    [2, 1, 2]
    """
    lo = np.asarray(offsets[person], dtype=np.int64).copy()
    hi = (np.asarray(offsets[person + 1], dtype=np.int64).copy() if hi is None
          else hi.astype(np.int64, copy=True))
    some = np.flatnonzero(lo < hi)
    before = np.asarray(t_in[np.asarray(p_pos[hi[some] - 1])]) < when[some]
    lo[some[before]] = hi[some[before]]
    ask = some[~before]  # their last entry is not before `when`: search below it
    hi[ask] -= 1
    active = ask[lo[ask] < hi[ask]]
    while len(active):
        mid = (lo[active] + hi[active]) // 2
        below = np.asarray(t_in[np.asarray(p_pos[mid])]) < when[active]
        lo[active] = np.where(below, mid + 1, lo[active])
        hi[active] = np.where(below, hi[active], mid)
        active = active[lo[active] < hi[active]]
    return lo


def last_before(offsets: np.ndarray, p_pos: Any, t_in: Any, person: np.ndarray,
                when: np.ndarray, hi: np.ndarray | None = None) -> np.ndarray:
    """Each `person`'s (code) latest entry before `when` (int64 ns), ``_MAX`` if none.

    Arrays and `hi` as for :func:`first_at_or_after`.

    Examples
    --------
    >>> last_before(np.array([0, 2, 2]), np.array([1, 0]), np.array([30, 10]),
    ...             np.array([0, 0, 1]), np.array([40, 20, 5])).tolist()
    [30, 10, 9223372036854775807]
    """
    offsets = np.asarray(offsets)
    person = np.asarray(person, dtype=np.intp)
    at = first_at_or_after(offsets, p_pos, t_in, person, when, hi=hi)
    last = np.full(len(person), _MAX, dtype=np.int64)
    some = at > offsets[person]
    last[some] = np.asarray(t_in[np.asarray(p_pos[at[some] - 1])])
    return last
