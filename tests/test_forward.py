"""Tests of tracelab.tracing.forward.trace on the hand-checkable scenario and PRIOR-ART §6 cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests._forward_data import cases, scans, ts, venue_types, venues
from tracelab.index.graph import VisitGraph
from tracelab.index.windows import case_windows
from tracelab.model import schema as s
from tracelab.model.rules import cwa_interval, rule
from tracelab.tracing.forward import trace, trace_assumptions


def _graph(r="twenty", frame=None, venue_frame=None):
    return VisitGraph.from_scans(scans() if frame is None else frame,
                                 venues() if venue_frame is None else venue_frame,
                                 r, venue_types=venue_types())


def _pairs(ex):
    return sorted(zip(ex[s.CASE_ID], ex[s.CONTACT_ID], ex[s.VENUE_ID],
                      ex[s.OVERLAP_MIN], ex[s.HOP], strict=True))


def test_hand_scenario_twenty():
    ex = trace(_graph(), cases())
    assert list(ex.columns) == list(s.EXPOSURE_COLUMNS)
    assert _pairs(ex) == [("C1", "P2", "V1", 10.0, 1), ("C1", "P4", "V2", 10.0, 1)]
    p4 = ex[ex[s.CONTACT_ID] == "P4"].iloc[0]
    # The V2 visit is cut at isolation (04:40): overlap 04:30-04:40.
    assert (p4[s.OVERLAP_START], p4[s.OVERLAP_END]) == (ts("04:30"), ts("04:40"))
    assert (p4[s.CASE_T_IN], p4[s.CASE_T_OUT]) == (ts("04:00"), ts("05:00"))
    assert set(ex[s.CATEGORY]) == {s.CO_EXPOSURE}
    assert set(ex[s.RULE_ID]) == {"twenty"}
    assert ex[s.HOP].dtype == "int8"


def test_why_reads_aloud_in_local_time():
    ex = trace(_graph(), cases())
    why = ex.loc[ex[s.CONTACT_ID] == "P2", s.WHY].iloc[0]
    assert why.startswith("Case C1 was at V1 (supermarket) 2022-11-20 10:00 to 10:30 and P2 "
                          "was there 2022-11-20 10:20 to 10:50 (Asia/Shanghai time): 10 min")
    assert "from 2022-11-19 08:00, before onset" in why
    assert "under rule twenty" in why


def test_closed_boundary_adds_the_touching_visit():
    ex = trace(_graph("crowdnotifier"), cases(), "crowdnotifier")
    assert ("C1", "P3", "V1", 0.0, 1) in _pairs(ex)


def test_lingering_extends_the_case():
    r = rule("twenty", lingering_minutes=30)
    ex = trace(_graph(r), cases(), r)
    assert _pairs(ex) == [("C1", "P2", "V1", 30.0, 1), ("C1", "P3", "V1", 30.0, 1),
                          ("C1", "P4", "V2", 40.0, 1)]
    assert "counting 30 min lingering" in ex[s.WHY].iloc[0]


def test_min_overlap_filters():
    r = rule("twenty", min_overlap_minutes=11)
    assert trace(_graph(r), cases(), r).empty


def test_hop_two_under_ninth():
    ex = trace(_graph("ninth"), cases(), "ninth")
    hop2 = ex[ex[s.HOP] == 2]
    # P2 is followed from 02:20: P3 overlaps P2 at V1 (02:30-02:50) and at V2.
    assert _pairs(hop2) == [("P2", "P3", "V1", 20.0, 2), ("P2", "P3", "V2", 30.0, 2)]
    assert hop2[s.WHY].iloc[0].startswith("Hop-1 contact P2 was at V1")
    assert ex[s.HOP].tolist() == sorted(ex[s.HOP].tolist())


def test_hop_two_refused_without_secondary_contacts():
    with pytest.raises(ValueError, match="hops=2 but rule 'twenty' does not determine"):
        trace(_graph(), cases(), "twenty", hops=2)
    with pytest.raises(ValueError, match="hops=3; allowed: 1, 2"):
        trace(_graph(), cases(), "ninth", hops=3)


def test_graph_dwell_must_match_rule():
    with pytest.raises(ValueError, match="built with dwell='estimated_dwell' but rule 'nhs'"):
        trace(_graph(), cases(), "nhs")


def test_case_is_never_its_own_contact_and_cases_can_expose_each_other():
    two = pd.concat([cases(), cases().assign(**{s.PERSON_ID: "P2"})], ignore_index=True)
    ex = trace(_graph(), two)
    assert not (ex[s.CASE_ID] == ex[s.CONTACT_ID]).any()
    assert ("P2", "C1", "V1", 10.0, 1) in _pairs(ex)


def test_as_of_ends_open_windows():
    open_case = cases().assign(**{s.ISOLATED_AT: pd.NaT})
    open_case[s.ISOLATED_AT] = pd.to_datetime(open_case[s.ISOLATED_AT], utc=True)
    full = trace(_graph(), open_case)
    assert ("C1", "P4", "V2", 30.0, 1) in _pairs(full)
    early = trace(_graph(), open_case, as_of=ts("04:10"))
    assert ("C1", "P4", "V2", 30.0, 1) not in _pairs(early)
    with pytest.raises(ValueError, match="as_of='2022-11-20' is naive"):
        trace(_graph(), open_case, as_of="2022-11-20")


def test_residences_are_not_shared_rooms_unless_the_rule_says_so():
    home = pd.DataFrame({s.VENUE_ID: ["V1", "V2"], s.VENUE_TYPE: ["village", "restaurant"]})
    g = _graph(venue_frame=home)
    assert "V1" not in set(trace(g, cases())[s.VENUE_ID])
    r = rule("twenty", share_residences=True)
    assert "V1" in set(trace(_graph(r, venue_frame=home), cases(), r)[s.VENUE_ID])


def test_long_stay_at_an_enterprise_is_a_close_contact_candidate():
    office = pd.DataFrame({s.VENUE_ID: ["V1", "V2"], s.VENUE_TYPE: ["enterprise", "restaurant"]})
    r = rule("twenty", close_contact_min_minutes=10)
    ex = trace(_graph(r, venue_frame=office), cases(), r)
    cats = dict(zip(ex[s.CONTACT_ID], ex[s.CATEGORY], strict=True))
    assert cats == {"P2": s.CLOSE_CONTACT, "P4": s.CO_EXPOSURE}
    assert "close-contact candidate" in ex.loc[ex[s.CONTACT_ID] == "P2", s.WHY].iloc[0]


def test_case_without_visits_gives_no_rows():
    ex = trace(_graph(), cases().assign(**{s.PERSON_ID: "NOBODY"}))
    assert ex.empty and list(ex.columns) == list(s.EXPOSURE_COLUMNS)


def test_inputs_are_not_mutated():
    c = cases()
    before = c.copy()
    trace(_graph(), c)
    pd.testing.assert_frame_equal(c, before)


def test_case_windows_serial_screening_and_asymptomatic():
    c = pd.concat([
        cases(),
        cases().assign(**{s.PERSON_ID: "A", s.KIND: s.ASYMPTOMATIC, s.ONSET_AT: pd.NaT}),
        cases().assign(**{s.PERSON_ID: "S", s.FOUND_BY_SCREENING: True,
                          s.LAST_NEGATIVE_AT: ts("09:00", "2022-11-17")}),
    ], ignore_index=True)
    c[s.ONSET_AT] = pd.to_datetime(c[s.ONSET_AT], utc=True)
    w = case_windows(c).set_index(s.PERSON_ID)
    assert w.loc["C1", "window_start"] == ts("00:00", "2022-11-19")
    assert w.loc["A", "window_start"] == ts("01:00", "2022-11-19")
    assert (w.loc["S", "window_start"], w.loc["S", "window_basis"]) == (
        ts("09:00", "2022-11-17"), "last_negative")
    off = case_windows(c, rule("twenty", serial_testing_lookback=False)).set_index(s.PERSON_ID)
    assert off.loc["S", "window_start"] == ts("00:00", "2022-11-19")
    four = case_windows(c, rule("twenty", lookback_days_symptomatic=4)).set_index(s.PERSON_ID)
    assert four.loc["C1", "window_start"] == ts("00:00", "2022-11-17")


def test_malformed_case_window_raises_or_is_rejected():
    bad = cases().assign(**{s.PERSON_ID: "BADCASE1"})
    for col in (s.ONSET_AT, s.SAMPLED_AT, s.CONFIRMED_AT):
        bad[col] = pd.to_datetime(pd.Series([None]), utc=True)
    both = pd.concat([cases(), bad], ignore_index=True)
    with pytest.raises(ValueError, match=r"1 case\(s\) without a usable window"):
        case_windows(both)
    windows, rejected = case_windows(both, on_invalid="reject")
    assert windows[s.PERSON_ID].tolist() == ["C1"]
    assert rejected[s.REASON].tolist() == ["missing_value"]
    assert list(rejected.columns) == list(s.REJECTION_COLUMNS)
    assert "BADCASE1" not in rejected[s.VALUE].iloc[0]
    with pytest.raises(ValueError, match="person_id listed twice"):
        case_windows(pd.concat([cases(), cases()]))


def test_trace_assumptions_side_by_side():
    summary, results = trace_assumptions(scans(), venues(), cases(), venue_types=venue_types())
    assert summary["dwell"].tolist() == ["scan_only", "estimated_dwell", "same_day", "whole_day"]
    n = dict(zip(summary["dwell"], summary["n_contacts"], strict=True))
    # Scan-only keeps only the exit-scanned V1 visit of C1 against 1-minute contacts.
    assert n["scan_only"] <= n["estimated_dwell"] <= n["same_day"] <= n["whole_day"]
    assert set(results) == set(summary["dwell"])


# --- PRIOR-ART §6 day split (CWA CheckInSplitter, redone for Asia/Shanghai) ----------
def _split_rows(start, end, zone="Asia/Shanghai"):
    """Trace one case stay [start, end) against an identical contact stay, split by day."""
    start, end = pd.Timestamp(start, tz=zone), pd.Timestamp(end, tz=zone)
    frame = pd.DataFrame({
        s.PERSON_ID: ["C1", "P2"], s.VENUE_ID: ["V1", "V1"],
        s.SCANNED_AT: pd.DatetimeIndex([start, start]).tz_convert("UTC"),
        s.EXIT_AT: pd.DatetimeIndex([end, end]).tz_convert("UTC"),
    })
    r = rule("twenty", day_split=True, day_zone=zone, max_stay_hours=24 * 5)
    c = cases().assign(**{s.ONSET_AT: start + pd.Timedelta(days=1),
                          s.ISOLATED_AT: end + pd.Timedelta(days=1)})
    ex = trace(_graph(r, frame), c, r)
    return [(a.tz_convert(zone).strftime("%m-%d %H:%M"), b.tz_convert(zone).strftime("%m-%d %H:%M"))
            for a, b in zip(ex[s.OVERLAP_START], ex[s.OVERLAP_END], strict=True)]


@pytest.mark.parametrize(
    ("start", "end", "pieces"),
    [
        ("2022-11-20 09:00", "2022-11-20 11:00", [("11-20 09:00", "11-20 11:00")]),
        ("2022-11-20 23:00", "2022-11-21 01:00",
         [("11-20 23:00", "11-21 00:00"), ("11-21 00:00", "11-21 01:00")]),
        ("2022-11-20 12:00", "2022-11-22 12:00",
         [("11-20 12:00", "11-21 00:00"), ("11-21 00:00", "11-22 00:00"),
          ("11-22 00:00", "11-22 12:00")]),
        ("2022-11-30 22:00", "2022-12-01 02:00",
         [("11-30 22:00", "12-01 00:00"), ("12-01 00:00", "12-01 02:00")]),
        ("2022-12-31 23:00", "2023-01-01 01:00",
         [("12-31 23:00", "01-01 00:00"), ("01-01 00:00", "01-01 01:00")]),
        ("2020-02-28 12:00", "2020-03-01 12:00",
         [("02-28 12:00", "02-29 00:00"), ("02-29 00:00", "03-01 00:00"),
          ("03-01 00:00", "03-01 12:00")]),
        ("2022-11-20 00:00", "2022-11-21 00:00", [("11-20 00:00", "11-21 00:00")]),
        ("2022-11-20 23:59", "2022-11-21 00:01",
         [("11-20 23:59", "11-21 00:00"), ("11-21 00:00", "11-21 00:01")]),
    ],
    ids=["same-day", "across-midnight", "three-days", "month-end", "year-end", "leap-day",
         "midnight-to-midnight", "two-minutes"],
)
def test_day_split_in_local_days(start, end, pieces):
    assert _split_rows(start, end) == pieces


def test_local_midnight_is_not_utc_midnight():
    # 07:00-09:00 Shanghai crosses 00:00 UTC: CWA's UTC split makes two "days" of it.
    local = _split_rows("2022-11-20 07:00", "2022-11-20 09:00")
    assert len(local) == 1
    start = pd.Timestamp("2022-11-20 07:00", tz="Asia/Shanghai")
    frame = pd.DataFrame({
        s.PERSON_ID: ["C1", "P2"], s.VENUE_ID: ["V1", "V1"],
        s.SCANNED_AT: pd.DatetimeIndex([start, start]).tz_convert("UTC"),
        s.EXIT_AT: pd.DatetimeIndex([start + pd.Timedelta(hours=2)] * 2).tz_convert("UTC"),
    })
    r = rule("cwa")
    ex = trace(_graph(r, frame), cases().assign(**{s.ISOLATED_AT: start + pd.Timedelta(days=1)}),
               r)
    assert ex[s.OVERLAP_MIN].tolist() == [60.0, 60.0]


# --- PRIOR-ART §6 upload derivation (CWA TimeIntervalDeriver), case side only ----------
def _cwa_overlap(case_stay_min, contact_start, contact_end, case_start="02:03"):
    """Case C1 at V1 from 02:03 for ``case_stay_min``; P2 there [start, end); cwa rule."""
    t0 = ts(case_start)
    frame = pd.DataFrame({
        s.PERSON_ID: ["C1", "P2"], s.VENUE_ID: ["V1", "V1"],
        s.SCANNED_AT: pd.DatetimeIndex([t0, ts(contact_start)]),
        s.EXIT_AT: pd.DatetimeIndex([t0 + pd.Timedelta(minutes=case_stay_min),
                                     ts(contact_end)]),
    })
    ex = trace(_graph("cwa", frame), cases(), "cwa")
    return [(a.strftime("%H:%M"), b.strftime("%H:%M"), m) for a, b, m in
            zip(ex[s.OVERLAP_START], ex[s.OVERLAP_END], ex[s.OVERLAP_MIN], strict=True)]


@pytest.mark.parametrize(
    ("stay", "start", "contact", "expected"),
    [
        (9, "02:03", ("02:00", "04:00"), []),  # stays under 10 min are dropped
        # 02:03-02:13 + 10 linger: 20 min from the start's cell, which it covers more.
        (10, "02:03", ("02:00", "04:00"), [("02:00", "02:20", 20.0)]),
        (30, "02:03", ("02:00", "04:00"), [("02:00", "03:00", 60.0)]),  # linger exactly 30
        (31, "02:03", ("02:00", "04:00"), [("02:00", "03:00", 60.0)]),  # linger capped at 30
        # 02:08-02:28 + 20 ends 02:48: the end's cell is covered more, so the 40 min run
        # back from 02:50.
        (20, "02:08", ("02:44", "03:00"), [("02:44", "02:50", 6.0)]),
        (20, "02:08", ("02:51", "03:00"), []),  # after the derived end
    ],
    ids=["drop-9", "keep-10", "linger-30", "linger-31", "end-cell", "after-end"],
)
def test_cwa_upload_derivation(stay, start, contact, expected):
    assert _cwa_overlap(stay, *contact, case_start=start) == expected


CWA_CASES = json.loads((Path(__file__).parent / "data" / "cwa"
                        / "pt-derive-time-interval-data.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CWA_CASES["testCases"], ids=lambda c: c["description"])
def test_cwa_published_derivation_cases(case):
    """Corona-Warn-App's own test cases for deriving a check-in's submitted interval."""
    def ns(text):
        return np.array([pd.Timestamp(text).value])

    start, end, keep = cwa_interval(ns(case["startDate"]), ns(case["endDate"]))
    if case["expStartDate"] is None:
        assert not keep[0]
    else:
        assert keep[0]
        assert (start[0], end[0]) == (ns(case["expStartDate"])[0], ns(case["expEndDate"])[0])


def test_cwa_issue_example_10_26_to_10_36():
    # 10:26-10:36 becomes [10:30, 10:50) in CWA (the boundary cell the stay covers more).
    start, end, keep = cwa_interval(np.array([pd.Timestamp("2022-11-20 10:26Z").value]),
                                    np.array([pd.Timestamp("2022-11-20 10:36Z").value]))
    assert keep[0] and pd.Timestamp(start[0], tz="UTC").strftime("%H:%M") == "10:30"
    assert pd.Timestamp(end[0], tz="UTC").strftime("%H:%M") == "10:50"


@pytest.mark.parametrize("preset", ["ninth", "nz", "cwa"])
def test_matching_in_small_blocks_gives_the_same_table(monkeypatch, preset):
    """Candidates are matched a block at a time; block edges must not change a row."""
    from tracelab.tracing import forward as exposure

    g = _graph(preset)
    hops = 2 if preset == "ninth" else 1
    whole = trace(g, cases(), preset, hops)
    monkeypatch.setattr(exposure, "_BLOCK", 1)
    pd.testing.assert_frame_equal(trace(g, cases(), preset, hops), whole)
    assert len(whole) and whole[s.WHY].str.len().min() > 0
    fast = trace(g, cases(), preset, hops, explain=False)
    pd.testing.assert_frame_equal(fast.drop(columns=s.WHY), whole.drop(columns=s.WHY))
    assert (fast[s.WHY] == "").all() and fast[s.WHY].dtype == whole[s.WHY].dtype


def test_empty_trace_keeps_the_column_types():
    ex = trace(_graph(), cases().assign(**{s.PERSON_ID: ["nobody"]}))
    assert ex.empty and list(ex.columns) == list(s.EXPOSURE_COLUMNS)
    full = trace(_graph(), cases())
    assert (ex.dtypes == full.dtypes).all()


def test_same_day_repro_traces_the_date_only_co_visitor():
    # Issue 18: A scans V1 and V2 on 2020-02-15 (date only), B scans V1 the same date;
    # tracing B under same_day must return A (it returned nobody when A's V1 scan was cut
    # to zero length by the V2 scan at the same instant).
    t = pd.Timestamp("2020-02-15", tz="Asia/Shanghai").tz_convert("UTC")
    log = pd.DataFrame({s.PERSON_ID: ["A", "A", "B"], s.VENUE_ID: ["V1", "V2", "V1"],
                        s.SCANNED_AT: [t, t, t]})
    places = pd.DataFrame({s.VENUE_ID: ["V1", "V2"], s.VENUE_TYPE: ["supermarket", "mall"]})
    case = pd.DataFrame({s.PERSON_ID: ["B"], s.KIND: ["confirmed"],
                         s.ONSET_AT: [t + pd.Timedelta(days=1)]})
    graph = VisitGraph.from_scans(log, places, "same_day")
    out = trace(graph, case, "same_day", as_of=t + pd.Timedelta(days=3))
    assert out[s.CONTACT_ID].tolist() == ["A"] and out[s.VENUE_ID].tolist() == ["V1"]


CWA_OVERLAP = json.loads((Path(__file__).parent / "data" / "cwa"
                          / "pt-calculate-overlap-cases.json").read_text(encoding="utf-8"))
#: A case's check-in of 10:00-10:30 becomes CWA's warning [10:00, 11:00), period 6.
_CWA_CASE = ("2021-03-04T10:00+01:00", "2021-03-04T10:30+01:00")


@pytest.mark.parametrize(
    "case", [c for c in CWA_OVERLAP["testCases"] if "submitted" not in c["description"]],
    ids=lambda c: c["description"])
def test_cwa_published_overlap_cases(case):
    """CWA's OverlapTest: a contact's check-in against the warning of a case at a venue."""
    assert (case["warningStart"], case["warningPeriod"]) == ("2021-03-04T10:00+01:00", 6)
    scans = pd.DataFrame({
        s.PERSON_ID: ["C1", "P2"], s.VENUE_ID: ["V1", "V1" if case["sameLocation"] else "V2"],
        s.SCANNED_AT: pd.to_datetime([_CWA_CASE[0], case["checkInStart"]], utc=True,
                                     format="ISO8601"),
        s.EXIT_AT: pd.to_datetime([_CWA_CASE[1], case["checkInEnd"]], utc=True, format="ISO8601")})
    places = pd.DataFrame({s.VENUE_ID: ["V1", "V2"], s.VENUE_TYPE: ["restaurant", "restaurant"]})
    case_row = pd.DataFrame({s.PERSON_ID: ["C1"], s.KIND: ["confirmed"],
                             s.ONSET_AT: pd.to_datetime(["2021-03-05T00:00Z"])})
    out = trace(VisitGraph.from_scans(scans, places, "cwa"), case_row, "cwa",
                as_of=pd.Timestamp("2021-03-06T00:00Z"))
    got = out[s.OVERLAP_MIN].sum() if len(out) else None
    assert got == case["expMinutes"]


CWA_SPLIT = json.loads((Path(__file__).parent / "data" / "cwa"
                        / "pt-split-check-in-by-midnight-utc-cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "case", [c for c in CWA_SPLIT["testCases"] if c["checkInStart"] < c["checkInEnd"]],
    ids=lambda c: c["description"])
def test_cwa_published_midnight_split_cases(case):
    """CWA's CheckInSplitterTest: a stay split at midnight UTC; tracelab splits the overlap
    of identical case and contact stays the same way (day_split, day_zone UTC). Zero-length
    and reversed check-ins are not stays here (an overlap must be positive; loads reject an
    exit before entry)."""
    start, end = (pd.Timestamp(case[k]) for k in ("checkInStart", "checkInEnd"))
    frame = pd.DataFrame({s.PERSON_ID: ["C1", "P2"], s.VENUE_ID: ["V1", "V1"],
                          s.SCANNED_AT: pd.DatetimeIndex([start, start]),
                          s.EXIT_AT: pd.DatetimeIndex([end, end])})
    r = rule("twenty", day_split=True, day_zone="UTC", max_stay_hours=24 * 5)
    c = cases().assign(**{s.ONSET_AT: start + pd.Timedelta(days=1),
                          s.ISOLATED_AT: end + pd.Timedelta(days=1)})
    ex = trace(_graph(r, frame), c, r)
    got = list(zip(ex[s.OVERLAP_START], ex[s.OVERLAP_END], strict=True))
    assert got == [(pd.Timestamp(p["start"]), pd.Timestamp(p["end"])) for p in case["splitInto"]]
