"""Pseudonyms for person identifiers and masking of personal columns for display.

Person identifiers are replaced on load by a keyed hash (HMAC-SHA256), so the store and
every result hold pseudonyms, never ID numbers or phone numbers; the key stays outside
the store (a file or an environment variable). Anything shown to a person (maps,
briefings, exports, logs) goes through :func:`mask_frame` first (DESIGN.md section 8;
DOMAIN.md section 11.5, ``display_masking``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab._i18n import msg
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.schema import (
    ID_NUMBER,
    INFECTOR_ID,
    PERSON_NAME,
    PHONE,
)

__all__ = [
    "DEMO_KEY",
    "KEY_ENV",
    "PSEUDONYM_PREFIX",
    "MissingKeyError",
    "load_key",
    "check_key",
    "pseudonym",
    "pseudonymise",
    "is_pseudonym",
    "personal_columns",
    "scrub_text",
    "IDENTIFIER_IN_TEXT",
    "IDENTIFIER_SHAPE",
    "scrub_shapes",
    "mask_frame",
]

#: Key used in demo mode only. It is public, so its pseudonyms protect nothing: never use
#: it for real scan logs.
DEMO_KEY = b"tracelab-DEMO-key-public-NOT-SECRET"
#: Environment variable holding the pseudonymisation key (:func:`load_key`).
KEY_ENV = "TRACELAB_KEY"
#: Prefix of every pseudonym, so a pseudonym is never mistaken for a raw identifier.
PSEUDONYM_PREFIX = "p_"
#: Hex characters kept from the HMAC: 64 bits, so a county of 10**6 people has a
#: collision chance near 3e-8.
PSEUDONYM_HEX = 16
#: Shortest accepted key: 16 bytes (128 bits), the usual floor for an HMAC key.
MIN_KEY_BYTES = 16
_PSEUDONYM_RE = re.compile(rf"^{PSEUDONYM_PREFIX}[0-9a-f]{{{PSEUDONYM_HEX}}}$")

#: Columns holding person identifiers, pseudonymised on load and masked for display.
PERSON_ID_COLUMNS = (s.PERSON_ID, s.CASE_ID, s.CONTACT_ID, INFECTOR_ID)

MaskKind = Literal["name", "id", "phone", "person"]


class MissingKeyError(ValueError):
    """No pseudonymisation key was given outside demo mode."""


def load_key(path: str | Path | None = None, env: str = KEY_ENV, *,
             demo: bool = False) -> bytes:
    """Return the pseudonymisation key from a file, an environment variable or demo mode.

    Parameters
    ----------
    path : str or Path, optional
        A file holding the key (its bytes, surrounding whitespace stripped). Takes
        precedence over `env`.
    env : str, default "TRACELAB_KEY"
        Environment variable holding the key as text, used when `path` is None.
    demo : bool, default False
        When no key is found, use :data:`DEMO_KEY` instead of raising. The demo key is
        public: demo output is synthetic, so that is harmless there and nowhere else.

    Returns
    -------
    bytes
        At least :data:`MIN_KEY_BYTES` bytes.

    Raises
    ------
    MissingKeyError
        If no key is found outside demo mode, or the key is shorter than
        :data:`MIN_KEY_BYTES` (the key itself is never shown).
    FileNotFoundError
        If `path` does not exist.

    Examples
    --------
    >>> load_key(env="TRACELAB_NO_SUCH_VARIABLE", demo=True) == DEMO_KEY
    True
    """
    if path is not None:
        key_path = Path(path)
        if not key_path.is_file():
            raise FileNotFoundError(msg("path={key_path!r}: no such key file",
                                        key_path=str(key_path)))
        key = key_path.read_bytes().strip()
        where = msg("key file {path!r}", path=str(key_path))
    elif os.environ.get(env, "").strip():
        key = os.environ[env].strip().encode("utf-8")
        where = msg("environment variable {env}", env=env)
    elif demo:
        return DEMO_KEY
    else:
        raise MissingKeyError(
            msg("no pseudonymisation key: set the environment variable {env} or pass a key file "
                "(path=...); demo mode (demo=True) uses a public demo key for synthetic data only",
                env=env))
    if len(key) < MIN_KEY_BYTES:
        raise MissingKeyError(msg("the {where} holds {n} bytes; a key needs at least "
                                  "{least} ({hint})", where=where, n=len(key),
                                  least=MIN_KEY_BYTES, hint=_MAKE_ONE))
    weak = key_weakness(key)
    if weak is not None:
        raise MissingKeyError(msg("the {where} is refused: {weak} ({hint})", where=where,
                                  weak=weak, hint=_MAKE_ONE))
    return key


_MAKE_ONE = msg("make one with `openssl rand -hex 32` or "
                "`python -c \"import secrets; print(secrets.token_hex(32))\"`")
#: Least estimated entropy of a key, in bits: byte frequencies times length. Random hex of
#: 32 characters has about 128; a word repeated, or a run of one byte, has far less.
MIN_KEY_BITS = 64
#: Least number of different bytes in a key.
MIN_KEY_DISTINCT = 8


def key_weakness(key: bytes) -> str | None:
    """Why `key` is too weak to pseudonymise with, or None when it is acceptable.

    A key is weak when it is the public demo key, has fewer than
    :data:`MIN_KEY_DISTINCT` different bytes, or carries fewer than :data:`MIN_KEY_BITS`
    bits by its byte frequencies (a short word repeated). These are floors that catch
    mistakes, not a proof of randomness: generate keys, never type them.

    Examples
    --------
    >>> key_weakness(b"A" * 16)
    'it has 1 different byte(s), at least 8 are needed'
    >>> key_weakness(b"0123456789abcdef0123456789abcdef") is None
    True
    """
    import math
    from collections import Counter

    if key == DEMO_KEY:
        return msg("it is the public demo key, for synthetic data only")
    counts = Counter(key)
    if len(counts) < MIN_KEY_DISTINCT:
        return msg("it has {n} different byte(s), at least {least} are needed",
                   n=len(counts), least=MIN_KEY_DISTINCT)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < MIN_KEY_BITS:
        return msg("it carries about {bits:.0f} bits, at least {least} are needed", bits=bits,
                   least=MIN_KEY_BITS)
    return None


# pseudonym() checks its key on every call; a county has few keys and many ids.
_weakness = functools.lru_cache(maxsize=16)(key_weakness)


def check_key(key: object) -> bytes:
    """`key` as bytes if it is long and strong enough to key pseudonyms, else a ValueError.

    Text is taken as its UTF-8 bytes; the public demo key passes (demo mode uses it on
    purpose: :func:`load_key` is where it is refused for real data).

    Examples
    --------
    >>> check_key("fault-injection-key-7f3a9c21e4b8")[:5]
    b'fault'
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        shown = (msg("{n} bytes", n=len(key)) if isinstance(key, bytes)
                 else type(key).__name__)
        raise ValueError(msg("key: got {shown}; need bytes of at least {least} (use "
                             "load_key)", shown=shown, least=MIN_KEY_BYTES))
    weak = _weakness(key) if key != DEMO_KEY else None  # demo mode passes it on purpose
    if weak is not None:
        raise ValueError(msg("key: refused, {weak} ({hint})", weak=weak,
                             hint=_MAKE_ONE))
    return key


