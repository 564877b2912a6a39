"""The briefing on paper and its capacity: page 1, footers, no map controls, deltas, tiers.

The sample county is briefed twice through :func:`tracelab.briefing.load_briefing` (now,
and four days earlier as the previous briefing) under one test key; the command line runs
with the same key, so its summaries compare with the library's. The PDF is printed by
:func:`tracelab.briefing.html_to_pdf` (headless Chromium) and read back with pypdfium2:
its text per page, and page 1 as pixels.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tracelab.briefing import (
    changes,
    html_to_pdf,
    load_briefing,
    read_summary,
    render_html,
    summary,
    write_briefing,
    write_summary,
)
from tracelab.briefing.text import capacity_text, delta_text, t
from tracelab.cli import main
from tracelab.model import schema as s

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ARTIFACTS = Path(__file__).parent / "artifacts"
KEY = "briefing-print-test-key-7c41d2e9"
PREVIOUS_AS_OF = "2022-11-28T00:00+08:00"
CARDS = ("cases", "contacts", "venues", "areas")


@pytest.fixture(scope="module")
def now():
    return load_briefing(SAMPLE, key=KEY.encode())


@pytest.fixture(scope="module")
def previous():
    return load_briefing(SAMPLE, key=KEY.encode(), as_of=PREVIOUS_AS_OF)


@pytest.fixture(scope="module")
def before(previous, tmp_path_factory):
    """The previous briefing's summary, as ``brief`` writes it beside its page."""
    return write_summary(previous, tmp_path_factory.mktemp("previous") / "previous.json")


@pytest.fixture(scope="module")
def since_page(now, before):
    """The current briefing rendered with the changes since the previous one."""
    return render_html(now, changes=changes(read_summary(before), now))


@pytest.fixture(scope="module")
def written(now, tmp_path_factory):
    return write_briefing(now, tmp_path_factory.mktemp("print") / "briefing.html")


@pytest.fixture(scope="module")
def printed(written, chromium_path):
    """The briefing printed to PDF: (pypdfium2 document, text of each page)."""
    pdfium = pytest.importorskip("pypdfium2", reason="the PDF checks read it back with "
                                 "pypdfium2 (dev extra)")
    pdf = pdfium.PdfDocument(html_to_pdf(written["html"], written["html"].with_suffix(".pdf"),
                                         executable_path=chromium_path))
    texts = [page.get_textpage().get_text_range() for page in pdf]
    yield pdf, texts
    pdf.close()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _card(page: str, key: str) -> int:
    match = re.search(rf'data-key="{key}">([\d,]+)<', page)
    assert match, f"no card number {key!r}"
    return int(match.group(1).replace(",", ""))


# --- on paper ------------------------------------------------------------------------------

@pytest.mark.browser
def test_page_one_holds_the_title_the_cards_and_the_map(now, printed, browser_page, written):
    pdf, texts = printed
    h = now.headline
    page1 = _lines(texts[0])
    # the cards: each title followed by its number
    numbers = {"cases": h["cases"], "contacts": h["contacts"], "venues": h["venues"],
               "areas": h["areas"]["high"] + h["areas"]["medium"]}
    titles = {"cases": "cases", "contacts": "contacts", "venues": "venues",
              "areas": "risk_areas"}
    for key, n in numbers.items():
        title = t(titles[key])
        assert title in page1 and page1[page1.index(title) + 1] == str(n), key
    assert t("title") in texts[0] and t("capacity", n=200) in texts[0]
    # the map printed on page 1: its legends' titles (text inside the map frame) are there
    browser_page.goto(written["html"].as_uri())
    frame = browser_page.frame_locator("iframe.tl-map")
    frame.locator(".tl-legend").first.wait_for()
    legends = frame.locator(".tl-legend b").all_inner_texts()
    assert legends and all(title in page1 for title in legends)
    # ... as a picture: most of the page below the cards is map, not blank paper
    image = np.asarray(pdf[0].render(scale=1).to_pil().convert("RGB"))
    height = image.shape[0]
    inked = (image[int(0.3 * height):int(0.8 * height)] < 245).any(axis=2)
    assert inked.mean() > 0.3, f"only {inked.mean():.0%} of page 1's lower part is drawn"
    # the chains of transmission have page 2 to themselves; the tables follow
    assert "传播链" in texts[1] and t("contacts_by") not in texts[0] + texts[1]
    assert t("contacts_by") in texts[2]
    ARTIFACTS.mkdir(exist_ok=True)
    pdf[0].render(scale=1.5).to_pil().save(ARTIFACTS / "briefing_pdf_page1.png")


