"""``tracelab purge --store FILE --older-than DAYS``: delete scans past the retention period."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab.governance.retention import SCAN_RETENTION_DAYS, purge

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``purge`` sub-command."""
    p = subparsers.add_parser(
        "purge", help="delete scans older than the retention period and report what went",
        description="Delete scans whose entry time is more than DAYS days before now, print "
        "how many were removed per local day, and log the purge in the audit table, in the "
        "same transaction: after a crash both happened or neither. Refused, deleting "
        "nothing, when the audit log does not match its anchor (see tracelab audit).")
    p.add_argument("--store", type=Path, required=True, help="tracelab database file")
    p.add_argument("--older-than", type=int, default=SCAN_RETENTION_DAYS, metavar="DAYS",
                   help=f"retention period in days (default {SCAN_RETENTION_DAYS}, DOMAIN.md "
                   "section 11.5); 0 removes every scan before now")
    p.add_argument("--now", default=None,
                   help="reference time with zone, e.g. 2022-12-01T00:00+08:00 (default: now)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Purge the store; return 0."""
    if not args.store.is_file():
        raise FileNotFoundError(f"--store {args.store}: no such database file")
    done = purge(args.store, args.older_than, args.now)
    for day, n in done.removed_by_day.items():
        print(f"  {day}  {n:>10,}")
    print(f"purged scans before {done.cutoff.isoformat()}: {done.before:,} before, "
          f"{done.removed:,} removed, {done.kept:,} kept")
    return 0
