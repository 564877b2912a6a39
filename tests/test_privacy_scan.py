"""A scanner over everything tracelab writes: no raw phone, ID number, person id or name.

The raw values come from the sample county's own input (the persons table's phones, ID
numbers and names; every person id of its scans and cases; the registry's applicant
phones and sole traders' IDs and names). Every file written by ``tracelab demo`` (except
the synthetic input folder it generates, raw by design), by the library's briefing path
and by the README's Python example is read as a person would read it: text as text,
Parquet and DuckDB files decoded table by table, spreadsheets cell by cell.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tracelab.model import schema as s

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def raw() -> dict[str, set[str]]:
    """The sample's personal values, by kind, and the public text that may repeat a name."""
    persons = pd.read_parquet(SAMPLE / "persons.parquet")
    venues = pd.read_parquet(SAMPLE / "venues.parquet")
    scans = pd.read_parquet(SAMPLE / "scans.parquet", columns=[s.PERSON_ID])
    cases = pd.read_parquet(SAMPLE / "cases.parquet", columns=[s.PERSON_ID])
    individual = venues[s.OWNER_ID_KIND] == "resident_id"
    public = "".join(venues[s.NAME]) + "".join(venues[s.ADDRESS])
    names = set(persons["name"].dropna()) | set(venues.loc[individual, s.OWNER_NAME].dropna())
    return {
        "person id": set(scans[s.PERSON_ID]) | set(cases[s.PERSON_ID])
        | set(persons[s.PERSON_ID]),
        "phone": set(persons["phone"].dropna()) | set(venues[s.APPLICANT_PHONE].dropna()),
        "ID number": set(persons["id_number"].dropna())
        | set(venues.loc[individual, s.OWNER_ID].dropna()),
        # Two-character names also spell ordinary words and places: the longer ones are
        # the test, and none that the public registry text already holds.
        "name": {n for n in names if len(n) >= 3 and n not in public},
    }


def _text(path: Path) -> str:
    """What a reader of the file could see, as text."""
    if path.suffix == ".parquet" or path.is_dir() and path.name.endswith(".parquet"):
        return pd.read_parquet(path).to_csv(index=False)
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
            return "\n".join(con.execute(f'SELECT * FROM "{t}"').df().to_csv(index=False)
                             for t in tables)
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for v in row)
    return path.read_bytes().decode("utf-8", errors="replace")


def _leaks(folder: Path, raw: dict[str, set[str]], skip: tuple[Path, ...] = ()) -> list[str]:
    found = []
    files = [p for p in sorted(folder.rglob("*"))
             if (p.is_file() or p.suffix == ".parquet") and not any(p.is_relative_to(k) for k in skip)
             and not any(q.suffix == ".parquet" and q.is_dir() and p != q and p.is_relative_to(q)
                         for q in p.parents)]
    assert files, f"nothing written in {folder}"
    for path in files:
        text = _text(path)
        words = set(re.findall(r"[A-Za-z0-9]+", text))
        runs = re.findall(r"[\u4e00-\u9fff]+", text)
        pieces = {run[i:i + k] for run in runs for k in (3, 4) for i in range(len(run) - k + 1)}
        for kind, values in raw.items():
            hit = values & (pieces if kind == "name" else words)
            if hit:
                found.append(f"{path.relative_to(folder)}: {len(hit)} raw {kind}(s)")
    return found


def test_the_demo_writes_no_raw_identifier(raw, tmp_path):
    from tracelab.cli import main

    out = tmp_path / "demo"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["demo", "--out", str(out)]) == 0
    assert _leaks(out, raw, skip=(out / "data",)) == []


def test_the_library_briefing_path_writes_no_raw_identifier(raw, tmp_path, monkeypatch):
    from tracelab.briefing import write_briefing
    from tracelab.privacy import DEMO_KEY

    monkeypatch.delenv("TRACELAB_KEY", raising=False)
    write_briefing(SAMPLE, tmp_path / "briefing.html", key=DEMO_KEY)
    assert _leaks(tmp_path, raw) == []


def test_the_readme_example_writes_no_raw_identifier(raw, tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"),
                        re.S)
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    assert _leaks(tmp_path, raw, skip=(tmp_path / "data",)) == []


def test_the_scanner_finds_what_it_looks_for(raw, tmp_path):
    # A raw phone in a CSV, a person id in Parquet, a name in a DuckDB table: all found.
    phone, person, name = (sorted(raw[k])[0] for k in ("phone", "person id", "name"))
    (tmp_path / "a.csv").write_text(f"x\n{phone}\n", encoding="utf-8")
    pd.DataFrame({"p": [person]}).to_parquet(tmp_path / "b.parquet")
    with duckdb.connect(str(tmp_path / "c.duckdb")) as con:
        con.execute(f"CREATE TABLE t AS SELECT '备注{name}' AS note")
    assert len(_leaks(tmp_path, raw)) == 3
