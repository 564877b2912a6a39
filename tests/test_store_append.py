"""A day's append and a purge of old days give the store a full rebuild gives (Hypothesis).

A small synthetic county is cut into consecutive groups of local days at random points;
the first group is ingested and the others appended one by one, the cases and a copy of
the registry spread over the groups at random. Every index array of every dwell
assumption, the database's scans and visits, the cases and the day counts then equal those
of one ingest of the whole folder; the exposures follow. Purging the first days equals
ingesting the days kept.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tracelab.index import layers
from tracelab.index.county import open_county, store_keys
from tracelab.index.county_build import ingest_county
from tracelab.index.county_purge import purge_days
from tracelab.index.county_update import append_day
from tracelab.index.graph import VisitGraph
from tracelab.index.layers import LayeredGraph
from tracelab.index.mmap import ARRAYS
from tracelab.model import schema as s
from tracelab.tracing.forward import trace

KEY = b"append-test-key-3e8a51c0f9d2b674"
NOW = "2022-12-31T00:00:00+08:00"
ZONE = "Asia/Shanghai"
DAYS = 5


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    from tracelab.synth import generate

    folder = tmp_path_factory.mktemp("append") / "county"
    generate(population=200, days=DAYS, seed=11, progress=False).write(folder, fmt="parquet")
    return folder


@pytest.fixture(scope="module")
def whole(county) -> Path:
    store = county.parent / "whole"
    ingest_county(county, store, key=KEY, now=NOW)
    return store


def _days(scans: pd.DataFrame) -> pd.Series:
    return scans[s.SCANNED_AT].dt.tz_convert(ZONE).dt.strftime("%Y-%m-%d")


def _write_part(county: Path, out: Path, scans: pd.DataFrame, cases: pd.DataFrame | None,
                registry: bool) -> Path:
    out.mkdir(parents=True)
    scans.to_parquet(out / "scans.parquet", index=False)
    if cases is not None and len(cases):
        cases.to_parquet(out / "cases.parquet", index=False)
    if registry:
        shutil.copyfile(county / "venues.parquet", out / "venues.parquet")
    return out


def store_and_last_day(root: Path, *, population: int, seed: int, key: bytes
                       ) -> tuple[Path, Path, Path]:
    """A 4-day synthetic county: a store of its first days, its last day's folder, itself."""
    from tracelab.synth import generate

    county = root / "county"
    generate(population=population, days=4, seed=seed, progress=False).write(county,
                                                                            fmt="parquet")
    scans = pd.read_parquet(county / "scans.parquet")
    last = sorted(_days(scans).unique())[-1]
    base = _write_part(county, root / "base", scans[_days(scans) != last],
                       pd.read_parquet(county / "cases.parquet"), registry=True)
    day = _write_part(county, root / "day", scans[_days(scans) == last], None, registry=False)
    store = root / "store"
    ingest_county(base, store, key=key, now=NOW)
    return store, day, county


def _db(store: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(store / "tracelab.duckdb"), read_only=True)
    try:
        return {
            "scans": con.execute("SELECT * FROM scans ORDER BY ALL").df(),
            "visits": con.execute("SELECT * FROM visits ORDER BY ALL").df(),
            "cases": con.execute("SELECT * FROM cases ORDER BY person_id").df(),
            "venues": con.execute("SELECT venue_id, venue_type FROM venues ORDER BY ALL").df()}
    finally:
        con.close()


def assert_same_store(got: Path, want: Path, *, tables: bool = True) -> None:
    """Two stores index the same visits, array for array, and hold the same rows."""
    a, b = open_county(got), open_county(want)
    for preset in store_keys().values():
        g, h = _one(a.graph(preset)), _one(b.graph(preset))
        for name in (*ARRAYS, "v_visit_id", "v_venue_code", "person_ids", "venue_ids"):
            x = np.asarray(g._venue_of() if name == "v_venue_code" else getattr(g, name))
            y = np.asarray(h._venue_of() if name == "v_venue_code" else getattr(h, name))
            assert np.array_equal(x, y), (preset, name)
        pd.testing.assert_frame_equal(g.venues, h.venues)
        assert g.time_range() == h.time_range()
    assert a.meta["days"] == b.meta["days"] and a.meta["counts"] == b.meta["counts"]
    assert np.array_equal(np.load(a._gen.folder / "scan_times.npy"),
                          np.load(b._gen.folder / "scan_times.npy"))
    if tables:
        mine, theirs = _db(got), _db(want)
        for name in mine:
            pd.testing.assert_frame_equal(mine[name], theirs[name], obj=name)
        pd.testing.assert_frame_equal(_ns(a.cases), _ns(b.cases), check_dtype=False)


