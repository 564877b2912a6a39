"""``tracelab audit``, ``tracelab venues``, ``tracelab purge`` on real files, and scanners
that search everything tracelab writes for raw identifiers of its input."""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tracelab.cli import audit as audit_cli
from tracelab.cli import purge as purge_cli
from tracelab.cli import venues as venues_cli
from tracelab.io.store import open_store
from tracelab.model import schema as s
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.audit import read_audit, record_query

DATA = Path(__file__).parent / "data" / "valid"
NOW = "2022-12-31T00:00:00+08:00"
PHONES = [f"139{i:08d}" for i in range(40)]


def run(argv: list[str]) -> int:
    """Run a sub-command the way ``tracelab.cli.main`` does (errors: one line, status 2)."""
    parser = argparse.ArgumentParser(prog="tracelab")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (audit_cli, venues_cli, purge_cli):
        module.register(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError) as exc:
        print(f"tracelab {args.command}: error: {exc}", file=sys.stderr)
        return 2


@pytest.fixture()
def folder(tmp_path):
    shutil.copy(DATA / "venues.csv", tmp_path / "venues.csv")
    rng = np.random.default_rng(3)
    n = 300
    at = pd.Timestamp("2022-11-20T00:00:00+08:00") + pd.to_timedelta(
        rng.integers(0, 4 * 24 * 60, n), unit="min")
    pd.DataFrame({
        s.PERSON_ID: rng.choice(PHONES, n),
        s.VENUE_ID: rng.choice(["V1", "V2", "V3"], n, p=[0.7, 0.28, 0.02]),
        s.SCANNED_AT: at.strftime("%Y-%m-%d %H:%M:%S"),
        s.CODE_COLOUR: rng.choice(list(s.COLOURS), n, p=[0.95, 0.04, 0.01]),
        s.METHOD: rng.choice(list(s.METHODS), n, p=[0.85, 0.15]),
    }).to_csv(tmp_path / "scans.csv", index=False)
    return tmp_path


def _store_with_log(path: Path, n: int = 3) -> Path:
    for i in range(n):
        record_query(path, who="ana", purpose=f"inv:LX-{i}", query="trace", counts={"rows": i})
    return path


