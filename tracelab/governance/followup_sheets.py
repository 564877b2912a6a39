"""Reading a returned call sheet: header maps, status and tier words, contacts, checks.

The one job of this module: turn the field teams' returned sheet (XLSX or CSV, English
or Chinese headers) into checked rows, :func:`read_followup` (accepted + rejected =
read; a raw phone or person id is pseudonymised with the key, or rejected without one),
with the words it reads (:data:`SHEET_HEADERS`, :data:`STATUS_WORDS`, :data:`TIER_WORDS`)
and the labels for people (:data:`LABELS`, :func:`label`). :mod:`.followup_progress`
reads a call list with :func:`raw_table`, :func:`made_at` and :func:`word_codes`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tracelab._i18n import Message, msg
from tracelab._time import now_utc
from tracelab.io.checks import Loaded, RowChecker
from tracelab.io.files import RawTable, UnreadableFile, detect_encoding
from tracelab.io.parse import blank, in_scientific_notation, parse_times, time_hint, unwrap_cells
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.privacy.pseudonyms import is_pseudonym, pseudonym, scrub_shapes

__all__ = ["FOLLOWUP_SHEET_COLUMNS", "SHEET_HEADERS", "STATUS_WORDS", "LABELS", "label",
           "read_followup"]

#: Columns of :func:`read_followup`'s accepted rows.
FOLLOWUP_SHEET_COLUMNS = (s.CONTACT_ID, s.FOLLOWUP_STATUS, s.STATUS_AT, s.TOWNSHIP_CODE,
                          s.TOWNSHIP, s.TIER, s.LISTED_AT, s.SOURCE, s.ROW)
#: Headers of a returned sheet: the English column names and the Chinese headers a call
#: list carries; matching ignores case, blanks, a byte-order mark and a zone suffix such
#: as `` (Asia/Shanghai)``, which :func:`tracelab.io.exports.write_xlsx` adds to times.
SHEET_HEADERS: dict[str, tuple[str, ...]] = {
    s.CONTACT_ID: ("联系人编号", "人员代号", "接触者编号", "密接编号", "pseudonym"),
    s.PERSON_ID: ("人员编号", "个人编号", "人员ID"),
    s.PHONE: ("手机号", "手机号码", "联系电话", "电话"),
    s.ID_NUMBER: ("证件号码", "身份证号", "身份证号码", "id number"),
    s.FOLLOWUP_STATUS: ("状态", "随访状态", "跟进状态", "联系状态", "结果"),
    s.STATUS_AT: ("状态时间", "随访时间", "跟进时间", "联系时间", "时间", "日期", "date", "time",
                  "status time"),
    s.TOWNSHIP_CODE: ("乡镇编码", "乡镇代码", "township code"),
    s.TOWNSHIP: ("乡镇", "乡镇（街道）", "乡镇(街道)"),
    s.TIER: ("优先级", "分级", "联系优先级", "priority"),
    s.LISTED_AT: ("列入时间", "下发时间", "名单时间", "listed"),
    s.CASE_ID: ("病例编号",),
}
#: Labels of a cover sheet's row giving when the list was made (governance.call_lists):
#: the listing time of its rows when they carry none.
_MADE_AT = ("生成时间", "made at", "列入时间", "listed at", s.LISTED_AT)
#: Where a row's contact is read, first non-blank wins; all but a pseudonym need the key.
_ID_SOURCES = (s.CONTACT_ID, s.PERSON_ID, s.PHONE, s.ID_NUMBER)
#: Labels for people, (Chinese, English); tiers as the briefing and the map name them.
LABELS: dict[str, tuple[str, str]] = {
    s.NOT_REACHED: ("未接通", "not reached"), s.WRONG_NUMBER: ("号码错误", "wrong number"),
    s.REACHED: ("已联系", "reached"), s.QUARANTINED: ("已隔离", "quarantined"),
    s.SAMPLED: ("已采样", "sampled"), s.NEGATIVE: ("阴性", "negative"),
    s.POSITIVE: ("阳性", "positive"), s.NO_STATUS: ("待随访", "no status yet"),
    s.CALL_TODAY: ("今日联系", "call today"),
    s.WITHIN_24H: ("24小时内联系", "call within 24 hours"),
    s.MONITOR: ("观察", "monitor"), "unknown": ("未知", "unknown"),
    s.TOWNSHIP: ("乡镇", "township"), s.TIER: ("优先级", "tier"), s.N_LISTED: ("名单人数", "listed"),
    s.N_LOCATED: ("已落实", "located"), s.LOCATED_SHARE: ("落实率", "located share"),
    s.N_OVERDUE: ("超时未落实", "overdue"), s.N_LATE: ("超时落实", "located late"),
    s.CONTACT_ID: ("联系人编号", "contact"), s.LISTED_AT: ("列入时间", "listed"),
    s.DUE_AT: ("应落实时间", "due"), s.HOURS_OVERDUE: ("超时(小时)", "hours overdue"),
    s.FOLLOWUP_STATUS: ("最新状态", "latest status"), s.N_ATTEMPTS: ("记录数", "records"),
    "total": ("合计", "total"),
}
#: Status words a sheet may hold, read case-blind, blanks and hyphens as underscores.
STATUS_WORDS: dict[str, str] = {
    **{code: code for code in s.FOLLOWUP_STATUSES},
    **{LABELS[code][0]: code for code in s.FOLLOWUP_STATUSES},
    "已联系上": s.REACHED, "已接通": s.REACHED, "未联系上": s.NOT_REACHED,
    "无人接听": s.NOT_REACHED, "空号": s.WRONG_NUMBER, "错号": s.WRONG_NUMBER,
    "contacted": s.REACHED, "no_answer": s.NOT_REACHED,
}
#: Tier words a sheet or call list may hold (codes, Chinese and English labels).
TIER_WORDS = {**{t: t for t in s.TIERS}, **{LABELS[t][0]: t for t in s.TIERS},
              **{LABELS[t][1].replace(" ", "_"): t for t in s.TIERS},
              "within_24_hours": s.WITHIN_24H}
#: dtype of the time columns.
UTC = "datetime64[ns, UTC]"
#: A zone after a header or a time: `` (Asia/Shanghai)`` (tracelab.io.exports.write_xlsx),
#: ``（北京时间）`` or ``（当地时间 Asia/Seoul）`` (tracelab.governance.call_lists).
_ZONE_IN_HEADER = re.compile(r"\s*[(（]\s*(?:当地时间\s*|local time,?\s*)?"
                             r"([A-Za-z]+(?:/[A-Za-z0-9_+-]+)+|UTC|北京时间|Beijing time)"
                             r"\s*[)）]\s*$", re.IGNORECASE)
_BEIJING = ("北京时间", "beijing time")
_HEADER_SEARCH_ROWS = 10
#: How to write a time, for the messages of rejected or refused times.
TIME_FORMS = msg("e.g. 2022-11-20 or 2022-11-20 08:05, local time unless a zone is given")


def label(code: object, lang: Literal["zh", "en"] = "zh") -> str:
    """The label of a status, tier or column for people (the code itself if unknown).

    Examples
    --------
    >>> label("not_reached"), label("call_today", "en"), label("other")
    ('未接通', 'call today', 'other')
    """
    if lang not in ("zh", "en"):
        raise ValueError(msg("lang={lang!r}; allowed: 'zh' (Chinese, the default), 'en'",
                             lang=lang))
    pair = LABELS.get(str(code))
    return str(code) if pair is None else pair[0 if lang == "zh" else 1]


# --- reading a sheet ------------------------------------------------------------------

def _split_zone(text: str) -> tuple[str, str | None]:
    """`text` without its zone suffix, and the zone it names (北京时间: Asia/Shanghai)."""
    match = _ZONE_IN_HEADER.search(text)
    if not match:
        return text, None
    zone = match.group(1)
    return text[:match.start()], s.DEFAULT_ZONE if zone.casefold() in _BEIJING else zone


def _header(cell: object) -> tuple[str, str | None]:
    """A header cell as matched (case-blind) and the zone its suffix names, if any."""
    text, zone = _split_zone(str(cell).replace("\ufeff", "").strip())
    return text.casefold(), zone


def _lookup(headers: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {spelling.casefold(): canonical for canonical, spellings in headers.items()
            for spelling in (canonical, *spellings)}


def _grid(path: Path, encoding: str | None) -> tuple[dict[str, list[list[object]]], str | None]:
    """The cells of a CSV (one grid) or of every sheet of a workbook, by sheet name."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        used = encoding or detect_encoding(path)
        try:
            text = path.read_bytes().decode(used)
            first = text.lstrip("\ufeff").split("\n", 1)[0]
            sep = "," if "," in first else max(("\t", ";", "|"), key=first.count)
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep if sep in first else ",")
            grid: list[list[object]] = [[*record] for record in reader]
            return {"": grid}, used
        except UnicodeDecodeError as exc:
            raise UnreadableFile(msg(
                "{name}: cannot decode as {used_encoding} ({reason} at byte {start}); {hint}",
                name=path.name, used_encoding=used, reason=exc.reason, start=exc.start,
                hint=msg("pass the right encoding (utf-8, gb18030)"))) from None
        except csv.Error as exc:
            raise UnreadableFile(msg("{name}: cannot be parsed as CSV ({exc})", name=path.name,
                                     exc=exc)) from None
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str,
                               keep_default_na=False, na_filter=False)
    except Exception as exc:  # openpyxl and zipfile raise many types for a corrupt file
        raise UnreadableFile(msg("{name}: cannot be parsed as {suffix}: {kind}{detail}",
                                 name=path.name, suffix="xlsx", kind=type(exc).__name__,
                                 detail="")) from None
    return {str(name): sheet.to_numpy(dtype=object).tolist() for name, sheet in sheets.items()}, None