def _one(graph: VisitGraph) -> VisitGraph:
    """A store's graph as one graph (an appended store holds a base and a layer)."""
    return graph.compacted() if isinstance(graph, LayeredGraph) else graph


def _ns(cases: pd.DataFrame) -> pd.DataFrame:
    """Cases by person, times in ns (a folder's files may hold them in us)."""
    times = {c: cases[c].dt.as_unit("ns") for c in cases
             if isinstance(cases[c].dtype, pd.DatetimeTZDtype)}
    return cases.assign(**times).sort_values(s.PERSON_ID, ignore_index=True)


# Each example builds a store and appends to it: a few examples, no shrinking (a failing
# split is printed as drawn).
@settings(max_examples=4, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(cuts=st.sets(st.integers(1, DAYS - 1), min_size=1, max_size=3),
       spread=st.lists(st.integers(0, 3), min_size=8, max_size=8),
       registry=st.lists(st.booleans(), min_size=3, max_size=3), layered=st.booleans())
@example(cuts={2, 4}, spread=[0, 1, 2, 0, 1, 2, 0, 1], registry=[True, False, True],
         layered=True)  # two appends into one layer, a registry change in the second
def test_appending_days_equals_a_full_rebuild(county, whole, tmp_path_factory, cuts, spread,
                                              registry, layered):
    root = tmp_path_factory.mktemp("parts")
    scans = pd.read_parquet(county / "scans.parquet")
    cases = pd.read_parquet(county / "cases.parquet")
    days = sorted(_days(scans).unique())
    bounds = [0, *sorted(cuts), len(days)]
    groups = [days[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    owner = np.array([min(spread[i % len(spread)], len(groups) - 1) for i in range(len(cases))])
    parts = []
    for k, group in enumerate(groups):
        base = k == 0
        folder = _write_part(county, root / f"part{k}", scans[_days(scans).isin(group)],
                             cases[owner == k], registry=base or registry[(k - 1) % 3])
        if base:
            for name in ("manifest.json", "townships.geojson", "persons.parquet"):
                shutil.copyfile(county / name, folder / name)
        parts.append(folder)
    store = root / "store"
    ingest_county(parts[0], store, key=KEY, now=NOW)
    with pytest.MonkeyPatch.context() as mp:
        if layered:  # grow the layer every time (the small county outgrows half its base)
            mp.setattr(layers, "COMPACT_SHARE", 100.0)
        for folder in parts[1:]:
            append_day(store, folder, key=KEY, now=NOW)
    assert open_county(store).generation == len(parts)
    assert isinstance(open_county(store).graph("twenty"), LayeredGraph) == layered
    assert_same_store(store, whole)
    chosen = open_county(whole).cases
    for preset in ("twenty", "nhs"):
        pd.testing.assert_frame_equal(trace(open_county(store).graph(preset), chosen, preset),
                                      trace(open_county(whole).graph(preset), chosen, preset))


@pytest.mark.parametrize(("older_than", "appended"), [(1, False), (3, False), (2, True)])
def test_purging_old_days_equals_ingesting_the_days_kept(county, whole, tmp_path, monkeypatch,
                                                          older_than, appended):
    scans = pd.read_parquet(county / "scans.parquet")
    last = pd.Timestamp(sorted(_days(scans).unique())[-1], tz=ZONE)
    now = last + pd.Timedelta(hours=12)
    cutoff = (now - pd.Timedelta(days=older_than)).normalize()
    kept = tmp_path / "kept"
    _write_part(county, kept, scans[scans[s.SCANNED_AT] >= cutoff],
                pd.read_parquet(county / "cases.parquet"), registry=True)
    expected = tmp_path / "expected"
    ingest_county(kept, expected, key=KEY, now=NOW)
    store = tmp_path / "store"
    if appended:  # a base and a layer: the purge writes one graph
        monkeypatch.setattr(layers, "COMPACT_SHARE", 100.0)
        days = _days(scans)
        first = _write_part(county, tmp_path / "first", scans[days < f"{last:%Y-%m-%d}"],
                            pd.read_parquet(county / "cases.parquet"), registry=True)
        ingest_county(first, store, key=KEY, now=NOW)
        append_day(store, _write_part(county, tmp_path / "day",
                                      scans[days == f"{last:%Y-%m-%d}"], None,
                                      registry=False), key=KEY, now=NOW)
        assert isinstance(open_county(store).graph("twenty"), LayeredGraph)
    else:
        shutil.copytree(whole, store)
    done = purge_days(store, older_than, now)
    assert done.cutoff == cutoff.tz_convert("UTC") and done.removed + done.kept == done.before
    assert sum(done.removed_by_day.values()) == done.removed > 0
    assert min(open_county(store).meta["days"]) == f"{cutoff:%Y-%m-%d}"
    assert_same_store(store, expected, tables=False)
    got, want = _db(store), _db(expected)
    for name in ("scans", "visits"):
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)
    log = duckdb.connect(str(store / "tracelab.duckdb"), read_only=True)
    try:
        assert log.execute("SELECT purpose FROM audit").fetchall() == [("ops:retention",)]
    finally:
        log.close()
    assert [p.name for p in store.iterdir() if p.name.startswith("gen-")] == [
        "gen-000003" if appended else "gen-000002"]


def test_purge_on_the_command_line_drops_whole_days(county, whole, tmp_path, monkeypatch,
                                                     capsys):
    import tracelab.cli as cli

    store = tmp_path / "store"
    shutil.copytree(whole, store)
    days = sorted(open_county(store).meta["days"])
    now = f"{days[-1]}T12:00:00+08:00"
    monkeypatch.setenv("TRACELAB_KEY", KEY.decode())
    assert cli.main(["purge", "--store", str(store), "--older-than", "2", "--now", now,
                     "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"  {days[0]}  " in out and "store switched to generation 2" in out
    assert sorted(open_county(store).meta["days"]) == days[-3:]
    assert cli.main(["purge", "--store", str(store), "--older-than", "2", "--now", now,
                     "--lang", "en"]) == 0  # nothing older left: no new generation
    assert open_county(store).generation == 2 and "0 removed" in capsys.readouterr().out


def test_a_purge_in_another_zone_than_day_long_presence_rebuilds_it(county, whole, tmp_path,
                                                                     monkeypatch):
    from tracelab.index.county import County

    seoul = "Asia/Seoul"  # whole days of the store's zone are not whole days in Shanghai
    monkeypatch.setattr(County, "zone", property(lambda self: seoul))
    scans = pd.read_parquet(county / "scans.parquet")
    now = scans[s.SCANNED_AT].max().tz_convert(seoul)
    cutoff = (now - pd.Timedelta(days=2)).normalize()
    kept = tmp_path / "kept"
    _write_part(county, kept, scans[scans[s.SCANNED_AT] >= cutoff],
                pd.read_parquet(county / "cases.parquet"), registry=True)
    expected = tmp_path / "expected"
    ingest_county(kept, expected, key=KEY, now=NOW)
    store = tmp_path / "store"
    shutil.copytree(whole, store)
    assert purge_days(store, 2, now).cutoff == cutoff.tz_convert("UTC")
    for preset in store_keys().values():
        g, h = open_county(store).graph(preset), open_county(expected).graph(preset)
        for name in (*ARRAYS, "v_visit_id", "v_venue_code", "person_ids", "venue_ids"):
            assert np.array_equal(np.asarray(getattr(g, name)),
                                  np.asarray(getattr(h, name))), (preset, name)
    assert len(_db(store)["visits"]) == len(_db(expected)["visits"])


def test_an_append_refuses_another_key_and_a_missing_folder(whole, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(whole, store)
    with pytest.raises(ValueError, match="is not the one the store was built with"):
        append_day(store, tmp_path, key=b"another-county-key-8c1d77e0")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        append_day(store, tmp_path / "none", key=KEY)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no venues, scans or cases table"):
        append_day(store, tmp_path / "empty", key=KEY)
    assert open_county(store).generation == 1
