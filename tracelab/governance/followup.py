"""Follow-up of listed contacts: the field teams' returned call sheet, recorded and checked.

The teams return the call list (XLSX or CSV, English or Chinese headers) with a status per
contact (:data:`~tracelab.model.schema.FOLLOWUP_STATUSES`, or their Chinese labels) and
its date. :func:`read_followup` checks each row (accepted + rejected = read);
:func:`import_followup` records the accepted rows in the store's ``followup`` table and
the rejections beside them, in one transaction, idempotently: a row is one fact, keyed by
(contact, status, time), so the same sheet imported twice changes nothing. The store
keeps the contact's pseudonym only, never a name or phone: a revealed sheet's raw phone
or person id is pseudonymised with the key (or rejected without one).

:func:`followup_status` says, by township and tier, how many listed contacts are at
which latest status and who is overdue: not located within the tier's time limit
(:data:`REACH_WITHIN_HOURS`) of being listed. :func:`followup_summary` gives the same
in numbers for the briefing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from tracelab._atomic import fault_point
from tracelab._db import rollback
from tracelab._time import now_utc
from tracelab._validate import require_columns
from tracelab.io.checks import Loaded, RowChecker, empty_rejections
from tracelab.io.files import RawTable, UnreadableFile, detect_encoding
from tracelab.io.parse import blank, in_scientific_notation, parse_times, time_hint, unwrap_cells
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.tables import TABLES, read_sql
from tracelab.privacy.boundary import require_protected
from tracelab.privacy.pseudonyms import is_pseudonym, pseudonym, scrub_shapes

if TYPE_CHECKING:
    from tracelab.io.store import Store

__all__ = ["FOLLOWUP_SHEET_COLUMNS", "SHEET_HEADERS", "STATUS_WORDS", "REACH_WITHIN_HOURS",
           "LABELS", "label", "FollowupImport", "FollowupStatus", "read_followup",
           "import_followup", "read_listing", "listing_from_trace", "followup_status",
           "followup_summary"]

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
_TIER_WORDS = {**{t: t for t in s.TIERS}, **{LABELS[t][0]: t for t in s.TIERS},
               **{LABELS[t][1].replace(" ", "_"): t for t in s.TIERS},
               "within_24_hours": s.WITHIN_24H}
#: Hours from listing within which a contact of each tier must be located; ``None``: no
#: limit; ``"unknown"`` serves tiers not named. (design default) DOMAIN.md gives no
#: published time limit for locating contacts (its section 11 has none; confirm one
#: before relying on it): the limits follow the tiers of
#: :func:`tracelab.analysis.ranking.rank_contacts`, "call today" taken as 12 h,
#: "call within 24 hours" as 24 h, "monitor" as 3 days.
REACH_WITHIN_HOURS: Mapping[str, float | None] = {
    s.CALL_TODAY: 12.0, s.WITHIN_24H: 24.0, s.MONITOR: 72.0, "unknown": 24.0}
_UNKNOWN = "unknown"
_UTC = "datetime64[ns, UTC]"
#: A zone after a header or a time: `` (Asia/Shanghai)`` (tracelab.io.exports.write_xlsx),
#: ``（北京时间）`` or ``（当地时间 Asia/Seoul）`` (tracelab.governance.call_lists).
_ZONE_IN_HEADER = re.compile(r"\s*[(（]\s*(?:当地时间\s*|local time,?\s*)?"
                             r"([A-Za-z]+(?:/[A-Za-z0-9_+-]+)+|UTC|北京时间|Beijing time)"
                             r"\s*[)）]\s*$", re.IGNORECASE)
_BEIJING = ("北京时间", "beijing time")
_HEADER_SEARCH_ROWS = 10
_TIME_FORMS = "e.g. 2022-11-20 or 2022-11-20 08:05, local time unless a zone is given"


def label(code: object, lang: Literal["zh", "en"] = "zh") -> str:
    """The label of a status, tier or column for people (the code itself if unknown).

    Examples
    --------
    >>> label("not_reached"), label("call_today", "en"), label("other")
    ('未接通', 'call today', 'other')
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang={lang!r}; allowed: 'zh', 'en'")
    pair = LABELS.get(str(code))
    return str(code) if pair is None else pair[0 if lang == "zh" else 1]


# --- reading a sheet ------------------------------------------------------------------

