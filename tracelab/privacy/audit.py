"""Purpose binding and the anchored, hash-chained audit log of person-level queries.

Every query that returns people (trace, sources, companions, contact exports) must name
its purpose, a case or investigation id, and leaves one entry in the store's ``audit``
table: who, when, purpose, what was asked and how many rows came back. Each entry's hash
covers the previous entry's hash and the entry's canonical JSON (DOMAIN.md section 10,
threat 1; ``query_binding``, section 11.5).

This module appends, reads, verifies and adopts, and is the public face of the log: it
re-exports what it builds on, the purpose check (:mod:`tracelab.privacy.purposes`), the
entries and their hash chain (:mod:`tracelab.privacy.audit_chain`) and the anchor file
(:mod:`tracelab.privacy.audit_anchor`).

A chain alone cannot show that its newest entries were cut off, or that it was rebuilt
whole after an edit: anyone who can write the database can do either and leave a valid
chain. So every append also rewrites an *anchor file* beside the database file,
``<store file>.audit-anchor`` (:func:`anchor_path`), outside the database: JSON naming
the rows of the log and its newest entry (seq and hash), with an HMAC under the county
key when ``TRACELAB_KEY`` is set (:data:`ANCHOR_FORMAT` describes the fields).
:func:`audit_problem`, :func:`verify_audit`, :func:`audit_status` and ``tracelab audit``
check the log against it by default.

What is detected, with the anchor file left as tracelab wrote it (changes made with
plain SQL through ``Store.sql``, ``Store.con`` or the ``duckdb`` client):

- an entry edited (any field, with or without recomputing its hash), deleted from the
  middle, or moved to another place (reordered): the chain breaks;
- the newest entries cut off, every row deleted, the table dropped and re-created: the
  anchor names more entries and rows than the log holds;
- the whole chain rebuilt after an edit: the newest entry's hash differs from the anchor;
- an entry appended without :func:`record_query`, even one chained correctly: the log
  runs past the anchor;
- the anchor file deleted while the log has entries ("anchor missing"), or garbled.

With a keyed anchor and the key at hand (``TRACELAB_KEY``), also the anchor file
rewritten to fit an altered log by someone without the key: its HMAC fails, or it was
replaced by an unkeyed one, which a verifier holding the key refuses. Keying is optional
and comes from the environment variable only (not ``--key-file``); the public demo key
counts as none. A store is keyed or not from its first entry on: appends refuse to
change that (a keyed anchor needs the key to append; an unkeyed one, once the key is
set, needs adopting under it), so a verifier holding the key can take an unkeyed anchor
as replaced.

What is not detected:

- the log and its anchor file rewritten together, by anyone who may write both when the
  anchor is unkeyed, and by a holder of the key when it is keyed;
- a rollback: the log cut back to an earlier state together with an earlier copy of its
  anchor file (from a backup, say), keyed or not. Only a head kept elsewhere shows that:
  ``tracelab audit --verify`` prints ``SEQ:HASH``, and ``anchor=`` (``--anchor``) checks it;
- every row deleted together with the anchor file, or the database swapped for a fresh
  one: that is indistinguishable from a new, empty store;
- without the key, the verifier cannot check a keyed anchor's HMAC (it says so), nor
  tell an anchor replaced by an unkeyed one from a store that was never keyed;
- anything about an in-memory database (it has no anchor file), and queries that never
  reached the log: it records what was appended, not what was read with plain SQL.

A crash is not reported as tampering. Before its ``COMMIT`` an append writes into the anchor
the entry it is about to commit (the *intent*); after the ``COMMIT`` it finalises the
anchor. A log one entry ahead of its anchor whose newest entry is that intent is intact
("pending": the process stopped between the two); the next append finalises it.
Appending to a log that does not match its anchor is refused (:class:`AuditAnchorError`),
as is the person-level query that would append, so that a new anchor never covers a
change made behind tracelab's back. :func:`adopt_anchor` (``tracelab audit --adopt``)
re-anchors such a log, or one written before anchors existed, once an operator has
looked into it, and records the adoption as an entry of the log itself.
"""

from __future__ import annotations

import functools
import getpass
import inspect
import os
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import duckdb
import pandas as pd

