"""Tests of ``tracelab trace`` and ``tracelab sources`` on a small synthetic county.

Both pseudonymise person ids on load: the key comes from ``TRACELAB_KEY`` (set for every
test here) or ``--key-file``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab.cli import main
from tracelab.model import schema as s
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.audit import read_audit, verify_audit
from tracelab.synth import generate
from tracelab.tracing.backward import RANK

NOW = "2022-12-31T00:00:00+08:00"
KEY = "test-key-0123456789abcdef"  # 25 bytes; any text of 16+ bytes will do


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    return KEY.encode()


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
    assert main([*argv, "--lang", "en"]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == list(s.EXPOSURE_COLUMNS)
    # raw ids in, pseudonyms out: the cases asked for, under the key of TRACELAB_KEY
    assert set(table[s.CASE_ID]) <= {privacy.pseudonym(i, KEY.encode()) for i in ids}
    assert table[s.CONTACT_ID].map(privacy.is_pseudonym).all() and len(table)
    text = out.read_text(encoding="utf-8-sig")
    raw = set(pd.read_csv(folder / "scans.csv", dtype=str)[s.PERSON_ID])
    assert not [i for i in raw if i in text]
    assert "exposure row(s) of 2 case(s)" in capsys.readouterr().out
    log = read_audit(audit)
    assert len(log) == 1 and log["purpose"].iloc[0] == "case:LX-017"
    assert main(argv) == 0  # Chinese by default
    said = capsys.readouterr().out
    assert "条暴露记录，涉及 2 名病例：" in said and "（规则 twenty" in said and str(out) in said
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
    case = str(cases[s.PERSON_ID].iloc[-1])
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
    assert main(["trace", *base, "--case", "NO-SUCH-PERSON", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    # named as given: it is no phone, ID number or name (those are masked, test_cli_errors)
    assert "not in cases" in err and "NO-SUCH-PERSON" in err
    assert main(["trace", *base, "--case", "NO-SUCH-PERSON"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracelab trace：错误：") and "['NO-SUCH-PERSON'] 不在 cases.* 中" in err
    assert main(["trace", *base, "--case", "x", "--regime", "eleventh"]) == 2
    assert "规则 name='eleventh' 不是预设规则" in capsys.readouterr().err
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
    assert "个场所（规则 twenty）->" in capsys.readouterr().out
    assert main(["sources", "--data", str(folder), "--case", case, "--out", str(out),
                 "--now", NOW, "--purpose", "case:LX-020", "--audit", str(audit),
                 "--lang", "en"]) == 0
    assert "ranked under rule twenty" in capsys.readouterr().out


def test_case_may_be_given_raw_or_pseudonymised(county_dir, tmp_path):
    folder, cases = county_dir
    raw = str(cases[s.PERSON_ID].iloc[-1])
    tables = []
    for i, case in enumerate([raw, privacy.pseudonym(raw, KEY.encode())]):
        out = tmp_path / f"e{i}.csv"
        assert main(["trace", "--data", str(folder), "--case", case, "--out", str(out),
                     "--now", NOW, "--purpose", "inv:X1", "--audit",
                     str(tmp_path / "a.duckdb")]) == 0
        tables.append(out.read_bytes())
    assert tables[0] == tables[1]
    log = read_audit(tmp_path / "a.duckdb")
    assert len(log) == 2 and raw not in log.to_csv()


def test_a_case_whose_window_precedes_the_log_is_an_error_not_zero(county_dir, tmp_path,
                                                                   capsys):
    folder, cases = county_dir
    first = str(cases.sort_values(s.CONFIRMED_AT)[s.PERSON_ID].iloc[0])
    out = tmp_path / "e.csv"
    code = main(["trace", "--data", str(folder), "--case", first, "--out", str(out), "--now",
                 NOW, "--purpose", "inv:X1", "--audit", str(tmp_path / "a.duckdb"),
                 "--lang", "en"])
    # The first case of this seed is an index case, infectious before the log starts.
    assert code == 2
    err = capsys.readouterr().err
    assert "no scan from" in err and "the scans run from" in err and not out.exists()


def test_missing_key_is_a_one_line_error(county_dir, tmp_path, capsys, monkeypatch):
    folder, cases = county_dir
    monkeypatch.delenv("TRACELAB_KEY")
    audit = tmp_path / "a.duckdb"
    for verb in ("trace", "sources"):
        assert main([verb, "--data", str(folder), "--case", str(cases[s.PERSON_ID].iloc[0]),
                     "--out", str(tmp_path / "x.csv"), "--now", NOW, "--purpose", "inv:X1",
                     "--audit", str(audit), "--lang", "en"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no pseudonymisation key" in err
        assert "TRACELAB_KEY" in err and "--key-file" in err
    assert not (tmp_path / "x.csv").exists() and not audit.exists()
    short = tmp_path / "short.key"
    short.write_text("abc")
    assert main(["trace", "--data", str(folder), "--case", "x", "--out", str(tmp_path / "x.csv"),
                 "--now", NOW, "--purpose", "inv:X1", "--key-file", str(short)]) == 2
    err = capsys.readouterr().err
    assert "至少需要 16 字节" in err and "abc" not in err


def test_key_file_gives_the_pseudonyms_of_the_same_key(county_dir, tmp_path, monkeypatch):
    folder, cases = county_dir
    case = str(cases[s.PERSON_ID].iloc[-1])
    monkeypatch.setenv("TRACELAB_KEY", "another-key-of-enough-bytes")
    key_file = tmp_path / "tracelab.key"
    key_file.write_text(KEY + "\n")
    out = tmp_path / "s.csv"
    assert main(["sources", "--data", str(folder), "--case", case, "--out", str(out),
                 "--now", NOW, "--purpose", "inv:X1", "--audit", str(tmp_path / "a.duckdb"),
                 "--key-file", str(key_file)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    ids = table.loc[table["source_kind"] == "case", "source_id"]
    assert len(ids) and ids.map(privacy.is_pseudonym).all()
    known = {privacy.pseudonym(c, KEY.encode()) for c in cases[s.PERSON_ID].astype(str)}
    assert set(ids) <= known
