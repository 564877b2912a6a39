"""Risk areas: levels per regime and the lifting dates of DOMAIN §3 / §11.4 worked examples."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import shapely

from tracelab.analysis.area_designation import AREA_COLUMNS, risk_areas
from tracelab.model import coords
from tracelab.model import schema as s

ZONE = "Asia/Shanghai"
DAY0 = pd.Timestamp("2022-11-20 10:00", tz=ZONE)  # local day 0 = 2022-11-20
VENUES = pd.DataFrame({
    s.VENUE_ID: ["H1", "H2", "V1", "W1", "S1"],
    s.VENUE_TYPE: ["residential_compound", "residential_compound", "village", "enterprise",
                   "supermarket"],
    s.LON: [114.03, 114.10, 114.20, 114.05, 114.06], s.LAT: [27.63, 27.60, 27.50, 27.62, 27.61],
    s.TOWNSHIP_CODE: ["360323100"] * 5,
})


def day(n: float) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=n)


def d(n: int) -> dt.date:
    return (DAY0 + pd.Timedelta(days=n)).date()


def visit(person: str, venue: str, start_day: float, hours: float) -> dict:
    return {s.PERSON_ID: person, s.VENUE_ID: venue, s.T_IN: day(start_day).tz_convert("UTC"),
            s.T_OUT: (day(start_day) + pd.Timedelta(hours=hours)).tz_convert("UTC")}


def cases(*rows: tuple[str, int]) -> pd.DataFrame:
    return pd.DataFrame({s.PERSON_ID: [r[0] for r in rows],
                         s.CONFIRMED_AT: [day(r[1]).tz_convert("UTC") for r in rows]})


VISITS = pd.DataFrame([
    visit("C1", "H1", -1.2, 10), visit("C1", "W1", -1, 8), visit("C1", "S1", -0.5, 0.5),
    visit("C2", "H1", 1.8, 10), visit("C3", "V1", -0.9, 10),
])


def area(frame: pd.DataFrame, area_id: str) -> pd.Series:
    return frame.set_index("area_id").loc[area_id]


def test_twenty_second_case_resets_clock_lifts_day_8():
    # DOMAIN §3: twenty, 5 consecutive days without new infection -> low. Cases on day 0
    # and day 3 in the same compound: designated day 0, lifts day 3 + 5 = day 8.
    a = risk_areas(cases(("C1", 0), ("C2", 3)), VISITS, VENUES, rule="twenty", as_of=day(3.5))
    h1 = area(a, "area:H1")
    assert (h1["level"], h1["designated_on"], h1["lifts_on"], h1["n_cases"]) == (
        "high", d(0), d(8), 2)
    assert "2 case(s)" in h1["reason"]
    still = risk_areas(cases(("C1", 0), ("C2", 3)), VISITS, VENUES, rule="twenty",
                       as_of=day(7.5))
    assert "area:H1" in set(still["area_id"])
    gone = risk_areas(cases(("C1", 0), ("C2", 3)), VISITS, VENUES, rule="twenty",
                      as_of=day(8))
    assert gone.empty


def test_twenty_frequent_workplace_is_high_short_visit_is_not():
    a = risk_areas(cases(("C1", 0)), VISITS, VENUES, rule="twenty", as_of=day(1))
    assert area(a, "area:W1")["level"] == "high"
    assert "area:S1" not in set(a["area_id"])  # 30 min on one day: not a frequented place
    assert set(a["level"]) == {"high", "low"}


def test_ninth_high_lowers_after_7_then_low_after_3_more():
    c = cases(("C1", 0))
    a = risk_areas(c, VISITS, VENUES, rule="ninth", as_of=day(1))
    h1, w1 = area(a, "area:H1"), area(a, "area:W1")
    assert (h1["level"], h1["lowers_on"], h1["lifts_on"]) == ("high", d(7), d(10))
    assert (w1["level"], w1["lifts_on"]) == ("medium", d(7))
    a8 = risk_areas(c, VISITS, VENUES, rule="ninth", as_of=day(8))
    assert area(a8, "area:H1")["level"] == "medium"
    assert "area:W1" not in set(a8["area_id"])
    assert risk_areas(c, VISITS, VENUES, rule="ninth", as_of=day(10)).empty


def test_ten_lifts_after_5_days():
    c = cases(("C1", 0))
    a = risk_areas(c, VISITS, VENUES, rule="ten", as_of=day(4))
    assert area(a, "area:H1")["lifts_on"] == d(5)
    assert "lifted on" in area(a, "area:H1")["reason"]
    assert risk_areas(c, VISITS, VENUES, rule="ten", as_of=day(5)).empty


def test_include_lifted_keeps_history():
    a = risk_areas(cases(("C1", 0)), VISITS, VENUES, rule="ten", as_of=day(6),
                   include_lifted=True)
    assert set(a["status"]) == {"lifted"} and "area:rest_of_county" not in set(a["area_id"])


def test_no_outbreak_no_areas():
    empty = cases(("C1", 0)).iloc[:0]
    a = risk_areas(empty, VISITS, VENUES, as_of=day(1))
    assert a.empty and list(a.columns) == list(AREA_COLUMNS)


def test_case_reported_after_as_of_is_ignored():
    a = risk_areas(cases(("C1", 0), ("C2", 3)), VISITS, VENUES, as_of=day(1))
    assert area(a, "area:H1")["n_cases"] == 1 and area(a, "area:H1")["lifts_on"] == d(5)


def test_persons_home_overrides_scans_and_village_is_larger():
    persons = pd.DataFrame({s.PERSON_ID: ["C1"], "home_venue_id": ["V1"]})
    a = risk_areas(cases(("C1", 0)), VISITS, VENUES, as_of=day(1), persons=persons)
    assert "area:V1" in set(a["area_id"]) and "area:H1" not in set(a["area_id"])
    b = risk_areas(cases(("C3", 0)), VISITS, VENUES, as_of=day(1))
    c = risk_areas(cases(("C1", 0)), VISITS, VENUES, as_of=day(1))
    assert area(b, "area:V1").geometry.area > area(c, "area:H1").geometry.area


def test_polygons_are_discs_around_venues_and_low_is_the_rest():
    a = risk_areas(cases(("C1", 0)), VISITS, VENUES, rule="twenty", as_of=day(1))
    assert a.crs.to_epsg() == 4326
    h1 = area(a, "area:H1").geometry
    assert h1.contains(shapely.Point(114.03, 27.63))
    x, y = coords.project(*h1.exterior.coords.xy)
    projected = shapely.Polygon(zip(x, y, strict=True))
    assert projected.area == pytest.approx(3.14159 * 60**2, rel=0.03)  # 60 m under twenty
    low = area(a, "area:rest_of_county").geometry
    assert low.intersection(h1).area < 1e-12 and low.area > 100 * h1.area


def test_gcj02_positions_are_converted():
    gcj = VENUES.copy()
    gcj[s.LON], gcj[s.LAT] = coords.wgs84_to_gcj02(VENUES[s.LON].to_numpy(),
                                                   VENUES[s.LAT].to_numpy())
    a = risk_areas(cases(("C1", 0)), VISITS, gcj, as_of=day(1), venue_crs="GCJ-02")
    assert area(a, "area:H1").geometry.contains(shapely.Point(114.03, 27.63))


def test_exposures_table_works_as_stays_and_inputs_unchanged():
    ex = pd.DataFrame({s.CASE_ID: ["C1"], s.CONTACT_ID: ["P"], s.VENUE_ID: ["W1"], s.HOP: [1],
                       s.CASE_T_IN: [day(-1).tz_convert("UTC")],
                       s.CASE_T_OUT: [day(-0.6).tz_convert("UTC")]})
    before, vbefore = ex.copy(), VENUES.copy()
    a = risk_areas(cases(("C1", 0)), ex, VENUES, as_of=day(1))
    assert set(a["area_id"]) == {"area:W1", "area:rest_of_county"}
    pd.testing.assert_frame_equal(ex, before)
    pd.testing.assert_frame_equal(VENUES, vbefore)


@pytest.mark.parametrize("kw, match", [
    ({"rule": "eighth", "as_of": DAY0}, "rule='eighth'"),
    ({"as_of": pd.Timestamp("2022-11-20")}, "naive"),
])
def test_bad_arguments_raise(kw, match):
    with pytest.raises(ValueError, match=match):
        risk_areas(cases(("C1", 0)), VISITS, VENUES, **kw)


def test_missing_venue_columns_named():
    with pytest.raises(ValueError, match="lon"):
        risk_areas(cases(("C1", 0)), VISITS, VENUES.drop(columns=[s.LON]), as_of=day(1))


def test_naive_case_times_refused():
    naive = pd.DataFrame({s.PERSON_ID: ["C1"], s.CONFIRMED_AT: [pd.Timestamp("2022-11-20")]})
    with pytest.raises(ValueError, match="tz-aware"):
        risk_areas(naive, VISITS, VENUES, as_of=day(1))


def test_activity_period_starts_two_days_before_onset():
    # Onset on day -3, report on day 0: the workplace stays of days -4 and -3.5 lie
    # inside the infectious window (from day -5) though more than 2 days before the report.
    c = pd.DataFrame({s.PERSON_ID: ["C9"], s.ONSET_AT: [day(-3).tz_convert("UTC")],
                      s.CONFIRMED_AT: [day(0).tz_convert("UTC")]})
    v = pd.DataFrame([visit("C9", "W1", -4, 1.5), visit("C9", "W1", -3.5, 1.0)])
    a = risk_areas(c, v, VENUES, as_of=day(1))
    assert "area:W1" in set(a["area_id"])
    early = pd.DataFrame([visit("C9", "W1", -6, 1.5), visit("C9", "W1", -5.5, 1.0)])
    assert risk_areas(c, early, VENUES, as_of=day(1)).empty
