"""Whole-population co-presence: equal to tracing every person, and to a plain pandas join."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.model.rules import rule
from tracelab.tracing.copresent_pairs import copresence, copresence_graph, write_copresence
from tracelab.tracing.forward import trace

T0 = pd.Timestamp("2022-11-20 00:00", tz="Asia/Shanghai").tz_convert("UTC")
PEOPLE = ["A", "B", "C", "D"]
VENUES = pd.DataFrame({s.VENUE_ID: ["V1", "V2", "V3"],
                       s.VENUE_TYPE: ["supermarket", "restaurant", "residential_compound"]})


@st.composite
def logs(draw):
    n = draw(st.integers(1, 14))
    rows = []
    for _ in range(n):
        minute = draw(st.sampled_from([0, 0, 10, 20, 45, 90, 600, 1500]))
        exit_after = draw(st.sampled_from([None, None, 5, 30, 200]))
        rows.append((draw(st.sampled_from(PEOPLE)), draw(st.sampled_from(list(VENUES[s.VENUE_ID]))),
                     T0 + pd.Timedelta(minutes=minute),
                     None if exit_after is None else T0 + pd.Timedelta(minutes=minute + exit_after)))
    frame = pd.DataFrame(rows, columns=[s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, s.EXIT_AT])
    frame[s.EXIT_AT] = pd.to_datetime(frame[s.EXIT_AT], utc=True)
    return frame


def _trace_everyone(graph, log, r):
    """Tracing every person as a case over the whole log, pairs summed."""
    people = sorted(set(log[s.PERSON_ID]))
    lookback = pd.Timedelta(days=r.lookback_days_symptomatic)
    cases = pd.DataFrame({s.PERSON_ID: people, s.KIND: s.CONFIRMED,
                          s.ONSET_AT: T0 - pd.Timedelta(days=1) + lookback})
    out = trace(graph, cases, r, 1, as_of=T0 + pd.Timedelta(days=5))
    if not len(out):
        return {}
    key = [tuple(sorted(p)) for p in zip(out[s.CASE_ID], out[s.CONTACT_ID], strict=True)]
    # Each pair is found from both sides under a symmetric rule: count it once.
    sums = pd.Series(out[s.OVERLAP_MIN].to_numpy(), index=pd.MultiIndex.from_tuples(key))
    return (sums.groupby(level=[0, 1]).sum() / 2).round(6).to_dict()


@settings(max_examples=120, deadline=None)
@given(log=logs(), name=st.sampled_from(["twenty", "same_day", "crowdnotifier"]),
       minimum=st.sampled_from([0.0, 10.0]))
def test_copresence_equals_tracing_every_person(log, name, minimum):
    r = rule(name, min_overlap_minutes=minimum)
    graph = VisitGraph.from_scans(log, VENUES, r)
    edges = copresence(graph, r)
    got = {(a, b): round(m, 6) for a, b, m in
           zip(edges[s.PERSON_A], edges[s.PERSON_B], edges[s.OVERLAP_MIN], strict=True)}
    assert got == _trace_everyone(graph, log, r)
    assert (edges[s.PERSON_A] < edges[s.PERSON_B]).all()


def test_date_only_pairs_equal_a_pandas_join():
    # A date-only log: under same_day two people co-present at a place on a date share
    # the whole day, 1440 minutes per (place, date).
    day = [T0, T0, T0, T0 + pd.Timedelta(days=1), T0 + pd.Timedelta(days=1)]
    log = pd.DataFrame({s.PERSON_ID: ["A", "B", "C", "A", "C"],
                        s.VENUE_ID: ["V1", "V1", "V2", "V2", "V2"], s.SCANNED_AT: day})
    edges = copresence(VisitGraph.from_scans(log, VENUES, "same_day"), "same_day")
    visits = log.drop_duplicates()
    joined = visits.merge(visits, on=[s.VENUE_ID, s.SCANNED_AT])
    joined = joined[joined["person_id_x"] < joined["person_id_y"]]
    expected = (joined.groupby(["person_id_x", "person_id_y"]).size() * 1440.0).to_dict()
    got = dict(zip(zip(edges[s.PERSON_A], edges[s.PERSON_B], strict=True),
                   edges[s.OVERLAP_MIN], strict=True))
    assert got == expected == {("A", "B"): 1440.0, ("A", "C"): 1440.0}


def test_residences_count_only_when_the_rule_shares_them(tmp_path):
    log = pd.DataFrame({s.PERSON_ID: ["A", "B"], s.VENUE_ID: ["V3", "V3"],
                        s.SCANNED_AT: [T0, T0 + pd.Timedelta(minutes=5)]})
    graph = VisitGraph.from_scans(log, VENUES, "twenty")
    assert copresence(graph, "twenty").empty
    shared = copresence(graph, rule("twenty", share_residences=True))
    assert shared[[s.PERSON_A, s.PERSON_B]].values.tolist() == [["A", "B"]]
    path = write_copresence(graph, tmp_path / "edges.parquet", rule("twenty", share_residences=True))
    back = pd.read_parquet(path).astype({s.PERSON_A: "str", s.PERSON_B: "str"})
    pd.testing.assert_frame_equal(back.sort_values([s.PERSON_A, s.PERSON_B], ignore_index=True),
                                  shared, check_dtype=False)
    assert list(copresence_graph(shared).edges) == [("A", "B")]


def test_asymmetric_rules_are_refused():
    graph = VisitGraph.from_scans(pd.DataFrame({s.PERSON_ID: ["A"], s.VENUE_ID: ["V1"],
                                                s.SCANNED_AT: [T0]}), VENUES)
    with pytest.raises(ValueError, match="lingering_minutes"):
        copresence(graph, "cwa")
