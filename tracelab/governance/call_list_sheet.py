"""The authorised call list as people read it: its text, cover sheet and XLSX/CSV file.

:class:`CallList` holds the finished table and says, in Chinese or English, what its
cover sheet says; :func:`reasons` writes each contact's reason from its exposure rows;
:func:`output` checks the file name and :func:`write` puts the list in place, as a
workbook made for people (a cover sheet, then the list with a frozen header) or a CSV.
Nothing here reads raw data or unmasks anything: the table arrives masked
(:mod:`tracelab.governance.call_lists`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab._atomic import atomic_path, fault_point
from tracelab._i18n import msg
from tracelab.governance.call_list_reveal import UNKNOWN_TOWNSHIP
from tracelab.governance.roles import Credential, Role
from tracelab.io.exports import neutralise, write_csv
from tracelab.model import reference
from tracelab.model import schema as s
from tracelab.model.schema import RANK, SCORE, TIER

__all__ = ["CallList", "reasons", "write", "output", "OUTPUT_FORMATS"]

PERSON_NAME, ID_NUMBER, PHONE = s.PERSON_NAME, s.ID_NUMBER, s.PHONE
#: Output formats, by the file's suffix.
OUTPUT_FORMATS = (".xlsx", ".csv")

_TIER_TEXT = {"zh": {s.CALL_TODAY: "今日联系", s.WITHIN_24H: "24小时内联系", s.MONITOR: "观察"},
              "en": {s.CALL_TODAY: "call today", s.WITHIN_24H: "within 24 hours",
                     s.MONITOR: "monitor"}}
_HEADERS = {
    "zh": {s.TOWNSHIP_CODE: "乡镇编码", s.TOWNSHIP: "乡镇", TIER: "优先级", RANK: "序号",
           s.CONTACT_ID: "人员代号", PERSON_NAME: "姓名", PHONE: "电话", ID_NUMBER: "身份证号",
           s.VENUE_NAME: "场所", s.ADDRESS: "地址", s.OVERLAP_START: "开始（{zone}）",
           s.OVERLAP_END: "结束（{zone}）", s.OVERLAP_MIN: "共同停留（分钟）", SCORE: "评分",
           s.WHY: "原因", s.N_CONTACTS: "人数"},
    "en": {s.TOWNSHIP_CODE: "Township code", s.TOWNSHIP: "Township", TIER: "Priority",
           RANK: "Rank", s.CONTACT_ID: "Pseudonym", PERSON_NAME: "Name", PHONE: "Phone",
           ID_NUMBER: "ID number", s.VENUE_NAME: "Venue", s.ADDRESS: "Address",
           s.OVERLAP_START: "Start ({zone})", s.OVERLAP_END: "End ({zone})",
           s.OVERLAP_MIN: "Overlap (min)", SCORE: "Score", s.WHY: "Reason",
           s.N_CONTACTS: "People"},
}
# Column widths in characters (a CJK character counts about two).
_WIDTHS = {s.TOWNSHIP_CODE: 11, s.TOWNSHIP: 10, TIER: 13, RANK: 6, s.CONTACT_ID: 20,
           PERSON_NAME: 10, PHONE: 14, ID_NUMBER: 21, s.VENUE_NAME: 24, s.ADDRESS: 34,
           s.OVERLAP_START: 17, s.OVERLAP_END: 17, s.OVERLAP_MIN: 10, SCORE: 7, s.WHY: 70,
           s.N_CONTACTS: 8}


def _zone_text(zone: str, lang: str) -> str:
    """How a zone is named for people: 北京时间 for China's zone."""
    if zone in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"):
        return "北京时间" if lang == "zh" else "Beijing time"
    return f"当地时间 {zone}" if lang == "zh" else f"local time, {zone}"


