"""Each map kind opened in headless Debian Chromium with the network blocked.

Every test checks that the page made no network request, raised no script error and
fired no dialog, counts what Leaflet drew against the data, and saves a screenshot
under tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("folium")

from tests import test_maps_data as data  # noqa: E402
from tracelab.maps import (  # noqa: E402
    MIN_MARK_PX,
    SPLIT_ZOOM,
    area_radii,
    heat_map,
    replay_map,
    risk_area_map,
    township_map,
    trajectory_map,
    venue_map,
)
from tracelab.model import schema  # noqa: E402

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"


def open_map(page, m, tmp_path: Path, name: str):
    """Save `m`, open it in `page`, screenshot it; dialogs are recorded and dismissed."""
    path = tmp_path / f"{name}.html"
    m.save(str(path))
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.set_viewport_size({"width": 1000, "height": 700})
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-container")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map_{name}.png"))
    return page


def assert_clean(page) -> None:
    page.wait_for_timeout(100)  # let a would-be onerror handler or alert run
    assert page.failed_requests == []
    assert page.page_errors == []
    assert page.dialogs == []


def count(page, selector: str) -> int:
    return page.locator(selector).count()


#: The page's Leaflet map (folium names it map_<id>).
MAP = "window[Object.keys(window).find(k => /^map_/.test(k) && window[k] instanceof L.Map)]"


def set_zoom(page, zoom: int) -> None:
    page.evaluate(f"z => {MAP}.setZoom(z, {{animate: false}})", zoom)


def venues_shown(page) -> int:
    """Venues drawn: circles, numbered badges and the venues counted in clusters."""
    return page.evaluate("""() => document.querySelectorAll('path.tl-venue, .tl-venue-rank').length
        + [...document.querySelectorAll('.tl-cluster-n')].reduce((n, e) => n + +e.textContent, 0)""")


def test_trajectory_draws_numbered_stops_in_order(browser_page, tmp_path):
    m = trajectory_map(data.visits(), data.venues(), case_id=data.CASE_ID)
    page = open_map(browser_page, m, tmp_path, "trajectory")
    assert count(page, ".leaflet-marker-icon.tl-stop") == 4
    assert count(page, "path.tl-track") == 1
    assert page.locator(".tl-stop").all_inner_texts() == ["1", "2", "3", "4"]
    page.locator(".tl-stop").first.click()
    popup = page.locator(".leaflet-popup-content")
    assert data.XSS_NAME in popup.inner_text()  # shown as text, not as an image
    assert "第1站" in popup.inner_text()
    assert popup.locator("img, script").count() == 0
    assert_clean(page)


def test_venue_circles_match_the_data_and_names_show_as_text(browser_page, tmp_path):
    m = venue_map(data.exposures(), data.venues(), cluster=False)
    page = open_map(browser_page, m, tmp_path, "venues")
    assert count(page, "path.tl-venue") == 4
    page.locator("path.tl-venue").first.click()  # v1, the largest, drawn first
    assert data.XSS_NAME in page.locator(".leaflet-popup-content").inner_text()
    page.locator("path.tl-venue").nth(1).hover()  # v3, named with a template-literal escape
    assert data.LITERAL_NAME in page.locator(".leaflet-tooltip").last.inner_text()
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert_clean(page)


def test_risk_areas_one_path_per_area(browser_page, tmp_path):
    page = open_map(browser_page, risk_area_map(data.areas()), tmp_path, "risk_areas")
    assert count(page, "path.tl-risk") == 3
    for level in ("high", "medium", "low"):
        assert count(page, f"path.tl-risk-{level}") == 1
    page.locator("path.tl-risk-high").click()
    text = page.locator(".leaflet-popup-content").inner_text()
    assert "高风险区" in text and data.XSS_NAME in text and "2022-11-10" in text
    assert_clean(page)


def test_township_choropleth_and_outlines(browser_page, tmp_path):
    m = township_map(data.townships(), data.exposures(), data.venues())
    page = open_map(browser_page, m, tmp_path, "townships")
    assert count(page, "path.tl-choropleth") == 11
    assert count(page, "path.tl-township") == 11
    assert count(page, "path.tl-county") == 1
    assert count(page, ".tl-legend") == 1
    assert_clean(page)


def test_township_names_label_the_map_and_let_the_mouse_through(browser_page, tmp_path):
    m = township_map(data.townships(), data.exposures(), data.venues())
    page = open_map(browser_page, m, tmp_path, "township_labels")
    names = data.townships()[schema.TOWNSHIP].tolist()
    labels = page.locator(".tl-label")
    assert sorted(t.splitlines()[0] for t in labels.all_inner_texts()) == sorted(names)
    first = labels.first.bounding_box()  # the label's corner is its anchor point
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute('class')",
                        [first["x"], first["y"]])
    assert "tl-choropleth" in hit
    page.mouse.move(first["x"], first["y"])
    assert names[0] in page.locator(".leaflet-tooltip").last.inner_text()
    assert_clean(page)


def test_close_venues_cluster_and_split_when_zoomed_in(browser_page, tmp_path):
    # v1 and v2 lie ~1 km apart: one cluster at county zoom, apart in the street view
    m = venue_map(data.exposures(), data.venues(), ranks={"v2": 1, "v5": 2})
    page = open_map(browser_page, m, tmp_path, "venue_clusters")
    set_zoom(page, 10)
    assert count(page, ".tl-cluster") >= 1 and venues_shown(page) == 4
    cluster = page.locator(".tl-cluster").first
    ranks = cluster.locator(".tl-cluster-ranks")
    assert ranks.count() == 0 or set(ranks.get_attribute("data-ranks").split()) <= {"1", "2"}
    cluster.hover()
    tip = page.locator(".leaflet-tooltip").last.inner_text()
    assert re.fullmatch(r"\d+个涉疫场所(，含重点场所第[12、]+名)?；点击放大", tip), tip
    before = page.evaluate(f"() => {MAP}.getZoom()")
    cluster.click()
    page.wait_for_function(f"z => {MAP}.getZoom() > z", arg=before)
    set_zoom(page, SPLIT_ZOOM)
    assert count(page, ".tl-cluster") == 0 and venues_shown(page) == 4
    badges = page.locator(".tl-rank")
    assert dict(zip(badges.evaluate_all("bs => bs.map(b => b.dataset.venue)"),
                    badges.all_inner_texts(), strict=True)) == {"v2": "1", "v5": "2"}
    assert_clean(page)


def test_small_risk_areas_get_a_mark_that_states_their_radius(browser_page, tmp_path):
    m = risk_area_map(data.areas())
    page = open_map(browser_page, m, tmp_path, "risk_marks")
    set_zoom(page, 8)  # the high area is ~0.5 km across, the medium one ~3 km
    marks = page.locator("path.tl-risk-mark")
    assert marks.count() == 2  # the high and the medium area; the low one is the county
    widths = marks.evaluate_all("ms => ms.map(m => m.getBBox().width)")
    assert min(widths) >= 2 * MIN_MARK_PX - 0.5
    radii = area_radii(data.areas())["radius_m"].round().astype(int).tolist()
    marks.last.hover()  # the high area, drawn last
    tip = page.locator(".leaflet-tooltip").last.inner_text()
    assert f"半径约{radii[1]:,}米" in tip and "高风险区" in tip
    set_zoom(page, 10)  # the medium area is larger than a mark now: its polygon shows
    assert marks.count() == 1
    set_zoom(page, 14)
    assert marks.count() == 0
    assert_clean(page)


def test_heat_layer_paints_its_canvas(browser_page, tmp_path):
    m = heat_map(data.exposures(), data.venues(), townships=data.townships())
    page = open_map(browser_page, m, tmp_path, "heat")
    painted = page.evaluate("""() => {
        const c = document.querySelector('canvas.leaflet-heatmap-layer');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) n++; }
        return n; }""")
    assert painted > 100
    assert_clean(page)


def set_day(page, day: int) -> None:
    page.locator("input.tl-day").evaluate(
        "(el, d) => { el.value = d; el.dispatchEvent(new Event('input')); }", day)


def test_time_slider_replays_day_by_day(browser_page, tmp_path):
    m = replay_map(data.exposures(), data.venues(), interval_ms=40)
    page = open_map(browser_page, m, tmp_path, "replay")
    # (v1, 11-01), (v2, 11-01), (v3, 11-02), (v5, 11-03); the slider opens on the last day
    assert count(page, "path.tl-replay") == 4
    set_day(page, 0)
    assert count(page, "path.tl-replay") == 2
    assert "2022-11-01 · 暴露人数 4" in page.locator(".tl-day-label").inner_text()
    set_day(page, 1)
    assert count(page, "path.tl-replay") == 3
    page.locator("button.tl-play").click()  # restarts at day 0 only from the last day
    page.wait_for_function(
        "() => document.querySelector('.tl-day-label').textContent.includes('2022-11-03')")
    assert count(page, "path.tl-replay") == 4
    assert_clean(page)


def test_time_slider_shows_one_day_when_not_cumulative(browser_page, tmp_path):
    m = replay_map(data.exposures(), data.venues(), cumulative=False, lang="en")
    page = open_map(browser_page, m, tmp_path, "replay_daily")
    assert count(page, "path.tl-replay") == 1
    set_day(page, 1)
    assert count(page, "path.tl-replay") == 1
    page.locator("path.tl-replay").hover()
    assert data.LITERAL_NAME in page.locator(".leaflet-tooltip").inner_text()
    assert "Day 2022-11-02" in page.locator(".tl-day-label").inner_text()
    assert_clean(page)


def test_all_kinds_layered_with_one_layer_control(browser_page, tmp_path):
    from tests.test_maps import all_kinds

    page = open_map(browser_page, all_kinds(lang="en"), tmp_path, "all_kinds")
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in labels][:2] == ["People exposed (by township of the venue)",
                                               "Township outlines"]
    assert len(labels) == 7
    assert venues_shown(page) == 4
    page.locator(".leaflet-control-layers-overlays label", has_text="Exposure venues").click()
    assert venues_shown(page) == 0
    assert count(page, ".leaflet-control-layers") == 1
    assert_clean(page)