def _cover_time(grids: Mapping[str, list[list[object]]], chosen: str
                ) -> tuple[str, str | None] | None:
    """The text and zone of a cover sheet's 生成时间 (made at) row, if another sheet has one."""
    labels = {m.casefold() for m in _MADE_AT}
    for name, grid in grids.items():
        for cells in grid[:50] if name != chosen else ():
            if len(cells) >= 2 and str(cells[0]).strip().casefold() in labels:
                return _split_zone(str(cells[1]).strip())
    return None


def raw_table(path: Path, headers: Mapping[str, tuple[str, ...]], encoding: str | None = None
               ) -> tuple[RawTable, dict[str, str], tuple[str, str | None] | None]:
    """The sheet and header row naming the most `headers`, as a RawTable; zones by column;
    the time a cover sheet says the list was made (text, zone).

    A title row above the header, or a cover sheet before the list, is skipped. Rows with
    no value in any cell are no data: neither read nor rejected.
    """
    if not path.is_file():
        raise FileNotFoundError(msg("{path}: no such file", path=path))
    if path.suffix.lower() not in (".csv", ".txt", ".xlsx"):
        raise ValueError(msg("{name}: unsupported file type {suffix!r}; use .xlsx or .csv "
                             "(.txt)", name=path.name, suffix=path.suffix))
    grids, used = _grid(path, encoding)
    names = _lookup(headers)
    best: tuple[int, str, int] | None = None
    for sheet, grid in grids.items():
        for at, cells in enumerate(grid[:_HEADER_SEARCH_ROWS]):
            score = len({names.get(_header(c)[0]) for c in cells} - {None})
            if best is None or score > best[0]:
                best = (score, sheet, at)
    sheet, at = (best[1], best[2]) if best else ("", 0)
    grid = grids.get(sheet, [])
    first_sheet = next(iter(grids), "")
    source = str(scrub_shapes(path.name + (f"[{sheet}]" if sheet != first_sheet else "")))
    header = grid[at] if grid else []
    columns: list[str | None] = []
    zones: dict[str, str] = {}
    ignored = []
    for cell in header:
        key, zone = _header(cell)
        canonical = names.get(key)
        if canonical is None or canonical in columns:
            columns.append(None)
            ignored.append(str(scrub_shapes(str(cell))))
            continue
        columns.append(canonical)
        if zone:
            zones[canonical] = zone
    kept, rows, broken = [], [], []
    for number, cells in enumerate(grid[at + 1:], start=1):
        if not any(str(c).strip() for c in cells):
            continue
        if len(cells) != len(header):
            broken.append((number, msg("has {n} fields, the header has {expected}",
                                       n=len(cells), expected=len(header))))
            continue
        kept.append([c for c, name in zip(cells, columns, strict=True) if name is not None])
        rows.append(number)
    present = [c for c in columns if c is not None]
    frame = pd.DataFrame(kept, columns=present, dtype=object) if present else pd.DataFrame(
        index=range(len(kept)))
    frame = frame.apply(lambda col: unwrap_cells(col.astype(str).str.strip())) if present \
        else frame
    return RawTable(source, frame, np.asarray(rows, dtype=np.int64), used, tuple(ignored),
                    tuple(broken)), zones, _cover_time(grids, sheet)


