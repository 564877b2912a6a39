"""Layers out: the briefing's map layers read back in GeoPandas with the tables' rows.

One briefing of ``data/sample`` (pseudonymised with the demo key) is exported once; the
files are read back from GeoJSON and from the GeoPackage, in WGS-84 and in GCJ-02.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tracelab.briefing import build_briefing, folder_extras
from tracelab.briefing.layers_export import GCJ02_SUFFIX, LAYERS, N_CLOSE, export_layers
from tracelab.cli import main
from tracelab.io import pseudonymise_data, read_dir
from tracelab.model import schema as s
from tracelab.model.coords import distance_m
from tracelab.privacy import DEMO_KEY, pseudonymise
from tracelab.synth import generate

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def briefing():
    extras = folder_extras(SAMPLE)
    now = pd.Timestamp(extras["manifest"]["start"], tz=s.DEFAULT_ZONE) + pd.Timedelta(
        days=extras["manifest"]["days"])
    extras["persons"] = pseudonymise(extras["persons"], None, DEMO_KEY)
    return build_briefing(pseudonymise_data(read_dir(SAMPLE, now=now), DEMO_KEY), **extras)


@pytest.fixture(scope="module")
def exported(briefing, tmp_path_factory):
    folder = tmp_path_factory.mktemp("layers")
    return folder, export_layers(briefing, folder)


def _read(folder: Path, name: str, suffix: str = "", how: str = "geojson") -> gpd.GeoDataFrame:
    if how == "geojson":
        return gpd.read_file(folder / f"{name}{suffix}.geojson")
    return gpd.read_file(folder / f"layers{suffix}.gpkg", layer=name)


def _townships(b) -> pd.DataFrame:
    """The township table's rows that are townships (not the county outline)."""
    counts = b.township_counts
    return counts[counts[s.TOWNSHIP_CODE].str.len() == 9]


def test_every_layer_reads_back_with_the_tables_rows(briefing, exported):
    b, (folder, written) = briefing, exported
    assert {f"{n}{x}.geojson" for n in LAYERS for x in ("", GCJ02_SUFFIX)} | {
        "layers.gpkg", "layers_gcj02.gpkg", "layers.json"} == set(written)
    expected = {"venues": b.venues[s.VENUE_ID].nunique(),
                "exposure_venues": b.exposures[s.VENUE_ID].nunique(),
                "risk_areas": len(b.areas), "township_counts": len(_townships(b))}
    assert all(expected.values())
    assert gpd.list_layers(folder / "layers.gpkg")["name"].tolist() == list(LAYERS)
    for name, rows in expected.items():
        for suffix in ("", GCJ02_SUFFIX):
            for how in ("geojson", "gpkg"):
                frame = _read(folder, name, suffix, how)
                assert len(frame) == rows, (name, suffix, how)
                assert frame.crs.to_epsg() == 4326
    index = json.loads((folder / "layers.json").read_text(encoding="utf-8"))
    assert index["layers"] == expected and index["rule"] == "twenty"


def test_counts_equal_the_exposures_and_township_tables(briefing, exported):
    b, (folder, _) = briefing, exported
    for how in ("geojson", "gpkg"):
        venues = _read(folder, "exposure_venues", how=how).set_index(s.VENUE_ID)
        ex = b.exposures
        by = ex.groupby(s.VENUE_ID)
        assert venues[s.N_EXPOSED].to_dict() == by[s.CONTACT_ID].nunique().to_dict()
        assert venues[s.N_CASES].to_dict() == by[s.CASE_ID].nunique().to_dict()
        close = ex[ex[s.CATEGORY] == s.CLOSE_CONTACT].groupby(s.VENUE_ID)[s.CONTACT_ID].nunique()
        assert venues[N_CLOSE].to_dict() == close.reindex(venues.index, fill_value=0).to_dict()
        rank = b.venue_ranking.set_index(s.VENUE_ID)[s.RANK]
        assert venues["rank"].to_dict() == rank.reindex(venues.index).to_dict()
        towns = _read(folder, "township_counts", how=how).set_index(s.TOWNSHIP_CODE)
        table = _townships(b).set_index(s.TOWNSHIP_CODE)
        assert towns[s.CONTACTS].to_dict() == table[s.CONTACTS].to_dict()
        areas = _read(folder, "risk_areas", how=how)
        assert sorted(areas[s.AREA_ID]) == sorted(b.areas[s.AREA_ID])
        assert areas[s.LEVEL].value_counts().to_dict() == b.areas[s.LEVEL].value_counts().to_dict()


