"""The person–venue temporal graph: columnar visit arrays indexed by venue and by person.

``VisitGraph`` keeps every visit once, as numpy arrays sorted by (venue, t_in) with CSR
venue offsets, and a permutation sorted by (person, t_in) with person offsets; ids are
integer-coded and times are int64 nanoseconds UTC. It answers the two questions an
exposure engine asks (DESIGN §5) — visits at these venues in these windows, visits of
these people in these windows — declared by :class:`VisitSource`, so a Spark source can
answer them too. networkx is for the (small) results: :meth:`VisitGraph.to_networkx` and
:func:`contact_graph` follow networkx's bipartite conventions (STYLE rule 8).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab._atomic import fault_point
from tracelab._validate import require_columns
from tracelab.index import kernels as ix
from tracelab.index.kernels import N_TIERS
from tracelab.index.presence import venue_table, visits
from tracelab.model import schema as s
from tracelab.model.rules import DWELL_MODES, Rule, as_rule

if TYPE_CHECKING:  # networkx is imported where a graph is exported: a trace never needs it
    import networkx as nx

__all__ = ["VisitSource", "VisitGraph", "contact_graph", "QUERY"]

#: Column of a query answer: position of the window in the request (int64).
QUERY = "query"

_MAX = np.iinfo(np.int64).max
_SMALL_LOOKUP = 1000  # up to this many string ids, bisection beats building an Index


def _as_ns(values: Any) -> np.ndarray:
    """Instants as int64 ns UTC; refuse naive times (a day bucket would shift 8 h)."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype):
        idx = pd.DatetimeIndex(values)
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "iu":
            return arr.astype(np.int64)
        idx = pd.DatetimeIndex(np.atleast_1d(values) if arr.ndim == 0 else values)
    if idx.tz is None:
        raise ValueError("window times must be tz-aware (UTC) or int64 nanoseconds; "
                         f"got naive values such as {idx[:1].tolist()}")
    return idx.tz_convert("UTC").as_unit("ns").asi8


