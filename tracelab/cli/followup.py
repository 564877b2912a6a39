"""``tracelab followup import|status``: record the field teams' returned call sheets, and
show how far follow-up has got by township and tier, and who is overdue.

The store keeps contacts' pseudonyms only: a revealed sheet's raw phones or person ids
are pseudonymised with the key (``--key-file`` or ``TRACELAB_KEY``), or rejected
without one. Output for people is Chinese by default (``--lang en``).

Both are person-level: an import records what happened to named contacts, and the overdue
list names them (by pseudonym). So ``import`` needs ``--purpose`` and leaves one entry in
the store's audit log after its rows are committed; ``status`` prints the completeness
table (counts) to anyone, and the overdue list only under ``--purpose``, audited.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from tracelab.cli.options import add_region_option, output, say, zoned
from tracelab.cli.trace import add_key_option, cli_key
from tracelab.governance.followup import (
    REACH_WITHIN_HOURS,
    FollowupStatus,
    followup_status,
    import_followup,
    label,
    listing_from_trace,
    read_followup,
    read_listing,
)
from tracelab.io import open_store
from tracelab.io.county_store import database_path, is_county_store
from tracelab.io.exports import write_table
from tracelab.model import schema as s
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.audit import record_query
from tracelab.privacy.purposes import require_purpose

__all__ = ["register", "run_import", "run_status", "reach_hours"]

#: Rejections and overdue contacts printed; the rest are in the store or ``--overdue-out``.
SHOWN = 10

#: What the command says, in Chinese and English (``--lang``).
_LINES = {
    "no_store": ("--store {store}：文件不存在；请先导入一份随访表（tracelab followup import FILE "
                 "--store PATH）",
                 "--store {store}: no such file; import a sheet first (tracelab followup "
                 "import FILE --store PATH)"),
    "overdue_purpose": ("--overdue-out 列出逐人名单，需要 --purpose（如 case:C-031）",
                        "--overdue-out lists people: give --purpose (e.g. case:C-031)"),
    "reach_form": ("--reach-hours {part!r}：请写成 TIER=HOURS（数字或 'none'），例如 "
                   "call_today=12",
                   "--reach-hours {part!r}: give TIER=HOURS (a number or 'none'), e.g. "
                   "call_today=12"),
    "reach_value": ("--reach-hours {part!r}：请给出等级和大于 0 的小时数",
                    "--reach-hours {part!r}: give a tier and hours above 0"),
    "imported": ("随访导入 {source}：读取 {read} 行，接受 {accepted} 行（新记录 {added}，已有 "
                 "{already}，其中待随访 {pending}），拒绝 {rejected} 行{why} -> {store}",
                 "followup import {source}: read {read}, accepted {accepted} ({added} new, "
                 "{already} already recorded; {pending} without a status yet), rejected "
                 "{rejected}{why} -> {store}"),
    "why": ("（{why}）", " ({why})"),
    "rejected_row": ("  第 {row} 行 {column} {value!r}：{reason}（{meaning}）",
                     "  row {row} {column} {value!r}: {reason}: {message}"),
    "more_rejected": ("  … 其余见存储的 rejections 表", "  … the rest are in the store's "
                      "rejections table"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``followup`` sub-command with its ``import`` and ``status`` actions."""
    p = subparsers.add_parser(
        "followup", help="record returned call sheets; completeness and overdue contacts",
        description="Field teams return the call list with a status per contact (reached, "
        "not_reached, wrong_number, quarantined, sampled, positive, negative, or 已联系, 未接通, "
        "号码错误, 已隔离, 已采样, 阳性, 阴性) and its date. `import` records it in the store "
        "(pseudonyms only; importing a sheet twice changes nothing); `status` shows "
        "completeness by township and tier and who is overdue.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="record a returned sheet (.xlsx or .csv)")
    imp.add_argument("file", type=Path, metavar="FILE", help="the returned sheet, .xlsx or .csv")
    imp.add_argument("--zone", default=s.DEFAULT_ZONE,
                     help=f"IANA zone of times written without one (default {s.DEFAULT_ZONE})")
    imp.add_argument("--now", default=None,
                     help="reference time for 'in the future', with zone (default: now)")
    imp.set_defaults(func=run_import)
    st = actions.add_parser("status", help="completeness by township and tier; overdue list")
    listing = st.add_mutually_exclusive_group()
    listing.add_argument("--exposures", type=Path, default=None, metavar="FILE",
                         help="who is listed: a call list, ranked contacts or exposures file "
                         "(.csv or .xlsx, contact_id / 联系人编号); default: every contact on "
                         "an imported sheet")
    listing.add_argument("--data", type=Path, default=None, metavar="DIR",
                         help="who is listed: trace every reported case of this data folder "
                         "(as `tracelab brief` does); a contact counts as listed when its "
                         "first case was reported")
    st.add_argument("--as-of", default=None,
                    help="status time with zone, e.g. '2022-11-21T08:00+08:00' (default: now)")
    st.add_argument("--listed-at", default=None,
                    help="listing time, with zone, of contacts whose listing gives none")
    st.add_argument("--reach-hours", default=None, metavar="TIER=H,...",
                    help="hours to locate a contact by tier, e.g. 'call_today=12,"
                    "within_24h=24,monitor=72,unknown=24' ('none': no limit); default "
                    + ",".join(f"{k}={v:g}" for k, v in REACH_WITHIN_HOURS.items()
                               if v is not None) + " (design default)")
    st.add_argument("--regime", "--rule", dest="regime", default="twenty",
                    help="rule preset or id of the trace with --data (default twenty)")
    st.add_argument("--out", type=Path, default=None,
                    help="write the completeness table to this .csv or .xlsx file")
    st.add_argument("--overdue-out", type=Path, default=None,
                    help="write the overdue list to this .csv or .xlsx file")
    add_region_option(st)
    st.set_defaults(func=run_status)
    imp.add_argument("--purpose", required=True,
                     help="case or investigation the follow-up serves, e.g. case:C-031 "
                     "(logged in the store's audit log)")
    st.add_argument("--purpose", default=None,
                    help="case or investigation id; needed to list overdue contacts (by "
                    "pseudonym), which is then logged in the store's audit log; without it "
                    "only counts are shown")
    for sub in (imp, st):
        sub.add_argument("--who", default=None, help="the operator, for the audit log")
        sub.add_argument("--store", type=Path, required=True,
                         help="the county's DuckDB store (tracelab.duckdb), or its county "
                         "store folder (tracelab ingest)")
        sub.add_argument("--lang", choices=("zh", "en"), default="zh",
                         help="language of the output (default zh)")
        add_key_option(sub)


def _optional_key(key_file: Path | None) -> bytes | None:
    """The key when one is given or set; None otherwise (raw ids are then rejected)."""
    if key_file is None and not os.environ.get(privacy.KEY_ENV, "").strip():
        return None
    return privacy.load_key(key_file)


def _check_out(path: Path | None, option: str) -> None:
    if path is not None:
        output(path, option, formats=(".csv", ".xlsx"))


def _write(frame: pd.DataFrame, path: Path | None, sheet: str) -> None:
    if path is None:
        return
    write_table(frame, path, sheet_name=sheet)
    print(f"-> {path}")


def _county_database(args: argparse.Namespace) -> None:
    # A county store folder is the county's one home: its follow-up lives in its database.
    if is_county_store(args.store):
        args.store = database_path(args.store)


def run_import(args: argparse.Namespace) -> int:
    """Record a returned sheet; return 0, or 1 when rows were rejected."""
    lang = args.lang
    purpose = require_purpose(args.purpose)
    key = _optional_key(args.key_file)
    # A sheet wrong as a whole (unreadable, empty, without the columns) raises: nothing
    # is recorded from it.
    loaded = read_followup(args.file, key=key, zone=args.zone, now=zoned(args.now, "--now"),
                           on_file_problem="raise")
    _county_database(args)
    with open_store(args.store) as store:
        got = import_followup(store, loaded, now=zoned(args.now, "--now"))
        record_query(store, who=args.who, purpose=purpose,
                     query=f"followup import {Path(args.file).name}",
                     counts={"read": got.read, "accepted": got.accepted, "added": got.added,
                             "rejected": got.rejected})
    reasons = got.rejections[s.REASON].value_counts()
    why = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items()))
    print(say(_LINES, "imported", lang, source=got.source, read=got.read,
              accepted=got.accepted, added=got.added, already=got.already, pending=got.pending,
              rejected=got.rejected, why=say(_LINES, "why", lang, why=why) if why else "",
              store=args.store))
    # In Chinese each row shows its reason's meaning; the English detail is in the store.
    for r in got.rejections.head(SHOWN).itertuples(index=False):
        reason = getattr(r, s.REASON)
        print(say(_LINES, "rejected_row", lang, row=getattr(r, s.ROW),
                  column=getattr(r, s.COLUMN), value=getattr(r, s.VALUE), reason=reason,
                  meaning=s.REASONS_ZH.get(str(reason), ""), message=getattr(r, s.MESSAGE)))
    if got.rejected > SHOWN:
        print(say(_LINES, "more_rejected", lang))
    return 1 if got.rejected else 0


