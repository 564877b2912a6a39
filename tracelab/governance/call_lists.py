"""The call list screening teams work from, and the one door that reveals names and phones.

Two levels:

- :func:`call_list` and :func:`export_contacts`: ranked contacts by township and tier,
  names, phones and ID numbers masked (names keep the surname, ID numbers the first and
  last 2 characters, phones the first and last 3; DOMAIN §11.5 ``display_masking``),
  contact ids kept if they are pseudonyms, else masked.
- :func:`write_call_list` (``tracelab calllist``): the authorised call list for a role
  (:mod:`tracelab.governance.roles`), as a workbook made for people (a cover sheet, then
  the list) or a CSV. It is the **one planned door** out of the privacy boundary
  (:mod:`tracelab.privacy.boundary`): for a role whose credential allows it, the
  pseudonyms of the listed contacts, and only those, are matched to the raw data the
  county keeps (the scans' person ids, which in 赣通码 exports are the phone numbers, and
  ``persons.*`` when the folder has it) under the county key, and the columns the role
  may reveal are shown; everything else stays masked. Every list, masked or revealed,
  is a person-level query: it needs a purpose and leaves exactly one audit entry,
  appended only after the file is in place (and the file is removed if the entry cannot
  be appended).

What the credential stops, and what it cannot, is spelled out in
:mod:`tracelab.governance.roles`. In short: without the key or a credential nobody gets
names or phones through tracelab, and an analyst cannot reveal by claiming a role; but a
key holder can issue credentials, the raw folder can be read without tracelab, and a
credential file works for whoever copies it until it expires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tracelab._atomic import atomic_path, fault_point
from tracelab._time import now_utc
from tracelab._validate import require_columns
from tracelab.governance.roles import Credential, Role, authorise, check_lang
from tracelab.io import DataDir, find_table, read_dir
from tracelab.io.exports import neutralise, write_csv
from tracelab.io.files import detect_encoding
from tracelab.io.parse import clean_ids, unwrap_cells
from tracelab.model import ids, reference
from tracelab.model import schema as s
from tracelab.model.regions import all_townships
from tracelab.model.schema import LAST_EXPOSURE, RANK, SCORE, TIER, TIERS
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.audit import audited, require_purpose

__all__ = ["call_list", "export_contacts", "CALL_LIST_COLUMNS", "write_call_list", "CallList",
           "LIST_COLUMNS", "AGGREGATE_COLUMNS", "read_exposures", "DEFAULT_CALLS_PER_DAY",
           "OUTPUT_FORMATS"]

PERSON_NAME, ID_NUMBER, PHONE = s.PERSON_NAME, s.ID_NUMBER, s.PHONE
UNKNOWN_TOWNSHIP = "unknown"
CALL_LIST_COLUMNS = (s.TOWNSHIP_CODE, s.TOWNSHIP, TIER, RANK, s.CONTACT_ID, PERSON_NAME, PHONE,
                     ID_NUMBER, SCORE, LAST_EXPOSURE, s.WHY)
#: Columns of an authorised call list (:func:`write_call_list`), one row per contact.
LIST_COLUMNS = (s.TOWNSHIP_CODE, s.TOWNSHIP, TIER, RANK, s.CONTACT_ID, PERSON_NAME, PHONE,
                ID_NUMBER, s.VENUE_NAME, s.ADDRESS, s.OVERLAP_START, s.OVERLAP_END,
                s.OVERLAP_MIN, SCORE, s.WHY)
#: Columns of the aggregate list a role with ``view="aggregates"`` gets: no people.
AGGREGATE_COLUMNS = (s.TOWNSHIP_CODE, s.TOWNSHIP, TIER, s.N_CONTACTS)
#: Capacity of the teams, in people reached per day, unless told otherwise: it decides
#: the tiers (:func:`tracelab.analysis.ranking.rank_contacts`).
DEFAULT_CALLS_PER_DAY = 200
#: Output formats, by the file's suffix.
OUTPUT_FORMATS = (".xlsx", ".csv")


def call_list(ranked: pd.DataFrame, persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """Ranked contacts grouped by township, then tier, then rank, with identifiers masked.

    Parameters
    ----------
    ranked : pandas.DataFrame
        :func:`tracelab.analysis.ranking.rank_contacts` output (``per="contact"``).
    persons : pandas.DataFrame, optional
        ``person_id`` with any of ``name``, ``phone``, ``id_number``,
        ``township_code``; without it those columns stay empty and the township is
        "unknown".

    Returns
    -------
    pandas.DataFrame
        ``CALL_LIST_COLUMNS``; masked name, phone and ID; never a raw identifier.

    Examples
    --------
    >>> ranked = pd.DataFrame({"contact_id": ["P1", "P2"], "tier": ["monitor", "call_today"],
    ...     "rank": [2, 1], "score": [3.0, 40.0], "why": ["#2 ...", "#1 ..."]})
    >>> persons = pd.DataFrame({"person_id": ["P1", "P2"], "name": ["张三丰", "李四"],
    ...     "phone": ["13123456789", "15870001234"], "id_number": ["360121199001011234"] * 2,
    ...     "township_code": ["360121100", "360121100"]})
    >>> call_list(ranked, persons)[["township", "tier", "name", "phone", "id_number"]]
      township        tier name        phone           id_number
    0      莲塘镇  call_today   李*  158*****234  36**************34
    1      莲塘镇     monitor  张**  131*****789  36**************34
    """
    require_columns(ranked, (s.CONTACT_ID, TIER, RANK), "ranked",
                    hint="pass rank_contacts(...) output")
    if s.CASE_ID in ranked:
        raise ValueError("ranked has case_id: one row per (case, contact) pair; the call list "
                         "needs rank_contacts(..., per='contact')")
    out = ranked.reset_index(drop=True)
    info = pd.DataFrame(index=out.index)
    if persons is not None:
        require_columns(persons, (s.PERSON_ID,), "persons")
        p = persons.drop_duplicates(s.PERSON_ID).set_index(s.PERSON_ID)
        for col in (PERSON_NAME, PHONE, ID_NUMBER, s.TOWNSHIP_CODE):
            if col in p:
                info[col] = out[s.CONTACT_ID].map(p[col]).to_numpy()
    masks = {PERSON_NAME: ids.mask_name, PHONE: ids.mask_phone, ID_NUMBER: ids.mask_id}
    # Township names of every shipped region: a call list may span counties.
    names = all_townships().set_index(s.TOWNSHIP_CODE)[s.TOWNSHIP]
    code = (info[s.TOWNSHIP_CODE] if s.TOWNSHIP_CODE in info else
            pd.Series(None, index=out.index, dtype="str")).fillna(UNKNOWN_TOWNSHIP).astype("str")
    table = pd.DataFrame({
        s.TOWNSHIP_CODE: code, s.TOWNSHIP: code.map(names).fillna(UNKNOWN_TOWNSHIP).astype("str"),
        TIER: out[TIER].astype("str"), RANK: out[RANK].astype(np.int64),
        s.CONTACT_ID: [c if privacy.is_pseudonym(c) else ids.mask_id(c) for c in out[s.CONTACT_ID]],
    })
    for col, fn in masks.items():
        values = info[col] if col in info else pd.Series(None, index=out.index, dtype="object")
        table[col] = pd.Series([fn(v) for v in values], index=out.index, dtype="str")
    table[SCORE] = out[SCORE].round(1) if SCORE in out else np.nan
    table[LAST_EXPOSURE] = out.get(LAST_EXPOSURE, pd.NaT)
    table[s.WHY] = out.get(s.WHY, "")
    tier_order = table[TIER].map({t: i for i, t in enumerate(TIERS)}).fillna(len(TIERS))
    table = table.assign(_t=tier_order).sort_values(
        [s.TOWNSHIP_CODE, "_t", RANK], kind="stable", ignore_index=True).drop(columns="_t")
    return table[list(CALL_LIST_COLUMNS)]


def export_contacts(ranked: pd.DataFrame, path: str | Path, persons: pd.DataFrame | None = None,
                    *, fmt: Literal["csv", "xlsx"] | None = None) -> Path:
    """Write the call list (:func:`call_list`) as CSV or XLSX, formula-safe and masked.

    Parameters
    ----------
    ranked : pandas.DataFrame
        :func:`tracelab.analysis.ranking.rank_contacts` output.
    path : str or Path
        Output file.
    persons : pandas.DataFrame, optional
        Names, phones, ID numbers and townships of the contacts (masked on output).
    fmt : {"csv", "xlsx"}, optional
        Default from the file suffix.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        If the format is neither csv nor xlsx.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ranked = pd.DataFrame({"contact_id": ["P1"], "tier": ["call_today"], "rank": [1],
    ...     "score": [40.0], "why": ["=HYPERLINK(1)"]})
    >>> out = export_contacts(ranked, pathlib.Path(tempfile.mkdtemp()) / "calls.csv")
    >>> out.read_text(encoding="utf-8-sig").splitlines()[1]
    "unknown,unknown,call_today,1,**,,,,40.0,,'=HYPERLINK(1)"
    """
    from tracelab.io.exports import write_csv, write_xlsx

    target = Path(path)
    fmt = fmt or target.suffix.lstrip(".").lower()  # type: ignore[assignment]
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt={fmt!r}; allowed: 'csv', 'xlsx' (or a .csv / .xlsx path)")
    table = call_list(ranked, persons)
    if fmt == "csv":
        return write_csv(table, target)
    return write_xlsx(table, target, sheet_name="call list")


# --- the authorised call list ---------------------------------------------------------

#: Headers of persons.* as counties keep them: the English names, or these.
_PERSON_HEADERS: Mapping[str, tuple[str, ...]] = {
    s.PERSON_ID: ("人员编号", "人员ID", "个人编号"),
    PERSON_NAME: ("姓名",),
    PHONE: ("手机号", "手机号码", "联系电话", "电话"),
    ID_NUMBER: ("身份证号", "身份证号码", "证件号码"),
    s.TOWNSHIP_CODE: ("乡镇编码", "乡镇代码", "居住乡镇编码"),
    s.HOME_VENUE_ID: ("居住场所编码", "住址场所编码"),
}
_PERSON_VALUES = (PERSON_NAME, PHONE, ID_NUMBER, s.TOWNSHIP_CODE, s.HOME_VENUE_ID)
_MASKS: Mapping[str, privacy.MaskKind] = {
    s.CONTACT_ID: "person", PERSON_NAME: "name", PHONE: "phone", ID_NUMBER: "id"}

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


def _text(value: object) -> str | None:
    """A cell as text: stripped, None when blank; a number read from Parquet as its digits."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if float(value).is_integer():  # a phone or an id read as a number
            value = int(value)
    text = str(value).strip()
    return text or None


