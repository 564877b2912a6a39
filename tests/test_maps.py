"""Tests of tracelab.maps on the built folium objects and their rendered HTML (no browser)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

folium = pytest.importorskip("folium")

from tests import test_maps_data as data  # noqa: E402
from tracelab.maps import (  # noqa: E402
    CHOROPLETH_COLOURS,
    LEVEL,
    TIER,
    area_radii,
    assert_offline,
    base_map,
    contacts_per_township,
    exposed_per_venue,
    exposures_by_day,
    external_refs,
    heat_map,
    inline_assets,
    map_frame,
    offline,
    replay_map,
    risk_area_map,
    tile_source,
    township_classes,
    township_map,
    trajectory_map,
    venue_map,
)
from tracelab.maps.labels import escape_text, local_time  # noqa: E402
from tracelab.model import schema  # noqa: E402
from tracelab.model.coords import wgs84_to_gcj02  # noqa: E402


def page_of(m) -> str:
    return m.get_root().render()


def has_text(page: str, text: str) -> bool:
    """True if `text` is in the page as is or as a JSON string (folium writes \\u escapes)."""
    as_json = json.dumps(text)[1:-1]
    html_safe = (as_json.replace("&", "\\u0026").replace("<", "\\u003c")
                 .replace(">", "\\u003e").replace("'", "\\u0027"))
    return text in page or as_json in page or html_safe in page


def class_count(page: str, name: str) -> int:
    return page.count(f'"className": "{name}"')


def points_of(page: str, tag: str = "tl-venues") -> list[dict]:
    """The data array of the tracelab script call tagged `tag` (venues by default)."""
    match = re.search(rf"/\* tl-call {tag} \*/ var data = (\[.*?\]);\n", page)
    return json.loads(match.group(1)) if match else []


def polyline_points(page: str) -> list[list[float]]:
    match = re.search(r"L\.polyline\(\s*(\[\[.*?\]\])", page, re.DOTALL)
    assert match, "no polyline in page"
    return json.loads(match.group(1))


def all_kinds(lang: str = "zh", tiles: str = "none"):
    m = township_map(data.townships(), data.exposures(), data.venues(), lang=lang, tiles=tiles)
    trajectory_map(data.visits(), data.venues(), case_id=data.CASE_ID, m=m, lang=lang)
    venue_map(data.exposures(), data.venues(), m=m, lang=lang)
    risk_area_map(data.areas(), m=m, lang=lang)
    heat_map(data.exposures(), data.venues(), m=m, lang=lang)
    return replay_map(data.exposures(), data.venues(), m=m, lang=lang)


# --- offline pages ------------------------------------------------------------------

def test_plain_folium_map_with_popup_and_heat_renders_offline():
    from folium.plugins import HeatMap

    m = offline(folium.Map(tiles=None))
    folium.CircleMarker([27.6, 114.0], popup=folium.Popup("x")).add_to(m)
    HeatMap([[27.6, 114.0, 1.0]]).add_to(m)
    page = page_of(m)
    assert external_refs(page) == []
    assert "Leaflet 1.9.3" in page  # the inlined library's banner
    assert "jQuery v3.7.1" in page  # popups use $(...)
    assert "simpleheat" in page
    assert "bootstrap" not in page.lower()
    assert "url(images/" not in page  # Leaflet's icons are data URIs


def test_every_map_kind_has_no_external_script_or_stylesheet():
    page = page_of(all_kinds())
    assert_offline(page)
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", page)


def test_save_and_notebook_repr_are_offline_too(tmp_path):
    m = venue_map(data.exposures(), data.venues())
    m.save(str(tmp_path / "v.html"))
    assert external_refs((tmp_path / "v.html").read_text(encoding="utf-8")) == []
    assert "cdn.jsdelivr" not in m._repr_html_()


def test_offline_is_idempotent_and_keeps_the_map():
    m = folium.Map(tiles=None)
    assert offline(m) is m
    root = m.get_root()
    assert offline(m).get_root() is root


def test_inline_assets_refuses_an_unknown_cdn_script():
    page = '<script src="https://cdn.example.org/plugin.js"></script>'
    with pytest.raises(ValueError, match=r"cannot inline offline: \['https://cdn.example.org/plugin.js'\]"):
        inline_assets(page)


def test_inline_assets_refuses_awesome_marker_icons():
    m = offline(folium.Map(tiles=None))
    folium.Marker([27.6, 114.0], icon=folium.Icon(color="red")).add_to(m)
    with pytest.raises(ValueError, match="awesome-markers"):
        page_of(m)


def test_external_refs_lists_scripts_styles_imports_not_links():
    page = ('<script src="//cdn.x/a.js"></script><link href="https://x/b.css" rel="stylesheet">'
            '<style>@import url("http://x/c.css"); .a{background:url(https://x/d.png)}</style>'
            '<a href="https://x/page">link</a><img src="data:image/png;base64,AA">')
    assert external_refs(page) == ["//cdn.x/a.js", "https://x/b.css", "http://x/c.css",
                                   "https://x/d.png"]
    with pytest.raises(AssertionError, match="4 external reference"):
        assert_offline(page)


# --- tiles ----------------------------------------------------------------------------

def test_default_map_has_no_tile_layer():
    page = page_of(base_map())
    assert "L.tileLayer(" not in page


@pytest.mark.parametrize(("tiles", "expected"), [
    ("osm", ["tile.openstreetmap.org"]),
    ("amap", ["webrd0{s}.is.autonavi.com"]),
    ("http://10.1.2.3/tiles/{z}/{x}/{y}.png", ["http://10.1.2.3/tiles/{z}/{x}/{y}.png"]),
])
def test_tile_sources_add_their_url(tiles, expected):
    page = page_of(base_map(tiles))
    assert page.count("L.tileLayer(") == len(expected)
    for url in expected:
        assert url in page
    assert_offline(page)


def test_tianditu_has_vector_and_label_layers_with_the_key():
    page = page_of(base_map("tianditu", key="k123"))
    assert page.count("L.tileLayer(") == 2
    assert "vec_w/wmts" in page and "cva_w/wmts" in page
    assert page.count("tk=k123") == 2


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tiles": "tianditu"}, "needs key="),
    ({"tiles": "google"}, "neither one of"),
    ({"tiles": "http://x/{z}/{x}.png"}, "neither one of"),
    ({"tiles": "osm", "frame": "BD-09"}, "not a tile frame"),
])
def test_tile_source_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tile_source(**kwargs)


def test_amap_tiles_shift_points_to_gcj02():
    venues = data.venues()
    page = page_of(trajectory_map(data.visits(), venues, case_id=data.CASE_ID, tiles="amap"))
    v1 = venues.set_index(schema.VENUE_ID).loc["v1"]
    lon, lat = wgs84_to_gcj02(v1[schema.LON], v1[schema.LAT])
    first = polyline_points(page)[0]
    assert first == pytest.approx([lat, lon], abs=1e-9)
    # GCJ-02 plots about 600 m south-east of true at Luxi (DOMAIN 8).
    assert first[0] < v1[schema.LAT] and first[1] > v1[schema.LON]


def test_gcj02_intranet_tiles_shift_polygons():
    m = base_map(tile_source("http://10.0.0.1/{z}/{x}/{y}.png", frame="GCJ-02"))
    assert map_frame(m) == "GCJ-02"
    areas = data.areas()
    page = page_of(risk_area_map(areas, m=m))
    x, y = areas.geometry.iloc[1].exterior.coords[0]
    lon, lat = wgs84_to_gcj02(x, y)
    assert f"[{round(lon, 6)}, {round(lat, 6)}]" in page  # GeoJSON order: lon, lat
    assert f"[{round(x, 6)}, {round(y, 6)}]" not in page


# --- labels and escaping --------------------------------------------------------------

def test_labels_are_chinese_by_default_and_english_on_request():
    zh, en = page_of(all_kinds()), page_of(all_kinds(lang="en"))
    for word in ("涉疫场所", "风险区", "疫情回放", "暴露人数（按场所所在乡镇）", "病例轨迹"):
        assert has_text(zh, word) and not has_text(en, word)
    for word in ("Exposure venues", "Risk areas", "Outbreak replay",
                 "People exposed (by township of the venue)"):
        assert has_text(en, word) and not has_text(zh, word)


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match=r"lang='fr' is not a label language"):
        venue_map(data.exposures(), data.venues(), lang="fr")


def test_registration_text_is_escaped_in_every_kind():
    page = page_of(all_kinds())
    assert data.XSS_NAME not in page
    assert "<script>alert(3)" not in page
    assert escape_text(data.XSS_NAME) in page
    assert "`${alert(2)}`" not in page and "${alert" not in page
    assert escape_text(data.LITERAL_NAME) in page


def test_escape_text_is_reversible_by_the_browser():
    import html

    for text in (data.XSS_NAME, data.LITERAL_NAME, "面馆 & 茶楼 \"老字号\" 'x'"):
        assert html.unescape(escape_text(text)) == text


def test_no_personal_data_on_any_map():
    page = page_of(all_kinds())
    for secret in (data.OWNER_NAME, data.PHONE, data.RESIDENT_ID, data.CASE_ID, *data.CONTACTS):
        assert secret not in page
    assert "ca********17" in page  # the case, masked


# --- trajectory -----------------------------------------------------------------------

def test_trajectory_numbers_stops_in_time_order():
    venues = data.venues().set_index(schema.VENUE_ID)
    page = page_of(trajectory_map(data.visits(), data.venues(), case_id=data.CASE_ID))
    assert class_count(page, "tl-stop") == 4
    assert class_count(page, "tl-track") == 1
    expected = [[float(venues.loc[v, schema.LAT]), float(venues.loc[v, schema.LON])]
                for v in ("v1", "v2", "v3", "v5")]
    assert np.allclose(polyline_points(page), expected)
    for n in range(1, 5):
        assert f"第{n}站" in page
    assert "第5站" not in page
    assert local_time(pd.Timestamp("2022-11-01T02:00Z")) + " – 11-01 11:00" in page


def test_trajectory_from_scans():
    scans = data.visits().rename(columns={schema.T_IN: schema.SCANNED_AT}).drop(
        columns=schema.T_OUT)
    page = page_of(trajectory_map(scans, data.venues(), case_id=data.CASE_ID, lang="en"))
    assert class_count(page, "tl-stop") == 4
    assert "Stop 4" in page


def test_trajectory_does_not_change_its_inputs():
    visits, venues = data.visits(), data.venues()
    before_v, before_p = visits.copy(), venues.copy()
    trajectory_map(visits, venues, case_id=data.CASE_ID)
    pd.testing.assert_frame_equal(visits, before_v)
    pd.testing.assert_frame_equal(venues, before_p)


@pytest.mark.parametrize(("change", "match"), [
    (lambda v: v, "holds 2 people; pass case_id="),
    (lambda v: v.drop(columns=schema.T_IN), "needs 't_in'"),
    (lambda v: v.drop(columns=schema.VENUE_ID), r"lacks column\(s\) \['venue_id'\]"),
    (lambda v: v.assign(**{schema.T_IN: v[schema.T_IN].dt.tz_localize(None)}), "no time zone"),
])
def test_trajectory_input_errors(change, match):
    visits = change(data.visits())
    case_id = None if "people" in match else data.CASE_ID
    with pytest.raises(ValueError, match=match):
        trajectory_map(visits, data.venues(), case_id=case_id)


def test_trajectory_of_an_unknown_case_masks_the_id():
    with pytest.raises(ValueError, match=r"case_id='ze\*+99' has no rows"):
        trajectory_map(data.visits(), data.venues(), case_id="zero-00099")


def test_visits_at_unknown_or_unplaced_venues_are_refused():
    venues = data.venues()
    with pytest.raises(ValueError, match=r"1 venue\(s\) not in venues: \['v5'\]"):
        trajectory_map(data.visits(), venues[venues[schema.VENUE_ID] != "v5"],
                       case_id=data.CASE_ID)
    unplaced = venues.assign(**{schema.LON: venues[schema.LON].where(
        venues[schema.VENUE_ID] != "v3")})
    with pytest.raises(ValueError, match=r"venues \['v3'\] have no lon/lat"):
        trajectory_map(data.visits(), unplaced, case_id=data.CASE_ID)


# --- exposure venues ------------------------------------------------------------------

def test_people_exposed_per_venue_and_tier():
    out = exposed_per_venue(data.exposures())
    assert out[schema.VENUE_ID].tolist() == ["v1", "v3", "v2", "v5"]
    assert out["exposed"].tolist() == [3, 2, 1, 1]
    assert out[TIER].tolist() == ["call_today", "within_24h", "monitor", "monitor"]


def test_venue_circles_sized_by_exposed_and_coloured_by_tier():
    page = page_of(venue_map(data.exposures(), data.venues()))
    circles = points_of(page)
    assert len(circles) == 4
    radii = [c["r"] for c in circles]
    assert radii == sorted(radii, reverse=True) and radii[0] == pytest.approx(24.0)
    assert radii[2] == radii[3] < radii[1]
    assert [c["c"] for c in circles] == ["#c0392b", "#e67e22", "#2874a6", "#2874a6"]
    assert has_text(page, "今日联系")  # the tier legend


def test_venue_circles_coloured_by_count_without_tiers():
    page = page_of(venue_map(data.exposures(tiers=False), data.venues()))
    circles = points_of(page)
    assert len(circles) == 4
    assert not has_text(page, "今日联系")
    assert len({c["c"] for c in circles}) == 3  # three distinct counts: 3, 2, 1
    assert circles[2]["c"] == circles[3]["c"]


def test_empty_exposures_draw_no_venue():
    page = page_of(venue_map(data.exposures().iloc[:0], data.venues()))
    assert points_of(page) == []
    assert_offline(page)


def test_unknown_tier_is_refused():
    exposures = data.exposures().assign(**{TIER: "urgent"})
    with pytest.raises(ValueError, match=r"value\(s\) \['urgent'\] outside tier_order"):
        venue_map(exposures, data.venues())
    page = page_of(venue_map(exposures, data.venues(), tier_order=["urgent"]))
    assert {c["c"] for c in points_of(page)} == {"#c0392b"}


# --- risk areas and townships ---------------------------------------------------------

def test_risk_areas_drawn_by_level_high_on_top():
    page = page_of(risk_area_map(data.areas(), lang="en"))
    for level in ("high", "medium", "low"):
        assert class_count(page, f"tl-risk tl-risk-{level}") == 1
    assert page.index("tl-risk-high") > page.index("tl-risk-medium") > page.index("tl-risk-low")
    assert "Lifts on: 2022-11-10" in page and "Lifts on: not set" in page
    assert "Designated on: 2022-11-03" in page


def test_lifted_areas_are_grey_and_underneath():
    areas = data.areas().assign(status=["active", "lifted", "active"])
    page = page_of(risk_area_map(areas, lang="en"))
    assert class_count(page, "tl-risk tl-risk-lifted") == 1
    assert class_count(page, "tl-risk tl-risk-high") == 0
    assert page.index("tl-risk-lifted") < page.index("tl-risk-low")
    assert "High-risk area (Lifted)" in page


@pytest.mark.parametrize(("change", "exc", "match"), [
    (lambda a: a.assign(**{LEVEL: ["low", "severe", "medium"]}), ValueError,
     r"value\(s\) \['severe'\]"),
    (lambda a: a.drop(columns="lifts_on"), ValueError, r"lacks column\(s\) \['lifts_on'\]"),
    (lambda a: a.set_crs(None, allow_override=True), ValueError, "has no CRS"),
    (lambda a: pd.DataFrame(a), TypeError, "must be a GeoDataFrame"),
    (lambda a: a.set_geometry([LineString([(0, 0), (1, 1)])] * 3), ValueError,
     "LineString cannot be drawn"),
])
def test_risk_area_errors(change, exc, match):
    with pytest.raises(exc, match=match):
        risk_area_map(change(data.areas()))


def test_risk_areas_in_another_crs_are_reprojected():
    areas = data.areas()
    page = page_of(risk_area_map(areas.to_crs("EPSG:4547")))
    x, y = areas.geometry.iloc[1].exterior.coords[0]
    pairs = np.array([[float(a), float(b)] for a, b in
                      re.findall(r"\[(11\d\.\d+), (2\d\.\d+)\]", page)])
    assert np.isclose(pairs, [x, y], atol=1e-6).all(axis=1).any()


def test_contacts_per_township_by_hand():
    t = data.townships()
    out = contacts_per_township(data.exposures(), data.venues(), t)
    assert out[schema.TOWNSHIP_CODE].tolist() == t[schema.TOWNSHIP_CODE].tolist()
    # township 0: v1 (101, 102, 103) and v2 (105); township 1: v3 (104, 105); 2: v5 (102)
    assert out["contacts"].tolist()[:3] == [4, 2, 1]
    assert out["contacts"].sum() == 7


def test_township_choropleth_and_outlines():
    page = page_of(township_map(data.townships(), data.exposures(), data.venues()))
    assert class_count(page, "tl-choropleth") == 11
    assert class_count(page, "tl-township") == 11
    assert class_count(page, "tl-county") == 1
    assert has_text(page, "芦溪镇")


def test_township_map_argument_errors():
    with pytest.raises(ValueError, match="needs both exposures and venues"):
        township_map(data.townships(), data.exposures())
    venues = data.venues().assign(**{schema.TOWNSHIP_CODE: "999999999"})
    with pytest.raises(ValueError, match=r"township code\(s\) \['999999999'\]"):
        township_map(data.townships(), data.exposures(), venues)


def test_outlines_are_the_base_layer_when_given():
    page = page_of(venue_map(data.exposures(), data.venues(), townships=data.townships()))
    assert "L.tileLayer(" not in page
    assert class_count(page, "tl-township") == 11


def test_close_contacts_by_township_of_residence_and_of_venue():
    t, close = data.townships(), schema.CLOSE_CONTACT
    by_home = contacts_per_township(data.exposures(), data.venues(), t, persons=data.persons(),
                                    category=close)
    # close contacts: 101 (lives in 0), 102 (lives in 2), 104 (lives outside the county)
    assert by_home["contacts"].tolist()[:3] == [1, 0, 1] and by_home["contacts"].sum() == 2
    assert by_home.attrs == {"basis": "residence", "category": close, "unplaced": 1}
    everyone = contacts_per_township(data.exposures(), data.venues(), t, persons=data.persons())
    assert everyone["contacts"].tolist()[:3] == [1, 1, 1] and everyone.attrs["unplaced"] == 2
    by_venue = contacts_per_township(data.exposures(), data.venues(), t, category=close)
    # close rows: 101 and 102 at v1 (township 0), 104 at v3 (township 1)
    assert by_venue["contacts"].tolist()[:3] == [2, 1, 0]
    assert by_venue.attrs == {"basis": "venue", "category": close, "unplaced": 0}


def test_residence_from_the_home_venue_when_persons_have_no_township():
    homes = data.persons().drop(columns=schema.TOWNSHIP_CODE).assign(
        **{schema.HOME_VENUE_ID: ["v3", "v5", "v1", "v6"]})
    out = contacts_per_township(data.exposures(), data.venues(), data.townships(), persons=homes)
    # 103 at v1 (township 0), 101 at v3 (1), 102 at v5 and 104 at v6 (2); 105 unknown
    assert out["contacts"].tolist()[:3] == [1, 1, 2] and out.attrs["unplaced"] == 1
    with pytest.raises(ValueError, match="persons needs 'township_code' or 'home_venue_id'"):
        contacts_per_township(data.exposures(), data.venues(), data.townships(),
                              persons=homes.drop(columns=schema.HOME_VENUE_ID))


def test_township_layer_says_what_it_counts_and_by_which_township():
    args = (data.townships(), data.exposures(), data.venues())
    page = page_of(township_map(*args, persons=data.persons(), category=schema.CLOSE_CONTACT))
    assert has_text(page, "密接人数（按居住乡镇）") and has_text(page, "另有1人居住地不在图中乡镇或不详")
    page = page_of(township_map(*args, category=schema.CLOSE_CONTACT, lang="en"))
    assert has_text(page, "Close contacts (by township of the venue)")
    assert "data-lo=" in page and "tl-township-labels" in page


def test_a_county_outline_among_the_townships_is_not_drawn_as_a_township():
    t = data.townships()
    county = t.iloc[:1].assign(**{schema.TOWNSHIP_CODE: "360323", schema.TOWNSHIP: "全县"})
    county = county.set_geometry([t.geometry.union_all()], crs=t.crs)
    both = pd.concat([t, county], ignore_index=True)
    page = page_of(township_map(both, data.exposures(), data.venues()))
    assert class_count(page, "tl-choropleth") == 11 and class_count(page, "tl-county") == 1
    assert not has_text(page, "全县")
    out = contacts_per_township(data.exposures(), data.venues(), both)
    assert len(out) == 11 and "360323" not in set(out[schema.TOWNSHIP_CODE])


def test_overlapping_townships_are_refused():
    t = data.townships()
    grown = t.set_geometry([t.geometry.iloc[0].buffer(0.02)] + list(t.geometry.iloc[1:]),
                           crs=t.crs)
    with pytest.raises(ValueError, match=r"overlap by \d+% of the smaller one"):
        township_map(grown)


def test_the_sample_townships_do_not_overlap():
    from tracelab.maps.base import check_townships

    t = check_townships(data.townships())
    shapes = t.to_crs(t.estimate_utm_crs()).geometry.tolist()
    for i, a in enumerate(shapes):
        for b in shapes[i + 1:]:
            assert a.intersection(b).area < 1.0  # square metres: shared borders only


@pytest.mark.parametrize("seed", range(20))
def test_every_count_falls_in_the_legend_row_of_its_colour(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, rng.choice([2, 10, 3000]), size=rng.integers(1, 30))
    counts[rng.integers(0, len(counts))] = 0
    colours, ranges = township_classes(counts)
    rows = {colour: (lo, hi) for colour, lo, hi in ranges}
    assert len(rows) == len(ranges)  # one row per colour
    for n, colour in zip(counts, colours, strict=True):
        lo, hi = rows[colour]
        assert lo <= n <= hi
    assert max(rows) == (len(CHOROPLETH_COLOURS) - 1 if counts.max() > 0 else 0)
    lows = [lo for _, lo, _ in ranges]
    assert lows == sorted(lows) and [hi + 1 for _, _, hi in ranges[:-1]] == lows[1:]


def test_ranked_venues_carry_their_number_and_come_first():
    page = page_of(venue_map(data.exposures(), data.venues(), ranks={"v5": 1, "v3": 2}))
    points = points_of(page)
    assert [(p["v"], p["k"]) for p in points] == [("v5", 1), ("v3", 2), ("v1", 0), ("v2", 0)]
    assert points[0]["t"].startswith("1. ") and "重点场所第1名" in points[0]["p"]
    with pytest.raises(ValueError, match="ranks are positive integers"):
        venue_map(data.exposures(), data.venues(), ranks={"v5": 0})


def test_clustering_can_be_turned_off():
    on = re.search(r'"cell": (\d+)', page_of(venue_map(data.exposures(), data.venues())))
    off = re.search(r'"cell": (\d+)', page_of(venue_map(data.exposures(), data.venues(),
                                                         cluster=False)))
    assert int(on.group(1)) > 0 and int(off.group(1)) == 0


def test_risk_area_radius_is_the_farthest_boundary_point_in_metres():
    radii = area_radii(data.areas())
    # the high area is a box of 0.008 x 0.006 degrees: half its diagonal, ~0.4 x ~0.33 km
    assert 480 < radii["radius_m"].iloc[1] < 560
    page = page_of(risk_area_map(data.areas()))
    marks = points_of(page, "tl-risk-marks")
    assert [m["l"] for m in marks] == ["medium", "high"]
    assert marks[1]["m"] == round(radii["radius_m"].iloc[1])
    assert f"半径约{marks[1]['m']:,}米" in marks[1]["t"]
    assert points_of(page_of(risk_area_map(data.areas(), min_px=0)), "tl-risk-marks") == []


def style_of(page: str, class_name: str) -> dict:
    """The style folium writes for the GeoJson layer of class `class_name`."""
    match = re.search(r'return (\{[^{}]*\});(?:(?!return \{).)*?"className": "' + class_name
                      + '"', page, re.S)
    assert match, f"no layer of class {class_name}"
    return json.loads(match.group(1))


def test_the_low_area_can_be_an_outline_that_covers_nothing():
    assert style_of(page_of(risk_area_map(data.areas())), "tl-risk tl-risk-low")["fillOpacity"] > 0
    low = style_of(page_of(risk_area_map(data.areas(), low_fill=False)), "tl-risk tl-risk-low")
    assert low["fill"] is False and "fillOpacity" not in low


# --- heat and replay ------------------------------------------------------------------

def test_heat_layer_weights_venues_by_people_exposed():
    page = page_of(heat_map(data.exposures(), data.venues()))
    match = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", page, re.DOTALL)
    weights = sorted(p[2] for p in json.loads(match.group(1)))
    assert weights == pytest.approx([1 / 3, 1 / 3, 2 / 3, 1.0], abs=1e-4)


def test_exposures_by_day_uses_local_days():
    out = exposures_by_day(data.exposures())
    assert out["day"].tolist() == ["2022-11-01", "2022-11-01", "2022-11-02", "2022-11-03"]
    assert out[schema.VENUE_ID].tolist() == ["v1", "v2", "v3", "v5"]
    assert out["exposed"].tolist() == [3, 1, 2, 1]


def test_replay_steps_through_every_day():
    exposures = data.exposures()
    exposures.loc[6, schema.OVERLAP_START] = pd.Timestamp("2022-11-05T01:00Z")
    page = page_of(replay_map(exposures, data.venues()))
    assert '["2022-11-01", "2022-11-02", "2022-11-03", "2022-11-04", "2022-11-05"]' in page
    assert page.count("tl-slider") == 1


@pytest.mark.parametrize(("exposures", "kwargs", "match"), [
    (data.exposures().iloc[:0], {}, "nothing to replay"),
    (data.exposures().assign(**{schema.OVERLAP_START: pd.Timestamp("2022-11-01")}), {},
     "no time zone"),
    (data.exposures(), {"interval_ms": 0}, "positive number"),
])
def test_replay_errors(exposures, kwargs, match):
    with pytest.raises(ValueError, match=match):
        replay_map(exposures, data.venues(), **kwargs)


# --- layering -------------------------------------------------------------------------

def test_all_kinds_on_one_map_keep_one_layer_control_and_one_outline():
    m = all_kinds()
    controls = [c for c in m._children.values() if isinstance(c, folium.LayerControl)]
    assert len(controls) == 1
    assert list(m._children.values())[-1] is controls[0]
    page = page_of(m)
    assert class_count(page, "tl-county") == 1
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert len(groups) == 7  # outlines, choropleth, trajectory, venues, risk, heat, replay
    for group in groups:
        assert group.layer_name in controls[0].overlays


def test_pages_hold_no_nan():
    page = page_of(all_kinds())
    assert "NaN" not in re.sub(r"<script>/\*.*?</script>", "", page, flags=re.DOTALL)


@pytest.mark.parametrize("kind", ["trajectory", "venues", "risk", "townships", "heat", "replay"])
def test_map_kinds_do_not_change_their_inputs(kind):
    frames = {"visits": data.visits(), "venues": data.venues(), "exposures": data.exposures(),
              "areas": data.areas(), "townships": data.townships()}
    before = {name: frame.copy() for name, frame in frames.items()}
    draw = {
        "trajectory": lambda f: trajectory_map(f["visits"], f["venues"], case_id=data.CASE_ID),
        "venues": lambda f: venue_map(f["exposures"], f["venues"], townships=f["townships"]),
        "risk": lambda f: risk_area_map(f["areas"]),
        "townships": lambda f: township_map(f["townships"], f["exposures"], f["venues"]),
        "heat": lambda f: heat_map(f["exposures"], f["venues"]),
        "replay": lambda f: replay_map(f["exposures"], f["venues"]),
    }[kind]
    draw(frames)
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_frames_of_the_wrong_type_are_refused():
    with pytest.raises(TypeError, match="exposures must be a pandas DataFrame, got list"):
        venue_map([("p1", "v1")], data.venues())


def test_contacts_at_unknown_venues_are_refused():
    venues = data.venues()
    with pytest.raises(ValueError, match=r"1 venue\(s\) not in venues: \['v5'\]"):
        contacts_per_township(data.exposures(), venues[venues[schema.VENUE_ID] != "v5"],
                              data.townships())


def test_an_area_without_geometry_is_refused():
    areas = data.areas()
    areas.loc[1, "geometry"] = None
    with pytest.raises(ValueError, match="geometry of type empty cannot be drawn"):
        risk_area_map(areas)


def test_offline_keeps_what_the_old_figure_held():
    m = folium.Map(tiles=None)
    m.get_root().header.add_child(folium.Element("<style>.x-mark{color:red}</style>"), name="x")
    page = page_of(offline(m))
    assert ".x-mark{color:red}" in page


def test_base_map_draws_township_outlines_as_its_base():
    page = page_of(base_map(townships=data.townships()))
    assert class_count(page, "tl-township") == 11 and class_count(page, "tl-county") == 1
    assert "fitBounds" in page and "L.tileLayer(" not in page


def test_amap_shifts_every_point_layer():
    venues = data.venues().set_index(schema.VENUE_ID)
    lon, lat = wgs84_to_gcj02(venues.loc["v1", schema.LON], venues.loc["v1", schema.LAT])
    page = page_of(venue_map(data.exposures(), data.venues(), tiles="amap"))
    first = points_of(page)[0]
    assert (first["lat"], first["lon"]) == pytest.approx((lat, lon), abs=1e-6)
    page = page_of(heat_map(data.exposures(), data.venues(), tiles="amap"))
    assert f"[{round(lat, 6)}, {round(lon, 6)}, 1.0]" in page
    page = page_of(replay_map(data.exposures(), data.venues(), tiles="amap"))
    assert f"[{round(lat, 6)}, {round(lon, 6)}, " in page
    intranet = tile_source("http://10.0.0.1/{z}/{x}/{y}.png", frame="GCJ-02")
    page = page_of(venue_map(data.exposures(), data.venues(), tiles=intranet))
    first = points_of(page)[0]
    assert (first["lat"], first["lon"]) == pytest.approx((lat, lon), abs=1e-6)


def test_tiers_from_a_contact_table():
    exposures = data.exposures()
    ranked = (exposures[[schema.CONTACT_ID, TIER]].sort_values(TIER)
              .drop_duplicates(schema.CONTACT_ID))  # call_today < monitor < within_24h
    out = exposed_per_venue(exposures.drop(columns=TIER), contact_tiers=ranked)
    # v1: 101, 102 (call today), 103; v3: 104 (24 h), 105; v2: 105; v5: 102 (call today)
    assert out[TIER].tolist() == ["call_today", "within_24h", "monitor", "call_today"]
    page = page_of(venue_map(exposures.drop(columns=TIER), data.venues(), contact_tiers=ranked))
    assert [c["c"] for c in points_of(page)][0] == "#c0392b"


@pytest.mark.parametrize(("with_column", "tiers", "match"), [
    (True, None, "pass either it or contact_tiers"),
    (False, "twice", r"lists 1 contact\(s\) twice"),
    (False, "short", r"lacks 1 contact\(s\) of exposures, e.g. 'p-\*+05'"),
])
def test_contact_tier_errors(with_column, tiers, match):
    exposures = data.exposures() if with_column else data.exposures().drop(columns=TIER)
    ranked = pd.DataFrame({schema.CONTACT_ID: data.CONTACTS, TIER: "monitor"})
    if tiers == "twice":
        ranked = pd.concat([ranked, ranked.iloc[:1]])
    elif tiers == "short":
        ranked = ranked.iloc[:4]
    with pytest.raises(ValueError, match=match):
        exposed_per_venue(exposures, contact_tiers=ranked)


def test_person_ids_are_masked_and_escaped_in_layer_names():
    visits = data.visits().assign(**{schema.PERSON_ID: "<b>case-0001</b>"})
    page = page_of(trajectory_map(visits, data.venues()))
    assert "case-0001" not in page
    assert has_text(page, "&lt;b************b&gt;")
    assert not has_text(page, "<b************b>")
