"""Tests of tracelab.index.graph: the two queries, the CSR index and the networkx exports."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests._forward_data import cases, scans, ts, venue_types, venues
from tracelab.index.graph import QUERY, VisitGraph, VisitSource, contact_graph
from tracelab.index.presence import visits
from tracelab.model import schema as s
from tracelab.tracing.forward import trace


def _graph():
    return VisitGraph.from_scans(scans(), venues(), venue_types=venue_types())


def test_graph_is_a_visit_source_with_csr_offsets():
    g = _graph()
    assert isinstance(g, VisitSource)
    assert g.n_visits == 8 and len(g.person_ids) == 4 and len(g.venue_ids) == 2
    assert g.venue_offsets.tolist() == [0, 4, 8]
    for v in range(len(g.segment_offsets) - 1):  # each (venue, stay tier) by entry
        seg = g.v_t_in[g.segment_offsets[v]:g.segment_offsets[v + 1]]
        assert (np.diff(seg) >= 0).all()
    for p in range(4):
        rows = g.p_pos[g.person_offsets[p]:g.person_offsets[p + 1]]
        assert (g.v_person[rows] == p).all()
        assert (np.diff(g.v_t_in[rows]) >= 0).all()
    assert g.nbytes > 0
    assert repr(g) == "VisitGraph(8 visits, 4 people, 2 venues, dwell='estimated_dwell')"


def test_visits_at_uses_closed_windows():
    g = _graph()
    # V1 window 02:30-02:30 touches C1's exit (02:30, exclusive end) and P3's entry.
    got = g.visits_at(["V1"], ([ts("02:30")], [ts("02:30")]))
    assert sorted(got[s.PERSON_ID]) == ["C1", "P2", "P3"]
    assert list(got.columns) == [QUERY, s.VISIT_ID, s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT,
                                 s.T_OUT_SOURCE]
    one_pair = g.visits_at(["V1", "V2"], (ts("04:00"), ts("05:00")))
    assert one_pair[[QUERY, s.PERSON_ID]].values.tolist() == [[1, "C1"], [1, "P4"]]
    unknown = g.visits_at(["NOPE"], ([ts("00:00")], [ts("23:00")]))
    assert unknown.empty


def test_visits_of_sorted_by_query_then_entry():
    g = _graph()
    got = g.visits_of(["P4", "C1"], ([ts("00:00")] * 2, [ts("23:00")] * 2))
    assert got[[QUERY, s.PERSON_ID, s.VENUE_ID]].values.tolist() == [
        [0, "P4", "V1"], [0, "P4", "V2"], [1, "C1", "V1"], [1, "C1", "V2"]]
    assert g.visits_of(["ghost"], ([ts("00:00")], [ts("23:00")])).empty


def test_window_errors():
    g = _graph()
    naive = pd.Timestamp("2022-11-20 02:00")
    with pytest.raises(ValueError, match="window times must be tz-aware"):
        g.visits_at(["V1"], ([naive], [naive]))
    with pytest.raises(ValueError, match="2 starts and 2 ends for 3 ids"):
        g.visits_at(["V1", "V2", "V1"], ([ts("01:00")] * 2, [ts("02:00")] * 2))


def test_build_errors():
    vis = visits(scans(), venues(), venue_types=venue_types())
    with pytest.raises(ValueError, match=r"visits lacks column\(s\) \['t_out'\]"):
        VisitGraph.from_visits(vis.drop(columns=s.T_OUT), venues(), dwell="estimated_dwell",
                               venue_types=venue_types())
    flipped = vis.assign(**{s.T_OUT: vis[s.T_IN] - pd.Timedelta(minutes=1)})
    with pytest.raises(ValueError, match=r"t_out before t_in in 8 row\(s\)"):
        VisitGraph.from_visits(flipped, venues(), dwell="estimated_dwell",
                               venue_types=venue_types())
    with pytest.raises(ValueError, match=r"1 venue_id\(s\) not in venues"):
        VisitGraph.from_visits(vis.assign(**{s.VENUE_ID: "V9"}), venues(),
                               dwell="estimated_dwell", venue_types=venue_types())
    with pytest.raises(ValueError, match="dwell='hours'; allowed"):
        VisitGraph.from_visits(vis, venues(), dwell="hours", venue_types=venue_types())


def test_categorical_and_integer_ids_index_alike():
    vis = visits(scans(), venues(), venue_types=venue_types())
    cat = vis.assign(**{s.PERSON_ID: vis[s.PERSON_ID].astype("category"),
                        s.VENUE_ID: vis[s.VENUE_ID].astype("category")})
    a = VisitGraph.from_visits(vis, venues(), dwell="estimated_dwell", venue_types=venue_types())
    b = VisitGraph.from_visits(cat, venues(), dwell="estimated_dwell", venue_types=venue_types())
    for name in ("v_person", "v_t_in", "v_t_out", "p_pos", "segment_offsets"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


@st.composite
def logs(draw):
    n = draw(st.integers(1, 60))
    return pd.DataFrame({
        s.PERSON_ID: draw(st.lists(st.sampled_from("ABCDEFG"), min_size=n, max_size=n)),
        s.VENUE_ID: draw(st.lists(st.sampled_from(["V1", "V2"]), min_size=n, max_size=n)),
        s.SCANNED_AT: pd.DatetimeIndex(
            [ts("00:00") + pd.Timedelta(minutes=m) for m in
             draw(st.lists(st.integers(0, 600), min_size=n, max_size=n))]),
    })


@settings(max_examples=30, deadline=None)
@given(log=logs(), windows=st.lists(st.tuples(st.sampled_from(["V1", "V2"]),
                                              st.integers(-60, 700), st.integers(0, 120)),
                                    min_size=1, max_size=80))
def test_queries_equal_brute_force(log, windows):
    """Both search paths (few windows: np.searchsorted; many: bisection) match a scan."""
    g = VisitGraph.from_scans(log, venues(), venue_types=venue_types())
    vis = g.visits()
    starts = [ts("00:00") + pd.Timedelta(minutes=a) for _, a, _ in windows]
    ends = [t + pd.Timedelta(minutes=d) for t, (_, _, d) in zip(starts, windows, strict=True)]
    got = g.visits_at([v for v, _, _ in windows], (starts, ends))
    want = sorted(
        (i, vid) for i, ((v, _, _), a, b) in enumerate(zip(windows, starts, ends, strict=True))
        for vid, vv, t_in, t_out in zip(vis[s.VISIT_ID], vis[s.VENUE_ID], vis[s.T_IN],
                                        vis[s.T_OUT], strict=True)
        if vv == v and t_in <= b and t_out >= a)
    assert sorted(zip(got[QUERY], got[s.VISIT_ID], strict=True)) == want
    people = sorted(set(log[s.PERSON_ID]))
    got_p = g.visits_of(people, (ts("02:00"), ts("05:00")))
    want_p = sorted(vid for vid, t_in, t_out in zip(vis[s.VISIT_ID], vis[s.T_IN], vis[s.T_OUT],
                                                     strict=True)
                    if t_in <= ts("05:00") and t_out >= ts("02:00"))
    assert sorted(got_p[s.VISIT_ID]) == want_p


def test_to_networkx_follows_bipartite_conventions():
    g = _graph()
    G = g.to_networkx()
    assert type(G) is nx.Graph
    assert G.graph["people"] == {("person", p) for p in ["C1", "P2", "P3", "P4"]}
    assert G.graph["venues"] == {("venue", "V1"), ("venue", "V2")}
    assert all(G.nodes[n]["bipartite"] == 0 for n in G.graph["people"])
    assert all(G.nodes[n]["bipartite"] == 1 for n in G.graph["venues"])
    assert nx.bipartite.is_bipartite_node_set(G, G.graph["people"])
    edge = G.edges[("person", "C1"), ("venue", "V1")]
    assert edge["visits"] == [(ts("02:00"), ts("02:30"))] and edge["n_visits"] == 1
    assert G.nodes[("venue", "V2")]["venue_type"] == "restaurant"
    projected = nx.bipartite.projected_graph(G, G.graph["people"])
    assert projected.has_edge(("person", "C1"), ("person", "P4"))


def test_to_networkx_of_a_subset():
    g = _graph()
    ex = trace(g, cases())
    G = g.to_networkx(ex)
    assert G.graph["people"] == {("person", "C1"), ("person", "P2"), ("person", "P4")}
    only_p3 = g.to_networkx(["P3"])
    assert only_p3.graph["people"] == {("person", "P3")}
    assert only_p3.number_of_edges() == 2


def test_contact_graph_of_two_hops():
    g = VisitGraph.from_scans(scans(), venues(), "ninth", venue_types=venue_types())
    ex = trace(g, cases(), "ninth")
    G = contact_graph(ex)
    assert isinstance(G, nx.DiGraph)
    assert G.nodes[("person", "C1")]["hop"] == 0
    assert G.nodes[("person", "P2")]["hop"] == 1
    assert G.nodes[("person", "P3")]["hop"] == 2
    edge = G.edges[("person", "P2"), ("person", "P3")]
    assert edge["overlap_minutes"] == 50.0 and edge["venues"] == ["V1", "V2"]
    assert contact_graph(ex.iloc[:0]).number_of_nodes() == 0


def test_building_and_exporting_do_not_mutate_inputs():
    sc, ve = scans(), venues()
    before = (sc.copy(), ve.copy())
    g = VisitGraph.from_scans(sc, ve, venue_types=venue_types())
    ex = trace(g, cases())
    ex_before = ex.copy()
    g.to_networkx(ex)
    contact_graph(ex)
    pd.testing.assert_frame_equal(sc, before[0])
    pd.testing.assert_frame_equal(ve, before[1])
    pd.testing.assert_frame_equal(ex, ex_before)


def test_sub_second_times_take_the_general_sort():
    """Entries with sub-millisecond parts cannot be packed into one sort key."""
    frame = scans().assign(**{s.SCANNED_AT: scans()[s.SCANNED_AT] + pd.Timedelta(microseconds=7)})
    frame[s.EXIT_AT] = frame[s.EXIT_AT] + pd.Timedelta(microseconds=7)
    g = VisitGraph.from_scans(frame, venues(), venue_types=venue_types())
    for v in range(len(g.segment_offsets) - 1):
        seg = g.v_t_in[g.segment_offsets[v]:g.segment_offsets[v + 1]]
        assert (np.diff(seg) >= 0).all()
    assert sorted(trace(g, cases())[s.CONTACT_ID]) == ["P2", "P4"]


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["V1", "V2"]), st.integers(0, 6 * 3600),
                               st.sampled_from([0, 60, 600, 1800, 7200, 36000])),
                     min_size=1, max_size=40),
       jitter=st.booleans(),
       windows=st.lists(st.tuples(st.sampled_from(["V1", "V2", "NOPE"]),
                                  st.integers(-10**13, 3 * 10**13), st.integers(0, 10**13)),
                        min_size=1, max_size=70))
def test_window_bounds_at_any_nanosecond_equal_brute_force(rows, jitter, windows):
    """Whole-second entries are found through the packed seek keys, entries off the
    millisecond grid (jitter) through per-venue bisection; windows may start or end at
    any nanosecond, before, inside or after the data, and both must agree with a scan."""
    base = ts("00:00").value
    t_in = np.array([base + sec * 10**9 for _, sec, _ in rows], dtype=np.int64)
    t_in[0] += 1 if jitter else 0
    t_out = t_in + np.array([stay * 10**9 for _, _, stay in rows], dtype=np.int64)
    vis = pd.DataFrame({
        s.PERSON_ID: [f"P{i}" for i in range(len(rows))],
        s.VENUE_ID: [v for v, _, _ in rows],
        s.T_IN: pd.DatetimeIndex(t_in.view("datetime64[ns]"), tz="UTC"),
        s.T_OUT: pd.DatetimeIndex(t_out.view("datetime64[ns]"), tz="UTC"),
    })
    g = VisitGraph.from_visits(vis, venues(), dwell="estimated_dwell", venue_types=venue_types())
    starts = np.array([base + a for _, a, _ in windows], dtype=np.int64)
    ends = starts + np.array([d for _, _, d in windows], dtype=np.int64)
    got = g.visits_at([v for v, _, _ in windows], (starts, ends))
    want = sorted((i, f"P{j}") for i, (v, _, _) in enumerate(windows)
                  for j, (vv, _, _) in enumerate(rows)
                  if vv == v and t_in[j] <= ends[i] and t_out[j] >= starts[i])
    assert sorted(zip(got[QUERY], got[s.PERSON_ID], strict=True)) == want
    codes = g.venue_codes([v for v, _, _ in windows])
    blocks = list(g.candidate_blocks(codes, starts, ends, size=3))
    which, pos = g.candidates_at(codes, starts, ends)
    assert np.array_equal(np.concatenate([w for w, _ in blocks]), which)
    assert np.array_equal(np.concatenate([p for _, p in blocks]), pos)
    assert set(zip(*g.query_at(codes, starts, ends), strict=True)) <= set(
        zip(which, pos, strict=True))


@pytest.mark.parametrize("ids", [[0, 1, 2], [10, 20, 30], ["A", "B", "C"]])
def test_person_lookup_and_ids_keep_their_type(ids):
    """Dense integer ids (their own codes), sparse integers and strings answer alike."""
    numeric = isinstance(ids[0], int)
    vis = visits(scans(), venues(), venue_types=venue_types())
    vis = vis[vis[s.PERSON_ID] != "P4"]
    vis = vis.assign(**{s.PERSON_ID: vis[s.PERSON_ID].map(
        dict(zip(["C1", "P2", "P3"], ids, strict=True))).astype("int64" if numeric else "str")})
    g = VisitGraph.from_visits(vis, venues(), dwell="estimated_dwell", venue_types=venue_types())
    unknown = 99 if numeric else "ghost"
    wanted = np.array([ids[2], unknown]) if numeric else [ids[2], unknown]
    got = g.visits_of(wanted, (ts("00:00"), ts("23:00")))
    assert set(got[s.PERSON_ID]) == {ids[2]}
    codes = g.person_codes([*ids, unknown])
    assert codes.tolist() == [0, 1, 2, -1]
    taken = g.take_person_ids(codes[:3])
    assert list(taken) == ids
    if numeric:
        assert taken.dtype == np.int64 and not np.shares_memory(taken, codes)
