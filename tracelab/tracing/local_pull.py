"""Pull from any visit source the few visits a trace needs, as a local ``VisitGraph``.

A distributed source (:class:`tracelab.spark.SparkSource`) answers only the two questions
of :class:`~tracelab.index.graph.VisitSource`. ``trace`` and ``companions`` call the functions
here first: they ask the source for the cases' visits, then for the visits at those venues
around those times (and, for hop 2, the same for the hop-1 contacts), and index the answers
locally. Every window asked for contains the one the engine will search, so the local
graph holds every visit the engine can reach and results equal those on the whole log.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_DAY, NS_PER_MIN, to_ns
from tracelab.index.graph import VisitGraph, VisitSource
from tracelab.index.windows import window_arrays
from tracelab.model import schema as s
from tracelab.model.coords import grid_cell, project
from tracelab.model.rules import Rule, as_rule

__all__ = ["for_trace", "for_companions", "match_reach"]

#: The hop-1 trace of ``cases`` on a local graph: exposures with ``contact_id`` and
#: ``overlap_start``.
FirstHop = Callable[[VisitGraph, pd.DataFrame], pd.DataFrame]



def _graph(source: VisitSource, frames: list[pd.DataFrame]) -> VisitGraph:
    got = pd.concat(frames, ignore_index=True).drop_duplicates(s.VISIT_ID)
    return VisitGraph.from_visits(got.sort_values(s.VISIT_ID, ignore_index=True),
                                  source.venues, dwell=source.dwell,
                                  venue_types=getattr(source, "venue_types", None))


def _around(source: VisitSource, mine: pd.DataFrame, start: np.ndarray, end: np.ndarray,
            before: int, after: int, skip_residences: bool = False) -> pd.DataFrame:
    """Visits at the venues of ``mine`` (answers to windows ``start``/``end``) near them.

    Windows at one venue that overlap are merged first: the engine needs the union of
    the visits, and a busy venue is then asked once per stretch, not once per visitor.
    The answer's ``query`` therefore numbers stretches, not rows of ``mine``.
    """
    q = mine["query"].to_numpy()
    a = np.maximum(to_ns(mine[s.T_IN]), start[q]) - before
    b = np.minimum(to_ns(mine[s.T_OUT]), end[q]) + after
    venue = mine[s.VENUE_ID].to_numpy(dtype=object)
    ok = a <= b
    if skip_residences:
        home = source.venues.set_index(s.VENUE_ID)[s.RESIDENCE]
        ok &= ~home.reindex(venue).fillna(False).to_numpy(bool)
    venue, a, b = venue[ok], a[ok], b[ok]
    order = np.lexsort((a, venue))
    venue, a, b = venue[order], a[order], b[order]
    # A new stretch starts at a new venue or after a gap in that venue's windows.
    new = np.ones(len(a), bool)
    if len(a):
        same = venue[1:] == venue[:-1]
        group = np.cumsum(np.r_[True, ~same])
        reach = pd.Series(b).groupby(group).cummax().to_numpy()
        new[1:] = ~same | (a[1:] > reach[:-1])
    stretch = np.cumsum(new) - 1
    lo = pd.Series(a).groupby(stretch).min().to_numpy()
    hi = pd.Series(b).groupby(stretch).max().to_numpy()
    return source.visits_at(venue[new], (lo, hi))


def match_reach(rule: str | Rule) -> tuple[int, int]:
    """How far before and after a case's visit (within its window) the engine may match, ns.

    Rounding widens both sides by a grid step, lingering the end. Under ``cwa`` the case's
    side is the interval the app derives from the whole check-in: laid on a 10-minute grid
    (at most 5 minutes before the entry) and lengthened by the stay itself, up to 30
    minutes, or by the linger, then rounded (at most 10 minutes after that).

    Examples
    --------
    >>> [m // 60_000_000_000 for m in match_reach("twenty")], match_reach("cwa")[0] > 0
    ([0, 0], True)
    """
    r = as_rule(rule)
    grid = int(r.rounding_minutes) * NS_PER_MIN
    linger = int(round(r.lingering_minutes * NS_PER_MIN))
    if r.case_interval == "cwa":
        return grid + 10 * NS_PER_MIN, grid + max(linger, 31 * NS_PER_MIN) + 10 * NS_PER_MIN
    return grid, linger + grid


def for_trace(source: VisitSource, cases: pd.DataFrame, rule: str | Rule, hops: int,
              as_of_ns: int, first_hop: FirstHop | None = None) -> VisitGraph:
    """The local graph ``trace(source, cases, rule, hops, as_of)`` needs.

    For two hops the hop-1 contacts are found on the hop-1 pull by ``first_hop(graph,
    cases)`` (the forward trace, passed in by its caller so that this module stays
    below it), and their visits are pulled in turn.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:20", "2022-11-21 04:00"],
    ...                    utc=True)
    >>> scans = pd.DataFrame({"person_id": ["C1", "P2", "P3"],
    ...                       "venue_id": ["V1", "V1", "V1"], "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> cases = pd.DataFrame({"person_id": ["C1"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-21 00:00"], utc=True)})
    >>> local = for_trace(g, cases, "twenty", 1, g.time_range()[1])
    >>> local.n_visits  # P3 came the next day: not needed
    2
    """
    r = as_rule(rule)
    ids, ws, we, _, bad = window_arrays(cases, r, as_of_ns)
    ids, ws, we = ids[~bad], ws[~bad], we[~bad]
    before, after = match_reach(r)
    mine = source.visits_of(list(ids), (ws, we))
    skip = not r.share_residences
    frames = [mine, _around(source, mine, ws, we, before, after, skip)]
    if hops == 2:
        if first_hop is None:
            raise ValueError(msg("first_hop: hops=2 needs the hop-1 trace to pull the contacts' "
                                 "visits; pass the forward trace"))
        first = first_hop(_graph(source, frames), cases[~bad])
        first = first[~first[s.CONTACT_ID].isin(set(ids))]
        begin = first.groupby(s.CONTACT_ID, sort=True)[s.OVERLAP_START].min()
        ws2 = to_ns(begin)
        we2 = np.full(len(ws2), as_of_ns, dtype=np.int64)
        theirs = source.visits_of(list(begin.index), (ws2, we2))
        frames += [theirs, _around(source, theirs, ws2, we2, before, after, skip)]
    return _graph(source, frames)


def for_companions(source: VisitSource, cases: pd.DataFrame, rule: str | Rule, as_of_ns: int,
                   origin: tuple[float, float]) -> VisitGraph:
    """The local graph ``companions(source, cases, rule, as_of, origin)`` needs."""
    r = as_rule(rule)
    ids, _, end, _, _ = window_arrays(cases, r.replace(end_at_isolation=True), as_of_ns)
    start = end - int(r.companion_lookback_days * NS_PER_DAY)
    mine = source.visits_of(list(ids), (start, end))
    venues = source.venues
    x, y = project(venues[s.LON].to_numpy(float), venues[s.LAT].to_numpy(float))
    ix, iy = grid_cell(np.atleast_1d(x), np.atleast_1d(y), cell_m=r.companion_cell_m,
                       origin=origin)
    cell = pd.Series(list(zip(ix.tolist(), iy.tolist(), strict=True)),
                     index=venues[s.VENUE_ID].to_numpy())
    # Every venue in a cell the case was in, over the times the case was there.
    same = pd.DataFrame({s.VENUE_ID: venues[s.VENUE_ID].to_numpy(), "cell": cell.to_numpy()})
    reach = mine.assign(cell=cell.reindex(mine[s.VENUE_ID].to_numpy()).to_numpy()).drop(
        columns=s.VENUE_ID).merge(same, on="cell")
    nearby = _around(source, reach, start, end, 0, 0)
    # The companions' own time in those cells over the cases' look-backs.
    people = np.unique(nearby[s.PERSON_ID].to_numpy(dtype=object))
    theirs = source.visits_of(list(people), (np.array([start.min(initial=0)]),
                                             np.array([end.max(initial=0)])))
    return _graph(source, [mine, nearby, theirs])