@pytest.mark.browser
def test_every_printed_page_has_the_time_and_its_number(now, printed):
    pdf, texts = printed
    n = len(texts)
    as_of = f"{t('as_of')} {now.as_of.tz_convert(now.zone):%Y-%m-%d %H:%M}"
    for i, text in enumerate(texts, start=1):
        assert f"第 {i} / {n} 页" in text and as_of in text, f"page {i} of {n}"
    # no page but the last is left mostly blank (the old page 1 ended at mid-height)
    for i in range(n - 1):
        image = np.asarray(pdf[i].render(scale=0.5).to_pil().convert("L"))
        inked = np.flatnonzero((image < 200).any(axis=1))
        footer_band = int(0.95 * image.shape[0])
        lowest = inked[inked < footer_band].max()
        assert lowest > 0.6 * image.shape[0], f"page {i + 1} of {n} is mostly blank"
    (ARTIFACTS / "briefing_pdf_pages.txt").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "briefing_pdf_pages.txt").write_text(f"{n}\n", encoding="utf-8")
    print(f"sample briefing PDF: {n} A4 pages")


@pytest.mark.browser
def test_no_map_control_is_printed(printed, browser_page, written):
    _, texts = printed
    browser_page.goto(written["html"].as_uri())
    frame = browser_page.frame_locator("iframe.tl-map")
    frame.locator(".leaflet-control-layers").first.wait_for(state="attached")
    layers = [x.strip() for x in frame.locator(
        ".leaflet-control-layers label").all_inner_texts() if x.strip()]
    assert len(layers) >= 4
    browser_page.emulate_media(media="print")
    shown = frame.locator(".leaflet-control-zoom, .leaflet-control-layers, "
                          ".leaflet-control-attribution").evaluate_all(
        "els => els.map(e => getComputedStyle(e).display)")
    assert shown and set(shown) == {"none"}
    assert frame.locator(".tl-legend").first.is_visible()  # legends are printed
    # what may print a layer's name: the page itself, and the map's legends
    said = _lines(browser_page.evaluate("document.body.innerText")) + [
        line for legend in frame.locator(".tl-legend").all_inner_texts()
        for line in _lines(legend)]
    lines = [line for text in texts for line in _lines(text)]
    assert "Leaflet" not in "".join(texts)
    assert "+" not in lines and "−" not in lines  # the zoom buttons
    for name in layers:
        assert lines.count(name) <= said.count(name), f"layer control printed: {name}"
    assert t("map_hint") not in "".join(texts)


def test_map_page_carries_its_print_style(written):
    page = written["html"].read_text(encoding="utf-8")
    srcdoc = re.search(r'srcdoc="([^"]*)"', page).group(1)
    assert "&lt;style media=&#34;print&#34;&gt;" in srcdoc or \
        "&lt;style media=&quot;print&quot;&gt;" in srcdoc
    assert "@bottom-right" in page and "counter(pages)" in page


# --- the change since the previous briefing -------------------------------------------------

def test_cards_show_the_change_since_the_previous_briefing(now, previous, since_page,
                                                          written):
    page = since_page
    old, new = previous.headline, now.headline
    expected = {"cases": new["cases"] - old["cases"],
                "contacts": new["contacts"] - old["contacts"],
                "venues": new["venues"] - old["venues"],
                "areas": (new["areas"]["high"] + new["areas"]["medium"])
                - (old["areas"]["high"] + old["areas"]["medium"])}
    assert expected["cases"] > 0
    for key, change in expected.items():
        shown = re.search(rf'data-delta="{key}">([^<]*)<', page)
        assert shown and shown.group(1) == delta_text(change), key
    assert re.search(r'data-delta="cases">\+\d+ 较上次<', page)
    # without a previous briefing the cards say nothing of a change
    assert "data-delta" not in written["html"].read_text(encoding="utf-8")