def test_no_township_polygon_hides_another(exported):
    towns = _read(exported[0], "township_counts")
    inner = towns.geometry.representative_point()
    for i, shape in enumerate(towns.geometry):
        assert shape.contains(inner).sum() == 1, towns[s.TOWNSHIP].iloc[i]


def test_the_gcj02_variant_is_the_registry_frame_a_few_hundred_metres_away(exported):
    folder = exported[0]
    wgs = _read(folder, "venues").set_index(s.VENUE_ID)
    gcj = _read(folder, "venues", GCJ02_SUFFIX).set_index(s.VENUE_ID).loc[wgs.index]
    metres = distance_m(wgs.geometry.x, wgs.geometry.y, gcj.geometry.x, gcj.geometry.y)
    assert np.all((metres > 300) & (metres < 800)), (metres.min(), metres.max())
    # The registry stores GCJ-02 picks (the region's file frame): the variant gives them back.
    raw = pd.read_parquet(SAMPLE / "venues.parquet").drop_duplicates(s.VENUE_ID)
    raw = raw.set_index(s.VENUE_ID).reindex(gcj.index).dropna(subset=[s.LON])
    assert len(raw) == len(gcj)
    assert np.abs(gcj.geometry.x - raw[s.LON]).max() < 1e-6
    assert np.abs(gcj.geometry.y - raw[s.LAT]).max() < 1e-6
    for name in ("risk_areas", "township_counts"):
        a = _read(folder, name).geometry.bounds
        b = _read(folder, name, GCJ02_SUFFIX).geometry.bounds
        metres = distance_m(a["minx"], a["miny"], b["minx"], b["miny"])
        assert np.all((metres > 300) & (metres < 800)), name


def test_no_person_data_in_any_file(briefing, exported):
    folder, written = exported
    venues = pd.read_parquet(SAMPLE / "venues.parquet")
    persons = pd.read_parquet(SAMPLE / "persons.parquet")
    secrets = [*venues[s.APPLICANT_PHONE].dropna(), *venues[s.OWNER_ID].dropna(),
               *briefing.exposures[s.CONTACT_ID].unique(), *briefing.cases[s.PERSON_ID],
               *persons[s.ID_NUMBER].dropna().head(500), *persons[s.PHONE].dropna().head(500)]
    for path in written.values():
        data = path.read_bytes()
        assert not re.search(rb"p_[0-9a-f]{16}|P\d{7}", data), path.name
        assert not [x for x in secrets if str(x).encode() in data], path.name


def test_the_same_briefing_gives_the_same_bytes(briefing, exported, tmp_path):
    again = export_layers(briefing, tmp_path)
    for name, path in exported[1].items():
        assert again[name].read_bytes() == path.read_bytes(), name


def test_the_command_writes_the_layers(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACELAB_KEY", "layers-test-key-0123456789")
    county = generate(population=400, days=8, seed=3, progress=False)
    data = tmp_path / "county"
    county.write(data, fmt="csv")
    out = tmp_path / "layers"
    assert main(["export", "--layers", str(out), "--data", str(data), "--lang", "en"]) == 0
    said = capsys.readouterr().out
    assert "WGS-84 and GCJ-02, 11 files" in said and str(out) in said
    index = json.loads((out / "layers.json").read_text(encoding="utf-8"))
    venues = gpd.read_file(out / "layers.gpkg", layer="venues")
    assert len(venues) == index["layers"]["venues"] == len(pd.read_csv(data / "venues.csv"))
    assert not list(out.glob(".*")), "no temporary file is left behind"
    assert main(["export", "--layers", str(data / "venues.csv"), "--data", str(data)]) == 2
    assert "不是文件夹" in capsys.readouterr().err
