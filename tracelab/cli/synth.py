"""``tracelab synth``: write a synthetic county with an outbreak and its ground truth."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from tracelab.cli.options import add_lang_option, add_region_option, region_arg, say
from tracelab.synth.county import DEFAULT_REGION

__all__ = ["register", "run"]

_LINES = {
    "done": ("已生成合成县 -> {out}：{persons:,} 人，{venues:,} 个场所，{scans:,} 条扫码记录，"
             "{infections:,} 例感染，{cases:,} 名报告病例",
             ""),  # English: the JSON line of before
    "exit_scans": ("--exit-scans 须在 [0, 1] 之间，收到 {v}",
                   "--exit-scans must lie in [0, 1], got {v}"),
    "population": ("--population 至少为 50，收到 {v}", "--population must be at least 50, got {v}"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``synth`` sub-command."""
    p = subparsers.add_parser(
        "synth", help="write a synthetic county (venues, persons, scans, cases, truth)",
        description="Generate a synthetic county on a region's townships and outline, with a "
                    "seeded outbreak and its ground truth. Same seed, byte-identical files.")
    p.add_argument("--population", type=int, default=5000, help="residents (default 5000)")
    p.add_argument("--days", type=int, default=14, help="days simulated (default 14)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="table format (default parquet)")
    p.add_argument("--exit-scans", type=float, default=0.0, metavar="SHARE",
                   help="share of venues with exit scans, 0-1 (default 0)")
    p.add_argument("--index-cases", type=int, default=None,
                   help="people infected before day 0 (default 3)")
    p.add_argument("--start", default="2022-11-18", help="first local day (default 2022-11-18)")
    add_region_option(p, default_help=f"{DEFAULT_REGION}, the sample county's")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_lang_option(p, help="language of the summary (default zh; en prints the summary as "
                    "one JSON line)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate and write; print a one-line summary. Returns the exit status."""
    from tracelab.synth import OutbreakParams, generate

    lang = args.lang
    if not 0.0 <= args.exit_scans <= 1.0:
        raise ValueError(say(_LINES, "exit_scans", lang, v=args.exit_scans))
    if args.population < 50:
        raise ValueError(say(_LINES, "population", lang, v=args.population))
    outbreak = OutbreakParams()
    if args.index_cases is not None:
        outbreak = replace(outbreak, index_cases=args.index_cases)
    county = generate(args.population, days=args.days, seed=args.seed, start=args.start,
                      exit_scan_share=args.exit_scans, outbreak=outbreak,
                      progress=False if args.no_progress else None,
                      region=region_arg(args.region) if args.region else DEFAULT_REGION)
    folder = county.write(args.out, fmt=args.format)
    counts = county.manifest["counts"]
    summary = {"out": str(folder), "persons": counts["persons"], "venues": counts["venues"],
               "scans": counts["scans"], "infections": counts["infections"],
               "cases": counts["cases"]}
    print(json.dumps(summary, ensure_ascii=False) if lang == "en"
          else say(_LINES, "done", lang, **summary), file=sys.stdout)
    return 0
