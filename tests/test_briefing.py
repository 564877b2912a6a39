"""The command-HQ briefing of the sample county: numbers, offline page, changes, browser, PDF.

One build of ``data/sample`` (session fixture) serves most tests; a second build from a
copy of the sample's venues with a hostile venue name checks escaping, and a third, one
week earlier, is the previous briefing for ``--since``.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tracelab.briefing import (
    build_briefing,
    folder_extras,
    html_to_pdf,
    network_section,
    read_summary,
    render_html,
    summary,
    write_briefing,
)
from tracelab.io import pseudonymise_data, read_dir
from tracelab.maps import external_refs
from tracelab.maps.base import check_townships
from tracelab.model import schema as s
from tracelab.privacy import DEMO_KEY, pseudonymise

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ARTIFACTS = Path(__file__).parent / "artifacts"
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ADDRESS = '"><script>alert(2)</script>'
PREVIOUS_AS_OF = "2022-11-28T00:00+08:00"


@pytest.fixture(scope="session")
def sample():
    """The sample county loaded as the briefing loads it (pseudonymised), and its extras."""
    extras = folder_extras(SAMPLE)
    now = pd.Timestamp(extras["manifest"]["start"], tz=s.DEFAULT_ZONE) + pd.Timedelta(
        days=extras["manifest"]["days"])
    extras["persons"] = pseudonymise(extras["persons"], None, DEMO_KEY)
    return pseudonymise_data(read_dir(SAMPLE, now=now), DEMO_KEY), extras


@pytest.fixture(scope="session")
def briefing(sample, tmp_path_factory):
    """The sample county's briefing, written to disk: (Briefing, paths, page text)."""
    data, extras = sample
    b = build_briefing(data, **extras)
    paths = write_briefing(b, tmp_path_factory.mktemp("brief") / "briefing.html")
    return b, paths, paths["html"].read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def xss_briefing(briefing, tmp_path_factory):
    """The sample briefing over a copy of its venues whose busiest exposure venue is
    named (and addressed) hostile text: names are only read when rendering."""
    b = briefing[0]
    busiest = b.exposures.groupby(s.VENUE_ID)[s.CONTACT_ID].nunique().idxmax()
    venues = b.venues.copy()
    hit = venues[s.VENUE_ID] == busiest
    venues.loc[hit, s.NAME] = XSS_NAME
    venues.loc[hit, s.ADDRESS] = XSS_ADDRESS
    hostile = dataclasses.replace(b, venues=venues)
    paths = write_briefing(hostile, tmp_path_factory.mktemp("xss") / "briefing.html")
    return hostile, paths, busiest


@pytest.fixture(scope="session")
def since_briefing(sample, briefing, tmp_path_factory):
    """The briefing written with ``since`` = the summary of a briefing four days earlier."""
    data, extras = sample
    folder = tmp_path_factory.mktemp("since")
    earlier = build_briefing(data, as_of=PREVIOUS_AS_OF, **extras)
    previous = write_briefing(earlier, folder / "previous.html")["json"]
    paths = write_briefing(briefing[0], folder / "current.html", since=previous)
    return earlier, paths["html"].read_bytes().decode("utf-8")


def _srcdoc(page: str) -> str:
    match = re.search(r'<iframe class="tl-map"[^>]*srcdoc="([^"]*)"', page)
    assert match, "the briefing has no map iframe"
    return html.unescape(match.group(1))


def _number(page: str, key: str) -> int:
    match = re.search(rf'data-key="{re.escape(key)}">([\d,]+)<', page)
    assert match, f"no number {key!r} in the page"
    return int(match.group(1).replace(",", ""))


# --- numbers against the tables they come from -------------------------------------------

