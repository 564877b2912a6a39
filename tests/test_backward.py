"""Tests of tracelab.tracing.backward: sources and common venues on the hand scenario."""

from __future__ import annotations

import pandas as pd
import pytest

from tests._forward_data import cases, scans, ts, venue_types, venues
from tracelab.index.graph import VisitGraph, VisitSource
from tracelab.model import schema as s
from tracelab.tracing.backward import (
    CASE_IDS,
    HOUSEHOLD_ID,
    N_CASES,
    N_OVERLAPPING,
    PROBABILITY,
    RANK,
    SCORE,
    SOURCE_ID,
    SOURCE_KIND,
    UNKNOWN,
    SourceModel,
    common_venues,
    sources,
)


def _graph():
    return VisitGraph.from_scans(scans(), venues(), venue_types=venue_types())


def _later(*people):
    """Cases with onset 2022-11-22 00:00 UTC: incubation window 11-15 00:00 to 11-21 00:00."""
    return pd.concat([cases().assign(**{s.PERSON_ID: p, s.ONSET_AT: ts("00:00", "2022-11-22"),
                                        s.ISOLATED_AT: ts("00:00", "2022-11-22")})
                      for p in people], ignore_index=True)


def test_sources_ranks_the_known_case_first():
    all_cases = pd.concat([cases(), _later("P2")], ignore_index=True)
    got = sources(_graph(), "P2", cases=all_cases)
    assert got[RANK].tolist() == list(range(1, len(got) + 1))
    top = got.iloc[0]
    assert (top[SOURCE_KIND], top[SOURCE_ID]) == ("case", "C1")
    # 10 min x weight 1.0, weighted by incubation density and infectiousness (both <= 1).
    assert 0 < top[SCORE] <= 10.0
    assert top[s.OVERLAP_MIN] == 10.0
    assert "known case C1 shared 10 min with P2 at V1" in top[s.WHY]
    venues_rows = got[got[SOURCE_KIND] == "venue"]
    assert sorted(venues_rows[SOURCE_ID]) == ["V1", "V2"]
    assert (got[SOURCE_KIND] == "case").idxmin() == 1  # cases before venues
    # Known cases and the unknown remainder share the whole probability; so do venues.
    assert got.loc[1, SOURCE_KIND] == UNKNOWN
    assert got.loc[got[SOURCE_KIND] != "venue", PROBABILITY].sum() == pytest.approx(1.0)
    assert venues_rows[PROBABILITY].sum() == pytest.approx(1.0)
    assert top[PROBABILITY] > got.loc[1, PROBABILITY]


def test_sources_respects_the_incubation_window():
    all_cases = pd.concat([cases(), _later("P2")], ignore_index=True)
    got = sources(_graph(), "P2", "twenty", cases=all_cases.assign(
        **{s.ONSET_AT: [ts("00:00", "2022-11-21"), ts("03:00", "2022-11-20")]}))
    assert "case" not in set(got[SOURCE_KIND])


def test_sources_errors():
    with pytest.raises(ValueError, match="case='\\*+' is not in cases"):
        sources(_graph(), "ZZ", cases=cases())
    bad = cases().assign(**{s.ONSET_AT: pd.NaT, s.SAMPLED_AT: pd.NaT, s.CONFIRMED_AT: pd.NaT})
    for col in (s.ONSET_AT, s.SAMPLED_AT, s.CONFIRMED_AT):
        bad[col] = pd.to_datetime(bad[col], utc=True)
    with pytest.raises(ValueError, match="none of onset_at, sampled_at, confirmed_at"):
        sources(_graph(), "C1", cases=bad)


def test_sources_without_visits_is_empty():
    got = sources(_graph(), "C1", cases=cases().assign(**{s.ONSET_AT: ts("00:00", "2022-12-30")}))
    assert got.empty