def pseudonym(value: object, key: bytes) -> str:
    """Return the pseudonym of one identifier: ``p_`` + 16 hex digits of HMAC-SHA256.

    The identifier is read as text with surrounding whitespace removed, so ``"P001"``
    and ``" P001 "`` get one pseudonym; a number is read as its integer text.

    Examples
    --------
    >>> pseudonym("110105200106151237", DEMO_KEY)
    'p_29eee8f7e1018464'
    >>> pseudonym("110105200106151237", DEMO_KEY) == pseudonym(" 110105200106151237", DEMO_KEY)
    True
    """
    key = check_key(key)
    text = ids._as_text(value)
    if text is None or text == "":
        raise ValueError(msg("value: an identifier is missing; only present values get a "
                             "pseudonym"))
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]


def is_pseudonym(value: object) -> bool:
    """Tell whether `value` looks like a pseudonym made by :func:`pseudonym`.

    Examples
    --------
    >>> is_pseudonym("p_89e942357569d1ea"), is_pseudonym("P001")
    (True, False)
    """
    return isinstance(value, str) and _PSEUDONYM_RE.match(value) is not None


def pseudonymise(frame: pd.DataFrame, columns: Sequence[str] | None, key: bytes) -> pd.DataFrame:
    """Return a new frame whose person identifiers are replaced by keyed pseudonyms.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table with person identifiers (scans, cases, exposures, persons).
    columns : sequence of str or None
        Columns to replace. None replaces those of ``person_id``, ``case_id``,
        ``contact_id`` and ``infector_id`` that the frame has.
    key : bytes
        From :func:`load_key`; the same key gives the same pseudonyms, so tables
        pseudonymised separately still join.

    Returns
    -------
    pandas.DataFrame
        A copy; missing values stay missing, other columns are unchanged.

    Raises
    ------
    tracelab.model.schema.SchemaError
        If a named column is absent (all absent ones are listed).
    ValueError
        If the key is too short.

    Notes
    -----
    Values that already look like pseudonyms are hashed again: pseudonymise each table
    once, on load. A pseudonym is still personal data under the key holder's control; it
    keeps raw ID and phone numbers out of the store, results and logs.

    Examples
    --------
    >>> scans = pd.DataFrame({"person_id": ["13123456789", "P2", "13123456789"],
    ...                       "venue_id": ["V1", "V1", "V2"]})
    >>> out = pseudonymise(scans, None, DEMO_KEY)
    >>> out["person_id"].str.startswith("p_").all(), out["person_id"].nunique()
    (np.True_, 2)
    >>> out["venue_id"].tolist()
    ['V1', 'V1', 'V2']
    """
    key = check_key(key)
    if columns is None:
        columns = [c for c in PERSON_ID_COLUMNS if c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise s.SchemaError(msg("columns: {missing!r} not in the frame; it has {columns!r}",
                                missing=missing, columns=list(frame.columns)))
    out = frame.copy()
    for column in columns:
        values = out[column].tolist()
        cache: dict[str, str] = {}
        replaced: list[str | None] = []
        for v in values:
            text = ids._as_text(v)
            if text is None or text == "":
                replaced.append(None)
                continue
            if text not in cache:
                cache[text] = pseudonym(text, key)
            replaced.append(cache[text])
        out[column] = pd.Series(replaced, index=out.index, dtype="str")
    return out


def personal_columns(frame: pd.DataFrame) -> dict[str, MaskKind]:
    """Say which columns of `frame` are personal and how each is masked for display.

    ``applicant_phone`` and ``phone`` are phones; ``id_number`` is an ID; ``owner_id``
    and ``owner_name`` are personal where the owner is an individual (``owner_id_kind``
    ``resident_id``, or no kind column and the ID is not a USCC or registration number);
    ``name`` is a person's name in a table with a person identifier column and no
    ``venue_id`` (persons, call lists), else a venue name; person identifier columns (``person_id``, ``case_id``,
    ``contact_id``, ``infector_id``) are ``"person"``: see :func:`mask_frame`.

    Examples
    --------
    >>> personal_columns(pd.DataFrame(columns=["venue_id", "name", "applicant_phone"]))
    {'applicant_phone': 'phone'}
    >>> personal_columns(pd.DataFrame(columns=["person_id", "name", "phone"]))
    {'person_id': 'person', 'name': 'name', 'phone': 'phone'}
    """
    found: dict[str, MaskKind] = {}
    for column in frame.columns:
        if column in PERSON_ID_COLUMNS:
            found[column] = "person"
        elif column in (s.APPLICANT_PHONE, PHONE):
            found[column] = "phone"
        elif column in (ID_NUMBER, s.OWNER_ID):
            found[column] = "id"
        elif column == s.OWNER_NAME or column == PERSON_NAME and s.VENUE_ID not in frame.columns \
                and any(c in frame.columns for c in PERSON_ID_COLUMNS):
            found[column] = "name"
    return found


#: Digit runs that are a mobile number (11 digits from 13-19), a 15-digit number or an
#: 18-character resident ID, standing alone in free text.
IDENTIFIER_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|[0-9]{15}|[0-9]{17}[0-9Xx])(?![0-9])")
# Columns that hold codes, not free text: never scrubbed.
_CODE_COLUMNS = (s.VENUE_ID, s.PARENT_VENUE_ID, s.OWNER_ID, s.TOWNSHIP_CODE)


