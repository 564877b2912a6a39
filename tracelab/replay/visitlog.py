"""The replay's visit log: one block of visits per simulated day, updated as days come.

Each simulated day adds one block: the day's scans merged and turned into visits
(:mod:`tracelab.replay.stays`), kept as integer arrays by person and indexed by venue.
A new day's scans can only shorten the visits still open at them (a visit without exit
scan ends at the person's next scan), so adding a day recomputes just the visits of the
people who scanned that day that were still open at their first scan of it: the cost of
a day does not grow with the days behind it.

A trace asks the log for the few visits it needs (the cases' own, those at their venues
around those times and, for two hops, the same for the hop-1 contacts), as
:func:`tracelab.tracing.local_pull.for_trace` asks a visit source, and traces them on a
small :class:`~tracelab.index.graph.VisitGraph` whose ids are the integer codes.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd

from tracelab._time import timestamp_from_ns, to_ns
from tracelab.index.graph import VisitGraph
from tracelab.index.kernels import codes, ranges, segment_search
from tracelab.index.presence import venue_table
from tracelab.index.windows import window_arrays
from tracelab.model import schema as s
from tracelab.model.rules import Rule
from tracelab.replay.stays import merge_repeats, order_by, stays
from tracelab.tracing.forward import trace
from tracelab.tracing.local_pull import match_reach

__all__ = ["VisitLog", "Hits"]

_NEVER = np.iinfo(np.int64).max


class Hits(NamedTuple):
    """Visits answering a query: global visit id, query position and the visit's fields."""

    gid: np.ndarray
    q: np.ndarray
    person: np.ndarray
    venue: np.ndarray
    t_in: np.ndarray
    t_out: np.ndarray


def _no_hits() -> Hits:
    return Hits(*(np.zeros(0, np.int64) for _ in range(6)))


def _concat(parts: list[Hits]) -> Hits:
    if len(parts) == 1:
        return parts[0]
    return Hits(*(np.concatenate(cols) for cols in zip(*parts, strict=True)))


@dataclasses.dataclass
class _Block:
    """One day's visits, rows by person, venue and entry; ``t_out`` is cut in place later."""

    base: int  # global id of row 0
    person: np.ndarray
    venue: np.ndarray
    scan: np.ndarray  # entry scan, ns (t_in moves to local midnight under whole_day)
    exit: np.ndarray  # exit scan, ns, NAT if none
    t_in: np.ndarray
    t_out: np.ndarray
    by_venue: np.ndarray  # rows by venue, then entry
    venue_offsets: np.ndarray  # CSR over venue codes into by_venue
    v_t_in: np.ndarray  # t_in[by_venue]
    longest: int  # upper bound of t_out - t_in (cuts only shorten)
    first_in: int
    last_out: int
    last_scan: int


