"""``tracelab chains``: the chains of transmission of a data folder as one offline HTML page.

The folder is loaded and traced as ``tracelab brief`` does (person ids pseudonymised on
load with the key of ``--key-file`` or ``TRACELAB_KEY``), so the page shows the network of
the briefing: cases labelled by pseudonym prefix, the venues that link them, contacts
counted per venue. ``--contacts`` draws every contact as a node of their own: a
person-level query, which needs ``--purpose`` and leaves one entry in the audit log.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tracelab.cli.options import add_lang_option, add_region_option, output, say, zoned
from tracelab.cli.trace import add_key_option, cli_key

if TYPE_CHECKING:
    from tracelab.analysis.chains import ChainNetwork

__all__ = ["register", "run"]

_LINES = {
    "done": ("传播链（截至 {as_of}，{zone}；规则 {rule}）：{cases} 名病例，{clusters} 条传播链"
             "（最大 {largest} 例），{venues} 个场所，{contacts:,} 名接触者{shown}，"
             "{impossible} 条时间上不可能的关系 -> {out}",
             "chains as of {as_of} ({zone}) (rule {rule}): {cases} cases in {clusters} "
             "cluster(s) (largest {largest}), {venues} venues, {contacts:,} contacts{shown}, "
             "{impossible} link(s) impossible in time -> {out}"),
    "each": ("（逐人显示，已记入审计）", " (one node each, audited)"),
    "counted": ("（按场所合计）", " (counted per venue)"),
    "purpose_alone": ("--purpose 只用于 --contacts（逐人显示接触者的人员级查询）；不逐人显示时"
                      "无需用途，也不记审计",
                      "--purpose goes with --contacts (the person-level contact layer); "
                      "without it no purpose is needed and nothing is logged"),
    "title": ("{county} 截至 {as_of}（规则 {rule}）", "{county} as of {as_of} (rule {rule})"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``chains`` sub-command."""
    p = subparsers.add_parser(
        "chains", help="chains of transmission: cases, infectors, venues, as an HTML network",
        description="Load and trace DIR as `tracelab brief` does, then draw which case likely "
        "infected which (clusters and their likeliest infector tree), through which venue, "
        "with the links impossible in time marked, as one offline interactive HTML page "
        "(Chinese by default). Contacts are counted per venue; --contacts draws each one "
        "(a person-level query: needs --purpose, logged in the audit table).")
    p.add_argument("--data", type=Path, required=True,
                   help="data folder with venues.*, scans.*, cases.*")
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help="rule preset or rule id (default twenty)")
    p.add_argument("--as-of", default=None,
                   help="time with zone, e.g. '2022-12-01T08:00+08:00' (default: end of a "
                   "synthetic period, else the last record)")
    p.add_argument("--contacts", action="store_true",
                   help="one node per exposed contact (person-level: needs --purpose)")
    p.add_argument("--purpose", default=None,
                   help="with --contacts: the case or investigation this query serves, e.g. "
                   "case:LX-017 or inv:2022-11-cluster-3; logged with the query")
    p.add_argument("--audit", type=Path, default=None,
                   help="DuckDB store holding the audit log (default DIR/tracelab.duckdb)")
    p.add_argument("--who", default=None, help="the analyst, for the audit log")
    add_key_option(p)
    add_region_option(p)
    add_lang_option(p, help="language of the page and of messages (default zh)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the page; return 0."""
    from tracelab._atomic import write_text
    from tracelab.analysis.chains import NODE_KIND, chain_contacts, chain_network
    from tracelab.briefing import load_briefing
    from tracelab.briefing.network_svg import network_page
    from tracelab.model import schema as s
    from tracelab.privacy.audit import require_purpose

    lang = args.lang
    # Everything that can be refused is refused before minutes of loading.
    if args.contacts:
        require_purpose(args.purpose)
    elif args.purpose is not None:
        raise ValueError(say(_LINES, "purpose_alone", lang))
    output(args.out, formats=(".html",), lang=lang)
    as_of = zoned(args.as_of, "--as-of", lang)
    key = cli_key(args.key_file, lang=lang)
    b = load_briefing(args.data, key=key, rule=args.regime, as_of=as_of, region=args.region)
    when = f"{b.as_of.tz_convert(b.zone):%Y-%m-%d %H:%M}"
    title = say(_LINES, "title", lang, county=b.county, as_of=when, rule=b.rule.rule_id)

    def page(net: ChainNetwork) -> Path:
        return write_text(args.out, network_page(net, lang=lang, zone=b.zone, title=title))

    tables = (b.exposures, b.cases, b.venues)
    if args.contacts:
        # The page is in place before the query is logged, and removed if it cannot be.
        net = chain_contacts(*tables, rule=b.rule, zone=b.zone, purpose=args.purpose,
                             audit=args.audit or args.data / "tracelab.duckdb", who=args.who,
                             deliver=page)
    else:
        net = chain_network(*tables, rule=b.rule, zone=b.zone)
        page(net)
    kinds = net.nodes[NODE_KIND]
    ex = b.exposures[b.exposures[s.HOP] == 1] if s.HOP in b.exposures else b.exposures
    contacts = set(ex[s.CONTACT_ID]) - set(b.cases[s.PERSON_ID])
    print(say(_LINES, "done", lang, as_of=when, zone=b.zone, rule=b.rule.rule_id,
              cases=int((kinds == "case").sum()), clusters=len(net.clusters),
              largest=int(net.clusters[s.CLUSTER_SIZE].max()) if len(net.clusters) else 0,
              venues=int((kinds == "venue").sum()), contacts=len(contacts),
              shown=say(_LINES, "each" if args.contacts else "counted", lang),
              impossible=int((net.edges[s.SEVERITY] == "impossible").sum()), out=args.out))
    return 0