def _when(start: pd.Timestamp, end: pd.Timestamp, zone: str, lang: str) -> str:
    """``11月18日08:05–09:10`` (the end's date shown only when it differs)."""
    a, b = start.tz_convert(zone), end.tz_convert(zone)
    if lang == "en":
        first = f"{a:%b} {a.day} {a:%H:%M}"
        last = f"{b:%H:%M}" if b.date() == a.date() else f"{b:%b} {b.day} {b:%H:%M}"
    else:
        first = f"{a.month}月{a.day}日{a:%H:%M}"
        last = f"{b:%H:%M}" if b.date() == a.date() else f"{b.month}月{b.day}日{b:%H:%M}"
    return f"{first}–{last}"


#: Exposures named in one reason; the rest are counted.
_REASON_EXPOSURES = 3


def reasons(ex: pd.DataFrame, venue_name: Mapping[Any, str], venue_type: Mapping[Any, str],
             zone: str, lang: str) -> pd.Series:
    """One sentence per contact from its exposure rows, in `lang` (index: contact id)."""
    vt = reference.venue_types()
    type_name = dict(zip(vt[s.TYPE_CODE], vt[s.NAME_EN if lang == "en" else s.NAME_ZH],
                         strict=True))
    close = s.CATEGORY in ex
    out: dict[str, str] = {}
    ex = ex[[c for c in (s.CONTACT_ID, s.VENUE_ID, s.HOP, s.OVERLAP_START, s.OVERLAP_END,
                         s.OVERLAP_MIN, s.CATEGORY) if c in ex]]
    ordered = ex.sort_values([s.CONTACT_ID, s.OVERLAP_START, s.VENUE_ID], kind="stable")
    for contact, rows in ordered.groupby(s.CONTACT_ID, sort=False):
        parts = []
        for row in rows.head(_REASON_EXPOSURES).itertuples(index=False):
            r = row._asdict()
            venue = venue_name.get(r[s.VENUE_ID]) or str(r[s.VENUE_ID])
            kind = type_name.get(venue_type.get(r[s.VENUE_ID], ""), "") or \
                venue_type.get(r[s.VENUE_ID], "")
            kind_text = (f" ({kind})" if lang == "en" else f"（{kind}）") if kind else ""
            when = _when(r[s.OVERLAP_START], r[s.OVERLAP_END], zone, lang)
            minutes = f"{r[s.OVERLAP_MIN]:.0f}"
            if lang == "en":
                who = "a case" if r[s.HOP] == 1 else "a close-contact candidate"
                parts.append(f"with {who} at {venue}{kind_text} {when}, {minutes} min together")
            else:
                who = "病例" if r[s.HOP] == 1 else "密接候选"
                parts.append(f"与{who}同在{venue}{kind_text}{when}，共{minutes}分钟")
        more = len(rows) - _REASON_EXPOSURES
        if more > 0:
            parts.append(f"and {more} more exposure(s)" if lang == "en" else f"另有{more}次接触")
        is_close = close and bool((rows[s.CATEGORY] == s.CLOSE_CONTACT).any())
        if lang == "en":
            label = ("close-contact candidate" if is_close else
                     "venue co-exposure candidate")
            text = "; ".join(parts) + f"; {label}"
            out[str(contact)] = text[0].upper() + text[1:]
        else:
            label = "密接候选" if is_close else "涉疫场所暴露人员候选"
            out[str(contact)] = "；".join(parts) + f"；{label}"
    return pd.Series(out, dtype="object")


