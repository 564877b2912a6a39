"""Render a :class:`~tracelab.briefing.build.Briefing` as one self-contained HTML page."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab._i18n import msg
from tracelab.briefing.curve_svg import epi_curve_svg
from tracelab.briefing.diff import Changes, card_deltas
from tracelab.briefing.printing import footer_content, printable_map
from tracelab.briefing.text import (
    LANGS,
    capacity_text,
    delta_text,
    rule_paragraph,
    t,
    venue_type_name,
)
from tracelab.model import reference
from tracelab.model import schema as s

if TYPE_CHECKING:
    import folium

    from tracelab.briefing.build import Briefing

__all__ = ["render_html", "briefing_map", "map_page", "TOP_VENUES"]

#: Venues listed in the top-venue table.
TOP_VENUES = 10
_AREA_ID, _LEVEL, _DESIGNATED_LEVEL = s.AREA_ID, s.LEVEL, s.DESIGNATED_LEVEL
_REASON, _N_CASES, _DESIGNATED_ON = s.AREA_REASON, s.N_CASES, s.DESIGNATED_ON
_LAST_CASE_ON, _LOWERS_ON, _LIFTS_ON = s.LAST_CASE_ON, s.LOWERS_ON, s.LIFTS_ON
_TIER = s.TIER
_REST = "area:rest_of_county"
# folium/branca name every element "<kind>_<32 random hex digits>".
_RANDOM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def _stable_ids(page: str) -> str:
    """Replace folium's random element ids by their order of appearance.

    Examples
    --------
    >>> _stable_ids("map_" + "a" * 32 + " x map_" + "a" * 32 + " y_" + "b" * 32)
    'map_000001 x map_000001 y_000002'
    """
    seen: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"{len(seen) + 1:06d}")

    return _RANDOM_ID.sub(number, page)


def _day(value: Any) -> str:
    if value is None or (not hasattr(value, "year") and pd.isna(value)):
        return ""
    return pd.Timestamp(value).strftime("%Y-%m-%d")


@functools.cache
def _residence_types() -> frozenset[str]:
    vt = reference.venue_types()
    return frozenset(vt.loc[vt[s.RESIDENCE].astype(bool), s.TYPE_CODE])


def _area_reason(row: Mapping[str, Any], regime: str, lang: str) -> str:
    if row[_AREA_ID] == _REST:
        return ("含高、中风险区的县域其余区域（DOMAIN §3）" if lang == "zh" else
                "rest of the county containing a high or medium area (DOMAIN §3)")
    vtype = venue_type_name(row[s.VENUE_TYPE], lang)
    n, last, lifts = int(row[_N_CASES]), _day(row[_LAST_CASE_ON]), _day(row[_LIFTS_ON])
    lowers = _day(row.get(_LOWERS_ON))
    home = row[s.VENUE_TYPE] in _residence_types()
    if lang == "zh":
        what = f"{n}例病例的住所（{vtype}）" if home else f"{n}例病例经常工作或活动的场所（{vtype}）"
        then = f"{lowers}降为中风险区，" if lowers else ""
        end = "解除" if regime == "ten" else "降为低风险区"
        return f"{what}；最近病例报告于{last}；如无新增病例，{then}{lifts}{end}"
    what = (f"residence ({vtype}) of {n} case(s)" if home else
            f"frequent work or activity place ({vtype}) of {n} case(s)")
    then = f"lowers to medium on {lowers}, " if lowers else ""
    end = "lifted" if regime == "ten" else "low"
    return f"{what}; last case reported {last}; if no new case, {then}{end} on {lifts}"


def _venue_reason(row: Any, lang: str) -> str:
    if lang == "zh":
        return (f"{row.n_cases}例病例在传染期内停留{row.case_hours:.1f}小时；暴露{row.n_exposed}人，"
                f"同一时段最多{row.peak_present}人在场；{row.n_nongreen}人扫码为黄码或红码")
    return (f"{row.n_cases} case(s) stayed {row.case_hours:.1f} h while infectious; "
            f"{row.n_exposed} exposed, up to {row.peak_present} present at once; "
            f"{row.n_nongreen} scanned yellow or red")


def _map_areas(b: Briefing, lang: str) -> pd.DataFrame:
    """The areas with their reason and a name for the map's tooltips (venue name, escaped
    by the map)."""
    records = b.areas.to_dict("records")
    reasons = [_area_reason(r, b.regime, lang) for r in records]
    names = b.venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)
    named = names[s.NAME] if s.NAME in names else pd.Series(dtype=object)
    labels = [t("rest_of_county", lang) if r[_AREA_ID] == _REST else
              str(named.get(r.get(s.VENUE_ID), r.get(s.VENUE_ID) or "")) for r in records]
    return b.areas.assign(**{_REASON: reasons, s.NAME: labels})


_REFIT_JS = """{% macro script(this, kwargs) %}
(function () {
  var m = {{ this._parent.get_name() }}, b = {{ this.bounds }};
  function refit() { m.invalidateSize(); m.fitBounds(b); }
  window.addEventListener("load", refit);
  window.addEventListener("beforeprint", refit);
  if (window.matchMedia) {
    window.matchMedia("print").addEventListener("change", function (q) { if (q.matches) refit(); });
  }
})();
{% endmacro %}"""


def _bounds(b: Briefing) -> list[list[float]] | None:
    if b.townships is not None and len(b.townships):
        minx, miny, maxx, maxy = b.townships.to_crs("EPSG:4326").total_bounds
    elif len(b.areas):
        minx, miny, maxx, maxy = b.areas.total_bounds
    elif len(b.exposures):
        placed = b.venues[b.venues[s.VENUE_ID].isin(b.exposures[s.VENUE_ID])]
        minx, maxx = placed[s.LON].min(), placed[s.LON].max()
        miny, maxy = placed[s.LAT].min(), placed[s.LAT].max()
    else:
        return None
    return [[round(float(miny), 6), round(float(minx), 6)],
            [round(float(maxy), 6), round(float(maxx), 6)]]


def _refit(m: folium.Map, bounds: list[list[float]]) -> None:
    """Fit the view again once the frame has its size, and before printing.

    A map in an iframe can run its script before the frame is laid out (Leaflet then
    fits the bounds into 0 pixels), and printing changes the frame's size.
    """
    from branca.element import MacroElement, Template

    element: Any = MacroElement()  # Any: the template reads attributes set below
    element._template = Template(_REFIT_JS)
    element.bounds = json.dumps(bounds)
    m.add_child(element, name="tl_refit")


def briefing_map(b: Briefing, *, lang: str = "zh") -> folium.Map:
    """The briefing's map: close contacts per township, risk areas, exposure venues.

    The township layer counts close contacts (密接) by township of residence when the
    briefing carries the persons table, else by the venue's township, and says which;
    a county outline among the townships is drawn as an outline only. The county-wide
    low-risk area is an outline too, so it neither tints the townships nor takes their
    hovers; small high and medium areas get a mark of a minimum size. Venues are
    clustered at county zoom and the top venues carry their rank in the 重点场所 table
    (:func:`_venue_rows`). Works offline (tracelab.maps).
    """
    from tracelab.maps import base_map, risk_area_map, township_map, venue_map

    m = None
    if b.townships is not None:
        # Close contacts by residence when the briefing has the persons table, else by
        # the venue's township; the legend says which.
        m = township_map(b.townships, b.exposures, b.venues, persons=b.persons,
                         category=s.CLOSE_CONTACT, lang=lang)
    if len(b.areas):
        m = risk_area_map(_map_areas(b, lang), m=m, lang=lang, low_fill=False)
    # Venues last: drawn on top.
    if len(b.exposures):
        tiers = b.contacts[[s.CONTACT_ID, _TIER]]
        ranks = {r["venue_id"]: r["rank"] for r in _venue_rows(b, lang)}
        m = venue_map(b.exposures, b.venues, contact_tiers=tiers, ranks=ranks, m=m, lang=lang)
    m = base_map(lang=lang) if m is None else m
    bounds = _bounds(b)
    if bounds is not None:
        _refit(m, bounds)
    return m


def map_page(b: Briefing, *, lang: str = "zh") -> str:
    """The map as a self-contained HTML page, with element ids made deterministic and
    its controls left off the printout (:func:`tracelab.briefing.printing.printable_map`)."""
    return printable_map(_stable_ids(briefing_map(b, lang=lang).get_root().render()))


def _venue_rows(b: Briefing, lang: str) -> list[dict[str, Any]]:
    if not len(b.venue_ranking):
        return []
    registry = b.venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)
    rows = []
    for r in b.venue_ranking.head(TOP_VENUES).itertuples(index=False):
        info = registry.loc[r.venue_id] if r.venue_id in registry.index else {}
        rows.append({"venue_id": r.venue_id, "rank": int(r.rank),
                     "name": info.get(s.NAME, r.venue_id), "address": info.get(s.ADDRESS, ""),
                     "type": venue_type_name(r.venue_type, lang),
                     "township": info.get(s.TOWNSHIP, ""), "n_cases": int(r.n_cases),
                     "n_exposed": int(r.n_exposed), "peak": int(r.peak_present),
                     "reason": _venue_reason(r, lang)})
    return rows


def _area_rows(b: Briefing, lang: str) -> list[dict[str, Any]]:
    names = b.venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)
    towns = {}
    if b.townships is not None:
        towns = dict(zip(b.townships[s.TOWNSHIP_CODE], b.townships[s.TOWNSHIP], strict=False))
    rows = []
    for r in b.areas.drop(columns="geometry").to_dict("records"):
        venue = r.get(s.VENUE_ID)
        rest = r[_AREA_ID] == _REST
        rows.append({"area_id": r[_AREA_ID], "level": r[_LEVEL],
                     "name": t("rest_of_county", lang) if rest else
                     names[s.NAME].get(venue, venue) if s.NAME in names else venue,
                     "township": towns.get(r.get(s.TOWNSHIP_CODE), r.get(s.TOWNSHIP_CODE) or ""),
                     "designated_on": _day(r[_DESIGNATED_ON]),
                     "last_case_on": _day(r[_LAST_CASE_ON]),
                     "lifts_on": _day(r[_LIFTS_ON]) or "",
                     "reason": _area_reason(r, b.regime, lang)})
    return rows


def _township_rows(b: Briefing) -> list[dict[str, Any]]:
    counts = b.township_counts
    if counts is None:
        return []
    cases = counts[_N_CASES] if _N_CASES in counts else pd.Series(0, index=counts.index)
    table = counts.assign(_cases=cases.to_numpy())
    table = table[(table["contacts"] > 0) | (table["_cases"] > 0)].sort_values(
        ["contacts", "_cases", s.TOWNSHIP_CODE], ascending=[False, False, True], kind="stable")
    return [{"name": r[s.TOWNSHIP], "contacts": int(r["contacts"]), "cases": int(r["_cases"])}
            for r in table.to_dict("records")]


def _township_title(b: Briefing, lang: str) -> str:
    """What the township table counts, as the map's legend says it."""
    from tracelab.maps.townships import count_title

    counts = b.township_counts
    if counts is None or "basis" not in counts.attrs:
        return t("contacts", lang)
    return count_title(counts.attrs.get("category"), counts.attrs["basis"], lang)


