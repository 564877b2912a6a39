"""A store's visit graph in two layers: the base an ingest wrote, and what appends rebuilt since.

A day's append rebuilds the visits of the people who scanned that day, from their tail on
(:mod:`tracelab.index.county_update`). Merged into the one graph of the store, those few
visits move every row of every array: the append would rewrite the whole index (645 MB
at 270,000 people) for one day. A :class:`LayeredGraph` keeps the base graph's files as
they are and holds the rebuilt visits in a second, small graph, the layer:

- the base's visits of a person ``p`` entering at or after ``since[p]`` were rebuilt (their
  tail): no query returns them;
- every other base visit of ``p`` comes before all of the layer's visits of ``p``, since a
  tail starts at ``since[p]`` or later. The person order is the base's kept visits, then
  the layer's.

It answers every query of :class:`~tracelab.index.graph.VisitGraph` as the one graph
of both (:meth:`LayeredGraph.compacted`) answers it, rows in the same order, with the
same visit ids and time range; a property test compares them. A position (``pos``) is a
base row, or ``n_base + row`` for a layer row, and row arrays such as ``v_t_in`` are
:class:`Joined` over both. Ids are the layer's, the store's codes: ``base.person_ids``
and ``base.venue_ids`` hold the store code of each base code (increasing maps).

An append merges its tails into the layer, whose size is the days since the base, not
the store (:func:`grown`); an append whose layer would pass :data:`COMPACT_SHARE` of the
base writes one graph again, as an ingest does.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from tracelab.index import kernels as ix
from tracelab.index.graph import VisitGraph
from tracelab.index.kernels import N_TIERS
from tracelab.index.merge import Added, merged
from tracelab.index.mmap import load_array, open_graph, save_array, save_graph

__all__ = ["LayeredGraph", "Joined", "grown", "save_layered", "open_layered",
           "last_entry_before", "COMPACT_SHARE", "LAYER"]

#: The layer's size, as a share of the base's kept visits, past which an append writes one
#: graph. An append's merge costs in proportion to the layer, a compaction to the store:
#: per append, ``a + b * share * n / 2 + c * day / share`` is least near
#: ``sqrt(2 * day / n)``, about a half for a week's store and a third for two weeks'.
COMPACT_SHARE = 0.5
#: The layer's folder inside a graph's folder.
LAYER = "layer"
_NEVER = np.iinfo(np.int64).max
_Bounds = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class Joined:
    """``np.concatenate([first, second])`` read by position, without the copy.

    Values of `first` go through `lookup` when given (a base's codes to the store's).

    Examples
    --------
    >>> j = Joined(np.array([0, 1]), np.array([7, 8, 9]), lookup=np.array([5, 6]))
    >>> len(j), j[np.array([4, 0, 2])].tolist(), np.asarray(j).tolist()
    (5, [9, 5, 7], [5, 6, 7, 8, 9])
    """

    def __init__(self, first: Any, second: Any, lookup: np.ndarray | None = None) -> None:
        self.first, self.second, self.lookup = first, second, lookup
        self.split = len(first)
        self.dtype = np.dtype(second.dtype)

    def __len__(self) -> int:
        return self.split + len(self.second)

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def _first(self, pos: Any) -> np.ndarray:
        got = np.asarray(self.first[pos])
        return got if self.lookup is None else np.asarray(self.lookup[got])

    def __getitem__(self, pos: Any) -> Any:
        if isinstance(pos, slice):
            pos = np.arange(len(self))[pos]
        pos = np.asarray(pos)
        if pos.dtype == bool:
            pos = np.flatnonzero(pos)
        if pos.ndim == 0:
            at = int(pos)
            return (self._first(at) if at < self.split else self.second[at - self.split])
        low = pos < self.split
        if low.all():
            return self._first(pos).astype(self.dtype, copy=False)
        if not low.any():
            return np.asarray(self.second[pos - self.split])
        out = np.empty(len(pos), dtype=self.dtype)
        out[low] = self._first(pos[low])
        out[~low] = self.second[pos[~low] - self.split]
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = np.concatenate([self._first(slice(None)).astype(self.dtype, copy=False),
                                np.asarray(self.second)])
        return whole if dtype is None else whole.astype(dtype, copy=False)


def _empty_like(graph: VisitGraph) -> VisitGraph:
    """A graph without visits over `graph`'s ids and venue table."""
    none = np.zeros(0, dtype=np.int64)
    return VisitGraph.from_codes(
        person=none, person_ids=graph.person_ids, venue=none, venue_ids=graph.venue_ids,
        venues=graph.venues, t_in=none, t_out=none, source=np.zeros(0, np.int8),
        dwell=graph.dwell, zone=graph.zone)


