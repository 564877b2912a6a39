"""Labels of the briefing in Chinese (default) and English."""

from __future__ import annotations

from typing import Any

from tracelab._i18n import msg

__all__ = ["LANGS", "t", "venue_type_name", "rule_paragraph", "delta_text", "capacity_text"]

#: Briefing languages; the first is the default.
LANGS = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("疫情防控指挥部简报", "Command HQ briefing"),
    "county": ("本地", "Local"),
    "as_of": ("数据截至", "Data as of"),
    "regime": ("防控方案", "Regime"),
    "headline": ("核心数字", "Headline numbers"),
    "cases": ("病例", "Cases"),
    "confirmed": ("确诊病例", "Confirmed"),
    "asymptomatic": ("无症状感染者", "Asymptomatic"),
    "contacts": ("暴露人员", "People exposed"),
    "venues": ("涉疫场所", "Exposure venues"),
    "followup": ("流调落实", "Follow-up"),
    "followup_located": ("已落实", "located"),
    "followup_overdue": ("超时未落实", "overdue"),
    "risk_areas": ("风险区", "Risk areas"),
    "high": ("高风险区", "High"),
    "medium": ("中风险区", "Medium"),
    "low": ("低风险区", "Low"),
    "rest_of_county": ("县域其余区域", "Rest of the county"),
    "contacts_by": ("暴露人员：按类别与优先级", "People exposed by category and priority"),
    "category": ("类别", "Category"),
    "close_contact_candidate": ("疑似密切接触者（待流调判定）",
                                "Close-contact candidate (to be judged)"),
    "venue_coexposure_candidate": ("涉疫场所暴露人员（候选）", "Venue co-exposure candidate"),
    # Tiers as the map legend names them (tracelab.maps.labels).
    "call_today": ("今日联系", "Call today"),
    "within_24h": ("24小时内联系", "Call within 24 hours"),
    "monitor": ("观察", "Monitor"),
    "total": ("合计", "Total"),
    "map": ("地图", "Map"),
    "map_note": ("场所圆点大小表示暴露人数，颜色表示最高优先级；乡镇底色表示密接人数（图例注明按居住"
                 "乡镇或场所所在乡镇统计）；数字圆标为重点场所名次（同重点场所表），灰色圆为合并的相邻"
                 "场所，放大即分开；小风险区以最小尺寸圆标出，悬停显示实际半径。",
                 "Circles are sized by people exposed and coloured by the most urgent "
                 "priority; townships are shaded by close contacts (the legend says whether "
                 "by township of residence or of the venue); numbered badges are the ranks "
                 "of the top-venue table; grey circles merge nearby venues and split as you "
                 "zoom in; small risk areas are drawn at a minimum size, with the true "
                 "radius on hover."),
    # Said on screen only: the printout has no layer control.
    "map_hint": ("可在右上角切换图层。", "Switch layers top right."),
    "capacity": ("按每日可联系 {n} 人排序", "ranked for {n} calls a day"),
    "capacity_tiers": ("按每日可联系 {n} 人排序：第 1–{n} 名今日联系，第 {n1}–{n2} 名24小时内联系，"
                       "其余观察。",
                       "Ranked for {n} calls a day: ranks 1–{n} call today, {n1}–{n2} within "
                       "24 hours, the rest monitor."),
    "capacity_monitored": ("疑似密切接触者中有 {m} 人因此列为观察。",
                           "{m} close-contact candidates are therefore monitored."),
    "delta": ("{d} 较上次", "{d} since last"),
    "delta_zero": ("较上次持平", "unchanged since last"),
    "page_of": ("第 {page} / {pages} 页", "page {page} of {pages}"),
    "epi": ("流行曲线", "Epidemic curve"),
    "by_onset": ("按发病日期（无症状者按首次阳性采样日期）",
                 "By onset date (asymptomatic: first positive sample)"),
    "by_report": ("按报告日期", "By report date"),
    "undated": ("缺少日期的病例", "Cases without the date"),
    "top_venues": ("重点场所", "Top venues"),
    "rank": ("序号", "Rank"),
    "venue": ("场所", "Venue"),
    "address": ("地址", "Address"),
    "venue_type": ("类型", "Type"),
    "township": ("乡镇", "Township"),
    "n_cases": ("病例数", "Cases"),
    "case_hours": ("病例停留（小时）", "Case hours"),
    "n_exposed": ("暴露人数", "Exposed"),
    "peak": ("同时在场峰值", "Peak present"),
    "reason": ("原因", "Reason"),
    "top_townships": ("重点乡镇", "Top townships"),
    "areas_table": ("风险区及解除日期", "Risk areas and lifting dates"),
    "level": ("等级", "Level"),
    "designated_on": ("划定日期", "Designated on"),
    "last_case_on": ("最近病例报告", "Last case reported"),
    "lifts_on": ("解除日期（无新增时）", "Lifts on (if no new case)"),
    "no_areas": ("无风险区。", "No risk areas."),
    "changes": ("与上期简报相比", "Changes since the previous briefing"),
    "no_previous": ("未提供上期简报（--since）。", "No previous briefing given (--since)."),
    "previous_as_of": ("上期数据截至", "Previous data as of"),
    "no_changes": ("无变化。", "No changes."),
    "item": ("项目", "Item"),
    "previous": ("上期", "Previous"),
    "current": ("本期", "Current"),
    "change": ("变化", "Change"),
    "kind": ("对象", "Kind"),
    "new": ("新增", "new"),
    "dropped": ("移出", "dropped"),
    "changed": ("变更", "changed"),
    "lifted": ("解除", "lifted"),
    "contact": ("暴露人员", "contact"),
    "exposure": ("暴露记录", "exposure"),
    "area": ("风险区", "area"),
    "detail": ("说明", "Detail"),
    "rules": ("判定规则", "Rule set"),
    "rule_id": ("规则编号", "Rule id"),
    "parameter": ("参数", "Parameter"),
    "value": ("取值", "Value"),
    "area_rules": ("风险区规则", "Risk-area rules"),
    "quality": ("数据质量", "Data quality"),
    "file": ("文件", "File"),
    "read": ("读入行数", "Rows read"),
    "accepted": ("接收", "Accepted"),
    "rejected": ("拒收", "Rejected"),
    "rejections_by_reason": ("拒收原因", "Rejections by reason"),
    "count": ("数量", "Count"),
    "proxy_share": ("代扫码占比", "Proxy-scan share"),
    "remote_scans": ("远程扫码（手机距场所超过{m}米）",
                     "Remote scans (phone more than {m} m from the venue)"),
    "with_position": ("有手机定位的扫码", "Scans with a phone position"),
    "merged_scans": ("合并的重复扫码", "Merged repeat scans"),
    "registry_faults": ("登记信息有误但保留用于追踪的场所", "Venues kept for tracing despite "
                        "registry faults"),
    "set_aside": ("病例本人未采用的扫码记录", "Cases' own scans set aside"),
    "case_no": ("病例", "Case"),
    "case_label": ("病例{n}", "Case {n}"),
    "scans": ("扫码记录", "Scans"),
    "privacy": ("本简报不含姓名、电话、证件号码；人员仅以数量出现。",
                "This briefing holds no names, phones or ID numbers; people appear only "
                "as counts."),
    "footer": ("由 tracelab 生成；场所名称、地址为登记原文。",
               "Made by tracelab; venue names and addresses are as registered."),
    "none": ("无", "none"),
}


