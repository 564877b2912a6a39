"""``tracelab pairs``: every co-present pair of a population, as a Parquet edge list."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

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
from tracelab.cli.trace import add_key_option, cli_key, require_scans
from tracelab.index.graph import VisitGraph
from tracelab.io import pseudonymise_data, read_dir
from tracelab.io.exports import write_table
from tracelab.model import schema as s
from tracelab.model.rules import PRESETS, as_rule
from tracelab.privacy.audit import require_purpose
from tracelab.tracing.audited_verbs import copresence

__all__ = ["register", "run"]

_LINES = {
    "done": ("{n:,} 对同时在场者，涉及 {people:,} 人（规则 {rule}）-> {out}",
             "{n:,} co-present pair(s) among {people:,} people under rule {rule} -> {out}"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``pairs`` sub-command."""
    p = subparsers.add_parser(
        "pairs", help="every co-present pair of a population (a contact network)",
        description="Load DIR, pseudonymise person ids, and write every pair of people who "
        "were at one venue at one time under the rule, with their total overlap, as a "
        "Parquet edge list (person_a, person_b, overlap_minutes, n_overlaps, first_at). "
        "Equal to tracing every person; the query is logged in the audit table.")
    p.add_argument("--data", type=Path, required=True, help="data folder")
    p.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help=f"a symmetric rule preset ({', '.join(PRESETS)}; not cwa) or rule id "
                   "(default twenty; same_day for date-only sources)")
    p.add_argument("--since", default=None, help="start of the period, with zone")
    p.add_argument("--until", default=None, help="end of the period, with zone")
    p.add_argument("--min-overlap", type=float, default=None, metavar="MINUTES",
                   help="keep overlaps of at least this many minutes (default: the rule's)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future' checks on load (default: now)")
    add_audit_options(p, "the investigation or study this serves, e.g. inv:2022-11-network")
    add_key_option(p)
    add_region_option(p)
    add_log_options(p)
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the edge list; return 0."""
    lang = args.lang
    require_purpose(args.purpose)
    output(args.out, formats=(".parquet", ".csv"), lang=lang)
    r = as_rule(args.regime)
    since, until = zoned(args.since, "--since", lang), zoned(args.until, "--until", lang)
    key = cli_key(args.key_file, lang=lang)
    data = pseudonymise_data(read_dir(args.data, now=args.now, region=args.region,
                                      **log_kwargs(args)), key)
    require_scans(data, since, until, lang)
    zone = data.region.zone if data.region is not None else s.DEFAULT_ZONE
    graph = VisitGraph.from_scans(data.scans, data.venues, r, zone=args.zone or zone)
    edges = copresence(graph, r, since=since, until=until,
                       min_overlap_minutes=args.min_overlap, purpose=args.purpose,
                       audit=args.audit or args.data / "tracelab.duckdb", who=args.who,
                       deliver=lambda frame: write_table(frame, args.out))
    people = pd.concat([edges[s.PERSON_A], edges[s.PERSON_B]]).nunique() if len(edges) else 0
    print(say(_LINES, "done", lang, n=len(edges), people=people, rule=r.rule_id, out=args.out))
    return 0
