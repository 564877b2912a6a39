"""Purpose binding and the hash-chained audit log of person-level queries.

Every query that returns people (trace, sources, companions, contact exports) must name
its purpose, a case or investigation id, and leaves one entry in the store's ``audit``
table: who, when, purpose, what was asked and how many rows came back. Each entry's hash
covers the previous entry's hash and the entry's canonical JSON, so editing, deleting or
reordering an entry with plain SQL breaks the chain and :func:`verify_audit` finds it
(DOMAIN.md section 10, threat 1; ``query_binding``, section 11.5).
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import inspect
import json
import os
import re
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, cast

import duckdb
import pandas as pd

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
from tracelab.model.tables import TABLES, create_statements, read_sql
from tracelab.privacy.pseudonyms import IDENTIFIER_IN_TEXT, scrub_text

__all__ = [
    "PURPOSE_PATTERN",
    "GENESIS_HASH",
    "AUDIT_COLUMNS",
    "PurposeError",
    "require_purpose",
    "record_query",
    "audited",
    "AUDIT_ENV",
    "read_audit",
    "verify_audit",
    "audit_problem",
    "audit_head",
    "entry_hash",
    "AUDIT_TABLE",
    "AuditStore",
]

AUDIT_COLUMNS = (SEQ, AT, WHO, PURPOSE, QUERY, COUNTS, PREV_HASH, HASH)
#: Column types of the ``audit`` table (:data:`tracelab.model.tables.TABLES`).
AUDIT_TABLE = TABLES["audit"]
_QUOTED = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)  # "at" is an SQL keyword

#: A purpose is ``case:`` or ``inv:`` followed by 1-64 letters, digits, ``.``, ``_`` or
#: ``-`` starting with a letter or digit, e.g. ``case:p_89e942357569d1ea`` (a case's
#: pseudonym) or ``inv:LX-2022-11-007`` (an investigation number). ``ops:`` purposes
#: (e.g. ``ops:retention``) are for system operations such as purges, never for queries
#: about people.
PURPOSE_PATTERN = r"^(case|inv|ops):[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_PURPOSE_RE = re.compile(PURPOSE_PATTERN)
#: Purpose kinds accepted for person-level queries.
PERSON_QUERY_KINDS = ("case", "inv")
#: prev_hash of the first entry.
GENESIS_HASH = "0" * 64
# Digit runs that could be a phone (11) or an ID number (15, 17 + check, 18): masked
# wherever they appear in free text of the log.
_IDENTIFIER_RE = IDENTIFIER_IN_TEXT


class AuditStore(Protocol):
    """An open database holding the ``audit`` table: :class:`tracelab.Store` is one."""

    con: duckdb.DuckDBPyConnection


class _AuditFile:
    """A DuckDB file opened by the audit log itself, with every table created if missing."""

    def __init__(self, path: str | Path, *, read_only: bool) -> None:
        self.con = duckdb.connect(str(path), read_only=read_only)
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            for statement in create_statements():
                self.con.execute(statement)


def _is_store(store: object) -> bool:
    return isinstance(getattr(store, "con", None), duckdb.DuckDBPyConnection)


class PurposeError(ValueError):
    """A person-level query without a valid purpose."""


def require_purpose(purpose: object, *, kinds: tuple[str, ...] = PERSON_QUERY_KINDS) -> str:
    """Check that `purpose` names a case or investigation, and return it stripped.

    Parameters
    ----------
    purpose : object
        The purpose as given by the caller.
    kinds : tuple of str, default ("case", "inv")
        Accepted prefixes; person-level queries accept only cases and investigations.

    Returns
    -------
    str

    Raises
    ------
    PurposeError
        If `purpose` is missing, empty, does not match :data:`PURPOSE_PATTERN`, has
        another prefix, or holds something that looks like a phone or ID number (a
        purpose is logged; it must cite a case pseudonym or an investigation number).

    Examples
    --------
    >>> require_purpose(" inv:LX-2022-11-007 ")
    'inv:LX-2022-11-007'
    >>> require_purpose(None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.privacy.audit.PurposeError: purpose: a person-level query needs a purpose, ...
    """
    allowed = " or ".join(f"'{k}:...'" for k in kinds)
    example = ("a case or investigation id such as 'case:p_89e942357569d1ea' or "
               "'inv:LX-2022-11-007'")
    if purpose is None or (isinstance(purpose, str) and not purpose.strip()):
        raise PurposeError(f"purpose: a person-level query needs a purpose, {example}; "
                           f"got {purpose!r}")
    if not isinstance(purpose, str):
        raise PurposeError(f"purpose: must be text, got {type(purpose).__name__}; use {example}")
    text = purpose.strip()
    if _IDENTIFIER_RE.search(text):
        raise PurposeError(f"purpose: {_scrub(text)!r} holds a phone or ID number; cite the "
                           "case by its pseudonym or an investigation number instead")
    if not _PURPOSE_RE.match(text) or text.split(":", 1)[0] not in kinds:
        raise PurposeError(f"purpose: {text[:80]!r} is not {allowed} followed by 1-64 "
                           f"letters, digits, '.', '_' or '-'; use {example}")
    return text


def _scrub(text: str) -> str:
    return str(scrub_text(text))


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _at_text(at: pd.Timestamp) -> str:
    return at.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(seq: int, at: pd.Timestamp, who: str, purpose: str, query: str, counts: str,
               prev_hash: str) -> str:
    """SHA-256 hex of `prev_hash`, a newline and the canonical JSON of the entry.

    The canonical JSON has sorted keys, no spaces, UTF-8 text, and ``at`` as
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC; ``counts`` is hashed as stored (text).

    Examples
    --------
    >>> h = entry_hash(1, pd.Timestamp("2022-11-25T08:00:00Z"), "ana", "inv:X1", "trace",
    ...                '{"rows":3}', GENESIS_HASH)
    >>> len(h), h == entry_hash(1, pd.Timestamp("2022-11-25T08:00:00Z"), "ana", "inv:X1",
    ...                          "trace", '{"rows":4}', GENESIS_HASH)
    (64, False)
    """
    body = _canonical({SEQ: int(seq), AT: _at_text(at), WHO: who, PURPOSE: purpose,
                       QUERY: query, COUNTS: counts, PREV_HASH: prev_hash})
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def _with_store(store: AuditStore | str | Path, func: Callable[[AuditStore], Any], *,
                read_only: bool = False) -> Any:
    if _is_store(store):
        return func(store)  # type: ignore[arg-type]
    path = Path(store)  # type: ignore[arg-type]
    if read_only and not path.is_file():
        raise FileNotFoundError(f"store: {str(store)!r}: no such database file")
    opened = _AuditFile(path, read_only=read_only)
    try:
        return func(opened)
    finally:
        opened.con.close()


def record_query(store: AuditStore | str | Path, *, who: str | None = None, purpose: str,
                 query: str, counts: Mapping[str, int],
                 now: pd.Timestamp | str | None = None,
                 kinds: tuple[str, ...] = PERSON_QUERY_KINDS) -> dict[str, Any]:
    """Append one hash-chained entry to the audit table and return it.

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

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> entry = record_query(path, who="ana", purpose="inv:LX-7", query="trace cases=1",
    ...                      counts={"rows": 3}, now="2022-11-25T08:00:00Z")
    >>> entry["seq"], entry["counts"], entry["prev_hash"] == GENESIS_HASH
    (1, '{"rows":3}', True)
    >>> verify_audit(path) is None
    True
    """
    purpose = require_purpose(purpose, kinds=kinds)
    bad = {k: v for k, v in counts.items()
           if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 0}
    if bad:
        raise ValueError(f"counts: {bad!r} must map names to non-negative integers")
    at = now_utc(now).floor("us")
    who_text = _scrub(str(who if who is not None else getpass.getuser()).strip() or "unknown")
    query_text = _scrub(str(query))
    counts_text = _canonical({k: int(v) for k, v in counts.items()})

    def append(st: AuditStore) -> dict[str, Any]:
        con = st.con
        con.execute("BEGIN TRANSACTION")
        try:
            last = con.execute(f'SELECT "{SEQ}", "{HASH}" FROM audit '
                               f'ORDER BY "{SEQ}" DESC LIMIT 1').fetchone()
            seq = 1 if last is None else int(last[0]) + 1
            prev = GENESIS_HASH if last is None else str(last[1])
            digest = entry_hash(seq, at, who_text, purpose, query_text, counts_text, prev)
            entry = {SEQ: seq, AT: at, WHO: who_text, PURPOSE: purpose, QUERY: query_text,
                     COUNTS: counts_text, PREV_HASH: prev, HASH: digest}
            con.execute(f"INSERT INTO audit ({_QUOTED}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [seq, at.to_pydatetime(), who_text, purpose, query_text, counts_text,
                         prev, digest])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return entry

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
        raise ValueError(f"audit: {query} is a person-level query; pass audit=<Store or "
                         f"DuckDB path> or set the environment variable {AUDIT_ENV}, so that "
                         "it is logged")
    # Not a store (that returned above), so a path or its text.
    path = Path(cast("str | Path", audit))
    # Checked before the query runs: a result must never exist without its entry.
    if not path.parent.is_dir():
        raise FileNotFoundError(f"audit: {str(path)!r}: folder {str(path.parent)!r} does not "
                                "exist; create it or name another database file")
    return path


_AUDIT_PARAMETERS = """\
purpose : str
    Required: the case or investigation this query serves, ``case:...`` or ``inv:...``
    (:func:`tracelab.privacy.audit.require_purpose`); checked before anything runs.
audit : Store, str or Path, optional
    The store (or DuckDB file) whose audit table logs the query; default the path in
    the environment variable ``TRACELAB_AUDIT``. Required one way or the other.
who : str, optional
    The analyst, for the log; default the login name of the process."""


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
             inspect.Parameter("who", kw, default=None, annotation="str | None")]
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
    tracelab.privacy.audit.PurposeError: purpose: a person-level query needs a purpose, ...
    >>> print(inspect.signature(who_was_there))
    (venue, *, purpose: 'str', audit: 'Store | str | Path | None' = None, who: 'str | None' = None)
    """
    # The wrapper takes purpose=, audit= and who= on top of func's own parameters, so it is
    # not typed as func: callers would be told those keywords do not exist.
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func)
        plain = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args: Any, purpose: str | None = None, audit: AuditStore | str | Path | None = None,
                    who: str | None = None, **kwargs: Any) -> Any:
            checked = require_purpose(purpose)
            target = _audit_target(audit, query)
            bound = signature.bind(*args, **kwargs)  # a wrong call fails here, unlogged
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            result = func(*args, **kwargs)
            n = dict((counts or _default_counts)(result, arguments))
            text = describe(arguments) if describe is not None else _default_text(query, arguments)
            record_query(target, who=who, purpose=checked, query=text, counts=n)
            return result

        wrapper.__doc__ = _audited_doc(func.__doc__, query, plain)
        wrapper.__signature__ = _audited_signature(func)  # type: ignore[attr-defined]
        return wrapper
    return decorate


