"""The privacy boundary: what may leave the loader, and the check at every exit.

Raw person ids, phone numbers, ID numbers and names exist only between a loader and
pseudonymisation. :func:`protect_venues` does for a venue registry what
:func:`tracelab.privacy.pseudonyms.pseudonymise` does for scans and cases: an applicant's
phone and an individual owner's ID become keyed pseudonyms (the same person links across
venues, and nobody without the key can recover the number), an individual owner's name is
masked, and free text (names, addresses) is scrubbed of phone and ID numbers by their shape.

Every exit (the store, the Parquet layout, the briefing) calls :func:`require_protected`,
which refuses a table still holding a raw identifier, in whatever column it arrived. The one
planned door out is the field teams' call list, which reveals names and phones for an
authorised role under a purpose and the key, audited; it does not pass through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab._i18n import msg
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.privacy.pseudonyms import (
    PERSON_ID_COLUMNS,
    PSEUDONYM_HEX,
    PSEUDONYM_PREFIX,
    individual_owners,
    is_pseudonym,
    personal_columns,
    pseudonym,
    scrub_text,
)

__all__ = ["PrivacyError", "protect_venues", "raw_identifiers", "require_protected"]


class PrivacyError(ValueError):
    """A table about to leave the privacy boundary still holds a raw identifier."""


def _is_masked(text: str) -> bool:
    return "*" in text


# A pseudonym's 16 hex digits, or a hash's 24 or more, may hold a run of 11 or 15 decimal
# digits: not a phone.
_PSEUDONYM_IN_TEXT = re.compile(r"p_[0-9a-f]{16}(?![0-9a-f])|(?<![0-9A-Za-z])[0-9a-f]{24,}"
                                r"(?![0-9A-Za-z])")


def _identifying(text: str) -> bool:
    """True when `text` holds a phone or ID number by its shape (pseudonyms aside)."""
    bare = _PSEUDONYM_IN_TEXT.sub(" ", text)
    return scrub_text(bare) != bare


def _text_columns(frame: pd.DataFrame, skip: Iterable[str]) -> list[str]:
    skipped = set(skip)
    return [c for c in frame.columns if c not in skipped
            and (frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype))]


#: Columns that hold codes, not text: a venue or township code is not a phone number.
_CODES = (s.VENUE_ID, s.PARENT_VENUE_ID, s.TOWNSHIP_CODE, s.OWNER_ID)


def protect_venues(venues: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """A copy of a venue registry with its personal data pseudonymised, masked or scrubbed.

    ``applicant_phone`` becomes a keyed pseudonym; where the owner is an individual (a
    sole trader's resident ID rather than a company's USCC) ``owner_id`` becomes a
    pseudonym and ``owner_name`` is masked; phone and ID numbers standing in any other
    text column (a name or an address with a number in it) are masked by their shape.

    Examples
    --------
    >>> from tracelab.privacy.pseudonyms import DEMO_KEY
    >>> v = pd.DataFrame({"venue_id": ["V1"], "name": ["老张面馆 13812345678"],
    ...                   "applicant_phone": ["13812345678"], "owner_id_kind": ["resident_id"],
    ...                   "owner_id": ["110105194912310029"], "owner_name": ["张三丰"]})
    >>> out = protect_venues(v, DEMO_KEY)
    >>> out.loc[0, "name"], out.loc[0, "owner_name"], out.loc[0, "applicant_phone"][:2]
    ('老张面馆 138*****678', '张**', 'p_')
    >>> raw_identifiers(out)
    {}
    """
    out = venues.copy()
    if s.APPLICANT_PHONE in out.columns:
        out[s.APPLICANT_PHONE] = out[s.APPLICANT_PHONE].map(
            lambda v: v if not isinstance(v, str) or not v.strip() or is_pseudonym(v)
            else pseudonym(v, key)).astype("str")
    individual = individual_owners(out)
    if s.OWNER_ID in out.columns and individual.any():
        owner = out[s.OWNER_ID].astype("object")
        owner[individual] = [v if not isinstance(v, str) or is_pseudonym(v) else pseudonym(v, key)
                             for v in owner[individual]]
        out[s.OWNER_ID] = owner.astype("str")
    if s.OWNER_NAME in out.columns and individual.any():
        name = out[s.OWNER_NAME].astype("object")
        name[individual] = [ids.mask_name(v) if isinstance(v, str) and not _is_masked(v) else v
                            for v in name[individual]]
        out[s.OWNER_NAME] = name.astype("str")
    for column in _text_columns(out, (*_CODES, s.APPLICANT_PHONE, s.OWNER_NAME)):
        # Only present values: map() would turn a missing None into NaN.
        present = out[column].notna()
        out[column] = out[column].where(~present, out[column].map(scrub_text))
    return out


def raw_identifiers(frame: pd.DataFrame) -> dict[str, tuple[int, str]]:
    """Columns of `frame` that still hold raw identifiers: ``{column: (count, masked example)}``.

    A person-id column must hold pseudonyms (or masked values); a phone, ID-number or
    individual owner's column must hold pseudonyms or masks; any other text column must
    hold no phone or ID number by its shape.

    Examples
    --------
    >>> raw_identifiers(pd.DataFrame({"person_id": ["13812345678", "p_0123456789abcdef"],
    ...                               "note": ["ok", "call 13912345678"]}))
    {'person_id': (1, '13*******78'), 'note': (1, 'call 139*****678')}
    """
    found: dict[str, tuple[int, str]] = {}
    kinds = personal_columns(frame)
    individual = individual_owners(frame)
    for column in frame.columns:
        values = frame[column]
        if column in (s.OWNER_ID, s.OWNER_NAME):
            values = values[individual]
        kind = kinds.get(column)
        if kind is None and column in PERSON_ID_COLUMNS:
            kind = "person"
        if kind is None and (column in _CODES or not (
                _coded_text(values) or values.dtype == object
                or isinstance(values.dtype, pd.StringDtype))):
            continue  # codes and non-text: nothing to judge
        if _clean_text(values, kind):  # told from the Arrow bytes: nothing can be raw
            continue
        # Each distinct value is judged once: a log of millions of rows holds far fewer.
        # Arrow text is first sieved in C (_suspects): only values that may be raw are
        # judged, in the same order, so the count and the example do not change.
        present = values  # missing values are never raw, nor counted below
        if kind is not None:
            present = values.dropna()
            if not _coded_text(present):
                present = present.astype(str)
            bad = [v for v in _suspects(present, _MARKED, keep=False)
                   if v.strip() and not is_pseudonym(v) and not _is_masked(v)]
            shown = (ids.mask_name if kind == "name" else
                     ids.mask_phone if kind == "phone" else ids.mask_id)
        else:
            bad = [v for v in _suspects(present, _DIGIT_RUN, keep=True)
                   if isinstance(v, str) and _identifying(v)]
            shown = scrub_text  # type: ignore[assignment]
        if bad:
            found[column] = (int(present.isin(bad).sum()), str(shown(bad[0])))
    return found


def require_protected(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Return `frame` if it holds no raw identifier, else raise :class:`PrivacyError`.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table about to be stored, written or shown.
    what : str
        What it is, for the message (e.g. ``"store table scans"``).

    Examples
    --------
    >>> require_protected(pd.DataFrame({"person_id": ["13812345678"]}), "store table scans")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.privacy.boundary.PrivacyError: store table scans: column person_id holds 1 raw ...
    """
    found = raw_identifiers(frame)
    if found:
        column, (count, example) = next(iter(found.items()))
        more = msg(" (and {n} more column(s))", n=len(found) - 1) if len(found) > 1 else ""
        raise PrivacyError(msg("{what}: column {column} holds {count} raw identifier(s), e.g. "
                               "{example!r}{more}; pseudonymise first "
                               "(tracelab.io.pseudonymise_data, or key= where offered)",
                               what=what, column=column, count=count, example=example, more=more))
    return frame