def _header(cell: object) -> tuple[str, str | None]:
    """A header cell as matched (case-blind) and the zone its suffix names, if any."""
    text = str(cell).replace("\ufeff", "").strip()
    zone = None
    match = _ZONE_IN_HEADER.search(text)
    if match:
        zone, text = match.group(1), text[:match.start()]
        zone = s.DEFAULT_ZONE if zone.casefold() in _BEIJING else zone
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
            raise UnreadableFile(f"{path.name}: cannot decode as {used} ({exc.reason} at byte "
                                 f"{exc.start}); pass the right encoding (utf-8, gb18030)") from None
        except csv.Error as exc:
            raise UnreadableFile(f"{path.name}: cannot be parsed as CSV ({exc})") from None
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str,
                               keep_default_na=False, na_filter=False)
    except Exception as exc:  # openpyxl and zipfile raise many types for a corrupt file
        raise UnreadableFile(f"{path.name}: cannot be parsed as xlsx: "
                             f"{type(exc).__name__}") from None
    return {str(name): sheet.to_numpy(dtype=object).tolist() for name, sheet in sheets.items()}, None


def _cover_time(grids: Mapping[str, list[list[object]]], chosen: str
                ) -> tuple[str, str | None] | None:
    """The text and zone of a cover sheet's 生成时间 (made at) row, if another sheet has one."""
    labels = {m.casefold() for m in _MADE_AT}
    for name, grid in grids.items():
        for cells in grid[:50] if name != chosen else ():
            if len(cells) >= 2 and str(cells[0]).strip().casefold() in labels:
                text, zone = str(cells[1]).strip(), None
                match = _ZONE_IN_HEADER.search(text)
                if match:
                    text, zone = text[:match.start()], match.group(1)
                    zone = s.DEFAULT_ZONE if zone.casefold() in _BEIJING else zone
                return text, zone
    return None