def read_exposures(path: str | Path) -> pd.DataFrame:
    """The exposures table ``tracelab trace`` wrote (CSV or Parquet), with typed columns.

    Parameters
    ----------
    path : str or Path
        ``schema.EXPOSURE_COLUMNS``; person ids must be pseudonyms.

    Returns
    -------
    pandas.DataFrame
        Times tz-aware UTC, ``hop`` int64, ``overlap_minutes`` float64.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the format is not CSV or Parquet, a column is missing, a time cannot be read,
        the table is empty, or a person id is not a pseudonym (shown masked).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "exposures.csv"
    >>> _ = p.write_text(
    ...     "case_id,contact_id,venue_id,hop,case_t_in,overlap_start,overlap_end,"
    ...     "overlap_minutes\\np_00000000000000aa,p_00000000000000bb,V1,1,"
    ...     "2022-11-18T00:00:00+00:00,2022-11-18T00:05:00+00:00,"
    ...     "2022-11-18T00:35:00+00:00,30.0\\n", encoding="utf-8")
    >>> read_exposures(p)[["contact_id", "overlap_start", "overlap_minutes"]]
               contact_id             overlap_start  overlap_minutes
    0  p_00000000000000bb 2022-11-18 00:05:00+00:00             30.0
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--exposures {file}: no such file")
    if file.suffix.lower() == ".csv":
        frame = pd.read_csv(file, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                            na_values=[""])
    elif file.suffix.lower() == ".parquet":
        frame = pd.read_parquet(file)
    else:
        raise ValueError(f"--exposures {file.name}: {file.suffix!r} is not an exposures "
                         "file; give the .csv (or .parquet) `tracelab trace` writes")
    needed = (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.HOP, s.CASE_T_IN, s.OVERLAP_START,
              s.OVERLAP_END, s.OVERLAP_MIN)
    require_columns(frame, needed, f"--exposures {file.name}",
                    hint="give the file `tracelab trace` writes")
    if not len(frame):
        raise ValueError(f"--exposures {file.name}: no exposure rows, so nobody to call")
    out = frame.copy()
    for column in (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID):
        out[column] = unwrap_cells(out[column].astype("object")).map(_text).astype("object")
    for column in (s.CASE_ID, s.CONTACT_ID):
        bad = [v for v in out[column] if not privacy.is_pseudonym(v)]
        if bad:
            raise ValueError(f"--exposures {file.name}: {column} holds {len(bad)} value(s) that "
                             f"are not pseudonyms, e.g. {ids.mask_id(bad[0])!r}; give the file "
                             "`tracelab trace` writes (person ids pseudonymised)")
    for column in (s.CASE_T_IN, s.CASE_T_OUT, s.CONTACT_T_IN, s.CONTACT_T_OUT,
                   s.OVERLAP_START, s.OVERLAP_END):
        if column not in out:
            continue
        try:
            out[column] = pd.to_datetime(out[column], utc=True, format="ISO8601")
        except (ValueError, TypeError):
            raise ValueError(f"--exposures {file.name}: column {column} holds a value that "
                             "is not an ISO 8601 time with its offset, e.g. "
                             "2022-11-18T08:05:00+08:00") from None
    try:
        out[s.HOP] = pd.to_numeric(out[s.HOP]).astype(np.int64)
        out[s.OVERLAP_MIN] = pd.to_numeric(out[s.OVERLAP_MIN]).astype(np.float64)
    except (ValueError, TypeError):
        raise ValueError(f"--exposures {file.name}: hop and overlap_minutes must be numbers"
                         ) from None
    return out


def _read_persons(folder: Path) -> pd.DataFrame | None:
    """``persons.*`` of the folder as text, canonical headers, or None without one.

    Read here, not by the loaders: a persons table is raw personal data that only this
    module's door reads, for the contacts of one list.
    """
    found = find_table(folder, "persons")
    if found is None:
        return None
    suffix = found.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            encoding = detect_encoding(found)
            with open(found, encoding=encoding, newline="") as fh:
                header = fh.readline()
            # Commas, else the separator the header line uses (as the loaders read logs).
            sep = next((c for c in ",\t;|" if c in header), ",")
            frame = pd.read_csv(found, dtype=str, encoding=encoding, sep=sep,
                                keep_default_na=False, na_values=[""])
        elif suffix == ".xlsx":
            frame = pd.read_excel(found, dtype=str)
        elif suffix == ".parquet":
            frame = pd.read_parquet(found)
        else:
            return None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        if isinstance(exc, PermissionError):
            raise
        raise ValueError(f"{found}: the persons table cannot be read "
                         f"({type(exc).__name__}); give CSV, XLSX or Parquet") from None
    lookup = {h.casefold(): c for c, hs in _PERSON_HEADERS.items() for h in (c, *hs)}
    names: dict[str, str] = {}
    for header in frame.columns:
        canonical = lookup.get(str(header).replace("\ufeff", "").strip().casefold())
        if canonical is not None and canonical not in names.values():
            names[str(header)] = canonical
    frame = frame.rename(columns=names).loc[:, list(names.values())]
    if s.PERSON_ID not in frame:
        raise ValueError(f"{found}: the persons table has no person_id (人员编号) column, so "
                         "its names and phones cannot be matched; add it or remove the file")
    out = pd.DataFrame({c: unwrap_cells(frame[c].map(_text).astype("object"))
                        for c in frame.columns})
    out[s.PERSON_ID] = clean_ids(out[s.PERSON_ID])[0]
    return out[out[s.PERSON_ID].notna()].reset_index(drop=True)


def _identities(data: DataDir, contacts: Sequence[str], key: bytes) -> pd.DataFrame:
    """Raw name, phone, ID number and residence of each listed contact (index: pseudonym).

    The door's only step from pseudonyms back to people: the raw person ids of the folder
    (the scans', and ``persons.*``'s) are pseudonymised under `key`, and only those that
    are listed contacts are kept. In 赣通码 exports the person id is the phone number, so
    a contact without a phone in ``persons.*`` gets the id when it is a mobile number (an
    ID number likewise). Callers mask whatever the role may not reveal before it goes
    anywhere.
    """
    wanted = pd.Index(list(dict.fromkeys(contacts)), dtype="object")
    out = pd.DataFrame({c: pd.Series(None, index=wanted, dtype="object")
                        for c in _PERSON_VALUES})
    found = pd.Series(False, index=wanted)
    persons = _read_persons(data.path)
    if persons is not None:
        keyed = persons.assign(_p=privacy.pseudonymise(persons[[s.PERSON_ID]], [s.PERSON_ID],
                                                       key)[s.PERSON_ID].to_numpy())
        keyed = keyed[keyed["_p"].isin(wanted)].drop_duplicates("_p").set_index("_p")
        for column in _PERSON_VALUES:
            if column in keyed:
                out[column] = wanted.map(keyed[column]).to_numpy(dtype=object)
        found |= wanted.isin(keyed.index)
    raw = pd.unique(data.scans[s.PERSON_ID].astype("object").dropna()) if len(data.scans) \
        else np.array([], dtype=object)
    raw = [r for r in raw if not privacy.is_pseudonym(r)]  # a pseudonymised folder: none
    by_pseudonym = {privacy.pseudonym(r, key): r for r in raw}
    raw_id = pd.Series([by_pseudonym.get(p) for p in wanted], index=wanted, dtype="object")
    found |= raw_id.notna()
    for column, test in ((PHONE, ids.is_mobile), (ID_NUMBER, ids.is_resident_id)):
        fill = out[column].isna() & raw_id.map(lambda v, t=test: v is not None and t(v))
        out.loc[fill, column] = raw_id[fill]
    phone = out[PHONE]
    out[PHONE] = phone.map(lambda v: ids.normalise_mobile(v) if ids.is_mobile(v) else v)
    out["_found"] = found
    return out


def _residence(people: pd.DataFrame, venues: pd.DataFrame, names: Mapping[str, str]
               ) -> tuple[pd.Series, pd.Series]:
    """Township code and name of each contact's residence: persons.*, else home venue."""
    code = people[s.TOWNSHIP_CODE].astype("object")
    if s.TOWNSHIP_CODE in venues and len(venues):
        home = venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)[s.TOWNSHIP_CODE]
        code = code.where(code.notna(), people[s.HOME_VENUE_ID].map(home))
    code = code.map(_text).fillna(UNKNOWN_TOWNSHIP).astype("str")
    return code, code.map(names).fillna(UNKNOWN_TOWNSHIP).astype("str")


