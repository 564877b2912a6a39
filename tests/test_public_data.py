"""A real public data set no one here wrote (DS4C patient routes, Korea 2020), loaded as users would.

``data/public/ds4c`` holds the extract, its provenance and licence, and the column mapping;
see its README. Its co-present pairs must equal an independent pandas and DuckDB
computation on the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import tracelab as tl
from tracelab.cli import main
from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.tracing.copresent_pairs import copresence

DS4C = Path(__file__).resolve().parents[1] / "data" / "public" / "ds4c"
COLUMNS = json.loads((DS4C / "columns.json").read_text(encoding="utf-8"))
NOW = "2021-01-01T00:00Z"


@pytest.fixture(scope="module")
def data():
    return tl.read_dir(DS4C, profile="research", columns=COLUMNS, zone="Asia/Seoul", now=NOW)


def test_loads_with_only_a_column_mapping(data):
    raw_scans = pd.read_csv(DS4C / "scans.csv", dtype=str)
    raw_cases = pd.read_csv(DS4C / "cases.csv", dtype=str)
    for loaded, raw in ((data.loads["scans"], raw_scans), (data.loads["cases"], raw_cases)):
        assert loaded.read == len(raw) == loaded.accepted_count + loaded.rejected_count
    assert data.loads["scans"].rejected_count == 0 and data.loads["cases"].rejected_count == 0
    # Places are their coordinates; their types map onto the venue-type table where they can.
    assert len(data.venues) == raw_scans[["latitude", "longitude"]].drop_duplicates().shape[0]
    assert {"hospital", "restaurant", "pharmacy", "other"} <= set(data.venues[s.VENUE_TYPE])
    # Dates only, read in Korea's zone; cases without onset keep their confirmation.
    local = data.scans[s.SCANNED_AT].dt.tz_convert("Asia/Seoul")
    assert (local == local.dt.normalize()).all()
    assert data.cases[s.CONFIRMED_AT].notna().all() and data.cases[s.ONSET_AT].isna().sum() > 900


def _independent_pairs_pandas() -> dict[tuple[str, str], float]:
    raw = pd.read_csv(DS4C / "scans.csv", dtype=str)
    visits = raw[["patient_id", "latitude", "longitude", "date"]].drop_duplicates()
    both = visits.merge(visits, on=["latitude", "longitude", "date"])
    both = both[both["patient_id_x"] < both["patient_id_y"]]
    return (both.groupby(["patient_id_x", "patient_id_y"]).size() * 1440.0).to_dict()


def test_copresent_pairs_equal_pandas_and_duckdb_on_the_raw_file(data):
    edges = copresence(VisitGraph.from_scans(data.scans, data.venues, "same_day"), "same_day")
    got = dict(zip(zip(edges[s.PERSON_A], edges[s.PERSON_B], strict=True),
                   edges[s.OVERLAP_MIN], strict=True))
    expected = _independent_pairs_pandas()
    assert len(got) > 1000 and got == expected
    con = duckdb.connect()
    rows = con.execute(f"""
        WITH v AS (SELECT DISTINCT patient_id, latitude, longitude, date
                   FROM read_csv('{DS4C / "scans.csv"}', all_varchar=true))
        SELECT a.patient_id, b.patient_id, 1440.0 * count(*)
        FROM v a JOIN v b USING (latitude, longitude, date)
        WHERE a.patient_id < b.patient_id GROUP BY ALL""").fetchall()
    assert {(a, b): m for a, b, m in rows} == expected
    assert edges[s.OVERLAP_MIN].sum() == sum(expected.values())


def test_pairs_command_on_the_public_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACELAB_KEY", "test-key-0123456789abcdef")
    out = tmp_path / "edges.parquet"
    assert main(["pairs", "--data", str(DS4C), "--profile", "research", "--columns",
                 str(DS4C / "columns.json"), "--zone", "Asia/Seoul", "--regime", "same_day",
                 "--out", str(out), "--now", NOW, "--purpose", "inv:ds4c-network",
                 "--audit", str(tmp_path / "a.duckdb")]) == 0
    edges = pd.read_parquet(out)
    assert len(edges) == len(_independent_pairs_pandas())
    assert edges[s.PERSON_A].str.startswith("p_").all()  # pseudonymised on load
    assert "对同时在场者" in capsys.readouterr().out  # Chinese by default
    audit = tl.privacy.audit.read_audit(tmp_path / "a.duckdb")
    assert audit["query"].iloc[0].startswith("copresence rule=same_day")


def test_a_visits_log_loads_as_visits(tmp_path):
    # Entry and exit columns: the intervals stand as given, overlapping ones of one person
    # included (a shop inside a mall, or two logs of the same stay).
    (tmp_path / "visits.csv").write_text(
        "person_id,venue_id,t_in,t_out\n"
        "A,mall,2021-05-01 10:00,2021-05-01 12:00\n"
        "A,shop,2021-05-01 10:30,2021-05-01 11:00\n"
        "B,mall,2021-05-01 11:30,2021-05-01 13:00\n", encoding="utf-8")
    data = tl.read_dir(tmp_path, profile="research", zone="Europe/Paris", now="2022-01-01T00:00Z")
    assert data.loads["scans"].accepted_count == 3
    graph = VisitGraph.from_scans(data.scans, data.venues, "twenty")
    v = graph.visits().sort_values([s.PERSON_ID, s.T_IN], ignore_index=True)
    local = v[s.T_OUT].dt.tz_convert("Europe/Paris").dt.strftime("%H:%M").tolist()
    assert local == ["12:00", "11:00", "13:00"]
    assert set(v[s.T_OUT_SOURCE]) == {s.EXIT_SCAN}
    edges = copresence(graph, "twenty")
    assert edges[[s.PERSON_A, s.PERSON_B, s.OVERLAP_MIN]].values.tolist() == [["A", "B", 30.0]]
