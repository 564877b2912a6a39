"""The local pull asks a visit source for exactly the visits a trace needs, under every rule.

A trace over a source that is not a whole graph (the replay's log, a store's index) pulls the
cases' visits and those near them, then traces the pulled graph: that must equal tracing
every visit. The ``cwa`` rule derives a case's interval that starts before the entry and ends
well after the exit, so its reach is wider than rounding and lingering alone.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.model.rules import PRESETS
from tracelab.tracing.forward import trace
from tracelab.tracing.local_pull import for_trace

synth = pytest.importorskip("tracelab.synth")


@pytest.fixture(scope="module")
def county():
    return synth.generate(population=900, days=8, seed=5, progress=False,
                          log=synth.LogParams.perfect(),
                          outbreak=synth.OutbreakParams(index_cases=6,
                                                        beta_venue_per_hour=0.08))


def _rows(ex: pd.DataFrame) -> pd.DataFrame:
    keys = [s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.OVERLAP_START]
    return ex[keys + [s.OVERLAP_END]].sort_values(keys, ignore_index=True)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_tracing_the_pulled_graph_equals_tracing_every_visit(county, name):
    graph, cases = VisitGraph.from_scans(county.scans, county.venues, rule=name), county.cases
    as_of = graph.time_range()[1]
    hops = 2 if PRESETS[name].secondary_contacts else 1

    def first_hop(local, valid):
        return trace(local, valid, name, 1, as_of=pd.Timestamp(as_of, tz="UTC"), explain=False)

    local = for_trace(graph, cases, name, hops, as_of, first_hop)
    whole = trace(graph, cases, name, hops, explain=False)
    pulled = trace(local, cases, name, hops, as_of=pd.Timestamp(as_of, tz="UTC"),
                   explain=False)
    assert len(whole) > 0
    pd.testing.assert_frame_equal(_rows(pulled), _rows(whole))