def test_headline_numbers_match_the_source_tables(sample, briefing):
    from tracelab.analysis.area_designation import risk_areas
    from tracelab.analysis.ranking import rank_contacts
    from tracelab.index.graph import VisitGraph
    from tracelab.tracing.forward import trace

    data, extras = sample
    b, _, page = briefing
    cases = data.cases[data.cases[s.CONFIRMED_AT] <= b.as_of]
    graph = VisitGraph.from_scans(data.scans, data.venues)
    exposures = trace(graph, cases, "twenty", as_of=b.as_of)
    assert _number(page, "cases") == len(cases) == 36
    assert _number(page, "confirmed") == (cases[s.KIND] == s.CONFIRMED).sum()
    assert _number(page, "asymptomatic") == (cases[s.KIND] == s.ASYMPTOMATIC).sum()
    assert _number(page, "contacts") == exposures[s.CONTACT_ID].nunique()
    assert _number(page, "venues") == exposures[s.VENUE_ID].nunique()
    tiers = rank_contacts(exposures, cases, data.scans, venues=data.venues)
    for tier, n in tiers["tier"].value_counts().items():
        assert _number(page, f"tier-{tier}") == n
    # category: a contact with any close-contact row counts as a close-contact candidate
    close = exposures.groupby(s.CONTACT_ID)[s.CATEGORY].agg(lambda c: (c == s.CLOSE_CONTACT).any())
    row = re.search(rf'data-category="{s.CLOSE_CONTACT}">.*?data-tier="total">(\d+)<', page, re.S)
    assert int(row.group(1)) == close.sum()
    visits = graph.visits()
    areas = risk_areas(cases, visits[visits[s.PERSON_ID].isin(cases[s.PERSON_ID])], data.venues,
                       as_of=b.as_of, persons=extras["persons"])
    assert _number(page, "areas-high") == (areas["level"] == "high").sum() > 0
    assert _number(page, "areas") == areas["level"].isin(["high", "medium"]).sum()


def test_data_quality_counts_match_the_scans_and_rejections(sample, briefing):
    from tracelab.governance.compliance import far_scans

    data, _ = sample
    page = briefing[2]
    assert _number(page, "scans") == len(data.scans)
    assert _number(page, "remote") == len(far_scans(data.scans, data.venues)) == 18
    assert _number(page, "merged") == (data.scans[s.MERGED_SCANS] - 1).sum() > 0
    share = (data.scans[s.METHOD] == s.PROXY).mean()
    assert f"{100 * share:.1f}%" in page
    for reason, n in data.rejections[s.REASON].value_counts().items():
        row = re.search(rf'data-reason="{reason}">.*?<td class="n">(\d+)</td>', page, re.S)
        assert row and int(row.group(1)) == n


def test_rule_set_and_lifting_dates_are_shown(briefing):
    b, _, page = briefing
    assert f'<code id="rule-id">{b.rule.rule_id}</code>' in page
    assert 'data-param="lookback_days_symptomatic"' in page
    lifts = {pd.Timestamp(d).strftime("%Y-%m-%d") for d in b.areas["lifts_on"].dropna()}
    assert lifts and all(day in page for day in lifts)
    assert page.count('class="tl-area"') == len(b.areas)


# --- one offline, deterministic page -----------------------------------------------------

def test_page_has_no_external_script_or_stylesheet(briefing):
    page = briefing[2]
    inner = _srcdoc(page)
    assert external_refs(page) == [] and external_refs(inner) == []
    for text in (page, inner):
        assert not re.search(r"<script\b[^>]*\bsrc\s*=", text, re.I)
        assert not re.search(r"<link\b[^>]*https?://", text, re.I)
    assert "L.map(" in inner and "<svg" in page
    assert len(page.encode("utf-8")) < 5 * 1024 * 1024


def test_same_data_gives_byte_identical_page_and_summary(briefing):
    b, paths, page = briefing
    # folium's random ids are renumbered and no clock is read
    page = render_html(b, network=network_section(b)).encode("utf-8")
    assert page == paths["html"].read_bytes()
    assert json.loads(paths["json"].read_text(encoding="utf-8")) == json.loads(
        json.dumps(summary(b)))