class VisitLog:
    """Visits of a replay so far, one block per simulated day, ids as integer codes.

    Parameters
    ----------
    venue_types : numpy.ndarray
        Venue-type code of each venue code (the simulation's venue rows).
    venue_ids : numpy.ndarray
        Venue id of each venue code: ties of one person and instant are ordered by it,
        as in :func:`tracelab.index.presence.visits`.
    rule : Rule
        The exposure rule: its dwell assumption and stay cap make the visits.
    type_table : pandas.DataFrame
        Venue-type table (:func:`tracelab.model.reference.venue_types`).

    Examples
    --------
    >>> from tracelab.model.rules import rule
    >>> from tracelab.model.reference import venue_types
    >>> log = VisitLog(np.array(["supermarket"]), np.array(["V1"]), rule("twenty"),
    ...                venue_types())
    >>> ns = np.array([0, 600]) * 10**9
    >>> log.add(np.array([3, 5]), np.array([0, 0]), ns, np.full(2, np.iinfo(np.int64).min))
    >>> hits = log.at(np.array([0]), np.array([700 * 10**9]), np.array([800 * 10**9]))
    >>> hits.person.tolist()
    [3, 5]
    """

    def __init__(self, venue_types: np.ndarray, venue_ids: np.ndarray, rule: Rule,
                 type_table: pd.DataFrame) -> None:
        self.rule = rule
        self.type_table = type_table
        n = len(venue_types)
        self.venues = pd.DataFrame({s.VENUE_ID: np.arange(n, dtype=np.int64),
                                    s.VENUE_TYPE: np.asarray(venue_types, dtype=object)})
        info = venue_table(self.venues, type_table)
        # The graph's venue table, built once: every venue code is its own id.
        self._graph_venues = info.set_index(s.VENUE_ID).reindex(
            np.arange(n, dtype=np.int64)).reset_index()
        self.dwell_min = info[s.DWELL_MIN].to_numpy(np.float64)
        self.residence = info[s.RESIDENCE].to_numpy(bool)
        self.venue_rank = np.empty(n, dtype=np.int64)
        self.venue_rank[np.argsort(np.asarray(venue_ids, dtype=str), kind="stable")] = \
            np.arange(n)
        self.blocks: list[_Block] = []
        self._next_id = 0
        #: Earlier visits the last :meth:`add` recomputed, and the days they belong to.
        self.recomputed = (0, 0)

    @property
    def n_visits(self) -> int:
        """Number of visits logged."""
        return self._next_id

    def add(self, person: np.ndarray, venue: np.ndarray, at: np.ndarray,
            exit_: np.ndarray) -> None:
        """Log one day's scans (codes; int64 ns, ``NAT`` for no exit).

        Repeat scans are merged within the day, as the loaders merge them.
        """
        p, v, t, e = merge_repeats(np.asarray(person, np.int64), np.asarray(venue, np.int64),
                                   np.asarray(at, np.int64), np.asarray(exit_, np.int64))
        if not len(p):
            return
        # Rows come by person: each person's first scan of the day.
        starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
        people, first = p[starts], np.minimum.reduceat(t, starts)
        t_min = int(first.min())
        # Earlier visits this day's scans may cut: still open at the person's first new
        # scan. With them, the earlier scans after it (days may interleave): together
        # they hold the next scan of every visit recomputed.
        old: list[tuple[_Block, np.ndarray]] = []
        for b in self.blocks:
            if b.last_scan <= t_min and b.last_out <= t_min:
                continue
            rows = np.flatnonzero((b.scan > t_min) | (b.t_out > t_min))
            where = np.minimum(np.searchsorted(people, b.person[rows]), len(people) - 1)
            f = np.where(people[where] == b.person[rows], first[where], _NEVER)
            rows = rows[(b.scan[rows] > f) | (b.t_out[rows] > f)]
            if len(rows):
                old.append((b, rows))
        if old:
            parts = [(b.person[r], b.venue[r], b.scan[r], b.exit[r]) for b, r in old]
            bp, bv, bt, be = (np.concatenate([x[i] for x in parts] + [y])
                              for i, y in enumerate((p, v, t, e)))
        else:
            bp, bv, bt, be = p, v, t, e
        t_in, t_out = stays(bp, self.venue_rank[bv], bt, be, self.dwell_min[bv], self.rule)
        at_row = 0
        for b, rows in old:
            b.t_out[rows] = t_out[at_row:at_row + len(rows)]
            at_row += len(rows)
        self.recomputed = (at_row, len(old))
        t_in, t_out = t_in[at_row:], t_out[at_row:]
        by_venue = order_by(v, t_in)
        offsets = np.zeros(len(self.dwell_min) + 1, dtype=np.int64)
        np.cumsum(np.bincount(v, minlength=len(self.dwell_min)), out=offsets[1:])
        self.blocks.append(_Block(
            base=self._next_id, person=p, venue=v, scan=t, exit=e, t_in=t_in, t_out=t_out,
            by_venue=by_venue, venue_offsets=offsets, v_t_in=t_in[by_venue],
            longest=int((t_out - t_in).max()), first_in=int(t_in.min()),
            last_out=int(t_out.max()), last_scan=int(t.max())))
        self._next_id += len(p)

    def of(self, person: np.ndarray, start: np.ndarray, end: np.ndarray) -> Hits:
        """Visits of ``person[i]`` touching ``[start[i], end[i]]`` (ns), by query."""
        parts = []
        for b in self.blocks:
            sel = np.flatnonzero((start <= b.last_out) & (end >= b.first_in))
            if not len(sel):
                continue
            lo = np.searchsorted(b.person, person[sel], "left")
            hi = np.searchsorted(b.person, person[sel], "right")
            rows, which = ranges(lo, hi)
            q = sel[which]
            keep = (b.t_in[rows] <= end[q]) & (b.t_out[rows] >= start[q])
            parts.append(self._hits(b, rows[keep], q[keep]))
        return _concat(parts) if parts else _no_hits()

    def at(self, venue: np.ndarray, start: np.ndarray, end: np.ndarray) -> Hits:
        """Visits at ``venue[i]`` touching ``[start[i], end[i]]`` (ns), by query."""
        parts = []
        for b in self.blocks:
            sel = np.flatnonzero((start <= b.last_out) & (end >= b.first_in))
            if not len(sel):
                continue
            v = venue[sel]
            seg_lo, seg_hi = b.venue_offsets[v], b.venue_offsets[v + 1]
            lo = segment_search(b.v_t_in, seg_lo, seg_hi, start[sel] - b.longest, "left")
            hi = segment_search(b.v_t_in, seg_lo, seg_hi, end[sel], "right")
            pos, which = ranges(lo, hi)
            rows, q = b.by_venue[pos], sel[which]
            keep = b.t_out[rows] >= start[q]
            parts.append(self._hits(b, rows[keep], q[keep]))
        return _concat(parts) if parts else _no_hits()

    @staticmethod
    def _hits(b: _Block, rows: np.ndarray, q: np.ndarray) -> Hits:
        return Hits(b.base + rows, q, b.person[rows], b.venue[rows], b.t_in[rows],
                    b.t_out[rows])

    def _around(self, mine: Hits, start: np.ndarray, end: np.ndarray, before: int,
                after: int) -> Hits:
        """Visits at the venues of ``mine`` near them (``for_trace``'s second question).

        Overlapping windows at one venue are merged into one stretch first.
        """
        a = np.maximum(mine.t_in, start[mine.q]) - before
        b = np.minimum(mine.t_out, end[mine.q]) + after
        ok = a <= b
        if not self.rule.share_residences:
            ok &= ~self.residence[mine.venue]
        venue, a, b = mine.venue[ok], a[ok], b[ok]
        if not len(a):
            return _no_hits()
        order = np.lexsort((a, venue))
        venue, a, b = venue[order], a[order], b[order]
        same = venue[1:] == venue[:-1]
        group = np.cumsum(np.r_[True, ~same])
        reach = pd.Series(b).groupby(group).cummax().to_numpy()
        starts = np.flatnonzero(np.r_[True, ~same | (a[1:] > reach[:-1])])
        return self.at(venue[starts], np.minimum.reduceat(a, starts),
                       np.maximum.reduceat(b, starts))

    def graph(self, parts: list[Hits]) -> VisitGraph:
        """A :class:`VisitGraph` of the distinct visits in ``parts`` (integer ids)."""
        hits = _concat(parts)
        gid, first = np.unique(hits.gid, return_index=True)
        # What VisitGraph.from_visits does with such a frame, less the venue table's
        # join, done once in __init__.
        person, person_ids = codes(pd.Series(hits.person[first]))
        return VisitGraph.from_codes(
            person=person, person_ids=person_ids, venue=hits.venue[first],
            venue_ids=self._graph_venues[s.VENUE_ID].to_numpy(), venues=self._graph_venues,
            t_in=hits.t_in[first], t_out=hits.t_out[first],
            source=np.full(len(gid), -1, dtype=np.int8), dwell=self.rule.dwell, visit_id=gid)

    def for_trace(self, cases: pd.DataFrame, hops: int, as_of_ns: int) -> VisitGraph:
        """The local graph on which ``trace(graph, cases, rule, hops, as_of)`` finds every
        exposure it would find on all the visits logged.

        ``cases`` has integer ``person_id`` codes; see
        :func:`tracelab.tracing.local_pull.for_trace`, whose questions these are.
        """
        r = self.rule
        ids, ws, we, _, bad = window_arrays(cases, r, as_of_ns)
        ids, ws, we = ids[~bad].astype(np.int64), ws[~bad], we[~bad]
        before, after = match_reach(r)
        mine = self.of(ids, ws, we)
        parts = [mine, self._around(mine, ws, we, before, after)]
        if hops == 2:
            first = trace(self.graph(parts), cases[~bad], r, 1,
                          as_of=timestamp_from_ns(as_of_ns), explain=False)
            contact = first[s.CONTACT_ID].to_numpy(np.int64)
            begin = to_ns(first[s.OVERLAP_START])
            keep = ~np.isin(contact, ids)
            contact, begin = contact[keep], begin[keep]
            order = np.lexsort((begin, contact))
            head = order[np.r_[True, contact[order][1:] != contact[order][:-1]]] \
                if len(order) else order
            ws2 = begin[head]
            we2 = np.full(len(head), as_of_ns, dtype=np.int64)
            theirs = self.of(contact[head], ws2, we2)
            parts += [theirs, self._around(theirs, ws2, we2, before, after)]
        return self.graph(parts)