def read_audit(store: AuditStore | str | Path) -> pd.DataFrame:
    """The audit table ordered by ``seq``, as a new frame.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab import open_store
    >>> list(read_audit(open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb")).columns)
    ['seq', 'at', 'who', 'purpose', 'query', 'counts', 'prev_hash', 'hash']
    """
    return _with_store(store, lambda st: read_sql(
        st.con, f'SELECT {_QUOTED} FROM audit ORDER BY "{SEQ}"'), read_only=True)


def audit_head(store: AuditStore | str | Path) -> str | None:
    """The anchor of the newest entry, ``"<seq>:<hash>"``, or None for an empty log.

    Keep it outside the store (briefing, ticket, paper): :func:`verify_audit` with
    ``anchor=`` then detects a chain rewritten or cut after that point.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab import open_store
    >>> audit_head(open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb")) is None
    True
    """
    log = read_audit(store)
    return None if log.empty else f"{int(log[SEQ].iloc[-1])}:{log[HASH].iloc[-1]}"


def _parse_anchor(anchor: str) -> tuple[int, str]:
    seq, _, digest = str(anchor).partition(":")
    if not (seq.isdigit() and int(seq) >= 1 and re.fullmatch(r"[0-9a-f]{64}", digest)):
        raise ValueError(f"anchor: {anchor!r} is not '<seq>:<64 hex digits>' as printed by "
                         "`tracelab audit --verify`")
    return int(seq), digest


