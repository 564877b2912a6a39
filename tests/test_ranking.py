"""Contact and venue ranking: each component moves the score the right way, with reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.analysis.ranking import (
    TIERS,
    capacity,
    infectiousness,
    occupancy,
    rank_contacts,
    rank_venues,
)
from tracelab.model import schema as s
from tracelab.model.rules import rule

T0 = pd.Timestamp("2022-11-20 02:00", tz="UTC")
MIN = pd.Timedelta(minutes=1)


def exposure(case: str, contact: str, venue: str, start_min: float, minutes: float,
             hop: int = 1, case_in_min: float | None = None) -> dict:
    start = T0 + start_min * MIN
    case_in = T0 + (start_min if case_in_min is None else case_in_min) * MIN
    return {s.CASE_ID: case, s.CONTACT_ID: contact, s.VENUE_ID: venue, s.HOP: hop,
            s.CASE_T_IN: case_in, s.CASE_T_OUT: case_in + 120 * MIN,
            s.CONTACT_T_IN: start, s.CONTACT_T_OUT: start + minutes * MIN,
            s.OVERLAP_START: start, s.OVERLAP_END: start + minutes * MIN,
            s.OVERLAP_MIN: float(minutes)}


VENUES = pd.DataFrame({s.VENUE_ID: ["R", "P", "S"],
                       s.VENUE_TYPE: ["restaurant", "pharmacy", "supermarket"]})
CASES = pd.DataFrame({s.PERSON_ID: ["C1", "C2"], s.KIND: ["confirmed", "confirmed"],
                      s.ONSET_AT: [T0 + pd.Timedelta(days=1)] * 2})


def score_of(rows: list[dict], contact: str, **kw) -> float:
    ranked = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES, **kw)
    return float(ranked.set_index(s.CONTACT_ID).loc[contact, "score"])


def test_more_minutes_score_higher():
    rows = [exposure("C1", "A", "S", 0, 60), exposure("C1", "B", "S", 0, 20)]
    assert score_of(rows, "A") > score_of(rows, "B")


def test_venue_weight_orders_equal_minutes():
    rows = [exposure("C1", "A", "R", 0, 30), exposure("C1", "B", "P", 0, 30)]
    ranked = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES)
    assert ranked[s.CONTACT_ID].tolist() == ["A", "B"]
    assert ranked["venue_factor"].tolist() == [1.5, 1.0]


def test_exposure_near_onset_beats_early_exposure():
    near = exposure("C1", "A", "S", 24 * 60 - 30, 30)  # ends at onset
    early = exposure("C1", "B", "S", -24 * 60, 30)  # two days before onset
    ranked = rank_contacts(pd.DataFrame([near, early]), CASES, venues=VENUES)
    f = ranked.set_index(s.CONTACT_ID)["infectiousness_factor"]
    assert f["A"] > f["B"]
    assert ranked[s.CONTACT_ID].iloc[0] == "A"


def test_asymptomatic_case_counts_less():
    cases = pd.DataFrame({s.PERSON_ID: ["C1", "C2"], s.KIND: ["confirmed", "asymptomatic"],
                          s.ONSET_AT: [T0 + pd.Timedelta(days=1), pd.NaT],
                          s.SAMPLED_AT: [T0 + pd.Timedelta(days=1)] * 2})
    rows = [exposure("C1", "A", "S", 0, 30), exposure("C2", "B", "S", 0, 30, case_in_min=-5)]
    ranked = rank_contacts(pd.DataFrame(rows), cases, venues=VENUES).set_index(s.CONTACT_ID)
    assert ranked.loc["B", "infectiousness_factor"] == pytest.approx(
        0.35 * ranked.loc["A", "infectiousness_factor"])


def test_two_cases_beat_one():
    rows = [exposure("C1", "A", "S", 0, 30), exposure("C2", "A", "S", 200, 30),
            exposure("C1", "B", "S", 0, 30)]
    ranked = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES).set_index(s.CONTACT_ID)
    assert ranked.loc["A", "n_cases"] == 2 and ranked.loc["A", "n_exposures"] == 2
    assert ranked.loc["A", "score"] > ranked.loc["B", "score"]


def test_crowding_dilutes_each_persons_share():
    crowd = [exposure("C1", f"X{i}", "S", 0, 30) for i in range(16)]
    alone = [exposure("C2", "A", "S", 0, 30, case_in_min=500)]
    alone[0][s.OVERLAP_START] = crowd[0][s.OVERLAP_START]
    alone[0][s.OVERLAP_END] = crowd[0][s.OVERLAP_END]
    ranked = rank_contacts(pd.DataFrame(crowd + alone), CASES, venues=VENUES)
    c = ranked.set_index(s.CONTACT_ID)["crowding_factor"]
    assert c["A"] == 1.0 and c["X0"] == pytest.approx(8 / 16)
    assert ranked[s.CONTACT_ID].iloc[0] == "A"


def test_yellow_or_red_code_after_exposure_raises_priority():
    rows = [exposure("C1", "A", "S", 0, 30), exposure("C1", "B", "S", 0, 30)]
    scans = pd.DataFrame({s.PERSON_ID: ["A", "B", "B"], s.VENUE_ID: ["S"] * 3,
                          s.SCANNED_AT: [T0 - 60 * MIN, T0 + 300 * MIN, T0 + 400 * MIN],
                          s.CODE_COLOUR: ["red", "yellow", "green"]})
    ranked = rank_contacts(pd.DataFrame(rows), CASES, scans, venues=VENUES)
    r = ranked.set_index(s.CONTACT_ID)
    # A's red scan came before the exposure: it says nothing about this exposure.
    assert r.loc["A", s.CODE_COLOUR] == "green" and r.loc["B", s.CODE_COLOUR] == "yellow"
    assert r.loc["B", "score"] == pytest.approx(1.5 * r.loc["A", "score"])
    assert "code yellow (priority x1.5)" in r.loc["B", s.WHY]


def test_hop_two_is_damped():
    rows = [exposure("C1", "A", "S", 0, 30), exposure("A", "B", "S", 100, 30, hop=2)]
    r = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES).set_index(s.CONTACT_ID)
    assert r.loc["B", "hop_factor"] == 0.1 and r.loc["B", "score"] < r.loc["A", "score"]
    assert "hop 2" in r.loc["B", s.WHY]


def test_components_multiply_to_the_dose():
    rows = [exposure("C1", "A", "R", 0, 30), exposure("C2", "A", "P", 2000, 45),
            exposure("C1", "B", "S", 0, 10, hop=2)]
    r = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES)
    product = (r[s.OVERLAP_MIN] / 60 * r["venue_factor"] * r["infectiousness_factor"]
               * r["crowding_factor"] * r["hop_factor"])
    np.testing.assert_allclose(product, r["dose_hours"])


def test_capacity_sets_tiers():
    rows = [exposure("C1", f"X{i}", "S", 0, 10 + i) for i in range(7)]
    r = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES, calls_per_day=3)
    assert r["tier"].tolist() == [TIERS[0]] * 3 + [TIERS[1]] * 3 + [TIERS[2]]
    assert r["rank"].tolist() == list(range(1, 8))
    assert r[s.CONTACT_ID].iloc[0] == "X6"


def test_capacity_comes_from_the_rule():
    rows = [exposure("C1", f"X{i}", "S", 0, 10 + i) for i in range(7)]
    ex = pd.DataFrame(rows)
    tiers = lambda r: r["tier"].value_counts().reindex(TIERS, fill_value=0).tolist()  # noqa: E731
    # the rule given, else the rule the exposures were traced with, else 200
    assert tiers(rank_contacts(ex, CASES, rule=rule("twenty", calls_per_day=2))) == [2, 2, 3]
    assert tiers(rank_contacts(ex.assign(rule_id="ninth(calls_per_day=3)"), CASES)) == [3, 3, 1]
    assert tiers(rank_contacts(ex, CASES)) == [7, 0, 0]
    # a number given wins over the rule
    assert tiers(rank_contacts(ex, CASES, rule="twenty(calls_per_day=2)", calls_per_day=1)) == [
        1, 1, 5]
    assert capacity("ten(calls_per_day=40)") == 40 and capacity() == 200


def test_exposures_traced_under_two_capacities_are_refused():
    ex = pd.DataFrame([exposure("C1", "A", "S", 0, 10), exposure("C1", "B", "S", 0, 20)])
    mixed = ex.assign(rule_id=["twenty(calls_per_day=3)", "twenty"])
    with pytest.raises(ValueError, match=r"different calls_per_day \[3, 200\]"):
        rank_contacts(mixed, CASES)
    assert len(rank_contacts(mixed, CASES, calls_per_day=5)) == 2


def test_cutoffs_without_capacity():
    rows = [exposure("C1", "A", "R", 0, 120), exposure("C1", "B", "P", 0, 1)]
    r = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES, calls_per_day=None,
                      cutoffs=(20.0, 5.0))
    assert r["tier"].tolist() == ["call_today", "monitor"]


def test_pairs_give_one_row_per_case_and_contact():
    rows = [exposure("C1", "A", "S", 0, 30), exposure("C2", "A", "S", 200, 30),
            exposure("C1", "A", "R", 300, 30)]
    r = rank_contacts(pd.DataFrame(rows), CASES, venues=VENUES, per="pair")
    assert sorted(zip(r[s.CASE_ID], r[s.CONTACT_ID], strict=True)) == [("C1", "A"), ("C2", "A")]
    assert r.set_index(s.CASE_ID).loc["C1", "n_exposures"] == 2


def test_inputs_unchanged_and_row_order_irrelevant():
    rows = pd.DataFrame([exposure("C1", "A", "R", 0, 30), exposure("C2", "B", "P", 60, 45),
                         exposure("C1", "B", "S", 10, 5)])
    before, cases_before = rows.copy(), CASES.copy()
    a = rank_contacts(rows, CASES, venues=VENUES)
    pd.testing.assert_frame_equal(rows, before)
    pd.testing.assert_frame_equal(CASES, cases_before)
    b = rank_contacts(rows.iloc[::-1], CASES, venues=VENUES)
    pd.testing.assert_frame_equal(a, b)


def test_empty_exposures_give_empty_ranking():
    empty = pd.DataFrame([exposure("C1", "A", "S", 0, 30)]).iloc[:0]
    assert rank_contacts(empty, CASES, venues=VENUES).empty


@pytest.mark.parametrize("kw, match", [
    ({"per": "venue"}, "per='venue'"),
    ({"calls_per_day": 0}, "calls_per_day=0"),
    ({"calls_per_day": 2.5}, "calls_per_day=2.5"),
    ({"calls_per_day": "many"}, "calls_per_day='many'"),
    ({"cutoffs": (1.0, 5.0)}, "cutoffs="),
])
def test_bad_arguments_raise(kw, match):
    with pytest.raises(ValueError, match=match):
        rank_contacts(pd.DataFrame([exposure("C1", "A", "S", 0, 30)]), CASES, **kw)


def test_missing_column_named():
    with pytest.raises(ValueError, match="overlap_minutes"):
        rank_contacts(pd.DataFrame([exposure("C1", "A", "S", 0, 30)]).drop(
            columns=[s.OVERLAP_MIN]), CASES)


def test_infectiousness_peaks_at_onset():
    f = infectiousness(np.linspace(-5, 10, 151))
    assert f.argmax() == 50 and f.max() == 1.0


def test_occupancy_counts_people_per_bin():
    v = pd.DataFrame({s.PERSON_ID: ["A", "B", "A"], s.VENUE_ID: ["V", "V", "V"],
                      s.T_IN: [T0, T0 + 20 * MIN, T0 + 50 * MIN],
                      s.T_OUT: [T0 + 15 * MIN, T0 + 40 * MIN, T0 + 50 * MIN]})
    occ = occupancy(v, ["V"], T0, T0 + 60 * MIN)
    assert occ["present"].tolist() == [1, 1, 1, 1]
    assert occupancy(v, ["V"], T0, T0 + 60 * MIN, bin_minutes=60)["present"].tolist() == [2]


def test_rank_venues_orders_and_explains():
    visits = pd.DataFrame({
        s.PERSON_ID: ["C1", "A", "B", "C", "C1", "D"], s.VENUE_ID: ["R", "R", "R", "R", "P", "P"],
        s.T_IN: [T0, T0 + 5 * MIN, T0 + 10 * MIN, T0 + 20 * MIN, T0 + 200 * MIN,
                 T0 + 200 * MIN],
        s.T_OUT: [T0 + 90 * MIN, T0 + 60 * MIN, T0 + 60 * MIN, T0 + 80 * MIN,
                  T0 + 210 * MIN, T0 + 210 * MIN],
        s.CODE_COLOUR: ["green"] * 6})
    ex = pd.DataFrame([exposure("C1", p, "R", 5, 40, case_in_min=0) for p in "ABC"]
                      + [exposure("C1", "D", "P", 200, 10, case_in_min=200)])
    ex[s.CASE_T_OUT] = [T0 + 90 * MIN] * 3 + [T0 + 210 * MIN]
    before = ex.copy()
    r = rank_venues(ex, CASES, visits, VENUES)
    pd.testing.assert_frame_equal(ex, before)
    assert r[s.VENUE_ID].tolist() == ["R", "P"]
    assert r["peak_present"].tolist() == [4, 2]
    assert r["alert_reach"].tolist() == [3, 1]
    assert "an alert would reach 3" in r.loc[0, s.WHY]


def test_rank_venues_needs_venues_for_scans():
    scans = pd.DataFrame({s.PERSON_ID: ["A"], s.VENUE_ID: ["R"], s.SCANNED_AT: [T0]})
    with pytest.raises(ValueError, match="pass venues="):
        rank_venues(pd.DataFrame([exposure("C1", "A", "R", 0, 5)]), CASES, scans, None)


def test_naive_case_times_refused():
    naive = CASES.assign(**{s.ONSET_AT: pd.Timestamp("2022-11-21")})
    with pytest.raises(ValueError, match="tz-aware"):
        rank_contacts(pd.DataFrame([exposure("C1", "A", "S", 0, 30)]), naive)


_rows = st.lists(st.tuples(st.sampled_from(["C1", "C2"]), st.sampled_from(list("ABCDE")),
                           st.sampled_from(["R", "P", "S"]), st.integers(-3000, 3000),
                           st.integers(1, 240), st.sampled_from([1, 2])),
                 min_size=1, max_size=12)


@settings(max_examples=15, deadline=None)
@given(_rows, st.randoms(use_true_random=False))
def test_properties_shuffle_bounds_and_more_minutes(rows, rnd):
    frame = pd.DataFrame([exposure(c, p, v, a, m, hop) for c, p, v, a, m, hop in rows])
    ranked = rank_contacts(frame, CASES, venues=VENUES)
    order = list(range(len(frame)))
    rnd.shuffle(order)
    pd.testing.assert_frame_equal(ranked, rank_contacts(frame.iloc[order], CASES, venues=VENUES))
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["score"].between(0, 200).all() and ranked["score"].is_monotonic_decreasing
    longer = frame.assign(**{s.OVERLAP_MIN: frame[s.OVERLAP_MIN] + 10})
    more = rank_contacts(longer, CASES, venues=VENUES).set_index(s.CONTACT_ID)["score"]
    base = ranked.set_index(s.CONTACT_ID)["score"]
    assert (more.reindex(base.index) >= base - 1e-9).all()


def test_occupancy_leaves_visits_unchanged():
    v = pd.DataFrame({s.PERSON_ID: ["A"], s.VENUE_ID: ["V"], s.T_IN: [T0],
                      s.T_OUT: [T0 + 15 * MIN]})
    before = v.copy()
    occupancy(v, ["V"], T0, T0 + 60 * MIN)
    pd.testing.assert_frame_equal(v, before)
    with pytest.raises(ValueError, match="bin_minutes=0"):
        occupancy(v, ["V"], T0, T0 + 60 * MIN, bin_minutes=0)


def test_pipeline_on_a_small_synthetic_county(tmp_path):
    from tracelab.analysis.area_designation import risk_areas
    from tracelab.analysis.clustering import clusters
    from tracelab.governance.call_lists import export_contacts
    from tracelab.index.graph import VisitGraph
    from tracelab.synth import generate
    from tracelab.tracing.forward import trace

    county = generate(1500, days=10, seed=1, progress=False)
    scans = county.scans[county.scans[s.VENUE_ID].isin(county.venues[s.VENUE_ID])]
    as_of = scans[s.SCANNED_AT].max() + pd.Timedelta(hours=1)
    graph = VisitGraph.from_scans(scans, county.venues)
    ex = trace(graph, county.cases, as_of=as_of)
    ranked = rank_contacts(ex, county.cases, scans, venues=county.venues, calls_per_day=50)
    assert len(county.cases) > 0 and len(ex) > 0
    assert sorted(ranked[s.CONTACT_ID]) == sorted(ex[s.CONTACT_ID].unique())
    assert set(ranked["tier"]) <= set(TIERS) and ranked["why"].str.startswith("#").all()
    venues = rank_venues(ex, county.cases, graph.visits(), county.venues)
    assert set(venues[s.VENUE_ID]) == set(ex.loc[ex[s.HOP] == 1, s.VENUE_ID])
    assert (venues["alert_reach"] >= 0).all() and (venues["peak_present"] >= 1).all()
    areas = risk_areas(county.cases, graph.visits(), county.venues, as_of=as_of,
                       persons=county.persons, venue_crs="GCJ-02")
    assert areas.geometry.is_valid.all() and areas["level"].iloc[-1] == "low"
    members = clusters(ex, county.cases, venues=county.venues).members
    assert sorted(members[s.PERSON_ID]) == sorted(county.cases[s.PERSON_ID])
    out = export_contacts(ranked, tmp_path / "calls.csv", county.persons)
    text = out.read_text(encoding="utf-8-sig")
    contacts = county.persons[county.persons[s.PERSON_ID].isin(ranked[s.CONTACT_ID])]
    assert len(contacts) and not any(p in text for p in contacts["phone"].dropna())