def _param_text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value))
    return str(value)


_DETAIL_ZH = (("lifts_on", "解除日期"), ("level", "等级"), ("tier", "优先级"), ("high", "高"),
              ("medium", "中"), ("low", "低"), ("None", "无"))


def _detail(text: str, lang: str) -> str:
    if lang == "zh":
        for en, zh in _DETAIL_ZH:
            text = re.sub(rf"\b{en}\b", zh, text)
    return text


def _local_text(iso: str, zone: str) -> str:
    try:
        stamp = pd.Timestamp(iso)
    except ValueError:
        return iso
    if stamp.tz is None:
        return iso
    return stamp.tz_convert(zone).strftime("%Y-%m-%d %H:%M %Z")


def _change_rows(b: Briefing, ch: Changes | None, lang: str) -> list[dict[str, Any]]:
    if ch is None:
        return []
    from tracelab.briefing.diff import venue_name

    rows = []
    for r in ch.venues.to_dict("records"):
        rows.append({"kind": "venue", "label": venue_name(b.venues, r["label"]),
                     "change": r["change"], "detail": _detail(r["detail"], lang)})
    for r in ch.areas.to_dict("records"):
        area = str(r["label"])
        venue = area.split(":", 1)[1] if area.startswith("area:") and area != _REST else None
        label = venue_name(b.venues, venue) if venue else area
        rows.append({"kind": "area", "label": label, "change": r["change"],
                     "detail": _detail(r["detail"], lang)})
    return rows


