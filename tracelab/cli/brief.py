"""``tracelab brief``: the command-HQ briefing of a data folder or a county store as one HTML page.

With ``--data`` person ids (scans, cases, the residences of ``persons.*``) are
pseudonymised on load with the key of ``--key-file`` or ``TRACELAB_KEY``; with ``--store``
the store built by ``tracelab ingest`` (docs/store.md) answers from its index and its
database, its ids pseudonymised already with that key (which must be the one given). The
page shows people only as counts, and is the same from the store as from its folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from tracelab.cli.options import add_lang_option, add_region_option, output, say
from tracelab.cli.trace import add_key_option

__all__ = ["register", "run"]

_LINES = {
    "done": ("{county} 简报（截至 {as_of}，{zone}；规则 {rule}）：{cases} 名病例，{contacts:,} 人"
             "暴露于 {venues} 个场所，高/中风险区 {areas} 个 -> {paths}",
             "briefing of {county} as of {as_of} ({zone}) (rule {rule}): {cases} cases, "
             "{contacts:,} people exposed at {venues} venues, {areas} high/medium risk areas "
             "-> {paths}"),
    "no_zone": ("--as-of {text!r} 没有时区；请加上，例如 {text}+08:00",
                "--as-of {text!r} has no zone; add one, e.g. {text}+08:00"),
    "no_since": ("--since {path}：文件不存在", "--since {path}: no such file"),
    "calls": ("--calls-per-day {n}：请给出每日可联系的人数，至少为 1",
              "--calls-per-day {n}: give the number of people the teams can call per day, "
              "at least 1"),
    "playwright": ("--pdf 需要 Playwright：pip install playwright",
                   "--pdf needs Playwright: pip install playwright"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``brief`` sub-command."""
    p = subparsers.add_parser(
        "brief", help="command-HQ briefing: one self-contained HTML page",
        description="Trace every case reported by the briefing time, rank contacts and "
        "venues, draw risk areas and write one offline HTML page (Chinese by default), a "
        "JSON summary beside it for the next --since, and optionally a PDF.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, default=None,
                       help="data folder with venues.*, scans.*, cases.* (townships.geojson, "
                       "persons.* and manifest.json are used when present)")
    where.add_argument("--store", type=Path, default=None, metavar="PATH",
                       help="county store built by `tracelab ingest` (docs/store.md): the briefing "
                       "of its folder, from its index and database without loading the "
                       "scans; the key must be the store's; --region does not apply")
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument("--since", type=Path, default=None, metavar="PREVIOUS.json",
                   help="summary of a previous briefing: show what changed")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help="rule preset or rule id (default twenty)")
    p.add_argument("--calls-per-day", type=int, default=None, metavar="N",
                   help="people the teams can call per day: ranks 1..N call today, N+1..2N "
                   "within 24 hours, the rest monitor (default: the rule's calls_per_day, "
                   "200); stated on the page and part of the rule id")
    p.add_argument("--as-of", default=None,
                   help="briefing time with zone, e.g. '2022-12-01T08:00+08:00' (default: "
                   "end of a synthetic period, else the last record)")
    add_lang_option(p, help="language of the page and of messages (default zh)")
    p.add_argument("--pdf", action="store_true", help="also write a PDF (headless Chromium)")
    add_key_option(p)
    add_region_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the briefing; return 0."""
    from tracelab.briefing import load_briefing, write_briefing
    from tracelab.briefing.build import store_briefing
    from tracelab.cli.trace import cli_key
    from tracelab.model.rules import as_rule

    lang = args.lang
    output(args.out, "--out", formats=(".html",), lang=lang)
    as_of = None
    if args.as_of is not None:
        as_of = pd.Timestamp(args.as_of)
        if as_of.tz is None:
            raise ValueError(say(_LINES, "no_zone", lang, text=args.as_of))
    rule = as_rule(args.regime)
    if args.calls_per_day is not None:
        if args.calls_per_day < 1:
            raise ValueError(say(_LINES, "calls", lang, n=args.calls_per_day))
        rule = rule.replace(calls_per_day=args.calls_per_day)
    if args.since is not None and not args.since.is_file():
        raise FileNotFoundError(say(_LINES, "no_since", lang, path=args.since))
    if args.pdf:
        # Fail before the minutes of work, not after.
        from tracelab.briefing.pdf import find_chromium

        find_chromium()
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise ValueError(say(_LINES, "playwright", lang)) from None
    key = cli_key(args.key_file, lang=lang)
    if args.store is not None:
        b = store_briefing(args.store, key=key, rule=rule, as_of=as_of)
    else:
        b = load_briefing(args.data, key=key, rule=rule, as_of=as_of, region=args.region)
    paths = write_briefing(b, args.out, since=args.since, lang=args.lang, pdf=args.pdf)
    h = b.headline
    print(say(_LINES, "done", lang, county=b.county or args.store or args.data,
              as_of=f"{b.as_of.tz_convert(b.zone):%Y-%m-%d %H:%M}", zone=b.zone,
              rule=b.rule.rule_id, cases=h["cases"], contacts=h["contacts"],
              venues=h["venues"], areas=h["areas"]["high"] + h["areas"]["medium"],
              paths=", ".join(str(p) for p in paths.values())))
    return 0