from tracelab._atomic import fault_point
from tracelab._db import NotAStoreError, rollback
from tracelab._i18n import msg
from tracelab._time import now_utc
from tracelab.model.schema import (
    AT,
    COUNTS,
    HASH,
    PREV_HASH,
    PURPOSE,
    QUERY,
    SEQ,
    WHO,
)
from tracelab.model.tables import open_database, read_sql
from tracelab.privacy.audit_anchor import (
    ANCHOR_FORMAT,
    ANCHOR_SUFFIX,
    Anchor,
    AnchorState,
    AuditAnchorError,
    Verdict,
    anchor_key,
    anchor_path,
    database_file,
    judge_anchor,
    read_anchor,
    write_anchor,
)
from tracelab.privacy.audit_chain import (
    AUDIT_COLUMNS,
    AUDIT_TABLE,
    GENESIS_HASH,
    canonical_json,
    chain_problem,
    entry_hash,
    newest_head,
    parse_head,
)
from tracelab.privacy.pseudonyms import KEY_ENV, scrub_text
from tracelab.privacy.purposes import (
    PERSON_QUERY_KINDS,
    PURPOSE_PATTERN,
    PurposeError,
    require_purpose,
)

__all__ = [
    "PURPOSE_PATTERN",
    "GENESIS_HASH",
    "AUDIT_COLUMNS",
    "PurposeError",
    "AuditAnchorError",
    "require_purpose",
    "record_query",
    "append_in_transaction",
    "PendingEntry",
    "audited",
    "AUDIT_ENV",
    "read_audit",
    "verify_audit",
    "audit_problem",
    "audit_status",
    "AuditStatus",
    "audit_head",
    "adopt_anchor",
    "anchor_path",
    "ANCHOR_SUFFIX",
    "ANCHOR_FORMAT",
    "ADOPT_PURPOSE",
    "entry_hash",
    "AUDIT_TABLE",
    "AuditStore",
]

_QUOTED = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)  # "at" is an SQL keyword
#: Purpose of the entry that :func:`adopt_anchor` logs.
ADOPT_PURPOSE = "ops:audit-anchor"


class AuditStore(Protocol):
    """An open database holding the ``audit`` table: :class:`tracelab.Store` is one."""

    con: duckdb.DuckDBPyConnection


class _AuditFile:
    """A DuckDB file opened by the audit log itself, with every table created if missing."""

    def __init__(self, path: str | Path, *, read_only: bool) -> None:
        self.con = open_database(path, read_only=read_only)


def _is_store(store: object) -> bool:
    return isinstance(getattr(store, "con", None), duckdb.DuckDBPyConnection)


def _scrub(text: str) -> str:
    return str(scrub_text(text))


def _with_store(store: AuditStore | str | Path, func: Callable[[AuditStore], Any], *,
                read_only: bool = False) -> Any:
    if _is_store(store):
        return func(store)  # type: ignore[arg-type]
    path = Path(store)  # type: ignore[arg-type]
    if read_only and not path.is_file():
        raise FileNotFoundError(msg("store: {store!r}: no such database file", store=str(store)))
    opened = _AuditFile(path, read_only=read_only)
    try:
        return func(opened)
    finally:
        opened.con.close()


def _head(con: duckdb.DuckDBPyConnection) -> tuple[int, int, str]:
    """Rows of the audit table, and its newest entry's seq and hash (0, genesis if none)."""
    row = con.execute(f'SELECT count(*), max("{SEQ}") FROM audit').fetchone()
    rows, last = (0, None) if row is None else (int(row[0]), row[1])
    if last is None:
        return rows, 0, GENESIS_HASH
    return rows, int(last), str(_hash_at(con, int(last)))


def _hash_at(con: duckdb.DuckDBPyConnection, seq: int) -> str | None:
    row = con.execute(f'SELECT "{HASH}" FROM audit WHERE "{SEQ}" = ?', [seq]).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def _judge_log(con: duckdb.DuckDBPyConnection, file: Path | None, key: bytes | None, *,
               empty: bool = False) -> tuple[int, int, str, Verdict]:
    """Rows of the log, its newest seq and hash, and its anchor `file` judged for an append.

    `empty`: the database has no audit table yet, which is judged as a log of no entry
    (the append creates the table).
    """
    rows, last_seq, last_hash = (0, 0, GENESIS_HASH) if empty else _head(con)
    verdict = judge_anchor(file, rows, last_seq,
                           (lambda s: None) if empty else (lambda s: _hash_at(con, s)), key,
                           writing=True)
    return rows, last_seq, last_hash, verdict


