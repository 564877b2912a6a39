"""A visit graph from the previous one: keep its visits or drop some, insert new ones, no re-sort.

A day's append (:mod:`tracelab.index.county_update`) drops each touched person's last
visits and adds the rebuilt ones; a purge (:mod:`tracelab.index.county_purge`) drops the
old days. The graph those changes give is the one :meth:`VisitGraph.from_codes` builds
from all visits in person order, array for array (a test compares them). It is built here
without sorting the millions of visits again: the kept visits stay in venue order
under the new codes (codes are remapped in order, and within a person the kept visits
keep their order), so only the new visits are sorted, then merged in by a binary search
on the same packed sort key ``from_codes`` sorts by. The work is a few passes over
memory, where a sort is many.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tracelab.index import kernels as ix
from tracelab.index.graph import VisitGraph
from tracelab.index.kernels import N_TIERS

__all__ = ["Added", "merged"]


@dataclass(frozen=True)
class Added:
    """Visits to insert, in person order (codes of the new graph's ids)."""

    person: np.ndarray
    venue: np.ndarray
    t_in: np.ndarray
    t_out: np.ndarray
    source: np.ndarray

    @classmethod
    def none(cls) -> Added:
        """No visit."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, empty, empty, np.zeros(0, dtype=np.int8))


def _packing(t_in: np.ndarray, n_venues: int, n: int) -> tuple[int, int, int, int] | None:
    """``(t0, unit, bits_t, bits_i)`` of ``kernels.segment_order``'s key, None if it has none."""
    if not n:
        return None
    t0 = int(t_in.min())
    unit = ix._unit(t_in, t0)
    bits_s = max(1, int(n_venues * N_TIERS - 1).bit_length())
    bits_t = max(1, ((int(t_in.max()) - t0) // (unit or 1)).bit_length())
    bits_i = max(1, int(n - 1).bit_length())
    if unit is None or bits_s + bits_t + bits_i > 64:
        return None
    return t0, unit, bits_t, bits_i


def _keys(segment: np.ndarray, t_in: np.ndarray, row: np.ndarray, t0: int, unit: int,
          bits_t: int, bits_i: int) -> np.ndarray:
    key = segment.astype(np.uint64) << np.uint64(bits_t)
    key |= ((t_in - t0) // unit).astype(np.uint64)
    key <<= np.uint64(bits_i)
    key |= row.astype(np.uint64)
    return key


def merged(old: VisitGraph, *, keep: np.ndarray, person_map: np.ndarray,
           person_ids: np.ndarray, venue_map: np.ndarray, venue_ids: np.ndarray,
           venues: pd.DataFrame, added: Added, shift: np.ndarray | None = None,
           person_take: Any = None) -> VisitGraph:
    """`old` without the visits not in `keep`, with `added`, as ``from_codes`` would build it.

    Parameters
    ----------
    old : VisitGraph
        A graph whose visit ids are its person order.
    keep : numpy.ndarray
        Bool per venue-ordered row of `old`. Each person's kept visits must be
        consecutive in person order.
    person_map, venue_map : numpy.ndarray
        New code of each old person and venue code, increasing (-1: a person with no
        kept visit).
    person_ids, venue_ids, venues
        The new graph's sorted ids and venue table.
    added : Added
        New visits, by person, each person's after their kept ones.
    shift : numpy.ndarray, optional
        Per old person, the dropped visits that come before the kept ones (a purge drops
        the first visits); default none.
    """
    seg_old = np.repeat(np.arange(len(old.segment_offsets) - 1, dtype=np.int64),
                        np.diff(old.segment_offsets))
    kept_rows = np.flatnonzero(keep)
    k_person = np.asarray(old.v_person)[kept_rows].astype(np.int64)
    k_seg = seg_old[kept_rows]
    k_seg = venue_map[k_seg // N_TIERS] * N_TIERS + k_seg % N_TIERS
    old_start = np.asarray(old.person_offsets)[:-1]
    # Each kept visit's rank among its person's kept visits, from its old visit id.
    rank = np.asarray(old.v_visit_id)[kept_rows] - old_start[k_person]
    if shift is not None:
        rank -= shift[k_person]
    k_person = person_map[k_person]
    n_people = len(person_ids)
    kept_count = np.bincount(k_person, minlength=n_people)
    added_count = np.bincount(added.person, minlength=n_people)
    offsets = np.zeros(n_people + 1, dtype=np.int64)
    np.cumsum(kept_count + added_count, out=offsets[1:])
    k_id = offsets[k_person] + rank
    a_person = np.asarray(added.person, dtype=np.int64)
    a_rank = np.arange(len(a_person)) - np.searchsorted(a_person, a_person, side="left")
    a_id = offsets[a_person] + kept_count[a_person] + a_rank
    a_seg = np.asarray(added.venue, dtype=np.int64) * N_TIERS + ix.stay_tiers(
        added.t_in, added.t_out)
    n = len(kept_rows) + len(a_person)
    k_t_in = np.asarray(old.v_t_in)[kept_rows]
    t_in_all = np.concatenate([k_t_in, added.t_in])
    packing = _packing(t_in_all, len(venue_ids), n)
    if packing is None:  # no packed key (times finer than ms, or too many bits): sort all
        order = np.argsort(np.concatenate([k_id, a_id]), kind="stable")

        def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.concatenate([a, b])[order]

        return VisitGraph.from_codes(
            person=cat(k_person, a_person), person_ids=person_ids,
            venue=cat(k_seg // N_TIERS, a_seg // N_TIERS), venue_ids=venue_ids,
            venues=venues, t_in=cat(k_t_in, added.t_in),
            t_out=cat(np.asarray(old.v_t_out)[kept_rows], added.t_out),
            source=cat(np.asarray(old.v_source)[kept_rows], added.source),
            dwell=old.dwell, zone=old.zone)
    t0, unit, bits_t, bits_i = packing
    k_key = _keys(k_seg, k_t_in, k_id, t0, unit, bits_t, bits_i)  # sorted already
    a_key = _keys(a_seg, added.t_in, a_id, t0, unit, bits_t, bits_i)
    a_order = np.argsort(a_key)  # keys are unique: they end in the visit id
    at = np.searchsorted(k_key, a_key[a_order]) + np.arange(len(a_key))
    is_added = np.zeros(n, dtype=bool)
    is_added[at] = True
    stay = np.flatnonzero(~is_added)  # where the kept visits go, in their order

    def place(kept: np.ndarray, new: np.ndarray, dtype: Any) -> np.ndarray:
        out = np.empty(n, dtype=dtype)
        out[stay] = kept
        out[at] = new[a_order]
        return out

    itype = np.int32 if n < 2**31 else np.int64
    key = place(k_key, a_key, np.uint64)
    ids = place(k_id, a_id, np.int64)
    v_t_in = place(k_t_in, added.t_in, np.int64)
    v_t_out = place(np.asarray(old.v_t_out)[kept_rows], added.t_out, np.int64)
    key >>= np.uint64(bits_i)  # the seek keys: segment and entry unit
    seek = ix.Seek(key, t0, unit, bits_t)
    segment_offsets = seek.offsets(len(venue_ids) * N_TIERS)
    p_pos = np.empty(n, dtype=itype)
    p_pos[ids] = np.arange(n, dtype=itype)
    return VisitGraph(
        venue_ids=venue_ids, person_ids=person_ids, segment_offsets=segment_offsets,
        v_person=place(k_person, a_person, itype), v_t_in=v_t_in, v_t_out=v_t_out,
        v_visit_id=None,
        v_source=place(np.asarray(old.v_source)[kept_rows], added.source, np.int8),
        person_offsets=offsets, p_pos=p_pos, venues=venues, dwell=old.dwell, seek=seek,
        zone=old.zone, person_take=person_take)
