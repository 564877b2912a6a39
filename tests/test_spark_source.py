"""The Spark source answers like the embedded graph, and the engine runs unchanged on it.

One SparkSession serves the whole run (``spark`` fixture in conftest.py). The sample
county is written once as a Parquet layout; every question is asked of both engines and
the answers must be equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracelab.index.graph import QUERY, VisitGraph
from tracelab.index.presence import visits
from tracelab.io import pseudonymise_data, read_dir
from tracelab.io.layout import write_layout, write_visits
from tracelab.model import schema as s
from tracelab.model.rules import rule
from tracelab.privacy import DEMO_KEY
from tracelab.tracing.backward import common_venues, sources
from tracelab.tracing.companion_grid import companions
from tracelab.tracing.forward import trace

from .conftest import NOW

pytestmark = pytest.mark.spark
SAMPLE = "data/sample"
RULES = ("twenty", "ninth")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    data = pseudonymise_data(read_dir(SAMPLE, now=NOW + pd.Timedelta(days=3650)), DEMO_KEY)
    folder = write_layout(tmp_path_factory.mktemp("layout"), data.venues, data.scans, data.cases)
    graphs = {}
    for name in RULES:
        v = visits(data.scans, data.venues, name)
        write_visits(folder, v, rule(name).dwell)
        graphs[name] = VisitGraph.from_visits(v, data.venues, dwell=rule(name).dwell)
    return data, folder, graphs


@pytest.fixture(scope="module")
def source(spark, county):
    from tracelab.spark import SparkSource

    return SparkSource(spark, county[1], "twenty")


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys, ignore_index=True)
    b = b.sort_values(keys, ignore_index=True)
    for col in a.columns:
        if a[col].dtype == object or pd.api.types.is_string_dtype(a[col]):
            a[col], b[col] = a[col].astype(object), b[col].astype(object)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_layout_reads_back_through_the_embedded_loader(county):
    data, folder, _ = county
    back = read_dir(folder, now=NOW + pd.Timedelta(days=3650))
    assert len(back.rejections) == 0
    assert sorted((folder / "scans.parquet").iterdir())[0].name.startswith("day=")
    _same(back.scans, data.scans, [s.PERSON_ID, s.SCANNED_AT, s.VENUE_ID])


def test_both_questions_answer_alike(county, source):
    _, _, graphs = county
    g = graphs["twenty"]
    rng = np.random.default_rng(0)
    lo, hi = g.time_range()
    venues = rng.choice(g.venue_ids, 40)
    people = rng.choice(g.person_ids, 40)
    start = rng.integers(lo, hi, 40)
    end = start + rng.integers(0, 3 * 86_400_000_000_000, 40)
    keys = [QUERY, s.T_IN, s.VISIT_ID]
    _same(source.visits_at(list(venues), (start, end)), g.visits_at(list(venues), (start, end)),
          keys)
    _same(source.visits_of(list(people), (start, end)), g.visits_of(list(people), (start, end)),
          keys)
    assert source.time_range() == g.time_range()


def test_an_unknown_id_or_empty_request_answers_nothing(source):
    when = (np.array([0]), np.array([2**62]))
    assert source.visits_at(["no-such-venue"], when).empty
    assert source.visits_of([], (np.array([], np.int64), np.array([], np.int64))).empty


@pytest.mark.parametrize("name, hops", [("twenty", 1), ("ninth", 2)])
def test_trace_is_equal_on_both_engines(spark, county, name, hops):
    from tracelab.spark import SparkSource

    data, folder, graphs = county
    cases = data.cases if hops == 1 else data.cases.iloc[:6]
    src = SparkSource(spark, folder, name)
    ours = trace(src, cases, name, hops)
    assert len(ours) > 0
    pd.testing.assert_frame_equal(ours, trace(graphs[name], cases, name, hops), check_dtype=False)


def test_sources_and_common_venues_are_equal_on_both_engines(county, source):
    data, _, graphs = county
    r = rule("twenty", share_residences=True)
    for case in data.cases[s.PERSON_ID].iloc[:3]:
        pd.testing.assert_frame_equal(sources(source, case, r, cases=data.cases),
                                      sources(graphs["twenty"], case, r, cases=data.cases))
    _same(common_venues(source, data.cases), common_venues(graphs["twenty"], data.cases),
          [s.VENUE_ID])


def test_companions_are_equal_on_both_engines(county, source):
    data, _, graphs = county
    ours = companions(source, data.cases.iloc[:5])
    assert len(ours) > 0
    pd.testing.assert_frame_equal(ours, companions(graphs["twenty"], data.cases.iloc[:5]),
                                  check_dtype=False)


def test_missing_visits_name_the_fix(spark, county, tmp_path):
    from tracelab.spark import SparkSource

    data = county[0]
    write_layout(tmp_path, data.venues, data.scans.iloc[:10])
    with pytest.raises(FileNotFoundError, match="dwell=.whole_day.*build=True"):
        SparkSource(spark, tmp_path, "same_day")


_T0 = pd.Timestamp("2022-11-30 15:50", tz="UTC")  # local midnight of Dec 1 inside the log


#: Five people, as pseudonyms: a layout holds no raw id.
_PEOPLE = [f"p_{k:016x}" for k in range(1, 6)]


@st.composite
def _logs(draw):
    n = draw(st.integers(2, 25))
    minutes = draw(st.lists(st.integers(0, 3 * 1440), min_size=n, max_size=n))
    people = draw(st.lists(st.sampled_from(_PEOPLE), min_size=n, max_size=n))
    where = draw(st.lists(st.sampled_from(["V1", "V2", "V3"]), min_size=n, max_size=n))
    scans = pd.DataFrame({s.PERSON_ID: people, s.VENUE_ID: where,
                          s.SCANNED_AT: _T0 + pd.to_timedelta(minutes, unit="min")})
    scans = scans.drop_duplicates([s.PERSON_ID, s.SCANNED_AT], ignore_index=True)
    onset = _T0 + pd.Timedelta(minutes=draw(st.integers(0, 4 * 1440)))
    cases = pd.DataFrame({s.PERSON_ID: [draw(st.sampled_from(_PEOPLE[:3]))],
                          s.KIND: [s.CONFIRMED], s.ONSET_AT: [onset]})
    return scans, cases, draw(st.sampled_from(["twenty", "ninth", "same_day", "nhs"]))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(log=_logs())
def test_generated_logs_trace_alike(spark, tmp_path_factory, log):
    from tracelab.spark import SparkSource

    scans, cases, name = log
    r = rule(name)
    venues = pd.DataFrame({s.VENUE_ID: ["V1", "V2", "V3"],
                           s.VENUE_TYPE: ["supermarket", "restaurant", "village"]})
    folder = write_layout(tmp_path_factory.mktemp("gen"), venues, scans, cases)
    v = visits(scans, venues, r)
    write_visits(folder, v, r.dwell)
    g = VisitGraph.from_visits(v, venues, dwell=r.dwell)
    hops = 2 if r.secondary_contacts else 1
    ours = trace(SparkSource(spark, folder, r), cases, r, hops)
    pd.testing.assert_frame_equal(ours, trace(g, cases, r, hops), check_dtype=False)


def test_layout_keeps_venue_positions(county):
    data, folder, _ = county
    back = read_dir(folder, now=NOW + pd.Timedelta(days=3650))
    _same(back.venues, data.venues, [s.VENUE_ID])


def test_cli_trace_and_sources_on_spark_equal_the_embedded_engine(spark, tmp_path, monkeypatch):
    from tracelab.cli import main

    monkeypatch.setenv("TRACELAB_KEY", "tracelab-test-key-0123456789")
    now = ["--now", "2031-01-01T00:00+08:00"]
    assert main(["layout", "--data", SAMPLE, "--out", str(tmp_path / "lay"), *now]) == 0
    case = str(pd.read_parquet(tmp_path / "lay" / "cases.parquet")[s.PERSON_ID].iloc[3])
    for command in ("trace", "sources"):
        outs = []
        for engine, data in (("spark", tmp_path / "lay"), ("embedded", SAMPLE)):
            out = tmp_path / f"{command}-{engine}.csv"
            assert main([command, "--data", str(data), "--engine", engine, "--case", case,
                         "--purpose", "inv:LX-T1", "--audit", str(tmp_path / "a.duckdb"),
                         "--out", str(out), *now]) == 0
            outs.append(out.read_bytes())
        assert outs[0] == outs[1] and len(outs[0].splitlines()) > 1


def test_cli_spark_refuses_a_layout_with_raw_ids(spark, county, tmp_path, capsys, monkeypatch):
    from tracelab.cli import main

    monkeypatch.setenv("TRACELAB_KEY", "tracelab-test-key-0123456789")
    import shutil

    # A layout written by another tool, with raw ids (write_layout refuses to write one).
    folder = tmp_path / "raw-layout"
    shutil.copytree(county[1], folder)
    raw = read_dir(SAMPLE, now=NOW + pd.Timedelta(days=3650)).cases
    raw.to_parquet(folder / "cases.parquet", index=False)
    case = str(raw[s.PERSON_ID].iloc[0])
    code = main(["trace", "--data", str(folder), "--engine", "spark", "--case", case,
                 "--purpose", "inv:LX-T1", "--audit", str(tmp_path / "a.duckdb"),
                 "--out", str(tmp_path / "x.csv"), "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2 and "raw person id" in err and "tracelab layout" in err
    assert case not in err