#: Pseudonyms (as :func:`is_pseudonym` matches them, a final line feed included) and
#: masked values: never raw. In RE2, ``$`` is the end of the text.
_MARKED = rf"^{re.escape(PSEUDONYM_PREFIX)}[0-9a-f]{{{PSEUDONYM_HEX}}}\n?$|\*"
#: Every phone or ID number :func:`scrub_text` finds is a run of at least 11 digits.
_DIGIT_RUN = r"[0-9]{11}"


def _coded_text(values: pd.Series) -> bool:
    """Whether `values` is a categorical of text (codes into distinct strings)."""
    dtype = values.dtype
    return (isinstance(dtype, pd.CategoricalDtype)
            and dtype.categories.inferred_type in ("string", "empty"))


def _suspects(values: pd.Series, pattern: str, *, keep: bool) -> list[Any]:
    """The distinct values to judge, in order of first appearance, sieved by `pattern`.

    A categorical gives its distinct values without a pass over the text; Arrow text is
    sieved in C, keeping the values that match `pattern` (`keep`) or those that do not.
    Other columns give all their distinct values, judged one by one.
    """
    if _coded_text(values):
        values = pd.Series(np.asarray(pd.unique(values), dtype=object), dtype="str")
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and len(values):
        hit = pc.match_substring_regex(pa.array(values.array), pattern)
        hit = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
        values = values[hit if keep else ~hit]
    return list(pd.unique(values))


