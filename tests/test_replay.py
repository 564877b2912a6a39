"""Scenario replay: policies as data, the closed loop, metrics, sweeps, plots, CLI."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tracelab.replay import (
    POLICY_PRESETS,
    Policy,
    Scenario,
    as_policy,
    grid,
    load_policy,
    paired_difference,
    policy,
    replay,
    scenario_from_dir,
    summarise,
    sweep,
)
from tracelab.replay import columns as rc
from tracelab.replay.metrics import t_quantile

TINY = Scenario(population=300, days=6)
SAMPLE = Path(__file__).parents[1] / "data" / "sample"


# --- policies -----------------------------------------------------------------------
def test_presets_follow_the_regimes():
    assert (POLICY_PRESETS["ninth"].central_days, POLICY_PRESETS["ninth"].home_days) == (7, 3)
    assert POLICY_PRESETS["ninth"].hops == 2 and POLICY_PRESETS["ninth"].secondary_days == 7
    assert (POLICY_PRESETS["twenty"].central_days, POLICY_PRESETS["twenty"].home_days) == (5, 3)
    assert (POLICY_PRESETS["ten"].central_days, POLICY_PRESETS["ten"].home_days) == (0, 5)
    assert not POLICY_PRESETS["none"].tracing
    assert POLICY_PRESETS["twenty_closures"].close_types == ("entertainment", "restaurant")


def test_policy_overrides_rule_and_switches_on_secondary_contacts():
    p = policy("twenty", hops=2, rule_overrides={"lingering_minutes": 30})
    assert p.exposure_rule.secondary_contacts and p.exposure_rule.lingering_minutes == 30
    assert p.name == "twenty"


@pytest.mark.parametrize(("changes", "match"), [
    ({"delay_hours": -1.0}, "delay_hours=-1.0 must be finite"),
    ({"compliance": 1.5}, r"compliance=1.5 must lie in \[0, 1\]"),
    ({"hops": 3}, "hops=3; allowed: 1, 2"),
    ({"rule": "nope"}, "rule='nope'"),
    ({"clock_start": "onset"}, "clock_start='onset'; allowed"),
    ({"close_after_cases": 0}, "close_after_cases=0 must be an int >= 1"),
    ({"central_days": 0.0, "home_days": 0.0}, "quarantines no one"),
    ({"hops": 2}, "hops=2 needs a rule with secondary_contacts"),
])
def test_invalid_policy_names_the_field(changes, match):
    with pytest.raises(ValueError, match=match):
        Policy(name="bad", **changes)


def test_policy_rejects_unknown_preset_field_and_regime():
    with pytest.raises(ValueError, match="preset='fast' is not a preset"):
        policy("fast")
    with pytest.raises(TypeError, match=r"unknown policy field\(s\) \['delay'\]"):
        policy("twenty", delay=3)
    with pytest.raises(ValueError, match="regime='eighth'"):
        policy("twenty", regime="eighth")


def test_load_policy_json_and_toml(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({
        "preset": "ninth", "name": "slow", "delay_hours": 48, "compliance": 0.7,
        "close_types": ["school"], "rule_overrides": {"lookback_days_symptomatic": 4}}))
    p = load_policy(tmp_path / "a.json")
    assert (p.name, p.delay_hours, p.compliance, p.close_types, p.hops) == (
        "slow", 48.0, 0.7, ("school",), 2)
    assert p.exposure_rule.lookback_days_symptomatic == 4
    (tmp_path / "b.toml").write_text('name = "t"\nregime = "ten"\n')
    assert as_policy(str(tmp_path / "b.toml")).home_days == 5


@pytest.mark.parametrize(("text", "suffix", "match"), [
    ("{", ".json", "not valid JSON"),
    ("a = ", ".toml", "not valid TOML"),
    ("[1, 2]", ".json", "must hold a table"),
    ('{"speed": 1}', ".json", "unknown policy field"),
])
def test_load_policy_errors(tmp_path, text, suffix, match):
    path = tmp_path / f"p{suffix}"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_policy(path)


def test_load_policy_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_policy(tmp_path / "none.json")
    with pytest.raises(ValueError, match="neither a preset"):
        as_policy("fastest")


def test_grid_is_row_major_and_named():
    ps = grid("twenty", compliance=[1.0, 0.5], delay_hours=[6, 24])
    assert [(p.compliance, p.delay_hours) for p in ps] == [
        (1.0, 6.0), (1.0, 24.0), (0.5, 6.0), (0.5, 24.0)]
    assert len({p.name for p in ps}) == 4
    with pytest.raises(ValueError, match="must be a list of values"):
        grid("twenty", compliance=0.5)


# --- scenario -----------------------------------------------------------------------
def test_scenario_from_the_sample_manifest():
    scen, seed = scenario_from_dir(SAMPLE)
    assert (scen.population, scen.days, seed, scen.log.exit_scan_share) == (5000, 14, 1, 0.0)
    assert scenario_from_dir(SAMPLE, days=3)[0].days == 3


def test_scenario_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        scenario_from_dir(tmp_path)
    (tmp_path / "manifest.json").write_text('{"generator": "hospital"}')
    with pytest.raises(ValueError, match="generator='hospital'"):
        scenario_from_dir(tmp_path)
    with pytest.raises(ValueError, match="days=0 must be an int >= 1"):
        Scenario(days=0)


# --- the loop -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_runs():
    return {name: replay(TINY, name, seed=4) for name in ("none", "twenty")}


def test_same_seed_gives_identical_results(tiny_runs):
    again = replay(TINY, "twenty", seed=4)
    first = tiny_runs["twenty"]
    pd.testing.assert_frame_equal(again.days, first.days)
    pd.testing.assert_frame_equal(again.contacts, first.contacts)
    assert json.dumps(again.metrics, default=str) == json.dumps(first.metrics, default=str)


def test_result_tables_have_the_documented_columns(tiny_runs):
    res = tiny_runs["twenty"]
    assert tuple(res.days.columns) == rc.DAY_COLUMNS
    assert tuple(res.contacts.columns) == rc.CONTACT_COLUMNS
    assert set(rc.METRICS) <= set(res.metrics)
    assert res.days[rc.INFECTIONS].iloc[-1] == res.metrics[rc.FINAL_SIZE]
    assert res.days[rc.CASES].iloc[-1] == res.metrics[rc.N_CASES]
    assert res.days[rc.NEW_TRACED].sum() == res.metrics[rc.TRACED]


def test_contacts_are_quarantined_after_confirmation_plus_delay(tiny_runs):
    c = tiny_runs["twenty"].contacts
    q = c[c[rc.Q_START].notna()]
    assert len(q)
    assert (q[rc.Q_START] >= q[rc.CASE_CONFIRMED] + pd.Timedelta(hours=12)).all()
    # the loop acts at local midnight after the confirmation, never before
    assert (q[rc.Q_START] >= q[rc.TRACED_AT]).all()


def test_reported_cases_are_never_listed_as_contacts(tiny_runs):
    res = tiny_runs["twenty"]
    early = res.cases[res.cases["confirmed_at"] < res.contacts[rc.TRACED_AT].min()]
    assert not res.contacts[rc.CONTACT].isin(early["person_id"]).any()


def test_baseline_traces_no_one(tiny_runs):
    m = tiny_runs["none"].metrics
    assert m[rc.TRACED] == 0 and m[rc.Q_PERSON_DAYS] == 0
    assert math.isnan(m[rc.RECALL]) and math.isnan(m[rc.PRECISION])


def test_observe_only_leaves_the_outbreak_alone(tiny_runs):
    watch = replay(TINY, policy("twenty", quarantine=False), seed=4)
    pd.testing.assert_frame_equal(watch.truth, tiny_runs["none"].truth)
    assert watch.metrics[rc.TRACED] > 0 and watch.metrics[rc.QUARANTINED] == 0


def test_closures_count_venue_days():
    res = replay(TINY, policy("none", close_types=("restaurant",), close_days=2.0), seed=4)
    closed = res.days[rc.VENUES_CLOSED]
    assert (closed > 0).sum() == 2
    assert res.metrics[rc.VENUE_DAYS_CLOSED] == closed.sum()


def test_secondary_contacts_widen_the_net():
    one = replay(TINY, policy("ninth", quarantine=False, hops=1), seed=4)
    two = replay(TINY, policy("ninth", quarantine=False), seed=4)
    assert set(one.contacts[rc.CONTACT]) <= set(two.contacts[rc.CONTACT])
    assert (two.contacts[rc.CONTACT].nunique() > one.contacts[rc.CONTACT].nunique()
            or not (two.contacts["hop"] == 2).any())


# --- metrics ------------------------------------------------------------------------
def test_summarise_interval_matches_hand_computation():
    runs = pd.DataFrame({rc.POLICY: ["a"] * 4 + ["b"] * 4, rc.SEED: [0, 1, 2, 3] * 2,
                         rc.FINAL_SIZE: [1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, np.nan]})
    out = summarise(runs, metrics=[rc.FINAL_SIZE]).set_index(rc.POLICY)
    half = 3.182 * np.std([1, 2, 3, 4], ddof=1) / 2
    assert out.loc["a", "ci_low"] == pytest.approx(2.5 - half)
    assert out.loc["b", "n"] == 3 and out.loc["b", "ci_high"] == 5.0
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['cases'\]"):
        summarise(runs, metrics=["cases"])


def test_paired_difference_and_t_quantile():
    runs = pd.DataFrame({rc.POLICY: ["none"] * 3 + ["x"] * 3, rc.SEED: [0, 1, 2] * 2,
                         rc.FINAL_SIZE: [10, 20, 30, 1, 10, 19]})
    d = paired_difference(runs, rc.FINAL_SIZE, "x")
    assert d["mean"] == pytest.approx(-10.0)
    assert d["ci_high"] == pytest.approx(-10.0 + 4.303 / np.sqrt(3))
    with pytest.raises(ValueError, match="policy 'y' not in runs"):
        paired_difference(runs, rc.FINAL_SIZE, "y")
    assert t_quantile(1) == 12.706 and 1.96 < t_quantile(200) < 1.98
    with pytest.raises(ValueError, match="df=0 must be >= 1"):
        t_quantile(0)


# --- sweeps -------------------------------------------------------------------------
def test_sweep_is_the_same_in_parallel_and_in_order():
    pols = [policy("none"), *grid("twenty", compliance=[0.5])]
    short = TINY.replace(days=4)
    serial = sweep(short, pols, [3, 4], workers=1, progress=False)
    parallel = sweep(short, pols, [3, 4], workers=2, progress=False)
    pd.testing.assert_frame_equal(serial.runs, parallel.runs)
    pd.testing.assert_frame_equal(serial.days, parallel.days)
    assert serial.runs[rc.POLICY].tolist()[:2] == ["none", "none"]
    assert "compliance" in serial.runs


def test_sweep_refuses_duplicate_names_and_no_seeds():
    with pytest.raises(ValueError, match=r"names \['twenty'\] appear twice"):
        sweep(TINY, ["twenty", policy("twenty", delay_hours=1.0)], 1, workers=1)
    with pytest.raises(ValueError, match="at least one policy and one seed"):
        sweep(TINY, ["twenty"], [], workers=1)


# --- plots and command line -----------------------------------------------------------
def test_plots_write_png_and_svg(tmp_path):
    from tracelab.replay.plots import plot_curves, plot_metric

    runs = pd.DataFrame({rc.POLICY: ["none"] * 3 + ["twenty"] * 3, rc.SEED: [0, 1, 2] * 2,
                         rc.FINAL_SIZE: [40, 55, 61, 10, 12, 20]})
    summ = summarise(runs, metrics=[rc.FINAL_SIZE])
    days = pd.DataFrame({rc.POLICY: "none", rc.SEED: [0, 0, 1, 1], rc.DAY: [0, 1, 0, 1],
                         rc.INFECTIONS: [3, 6, 3, 9]})
    plot_metric(summ, rc.FINAL_SIZE, out=tmp_path / "size")
    plot_curves(days, out=tmp_path / "curve")
    for name in ("size.png", "size.svg", "curve.png", "curve.svg"):
        assert (tmp_path / name).stat().st_size > 1000
    first = (tmp_path / "size.svg").read_bytes()
    plot_metric(summ, rc.FINAL_SIZE, out=tmp_path / "size")
    assert (tmp_path / "size.svg").read_bytes() == first
    with pytest.raises(ValueError, match="metric='speed' not in summary"):
        plot_metric(summ, "speed")


def _cli(argv):
    from tracelab.cli import replay as cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["replay", *argv])
    return args.func(args)


def test_cli_writes_tables_and_plots(tmp_path, capsys):
    out = tmp_path / "out"
    assert _cli(["--population", "300", "--days", "3", "--seeds", "1", "--policy", "none",
                 "--policy", "twenty", "--grid", "delay_hours=6,48", "--out", str(out),
                 "--workers", "1", "--no-progress", "--lang", "en"]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 3
    assert set(runs.loc[runs["policy"] != "none", "delay_hours"]) == {6.0, 48.0}
    summary = pd.read_csv(out / "summary.csv")
    assert {"mean", "ci_low", "ci_high"} <= set(summary.columns)
    assert (out / "final_size.png").exists() and (out / "infections.svg").exists()
    assert json.loads(capsys.readouterr().out)["runs"] == 3


def test_cli_replays_a_county_folder(tmp_path, capsys):
    out = tmp_path / "o"
    assert _cli(["--data", str(SAMPLE), "--days", "2", "--policy", "none", "--out", str(out),
                 "--no-plots", "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("已回放 1 个策略 × 1 个种子，共 1 次运行 -> ")
    runs = pd.read_csv(out / "runs.csv")
    assert runs["seed"].tolist() == [1]


@pytest.mark.parametrize(("argv", "match"), [
    (["--population", "10"], "--population must be at least 50"),
    (["--population", "300", "--seeds", "0"], "--seeds must be at least 1"),
    (["--population", "300", "--grid", "compliance"], "must look like FIELD=V1,V2"),
])
def test_cli_errors(tmp_path, argv, match):
    with pytest.raises(ValueError, match=match):
        _cli([*argv, "--out", str(tmp_path), "--lang", "en"])
    with pytest.raises(ValueError, match="至少为|格式应为"):  # Chinese by default
        _cli([*argv, "--out", str(tmp_path)])


def test_baseline_replay_reproduces_the_sample_county():
    from tracelab.synth import columns as sc

    scen, seed = scenario_from_dir(SAMPLE)
    res = replay(scen, "none", seed=seed)
    truth = pd.read_parquet(SAMPLE / "truth.parquet")
    assert len(res.truth) == len(truth) and len(res.cases) == len(
        pd.read_parquet(SAMPLE / "cases.parquet"))
    assert res.truth[sc.INFECTOR_ID].tolist() == truth[sc.INFECTOR_ID].tolist()


def test_same_day_tracing_meets_short_delays_and_midnight_tracing_does_not():
    fast = replay(TINY, policy("twenty", delay_hours=2.0), seed=4).contacts
    late = replay(TINY, policy("twenty", delay_hours=2.0, same_day=False), seed=4).contacts
    fast, late = (c[c[rc.Q_START].notna()] for c in (fast, late))
    lag = fast[rc.Q_START] - fast[rc.CASE_CONFIRMED]
    assert (lag >= pd.Timedelta(hours=2)).all() and (lag == pd.Timedelta(hours=2)).any()
    midnight = (late[rc.CASE_CONFIRMED].dt.tz_convert("Asia/Shanghai").dt.normalize()
                + pd.Timedelta(days=1)).dt.tz_convert("UTC")
    assert (late[rc.Q_START] >= midnight).all()