def scrub_text(text: object) -> object:
    """Mask phone and ID numbers standing in free text; other values are returned as is.

    Examples
    --------
    >>> scrub_text("call 13123456789 or 110105200106151237 about V1")
    'call 131*****789 or 11**************37 about V1'
    >>> scrub_text("11010510100001"), scrub_text(7)
    ('11010510100001', 7)
    """
    if not isinstance(text, str):
        return text
    return IDENTIFIER_IN_TEXT.sub(
        lambda m: ids.mask_phone(m.group()) if len(m.group()) == 11 else ids.mask_id(m.group()),
        text)


def arrow_strings(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow chunks of a text column stored in Arrow (``str`` dtype), else None.

    Such columns are searched and changed with Arrow kernels, a whole column per call,
    without a copy; other columns are handled value by value.

    Examples
    --------
    >>> arrow_strings(pd.Series(["a", None], dtype="str")).to_pylist()
    ['a', None]
    >>> arrow_strings(pd.Series(["a", None], dtype=object)) is None
    True
    """
    dtype = values.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    arrow = values.array.__arrow_array__()
    return arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])


def from_arrow_strings(values: pa.Array | pa.ChunkedArray, like: pd.Series) -> pd.Series:
    """``values`` as a Series with the index, name and (Arrow string) dtype of `like`.

    Examples
    --------
    >>> like = pd.Series(["a"], index=[7], name="n", dtype="str")
    >>> from_arrow_strings(pa.array(["b"]), like)
    7    b
    Name: n, dtype: str
    """
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    array = pd.arrays.ArrowStringArray(values, dtype=like.dtype)
    return pd.Series(array, index=like.index, name=like.name, copy=False)


def replace_rows(values: pa.ChunkedArray, rows: pa.Array | pa.ChunkedArray,
                 fix: Callable[[str], object]) -> pa.ChunkedArray:
    """`values` with the strings at true `rows` replaced by ``fix(string)``.

    Only the marked rows become Python strings, and the others are not copied: the
    answer is made of slices of `values` around the new strings.

    Examples
    --------
    >>> replace_rows(pa.chunked_array([["a", "b", None]]), pa.array([False, True, False]),
    ...              str.upper).to_pylist()
    ['a', 'B', None]
    """
    where = np.flatnonzero(np.asarray(rows.fill_null(False)))
    if not len(where):
        return values
    fixed = pa.array([fix(v) for v in values.take(pa.array(where)).to_pylist()],
                     type=values.type)
    pieces: list[pa.Array] = []
    done = 0
    for i, row in enumerate(where.tolist()):
        pieces += [*values.slice(done, row - done).chunks, fixed.slice(i, 1)]
        done = row + 1
    pieces += values.slice(done).chunks
    return pa.chunked_array([p for p in pieces if len(p)], type=values.type)


def utf8_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of an Arrow text array, and where each row starts in them, then ends.

    No copy: a view of the array's buffers. A missing row is empty.

    Examples
    --------
    >>> data, bounds = utf8_bytes(pa.array(["ab", None, "c"]).slice(1))
    >>> data.tobytes(), bounds.tolist()
    (b'c', [0, 0, 1])
    """
    if not len(values):
        return np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)
    wide = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    _, offsets, text = values.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[
        values.offset:values.offset + len(values) + 1].astype(np.int64)
    start = int(bounds[0])
    bounds -= start
    if text is None:
        return np.zeros(0, dtype=np.uint8), bounds
    return np.frombuffer(text, dtype=np.uint8)[start:start + int(bounds[-1])], bounds