def _raw_table(path: Path, headers: Mapping[str, tuple[str, ...]], encoding: str | None = None
               ) -> tuple[RawTable, dict[str, str], tuple[str, str | None] | None]:
    """The sheet and header row naming the most `headers`, as a RawTable; zones by column;
    the time a cover sheet says the list was made (text, zone).

    A title row above the header, or a cover sheet before the list, is skipped. Rows with
    no value in any cell are no data: neither read nor rejected.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() not in (".csv", ".txt", ".xlsx"):
        raise ValueError(f"{path.name}: unsupported file type {path.suffix!r}; use .xlsx or "
                         ".csv (.txt)")
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
            broken.append((number, f"has {len(cells)} fields, the header has {len(header)}"))
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


def _made_at(cover: tuple[str, str | None] | None, zone: str) -> pd.Timestamp | None:
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
               lambda v: f"{column} {v!r} is not a date or time{time_hint(v)} ({_TIME_FORMS})")
    chk.reject((parsed > now).to_numpy(), column, "future_time",
               f"{column} {{value}} is after the import time")
    return parsed


def _words(values: pd.Series, words: Mapping[str, str]) -> pd.Series:
    """Codes of `values` by `words`, read case-blind with blanks and hyphens as ``_``."""
    key = values.astype(str).str.strip().str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    return key.map(lambda k: words.get(k, words.get(k.replace("_", ""))))


def read_followup(path: str | Path, *, key: bytes | None = None, zone: str = s.DEFAULT_ZONE,
                  now: Any = None, encoding: str | None = None) -> Loaded:
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
        If its type is not .xlsx, .csv or .txt.

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
    now_at = now_utc(now)
    try:
        raw, zones, cover = _raw_table(Path(path), SHEET_HEADERS, encoding)
    except UnreadableFile as exc:
        chk = RowChecker(RawTable(str(scrub_shapes(Path(path).name)), pd.DataFrame(),
                                  np.zeros(0, np.int64)))
        chk.file_problem("unreadable_file", str(exc))
        return chk.finish(_empty_sheet())
    chk = RowChecker(raw)
    if not len(raw.frame) and not raw.broken_rows:
        chk.file_problem("empty_file", f"{raw.source} holds no follow-up rows")
        return chk.finish(_empty_sheet())
    sources = [c for c in _ID_SOURCES if c in raw.frame.columns]
    missing = ([] if sources else [f"{s.CONTACT_ID} (联系人编号)"]) + [
        c for c in (s.FOLLOWUP_STATUS, s.STATUS_AT) if c not in raw.frame.columns]
    if missing:
        chk.reject(np.ones(len(raw.frame), bool), missing[0].split(" ")[0], "missing_column",
                   f"required column(s) {', '.join(missing)} absent (a contact id, a status "
                   f"and its time; Chinese headers 联系人编号, 状态, 时间); the sheet has "
                   f"{', '.join(raw.frame.columns) or 'no recognised columns'}")
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
    status = _words(f[s.FOLLOWUP_STATUS], STATUS_WORDS)
    no_status, no_time = blank(f[s.FOLLOWUP_STATUS]), blank(f[s.STATUS_AT])
    chk.reject(no_status & ~no_time, s.FOLLOWUP_STATUS, "missing_value",
               "status is empty but status_at is given; give the status "
               f"({', '.join(s.FOLLOWUP_STATUSES)})")
    chk.reject(~no_status & status.isna().to_numpy(), s.FOLLOWUP_STATUS, "bad_followup_status",
               f"status {{value}} is not one of {', '.join(s.FOLLOWUP_STATUSES)} "
               f"({', '.join(LABELS[c][0] for c in s.FOLLOWUP_STATUSES)})")
    chk.reject(~no_status & no_time, s.STATUS_AT, "missing_value",
               f"status_at is empty; give the date of the status ({_TIME_FORMS})")
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
            text = _words(text, _TIER_WORDS).fillna(text)
        out[column] = text.map(lambda v: None if not str(v).strip() else str(scrub_shapes(v)))
    out[s.LISTED_AT] = (times[s.LISTED_AT][good] if s.LISTED_AT in times
                        else pd.Series(pd.NaT, index=out.index, dtype=_UTC))
    made = _made_at(cover, zone)
    if made is not None:  # the list's cover says when it was made: the rows' listing time
        out[s.LISTED_AT] = out[s.LISTED_AT].fillna(made)
    out[s.SOURCE] = raw.source
    out[s.ROW] = raw.rows[good]
    return chk.finish(out.reset_index(drop=True).loc[:, list(FOLLOWUP_SHEET_COLUMNS)])


# --- recording it -----------------------------------------------------------------------

@dataclass(frozen=True)
class FollowupImport:
    """Counts of one import: ``read == accepted + rejected``; ``accepted == added +
    already + pending`` (rows without a status count as added the first time)."""

    source: str
    read: int
    accepted: int
    rejected: int
    #: Rows new to the store (facts, and sheet rows without a status yet).
    added: int
    #: Accepted rows the store held already (the same contact, status and time).
    already: int
    #: Accepted rows of contacts without a status yet.
    pending: int
    rejections: pd.DataFrame = field(default_factory=empty_rejections)


def _fact_key(contact: object, status: object, at: object) -> str:
    stamp = "" if pd.isna(at) else str(pd.Timestamp(at).value)
    text = f"{contact}\x1f{'' if pd.isna(status) else status}\x1f{stamp}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def import_followup(store: Store, sheet: str | Path | Loaded, *, key: bytes | None = None,
                    zone: str = s.DEFAULT_ZONE, now: Any = None) -> FollowupImport:
    """Record a returned sheet in ``store``: accepted rows and rejections, all or none.

    Parameters
    ----------
    store : tracelab.io.Store
        An open, writable store.
    sheet : str, Path or tracelab.io.Loaded
        The file (read by :func:`read_followup` with `key`, `zone`, `now`), or its result.
    key, zone, now
        See :func:`read_followup`; `now` is also the rows' ``imported_at``.

    Returns
    -------
    FollowupImport

    Raises
    ------
    ValueError
        If `sheet` is a load of something else (it lacks the follow-up columns).
    tracelab.privacy.boundary.PrivacyError
        If a row still holds a raw identifier (nothing is written).

    Notes
    -----
    Idempotent: a row is keyed by a hash of (contact, status, status time), and a key the
    table holds is skipped, as is a rejection row the table holds; so re-importing a
    sheet changes neither table. The first import's township, tier, listing time,
    source and row stay with a fact.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.io import open_store
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "calls.csv").write_text(
    ...     "contact_id,status,status_at\\np_0123456789abcdef,reached,2022-11-20 09:30\\n"
    ...     "p_0123456789abcdef,busy,2022-11-20 10:00\\n", encoding="utf-8")
    >>> with open_store(folder / "tracelab.duckdb") as store:
    ...     first = import_followup(store, folder / "calls.csv", now="2022-12-01T00:00Z")
    ...     again = import_followup(store, folder / "calls.csv", now="2022-12-02T00:00Z")
    ...     rows = store.count("followup")
    >>> (first.read, first.accepted, first.rejected, first.added), (again.added, rows)
    ((2, 1, 1, 1), (0, 1))
    """
    loaded = sheet if isinstance(sheet, Loaded) else read_followup(
        sheet, key=key, zone=zone, now=now)
    require_columns(loaded.accepted, FOLLOWUP_SHEET_COLUMNS, "sheet",
                    hint="pass a file or read_followup(...) output")
    rows = loaded.accepted.copy()
    rows[s.FOLLOWUP_KEY] = [_fact_key(*t) for t in zip(
        rows[s.CONTACT_ID], rows[s.FOLLOWUP_STATUS], rows[s.STATUS_AT], strict=True)]
    rows[s.IMPORTED_AT] = now_utc(now)
    rows = rows.drop_duplicates(s.FOLLOWUP_KEY).loc[:, list(TABLES["followup"])]
    rejected = loaded.rejected.loc[:, list(s.REJECTION_COLUMNS)]
    require_protected(rows, "store table followup")
    require_protected(rejected, "store table rejections")
    added = _insert_new(store, rows, rejected)
    pending = int(loaded.accepted[s.FOLLOWUP_STATUS].isna().sum())
    return FollowupImport(loaded.source, loaded.read, loaded.accepted_count,
                          loaded.rejected_count, added, loaded.accepted_count - added, pending,
                          loaded.rejected)


def _insert_new(store: Store, rows: pd.DataFrame, rejected: pd.DataFrame) -> int:
    """Insert the rows and rejections the tables lack, in one transaction; rows added."""
    con = store.con
    cols = ", ".join(f'"{c}"' for c in TABLES["followup"])
    rcols = ", ".join(f'"{c}"' for c in s.REJECTION_COLUMNS)
    # Registered outside the transaction: an aborted one refuses even an unregister.
    con.register("_incoming_followup", rows)
    con.register("_incoming_rejections", rejected)
    try:
        con.execute("BEGIN")
        try:
            result = con.execute(
                f"INSERT INTO followup ({cols}) SELECT {cols} FROM _incoming_followup i WHERE "
                f"i.{s.FOLLOWUP_KEY} NOT IN (SELECT {s.FOLLOWUP_KEY} FROM followup)").fetchone()
            fault_point("store:inserted:followup")
            con.execute(f"INSERT INTO rejections ({rcols}) SELECT {rcols} FROM "
                        f"_incoming_rejections EXCEPT SELECT {rcols} FROM rejections")
            fault_point("store:inserted:rejections")
            con.execute("COMMIT")
            fault_point("store:committed")
        except BaseException as err:
            rollback(con, err)
            raise
    finally:
        con.unregister("_incoming_followup")
        con.unregister("_incoming_rejections")
    return int(result[0]) if result else 0


# --- who is listed, and how far each has got -------------------------------------------

def read_listing(path: str | Path, *, key: bytes | None = None,
                 zone: str = s.DEFAULT_ZONE) -> pd.DataFrame:
    """The contacts a call list, ranked contacts or exposures file lists (CSV or XLSX).

    Parameters
    ----------
    path : str or Path
        Needs ``contact_id`` (联系人编号); ``township_code``, ``township``, ``tier`` and
        ``listed_at`` are kept when present (:data:`SHEET_HEADERS`).
    key : bytes, optional
        Pseudonymises contact ids that are not pseudonyms; without it they are refused.
    zone : str, default "Asia/Shanghai"
        Zone of ``listed_at`` written without one.

    Returns
    -------
    pandas.DataFrame
        One row per contact (see :func:`followup_status`, ``listed``).

    Raises
    ------
    ValueError
        If the file lacks contact ids, holds a raw or masked one without the key, or an
        unreadable ``listed_at``; the message names the file, row and column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "exposures.csv"
    >>> _ = p.write_text("case_id,contact_id\\np_aaaaaaaaaaaaaaaa,p_0123456789abcdef\\n")
    >>> read_listing(p)[["contact_id", "tier"]].values.tolist()
    [['p_0123456789abcdef', 'unknown']]
    """
    raw, zones, cover = _raw_table(Path(path), SHEET_HEADERS)
    if raw.broken_rows:
        row, why = raw.broken_rows[0]
        raise ValueError(f"{raw.source} row {row}: {why}")
    frame = raw.frame
    if s.CONTACT_ID not in frame.columns:
        raise ValueError(f"{raw.source}: no contact_id (联系人编号) column; it has "
                         f"{', '.join(frame.columns) or 'no recognised columns'}")
    contact = frame[s.CONTACT_ID]
    bad = blank(contact) | ~contact.map(is_pseudonym).astype(bool).to_numpy()
    if key is not None:
        bad = blank(contact) | contact.str.contains("*", regex=False).to_numpy()
        contact = contact.map(lambda v: v if is_pseudonym(v) else pseudonym(v, key))
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{raw.source} row {raw.rows[at]}: contact_id "
                         f"{ids.mask_id(frame[s.CONTACT_ID].iloc[at])!r} is not a pseudonym "
                         "(p_ + 16 hex digits); pass the key to pseudonymise raw ids")
    out = pd.DataFrame({s.CONTACT_ID: contact})
    for column in (s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER):
        out[column] = frame[column].where(~blank(frame[column])) if column in frame else None
    if s.TIER in frame.columns:
        out[s.TIER] = _words(frame[s.TIER], _TIER_WORDS).fillna(out[s.TIER])
    out[s.LISTED_AT] = pd.Series(pd.NaT, index=out.index, dtype=_UTC)
    if s.LISTED_AT in frame.columns:
        out[s.LISTED_AT] = parse_times(frame[s.LISTED_AT], zones.get(s.LISTED_AT, zone))
        wrong = out[s.LISTED_AT].isna().to_numpy() & ~blank(frame[s.LISTED_AT])
        if wrong.any():
            at = int(np.flatnonzero(wrong)[0])
            raise ValueError(f"{raw.source} row {raw.rows[at]}: listed_at "
                             f"{scrub_shapes(frame[s.LISTED_AT].iloc[at])!r} is not a time "
                             f"({_TIME_FORMS})")
    made = _made_at(cover, zone)
    if made is not None:
        out[s.LISTED_AT] = out[s.LISTED_AT].fillna(made)
    return _per_contact(out)


def listing_from_trace(exposures: pd.DataFrame, contacts: pd.DataFrame | None = None,
                       cases: pd.DataFrame | None = None,
                       persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """The contacts a trace lists, with tier, home township and listing time.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``case_id``, ``contact_id`` (:func:`tracelab.trace` output).
    contacts : pandas.DataFrame, optional
        ``contact_id``, ``tier`` (:func:`tracelab.rank_contacts`, ``per="contact"``).
    cases : pandas.DataFrame, optional
        ``person_id``, ``confirmed_at``, ``sampled_at``: a contact counts as listed when
        the first case they were exposed to was reported (confirmed, else sampled), as
        the clock of flow tracing starts with the report.
    persons : pandas.DataFrame, optional
        ``person_id``, ``township_code`` (the contact's home township).

    Returns
    -------
    pandas.DataFrame
        One row per contact (see :func:`followup_status`, ``listed``).

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 00:00", tz="UTC")
    >>> ex = pd.DataFrame({"case_id": ["C1", "C2"], "contact_id": ["A", "A"]})
    >>> cases = pd.DataFrame({"person_id": ["C1", "C2"], "confirmed_at": [t, t - pd.Timedelta(
    ...     hours=5)], "sampled_at": [t, t]})
    >>> str(listing_from_trace(ex, cases=cases).loc[0, "listed_at"])
    '2022-11-19 19:00:00+00:00'
    """
    out = exposures.loc[:, [s.CONTACT_ID]].copy()
    out[s.LISTED_AT] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    if cases is not None and len(cases):
        reported = cases[s.CONFIRMED_AT].fillna(cases[s.SAMPLED_AT])
        when = pd.Series(reported.to_numpy(), index=cases[s.PERSON_ID].to_numpy())
        when = when[~when.index.duplicated()]
        out[s.LISTED_AT] = exposures[s.CASE_ID].map(when).astype("datetime64[ns, UTC]")
    if contacts is not None and s.TIER in contacts:
        tiers = contacts.drop_duplicates(s.CONTACT_ID).set_index(s.CONTACT_ID)[s.TIER]
        out[s.TIER] = out[s.CONTACT_ID].map(tiers)
    if persons is not None and s.TOWNSHIP_CODE in persons:
        homes = persons.drop_duplicates(s.PERSON_ID).set_index(s.PERSON_ID)[s.TOWNSHIP_CODE]
        out[s.TOWNSHIP_CODE] = out[s.CONTACT_ID].map(homes)
    return _per_contact(out)


def _tier_order(tiers: pd.Series) -> pd.Series:
    return tiers.map({t: i for i, t in enumerate(s.TIERS)}).fillna(len(s.TIERS))


def _per_contact(listed: pd.DataFrame) -> pd.DataFrame:
    """One row per contact: the most urgent tier, the first listing, the first township."""
    frame = listed.copy()
    for column in (s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER):
        if column not in frame:
            frame[column] = None
    if s.LISTED_AT not in frame:
        frame[s.LISTED_AT] = pd.NaT
    frame[s.LISTED_AT] = pd.to_datetime(frame[s.LISTED_AT], utc=True)
    frame = frame.assign(_t=_tier_order(frame[s.TIER])).sort_values(
        [s.CONTACT_ID, "_t"], kind="stable")
    out = frame.groupby(s.CONTACT_ID, sort=True).agg(
        {s.TOWNSHIP_CODE: "first", s.TOWNSHIP: "first", s.TIER: "first", s.LISTED_AT: "min"})
    out = out.reset_index()
    out[s.TIER] = out[s.TIER].fillna(_UNKNOWN)
    return out.astype({s.CONTACT_ID: object})


def _stored(store: Store) -> pd.DataFrame:
    """The followup table (empty with its columns when a read-only older file lacks it)."""
    has = store.con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = 'followup'").fetchone()
    if not has or not has[0]:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES["followup"]})
    return read_sql(store.con, "SELECT * FROM followup")


@dataclass(frozen=True)
class FollowupStatus:
    """What :func:`followup_status` returns."""

    as_of: pd.Timestamp
    #: Per (township_code, township, tier): ``n_listed``, contacts by latest status (one
    #: column per status, and ``no_status``; they add up to ``n_listed``), ``n_located``,
    #: ``located_share``, ``n_overdue``, ``n_late``.
    completeness: pd.DataFrame
    #: Contacts past due and not located, most urgent tier first, then longest overdue.
    overdue: pd.DataFrame
    #: One row per listed contact, with its latest status and timing.
    contacts: pd.DataFrame
    #: Contacts with a status in the store but not in the listing given.
    unlisted: int
    reach_within_hours: Mapping[str, float | None]


def followup_status(store: Store, listed: pd.DataFrame | None = None, *, as_of: Any = None,
                    listed_at: Any = None,
                    reach_within_hours: Mapping[str, float | None] | None = None
                    ) -> FollowupStatus:
    """Completeness of follow-up by township and tier, and who is overdue, as of a time.

    Parameters
    ----------
    store : tracelab.io.Store
        Holds the imported follow-up rows.
    listed : pandas.DataFrame, optional
        The contacts listed: ``contact_id`` and any of ``township_code``, ``township``,
        ``tier``, ``listed_at`` (:func:`read_listing`, :func:`listing_from_trace`, a call
        list); several rows of a contact give its most urgent tier and first listing.
        Default: every contact on an imported sheet. Values a listing lacks are taken
        from the imported sheets (latest import first).
    as_of : tz-aware time, optional
        Statuses recorded later are left out; default now.
    listed_at : tz-aware time, optional
        Listing time of contacts whose listing and sheets give none.
    reach_within_hours : mapping, optional
        Hours to locate a contact by tier (:data:`REACH_WITHIN_HOURS`, the default; its
        ``"unknown"`` serves other tiers; None: no limit).

    Returns
    -------
    FollowupStatus

    Notes
    -----
    A contact is located by its first ``reached``, ``quarantined``, ``sampled`` or test
    result; its latest status is the last recorded by `as_of` (at one instant the later
    stage wins, :data:`~tracelab.model.schema.FOLLOWUP_STATUSES`), so a contact reached
    and later not answering counts as located with latest status ``not_reached``. A date
    without a time is the start of that local day. A contact without a listing time is
    never counted overdue.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.io import open_store
    >>> listed = pd.DataFrame({"contact_id": ["p_000000000000000a", "p_000000000000000b"],
    ...     "tier": ["call_today", "within_24h"], "listed_at": ["2022-11-20T08:00+08:00"] * 2})
    >>> with open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb") as store:
    ...     got = followup_status(store, listed, as_of="2022-11-21T00:00+08:00")
    >>> got.completeness[["tier", "n_listed", "no_status", "n_overdue"]].values.tolist()
    [['call_today', 1, 1, 1], ['within_24h', 1, 1, 0]]
    >>> got.overdue[["contact_id", "hours_overdue"]].values.tolist()
    [['p_000000000000000a', 4.0]]
    """
    as_of_at = now_utc(as_of, "as_of")
    hours = dict(REACH_WITHIN_HOURS if reach_within_hours is None else reach_within_hours)
    rows = _stored(store)
    rows = rows.sort_values([s.IMPORTED_AT, s.SOURCE, s.ROW], kind="stable")
    sheet = _per_contact(rows.loc[:, [s.CONTACT_ID, s.TOWNSHIP_CODE, s.TOWNSHIP, s.LISTED_AT]]
                         .iloc[::-1]).drop(columns=s.TIER)  # latest import first
    tiers = rows.dropna(subset=[s.TIER]).groupby(s.CONTACT_ID)[s.TIER].last()
    sheet[s.TIER] = _take(sheet[s.CONTACT_ID], tiers.astype(object)).fillna(_UNKNOWN)
    base = sheet if listed is None else _per_contact(listed)
    if listed is not None:
        info = sheet.set_index(s.CONTACT_ID)
        for column in (s.TOWNSHIP_CODE, s.TOWNSHIP, s.LISTED_AT, s.TIER):
            stored = _take(base[s.CONTACT_ID], info[column])
            own = base[column].where(base[column] != _UNKNOWN) if column == s.TIER else base[column]
            base[column] = own.fillna(stored) if len(base) else own
        base[s.TIER] = base[s.TIER].fillna(_UNKNOWN)
    if listed_at is not None:
        base[s.LISTED_AT] = base[s.LISTED_AT].fillna(now_utc(listed_at, "listed_at"))
    facts = rows[rows[s.FOLLOWUP_STATUS].notna() & (rows[s.STATUS_AT] <= as_of_at)]
    stage = facts[s.FOLLOWUP_STATUS].map({c: i for i, c in enumerate(s.FOLLOWUP_STATUSES)})
    latest = facts.assign(_o=stage).sort_values([s.STATUS_AT, "_o"], kind="stable") \
        .groupby(s.CONTACT_ID).last()
    located = facts[facts[s.FOLLOWUP_STATUS].isin(s.LOCATED_STATUSES)] \
        .groupby(s.CONTACT_ID)[s.STATUS_AT].min()
    out = base.copy()
    out[s.TOWNSHIP_CODE] = out[s.TOWNSHIP_CODE].fillna(_UNKNOWN)
    out[s.TOWNSHIP] = out[s.TOWNSHIP].fillna(out[s.TOWNSHIP_CODE].map(_township_names()))
    out[s.TOWNSHIP] = out[s.TOWNSHIP].fillna(_UNKNOWN)
    limit = out[s.TIER].map(lambda t: hours.get(t, hours.get(_UNKNOWN)))
    out[s.DUE_AT] = out[s.LISTED_AT] + pd.to_timedelta(limit.astype("float64"), unit="h")
    out[s.FOLLOWUP_STATUS] = _take(out[s.CONTACT_ID], latest[s.FOLLOWUP_STATUS].astype(object))
    out[s.STATUS_AT] = _take(out[s.CONTACT_ID], latest[s.STATUS_AT].astype(_UTC))
    out[s.LOCATED_AT] = _take(out[s.CONTACT_ID], located.astype(_UTC))
    out[s.N_ATTEMPTS] = _take(out[s.CONTACT_ID], facts.groupby(s.CONTACT_ID).size()
                              .astype("float64")).fillna(0).astype("int64")
    out[s.OVERDUE] = (out[s.DUE_AT] < as_of_at).to_numpy() & out[s.LOCATED_AT].isna().to_numpy()
    out[s.LATE] = (out[s.LOCATED_AT] > out[s.DUE_AT]).fillna(False).astype(bool)
    out[s.HOURS_OVERDUE] = ((as_of_at - out[s.DUE_AT]).dt.total_seconds() / 3600).where(
        out[s.OVERDUE]).round(1)
    order = [s.TOWNSHIP_CODE, "_t", s.CONTACT_ID]
    out = out.assign(_t=_tier_order(out[s.TIER])).sort_values(order, kind="stable") \
        .drop(columns="_t").reset_index(drop=True)
    overdue = out[out[s.OVERDUE]]
    overdue = overdue.assign(_t=_tier_order(overdue[s.TIER])).sort_values(
        ["_t", s.HOURS_OVERDUE, s.CONTACT_ID], ascending=[True, False, True], kind="stable")
    columns = [s.CONTACT_ID, s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER, s.LISTED_AT, s.DUE_AT,
               s.HOURS_OVERDUE, s.FOLLOWUP_STATUS, s.STATUS_AT, s.N_ATTEMPTS]
    unlisted = int((~facts[s.CONTACT_ID].drop_duplicates().isin(out[s.CONTACT_ID])).sum())
    return FollowupStatus(as_of_at, _completeness(out), overdue.loc[:, columns]
                          .reset_index(drop=True), out, unlisted, hours)


def _take(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` (indexed by unique key) at `keys`, dtype kept; ``Series.map`` with an
    empty time series would cast it to float."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index,
                     dtype=values.dtype)


def _township_names() -> pd.Series:
    from tracelab.model.regions import all_townships

    towns = all_townships().drop_duplicates(s.TOWNSHIP_CODE)
    return towns.set_index(s.TOWNSHIP_CODE)[s.TOWNSHIP]


def _completeness(contacts: pd.DataFrame) -> pd.DataFrame:
    keys = [s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER]
    status = contacts[s.FOLLOWUP_STATUS].fillna(s.NO_STATUS)
    frame = contacts.assign(_status=status)
    groups = frame.groupby(keys, sort=False)
    out = groups.size().rename(s.N_LISTED).to_frame()
    counts = frame.pivot_table(index=keys, columns="_status", aggfunc="size", fill_value=0,
                               observed=True)
    for code in (s.NO_STATUS, *s.FOLLOWUP_STATUSES):
        out[code] = counts.get(code, 0)
    out[s.N_LOCATED] = groups[s.LOCATED_AT].count()
    out[s.LOCATED_SHARE] = (out[s.N_LOCATED] / out[s.N_LISTED]).round(3)
    out[s.N_OVERDUE] = groups[s.OVERDUE].sum()
    out[s.N_LATE] = groups[s.LATE].sum()
    out = out.reset_index()
    numbers = [c for c in out.columns if c not in keys and c != s.LOCATED_SHARE]
    out[numbers] = out[numbers].fillna(0).astype("int64")
    return out.assign(_t=_tier_order(out[s.TIER])).sort_values(
        [s.TOWNSHIP_CODE, "_t"], kind="stable").drop(columns="_t").reset_index(drop=True)


def followup_summary(store: Store, listed: pd.DataFrame | None = None, *, as_of: Any = None,
                     listed_at: Any = None,
                     reach_within_hours: Mapping[str, float | None] | None = None
                     ) -> dict[str, Any] | None:
    """Follow-up in numbers for the briefing; None when the store holds no follow-up row.

    Same arguments as :func:`followup_status`. The numbers are JSON-ready: ``as_of``
    (ISO 8601), ``listed``, ``located``, ``located_share``, ``overdue``, ``late``,
    ``unlisted``, ``by_status`` (latest status, with ``no_status``) and ``by_tier``
    (``listed``, ``located``, ``overdue`` per tier).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.io import open_store
    >>> with open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb") as store:
    ...     followup_summary(store) is None
    True
    """
    if not len(_stored(store)):
        return None
    got = followup_status(store, listed, as_of=as_of, listed_at=listed_at,
                          reach_within_hours=reach_within_hours)
    table = got.completeness
    by_tier = table.groupby(s.TIER, sort=False)[[s.N_LISTED, s.N_LOCATED, s.N_OVERDUE]].sum()
    listed_n, located_n = int(table[s.N_LISTED].sum()), int(table[s.N_LOCATED].sum())
    return {
        "as_of": got.as_of.isoformat(), "listed": listed_n, "located": located_n,
        "located_share": round(located_n / listed_n, 3) if listed_n else None,
        "overdue": int(table[s.N_OVERDUE].sum()), "late": int(table[s.N_LATE].sum()),
        "unlisted": got.unlisted,
        "by_status": {c: int(table[c].sum()) for c in (*s.FOLLOWUP_STATUSES, s.NO_STATUS)},
        "by_tier": {str(t): {"listed": int(r[s.N_LISTED]), "located": int(r[s.N_LOCATED]),
                             "overdue": int(r[s.N_OVERDUE])} for t, r in by_tier.iterrows()},
        "reach_within_hours": dict(got.reach_within_hours),
    }
