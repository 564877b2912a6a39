"""``tracelab brief --store``: the briefing of a county store is its folder's, table for table.

One store is built from the sample county (data/sample) with ``tracelab ingest`` for the
module. For every rule preset the briefing of the store is compared with the briefing of
the folder, loaded and pseudonymised the way ``brief --data`` does it, field for field and
frame for frame; on the command line the page and its JSON summary are compared byte for
byte (neither carries a timestamp or a path: the page states the briefing time, the
summary the time and the rule, both the same from either source).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import tracelab.cli as cli
from tracelab.briefing import Briefing, build_briefing, folder_extras, load_briefing
from tracelab.briefing.build import store_briefing
from tracelab.index import layers
from tracelab.index.county import open_county
from tracelab.io import pseudonymise_data, read_dir
from tracelab.io.county_store import NotACountyStoreError
from tracelab.io.county_tables import read_store_tables
from tracelab.model import schema as s
from tracelab.model.rules import PRESETS
from tracelab.privacy import pseudonymise

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
KEY = "store-brief-test-key-7e3a90c2d51b48f6"
#: The end of the sample's synthetic period: what ``brief --data`` takes as "now" when it
#: loads the folder, so the store's load rejects the same rows whatever the wall clock.
NOW = "2022-12-02T00:00:00+08:00"
#: A briefing time before the last scan: the store builds the visits of the scans up to it.
EARLIER = "2022-11-28T00:00+08:00"


@pytest.fixture(scope="module")
def key_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("key") / "county.key"
    path.write_text(KEY + "\n")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory, key_file) -> Path:
    path = tmp_path_factory.mktemp("stores") / "county"
    assert cli.main(["ingest", "--data", str(SAMPLE), "--store", str(path), "--now", NOW,
                     "--key-file", str(key_file), "--lang", "en"]) == 0
    return path


@pytest.fixture(scope="module")
def folder():
    """The sample loaded as ``load_briefing`` loads it (pseudonymised), once: a builder."""
    key = KEY.encode()
    extras = folder_extras(SAMPLE)
    extras["persons"] = pseudonymise(extras["persons"], None, key)
    data = pseudonymise_data(read_dir(SAMPLE, now=NOW), key)

    def brief(**how) -> Briefing:
        return build_briefing(data, **how, **extras)

    return brief


def assert_same_briefing(got: Briefing, want: Briefing) -> None:
    """Every field equal: frames exactly (values, dtypes, index), the rest by ``==``."""
    for field in dataclasses.fields(Briefing):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if isinstance(b, pd.DataFrame):
            assert isinstance(a, pd.DataFrame), field.name
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=field.name)
        else:
            assert a == b, field.name


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_briefs_the_store_as_its_folder(store, folder, preset):
    want = folder(rule=preset)
    got = store_briefing(store, key=KEY.encode(), rule=preset)
    assert len(want.exposures) and len(want.venue_ranking) and len(want.areas)
    assert_same_briefing(got, want)


def test_the_store_briefing_builds_no_visit_and_loads_no_scan(store, monkeypatch):
    import tracelab.analysis.ranking as ranking
    import tracelab.io.county_tables as county_tables
    from tracelab.index.graph import VisitGraph

    def refuse(*args, **kwargs):
        raise AssertionError("visits built from scans")

    tables = county_tables.snapshot_tables

    def without_scans(con, gen, which=("venues", "scans", "cases")):
        assert "scans" not in which, "the scans table loaded"
        return tables(con, gen, which)

    monkeypatch.setattr(VisitGraph, "from_scans", refuse)
    monkeypatch.setattr(ranking, "build_visits", refuse)
    monkeypatch.setattr(county_tables, "snapshot_tables", without_scans)
    b = store_briefing(store, rule="twenty")
    assert b.headline["contacts"] > 1000 and b.quality["scans"] > 100_000


def test_a_briefing_time_before_the_last_scan_is_the_folders_too(store):
    key = KEY.encode()
    want = load_briefing(SAMPLE, key=key, as_of=EARLIER)
    assert_same_briefing(store_briefing(store, as_of=EARLIER), want)
    # load_briefing takes a store folder to store_briefing.
    assert_same_briefing(load_briefing(store, key=key, as_of=EARLIER), want)


def test_the_stores_tables_have_the_folders_types(store):
    # Column types included (``brief`` shows the registry as it is loaded).
    folder = pseudonymise_data(read_dir(SAMPLE, now=NOW), KEY.encode())
    tables = read_store_tables(store)
    pd.testing.assert_frame_equal(tables.venues, folder.venues)
    pd.testing.assert_frame_equal(tables.cases, folder.cases)
    order = [s.PERSON_ID, s.SCANNED_AT, s.VENUE_ID]
    pd.testing.assert_frame_equal(
        tables.scans, folder.scans.sort_values(order, kind="stable", ignore_index=True))


def test_the_command_line_writes_the_same_bytes_from_the_store(store, key_file, tmp_path,
                                                               capsys):
    printed = {}
    for name, where in (("data", ["--data", str(SAMPLE)]), ("store", ["--store", str(store)])):
        out = tmp_path / name / "briefing.html"
        assert cli.main(["brief", *where, "--out", str(out), "--key-file", str(key_file),
                         "--lang", "en"]) == 0
        printed[name] = capsys.readouterr().out.replace(str(tmp_path / name), "OUT")
    for suffix in (".html", ".json"):
        data = (tmp_path / "data" / "briefing").with_suffix(suffix).read_bytes()
        assert data == (tmp_path / "store" / "briefing").with_suffix(suffix).read_bytes(), suffix
    assert printed["data"] == printed["store"] and "36 cases" in printed["store"]


def test_refusals_are_one_line_with_their_status(store, key_file, tmp_path, capsys,
                                                 monkeypatch):
    out = ["--out", str(tmp_path / "b.html"), "--lang", "en"]
    assert cli.main(["brief", "--store", str(tmp_path / "none"), "--key-file", str(key_file),
                     *out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a tracelab store" in err[0]
    monkeypatch.setenv("TRACELAB_KEY", "another-county-key-8c1d77e0")
    assert cli.main(["brief", "--store", str(store), *out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not the one the store was built with" in err[0]
    with pytest.raises(SystemExit) as usage:
        cli.main(["brief", "--store", str(store), "--data", str(SAMPLE), *out])
    assert usage.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "b.html").exists()
    with pytest.raises(NotACountyStoreError, match="not a tracelab store"):
        store_briefing(tmp_path / "none")


def test_a_store_appended_past_its_folders_period_briefs_from_the_index(tmp_path, monkeypatch):
    import json
    import shutil

    import tracelab.analysis.ranking as ranking
    from tracelab.index.graph import VisitGraph

    # The sample's first 13 days as a folder whose manifest says 13, and its last day.
    base, day, whole = tmp_path / "base", tmp_path / "day", tmp_path / "whole"
    shutil.copytree(SAMPLE, base)
    manifest = json.loads((base / "manifest.json").read_text())
    (base / "manifest.json").write_text(json.dumps({**manifest, "days": 13}))
    shutil.copytree(base, whole)
    scans = pd.read_parquet(SAMPLE / "scans.parquet")
    local = scans[s.SCANNED_AT].dt.tz_convert("Asia/Shanghai").dt.normalize()
    last = local == local.max()
    scans[~last].to_parquet(base / "scans.parquet", index=False)
    day.mkdir()
    scans[last].to_parquet(day / "scans.parquet", index=False)
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    monkeypatch.setattr(layers, "COMPACT_SHARE", 100.0)  # a base and a layer
    for argv in (["--data", str(base), "--store", str(tmp_path / "appended")],
                 ["--append", str(day), "--store", str(tmp_path / "appended")],
                 ["--data", str(whole), "--store", str(tmp_path / "rebuilt")]):
        assert cli.main(["ingest", *argv, "--now", NOW, "--lang", "en"]) == 0

    def refuse(*args, **kwargs):
        raise AssertionError("visits built from scans")

    assert isinstance(open_county(tmp_path / "appended").graph("twenty"), layers.LayeredGraph)
    monkeypatch.setattr(VisitGraph, "from_scans", refuse)
    monkeypatch.setattr(ranking, "build_visits", refuse)
    got = store_briefing(tmp_path / "appended")
    # the day past the period is in it: the briefing time is the last record, not the
    # period's end, so the index answers (no fallback to the scans)
    assert got.as_of >= scans[s.SCANNED_AT].max()
    assert_same_briefing(got, store_briefing(tmp_path / "rebuilt"))
