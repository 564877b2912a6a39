"""``tracelab notice``: the public trajectory notice (病例活动轨迹公告) of one or more cases.

Several ``--case`` values make one combined notice (病例1, 病例2, ... in the order given), as
an HQ publishes the cases of a day together; a case without a counted visit in its window
refuses the whole notice. Person ids are pseudonymised on load, as in ``trace``; the
notice itself holds no person data. It reads a case's visits, so it needs ``--purpose`` and
leaves one audit entry, after the file is written.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tracelab.briefing.notice import MERGE_GAP_MINUTES, case_notice, check_hotline
from tracelab.briefing.notice_render import NOTICE_FORMATS, write_notice
from tracelab.cli.options import (
    add_audit_options,
    add_lang_option,
    add_log_options,
    add_region_option,
    log_kwargs,
    output,
    say,
    zoned,
)
from tracelab.cli.trace import (
    add_key_option,
    case_pseudonyms,
    cli_key,
    purpose_for,
    read_pseudonymised,
    require_scans,
)
from tracelab.model import schema as s
from tracelab.model.ids import mask_name
from tracelab.model.rules import PRESETS, as_rule
from tracelab.privacy import pseudonyms as privacy

__all__ = ["register", "run"]

_LINES = {
    "done": ("病例活动轨迹公告：{cases} 名病例，{stays} 条行程，{venues} 个场所（规则 {rule}）-> {out}",
             "trajectory notice: {cases} case(s), {stays} stay(s) at {venues} venue(s) under "
             "rule {rule} -> {out}"),
    "unknown_case": ("{folder}：病例 {missing} 不在 cases.* 中；请给出病例表中的 person_id"
                     "（原始值，或用同一密钥假名化后的值）",
                     "{folder}: case(s) {missing} not in cases.*; give person_id values from "
                     "the cases table (raw, or pseudonymised with the same key)"),
    "playwright": ("生成 .png 需要 Playwright：pip install playwright",
                   "a .png notice needs Playwright: pip install playwright"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``notice`` sub-command."""
    p = subparsers.add_parser(
        "notice", help="public trajectory notice of cases (病例活动轨迹公告)",
        description="Write the publishable activity trajectory of the cases: the places "
        "and local times each was present while infectious under the rule, stays at one "
        "venue merged, residences as their compound or village only, no person data, and "
        "the request to report (报备). The format follows --out: .txt for a WeChat post, "
        ".html for printing, .png as an image. Several --case values make one combined "
        "notice. The query is logged in the audit table.")
    p.add_argument("--data", type=Path, required=True,
                   help="data folder with venues.*, scans.*, cases.*")
    p.add_argument("--case", action="append", required=True, metavar="ID",
                   help="person_id of a case in cases.*, raw or pseudonymised; repeat for "
                   "several (one combined notice)")
    p.add_argument("--out", type=Path, required=True,
                   help="file to write: notice.txt, notice.html or notice.png")
    p.add_argument("--hotline", default=None, metavar="NUMBER",
                   help="telephone number to report to (报备电话), e.g. 0799-7512345 "
                   "(default: ask people to report to their community or village committee)")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help=f"rule preset ({', '.join(PRESETS)}) or rule id (default twenty)")
    p.add_argument("--as-of", default=None,
                   help="time with zone that ends the windows of cases not yet isolated, "
                   "e.g. '2022-11-20T08:00+08:00' (default: the last exit in the data)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future' checks on load (default: now)")
    p.add_argument("--merge-gap-minutes", type=float, default=MERGE_GAP_MINUTES, metavar="M",
                   help="visits in a row at one venue at most M minutes apart are one stay "
                   f"(default {MERGE_GAP_MINUTES:g})")
    add_audit_options(p, "the case or investigation this notice serves, e.g. case:LX-017; "
                      "logged with the query (DOMAIN.md section 10)")
    add_key_option(p)
    add_region_option(p)
    add_log_options(p)
    add_lang_option(p, help="language of the notice and of messages (default zh)")
    p.set_defaults(func=run)


def _shown(case: str) -> str:
    """A ``--case`` value fit for an error message: phone and ID numbers masked, names cut."""
    text = case.strip()
    scrubbed = str(privacy.scrub_shapes(privacy.scrub_text(text)))
    if scrubbed != text:
        return scrubbed
    return mask_name(text) if re.search(r"[\u4e00-\u9fff]", text) else text


def run(args: argparse.Namespace) -> int:
    """Write the notice of ``args.case``; return 0."""
    lang = args.lang
    purpose_for(args.purpose, args.case, lang)
    output(args.out, formats=NOTICE_FORMATS, lang=lang)
    hotline = check_hotline(args.hotline, lang)
    r = as_rule(args.regime)
    as_of = zoned(args.as_of, "--as-of", lang)
    if args.out.suffix.lower() == ".png":
        # Fail before loading, not after.
        from tracelab.briefing.pdf import find_chromium

        find_chromium()
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise ValueError(say(_LINES, "playwright", lang)) from None
    key = cli_key(args.key_file, lang=lang)
    data = read_pseudonymised(args.data, key, now=args.now, region=args.region,
                              **log_kwargs(args))
    require_scans(data, lang=lang)
    wanted = list(dict.fromkeys(args.case))
    chosen = case_pseudonyms(wanted, key)
    known = set(data.cases[s.PERSON_ID].astype(str))
    missing = [_shown(w) for w, p in zip(wanted, chosen, strict=True) if p not in known]
    if missing:
        raise ValueError(say(_LINES, "unknown_case", lang, folder=args.data, missing=missing))
    notice = case_notice(data, chosen, rule=r, as_of=as_of, hotline=hotline, lang=lang,
                         merge_gap_minutes=args.merge_gap_minutes, purpose=args.purpose,
                         audit=args.audit or args.data / "tracelab.duckdb", who=args.who,
                         deliver=lambda n: write_notice(n, args.out))
    venues = {v for t in notice.tracks for v in t.stays[s.VENUE_ID]}
    print(say(_LINES, "done", lang, cases=len(notice.tracks), stays=notice.n_stays,
              venues=len(venues), rule=r.rule_id, out=args.out))
    return 0
