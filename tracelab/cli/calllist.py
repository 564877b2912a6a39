"""``tracelab calllist``: the call list for a role, masked, or revealed with a credential.

The exposures of ``tracelab trace`` are ranked (:func:`tracelab.analysis.ranking.rank_contacts`,
``--calls-per-day`` deciding the tiers) and written for people by
:func:`tracelab.governance.call_lists.write_call_list`: grouped by township of residence
and tier, with venue, address, local times and a reason in Chinese (``--lang en`` for
English). ``--reveal`` shows names and phones only with a credential of a role allowed
to reveal them (``tracelab roles issue``); every list is logged in the audit table after
its file is in place.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab._i18n import msg
from tracelab.analysis.ranking import capacity, rank_contacts
from tracelab.cli.options import add_audit_options, add_log_options, add_region_option, log_kwargs
from tracelab.cli.trace import add_key_option, cli_key
from tracelab.governance.call_lists import (
    DEFAULT_CALLS_PER_DAY,
    read_exposures,
    write_call_list,
)
from tracelab.governance.roles import authorise, check_lang, load_roles
from tracelab.io import pseudonymise_data, read_dir
from tracelab.privacy.audit import require_purpose

__all__ = ["register", "run"]

_GUARDS = (
    "Revealing needs the county key (TRACELAB_KEY or --key-file), a purpose and a "
    "credential of a role allowed to reveal (`tracelab roles issue`); the role comes from "
    "the credential, a --role that disagrees is refused, and an expired, altered, forged "
    "or other-key credential is refused. This stops someone who holds the data folder but "
    "not the key or a credential from getting names or phones through tracelab, and an "
    "analyst from revealing by claiming a role. It cannot stop a key holder from issuing "
    "credentials, anyone with the raw data folder from reading it directly, or a copied "
    "credential from working until it expires.")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calllist`` sub-command."""
    p = subparsers.add_parser(
        "calllist", help="the call list for a role: masked, or names and phones with a "
        "credential",
        description="Rank the contacts of an exposures file (from `tracelab trace`) and "
        "write the list the teams call from: a cover sheet (what, for whom, when, purpose, "
        "how many, calls per day, 敏感信息，仅限流调使用，不得外传) and the list, grouped by "
        "township of residence and priority, with venue, address, local times and a reason. "
        "Roles: fieldteam may reveal name and phone, analyst sees neither, manager sees "
        "counts by township and priority only; --roles FILE adds others. " + _GUARDS
        + " Every list is logged in the audit table once its file is in place.")
    p.add_argument("--data", type=Path, required=True,
                   help="the county's data folder the exposures were traced from (venues.*, "
                   "scans.*, cases.*, and persons.* with names and phones when kept)")
    p.add_argument("--exposures", type=Path, required=True, metavar="FILE",
                   help="exposures CSV written by `tracelab trace` (pseudonyms under the "
                   "same key)")
    p.add_argument("--out", type=Path, required=True,
                   help=".xlsx (cover sheet + list, for people) or .csv (UTF-8 with BOM); "
                   "its folder is created if missing")
    p.add_argument("--role", default=None,
                   help="fieldteam, analyst, manager, or a role of --roles; with --reveal "
                   "the role is the credential's (a different one is refused)")
    p.add_argument("--reveal", action="store_true",
                   help="show the names and phones the role may see; needs --credential")
    p.add_argument("--credential", type=Path, default=None, metavar="FILE",
                   help="credential of the role, from `tracelab roles issue` (checked under "
                   "the key, against the clock)")
    p.add_argument("--roles", type=Path, default=None, metavar="FILE",
                   help="CSV or JSON file adding roles (role, view, reveal)")
    p.add_argument("--calls-per-day", type=int, default=None, metavar="N",
                   help="people the teams can reach per day: ranks 1..N call today, N+1..2N "
                   "within 24 hours, the rest monitor (default: the calls_per_day of the "
                   f"rule the exposures were traced with, else {DEFAULT_CALLS_PER_DAY}); "
                   "stated on the cover")
    p.add_argument("--lang", choices=("zh", "en"), default="zh",
                   help="language of the list and of messages (default zh, Chinese)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future' checks on load (default: now); "
                   "never used for a credential's expiry")
    add_audit_options(p, "the case or investigation this list serves, e.g. case:LX-017; "
                      "logged and shown on the cover", "the operator, for the audit log")
    add_key_option(p)
    add_region_option(p)
    add_log_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the call list; return 0."""
    lang = check_lang(args.lang)
    purpose = require_purpose(args.purpose)
    key = cli_key(args.key_file, lang=lang)
    roles = load_roles(args.roles)
    # Refused roles and credentials stop here, before minutes of loading; write_call_list
    # checks them again, as any caller of the library.
    authorise(args.role, reveal=args.reveal, credential=args.credential, key=key, roles=roles,
              lang=lang)
    if args.calls_per_day is not None and args.calls_per_day < 1:
        raise ValueError(msg("--calls-per-day {calls_per_day}: give the number of people the "
                             "teams can reach per day, at least 1",
                             calls_per_day=args.calls_per_day))
    exposures = read_exposures(args.exposures)
    # One capacity for the trace, the briefing and this list: the rule's, unless overridden.
    calls = args.calls_per_day if args.calls_per_day is not None else capacity(
        exposures=exposures)
    raw = read_dir(args.data, now=args.now, region=args.region, **log_kwargs(args))
    data = pseudonymise_data(raw, key)
    ranked = rank_contacts(exposures, data.cases, data.scans, data.venues, calls_per_day=calls)
    result = write_call_list(
        ranked, exposures, raw, args.out, key=key, purpose=purpose,
        audit=args.audit or args.data / "tracelab.duckdb", who=args.who, role=args.role,
        reveal=args.reveal, credential=args.credential, roles=roles,
        calls_per_day=calls, lang=lang, zone=args.zone)
    if result.aggregated:
        line = (f"{result.contacts:,} 人，按乡镇和优先级汇总（角色 {result.role.name}）-> {args.out}"
                if lang == "zh" else
                f"{result.contacts:,} contact(s) in aggregates by township and priority "
                f"(role {result.role.name}) -> {args.out}")
    elif result.revealed:
        shown = {"name": "姓名", "phone": "电话", "id_number": "身份证号"}
        line = (f"{result.contacts:,} 人，其中 {result.n_revealed:,} 人显示"
                f"{'、'.join(shown.get(c, c) for c in result.revealed)}（角色 "
                f"{result.role.name}）-> {args.out}"
                if lang == "zh" else
                f"{result.contacts:,} contact(s), {result.n_revealed:,} with "
                f"{', '.join(result.revealed)} revealed (role {result.role.name}) -> {args.out}")
    else:
        line = (f"{result.contacts:,} 人，已遮蔽（角色 {result.role.name}）-> {args.out}"
                if lang == "zh" else
                f"{result.contacts:,} contact(s), masked (role {result.role.name}) -> {args.out}")
    print(line)
    return 0
