"""The chains of transmission drawn as an offline, interactive SVG network.

Draws a :class:`tracelab.analysis.chains.ChainNetwork` with a layered layout computed
here, no randomness and no library: each cluster a tree (infector above infectee, the
likeliest infector of :func:`tracelab.analysis.clustering.clusters`), the clusters side by
side in their number order, the venues in a band below near the cases they link, and
under each venue its contacts (one node with their count, or one dot each for the
audited contact layer). Every node and edge has a ``<title>`` for hover; a small script
of our own highlights a node's neighbours on hover and pans (drag) and zooms (wheel).
Same network, same bytes.
"""

from __future__ import annotations

import dataclasses
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab._atomic import write_text
from tracelab.analysis.chains import (
    CLUSTER_NO,
    EDGE_KIND,
    FIRST_CASE,
    FIRST_ONSET,
    FIRST_REPORT,
    FROM_NODE,
    LAST_CASE,
    LAST_ONSET,
    LAST_REPORT,
    N_IMPOSSIBLE,
    NODE_ID,
    NODE_KIND,
    ONSET_DAY,
    REPORT_DAY,
    TO_NODE,
    ChainNetwork,
    chain_network,
)
from tracelab.briefing.curve_svg import BAR_COLOURS
from tracelab.briefing.network_assets import SCRIPT, STYLE, problem_text, t
from tracelab.briefing.network_layout import Layout, layout
from tracelab.model import schema as s
from tracelab.model.schema import (
    CLUSTER_SIZE,
    FIRST_EXPOSURE,
    GENERATION,
    IN_TREE,
    INFECTOR_ID,
    LABEL,
    LINK_SCORE,
    N_CASES,
    N_CONTACTS,
    N_ROWS,
    PROBLEM,
    SEVERITY,
    VENUE_IDS,
)

if TYPE_CHECKING:
    from tracelab.briefing.build import Briefing

__all__ = ["network_svg", "network_html", "network_page", "network_section", "network_view",
           "NetworkView", "NODE_COLOURS", "IMPOSSIBLE_COLOUR"]

#: Fill of each node kind; a case is coloured as the epidemic curve colours its kind.
NODE_COLOURS = {"confirmed": BAR_COLOURS[0], "asymptomatic": BAR_COLOURS[1],
                "venue": "#1f618d", "contacts": "#d5dbdb", "contact": "#7f8c8d"}
#: Stroke of a link that is impossible in time (drawn dashed).
IMPOSSIBLE_COLOUR = "#d62728"

