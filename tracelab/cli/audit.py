"""``tracelab audit --store FILE [--verify] [--anchor SEQ:HASH] [--adopt]``: list and verify the audit log.

The log is verified against its hash chain and, by default, against the anchor file
beside the store (:func:`tracelab.privacy.audit.audit_status`). Exit status 0 when
intact, 1 when broken or unverifiable (an edited, cut, rebuilt or forged log; a missing
or mismatched anchor), 2 for a missing file, a file that is not a tracelab store or a
malformed ``--anchor``; environment errors (a store held by another process) are raised
as ``OSError`` for the command line to report (exit 3).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab.io.store import open_store
from tracelab.privacy.audit import (
    ANCHOR_SUFFIX,
    AuditStatus,
    adopt_anchor,
    audit_status,
    read_audit,
)

__all__ = ["register", "run"]

_EPILOG = (
    f"Every append also writes an anchor file beside the store (FILE{ANCHOR_SUFFIX}: the "
    "number of rows and the newest entry, with an HMAC when TRACELAB_KEY is set), checked "
    "by default. Detected while the anchor file is intact: an entry edited, deleted or "
    "reordered; the newest entries cut off; every row deleted; the table dropped and "
    "re-created; the whole chain rebuilt after an edit; an entry added without tracelab; "
    "the anchor file deleted ('anchor missing', also said of stores written before "
    "anchors) or garbled; with a keyed anchor and the key, the anchor rewritten without "
    "the key. NOT detected: the log and the anchor file rewritten together (by anyone who "
    "may write the folder when the anchor is unkeyed, by a holder of the key when it is "
    "keyed); the log rolled back together with an older copy of its anchor file; every "
    "row deleted together with the anchor file (that is a new, empty store). A SEQ:HASH "
    "printed by --verify and kept elsewhere, passed back with --anchor, detects those for "
    "every entry up to it. A crash between an append's commit and its anchor update is "
    "reported as 'pending', not as a break.")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``audit`` sub-command."""
    p = subparsers.add_parser(
        "audit", help="list the log of person-level queries and verify it against its anchor",
        description="Print the audit log of a store (who, when, purpose, query, counts) and "
        "check its hash chain and its anchor file. Exit status 0 when intact; 1 when an "
        "entry was edited, deleted, reordered, cut off or forged, or the anchor is missing "
        "or does not match; 2 when the file is missing or not a tracelab store, or --anchor "
        "is malformed; 3 when another process holds the store or the system refuses access.",
        epilog=_EPILOG)
    p.add_argument("--store", type=Path, required=True, help="tracelab database file")
    p.add_argument("--verify", action="store_true",
                   help="only verify the log and print its head hash")
    p.add_argument("--anchor", default=None, metavar="SEQ:HASH",
                   help="head printed by an earlier --verify, kept outside the store: also "
                   "detects a log rewritten or rolled back together with its anchor file, "
                   "at or before that entry")
    p.add_argument("--last", type=int, default=None, metavar="N",
                   help="list only the last N entries")
    p.add_argument("--adopt", action="store_true",
                   help="re-anchor a log whose anchor is missing (a store from before "
                   "anchors) or does not match, after you have checked why; logs an "
                   "'ops:audit-anchor' entry saying so. Needs TRACELAB_KEY if the old "
                   "anchor was keyed")
    p.add_argument("--who", default=None, help="operator logged with --adopt (default: login)")
    p.set_defaults(func=run)


def _report(status: AuditStatus, anchor: str | None) -> int:
    for note in status.notes:
        print(f"note: {note}")
    if status.problem is not None:
        seq, reason = status.problem
        if status.anchor == "missing":
            print(f"audit log UNVERIFIED: {reason}")
        else:
            print(f"audit chain BROKEN at entry {seq}: {reason}")
        return 1
    keyed = " (keyed)" if status.keyed else " (unkeyed)" if status.keyed is False else ""
    state = {"none": "none yet, the log is empty", "pending": "pending, see the note"}.get(
        status.anchor, status.anchor)
    print(f"audit chain intact: {status.entries} entries, head {status.head or '(empty)'}"
          + (" (anchor matches)" if anchor else ""))
    if status.anchor_file is not None:
        print(f"anchor file {status.anchor_file}: {state}{keyed}")
    return 0


def run(args: argparse.Namespace) -> int:
    """List and verify the audit log; return 1 if it is broken or unverified, else 0."""
    if not args.store.is_file():
        raise FileNotFoundError(f"--store {args.store}: no such database file")
    if args.adopt:
        if args.anchor is not None:
            raise ValueError(f"--anchor {args.anchor}: check a kept head in a run of its own, "
                             "before or after --adopt")
        entry = adopt_anchor(args.store, who=args.who)
        print(f"anchor adopted: entry {entry['seq']} logs it ({entry['query']})")
    with open_store(args.store, read_only=True) as store:
        status = audit_status(store, args.anchor)
        log = read_audit(store) if not args.verify else None
    if log is not None:
        shown = log if args.last is None else log.tail(max(args.last, 0))
        for row in shown.itertuples(index=False):
            print(f"{row.seq:>6}  {row.at:%Y-%m-%dT%H:%M:%SZ}  {row.who}  {row.purpose}  "
                  f"{row.query}  {row.counts}  {row.hash[:12]}")
    return _report(status, args.anchor)
