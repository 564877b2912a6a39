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

_MAX = np.iinfo(np.int64).max
_MIN = np.iinfo(np.int64).min
_UNITS = (1_000_000_000, 1_000_000)  # kernels._unit's: whole seconds, else milliseconds

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
    return _bits(t0, ix._unit(t_in, t0), int(t_in.max()), n_venues, n)


def _bits(t0: int, unit: int | None, t_max: int, n_venues: int, n: int
          ) -> tuple[int, int, int, int] | None:
    """The packing of entries ``t0..t_max`` in whole `unit`s, as :func:`_packing` gives it."""
    bits_s = max(1, int(n_venues * N_TIERS - 1).bit_length())
    bits_t = max(1, ((t_max - t0) // (unit or 1)).bit_length())
    bits_i = max(1, int(n - 1).bit_length())
    if unit is None or bits_s + bits_t + bits_i > 64:
        return None
    return t0, unit, bits_t, bits_i


def _kept_packing(old: VisitGraph, keep: np.ndarray, added: Added, n_venues: int, n: int
                  ) -> tuple[int, int, int, int] | None:
    """:func:`_packing` of the kept and added entries, without a pass over all of them.

    The old graph's seek index says every old entry is a whole number of its units from
    its ``t0``: the kept ones stay so from a new ``t0`` whole units away, and only the
    added entries are checked. Entries in milliseconds may all be whole seconds once some
    are dropped: that case checks them all, as :func:`_packing` does.
    """
    v_t_in = np.asarray(old.v_t_in)
    any_kept = bool(keep.any())
    lo = [int(np.min(v_t_in, where=keep, initial=_MAX))] if any_kept else []
    hi = [int(np.max(v_t_in, where=keep, initial=_MIN))] if any_kept else []
    if len(added.t_in):
        lo.append(int(added.t_in.min()))
        hi.append(int(added.t_in.max()))
    if not lo:
        return None
    t0, seek = min(lo), old._seek
    if seek is None or seek.unit != max(_UNITS):
        return _packing(np.concatenate([v_t_in[keep], added.t_in]), n_venues, n)
    unit: int | None = seek.unit
    if (t0 - seek.t0) % seek.unit or (len(added.t_in) and ix._unit(added.t_in, t0) != unit):
        unit = ix._unit(np.concatenate([v_t_in[keep], added.t_in]), t0)
    return _bits(t0, unit, max(hi), n_venues, n)


def _keys(segment: np.ndarray, t_in: np.ndarray, row: np.ndarray, t0: int, unit: int,
          bits_t: int, bits_i: int) -> np.ndarray:
    key = segment.astype(np.uint64) << np.uint64(bits_t)
    key |= ((t_in - t0) // unit).astype(np.uint64)
    key <<= np.uint64(bits_i)
    key |= row.astype(np.uint64)
    return key


def _kept_seek(old: VisitGraph, kept_rows: np.ndarray, venue_map: np.ndarray,
               t0: int, unit: int, bits_t: int) -> np.ndarray:
    """The seek keys (segment, entry unit) of the kept rows under the new packing, sorted."""
    seek = old._seek
    same_venues = len(venue_map) == len(old.venue_ids) and bool(
        np.array_equal(venue_map, np.arange(len(venue_map))))
    if seek is not None and same_venues and (seek.t0, seek.unit) == (t0, unit):
        keys = np.take(np.asarray(seek.keys), kept_rows)
        if seek.bits_t != bits_t:  # a longer time range: the entry takes more bits
            mask = np.uint64((1 << seek.bits_t) - 1)
            units = keys & mask
            keys >>= np.uint64(seek.bits_t)
            keys <<= np.uint64(bits_t)
            keys |= units
        return keys
    segment = np.repeat(np.arange(len(old.segment_offsets) - 1, dtype=np.int64),
                        np.diff(np.asarray(old.segment_offsets)))[kept_rows]
    if not same_venues:
        segment = venue_map[segment // N_TIERS] * N_TIERS + segment % N_TIERS
    keys = segment.astype(np.uint64) << np.uint64(bits_t)
    keys |= ((np.take(np.asarray(old.v_t_in), kept_rows) - t0) // unit).astype(np.uint64)
    return keys


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

    Notes
    -----
    The kept rows keep their order (codes are remapped in order), so their sort keys are
    the old graph's seek keys, taken as they are when the venues and the time packing
    did not change. Each added visit's place among them is a binary search on those
    keys; only a run of kept visits with the same segment and entry unit (a tie) is
    searched again on the visit ids. Every output array is then filled once: the kept
    rows in their order, the added ones at their places.
    """
    kept_rows = np.flatnonzero(keep)
    old_person = np.asarray(old.v_person)
    k_old_person = np.take(old_person, kept_rows)
    n_old_people = len(old.person_offsets) - 1
    old_start = np.asarray(old.person_offsets)[:-1]
    n_people = len(person_ids)
    # New code and visit id of each kept visit: its old id moved by its person's shift.
    kept_old = np.bincount(k_old_person, minlength=n_old_people)
    has = kept_old > 0
    kept_count = np.zeros(n_people, dtype=np.int64)
    kept_count[person_map[has]] = kept_old[has]
    added_count = np.bincount(added.person, minlength=n_people)
    offsets = np.zeros(n_people + 1, dtype=np.int64)
    np.cumsum(kept_count + added_count, out=offsets[1:])
    move = np.zeros(n_old_people, dtype=np.int64)
    move[has] = offsets[person_map[has]] - old_start[has]
    if shift is not None:
        move -= shift
    k_id = np.take(_visit_ids(old), kept_rows)
    k_id += np.take(move, k_old_person)
    a_person = np.asarray(added.person, dtype=np.int64)
    a_rank = np.arange(len(a_person)) - np.searchsorted(a_person, a_person, side="left")
    a_id = offsets[a_person] + kept_count[a_person] + a_rank
    a_seg = np.asarray(added.venue, dtype=np.int64) * N_TIERS + ix.stay_tiers(
        added.t_in, added.t_out)
    n = len(kept_rows) + len(a_person)
    packing = _kept_packing(old, keep, added, len(venue_ids), n)
    if packing is None:  # no packed key (times finer than ms, or too many bits): sort all
        order = np.argsort(np.concatenate([k_id, a_id]), kind="stable")
        k_person = person_map[k_old_person]
        k_venue = np.repeat(np.arange(len(old.venue_ids), dtype=np.int64),
                            np.diff(np.asarray(old.venue_offsets)))[kept_rows]

        def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.concatenate([a, b])[order]

        return VisitGraph.from_codes(
            person=cat(k_person, a_person), person_ids=person_ids,
            venue=cat(venue_map[k_venue], a_seg // N_TIERS), venue_ids=venue_ids,
            venues=venues, t_in=cat(np.take(np.asarray(old.v_t_in), kept_rows), added.t_in),
            t_out=cat(np.take(np.asarray(old.v_t_out), kept_rows), added.t_out),
            source=cat(np.take(np.asarray(old.v_source), kept_rows), added.source),
            dwell=old.dwell, zone=old.zone)
    t0, unit, bits_t, bits_i = packing
    k_seek = _kept_seek(old, kept_rows, venue_map, t0, unit, bits_t)
    a_key = _keys(a_seg, added.t_in, a_id, t0, unit, bits_t, bits_i)
    a_order = np.argsort(a_key)  # keys are unique: they end in the visit id
    a_seek = a_key[a_order] >> np.uint64(bits_i)
    a_id = a_id[a_order]
    at = np.searchsorted(k_seek, a_seek, side="left")
    end = np.searchsorted(k_seek, a_seek, side="right")
    tie = np.flatnonzero(at < end)
    if len(tie):  # the same segment and entry unit: the visit id decides
        at[tie] = ix.segment_search(k_id, at[tie], end[tie], a_id[tie], "left")
    at += np.arange(len(at))
    is_added = np.zeros(n, dtype=bool)
    is_added[at] = True
    stay = np.flatnonzero(~is_added)  # where the kept visits go, in their order
    itype = np.int32 if n < 2**31 else np.int64

    def place(kept: np.ndarray, new: np.ndarray, dtype: Any) -> np.ndarray:
        array = np.empty(n, dtype=dtype)
        array[stay] = kept
        array[at] = new
        return array

    def take(name: str, new: np.ndarray, dtype: Any) -> np.ndarray:
        return place(np.take(np.asarray(getattr(old, name)), kept_rows), new[a_order], dtype)

    same_people = n_people == n_old_people and bool(
        np.array_equal(person_map, np.arange(n_people)))
    v_person = place(k_old_person if same_people else np.take(person_map, k_old_person),
                     a_person[a_order], itype)
    del k_old_person
    seek = ix.Seek(place(k_seek, a_seek, np.uint64), t0, unit, bits_t)
    del k_seek
    p_pos = np.empty(n, dtype=itype)
    p_pos[k_id] = stay
    p_pos[a_id] = at
    return VisitGraph(
        venue_ids=venue_ids, person_ids=person_ids,
        segment_offsets=seek.offsets(len(venue_ids) * N_TIERS),
        v_person=v_person, v_t_in=take("v_t_in", added.t_in, np.int64),
        v_t_out=take("v_t_out", added.t_out, np.int64), v_visit_id=None,
        v_source=take("v_source", added.source, np.int8),
        person_offsets=offsets, p_pos=p_pos, venues=venues, dwell=old.dwell, seek=seek,
        zone=old.zone, person_take=person_take)


def _visit_ids(graph: VisitGraph) -> np.ndarray:
    """Each venue-ordered row's visit id (int64): the graph's own, else p_pos inverted."""
    if graph._v_visit_id is not None:
        return np.asarray(graph._v_visit_id)
    p_pos = np.asarray(graph.p_pos)
    ids = np.empty(len(p_pos), dtype=np.int64)
    ids[p_pos] = np.arange(len(p_pos), dtype=np.int64)
    return ids