def _township_names(data: DataDir) -> dict[str, str]:
    """Township code -> name: the shipped tables, the region's, then the registry's."""
    names = dict(zip(all_townships()[s.TOWNSHIP_CODE], all_townships()[s.TOWNSHIP],
                     strict=True))
    if data.region is not None:
        t = data.region.townships
        names.update(zip(t[s.TOWNSHIP_CODE].astype(str), t[s.TOWNSHIP].astype(str),
                         strict=True))
    v = data.venues
    if s.TOWNSHIP_CODE in v and s.TOWNSHIP in v:
        pairs = v[[s.TOWNSHIP_CODE, s.TOWNSHIP]].dropna().drop_duplicates(s.TOWNSHIP_CODE)
        for code, name in zip(pairs[s.TOWNSHIP_CODE], pairs[s.TOWNSHIP], strict=True):
            names.setdefault(str(code), str(privacy.scrub_text(str(name))))
    return names


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


def _reasons(ex: pd.DataFrame, venue_name: Mapping[Any, str], venue_type: Mapping[Any, str],
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


def _expected_tiers(ranks: pd.Series, calls_per_day: int) -> pd.Series:
    tier = np.where(ranks <= calls_per_day, 0, np.where(ranks <= 2 * calls_per_day, 1, 2))
    return pd.Series(np.asarray(TIERS, dtype=object)[tier], index=ranks.index)


def _check_ranked(ranked: pd.DataFrame, exposures: pd.DataFrame, calls_per_day: int) -> None:
    require_columns(ranked, (s.CONTACT_ID, TIER, RANK), "ranked",
                    hint="pass rank_contacts(exposures, ..., calls_per_day=N) output")
    if s.CASE_ID in ranked:
        raise ValueError("ranked has case_id: one row per (case, contact) pair; the call list "
                         "needs rank_contacts(..., per='contact')")
    expected = _expected_tiers(ranked[RANK].astype(np.int64), calls_per_day)
    off = ranked[TIER].astype(str) != expected
    if off.any():
        first = ranked[off].iloc[0]
        raise ValueError(f"ranked: rank {int(first[RANK])} is {first[TIER]!r}, but "
                         f"calls_per_day={calls_per_day} makes it {expected[off].iloc[0]!r}; "
                         f"rank with rank_contacts(..., calls_per_day={calls_per_day})")
    stray = ~ranked[s.CONTACT_ID].isin(set(exposures[s.CONTACT_ID]))
    if stray.any():
        raise ValueError(f"ranked: {int(stray.sum())} contact(s) are not in exposures, e.g. "
                         f"{ids.mask_id(ranked.loc[stray, s.CONTACT_ID].iloc[0])!r}; rank the "
                         "same exposures you pass")
    bad = [c for c in ranked[s.CONTACT_ID] if not privacy.is_pseudonym(c)]
    if bad:
        raise ValueError(f"ranked: contact_id holds {len(bad)} value(s) that are not "
                         f"pseudonyms, e.g. {ids.mask_id(bad[0])!r}; trace pseudonymised data")


@dataclass(frozen=True)
class CallList:
    """An authorised call list (:func:`write_call_list`) and what its cover sheet says.

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`LIST_COLUMNS` (one row per contact; only ``revealed`` columns unmasked),
        or :data:`AGGREGATE_COLUMNS` for a role that sees aggregates.
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


def _build(ranked: pd.DataFrame, exposures: pd.DataFrame, data: DataDir, key: bytes,
           role: Role, revealed: tuple[str, ...], credential: Credential | None,
           calls_per_day: int, lang: str, zone: str | None = None) -> CallList:
    """The list for `role`: identities matched, everything not in `revealed` masked."""
    contacts = ranked[s.CONTACT_ID].astype(str).tolist()
    people = _identities(data, contacts, key)
    if len(people) and not people["_found"].any():
        raise ValueError(f"--data {data.path}: none of the {len(people)} contact(s) is a "
                         "person of this folder under this key; give the folder and key "
                         "the exposures were traced with")
    fault_point("calllist:identified")
    names = _township_names(data)
    code, town = _residence(people, data.venues, names)
    index = pd.Index(contacts, dtype="object")
    zone = zone or (data.region.zone if data.region is not None else s.DEFAULT_ZONE)
    tier_order = {t: i for i, t in enumerate(TIERS)}
    base = pd.DataFrame({
        s.TOWNSHIP_CODE: code.reindex(index).to_numpy(), s.TOWNSHIP: town.reindex(index).to_numpy(),
        TIER: ranked[TIER].astype(str).to_numpy(), RANK: ranked[RANK].astype(np.int64).to_numpy(),
    })
    ex = exposures[exposures[s.CONTACT_ID].isin(set(contacts))]
    cases = int(ex.loc[ex[s.HOP] == 1, s.CASE_ID].nunique())
    rules = tuple(sorted(ex[s.RULE_ID].dropna().astype(str).unique())) if s.RULE_ID in ex else ()
    region = data.region.label if data.region is not None else ""
    if role.view == "aggregates":
        table = (base.groupby([s.TOWNSHIP_CODE, s.TOWNSHIP, TIER], sort=False).size()
                 .rename(s.N_CONTACTS).reset_index())
        table[s.N_CONTACTS] = table[s.N_CONTACTS].astype(np.int64)
        table = table.assign(_t=table[TIER].map(tier_order)).sort_values(
            [s.TOWNSHIP_CODE, "_t"], kind="stable", ignore_index=True).drop(columns="_t")
        return CallList(table[list(AGGREGATE_COLUMNS)], role, (), len(contacts), 0, cases,
                        calls_per_day, zone, now_utc(), lang, None, region, rules)
    venues = data.venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID) \
        if s.VENUE_ID in data.venues else pd.DataFrame()
    venue_name = {k: str(v) for k, v in venues.get(s.NAME, pd.Series(dtype=str)).dropna().items()}
    venue_type = {k: str(v) for k, v in
                  venues.get(s.VENUE_TYPE, pd.Series(dtype=str)).dropna().items()}
    address = venues.get(s.ADDRESS, pd.Series(dtype=str))
    # The exposure a caller opens with: the longest, then the earliest.
    main = ex.sort_values([s.CONTACT_ID, s.OVERLAP_MIN, s.OVERLAP_START],
                          ascending=[True, False, True], kind="stable") \
        .drop_duplicates(s.CONTACT_ID).set_index(s.CONTACT_ID).reindex(index)
    minutes = ranked[s.OVERLAP_MIN].to_numpy(dtype=float) if s.OVERLAP_MIN in ranked else \
        ex.groupby(s.CONTACT_ID)[s.OVERLAP_MIN].sum().reindex(index).to_numpy(dtype=float)
    table = base.assign(**{
        s.CONTACT_ID: contacts,
        PERSON_NAME: _blank(people[PERSON_NAME].reindex(index)),
        PHONE: _blank(people[PHONE].reindex(index)),
        ID_NUMBER: _blank(people[ID_NUMBER].reindex(index)),
        s.VENUE_NAME: _blank(main[s.VENUE_ID].map(venue_name).astype("object")
                             .fillna(main[s.VENUE_ID].astype("object"))),
        s.ADDRESS: _blank(main[s.VENUE_ID].map(address)),
        s.OVERLAP_START: main[s.OVERLAP_START].to_numpy(),
        s.OVERLAP_END: main[s.OVERLAP_END].to_numpy(),
        s.OVERLAP_MIN: np.round(minutes, 1),
        SCORE: ranked[SCORE].round(1).to_numpy() if SCORE in ranked else np.nan,
        s.WHY: _blank(_reasons(ex, venue_name, venue_type, zone, lang).reindex(index)),
    })
    for column in (s.OVERLAP_START, s.OVERLAP_END):
        table[column] = pd.to_datetime(table[column], utc=True)
    n_revealed = int((table[list(revealed)] != "").any(axis=1).sum()) if revealed else 0
    # Everything the role may not reveal is masked here, before the table leaves: names,
    # phones, ID numbers, and numbers standing in venue names, addresses and reasons.
    table = privacy.mask_frame(table, _MASKS, keep=revealed)
    table = table.assign(_t=table[TIER].map(tier_order)).sort_values(
        [s.TOWNSHIP_CODE, "_t", RANK], kind="stable", ignore_index=True).drop(columns="_t")
    return CallList(table[list(LIST_COLUMNS)], role, revealed, len(contacts), n_revealed,
                    cases, calls_per_day, zone, now_utc(), lang, credential, region, rules)


def _blank(values: pd.Series) -> np.ndarray:
    """Text cells as an object array, missing values as ""."""
    return np.array([_text(v) or "" for v in values], dtype=object)


def _counts(result: CallList, arguments: Mapping[str, Any]) -> dict[str, int]:
    return {"contacts": result.contacts, "revealed": result.n_revealed,
            "rows": len(result.table)}


def _describe(arguments: Mapping[str, Any]) -> str:
    # Names no person: the role, what it reveals, how many, and the credential's id.
    role: Role = arguments["role"]
    credential: Credential | None = arguments["credential"]
    return (f"calllist role={role.name} view={role.view} "
            f"reveal={','.join(arguments['revealed']) or 'none'} "
            f"contacts={len(arguments['ranked'])} calls_per_day={arguments['calls_per_day']} "
            f"credential={credential.id[:12] if credential is not None else 'none'}")


_audited_build = audited("calllist", _counts, describe=_describe)(_build)


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


def _write(result: CallList, target: Path, purpose: str) -> Path:
    """Put the list in place (creating the folder); return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fault_point("calllist:built")
    if target.suffix.lower() == ".csv":
        # Masked already (_build): keep_personal only stops a second pass, which would
        # also mask a revealed phone as a number standing in text.
        return write_csv(result.for_people(), target, keep_personal=True)
    return _write_xlsx(result, target, purpose)


def _output(out: str | Path, lang: str) -> Path:
    target = Path(out)
    if target.suffix.lower() not in OUTPUT_FORMATS:
        raise ValueError(
            f"--out {target.name}：扩展名 {target.suffix or '（无）'} 不可用；请用 .xlsx（给人看）"
            "或 .csv（UTF-8 带 BOM）" if lang == "zh" else
            f"--out {target.name}: suffix {target.suffix or '(none)'!r} is not allowed; use "
            ".xlsx (for people) or .csv (UTF-8 with BOM)")
    if target.is_dir():
        raise ValueError(f"--out {target}: is a folder; name a .xlsx or .csv file")
    return target


def write_call_list(ranked: pd.DataFrame, exposures: pd.DataFrame, data: DataDir | str | Path,
                    out: str | Path, *, key: bytes, purpose: str,
                    audit: Any = None, who: str | None = None, role: str | Role | None = None,
                    reveal: bool = False, credential: Mapping[str, Any] | str | Path | None = None,
                    roles: Mapping[str, Role] | None = None,
                    calls_per_day: int = DEFAULT_CALLS_PER_DAY,
                    lang: str = "zh", zone: str | None = None) -> CallList:
    """Write the call list for a role, revealing what its credential allows; audited.

    Parameters
    ----------
    ranked : pandas.DataFrame
        :func:`tracelab.analysis.ranking.rank_contacts` of `exposures` (``per="contact"``)
        with ``calls_per_day=calls_per_day``; its tiers are checked against it.
    exposures : pandas.DataFrame
        The exposures ``tracelab trace`` wrote (:func:`read_exposures`), pseudonymised
        under `key`.
    data : DataDir, str or Path
        The county's data folder (loaded with :func:`tracelab.io.read_dir`), or its
        :class:`~tracelab.io.DataDir` as ``read_dir`` returned it. The contacts' raw ids
        come from its scans (in 赣通码 exports the person id is the phone number) and
        names, phones, ID numbers and residences from ``persons.*`` when it has one
        (``person_id, name, phone, id_number, township_code, home_venue_id``, or the
        Chinese headers 人员编号, 姓名, 手机号, 身份证号, 乡镇编码, 居住场所编码); the
        township of residence is that of ``persons.*``, else of the person's home venue,
        else unknown. Venue names, addresses, types and the zone come from it too.
    out : str or Path
        ``.xlsx`` (a cover sheet, then the list with a frozen header) or ``.csv`` (UTF-8
        with BOM, the list only); its folder is created if missing.
    key : bytes
        The county key the exposures were pseudonymised with.
    purpose : str
        ``case:...`` or ``inv:...``, logged and shown on the cover.
    audit : Store, str or Path, optional
        The audit store (default the environment variable ``TRACELAB_AUDIT``).
    who : str, optional
        The operator, for the log.
    role : str or Role, optional
        The role the list is for (:func:`tracelab.governance.roles.load_roles`). With
        `reveal` it may be left out: the role is the credential's, and another is refused.
    reveal : bool, default False
        Show the columns the role may reveal; needs `credential`.
    credential : mapping, str or Path, optional
        A credential of the role (:func:`tracelab.governance.roles.issue_credential`),
        checked under `key` against the clock.
    roles : mapping, optional
        Known roles; default the built-in ones.
    calls_per_day : int, default 200
        The teams' capacity the tiers were ranked for; stated on the cover.
    lang : {"zh", "en"}, default "zh"
        Language of headers, tiers, reasons, the cover and refusals.
    zone : str, optional
        Zone of the times shown; default the region's (北京时间 for 江西), else
        Asia/Shanghai.

    Returns
    -------
    CallList

    Raises
    ------
    RoleError, CredentialError
        A refused role or credential (:func:`tracelab.governance.roles.authorise`);
        nothing is written or logged.
    PurposeError
        Without a valid purpose.
    ValueError
        A wrong suffix, ranked tiers that do not follow `calls_per_day`, contacts that
        are nobody of `data` under `key`.

    Notes
    -----
    Rows are grouped by township of residence (code order, unknown last), then tier,
    then rank. Each row names the exposure a caller opens with (the longest) and a
    reason written from the exposure rows in `lang` ("与病例同在{场所}（{类型}）
    {开始}–{结束}，共{N}分钟；密接候选"). A masked list and a revealed list of the same
    contacts differ only in the revealed columns. A role that sees aggregates gets
    counts by township and tier, no rows. One audit entry per call (query ``calllist
    role=... reveal=... contacts=N ...``, counts ``contacts``, ``revealed``, ``rows``),
    appended after the file is in place; if it cannot be appended, the file is removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.governance.roles import Role
    >>> from tracelab.io import DataDir, empty_rejections
    >>> from tracelab.privacy import DEMO_KEY, pseudonym
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> scans = pd.DataFrame({"person_id": ["13123456789"], "venue_id": ["V1"]})
    >>> data = DataDir(pd.DataFrame({"venue_id": ["V1"], "name": ["好又多超市"],
    ...                              "venue_type": ["supermarket"]}),
    ...                scans, pd.DataFrame(), empty_rejections(), {}, folder)
    >>> t = pd.Timestamp("2022-11-18T00:05:00Z")
    >>> p = pseudonym("13123456789", DEMO_KEY)
    >>> ex = pd.DataFrame({"case_id": ["p_00000000000000aa"], "contact_id": [p],
    ...     "venue_id": ["V1"], "hop": [1], "overlap_start": [t],
    ...     "overlap_end": [t + pd.Timedelta(minutes=30)], "overlap_minutes": [30.0],
    ...     "category": ["venue_coexposure_candidate"]})
    >>> ranked = pd.DataFrame({"contact_id": [p], "rank": [1], "tier": ["call_today"],
    ...                        "score": [12.0], "overlap_minutes": [30.0]})
    >>> cl = write_call_list(ranked, ex, data, folder / "calls.csv", key=DEMO_KEY,
    ...                      role="analyst", purpose="case:LX-017",
    ...                      audit=folder / "audit.duckdb")
    >>> cl.table.loc[0, ["phone", "venue_name"]].tolist()
    ['131*****789', '好又多超市']
    >>> print(cl.table.loc[0, "why"])
    与病例同在好又多超市（超市）11月18日08:05–08:35，共30分钟；涉疫场所暴露人员候选
    """
    lang = check_lang(lang)
    checked = require_purpose(purpose)
    target = _output(out, lang)
    if isinstance(calls_per_day, bool) or not isinstance(calls_per_day, int | np.integer) \
            or calls_per_day < 1:
        raise ValueError(f"calls_per_day={calls_per_day!r}; give a whole number of people "
                         "the teams can reach per day, at least 1")
    chosen, revealed, cred = authorise(role, reveal=reveal, credential=credential, key=key,
                                       roles=roles, lang=lang)
    require_columns(exposures, (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.HOP, s.OVERLAP_START,
                                s.OVERLAP_END, s.OVERLAP_MIN), "exposures",
                    hint="give read_exposures(...) of the file `tracelab trace` wrote")
    _check_ranked(ranked, exposures, int(calls_per_day))
    folder = data if isinstance(data, DataDir) else read_dir(data)
    result: CallList = _audited_build(
        ranked.reset_index(drop=True), exposures, folder, key, chosen, revealed, cred,
        int(calls_per_day), lang, zone, purpose=checked, audit=audit, who=who,
        deliver=lambda r: _write(r, target, checked))
    return result
