"""``tracelab layout``: write a data folder as the Parquet layout both engines read.

Person ids are pseudonymised on load, as for ``trace``; the layout (DESIGN §5,
:mod:`tracelab.io.layout`) then holds pseudonyms only and can be copied to a cluster.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab._atomic import atomic_path
from tracelab.cli.options import add_lang_option, add_region_option, say
from tracelab.cli.trace import add_key_option, cli_key, households, read_pseudonymised
from tracelab.index.presence import visits
from tracelab.io.layout import write_layout, write_visits
from tracelab.model import schema as s
from tracelab.model.rules import PRESETS, as_rule

__all__ = ["register", "run"]

_LINES = {
    "done": ("{scans:,} 条扫码记录（{people:,} 人）、{venues:,} 个场所、{cases:,} 名病例 -> {out}"
             "（已假名化；访问记录：{visits}）",
             "{scans:,} scans of {people:,} people, {venues:,} venues and {cases:,} cases -> "
             "{out} (pseudonymised; visits for {visits})"),
    "none": ("无", "none"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``layout`` sub-command."""
    p = subparsers.add_parser(
        "layout", help="write a data folder as the Parquet layout (for --engine spark)",
        description="Load DIR, pseudonymise person ids, and write venues, cases, the household "
        "roster and scans partitioned by local day into OUT; with --visits, also the visits of each rule's "
        "dwell assumption (otherwise --engine spark builds them with a Spark job).")
    p.add_argument("--data", type=Path, required=True, help="data folder to convert")
    p.add_argument("--out", type=Path, required=True, help="layout folder to write")
    p.add_argument("--visits", action="append", default=[], metavar="RULE",
                   help=f"also build visits under this rule ({', '.join(PRESETS)}); repeatable")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future' checks on load (default: now)")
    add_key_option(p)
    add_region_option(p)
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the layout; return 0."""
    rules = [as_rule(name) for name in args.visits]
    lang = args.lang
    key = cli_key(args.key_file, lang=lang)
    data = read_pseudonymised(args.data, key, now=args.now, region=args.region)
    args.out.mkdir(parents=True, exist_ok=True)
    roster = households(args.data, key)
    if roster is not None:  # only ids: names, phones and ID numbers stay behind
        with atomic_path(args.out / "persons.parquet") as tmp:
            roster.to_parquet(tmp, index=False)
    for r in {r.dwell: r for r in rules}.values():
        write_visits(args.out, visits(data.scans, data.venues, r), r.dwell)
    # Last, as its manifest marks a whole layout.
    write_layout(args.out, data.venues, data.scans, data.cases)
    print(say(_LINES, "done", lang, scans=len(data.scans),
              people=data.scans[s.PERSON_ID].nunique(), venues=len(data.venues),
              cases=len(data.cases), out=args.out,
              visits=", ".join(sorted({r.dwell for r in rules})) or say(_LINES, "none", lang)))
    return 0