def _judge_for_append(con: duckdb.DuckDBPyConnection, key: bytes | None, *,
                      empty: bool = False) -> tuple[Path | None, int, int, str]:
    """The anchor file and head of the log, after checking that it may be appended to.

    Raises AuditAnchorError when the log does not match its anchor: a new anchor would
    then cover whatever was changed behind tracelab's back. `empty` as for
    :func:`_judge_log`.
    """
    database = database_file(con)
    file = None if database is None else anchor_path(database)
    rows, last_seq, last_hash, verdict = _judge_log(con, file, key, empty=empty)
    if verdict.problem is not None:
        where = msg("the in-memory database") if database is None else repr(str(database))
        raise AuditAnchorError(msg("audit: the log of {where} does not match its anchor, so "
                                   "nothing was appended: {problem}", where=where,
                                   problem=verdict.problem[1]))
    return file, rows, last_seq, last_hash


# --- appending ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Fields:
    at: pd.Timestamp
    who: str
    purpose: str
    query: str
    counts: str


def _fields(who: str | None, purpose: str, query: str, counts: Mapping[str, int],
            now: pd.Timestamp | str | None, kinds: tuple[str, ...]) -> _Fields:
    """An entry's fields, checked and scrubbed, before anything is written."""
    purpose = require_purpose(purpose, kinds=kinds)
    bad = {k: v for k, v in counts.items()
           if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 0}
    if bad:
        raise ValueError(msg("counts: {bad!r} must map names to non-negative integers", bad=bad))
    at = now_utc(now).floor("us")
    who_text = _scrub(str(who if who is not None else getpass.getuser()).strip() or "unknown")
    return _Fields(at, who_text, purpose, _scrub(str(query)),
                   canonical_json({k: int(v) for k, v in counts.items()}))


