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

This module assembles, masks and audits the lists. What the door reads, and the one
function that maps pseudonyms back to raw values, are in
:mod:`tracelab.governance.call_list_reveal`; the cover sheet and the files in
:mod:`tracelab.governance.call_list_sheet`.

What the credential stops, and what it cannot, is spelled out in
:mod:`tracelab.governance.roles`. In short: without the key or a credential nobody gets
names or phones through tracelab, and an analyst cannot reveal by claiming a role; but a
key holder can issue credentials, the raw folder can be read without tracelab, and a
credential file works for whoever copies it until it expires.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tracelab._atomic import fault_point
from tracelab._i18n import msg
from tracelab._time import now_utc
from tracelab._validate import require_columns
from tracelab.governance.call_list_reveal import (
    UNKNOWN_TOWNSHIP,
    check_ranked,
    identities,
    read_exposures,
    residence,
    text,
    township_names,
)
from tracelab.governance.call_list_sheet import OUTPUT_FORMATS, CallList, output, reasons, write
from tracelab.governance.roles import Credential, Role, authorise, check_lang
from tracelab.io import DataDir, read_dir
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.regions import all_townships
from tracelab.model.rules import DEFAULT_CALLS_PER_DAY
from tracelab.model.schema import LAST_EXPOSURE, RANK, SCORE, TIER, TIERS
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.audit import audited, require_purpose

__all__ = ["call_list", "export_contacts", "CALL_LIST_COLUMNS", "write_call_list", "CallList",
           "LIST_COLUMNS", "AGGREGATE_COLUMNS", "read_exposures", "DEFAULT_CALLS_PER_DAY",
           "OUTPUT_FORMATS"]

PERSON_NAME, ID_NUMBER, PHONE = s.PERSON_NAME, s.ID_NUMBER, s.PHONE
CALL_LIST_COLUMNS = (s.TOWNSHIP_CODE, s.TOWNSHIP, TIER, RANK, s.CONTACT_ID, PERSON_NAME, PHONE,
                     ID_NUMBER, SCORE, LAST_EXPOSURE, s.WHY)
#: Columns of an authorised call list (:func:`write_call_list`), one row per contact.
LIST_COLUMNS = (s.TOWNSHIP_CODE, s.TOWNSHIP, TIER, RANK, s.CONTACT_ID, PERSON_NAME, PHONE,
                ID_NUMBER, s.VENUE_NAME, s.ADDRESS, s.OVERLAP_START, s.OVERLAP_END,
                s.OVERLAP_MIN, SCORE, s.WHY)
#: Columns of the aggregate list a role with ``view="aggregates"`` gets: no people.
AGGREGATE_COLUMNS = (s.TOWNSHIP_CODE, s.TOWNSHIP, TIER, s.N_CONTACTS)


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
                    hint=msg("pass rank_contacts(...) output"))
    if s.CASE_ID in ranked:
        raise ValueError(msg("ranked has case_id: one row per (case, contact) pair; the call list "
                             "needs rank_contacts(..., per='contact')"))
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
        raise ValueError(msg("fmt={fmt!r}; allowed: 'csv', 'xlsx' (or a .csv / .xlsx path)",
                             fmt=fmt))
    table = call_list(ranked, persons)
    if fmt == "csv":
        return write_csv(table, target)
    return write_xlsx(table, target, sheet_name="call list")


# --- the authorised call list ---------------------------------------------------------

_MASKS: Mapping[str, privacy.MaskKind] = {
    s.CONTACT_ID: "person", PERSON_NAME: "name", PHONE: "phone", ID_NUMBER: "id"}


def _build(ranked: pd.DataFrame, exposures: pd.DataFrame, data: DataDir, key: bytes,
           role: Role, revealed: tuple[str, ...], credential: Credential | None,
           calls_per_day: int, lang: str, zone: str | None = None) -> CallList:
    """The list for `role`: identities matched, everything not in `revealed` masked."""
    contacts = ranked[s.CONTACT_ID].astype(str).tolist()
    people = identities(data, contacts, key)
    if len(people) and not people["_found"].any():
        raise ValueError(msg("--data {path}: none of the {n} contact(s) is a person of this "
                             "folder under this key; give the folder and key the exposures were "
                             "traced with", path=data.path, n=len(people)))
    fault_point("calllist:identified")
    names = township_names(data)
    code, town = residence(people, data.venues, names)
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
        s.WHY: _blank(reasons(ex, venue_name, venue_type, zone, lang).reindex(index)),
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
    return np.array([text(v) or "" for v in values], dtype=object)


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
    target = output(out, lang)
    if isinstance(calls_per_day, bool) or not isinstance(calls_per_day, int | np.integer) \
            or calls_per_day < 1:
        raise ValueError(msg("calls_per_day={calls_per_day!r}; give a whole number of people the "
                             "teams can reach per day, at least 1", calls_per_day=calls_per_day))
    chosen, revealed, cred = authorise(role, reveal=reveal, credential=credential, key=key,
                                       roles=roles, lang=lang)
    require_columns(exposures, (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.HOP, s.OVERLAP_START,
                                s.OVERLAP_END, s.OVERLAP_MIN), "exposures",
                    hint=msg("give read_exposures(...) of the file `tracelab trace` wrote"))
    check_ranked(ranked, exposures, int(calls_per_day))
    folder = data if isinstance(data, DataDir) else read_dir(data)
    result: CallList = _audited_build(
        ranked.reset_index(drop=True), exposures, folder, key, chosen, revealed, cred,
        int(calls_per_day), lang, zone, purpose=checked, audit=audit, who=who,
        deliver=lambda r: write(r, target, checked))
    return result