def t(key: str, lang: str = "zh", **fields: object) -> str:
    """Return the label `key` in `lang`, with ``{name}`` fields filled in.

    Examples
    --------
    >>> t("cases"), t("cases", "en")
    ('病例', 'Cases')
    >>> t("remote_scans", "en", m=500)
    'Remote scans (phone more than 500 m from the venue)'
    """
    if lang not in LANGS:
        raise ValueError(msg("lang={lang!r}; allowed: 'zh' (Chinese, the default), 'en'",
                             lang=lang))
    try:
        text = _TEXT[key][LANGS.index(lang)]
    except KeyError:
        raise KeyError(msg("no briefing label {key!r}", key=key)) from None
    return text.format(**fields) if fields else text


def delta_text(change: int, lang: str = "zh") -> str:
    """A headline card's change since the previous briefing, e.g. "+12 较上次".

    Examples
    --------
    >>> delta_text(12), delta_text(-3, "en"), delta_text(0)
    ('+12 较上次', '-3 since last', '较上次持平')
    """
    return t("delta", lang, d=f"{change:+d}") if change else t("delta_zero", lang)


def capacity_text(calls_per_day: int, close_monitored: int, lang: str = "zh") -> str:
    """What the capacity does to the tiers, and how many close-contact candidates it
    leaves to be monitored (said only when there are any).

    Examples
    --------
    >>> text = capacity_text(200, 612)
    >>> text.startswith("按每日可联系 200 人排序：第 1–200 名今日联系，第 201–400 名24小时内联系")
    True
    >>> text.endswith("其余观察。疑似密切接触者中有 612 人因此列为观察。")
    True
    >>> print(capacity_text(50, 0, "en"))
    Ranked for 50 calls a day: ranks 1–50 call today, 51–100 within 24 hours, the rest monitor.
    """
    text = t("capacity_tiers", lang, n=calls_per_day, n1=calls_per_day + 1,
             n2=2 * calls_per_day)
    if close_monitored:
        text += ("" if lang == "zh" else " ") + t("capacity_monitored", lang, m=close_monitored)
    return text