def test_no_person_data_in_page_or_summary(sample, briefing):
    b, paths, page = briefing
    persons = pd.read_parquet(SAMPLE / "persons.parquet", columns=["person_id", "name", "phone",
                                                                     "id_number"])
    text = page + paths["json"].read_text(encoding="utf-8")
    people = set(b.exposures[s.CONTACT_ID]) | set(b.cases[s.PERSON_ID])
    exposed = persons[pseudonymise(persons, ["person_id"], DEMO_KEY)["person_id"].isin(people)]
    assert len(exposed) > 100
    words = set(re.findall(r"[A-Za-z0-9_]+", text))
    # The page shows people as counts; the summary names them by keyed pseudonym only.
    assert not people & set(re.findall(r"[A-Za-z0-9_]+", page))
    assert set(re.findall(r"p_[0-9a-f]{16}", text)) <= people
    assert not set(exposed["person_id"]) & words
    assert not set(exposed["phone"].dropna()) & words
    assert not set(exposed["id_number"].dropna()) & words
    public = "".join(sample[0].venues[s.NAME]) + "".join(sample[0].venues[s.ADDRESS])
    names = {n for n in exposed["name"] if len(n) >= 2 and n not in public}
    runs = re.findall(r"[\u4e00-\u9fff]+", text)
    pieces = {run[i:i + k] for run in runs for k in (2, 3, 4) for i in range(len(run) - k + 1)}
    assert not names & pieces


def test_english_page(briefing):
    page = render_html(briefing[0], lang="en")
    assert "Command HQ briefing" in page and 'lang="en"' in page
    with pytest.raises(ValueError, match="lang="):
        render_html(briefing[0], lang="fr")


# --- changes since the previous briefing ---------------------------------------------------

def test_since_shows_what_changed(briefing, since_briefing):
    b = briefing[0]
    earlier, page = since_briefing
    assert "2022-11-28 00:00" in page
    row = re.search(r'data-figure="cases">\s*<td>[^<]*</td>\s*<td class="n">(\d+)</td>\s*'
                    r'<td class="n">(\d+)</td>\s*<td class="n">([+-]\d+)</td>', page)
    assert row.groups() == (str(earlier.headline["cases"]), str(b.headline["cases"]),
                            f"{b.headline['cases'] - earlier.headline['cases']:+d}")
    assert earlier.headline["cases"] < b.headline["cases"]
    new_venues = set(b.venue_ranking[s.VENUE_ID]) - set(earlier.venue_ranking[s.VENUE_ID])
    count = re.search(r'data-kind="venue" data-change="new">.*?<td class="n">(\d+)</td>', page,
                      re.S)
    assert new_venues and int(count.group(1)) == len(new_venues)
    names = b.venues.set_index(s.VENUE_ID)[s.NAME]
    assert all(html.escape(names[v]) in page for v in new_venues)
    assert page.count('class="tl-change"') >= len(new_venues)


def test_since_the_same_briefing_shows_no_change(briefing, tmp_path):
    b, paths, _ = briefing
    out = write_briefing(b, tmp_path / "again.html", since=paths["json"])
    page = out["html"].read_text(encoding="utf-8")
    assert "无变化" in page and 'class="tl-change"' not in page


def test_since_rejects_a_file_that_is_no_summary(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"venues": {}}), encoding="utf-8")
    with pytest.raises(ValueError, match="no 'briefing' part"):
        read_summary(bad)


# --- in the browser ---------------------------------------------------------------------

def _open(page, path: Path):
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(path.as_uri())
    frame = page.frame_locator("iframe.tl-map")
    frame.locator(".leaflet-container").wait_for()
    frame.locator(".tl-label").first.wait_for(state="attached")
    frame.locator(".tl-venue-rank, .tl-cluster").first.wait_for(state="attached")
    return frame


def _assert_clean(page) -> None:
    page.wait_for_timeout(150)  # let a would-be onerror handler or alert run
    assert page.failed_requests == []
    assert page.page_errors == []
    assert page.dialogs == []


@pytest.mark.browser
def test_browser_draws_what_the_data_says(browser_page, briefing):
    b, paths, _ = briefing
    frame = _open(browser_page, paths["html"])
    # Venues: drawn alone, as ranked badges, or counted inside a cluster at county zoom.
    drawn = frame.locator("path.tl-venue, .tl-venue-rank").count()
    clustered = sum(int(n) for n in frame.locator(".tl-cluster-n").all_inner_texts())
    assert drawn + clustered == b.exposures[s.VENUE_ID].nunique()
    assert frame.locator("path.tl-risk").count() == len(b.areas)
    assert frame.locator("path.tl-risk-high").count() == (b.areas["level"] == "high").sum()
    assert frame.locator("path.tl-choropleth").count() == len(check_townships(b.townships))
    assert frame.locator("path.tl-township").count() == len(check_townships(b.townships))
    assert frame.locator(".leaflet-control-layers-overlays label").count() == 4
    # the onset curve's bars add up to the cases
    bars = browser_page.locator("svg.tl-epicurve").first.locator("rect.tl-bar")
    assert sum(int(n) for n in bars.evaluate_all("rs => rs.map(r => r.dataset.n)")) == len(b.cases)
    assert browser_page.locator('[data-key="cases"]').inner_text() == str(len(b.cases))
    ARTIFACTS.mkdir(exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / "briefing.png"), full_page=True)
    _assert_clean(browser_page)


