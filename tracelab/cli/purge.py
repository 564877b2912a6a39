"""``tracelab purge --store FILE|PATH --older-than DAYS``: delete scans past the retention period.

``--store`` is a database file (its scans and follow-up records before the cutoff go) or a
county store folder built by ``tracelab ingest``, whose whole local days before the cutoff
go from its index and its database alike (:func:`tracelab.index.county_purge.purge_days`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab.cli.options import add_lang_option, say
from tracelab.governance.retention import SCAN_RETENTION_DAYS, purge
from tracelab.io.county_store import is_county_store

__all__ = ["register", "run"]

_LINES = {
    "done": ("已清除 {cutoff} 之前的扫码记录：原有 {before:,}，清除 {removed:,}，保留 {kept:,}",
             "purged scans before {cutoff}: {before:,} before, {removed:,} removed, "
             "{kept:,} kept"),
    "followup": ("已清除 {cutoff} 之前的随访记录 {n:,} 条", "purged {n:,} follow-up records "
                 "before {cutoff}"),
    "no_store": ("--store {path}：数据库文件不存在", "--store {path}: no such database file"),
    "inner_file": ("--store {path}：这是库文件夹 {store} 中的数据库；请清除整个库：--store {store}",
                   "--store {path} is the database of the store folder {store}; purge the store "
                   "as a whole: --store {store}"),
    "generation": ("库已切换到第 {generation} 代；含被清除数据的旧代已删除",
                   "store switched to generation {generation}; the older generations holding "
                   "the purged days are removed"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``purge`` sub-command."""
    p = subparsers.add_parser(
        "purge", help="delete scans and follow-up records older than the retention period",
        description="Delete scans whose entry time is more than DAYS days before now, print "
        "how many were removed per local day, and log the purge in the audit table, in the "
        "same transaction: after a crash both happened or neither. Refused, deleting "
        "nothing, when the audit log does not match its anchor (see tracelab audit).")
    p.add_argument("--store", type=Path, required=True, metavar="FILE|PATH",
                   help="tracelab database file, or a county store folder (`tracelab "
                   "ingest`): its whole local days before the cutoff are purged")
    p.add_argument("--older-than", type=int, default=SCAN_RETENTION_DAYS, metavar="DAYS",
                   help=f"retention period in days (default {SCAN_RETENTION_DAYS}, DOMAIN.md "
                   "section 11.5); 0 removes every scan before now")
    p.add_argument("--now", default=None,
                   help="reference time with zone, e.g. 2022-12-01T00:00+08:00 (default: now)")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Purge the store; return 0."""
    if args.store.is_dir():
        return _purge_folder(args)
    if is_county_store(args.store.parent):
        # Its index would keep the days the database lost.
        raise ValueError(say(_LINES, "inner_file", args.lang, path=args.store,
                             store=args.store.parent))
    if not args.store.is_file():
        raise FileNotFoundError(say(_LINES, "no_store", args.lang, path=args.store))
    done = purge(args.store, args.older_than, args.now)
    for day, n in done.removed_by_day.items():
        print(f"  {day}  {n:>10,}")
    print(say(_LINES, "done", args.lang, cutoff=done.cutoff.isoformat(), before=done.before,
              removed=done.removed, kept=done.kept))
    if done.followup_removed:
        print(say(_LINES, "followup", args.lang, cutoff=done.cutoff.isoformat(),
                  n=done.followup_removed))
    return 0


def _purge_folder(args: argparse.Namespace) -> int:
    """Purge whole old days of a county store folder; return 0."""
    from tracelab.index.county_purge import purge_days

    done = purge_days(args.store, args.older_than, args.now)
    for day, n in done.removed_by_day.items():
        print(f"  {day}  {n:>10,}")
    print(say(_LINES, "done", args.lang, cutoff=done.cutoff.isoformat(), before=done.before,
              removed=done.removed, kept=done.kept))
    if done.followup_removed:
        print(say(_LINES, "followup", args.lang, cutoff=done.cutoff.isoformat(),
                  n=done.followup_removed))
    if done.removed or done.followup_removed:
        print(say(_LINES, "generation", args.lang, generation=done.generation))
    return 0
