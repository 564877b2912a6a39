"""A store's graph in two layers answers as the one graph of both.

A property test (Hypothesis) draws visits, then rounds of appends: each touches some
people, replaces their visits from a random time on with new ones (new people and venues
among them) and grows a :class:`~tracelab.index.layers.LayeredGraph` by
:func:`~tracelab.index.layers.grown`. After each round every query, the exposures of a
trace and the compacted arrays equal those of :meth:`VisitGraph.from_codes` of all the
visits in force.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.index.graph import VisitGraph
from tracelab.index.layers import LayeredGraph, grown, last_entry_before
from tracelab.index.merge import Added
from tracelab.index.presence import venue_table
from tracelab.model import schema as s
from tracelab.tracing.forward import trace

SECOND = 1_000_000_000
HOUR = 3600 * SECOND
T0 = 1_668_700_000 * SECOND
NEVER = np.iinfo(np.int64).max
TYPES = np.array(["supermarket", "restaurant", "residential_compound", "enterprise"])


def _table(ids: np.ndarray) -> pd.DataFrame:
    kinds = TYPES[np.array([int(v[1:]) % len(TYPES) for v in ids], dtype=np.int64)] if len(
        ids) else np.array([], dtype=object)
    return venue_table(pd.DataFrame({s.VENUE_ID: ids, s.VENUE_TYPE: kinds}))


def _codes(names: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.searchsorted(ids, names)


class Truth:
    """The visits in force, by person and venue name."""

    def __init__(self, person, venue, t_in, t_out, source):
        self.person, self.venue, self.t_in, self.t_out, self.source = (
            person, venue, t_in, t_out, source)

    def graph(self, people: np.ndarray, venues: np.ndarray) -> VisitGraph:
        """The one graph, over these ids (a store's ids only grow)."""
        p, v = _codes(self.person, people), _codes(self.venue, venues)
        order = np.lexsort((self.t_in, p))
        return VisitGraph.from_codes(
            person=p[order], person_ids=people.astype(object), venue=v[order],
            venue_ids=venues.astype(object), venues=_table(venues), t_in=self.t_in[order],
            t_out=self.t_out[order], source=self.source[order], dwell="estimated_dwell")


def _visits(rng, n, people, venues, start, span_h):
    person = np.array([f"p_{i:03d}" for i in rng.integers(0, people, n)], dtype=object)
    venue = np.array([f"V{i:02d}" for i in rng.integers(0, venues, n)], dtype=object)
    # Whole minutes: ties of entry within a segment; a few long stays: every stay tier.
    t_in = start + rng.integers(0, span_h * 60, n) * 60 * SECOND
    stay = np.where(rng.random(n) < 0.1, rng.integers(0, 20 * 60, n), rng.integers(0, 90, n))
    return person, venue, t_in, t_in + stay * 60 * SECOND, rng.integers(-1, 4, n).astype(np.int8)


def _rows(graph: VisitGraph, which: np.ndarray, pos: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"which": which, "id": graph.visit_ids(pos),
                         "person": pd.array(graph.person_ids[np.asarray(graph.v_person[pos])],
                                            dtype="str"),
                         "venue": pd.array(graph.venue_ids[graph.row_venues(pos)], dtype="str"),
                         "t_in": np.asarray(graph.v_t_in[pos]),
                         "t_out": np.asarray(graph.v_t_out[pos]),
                         "source": np.asarray(graph.v_source[pos])})