def test_common_venues_counts_cases_and_co_present_pairs():
    got = common_venues(_graph(), _later("P2", "P3", "P4"))
    assert got[s.VENUE_ID].tolist() == ["V1", "V2"]
    assert got[N_CASES].tolist() == [3, 3]
    assert got[CASE_IDS].tolist() == ["P2,P3,P4", "P2,P3,P4"]
    assert got[N_OVERLAPPING].tolist() == [1, 1]
    assert got.loc[0, "first_at"] == ts("01:00")
    assert common_venues(_graph(), _later("P2", "P3", "P4"), min_cases=4).empty
    with pytest.raises(ValueError, match="min_cases=0 must be >= 1"):
        common_venues(_graph(), _later("P2"), min_cases=0)


def test_inputs_not_mutated():
    c = _later("P2", "P3")
    before = c.copy()
    common_venues(_graph(), c)
    sources(_graph(), "P2", cases=c)
    pd.testing.assert_frame_equal(c, before)


def _table(rows):
    """Scans and venues from ``(person, venue, "HH:MM" entry, "HH:MM" exit)`` on 11-18 UTC."""
    day = "2022-11-18"
    scans = pd.DataFrame({
        s.PERSON_ID: [r[0] for r in rows], s.VENUE_ID: [r[1] for r in rows],
        s.SCANNED_AT: pd.DatetimeIndex([ts(r[2], day) for r in rows]),
        s.EXIT_AT: pd.DatetimeIndex([ts(r[3], day) for r in rows])})
    types = {"V1": "restaurant", "V2": "restaurant", "H": "village"}
    venues_ = pd.DataFrame({s.VENUE_ID: sorted({r[1] for r in rows})})
    venues_[s.VENUE_TYPE] = venues_[s.VENUE_ID].map(types)
    return VisitGraph.from_scans(scans, venues_, venue_types=venue_types())


def _onsets(**onsets):
    """Cases with these onsets (day of November 2022, 00:00 UTC); ``a_`` prefix: asymptomatic
    sampled that day."""
    rows = [(p.removeprefix("a_"), p.startswith("a_"), ts("00:00", f"2022-11-{d:02d}"))
            for p, d in onsets.items()]
    return pd.DataFrame({
        s.PERSON_ID: [r[0] for r in rows],
        s.KIND: [s.ASYMPTOMATIC if r[1] else s.CONFIRMED for r in rows],
        s.ONSET_AT: pd.DatetimeIndex([pd.NaT if r[1] else r[2] for r in rows]).tz_localize(
            None).tz_localize("UTC"),
        s.SAMPLED_AT: pd.DatetimeIndex([r[2] for r in rows])})


def _ranked(got):
    return got.loc[got[SOURCE_KIND] == "case", SOURCE_ID].tolist()


def test_sources_weighs_infectiousness_crowding_and_timing():
    # B (onset 21st) met A and E at V1 for the same hour on the 18th, and D at V2.
    g = _table([("B", "V1", "02:00", "03:00"), ("A", "V1", "02:00", "03:00"),
                ("E", "V1", "02:00", "03:00"), ("B", "V2", "05:00", "06:00"),
                ("D", "V2", "05:00", "06:00")])
    # A symptomatic beats E asymptomatic (relative infectiousness 0.35; its onset
    # unknown, spread around its sampling), same contact.
    got = sources(g, "B", cases=_onsets(B=21, A=19, a_E=19))
    assert _ranked(got) == ["A", "E"]
    p = got.set_index(SOURCE_ID)[PROBABILITY]
    assert 0 < p["E"] < 0.35 * p["A"] * 1.2
    # D's onset follows B's: not infectious on the 18th, so not a candidate.
    assert _ranked(sources(g, "B", cases=_onsets(B=21, A=19, D=24))) == ["A"]
    # Peak infectiousness at onset: A at onset on the 18th beats D a day before its onset.
    assert _ranked(sources(g, "B", cases=_onsets(B=21, A=18, D=19))) == ["A", "D"]


