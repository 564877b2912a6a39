"""Tests of tracelab.model.rules: presets, validation, rule ids, interval primitives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from tracelab.model.rules import (
    PRESETS,
    Rule,
    as_rule,
    intervals_match,
    overlap_minutes,
    parse_rule_id,
    round_times,
    rule,
)

M = 60_000_000_000


def test_default_rule_is_twenty():
    assert Rule().name == "twenty"
    assert rule() == PRESETS["twenty"]
    assert rule().rule_id == "twenty"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_round_trips_through_its_id(name):
    r = rule(name)
    assert r.rule_id == name
    assert as_rule(r.rule_id) == r
    tweaked = r.replace(lingering_minutes=7.5, min_overlap_minutes=2)
    assert as_rule(tweaked.rule_id) == tweaked


def test_presets_carry_the_documented_parameters():
    assert rule("ninth").secondary_contacts and not rule("twenty").secondary_contacts
    assert not rule("ten").secondary_contacts
    nhs = rule("nhs")
    assert (nhs.rounding_minutes, nhs.round_in, nhs.round_out, nhs.dwell) == (
        15, "floor", "ceil", "same_day")
    cwa = rule("cwa")
    assert (cwa.min_case_stay_minutes, cwa.lingering_minutes, cwa.lingering_mode) == (
        10, 30, "min_stay")
    assert (cwa.day_zone, cwa.day_split, cwa.case_interval) == ("UTC", True, "cwa")
    assert rule("crowdnotifier").boundary == "closed"
    assert rule("nz").boundary == "nz_strict_entry"
    assert rule("same_day").dwell == "whole_day"


def test_rule_is_frozen_and_hashable():
    r = rule("twenty")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.lingering_minutes = 5  # type: ignore[misc]
    assert len({r, rule("twenty"), rule("ninth")}) == 2


def test_rule_id_names_only_changed_parameters_in_field_order():
    r = rule("cwa", min_overlap_minutes=5, day_split=False)
    assert r.rule_id == "cwa(min_overlap_minutes=5,day_split=False)"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"lingering_minutes": -1}, "lingering_minutes=-1 must be finite and >= 0"),
        ({"boundary": "open"}, "boundary='open'; allowed: half_open, closed"),
        ({"dwell": "guess"}, "dwell='guess'; allowed: scan_only"),
        ({"day_zone": "Mars/Olympus"}, "day_zone='Mars/Olympus' is not an IANA zone"),
        ({"day_split": "yes"}, "day_split='yes' must be True or False"),
        ({"min_overlap_minutes": "ten"}, "min_overlap_minutes='ten' must be a number"),
        ({"rounding_minutes": 7.5}, "rounding_minutes=7.5 must be a whole number"),
        ({"scan_instant_minutes": 0}, "scan_instant_minutes=0"),
        ({"incubation_min_days": 9}, "incubation_min_days=9 exceeds"),
        ({"close_contact_types": "school"}, "close_contact_types='school' must be a tuple"),
        ({"round_in": "up"}, "round_in='up'; allowed: floor, ceil, nearest"),
    ],
)
def test_invalid_values_are_refused_with_the_value_and_allowed(overrides, match):
    with pytest.raises(ValueError, match=match):
        rule("twenty", **overrides)


def test_several_problems_are_reported_together():
    with pytest.raises(ValueError, match="boundary='x'.*lingering_minutes=-1"):
        rule("twenty", lingering_minutes=-1, boundary="x")


def test_unknown_parameter_and_preset():
    with pytest.raises(TypeError, match=r"unknown rule parameter\(s\) \['linger'\]"):
        rule("twenty", linger=5)
    with pytest.raises(ValueError, match="rule name='eleventh' is not a preset"):
        rule("eleventh")
    with pytest.raises(ValueError, match="name='eleventh' is not a preset"):
        Rule(name="eleventh")
    with pytest.raises(TypeError, match="must be a preset name"):
        as_rule(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule_id", "match"),
    [
        ("twenty(lingering=3)", "'lingering' is not a rule parameter"),
        ("twenty(day_split=yes)", "day_split='yes' must be True or False"),
        ("twenty(day_split=True", "must look like name"),
    ],
)
def test_bad_rule_ids_are_refused(rule_id, match):
    with pytest.raises(ValueError, match=match):
        parse_rule_id(rule_id)


def test_calls_per_day_is_a_rule_parameter_that_round_trips():
    r = rule("ninth", calls_per_day=50)
    assert r.rule_id == "ninth(calls_per_day=50)"
    assert as_rule(r.rule_id) == r and as_rule(r.rule_id).calls_per_day == 50
    assert r.as_dict()["calls_per_day"] == 50 and Rule(**r.as_dict()) == r
    # the default leaves every preset's id as it was
    assert all(p.calls_per_day == 200 and p.rule_id == name for name, p in PRESETS.items())
    assert rule("twenty", calls_per_day=np.int64(80)).as_dict()["calls_per_day"] == 80
    assert type(rule("twenty", calls_per_day=np.int64(80)).calls_per_day) is int


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "200", None])
def test_calls_per_day_must_be_a_whole_number_of_people(bad):
    with pytest.raises(ValueError, match=rf"calls_per_day={bad!r} must be a whole number of "
                       "people, at least 1"):
        rule("twenty", calls_per_day=bad)


def test_rule_id_with_a_bad_number_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"'twenty\(calls_per_day=lots\)': calls_per_day='lots' "
                       "must be a whole number"):
        as_rule("twenty(calls_per_day=lots)")
    with pytest.raises(ValueError, match="lingering_minutes='x' must be a number"):
        as_rule("twenty(lingering_minutes=x)")


def test_close_contact_types_given_as_a_list_become_a_sorted_tuple():
    assert rule("twenty", close_contact_types=["school", "hotel"]).close_contact_types == (
        "hotel", "school")


@pytest.mark.parametrize(
    ("how", "expected"),
    [("floor", [0, 0, 15, 15, -15]), ("ceil", [0, 15, 15, 30, 0]),
     ("nearest", [0, 0, 15, 30, -15])],
)
def test_round_times_on_a_15_minute_grid(how, expected):
    t = np.array([0, 7, 15, 23, -8]) * M
    assert (round_times(t, 15, how) // M).tolist() == expected


def test_round_times_zero_grid_is_identity_and_bad_direction_raises():
    t = np.array([1, 2, 3])
    assert round_times(t, 0, "floor").tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="how='up'; allowed"):
        round_times(t, 5, "up")


# PRIOR-ART §6 "Overlap": (case, contact) intervals in minutes -> match per boundary.
OVERLAP_CASES = [
    # name, case, contact, half_open, closed, nz_strict_entry
    ("contact ends as case starts", (10, 20), (0, 10), False, True, False),
    ("contact starts as case ends", (10, 20), (20, 30), False, True, False),
    ("contact inside case", (10, 20), (12, 18), True, True, True),
    ("case inside contact", (12, 18), (10, 20), True, True, False),
    ("shared start, contact shorter", (10, 20), (10, 15), True, True, False),
    ("shared end, contact shorter", (10, 20), (15, 20), True, True, True),
    ("equal", (10, 20), (10, 20), True, True, False),
    ("partial at start", (10, 20), (5, 15), True, True, False),
    ("partial at end", (10, 20), (15, 25), True, True, True),
    ("gap", (10, 20), (25, 30), False, False, False),
]


@pytest.mark.parametrize(("name", "case", "contact", "half", "closed", "nz"), OVERLAP_CASES)
def test_overlap_table(name, case, contact, half, closed, nz):
    args = (case[0] * M, case[1] * M, contact[0] * M, contact[1] * M)
    assert bool(intervals_match(*args, "half_open")) is half
    assert bool(intervals_match(*args, "closed")) is closed
    assert bool(intervals_match(*args, "nz_strict_entry")) is nz


@pytest.mark.parametrize(("name", "case", "contact", "half", "closed", "nz"), OVERLAP_CASES)
def test_half_open_and_closed_overlap_are_symmetric(name, case, contact, half, closed, nz):
    a, b = (case[0] * M, case[1] * M), (contact[0] * M, contact[1] * M)
    for boundary in ("half_open", "closed"):
        assert bool(intervals_match(*a, *b, boundary)) == bool(intervals_match(*b, *a, boundary))


def test_nz_strict_start_one_millisecond():
    ms = 1_000_000
    checkin = 100 * M
    # An event starting 1 ms after the check-in, or ending 1 ms before it, never matches.
    assert not intervals_match(checkin + ms, checkin + 60 * M, checkin, checkin + M,
                               "nz_strict_entry")
    assert not intervals_match(checkin - 60 * M, checkin - ms, checkin, checkin + M,
                               "nz_strict_entry")
    assert intervals_match(checkin - ms, checkin + ms, checkin, checkin + M, "nz_strict_entry")


def test_unknown_boundary_raises():
    with pytest.raises(ValueError, match="boundary='open'; allowed"):
        intervals_match(0, 1, 0, 1, "open")


def _hm(text):
    t = pd.Timestamp(f"2022-11-20 {text}", tz="UTC")
    return t.value


# PRIOR-ART §6 "Overlap minutes" (CWA OverlapTest, window 10:00-11:00).
@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [("09:30", "10:12", 12), ("10:45", "11:12", 15), ("10:00", "10:13", 13),
     ("10:15", "10:17", 2), ("10:30", "11:00", 30), ("10:00", "11:00", 60),
     ("09:50", "10:05:45", 6), ("09:50", "10:05:15", 5)],
)
def test_cwa_overlap_minutes(start, end, minutes):
    got = overlap_minutes(_hm("10:00"), _hm("11:00"), _hm(start), _hm(end), "nearest")
    assert float(got) == minutes


def test_overlap_minutes_exact_and_disjoint():
    assert float(overlap_minutes(0, 90 * M, 30 * M, 200 * M)) == 60.0
    assert float(overlap_minutes(0, 10 * M, 20 * M, 30 * M)) == 0.0
    with pytest.raises(ValueError, match="minute_rounding='up'"):
        overlap_minutes(0, 1, 0, 1, "up")