def query_windows(windows: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(windows, pd.DataFrame):
        starts, ends = windows.iloc[:, 0], windows.iloc[:, 1]
    else:
        starts, ends = windows
    start, end = np.atleast_1d(_as_ns(starts)), np.atleast_1d(_as_ns(ends))
    if start.shape != end.shape or (len(start) != n and len(start) != 1):
        raise ValueError(f"windows: {len(start)} starts and {len(end)} ends for {n} ids; "
                         "give one (start, end) per id or a single pair for all")
    if len(start) == 1 and n != 1:
        start, end = np.repeat(start, n), np.repeat(end, n)
    return start, end


class VisitSource(abc.ABC):
    """The two questions the exposure engine asks of a visit store.

    Both answer with every visit whose presence ``[t_in, t_out)`` touches the closed
    window ``[start, end]`` (``t_in <= end`` and ``t_out >= start``): a superset the
    engine narrows with the rule's own boundary semantics. The answer has columns
    ``query`` (position of the window in the request), ``visit_id``, ``person_id``,
    ``venue_id``, ``t_in``, ``t_out``, ``t_out_source``, sorted by query then ``t_in``.
    """

    #: Dwell assumption the intervals were built with (``Rule.dwell``).
    dwell: str
    #: The venue table (``venue_table``): types, weights, residences and places.
    venues: pd.DataFrame

    if TYPE_CHECKING:
        # Declared for the checker only, not abstract: a source that answers just the two
        # questions still serves ``sources``; ``trace`` without ``as_of`` calls this.
        def time_range(self) -> tuple[int, int]:
            """Earliest entry and latest exit, int64 ns UTC (0, 0 when empty)."""
            ...

    @abc.abstractmethod
    def visits_at(self, venues: Sequence[str], windows: Any) -> pd.DataFrame:
        """Visits at ``venues[i]`` touching window ``i`` (``(starts, ends)``)."""

    @abc.abstractmethod
    def visits_of(self, people: Sequence[str], windows: Any) -> pd.DataFrame:
        """Visits of ``people[i]`` touching window ``i`` (``(starts, ends)``)."""


class VisitGraph(VisitSource):
    """Bipartite person–venue temporal graph over columnar arrays.

    Build it with :meth:`from_scans` or :meth:`from_visits`.

    Attributes
    ----------
    venue_ids, person_ids : numpy.ndarray
        Sorted unique ids; a venue's or person's code is its position here.
    venue_offsets : numpy.ndarray
        CSR offsets: venue ``v``'s visits are rows ``venue_offsets[v]:venue_offsets[v+1]``
        of the venue-ordered arrays ``v_person``, ``v_t_in``, ``v_t_out``, ``v_visit_id``,
        sorted by stay tier then entry; ``segment_offsets`` splits each venue by tier.
    person_offsets, p_pos : numpy.ndarray
        Person ``p``'s visits, by entry time, are venue-ordered rows
        ``p_pos[person_offsets[p]:person_offsets[p+1]]``.
    segment_max_stay, venue_max_stay : numpy.ndarray
        Longest stay per (venue, tier) and per venue (ns): bounds of the search (Notes).
    venues : pandas.DataFrame
        Per venue code: ``venue_id``, ``venue_type``, ``weight``, ``residence``,
        ``lon``, ``lat`` (when given).
    dwell : str
        Dwell assumption of the intervals (``Rule.dwell``).

    Notes
    -----
    A query for venue ``v`` and window ``[a, b]`` binary-searches only ``v``'s segment,
    for entries in ``[a - max_stay, b]``, and keeps those with ``t_out >= a``. The bound is
    a per-venue maximum stay rather than a second array sorted by ``t_out``: one int64 per
    venue instead of one per visit. A single long stay would make that bound loose for a
    whole venue (heavy-tailed stays: a 10 h stay at a 30 min supermarket), so each venue's
    visits are split into stay tiers (up to 30 min, 2 h, 8 h, longer; ``TIER_EDGES``), each
    sorted by entry with its own maximum: a query scans back 30 min among the short stays
    and further only among the few long ones. When entries are whole seconds (or
    milliseconds) the sorted (segment, entry) sort key is kept too, 8 bytes a visit, so
    all bounds of a query are one ``np.searchsorted``; otherwise each segment is bisected.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:15", "2022-11-20 05:00"],
    ...                    utc=True)
    >>> scans = pd.DataFrame({"person_id": ["P1", "P2", "P3"],
    ...                       "venue_id": ["V1", "V1", "V1"], "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> g
    VisitGraph(3 visits, 3 people, 1 venues, dwell='estimated_dwell')
    >>> w = pd.to_datetime(["2022-11-20 02:20", "2022-11-20 02:40"], utc=True)
    >>> g.visits_at(["V1"], ([w[0]], [w[1]]))["person_id"].tolist()
    ['P1', 'P2']
    """

    def __init__(self, *, venue_ids: np.ndarray, person_ids: np.ndarray,
                 segment_offsets: np.ndarray, v_person: np.ndarray, v_t_in: np.ndarray,
                 v_t_out: np.ndarray, v_visit_id: np.ndarray | None, v_source: np.ndarray,
                 person_offsets: np.ndarray, p_pos: np.ndarray, venues: pd.DataFrame,
                 dwell: str, seek: ix.Seek | None = None, zone: str = s.DEFAULT_ZONE,
                 segment_max_stay: np.ndarray | None = None,
                 v_venue_code: np.ndarray | None = None,
                 time_range: tuple[int, int] | None = None,
                 person_take: Any = None) -> None:
        # The last four are derived from the others; a graph opened from files
        # (tracelab.index.mmap) passes them in rather than recomputing them.
        if dwell not in DWELL_MODES:
            raise ValueError(f"dwell={dwell!r}; allowed: {', '.join(DWELL_MODES)}")
        self.venue_ids, self.person_ids = venue_ids, person_ids
        self.segment_offsets, self.v_person = segment_offsets, v_person
        self.venue_offsets = segment_offsets[::N_TIERS]
        self.v_t_in, self.v_t_out = v_t_in, v_t_out
        # None: visits are numbered in person order (from_codes of person-ordered input),
        # so a visit's id is its place in p_pos, derived when first asked for.
        self._v_visit_id = v_visit_id
        self.v_source = v_source
        self.person_offsets, self.p_pos = person_offsets, p_pos
        self.venues, self.dwell = venues, dwell
        #: Zone in which results show times (the region's): a "why" names it.
        self.zone = zone
        self._seek = seek
        self.venue_type_array = venues[s.VENUE_TYPE].to_numpy(dtype=object)
        # String ids gathered as Arrow arrays: a C take, not one Python object per row.
        self._person_take = (person_take if person_take is not None
                             else pd.array(person_ids, dtype="str")
                             if person_ids.dtype.kind in "OU" else person_ids)
        self._venue_take = (pd.array(venue_ids, dtype="str") if venue_ids.dtype.kind in "OU"
                            else venue_ids)
        self.venue_residence = venues[s.RESIDENCE].to_numpy(dtype=bool)
        self.segment_max_stay = (segment_max_stay if segment_max_stay is not None
                                 else ix.segment_max(v_t_in, v_t_out, segment_offsets))
        self.venue_max_stay = self.segment_max_stay.reshape(-1, N_TIERS).max(axis=1)
        #: Venue code of each venue-ordered row; built on demand by _venue_of.
        self.v_venue_code: np.ndarray | None = v_venue_code
        self._person_index: pd.Index | None = None
        self._time_range: tuple[int, int] | None = time_range
        self._venue_index = pd.Index(venue_ids)
        self._type_masks: dict[frozenset[str], np.ndarray] = {}
        self._person_dense, self._venue_dense = ix.dense(person_ids), ix.dense(venue_ids)

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_scans(cls, scans: pd.DataFrame, venues: pd.DataFrame, rule: str | Rule = "twenty",
                   *, venue_types: pd.DataFrame | None = None,
                   dwell_minutes: dict[str, float] | None = None,
                   zone: str = s.DEFAULT_ZONE) -> VisitGraph:
        """Build from scans: :func:`tracelab.index.presence.visits` under ``rule``'s dwell, then index.

        ``zone`` is the region's, in which results show times.
        """
        r = as_rule(rule)
        v = visits(scans, venues, r, venue_types=venue_types, dwell_minutes=dwell_minutes)
        fault_point("index:visits")
        graph = cls.from_visits(v, venues, dwell=r.dwell, venue_types=venue_types, zone=zone)
        fault_point("index:indexed")
        return graph

    @classmethod
    def from_visits(cls, visits_frame: pd.DataFrame, venues: pd.DataFrame, *, dwell: str,
                    venue_types: pd.DataFrame | None = None,
                    zone: str = s.DEFAULT_ZONE) -> VisitGraph:
        """Index a visits frame (``schema.VISIT_COLUMNS``) built under ``dwell``.

        Person and venue ids may be strings, integers or categoricals; categoricals and
        integers index fastest. Venues without visits are kept (empty segments).
        """
        require_columns(visits_frame, (s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT), "visits")
        info = venue_table(venues, venue_types)
        t_in = _as_ns(visits_frame[s.T_IN])
        t_out = _as_ns(visits_frame[s.T_OUT])
        tier = ix.stay_tiers(t_in, t_out)
        person, person_ids = ix.codes(visits_frame[s.PERSON_ID])
        vcodes, vuniq = ix.codes(visits_frame[s.VENUE_ID])
        venue_ids = np.asarray(pd.Index(info[s.VENUE_ID]).union(pd.Index(vuniq)))
        unknown = ~pd.Index(venue_ids).isin(info[s.VENUE_ID])
        if unknown.any():
            raise ValueError(f"visits: {int(unknown.sum())} venue_id(s) not in venues, e.g. "
                             f"{list(venue_ids[unknown][:3])}")
        venue = (vcodes if np.array_equal(venue_ids, vuniq) else
                 pd.Index(venue_ids).get_indexer(pd.Index(vuniq)).astype(np.int32)[vcodes])
        src_codes = {name: i for i, name in enumerate(s.T_OUT_SOURCES)}
        source = (visits_frame[s.T_OUT_SOURCE].map(src_codes).fillna(-1).to_numpy(np.int8)
                  if s.T_OUT_SOURCE in visits_frame else np.full(len(t_in), -1, np.int8))
        return cls.from_codes(
            person=person, person_ids=person_ids, venue=venue, venue_ids=venue_ids,
            venues=info.set_index(s.VENUE_ID).reindex(venue_ids).reset_index(),
            t_in=t_in, t_out=t_out, source=source, tier=tier, dwell=dwell, zone=zone,
            visit_id=(visits_frame[s.VISIT_ID].to_numpy(np.int64)
                      if s.VISIT_ID in visits_frame else None))

    @classmethod
    def from_codes(cls, *, person: np.ndarray, person_ids: np.ndarray, venue: np.ndarray,
                   venue_ids: np.ndarray, venues: pd.DataFrame, t_in: np.ndarray,
                   t_out: np.ndarray, source: np.ndarray, dwell: str,
                   zone: str = s.DEFAULT_ZONE, visit_id: np.ndarray | None = None,
                   tier: np.ndarray | None = None) -> VisitGraph:
        """Index visits given as integer codes: what :meth:`from_visits` does after coding.

        Parameters
        ----------
        person, venue : numpy.ndarray
            Codes: positions in ``person_ids`` (sorted unique) and ``venue_ids`` (sorted
            unique, every venue of ``venues``).
        venues : pandas.DataFrame
            The venue table (:func:`tracelab.index.presence.venue_table`), one row per
            venue code in ``venue_ids`` order.
        t_in, t_out : numpy.ndarray
            int64 ns UTC.
        source : numpy.ndarray
            int8 position of each ``t_out_source`` in ``schema.T_OUT_SOURCES`` (-1: none).
        visit_id : numpy.ndarray, optional
            Default: the row number.
        tier : numpy.ndarray, optional
            Stay tiers, when the caller has them already.
        """
        tier = ix.stay_tiers(t_in, t_out) if tier is None else tier
        n = len(t_in)
        # The sort and the check whether the input already runs by person are independent.
        (order, v_t_in, seek), by_person = ix.parallel(
            lambda: ix.segment_order(venue, tier, t_in, len(venue_ids)),
            lambda: ix.sorted_by(person, t_in), rows=n)
        itype = np.int32 if n < 2**31 else np.int64

        def person_positions() -> np.ndarray:
            p_pos = np.empty(n, dtype=itype)
            if by_person:  # the input's row number is the person order
                p_pos[order] = np.arange(n, dtype=itype)
                return p_pos
            rank = np.empty(n, dtype=itype)
            rank[order] = np.arange(n, dtype=itype)
            return rank[np.lexsort((t_in, person))]

        v_person, v_t_out, p_pos = ix.parallel(
            lambda: np.take(person.astype(itype, copy=False), order),
            lambda: np.take(t_out, order), person_positions, rows=n)
        n_segments = len(venue_ids) * N_TIERS
        if seek is not None:
            segment_offsets = seek.offsets(n_segments)
        else:
            segment_offsets = np.zeros(n_segments + 1, dtype=np.int64)
            np.cumsum(np.bincount(venue * N_TIERS + tier, minlength=n_segments),
                      out=segment_offsets[1:])
        person_offsets = np.zeros(len(person_ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(person, minlength=len(person_ids)), out=person_offsets[1:])
        return cls(
            venue_ids=venue_ids, person_ids=person_ids, segment_offsets=segment_offsets,
            v_person=v_person, v_t_in=v_t_in, v_t_out=v_t_out,
            # Without visit ids, a visit is numbered by its input row: the sort order.
            v_visit_id=np.take(visit_id, order) if visit_id is not None else order,
            v_source=np.take(source, order), person_offsets=person_offsets, p_pos=p_pos,
            venues=venues, dwell=dwell, seek=seek, zone=zone,
        )

    def __repr__(self) -> str:
        return (f"VisitGraph({len(self.v_t_in)} visits, {len(self.person_ids)} people, "
                f"{len(self.venue_ids)} venues, dwell={self.dwell!r})")

    @property
    def v_visit_id(self) -> np.ndarray:
        """Visit id of each venue-ordered row (int64)."""
        if self._v_visit_id is None:
            ids = np.empty(len(self.p_pos), dtype=np.int64)
            ids[np.asarray(self.p_pos)] = np.arange(len(self.p_pos), dtype=np.int64)
            self._v_visit_id = ids
        return self._v_visit_id

    def visit_ids(self, pos: np.ndarray) -> np.ndarray:
        """Visit ids of the venue-ordered rows ``pos`` (int64).

        A few rows are looked up among their people's visits, without numbering every
        visit of the graph (a scatter over millions of rows for a query of thousands).
        """
        if self._v_visit_id is not None or len(pos) * 64 > len(self.p_pos):
            return np.asarray(self.v_visit_id[pos], dtype=np.int64)
        pos = np.asarray(pos, dtype=np.int64)
        person = np.asarray(self.v_person[pos], dtype=np.int64)
        k, which = ix.ranges(self.person_offsets[person], self.person_offsets[person + 1])
        hit = np.asarray(self.p_pos[k], dtype=np.int64) == pos[which]
        out = np.empty(len(pos), dtype=np.int64)
        out[which[hit]] = k[hit]
        return out

    @property
    def n_visits(self) -> int:
        """Number of visits."""
        return len(self.v_t_in)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays (ids and venue table excluded)."""
        arrays = (self.segment_offsets, self.v_person, self.v_t_in, self.v_t_out,
                  self.v_visit_id, self.v_source, self.person_offsets, self.p_pos,
                  self.segment_max_stay)
        seek = self._seek.keys.nbytes if self._seek is not None else 0
        return int(sum(a.nbytes for a in arrays)) + seek

    def time_range(self) -> tuple[int, int]:
        """Earliest entry and latest exit, int64 ns UTC (0, 0 when empty)."""
        if self._time_range is None:
            self._time_range = ((int(self.v_t_in.min()), int(self.v_t_out.max()))
                                if self.n_visits else (0, 0))
        return self._time_range

    # -- coded queries (the engine's fast path) -----------------------------------------
    def venue_codes(self, venues: Iterable[Any]) -> np.ndarray:
        """Codes of venue ids (-1 where unknown)."""
        return self._venue_index.get_indexer(pd.Index(list(venues)))

    def person_codes(self, people: Iterable[Any]) -> np.ndarray:
        """Codes of person ids (-1 where the person has no visit)."""
        wanted = people if isinstance(people, np.ndarray) else np.asarray(list(people),
                                                                          dtype=object)
        ids = self.person_ids
        small = len(wanted) <= _SMALL_LOOKUP
        if len(ids) and ids.dtype.kind == "U" and all(type(w) is str for w in wanted):
            # Fixed-width ids (a graph opened from files): compare as fixed-width text.
            wanted = np.asarray(wanted, dtype=str)
        if len(ids) and (ids.dtype.kind in "iuU" and wanted.dtype.kind == ids.dtype.kind
                         or small and ids.dtype == object and wanted.dtype == object
                         and all(type(w) is str for w in wanted)):
            # Ids are sorted: a binary search skips building an Index per call.
            try:
                at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
                return np.where(ids[at] == wanted, at, -1).astype(np.intp)
            except TypeError:  # ids of mixed types: let the hash index decide
                pass
        if self._person_index is None:
            self._person_index = pd.Index(ids)
        return self._person_index.get_indexer(pd.Index(list(wanted)))

    def venue_type_mask(self, types: Iterable[str]) -> np.ndarray:
        """Boolean mask over venue codes: the venue's type is one of ``types`` (cached)."""
        key = frozenset(types)
        if key not in self._type_masks:
            self._type_masks[key] = np.isin(self.venue_type_array, list(key))
        return self._type_masks[key]

    def take_person_ids(self, codes: np.ndarray, *, copy: bool = True) -> Any:
        """Person ids of ``codes`` (an array of the ids' dtype, Arrow strings for str).

        ``copy=False`` lets the answer be ``codes`` itself when ids equal their codes.
        """
        if self._person_dense:  # ids 0..n-1 are their own codes
            return np.asarray(codes).astype(self.person_ids.dtype, copy=copy)
        return self._person_take.take(np.asarray(codes, dtype=np.intp))

    def take_venue_ids(self, codes: np.ndarray, *, copy: bool = True) -> Any:
        """Venue ids of ``codes``; ``copy`` as in :meth:`take_person_ids`."""
        if self._venue_dense:
            return np.asarray(codes).astype(self.venue_ids.dtype, copy=copy)
        return self._venue_take.take(np.asarray(codes, dtype=np.intp))

    def row_venues(self, pos: np.ndarray) -> np.ndarray:
        """Venue codes of the venue-ordered rows ``pos``, without a code for every row."""
        if self.v_venue_code is not None:
            return np.asarray(self.v_venue_code[pos])
        return np.searchsorted(self.venue_offsets, pos, side="right") - 1

    def in_venue_order(self, pos: np.ndarray) -> np.ndarray:
        """Rows ``pos`` in the order of :meth:`visits` (venue, stay tier, entry, visit id)."""
        return np.sort(pos)

    def _venue_of(self) -> np.ndarray:
        if self.v_venue_code is None:
            self.v_venue_code = np.repeat(np.arange(len(self.venue_ids), dtype=np.int32),
                                          np.diff(self.venue_offsets))
        return self.v_venue_code

    def query_at(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Coded :meth:`visits_at`: (query index, venue-ordered row) pairs."""
        which, pos = self.candidates_at(venue, start, end)
        keep = self.v_t_out[pos] >= start[which]
        return which[keep], pos[keep]

    def candidates_at(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`query_at` before its exit filter: also visits that left before ``start``.

        Every visit entering by ``end`` and possibly present at ``start`` (entry no earlier
        than ``start`` minus its stay tier's longest stay), in query order, then stay tier,
        then entry. For callers whose own match implies ``t_out >= start``.
        """
        window, lo, hi = self._bounds(venue, start, end)
        pos, which = ix.ranges(lo, hi)
        return window[which], pos

    def candidate_blocks(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray,
                         size: int = 1 << 16) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """:meth:`candidates_at` in consecutive blocks of about ``size`` candidates.

        Arrays under a megabyte stay in cache and are reused by the allocator; one pass over
        millions of candidates pays for fresh memory at every step.
        """
        window, lo, hi = self._bounds(venue, start, end)
        total = np.cumsum(hi - lo)
        if not len(total) or total[-1] <= size:
            pos, which = ix.ranges(lo, hi)
            yield window[which], pos
            return
        cuts = np.unique(np.searchsorted(total, np.arange(size, total[-1], size), side="right"))
        for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(lo)], strict=True):
            pos, which = ix.ranges(lo[a:b], hi[a:b])
            yield window[a:b][which], pos

    def _bounds(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per (window, stay tier) sub-query: its window and its row range ``[lo, hi)``."""
        window, _, lo, hi = self.sub_bounds(venue, start, end)
        return window, lo, hi

    def sub_bounds(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_bounds` with each sub-query's segment (``venue * N_TIERS + tier``).

        The sub-queries run by window, then stay tier; the rows of each by entry.
        """
        venue = np.asarray(venue, dtype=np.int64)
        if not self.n_visits:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, empty
        # One sub-query per stay tier of the venue.
        sub = (np.maximum(venue, 0)[:, None] * N_TIERS + np.arange(N_TIERS)).ravel()
        seg_lo = self.segment_offsets[sub]
        seg_hi = self.segment_offsets[sub + 1]
        full = seg_lo < seg_hi
        if not (venue >= 0).all():
            full &= np.repeat(venue >= 0, N_TIERS)
        full = np.flatnonzero(full)
        sub, seg_lo, seg_hi = sub[full], seg_lo[full], seg_hi[full]
        window = full // N_TIERS
        since, until = start[window] - self.segment_max_stay[sub], end[window]
        if self._seek is not None:
            lo, hi = self._seek.bounds(sub, since, until)
        else:
            lo = ix.segment_search(self.v_t_in, seg_lo, seg_hi, since, "left")
            hi = ix.segment_search(self.v_t_in, seg_lo, seg_hi, until, "right")
        return window, sub, lo, hi

    def query_of(self, person: np.ndarray, start: np.ndarray, end: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Coded :meth:`visits_of`: (query index, venue-ordered row) pairs."""
        person = np.asarray(person, dtype=np.int64)
        if not self.n_visits:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ok = person >= 0
        p = np.where(ok, person, 0)
        lo = np.where(ok, self.person_offsets[p], 0)
        hi = np.where(ok, self.person_offsets[p + 1], 0)
        idx, which = ix.ranges(lo, hi)
        pos = self.p_pos[idx].astype(np.int64)
        keep = (self.v_t_in[pos] <= end[which]) & (self.v_t_out[pos] >= start[which])
        return which[keep], pos[keep]

    def _frame(self, which: np.ndarray, pos: np.ndarray) -> pd.DataFrame:
        sources = np.array(list(s.T_OUT_SOURCES) + [""], dtype=object)
        return pd.DataFrame({
            QUERY: which.astype(np.int64),
            s.VISIT_ID: self.visit_ids(pos),
            s.PERSON_ID: self.person_ids[self.v_person[pos]],
            s.VENUE_ID: self.venue_ids[self._venue_of()[pos]],
            s.T_IN: pd.DatetimeIndex(self.v_t_in[pos].view("datetime64[ns]"), tz="UTC"),
            s.T_OUT: pd.DatetimeIndex(self.v_t_out[pos].view("datetime64[ns]"), tz="UTC"),
            s.T_OUT_SOURCE: sources[self.v_source[pos]],
        })

    def visits_at(self, venues: Sequence[Any], windows: Any) -> pd.DataFrame:
        """Visits at ``venues[i]`` touching the closed window ``i``.

        ``windows`` is ``(starts, ends)`` (tz-aware times or int64 ns), one pair per venue
        or one pair for all. See :class:`VisitSource`.
        """
        codes = self.venue_codes(venues)
        start, end = query_windows(windows, len(codes))
        which, pos = self.query_at(codes, start, end)
        order = np.lexsort((self.v_t_in[pos], which))
        return self._frame(which[order], pos[order])

    def visits_of(self, people: Sequence[Any], windows: Any) -> pd.DataFrame:
        """Visits of ``people[i]`` touching the closed window ``i``; see :class:`VisitSource`."""
        codes = self.person_codes(people)
        start, end = query_windows(windows, len(codes))
        which, pos = self.query_of(codes, start, end)
        order = np.lexsort((self.v_t_in[pos], which))
        return self._frame(which[order], pos[order])

    def visits(self) -> pd.DataFrame:
        """All visits as a frame (venue order); for small graphs and tests."""
        pos = np.arange(self.n_visits)
        return self._frame(np.zeros(self.n_visits, np.int64), pos).drop(columns=QUERY)

    # -- networkx --------------------------------------------------------------------
    def to_networkx(self, subset: pd.DataFrame | Iterable[Any] | None = None) -> nx.Graph:
        """The person–venue bipartite graph of ``subset`` (all visits if None).

        Parameters
        ----------
        subset : DataFrame or iterable of person ids, optional
            A visits frame (``person_id``, ``venue_id``, ``t_in``, ``t_out``), an
            exposures frame (both sides' visits are drawn), or person ids (all their
            visits). None exports every visit: keep that to small graphs.

        Returns
        -------
        networkx.Graph
            Nodes ``("person", id)`` with ``bipartite=0`` and ``("venue", id)`` with
            ``bipartite=1`` plus ``venue_type``; ``G.graph["people"]`` and
            ``G.graph["venues"]`` hold the node sets. One edge per person–venue pair with
            ``visits`` (list of ``(t_in, t_out)`` UTC timestamps) and ``n_visits``.

        Examples
        --------
        >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:15"], utc=True)
        >>> scans = pd.DataFrame({"person_id": ["P1", "P2"], "venue_id": ["V1", "V1"],
        ...                       "scanned_at": t})
        >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
        >>> G = VisitGraph.from_scans(scans, venues).to_networkx()
        >>> sorted(G.graph["people"]), G.nodes[("venue", "V1")]["bipartite"]
        ([('person', 'P1'), ('person', 'P2')], 1)
        """
        import networkx as nx

        frame = self._subset(subset)
        G = nx.Graph()
        people_ids = frame[s.PERSON_ID].to_numpy(dtype=object)
        venue_ids = frame[s.VENUE_ID].to_numpy(dtype=object)
        t_in = pd.DatetimeIndex(frame[s.T_IN])
        t_out = pd.DatetimeIndex(frame[s.T_OUT])
        people = {("person", p) for p in pd.unique(people_ids)}
        venues = {("venue", v) for v in pd.unique(venue_ids)}
        G.add_nodes_from(sorted(people), bipartite=0)
        types = dict(zip(self.venues[s.VENUE_ID], self.venue_type_array, strict=True))
        G.add_nodes_from((node, {"bipartite": 1, "venue_type": types.get(node[1])})
                         for node in sorted(venues))
        G.graph["people"], G.graph["venues"] = people, venues
        # Edges from plain lists: a pandas groupby loop costs ~1 ms per pair.
        p_code = pd.factorize(people_ids, sort=True)[0]
        v_code = pd.factorize(venue_ids, sort=True)[0]
        order = np.lexsort((t_in.asi8, v_code, p_code))
        spans: dict[tuple[Any, Any], list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
        for p, v, a, b in zip(people_ids[order].tolist(), venue_ids[order].tolist(),
                              t_in[order], t_out[order], strict=True):
            spans.setdefault((p, v), []).append((a, b))
        G.add_edges_from((("person", p), ("venue", v), {"visits": sv, "n_visits": len(sv)})
                         for (p, v), sv in spans.items())
        return G

    def _subset(self, subset: pd.DataFrame | Iterable[Any] | None) -> pd.DataFrame:
        if subset is None:
            return self.visits()
        if isinstance(subset, pd.DataFrame):
            if s.CASE_ID in subset:
                case = subset[[s.CASE_ID, s.VENUE_ID, s.CASE_T_IN, s.CASE_T_OUT]]
                contact = subset[[s.CONTACT_ID, s.VENUE_ID, s.CONTACT_T_IN, s.CONTACT_T_OUT]]
                cols = [s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT]
                case.columns = contact.columns = cols
                return pd.concat([case, contact], ignore_index=True).drop_duplicates()
            return subset
        people = list(subset)
        big = np.full(len(people), _MAX)
        return self.visits_of(people, (np.full(len(people), -_MAX), big))


def contact_graph(exposures: pd.DataFrame) -> nx.DiGraph:
    """The person–person graph of an exposures table, case -> contact.

    Returns
    -------
    networkx.DiGraph
        Nodes ``("person", id)`` with ``hop`` (0 for a traced case, else the lowest hop
        at which the person was reached); one edge per (case, contact) with
        ``overlap_minutes`` (sum), ``n_exposures``, ``venues`` (sorted list),
        ``first_overlap`` and ``hop``.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> ex = pd.DataFrame({"case_id": ["C"], "contact_id": ["P"], "venue_id": ["V1"],
    ...                    "hop": [1], "overlap_start": [t], "overlap_minutes": [15.0]})
    >>> G = contact_graph(ex)
    >>> G.edges[("person", "C"), ("person", "P")]["overlap_minutes"]
    15.0
    """
    import networkx as nx

    G = nx.DiGraph()
    if exposures.empty:
        return G
    agg = exposures.groupby([s.CASE_ID, s.CONTACT_ID], sort=True).agg(**{
        s.OVERLAP_MIN: (s.OVERLAP_MIN, "sum"), s.N_EXPOSURES: (s.VENUE_ID, "size"),
        "venues": (s.VENUE_ID, lambda v: sorted(set(v))),
        "first_overlap": (s.OVERLAP_START, "min"), s.HOP: (s.HOP, "min")})
    hop1_cases = set(exposures.loc[exposures[s.HOP] == 1, s.CASE_ID])
    for case in sorted(hop1_cases):
        G.add_node(("person", case), hop=0)
    for (case, contact), row in agg.iterrows():
        for node, hop in ((("person", case), None), (("person", contact), int(row[s.HOP]))):
            if node not in G:
                G.add_node(node, hop=hop if hop is not None else int(row[s.HOP]) - 1)
            elif hop is not None and G.nodes[node]["hop"] > hop:
                G.nodes[node]["hop"] = hop
        G.add_edge(("person", case), ("person", contact), **row.to_dict())
    return G