# --- capacity -------------------------------------------------------------------------------

def test_calls_per_day_sets_the_tiers_and_is_stated(now, before, since_page, tmp_path, capsys,
                                                    monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    out = tmp_path / "b50.html"
    assert main(["brief", "--data", str(SAMPLE), "--out", str(out), "--calls-per-day", "50",
                 "--since", str(before)]) == 0
    assert "twenty(calls_per_day=50)" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    contacts = _card(page, "contacts")
    assert contacts == now.headline["contacts"] > 100
    assert (_card(page, "tier-call_today"), _card(page, "tier-within_24h"),
            _card(page, "tier-monitor")) == (50, 50, contacts - 100)
    assert '<div class="capacity" data-key="capacity" data-calls="50">按每日可联系 50 人排序<' \
        in page
    monitored = int(re.search(rf'data-category="{s.CLOSE_CONTACT}">.*?data-tier="monitor">'
                              r"(\d+)<", page, re.S).group(1))
    assert monitored > 0
    assert f'<p id="capacity">{capacity_text(50, monitored)}</p>' in page
    assert '<code id="rule-id">twenty(calls_per_day=50)</code>' in page
    # the default briefing states its own capacity
    default = since_page
    assert 'data-calls="200">按每日可联系 200 人排序<' in default
    assert _card(default, "tier-call_today") == 200
    # a new capacity re-orders the calls but finds no new exposure
    ours = read_summary(out.with_suffix(".json"))
    assert ours["exposures"].keys() == summary(now)["exposures"].keys()
    assert _changed(page, "exposure", "new") == _changed(default, "exposure", "new") > 0
    assert _changed(page, "contact", "changed") > _changed(default, "contact", "changed")


def _changed(page: str, kind: str, change: str) -> int:
    row = re.search(rf'data-kind="{kind}" data-change="{change}">.*?<td class="n">(\d+)</td>',
                    page, re.S)
    return int(row.group(1)) if row else 0


def test_calls_per_day_must_be_a_positive_number(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    out = tmp_path / "x.html"
    assert main(["brief", "--data", str(SAMPLE), "--out", str(out), "--calls-per-day", "0"]) == 2
    err = capsys.readouterr().err
    assert "--calls-per-day 0：请给出每日可联系的人数" in err and err.count("\n") == 1
    assert not out.exists()


def test_network_slot_takes_a_section_and_the_briefing_fills_it(now, written, tmp_path):
    section = '<section id="network"><h2>传播链</h2></section>'
    page = render_html(now, network=section)
    assert section in page
    assert page.index('<section id="map">') < page.index(section) < page.index(
        '<section id="contacts"')
    assert 'class="tl-chains"' not in render_html(now)
    assert 'class="tl-chains"' in written["html"].read_text(encoding="utf-8")
    bare = write_briefing(now, tmp_path / "bare.html", network=False)
    assert 'class="tl-chains"' not in bare["html"].read_text(encoding="utf-8")


def test_a_large_outbreak_briefing_stays_one_small_file(tmp_path):
    # Hundreds of cases at shared venues make thousands of possible links between them;
    # the page draws the likeliest tree and says how many others it left out.
    synth = pytest.importorskip("tracelab.synth")
    county = synth.generate(population=6000, days=14, seed=7, progress=False,
                            log=synth.LogParams.perfect(),
                            outbreak=synth.OutbreakParams(index_cases=20,
                                                          beta_venue_per_hour=0.05))
    county.write(tmp_path / "county")
    b = load_briefing(tmp_path / "county", key=KEY.encode())
    assert len(b.cases) >= 250
    page = write_briefing(b, tmp_path / "b.html")["html"]
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size < 5 * 1024 * 1024
    assert "条其他可能的传播关系未画出" in text
    assert text.count('class="tl-ch-node ') >= len(b.cases)
