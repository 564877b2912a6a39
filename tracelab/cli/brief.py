"""``tracelab brief``: the command-HQ briefing of a data folder as one HTML page.

Person ids (scans, cases, the residences of ``persons.*``) are pseudonymised on load with
the key of ``--key-file`` or ``TRACELAB_KEY``; the page shows people only as counts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from tracelab.cli.options import add_region_option
from tracelab.cli.trace import add_key_option

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``brief`` sub-command."""
    p = subparsers.add_parser(
        "brief", help="command-HQ briefing: one self-contained HTML page",
        description="Trace every case reported by the briefing time, rank contacts and "
        "venues, draw risk areas and write one offline HTML page (Chinese by default), a "
        "JSON summary beside it for the next --since, and optionally a PDF.")
    p.add_argument("--data", type=Path, required=True,
                   help="data folder with venues.*, scans.*, cases.* (townships.geojson, "
                   "persons.* and manifest.json are used when present)")
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument("--since", type=Path, default=None, metavar="PREVIOUS.json",
                   help="summary of a previous briefing: show what changed")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help="rule preset or rule id (default twenty)")
    p.add_argument("--as-of", default=None,
                   help="briefing time with zone, e.g. '2022-12-01T08:00+08:00' (default: "
                   "end of a synthetic period, else the last record)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (default zh)")
    p.add_argument("--pdf", action="store_true", help="also write a PDF (headless Chromium)")
    add_key_option(p)
    add_region_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the briefing; return 0."""
    from tracelab.briefing import load_briefing, write_briefing
    from tracelab.cli.trace import cli_key

    as_of = None
    if args.as_of is not None:
        as_of = pd.Timestamp(args.as_of)
        if as_of.tz is None:
            raise ValueError(f"--as-of {args.as_of!r} has no zone; add one, e.g. "
                             f"{args.as_of}+08:00")
    if args.since is not None and not args.since.is_file():
        raise FileNotFoundError(f"--since {args.since}: no such file")
    if args.pdf:
        # Fail before the minutes of work, not after.
        from tracelab.briefing.pdf import find_chromium

        find_chromium()
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise ValueError("--pdf needs Playwright: pip install playwright") from None
    key = cli_key(args.key_file)
    b = load_briefing(args.data, key=key, rule=args.regime, as_of=as_of, region=args.region)
    paths = write_briefing(b, args.out, since=args.since, lang=args.lang, pdf=args.pdf)
    h = b.headline
    print(f"briefing of {b.county or args.data} as of {b.as_of.tz_convert(b.zone):%Y-%m-%d %H:%M} "
          f"({b.zone}) "
          f"(rule {b.rule.rule_id}): {h['cases']} cases, {h['contacts']:,} people exposed at "
          f"{h['venues']} venues, {h['areas']['high'] + h['areas']['medium']} high/medium "
          f"risk areas -> {', '.join(str(p) for p in paths.values())}")
    return 0