@dataclass(frozen=True)
class CallList:
    """An authorised call list (:func:`~tracelab.governance.call_lists.write_call_list`) and
    what its cover sheet says.

    Attributes
    ----------
    table : pandas.DataFrame
        ``call_lists.LIST_COLUMNS`` (one row per contact; only ``revealed`` columns
        unmasked), or ``call_lists.AGGREGATE_COLUMNS`` for a role that sees aggregates.
    role : Role
        The role it was made for.
    revealed : tuple of str
        Columns shown unmasked (empty for a masked list).
    contacts : int
        People on the list.
    n_revealed : int
        People with at least one value revealed.
    cases : int
        Cases the exposures come from (hop 1).
    calls_per_day : int
        Capacity the tiers were ranked for.
    zone : str
        Zone of the times shown.
    made_at : pandas.Timestamp
        When the list was made (UTC).
    lang : {"zh", "en"}
    credential : Credential or None
        The credential that allowed the reveal.
    region : str
        The region's label, or "".
    rules : tuple of str
        Rule ids of the exposures.
    """

    table: pd.DataFrame
    role: Role
    revealed: tuple[str, ...]
    contacts: int
    n_revealed: int
    cases: int
    calls_per_day: int
    zone: str
    made_at: pd.Timestamp
    lang: str
    credential: Credential | None = None
    region: str = ""
    rules: tuple[str, ...] = ()

    @property
    def aggregated(self) -> bool:
        """True for a list of counts (no rows of people)."""
        return self.role.view == "aggregates"

    def for_people(self) -> pd.DataFrame:
        """The table as people read it: headers, tiers and times in `lang` and the zone.

        Examples
        --------
        >>> t = pd.DataFrame({"township_code": ["unknown"], "township": ["unknown"],
        ...                   "tier": ["call_today"], "n_contacts": [3]})
        >>> cl = CallList(t, Role("manager", "aggregates"), (), 3, 0, 1, 200,
        ...               "Asia/Shanghai", pd.Timestamp("2022-11-20", tz="UTC"), "zh")
        >>> cl.for_people().values.tolist()
        [['unknown', '未知', '今日联系', 3]]
        """
        lang, zone = self.lang, _zone_text(self.zone, self.lang)
        out = self.table.copy()
        out[TIER] = out[TIER].map(_TIER_TEXT[lang]).fillna(out[TIER])
        out[s.TOWNSHIP] = out[s.TOWNSHIP].replace(UNKNOWN_TOWNSHIP,
                                                  "未知" if lang == "zh" else "unknown")
        for column in (s.OVERLAP_START, s.OVERLAP_END):
            if column in out:
                out[column] = [v.tz_convert(self.zone).strftime("%Y-%m-%d %H:%M")
                               if pd.notna(v) else "" for v in out[column]]
        headers = _HEADERS[lang]
        out.columns = [headers.get(c, c).format(zone=zone) for c in out.columns]
        return out

    def cover(self, purpose: str) -> list[tuple[str, str]]:
        """The cover sheet's rows, (label, text), in `lang`."""
        zh = self.lang == "zh"
        zone = _zone_text(self.zone, self.lang)
        made = f"{self.made_at.tz_convert(self.zone):%Y-%m-%d %H:%M}（{zone}）" if zh else \
            f"{self.made_at.tz_convert(self.zone):%Y-%m-%d %H:%M} ({zone})"
        n = self.calls_per_day
        order = (f"按每日可联系 {n} 人排序：第 1–{n} 名今日联系，第 {n + 1}–{2 * n} 名 24 小时内联系，"
                 "其余观察" if zh else
                 f"Ranked for {n} people reached per day: ranks 1–{n} call today, "
                 f"{n + 1}–{2 * n} within 24 hours, the rest monitor")
        names = {PERSON_NAME: "姓名" if zh else "names", PHONE: "电话" if zh else "phones",
                 ID_NUMBER: "身份证号" if zh else "ID numbers"}
        if self.aggregated:
            state = ("汇总：只有按乡镇和优先级的人数，不含人员" if zh else
                     "Aggregates: counts by township and priority, no rows of people")
        elif self.revealed:
            shown = ("、" if zh else ", ").join(names[c] for c in self.revealed)
            cred = self.credential
            until = "" if cred is None else (
                f"{cred.expires_at.tz_convert(self.zone):%Y-%m-%d %H:%M}")
            cid = "" if cred is None else cred.id[:12]
            state = (f"已显示{shown}（凭证 {cid}，有效至 {until}）；其余个人信息已遮蔽" if zh else
                     f"Revealed: {shown} (credential {cid}, valid until {until}); other "
                     "personal data masked")
        else:
            state = ("已遮蔽：姓名、电话、身份证号只显示部分" if zh else
                     "Masked: names, phones and ID numbers partly hidden")
        rows = [
            ("名单" if zh else "List",
             "流调电话联系名单" if zh else "Contact-tracing call list"),
            ("密级" if zh else "Sensitivity",
             "敏感信息，仅限流调使用，不得外传" if zh else
             "Sensitive personal information: for contact tracing only, do not pass on"),
            ("使用角色" if zh else "Role", self.role.title(self.lang)),
            ("用途" if zh else "Purpose", purpose),
            ("生成时间" if zh else "Made at", made),
            ("地区" if zh else "Region", self.region or "—"),
            ("病例数" if zh else "Cases", str(self.cases)),
            ("联系人数" if zh else "Contacts", str(self.contacts)),
            ("每日可联系" if zh else "Calls per day", str(n)),
            ("排序" if zh else "Order", order),
            ("个人信息" if zh else "Personal data", state),
            ("时间" if zh else "Times", f"均为{zone}" if zh else f"all in {zone}"),
            ("规则" if zh else "Rules", ", ".join(self.rules) or "—"),
            ("原因" if zh else "Reasons",
             "共同扫码只能说明同时在场；是否为密接须现场核实" if zh else
             "A shared scan shows presence at the same time only; a close contact must be "
             "confirmed in the field"),
            ("审计" if zh else "Audit",
             "本名单的生成已记入审计日志（用途、角色、人数）" if zh else
             "Making this list is recorded in the audit log (purpose, role, counts)"),
        ]
        return rows


