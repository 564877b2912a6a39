"""Labels, style and script of the chain view (:mod:`tracelab.briefing.network_svg`).

The script is our own, a few dozen lines: hover highlights a node and its neighbours (or a
cluster's cases from its table row), dragging pans, the wheel and buttons zoom, a
double-click resets, a checkbox shows the links outside the likeliest infector tree. It
finds its sections by class, so several can share a page, and loads nothing.
"""

from __future__ import annotations

from typing import Any

from tracelab.analysis.clustering import PROBLEMS

__all__ = ["TEXT", "PROBLEMS_ZH", "STYLE", "SCRIPT", "t", "problem_text"]

#: Every label of the chain view: key -> (Chinese, English).
TEXT: dict[str, tuple[str, str]] = {
    "heading": ("传播链", "Chains of transmission"),
    "case": ("病例", "Case"),
    "confirmed": ("确诊病例", "Confirmed case"),
    "asymptomatic": ("无症状感染者", "Asymptomatic case"),
    "venue": ("场所", "Venue"),
    "contacts_node": ("{n} 名接触者", "{n} contacts"),
    "contacts_legend": ("接触者（按场所合计）", "Contacts (counted per venue)"),
    "contact": ("接触者", "Contact"),
    "tree": ("最可能的感染者 → 被感染者", "Likeliest infector → infectee"),
    "other": ("其他可能的传播关系", "Other plausible link"),
    "implausible": ("时间上不太可能（潜伏期外）", "Implausible in time (outside incubation)"),
    "impossible": ("时间上不可能", "Impossible in time"),
    "at": ("病例到过的场所", "Case at venue"),
    "exposed": ("在该场所暴露", "Exposed at venue"),
    "show_other": ("显示其他关系", "Show other links"),
    "omitted": ("另有 {n} 条其他可能的传播关系未画出，以免图过大；完整网络见 tracelab chains。",
                "{n} other possible links are not drawn, to keep the page small; the whole "
                "network is in tracelab chains."),
    "zoom_in": ("放大", "Zoom in"), "zoom_out": ("缩小", "Zoom out"),
    "reset": ("复位", "Reset"),
    "hint": ("悬停查看详情并突出相连节点；拖动平移，滚轮缩放，双击复位。",
             "Hover for details and to highlight neighbours; drag to pan, wheel to zoom, "
             "double-click to reset."),
    "people_note": ("本图逐人显示接触者（化名前缀），属人员级查询，已记入审计日志。",
                    "Contacts are shown one by one (pseudonym prefixes): a person-level "
                    "query, recorded in the audit log."),
    "count_note": ("接触者按场所合计显示；逐人显示须说明用途并记入审计（tracelab chains "
                   "--contacts --purpose …）。",
                   "Contacts are counted per venue; showing each needs a purpose and is "
                   "audited (tracelab chains --contacts --purpose …)."),
    "cluster_no": ("传播链", "Cluster"),
    "size": ("病例数", "Cases"),
    "first": ("首例（发病 / 报告）", "First case (onset / report)"),
    "last": ("末例（发病 / 报告）", "Last case (onset / report)"),
    "venues": ("关联场所", "Venues that tie it"),
    "n_impossible": ("时间上不可能的关系", "Links impossible in time"),
    "cluster": ("传播链 {no}", "cluster {no}"),
    "generation": ("第 {g} 代", "generation {g}"),
    "onset": ("发病（或首次阳性采样） {day}", "onset (or first positive sample) {day}"),
    "report": ("报告 {day}", "reported {day}"),
    "infector": ("可能的感染者 {who}", "likely infected by {who}"),
    "n_cases": ("{n} 名病例在此暴露他人", "{n} case(s) exposed people here"),
    "n_contacts": ("{n} 名暴露人员", "{n} people exposed"),
    "rows": ("{n} 次暴露，共 {m:.0f} 分钟，首次 {first}",
             "{n} exposure(s), {m:.0f} minutes, first {first}"),
    "score": ("关联得分 {x:.1f}", "link score {x:.1f}"),
    "via": ("经 {venues}", "via {venues}"),
    "more": ("等 {n} 个", "and {n} more"),
    "none": ("—", "—"),
    "sep": ("，", ", "),
}
#: :data:`tracelab.analysis.clustering.PROBLEMS` in Chinese.
PROBLEMS_ZH = {
    "exposure_after_onset": "暴露开始于被感染者发病（或阳性采样）之时或之后",
    "infector_not_infectious": "暴露不在感染者的传染期内（发病或采样前 2 天至隔离）",
    "before_incubation": "暴露早于被感染者发病前的最长潜伏期",
    "within_min_incubation": "暴露晚于被感染者发病前的最短潜伏期",
}


def t(key: str, lang: str, **fields: Any) -> str:
    """Label `key` in `lang` (``zh`` unless ``en``), filled in with `fields`.

    Examples
    --------
    >>> t("contacts_node", "zh", n=3), t("contacts_node", "en", n=3)
    ('3 名接触者', '3 contacts')
    """
    return TEXT[key][1 if lang == "en" else 0].format(**fields)


def problem_text(key: str, lang: str) -> str:
    """A lint problem's meaning in `lang`."""
    return PROBLEMS.get(key, key) if lang == "en" else PROBLEMS_ZH.get(key, key)