def audit_problem(store: AuditStore | str | Path, anchor: str | None = None) -> tuple[int, str] | None:
    """The first broken entry of the chain and why, or None when the chain is intact.

    Checks, entry by entry in ``seq`` order: ``seq`` runs 1, 2, 3, ... (a gap means a
    deleted entry), ``prev_hash`` equals the previous entry's ``hash`` (the first:
    :data:`GENESIS_HASH`), and ``hash`` equals :func:`entry_hash` of the stored fields.
    With an `anchor` (from :func:`audit_head`, kept outside the store), the entry it
    names must still exist with that hash.

    Notes
    -----
    The hashes are not keyed: someone who can write the database can rebuild the whole
    chain after an edit, or cut its newest entries. Only an anchor kept elsewhere shows
    that; ``tracelab audit --verify`` prints one, and ``--anchor`` checks it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab import open_store
    >>> audit_problem(open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb")) is None
    True
    """
    expected = _parse_anchor(anchor) if anchor is not None else None
    log = read_audit(store)
    prev = GENESIS_HASH
    for expected_seq, row in enumerate(log.itertuples(index=False), start=1):
        seq = int(getattr(row, SEQ))
        if seq != expected_seq:
            return expected_seq, f"entry {expected_seq} is missing (next is {seq})"
        if getattr(row, PREV_HASH) != prev:
            return seq, "prev_hash does not match the previous entry's hash"
        fields = [getattr(row, c) for c in (WHO, PURPOSE, QUERY, COUNTS)]
        at = getattr(row, AT)
        if any(v is None or (isinstance(v, float) and pd.isna(v)) for v in fields) \
                or pd.isna(at):
            return seq, "a field is empty"
        who, purpose, query, counts = map(str, fields)
        digest = entry_hash(seq, pd.Timestamp(at), who, purpose, query, counts, prev)
        if getattr(row, HASH) != digest:
            return seq, "hash does not match the entry: it was edited"
        if expected is not None and seq == expected[0] and digest != expected[1]:
            return seq, "the chain was rewritten: this entry differs from the anchor"
        prev = digest
    if expected is not None and expected[0] > len(log):
        return len(log) + 1, (f"entries {len(log) + 1} to {expected[0]} of the anchor are "
                              "missing: the log was cut")
    return None


def verify_audit(store: AuditStore | str | Path, anchor: str | None = None) -> int | None:
    """Return the ``seq`` of the first broken audit entry, or None if the chain is intact.

    See :func:`audit_problem` for what is checked (with an optional `anchor`, the
    ``"<seq>:<hash>"`` of :func:`audit_head` kept elsewhere) and why an entry broke.

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
    """
    problem = audit_problem(store, anchor)
    return None if problem is None else problem[0]