def reach_hours(text: str | None, lang: str = "zh") -> Mapping[str, float | None]:
    """``--reach-hours`` as a mapping over the default limits; refused in `lang`.

    Examples
    --------
    >>> reach_hours("call_today=6,monitor=none")["call_today"], reach_hours("monitor=none")["monitor"]
    (6.0, None)
    """
    hours = dict(REACH_WITHIN_HOURS)
    for part in (text or "").split(","):
        if not part.strip():
            continue
        tier, _, value = part.partition("=")
        tier, value = tier.strip(), value.strip()
        try:
            hours[tier] = None if value.lower() == "none" else float(value)
        except ValueError:
            raise ValueError(say(_LINES, "reach_form", lang, part=part.strip())) from None
        if not tier or (hours[tier] is not None and not hours[tier] > 0):  # type: ignore[operator]
            raise ValueError(say(_LINES, "reach_value", lang, part=part.strip()))
    return hours


def _listing(args: argparse.Namespace, as_of: pd.Timestamp | None) -> pd.DataFrame | None:
    if args.exposures is not None:
        return read_listing(args.exposures, key=_optional_key(args.key_file))
    if args.data is None:
        return None
    from tracelab.briefing import folder_extras, load_briefing

    key = cli_key(args.key_file, lang=args.lang)
    b = load_briefing(args.data, key=key, rule=args.regime, as_of=as_of, region=args.region)
    persons = folder_extras(args.data)["persons"]
    if persons is not None:
        persons = privacy.pseudonymise(persons, None, key)
    return listing_from_trace(b.exposures, b.contacts, b.cases, persons)


