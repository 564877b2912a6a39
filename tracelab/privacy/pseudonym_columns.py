"""Pseudonyms of whole columns: the HMAC of :func:`~tracelab.privacy.pseudonyms.pseudonym`,
run on Arrow's bytes for hundreds of thousands of ids at once.

A county's ingest or a day's append pseudonymises a few hundred thousand distinct people:
:func:`hmac_digests` hashes the key's padded blocks once and copies the hash states per
id, :func:`pseudonym_array` hashes an Arrow text array from its UTF-8 bytes and writes the
hex of every digest at once, and :func:`remember_codes` lets a loader hand the codes of
a column it built from its distinct values to the pseudonymisation, which then hashes
each distinct id once. Each equals :func:`~tracelab.privacy.pseudonyms.pseudonym` value
for value (tests/test_pseudonyms_fast.py).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from tracelab.privacy.pseudonyms import (
    PSEUDONYM_HEX,
    PSEUDONYM_PREFIX,
    arrow_strings,
    check_key,
    utf8_bytes,
)

__all__ = ["hmac_digests", "pseudonym_array", "remember_codes", "known_codes"]


#: HMAC's pads (RFC 2104): the key's bytes xor 0x36 (inner) and 0x5c (outer).
_INNER_PAD = bytes(b ^ 0x36 for b in range(256))
_OUTER_PAD = bytes(b ^ 0x5C for b in range(256))
#: Bytes an end of a UTF-8 text may hold where ``str.strip()`` might remove something:
#: ASCII white space, and any byte of a non-ASCII character (checked in Python).
_MAYBE_SPACE = np.zeros(256, dtype=bool)
_MAYBE_SPACE[list(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ")] = True
_MAYBE_SPACE[0x80:] = True
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hmac_digests(messages: Iterable[bytes], key: bytes) -> list[bytes]:
    """HMAC-SHA256 of each of `messages` under `key`: ``hmac.digest(key, m, "sha256")``.

    The key's two padded blocks are hashed once and the hash states copied per message,
    not rebuilt: for a county's few hundred thousand people this is about half the time
    of copying an ``hmac`` object per id, and a third of ``hmac.digest`` per id.

    Examples
    --------
    >>> import hmac
    >>> from tracelab.privacy.pseudonyms import DEMO_KEY
    >>> hmac_digests([b"P1"], DEMO_KEY) == [hmac.digest(DEMO_KEY, b"P1", "sha256")]
    True
    """
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner, outer = hashlib.sha256(key.translate(_INNER_PAD)), hashlib.sha256(
        key.translate(_OUTER_PAD))
    new_inner, new_outer = inner.copy, outer.copy
    out: list[bytes] = []
    add = out.append
    for message in messages:
        one = new_inner()
        one.update(message)
        two = new_outer()
        two.update(one.digest())
        add(two.digest())
    return out


def pseudonym_array(values: pa.Array, key: bytes) -> pa.Array:
    """:func:`~tracelab.privacy.pseudonyms.pseudonym` of each text of an Arrow text array; null where missing or blank.

    The texts are hashed from Arrow's UTF-8 bytes and the digests written as hex for the
    whole array at once: Python handles one bytes object per value, and a text only when
    its ends may hold white space to strip.

    Parameters
    ----------
    values : pyarrow.Array
        ``string`` or ``large_string``.
    key : bytes
        From :func:`~tracelab.privacy.pseudonyms.load_key`.

    Returns
    -------
    pyarrow.Array
        ``large_string``, row for row.

    Examples
    --------
    >>> from tracelab.privacy.pseudonyms import DEMO_KEY, pseudonym
    >>> out = pseudonym_array(pa.array([" P1", None, " ", "P1"]), DEMO_KEY)
    >>> out.to_pylist() == [pseudonym("P1", DEMO_KEY), None, None, pseudonym("P1", DEMO_KEY)]
    True
    """
    key = check_key(key)
    n = len(values)
    messages = values.cast(pa.large_binary()).to_numpy(zero_copy_only=False)
    data, bounds = utf8_bytes(values)
    present = ~np.asarray(values.is_null(), dtype=bool) if values.null_count else np.ones(
        n, dtype=bool)
    lengths = np.diff(bounds)
    odd = lengths == 0
    some = np.flatnonzero(~odd)
    odd[some] = (_MAYBE_SPACE[data[bounds[some]]]
                 | _MAYBE_SPACE[data[bounds[some] + lengths[some] - 1]])
    for i in np.flatnonzero(odd & present).tolist():
        text = messages[i].decode("utf-8").strip()
        if text:
            messages[i] = text.encode("utf-8")
        else:  # as pseudonym(): a blank id has none
            present[i] = False
    rows = np.flatnonzero(present)
    digests = hmac_digests(messages if len(rows) == n else messages[rows], key)
    done = _as_pseudonyms(digests)
    if len(rows) == n:
        return done
    at = np.full(n, -1, dtype=np.int64)
    at[rows] = np.arange(len(rows))
    return done.take(pa.array(at, mask=at < 0))


def _as_pseudonyms(digests: list[bytes]) -> pa.Array:
    """``p_`` + the first hex digits of each digest, as ``pseudonym`` writes them, as Arrow text."""
    n = len(digests)
    width = len(PSEUDONYM_PREFIX) + PSEUDONYM_HEX
    size = (PSEUDONYM_HEX + 1) // 2
    raw = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(
        n, hashlib.sha256().digest_size)[:, :size]
    text = np.empty((n, len(PSEUDONYM_PREFIX) + 2 * size), dtype=np.uint8)
    text[:, :len(PSEUDONYM_PREFIX)] = np.frombuffer(PSEUDONYM_PREFIX.encode("ascii"),
                                                   dtype=np.uint8)
    text[:, len(PSEUDONYM_PREFIX)::2] = _HEX_DIGITS[raw >> 4]
    text[:, len(PSEUDONYM_PREFIX) + 1::2] = _HEX_DIGITS[raw & 15]
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text[:, :width])))


#: Codes of Arrow text columns, by the id of the column's data (checked by a weak
#: reference, so an entry goes with its column): see :func:`remember_codes`.
_CODES: dict[int, tuple[weakref.ref[pa.ChunkedArray], np.ndarray, pa.Array]] = {}


def remember_codes(column: pd.Series, codes: np.ndarray, values: pa.Array) -> None:
    """Note that the Arrow text `column` is ``values`` taken at `codes` (-1: missing).

    A loader that built a column from its distinct values says so, and
    :func:`known_codes` of that column (its very data: Arrow arrays do not change) finds
    them again, so a later pass need not hash millions of strings to code them anew.
    Nothing is kept once the column's data is gone.

    Examples
    --------
    >>> column = pd.Series(["b", "a", "b"], dtype="str")
    >>> remember_codes(column, np.array([1, 0, 1]), pa.array(["a", "b"]))
    >>> known_codes(column)[0].tolist(), known_codes(column.copy()) is not None
    ([1, 0, 1], True)
    >>> known_codes(pd.Series(["b", "a", "b"], dtype="str")) is None
    True
    """
    data = arrow_strings(column)
    if data is None or len(codes) != len(data):
        return
    key = id(data)

    def forget(_: object) -> None:
        _CODES.pop(key, None)

    _CODES[key] = (weakref.ref(data, forget), codes, values)


def known_codes(column: pd.Series) -> tuple[np.ndarray, pa.Array] | None:
    """The codes and distinct values :func:`remember_codes` noted for `column`'s data, or None."""
    data = arrow_strings(column)
    found = _CODES.get(id(data)) if data is not None else None
    if found is None or found[0]() is not data:
        return None
    return found[1], found[2]
