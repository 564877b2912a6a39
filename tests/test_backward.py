"""Tests of tracelab.backward: sources and common venues on the hand scenario."""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab import schema as s
from tracelab.backward import (
    CASE_IDS,
    N_CASES,
    N_OVERLAPPING,
    RANK,
    SCORE,
    SOURCE_ID,
    SOURCE_KIND,
    common_venues,
    sources,
)
from tracelab.graph import VisitGraph
from tests._exposure_data import cases, scans, ts, venue_types, venues


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


def test_sources_respects_the_incubation_window():
    all_cases = pd.concat([cases(), _later("P2")], ignore_index=True)
    got = sources(_graph(), "P2", "twenty", cases=all_cases.assign(
        **{s.ONSET_AT: [ts("00:00", "2022-11-21"), ts("03:00", "2022-11-20")]}))
    assert "case" not in set(got[SOURCE_KIND])


def test_sources_errors():
    with pytest.raises(ValueError, match="case='\\*+' is not in cases"):
        sources(_graph(), "ZZ", cases=cases())
    bad = cases().assign(**{s.ONSET_AT: pd.NaT, s.SAMPLED_AT: pd.NaT})
    for col in (s.ONSET_AT, s.SAMPLED_AT):
        bad[col] = pd.to_datetime(bad[col], utc=True)
    with pytest.raises(ValueError, match="neither onset_at nor sampled_at"):
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
