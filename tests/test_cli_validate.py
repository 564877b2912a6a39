"""``tracelab validate``: counts per file, top reasons, rejection table, exit status."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tracelab.cli import main
from tracelab.model import schema as s

DATA = Path(__file__).parent / "data"
NOW = "2022-12-31T00:00:00+08:00"


def _folder(tmp_path: Path, scans: str = "valid/scans.csv") -> Path:
    for name, source in (("venues.csv", "valid/venues.csv"), ("scans.csv", scans),
                         ("cases.csv", "valid/cases.csv")):
        shutil.copy(DATA / source, tmp_path / name)
    return tmp_path


def test_clean_folder_exits_zero(tmp_path, capsys):
    assert main(["validate", str(_folder(tmp_path)), "--now", NOW, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "venues.csv: read 3, accepted 3, rejected 0" in out
    assert "cases.csv: read 2, accepted 2, rejected 0" in out
    assert pd.read_csv(tmp_path / "rejections.csv").empty


def test_rejections_exit_one_and_are_written_beside_the_data(tmp_path, capsys):
    folder = _folder(tmp_path, "malformed/scans_unknown_venue.csv")
    assert main(["validate", str(folder), "--now", NOW, "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "scans.csv: read 3, accepted 2, rejected 1" in out
    assert "unknown_venue" in out
    table = pd.read_csv(folder / "rejections.csv", dtype=str)
    assert table[s.REASON].tolist() == ["unknown_venue"]
    assert table[s.ROW].tolist() == ["2"]


def test_command_line_entry_point(tmp_path):
    folder = _folder(tmp_path, "malformed/scans_bad_colour.csv")
    tracelab = Path(sys.executable).with_name("tracelab")  # the installed console script
    run = subprocess.run([str(tracelab), "validate", str(folder),
                          "--now", NOW, "--out", str(tmp_path / "r.csv")],
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    assert (tmp_path / "r.csv").is_file()


def test_missing_folder_is_one_clear_line(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "文件夹不存在" in err


def test_the_summary_and_the_reasons_are_chinese_by_default(tmp_path, capsys):
    folder = _folder(tmp_path, "malformed/scans_unknown_venue.csv")
    assert main(["validate", str(folder), "--now", NOW]) == 1
    out = capsys.readouterr().out
    assert "scans.csv：读取 3 行，接受 2，拒收 1" in out
    assert f"unknown_venue: {s.REASONS_ZH['unknown_venue']}" in out
    assert (folder / "rejections.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # for Excel
    table = pd.read_csv(folder / "rejections.csv", dtype=str, encoding="utf-8-sig")
    # the code stays beside its meaning, for scripts and for people
    assert table[[s.REASON, s.REASON_TEXT]].values.tolist() == [
        ["unknown_venue", s.REASONS_ZH["unknown_venue"]]]


def test_every_reason_has_its_chinese_meaning():
    assert set(s.REASONS_ZH) == set(s.REASONS)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in s.REASONS_ZH.values())