def _rebased(base: VisitGraph, person_map: np.ndarray, venue_map: np.ndarray,
             venues: pd.DataFrame) -> VisitGraph:
    """`base`'s arrays under new ids: each base code's store code (increasing maps)."""
    return VisitGraph(
        venue_ids=venue_map, person_ids=person_map, segment_offsets=base.segment_offsets,
        v_person=base.v_person, v_t_in=base.v_t_in, v_t_out=base.v_t_out,
        v_visit_id=base._v_visit_id, v_source=base.v_source,
        person_offsets=base.person_offsets, p_pos=base.p_pos,
        venues=venues.iloc[venue_map].reset_index(drop=True), dwell=base.dwell,
        seek=base._seek, zone=base.zone, segment_max_stay=base.segment_max_stay,
        v_venue_code=base.v_venue_code, time_range=base.time_range())


class LayeredGraph(VisitGraph):
    """A base graph with a layer of rebuilt visits, queried as the one graph of both.

    Parameters
    ----------
    base : VisitGraph
        Its ``person_ids`` and ``venue_ids`` are the store's codes of its codes.
    layer : VisitGraph
        Over the store's ids and venue table; numbered in person order.
    since : numpy.ndarray
        Per base person: its base visits entering then or later were rebuilt.
    offsets : numpy.ndarray
        Per store person, where its visits start in the person order of both (the one
        graph's ``person_offsets``).
    time_range : tuple of int
        The one graph's earliest entry and latest exit.
    """

    def __init__(self, base: VisitGraph, layer: VisitGraph, *, since: np.ndarray,
                 offsets: np.ndarray, time_range: tuple[int, int]) -> None:
        # Not VisitGraph.__init__: the ids, venue table and their lookups are the layer's,
        # the rows both graphs'; nothing is computed over every visit.
        self.base, self.layer, self.since = base, layer, since
        self.person_offsets = offsets
        self.n_base = base.n_visits
        for name in ("venue_ids", "person_ids", "venues", "dwell", "zone", "venue_type_array",
                     "venue_residence", "_person_take", "_venue_take", "_venue_index",
                     "_person_dense", "_venue_dense"):
            setattr(self, name, getattr(layer, name))
        self._person_index = None
        self._type_masks = {}
        self._time_range = time_range
        self._v_visit_id = None
        self._seek = None
        self.p_map = np.asarray(base.person_ids, dtype=np.int64)
        self.v_map = np.asarray(base.venue_ids, dtype=np.int64)
        p_lookup = None if base._person_dense else self.p_map
        v_lookup = None if base._venue_dense else self.v_map
        # Typed as arrays for the engine, which only reads them by position.
        self.v_t_in = cast(np.ndarray, Joined(base.v_t_in, layer.v_t_in))
        self.v_t_out = cast(np.ndarray, Joined(base.v_t_out, layer.v_t_out))
        self.v_source = cast(np.ndarray, Joined(base.v_source, layer.v_source))
        self.v_person = cast(np.ndarray, Joined(base.v_person, layer.v_person, p_lookup))
        self.v_venue_code = cast(np.ndarray, Joined(base._venue_of(), layer._venue_of(),
                                                    v_lookup))

    def __repr__(self) -> str:
        return (f"LayeredGraph({self.n_visits} visits: {self.layer.n_visits} in the layer, "
                f"{len(self.person_ids)} people, {len(self.venue_ids)} venues, "
                f"dwell={self.dwell!r})")

    # -- what the one graph would hold ------------------------------------------------
    @property
    def n_visits(self) -> int:
        return int(self.person_offsets[-1])

    @cached_property
    def kept(self) -> np.ndarray:
        """Per store person, base visits still in force (the first ones in person order)."""
        return np.diff(np.asarray(self.person_offsets)) - np.diff(
            np.asarray(self.layer.person_offsets))

    @cached_property
    def _p_inv(self) -> np.ndarray:
        """Base code of each store person code (-1: not in the base)."""
        inv = np.full(len(self.person_ids), -1, dtype=np.int64)
        inv[self.p_map] = np.arange(len(self.p_map))
        return inv

    @cached_property
    def _v_inv(self) -> np.ndarray:
        inv = np.full(len(self.venue_ids), -1, dtype=np.int64)
        inv[self.v_map] = np.arange(len(self.v_map))
        return inv

    @cached_property
    def _since_min(self) -> int:
        return int(self.since.min()) if len(self.since) else _NEVER

    @property
    def nbytes(self) -> int:
        return self.base.nbytes + self.layer.nbytes + self.since.nbytes + int(
            np.asarray(self.person_offsets).nbytes)

    @property
    def v_visit_id(self) -> np.ndarray:
        """Visit id of each row (-1 for a base row that was rebuilt)."""
        if self._v_visit_id is None:
            pos = np.arange(len(self.v_t_in))
            ids = self.visit_ids(pos)
            ids[:self.n_base][~self._alive(pos[:self.n_base])] = -1
            self._v_visit_id = ids
        return self._v_visit_id

    def visit_ids(self, pos: np.ndarray) -> np.ndarray:
        """Visit ids of rows ``pos`` in the one graph's person order."""
        pos = np.asarray(pos, dtype=np.int64)
        out = np.empty(len(pos), dtype=np.int64)
        low = pos < self.n_base
        offsets = np.asarray(self.person_offsets)
        if low.any():
            rows = pos[low]
            code = np.asarray(self.base.v_person[rows], dtype=np.int64)
            out[low] = (self.base.visit_ids(rows) - np.asarray(self.base.person_offsets)[code]
                        + offsets[self.p_map[code]])
        if not low.all():
            rows = pos[~low] - self.n_base
            code = np.asarray(self.layer.v_person[rows], dtype=np.int64)
            out[~low] = (self.layer.visit_ids(rows)
                         - np.asarray(self.layer.person_offsets)[code]
                         + offsets[code] + self.kept[code])
        return out

    def row_venues(self, pos: np.ndarray) -> np.ndarray:
        return np.asarray(self._venue_of()[pos])

    def _venue_of(self) -> np.ndarray:
        assert self.v_venue_code is not None  # set at construction
        return self.v_venue_code

    def _alive(self, rows: np.ndarray) -> np.ndarray:
        """Whether base rows are in force (not rebuilt in the layer)."""
        t_in = np.asarray(self.base.v_t_in[rows])
        alive = t_in < self._since_min  # older than every tail: the most of a query
        check = np.flatnonzero(~alive)
        if len(check):
            who = np.asarray(self.base.v_person[rows[check]])
            alive[check] = t_in[check] < self.since[who]
        return alive

    def in_venue_order(self, pos: np.ndarray) -> np.ndarray:
        pos = np.sort(np.asarray(pos, dtype=np.int64))
        t_in, t_out = self.v_t_in[pos], self.v_t_out[pos]
        order = np.lexsort((self.v_person[pos], t_in, ix.stay_tiers(t_in, t_out),
                            self._venue_of()[pos]))
        return pos[order]

    def visits(self) -> pd.DataFrame:
        rows = np.arange(self.n_base)
        pos = np.concatenate([rows[self._alive(rows)],
                              np.arange(self.layer.n_visits) + self.n_base])
        pos = self.in_venue_order(pos)
        return self._frame(np.zeros(len(pos), np.int64), pos).drop(columns="query")

    # -- queries -----------------------------------------------------------------------
    def query_of(self, person: np.ndarray, start: np.ndarray, end: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        person = np.asarray(person, dtype=np.int64)
        w_layer, p_layer = self.layer.query_of(person, start, end)
        code = _lookup(self._p_inv, person)
        ok = code >= 0
        lo = np.zeros(len(person), dtype=np.int64)
        lo[ok] = np.asarray(self.base.person_offsets)[code[ok]]
        hi = lo.copy()
        hi[ok] += self.kept[person[ok]]
        idx, which = ix.ranges(lo, hi)
        pos = np.asarray(self.base.p_pos[idx], dtype=np.int64)
        keep = ((np.asarray(self.base.v_t_in[pos]) <= end[which])
                & (np.asarray(self.base.v_t_out[pos]) >= start[which]))
        which = np.concatenate([which[keep], w_layer])
        pos = np.concatenate([pos[keep], p_layer + self.n_base])
        order = np.argsort(which, kind="stable")  # a person's kept visits, then the layer's
        return which[order], pos[order]

    def _parts(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray
               ) -> tuple[_Bounds, _Bounds]:
        venue = np.asarray(venue, dtype=np.int64)
        in_base = _lookup(self._v_inv, venue)
        return (self.base.sub_bounds(in_base, start, end),
                self.layer.sub_bounds(venue, start, end))

    def _merged(self, base: _Bounds, layer: _Bounds) -> tuple[np.ndarray, np.ndarray]:
        """The candidates of both parts in the one graph's order: window, tier, entry, id."""
        w_b, s_b, lo_b, hi_b = base
        w_l, s_l, lo_l, hi_l = layer
        p_b, i_b = ix.ranges(lo_b, hi_b)
        keep = self._alive(p_b)
        p_b, i_b = p_b[keep], i_b[keep]
        p_l, i_l = ix.ranges(lo_l, hi_l)
        if not len(p_l):
            return w_b[i_b], p_b
        if not len(p_b):
            return w_l[i_l], p_l + self.n_base
        which = np.concatenate([w_b[i_b], w_l[i_l]])
        sub = which * N_TIERS + np.concatenate([s_b[i_b], s_l[i_l]]) % N_TIERS
        t_in = np.concatenate([np.asarray(self.base.v_t_in[p_b]),
                               np.asarray(self.layer.v_t_in[p_l])])
        # Ties of entry are in visit id order, which is person order across the parts
        # (one person's rows are all in one part: kept visits end before a tail starts).
        person = np.concatenate([np.asarray(self.v_person[p_b]),
                                 np.asarray(self.layer.v_person[p_l])])
        order = np.lexsort((person, t_in, sub))
        return which[order], np.concatenate([p_b, p_l + self.n_base])[order]

    def candidates_at(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        return self._merged(*self._parts(venue, start, end))

    def candidate_blocks(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray,
                         size: int = 1 << 16) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        base, layer = self._parts(venue, start, end)
        n = len(venue)
        per = (np.bincount(base[0], weights=base[3] - base[2], minlength=n)
               + np.bincount(layer[0], weights=layer[3] - layer[2], minlength=n))
        total = np.cumsum(per)
        if not n or total[-1] <= size:
            yield self._merged(base, layer)
            return
        cuts = np.unique(np.searchsorted(total, np.arange(size, total[-1], size),
                                         side="right"))
        for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), n], strict=True):
            yield self._merged(*(_windows(part, a, b) for part in (base, layer)))

    def time_range(self) -> tuple[int, int]:
        assert self._time_range is not None  # given at construction
        return self._time_range

    # -- back to one graph ---------------------------------------------------------------
    def compacted(self) -> VisitGraph:
        """The one graph of both parts, as ``VisitGraph.from_codes`` would build it."""
        base = self.base
        keep = np.asarray(base.v_t_in) < self.since[np.asarray(base.v_person)]
        return merged(base, keep=keep, person_map=self.p_map, person_ids=self.person_ids,
                      venue_map=self.v_map, venue_ids=self.venue_ids, venues=self.venues,
                      added=_in_person_order(self.layer), person_take=self._person_take)


