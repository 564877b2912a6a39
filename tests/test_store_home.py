"""The county store is the county's one home: its audit log and follow-up records are
reached by naming the store folder, as ``trace --store`` does (docs/store.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tracelab.cli import main
from tracelab.index.county_build import ingest_county
from tracelab.io.county_store import database_path
from tracelab.privacy.audit import read_audit

from .conftest import NOW

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
KEY = "store-home-test-key-7d41c0b9e2a85f36"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("home") / "county"
    ingest_county(SAMPLE, path, key=KEY.encode(), now=NOW)
    return path


def test_audit_and_followup_take_the_store_folder(store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    case = str(pd.read_parquet(SAMPLE / "cases.parquet")["person_id"].iloc[0])
    assert main(["trace", "--store", str(store), "--case", case, "--purpose", "inv:HOME-1",
                 "--out", str(tmp_path / "ex.csv"), "--lang", "en"]) == 0
    exposures = (tmp_path / "ex.csv").read_text(encoding="utf-8-sig").splitlines()
    contact = exposures[1].split(",")[exposures[0].split(",").index("contact_id")]
    sheet = tmp_path / "calls.csv"
    sheet.write_text("contact_id,tier,status,status_at\n"
                     f"{contact},call_today,reached,2022-11-30 10:00\n", encoding="utf-8")
    assert main(["followup", "import", str(sheet), "--store", str(store), "--purpose",
                 "inv:HOME-1", "--now", str(NOW), "--lang", "en"]) == 0
    capsys.readouterr()
    assert main(["audit", "--store", str(store), "--verify", "--lang", "en"]) == 0
    assert "audit chain intact: 2 entries" in capsys.readouterr().out
    log = read_audit(database_path(store))
    assert [q.split()[0] for q in log["query"]] == ["trace", "followup"]


def test_a_missing_store_folder_is_one_line(tmp_path, capsys):
    assert main(["audit", "--store", str(tmp_path / "nowhere"), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere" in err


@pytest.mark.parametrize("command", ["trace", "sources"])
def test_a_purpose_holding_the_cases_raw_id_is_refused(store, tmp_path, capsys, monkeypatch,
                                                      command):
    # The README's pattern `--purpose case:ID` would write the person's id into the log.
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    case = str(pd.read_parquet(SAMPLE / "cases.parquet")["person_id"].iloc[1])
    before = len(read_audit(database_path(store)))
    out = tmp_path / "x.csv"
    for lang in ("zh", "en"):
        assert main([command, "--store", str(store), "--case", case, "--purpose",
                     f"case:{case.lower()}", "--out", str(out), "--lang", lang]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and case not in err and "case:C-031" in err
    assert not out.exists() and len(read_audit(database_path(store))) == before