# IDENTIFIER_IN_TEXT for Arrow (RE2, which has no lookaround): a digit boundary is consumed
# instead of looked at. A text has a match of one if and only if it has a match of the
# other, so the rows it finds are exactly those scrub_text changes.
_IDENTIFIER_IN_TEXT_RE2 = (r"(?:^|[^0-9])(?:1[3-9][0-9]{9}|[0-9]{15}|[0-9]{17}[0-9Xx])"
                           r"(?:[^0-9]|$)")
_SPLIT = 1 << 23  # bytes of text from which a search runs on two threads (RE2 frees the GIL)


def match_rows(values: pa.Array | pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    """``pc.match_substring_regex(values, pattern)``; a long column on two threads.

    Examples
    --------
    >>> match_rows(pa.array(["a1", "b", None]), "[0-9]").to_pylist()
    [True, False, None]
    """
    if values.nbytes < _SPLIT or len(values) < 2 or (os.cpu_count() or 1) < 2:
        return pa.chunked_array([pc.match_substring_regex(values, pattern)])
    from concurrent.futures import ThreadPoolExecutor

    half = len(values) // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(lambda part: pc.match_substring_regex(part, pattern),
                              (values.slice(0, half), values.slice(half))))
    return pa.chunked_array([c for part in parts for c in (
        part.chunks if isinstance(part, pa.ChunkedArray) else [part])], type=pa.bool_())


