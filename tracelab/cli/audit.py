"""``tracelab audit --store FILE [--verify]``: list the audit log and verify its hash chain."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab.io.store import open_store
from tracelab.privacy.audit import audit_problem, read_audit

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``audit`` sub-command."""
    p = subparsers.add_parser(
        "audit", help="list the log of person-level queries and verify its hash chain",
        description="Print the audit log of a store (who, when, purpose, query, counts) and "
        "check its hash chain. Exit status 1 when an entry was edited, deleted or reordered.")
    p.add_argument("--store", type=Path, required=True, help="tracelab database file")
    p.add_argument("--verify", action="store_true",
                   help="only verify the chain and print its head hash")
    p.add_argument("--anchor", default=None, metavar="SEQ:HASH",
                   help="head printed by an earlier --verify, kept outside the store: detects "
                   "a rewritten or cut log")
    p.add_argument("--last", type=int, default=None, metavar="N",
                   help="list only the last N entries")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List and verify the audit log; return 1 if the chain is broken, else 0."""
    if not args.store.is_file():
        raise FileNotFoundError(f"--store {args.store}: no such database file")
    with open_store(args.store, read_only=True) as store:
        log = read_audit(store)
        problem = audit_problem(store, args.anchor)
    if not args.verify:
        shown = log if args.last is None else log.tail(max(args.last, 0))
        for row in shown.itertuples(index=False):
            print(f"{row.seq:>6}  {row.at:%Y-%m-%dT%H:%M:%SZ}  {row.who}  {row.purpose}  "
                  f"{row.query}  {row.counts}  {row.hash[:12]}")
    if problem is not None:
        seq, reason = problem
        print(f"audit chain BROKEN at entry {seq}: {reason}")
        return 1
    head = f"{log['seq'].iloc[-1]}:{log['hash'].iloc[-1]}" if len(log) else "(empty)"
    print(f"audit chain intact: {len(log)} entries, head {head}"
          + (" (anchor matches)" if args.anchor else ""))
    return 0
