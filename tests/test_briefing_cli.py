"""``tracelab brief`` and ``tracelab demo``: the command line writes the page, summary and PDF.

``tracelab brief`` pseudonymises person ids with the key of ``TRACELAB_KEY`` (set here to a
test key; the public demo key is refused outside demo mode) or ``--key-file``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracelab.briefing import write_briefing
from tracelab.cli import main
from tracelab.privacy import pseudonyms as privacy

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(autouse=True)
def demo_key(monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", "briefing-cli-test-key-5e8a1c0f")


def run_brief(argv: list[str]) -> int:
    """Run ``tracelab brief ARGV`` as the command line does."""
    return main(["brief", *argv])


@pytest.mark.browser
def test_brief_writes_page_summary_and_pdf(tmp_path, capsys, chromium_path):
    out = tmp_path / "b" / "briefing.html"
    assert run_brief(["--data", str(SAMPLE), "--out", str(out), "--pdf"]) == 0
    printed = capsys.readouterr().out
    assert "36 名病例" in printed and str(out) in printed
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
    assert out.with_suffix(".json").is_file()
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) > 0


def test_brief_rejects_a_naive_as_of(tmp_path, capsys):
    assert run_brief(["--data", str(SAMPLE), "--out", str(tmp_path / "x.html"),
                      "--as-of", "2022-11-28T00:00"]) == 2
    assert "--as-of '2022-11-28T00:00' 没有时区" in capsys.readouterr().err
    assert run_brief(["--data", str(SAMPLE), "--out", str(tmp_path / "x.html"),
                      "--as-of", "2022-11-28T00:00", "--lang", "en"]) == 2
    assert "has no zone" in capsys.readouterr().err


def test_brief_needs_a_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TRACELAB_KEY")
    out = tmp_path / "x.html"
    assert run_brief(["--data", str(SAMPLE), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracelab brief：错误：没有假名化密钥")
    assert err.count("\n") == 1
    assert run_brief(["--data", str(SAMPLE), "--out", str(out), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracelab brief: error: no pseudonymisation key")
    assert err.count("\n") == 1
    assert not out.exists()


@pytest.mark.slow
def test_demo_ends_with_the_briefing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACELAB_KEY")  # demo mode needs no key
    assert main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line[:3] for line in lines[:6]] == ["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"]
    assert "演示模式" in lines[1] and lines[2].endswith("-> out/store")
    assert "inv:DEMO" in lines[3] and "out/store/tracelab.duckdb" in lines[3]
    assert "已遮蔽" in lines[4] and lines[4].endswith("-> out/calls.xlsx")
    assert lines[5].startswith("6/6 简报：") and lines[5].endswith("-> out/briefing.html")
    page = (tmp_path / "out" / "briefing.html").read_bytes()
    assert b"L.map(" in page and (tmp_path / "out" / "briefing.json").is_file()
    # the demo regenerates the committed sample county: its briefing is the same bytes
    # under the same (demo) key, which the library takes (the command line refuses it)
    other = tmp_path / "sample.html"
    write_briefing(SAMPLE, other, key=privacy.DEMO_KEY)
    assert other.read_bytes() == page
    # the demo's trace from its store and its call list left one entry each in the store's
    # audit log, and its outputs hold pseudonyms
    from tracelab.index.county import open_county
    from tracelab.privacy.audit import read_audit, verify_audit
    store = tmp_path / "out" / "store"
    assert open_county(store).generation == 1
    log = read_audit(store / "tracelab.duckdb")
    assert [q.split()[0] for q in log["query"]] == ["trace", "calllist"]
    assert verify_audit(store / "tracelab.duckdb") is None
    exposures = (tmp_path / "out" / "exposures.csv").read_text(encoding="utf-8")
    assert "p_" in exposures and not re.search(r"\bP[0-9]{7}\b", exposures)