def made_at(cover: tuple[str, str | None] | None, zone: str) -> pd.Timestamp | None:
    """The cover's time as an instant; None when there is none or it is no time."""
    if cover is None:
        return None
    got = parse_times(pd.Series([cover[0]], dtype=object), cover[1] or zone).iloc[0]
    return None if pd.isna(got) else pd.Timestamp(got)


def _empty_sheet() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns, UTC]" if c in (
        s.STATUS_AT, s.LISTED_AT) else "int64" if c == s.ROW else object)
        for c in FOLLOWUP_SHEET_COLUMNS})


def _times(chk: RowChecker, column: str, zone: str, now: pd.Timestamp) -> pd.Series:
    """Parse a time column, rejecting unreadable, out-of-range and future times."""
    values = chk.frame[column]
    parsed = parse_times(values, zone)
    given = ~blank(values)
    chk.reject_far_times(column, parsed)
    chk.reject(given & parsed.isna().to_numpy(), column, "bad_time",
               lambda v: f"{column} {v!r} is not a date or time{time_hint(v)} ({TIME_FORMS})")
    chk.reject((parsed > now).to_numpy(), column, "future_time",
               f"{column} {{value}} is after the import time")
    return parsed


def _missing_columns(missing: list[str], found: list[str]) -> Message:
    return msg("required column(s) {missing} absent (a contact id, a status and its time; "
               "Chinese headers 联系人编号, 状态, 时间); the sheet has {columns}",
               missing=", ".join(missing),
               columns=", ".join(found) or msg("no recognised columns"))