def _insert(con: duckdb.DuckDBPyConnection, f: _Fields, seq: int, prev: str) -> dict[str, Any]:
    digest = entry_hash(seq, f.at, f.who, f.purpose, f.query, f.counts, prev)
    con.execute(f"INSERT INTO audit ({_QUOTED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [seq, f.at.to_pydatetime(), f.who, f.purpose, f.query, f.counts, prev, digest])
    return {SEQ: seq, AT: f.at, WHO: f.who, PURPOSE: f.purpose, QUERY: f.query,
            COUNTS: f.counts, PREV_HASH: prev, HASH: digest}


@dataclass(frozen=True)
class PendingEntry:
    """An entry inserted by :func:`append_in_transaction`, its transaction not yet committed.

    Attributes
    ----------
    entry : dict
        The entry as inserted, keyed by :data:`AUDIT_COLUMNS`.
    """

    entry: dict[str, Any]
    _file: Path | None = field(repr=False)
    _rows: int = field(repr=False)
    _key: bytes | None = field(repr=False)

    def finalise(self) -> None:
        """Point the anchor file at the entry; call it after the ``COMMIT``, not before."""
        if self._file is not None:
            write_anchor(self._file, Anchor(self._rows, int(self.entry[SEQ]),
                                            str(self.entry[HASH]), None, None), self._key)


def append_in_transaction(con: duckdb.DuckDBPyConnection, *, who: str | None = None,
                          purpose: str, query: str, counts: Mapping[str, int],
                          now: pd.Timestamp | str | None = None,
                          kinds: tuple[str, ...] = PERSON_QUERY_KINDS) -> PendingEntry:
    """Insert one entry inside the caller's open transaction and announce it in the anchor.

    For a change that must land together with its entry, or not at all (a purge and its
    ``ops:retention`` entry): the caller runs ``BEGIN``, its own statements, this, then
    ``COMMIT`` and :meth:`PendingEntry.finalise`; on an error it runs ``ROLLBACK`` and
    nothing else. Arguments as for :func:`record_query`. Before returning, the anchor file
    records the entry as its intent, so a crash after the ``COMMIT`` and before
    ``finalise`` leaves a log that still verifies (:func:`audit_status`: "pending").

    Returns
    -------
    PendingEntry

    Raises
    ------
    PurposeError, ValueError
        As :func:`record_query`; nothing is inserted.
    AuditAnchorError
        If the log does not match its anchor file; nothing is inserted (roll back).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> from tracelab import open_store
    >>> with open_store(path) as store:
    ...     _ = store.con.execute("BEGIN TRANSACTION")
    ...     pending = append_in_transaction(store.con, who="ops", purpose="ops:retention",
    ...                                     query="purge", counts={"removed": 0},
    ...                                     kinds=("ops",))
    ...     _ = store.con.execute("COMMIT")
    ...     pending.finalise()
    >>> pending.entry["seq"], audit_status(path).anchor
    (1, 'matches')
    """
    return _append(con, _fields(who, purpose, query, counts, now, kinds))


def _append(con: duckdb.DuckDBPyConnection, fields_: _Fields) -> PendingEntry:
    key = anchor_key()
    file, rows, last_seq, last_hash = _judge_for_append(con, key)
    entry = _insert(con, fields_, last_seq + 1, last_hash)
    if file is not None:
        write_anchor(file, Anchor(rows, last_seq, last_hash,
                                  (last_seq + 1, str(entry[HASH])), None), key)
    return PendingEntry(entry, file, rows + 1, key)


def record_query(store: AuditStore | str | Path, *, who: str | None = None, purpose: str,
                 query: str, counts: Mapping[str, int],
                 now: pd.Timestamp | str | None = None,
                 kinds: tuple[str, ...] = PERSON_QUERY_KINDS) -> dict[str, Any]:
    """Append one hash-chained entry to the audit table, update the anchor file, return the entry.

    Parameters
    ----------
    store : Store, str or Path
        An open store, or the path of its database file (opened and closed here).
    who : str, optional
        Operator account; default the login name of the process.
    purpose : str
        Case or investigation id, checked by :func:`require_purpose`.
    query : str
        What was asked, e.g. ``"trace cases=2 rule=twenty hops=1"``. Digit runs that
        look like phone or ID numbers are masked before they are logged.
    counts : mapping of str to int
        How much came back, e.g. ``{"cases": 2, "contacts": 41, "rows": 57}``.
    now : Timestamp or str, optional
        Time of the query (tz-aware); default the current time. Kept to microseconds.
    kinds : tuple of str
        Purpose prefixes accepted; ``("ops",)`` for system operations.

    Returns
    -------
    dict
        The entry as written, keyed by :data:`AUDIT_COLUMNS`.

    Raises
    ------
    PurposeError
        If the purpose is missing or malformed; nothing is written.
    ValueError
        If `counts` holds a non-integer or negative value, or `now` is naive.
    AuditAnchorError
        If the log does not match its anchor file (:func:`audit_status`), or the anchor
        is keyed and ``TRACELAB_KEY`` is not set; nothing is written.

    Notes
    -----
    The anchor file (:func:`anchor_path`) is written twice, atomically: before the
    ``COMMIT`` with the new entry as its intent, after it with the entry as its head. It
    carries an HMAC when ``TRACELAB_KEY`` is set (the demo key counts as unset).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> entry = record_query(path, who="ana", purpose="inv:LX-7", query="trace cases=1",
    ...                      counts={"rows": 3}, now="2022-11-25T08:00:00Z")
    >>> entry["seq"], entry["counts"], entry["prev_hash"] == GENESIS_HASH
    (1, '{"rows":3}', True)
    >>> verify_audit(path) is None, anchor_path(path).is_file()
    (True, True)
    """
    fields_ = _fields(who, purpose, query, counts, now, kinds)

    def append(st: AuditStore) -> dict[str, Any]:
        con = st.con
        con.execute("BEGIN TRANSACTION")
        try:
            pending = _append(con, fields_)
            con.execute("COMMIT")
        except BaseException as err:
            rollback(con, err)
            raise
        fault_point("audit:committed")
        pending.finalise()
        return pending.entry

    return _with_store(store, append)


#: Environment variable naming the audit store when a person-level query gets no ``audit=``.
AUDIT_ENV = "TRACELAB_AUDIT"

Counts = Callable[[Any, Mapping[str, Any]], Mapping[str, int]]


def _default_counts(result: Any, arguments: Mapping[str, Any]) -> dict[str, int]:
    return {"rows": len(result)}


def _default_text(query: str, arguments: Mapping[str, Any]) -> str:
    # Only plain scalars are logged: frames, graphs and paths may hold personal data.
    return query + "".join(f" {k}={v!r}" for k, v in arguments.items()
                           if isinstance(v, (str, int, float, bool)))


def _audit_target(audit: AuditStore | str | Path | None, query: str) -> AuditStore | Path:
    if _is_store(audit):
        return audit  # type: ignore[return-value]
    if audit is None or (isinstance(audit, str) and not audit.strip()):
        audit = os.environ.get(AUDIT_ENV, "").strip() or None
    if audit is None:
        raise ValueError(msg("audit: {query} is a person-level query; pass audit=<Store or DuckDB "
                             "path> or set the environment variable {env}, so that it is "
                             "logged", query=query, env=AUDIT_ENV))
    # Not a store (that returned above), so a path or its text.
    path = Path(cast("str | Path", audit))
    # Checked before the query runs: a result must never exist without its entry.
    if not path.parent.is_dir():
        raise FileNotFoundError(msg("audit: {path!r}: folder {parent!r} does not exist; create it "
                                    "or name another database file", path=str(path),
                                    parent=str(path.parent)))
    return path


def _require_appendable(target: AuditStore | Path) -> None:
    """Raise AuditAnchorError now if an entry could not be appended to `target` later.

    A database file is opened read-only for the check: it creates nothing and has nothing
    to write back when closed, and other processes' checks share its lock. It is not kept
    open for the append: that would hold every other process's entry for as long as this
    query runs.
    """
    key = anchor_key()
    if _is_store(target):
        _judge_for_append(cast("AuditStore", target).con, key)
        return
    path = Path(cast("Path", target))
    if not path.is_file():
        return  # a new log: the first entry starts its anchor
    try:
        con = open_database(path, read_only=True)
    except duckdb.ConnectionException:
        # This process holds the file open for writing (an open Store): DuckDB shares one
        # database per file and configuration, so check through a writing connection.
        _with_store(path, lambda st: _judge_for_append(st.con, key))
        return
    try:
        try:
            _judge_for_append(con, key)
        except duckdb.CatalogException:  # no audit table yet: the append creates it
            _judge_for_append(con, key, empty=True)
    finally:
        con.close()


_AUDIT_PARAMETERS = """\
purpose : str
    Required: the case or investigation this query serves, ``case:...`` or ``inv:...``
    (:func:`tracelab.privacy.audit.require_purpose`); checked before anything runs.
audit : Store, str or Path, optional
    The store (or DuckDB file) whose audit table logs the query; default the path in
    the environment variable ``TRACELAB_AUDIT``. Required one way or the other.
who : str, optional
    The analyst, for the log; default the login name of the process.
deliver : callable, optional
    ``deliver(result)`` puts the result in place (writes the file) before the entry is
    appended, so that no entry is left for a result never delivered; it returns the
    path(s) written, which are removed again if the entry cannot be appended."""


def _audited_doc(doc: str | None, query: str, plain: str) -> str:
    """The implementation's docstring with the audit parameters added to its Parameters."""
    lines = inspect.cleandoc(doc or query).splitlines()
    note = ("Audited: needs ``purpose=`` and an audit store, and leaves one entry in its "
            "audit table (:func:`tracelab.privacy.audit.audited`); without a valid purpose it raises "
            ":class:`tracelab.privacy.audit.PurposeError` before anything runs. Library code and "
            f"the Examples below use the plain, unaudited :func:`{plain}`.")
    # numpydoc section headers: a title line underlined with dashes
    headers = [i for i in range(len(lines) - 1)
               if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())]
    params = [i for i in headers if lines[i].strip() == "Parameters"]
    if params:
        later = [i for i in headers if i > params[0]]
        at = later[0] if later else len(lines)
        while at > 0 and not lines[at - 1].strip():
            at -= 1
        block = _AUDIT_PARAMETERS.splitlines()
    else:
        at = headers[0] if headers else len(lines)
        block = ["Parameters", "----------", *_AUDIT_PARAMETERS.splitlines(), ""]
    lines[at:at] = block
    lines[1:1] = ["", *textwrap.wrap(note, width=88)]
    return "\n".join(lines)