def assert_same_answers(got: VisitGraph, want: VisitGraph, rng) -> None:
    assert got.n_visits == want.n_visits and got.time_range() == want.time_range()
    assert list(got.person_ids) == list(want.person_ids)
    assert list(got.venue_ids) == list(want.venue_ids)
    pd.testing.assert_frame_equal(got.visits(), want.visits())
    lo, hi = want.time_range()
    n = 12
    starts = rng.integers(lo - HOUR, hi + HOUR, n)
    ends = starts + rng.integers(0, 30 * HOUR, n)
    venues = rng.integers(-1, len(want.venue_ids), n)
    people = rng.integers(-1, len(want.person_ids), n)
    pd.testing.assert_frame_equal(_rows(got, *got.query_at(venues, starts, ends)),
                                  _rows(want, *want.query_at(venues, starts, ends)))
    # Candidates are a superset (by each segment's longest stay): equal once filtered.
    for found in (got.candidates_at(venues, starts, ends),
                  *got.candidate_blocks(venues, starts, ends, size=7)):
        assert _rows(got, *found)["which"].is_monotonic_increasing
    blocks = pd.concat([_rows(got, *x) for x in got.candidate_blocks(venues, starts, ends,
                                                                     size=7)])
    want_rows = _rows(want, *want.candidates_at(venues, starts, ends))
    blocks, want_rows = (rows[rows["t_out"].to_numpy() >= starts[rows["which"]]]
                         .reset_index(drop=True) for rows in (blocks, want_rows))
    pd.testing.assert_frame_equal(blocks, want_rows)
    pd.testing.assert_frame_equal(_rows(got, *got.query_of(people, starts, ends)),
                                  _rows(want, *want.query_of(people, starts, ends)))
    names = want.venue_ids[np.maximum(venues, 0)]
    pd.testing.assert_frame_equal(got.visits_at(names, (starts, ends)),
                                  want.visits_at(names, (starts, ends)))
    who = want.person_ids[np.maximum(people, 0)]
    pd.testing.assert_frame_equal(got.visits_of(who, (starts, ends)),
                                  want.visits_of(who, (starts, ends)))
    pos = rng.integers(0, max(want.n_visits, 1), 5) if want.n_visits else np.zeros(0, int)
    ids = want.visit_ids(pos)
    mine = got.person_codes(want.person_ids[np.asarray(want.v_person[pos])])
    every = np.full(len(mine), NEVER)
    w, p = got.query_of(mine, -every, every)
    assert set(ids) <= set(got.visit_ids(p).tolist())
    when = rng.integers(lo, hi + 1, len(want.person_ids))
    codes = np.arange(len(want.person_ids))
    assert np.array_equal(last_entry_before(got, codes, when),
                          last_entry_before(want, codes, when))
    for rule in ("twenty", "ninth"):
        cases = pd.DataFrame({
            s.PERSON_ID: want.person_ids[:3], s.KIND: "confirmed",
            s.ONSET_AT: pd.to_datetime(np.full(min(3, len(want.person_ids)), hi), utc=True)})
        as_of = pd.Timestamp(hi, tz="UTC")
        pd.testing.assert_frame_equal(trace(got, cases, rule, as_of=as_of),
                                      trace(want, cases, rule, as_of=as_of))


def _same_arrays(got: VisitGraph, want: VisitGraph) -> None:
    for name in ("segment_offsets", "v_person", "v_t_in", "v_t_out", "v_source",
                 "person_offsets", "p_pos", "segment_max_stay", "v_visit_id"):
        assert np.array_equal(np.asarray(getattr(got, name)),
                              np.asarray(getattr(want, name))), name
    assert np.array_equal(got._venue_of(), want._venue_of())


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), people=st.integers(1, 20),
       venues=st.integers(1, 8), rounds=st.integers(1, 3), share=st.sampled_from([0.3, 50.0]))
def test_a_layered_graph_answers_as_the_one_graph(seed, n, people, venues, rounds, share):
    rng = np.random.default_rng(seed)
    truth = Truth(*_visits(rng, n, people, venues, T0, 48))
    seen_people, seen_venues = np.unique(truth.person), np.unique(truth.venue)
    graph: VisitGraph = truth.graph(seen_people, seen_venues)
    for k in range(1, rounds + 1):
        # An append: some people (new ones too) from a time on, their tails rebuilt.
        grow = people + 3 * k
        touched = rng.random(grow) < 0.5
        since = T0 + (24 + 24 * k) * HOUR - rng.integers(0, 60, grow) * HOUR
        idx = np.array([int(p[2:]) for p in truth.person], dtype=np.int64)
        gone = touched[idx] & (truth.t_in >= since[idx])
        m = int(rng.integers(0, 80))
        person, venue, t_in, t_out, source = _visits(rng, m, grow, venues + k, T0, 1)
        who = np.array([int(p[2:]) for p in person], dtype=np.int64)
        ok = touched[who]
        stay = t_out - t_in
        t_in = since[who] + rng.integers(0, 30 * 60, m) * 60 * SECOND
        t_out = t_in + stay
        person, venue, t_in, t_out, source = (x[ok] for x in (person, venue, t_in, t_out,
                                                              source))
        keep = ~gone
        truth = Truth(*(np.concatenate([getattr(truth, f)[keep], x]) for f, x in zip(
            ("person", "venue", "t_in", "t_out", "source"),
            (person, venue, t_in, t_out, source), strict=True)))
        seen_people = np.union1d(seen_people, person)
        seen_venues = np.union1d(seen_venues, venue)
        want = truth.graph(seen_people, seen_venues)
        old_people = np.asarray(graph.person_ids, dtype=object)
        old_idx = np.array([int(p[2:]) for p in old_people], dtype=np.int64)
        code_since = np.where(touched[old_idx], since[old_idx], NEVER) if len(
            old_idx) else np.zeros(0, np.int64)
        p_new, v_new = np.asarray(want.person_ids), np.asarray(want.venue_ids)
        order = np.lexsort((t_in, _codes(person, p_new)))
        added = Added(_codes(person, p_new)[order], _codes(venue, v_new)[order], t_in[order],
                      t_out[order], source[order])
        graph = grown(graph, since=code_since,
                      person_map=_codes(old_people, p_new),
                      person_ids=p_new, venue_map=_codes(np.asarray(graph.venue_ids), v_new),
                      venue_ids=v_new, venues=_table(v_new.astype(str)), added=added,
                      compact_share=share)
        assert_same_answers(graph, want, rng)
        if isinstance(graph, LayeredGraph):
            _same_arrays(graph.compacted(), want)
