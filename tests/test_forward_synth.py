"""trace and sources on the synthetic outbreak, against its ground truth.

The simulator's contact rule (``tracelab.synth.transmission``): a venue infection needs
the true stays to overlap by more than 0 s while the infector is infectious and not
isolated. With perfect logs (every stay scanned, exact exit scans) a rule with half-open
intervals, no minimum, and windows set to the true infectious windows must find every
venue infection whose infector was detected (recall 1.0).

``sources`` sees only what an investigator has (scans, venues, the cases table and the
household roster of the persons table), never the truth table; the truth only scores
its ranking.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.model.rules import rule
from tracelab.tracing.backward import PROBABILITY, RANK, SOURCE_ID, SOURCE_KIND, sources
from tracelab.tracing.forward import trace

synth = pytest.importorskip("tracelab.synth")
columns = pytest.importorskip("tracelab.synth.columns")


@pytest.fixture(scope="module")
def county():
    # A lively outbreak (10 index cases, 4x the venue hazard) so there is much to score.
    return synth.generate(population=1500, days=12, seed=11, progress=False,
                          log=synth.LogParams.perfect(),
                          outbreak=synth.OutbreakParams(index_cases=10, beta_venue_per_hour=0.08))


def _true_windows(truth: pd.DataFrame) -> pd.DataFrame:
    """Detected people as cases whose window is their true infectious window."""
    det = truth[truth[columns.DETECTED_AT].notna()]
    end = det[columns.INFECTIOUS_END].where(
        det[columns.ISOLATED_AT_TRUE].isna(),
        det[[columns.INFECTIOUS_END, columns.ISOLATED_AT_TRUE]].min(axis=1))
    return pd.DataFrame({
        s.PERSON_ID: det[s.PERSON_ID].to_numpy(), s.KIND: s.ASYMPTOMATIC,
        s.ONSET_AT: pd.to_datetime(pd.Series([None] * len(det)), utc=True),
        s.SAMPLED_AT: det[columns.INFECTIOUS_START].to_numpy(),
        s.ISOLATED_AT: pd.DatetimeIndex(end),
    })


@pytest.mark.slow
def test_trace_recalls_every_venue_infection_by_a_detected_case(county):
    truth = county.truth
    cases = _true_windows(truth)
    r = rule("twenty", lookback_days_asymptomatic=0)
    graph = VisitGraph.from_scans(county.scans, county.venues, r)
    ex = trace(graph, cases, r, explain=False)
    detected = set(cases[s.PERSON_ID])
    targets = truth[(truth[columns.SETTING] == columns.VENUE)
                    & truth[columns.INFECTOR_ID].isin(detected)]
    assert len(targets) >= 5, "the fixture outbreak needs venue infections to score"
    found = 0
    for row in targets.itertuples(index=False):
        rows = ex[(ex[s.CASE_ID] == getattr(row, columns.INFECTOR_ID))
                  & (ex[s.CONTACT_ID] == row.person_id) & (ex[s.VENUE_ID] == row.venue_id)]
        at = getattr(row, columns.INFECTED_AT)
        found += bool(((rows[s.OVERLAP_START] <= at) & (at < rows[s.OVERLAP_END])).any())
    print(f"recall {found}/{len(targets)} venue infections by detected cases")
    assert found == len(targets)


def _share_first(county, *, households, n=30):
    """Shares of sampled detected cases with a detected infector whose infector ranks
    first and in the top 3, what chance would give for each, and the sample size."""
    truth, cases = county.truth, county.cases
    r = rule("twenty", share_residences=True)
    graph = VisitGraph.from_scans(county.scans, county.venues, r)
    known = set(cases[s.PERSON_ID])
    scored = truth[truth[s.PERSON_ID].isin(known) & truth[columns.INFECTOR_ID].isin(known)]
    assert len(scored) >= 5
    scored = scored.sample(n=min(n, len(scored)), random_state=0)  # keeps the test short
    roster = county.persons[[s.PERSON_ID, columns.HOUSEHOLD_ID]] if households else None
    first = top3 = 0
    chance1 = chance3 = 0.0
    for row in scored.itertuples(index=False):
        ranked = sources(graph, row.person_id, r, cases=cases, households=roster)
        cand = ranked[ranked[SOURCE_KIND] == "case"].reset_index(drop=True)
        hits = cand.index[cand[SOURCE_ID] == getattr(row, columns.INFECTOR_ID)].tolist()
        first += bool(hits and hits[0] == 0)
        top3 += bool(hits and hits[0] < 3)
        chance1 += 1 / len(cand) if len(cand) else 0.0
        chance3 += min(3, len(cand)) / len(cand) if len(cand) else 0.0
        assert cand[RANK].is_monotonic_increasing
        assert ranked.loc[ranked[SOURCE_KIND] != "venue", PROBABILITY].sum() == pytest.approx(1)
    n = len(scored)
    return first / n, top3 / n, chance1 / n, chance3 / n, n


@pytest.mark.slow
def test_sources_rank_the_true_infector_above_chance_in_a_dense_outbreak(county):
    """Print the share of cases whose true infector ranks first; require it above chance.

    ``sources`` scores each candidate by the likelihood that it infected the case (shared
    time x venue weight x crowding x the candidate's infectiousness then x the case's
    incubation density; household members from the roster through evenings at home).
    This fixture is a dense outbreak: 10 index cases at 4x the venue hazard infect 60 %
    of the county in 12 days; a case has 50-130 candidates and shares its school or
    workplace with 5.5 infectious cases on average at the very instant it is infected.
    Scans cannot single out the infector: over all 167 scored cases the true one ranks
    first for 29 % and in the top 3 for 51 % (20 % and 40 % without the roster; about
    the same with every candidate's true infectious period), 24-33 % first on three
    other dense seeds (the previous scoring: 13-18 %). This 30-case sample is an unlucky
    one (10 % first, 47 % top 3), so the floors are relative to chance; the realistic outbreak below reaches "most".
    """
    first, top3, chance1, chance3, n = _share_first(county, households=True)
    print(f"dense outbreak: sources ranks the true infector first for {first:.0%} (chance "
          f"{chance1:.0%}) and in the top 3 for {top3:.0%} (chance {chance3:.0%}) of {n} "
          "detected cases with a detected infector")
    assert first >= 2 * chance1
    assert top3 >= 2 * chance3


@pytest.fixture(scope="module")
def realistic():
    # Default transmission (R about 2): 6 index cases in 5,000 people over 14 days.
    return synth.generate(population=5000, days=14, seed=2, progress=False,
                          log=synth.LogParams.perfect(),
                          outbreak=synth.OutbreakParams(index_cases=6))


@pytest.mark.slow
def test_sources_rank_the_true_infector_first_for_most_cases(realistic):
    """Issue #4: the true infector ranks first for most detected cases with a detected
    infector, on an outbreak at the simulator's default transmission.

    Measured with the household roster, first / top 3 over all scored cases: 62 / 93 %
    here (seed 2, 29 cases), 88 / 100 % (seed 12), 67 / 79 % (seed 13), 65 / 91 %
    (seed 14), 56 / 80 % with the default imperfect logs (seed 4); 68 % first pooled.
    Without the roster 41-82 %, 52 % pooled: a compound gate scan cannot tell a
    household member from a neighbour.
    """
    first, top3, chance1, chance3, n = _share_first(realistic, households=True)
    print(f"default outbreak: sources ranks the true infector first for {first:.0%} (chance "
          f"{chance1:.0%}) and in the top 3 for {top3:.0%} (chance {chance3:.0%}) of {n} "
          "detected cases with a detected infector")
    assert first > 0.5
    assert first >= 1.5 * chance1  # few candidates here: chance alone is not small