def _audited_signature(func: Callable[..., Any]) -> inspect.Signature:
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    tail = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    head = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    kw = inspect.Parameter.KEYWORD_ONLY
    added = [inspect.Parameter("purpose", kw, annotation="str"),
             inspect.Parameter("audit", kw, default=None,
                               annotation="Store | str | Path | None"),
             inspect.Parameter("who", kw, default=None, annotation="str | None"),
             inspect.Parameter("deliver", kw, default=None,
                               annotation="Callable[[Any], Any] | None")]
    return sig.replace(parameters=[*head, *added, *tail])


def audited(query: str, counts: Counts | None = None, *,
            describe: Callable[[Mapping[str, Any]], str] | None = None,
            ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a person-level query so that it needs a purpose and leaves one audit entry.

    The decorated function takes three extra keyword-only arguments, removed before the
    call: ``purpose`` (required), ``audit`` (a store or its path; default the path in the
    environment variable ``TRACELAB_AUDIT``, :data:`AUDIT_ENV`) and ``who`` (optional).
    Purpose and audit store are checked before anything runs; after a successful call
    one entry is appended; a call that raises leaves none. The docstring gains the three
    parameters and the signature shows them.

    Parameters
    ----------
    query : str
        Name logged for the query, e.g. ``"trace"``.
    counts : callable, optional
        ``counts(result, arguments)`` gives the counts to log from the result and the
        call's arguments by name (defaults filled in); default ``{"rows": len(result)}``.
    describe : callable, optional
        ``describe(arguments)`` gives the query text to log; default `query` followed by
        the arguments that are plain strings and numbers. Give one whenever an argument
        may hold a person identifier: digit runs that look like phones or ID numbers are
        masked in the log, but names and other ids are not.

    Returns
    -------
    callable
        The decorator.

    Raises
    ------
    PurposeError
        (From the decorated function) if ``purpose`` is missing or malformed.
    ValueError
        (From the decorated function) if no audit store is given nor set in
        ``TRACELAB_AUDIT``.
    AuditAnchorError
        (From the decorated function, before it runs) if the audit log does not match its
        anchor file, so that its entry would be refused (:func:`record_query`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> @audited("who_was_there")
    ... def who_was_there(venue):
    ...     \"\"\"People at a venue.\"\"\"
    ...     return pd.DataFrame({"person_id": ["p_1", "p_2"], "venue_id": [venue] * 2})
    >>> len(who_was_there("V1", purpose="inv:LX-7", audit=path, who="ana"))
    2
    >>> read_audit(path)["query"].tolist()
    ["who_was_there venue='V1'"]
    >>> who_was_there("V1", audit=path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.privacy.purposes.PurposeError: purpose: a person-level query needs a purpose, ...
    >>> print(inspect.signature(who_was_there))
    ... # doctest: +NORMALIZE_WHITESPACE
    (venue, *, purpose: 'str', audit: 'Store | str | Path | None' = None, who: 'str | None' = None,
     deliver: 'Callable[[Any], Any] | None' = None)
    """
    # The wrapper takes purpose=, audit= and who= on top of func's own parameters, so it is
    # not typed as func: callers would be told those keywords do not exist.
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func)
        plain = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args: Any, purpose: str | None = None,
                    audit: AuditStore | str | Path | None = None, who: str | None = None,
                    deliver: Callable[[Any], Any] | None = None, **kwargs: Any) -> Any:
            checked = require_purpose(purpose)
            target = _audit_target(audit, query)
            bound = signature.bind(*args, **kwargs)  # a wrong call fails here, unlogged
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            _require_appendable(target)  # a query whose entry would be refused never runs
            result = func(*args, **kwargs)
            n = dict((counts or _default_counts)(result, arguments))
            text = describe(arguments) if describe is not None else _default_text(query, arguments)
            written = deliver(result) if deliver is not None else None
            fault_point("audit:delivered")
            try:
                record_query(target, who=who, purpose=checked, query=text, counts=n)
            except BaseException:
                # A result nobody logged must not stay behind.
                for path in ([] if written is None else [written]
                             if isinstance(written, str | Path) else written):
                    Path(path).unlink(missing_ok=True)
                raise
            return result

        wrapper.__doc__ = _audited_doc(func.__doc__, query, plain)
        wrapper.__signature__ = _audited_signature(func)  # type: ignore[attr-defined]
        return wrapper
    return decorate


def _read_log(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    try:
        return read_sql(con, f'SELECT {_QUOTED} FROM audit ORDER BY "{SEQ}"')
    except duckdb.CatalogException as err:
        where = database_file(con)
        raise NotAStoreError(msg("store: {store!r} has no audit table: it is not a tracelab "
                                 "store", store=str(where) if where else msg("the database"))
                             ) from err


def read_audit(store: AuditStore | str | Path) -> pd.DataFrame:
    """The audit table ordered by ``seq``, as a new frame.

    Raises
    ------
    FileNotFoundError
        If `store` is a path and no such file exists.
    ValueError
        If the file is not a DuckDB database, or holds no audit table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab import open_store
    >>> list(read_audit(open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb")).columns)
    ['seq', 'at', 'who', 'purpose', 'query', 'counts', 'prev_hash', 'hash']
    """
    return _with_store(store, lambda st: _read_log(st.con), read_only=True)


def audit_head(store: AuditStore | str | Path) -> str | None:
    """The anchor of the newest entry, ``"<seq>:<hash>"``, or None for an empty log.

    Keep it outside the store and its folder (briefing, ticket, paper): :func:`verify_audit`
    with ``anchor=`` then detects a chain rewritten or cut after that point, even one
    rolled back together with its anchor file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab import open_store
    >>> audit_head(open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb")) is None
    True
    """
    return newest_head(read_audit(store))


@dataclass(frozen=True)
class AuditStatus:
    """What :func:`audit_status` found in an audit log and its anchor file.

    Attributes
    ----------
    entries : int
        Rows of the audit table.
    head : str or None
        ``"<seq>:<hash>"`` of the newest entry, as :func:`audit_head`; None when empty.
    problem : tuple of (int, str) or None
        The first broken entry and why (:func:`audit_problem`); None when intact.
    anchor : str
        The anchor file: ``"matches"``; ``"pending"`` (one committed entry not yet
        finalised in it, see the notes); ``"none"`` (an empty log, no anchor yet);
        ``"missing"``; ``"mismatch"``; ``"unreadable"``; or ``"in-memory"`` (no file).
    anchor_file : Path or None
        Where the anchor is or belongs; None for an in-memory database.
    keyed : bool or None
        Whether the anchor carries an HMAC; None without an anchor.
    notes : tuple of str
        What the verdict rests on that a reader should know (an HMAC not checked, a
        pending entry).
    """

    entries: int
    head: str | None
    problem: tuple[int, str] | None
    anchor: AnchorState
    anchor_file: Path | None
    keyed: bool | None
    notes: tuple[str, ...]


def audit_status(store: AuditStore | str | Path, anchor: str | None = None) -> AuditStatus:
    """Verify the chain and the anchor file of an audit log, and say what that rests on.

    Parameters
    ----------
    store : Store, str or Path
        An open store, or the path of its database file (opened read-only).
    anchor : str, optional
        A head ``"<seq>:<hash>"`` from :func:`audit_head` kept outside the store: checked
        besides the anchor file.

    Returns
    -------
    AuditStatus

    Raises
    ------
    ValueError
        If `anchor` is malformed, or the file is not a tracelab store.
    FileNotFoundError
        If `store` is a path and no such file exists.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> _ = record_query(path, who="ana", purpose="inv:LX-7", query="trace", counts={"rows": 1})
    >>> status = audit_status(path)
    >>> status.entries, status.problem, status.anchor
    (1, None, 'matches')
    >>> anchor_path(path).unlink()
    >>> audit_status(path).problem  # doctest: +ELLIPSIS
    (1, 'anchor missing: the log holds 1 entries but there is no anchor file t.duckdb...')
    """
    expected = parse_head(anchor) if anchor is not None else None

    def look(st: AuditStore) -> tuple[pd.DataFrame, Path | None]:
        return _read_log(st.con), database_file(st.con)

    log, database = _with_store(store, look, read_only=True)
    file = None if database is None else anchor_path(database)
    hashes = {int(s): (None if h is None else str(h)) for s, h in zip(log[SEQ], log[HASH],
                                                                       strict=True)}
    verdict = judge_anchor(file, len(log), max(hashes, default=0), hashes.get,
                           anchor_key(), writing=False)
    problem = chain_problem(log, expected) or verdict.problem
    return AuditStatus(len(log), newest_head(log), problem, verdict.state, file, verdict.keyed,
                       verdict.notes)


def audit_problem(store: AuditStore | str | Path, anchor: str | None = None) -> tuple[int, str] | None:
    """The first broken entry of the log and why, or None when the log is intact.

    Checks, entry by entry in ``seq`` order: ``seq`` runs 1, 2, 3, ... (a gap means a
    deleted entry), ``prev_hash`` equals the previous entry's ``hash`` (the first:
    :data:`GENESIS_HASH`), and ``hash`` equals :func:`entry_hash` of the stored fields.
    With an `anchor` (from :func:`audit_head`, kept outside the store), the entry it
    names must still exist with that hash. Then, by default, the log must match its
    anchor file (:func:`anchor_path`): as many rows, the same newest entry (or exactly
    one more, the one the anchor announced before a crash), and a valid HMAC when the
    anchor is keyed and ``TRACELAB_KEY`` is set.

    Notes
    -----
    Detected with the anchor file intact: an entry edited, deleted or reordered; the
    newest entries cut off; every row deleted; the table dropped and re-created; the
    whole chain rebuilt after an edit; an entry appended without :func:`record_query`;
    the anchor file deleted ("anchor missing", also reported for a store written before
    anchors existed) or garbled. With a keyed anchor and the key: the anchor rewritten
    without the key, or replaced by an unkeyed one.

    Not detected: log and anchor file rewritten together (by anyone who may write both,
    or for a keyed anchor by a holder of the key); a rollback of the log together with
    an earlier copy of its anchor file (only `anchor` kept elsewhere detects it); every
    row deleted together with the anchor file (that is a new, empty store); anything
    about an in-memory database. Without the key, a keyed anchor's HMAC is not checked
    (:func:`audit_status` notes it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab import open_store
    >>> audit_problem(open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb")) is None
    True
    """
    return audit_status(store, anchor).problem


def verify_audit(store: AuditStore | str | Path, anchor: str | None = None) -> int | None:
    """Return the ``seq`` of the first broken audit entry, or None if the log is intact.

    See :func:`audit_problem` for what is checked (the chain, the anchor file beside the
    store and, optionally, an `anchor` ``"<seq>:<hash>"`` of :func:`audit_head` kept
    elsewhere) and what is and is not detected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> for i in range(3):
    ...     _ = record_query(path, who="ana", purpose="inv:LX-7", query="trace",
    ...                      counts={"rows": i})
    >>> import duckdb
    >>> with duckdb.connect(str(path)) as con:
    ...     _ = con.execute("UPDATE audit SET purpose = 'inv:OTHER' WHERE seq = 2")
    >>> verify_audit(path)
    2
    >>> with duckdb.connect(str(path)) as con:
    ...     _ = con.execute("DELETE FROM audit WHERE seq >= 2")  # cut: the chain looks fine
    >>> verify_audit(path), audit_problem(path)[1]
    (2, 'entries 2 to 3 named by the anchor are missing: the newest entries were cut off')
    """
    problem = audit_problem(store, anchor)
    return None if problem is None else problem[0]


def adopt_anchor(store: AuditStore | str | Path, *, who: str | None = None,
                 now: pd.Timestamp | str | None = None) -> dict[str, Any]:
    """Re-anchor a log that does not match its anchor file, and log that in the log itself.

    For a store written before anchors existed ("anchor missing"), or one whose anchor
    no longer matches after an operator has looked into why. Appends an
    :data:`ADOPT_PURPOSE` entry naming the old anchor (or its absence) and the log's head
    then, commits it, and only then writes a fresh anchor; a crash in between leaves the
    old verdict standing, so adopting again is safe. The adoption stays in the chain for
    every later verification to see; it does not repair an edited entry, which
    :func:`audit_problem` keeps reporting.

    Parameters
    ----------
    store : Store, str or Path
        An open store, or the path of its database file.
    who : str, optional
        The operator; default the login name of the process.
    now : Timestamp or str, optional
        Time of the adoption (tz-aware); default now.

    Returns
    -------
    dict
        The adoption entry.

    Raises
    ------
    ValueError
        If the log already matches its anchor (nothing to adopt), or the database is in
        memory.
    AuditAnchorError
        If the anchor is keyed and ``TRACELAB_KEY`` is not set: adopting would replace it
        by an unkeyed one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> _ = record_query(path, who="ana", purpose="inv:LX-7", query="trace", counts={"rows": 1})
    >>> anchor_path(path).unlink()  # as in a store from before anchors
    >>> adopt_anchor(path, who="ops-li")["query"]  # doctest: +ELLIPSIS
    'adopt audit anchor: was missing; log 1 rows, head 1:...; old anchor none'
    >>> verify_audit(path) is None
    True
    """
    key = anchor_key()

    def adopt(st: AuditStore) -> dict[str, Any]:
        con = st.con
        database = database_file(con)
        if database is None:
            raise ValueError(msg("store: an in-memory database has no anchor file to adopt"))
        file = anchor_path(database)
        con.execute("BEGIN TRANSACTION")
        try:
            rows, last_seq, last_hash, verdict = _judge_log(con, file, key)
            try:
                old = read_anchor(file)
            except ValueError:
                old = None
            if old is not None and old.mac is not None and key is None:
                raise AuditAnchorError(msg("store: the anchor {file!r} is keyed (HMAC); set "
                                           "{env} to the key to adopt, or the new anchor "
                                           "would not be keyed", file=str(file), env=KEY_ENV))
            if verdict.problem is None:
                raise ValueError(msg("store: the log matches its anchor {file!r} ({state}); there "
                                     "is nothing to adopt", file=str(file), state=verdict.state))
            state = {"missing": "was missing", "unreadable": "was unreadable"}.get(
                verdict.state, "did not match")
            fields_ = _fields(who, ADOPT_PURPOSE,
                              f"adopt audit anchor: {state}; log {rows} rows, head "
                              f"{last_seq}:{last_hash[:16]}; old anchor "
                              + ("none" if old is None else f"{old.seq}:{old.hash[:16]}"),
                              {"rows": rows}, now, ("ops",))
            entry = _insert(con, fields_, last_seq + 1, last_hash)
            con.execute("COMMIT")
        except BaseException as err:
            rollback(con, err)
            raise
        # Only after the COMMIT: an anchor must never cover an adoption the log lacks.
        write_anchor(file, Anchor(rows + 1, int(entry[SEQ]), str(entry[HASH]), None, None),
                     key)
        return entry

    return _with_store(store, adopt)