def _write_xlsx(result: CallList, target: Path, purpose: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    zh = result.lang == "zh"
    book = Workbook()
    cover = book.active
    cover.title = "说明" if zh else "About"
    bold = Font(bold=True)
    for label, text in result.cover(purpose):
        cover.append([neutralise(label), neutralise(text)])
    for row in cover.iter_rows():
        row[0].font = bold
        for cell in row:
            cell.data_type = "s"  # never a formula, whatever a purpose or region says
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    cover["B2"].font = Font(bold=True, color="C00000")  # the sensitivity line
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 90
    frame = result.for_people()
    sheet = book.create_sheet(("汇总" if result.aggregated else "名单") if zh else
                              ("Summary" if result.aggregated else "Calls"))
    columns = list(result.table.columns)
    sheet.append([neutralise(str(h)) for h in frame.columns])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font, cell.fill, cell.data_type = bold, header_fill, "s"
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    text_columns = {PHONE, ID_NUMBER, s.CONTACT_ID, s.TOWNSHIP_CODE}
    for values in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in values])
    for j, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=j).column_letter
        sheet.column_dimensions[letter].width = _WIDTHS.get(column, 12)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # phones and ids stay text, never numbers or formulas
            if column in text_columns:
                cell.number_format = "@"
            if column == s.WHY:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if len(frame):
        sheet.auto_filter.ref = sheet.dimensions
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    book.active = 0
    with atomic_path(target) as tmp:
        book.save(tmp)
    return target


def _cell(value: object) -> object:
    """A value for openpyxl: text neutralised, numbers as numbers, blanks empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return neutralise(value) if value else None
    return value


def write(result: CallList, target: Path, purpose: str) -> Path:
    """Put the list in place (creating the folder); return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fault_point("calllist:built")
    if target.suffix.lower() == ".csv":
        # Masked already (call_lists._build): keep_personal only stops a second pass, which would
        # also mask a revealed phone as a number standing in text.
        return write_csv(result.for_people(), target, keep_personal=True)
    return _write_xlsx(result, target, purpose)


def output(out: str | Path, lang: str) -> Path:
    """The checked --out of a call list; the refusal of a wrong extension is in `lang`."""
    target = Path(out)
    if target.suffix.lower() not in OUTPUT_FORMATS:
        raise ValueError(
            f"--out {target.name}：扩展名 {target.suffix or '（无）'} 不可用；请用 .xlsx（给人看）"
            "或 .csv（UTF-8 带 BOM）" if lang == "zh" else
            f"--out {target.name}: suffix {target.suffix or '(none)'!r} is not allowed; use "
            ".xlsx (for people) or .csv (UTF-8 with BOM)")
    if target.is_dir():
        raise ValueError(msg("--out {target}: is a folder; name a .xlsx or .csv file",
                             target=target))
    return target