def render_html(b: Briefing, *, lang: str = "zh", changes: Changes | None = None,
                network: str = "") -> str:
    """Render briefing `b` as one self-contained, print-friendly HTML page.

    Parameters
    ----------
    b : Briefing
        From :func:`tracelab.briefing.build.build_briefing`.
    lang : {"zh", "en"}, default "zh"
    changes : Changes, optional
        What changed since a previous briefing (:func:`tracelab.briefing.diff.changes`):
        a table, and each headline card's change.
    network : str, default ""
        The chains-of-transmission section, trusted HTML from tracelab's own code (every
        registration text in it already escaped), placed after the epidemic curves.

    Returns
    -------
    str
        The page: every text value is autoescaped; the map is an offline Leaflet page
        in an ``iframe srcdoc``; the epidemic curves are inline SVG. Printed (A4), page 1
        holds the title, the headline cards and the map, and every page's foot the
        briefing time and the page number. Equal inputs give equal strings (no clock;
        folium's random ids are renumbered).

    Examples
    --------
    >>> from pathlib import Path
    >>> from tracelab.briefing.build import build_briefing
    >>> from tracelab.io import DataDir
    >>> from tracelab.io.checks import empty_rejections
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "name": ["<b>超市</b>"],
    ...     "venue_type": ["supermarket"], "lon": [114.03], "lat": [27.63]})
    >>> scans = pd.DataFrame({"person_id": ["P0734512", "P0911838"], "venue_id": ["V1", "V1"],
    ...     "scanned_at": [t, t + pd.Timedelta(minutes=5)]})
    >>> cases = pd.DataFrame({"person_id": ["P0734512"], "kind": ["confirmed"], "onset_at": [t],
    ...     "sampled_at": [t], "confirmed_at": [t + pd.Timedelta(days=1)]})
    >>> b = build_briefing(DataDir(venues, scans, cases, empty_rejections(), {}, Path(".")),
    ...                    as_of="2022-11-22T08:00+08:00")
    >>> page = render_html(b)
    >>> page == render_html(b), "&lt;b&gt;超市" in page, "<b>超市" in page, "P0911838" in page
    (True, True, False, False)
    """
    import jinja2
    from markupsafe import Markup

    from tracelab.analysis.area_designation import AREA_RULES
    from tracelab.analysis.ranking import TIERS
    from tracelab.briefing._template import PAGE

    if lang not in LANGS:
        raise ValueError(msg("lang={lang!r}; allowed: 'zh' (Chinese, the default), 'en'",
                             lang=lang))
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(PAGE)
    first = [c["day"].min() for c in (b.epi_onset, b.epi_report) if len(c)]
    last = [c["day"].max() for c in (b.epi_onset, b.epi_report) if len(c)]
    days = (min(first), max(last)) if first else None
    legend = (t("confirmed", lang), t("asymptomatic", lang))

    def figure_name(name: str) -> str:
        return t(name.removeprefix("areas_"), lang) if name.startswith("areas_") else t(name, lang)

    local = b.as_of.tz_convert(b.zone)
    area_rules = AREA_RULES[b.regime]
    county, as_of_text = b.county or t("county", lang), local.strftime("%Y-%m-%d %H:%M %Z")
    footer_left, footer_right = footer_content(
        f"{county} {t('title', lang)} · {t('as_of', lang)} {as_of_text}", lang)
    monitored = b.headline["contacts_by_category_tier"][s.CLOSE_CONTACT][TIERS[-1]]
    page = template.render(
        lang=lang, t=lambda key, **kw: t(key, lang, **kw), figure_name=figure_name,
        county=county, as_of_text=as_of_text, footer_left=footer_left,
        footer_right=footer_right, deltas=card_deltas(changes),
        delta_text=lambda n: delta_text(n, lang), calls_per_day=b.rule.calls_per_day,
        capacity_text=capacity_text(b.rule.calls_per_day, monitored, lang),
        network=Markup(network),
        regime=b.regime, rule_id=b.rule.rule_id, h=b.headline, tiers=TIERS,
        categories=(s.CLOSE_CONTACT, s.CO_EXPOSURE), levels=("high", "medium", "low"),
        map_page=map_page(b, lang=lang),
        svg_onset=Markup(epi_curve_svg(b.epi_onset, title=t("by_onset", lang), legend=legend,
                                       days=days)),
        svg_report=Markup(epi_curve_svg(b.epi_report, title=t("by_report", lang),
                                        legend=legend, days=days)),
        undated=int(b.epi_onset.attrs.get("undated", 0)) + int(b.epi_report.attrs.get(
            "undated", 0)),
        venues=_venue_rows(b, lang), townships=_township_rows(b), areas=_area_rows(b, lang),
        township_title=_township_title(b, lang),
        ch=changes, change_rows=_change_rows(b, changes, lang),
        previous_as_of=_local_text(changes.previous_as_of, b.zone) if changes else "",
        rule_params=[(k, _param_text(v)) for k, v in b.rule.as_dict().items()],
        area_params=[(k, _param_text(getattr(area_rules, k)))
                     for k in area_rules.__dataclass_fields__],
        q=b.quality, fu=b.followup,
        rejections=[dict(r, meaning=(s.REASONS_ZH if lang == "zh" else s.REASONS).get(
            r[s.REASON], "")) for r in b.rejections.to_dict("records")],
        rule_text=rule_paragraph(b.rule, lang),
    )
    return page