_PIECE = 1 << 16  # bytes of text counted at a time for digits (a small reused buffer)


def _few_digits(values: pa.ChunkedArray, least: int) -> bool:
    """Whether all of `values` together hold fewer than `least` ASCII digits.

    Counted a piece at a time, stopping at `least`: a column of labels is cleared
    without a search, and one full of numbers costs a piece.
    """
    seen = 0
    for chunk in values.chunks:
        data, _ = utf8_bytes(chunk)
        for at in range(0, len(data), _PIECE):
            seen += int(np.count_nonzero(data[at:at + _PIECE] - np.uint8(48) < 10))
            if seen >= least:
                return False
    return True


def _scrubbed(values: pd.Series) -> pd.Series:
    """``values.map(scrub_text)``, in Arrow for an Arrow text column."""
    arrow = arrow_strings(values)
    if arrow is None:
        return values.map(scrub_text)
    if _few_digits(arrow, 11):  # every identifier scrub_text masks has 11 digits or more
        return values
    hits = match_rows(arrow, _IDENTIFIER_IN_TEXT_RE2)
    if not pc.any(hits).as_py():
        return values
    return from_arrow_strings(replace_rows(arrow, hits, scrub_text), values)


#: What a mainland mobile or an ID number looks like wherever it stands, as typed by people:
#: a mobile with or without ``+86``, ``0086`` or ``86``, and either, digits grouped by
#: ``-``, ``.`` or a space (``131-2345-6789``, ``+86 131 2345 6789``,
#: ``110105 20010615 1237``), and a mobile read as a number (``13123456789.0``). Longer
#: digit runs, grouped or not, are not matched.
IDENTIFIER_SHAPE = re.compile(
    r"(?<![0-9])(?<![0-9][-. ])(?:"
    r"(?:(?:\+|00)?86[-. ]?)?(?P<phone>1[3-9](?:[-. ]?[0-9]){9})"
    r"(?:\.0+(?![0-9])|(?![-. ]?[0-9]))"
    r"|(?P<id>[0-9](?:[-. ]?[0-9]){14}(?:(?:[-. ]?[0-9]){2}[-. ]?[0-9Xx])?)(?![-. ]?[0-9Xx])"
    r")")
