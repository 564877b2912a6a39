"""Regions as data: every shipped county, own township tables, inference, the synthetic county."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from tracelab.model import coords
from tracelab.model import schema as s
from tracelab.model.regions import (
    Region,
    RegionError,
    all_townships,
    infer_region,
    locate_region,
    read_region,
    region,
    region_geojson,
    regions,
)

CODES = regions()["code"].tolist()

# DOMAIN §7.2, 2022 codes: the shipped table must agree with the domain notes.
DOMAIN_TOWNSHIPS = {
    "360323101": ("芦溪镇", "镇"), "360323102": ("宣风镇", "镇"), "360323103": ("上埠镇", "镇"),
    "360323104": ("南坑镇", "镇"), "360323105": ("银河镇", "镇"), "360323106": ("麻田镇", "镇"),
    "360323200": ("源南乡", "乡"), "360323201": ("长丰乡", "乡"), "360323202": ("张佳坊乡", "乡"),
    "360323203": ("新泉乡", "乡"), "360323204": ("万龙山乡", "乡"),
}


def test_every_county_level_division_of_jiangxi_is_shipped():
    table = regions()
    assert len(table) == 100 and table["code"].is_unique
    assert table["code"].str.fullmatch(r"36\d{4}").all()
    assert set(table["province"]) == {"江西省"}
    assert {"南昌县", "芦溪县", "红谷滩区", "南康区", "庐山市", "龙南市"} <= set(table["name"])
    towns = all_townships()
    assert towns[s.TOWNSHIP_CODE].is_unique
    assert (towns[s.TOWNSHIP_CODE].str[:6] == towns["county_code"]).all()
    assert set(towns["county_code"]) == set(table["code"])


@pytest.mark.parametrize("code", CODES)
def test_each_county_loads_with_townships_outline_frame_and_assignment(code):
    r = region(code)
    assert r.code == code and len(r.townships) >= 1
    assert r.outline.is_valid and r.outline.area > 0
    assert r.outline.geom_type in ("Polygon", "MultiPolygon")
    # Analysis frame: the 3-degree Gauss-Kruger zone of the central meridian.
    cm = 3 * round(r.outline.centroid.x / 3)
    assert r.analysis_crs == f"EPSG:{4534 + (cm - 75) // 3}"
    assert r.analysis_crs in ("EPSG:4547", "EPSG:4548")
    x, _ = coords.project(cm, r.outline.centroid.y, r.analysis_crs)
    assert x == pytest.approx(500_000.0)
    # A point inside the outline belongs to this county and to one of its townships, the
    # one whose (seat) cell contains it.
    point = r.outline.representative_point()
    assert locate_region(point.x, point.y).tolist() == [code]
    assert r.contains(point.x, point.y, margin_m=0).all()
    town = r.assign(point.x, point.y)[0]
    assert town in set(r.townships[s.TOWNSHIP_CODE])
    polys = r.township_polygons().set_index(s.TOWNSHIP_CODE)
    assert polys.loc[town, "geometry"].buffer(1e-6).contains(point)
    # Every seat lies inside the outline; polygons partition it.
    assert shapely.contains_xy(r.outline.buffer(1e-6), r.townships[s.SEAT_LON],
                               r.townships[s.SEAT_LAT]).all()
    union = shapely.union_all(list(polys["geometry"]))
    assert abs(union.area - r.outline.area) / r.outline.area < 1e-3


def test_luxi_townships_match_the_domain_notes():
    r = region("芦溪县")
    got = {c: (n, k) for c, n, k in zip(r.townships[s.TOWNSHIP_CODE], r.townships[s.TOWNSHIP],
                                        r.townships[s.TOWNSHIP_KIND], strict=True)}
    assert got == DOMAIN_TOWNSHIPS
    assert r.city == "萍乡市" and r.zone == "Asia/Shanghai" and r.file_crs == "GCJ-02"
    assert r.townships[s.SEAT_IS_SYNTHETIC].all()


def test_a_county_at_117_east_gets_its_own_analysis_frame():
    r = region("南昌县")
    assert r.analysis_crs == "EPSG:4548"
    x, _ = coords.project(*r.outline.centroid.coords[0], r.analysis_crs)
    assert abs(x - 500_000) < 150_000


@pytest.mark.parametrize(("value", "code"), [
    ("芦溪镇", "360323101"), ("蘆溪鎮", "360323101"), ("张佳坊乡", "360323202"),
    ("360323101", "360323101"), ("360323204000", "360323204"), (" 360323106 ", "360323106"),
])
def test_township_code(value, code):
    assert region("360323").township_code(value) == code


@pytest.mark.parametrize("value", ["芦溪县", "360323999", "360323101001", "3603231010", "芦溪", 7])
def test_township_code_unknown(value):
    assert region("360323").township_code(value) is None


@pytest.mark.parametrize("value", ["360323", "芦溪县", "蘆溪縣", "360323000000", " 360323 "])
def test_region_by_code_or_name(value):
    assert region(value).code == "360323"


@pytest.mark.parametrize("value", ["330100", "北京市", "", "3603"])
def test_unknown_region_says_how_to_bring_your_own(value):
    with pytest.raises(RegionError, match="township table"):
        region(value)


def test_contains_uses_the_outline_with_a_margin_in_metres():
    r = region("360323")
    lon, lat = 114.03, 27.63
    assert r.contains([lon, np.nan, 116.0], [lat, 27.6, 28.0]).tolist() == [True, False, False]
    # A point 1 km outside the outline: out at 0 m, in at the default 1.5 km.
    edge = shapely.ops.nearest_points(r.outline.exterior if r.outline.geom_type == "Polygon"
                                      else r.outline.geoms[0].exterior, shapely.Point(113.0, 27.6))[0]
    out_lon = edge.x - 1000 / (111_320 * np.cos(np.radians(edge.y)))
    assert not r.contains(out_lon, edge.y, margin_m=0)[0]
    assert r.contains(out_lon, edge.y)[0]
    with pytest.raises(ValueError, match="margin_m"):
        r.contains(lon, lat, margin_m=-1)


def test_infer_region_from_county_names_or_venue_codes():
    assert infer_region(pd.Series(["南昌县", "南昌县", "芦溪县"])).code == "360121"
    assert infer_region(pd.Series(["36012110100001", "x"])).code == "360121"
    assert infer_region(pd.Series(["", None, "somewhere"])) is None


def test_own_township_table_makes_a_region(tmp_path):
    table = tmp_path / "island.csv"
    table.write_text("township_code,township,seat_lon,seat_lat\nN,North,120.1,30.2\n"
                     "S,South,120.1,30.1\n", encoding="utf-8")
    r = read_region(table, code="ISL", name="Island", zone="Asia/Shanghai")
    assert isinstance(r, Region) and r.label == "Island (ISL)"
    assert r.assign([120.1, 120.1], [30.19, 30.11]).tolist() == ["N", "S"]
    assert r.contains(120.1, 30.15)[0] and not r.contains(121.0, 30.15)[0]
    assert r.analysis_crs == "EPSG:4549"
    # The GeoJSON of a region reads back as the same region.
    geo = tmp_path / "townships.geojson"
    geo.write_text(region_geojson(region("360323")), encoding="utf-8")
    back = read_region(geo)
    assert back.code == "360323" and back.name == "芦溪县"
    assert sorted(back.townships[s.TOWNSHIP_CODE]) == sorted(DOMAIN_TOWNSHIPS)
    assert back.outline.equals_exact(region("360323").outline, 1e-5)


@pytest.mark.parametrize(("body", "match"), [
    ("code,name\n1,a\n", "needs townships with township_code"),
    ("township_code,township,seat_lon,seat_lat\n", "missing rows"),
])
def test_bad_own_table_is_refused(tmp_path, body, match):
    path = tmp_path / "t.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RegionError, match=match):
        read_region(path)


def test_seats_from_the_registry_replace_placeholders_only():
    r = region("南昌县")
    code = r.townships[s.TOWNSHIP_CODE].iloc[0]
    venues = pd.DataFrame({s.TOWNSHIP_CODE: [code, code], s.LON: [115.90, 115.92],
                           s.LAT: [28.50, 28.52]})
    moved = r.with_seats_from(venues).townships.set_index(s.TOWNSHIP_CODE)
    assert moved.loc[code, [s.SEAT_LON, s.SEAT_LAT]].tolist() == pytest.approx([115.91, 28.51])
    assert not moved.loc[code, s.SEAT_IS_SYNTHETIC]
    assert r.townships[s.SEAT_LON].iloc[0] != 115.91  # the shipped region is unchanged


def test_geojson_of_every_kind_has_the_county_last():
    doc = json.loads(region_geojson(region("360121")))
    assert doc["features"][-1]["properties"]["kind"] == "county"
    assert doc["features"][-1]["properties"]["township"] == "南昌县"