def test_sources_shares_a_crowded_venue_out():
    # The same hour with A alone (V2) or with 20 others around (V1).
    crowd = [(f"X{i:02d}", "V1", "02:00", "03:00") for i in range(20)]
    g = _table([("B", "V1", "02:00", "03:00"), ("E", "V1", "02:00", "03:00"),
                ("B", "V2", "05:00", "06:00"), ("A", "V2", "05:00", "06:00"), *crowd])
    got = sources(g, "B", cases=_onsets(B=21, A=19, E=19))
    assert _ranked(got) == ["A", "E"]
    p = got.set_index(SOURCE_ID)[PROBABILITY]
    wide = sources(g, "B", cases=_onsets(B=21, A=19, E=19), model=SourceModel(close_range=50))
    q = wide.set_index(SOURCE_ID)[PROBABILITY]
    # close_range 8 of the 21 others at V1; no sharing when close_range exceeds the crowd.
    assert (p["E"] / p["A"]) / (q["E"] / q["A"]) == pytest.approx(8 / 21)
    # The 20 others are possible unknown infectors, the more so the more prevalent.
    unknown = got.set_index(SOURCE_ID).loc[UNKNOWN]
    assert 0 < unknown[PROBABILITY] < p["A"]
    assert "20 other person(s)" in unknown[s.WHY]
    more = sources(g, "B", cases=_onsets(B=21, A=19, E=19),
                   model=SourceModel(unknown_prevalence=0.5))
    assert more.set_index(SOURCE_ID).loc[UNKNOWN, PROBABILITY] > unknown[PROBABILITY]


def test_sources_counts_household_members_from_a_roster():
    # F lives with B but no home scans were logged; A shared an hour at V1.
    g = _table([("B", "V1", "02:00", "03:00"), ("A", "V1", "02:00", "03:00")])
    cases_ = _onsets(B=21, A=19, F=19)
    assert _ranked(sources(g, "B", cases=cases_)) == ["A"]
    roster = pd.DataFrame({s.PERSON_ID: ["B", "F", "A"], HOUSEHOLD_ID: ["h1", "h1", "h2"]})
    before = roster.copy()
    got = sources(g, "B", cases=cases_, households=roster)
    pd.testing.assert_frame_equal(roster, before)
    assert _ranked(got) == ["F", "A"]
    top = got.iloc[0]
    assert top["venue_ids"] == "household"
    assert "lives with B (household roster)" in top[s.WHY]
    with pytest.raises(ValueError, match="households lacks column\\(s\\) \\['household_id'\\]"):
        sources(g, "B", cases=cases_, households=roster[[s.PERSON_ID]])


def test_sources_household_replaces_the_compound_gate():
    # B and F both at home in village H overnight: neighbours count a tenth of the
    # village weight, household members the household weight instead.
    g = _table([("B", "H", "10:00", "22:00"), ("F", "H", "10:00", "22:00")])
    cases_ = _onsets(B=21, F=19)
    plain = sources(g, "B", cases=cases_).set_index(SOURCE_ID)
    roster = pd.DataFrame({s.PERSON_ID: ["B", "F"], HOUSEHOLD_ID: ["h1", "h1"]})
    home = sources(g, "B", cases=cases_, households=roster).set_index(SOURCE_ID)
    assert home.loc["F", SCORE] > 3 * plain.loc["F", SCORE]
    assert home.loc["F", "venue_ids"] == "household"


def test_sources_asks_only_the_two_questions():
    class Only(VisitSource):
        """A visit source that is not a VisitGraph: the two questions and the venues."""

        def __init__(self, graph):
            self._g, self.dwell, self.venues = graph, graph.dwell, graph.venues

        def visits_at(self, venues, windows):
            return self._g.visits_at(venues, windows)

        def visits_of(self, people, windows):
            return self._g.visits_of(people, windows)

    all_cases = pd.concat([cases(), _later("P2")], ignore_index=True)
    pd.testing.assert_frame_equal(sources(Only(_graph()), "P2", cases=all_cases),
                                  sources(_graph(), "P2", cases=all_cases))


def test_sources_as_of_and_model_errors():
    all_cases = pd.concat([cases(), _later("P2")], ignore_index=True)
    early = sources(_graph(), "P2", cases=all_cases, as_of=ts("02:25"))
    assert early.loc[early[SOURCE_KIND] == "case", s.OVERLAP_MIN].tolist() == [5.0]
    with pytest.raises(ValueError, match="SourceModel: .*'close_range': -1"):
        SourceModel(close_range=-1)
    with pytest.raises(ValueError, match="SourceModel: .*'home_hours': \\(20, 18\\)"):
        SourceModel(home_hours=(20, 18))
