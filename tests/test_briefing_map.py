"""The briefing's map of the sample county tells the truth (issue 21, item 1).

No township polygon covers another and the county is an outline only; the colour drawn
for every township is the legend's colour for its count, and the count says what it
counts; every layer's tooltip can be reached; ranked venues carry the numbers of the
重点场所 table; venues cluster at county zoom; small risk areas are marked at a minimum
size with their true radius; the page is offline and small.
"""

from __future__ import annotations

import dataclasses
import re
import types
from pathlib import Path

import pytest

from tracelab.briefing import briefing_map, load_briefing, map_page, write_briefing
from tracelab.briefing.build import folder_extras
from tracelab.briefing.render import TOP_VENUES, _venue_rows
from tracelab.maps import (
    CHOROPLETH_COLOURS,
    MIN_MARK_PX,
    SPLIT_ZOOM,
    area_radii,
    assert_offline,
    contacts_per_township,
    township_classes,
)
from tracelab.maps.base import check_townships
from tracelab.model import schema as s
from tracelab.privacy import DEMO_KEY, pseudonymise

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ARTIFACTS = Path(__file__).parent / "artifacts"
#: The page's Leaflet map (folium names it map_<id>).
MAP = "window[Object.keys(window).find(k => /^map_/.test(k) && window[k] instanceof L.Map)]"
@pytest.fixture(scope="module")
def b():
    return load_briefing(SAMPLE, key=DEMO_KEY)


@pytest.fixture(scope="module")
def persons():
    """The sample's residences as the briefing reads them: id, home venue, township."""
    return pseudonymise(folder_extras(SAMPLE)["persons"], None, DEMO_KEY)


@pytest.fixture(scope="module")
def resident(b, persons):
    """The briefing with the residences read here (what build_briefing keeps)."""
    return dataclasses.replace(b, persons=persons)


