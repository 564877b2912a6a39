"""Tests of tracelab.tracing.companion_grid: the 时空伴随 rule on the 800 m grid."""

from __future__ import annotations

import pandas as pd
import pytest

from tests._forward_data import ts, venue_types
from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.model.coords import grid_cell, project
from tracelab.model.rules import rule
from tracelab.tracing.companion_grid import CASE_CELL_HOURS, CELL_X, CELL_Y, CO_STAY_MIN, companions

R = rule("twenty", max_stay_hours=48)
VENUES = pd.DataFrame({
    s.VENUE_ID: ["H", "S", "F"], s.VENUE_TYPE: ["village", "pharmacy", "pharmacy"],
    s.LON: [114.0001, 114.0002, 114.2], s.LAT: [27.6001, 27.6002, 27.7],
})


def _scans():
    rows = [("C", "H", "00:00", "2022-11-18", "40h"), ("P", "S", "02:00", "2022-11-19", "20min"),
            ("Q", "S", "03:00", "2022-11-19", "10min"), ("R", "F", "02:00", "2022-11-19", "1h")]
    t = pd.DatetimeIndex([ts(hm, day) for _, _, hm, day, _ in rows])
    return pd.DataFrame({s.PERSON_ID: [r[0] for r in rows], s.VENUE_ID: [r[1] for r in rows],
                         s.SCANNED_AT: t, s.EXIT_AT: t + pd.to_timedelta([r[4] for r in rows])})


def _cases():
    return pd.DataFrame({s.PERSON_ID: ["C"], s.KIND: [s.CONFIRMED],
                         s.ONSET_AT: pd.DatetimeIndex([ts("00:00", "2022-11-21")])})


def _graph(r=R):
    return VisitGraph.from_scans(_scans(), VENUES, r, venue_types=venue_types())


def test_companion_needs_over_ten_minutes_in_the_cell():
    got = companions(_graph(), _cases(), R)
    assert got[s.CONTACT_ID].tolist() == ["P"]  # Q: exactly 10 min; R: other cell
    row = got.iloc[0]
    assert (row[CO_STAY_MIN], row[CASE_CELL_HOURS]) == (20.0, 40.0)
    ix, iy = grid_cell(*project(114.0002, 27.6002))
    assert (row[CELL_X], row[CELL_Y]) == (int(ix), int(iy))
    assert "shared grid cell" in row[s.WHY] and "over 30 h" in row[s.WHY]


def test_thresholds_are_parameters():
    assert companions(_graph(), _cases(), R.replace(companion_cumulative_hours=50)).empty
    looser = companions(_graph(), _cases(), R.replace(companion_min_minutes=5))
    assert looser[s.CONTACT_ID].tolist() == ["P", "Q"]
    # A look-back of one day misses the case's stay from 11-18 00:00 to 11-19 16:00.
    short = R.replace(companion_lookback_days=1)
    assert companions(_graph(short), _cases(), short, as_of=ts("12:00", "2022-11-20")).empty


def test_missing_coordinates_raise():
    g = VisitGraph.from_scans(_scans(), VENUES.drop(columns=[s.LAT]), R,
                              venue_types=venue_types())
    with pytest.raises(ValueError, match="companions need every venue's lon and lat"):
        companions(g, _cases(), R)


def test_inputs_are_not_mutated():
    scans, cases, venues = _scans(), _cases(), VENUES.copy()
    before = (scans.copy(), cases.copy(), venues.copy())
    g = VisitGraph.from_scans(scans, venues, R, venue_types=venue_types())
    companions(g, cases, R)
    for frame, copy in zip((scans, cases, venues), before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)