def _print(got: FollowupStatus, lang: Any, named: bool) -> None:
    table = got.completeness.copy()
    for column in (s.TIER, s.TOWNSHIP):  # codes, and "unknown", in the reader's language
        table[column] = table[column].map(lambda t: label(t, lang))
    total = table.drop(columns=[s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER]).sum(numeric_only=True)
    total[s.LOCATED_SHARE] = round(total[s.N_LOCATED] / total[s.N_LISTED], 3) \
        if total[s.N_LISTED] else float("nan")
    table.loc[len(table)] = {s.TOWNSHIP_CODE: "", s.TOWNSHIP: label("total", lang),
                             s.TIER: "", **total.to_dict()}
    table = table.drop(columns=s.TOWNSHIP_CODE)
    table.columns = [label(c, lang) for c in table.columns]
    at = got.as_of.tz_convert(s.DEFAULT_ZONE)
    head = (f"随访完成情况（截至 {at:%Y-%m-%d %H:%M}，{s.DEFAULT_ZONE}）" if lang == "zh" else
            f"follow-up as of {at:%Y-%m-%d %H:%M} ({s.DEFAULT_ZONE})")
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 250,
                           "display.max_columns", None):
        print(head)
        print(table.to_string(index=False))
        overdue = got.overdue
        print((f"超时未落实 {len(overdue)} 人（时限：" if lang == "zh" else
               f"overdue: {len(overdue)} (limits: ")
              + ", ".join(f"{label(k, lang)} {v:g} h" for k, v in got.reach_within_hours.items()
                          if v is not None) + ("）" if lang == "zh" else ")"))
        if len(overdue) and not named:
            print("（逐人名单需 --purpose，并记入审计日志）" if lang == "zh" else
                  "(listing them needs --purpose, and is logged in the audit log)")
        elif len(overdue):
            shown = overdue.head(SHOWN).copy()
            for column in (s.LISTED_AT, s.DUE_AT):
                shown[column] = shown[column].dt.tz_convert(s.DEFAULT_ZONE).dt.strftime(
                    "%m-%d %H:%M")
            for column in (s.TIER, s.TOWNSHIP):
                shown[column] = shown[column].map(lambda t: label(t, lang))
            shown[s.FOLLOWUP_STATUS] = shown[s.FOLLOWUP_STATUS].map(
                lambda v: label(s.NO_STATUS if pd.isna(v) else v, lang))
            shown = shown[[s.CONTACT_ID, s.TOWNSHIP, s.TIER, s.LISTED_AT, s.DUE_AT,
                           s.HOURS_OVERDUE, s.FOLLOWUP_STATUS, s.N_ATTEMPTS]]
            shown.columns = [label(c, lang) for c in shown.columns]
            print(shown.to_string(index=False))
            if len(overdue) > SHOWN:
                print("…" + (" 完整名单用 --overdue-out 导出" if lang == "zh"
                             else " write the whole list with --overdue-out"))
    if got.unlisted:
        print(f"另有 {got.unlisted} 人有随访记录但不在名单中" if lang == "zh" else
              f"{got.unlisted} contacts with a follow-up status are not on the listing")


def run_status(args: argparse.Namespace) -> int:
    """Print completeness and the overdue list (and write them); return 0."""
    purpose = None if args.purpose is None else require_purpose(args.purpose)
    if args.overdue_out is not None and purpose is None:
        raise ValueError(say(_LINES, "overdue_purpose", args.lang))
    _check_out(args.out, "--out")
    _check_out(args.overdue_out, "--overdue-out")
    as_of = zoned(args.as_of, "--as-of")
    listed_at = zoned(args.listed_at, "--listed-at")
    hours = reach_hours(args.reach_hours, args.lang)
    _county_database(args)
    if not args.store.is_file():
        raise FileNotFoundError(say(_LINES, "no_store", args.lang, store=args.store))
    listed = _listing(args, as_of)
    with open_store(args.store, read_only=True) as store:
        got = followup_status(store, listed, as_of=as_of, listed_at=listed_at,
                              reach_within_hours=hours)
    _print(got, args.lang, named=purpose is not None)
    _write(got.completeness, args.out, "completeness")
    _write(got.overdue, args.overdue_out, "overdue")
    if purpose is not None:  # after the outputs exist: an entry never claims a missing file
        record_query(args.store, who=args.who, purpose=purpose, query="followup status",
                     counts={"listed": int(got.completeness[s.N_LISTED].sum()),
                             "overdue": len(got.overdue)})
    return 0