_R_CASE, _R_DOT, _VENUE_SIDE = 9, 3, 16
#: The briefing draws the links outside the likeliest tree only up to this many.
MAX_OTHER_LINKS = 600
_LABEL_CHARS = 8  # venue names are cut to this many characters on the drawing


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cut(text: str, n: int = _LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _day(value: Any) -> str:
    return "" if value is None or (not hasattr(value, "isoformat") and pd.isna(value)) \
        else value.isoformat()


def _rows_text(row: Any, lang: str, zone: str) -> str:
    first = getattr(row, FIRST_EXPOSURE)
    when = "" if pd.isna(first) else f"{pd.Timestamp(first).tz_convert(zone):%Y-%m-%d %H:%M}"
    return t("rows", lang, n=int(getattr(row, N_ROWS)), m=float(getattr(row, s.OVERLAP_MIN)),
              first=when)


def _shorten(x1: float, y1: float, x2: float, y2: float, r1: float, r2: float
             ) -> tuple[float, float, float, float]:
    d = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / d, (y2 - y1) / d
    return x1 + ux * r1, y1 + uy * r1, x2 - ux * r2, y2 - uy * r2


def _curve(x1: float, y1: float, x2: float, y2: float, bend: float, r1: float, r2: float
           ) -> str:
    """A quadratic curve bent to the left of its direction, ends kept off the nodes."""
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    d = math.hypot(x2 - x1, y2 - y1) or 1.0
    cx, cy = mx - (y2 - y1) / d * bend * d, my + (x2 - x1) / d * bend * d
    a = _shorten(x1, y1, cx, cy, r1, 0)
    b = _shorten(cx, cy, x2, y2, 0, r2)
    return (f"M{_fmt(a[0])} {_fmt(a[1])}Q{_fmt(cx)} {_fmt(cy)} "
            f"{_fmt(b[2])} {_fmt(b[3])}")


def _radius(kind: str) -> float:
    return {"case": _R_CASE + 2, "venue": _VENUE_SIDE / 2 + 2, "contact": _R_DOT + 1,
            "contacts": 12}.get(kind, 4)


def _edge_class(row: Any) -> str:
    kind = getattr(row, EDGE_KIND)
    if kind == "exposed" and str(getattr(row, TO_NODE)).startswith("person:"):
        return "tl-ch-exposed tl-ch-person"
    if kind != "link":
        return f"tl-ch-{kind.replace('_', '-')}"
    severity = getattr(row, SEVERITY)
    if severity:
        return f"tl-ch-link tl-ch-{severity}"
    return "tl-ch-link tl-ch-tree" if bool(getattr(row, IN_TREE)) else "tl-ch-link tl-ch-other"


def _edges_svg(net: ChainNetwork, lay: Layout, dom: dict[str, str], label: dict[str, str],
               kind_of: dict[str, str], lang: str, zone: str) -> list[str]:
    out = []

    def depth(row: Any) -> int:
        # Faint lines first, the infector tree and the impossible links last, on top.
        cls = _edge_class(row)
        return {"tl-ch-exposed-group": 0, "tl-ch-exposed tl-ch-person": 0, "tl-ch-exposed": 1,
                "tl-ch-at": 2, "tl-ch-link tl-ch-tree": 4, "tl-ch-link tl-ch-impossible": 5
                }.get(cls, 3)

    rows = sorted(net.edges.itertuples(index=False), key=depth)  # stable: ties keep order
    for row in rows:
        a, b = getattr(row, FROM_NODE), getattr(row, TO_NODE)
        if a not in lay.xy or b not in lay.xy:
            continue
        (x1, y1), (x2, y2) = lay.xy[a], lay.xy[b]
        cls = _edge_class(row)
        r1, r2 = _radius(kind_of[a]), _radius(kind_of[b])
        tip = [f"{label[a]} → {label[b]}", _rows_text(row, lang, zone)]
        marker = ""
        if getattr(row, EDGE_KIND) == "link":
            if " tl-ch-tree" in cls:
                d = "M{} {}L{} {}".format(*map(_fmt, _shorten(x1, y1, x2, y2, r1, r2)))
            else:
                d = _curve(x1, y1, x2, y2, 0.18, r1, r2)
            marker = ' marker-end="url(#tl-ch-arrow-bad)"' if "impossible" in cls else \
                ' marker-end="url(#tl-ch-arrow)"'
            if pd.notna(getattr(row, LINK_SCORE)):
                tip.append(t("score", lang, x=float(getattr(row, LINK_SCORE))))
            via = [label.get("venue:" + v, v) for v in str(getattr(row, VENUE_IDS)).split(",")
                   if v]
            if via:
                tip.append(t("via", lang, venues="、".join(via[:3]) + (
                    " " + t("more", lang, n=len(via)) if len(via) > 3 else "")))
            for problem in filter(None, str(getattr(row, PROBLEM)).split(",")):
                tip.append(t(getattr(row, SEVERITY), lang) + "：" + problem_text(problem, lang)
                           if lang != "en" else
                           f"{t(getattr(row, SEVERITY), lang)}: {problem_text(problem, lang)}")
        elif getattr(row, EDGE_KIND) == "exposed" and kind_of[b] == "case":
            d = _curve(x1, y1, x2, y2, -0.08, r1, r2)
            marker = ' marker-end="url(#tl-ch-arrow-faint)"'
        else:
            d = "M{} {}L{} {}".format(*map(_fmt, _shorten(x1, y1, x2, y2, r1, r2)))
        out.append(f'<path class="tl-ch-edge {cls}" data-a="{dom[a]}" data-b="{dom[b]}" '
                   f'd="{d}"{marker}><title>{_esc(chr(10).join(tip))}</title></path>')
    return out


def _case_tip(row: Any, label: dict[str, str], lang: str) -> str:
    kind = getattr(row, s.KIND)
    lines = [f"{t('case', lang)} {getattr(row, LABEL)}"
             + (f"（{t(kind, lang)}）" if lang != "en" and kind in ("confirmed", "asymptomatic")
                else f" ({t(kind, lang)})" if kind in ("confirmed", "asymptomatic") else ""),
             t("cluster", lang, no=getattr(row, CLUSTER_NO)) + t("sep", lang)
             + t("generation", lang, g=getattr(row, GENERATION))]
    if _day(getattr(row, ONSET_DAY)):
        lines.append(t("onset", lang, day=_day(getattr(row, ONSET_DAY))))
    if _day(getattr(row, REPORT_DAY)):
        lines.append(t("report", lang, day=_day(getattr(row, REPORT_DAY))))
    infector = getattr(row, INFECTOR_ID)
    if pd.notna(infector) and f"case:{infector}" in label:
        lines.append(t("infector", lang, who=label[f"case:{infector}"]))
    return "\n".join(lines)


def _nodes_svg(net: ChainNetwork, lay: Layout, dom: dict[str, str], lang: str) -> list[str]:
    out = []
    label = dict(zip(net.nodes[NODE_ID], net.nodes[LABEL], strict=True))
    stagger = {v: i % 2 for i, v in enumerate(lay.venue_order)}
    for row in net.nodes.itertuples(index=False):
        n, kind = getattr(row, NODE_ID), getattr(row, NODE_KIND)
        if n not in lay.xy:
            continue
        x, y = lay.xy[n]
        no = getattr(row, CLUSTER_NO)
        data = f' data-cluster="{int(no)}"' if pd.notna(no) else ""
        head = (f'<g class="tl-ch-node tl-ch-{kind}" data-node="{dom[n]}"{data} '
                f'transform="translate({_fmt(x)},{_fmt(y)})">')
        if kind == "case":
            case_kind = getattr(row, s.KIND)
            fill = NODE_COLOURS.get(case_kind if isinstance(case_kind, str) else "",
                                    NODE_COLOURS["confirmed"])
            body = (f'<circle r="{_R_CASE}" fill="{fill}"/>'
                    f'<text y="{_R_CASE + 11}" text-anchor="middle">{_esc(label[n])}</text>'
                    f"<title>{_esc(_case_tip(row, label, lang))}</title>")
        elif kind == "venue":
            h = _VENUE_SIDE / 2
            tip = [str(label[n]), t("n_cases", lang, n=int(getattr(row, N_CASES))),
                   t("n_contacts", lang, n=int(getattr(row, N_CONTACTS)))]
            body = (f'<rect x="{-h}" y="{-h}" width="{_VENUE_SIDE}" height="{_VENUE_SIDE}" '
                    f'fill="{NODE_COLOURS["venue"]}"/>'
                    f'<text y="{h + 12 + 12 * stagger.get(n, 0)}" text-anchor="middle">'
                    f"{_esc(_cut(str(label[n])))}</text>"
                    f"<title>{_esc(chr(10).join(tip))}</title>")
        elif kind == "contacts":
            text = t("contacts_node", lang, n=int(getattr(row, N_CONTACTS)))
            venue = label.get("venue:" + str(getattr(row, s.VENUE_ID)), "")
            body = (f'<rect x="-40" y="-11" width="80" height="22" rx="11" '
                    f'fill="{NODE_COLOURS["contacts"]}"/>'
                    f'<text y="4" text-anchor="middle">{_esc(text)}</text>'
                    f"<title>{_esc(venue + chr(10) + text)}</title>")
        else:
            body = (f'<circle r="{_R_DOT}" fill="{NODE_COLOURS["contact"]}"/>'
                    f"<title>{_esc(t('contact', lang) + ' ' + str(label[n]))}</title>")
        out.append(head + body + "</g>")
    return out


def network_svg(net: ChainNetwork, *, lang: str = "zh", zone: str = s.DEFAULT_ZONE) -> str:
    """The network as one ``<svg>`` element, laid out deterministically.

    Parameters
    ----------
    net : ChainNetwork
        :func:`tracelab.analysis.chains.chain_network` (or ``chain_contacts``) output.
    lang : {"zh", "en"}
        Language of the hover texts.
    zone : str
        Zone of the exposure times in the hover texts.

    Returns
    -------
    str
        ``<svg class="tl-ch-graph">``: one ``g.tl-ch-node`` per node (classes
        ``tl-ch-case``, ``tl-ch-venue``, ``tl-ch-contacts``, ``tl-ch-contact``) and one
        ``path.tl-ch-edge`` per edge (``tl-ch-tree``, ``tl-ch-other``,
        ``tl-ch-implausible``, ``tl-ch-impossible``, ``tl-ch-at``, ``tl-ch-exposed``,
        ``tl-ch-exposed-group``), each with a ``<title>``; registered names escaped.

    Examples
    --------
    >>> from tracelab.analysis.chains import chain_network
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> cases = pd.DataFrame({"person_id": ["p_aaaaaaaaaaaaaaaa"], "onset_at": [t]})
    >>> ex = pd.DataFrame({"case_id": ["p_aaaaaaaaaaaaaaaa"], "contact_id": ["p_cccccccccccccccc"],
    ...     "venue_id": ["V1"], "overlap_start": [t], "overlap_end": [t + pd.Timedelta(hours=1)],
    ...     "overlap_minutes": [60.0]})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "name": ["<b>长乐镇超市</b>"]})
    >>> svg = network_svg(chain_network(ex, cases, venues))
    >>> svg.count('class="tl-ch-node '), "&lt;b&gt;" in svg, "<b>" in svg
    (3, True, False)
    """
    lay = layout(net)
    dom = {n: f"n{i}" for i, n in enumerate(net.nodes[NODE_ID])}
    label = {n: str(v) for n, v in zip(net.nodes[NODE_ID], net.nodes[LABEL], strict=True)}
    for n, k, c in zip(net.nodes[NODE_ID], net.nodes[NODE_KIND], net.nodes[N_CONTACTS],
                       strict=True):
        if k == "contacts":
            label[n] = t("contacts_node", lang, n=int(c))
    kind_of = dict(zip(net.nodes[NODE_ID], net.nodes[NODE_KIND], strict=True))
    w, h = math.ceil(lay.width), math.ceil(lay.height)
    # Links outside the likeliest tree (and not impossible) are drawn but hidden until
    # asked for: on the sample they are 186 of 243, and all of them at once hide the tree.
    parts = [f'<svg class="tl-ch-graph tl-hide-other" '
             f'viewBox="0 0 {w} {h}" data-w="{w}" data-h="{h}" width="100%" '
             f'style="max-height:{min(h, 900)}px" font-family="sans-serif" font-size="10" '
             f'role="img" aria-label="{_esc(t("heading", lang))}">',
             "<defs>" + "".join(
                 f'<marker id="{mid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                 f'markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" '
                 f'fill="{colour}"/></marker>'
                 for mid, colour in (("tl-ch-arrow", "#333"),
                                     ("tl-ch-arrow-bad", IMPOSSIBLE_COLOUR),
                                     ("tl-ch-arrow-faint", "#48a9a6"))) + "</defs>",
             '<g class="tl-ch-edges">',
             *_edges_svg(net, lay, dom, label, kind_of, lang, zone), "</g>",
             '<g class="tl-ch-nodes">', *_nodes_svg(net, lay, dom, lang), "</g></svg>"]
    return "".join(parts)


def _swatch(shape: str) -> str:
    return (f'<svg width="26" height="12" viewBox="0 0 26 12" aria-hidden="true">{shape}</svg>')


def _legend(net: ChainNetwork, lang: str) -> str:
    line = '<path d="M1 6H24" class="tl-ch-edge {}" fill="none"/>'
    items = [
        (f'<circle cx="13" cy="6" r="5" fill="{NODE_COLOURS["confirmed"]}"/>', "confirmed"),
        (f'<circle cx="13" cy="6" r="5" fill="{NODE_COLOURS["asymptomatic"]}"/>',
         "asymptomatic"),
        (f'<rect x="8" y="1" width="10" height="10" fill="{NODE_COLOURS["venue"]}"/>', "venue"),
        ((f'<circle cx="13" cy="6" r="3" fill="{NODE_COLOURS["contact"]}"/>', "contact")
         if net.contacts else
         (f'<rect x="1" y="1" width="24" height="10" rx="5" fill="{NODE_COLOURS["contacts"]}"/>',
          "contacts_legend")),
        (line.format("tl-ch-tree"), "tree"), (line.format("tl-ch-other"), "other"),
        (line.format("tl-ch-implausible"), "implausible"),
        (line.format("tl-ch-impossible"), "impossible"),
        (line.format("tl-ch-at"), "at"), (line.format("tl-ch-exposed"), "exposed"),
    ]
    return ('<div class="tl-ch-legend">' + "".join(
        f'<span class="tl-ch-key-{key}">{_swatch(shape)} {_esc(t(key, lang))}</span>'
        for shape, key in items) + "</div>")


def _venue_list(ids: str, names: dict[str, str], lang: str) -> str:
    venues = [names.get("venue:" + v, v) for v in ids.split(",") if v]
    if not venues:
        return t("none", lang)
    shown = "、".join(venues[:5]) if lang != "en" else ", ".join(venues[:5])
    return shown + (" " + t("more", lang, n=len(venues)) if len(venues) > 5 else "")


def _clusters_table(net: ChainNetwork, lang: str) -> str:
    label = dict(zip(net.nodes[NODE_ID], net.nodes[LABEL], strict=True))
    heads = ["cluster_no", "size", "first", "last", "venues", "n_impossible"]
    rows = ["<tr>" + "".join(f"<th>{_esc(t(h, lang))}</th>" for h in heads) + "</tr>"]
    for r in net.clusters.itertuples(index=False):
        def case(who: Any, onset: Any, report: Any) -> str:
            days = " / ".join(d[5:] if d else "?" for d in (_day(onset), _day(report)))
            return f"{_esc(label.get(f'case:{who}', ''))}（{days}）" if lang != "en" else \
                f"{_esc(label.get(f'case:{who}', ''))} ({days})"
        no = int(getattr(r, CLUSTER_NO))
        rows.append(
            f'<tr class="tl-ch-cluster" data-cluster="{no}"><td class="n">{no}</td>'
            f'<td class="n">{int(getattr(r, CLUSTER_SIZE))}</td>'
            f"<td>{case(getattr(r, FIRST_CASE), getattr(r, FIRST_ONSET), getattr(r, FIRST_REPORT))}</td>"
            f"<td>{case(getattr(r, LAST_CASE), getattr(r, LAST_ONSET), getattr(r, LAST_REPORT))}</td>"
            f"<td>{_esc(_venue_list(str(getattr(r, VENUE_IDS)), label, lang))}</td>"
            f'<td class="n">{int(getattr(r, N_IMPOSSIBLE))}</td></tr>')
    return '<table class="tl-ch-clusters">' + "".join(rows) + "</table>"


def network_html(net: ChainNetwork, *, lang: str = "zh", zone: str = s.DEFAULT_ZONE,
                 heading: bool = True, omitted: int = 0) -> str:
    """The network as an HTML fragment: legend, controls, the SVG, the numbered clusters.

    The fragment carries its own style and script (no file, no network request) and
    works alone, beside others on one page, in a briefing or in a notebook.

    Parameters
    ----------
    net : ChainNetwork
        The network to draw.
    lang : {"zh", "en"}
        Language of every label.
    zone : str
        Zone of the times shown.
    heading : bool
        Start with an ``<h2>``.
    omitted : int
        Links left out of `net` before drawing (:func:`network_section`), stated.

    Returns
    -------
    str
        ``<section class="tl-chains">`` … ``</section>`` followed by its ``<style>`` and
        ``<script>``.

    Examples
    --------
    >>> from tracelab.analysis.chains import chain_network
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> cases = pd.DataFrame({"person_id": ["p_aaaaaaaaaaaaaaaa"], "onset_at": [t]})
    >>> ex = pd.DataFrame({"case_id": ["p_aaaaaaaaaaaaaaaa"], "contact_id": ["p_cccccccccccccccc"],
    ...     "venue_id": ["V1"], "overlap_start": [t], "overlap_end": [t + pd.Timedelta(hours=1)],
    ...     "overlap_minutes": [60.0]})
    >>> page = network_html(chain_network(ex, cases))
    >>> page.startswith('<section class="tl-chains"'), "1 名接触者" in page, "http" in page
    (True, True, False)
    """
    note = t("people_note" if net.contacts else "count_note", lang)
    if omitted:
        note += " " + t("omitted", lang, n=f"{omitted:,}")
    controls = ('<div class="tl-ch-controls">'
                f'<button type="button" data-zoom="0.8">{_esc(t("zoom_in", lang))}</button> '
                f'<button type="button" data-zoom="1.25">{_esc(t("zoom_out", lang))}</button> '
                f'<button type="button" data-zoom="0">{_esc(t("reset", lang))}</button> '
                f'<label><input type="checkbox" class="tl-ch-show-other"> '
                f'{_esc(t("show_other", lang))}</label> '
                f'<span class="tl-ch-hint">{_esc(t("hint", lang))}</span></div>')
    return "".join([
        f'<section class="tl-chains" data-contacts="{int(net.contacts)}" '
        f'data-rule="{_esc(net.rule_id)}">',
        f"<h2>{_esc(t('heading', lang))}</h2>" if heading else "",
        f'<p class="tl-ch-note">{_esc(note)}</p>', _legend(net, lang), controls,
        network_svg(net, lang=lang, zone=zone), _clusters_table(net, lang), "</section>",
        STYLE, SCRIPT])


def network_page(net: ChainNetwork, *, lang: str = "zh", zone: str = s.DEFAULT_ZONE,
                 title: str = "") -> str:
    """A whole offline HTML page of the network (:func:`network_html`), titled `title`."""
    head = t("heading", lang) + (f" · {title}" if title else "")
    return ("<!DOCTYPE html>\n"
            f'<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(head)}</title>"
            "<style>body{font-family:sans-serif;margin:16px}</style></head><body>"
            f"<h1>{_esc(head)}</h1>"
            f"{network_html(net, lang=lang, zone=zone, heading=False)}</body></html>\n")


@dataclass(frozen=True)
class NetworkView:
    """A network for notebooks: Jupyter shows :func:`network_html`; :meth:`save` writes a page."""

    net: ChainNetwork
    lang: str = "zh"
    zone: str = s.DEFAULT_ZONE

    def _repr_html_(self) -> str:
        return network_html(self.net, lang=self.lang, zone=self.zone)

    def save(self, path: str | Path, title: str = "") -> Path:
        """Write the page (:func:`network_page`) whole or not at all; return its path."""
        return write_text(Path(path), network_page(self.net, lang=self.lang, zone=self.zone,
                                                   title=title))


def network_view(net: ChainNetwork, *, lang: str = "zh", zone: str = s.DEFAULT_ZONE
                 ) -> NetworkView:
    """`net` as an object a notebook draws (``_repr_html_``).

    Examples
    --------
    >>> from tracelab.analysis.chains import chain_network
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> cases = pd.DataFrame({"person_id": ["p_aaaaaaaaaaaaaaaa"], "onset_at": [t]})
    >>> ex = pd.DataFrame({"case_id": ["p_aaaaaaaaaaaaaaaa"], "contact_id": ["p_cccccccccccccccc"],
    ...     "venue_id": ["V1"], "overlap_start": [t], "overlap_end": [t + pd.Timedelta(hours=1)],
    ...     "overlap_minutes": [60.0]})
    >>> view = network_view(chain_network(ex, cases), lang="en")
    >>> "1 contacts" in view._repr_html_()
    True
    """
    return NetworkView(net, lang, zone)


def network_section(b: Briefing, *, lang: str = "zh") -> str:
    """The briefing's chain view: cases and venues, contacts counted per venue.

    Uses the briefing's ``exposures``, ``cases``, ``venues``, ``rule`` and ``zone``;
    nothing person-level beyond the cases (labelled by pseudonym prefix).
    """
    net = chain_network(b.exposures, b.cases, b.venues, rule=b.rule, zone=b.zone)
    # Every pair of cases at one venue is a possible link: 19,796 of them for 413 cases
    # (113 MB of page, 5,907 of them marked). The likeliest tree is always drawn, the
    # other links only while they are few; the cluster table still counts the impossible.
    edges = net.edges
    other = (edges[EDGE_KIND] == "link") & ~edges[IN_TREE].fillna(False).astype(bool)
    omitted = int(other.sum()) if other.sum() > MAX_OTHER_LINKS else 0
    if omitted:
        net = dataclasses.replace(net, edges=edges[~other].reset_index(drop=True))
    return network_html(net, lang=lang, zone=b.zone, omitted=omitted)