#: The fragment's own style, scoped by its classes; controls are not printed.
STYLE = """<style>
.tl-chains .tl-ch-graph{border:1px solid #ddd;background:#fff;cursor:grab;touch-action:none}
.tl-chains .tl-ch-edge{fill:none;stroke-width:1}
.tl-ch-tree{stroke:#333;stroke-width:1.8}
.tl-ch-other{stroke:#999;stroke-opacity:.55}
.tl-ch-implausible{stroke:#999;stroke-dasharray:2 3;stroke-opacity:.7}
.tl-ch-impossible{stroke:#d62728;stroke-width:1.6;stroke-dasharray:6 4}
.tl-ch-at{stroke:#5dade2;stroke-opacity:.45}
.tl-ch-exposed{stroke:#48a9a6;stroke-opacity:.6;stroke-dasharray:4 2}
.tl-ch-exposed-group{stroke:#bbb}
.tl-chains .tl-ch-exposed.tl-ch-person{stroke:#bbb;stroke-opacity:.25;stroke-dasharray:none}
.tl-chains .tl-hide-other .tl-ch-other,.tl-chains .tl-hide-other .tl-ch-implausible{display:none}
.tl-ch-focus .tl-ch-node:not(.tl-ch-on),.tl-ch-focus .tl-ch-edge:not(.tl-ch-on){opacity:.12}
.tl-ch-node.tl-ch-on circle,.tl-ch-node.tl-ch-on rect{stroke:#000;stroke-width:1.5}
.tl-ch-legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;margin:4px 0}
.tl-ch-legend span{white-space:nowrap}
.tl-ch-controls{font-size:12px;margin:4px 0}
.tl-ch-hint{margin-left:1em;color:#555}
.tl-ch-clusters{border-collapse:collapse;font-size:13px;margin-top:8px}
.tl-ch-clusters td,.tl-ch-clusters th{border:1px solid #ddd;padding:2px 6px;text-align:left}
.tl-ch-clusters td.n{text-align:right}
@media print{.tl-ch-controls{display:none}.tl-chains .tl-ch-graph{max-height:none!important}}
</style>"""

# Our own script: hover highlight, drag to pan, wheel to zoom, buttons, double-click reset.
SCRIPT = """<script>
(function () {
  document.querySelectorAll("section.tl-chains:not([data-ready])").forEach(function (sec) {
    sec.setAttribute("data-ready", "1");
    var svg = sec.querySelector("svg.tl-ch-graph");
    if (!svg) return;
    var W = +svg.getAttribute("data-w"), H = +svg.getAttribute("data-h"), vb = [0, 0, W, H];
    function show() {
      svg.setAttribute("viewBox", vb.map(function (v) { return v.toFixed(1); }).join(" "));
    }
    // Neighbours of each node: [edge, other node] pairs, from the edges' data-a / data-b.
    var near = {}, node = {};
    svg.querySelectorAll(".tl-ch-node").forEach(function (g) {
      var k = g.getAttribute("data-node");
      node[k] = g;
      near[k] = [];
    });
    svg.querySelectorAll(".tl-ch-edge").forEach(function (e) {
      var a = e.getAttribute("data-a"), b = e.getAttribute("data-b");
      if (near[a]) near[a].push([e, b]);
      if (near[b]) near[b].push([e, a]);
    });
    function clear() {
      svg.classList.remove("tl-ch-focus");
      svg.querySelectorAll(".tl-ch-on").forEach(function (x) { x.classList.remove("tl-ch-on"); });
    }
    function focus(elements) {
      clear();
      svg.classList.add("tl-ch-focus");
      elements.forEach(function (x) { x.classList.add("tl-ch-on"); });
    }
    svg.addEventListener("mouseover", function (ev) {
      var g = ev.target.closest(".tl-ch-node");
      if (!g) return;
      var on = [g];
      (near[g.getAttribute("data-node")] || []).forEach(function (p) {
        on.push(p[0]);
        if (node[p[1]]) on.push(node[p[1]]);
      });
      focus(on);
    });
    svg.addEventListener("mouseout", function (ev) {
      if (ev.target.closest(".tl-ch-node")) clear();
    });
    function zoom(f, cx, cy) {
      var w = vb[2] * f, h = vb[3] * f;
      if (w < W / 40 || w > W * 4) return;
      vb = [cx - (cx - vb[0]) * f, cy - (cy - vb[1]) * f, w, h];
      show();
    }
    function at(ev) {  // the drawing's point under the pointer, and units per pixel
      var r = svg.getBoundingClientRect(), s = Math.max(vb[2] / r.width, vb[3] / r.height);
      return [vb[0] + (ev.clientX - r.left) * s, vb[1] + (ev.clientY - r.top) * s, s];
    }
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var p = at(ev);
      zoom(ev.deltaY > 0 ? 1.2 : 1 / 1.2, p[0], p[1]);
    }, {passive: false});
    var drag = null;
    svg.addEventListener("pointerdown", function (ev) { drag = [ev.clientX, ev.clientY, at(ev)[2]]; });
    window.addEventListener("pointerup", function () { drag = null; });
    svg.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      vb[0] -= (ev.clientX - drag[0]) * drag[2];
      vb[1] -= (ev.clientY - drag[1]) * drag[2];
      drag[0] = ev.clientX;
      drag[1] = ev.clientY;
      show();
    });
    svg.addEventListener("dblclick", function () { vb = [0, 0, W, H]; show(); });
    sec.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var f = +b.getAttribute("data-zoom");
        if (!f) { vb = [0, 0, W, H]; show(); } else zoom(f, vb[0] + vb[2] / 2, vb[1] + vb[3] / 2);
      });
    });
    var other = sec.querySelector("input.tl-ch-show-other");
    if (other) other.addEventListener("change", function () {
      svg.classList.toggle("tl-hide-other", !other.checked);
    });
    sec.querySelectorAll("tr[data-cluster]").forEach(function (tr) {
      tr.addEventListener("mouseenter", function () {
        var no = tr.getAttribute("data-cluster");
        focus(svg.querySelectorAll('.tl-ch-node[data-cluster="' + no + '"]'));
      });
      tr.addEventListener("mouseleave", clear);
    });
  });
})();
</script>"""
