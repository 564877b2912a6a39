"""The audit log's anchor file: where it lies, its format and HMAC, and judging a log by it.

Every append to the audit log rewrites ``<store file>.audit-anchor`` (:func:`anchor_path`)
beside the database file: JSON naming the rows of the log and its newest entry, with an
HMAC under the county key when ``TRACELAB_KEY`` is set (:data:`ANCHOR_FORMAT`).
:func:`judge_anchor` compares a log with it. Why the anchor exists, and what it does and
does not detect, is told in :mod:`tracelab.privacy.audit`, which appends, verifies and
adopts with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from tracelab._atomic import write_text
from tracelab._i18n import msg
from tracelab.privacy.audit_chain import GENESIS_HASH, canonical_json
from tracelab.privacy.pseudonyms import KEY_ENV, MissingKeyError, load_key

__all__ = [
    "ANCHOR_SUFFIX",
    "ANCHOR_FORMAT",
    "AuditAnchorError",
    "anchor_path",
    "database_file",
    "anchor_key",
    "Anchor",
    "read_anchor",
    "write_anchor",
    "AnchorState",
    "Verdict",
    "judge_anchor",
]

#: The anchor file of ``t.duckdb`` is ``t.duckdb.audit-anchor``, in the same folder.
ANCHOR_SUFFIX = ".audit-anchor"
#: Value of the anchor's ``format`` field. The anchor is a JSON object with exactly the
#: fields ``format``; ``count``, the rows of the audit table; ``seq`` and ``hash``, the
#: newest entry (0 and :data:`GENESIS_HASH` before the first); ``intent``, null or
#: ``{"seq": seq + 1, "hash": ...}``, the entry an append is about to commit; and ``mac``,
#: null (unkeyed) or the hex HMAC-SHA256 of the canonical JSON (sorted keys, no spaces,
#: UTF-8) of the other five fields, under the key HMAC-SHA256(county key, ``b"tracelab
#: audit anchor v1"``); the county key is ``TRACELAB_KEY``'s and is never stored.
ANCHOR_FORMAT = "tracelab-audit-anchor/1"
# Domain separation: the anchor's HMAC key is derived from, never equal to, the
# pseudonymisation key, so a MAC cannot double as a pseudonym or the other way round.
_MAC_LABEL = b"tracelab audit anchor v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class AuditAnchorError(ValueError):
    """The audit log does not match its anchor file, so nothing was appended to it."""


def anchor_path(database: str | Path) -> Path:
    """The anchor file of the database file `database`: same folder, :data:`ANCHOR_SUFFIX` added.

    Copy, move and back it up together with the database file.

    Examples
    --------
    >>> anchor_path("/data/county/tracelab.duckdb").name
    'tracelab.duckdb.audit-anchor'
    """
    path = Path(database)
    return path.with_name(path.name + ANCHOR_SUFFIX)


def database_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's current database; None when it is in memory."""
    row = con.execute("SELECT path FROM duckdb_databases() "
                      "WHERE database_name = current_database()").fetchone()
    return None if row is None or not row[0] else Path(str(row[0]))


