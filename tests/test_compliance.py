"""Compliance lists: hand-checkable cases, then the faults a synthetic county injects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tracelab.governance import compliance as c
from tracelab.model import schema as s

T0 = pd.Timestamp("2022-11-18T00:00:00Z")


def _hourly(venue: str, hours: int, every: int = 1, start: pd.Timestamp = T0) -> pd.DataFrame:
    at = [start + pd.Timedelta(hours=every * i) for i in range(hours // every)]
    return pd.DataFrame({s.PERSON_ID: [f"p{i}" for i in range(len(at))], s.VENUE_ID: venue,
                         s.SCANNED_AT: pd.DatetimeIndex(at).as_unit("ns")})


def test_silent_venue_found_and_night_closure_not():
    busy = _hourly("V1", 24 * 6)
    # V2 opens 08:00-20:00 local (00:00-12:00 UTC) every day: silent nights are normal.
    shop = pd.concat([_hourly("V2", 12, start=T0 + pd.Timedelta(days=d)) for d in range(6)])
    dead = _hourly("V3", 48)  # stops after two days
    scans = pd.concat([busy, shop, dead], ignore_index=True)
    venues = pd.DataFrame({s.VENUE_ID: ["V1", "V2", "V3"]})
    before = scans.copy()
    out = c.silent_venues(scans, venues, now=T0 + pd.Timedelta(days=6))
    pd.testing.assert_frame_equal(scans, before)
    assert out[s.VENUE_ID].tolist() == ["V3"]
    assert out[c.EXPECTED].iloc[0] == pytest.approx(99, abs=1)
    assert "no scan since 2022-11-20 07:00" in out[s.WHY].iloc[0]


def test_forwarded_scans_do_not_hide_a_silent_code():
    dead = _hourly("V3", 48).assign(**{s.DEVICE_LON: 114.03, s.DEVICE_LAT: 27.63})
    fake = dead.iloc[:1].assign(**{s.SCANNED_AT: T0 + pd.Timedelta(days=5),
                                   s.DEVICE_LON: 114.3})
    scans = pd.concat([dead, fake], ignore_index=True)
    venues = pd.DataFrame({s.VENUE_ID: ["V3"], s.LON: [114.03], s.LAT: [27.63]})
    now = T0 + pd.Timedelta(days=6)
    assert c.silent_venues(scans, venues, now=now)[s.VENUE_ID].tolist() == ["V3"]
    assert c.silent_venues(scans, venues[[s.VENUE_ID]], now=now).empty


def test_low_volume_needs_enough_venues_of_a_type():
    counts = {"A": 200, "B": 180, "C": 220, "D": 15, "E": 5}
    scans = pd.concat([_hourly(v, n) for v, n in counts.items()], ignore_index=True)
    venues = pd.DataFrame({s.VENUE_ID: list(counts),
                           s.VENUE_TYPE: ["shop"] * 4 + ["school"]})
    out = c.low_volume_venues(scans, venues)
    assert out[s.VENUE_ID].tolist() == ["D"]
    assert out[c.EXPECTED].iloc[0] == 190 and out[c.OBSERVED].iloc[0] == 15


def test_group_bursts_count_merged_scans():
    scans = pd.DataFrame({s.PERSON_ID: ["p1", "p2", "p2"], s.VENUE_ID: ["V1", "V1", "V2"],
                          s.SCANNED_AT: [T0, T0, T0 + pd.Timedelta(seconds=5)],
                          s.MERGED_SCANS: [4, 1, 1]})
    out = c.group_bursts(scans)
    assert out[[s.PERSON_ID, c.BURST_SCANS]].values.tolist() == [["p1", 4]]


def test_abnormal_admissions_and_missing_columns():
    scans = pd.DataFrame({s.VENUE_ID: ["V1", "V2", "V2"],
                          s.CODE_COLOUR: [s.GREEN, s.YELLOW, s.YELLOW]})
    out = c.abnormal_admissions(scans)
    assert out[[s.VENUE_ID, s.YELLOW, s.RED]].values.tolist() == [["V2", 2, 0]]
    assert s.PERSON_ID not in out.columns
    with pytest.raises(s.SchemaError, match="code_color"):
        c.abnormal_admissions(scans[[s.VENUE_ID]])


def test_far_scans_flag_and_reject_zones():
    venues = pd.DataFrame({s.VENUE_ID: ["V1"], s.LON: [114.0], s.LAT: [27.6]})
    east = [114.0, 114.004, 114.006, 114.04, np.nan]  # 0, ~395 m, ~593 m, ~3.9 km, no fix
    scans = pd.DataFrame({s.PERSON_ID: list("abcde"), s.VENUE_ID: "V1",
                          s.SCANNED_AT: T0, s.DEVICE_LON: east, s.DEVICE_LAT: 27.6})
    out = c.far_scans(scans, venues)
    assert out[s.PERSON_ID].tolist() == ["d", "c"]
    assert "should have been rejected" in out[s.WHY].iloc[0]
    assert "rejected" not in out[s.WHY].iloc[1]


def test_shared_phones_are_masked():
    venues = pd.DataFrame({s.VENUE_ID: ["V1", "V2", "V3"],
                           s.APPLICANT_PHONE: ["13123456789", "13123456789", None]})
    out = c.shared_applicant_phones(venues)
    assert "13123456789" not in out.to_csv()
    assert out[c.VENUE_IDS].tolist() == ["V1, V2"]


def test_unregistered_needs_an_input():
    with pytest.raises(ValueError, match="venues"):
        c.unregistered_venues(pd.DataFrame({s.VENUE_ID: ["X"]}))
    with pytest.raises(ValueError, match="rejection"):
        c.unregistered_venues(None)
    rej = pd.DataFrame({s.REASON: ["unknown_venue", "bad_colour"], s.VALUE: ["X9", "blue"]})
    assert c.unregistered_venues(None, rejections=rej)[s.VENUE_ID].tolist() == ["X9"]


# --- the synthetic county: the lists find what the generator injected ----------------

@pytest.fixture(scope="module")
def county(tmp_path_factory):
    from tracelab.io import read_dir
    from tracelab.synth import LogParams, generate
    log = LogParams(silent_venue_share=0.1, lax_venue_share=0.1, forwarded_rate=0.002)
    gen = generate(2000, days=7, seed=3, progress=False, log=log)
    folder = gen.write(tmp_path_factory.mktemp("county"))
    now = (pd.Timestamp(gen.manifest["start"], tz=s.DEFAULT_ZONE)
           + pd.Timedelta(days=7)).tz_convert("UTC")
    return gen, read_dir(folder, now=now), now


def _keys(frame, *cols):
    return set(zip(*(frame[c] for c in cols), strict=True))


def test_synthetic_faults_are_found(county):
    gen, data, now = county
    faults = gen.faults
    kind = faults["kind"]
    found = _keys(c.far_scans(data.scans, data.venues), s.PERSON_ID, s.VENUE_ID)
    truth = _keys(faults[kind == "forwarded_code"], s.PERSON_ID, s.VENUE_ID)
    assert truth and found == truth
    silent = set(c.silent_venues(data.scans, data.venues, now=now)[s.VENUE_ID])
    truth = set(faults.loc[kind == "silent_venue", s.VENUE_ID])
    assert truth and silent <= truth and len(silent) >= 0.5 * len(truth)
    bursts = c.group_bursts(data.scans)
    big = _keys(bursts[bursts[c.BURST_SCANS] >= 3], s.PERSON_ID, s.VENUE_ID)
    assert big and big <= _keys(faults[kind == "group_scan"], s.PERSON_ID, s.VENUE_ID)
    unknown = set(c.unregistered_venues(None, rejections=data.rejections)[s.VENUE_ID])
    assert unknown == set(faults.loc[kind == "unknown_venue", s.VENUE_ID])
    shared = c.shared_applicant_phones(gen.venues)
    dup = set(faults.loc[kind == "duplicate_applicant_phone", s.VENUE_ID])
    assert dup <= {v for ids_ in shared[c.VENUE_IDS] for v in ids_.split(", ")}
    assert "applicant_phone" not in shared.columns
