"""compare(): a run against itself is empty; one more case changes exactly what it should."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tracelab.analysis.area_designation import risk_areas
from tracelab.analysis.comparison import compare, snapshot, stable_key
from tracelab.analysis.ranking import rank_contacts, rank_venues
from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.tracing.forward import trace

T = pd.Timestamp("2022-11-20 02:00", tz="UTC")
M = pd.Timedelta(minutes=1)
VENUES = pd.DataFrame({
    s.VENUE_ID: ["H1", "H2", "R1", "S1"],
    s.VENUE_TYPE: ["residential_compound", "residential_compound", "restaurant", "supermarket"],
    s.LON: [114.03, 114.10, 114.05, 114.06], s.LAT: [27.63, 27.60, 27.62, 27.61]})
# C1 eats at R1 with P1, P2; C2 shops at S1 with P2, P3. Homes: C1 in H1, C2 in H2.
SCANS = pd.DataFrame({
    s.PERSON_ID: ["C1", "P1", "P2", "C2", "P2", "P3", "C1", "C2"],
    s.VENUE_ID: ["R1", "R1", "R1", "S1", "S1", "S1", "H1", "H2"],
    s.SCANNED_AT: [T, T + 10 * M, T + 20 * M, T + 300 * M, T + 305 * M, T + 310 * M,
                   T + 600 * M, T + 600 * M],
    s.CODE_COLOUR: ["green"] * 8})
CASES = pd.DataFrame({s.PERSON_ID: ["C1", "C2"], s.KIND: ["confirmed"] * 2,
                      s.ONSET_AT: [T + pd.Timedelta(days=1)] * 2,
                      s.CONFIRMED_AT: [T + pd.Timedelta(days=2)] * 2})
AS_OF = T + pd.Timedelta(days=2, hours=1)


def run(cases: pd.DataFrame) -> dict:
    graph = VisitGraph.from_scans(SCANS, VENUES)
    ex = trace(graph, cases, as_of=AS_OF)
    contacts = rank_contacts(ex, cases, SCANS, venues=VENUES)
    venues = rank_venues(ex, cases, graph.visits(), VENUES)
    areas = risk_areas(cases, graph.visits(), VENUES, as_of=AS_OF)
    return snapshot(contacts=contacts, exposures=ex, venues=venues, areas=areas)


def test_rerun_is_identical_and_compares_empty():
    a, b = run(CASES.iloc[:1]), run(CASES.iloc[:1])
    assert a == b
    assert compare(a, b).empty


def test_snapshot_survives_json():
    a = run(CASES)
    assert compare(a, json.loads(json.dumps(a))).empty


def test_adding_one_case_changes_exactly_what_it_should():
    before, after = run(CASES.iloc[:1]), run(CASES)
    diff = compare(before, after)
    got = sorted(zip(diff["kind"], diff["label"], diff["change"], strict=True))
    assert got == sorted([
        ("contact", "**", "new"),  # P3 (masked: not a pseudonym)
        ("exposure", "** -> ** at S1", "new"), ("exposure", "** -> ** at S1", "new"),
        ("venue", "S1", "new"),
        ("area", "area:H2", "new"),
    ])
    assert stable_key("P3") in after["contacts"] and stable_key("P2") in before["contacts"]


def test_area_lifted_and_changed():
    base = snapshot(areas=pd.DataFrame({"area_id": ["area:H1", "area:H2"],
                                        "level": ["high", "high"],
                                        "lifts_on": [pd.Timestamp("2022-11-25")] * 2}))
    later = snapshot(areas=pd.DataFrame({"area_id": ["area:H2"], "level": ["medium"],
                                         "lifts_on": [pd.Timestamp("2022-11-28")]}))
    diff = compare(base, later).set_index("label")
    assert diff.loc["area:H1", "change"] == "lifted"
    assert diff.loc["area:H2", "change"] == "changed"
    assert diff.loc["area:H2", "detail"] == ("level: high -> medium; "
                                             "lifts_on: 2022-11-25 -> 2022-11-28")


def test_tier_change_is_reported():
    a = snapshot(contacts=pd.DataFrame({s.CONTACT_ID: ["P1"], "tier": ["monitor"]}))
    b = snapshot(contacts=pd.DataFrame({s.CONTACT_ID: ["P1"], "tier": ["call_today"]}))
    assert compare(a, b)["detail"].tolist() == ["tier: monitor -> call_today"]


def test_row_order_does_not_matter():
    v = pd.DataFrame({s.VENUE_ID: ["V1", "V2", "V3"]})
    assert snapshot(venues=v) == snapshot(venues=v.iloc[::-1])


def test_version_mismatch_raises():
    with pytest.raises(ValueError, match="version"):
        compare({"version": 0}, snapshot())


def test_snapshot_leaves_frames_unchanged():
    contacts = pd.DataFrame({s.CONTACT_ID: ["P1"], "tier": ["monitor"]})
    before = contacts.copy()
    snapshot(contacts=contacts)
    pd.testing.assert_frame_equal(contacts, before)