def _lookup(inverse: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``inverse[codes]``, -1 where a code is -1."""
    found = np.full(len(codes), -1, dtype=np.int64)
    ok = codes >= 0
    found[ok] = inverse[codes[ok]]
    return found


def _windows(part: _Bounds, a: int, b: int) -> _Bounds:
    """The sub-queries of windows ``a`` to ``b - 1`` (they run by window)."""
    lo, hi = np.searchsorted(part[0], [a, b])
    w, s, x, y = part
    return w[lo:hi], s[lo:hi], x[lo:hi], y[lo:hi]


def _in_person_order(graph: VisitGraph) -> Added:
    rows = np.asarray(graph.p_pos)
    return Added(np.asarray(graph.v_person)[rows], np.asarray(graph._venue_of())[rows],
                 np.asarray(graph.v_t_in)[rows], np.asarray(graph.v_t_out)[rows],
                 np.asarray(graph.v_source)[rows])


def grown(current: VisitGraph, *, since: np.ndarray, person_map: np.ndarray,
          person_ids: np.ndarray, venue_map: np.ndarray, venue_ids: np.ndarray,
          venues: pd.DataFrame, added: Added, person_take: Any = None,
          compact_share: float | None = None) -> VisitGraph:
    """`current` with each person's visits from ``since[p]`` on replaced by `added`.

    Parameters
    ----------
    current : VisitGraph or LayeredGraph
        A store's graph.
    since : numpy.ndarray
        Per person code of `current` (``_NEVER``: untouched).
    person_map, venue_map : numpy.ndarray
        The new code of each of `current`'s codes (increasing).
    person_ids, venue_ids, venues
        The new ids and venue table.
    added : Added
        The rebuilt visits, in person order, under the new codes.
    compact_share : float, optional
        Default :data:`COMPACT_SHARE`.

    Returns
    -------
    VisitGraph
        A :class:`LayeredGraph` whose layer took the visits; one graph (as ``merged``
        builds it) when the layer would pass `compact_share` of the base.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:15"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["p1", "p2"], "venue_id": ["V1", "V1"],
    ...                       "scanned_at": t})
    >>> base = VisitGraph.from_scans(scans, pd.DataFrame({"venue_id": ["V1"],
    ...                                                   "venue_type": ["supermarket"]}))
    >>> day = pd.Timestamp("2022-11-21 02:00", tz="UTC").value  # p1 comes back
    >>> added = Added(np.array([0]), np.array([0]), np.array([day]),
    ...               np.array([day + 600 * 10**9]), np.array([-1], dtype=np.int8))
    >>> g = grown(base, since=np.array([day, _NEVER]), person_map=np.arange(2),
    ...           person_ids=base.person_ids, venue_map=np.arange(1),
    ...           venue_ids=base.venue_ids, venues=base.venues, added=added)
    >>> g
    LayeredGraph(3 visits: 1 in the layer, 2 people, 1 venues, dwell='estimated_dwell')
    >>> g.visits_of(["p1"], (t[:1], [day]))["t_in"].tolist() == [t[0], pd.Timestamp(day, tz="UTC")]
    True
    """
    if isinstance(current, LayeredGraph):
        base, layer = current.base, current.layer
        base_since, p_map, v_map = current.since, current.p_map, current.v_map
    else:
        base, layer = current, _empty_like(current)
        base_since = np.full(len(current.person_ids), _NEVER, dtype=np.int64)
        p_map = np.arange(len(current.person_ids), dtype=np.int64)
        v_map = np.arange(len(current.venue_ids), dtype=np.int64)
    keep = np.asarray(layer.v_t_in) < since[np.asarray(layer.v_person)]
    new_layer = merged(layer, keep=keep, person_map=person_map, person_ids=person_ids,
                       venue_map=venue_map, venue_ids=venue_ids, venues=venues, added=added,
                       person_take=person_take)
    base_since = np.minimum(base_since, since[p_map])
    p_map, v_map = person_map[p_map], venue_map[v_map]
    base = _rebased(base, p_map, v_map, venues)
    offsets = np.asarray(base.person_offsets)
    kept = np.diff(offsets)
    cut = np.flatnonzero(base_since < _NEVER)
    kept[cut] = ix.first_at_or_after(offsets, base.p_pos, base.v_t_in, cut,
                                     base_since[cut]) - offsets[cut]
    counts = np.diff(np.asarray(new_layer.person_offsets))
    counts[p_map] += kept
    person_offsets = np.zeros(len(person_ids) + 1, dtype=np.int64)
    np.cumsum(counts, out=person_offsets[1:])
    layered = LayeredGraph(base, new_layer, since=base_since, offsets=person_offsets,
                           time_range=_time_range(base, new_layer, base_since, kept))
    share = COMPACT_SHARE if compact_share is None else compact_share
    if new_layer.n_visits > share * max(int(kept.sum()), 1):
        return layered.compacted()
    return layered


def _time_range(base: VisitGraph, layer: VisitGraph, since: np.ndarray, kept: np.ndarray
                ) -> tuple[int, int]:
    """Earliest entry and latest exit of the base's kept visits and the layer's.

    The base's own range holds unless its first entry or last exit was rebuilt; only then
    are its visits read.
    """
    lows, highs = [], []
    if layer.n_visits:
        lows.append(layer.time_range()[0])
        highs.append(layer.time_range()[1])
    if kept.sum():
        # A person's first visit is their earliest, and it is kept if any is.
        starts = np.asarray(base.person_offsets)[:-1][kept > 0]
        lows.append(int(np.asarray(base.v_t_in)[np.asarray(base.p_pos)[starts]].min()))
        last = base.time_range()[1]
        if not highs or last > highs[0]:  # the base's last exit may have been rebuilt
            alive = np.asarray(base.v_t_in) < since[np.asarray(base.v_person)]
            last = int(np.max(np.asarray(base.v_t_out), where=alive, initial=-_NEVER))
        highs.append(last)
    return (min(lows), max(highs)) if lows else (0, 0)


def last_entry_before(graph: VisitGraph, person: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Each `person`'s (code) latest entry before `when` in `graph`, ``_NEVER`` if none.

    In a :class:`LayeredGraph`, the layer's visits of a person come after their kept base
    visits: the base is searched (its kept visits only) for those the layer has none for.
    """
    if not isinstance(graph, LayeredGraph):
        return ix.last_before(graph.person_offsets, graph.p_pos, graph.v_t_in, person, when)
    layer, base = graph.layer, graph.base
    last = ix.last_before(layer.person_offsets, layer.p_pos, layer.v_t_in, person, when)
    rest = np.flatnonzero(last == _NEVER)
    code = graph._p_inv[person[rest]]
    rest, code = rest[code >= 0], code[code >= 0]
    offsets = np.asarray(base.person_offsets)
    last[rest] = ix.last_before(offsets, base.p_pos, base.v_t_in, code, when[rest],
                                hi=offsets[code] + graph.kept[person[rest]])
    return last


