"""Tests of tracelab.synth: determinism, loading, shape, ground truth, interventions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tracelab.io import read_dir
from tracelab.model import schema as s
from tracelab.synth import LogParams, OutbreakParams, generate, simulation, tables
from tracelab.synth import columns as c

# A tiny county with a brisk outbreak, so that the truth has venue infections to check.
TINY = {"population": 800, "days": 5, "seed": 4, "progress": False,
            "outbreak": OutbreakParams(index_cases=8, beta_venue_per_hour=0.05)}


@pytest.fixture(scope="module")
def tiny():
    return generate(**TINY)


@pytest.fixture(scope="module")
def tiny_dir(tiny, tmp_path_factory):
    return tiny.write(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def small():
    # Larger, for shape statistics (ages, popularity), three days.
    return generate(population=3000, days=3, seed=11, progress=False)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tiny_dir, tmp_path):
    again = generate(**TINY).write(tmp_path / "again")
    assert _digests(again) == _digests(tiny_dir)


def test_different_seed_differs(tiny_dir, tmp_path):
    other = generate(**{**TINY, "seed": 5}).write(tmp_path / "other")
    a, b = _digests(tiny_dir), _digests(other)
    assert a["scans.parquet"] != b["scans.parquet"]
    assert a["persons.parquet"] != b["persons.parquet"]
    assert a["townships.geojson"] == b["townships.geojson"]  # geography is fixed


def test_csv_is_deterministic_too(tmp_path):
    kw = {**TINY, "population": 300, "days": 2}
    one = generate(**kw).write(tmp_path / "one", fmt="csv")
    two = generate(**kw).write(tmp_path / "two", fmt="csv")
    assert _digests(one) == _digests(two)
    assert (one / "scans.csv").is_file() and (one / "manifest.json").is_file()


def test_everything_loads_and_only_injected_faults_are_found(tiny, tiny_dir):
    data = read_dir(tiny_dir, now="2022-12-31T00:00+08:00")
    manifest = json.loads((tiny_dir / "manifest.json").read_text(encoding="utf-8"))
    injected = manifest["injected_faults"]
    # Registry faults keep the venue (listed); log faults reject the scan.
    expected = {(f"{table}.parquet", reason): n for table, reasons in injected.items()
                for reason, n in reasons.items() if n and table != "venues"}
    got = data.rejections.groupby([s.SOURCE, s.REASON]).size().to_dict()
    assert got == expected
    faults = data.registry_faults.groupby(s.REASON).size().to_dict()
    assert faults == {r: n for r, n in injected["venues"].items() if n}
    assert len(data.venues) == len(tiny.venues)
    assert data.region is not None and data.region.code == "360323"
    # Repeat scans are merged, not dropped: every written scan is accounted for.
    n_scan_rejected = sum(injected["scans"].values())
    assert int(data.scans[s.MERGED_SCANS].sum()) + n_scan_rejected == len(tiny.scans)
    assert len(data.cases) == len(tiny.cases) > 0


def test_tables_have_the_schema_columns_and_utc_times(tiny):
    assert tuple(tiny.venues.columns) == s.REGISTRY_COLUMNS
    assert set(tiny.scans.columns) <= set(s.SCAN_COLUMNS)
    assert tuple(tiny.cases.columns) == s.CASE_COLUMNS
    assert tuple(tiny.persons.columns) == c.PERSON_COLUMNS
    assert tuple(tiny.truth.columns) == c.TRUTH_COLUMNS
    assert str(tiny.scans[s.SCANNED_AT].dtype) == "datetime64[us, UTC]"
    assert set(tiny.scans[s.CODE_COLOUR]) <= set(s.COLOURS)
    assert set(tiny.scans[s.METHOD]) == set(s.METHODS)
    assert tiny.venues[s.APPLICANT_PHONE].iloc[:-1].is_unique  # last row: injected reuse


def test_venue_records_are_complete_and_in_gcj02(tiny):
    registry = tiny.venues.drop(columns=[s.PARENT_VENUE_ID])
    assert not registry.isna().any().any()
    assert (registry[s.APPLICANT_COLOUR] == s.GREEN).all()
    # GCJ-02 sits ~600 m south-east of WGS-84 at Luxi (DOMAIN §8): undo and compare.
    from tracelab.model.coords import gcj02_to_wgs84
    from tracelab.model.regions import region

    lon, lat = gcj02_to_wgs84(registry[s.LON].to_numpy(), registry[s.LAT].to_numpy())
    assert region("360323").contains(lon, lat, margin_m=0).all()


def test_scans_per_person_day_and_proxy_share(small):
    counts = small.manifest["counts"]
    assert 1.0 <= counts["scans_per_person_day"] <= 5.0
    assert 0.1 <= counts["proxy_share"] <= 0.4
    # Proxy scans belong to people without a smartphone.
    smart = small.persons.set_index(s.PERSON_ID)[c.HAS_SMARTPHONE]
    proxy = small.scans[small.scans[s.METHOD] == s.PROXY]
    assert not smart.reindex(proxy[s.PERSON_ID]).any()


def test_weekend_and_weekday_differ(small):
    local = small.scans[s.SCANNED_AT].dt.tz_convert(s.DEFAULT_ZONE)
    by_day = small.scans.groupby(local.dt.date).size()
    schools = set(small.venues.loc[small.venues[s.VENUE_TYPE] == "school", s.VENUE_ID])
    at_school = small.scans[small.scans[s.VENUE_ID].isin(schools)]
    school_day = at_school[s.SCANNED_AT].dt.tz_convert(s.DEFAULT_ZONE).dt.date
    per_day = at_school.groupby(school_day).size()
    # Day 0 is Friday 2022-11-18; day 1 Saturday: schools nearly empty.
    days = sorted(by_day.index)
    assert per_day.get(days[1], 0) < 0.1 * per_day[days[0]]


def test_venue_popularity_is_heavy_tailed():
    county = generate(population=20000, days=1, seed=3, progress=False)
    vt = county.venues.set_index(s.VENUE_ID)[s.VENUE_TYPE]
    scans = county.scans[county.scans[s.VENUE_ID].map(vt).eq("restaurant")]
    per_venue = scans.groupby(s.VENUE_ID).size().sort_values(ascending=False)
    top = per_venue.iloc[: max(1, len(per_venue) // 5)].sum()
    assert top / per_venue.sum() > 0.4  # top fifth of restaurants: > 40 % of scans
    assert per_venue.max() > 4 * per_venue.median()


def test_age_pyramid_matches_census(small):
    age = small.persons[c.AGE]
    assert abs((age <= 14).mean() - 0.2207) < 0.03
    assert abs((age >= 60).mean() - 0.2072) < 0.03
    assert abs((age >= 65).mean() - 0.147) < 0.03
    assert abs((small.persons[c.SEX] == "male").mean() - 0.5135) < 0.03
    no_phone = ~small.persons[c.HAS_SMARTPHONE]
    assert no_phone[age >= 60].mean() > 0.5 and no_phone[age < 10].all()


def test_ids_are_valid():
    from tracelab.model import ids

    county = generate(population=200, days=1, seed=9, progress=False)
    people = county.persons
    assert people[c.ID_NUMBER].map(ids.is_resident_id).all()
    assert people[c.PHONE].dropna().map(ids.is_mobile).all()
    born = pd.to_datetime(people[c.ID_NUMBER].str[6:14], format="%Y%m%d")
    age = ((pd.Timestamp("2022-11-18") - born).dt.days / 365.25).astype(int)
    assert (age - people[c.AGE]).abs().max() <= 1


def test_every_venue_infection_has_its_infector_present(tiny):
    truth, presence = tiny.truth, tiny.presence
    venue_inf = truth[truth[c.SETTING] == c.VENUE]
    assert len(venue_inf) > 5
    windows = truth.set_index(s.PERSON_ID)[[c.INFECTIOUS_START, c.INFECTIOUS_END]]
    for row in venue_inf.itertuples(index=False):
        row = row._asdict()
        t = row[c.INFECTED_AT]
        start, end = windows.loc[row[c.INFECTOR_ID]]
        assert start <= t < end
        for who in (row[c.INFECTOR_ID], row[s.PERSON_ID]):
            stays = presence[(presence[s.PERSON_ID] == who)
                             & (presence[s.VENUE_ID] == row[s.VENUE_ID])]
            assert ((stays[c.T_ARRIVE] <= t) & (stays[c.T_LEAVE] > t)).any()


def test_household_infections_stay_in_the_household(tiny):
    hh = tiny.persons.set_index(s.PERSON_ID)[c.HOUSEHOLD_ID]
    home = tiny.truth[tiny.truth[c.SETTING] == c.HOUSEHOLD]
    assert (hh.reindex(home[s.PERSON_ID]).to_numpy()
            == hh.reindex(home[c.INFECTOR_ID]).to_numpy()).all()
    assert tiny.truth[tiny.truth[c.SETTING] == c.SEED][c.INFECTOR_ID].isna().all()


def test_cases_follow_the_truth(tiny):
    truth = tiny.truth.set_index(s.PERSON_ID)
    cases = tiny.cases.set_index(s.PERSON_ID)
    assert cases.index.isin(truth.index).all()
    t = truth.loc[cases.index]
    assert (cases[s.SAMPLED_AT] < cases[s.CONFIRMED_AT]).all()
    assert (t[c.INFECTED_AT] < cases[s.SAMPLED_AT]).all()
    assert ((cases[s.KIND] == s.CONFIRMED) == t[c.SYMPTOMATIC]).all()


def test_no_stays_after_isolation(tiny):
    iso = tiny.truth.dropna(subset=[c.ISOLATED_AT_TRUE]).set_index(s.PERSON_ID)[c.ISOLATED_AT_TRUE]
    stays = tiny.presence[tiny.presence[s.PERSON_ID].isin(iso.index)]
    assert (stays[c.T_LEAVE] <= stays[s.PERSON_ID].map(iso)).all()


def test_quarantine_and_closure_take_effect():
    sim = simulation(800, days=4, seed=4, outbreak=OutbreakParams(index_cases=8,
                                                                  beta_venue_per_hour=0.05))
    sim.step()
    ids = sim.base.people.table[s.PERSON_ID].iloc[:100].tolist()
    infectious = sim.base.people.table[s.PERSON_ID].to_numpy()[~np.isnan(sim.inf_start)]
    ids += infectious.tolist()
    assert sim.quarantine(ids, days=2) == len(set(ids))
    closed = sim.close(venue_types=["restaurant"])
    assert closed > 0
    for _ in range(3):
        sim.step()
    county = tables(sim)
    q_lo, q_hi = sim.now - pd.Timedelta(days=3), sim.now - pd.Timedelta(days=1)
    pres = county.presence
    inside = (pres[c.T_LEAVE] > q_lo) & (pres[c.T_ARRIVE] < q_hi)
    assert not (inside & pres[s.PERSON_ID].isin(ids)).any()
    truth = county.truth
    during = (truth[c.INFECTED_AT] >= q_lo) & (truth[c.INFECTED_AT] < q_hi)
    assert not (during & truth[s.PERSON_ID].isin(ids)).any()
    assert not (during & truth[c.INFECTOR_ID].isin(ids)).any()
    rest = set(county.venues.loc[county.venues[s.VENUE_TYPE] == "restaurant", s.VENUE_ID])
    after = pres[pres[c.T_ARRIVE] >= q_lo]
    assert not after[s.VENUE_ID].isin(rest).any()
    assert not county.scans[(county.scans[s.SCANNED_AT] >= q_lo)
                            & county.scans[s.VENUE_ID].isin(rest)].shape[0]
    assert set(county.interventions[c.ACTION]) == {"quarantine", "close"}
    # Released at the end of quarantine: back home from that instant.
    never_isolated = ~pd.Index(ids).isin(county.truth.dropna(subset=[c.ISOLATED_AT_TRUE])
                                         [s.PERSON_ID])
    back = pres[(pres[c.T_ARRIVE] == q_hi)][s.PERSON_ID]
    assert set(np.array(ids)[never_isolated]) <= set(back)


def test_perfect_log_scans_every_stay_with_exact_exits():
    county = generate(population=300, days=2, seed=2, progress=False,
                      log=LogParams.perfect())
    stays = county.presence
    venues = county.venues.set_index(s.VENUE_ID)
    public = stays[~stays[s.VENUE_ID].map(venues[s.VENUE_TYPE])
                   .isin(["residential_compound", "village"])]
    merged = public.merge(county.scans, left_on=[s.PERSON_ID, s.VENUE_ID, c.T_ARRIVE],
                          right_on=[s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT], how="left")
    assert merged[s.SCANNED_AT].notna().all()
    assert (merged[s.EXIT_AT] == merged[c.T_LEAVE]).all()
    assert county.faults.empty


def test_faults_are_listed_for_compliance_checks():
    county = generate(population=3000, days=4, seed=1, progress=False,
                      log=replace(LogParams(), silent_venue_share=0.05, forwarded_rate=0.002))
    kinds = set(county.faults[c.FAULT_KIND])
    assert {"silent_venue", "group_scan", "forwarded_code", "double_scan", "lax_venue"} <= kinds
    lax = county.faults.loc[county.faults[c.FAULT_KIND] == "lax_venue", s.VENUE_ID]
    stays = county.presence[county.presence[s.VENUE_ID].isin(lax)]
    scanned = county.scans[county.scans[s.VENUE_ID].isin(lax)]
    assert len(scanned) < 0.4 * len(stays)
    silent = county.faults[county.faults[c.FAULT_KIND] == "silent_venue"]
    for row in silent.itertuples(index=False):
        after = county.scans[(county.scans[s.VENUE_ID] == row.venue_id)
                             & (county.scans[s.SCANNED_AT] >= row.at)]
        assert after.empty
    groups = county.faults[county.faults[c.FAULT_KIND] == "group_scan"]
    bursts = groups[groups[c.FAULT_DETAIL].str.contains("scanned")]
    assert len(bursts)
    for row in bursts.itertuples(index=False):
        near = county.scans[(county.scans[s.PERSON_ID] == row.person_id)
                            & (county.scans[s.VENUE_ID] == row.venue_id)
                            & ((county.scans[s.SCANNED_AT] - row.at).abs()
                               < pd.Timedelta(minutes=7))]
        assert len(near) >= row.count + 1  # one scan per head (clock skew up to 5 min)
    fwd = county.faults[county.faults[c.FAULT_KIND] == "forwarded_code"]
    assert fwd[c.FAULT_DETAIL].str.extract(r"(\d+) m")[0].astype(float).min() > 3000


@pytest.mark.parametrize("kwargs, match", [
    ({"days": 0}, "days must be at least 1"),
    ({"population": 10}, "population must be at least 50"),
    ({"seed": -1}, "seed must be a non-negative int"),
])
def test_generate_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate(**{"population": 100, "days": 1, "seed": 0, "progress": False, **kwargs})


def test_write_rejects_unknown_format(tiny, tmp_path):
    with pytest.raises(ValueError, match="fmt must be 'parquet' or 'csv'"):
        tiny.write(tmp_path, fmt="xlsx")


def test_params_are_validated():
    with pytest.raises(ValueError, match="asymptomatic_share"):
        OutbreakParams(asymptomatic_share=1.5)
    with pytest.raises(ValueError, match="index_cases"):
        OutbreakParams(index_cases=-1)
    with pytest.raises(ValueError, match="yellow_rate"):
        LogParams(yellow_rate=-0.1)


def test_interventions_reject_unknown_targets():
    sim = simulation(200, days=1, seed=0)
    with pytest.raises(ValueError, match="person_ids: 1 unknown"):
        sim.quarantine(["nobody"])
    with pytest.raises(ValueError, match="venue_types"):
        sim.close(venue_types=["spaceport"])
    with pytest.raises(ValueError, match="venue_ids: 1 unknown"):
        sim.close(venue_ids=["V0"])
    with pytest.raises(ValueError, match="end must be after its start"):
        sim.quarantine(sim.base.people.table[s.PERSON_ID].iloc[:1], start=2, end=1)


def test_cli_writes_a_county(tmp_path, capsys):
    from tracelab.cli import main

    assert main(["synth", "--population", "200", "--days", "1", "--seed", "1",
                 "--out", str(tmp_path), "--no-progress", "--exit-scans", "0.5",
                 "--lang", "en"]) == 0
    assert json.loads(capsys.readouterr().out)["persons"] == 200
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["log"]["exit_scan_share"] == 0.5
    assert manifest["venue_crs"] == "GCJ-02"
    assert main(["synth", "--population", "200", "--out", str(tmp_path),
                 "--exit-scans", "2"]) == 2
    assert "--exit-scans 须在 [0, 1] 之间" in capsys.readouterr().err
    assert main(["synth", "--population", "200", "--days", "1", "--seed", "1",
                 "--out", str(tmp_path / "zh"), "--no-progress"]) == 0  # Chinese by default
    said = capsys.readouterr().out
    assert said.startswith("已生成合成县 -> ") and "200 人" in said


def test_committed_sample_is_reproducible(tmp_path):
    # data/sample/README.md: `tracelab synth --population 5000 --days 14 --seed 1`.
    sample = Path(__file__).resolve().parent.parent / "data" / "sample"
    manifest = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["cases"] >= 20
    assert sum(p.stat().st_size for p in sample.iterdir()) < 10 * 2**20
    again = generate(manifest["parameters"]["population"], days=manifest["days"],
                     seed=manifest["seed"], progress=False).write(tmp_path)
    stale = [name for name, digest in manifest["files"].items()
             if _digests(again).get(name) != digest]
    assert not stale, (f"data/sample is stale for {stale}: regenerate it with the command "
                       "in data/sample/README.md")
    assert _digests(sample) == _digests(again) | {"README.md": _digests(sample)["README.md"]}


def test_nobody_is_in_two_places_at_once(tiny):
    pres = tiny.presence.sort_values([s.PERSON_ID, c.T_ARRIVE], kind="stable")
    same = pres[s.PERSON_ID].to_numpy()[1:] == pres[s.PERSON_ID].to_numpy()[:-1]
    gap = pres[c.T_ARRIVE].to_numpy()[1:] - pres[c.T_LEAVE].to_numpy()[:-1]
    assert (gap[same] >= np.timedelta64(0, "s")).all()
    assert (pres[c.T_LEAVE] > pres[c.T_ARRIVE]).all()


def test_csv_output_loads_too(tmp_path):
    county = generate(**{**TINY, "exit_scan_share": 0.5})
    data = read_dir(county.write(tmp_path, fmt="csv"), now="2022-12-31T00:00+08:00")
    assert set(data.rejections[s.REASON]) == {"unknown_venue"}
    assert set(data.registry_faults[s.REASON]) == {"bad_check_digit", "duplicate_applicant_phone"}
    assert data.scans[s.EXIT_AT].notna().sum() == county.scans[s.EXIT_AT].notna().sum() > 0
