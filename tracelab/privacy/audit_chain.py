"""The audit log's hash chain: what an entry holds, how it is hashed, and how a chain is checked.

Each entry's hash covers the previous entry's hash and the entry's canonical JSON
(:func:`entry_hash`); the first entry chains to :data:`GENESIS_HASH`. Pure functions on
values and frames: reading and writing the ``audit`` table is
:mod:`tracelab.privacy.audit`'s job, the anchor file :mod:`tracelab.privacy.audit_anchor`'s.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pandas as pd

from tracelab._i18n import msg
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
from tracelab.model.tables import TABLES

__all__ = [
    "AUDIT_COLUMNS",
    "AUDIT_TABLE",
    "GENESIS_HASH",
    "canonical_json",
    "entry_hash",
    "chain_problem",
    "parse_head",
    "newest_head",
]

AUDIT_COLUMNS = (SEQ, AT, WHO, PURPOSE, QUERY, COUNTS, PREV_HASH, HASH)
#: Column types of the ``audit`` table (:data:`tracelab.model.tables.TABLES`).
AUDIT_TABLE = TABLES["audit"]
#: prev_hash of the first entry.
GENESIS_HASH = "0" * 64


def canonical_json(obj: Any) -> str:
    """`obj` as canonical JSON: sorted keys, no spaces, text left as UTF-8 (not escaped).

    What entry hashes and the anchor's HMAC are computed over.

    Examples
    --------
    >>> canonical_json({"rows": 3, "cases": 1})
    '{"cases":1,"rows":3}'
    """
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
    body = canonical_json({SEQ: int(seq), AT: _at_text(at), WHO: who, PURPOSE: purpose,
                           QUERY: query, COUNTS: counts, PREV_HASH: prev_hash})
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def newest_head(log: pd.DataFrame) -> str | None:
    """``"<seq>:<hash>"`` of the newest entry of `log` (ordered by ``seq``); None when empty.

    Examples
    --------
    >>> newest_head(pd.DataFrame({"seq": [1, 2], "hash": ["a" * 64, "b" * 64]}))[:6]
    '2:bbbb'
    """
    return None if log.empty else f"{int(log[SEQ].iloc[-1])}:{log[HASH].iloc[-1]}"


def parse_head(anchor: str) -> tuple[int, str]:
    """The seq and hash of a head ``"<seq>:<hash>"`` kept outside the store.

    Raises
    ------
    ValueError
        If `anchor` is not ``"<seq>:<64 hex digits>"`` with a seq of 1 or more.

    Examples
    --------
    >>> parse_head("2:" + "b" * 64)[0]
    2
    """
    seq, _, digest = str(anchor).partition(":")
    if not (seq.isdigit() and int(seq) >= 1 and re.fullmatch(r"[0-9a-f]{64}", digest)):
        raise ValueError(msg("anchor: {anchor!r} is not '<seq>:<64 hex digits>' as printed by "
                             "`tracelab audit --verify`", anchor=anchor))
    return int(seq), digest


def chain_problem(log: pd.DataFrame, expected: tuple[int, str] | None) -> tuple[int, str] | None:
    """The first entry that breaks the chain (or the head kept elsewhere), and why.

    Parameters
    ----------
    log : DataFrame
        The audit table ordered by ``seq`` (:data:`AUDIT_COLUMNS`).
    expected : tuple of (int, str) or None
        A head kept outside the store (:func:`parse_head`): that entry must still be
        there with that hash.

    Returns
    -------
    tuple of (int, str) or None
        The seq of the first broken entry and why; None when the chain is intact.

    Examples
    --------
    >>> at = pd.Timestamp("2022-11-25T08:00:00Z")
    >>> first = entry_hash(1, at, "ana", "inv:X1", "trace", "{}", GENESIS_HASH)
    >>> log = pd.DataFrame([[1, at, "ana", "inv:X1", "trace", "{}", GENESIS_HASH, first]],
    ...                    columns=list(AUDIT_COLUMNS))
    >>> chain_problem(log, None) is None, chain_problem(log, (2, first))[0]
    (True, 2)
    """
    prev = GENESIS_HASH
    for expected_seq, row in enumerate(log.itertuples(index=False), start=1):
        seq = int(getattr(row, SEQ))
        if seq != expected_seq:
            return expected_seq, msg("entry {seq} is missing (next is {next})",
                                     seq=expected_seq, next=seq)
        if getattr(row, PREV_HASH) != prev:
            return seq, msg("prev_hash does not match the previous entry's hash")
        fields_ = [getattr(row, c) for c in (WHO, PURPOSE, QUERY, COUNTS)]
        at = getattr(row, AT)
        if any(v is None or (isinstance(v, float) and pd.isna(v)) for v in fields_) \
                or pd.isna(at):
            return seq, msg("a field is empty")
        who, purpose, query, counts = map(str, fields_)
        digest = entry_hash(seq, pd.Timestamp(at), who, purpose, query, counts, prev)
        if getattr(row, HASH) != digest:
            return seq, msg("hash does not match the entry: it was edited")
        if expected is not None and seq == expected[0] and digest != expected[1]:
            return seq, msg("the chain was rewritten: this entry differs from the anchor")
        prev = digest
    if expected is not None and expected[0] > len(log):
        return len(log) + 1, msg("entries {first} to {last} of the anchor are missing: the "
                                 "log was cut", first=len(log) + 1, last=expected[0])
    return None