def anchor_key() -> bytes | None:
    """The anchor's HMAC key, derived from ``TRACELAB_KEY``; None when it is unset.

    The demo key is public and a weak key is refused for pseudonyms: a MAC under either
    would prove nothing, so both count as no key.
    """
    if not os.environ.get(KEY_ENV, "").strip():
        return None
    try:
        key = load_key(env=KEY_ENV)
    except MissingKeyError:
        return None
    return hmac.new(key, _MAC_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Anchor:
    """The fields of an anchor file (:data:`ANCHOR_FORMAT`), its ``format`` aside.

    Attributes
    ----------
    count : int
        Rows of the audit table.
    seq, hash : int, str
        The newest entry; 0 and :data:`GENESIS_HASH` before the first.
    intent : tuple of (int, str) or None
        ``(seq + 1, hash)`` of the entry an append is about to commit.
    mac : str or None
        The hex HMAC as read; None when unkeyed (and always when handed to
        :func:`write_anchor`, which computes it).
    """

    count: int
    seq: int
    hash: str
    intent: tuple[int, str] | None
    mac: str | None

    def body(self) -> dict[str, Any]:
        """The fields the MAC covers, as written."""
        intent = None if self.intent is None else {"seq": self.intent[0],
                                                   "hash": self.intent[1]}
        return {"format": ANCHOR_FORMAT, "count": self.count, "seq": self.seq,
                "hash": self.hash, "intent": intent}


def _mac(anchor: Anchor, key: bytes) -> str:
    body = canonical_json(anchor.body()).encode("utf-8")
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_anchor(file: Path) -> Anchor | None:
    """The anchor in `file`, None if there is no such file.

    Raises ValueError, naming what is wrong, when the file is not an anchor.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as err:
        raise ValueError(msg("it is not UTF-8 text")) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(msg("it is not JSON ({what} at line {lineno})", what=err.msg,
                             lineno=err.lineno)) from err
    fields = {"format", "count", "seq", "hash", "intent", "mac"}
    if not isinstance(data, dict) or set(data) != fields:
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(msg("it holds {got}, not the fields {fields}", got=got,
                             fields=sorted(fields)))
    if data["format"] != ANCHOR_FORMAT:
        raise ValueError(msg("format {value!r} is not {expected!r}",
                             value=str(data["format"])[:40], expected=ANCHOR_FORMAT))
    count, seq, head, intent, mac = (data[k] for k in ("count", "seq", "hash", "intent", "mac"))
    if not (_is_count(count) and _is_count(seq) and isinstance(head, str)
            and _HEX64.fullmatch(head) and (seq > 0 or head == GENESIS_HASH)):
        raise ValueError(msg("count, seq or hash is malformed"))
    pending: tuple[int, str] | None = None
    if intent is not None:
        if not (isinstance(intent, dict) and set(intent) == {"seq", "hash"}
                and intent["seq"] == seq + 1 and isinstance(intent["hash"], str)
                and _HEX64.fullmatch(intent["hash"])):
            raise ValueError(msg("intent is not null nor {{'seq': seq + 1, 'hash': <64 hex "
                                 "digits>}}"))
        pending = (int(intent["seq"]), str(intent["hash"]))
    if mac is not None and not (isinstance(mac, str) and _HEX64.fullmatch(mac)):
        raise ValueError(msg("mac is not null nor 64 hex digits"))
    return Anchor(int(count), int(seq), str(head), pending, mac)


def write_anchor(file: Path, anchor: Anchor, key: bytes | None) -> None:
    """Write `anchor` to `file` atomically, with its HMAC under `key` (none without one)."""
    body = anchor.body()
    body["mac"] = None if key is None else _mac(anchor, key)
    write_text(file, json.dumps(body, indent=1, sort_keys=True) + "\n")


#: What :func:`judge_anchor` found (:attr:`tracelab.privacy.audit.AuditStatus.anchor`).
AnchorState = Literal["matches", "pending", "missing", "none", "in-memory", "mismatch",
                      "unreadable"]


@dataclass(frozen=True)
class Verdict:
    """What :func:`judge_anchor` found: the first problem (seq, why) or None, and the state.

    ``keyed`` tells whether the anchor carries an HMAC (None without an anchor); ``notes``
    what a reader of the verdict should know (an HMAC not checked, a pending entry).
    """

    problem: tuple[int, str] | None
    state: AnchorState
    keyed: bool | None = None
    notes: tuple[str, ...] = ()


def judge_anchor(file: Path | None, rows: int, last_seq: int,
                 hash_at: Callable[[int], str | None], key: bytes | None, *,
                 writing: bool) -> Verdict:
    """Compare a log (its rows, newest seq and hashes by seq) with its anchor file.

    `writing`: judged for an append, which must not go on where a verifier would only
    note a doubt (a keyed anchor and no key: the new anchor could not be keyed).
    """
    at = max(last_seq, 1)
    if file is None:
        return Verdict(None, "in-memory", notes=(
            msg("an in-memory database has no anchor file: a cut or rebuilt log is not "
                "detected"),))
    try:
        anchor = read_anchor(file)
    except ValueError as err:
        return Verdict((at, msg("the anchor file {name} is not a tracelab anchor: {err}",
                                name=file.name, err=err)), "unreadable")
    if anchor is None:
        if last_seq == 0 and rows == 0:
            return Verdict(None, "none")
        return Verdict((at, msg("anchor missing: the log holds {rows} entries but there is no "
                                "anchor file {name} beside the store; it was deleted, or the "
                                "store was written by a tracelab from before anchors (check it, "
                                "then adopt it with `tracelab audit --store FILE --adopt`)",
                                rows=rows, name=file.name)), "missing")
    keyed = anchor.mac is not None
    notes: tuple[str, ...] = ()
    if keyed and key is None:
        if writing:
            return Verdict((at, msg("the anchor is keyed (HMAC): set {env} to the key it was "
                                    "written with to append to this log", env=KEY_ENV)),
                           "mismatch", keyed)
        notes = (msg("the anchor is keyed (HMAC) but {env} is not set: its HMAC was not "
                     "checked", env=KEY_ENV),)
    elif keyed and key is not None and not hmac.compare_digest(str(anchor.mac), _mac(anchor, key)):
        return Verdict((at, msg("the anchor's HMAC does not match: the anchor file was rewritten "
                                "without the key, or {env} is not the key it was written with",
                                env=KEY_ENV)), "mismatch", keyed)
    elif not keyed and key is not None:
        return Verdict((at, msg("the anchor is not keyed although {env} is set: it was "
                                "replaced by someone without the key, or every append so far ran "
                                "without {env} (then re-anchor it with `tracelab audit "
                                "--adopt` under the key)", env=KEY_ENV)), "mismatch", keyed)
    m = anchor.seq
    if last_seq < m:
        if last_seq == 0:
            reason = msg("the log is empty but its anchor names {m} entries: every entry was "
                         "deleted, or the table dropped and re-created", m=m)
        else:
            reason = msg("entries {first} to {m} named by the anchor are missing: the newest "
                         "entries were cut off", first=last_seq + 1, m=m)
        return Verdict((last_seq + 1, reason), "mismatch", keyed)
    if m >= 1 and hash_at(m) != anchor.hash:
        return Verdict((m, msg("entry {m} differs from the anchor: the chain was rebuilt after a "
                               "change at or before entry {m}", m=m)), "mismatch", keyed)
    pending = (last_seq == m + 1 and anchor.intent is not None
               and anchor.intent == (m + 1, hash_at(m + 1)))
    if last_seq > m and not pending:
        return Verdict((m + 1, msg("entries {first} to {last_seq} were added after the anchor "
                                   "({m} entries) without record_query: forged", first=m + 1,
                                   last_seq=last_seq, m=m)), "mismatch", keyed)
    expected = anchor.count + (1 if pending else 0)
    if rows != expected:
        said = (msg("the log holds {rows} rows but its anchor counts {expected}: rows were "
                    "deleted", rows=rows, expected=expected) if rows < expected else
                msg("the log holds {rows} rows but its anchor counts {expected}: rows were "
                    "added", rows=rows, expected=expected))
        return Verdict((at, said), "mismatch", keyed)
    if pending:
        notes += (msg("entry {seq} was committed but the process stopped before the anchor "
                      "was finalised; it is the entry the anchor announced (the next append "
                      "finalises the anchor)", seq=m + 1),)
        return Verdict(None, "pending", keyed, notes)
    return Verdict(None, "matches", keyed, notes)
