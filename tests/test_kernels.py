"""Tests of tracelab.index.kernels: built in small chunks on two threads, the index is the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tracelab.index import kernels as ix
from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s

T0 = pd.Timestamp("2022-11-20 00:00", tz="UTC").value
ARRAYS = ("segment_offsets", "v_person", "v_t_in", "v_t_out", "v_visit_id", "v_source",
          "person_offsets", "p_pos", "segment_max_stay")


def _log(n: int, *, by_person: bool, unit: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n visits of sparse integer people at 30 venues, stays in every tier."""
    rng = np.random.default_rng(7)
    person = rng.integers(0, n // 3, n) * 2  # every other id missing: codes are a map
    t_in = T0 + rng.integers(0, 3 * 86_400, n) * 1_000_000_000 + rng.integers(0, 999, n) * unit
    stay = rng.choice([0, 10, 45, 200, 600], n) * 60_000_000_000
    order = np.lexsort((t_in, person)) if by_person else rng.permutation(n)
    visits = pd.DataFrame({
        s.PERSON_ID: person[order], s.VENUE_ID: rng.integers(0, 30, n)[order],
        s.T_IN: pd.DatetimeIndex(t_in[order].view("datetime64[ns]"), tz="UTC"),
        s.T_OUT: pd.DatetimeIndex((t_in + stay)[order].view("datetime64[ns]"), tz="UTC"),
    })
    venues = pd.DataFrame({s.VENUE_ID: np.arange(32),
                           s.VENUE_TYPE: ["supermarket", "enterprise"] * 16})
    return visits, venues


@pytest.mark.parametrize("by_person", [True, False])
@pytest.mark.parametrize("unit", [0, 1_000_000, 1], ids=["seconds", "millis", "nanos"])
def test_chunked_threaded_build_equals_one_pass(monkeypatch, by_person, unit):
    visits, venues = _log(500, by_person=by_person, unit=unit)
    want = VisitGraph.from_visits(visits, venues, dwell="estimated_dwell")
    monkeypatch.setattr(ix, "CHUNK", 7)  # chunk edges everywhere, segments split across
    monkeypatch.setattr(ix, "_THREADED", 0)  # and the independent steps on threads
    got = VisitGraph.from_visits(visits, venues, dwell="estimated_dwell")
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert (got._seek is None) == (want._seek is None) == (unit == 1)
    if got._seek is not None:
        np.testing.assert_array_equal(got._seek.keys, want._seek.keys)
    # The index itself: each segment by entry, each person's rows by entry.
    for a, b in zip(got.segment_offsets[:-1], got.segment_offsets[1:], strict=True):
        assert (np.diff(got.v_t_in[a:b]) >= 0).all()
    for p in range(len(got.person_ids)):
        rows = got.p_pos[got.person_offsets[p]:got.person_offsets[p + 1]]
        assert (got.v_person[rows] == p).all() and (np.diff(got.v_t_in[rows]) >= 0).all()
    stays = got.v_t_out - got.v_t_in
    for seg in np.flatnonzero(np.diff(got.segment_offsets)):
        a, b = got.segment_offsets[seg], got.segment_offsets[seg + 1]
        assert got.segment_max_stay[seg] == stays[a:b].max()


def test_backward_stays_are_counted_across_chunks(monkeypatch):
    monkeypatch.setattr(ix, "CHUNK", 3)
    t_in = np.arange(10, dtype=np.int64)
    t_out = t_in.copy()
    t_out[[1, 4, 8]] -= 1
    with pytest.raises(ValueError, match="t_out before t_in in 3 row"):
        ix.stay_tiers(t_in, t_out)


def test_sorted_by_sees_a_disorder_at_a_chunk_edge(monkeypatch):
    monkeypatch.setattr(ix, "CHUNK", 4)
    same = np.zeros(8, dtype=np.int64)
    assert ix.sorted_by(same, np.arange(8))
    assert not ix.sorted_by(same, np.array([0, 1, 2, 3, 2, 5, 6, 7]))  # rows 3 and 4
    assert not ix.sorted_by(np.array([0, 0, 0, 1, 0, 1, 1, 1]), np.arange(8))
    assert ix.sorted_by(np.array([0, 0, 0, 0, 1, 1, 1, 1]), np.array([4, 5, 6, 7, 0, 1, 2, 3]))


def test_ordered_map_keeps_the_order_on_threads():
    items = [(i, np.arange(1000) + i) for i in range(40)]
    got = ix.ordered_map(lambda i, a: (i, int(a.sum())), iter(items))
    assert got == [(i, 1000 * i + 499_500) for i in range(40)]
    assert ix.ordered_map(lambda x: x, iter([])) == []