_SEPARATORS = re.compile(r"[-. ]")


def _mask_shape(match: re.Match[str]) -> str:
    phone = match.group("phone")
    if phone is not None:  # the country prefix goes with the number it introduces
        return ids.mask_phone(_SEPARATORS.sub("", phone))
    return ids.mask_id(_SEPARATORS.sub("", match.group("id")))


def scrub_shapes(text: object) -> object:
    """Mask whatever is shaped like a mobile or an ID number, separators and prefix included.

    :func:`scrub_text` finds bare digit runs; this finds them as people type them too, so
    that a phone number that arrived in the wrong column (a time, a colour) is masked in
    whatever echoes it. Masking too much is the safe error: a 15-digit registration number
    is masked like an ID.

    Parameters
    ----------
    text : object
        Any value; only strings change.

    Returns
    -------
    object
        `text` with each match masked (:func:`tracelab.model.ids.mask_phone`,
        :func:`tracelab.model.ids.mask_id`, on the digits without separators).

    Examples
    --------
    >>> scrub_shapes("scanned_at '+86 131-2345-6789' is not a time")
    "scanned_at '131*****789' is not a time"
    >>> scrub_shapes("110105 20010615 1237, 13123456789, 11010510100104, 2022-11-20 08:05")
    '11**************37, 131*****789, 11010510100104, 2022-11-20 08:05'
    >>> scrub_shapes(None)
    """
    if not isinstance(text, str):
        return text
    return IDENTIFIER_SHAPE.sub(_mask_shape, text)


def individual_owners(frame: pd.DataFrame) -> pd.Series:
    """True for venues whose owner is a person (a sole trader), not a company.

    ``owner_id_kind`` decides where present (anything but a USCC or a registration
    number is a person); else the owner id's shape. An unknown owner counts as a person:
    masking too much is the safe error.

    Examples
    --------
    >>> individual_owners(pd.DataFrame({"owner_id_kind": ["uscc", "resident_id", None]})).tolist()
    [False, True, True]
    """
    if s.OWNER_ID_KIND in frame.columns:
        kind = frame[s.OWNER_ID_KIND].astype("str")
        # An unknown kind is treated as an individual: masking too much is the safe error.
        return ~kind.isin([s.USCC, s.REGNO])
    if s.OWNER_ID in frame.columns:
        return frame[s.OWNER_ID].map(lambda v: not (ids.is_uscc(v) or ids.is_regno(v))
                                     if isinstance(v, str) else True).astype(bool)
    return pd.Series(True, index=frame.index)


# A phone (11 digits from 1), a registration number (15) or a resident ID (17 + check),
# anywhere in the value; and Chinese characters, which in a person id are a name.
_IDENTIFYING = re.compile(r"1[3-9][0-9]{9}|[0-9]{15}|[0-9]{17}[0-9Xx]|[\u4e00-\u9fff]")


def _mask_one_person(value: object) -> object:
    text = ids._as_text(value)
    if text is None or is_pseudonym(text) or not _IDENTIFYING.search(text):
        return value
    return ids.mask_name(text) if re.search(r"[\u4e00-\u9fff]", text) else ids.mask_id(text)


# For Arrow: a pseudonym (the whole value), and _IDENTIFYING (no lookaround, so as it is).
_PSEUDONYM_RE2 = rf"^{PSEUDONYM_PREFIX}[0-9a-f]{{{PSEUDONYM_HEX}}}$"
_IDENTIFYING_RE2 = "1[3-9][0-9]{9}|[0-9]{15}|[0-9]{17}[0-9Xx]|[\u4e00-\u9fff]"