#: Lower-case hex digits, as bytes: a pseudonym's characters after its prefix.
_HEX_BYTE = np.zeros(256, dtype=bool)
_HEX_BYTE[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = True
_PREFIX_BYTES = np.frombuffer(PSEUDONYM_PREFIX.encode(), dtype=np.uint8)
_DIGIT_RUN_LENGTH = 11  # the length of _DIGIT_RUN's run


def _clean_text(values: pd.Series, kind: str | None) -> bool:
    """True when `values` (Arrow text, or a categorical of it) surely holds nothing raw.

    A sufficient test on the text's bytes, in numpy, many times faster than the regular
    expressions: every value of a personal column is a pseudonym's exact shape; no other
    text holds a run of :data:`_DIGIT_RUN_LENGTH` digits (UTF-8 puts no digit byte inside
    another character). False means "look closer", never "raw": the values then go
    through the full check, which alone says what is raw and gives the example.
    """
    text = _arrow_text(values)
    if text is None:
        return False
    if kind is None:
        return not _has_digit_run(text)
    if text.null_count:  # missing values are not raw
        text = pc.drop_null(text)
    return _all_pseudonyms(text)


def _arrow_text(values: pd.Series) -> pa.Array | None:
    """The Arrow text of `values` (of a categorical: its categories), or None."""
    if _coded_text(values):
        values = values.dtype.categories  # every value present, and maybe unused ones
    dtype = values.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    found = pa.array(values.array)
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks() if found.num_chunks != 1 else found.chunk(0)
    if not (pa.types.is_string(found.type) or pa.types.is_large_string(found.type)):
        return None
    return found


def _text_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets of `text` (Arrow string or large string) and the bytes they span."""
    _, offsets_buf, data_buf = text.buffers()
    itype = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=itype)[text.offset:text.offset + len(text) + 1]
    if data_buf is None or not len(text):
        return offsets, np.zeros(0, dtype=np.uint8)
    return offsets, np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]]


def _has_digit_run(text: pa.Array) -> bool:
    """Whether the bytes of `text` (values end to end, so also across two) hold a run of
    :data:`_DIGIT_RUN_LENGTH` ASCII digits."""
    _, data = _text_bytes(text)
    digit = (data - np.uint8(ord("0"))) < 10
    if not digit.any():
        return False
    edges = np.flatnonzero(np.diff(np.concatenate(([False], digit, [False])).view(np.int8)))
    return bool((edges[1::2] - edges[0::2] >= _DIGIT_RUN_LENGTH).any())


def _all_pseudonyms(text: pa.Array) -> bool:
    """Whether every value of `text` (no missing ones) is the prefix and hex digits of a
    pseudonym, exactly."""
    width = len(_PREFIX_BYTES) + PSEUDONYM_HEX
    offsets, data = _text_bytes(text)
    if len(data) != width * len(text) or np.any(np.diff(offsets) != width):
        return False
    chars = data.reshape(len(text), width)
    return bool((chars[:, :len(_PREFIX_BYTES)] == _PREFIX_BYTES).all()
                and _HEX_BYTE[chars[:, len(_PREFIX_BYTES):]].all())
