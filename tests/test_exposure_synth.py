"""trace and sources on the synthetic outbreak, against its ground truth.

The simulator's contact rule (``tracelab.synth.transmission``): a venue infection needs
the true stays to overlap by more than 0 s while the infector is infectious and not
isolated. With perfect logs (every stay scanned, exact exit scans) a rule with half-open
intervals, no minimum, and windows set to the true infectious windows must find every
venue infection whose infector was detected (recall 1.0).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab import schema as s
from tracelab.backward import RANK, SOURCE_ID, SOURCE_KIND, sources
from tracelab.exposure import trace
from tracelab.graph import VisitGraph
from tracelab.rules import rule

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


@pytest.mark.slow
def test_sources_rank_the_true_infector_above_chance(county):
    """Print the share of cases whose true infector ranks first; require top-3 above chance.

    In this dense outbreak a case shares its school or workplace with tens of other cases,
    so scans alone cannot single out the infector: the share ranked first is low (about
    1 in 8 here) and is printed, not asserted. Ranking must still beat chance clearly.
    """
    truth = county.truth
    cases = county.cases
    r = rule("twenty", share_residences=True)
    graph = VisitGraph.from_scans(county.scans, county.venues, r)
    known = set(cases[s.PERSON_ID])
    scored = truth[truth[s.PERSON_ID].isin(known) & truth[columns.INFECTOR_ID].isin(known)]
    assert len(scored) >= 5
    scored = scored.sample(n=min(30, len(scored)), random_state=0)  # keeps the test short
    first = top3 = 0
    chance3 = 0.0
    for row in scored.itertuples(index=False):
        ranked = sources(graph, row.person_id, r, cases=cases)
        cand = ranked[ranked[SOURCE_KIND] == "case"].reset_index(drop=True)
        hits = cand.index[cand[SOURCE_ID] == getattr(row, columns.INFECTOR_ID)].tolist()
        first += bool(hits and hits[0] == 0)
        top3 += bool(hits and hits[0] < 3)
        chance3 += min(3, len(cand)) / len(cand) if len(cand) else 0.0
        assert cand[RANK].is_monotonic_increasing
    n = len(scored)
    print(f"sources ranks the true infector first for {first}/{n} ({first / n:.0%}) and in "
          f"the top 3 for {top3}/{n} ({top3 / n:.0%}; chance {chance3 / n:.0%}) of detected "
          "cases with a detected infector")
    assert top3 / n >= 2 * chance3 / n
