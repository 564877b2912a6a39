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

from tracelab._i18n import render
from tracelab.cli.options import add_lang_option, say
from tracelab.io.county_store import database_path, is_county_store
from tracelab.io.store import open_store
from tracelab.privacy.audit import (
    ANCHOR_SUFFIX,
    AuditStatus,
    adopt_anchor,
    audit_status,
    read_audit,
)

__all__ = ["register", "run"]

#: What audit prints, Chinese and English; the library's reasons and notes are messages
#: (:func:`tracelab._i18n.msg`), shown in the same language.
_LINES = {
    "note": ("注意：{note}", "note: {note}"),
    "unverified": ("审计日志无法核验：{reason}", "audit log UNVERIFIED: {reason}"),
    "broken": ("审计链在第 {seq} 条断裂：{reason}", "audit chain BROKEN at entry {seq}: {reason}"),
    "intact": ("审计链完好：共 {entries} 条，链头 {head}", "audit chain intact: {entries} entries, "
               "head {head}"),
    "empty": ("（空）", "(empty)"),
    "matches": ("（与 --anchor 一致）", " (anchor matches)"),
    "anchor_file": ("锚点文件 {path}：{state}{keyed}", "anchor file {path}: {state}{keyed}"),
    "none": ("尚无，日志为空", "none yet, the log is empty"),
    "pending": ("待定，见上面的注意", "pending, see the note"),
    "keyed": ("（带密钥）", " (keyed)"),
    "unkeyed": ("（无密钥）", " (unkeyed)"),
    "adopted": ("已重新锚定：第 {seq} 条记录了此操作（{query}）",
                "anchor adopted: entry {seq} logs it ({query})"),
    "no_store": ("--store {path}：数据库文件不存在", "--store {path}: no such database file"),
    "state_matches": ("一致", "matches"),
    "state_in-memory": ("内存数据库，无锚点文件", "in-memory"),
    "adopt_anchor": ("--anchor {anchor}：请在 --adopt 之前或之后单独运行一次来核对保存的链头",
                     "--anchor {anchor}: check a kept head in a run of its own, before or "
                     "after --adopt"),
}

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
    p.add_argument("--store", type=Path, required=True,
                   help="tracelab database file, or a county store folder (tracelab ingest)")
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
    add_lang_option(p)
    p.set_defaults(func=run)


def _report(status: AuditStatus, anchor: str | None, lang: str = "en") -> int:
    for note in status.notes:
        print(say(_LINES, "note", lang, note=render(note, lang)))
    if status.problem is not None:
        seq, reason = status.problem[0], render(status.problem[1], lang)
        if status.anchor == "missing":
            print(say(_LINES, "unverified", lang, reason=reason))
        else:
            print(say(_LINES, "broken", lang, seq=seq, reason=reason))
        return 1
    keyed = (say(_LINES, "keyed", lang) if status.keyed
             else say(_LINES, "unkeyed", lang) if status.keyed is False else "")
    state = (say(_LINES, status.anchor, lang) if status.anchor in ("none", "pending")
             else say(_LINES, f"state_{status.anchor}", lang)
             if f"state_{status.anchor}" in _LINES else status.anchor)
    print(say(_LINES, "intact", lang, entries=status.entries,
              head=status.head or say(_LINES, "empty", lang))
          + (say(_LINES, "matches", lang) if anchor else ""))
    if status.anchor_file is not None:
        print(say(_LINES, "anchor_file", lang, path=status.anchor_file, state=state,
                  keyed=keyed))
    return 0


def run(args: argparse.Namespace) -> int:
    """List and verify the audit log; return 1 if it is broken or unverified, else 0."""
    lang = args.lang
    if is_county_store(args.store):  # the county's one home holds its audit log
        args.store = database_path(args.store)
    if not args.store.is_file():
        raise FileNotFoundError(say(_LINES, "no_store", lang, path=args.store))
    if args.adopt:
        if args.anchor is not None:
            raise ValueError(say(_LINES, "adopt_anchor", lang, anchor=args.anchor))
        entry = adopt_anchor(args.store, who=args.who)
        print(say(_LINES, "adopted", lang, seq=entry["seq"], query=entry["query"]))
    with open_store(args.store, read_only=True) as store:
        status = audit_status(store, args.anchor)
        log = read_audit(store) if not args.verify else None
    if log is not None:
        shown = log if args.last is None else log.tail(max(args.last, 0))
        for row in shown.itertuples(index=False):
            print(f"{row.seq:>6}  {row.at:%Y-%m-%dT%H:%M:%SZ}  {row.who}  {row.purpose}  "
                  f"{row.query}  {row.counts}  {row.hash[:12]}")
    return _report(status, args.anchor, lang)
