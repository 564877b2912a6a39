"""The county store (``tracelab ingest``): it answers what its folder answers, and holds no raw id.

One store is built from the sample county (data/sample) for the module; every rule preset's
exposures and sources from it are compared with those of the folder, loaded and indexed
the way ``--data`` does it, frame for frame and (on the command line) byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import tracelab.cli as cli
from tracelab.cli.trace import households
from tracelab.index.county import County, open_county, store_keys, visits_key
from tracelab.index.county_build import ingest_county
from tracelab.index.graph import VisitGraph
from tracelab.index.mmap import ARRAYS
from tracelab.io import pseudonymise_data, read_dir
from tracelab.io.county_store import NotACountyStoreError
from tracelab.io.county_tables import read_store_tables
from tracelab.model import schema as s
from tracelab.model.rules import PRESETS, as_rule
from tracelab.privacy.audit import read_audit
from tracelab.privacy.boundary import raw_identifiers
from tracelab.privacy.pseudonyms import is_pseudonym
from tracelab.tracing.backward import sources
from tracelab.tracing.forward import trace

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
NOW = "2022-12-31T00:00:00+08:00"
KEY = "store-test-key-5b2e91c7d4a8f036"


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """``tracelab.cli.main``, with ``ingest`` among its commands whether or not it is yet."""
    if "ingest" not in cli._COMMANDS:
        monkeypatch.setattr(cli, "_COMMANDS", (*cli._COMMANDS, "ingest"))
    return cli.main(argv)


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    return KEY.encode()


@pytest.fixture(scope="module")
def folder_data():
    """The sample loaded and pseudonymised as ``--data`` does it."""
    return pseudonymise_data(read_dir(SAMPLE, now=NOW), KEY.encode())


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stores") / "county"
    ingest_county(SAMPLE, path, key=KEY.encode(), now=NOW)
    return path


def _array(graph: VisitGraph, name: str) -> np.ndarray:
    value = np.asarray(graph._venue_of() if name == "v_venue_code" else getattr(graph, name))
    return value.astype(str) if value.dtype.kind in "OU" else value


@pytest.mark.parametrize("preset", list(store_keys().values()))
def test_each_dwell_assumption_is_the_folders_graph_array_for_array(store, folder_data,
                                                                     preset):
    data = folder_data
    built = VisitGraph.from_scans(data.scans, data.venues, preset, zone=data.region.zone)
    mapped = open_county(store).graph(preset)
    assert isinstance(mapped.v_t_in, np.memmap)  # read from the files, not loaded
    for name in (*ARRAYS, "v_visit_id", "v_venue_code", "person_ids", "venue_ids"):
        assert np.array_equal(_array(built, name), _array(mapped, name)), name
    pd.testing.assert_frame_equal(built.venues, mapped.venues)
    assert mapped.time_range() == built.time_range() and mapped.zone == built.zone


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_traces_and_sources_as_the_folder(store, folder_data, preset):
    data, county = folder_data, open_county(store)
    rule = as_rule(preset)
    built = VisitGraph.from_scans(data.scans, data.venues, rule, zone=data.region.zone)
    cases = data.cases.sort_values(s.PERSON_ID, ignore_index=True)
    # A two-hop trace of every case is half a million rows: one case shows the same.
    chosen = cases.head(1) if rule.secondary_contacts else cases
    pd.testing.assert_frame_equal(county.cases, data.cases)
    # The "why" sentences of a two-hop trace cost more than the rest: its rows are enough.
    explain = not rule.secondary_contacts
    expected = trace(built, chosen, rule, explain=explain)
    assert len(expected)
    pd.testing.assert_frame_equal(trace(county.graph(rule), chosen, rule, explain=explain),
                                  expected)
    case = cases[s.PERSON_ID].iloc[5]
    pd.testing.assert_frame_equal(
        sources(county.graph(rule), case, rule, cases=county.cases,
                households=county.households()),
        sources(built, case, rule, cases=data.cases,
                households=households(SAMPLE, KEY.encode())))


def test_the_command_line_writes_the_same_bytes_from_the_store(store, tmp_path, monkeypatch,
                                                                capsys):
    cases = pd.read_parquet(SAMPLE / "cases.parquet")[s.PERSON_ID].astype(str)
    for verb, case in (("trace", cases.iloc[0]), ("sources", cases.iloc[2])):
        outs = []
        for where in (["--data", str(SAMPLE), "--now", NOW], ["--store", str(store)]):
            out = tmp_path / f"{verb}-{where[0][2:]}.csv"
            assert run([verb, *where, "--case", case, "--purpose", "inv:ST-1",
                        "--audit", str(tmp_path / "audit.duckdb"), "--out", str(out)],
                       monkeypatch) == 0
            outs.append(out.read_bytes())
        assert outs[0] == outs[1] and len(outs[0]) > 1000, verb
    printed = [line.split("->")[0] for line in capsys.readouterr().out.splitlines()]
    assert printed[0] == printed[1] and printed[2] == printed[3]


def test_trace_from_the_store_logs_in_the_stores_database(store, tmp_path, monkeypatch):
    before = len(read_audit(store / "tracelab.duckdb"))
    case = str(pd.read_parquet(SAMPLE / "cases.parquet")[s.PERSON_ID].iloc[1])
    assert run(["trace", "--store", str(store), "--case", case, "--purpose", "inv:ST-2",
                "--out", str(tmp_path / "x.csv")], monkeypatch) == 0
    log = read_audit(store / "tracelab.duckdb")
    assert len(log) == before + 1 and log["purpose"].iloc[-1] == "inv:ST-2"


def test_a_store_holds_no_raw_id(store):
    persons = pd.read_parquet(SAMPLE / "persons.parquet")
    raw = set(persons[s.PERSON_ID]) | set(pd.read_parquet(SAMPLE / "scans.parquet")[
        s.PERSON_ID])
    personal = raw | {v for c in ("name", "id_number", "phone")
                      for v in persons[c].dropna().astype(str)}
    con = duckdb.connect(str(store / "tracelab.duckdb"), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        frames = {t: con.execute(f"SELECT * FROM {t}").df() for t in tables}
    finally:
        con.close()
    gen = open_county(store)._gen.folder
    frames |= {p.name: pd.read_parquet(p) for p in gen.rglob("*.parquet")}
    assert len(frames["scans"]) and len(frames["visits"]) and len(frames["persons.parquet"])
    for name, frame in frames.items():
        assert raw_identifiers(frame) == {}, name
        for column in frame.columns:
            if frame[column].dtype == object or isinstance(frame[column].dtype,
                                                           pd.StringDtype):
                assert not set(frame[column].dropna().astype(str)) & personal, (name, column)
    people = np.load(gen / "people.npy")
    assert len(people) and all(is_pseudonym(p) for p in people.tolist())
    for path in gen.rglob("*.npy"):  # the index: numbers, pseudonyms and venue codes
        values = np.load(path)
        if values.dtype.kind in "SU":
            assert not set(values.astype(str).tolist()) & personal, path
    for path in [*gen.rglob("*.json"), store / "manifest.json"]:
        text = path.read_text(encoding="utf-8")
        assert not [w for w in re.findall(r"\w+", text) if w in personal], path


def test_a_rule_without_an_index_is_built_from_the_stores_scans(store, folder_data):
    rule = as_rule("twenty").replace(max_stay_hours=6)
    assert visits_key(rule) not in {g["key"] for g in open_county(store).meta["graphs"]}
    data = folder_data
    built = VisitGraph.from_scans(data.scans, data.venues, rule, zone=data.region.zone)
    cases = data.cases.head(3)
    pd.testing.assert_frame_equal(trace(open_county(store).graph(rule), cases, rule),
                                  trace(built, cases, rule))


def test_the_stores_tables_are_the_folders(store, folder_data):
    tables = read_store_tables(store)
    data = folder_data
    order = [s.PERSON_ID, s.SCANNED_AT, s.VENUE_ID]
    pd.testing.assert_frame_equal(
        tables.scans.loc[:, list(s.SCAN_COLUMNS)],
        data.scans.loc[:, list(s.SCAN_COLUMNS)].sort_values(order, ignore_index=True),
        check_dtype=False)
    pd.testing.assert_frame_equal(tables.cases, data.cases, check_dtype=False)
    assert set(tables.venues[s.VENUE_ID]) == set(data.venues[s.VENUE_ID])
    assert tables.loads["scans"].read == data.loads["scans"].read
    assert len(tables.set_aside) == len(data.set_aside) and tables.region.code == "360323"


def test_venue_aggregates_from_the_store_are_the_folders(store, monkeypatch, capsys):
    for action in ("regulator", "compliance"):
        texts = []
        for where in (["--data", str(SAMPLE)], ["--store", str(store)]):
            assert run(["venues", action, *where, "--now", NOW, "--lang", "en"],
                       monkeypatch) == 0
            texts.append(capsys.readouterr().out)
        assert texts[0] == texts[1] and len(texts[0]) > 100, action


def test_ingest_on_the_command_line_reports_progress_and_a_summary(tmp_path, monkeypatch,
                                                                   capsys):
    small = tmp_path / "small"
    from tracelab.synth import generate

    generate(population=150, days=3, seed=4, progress=False).write(small, fmt="csv")
    target = tmp_path / "store"
    assert run(["ingest", "--data", str(small), "--store", str(target), "--now", NOW,
                "--lang", "en"], monkeypatch) == 0
    out, err = capsys.readouterr()
    assert "read scans:" in err and "switched to generation 1" in err
    assert out.startswith(f"store {target}: generation 1, ") and "3 dwell assumptions" in out
    county = open_county(target)
    assert isinstance(county, County) and county.generation == 1
    assert json.loads((target / "manifest.json").read_text())["generation"] == 1
    assert run(["ingest", "--data", str(small), "--store", str(target), "--now", NOW],
               monkeypatch) == 0  # a rebuild: generation 2, the first one removed
    assert open_county(target).generation == 2
    assert sorted(p.name for p in target.iterdir() if p.name.startswith("gen-")) == [
        "gen-000002"]
    assert "切换到第 2 代" in capsys.readouterr().err


def test_refusals_are_one_line_with_their_status(store, tmp_path, monkeypatch, capsys):
    case = str(pd.read_parquet(SAMPLE / "cases.parquet")[s.PERSON_ID].iloc[0])
    base = ["--case", case, "--purpose", "inv:ST-3", "--out", str(tmp_path / "x.csv"),
            "--lang", "en"]
    monkeypatch.setenv("TRACELAB_KEY", "another-county-key-8c1d77e0")
    assert run(["trace", "--store", str(store), *base], monkeypatch) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not the one the store was built with" in err[0]
    assert run(["trace", "--store", str(tmp_path), *base], monkeypatch) == 2
    assert "not a tracelab store" in capsys.readouterr().err
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    assert run(["trace", "--store", str(store), *base, "--engine", "spark"], monkeypatch) == 2
    assert "--engine spark needs --data LAYOUT" in capsys.readouterr().err
    with pytest.raises(NotACountyStoreError, match="not a tracelab store"):
        open_county(tmp_path / "none")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    assert run(["ingest", "--data", str(SAMPLE), "--store", str(tmp_path / "other"),
                "--lang", "en"], monkeypatch) == 2
    assert "holds other files and is not a tracelab store" in capsys.readouterr().err
    assert run(["ingest", "--data", str(SAMPLE), "--store", str(tmp_path / "other" /
                                                                  "notes.txt"), "--lang", "en"],
               monkeypatch) == 2
    assert "is a file; a store is a folder" in capsys.readouterr().err
    assert run(["purge", "--store", str(store / "tracelab.duckdb"), "--lang", "en"],
               monkeypatch) == 2
    assert "purge the store as a whole" in capsys.readouterr().err
    assert run(["ingest", "--data", str(tmp_path / "gone"), "--store", str(tmp_path / "new"),
                "--lang", "en"], monkeypatch) == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # nothing written on an error
