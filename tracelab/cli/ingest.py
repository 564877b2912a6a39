"""``tracelab ingest``: build a county store from a data folder, or append a day to it.

``tracelab ingest --data DIR --store PATH`` reads, checks and pseudonymises the folder once
and writes the store (docs/store.md): its tables, the visits of every dwell assumption
the rule presets use and the engine's index, memory-mapped by ``trace --store`` and
``sources --store``. ``tracelab ingest --store PATH --append DAY`` adds a day's folder
(scans, cases, venue changes), rebuilding only what the day touches. Progress goes to
stderr, the summary to stdout; a crash leaves the previous generation of the store.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from tracelab.cli.options import (
    add_lang_option,
    add_log_options,
    add_region_option,
    log_kwargs,
    say,
)
from tracelab.cli.trace import add_key_option, cli_key

__all__ = ["register", "run"]

_LINES = {
    "reading": ("[{t:5.1f} 秒] 正在读取 {table}（{source}）…", "[{t:5.1f} s] reading {table} ({source}) …"),
    "read": ("[{t:5.1f} 秒] {table}：已读 {read:,} 行，检查中…",
             "[{t:5.1f} s] {table}: {read:,} rows read; checking them …"),
    "merging": ("[{t:5.1f} 秒] {table}：{accepted:,} 行通过检查，拒收 {rejected:,}；合并重复扫码…",
                "[{t:5.1f} s] {table}: {accepted:,} rows pass the checks, {rejected:,} rejected; "
                "merging repeat scans …"),
    "loaded": ("[{t:5.1f} 秒] 读取 {table}：{read:,} 行，接受 {accepted:,}，拒收 {rejected:,}",
               "[{t:5.1f} s] read {table}: {read:,} rows, accepted {accepted:,}, rejected "
               "{rejected:,}"),
    "pseudonymised": ("[{t:5.1f} 秒] 已假名化：{people:,} 人", "[{t:5.1f} s] pseudonymised: "
                      "{people:,} people"),
    "visits": ("[{t:5.1f} 秒] 到访与索引（{rule} 的停留假设）：{visits:,} 次到访",
               "[{t:5.1f} s] visits and index under {rule}'s dwell assumption: {visits:,} "
               "visits"),
    "written": ("[{t:5.1f} 秒] 第 {generation} 代的索引文件已写入", "[{t:5.1f} s] index files of "
                "generation {generation} written"),
    "database": ("[{t:5.1f} 秒] 写入数据库：{scans:,} 条扫码、{visits:,} 次到访…",
                 "[{t:5.1f} s] writing the database: {scans:,} scans, {visits:,} visits …"),
    "committed": ("[{t:5.1f} 秒] 数据库已提交，切换到第 {generation} 代",
                  "[{t:5.1f} s] database committed, switched to generation {generation}"),
    "done": ("库 {store}：第 {generation} 代，{scans:,} 条扫码、{people:,} 人、{cases:,} 名病例、"
             "{days} 天（{first} 至 {last}），{keys} 种停留假设已建索引（{seconds:.1f} 秒）",
             "store {store}: generation {generation}, {scans:,} scans, {people:,} people, "
             "{cases:,} cases, {days} day(s) ({first} to {last}), {keys} dwell assumptions "
             "indexed ({seconds:.1f} s)"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` sub-command."""
    p = subparsers.add_parser(
        "ingest", help="build a county store from a data folder, or append a day to it",
        description="Read, check and pseudonymise a data folder once and write a county "
        "store: a folder with the county's database (tables, visits, follow-up and audit "
        "log) and the exposure engine's index, memory-mapped by `trace --store` and "
        "`sources --store`. With --append, add a day's scans, cases and venue changes, "
        "rebuilding only what the day touches. A crash leaves the store's previous "
        "generation whole (docs/store.md).")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, default=None,
                       help="data folder with venues.*, scans.*, cases.* to build the store "
                       "from (an existing store gets a new generation; its audit log and "
                       "follow-up records stay)")
    where.add_argument("--append", type=Path, default=None, metavar="DIR",
                       help="folder of a new day: scans.*, and cases.* or venues.* (changed "
                       "or new venues) when there are any")
    p.add_argument("--store", type=Path, required=True, metavar="PATH",
                   help="the store folder (created by the first ingest)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future' checks on load, with zone "
                   "(default: now)")
    add_key_option(p)
    add_region_option(p)
    add_log_options(p)
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build or append; print progress on stderr and the summary; return 0."""
    from tracelab.index.county import open_county
    from tracelab.index.county_build import ingest_county
    from tracelab.index.county_update import append_day

    lang = args.lang
    key = cli_key(args.key_file, lang=lang)
    started = time.perf_counter()

    def progress(stage: str, fields: Any) -> None:
        if stage in _LINES:
            print(say(_LINES, stage, lang, t=time.perf_counter() - started, **fields),
                  file=sys.stderr, flush=True)

    how = log_kwargs(args)
    if args.data is not None:
        ingest_county(args.data, args.store, key=key, now=args.now, region=args.region,
                      progress=progress, **how)
    else:
        append_day(args.store, args.append, key=key, now=args.now, profile=how["profile"],
                   columns=how["columns"], progress=progress)
    county = open_county(args.store)
    counts, days = county.meta.get("counts", {}), sorted(county.meta.get("days", {}))
    print(say(_LINES, "done", lang, store=args.store, generation=county.generation,
              scans=counts.get("scans", 0), people=counts.get("people", 0),
              cases=counts.get("cases", 0), days=len(days),
              first=days[0] if days else "…", last=days[-1] if days else "…",
              keys=len(county.meta.get("graphs", [])),
              seconds=time.perf_counter() - started))
    return 0