def _mask_person(series: pd.Series) -> pd.Series:
    arrow = arrow_strings(series)
    if arrow is not None and series.dtype == _STR:
        # A pseudonym, or a value with nothing identifying, is kept as it is (stripping
        # cannot create a match): only the other rows need _mask_one_person.
        other = pc.invert(pc.match_substring_regex(arrow, _PSEUDONYM_RE2)).fill_null(False)
        if not pc.any(other).as_py():
            return series
        doubtful = pc.and_(other, pc.match_substring_regex(arrow, _IDENTIFYING_RE2))
        if not pc.any(doubtful).as_py():
            return series
        return from_arrow_strings(replace_rows(arrow, doubtful, _mask_one_person), series)
    out = [_mask_one_person(v) for v in series.tolist()]
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # what dtype="str" means with pyarrow


def mask_frame(frame: pd.DataFrame, kinds: Mapping[str, MaskKind] | None = None, *,
               keep: Sequence[str] = ()) -> pd.DataFrame:
    """Return a copy of `frame` with every personal column masked for display.

    Parameters
    ----------
    frame : pandas.DataFrame
        Venues, scans, cases, exposures, persons, or any table holding their columns.
    kinds : mapping of column to {"name", "id", "phone", "person"}, optional
        Which columns to mask and how; default :func:`personal_columns`. Pass extra
        columns here when a table carries personal text under another name.
    keep : sequence of str, default ()
        Columns left exactly as they are (neither masked nor scrubbed).

    Returns
    -------
    pandas.DataFrame
        Names keep the surname, ID numbers the first and last 2 characters, phones the
        first and last 3 (Beijing 健康宝 rule, DOMAIN.md section 11.5). Person
        identifiers are masked where they hold a phone or ID number (masked as an ID) or
        Chinese characters (masked as a name); pseudonyms and opaque ids such as
        ``P0000020`` are kept, since investigators refer to people by them. Owner names
        and IDs of companies and sole traders (``owner_id_kind`` ``uscc`` or ``regno``)
        stay readable. In every other text column (venue names, addresses, ``why``
        sentences, messages) phone and ID numbers are masked by :func:`scrub_text`;
        code columns (``venue_id``, ``parent_venue_id``, ``owner_id``,
        ``township_code``) are left alone.

    Raises
    ------
    ValueError
        If `kinds` names an absent column or an unknown kind.

    Examples
    --------
    >>> venues = pd.DataFrame({
    ...     "venue_id": ["V1", "V3"], "name": ["好又多超市", "老李小吃"],
    ...     "owner_name": ["某县好又多商贸有限公司", "李建国"],
    ...     "owner_id_kind": ["uscc", "resident_id"],
    ...     "owner_id": ["92110105600123450G", "110105200106151237"],
    ...     "applicant_phone": ["13123456789", "15870001234"]})
    >>> mask_frame(venues)[["owner_name", "owner_id", "applicant_phone"]].values.tolist()
    [['某县好又多商贸有限公司', '92110105600123450G', '131*****789'], ['李**', '11**************37', '158*****234']]
    """
    kinds = dict(personal_columns(frame) if kinds is None else kinds)
    bad = {c: k for c, k in kinds.items()
           if c not in frame.columns or k not in ("name", "id", "phone", "person")}
    if bad:
        raise ValueError(msg("kinds: {bad!r} name absent columns or unknown kinds; use columns of "
                             "the frame and kinds 'name', 'id', 'phone' or 'person'", bad=bad))
    out = frame.copy(deep=False)  # columns are replaced, never written into
    owner_rows = individual_owners(frame)
    kinds = {c: k for c, k in kinds.items() if c not in set(keep)}
    for column in frame.columns:
        if column in kinds or column in keep or column in _CODE_COLUMNS:
            continue
        values = frame[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out[column] = _scrubbed(values)
    for column, kind in kinds.items():
        if kind == "person":
            out[column] = _mask_person(frame[column])
            continue
        masked = ids.mask_series(frame[column], kind)
        if column in (s.OWNER_ID, s.OWNER_NAME):
            masked = masked.where(owner_rows, frame[column].astype("str"))
        out[column] = masked
    return out