def venue_type_name(code: object, lang: str = "zh") -> str:
    """Name of a venue-type code in `lang`; unknown codes are returned as given.

    Examples
    --------
    >>> venue_type_name("supermarket"), venue_type_name("supermarket", "en")
    ('超市', 'Supermarket')
    """
    from tracelab.model import reference
    from tracelab.model import schema as s

    table = reference.venue_types().set_index(s.TYPE_CODE)
    column = s.NAME_ZH if lang == "zh" else s.NAME_EN
    if code in table.index:
        return str(table.at[code, column])
    return "" if code is None else str(code)


_DWELL = {
    "scan_only": ("只按扫码时刻计", "the scan instant only"),
    "estimated_dwell": ("未扫离场码时按场所类型估计停留时长，并以本人下一次扫码为止",
                        "without an exit scan, a stay lasts the venue type's usual dwell, "
                        "until the person's next scan"),
    "same_day": ("同一天扫过同一场所即算同时在场", "the same venue on the same day counts"),
    "whole_day": ("扫码当天全天在场", "present the whole day of the scan"),
}


def rule_paragraph(rule: Any, lang: str = "zh") -> str:
    """The tracing rule as one short plain paragraph: window, co-presence, generations.

    Examples
    --------
    >>> from tracelab.model.rules import rule
    >>> print(rule_paragraph(rule("ninth"), "en"))  # doctest: +NORMALIZE_WHITESPACE
    Window: from 2 days before onset (symptomatic) or sampling (asymptomatic) until
    isolation. Co-presence: stays at one venue that overlap by any time; without an exit
    scan, a stay lasts the venue type's usual dwell, until the person's next scan.
    Generations traced: two (close contacts and their contacts). Calls: ranked for 200
    calls a day.
    """
    zh = lang == "zh"
    sym, asym = rule.lookback_days_symptomatic, rule.lookback_days_asymptomatic
    days = (f"{sym:g}" if sym == asym else f"{sym:g}/{asym:g}")
    until = ("至隔离" if zh else "until isolation") if rule.end_at_isolation else (
        "至简报时" if zh else "until the briefing time")
    overlap = (f"重叠满 {rule.min_overlap_minutes:g} 分钟" if zh else
               f"overlap by at least {rule.min_overlap_minutes:g} minutes") \
        if rule.min_overlap_minutes else ("有任何重叠" if zh else "overlap by any time")
    linger = ""
    if rule.lingering_minutes:
        linger = (f"，病例离开后 {rule.lingering_minutes:g} 分钟内到场也算" if zh else
                  f", or arrive within {rule.lingering_minutes:g} minutes after the case left")
    dwell = _DWELL.get(rule.dwell, (rule.dwell, rule.dwell))[0 if zh else 1]
    hops = 2 if rule.secondary_contacts else 1
    calls = t("capacity", lang, n=rule.calls_per_day)
    if zh:
        return (f"传染期窗口：有症状者自发病前、无症状者自采样前 {days} 天起，{until}。"
                f"同时在场判定：同一场所停留时段{overlap}{linger}；{dwell}。"
                f"追踪代数：{'两代（密接及其接触者）' if hops == 2 else '一代（直接接触者）'}。"
                f"联系顺序：{calls}。")
    return (f"Window: from {days} days before onset (symptomatic) or sampling (asymptomatic) "
            f"{until}. Co-presence: stays at one venue that {overlap}{linger}; {dwell}. "
            f"Generations traced: "
            f"{'two (close contacts and their contacts)' if hops == 2 else 'one (direct contacts)'}. "
            f"Calls: {calls}.")