def save_layered(graph: LayeredGraph, folder: Path) -> dict[str, Any]:
    """Write `graph` into `folder`: the base's files (linked), the layer and the maps."""
    meta = save_graph(graph.base, folder)
    meta[LAYER] = save_graph(graph.layer, folder / LAYER)
    for name, array in (("base_people", graph.p_map), ("base_venues", graph.v_map),
                        ("since", graph.since), ("offsets", graph.person_offsets)):
        save_array(folder / LAYER / f"{name}.npy", np.asarray(array))
    meta[LAYER].update(merged_time_range=list(graph.time_range()),
                       merged_visits=graph.n_visits)
    return meta


def open_layered(folder: Path, meta: dict[str, Any], *, person_ids: np.ndarray,
                 person_take: Any, venue_ids: np.ndarray, venues: pd.DataFrame,
                 mmap: bool = True) -> LayeredGraph:
    """The graph :func:`save_layered` wrote, its arrays memory-mapped."""
    part = meta[LAYER]
    layer = open_graph(folder / LAYER, part, person_ids=person_ids, person_take=person_take,
                       venue_ids=venue_ids, venues=venues, mmap=mmap)
    p_map = load_array(folder / LAYER / "base_people.npy", mmap=False)
    v_map = load_array(folder / LAYER / "base_venues.npy", mmap=False)
    base = open_graph(folder, meta, person_ids=p_map, person_take=None, venue_ids=v_map,
                      venues=venues.iloc[v_map].reset_index(drop=True), mmap=mmap)
    start, end = part["merged_time_range"]
    return LayeredGraph(base, layer, since=load_array(folder / LAYER / "since.npy", mmap=mmap),
                        offsets=load_array(folder / LAYER / "offsets.npy", mmap=mmap),
                        time_range=(int(start), int(end)))
