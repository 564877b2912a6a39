"""The chain view in Chromium: one node per case and contact, offline, hover, zoom, marks.

Pages are drawn from the sample county (pseudonymised with the demo key): the audited
contact layer as a page of its own, and the briefing's section (cases and venues) inside
a page of two sections, as a briefing or a notebook would hold it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracelab.analysis.chains import EDGE_KIND, NODE_KIND, chain_contacts, chain_network
from tracelab.briefing import load_briefing
from tracelab.briefing.network_svg import IMPOSSIBLE_COLOUR, network_page, network_section
from tracelab.model import schema as s
from tracelab.privacy import DEMO_KEY

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """(briefing, network, contact layer, {"contacts": page, "section": page})."""
    b = load_briefing(SAMPLE, key=DEMO_KEY)
    folder = tmp_path_factory.mktemp("chains")
    layer = chain_contacts(b.exposures, b.cases, b.venues, rule=b.rule, zone=b.zone,
                           purpose="inv:LX-2022-11-007", audit=folder / "audit.duckdb")
    net = chain_network(b.exposures, b.cases, b.venues, rule=b.rule, zone=b.zone)
    contacts = folder / "contacts.html"
    contacts.write_text(network_page(layer), encoding="utf-8")
    section = folder / "section.html"
    # Two sections on one page: each must find its own svg and work.
    section.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                       + network_section(b) + network_section(b, lang="en") + "</body></html>",
                       encoding="utf-8")
    return b, net, layer, {"contacts": contacts, "section": section}


def _open(page, path: Path) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(path.as_uri())
    page.locator("svg.tl-ch-graph").first.wait_for()


def _view(svg) -> list[float]:
    return [float(v) for v in svg.get_attribute("viewBox").split()]


def _clean(page) -> None:
    page.wait_for_timeout(100)
    assert page.failed_requests == []
    assert page.page_errors == []


def test_the_contact_layer_draws_one_node_per_case_and_contact(browser_page, drawn):
    b, _, layer, paths = drawn
    _open(browser_page, paths["contacts"])
    graph = browser_page.locator("svg.tl-ch-graph")
    contacts = set(b.exposures[s.CONTACT_ID]) - set(b.cases[s.PERSON_ID])
    assert graph.locator("g.tl-ch-node.tl-ch-case").count() == len(b.cases)
    assert graph.locator("g.tl-ch-node.tl-ch-contact").count() == len(contacts) > 1000
    assert graph.locator("g.tl-ch-node.tl-ch-venue").count() == b.exposures[s.VENUE_ID].nunique()
    assert graph.locator("path.tl-ch-edge").count() == len(layer.edges)
    # Every node lies inside the drawing as first shown.
    inside = browser_page.evaluate("""() => {
        const svg = document.querySelector('svg.tl-ch-graph');
        const [x, y, w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
        return [...svg.querySelectorAll('.tl-ch-node')].every(g => {
            const r = g.getBBox(), m = g.transform.baseVal.consolidate().matrix;
            return m.e + r.x >= x && m.f + r.y >= y && m.e + r.x + r.width <= x + w
                && m.f + r.y + r.height <= y + h;
        });
    }""")
    assert inside
    _clean(browser_page)


def test_hover_highlights_a_case_and_its_links(browser_page, drawn):
    b, net, _, paths = drawn
    _open(browser_page, paths["section"])
    first = browser_page.locator("section.tl-chains").first
    # The root of the largest cluster: the first node, drawn on top of every edge.
    node = first.locator('g.tl-ch-node[data-node="n0"]')
    node.hover()
    svg = first.locator("svg.tl-ch-graph")
    assert "tl-ch-focus" in svg.get_attribute("class")
    case = net.nodes.iloc[0]
    assert case[NODE_KIND] == "case"
    touching = net.edges[(net.edges["from_node"] == case["node_id"])
                         | (net.edges["to_node"] == case["node_id"])]
    assert first.locator(".tl-ch-edge.tl-ch-on").count() == len(touching) > 0
    browser_page.mouse.move(2, 2)
    assert "tl-ch-focus" not in svg.get_attribute("class")
    # A cluster's row in the table lights its cases.
    first.locator('tr[data-cluster="1"]').hover()
    size = int(net.clusters.iloc[0][s.CLUSTER_SIZE])
    assert first.locator(".tl-ch-node.tl-ch-case.tl-ch-on").count() == size
    _clean(browser_page)


def test_impossible_links_are_dashed_red_and_other_links_on_request(browser_page, drawn):
    _, net, _, paths = drawn
    _open(browser_page, paths["section"])
    first = browser_page.locator("section.tl-chains").first
    links = net.edges[net.edges[EDGE_KIND] == "link"]
    bad = first.locator("svg.tl-ch-graph path.tl-ch-impossible")
    assert bad.count() == (links[s.SEVERITY] == "impossible").sum() > 0
    style = bad.first.evaluate("e => { const c = getComputedStyle(e); "
                               "return [c.stroke, c.strokeDasharray, c.display]; }")
    r, g, b_ = (int(IMPOSSIBLE_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    assert style == [f"rgb({r}, {g}, {b_})", "6px, 4px", "inline"]
    other = first.locator("svg.tl-ch-graph path.tl-ch-other").first
    assert other.evaluate("e => getComputedStyle(e).display") == "none"
    first.locator("input.tl-ch-show-other").check()
    assert other.evaluate("e => getComputedStyle(e).display") == "inline"
    # The legend names the dashed red line.
    assert first.locator(".tl-ch-key-impossible").inner_text().strip() == "时间上不可能"
    _clean(browser_page)


def test_wheel_zooms_drag_pans_double_click_resets(browser_page, drawn):
    _, _, _, paths = drawn
    _open(browser_page, paths["section"])
    second = browser_page.locator("section.tl-chains").nth(1)
    svg = second.locator("svg.tl-ch-graph")
    svg.scroll_into_view_if_needed()
    start = _view(svg)
    box = svg.bounding_box()
    browser_page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    browser_page.mouse.wheel(0, -300)
    browser_page.wait_for_timeout(50)
    zoomed = _view(svg)
    assert zoomed[2] < start[2] and zoomed[3] < start[3]
    browser_page.mouse.down()
    browser_page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2)
    browser_page.mouse.up()
    panned = _view(svg)
    assert panned[0] < zoomed[0] and panned[2:] == zoomed[2:]
    svg.dblclick(position={"x": 5, "y": 5})
    assert _view(svg) == start
    # The first section was not touched.
    first = browser_page.locator("section.tl-chains").first.locator("svg.tl-ch-graph")
    assert _view(first) == start
    assert second.locator("h2").inner_text() == "Chains of transmission"
    _clean(browser_page)
