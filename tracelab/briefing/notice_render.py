"""Render a trajectory notice: plain text for a WeChat post, a printable HTML page, a PNG.

The three say the same thing: a title, one block per case (病例1, 病例2, ...) listing its
stays by local day with time ranges, place and address, and the closing request to
report (报备) with the hotline or, without one, to the community or village committee.
Registration text is escaped in the page (venue names are hostile input). The PNG is the
page as headless Chromium draws it (Playwright, network blocked), like the briefing's PDF.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from tracelab._atomic import write_bytes, write_text
from tracelab._i18n import msg
from tracelab.briefing.notice import STAY_END, STAY_START, CaseTrack, Notice
from tracelab.briefing.notice_places import PLACE, WHERE
from tracelab.briefing.pdf import find_chromium

__all__ = ["NOTICE_FORMATS", "notice_text", "notice_html", "notice_png", "write_notice"]

#: Output formats, by file extension.
NOTICE_FORMATS = (".txt", ".html", ".png")

_WEEKDAYS = "一二三四五六日"
# Spelled out, not strftime's %a and %b: those follow the machine's locale.
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_KINDS = {"confirmed": ("确诊病例", "confirmed case"),
          "asymptomatic": ("无症状感染者", "asymptomatic infection")}
_WORDS = {
    "title": ("{region}病例活动轨迹公告", "{region}Activity trajectory of cases"),
    "intro": ("现将 {n} 名病例在传染期内到过的场所和时间公布如下（{zone}）。",
              "The places below are where {n} case(s) were while infectious, and when "
              "({zone})."),
    "case": ("病例{number}（{kind}）", "Case {number} ({kind})"),
    "request": ("凡上述时间在上述场所停留过的人员，{how}，并配合做好核酸检测和健康监测。",
                "Anyone who was at one of these places at these times: {how}, and follow "
                "the advice on testing and health monitoring."),
    "hotline": ("请立即拨打报备电话 {hotline} 报备", "please report at once on {hotline} (报备)"),
    "community": ("请向所在社区（村）报备",
                  "please report to your community or village committee (报备)"),
    "linger": ("病例离开后 {minutes:g} 分钟内到过该场所的人员，同样请报备。",
               "This also applies to anyone there up to {minutes:g} minutes after the case "
               "left."),
    "as_of": ("数据截至 {as_of}。", "Data as of {as_of}."),
    "day": ("日期", "Date"), "time": ("时间", "Time"), "place": ("场所", "Place"),
    "where": ("地址", "Address"),
    "next_day": ("次日", " next day"),
    "beijing": ("北京时间", "Beijing time"),
    "local": ("当地时间 {zone}", "local time, {zone}"),
    "format": ("{path}：输出格式由扩展名决定，请用 .txt、.html 或 .png",
               "{path}: the extension decides the format; use .txt, .html or .png"),
}


def _w(key: str, lang: str, **fields: object) -> str:
    return _WORDS[key][1 if lang == "en" else 0].format(**fields)


def _zone_label(zone: str, lang: str) -> str:
    return _w("beijing", lang) if zone in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else _w(
        "local", lang, zone=zone)


def _day(stamp: pd.Timestamp, lang: str) -> str:
    if lang == "en":
        return f"{_EN_WEEKDAYS[stamp.weekday()]} {stamp.day} {_EN_MONTHS[stamp.month - 1]}"
    return f"{stamp.month}月{stamp.day}日（星期{_WEEKDAYS[stamp.weekday()]}）"


def _span(start: pd.Timestamp, end: pd.Timestamp, lang: str) -> str:
    """Local ``HH:MM—HH:MM``: the start floored and the end ceiled to the minute."""
    a, b = start.floor("min"), end.ceil("min")
    dash = "–" if lang == "en" else "—"
    if b.normalize() == a.normalize():
        return f"{a:%H:%M}{dash}{b:%H:%M}"
    if (b.normalize() - a.normalize()).days == 1:
        return (f"{a:%H:%M}{dash}{b:%H:%M}{_w('next_day', lang)}" if lang == "en"
                else f"{a:%H:%M}{dash}{_w('next_day', lang)}{b:%H:%M}")
    return f"{a:%H:%M}{dash}{_day(b, lang)} {b:%H:%M}"


def _rows(track: CaseTrack, zone: str, lang: str) -> list[tuple[str, str, str, str]]:
    """(day, time range, place, address) of each stay, in time order."""
    out = []
    for row in track.stays.itertuples(index=False):
        rec = row._asdict()
        start = pd.Timestamp(rec[STAY_START]).tz_convert(zone)
        end = pd.Timestamp(rec[STAY_END]).tz_convert(zone)
        out.append((_day(start, lang), _span(start, end, lang), str(rec[PLACE]),
                    str(rec[WHERE] or "")))
    return out


def _closing(notice: Notice) -> list[str]:
    lang = notice.lang
    how = (_w("hotline", lang, hotline=notice.hotline) if notice.hotline
           else _w("community", lang))
    lines = [_w("request", lang, how=how)]
    if notice.lingering_minutes:
        lines.append(_w("linger", lang, minutes=notice.lingering_minutes))
    if notice.as_of is not None:
        lines.append(_w("as_of", lang, as_of=f"{notice.as_of.tz_convert(notice.zone):%Y-%m-%d %H:%M}"))
    return lines


def _title(notice: Notice) -> str:
    region = notice.region + (" " if notice.lang == "en" and notice.region else "")
    return _w("title", notice.lang, region=region)


def _kind(track: CaseTrack, lang: str) -> str:
    return _KINDS.get(track.kind, (track.kind, track.kind))[1 if lang == "en" else 0]


def notice_text(notice: Notice) -> str:
    """The notice as plain text, one stay a line, for a WeChat post.

    Examples
    --------
    >>> from tracelab.briefing.notice import CaseTrack, Notice
    >>> t = lambda hm: pd.Timestamp(f"2022-11-20 {hm}", tz="Asia/Shanghai").tz_convert("UTC")
    >>> stays = pd.DataFrame({"venue_id": ["V1"], "place": ["好又多超市"],
    ...     "where": ["长乐镇建设路1号"], "residence": [False],
    ...     "stay_start": [t("09:05")], "stay_end": [t("09:40")]})
    >>> track = CaseTrack(1, "confirmed", t("00:00"), t("12:00"), stays.iloc[:0], stays)
    >>> print(notice_text(Notice((track,))))
    病例活动轨迹公告
    <BLANKLINE>
    现将 1 名病例在传染期内到过的场所和时间公布如下（北京时间）。
    <BLANKLINE>
    病例1（确诊病例）
    11月20日（星期日）
      09:05—09:40　好又多超市（长乐镇建设路1号）
    <BLANKLINE>
    凡上述时间在上述场所停留过的人员，请向所在社区（村）报备，并配合做好核酸检测和健康监测。
    <BLANKLINE>
    """
    lang, zone = notice.lang, notice.zone
    lines = [_title(notice), "", _w("intro", lang, n=len(notice.tracks),
                                    zone=_zone_label(zone, lang)), ""]
    gap = " " if lang == "en" else "　"
    for track in notice.tracks:
        lines.append(_w("case", lang, number=track.number, kind=_kind(track, lang)))
        shown_day = None
        for day, span, place, where in _rows(track, zone, lang):
            if day != shown_day:
                lines.append(day)
                shown_day = day
            at = (f"{place}, {where}" if lang == "en" else f"{place}（{where}）") if where else place
            lines.append(f"  {span}{gap}{at}")
        lines.append("")
    lines.extend(_closing(notice))
    return "\n".join(lines) + "\n"


_STYLE = """
@page { size: A4; margin: 14mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1a1a1a; font: 16px/1.6 "Noto Sans CJK SC",
  "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  sans-serif; }
main { max-width: 750px; margin: 0 auto; padding: 28px 28px 24px; }
h1 { margin: 0 0 12px; color: #b71c1c; font-size: 24px; text-align: center;
  border-bottom: 3px solid #b71c1c; padding-bottom: 10px; }
h2 { margin: 20px 0 6px; font-size: 18px; color: #b71c1c; }
table { width: 100%; border-collapse: collapse; font-size: 15px; }
th, td { border: 1px solid #d0d0d0; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #fbe9e7; }
td.time { white-space: nowrap; }
section { break-inside: avoid-page; }
p.request { margin-top: 20px; padding: 10px 12px; background: #fff3e0; border-left: 5px solid
  #e65100; font-weight: bold; }
p.note { color: #555; font-size: 13px; margin: 4px 0; }
"""


def notice_html(notice: Notice) -> str:
    """The notice as one printable HTML page (A4), every text escaped, no script.

    Examples
    --------
    >>> from tracelab.briefing.notice import CaseTrack, Notice
    >>> t = pd.Timestamp("2022-11-20 01:00", tz="UTC")
    >>> stays = pd.DataFrame({"venue_id": ["V1"], "place": ['<b>"店"</b>'], "where": [""],
    ...     "residence": [False], "stay_start": [t], "stay_end": [t + pd.Timedelta("30min")]})
    >>> page = notice_html(Notice((CaseTrack(1, "confirmed", t, t, stays, stays),)))
    >>> "&lt;b&gt;&quot;店&quot;&lt;/b&gt;" in page, "<b>" in page
    (True, False)
    """
    lang, zone = notice.lang, notice.zone
    e = html.escape
    parts = [f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "zh-CN"}">\n<head>\n'
             f'<meta charset="utf-8">\n<title>{e(_title(notice))}</title>\n'
             f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
             f"<h1>{e(_title(notice))}</h1>\n"
             f'<p class="intro">{e(_w("intro", lang, n=len(notice.tracks), zone=_zone_label(zone, lang)))}</p>\n']
    head = "".join(f"<th>{e(_w(k, lang))}</th>" for k in ("day", "time", "place", "where"))
    for track in notice.tracks:
        parts.append(f'<section class="case">\n<h2>'
                     f'{e(_w("case", lang, number=track.number, kind=_kind(track, lang)))}</h2>\n'
                     f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n")
        for day, span, place, where in _rows(track, zone, lang):
            parts.append(f'<tr><td>{e(day)}</td><td class="time">{e(span)}</td>'
                         f"<td>{e(place)}</td><td>{e(where)}</td></tr>\n")
        parts.append("</tbody>\n</table>\n</section>\n")
    closing = _closing(notice)
    parts.append(f'<p class="request">{e(closing[0])}</p>\n')
    parts.extend(f'<p class="note">{e(line)}</p>\n' for line in closing[1:])
    parts.append("</main>\n</body>\n</html>\n")
    return "".join(parts)


_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
#: A phone-width page drawn at twice the pixel density: sharp in a WeChat post.
_PNG_WIDTH, _PNG_SCALE = 750, 2


def notice_png(page_html: str, *, executable_path: str | None = None,
               timeout_ms: float = 60_000) -> bytes:
    """The page drawn by headless Chromium, as PNG bytes (1500 px wide, full height).

    Raises
    ------
    FileNotFoundError
        If Chromium is missing (:func:`tracelab.briefing.pdf.find_chromium`).
    ImportError
        If Playwright is not installed.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - playwright is a dev extra
        raise ImportError(msg("a .png notice needs Playwright: pip install playwright")
                          ) from err
    chromium = executable_path or find_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=_ARGS)
        try:
            page = browser.new_page(viewport={"width": _PNG_WIDTH, "height": 600},
                                    device_scale_factor=_PNG_SCALE)
            # The page must not reach out; an attempt fails instead of waiting.
            page.route("http://**/*", lambda route: route.abort())
            page.route("https://**/*", lambda route: route.abort())
            page.set_content(page_html, wait_until="load", timeout=timeout_ms)
            return page.screenshot(full_page=True, type="png")
        finally:
            browser.close()


def write_notice(notice: Notice, out: str | Path, *, executable_path: str | None = None
                 ) -> Path:
    """Write `notice` to `out` whole or not at all; the extension picks the format.

    ``.txt``: :func:`notice_text` (UTF-8); ``.html``: :func:`notice_html`; ``.png``: that
    page drawn by Chromium (:func:`notice_png`).

    Raises
    ------
    ValueError
        On another extension (in the notice's language).

    Examples
    --------
    >>> import tempfile
    >>> from tracelab.briefing.notice import CaseTrack, Notice
    >>> t = pd.Timestamp("2022-11-20 01:00", tz="UTC")
    >>> stays = pd.DataFrame({"venue_id": ["V1"], "place": ["店"], "where": [""],
    ...     "residence": [False], "stay_start": [t], "stay_end": [t]})
    >>> n = Notice((CaseTrack(1, "confirmed", t, t, stays, stays),))
    >>> write_notice(n, Path(tempfile.mkdtemp()) / "notice.txt").read_text()[:8]
    '病例活动轨迹公告'
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".txt":
        return write_text(out, notice_text(notice))
    if suffix == ".html":
        return write_text(out, notice_html(notice))
    if suffix == ".png":
        return write_bytes(out, notice_png(notice_html(notice), executable_path=executable_path))
    raise ValueError(_w("format", notice.lang, path=out))
