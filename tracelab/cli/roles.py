"""``tracelab roles``: list the call-list roles, issue a role's credential, check one.

``tracelab roles issue ROLE --out FILE [--days N]`` writes a credential sealed under a key
derived from the county key (:func:`tracelab.governance.roles.issue_credential`); only a
holder of the key can issue one, and ``tracelab calllist --reveal --credential FILE``
needs one to show names and phones.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab._i18n import msg
from tracelab.cli.trace import add_key_option, cli_key
from tracelab.governance.roles import (
    DEFAULT_DAYS,
    MAX_DAYS,
    check_lang,
    issue_credential,
    load_roles,
    verify_credential,
    write_credential,
)
from tracelab.model import schema as s
from tracelab.privacy.audit import record_query

__all__ = ["register", "run_list", "run_issue", "run_check", "ISSUE_PURPOSE"]

#: Purpose of the audit entry an issue leaves when ``--audit`` is given.
ISSUE_PURPOSE = "ops:role-credential"

_LIMITS = (
    "A credential stops someone without the key from revealing through tracelab and an "
    "analyst from revealing by claiming a role. It cannot stop a holder of the key from "
    "issuing credentials, anyone with the raw data folder from reading it directly, or a "
    "copied credential file from working until it expires (there is no revocation: keep "
    "--days short and the file private).")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``roles`` sub-command and its actions ``list``, ``issue``, ``check``."""
    p = subparsers.add_parser(
        "roles", help="call-list roles and the credentials that let a role reveal",
        description="Roles decide what a call list shows: fieldteam may reveal name and "
        "phone, analyst sees neither, manager sees counts only; a roles file (CSV or JSON: "
        "role, view, reveal) adds others. Revealing needs a credential of the role, issued "
        "under the county key. " + _LIMITS)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="the known roles and what each may see")
    ls.add_argument("--roles", type=Path, default=None, metavar="FILE",
                    help="CSV or JSON file adding roles")
    ls.add_argument("--lang", choices=("zh", "en"), default="zh")
    ls.set_defaults(func=run_list)
    issue = actions.add_parser(
        "issue", help="write a credential of a role, sealed under the county key",
        description="Write a JSON credential naming the role, what it may reveal, when it "
        "was issued and expires, a random id, an id of the key and an HMAC seal under a "
        "key derived from the county key (never the key itself). " + _LIMITS)
    issue.add_argument("role", metavar="ROLE", help="fieldteam, analyst, manager, or a role "
                       "of --roles")
    issue.add_argument("--out", type=Path, required=True, help="credential file to write "
                       "(JSON, readable by its owner only)")
    issue.add_argument("--days", type=int, default=DEFAULT_DAYS, metavar="N",
                       help=f"days it is valid, 1 to {MAX_DAYS} (default {DEFAULT_DAYS})")
    issue.add_argument("--holder", default=None,
                       help="whom it is for, e.g. a team name (written in the credential)")
    issue.add_argument("--roles", type=Path, default=None, metavar="FILE",
                       help="CSV or JSON file adding roles")
    issue.add_argument("--audit", type=Path, default=None,
                       help=f"also log the issue in this store's audit table ({ISSUE_PURPOSE})")
    issue.add_argument("--who", default=None, help="the issuer, for the audit log")
    issue.add_argument("--lang", choices=("zh", "en"), default="zh")
    add_key_option(issue)
    issue.set_defaults(func=run_issue)
    check = actions.add_parser("check", help="verify a credential under the key and the clock")
    check.add_argument("credential", type=Path, metavar="FILE")
    check.add_argument("--lang", choices=("zh", "en"), default="zh")
    add_key_option(check)
    check.set_defaults(func=run_check)


def run_list(args: argparse.Namespace) -> int:
    """Print the roles; return 0."""
    lang = check_lang(args.lang)
    none = "无" if lang == "zh" else "nothing"
    for role in load_roles(args.roles).values():
        sees = {"rows": "逐人名单" if lang == "zh" else "rows of people",
                "aggregates": "只看汇总" if lang == "zh" else "aggregates only"}[role.view]
        reveals = ", ".join(role.reveal) or none
        print(f"{role.title(lang)}\t{s.VIEW}={role.view} ({sees})\t{s.REVEAL}={reveals}")
    return 0


def run_issue(args: argparse.Namespace) -> int:
    """Write a credential; return 0."""
    lang = check_lang(args.lang)
    if not 1 <= args.days <= MAX_DAYS:
        raise ValueError(msg("--days {days}: give 1 to {most} days", days=args.days,
                             most=MAX_DAYS))
    key = cli_key(args.key_file, lang=lang)
    if args.audit is not None and not args.audit.parent.is_dir():
        raise FileNotFoundError(msg("--audit {audit}: folder {parent} does not exist",
                                    audit=args.audit, parent=args.audit.parent))
    credential = issue_credential(args.role, key, days=args.days, roles=load_roles(args.roles),
                                  holder=args.holder, lang=lang)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_credential(credential, args.out)
    if args.audit is not None:
        try:
            record_query(args.audit, who=args.who, purpose=ISSUE_PURPOSE, kinds=("ops",),
                         query=f"roles issue role={credential['role']} "
                               f"id={credential['id'][:12]} days={args.days}",
                         counts={"credentials": 1})
        except BaseException:
            args.out.unlink(missing_ok=True)  # a credential nobody logged must not stay
            raise
    verified = verify_credential(credential, key, lang=lang)
    until = f"{verified.expires_at.tz_convert(s.DEFAULT_ZONE):%Y-%m-%d %H:%M}"
    role = verified.role
    if lang == "zh":
        note = "" if role.may_reveal else "；此角色无权显示姓名或电话"
        print(f"已签发 {role.title('zh')} 的凭证 {verified.id[:12]}，有效至 {until}（北京时间）"
              f"{note} -> {args.out}")
    else:
        note = "" if role.may_reveal else "; this role may not reveal names or phones"
        print(f"issued a credential of {role.title('en')}, id {verified.id[:12]}, valid until "
              f"{until} (Beijing time){note} -> {args.out}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Verify a credential; return 0 if valid (a refusal exits 2)."""
    lang = check_lang(args.lang)
    key = cli_key(args.key_file, lang=lang)
    verified = verify_credential(args.credential, key, lang=lang)
    until = f"{verified.expires_at.tz_convert(s.DEFAULT_ZONE):%Y-%m-%d %H:%M}"
    reveals = ", ".join(verified.role.reveal) or ("无" if lang == "zh" else "nothing")
    if lang == "zh":
        print(f"有效：角色 {verified.role.title('zh')}，可显示 {reveals}，凭证 {verified.id[:12]}，"
              f"有效至 {until}（北京时间）")
    else:
        print(f"valid: role {verified.role.title('en')}, may reveal {reveals}, credential "
              f"{verified.id[:12]}, valid until {until} (Beijing time)")
    return 0
