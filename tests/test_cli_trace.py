"""Tests of ``tracelab trace`` and ``tracelab sources`` on a small synthetic county."""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab import schema as s
from tracelab.audit import read_audit, verify_audit
from tracelab.backward import RANK
from tracelab.cli import main
from tracelab.synth import generate

NOW = "2022-12-31T00:00:00+08:00"


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory):
    county = generate(population=400, days=8, seed=3, progress=False)
    out = tmp_path_factory.mktemp("county")
    county.write(out, fmt="csv")
    cases = county.cases
    assert len(cases) >= 2, "the fixture county needs detected cases"
    return out, cases


def test_trace_writes_the_exposures_table(county_dir, tmp_path, capsys):
    folder, cases = county_dir
    ids = cases[s.PERSON_ID].astype(str).tolist()[:2]
    out = tmp_path / "exposures.csv"
    audit = tmp_path / "audit.duckdb"
    argv = ["trace", "--data", str(folder), "--out", str(out), "--now", NOW,
            "--purpose", "case:LX-017", "--audit", str(audit), "--who", "ana"]
    for case in ids:
        argv += ["--case", case]
    assert main(argv) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == list(s.EXPOSURE_COLUMNS)
    assert set(table[s.CASE_ID].astype(str)) <= set(ids)
    assert "exposure row(s) of 2 case(s)" in capsys.readouterr().out
    log = read_audit(audit)
    assert len(log) == 1 and log["purpose"].iloc[0] == "case:LX-017"
    assert log["who"].iloc[0] == "ana" and log["query"].iloc[0].startswith("trace cases=2")
    assert verify_audit(audit) is None


def test_a_query_without_a_valid_purpose_is_refused(county_dir, tmp_path, capsys):
    folder, cases = county_dir
    base = ["trace", "--data", str(folder), "--out", str(tmp_path / "x.csv"), "--now", NOW,
            "--case", str(cases[s.PERSON_ID].iloc[0]), "--audit", str(tmp_path / "a.duckdb")]
    with pytest.raises(SystemExit) as exit_:
        main(base)
    assert exit_.value.code == 2 and "--purpose" in capsys.readouterr().err
    assert main([*base, "--purpose", "curiosity"]) == 2
    assert "purpose" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_trace_second_hop_and_rule_id(county_dir, tmp_path):
    folder, cases = county_dir
    out = tmp_path / "exposures.csv"
    case = str(cases[s.PERSON_ID].iloc[0])
    argv = ["trace", "--data", str(folder), "--case", case, "--regime",
            "ninth(lingering_minutes=15)", "--hops", "2", "--out", str(out), "--now", NOW,
            "--purpose", "inv:cluster-3", "--audit", str(tmp_path / "a.duckdb")]
    assert main(argv) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert set(table[s.RULE_ID]) <= {"ninth(lingering_minutes=15)"}


def test_unknown_case_and_bad_rule_fail_with_one_line(county_dir, tmp_path, capsys):
    folder, _ = county_dir
    out = tmp_path / "x.csv"
    base = ["--data", str(folder), "--out", str(out), "--now", NOW, "--purpose", "case:X1",
            "--audit", str(tmp_path / "a.duckdb")]
    assert main(["trace", *base, "--case", "NO-SUCH-PERSON"]) == 2
    err = capsys.readouterr().err
    assert "not in cases" in err and "NO-SUCH-PERSON" not in err
    assert main(["trace", *base, "--case", "x", "--regime", "eleventh"]) == 2
    assert "is not a preset" in capsys.readouterr().err
    assert main(["trace", *base, "--case", "x", "--as-of", "2022-11-20"]) == 2


def test_sources_ranks(county_dir, tmp_path, capsys):
    folder, cases = county_dir
    out = tmp_path / "sources.csv"
    case = str(cases[s.PERSON_ID].iloc[-1])
    audit = tmp_path / "a.duckdb"
    assert main(["sources", "--data", str(folder), "--case", case, "--out", str(out),
                 "--now", NOW, "--purpose", "case:LX-020", "--audit", str(audit)]) == 0
    assert read_audit(audit)["query"].tolist() == ["sources case=1 rule=twenty"]
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table.empty or table[RANK].tolist() == list(range(1, len(table) + 1))
    assert "ranked under rule twenty" in capsys.readouterr().out
