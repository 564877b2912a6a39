"""``tracelab trace`` and ``tracelab sources``: forward and backward tracing of a data folder."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from tracelab import schema as s
from tracelab.audit import record_query, require_purpose
from tracelab.backward import SOURCE_KIND, sources
from tracelab.exports import write_csv
from tracelab.exposure import trace
from tracelab.graph import VisitGraph
from tracelab.ids import mask_id
from tracelab.io import read_dir
from tracelab.rules import PRESETS, as_rule

__all__ = ["register", "run_trace", "run_sources"]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True,
                   help="data folder with venues.*, scans.*, cases.*")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help=f"rule preset ({', '.join(PRESETS)}) or a rule id such as "
                   "'twenty(lingering_minutes=30)' (default twenty)")
    p.add_argument("--as-of", default=None,
                   help="trace time with zone, e.g. '2022-11-20T08:00+08:00' "
                   "(default: the last exit in the data)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future' checks on load (default: now)")
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.add_argument("--purpose", required=True,
                   help="the case or investigation this query serves, e.g. case:LX-017 or "
                   "inv:2022-11-cluster-3; logged with the query (DOMAIN.md section 10)")
    p.add_argument("--audit", type=Path, default=None,
                   help="DuckDB store holding the audit log (default DIR/tracelab.duckdb)")
    p.add_argument("--who", default=None, help="the analyst, for the audit log")


def _audit(args: argparse.Namespace, query: str, counts: dict[str, int]) -> None:
    """Append the query to the hash-chained audit log of the store."""
    record_query(args.audit or args.data / "tracelab.duckdb", who=args.who,
                 purpose=args.purpose, query=query, counts=counts)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``trace`` and ``sources`` sub-commands."""
    p = subparsers.add_parser(
        "trace", help="who shared a venue with the cases while they were infectious",
        description="Load DIR, build the visit graph under the rule's dwell assumption and "
        "write the exposures table (DESIGN.md section 4) of the given cases.")
    _common(p)
    p.add_argument("--case", action="append", required=True, metavar="ID",
                   help="person_id of a case in cases.*; repeat for several")
    p.add_argument("--hops", type=int, choices=(1, 2), default=None,
                   help="2 also traces hop-1 contacts (default: 2 under ninth, else 1)")
    p.set_defaults(func=run_trace)
    q = subparsers.add_parser(
        "sources", help="where a case could have been infected (backward tracing)",
        description="Rank the known cases and venues a case could have been infected from, "
        "inside its incubation window.")
    _common(q)
    q.add_argument("--case", required=True, metavar="ID", help="person_id of the case")
    q.set_defaults(func=run_sources)


def _as_of(text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    stamp = pd.Timestamp(text)
    if stamp.tz is None:
        raise ValueError(f"--as-of {text!r} has no zone; add one, e.g. {text}+08:00")
    return stamp


def _cases(cases: pd.DataFrame, wanted: list[str], folder: Path) -> pd.DataFrame:
    ids = cases[s.PERSON_ID].astype(str)
    missing = [c for c in dict.fromkeys(wanted) if c not in set(ids)]
    if missing:
        raise ValueError(f"{folder}: case(s) {[mask_id(m) for m in missing]} not in cases.*; "
                         "give person_id values from the cases table")
    return cases[ids.isin(set(wanted))].reset_index(drop=True)


def run_trace(args: argparse.Namespace) -> int:
    """Write the exposures of ``args.case``; return 0."""
    require_purpose(args.purpose)
    r = as_rule(args.regime)
    data = read_dir(args.data, now=args.now)
    chosen = _cases(data.cases, args.case, args.data)
    graph = VisitGraph.from_scans(data.scans, data.venues, r)
    exposures = trace(graph, chosen, r, args.hops, as_of=_as_of(args.as_of))
    write_csv(exposures, args.out)
    _audit(args, f"trace cases={len(chosen)} rule={r.rule_id} hops={args.hops or 'default'}",
           {"cases": len(chosen), "contacts": int(exposures[s.CONTACT_ID].nunique()),
            "rows": len(exposures)})
    print(f"{len(exposures):,} exposure row(s) of {len(chosen)} case(s): "
          f"{exposures[s.CONTACT_ID].nunique():,} people at {exposures[s.VENUE_ID].nunique():,} "
          f"venue(s) under rule {r.rule_id} -> {args.out}")
    return 0


def run_sources(args: argparse.Namespace) -> int:
    """Write the ranked candidate sources of ``args.case``; return 0."""
    require_purpose(args.purpose)
    r = as_rule(args.regime)
    data = read_dir(args.data, now=args.now)
    _cases(data.cases, [args.case], args.data)
    graph = VisitGraph.from_scans(data.scans, data.venues, r)
    ids = data.cases[s.PERSON_ID].astype(str)
    case = data.cases[s.PERSON_ID][ids == args.case].iloc[0]
    ranked = sources(graph, case, r, cases=data.cases, as_of=_as_of(args.as_of))
    write_csv(ranked, args.out)
    n_cases = int((ranked[SOURCE_KIND] == "case").sum()) if len(ranked) else 0
    _audit(args, f"sources case=1 rule={r.rule_id}", {"cases": 1, "rows": len(ranked)})
    print(f"{n_cases} candidate case(s) and {len(ranked) - n_cases} venue(s) ranked under "
          f"rule {r.rule_id} -> {args.out}")
    return 0
