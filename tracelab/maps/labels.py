"""Map labels in Chinese and English, and escaping of untrusted text for popups."""

from __future__ import annotations

import html
from typing import Literal

import pandas as pd

from tracelab._i18n import msg
from tracelab.maps.columns import HIGH, LOW, MEDIUM, TIERS
from tracelab.model import schema
from tracelab.model.ids import mask_id

__all__ = ["LANGS", "Lang", "label", "check_lang", "escape_text", "mask_person", "local_time",
           "day_text"]

Lang = Literal["zh", "en"]
#: Label languages: Chinese (default) and English.
LANGS = ("zh", "en")

_LABELS: dict[str, tuple[str, str]] = {
    "trajectory": ("病例轨迹", "Case trajectory"),
    "case": ("病例", "Case"),
    "stop": ("第{n}站", "Stop {n}"),
    "venue": ("场所", "Venue"),
    "address": ("地址", "Address"),
    "time": ("时间", "Time"),
    "exposure_venues": ("涉疫场所", "Exposure venues"),
    "exposed": ("暴露人数", "People exposed"),
    "tier": ("优先级", "Priority"),
    "risk_areas": ("风险区", "Risk areas"),
    "level": ("风险等级", "Level"),
    "reason": ("划定原因", "Reason"),
    "designated_on": ("划定日期", "Designated on"),
    "lifts_on": ("解除日期", "Lifts on"),
    "not_set": ("未定", "not set"),
    "lifted": ("已解除", "Lifted"),
    "townships": ("乡镇边界", "Township outlines"),
    "county": ("县界", "County outline"),
    "choropleth": ("各乡镇密接人数", "Contacts per township"),
    "township": ("乡镇", "Township"),
    "contacts": ("接触人数", "Contacts"),
    # choropleth titles: what is counted, and by which township
    "count_all_residence": ("暴露人数（按居住乡镇）", "People exposed (by township of residence)"),
    "count_all_venue": ("暴露人数（按场所所在乡镇）", "People exposed (by township of the venue)"),
    "count_close_residence": ("密接人数（按居住乡镇）",
                              "Close contacts (by township of residence)"),
    "count_close_venue": ("密接人数（按场所所在乡镇）", "Close contacts (by township of the venue)"),
    "count_coexposure_residence": ("涉疫场所暴露人数（按居住乡镇）",
                                   "Venue co-exposed (by township of residence)"),
    "count_coexposure_venue": ("涉疫场所暴露人数（按场所所在乡镇）",
                               "Venue co-exposed (by township of the venue)"),
    "unplaced": ("另有{n}人居住地不在图中乡镇或不详", "{n} more live elsewhere or unknown"),
    "cluster": ("{n}个涉疫场所；点击放大", "{n} exposure venues; click to zoom in"),
    "cluster_ranked": ("{n}个涉疫场所，含重点场所第{ranks}名；点击放大",
                       "{n} exposure venues, incl. ranked venue(s) {ranks}; click to zoom in"),
    "rank_sep": ("、", ", "),
    "rank_note": ("圆标数字：重点场所名次（同重点场所表）", "Numbered badge: venue rank (as in the table)"),
    "cluster_note": ("灰色圆：相邻场所合并后的个数，下方为其中重点场所名次；放大即分开",
                     "Grey disc: venues merged, with the ranks inside below; zoom in to split"),
    "rank": ("重点场所第{k}名", "Ranked venue #{k}"),
    "radius": ("半径约{m}米", "radius about {m} m"),
    "enlarged": ("图上放大显示", "drawn enlarged"),
    "heat": ("暴露热力图", "Exposure heat"),
    "replay": ("疫情回放", "Outbreak replay"),
    "day": ("日期", "Day"),
    "play": ("播放", "Play"),
    "pause": ("暂停", "Pause"),
    HIGH: ("高风险区", "High-risk area"),
    MEDIUM: ("中风险区", "Medium-risk area"),
    LOW: ("低风险区", "Low-risk area"),
    TIERS[0]: ("今日联系", "Call today"),
    TIERS[1]: ("24小时内联系", "Call within 24 hours"),
    TIERS[2]: ("观察", "Monitor"),
    "tiles_osm": ("OpenStreetMap", "OpenStreetMap"),
    "tiles_tianditu": ("天地图", "Tianditu"),
    "tiles_tianditu_labels": ("天地图注记", "Tianditu labels"),
    "tiles_amap": ("高德地图", "AMap"),
    "tiles_internal": ("内网底图", "Intranet tiles"),
}


def check_lang(lang: str) -> Lang:
    """Return `lang` if it is a label language, else raise ``ValueError``.

    Examples
    --------
    >>> check_lang("en")
    'en'
    """
    if lang not in LANGS:
        raise ValueError(msg("lang={lang!r} is not a label language; use 'zh' (default) or "
                             "'en'", lang=lang))
    return lang  # type: ignore[return-value]


def label(key: str, lang: str = "zh", **fields: object) -> str:
    """Return the label `key` in `lang`, with ``{name}`` fields filled from `fields`.

    Unknown keys are returned unchanged, so a tier or level outside the known
    lists still shows as itself.

    Examples
    --------
    >>> label("risk_areas"), label("risk_areas", "en"), label("stop", "en", n=3)
    ('风险区', 'Risk areas', 'Stop 3')
    >>> label("something_else")
    'something_else'
    """
    pair = _LABELS.get(key)
    if pair is None:
        return key
    text = pair[LANGS.index(check_lang(lang))]
    return text.format(**fields) if fields else text


# Popup and tooltip text ends up inside JavaScript template literals (folium's templates
# write `...` around it), where ` ends the string, ${ starts code and \ starts an escape.
_LITERAL_SAFE = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;",
                               "}": "&#125;"})


def escape_text(value: object) -> str:
    """Escape untrusted text (venue names, addresses) for a popup or tooltip.

    The result is safe as HTML text and inside a JavaScript template literal, which
    is where folium renders popups and tooltips; a browser shows the original text.
    Missing values give ``""``.

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text("`${alert(1)}`")
    '&#96;&#36;&#123;alert(1)&#125;&#96;'
    >>> escape_text(None)
    ''
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_LITERAL_SAFE)


def mask_person(person_id: object) -> str:
    """Return a person id as shown on a map: masked, first 2 and last 2 characters kept.

    Examples
    --------
    >>> mask_person("p000123456")
    'p0******56'
    """
    return mask_id(person_id)


def local_time(value: object, fmt: str = "%m-%d %H:%M") -> str:
    """Format an instant in the local zone (Asia/Shanghai); missing gives ``""``.

    Examples
    --------
    >>> local_time(pd.Timestamp("2022-11-01T01:30Z"))
    '11-01 09:30'
    """
    if value is None or pd.isna(value):
        return ""
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(msg("time {ts} has no time zone; instants are stored tz-aware UTC "
                             "(use Series.dt.tz_localize)", ts=ts))
    return ts.tz_convert(schema.DEFAULT_ZONE).strftime(fmt)


def day_text(value: object) -> str:
    """Format a date (or a tz-aware instant, as its local day) as ``YYYY-MM-DD``.

    Examples
    --------
    >>> import datetime as dt
    >>> day_text(dt.date(2022, 11, 3)), day_text(pd.Timestamp("2022-11-02T20:00Z")), day_text(None)
    ('2022-11-03', '2022-11-03', '')
    """
    if value is None or pd.isna(value):
        return ""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(schema.DEFAULT_ZONE)
    return ts.strftime("%Y-%m-%d")