@pytest.fixture(scope="module")
def page_file(resident, tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "map.html"
    path.write_text(map_page(resident), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def written(b, tmp_path_factory):
    """The sample briefing written once: the page with the map in its iframe."""
    return write_briefing(b, tmp_path_factory.mktemp("brief") / "briefing.html")["html"]


def _townships(b):
    return check_townships(b.townships)


# --- in Python ----------------------------------------------------------------------------

def test_the_county_row_of_the_sample_is_no_township_and_townships_do_not_overlap(b):
    assert len(b.townships) == 12  # the sample's townships.geojson ships the county too
    drawn = _townships(b)
    assert len(drawn) == 11 and s.TOWNSHIP_CODE in drawn
    assert not set(drawn[s.TOWNSHIP_CODE]) - set(b.venues[s.TOWNSHIP_CODE])
    shapes = drawn.to_crs(drawn.estimate_utm_crs()).geometry.tolist()
    overlaps = [a.intersection(c).area for i, a in enumerate(shapes) for c in shapes[i + 1:]]
    assert max(overlaps) < 1.0  # square metres: neighbours share a border, nothing more


def test_the_map_counts_close_contacts_by_residence(resident, persons):
    page = map_page(resident)
    assert "密接人数（按居住乡镇）" in page and "按场所所在乡镇" not in page
    counts = contacts_per_township(resident.exposures, resident.venues, resident.townships,
                                   persons=persons, category=s.CLOSE_CONTACT)
    close = resident.exposures.loc[resident.exposures[s.CATEGORY] == s.CLOSE_CONTACT,
                                   s.CONTACT_ID].nunique()
    assert counts["contacts"].sum() + counts.attrs["unplaced"] == close == 1012
    assert len(counts) == 11


def test_without_residences_the_map_counts_by_the_venue_township(b):
    fields = {f.name: getattr(b, f.name) for f in dataclasses.fields(b)} | {"persons": None}
    page = map_page(types.SimpleNamespace(**fields))
    assert "密接人数（按场所所在乡镇）" in page and "按居住乡镇" not in page
    english = map_page(types.SimpleNamespace(**fields), lang="en")
    assert "Close contacts (by township of the venue)" in english


def test_the_sample_briefing_carries_residences(b):
    assert "密接人数（按居住乡镇）" in map_page(b)


def test_the_map_is_offline_deterministic_and_the_briefing_small(resident, page_file, written):
    page = map_page(resident)
    assert_offline(page)
    assert page.encode("utf-8") == page_file.read_bytes()
    assert written.stat().st_size < 5 * 1024 * 1024


def test_ranked_venues_on_the_map_are_the_tables(b):
    rows = _venue_rows(b, "zh")
    assert len(rows) == TOP_VENUES
    m = briefing_map(b)
    data = re.search(r"/\* tl-call tl-venues \*/ var data = (\[.*?\]);\n",
                     m.get_root().render()).group(1)
    import json

    ranks = {p["v"]: p["k"] for p in json.loads(data) if p["k"]}
    assert ranks == {r["venue_id"]: r["rank"] for r in rows}


# --- in the browser -------------------------------------------------------------------------

def _open(page, path: Path):
    page.set_viewport_size({"width": 1100, "height": 800})
    page.goto(path.as_uri())
    page.wait_for_selector(".tl-label", state="attached")
    page.wait_for_timeout(200)  # the refit on load
    return page


def _clean(page) -> None:
    page.wait_for_timeout(100)
    assert page.failed_requests == []
    assert page.page_errors == []


def _toggle(page, name: str) -> None:
    page.locator(".leaflet-control-layers-overlays label", has_text=name).click()


# folium binds a GeoJson layer's tooltip to the group around its paths.
_TIP_OF = """function tipOf(l) {
  const own = l.getTooltip && l.getTooltip();
  if (own) return own.getContent();
  const up = Object.values(l._eventParents || {}).map(p => p.getTooltip && p.getTooltip())
    .find(Boolean);
  return up ? up.getContent() : null;
}"""

_TOWNSHIPS_JS = """() => {
  """ + _TIP_OF + """
  const out = [];
  $MAP.eachLayer(l => {
    if (l.options && l.options.className === "tl-choropleth" && l._path) {
      out.push({fill: l._path.getAttribute("fill"), tip: tipOf(l),
                geo: l.toGeoJSON().geometry});
    }
  });
  return out;
}""".replace("$MAP", MAP)


@pytest.mark.browser
def test_every_township_is_drawn_in_its_legend_colour(browser_page, page_file, resident,
                                                      persons):
    page = _open(browser_page, page_file)
    drawn = page.evaluate(_TOWNSHIPS_JS)
    assert len(drawn) == 11
    legend = page.locator(".tl-legend-item[data-lo]").evaluate_all(
        "items => items.map(i => [+i.dataset.lo, +i.dataset.hi, i.dataset.colour])")
    counts = contacts_per_township(resident.exposures, resident.venues, resident.townships,
                                   persons=persons, category=s.CLOSE_CONTACT)
    expected = dict(zip(counts[s.TOWNSHIP], counts["contacts"], strict=True))
    for township in drawn:
        name = re.search(r"<b>(.*?)</b>", township["tip"]).group(1)
        n = int(re.search(r":\s*([\d,]+)\s*(?:<|$)", township["tip"]).group(1).replace(",", ""))
        assert n == expected[name]
        rows = [colour for lo, hi, colour in legend if lo <= n <= hi]
        assert rows == [township["fill"]], (name, n)
    # the legend's colours are the choropleth's, one row per colour used
    assert {c for _, _, c in legend} <= set(CHOROPLETH_COLOURS)
    colours, _ = township_classes(counts["contacts"])
    assert len({d["fill"] for d in drawn}) == len(set(colours.tolist()))
    _clean(page)


@pytest.mark.browser
def test_no_township_polygon_covers_another(browser_page, page_file):
    import shapely
    from shapely.geometry import shape

    page = _open(browser_page, page_file)
    shapes = [shape(t["geo"]) for t in page.evaluate(_TOWNSHIPS_JS)]
    area = shapely.union_all(shapes).area
    assert sum(p.area for p in shapes) == pytest.approx(area, rel=1e-6)
    for i, a in enumerate(shapes):
        for c in shapes[i + 1:]:
            assert a.intersection(c).area < 1e-6 * area
    # the county is an outline: no fill, and it takes no pointer events
    county = page.locator("path.tl-county")
    assert county.count() == 1 and county.get_attribute("fill") == "none"
    assert "leaflet-interactive" not in county.get_attribute("class")
    low = page.locator("path.tl-risk-low")
    assert low.count() == 1 and low.get_attribute("fill") == "none"
    _clean(page)


_HIT_JS = """([x, y]) => {
  """ + _TIP_OF + """
  const e = document.elementFromPoint(x, y);
  let tip = null;
  $MAP.eachLayer(l => { if (l._path === e) tip = tipOf(l); });
  return {cls: e.getAttribute("class") || "", tip: tip};
}""".replace("$MAP", MAP)


@pytest.mark.browser
def test_at_each_label_the_mouse_reaches_that_township(browser_page, page_file):
    page = _open(browser_page, page_file)
    labels = page.locator(".tl-label")
    assert labels.count() == 11
    names = [t.splitlines()[0] for t in labels.all_inner_texts()]
    corners = labels.evaluate_all(
        "ls => ls.map(l => { const r = l.getBoundingClientRect(); return [r.left, r.top]; })")
    _toggle(page, "涉疫场所")  # point layers over the polygons are not what this checks
    for name, point in zip(names, corners, strict=True):
        hit = page.evaluate(_HIT_JS, point)
        # the low-risk area and the county never cover a township; a risk mark may
        assert "tl-choropleth" in hit["cls"] or "tl-risk-mark" in hit["cls"], (name, hit)
    _toggle(page, "风险区")
    for name, point in zip(names, corners, strict=True):
        hit = page.evaluate(_HIT_JS, point)
        assert "tl-choropleth" in hit["cls"] and f"<b>{name}</b>" in hit["tip"], (name, hit)
    page.mouse.move(*corners[0])
    tip = page.locator(".leaflet-tooltip").last.inner_text()
    assert names[0] in tip and "密接人数（按居住乡镇）" in tip
    _clean(page)


@pytest.mark.browser
def test_venues_cluster_at_county_zoom_and_carry_the_tables_ranks(browser_page, page_file, b):
    page = _open(browser_page, page_file)
    n_venues = b.exposures[s.VENUE_ID].nunique()
    shown = page.evaluate("""() => ({
        single: document.querySelectorAll('path.tl-venue, .tl-venue-rank').length,
        clustered: [...document.querySelectorAll('.tl-cluster-n')].map(e => +e.textContent),
        ranks: [...document.querySelectorAll('.tl-rank')].map(e => +e.dataset.rank).concat(
            [...document.querySelectorAll('.tl-cluster-ranks')].flatMap(
                e => e.dataset.ranks.split(' ').map(Number)))})""")
    assert shown["clustered"] and min(shown["clustered"]) >= 2
    assert shown["single"] + sum(shown["clustered"]) == n_venues
    table = {r["venue_id"]: str(r["rank"]) for r in _venue_rows(b, "zh")}
    assert sorted(shown["ranks"]) == sorted(int(k) for k in table.values())
    first = page.locator(".tl-cluster").first
    first.hover()
    tip = page.locator(".leaflet-tooltip").last.inner_text()
    n = first.locator(".tl-cluster-n").inner_text()
    assert tip.startswith(f"{n}个涉疫场所") and tip.endswith("；点击放大"), tip
    page.evaluate(f"z => {MAP}.setZoom(z, {{animate: false}})", SPLIT_ZOOM)
    assert page.locator(".tl-cluster").count() == 0
    badges = page.locator(".tl-rank")
    on_map = dict(zip(badges.evaluate_all("bs => bs.map(b => b.dataset.venue)"),
                      badges.all_inner_texts(), strict=True))
    assert on_map == table
    _clean(page)


@pytest.mark.browser
def test_small_risk_areas_are_marked_with_their_true_radius(browser_page, page_file, b):
    page = _open(browser_page, page_file)
    active = b.areas[(b.areas[s.LEVEL] != "low") & (b.areas[s.STATUS] != "lifted")]
    marks = page.locator("path.tl-risk-mark")
    assert marks.count() == len(active) == 14
    widths = marks.evaluate_all("ms => ms.map(m => m.getBBox().width)")
    assert min(widths) >= 2 * MIN_MARK_PX - 0.5
    tips = page.evaluate("""() => { const out = [];
        $MAP.eachLayer(l => { if (l.options && /tl-risk-mark/.test(l.options.className))
            out.push(l.getTooltip().getContent()); }); return out; }""".replace("$MAP", MAP))
    metres = sorted(int(round(r)) for r in area_radii(active)["radius_m"])
    stated = sorted(int(re.search(r"半径约([\d,]+)米", t).group(1).replace(",", "")) for t in tips)
    assert stated == metres and 50 <= metres[0] <= 70
    high = page.locator("path.tl-risk-mark-high").last
    high.hover()
    assert "半径约" in page.locator(".leaflet-tooltip").last.inner_text()
    _clean(page)


@pytest.mark.browser
def test_the_briefing_page_shows_the_map_offline(browser_page, written):
    browser_page.set_viewport_size({"width": 1100, "height": 900})
    browser_page.goto(written.as_uri())
    frame = browser_page.frame_locator("iframe.tl-map")
    frame.locator(".tl-label").first.wait_for(state="attached")
    rows = browser_page.locator("tr.tl-top-venue")
    table = dict(zip(rows.evaluate_all("rs => rs.map(r => r.dataset.venue)"),
                     [t.strip() for t in rows.locator("td:first-child").all_inner_texts()],
                     strict=True))
    ARTIFACTS.mkdir(exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / "briefing_map.png"), full_page=True)
    inner = next(f for f in browser_page.frames if f != browser_page.main_frame)
    inner.evaluate(f"z => {MAP}.setZoom(z, {{animate: false}})", SPLIT_ZOOM)
    badges = frame.locator(".tl-rank")
    on_map = dict(zip(badges.evaluate_all("bs => bs.map(b => b.dataset.venue)"),
                      badges.all_inner_texts(), strict=True))
    assert on_map == table and len(table) == TOP_VENUES
    _clean(browser_page)