@pytest.mark.browser
def test_browser_shows_a_hostile_venue_name_as_text(browser_page, xss_briefing):
    b, paths, busiest = xss_briefing
    frame = _open(browser_page, paths["html"])
    row = browser_page.locator(f'tr.tl-top-venue[data-venue="{busiest}"]')
    assert row.locator(".venue-name").inner_text() == XSS_NAME
    assert XSS_ADDRESS in row.inner_text()
    assert browser_page.locator("section img, section script").count() == 0
    # At street zoom every venue is drawn alone; the busiest is the table's first rank.
    inner = next(f for f in browser_page.frames if f != browser_page.main_frame)
    inner.evaluate("z => window[Object.keys(window).find(k => /^map_/.test(k) && "
                   "window[k] instanceof L.Map)].setZoom(z, {animate: false})", 16)
    frame.locator(f'.tl-venue-rank:has([data-venue="{busiest}"]), '
                  f'path.tl-venue[data-venue="{busiest}"]').first.dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    assert XSS_NAME in popup.inner_text() and XSS_ADDRESS in popup.inner_text()
    assert popup.locator("img, script").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / "briefing_xss_popup.png"))
    _assert_clean(browser_page)


@pytest.mark.browser
def test_pdf_has_pages(briefing, chromium_path, tmp_path):
    pdf = html_to_pdf(briefing[1]["html"], tmp_path / "briefing.pdf",
                      executable_path=chromium_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) > 0


def test_page_over_the_size_limit_is_refused(briefing, tmp_path, monkeypatch):
    from tracelab.briefing import output

    monkeypatch.setattr(output, "MAX_BYTES", 10_000)
    with pytest.raises(ValueError, match="limit is 10,000"):
        write_briefing(briefing[0], tmp_path / "big.html")
    assert not (tmp_path / "big.html").exists()


def test_followup_completeness_shows_beside_the_exposure_counts(briefing, tmp_path):
    from tracelab.briefing import with_followup
    from tracelab.governance import import_followup
    from tracelab.io import open_store

    b = briefing[0]
    assert b.followup is None and 'data-key="followup-located"' not in briefing[2]
    listed = b.contacts["contact_id"].tolist()
    # The field team reached 30 contacts and could not reach 5; the rest have no status yet.
    rows = [f"{c},reached,2022-11-30 09:00" for c in listed[:30]]
    rows += [f"{c},not_reached,2022-11-30 09:00" for c in listed[30:35]]
    sheet = tmp_path / "returned.csv"
    sheet.write_text("contact_id,status,status_at\n" + "\n".join(rows) + "\n", encoding="utf-8")
    store = tmp_path / "tracelab.duckdb"
    with open_store(store) as st:
        assert import_followup(st, sheet, now="2022-12-01T00:00+08:00").accepted == 35
    b2 = with_followup(b, store)
    assert b2.followup is not None
    assert (b2.followup["listed"], b2.followup["located"]) == (len(listed), 30)
    page = render_html(b2)
    assert re.search(rf'data-key="followup-located">30 / {len(listed):,}<', page) \
        or re.search(rf'data-key="followup-located">30 / {len(listed)}<', page)
    assert _number(page, "followup-overdue") == b2.followup["overdue"]


def test_the_rule_reads_as_one_plain_paragraph(briefing):
    b, _, page = briefing
    text = re.search(r'<p id="rule-text">(.*?)</p>', page, re.S)
    assert text and "传染期窗口" in text.group(1) and "同时在场判定" in text.group(1)
    assert "追踪代数：一代" in text.group(1)  # twenty traces direct contacts
    # the parameters stay for auditors, folded away (and out of the print)
    assert '<details class="params">' in page and 'data-param="lookback_days_symptomatic"' in page
