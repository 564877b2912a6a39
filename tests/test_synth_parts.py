"""Unit tests of tracelab.synth's parts: geography, transmission rule, natural history."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from tracelab.model.regions import region, region_geojson
from tracelab.synth.geography import sample_in_polygon
from tracelab.synth.params import OutbreakParams
from tracelab.synth.transmission import (
    DAY,
    draw_history,
    household_events,
    infectiousness,
    venue_events,
)


def test_townships_partition_the_outline():
    where = region("360323")
    outline = where.outline
    towns = where.township_polygons()
    union = shapely.union_all(list(towns["geometry"]))
    assert abs(union.area - outline.area) / outline.area < 1e-4
    assert sum(g.area for g in towns["geometry"]) == pytest.approx(outline.area, rel=1e-4)
    for row in towns.itertuples(index=False):
        assert row.geometry.contains(shapely.Point(row.seat_lon, row.seat_lat))


def test_geojson_is_deterministic_and_does_not_touch_its_region():
    where = region("360323")
    before = where.townships.copy()
    one = region_geojson(where)
    assert one == region_geojson(region("360323"))
    pd.testing.assert_frame_equal(where.townships, before)
    doc = json.loads(one)
    codes = [f["properties"]["township_code"] for f in doc["features"]]
    assert codes[:11] == sorted(codes[:11]) and codes[-1] == "360323"


def test_points_sampled_around_a_centre_stay_inside():
    square = shapely.box(114.0, 27.5, 114.05, 27.55)
    lon, lat = sample_in_polygon(square, 200, np.random.default_rng(0),
                                 centre=(114.0, 27.5), spread_km=3.0)
    assert shapely.contains_xy(square, lon, lat).all()


def _state(n: int, infector: int, start: float, end: float):
    s = np.full(n, np.nan)
    e = np.full(n, np.nan)
    o = np.full(n, np.nan)
    s[infector], e[infector], o[infector] = start, end, (start + end) / 2
    rel = np.zeros(n)
    rel[infector] = 1.0
    return s, e, o, rel


def test_venue_infection_needs_overlap_inside_the_infectious_window():
    # Person 0 infectious from t=0 to 10 h at venue 0 from 1 h to 3 h; person 1 overlaps,
    # person 2 arrives after 0 left, person 3 overlaps at another venue.
    h = 3600
    person = np.array([0, 1, 2, 3])
    venue = np.array([0, 0, 0, 1])
    t_in = np.array([1, 2, 3, 1]) * h
    t_out = np.array([3, 4, 5, 3]) * h
    s, e, o, rel = _state(4, 0, 0.0, 10 * h)
    susceptible = np.array([False, True, True, True])
    params = OutbreakParams(beta_venue_per_hour=1e6)
    ev = venue_events(person, venue, t_in, t_out, s, e, o, rel, susceptible,
                      np.ones(2), params, np.random.default_rng(0))
    assert ev.person.tolist() == [1] and ev.infector.tolist() == [0]
    assert ev.venue.tolist() == [0] and 2 * h <= ev.time[0] < 3 * h
    # Not yet infectious during the stay: nobody is infected.
    s, e, o, rel = _state(4, 0, 4 * h, 10 * h)
    ev = venue_events(person, venue, t_in, t_out, s, e, o, rel, susceptible,
                      np.ones(2), params, np.random.default_rng(0))
    assert len(ev.person) == 0


def test_household_infection_only_within_the_household_and_at_home():
    household = np.array([0, 0, 0, 1])
    order = np.argsort(household, kind="stable")
    offsets = np.searchsorted(household[order], np.arange(household.max() + 2))
    s, e, o, rel = _state(4, 0, 0.0, 2 * DAY)
    at_home = np.array([True, True, False, True])
    susceptible = np.array([False, True, True, True])
    params = OutbreakParams(beta_household_per_day=1e6)
    ev = household_events(np.array([0]), (0.5 * DAY, DAY), offsets, order, household,
                          at_home, susceptible, s, e, o, rel, params,
                          np.random.default_rng(1))
    assert ev.person.tolist() == [1] and ev.venue.tolist() == [-1]


def test_infectiousness_is_zero_outside_the_window():
    t = np.array([-1.0, 0.0, 5.0, 10.0])
    value = infectiousness(t, np.zeros(4), np.full(4, 2.0), np.full(4, 10.0))
    assert value[0] == 0 and value[-1] == 0 and (value[1:3] > 0).all()


def test_natural_history_is_ordered():
    rng = np.random.default_rng(3)
    when = rng.uniform(0, 5 * DAY, 2000)
    params = OutbreakParams()
    hist = draw_history(when, rng.random(2000) < 0.3, rng.integers(0, 3, 2000), params, rng)
    assert (hist.inf_start >= when + params.min_latent_days * DAY - 1e-6).all()
    assert (hist.onset >= hist.inf_start).all() and (hist.inf_end > hist.onset).all()
    found = ~np.isnan(hist.sampled)
    assert (hist.confirmed[found] > hist.sampled[found]).all()
    assert (hist.isolated[found] > hist.confirmed[found]).all()
    assert abs((~hist.symptomatic).mean() - params.asymptomatic_share) < 0.04
    incubation = (hist.onset - when)[hist.onset - when > params.min_latent_days * DAY]
    assert 2.0 < np.median(incubation) / DAY < 4.0  # DOMAIN §2.1: Omicron 2-4 days