def word_codes(values: pd.Series, words: Mapping[str, str]) -> pd.Series:
    """Codes of `values` by `words`, read case-blind with blanks and hyphens as ``_``."""
    key = values.astype(str).str.strip().str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    return key.map(lambda k: words.get(k, words.get(k.replace("_", ""))))


def read_followup(path: str | Path, *, key: bytes | None = None, zone: str = s.DEFAULT_ZONE,
                  now: Any = None, encoding: str | None = None,
                  on_file_problem: Literal["reject", "raise"] = "reject") -> Loaded:
    """Read a returned call sheet: one row per status of a contact, checked.

    Parameters
    ----------
    path : str or Path
        ``.xlsx`` (the sheet, and the row in its first ten, whose header names the most
        follow-up columns) or ``.csv``/``.txt`` (UTF-8 with or without BOM, GB18030).
        Headers: :data:`SHEET_HEADERS`. A row names its contact by ``contact_id``
        (联系人编号, a pseudonym), else by a raw ``person_id``, ``phone`` or ``id_number``;
        ``status`` (:data:`STATUS_WORDS`) and ``status_at`` are required together; a row
        with neither is a contact not followed up yet (accepted, status missing).
        ``township_code``, ``township``, ``tier`` and ``listed_at`` are kept when present;
        names and other columns are never read.
    key : bytes, optional
        Pseudonymises raw ids (the same key as the scans', so that they match the listed
        contacts); without it a row known only by a raw id is rejected
        (``raw_id_without_key``).
    zone : str, default "Asia/Shanghai"
        Zone of times written without one (a header's `` (zone)`` suffix overrides it).
    now : tz-aware time, optional
        Times after it are rejected (``future_time``); default the current time.
    encoding : str, optional
        Override the detected encoding of a CSV file.
    on_file_problem : {"reject", "raise"}, default "reject"
        A sheet wrong as a whole (unreadable, empty, without the required columns):
        ``reject`` records it in ``rejected`` (row 0, or every row for missing columns);
        ``raise`` raises ``ValueError`` naming the file, for a caller that records nothing
        from such a sheet (the command line).

    Returns
    -------
    tracelab.io.Loaded
        ``accepted`` has :data:`FOLLOWUP_SHEET_COLUMNS` (pseudonyms only); ``read ==
        accepted_count + rejected_count``.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If its type is not .xlsx, .csv or .txt; with ``on_file_problem="raise"``, if it
        is wrong as a whole.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "calls.csv"
    >>> _ = p.write_text("联系人编号,状态,时间\\np_0123456789abcdef,已隔离,2022-11-20 09:30\\n"
    ...                  "13812345678,已联系,2022-11-20\\np_0123456789abcdef,,\\n", encoding="utf-8")
    >>> got = read_followup(p, now="2022-12-01T00:00Z")
    >>> got.accepted[["contact_id", "status", "status_at"]]
               contact_id       status                 status_at
    0  p_0123456789abcdef  quarantined 2022-11-20 01:30:00+00:00
    1  p_0123456789abcdef          NaN                       NaT
    >>> got.rejected[["row", "column", "value", "reason"]].values.tolist()
    [[2, 'contact_id', '13*******78', 'raw_id_without_key']]
    """
    if on_file_problem not in ("reject", "raise"):
        raise ValueError(msg("on_file_problem={value!r}; allowed: 'reject', 'raise'",
                             value=on_file_problem))
    now_at = now_utc(now)
    try:
        raw, zones, cover = raw_table(Path(path), SHEET_HEADERS, encoding)
    except UnreadableFile as exc:
        if on_file_problem == "raise":
            raise
        chk = RowChecker(RawTable(str(scrub_shapes(Path(path).name)), pd.DataFrame(),
                                  np.zeros(0, np.int64)))
        chk.file_problem("unreadable_file", str(exc))
        return chk.finish(_empty_sheet())
    chk = RowChecker(raw)
    if not len(raw.frame) and not raw.broken_rows:
        empty = msg("{source} holds no follow-up rows", source=raw.source)
        if on_file_problem == "raise":
            raise ValueError(empty)
        chk.file_problem("empty_file", empty)
        return chk.finish(_empty_sheet())
    sources = [c for c in _ID_SOURCES if c in raw.frame.columns]
    missing = ([] if sources else [f"{s.CONTACT_ID} (联系人编号)"]) + [
        c for c in (s.FOLLOWUP_STATUS, s.STATUS_AT) if c not in raw.frame.columns]
    if missing:
        problem = _missing_columns(missing, list(raw.frame.columns))
        if on_file_problem == "raise":
            raise ValueError(msg("{source}: {problem}", source=raw.source, problem=problem))
        chk.reject(np.ones(len(raw.frame), bool), missing[0].split(" ")[0], "missing_column",
                   str(problem))
        return chk.finish(_empty_sheet())
    chk.clean_ids((s.CONTACT_ID, s.PERSON_ID))
    chk.limit_lengths(tuple(raw.frame.columns))
    f = chk.frame
    which = pd.Series("", index=f.index, dtype=object)
    value = pd.Series("", index=f.index, dtype=object)
    for column in sources:
        take = (which == "") & ~blank(f[column])
        which[take], value[take] = column, f.loc[take, column]
    chk.reject((which == "").to_numpy(), s.CONTACT_ID, "missing_value",
               f"no contact: {' and '.join(sources)} empty; give the contact_id (联系人编号) "
               "as the call list issued it")
    pseudo = value.map(is_pseudonym).astype(bool)
    for column in sources:
        mine = (which == column).to_numpy()
        shown = (value.map(ids.mask_phone) if column == s.PHONE
                 else value.map(lambda v: v if is_pseudonym(v) else ids.mask_id(v)))
        chk.reject(mine & in_scientific_notation(value), column, "id_in_scientific_notation",
                   f"{column} {{value}} is in scientific notation: Excel has dropped its last "
                   "digits; re-export the column formatted as text", values=shown)
        chk.reject(mine & value.str.contains("*", regex=False).to_numpy(), column, "masked_id",
                   f"{column} {{value}} is masked and names nobody; return the sheet with its "
                   "contact_id (联系人编号) column as issued", values=shown)
        chk.reject(mine & value.str.startswith("p_").to_numpy() & ~pseudo.to_numpy(), column,
                   "bad_pseudonym", f"{column} {{value}} is not a pseudonym (p_ + 16 hex "
                   "digits): cut or edited; copy it back from the call list", values=shown)
        if key is None:
            chk.reject(mine & ~pseudo.to_numpy(), column, "raw_id_without_key",
                       f"{column} {{value}} is a raw id, not a pseudonym; pass the key "
                       "(TRACELAB_KEY or --key-file) to pseudonymise it", values=shown)
    status = word_codes(f[s.FOLLOWUP_STATUS], STATUS_WORDS)
    no_status, no_time = blank(f[s.FOLLOWUP_STATUS]), blank(f[s.STATUS_AT])
    chk.reject(no_status & ~no_time, s.FOLLOWUP_STATUS, "missing_value",
               "status is empty but status_at is given; give the status "
               f"({', '.join(s.FOLLOWUP_STATUSES)})")
    chk.reject(~no_status & status.isna().to_numpy(), s.FOLLOWUP_STATUS, "bad_followup_status",
               f"status {{value}} is not one of {', '.join(s.FOLLOWUP_STATUSES)} "
               f"({', '.join(LABELS[c][0] for c in s.FOLLOWUP_STATUSES)})")
    chk.reject(~no_status & no_time, s.STATUS_AT, "missing_value",
               f"status_at is empty; give the date of the status ({TIME_FORMS})")
    times = {c: _times(chk, c, zones.get(c, zone), now_at)
             for c in (s.STATUS_AT, s.LISTED_AT) if c in f.columns}
    good = chk.good
    ok = value[good]
    if key is not None:
        # Ids as the scans loader pseudonymises them (cleaned, else as written); a phone
        # typed with blanks or +86 as its 11 digits, the form of 赣通码 person ids.
        phone = (which[good] == s.PHONE).to_numpy()
        ok = pd.Series([v if is_pseudonym(v) else pseudonym(
            ids.normalise_mobile(v) if is_phone and ids.is_mobile(v) else v, key)
            for v, is_phone in zip(ok, phone, strict=True)], index=ok.index, dtype=object)
    out = pd.DataFrame({s.CONTACT_ID: ok, s.FOLLOWUP_STATUS: status[good].astype(object)})
    out[s.STATUS_AT] = times[s.STATUS_AT][good]
    for column in (s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER):
        text = (f.loc[good, column] if column in f.columns
                else pd.Series("", index=out.index, dtype=object))
        if column == s.TIER:
            text = word_codes(text, TIER_WORDS).fillna(text)
        out[column] = text.map(lambda v: None if not str(v).strip() else str(scrub_shapes(v)))
    out[s.LISTED_AT] = (times[s.LISTED_AT][good] if s.LISTED_AT in times
                        else pd.Series(pd.NaT, index=out.index, dtype=UTC))
    made = made_at(cover, zone)
    if made is not None:  # the list's cover says when it was made: the rows' listing time
        out[s.LISTED_AT] = out[s.LISTED_AT].fillna(made)
    out[s.SOURCE] = raw.source
    out[s.ROW] = raw.rows[good]
    return chk.finish(out.reset_index(drop=True).loc[:, list(FOLLOWUP_SHEET_COLUMNS)])
