"""Tests of tracelab.index.presence: presence intervals and dwell estimates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests._forward_data import cases, scans, ts, venue_types, venues
from tracelab.index.presence import estimate_dwell, venue_table, visits
from tracelab.model import schema as s
from tracelab.model.rules import rule


def _by(frame, person, venue):
    row = frame[(frame[s.PERSON_ID] == person) & (frame[s.VENUE_ID] == venue)]
    assert len(row) == 1
    return row.iloc[0]


def test_hand_scenario_intervals_and_sources():
    v = visits(scans(), venues(), venue_types=venue_types())
    assert list(v.columns) == [*s.VISIT_COLUMNS, s.RESIDENCE]
    expected = {
        ("C1", "V1"): ("02:00", "02:30", s.EXIT_SCAN),
        ("P2", "V1"): ("02:20", "02:50", s.DWELL_MODEL),
        ("P4", "V1"): ("01:00", "01:30", s.DWELL_MODEL),
        ("C1", "V2"): ("04:00", "05:00", s.DWELL_MODEL),
        ("P3", "V2"): ("06:30", "07:30", s.DWELL_MODEL),
    }
    for (person, venue), (t_in, t_out, source) in expected.items():
        row = _by(v, person, venue)
        assert (row[s.T_IN], row[s.T_OUT], row[s.T_OUT_SOURCE]) == (ts(t_in), ts(t_out), source)
    assert v[s.VISIT_ID].tolist() == list(range(len(v)))
    assert not v[s.RESIDENCE].any()


def test_next_scan_cuts_dwell_but_never_a_recorded_exit():
    frame = pd.DataFrame({
        s.PERSON_ID: ["A", "A", "A"], s.VENUE_ID: ["V1", "V2", "V1"],
        s.SCANNED_AT: pd.DatetimeIndex([ts("02:00"), ts("02:10"), ts("03:00")]),
        s.EXIT_AT: pd.DatetimeIndex([pd.NaT, ts("04:00"), pd.NaT], tz="UTC"),
    })
    v = visits(frame, venues(), venue_types=venue_types())
    # V2's exit at 04:00 is the exit: the entry at V1 at 03:00 (a shop inside a mall, or
    # a second log of the same person) overlaps it.
    assert v[s.T_OUT].tolist() == [ts("02:10"), ts("04:00"), ts("03:30")]
    assert v[s.T_OUT_SOURCE].tolist() == [s.NEXT_SCAN, s.EXIT_SCAN, s.DWELL_MODEL]


def test_same_day_ends_at_local_midnight_and_scan_only_is_one_minute():
    frame = pd.DataFrame({s.PERSON_ID: ["A"], s.VENUE_ID: ["V1"],
                          s.SCANNED_AT: pd.DatetimeIndex([ts("02:00")])})
    same_day = visits(frame, venues(), rule("same_day"), venue_types=venue_types())
    # Asia/Shanghai midnight of 2022-11-21 is 16:00 UTC on the 20th.
    assert same_day[s.T_OUT].tolist() == [ts("16:00")]
    assert same_day[s.T_OUT_SOURCE].tolist() == [s.DAY_END]
    utc_day = visits(frame, venues(), rule("same_day", day_zone="UTC"), venue_types=venue_types())
    assert utc_day[s.T_OUT].tolist() == [ts("00:00", "2022-11-21")]
    scan_only = visits(frame, venues(), rule("twenty", dwell="scan_only"),
                       venue_types=venue_types())
    assert scan_only[s.T_OUT].tolist() == [ts("02:01")]


def test_residence_is_flagged_and_stay_capped():
    v = pd.DataFrame({s.VENUE_ID: ["H"], s.VENUE_TYPE: ["village"]})
    frame = pd.DataFrame({s.PERSON_ID: ["A"], s.VENUE_ID: ["H"],
                          s.SCANNED_AT: pd.DatetimeIndex([ts("02:00")]),
                          s.EXIT_AT: pd.DatetimeIndex([ts("02:00", "2022-11-23")])})
    out = visits(frame, v, venue_types=venue_types())
    assert out[s.RESIDENCE].tolist() == [True]
    assert out[s.T_OUT].tolist() == [ts("02:00", "2022-11-21")]  # max_stay_hours 24


def test_dwell_override_per_type():
    frame = pd.DataFrame({s.PERSON_ID: ["A"], s.VENUE_ID: ["V1"],
                          s.SCANNED_AT: pd.DatetimeIndex([ts("02:00")])})
    out = visits(frame, venues(), venue_types=venue_types(), dwell_minutes={"supermarket": 12})
    assert out[s.T_OUT].tolist() == [ts("02:12")]


def test_row_order_does_not_matter_and_input_is_not_mutated():
    original = scans()
    before = original.copy()
    a = visits(original, venues(), venue_types=venue_types())
    b = visits(original.sample(frac=1.0, random_state=3), venues(), venue_types=venue_types())
    pd.testing.assert_frame_equal(original, before)
    pd.testing.assert_frame_equal(a, b)


def test_default_venue_type_table_is_the_reference():
    out = visits(scans(), venues())
    assert len(out) == len(scans())


def test_naive_times_raise():
    frame = scans().assign(**{s.SCANNED_AT: scans()[s.SCANNED_AT].dt.tz_localize(None)})
    with pytest.raises(ValueError, match="'scanned_at' has dtype datetime64.*expected tz-aware"):
        visits(frame, venues(), venue_types=venue_types())


def test_unknown_venue_and_type_and_missing_column_raise():
    frame = scans().assign(**{s.VENUE_ID: "V9"})
    with pytest.raises(ValueError, match=r"1 venue_id\(s\) not in venues, e.g. \['V9'\]"):
        visits(frame, venues(), venue_types=venue_types())
    bad_type = venues().assign(**{s.VENUE_TYPE: ["spaceport", "restaurant"]})
    with pytest.raises(ValueError, match=r"venue_type \['spaceport'\] not in the venue-type"):
        visits(scans(), bad_type, venue_types=venue_types())
    with pytest.raises(ValueError, match=r"scans lacks column\(s\) \['scanned_at'\]"):
        visits(scans().drop(columns=s.SCANNED_AT), venues(), venue_types=venue_types())
    with pytest.raises(ValueError, match=r"venue_types lacks column\(s\) \['residence'\]"):
        venue_table(venues(), venue_types().drop(columns=s.RESIDENCE))


def test_exit_before_entry_raises():
    frame = scans()
    frame.loc[0, s.EXIT_AT] = frame.loc[0, s.SCANNED_AT] - pd.Timedelta(minutes=1)
    with pytest.raises(ValueError, match="1 exit_at before scanned_at"):
        visits(frame, venues(), venue_types=venue_types())


def test_estimate_dwell_from_exits_sequences_and_table():
    rng = np.random.default_rng(1)
    n = 40
    start = ts("01:00") + pd.to_timedelta(np.arange(n) * 5, unit="min")
    stay = pd.to_timedelta(rng.integers(10, 30, n), unit="min")
    exits = pd.DataFrame({s.PERSON_ID: [f"E{i}" for i in range(n)], s.VENUE_ID: "V1",
                          s.SCANNED_AT: start, s.EXIT_AT: start + stay})
    seq = pd.DataFrame({
        s.PERSON_ID: np.repeat([f"S{i}" for i in range(n)], 2),
        s.VENUE_ID: np.tile(["V2", "V1"], n),
        s.SCANNED_AT: np.repeat(start, 2) + pd.to_timedelta(np.tile([0, 50], n), unit="min"),
        s.EXIT_AT: pd.NaT,
    })
    seq[s.EXIT_AT] = pd.to_datetime(seq[s.EXIT_AT], utc=True)
    both = pd.concat([exits, seq], ignore_index=True)
    est = estimate_dwell(both, venues(), venue_types=venue_types()).set_index(s.TYPE_CODE)
    sm = est.loc["supermarket"]
    assert (sm["basis"], sm["n"]) == (s.EXIT_SCAN, n)
    assert sm["low_minutes"] <= sm["median_minutes"] <= sm["high_minutes"]
    assert sm["median_minutes"] == pytest.approx(np.median(stay / pd.Timedelta(minutes=1)))
    rest = est.loc["restaurant"]
    assert (rest["basis"], rest["n"], rest["median_minutes"]) == (s.NEXT_SCAN, n, 50.0)
    assert est.loc["village", "basis"] == "table"
    assert est.loc["village", "median_minutes"] == 720.0


def test_estimate_dwell_bad_quantiles():
    with pytest.raises(ValueError, match=r"quantiles=\(0.9, 0.1\) must satisfy"):
        estimate_dwell(scans(), venues(), venue_types=venue_types(), quantiles=(0.9, 0.1))


def test_cases_fixture_is_consistent():
    assert cases()[s.PERSON_ID].tolist() == ["C1"]


# --- real-log semantics (issue 18): properties over random logs ----------------------
_T0 = pd.Timestamp("2022-11-20 00:00", tz="Asia/Shanghai").tz_convert("UTC")
_PEOPLE, _VENUES = ["A", "B", "C"], ["V1", "V2", "V3"]


@st.composite
def _logs(draw):
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        minute = draw(st.sampled_from([0, 0, 0, 30, 90, 600, 1500]))  # many shared instants
        exit_after = draw(st.sampled_from([None, None, 5, 45, 300]))
        rows.append((draw(st.sampled_from(_PEOPLE)), draw(st.sampled_from(_VENUES)),
                     _T0 + pd.Timedelta(minutes=minute),
                     None if exit_after is None else
                     _T0 + pd.Timedelta(minutes=minute + exit_after)))
    frame = pd.DataFrame(rows, columns=[s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, s.EXIT_AT])
    frame[s.EXIT_AT] = pd.to_datetime(frame[s.EXIT_AT], utc=True)
    return frame


def _venues3():
    return pd.DataFrame({s.VENUE_ID: _VENUES, s.VENUE_TYPE: ["supermarket", "mall", "pharmacy"]})


@settings(max_examples=150, deadline=None)
@given(log=_logs(), dwell=st.sampled_from(["estimated_dwell", "same_day", "whole_day"]))
def test_same_instant_scans_never_cut_each_other_and_exits_stand(log, dwell):
    v = visits(log, _venues3(), rule("twenty", dwell=dwell, max_stay_hours=72))
    assert len(v) == len(log)
    # Every visit lasts: a scan at the same instant as the person's next one is not cut
    # to zero, and a cut comes from a strictly later entry.
    assert (v[s.T_OUT] > v[s.T_IN]).all()
    later = {p: sorted(set(g[s.SCANNED_AT])) for p, g in log.groupby(s.PERSON_ID)}
    for row in v[v[s.T_OUT_SOURCE] == s.NEXT_SCAN].itertuples():
        assert row.t_out in later[row.person_id] and row.t_out > row.t_in
    # A recorded exit is the exit, whatever entries follow it.
    exits = log.dropna(subset=[s.EXIT_AT])
    got = v[v[s.T_OUT_SOURCE] == s.EXIT_SCAN]
    assert len(got) == len(exits)
    assert sorted(zip(got[s.PERSON_ID], got[s.VENUE_ID], got[s.T_IN], got[s.T_OUT],
                      strict=True)) == sorted(zip(exits[s.PERSON_ID], exits[s.VENUE_ID],
                                                  exits[s.SCANNED_AT], exits[s.EXIT_AT],
                                                  strict=True))
    if dwell == "whole_day":
        # Date-only sources: every visit without exit is its whole local day.
        day = v[v[s.T_OUT_SOURCE] != s.EXIT_SCAN]
        local = day[s.T_IN].dt.tz_convert("Asia/Shanghai")
        assert (local == local.dt.normalize()).all()
        assert ((day[s.T_OUT] - day[s.T_IN]) == pd.Timedelta(days=1)).all()


def test_date_only_log_same_day_keeps_every_co_visit():
    # The repro: A scans V1 and V2 on a date (date only), B scans V1 that date.
    t = pd.Timestamp("2020-02-15", tz="Asia/Shanghai").tz_convert("UTC")
    log = pd.DataFrame({s.PERSON_ID: ["A", "A", "B"], s.VENUE_ID: ["V1", "V2", "V1"],
                        s.SCANNED_AT: [t, t, t]})
    v = visits(log, _venues3(), rule("same_day"))
    assert (v[s.T_OUT] - v[s.T_IN] == pd.Timedelta(days=1)).all()
    assert set(v[s.T_OUT_SOURCE]) == {s.DAY_END}


# --- the NHS app's visit ends (its VisitedVenuesStorageTest and DateUtilsTest) ----------
def test_nhs_next_check_in_on_a_quarter_ends_the_visit_at_the_next_quarter():
    # NHS: a 10:15 visit closed by a check-in at 15:15 gets to = 15:30 (roundUp: the
    # quarter after the check-in's quarter); the new visit ends at local midnight, 23:00Z
    # in UTC+1 (British Summer Time).
    london = "Europe/London"
    log = pd.DataFrame({s.PERSON_ID: ["A", "A"], s.VENUE_ID: ["V1", "V2"],
                        s.SCANNED_AT: pd.to_datetime(["2020-08-10 10:15", "2020-08-10 15:15"])
                        .tz_localize(london)})
    v = visits(log, _venues3(), rule("nhs", day_zone=london))
    assert v[s.T_OUT].dt.tz_convert("UTC").dt.strftime("%H:%M").tolist() == ["14:30", "23:00"]
    assert v[s.T_OUT_SOURCE].tolist() == [s.NEXT_SCAN, s.DAY_END]
    # A check-in at 15:14:59 rounds up to 15:15, as the app's roundUp does.
    log.loc[1, s.SCANNED_AT] = pd.Timestamp("2020-08-10 15:14:59", tz=london)
    v = visits(log, _venues3(), rule("nhs", day_zone=london))
    assert v[s.T_OUT].iloc[0] == pd.Timestamp("2020-08-10 15:15", tz=london)


@pytest.mark.parametrize(("day", "hours"), [("2022-03-27", 22.5), ("2022-10-30", 24.5)])
def test_local_midnight_is_a_calendar_midnight_across_clock_changes(day, hours):
    # London's clocks change at 01:00/02:00 on these days: the day is 23 or 25 hours long,
    # and a visit from 00:30 to the next local midnight lasts 22.5 or 24.5 hours, not 23.5.
    log = pd.DataFrame({s.PERSON_ID: ["A"], s.VENUE_ID: ["V1"],
                        s.SCANNED_AT: [pd.Timestamp(f"{day} 00:30", tz="Europe/London")]})
    v = visits(log, _venues3(), rule("nhs", day_zone="Europe/London", max_stay_hours=48))
    assert v[s.T_OUT].iloc[0] - v[s.T_IN].iloc[0] == pd.Timedelta(hours=hours)


# --- the NHS app's venue matching (its VenueMatchFinderTest, tests/data/nhs) --------------
NHS_MATCH = json.loads((Path(__file__).parent / "data" / "nhs"
                        / "venue-match-finder-cases.json").read_text(encoding="utf-8"))
#: The app keeps a stored visit as long as it is (one test's visit lasts 85 hours) and the
#: health authority states the risky window outright; tracelab caps stays at max_stay_hours
#: and clips a case's stays to its infectious window, so both are opened wider than any case.
_WIDE = {"day_zone": "Europe/London", "max_stay_hours": 24 * 7, "lookback_days_symptomatic": 14}
_NHS = rule("nhs", **_WIDE)


def _nhs_trace(stays, case_ids, r=_NHS):
    """Trace cases over explicit stays: ``stays`` is (person, venue, from, to) rows."""
    from tracelab.index.graph import VisitGraph
    from tracelab.tracing.forward import trace

    frame = pd.DataFrame(stays, columns=[s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, s.EXIT_AT])
    for col in (s.SCANNED_AT, s.EXIT_AT):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    places = pd.DataFrame({s.VENUE_ID: sorted(set(frame[s.VENUE_ID])) or ["1"],
                           s.VENUE_TYPE: "restaurant"})
    onset = frame[s.EXIT_AT].max() + pd.Timedelta(days=1)
    case_rows = pd.DataFrame({s.PERSON_ID: case_ids, s.KIND: "confirmed", s.ONSET_AT: onset})
    return trace(VisitGraph.from_scans(frame, places, r), case_rows, r,
                 as_of=onset + pd.Timedelta(days=1))


@pytest.mark.parametrize("case", [c for c in NHS_MATCH["findMatches"]
                                  if "previously flagged" not in c["description"]],
                         ids=lambda c: c["description"])
def test_nhs_published_venue_match_cases(case):
    """A risky venue's window is a case's stay there; each stored visit is a contact's."""
    windows = NHS_MATCH["riskyVenues"]
    stays = [(f"case{v}", v, windows[v]["from"], windows[v]["to"]) for v in case["riskyVenues"]]
    visits_ = NHS_MATCH["visits"]
    stays += [(name, visits_[name]["venue"], visits_[name]["from"], visits_[name]["to"])
              for name in case["visits"]]
    if not stays:
        return  # nothing to match: the app's empty answer is the only one possible
    ex = _nhs_trace(stays, [f"case{v}" for v in case["riskyVenues"]] or ["nobody"])
    ex = ex[~ex[s.CONTACT_ID].str.startswith("case")]
    got = {v: sorted(g[s.CONTACT_ID]) for v, g in ex.groupby(s.VENUE_ID)}
    assert got == {v: sorted(names) for v, names in case["matches"].items()}


@pytest.mark.parametrize("case", NHS_MATCH["intervalOverlaps"], ids=lambda c: c["description"])
def test_nhs_published_interval_cases(case):
    """The app's Interval.overlaps, both ways round: closed intervals touch and overlap."""
    r = rule("nhs", **_WIDE, boundary="closed" if case["inclusive"] else "half_open")
    for case_stay, contact_stay in ((case["interval1"], case["interval2"]),
                                    (case["interval2"], case["interval1"])):
        ex = _nhs_trace([("C", "1", *case_stay), ("P", "1", *contact_stay)], ["C"], r)
        assert (ex[s.CONTACT_ID] == "P").any() == case["overlaps"]