def test_audit_lists_and_verifies(tmp_path, capsys):
    path = _store_with_log(tmp_path / "t.duckdb")
    assert run(["audit", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("inv:LX-") == 3 and "审计链完好：共 3 条" in out
    assert run(["audit", "--store", str(path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.count("inv:LX-") == 3 and "audit chain intact: 3 entries" in out
    assert run(["audit", "--store", str(path), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "inv:LX-" not in out and read_audit(path)["hash"].iloc[-1] in out


def test_audit_detects_an_sql_edit(tmp_path, capsys):
    path = _store_with_log(tmp_path / "t.duckdb")
    with open_store(path) as store:
        store.con.execute("UPDATE audit SET counts = '{\"rows\":0}' WHERE seq = 2")
    assert run(["audit", "--store", str(path), "--verify", "--lang", "en"]) == 1
    assert "BROKEN at entry 2" in capsys.readouterr().out
    assert run(["audit", "--store", str(path), "--verify"]) == 1
    assert "审计链在第 2 条断裂" in capsys.readouterr().out
    assert run(["audit", "--store", str(path)]) == 1


def test_audit_missing_store_is_one_line_error(tmp_path, capsys):
    assert run(["audit", "--store", str(tmp_path / "none.duckdb")]) == 2
    assert "数据库文件不存在" in capsys.readouterr().err
    assert run(["audit", "--store", str(tmp_path / "none.duckdb"), "--lang", "en"]) == 2
    assert "no such database file" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_venue_report_holds_no_person_data(folder, capsys, suffix):
    out = folder / f"report.{suffix}"
    assert run(["venues", "report", "--data", str(folder), "--venue", "V1", "--out", str(out),
                "--now", NOW]) == 0
    printed = capsys.readouterr().out
    if suffix == "csv":
        with open(out, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        text = out.read_text(encoding="utf-8-sig")
    else:
        sheet = openpyxl.load_workbook(out).active
        head = [c.value for c in sheet[1]]
        rows = [dict(zip(head, [c.value for c in r], strict=True))
                for r in sheet.iter_rows(min_row=2)]
        text = repr(rows)
    assert {r["section"] for r in rows} == {"total", "day", "hour", "colour", "method"}
    for r in rows:
        assert r["count"] in (None, "") or int(r["count"]) >= 5
    for pid in PHONES + ["13123456789", "92360323600123450Y"]:
        assert pid not in text and pid not in printed


def test_small_venue_report_is_all_suppressed(folder, capsys):
    assert run(["venues", "report", "--data", str(folder), "--venue", "V3", "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert "total: all <5" in out
    assert not any(ch.isdigit() for line in out.splitlines()[1:]
                   for ch in line.split(":", 1)[1].replace("<5", ""))


def test_venue_report_unknown_venue(folder, capsys):
    assert run(["venues", "report", "--data", str(folder), "--venue", "V9", "--now", NOW]) == 2
    assert "--venue 'V9'" in capsys.readouterr().err


def test_regulator_table(folder, capsys):
    out = folder / "regulator.csv"
    assert run(["venues", "regulator", "--data", str(folder), "--out", str(out),
                "--now", NOW]) == 0
    printed = capsys.readouterr().out
    header = printed.splitlines()[0].split()
    assert header[1:5] == ["entries", "green", "yellow", "red"] and "abnormal" in header
    assert "supermarket" in printed
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"count": "Int64"})
    assert (table["count"].dropna() >= 5).all()
    assert run(["venues", "regulator", "--data", str(folder), "--out", str(folder / "x.txt"),
                "--now", NOW]) == 2


def test_purge_reports_counts(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    times = pd.to_datetime(["2022-11-01T02:00Z", "2022-11-02T02:00Z", "2022-11-20T02:00Z"])
    with open_store(path) as store:
        store.write("scans", pd.DataFrame({s.PERSON_ID: [f"p_{i:016x}" for i in (1, 2, 3)],
                                           s.VENUE_ID: ["V1"] * 3, s.SCANNED_AT: times})
                    .reindex(columns=list(s.SCAN_COLUMNS)))
    assert run(["purge", "--store", str(path), "--older-than", "14",
                "--now", "2022-11-25T00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "已清除 2022-11-11T00:00:00+00:00 之前的扫码记录：原有 3，清除 2，保留 1" in out
    assert "2022-11-01" in out
    with open_store(path) as store:
        assert store.count("scans") == 1
    assert run(["purge", "--store", str(path), "--older-than", "-1"]) == 2
    assert run(["audit", "--store", str(path), "--verify"]) == 0


def test_commands_are_wired_into_tracelab_main(tmp_path, capsys):
    from tracelab.cli import main
    path = _store_with_log(tmp_path / "t.duckdb", 1)
    assert main(["audit", "--store", str(path), "--verify", "--lang", "en"]) == 0
    assert "intact: 1 entries" in capsys.readouterr().out


def test_audit_anchor_option(tmp_path, capsys):
    path = _store_with_log(tmp_path / "t.duckdb")
    assert run(["audit", "--store", str(path), "--verify", "--lang", "en"]) == 0
    anchor = capsys.readouterr().out.split("head ")[1].split()[0]
    assert run(["audit", "--store", str(path), "--verify", "--anchor", anchor]) == 0
    with open_store(path) as store:
        store.con.execute("DELETE FROM audit WHERE seq = 3")
    assert run(["audit", "--store", str(path), "--verify", "--anchor", anchor,
                "--lang", "en"]) == 1
    assert "BROKEN at entry 3" in capsys.readouterr().out
    assert run(["audit", "--store", str(path), "--anchor", "x"]) == 2


# --- scanner: no raw identifier of the input in anything tracelab writes -----------

_DIGITS = __import__("re").compile(r"(?<![0-9])[0-9]{11}(?:[0-9]{4}|[0-9]{6}[0-9Xx])?(?![0-9])")
_CJK = __import__("re").compile(r"[\u4e00-\u9fff]+")


def _text_of(path: Path) -> str:
    import zipfile
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    if path.suffix == ".duckdb":
        return read_audit(path).to_csv() + path.read_bytes().decode("utf-8", "replace")
    return path.read_bytes().decode("utf-8", "replace")


_TOKEN = __import__("re").compile(r"[A-Za-z0-9_]+")


def _leaks(text: str, digits: set[str], names: set[str], raw_ids: set[str] = frozenset()
           ) -> set[str]:
    found = {d for d in _DIGITS.findall(text) if d in digits}
    for run in _CJK.findall(text):
        for size in (2, 3, 4):
            found |= {run[i:i + size] for i in range(len(run) - size + 1)} & names
    return found | (set(_TOKEN.findall(text)) & raw_ids)


def _personal_ids(ids: set[str]) -> tuple[set[str], set[str]]:
    """The raw person ids that are phone or ID numbers, and those that are names."""
    return ({i for i in ids if _DIGITS.fullmatch(i)},
            {i for i in ids if _CJK.fullmatch(i) and len(i) >= 2})


@pytest.mark.slow
def test_scanner_finds_no_personal_data_in_demo_outputs(tmp_path, capsys):
    from tracelab.cli import main
    from tracelab.io.exports import write_csv, write_xlsx
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out)]) == 0
    data = out / "data"  # the synthetic input itself
    persons = pd.read_parquet(data / "persons.parquet")
    venues = pd.read_parquet(data / "venues.parquet")
    individual = venues[s.OWNER_ID_KIND] == s.RESIDENT_ID
    digits = set(persons["id_number"]) | set(persons["phone"].dropna()) \
        | set(venues[s.APPLICANT_PHONE]) | set(venues.loc[individual, s.OWNER_ID])
    public = "".join(venues.loc[~individual, s.OWNER_NAME]) + "".join(
        venues[c].astype(str).str.cat() for c in (s.NAME, s.ADDRESS, s.TOWNSHIP, s.CITY,
                                                    s.COUNTY))
    names = {n for n in set(persons["name"]) | set(venues.loc[individual, s.OWNER_NAME])
             if len(n) >= 2 and n not in public}
    # Person ids are pseudonymised on load: no raw one may come out, whatever it looks
    # like; those that are phone or ID numbers or names are personal data as well.
    raw_ids = set(pd.read_parquet(data / "scans.parquet")[s.PERSON_ID].astype(str)) \
        | set(persons[s.PERSON_ID].astype(str))
    personal_digits, personal_names = _personal_ids(raw_ids)
    digits |= personal_digits
    names |= personal_names - {n for n in personal_names if n in public}
    # every export of this module over the demo data, and the audit log
    venue = venues[s.VENUE_ID].iloc[0]
    for argv in (["venues", "report", "--data", str(data), "--venue", venue,
                  "--out", str(out / "venue.csv")],
                 ["venues", "report", "--data", str(data), "--venue", venue,
                  "--out", str(out / "venue.xlsx")],
                 ["venues", "regulator", "--data", str(data), "--out", str(out / "reg.xlsx")]):
        assert run([*argv, "--now", "2023-01-01T00:00Z"]) == 0
    write_csv(privacy.pseudonymise(persons, None, privacy.DEMO_KEY), out / "persons_masked.csv")
    write_xlsx(venues, out / "venues_masked.xlsx")
    record_query(out / "audit.duckdb", who="ana", purpose="inv:DEMO-1",
                 query=f"trace {persons['id_number'].iloc[0]}", counts={"rows": 1})
    assert run(["audit", "--store", str(out / "audit.duckdb")]) == 0
    log = capsys.readouterr()
    (out / "stdout.log").write_text(log.out + log.err, encoding="utf-8")
    files = [p for p in out.rglob("*") if p.is_file() and data not in p.parents]
    assert len(files) >= 7
    assert {"exposures.csv", "briefing.html", "tracelab.duckdb"} <= {p.name for p in files}
    leaks = {str(p.relative_to(out)): _leaks(_text_of(p), digits, names, raw_ids) for p in files}
    assert {k: sorted(v)[:5] for k, v in leaks.items() if v} == {}
    # the scanner itself finds what it looks for
    assert _leaks(_text_of(data / "persons.parquet"), digits, names)
    assert _leaks(_text_of(data / "scans.parquet"), set(), set(), raw_ids)


def test_compliance_lists_hold_no_person_data(folder, capsys):
    out = folder / "lists"
    assert run(["venues", "compliance", "--data", str(folder), "--out", str(out),
                "--now", "2022-11-25T00:00+08:00"]) == 0
    printed = capsys.readouterr().out
    assert "silent_venues:" in printed and "forwarded_code_scans:" in printed
    files = sorted(p.name for p in out.iterdir())
    assert "group_bursts.csv" in files and len(files) == 6
    text = printed + "".join(p.read_text(encoding="utf-8-sig") for p in out.iterdir())
    for pid in PHONES:
        assert pid not in text


def test_trace_and_sources_write_no_raw_phone_ids(folder, tmp_path, capsys, monkeypatch):
    # Person ids that are phone numbers: the worst case for a scan log.
    from tracelab.cli import main
    monkeypatch.setenv("TRACELAB_KEY", "scanner-test-key-0123456789")
    onset = ["2022-11-21 09:00", "2022-11-22 09:00"]
    pd.DataFrame({s.PERSON_ID: PHONES[:2], s.KIND: ["confirmed"] * 2, s.ONSET_AT: onset,
                  s.SAMPLED_AT: onset, s.CONFIRMED_AT: ["2022-11-23 08:00"] * 2}
                 ).to_csv(folder / "cases.csv", index=False)
    out = tmp_path / "out"
    out.mkdir()
    common = ["--data", str(folder), "--now", NOW, "--audit", str(out / "audit.duckdb")]
    assert main(["trace", *common, "--case", PHONES[0], "--case", PHONES[1],
                 "--purpose", "inv:LX-9", "--out", str(out / "exposures.csv")]) == 0
    assert main(["sources", *common, "--case", PHONES[1], "--purpose", "inv:LX-9",
                 "--out", str(out / "sources.csv")]) == 0
    assert main(["trace", *common, "--case", "13999999999", "--purpose", "inv:LX-9",
                 "--out", str(out / "none.csv")]) == 2
    assert run(["audit", "--store", str(out / "audit.duckdb")]) == 0
    log = capsys.readouterr()
    (out / "stdout.log").write_text(log.out + log.err, encoding="utf-8")
    exposures = pd.read_csv(out / "exposures.csv", encoding="utf-8-sig", dtype=str)
    assert len(exposures) and exposures[s.CONTACT_ID].map(privacy.is_pseudonym).all()
    assert "13999999999" not in log.err and "139*****999" in log.err
    digits = set(PHONES) | {"13999999999"}
    files = sorted(p for p in out.iterdir() if p.is_file())
    assert len(files) == 5  # and the audit log's anchor file
    leaks = {p.name: _leaks(_text_of(p), digits, set()) for p in files}
    assert {k: sorted(v)[:5] for k, v in leaks.items() if v} == {}
    assert _leaks(_text_of(folder / "scans.csv"), digits, set())
