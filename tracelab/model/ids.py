"""Chinese identifiers: check digits, validation, display masking and synthetic generation."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.model import schema

__all__ = [
    "uscc_check_char",
    "org_code_check_char",
    "is_uscc",
    "regno_check_digit",
    "is_regno",
    "resident_id_check_char",
    "is_resident_id",
    "is_mobile",
    "normalise_mobile",
    "id_problem",
    "clean_identifier",
    "ID_REPAIRS",
    "mask_name",
    "mask_id",
    "mask_phone",
    "mask_series",
    "make_uscc",
    "make_regno",
    "make_resident_id",
    "make_mobile",
]

# GB 32100-2015: digits and capitals without I, O, Z, S, V, valued 0-30 (DOMAIN 6.1).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
# GB 11714-1997 organisation code (DOMAIN 6.2); letters A = 10 ... Z = 35.
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
# GB 11643-1999 resident ID, ISO 7064 MOD 11-2 (DOMAIN 6.3).
_RID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_RID_CHECK = "10X98765432"
#: Oldest birth year accepted in a resident ID: a sanity bound, not a rule of GB 11643.
RESIDENT_ID_MIN_YEAR = 1850
# libphonenumber CN mobile pattern, phonenumbers 9.0.43 metadata (DOMAIN 6.5).
_MOBILE_RE = re.compile(
    r"1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}"
)
# Three-digit prefixes whose every 8-digit continuation matches _MOBILE_RE.
_MOBILE_PREFIXES = np.array(
    [130 + i for i in range(10)] + [180 + i for i in range(10)] + [145, 147]
    + [150, 151, 152, 153, 155, 156, 157, 158, 159]
    + [190, 191, 192, 193, 195, 196, 197, 198, 199]
    + [162, 165, 166, 167] + [170, 171, 172, 173, 175, 176, 177, 178],
    dtype=np.int64,
)
_COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门",
})
_KEEP = {"id": (2, 2), "phone": (3, 3)}
# Shorter values are masked entirely, so a mask never shows most of a short value.
_MIN_REVEAL_LEN = {"id": 8, "phone": 11}


def _masked(value: object) -> str:
    return mask_id(value) if isinstance(value, str) else type(value).__name__


def _values(chars: str, alphabet: dict[str, int], what: str) -> list[int]:
    try:
        return [alphabet[c] for c in chars]
    except KeyError:
        raise ValueError(
            msg("{what}={value!r} holds a character outside the allowed alphabet", what=what,
                value=_masked(chars))
        ) from None


# --- USCC -------------------------------------------------------------------------


def uscc_check_char(body17: str) -> str:
    """Return the GB 32100 check character of the first 17 characters of a USCC.

    Parameters
    ----------
    body17 : str
        The 17 characters before the check character, from ``0-9`` and ``A-Y`` without
        I, O, Z, S, V.

    Returns
    -------
    str
        The 18th character: ``symbol[(31 - sum(value * 3**(i-1) mod 31)) mod 31]``.

    Raises
    ------
    ValueError
        If `body17` is not 17 characters of the USCC alphabet.

    References
    ----------
    GB 32100-2015; DOMAIN.md section 6.1; ``stdnum.cn.uscc.calc_check_digit``.

    Examples
    --------
    >>> uscc_check_char("91350100M000100Y4")
    '3'
    >>> uscc_check_char("92360121600123450")
    'P'
    """
    if not isinstance(body17, str) or len(body17) != 17:
        raise ValueError(msg("body17={value!r} must be a string of 17 characters",
                             value=_masked(body17)))
    values = _values(body17, _USCC_VALUE, "body17")
    return _USCC_ALPHABET[(31 - int(np.dot(values, _USCC_WEIGHTS)) % 31) % 31]


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 55  # A = 10 ... Z = 35


def org_code_check_char(body8: str) -> str:
    """Return the GB 11714 check character of an 8-character organisation code body.

    Parameters
    ----------
    body8 : str
        Eight digits or capital letters (``A`` = 10 ... ``Z`` = 35).

    Returns
    -------
    str
        ``11 - (sum mod 11)``, written ``X`` for 10 and ``0`` for 11.

    Raises
    ------
    ValueError
        If `body8` is not 8 ASCII digits or capitals.

    Notes
    -----
    The letter values A = 10 ... Z = 35 are unverified (DOMAIN.md section 12, gap 7);
    inside a USCC only letters of the USCC alphabet occur.

    Examples
    --------
    >>> org_code_check_char("M000100Y"), org_code_check_char("60003734")
    ('4', '1')
    """
    if (not isinstance(body8, str) or len(body8) != 8
            or not all(c.isascii() and (c.isdigit() or c.isupper()) for c in body8)):
        raise ValueError(msg("body8={value!r} must be 8 ASCII digits or capitals",
                             value=_masked(body8)))
    total = sum(_org_value(c) * int(w) for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _uscc_problem(value: str, check_org_code: bool) -> str | None:
    if len(value) != 18:
        return f"must be 18 characters, got {len(value)}"
    if value.isascii():  # non-ASCII .upper() can change the length ("ß" -> "SS")
        value = value.upper()
    bad = [i + 1 for i, c in enumerate(value) if c not in _USCC_VALUE]
    if bad:
        return (f"character {bad[0]} is not allowed (USCC uses 0-9 and A-Z without "
                "I, O, Z, S, V)")
    if not value[2:8].isdigit():
        return "characters 3-8 (division code) must be digits"
    if check_org_code and org_code_check_char(value[8:16]) != value[16]:
        return "embedded organisation code (characters 9-17) fails its GB 11714 check"
    if uscc_check_char(value[:17]) != value[17]:
        return "check character is wrong"
    return None


def is_uscc(value: object, *, check_org_code: bool = True) -> bool:
    """Tell whether `value` is a valid unified social credit code (统一社会信用代码).

    Parameters
    ----------
    value : object
        Candidate; anything but a ``str`` is invalid.
    check_org_code : bool, default True
        Also require characters 9-17 to pass the GB 11714 organisation-code check.

    Returns
    -------
    bool

    See Also
    --------
    id_problem : says what is wrong.

    Notes
    -----
    Stricter than ``stdnum.cn.uscc`` (python-stdnum 2.2), which checks only the length,
    the alphabet and the mod-31 check character: of random bodies given a correct final
    check, stdnum accepts all and this function about 1 in 11. Both DOMAIN.md examples
    and the standard's example pass the organisation-code check, codes registered under
    GB 32100 embed a GB 11714 code, and real codes seen in public text that pass stdnum
    also pass it (including post-2015 ``MA...`` codes with letters, which supports
    A = 10 ... Z = 35), so it is on by default; pass ``check_org_code=False`` for
    stdnum-compatible leniency if real registries turn up exceptions. Unlike stdnum,
    characters 1-2 may be any alphabet character (GB 32100 uses e.g. ``Y`` for "other"
    registration authorities); characters 3-8 must be digits. Letters are accepted in
    either case (as stdnum does); store ``value.upper()``. Separators and surrounding
    spaces are not accepted.

    Examples
    --------
    >>> is_uscc("91350100M000100Y43"), is_uscc("91350100M000100Y44")
    (True, False)
    >>> is_uscc("91110000600037341L"), is_uscc(None)
    (True, False)
    """
    return isinstance(value, str) and _uscc_problem(value, check_org_code) is None


# --- 15-digit registration number ---------------------------------------------------


def regno_check_digit(body14: str) -> str:
    """Return the ISO 7064 MOD 11,10 check digit of a 15-digit 工商注册号 body.

    Parameters
    ----------
    body14 : str
        The first 14 digits.

    Returns
    -------
    str
        One digit.

    Raises
    ------
    ValueError
        If `body14` is not 14 ASCII digits.

    References
    ----------
    GS15-2006; GB/T 17710 (ISO 7064 hybrid MOD 11,10); DOMAIN.md section 6.4.

    Examples
    --------
    >>> regno_check_digit("36012160001234"), regno_check_digit("36012100001234")
    ('9', '6')
    """
    if not isinstance(body14, str) or len(body14) != 14 or not _isdigits(body14):
        raise ValueError(msg("body14={value!r} must be 14 ASCII digits", value=_masked(body14)))
    p = 10
    for c in body14:
        s = p % 11 + int(c)
        p = ((s % 10) or 10) * 2 % 11
    return str((11 - p) % 10)


def _isdigits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _regno_problem(value: str) -> str | None:
    if len(value) != 15:
        return f"must be 15 digits, got {len(value)} characters"
    if not _isdigits(value):
        return "must be digits only"
    if regno_check_digit(value[:14]) != value[14]:
        return "check digit is wrong"
    return None


def is_regno(value: object) -> bool:
    """Tell whether `value` is a valid 15-digit business registration number (工商注册号).

    Notes
    -----
    Checks the length and the MOD 11,10 check digit only; the division code
    (digits 1-6) and the entity digit 7 are not checked.

    Examples
    --------
    >>> is_regno("360121600012349"), is_regno("360121600012342"), is_regno(360121000012346)
    (True, False, False)
    """
    return isinstance(value, str) and _regno_problem(value) is None


# --- resident ID --------------------------------------------------------------------


def resident_id_check_char(body17: str) -> str:
    """Return the GB 11643 check character of the first 17 digits of a resident ID.

    Parameters
    ----------
    body17 : str
        Address code, birth date ``YYYYMMDD`` and 3-digit sequence.

    Returns
    -------
    str
        A digit or ``X``: ``"10X98765432"[sum(a_i * 2**(18-i) mod 11) mod 11]``.

    Raises
    ------
    ValueError
        If `body17` is not 17 ASCII digits.

    References
    ----------
    GB 11643-1999 (ISO 7064 MOD 11-2); DOMAIN.md section 6.3.

    Examples
    --------
    >>> resident_id_check_char("11010519491231002")
    'X'
    """
    if not isinstance(body17, str) or len(body17) != 17 or not _isdigits(body17):
        raise ValueError(msg("body17={value!r} must be 17 ASCII digits", value=_masked(body17)))
    total = int(np.dot([int(c) for c in body17], _RID_WEIGHTS))
    return _RID_CHECK[total % 11]


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(schema.DEFAULT_ZONE)).date()


def _resident_id_problem(value: str, today: dt.date | None) -> str | None:
    if len(value) != 18:
        return f"must be 18 characters, got {len(value)}"
    if not _isdigits(value[:17]):
        return "characters 1-17 must be digits"
    last = value[17].upper()
    if not (_isdigits(last) or last == "X"):
        return "last character must be a digit or X"
    y, m, d = value[6:10], value[10:12], value[12:14]
    try:
        born = dt.date(int(y), int(m), int(d))
    except ValueError:
        born = None
    if born is None or born > (today or _today()) or born.year < RESIDENT_ID_MIN_YEAR:
        return f"birth date {y}-{m}-{d} is not a real past date"
    if resident_id_check_char(value[:17]) != last:
        return "check character is wrong"
    return None


def is_resident_id(value: object, *, today: dt.date | None = None) -> bool:
    """Tell whether `value` is a valid 18-character resident ID number (居民身份证号码).

    Parameters
    ----------
    value : object
        Candidate; anything but a ``str`` is invalid.
    today : datetime.date, optional
        Latest acceptable birth date; default today in Asia/Shanghai. Pass a fixed date
        for reproducible loads.

    Returns
    -------
    bool

    Notes
    -----
    Checks: 17 digits then a digit or ``X`` (X only last), a real birth date from
    :data:`RESIDENT_ID_MIN_YEAR` to `today`, and the MOD 11-2 check. A lowercase ``x``
    is accepted, as python-stdnum does, because people type it; store ``value.upper()``.
    The address code is NOT checked against the GB/T 2260 table (python-stdnum does,
    and so rejects a county's code for birth years before the county existed, DOMAIN.md
    section 6.3).

    Examples
    --------
    >>> is_resident_id("11010519491231002X"), is_resident_id("11010519491231002x")
    (True, True)
    >>> is_resident_id("110105194912310021"), is_resident_id("X1010519491231002X")
    (False, False)
    """
    return isinstance(value, str) and _resident_id_problem(value, today) is None


# --- mobile -------------------------------------------------------------------------


def _mobile_digits(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    digits = value.replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if digits.isascii() and _MOBILE_RE.fullmatch(digits) else None


def normalise_mobile(value: object) -> str:
    """Return the 11 digits of a mainland mobile number.

    Parameters
    ----------
    value : object
        A string such as ``"131 2345 6789"``, ``"+86 131-2345-6789"``, ``"8613123456789"``
        or ``"008613123456789"``. Spaces and hyphens are ignored; one ``+86``, ``0086`` or
        ``86`` prefix is removed.

    Returns
    -------
    str
        Eleven digits matching the libphonenumber CN mobile pattern.

    Raises
    ------
    ValueError
        If `value` is not a mainland mobile number (the value is shown masked).

    Examples
    --------
    >>> normalise_mobile("+86 131-2345-6789")
    '13123456789'
    """
    digits = _mobile_digits(value)
    if digits is not None:
        return digits
    shown = mask_phone(value) if isinstance(value, str) else type(value).__name__
    raise ValueError(
        msg("value={shown!r} is not a mainland mobile number: expected 11 digits matching the "
            "libphonenumber CN mobile pattern (e.g. 13x, 15x, 18x), optionally after +86, 0086 or "
            "86, with spaces or hyphens", shown=shown)
    )


def is_mobile(value: object) -> bool:
    """Tell whether `value` is a mainland mobile number (see :func:`normalise_mobile`).

    Examples
    --------
    >>> is_mobile("13123456789"), is_mobile("+86 131 2345 6789"), is_mobile("15423456789")
    (True, True, False)
    """
    return _mobile_digits(value) is not None


# --- problems -----------------------------------------------------------------------


def id_problem(
    kind: str, value: object, *, today: dt.date | None = None, check_org_code: bool = True,
) -> str | None:
    """Say what is wrong with an owner ID, without repeating it.

    Parameters
    ----------
    kind : str
        One of ``schema.OWNER_ID_KINDS``: ``"uscc"``, ``"regno"``, ``"resident_id"``.
    value : object
        The ID as read.
    today : datetime.date, optional
        Latest acceptable birth date of a resident ID (see :func:`is_resident_id`).
    check_org_code : bool, default True
        Check the organisation code inside a USCC (see :func:`is_uscc`).

    Returns
    -------
    str or None
        None if valid, else a short English message that never contains `value`.

    Raises
    ------
    ValueError
        If `kind` is not an owner ID kind.

    Examples
    --------
    >>> id_problem("uscc", "91350100M000100Y43") is None
    True
    >>> id_problem("resident_id", "36012120310230123")
    'must be 18 characters, got 17'
    >>> id_problem("resident_id", "360121203102301238")
    'birth date 2031-02-30 is not a real past date'
    >>> id_problem("regno", "360121600012342")
    'check digit is wrong'
    """
    if kind not in schema.OWNER_ID_KINDS:
        raise ValueError(msg("kind={kind!r} is not an owner ID kind; use one of {names}",
                             kind=kind, names=", ".join(map(repr, schema.OWNER_ID_KINDS))))
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "is missing"
    if not isinstance(value, str):
        return f"must be text, got {type(value).__name__}"
    if kind == schema.USCC:
        return _uscc_problem(value, check_org_code)
    if kind == schema.REGNO:
        return _regno_problem(value)
    return _resident_id_problem(value, today)


# --- identifiers as compared ----------------------------------------------------------

#: What :func:`clean_identifier` may do to an id, and how a message says it.
ID_REPAIRS = {
    "invisible": "invisible characters (zero-width, BOM, soft hyphen, bidi marks or controls "
                 "such as NUL) removed",
    "compatibility": "full-width or other compatibility forms folded (NFKC)",
    "lookalike": "Cyrillic or Greek letters that look like Latin ones read as Latin",
}
#: Default-ignorable characters outside the Cc, Cf, Zl and Zp categories: the combining
#: grapheme joiner, Hangul fillers, Khmer inherent vowels and variation selectors.
_INVISIBLE_EXTRA = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0]
    + list(range(0xFE00, 0xFE10)) + list(range(0xE0100, 0xE01F0)))
#: Cyrillic and Greek letters drawn like a Latin letter in common fonts (after NFKC). Only
#: unmistakable pairs: a letter left out is never folded.
_LOOKALIKES = str.maketrans({
    **dict(zip("АВЕКМНОРСТУХЅІЈԚԜҮӀҺ", "ABEKMHOPCTYXSIJQWYIH", strict=True)),
    **dict(zip("аеорсухѕіјһԁԛԝүӏ", "aeopcyxsijhdqwyl", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
    **dict(zip("ονρ", "ovp", strict=True)),
})
_LOOKALIKE_CHARS = frozenset(chr(c) for c in _LOOKALIKES)


def _invisible(char: str) -> bool:
    return (unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
            or ord(char) in _INVISIBLE_EXTRA)


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0]


def clean_identifier(value: str) -> tuple[str, tuple[str, ...]]:
    """An id as it is compared: NFKC, invisible characters gone, look-alike letters as Latin.

    Two exports of one person id differ by bytes no one sees: a zero-width space or a BOM
    pasted from a web page, a NUL from a broken export, full-width ``Ｐ００１`` from a
    Chinese input method, a Cyrillic ``Р`` from a Russian keyboard layout. Compared as
    read they make two people, and the contacts of one are never traced from the other.

    Parameters
    ----------
    value : str
        The id as read (surrounding blanks already stripped or not).

    Returns
    -------
    tuple of (str, tuple of str)
        The cleaned id and what was done, in the order of :data:`ID_REPAIRS`:
        ``"invisible"`` (characters of the Unicode categories Cc, Cf, Zl, Zp and the other
        default-ignorable ones removed), ``"compatibility"`` (NFKC changed it) and
        ``"lookalike"``; or ``("mixed_script",)`` with the id unfolded, when Latin letters
        stand beside Cyrillic or Greek letters that look like no Latin letter.

    Notes
    -----
    Look-alike letters are folded only in an id that also has Latin letters or digits, and
    only when every Cyrillic or Greek letter in it has a Latin twin (``Р001``, ``PАB1``):
    such an id was meant in the Latin alphabet, and folding is the same for every row, so
    it can merge look-alike ids but never split one. A Cyrillic or Greek word (a name,
    ``Иван``) is left alone, and so is one with digits (``Иван01``). An id mixing Latin
    with a Cyrillic or Greek letter that has no Latin twin (``PЖ01``) is neither: the
    loaders reject it as ``mixed_script_id`` rather than guess.

    Examples
    --------
    >>> clean_identifier("P\\u200b001"), clean_identifier("\\ufeffV1\\x00")
    (('P001', ('invisible',)), ('V1', ('invisible',)))
    >>> clean_identifier("Ｐ００１")
    ('P001', ('compatibility',))
    >>> clean_identifier("Р001")  # a Cyrillic Er
    ('P001', ('lookalike',))
    >>> clean_identifier("PЖ01"), clean_identifier("Иван"), clean_identifier("P001")
    (('PЖ01', ('mixed_script',)), ('Иван', ()), ('P001', ()))
    """
    done: list[str] = []
    visible = "".join(c for c in value if not _invisible(c))
    folded = unicodedata.normalize("NFKC", visible)
    # NFKC can itself produce an invisible character (half-width Hangul filler -> filler).
    again = "".join(c for c in folded if not _invisible(c))
    if visible != value or again != folded:
        done.append("invisible")
    if folded != visible:
        done.append("compatibility")
    text = again
    foreign = [c for c in text if c.isalpha() and _script(c) in ("CYRILLIC", "GREEK")]
    if foreign:
        latin = any(c.isalpha() and _script(c) == "LATIN" for c in text)
        if latin or any("0" <= c <= "9" for c in text):
            if all(c in _LOOKALIKE_CHARS for c in foreign):
                text = text.translate(_LOOKALIKES)
                done.append("lookalike")
            elif latin:
                return text, ("mixed_script",)
    return text, tuple(done)


# --- masking ------------------------------------------------------------------------


def _as_text(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():  # a phone read as a number
            value = int(value)
    return str(value).strip()


def _mask_ends(text: str | None, head: int, tail: int, min_len: int) -> str:
    if text is None:
        return ""
    if len(text) < min_len:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail:]


def mask_name(name: object) -> str:
    """Mask a person's name for display: keep the surname, star every other character.

    Parameters
    ----------
    name : object
        A name; None, NaN and ``pd.NA`` give ``""``.

    Returns
    -------
    str
        Same length as the stripped name. Common two-character compound surnames (欧阳,
        司马, 诸葛, 上官, 东方, ...) are kept whole when at least one character follows.
        A one-character name becomes ``"*"``.

    References
    ----------
    Beijing 健康宝 display masking, DOMAIN.md section 11.5 (`display_masking`).

    Examples
    --------
    >>> mask_name("张三"), mask_name("欧阳娜娜"), mask_name("欧阳"), mask_name("王")
    ('张*', '欧阳**', '欧*', '*')
    >>> mask_name(None)
    ''
    """
    text = _as_text(name)
    if text is None:
        return ""
    if len(text) <= 1:
        return "*" * len(text)
    keep = 2 if len(text) >= 3 and text[:2] in _COMPOUND_SURNAMES else 1
    return text[:keep] + "*" * (len(text) - keep)


def mask_id(value: object) -> str:
    """Mask an ID number for display: keep the first 2 and last 2 characters.

    Values shorter than 8 characters are starred entirely; None and NaN give ``""``.

    Examples
    --------
    >>> mask_id("11010519491231002X"), mask_id("1234567"), mask_id(float("nan"))
    ('11**************2X', '*******', '')
    """
    return _mask_ends(_as_text(value), *_KEEP["id"], _MIN_REVEAL_LEN["id"])


def mask_phone(value: object) -> str:
    """Mask a phone number for display: keep the first 3 and last 3 characters.

    A mainland mobile in any accepted layout is first reduced to its 11 digits; other
    values shorter than 11 characters are starred entirely; None and NaN give ``""``.

    Examples
    --------
    >>> mask_phone("13123456789"), mask_phone("+86 131 2345 6789"), mask_phone("12345")
    ('131*****789', '131*****789', '*****')
    """
    text = _as_text(value)
    text = _mobile_digits(text) or text
    return _mask_ends(text, *_KEEP["phone"], _MIN_REVEAL_LEN["phone"])


def mask_series(series: pd.Series, kind: Literal["name", "id", "phone"]) -> pd.Series:
    """Mask a column of names, ID numbers or phone numbers for display.

    Parameters
    ----------
    series : pandas.Series
        Values to mask; missing values stay missing.
    kind : {"name", "id", "phone"}
        Which rule of :func:`mask_name`, :func:`mask_id`, :func:`mask_phone` to apply.

    Returns
    -------
    pandas.Series
        A new string Series with the same index and name.

    Raises
    ------
    ValueError
        If `kind` is not one of the three.

    Examples
    --------
    >>> mask_series(pd.Series(["13123456789", None, "13812345678"]), "phone").tolist()
    ['131*****789', nan, '138*****678']
    """
    funcs = {"name": mask_name, "id": mask_id, "phone": mask_phone}
    if kind not in funcs:
        raise ValueError(msg("kind={kind!r} is not a mask kind; use 'name', 'id' or 'phone'",
                             kind=kind))
    func = funcs[kind]
    out = [None if _as_text(v) is None else func(v) for v in series.tolist()]
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


# --- generators ---------------------------------------------------------------------


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """Split non-negative integers into an (n, width) array of decimal digits."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers) % 10


def _join(first: str, *columns: np.ndarray) -> list[str]:
    out = np.asarray(first)
    for column in columns:
        out = np.char.add(out, column)
    return [str(s) for s in out.tolist()]


def _unique_ints(rng: np.random.Generator, population: int, n: int, what: str) -> np.ndarray:
    if n < 0:
        raise ValueError(msg("n={n!r} must be >= 0", n=n))
    if n > population:
        raise ValueError(msg("n={n} exceeds the {population} distinct {what} available; lower n "
                             "or widen the range", n=n, population=population, what=what))
    return rng.choice(population, size=n, replace=False).astype(np.int64)


def _check_division(division: str) -> None:
    if not (isinstance(division, str) and len(division) == 6 and _isdigits(division)):
        raise ValueError(msg("division={division!r} must be a 6-digit GB/T 2260 code, e.g. "
                             "'360000' (Jiangxi)", division=division))


def make_uscc(
    n: int, *, division: str, prefix: str = "91",
    seed: int | np.random.Generator | None = None,
) -> list[str]:
    """Generate `n` distinct valid synthetic USCCs.

    Parameters
    ----------
    n : int
        How many.
    division : str
        Characters 3-8, a GB/T 2260 code: the county of registration.
    prefix : str, default "91"
        Characters 1-2: ``"91"`` enterprise, ``"92"`` sole trader (个体工商户).
    seed : int, numpy.random.Generator or None
        Same seed, same output.

    Returns
    -------
    list of str
        Codes with an all-digit organisation code (8 random digits plus its GB 11714
        check) that pass :func:`is_uscc` and ``stdnum.cn.uscc``.

    Raises
    ------
    ValueError
        If `division` or `prefix` is malformed, or `n` is negative or above 10**8.

    Examples
    --------
    >>> codes = make_uscc(3, division="360102", prefix="92", seed=1)
    >>> [c[:8] for c in codes], all(is_uscc(c) for c in codes)
    (['92360102', '92360102', '92360102'], True)
    """
    _check_division(division)
    if not (isinstance(prefix, str) and len(prefix) == 2
            and all(c in _USCC_VALUE for c in prefix)):
        raise ValueError(msg("prefix={prefix!r} must be 2 USCC characters, e.g. '91' or '92'",
                             prefix=prefix))
    rng = np.random.default_rng(seed)
    org = _digits(_unique_ints(rng, 10**8, n, msg("organisation codes")), 8)
    org_char = np.array(list("0123456789X0"))[11 - (org @ _ORG_WEIGHTS) % 11]
    org_char_value = np.array([_USCC_VALUE[c] for c in org_char.tolist()], dtype=np.int64)
    head = np.tile(np.array([_USCC_VALUE[c] for c in prefix + division]), (n, 1))
    body_values = np.column_stack([head.reshape(n, 8), org, org_char_value])
    check = (31 - (body_values @ _USCC_WEIGHTS) % 31) % 31
    alphabet = np.array(list(_USCC_ALPHABET))
    org_text = np.array(["".join(map(str, row)) for row in org.tolist()], dtype=str)
    return _join(prefix + division, org_text, org_char, alphabet[check])


def make_regno(
    n: int, *, division: str, seed: int | np.random.Generator | None = None,
) -> list[str]:
    """Generate `n` distinct valid synthetic 15-digit registration numbers of sole traders.

    Digit 7 is 6-9 (个体工商户, DOMAIN.md section 6.4), digits 8-14 are random and the
    last is the MOD 11,10 check.

    Examples
    --------
    >>> nums = make_regno(2, division="360102", seed=3)
    >>> [len(x) for x in nums], all(is_regno(x) and x[6] in "6789" for x in nums)
    ([15, 15], True)
    """
    _check_division(division)
    rng = np.random.default_rng(seed)
    serial = _unique_ints(rng, 4 * 10**7, n, msg("sole-trader registration numbers"))
    body = _digits(6 * 10**7 + serial, 8)
    p = np.full(n, 10, dtype=np.int64)
    for a in [int(c) for c in division] + list(body.T):
        s = p % 11 + a
        p = np.where(s % 10 == 0, 10, s % 10) * 2 % 11
    check = (11 - p) % 10
    body_text = np.array(["".join(map(str, row)) for row in body.tolist()], dtype=str)
    return _join(division, body_text, check.astype(str))


def make_resident_id(
    n: int, *, division: str, birth_from: str = "1997-01-01",
    birth_to: str = "2022-11-18", sex: Literal["male", "female"] | None = None,
    seed: int | np.random.Generator | None = None,
) -> list[str]:
    """Generate `n` distinct valid synthetic resident ID numbers.

    Parameters
    ----------
    n : int
        How many.
    division : str
        Address code, a GB/T 2260 code: the county of birth registration.
    birth_from, birth_to : str, default "1997-01-01", "2022-11-18"
        Inclusive ISO range of birth dates, drawn uniformly. The default start keeps IDs of
        the reference county valid for python-stdnum, whose table lists it from 1997.
    sex : {"male", "female"} or None
        Odd (male) or even (female) sequence numbers; None draws both.
    seed : int, numpy.random.Generator or None
        Same seed, same output.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        On a malformed division or date, ``birth_from > birth_to``, `birth_to` in the
        future, an unknown `sex`, or more IDs than (days x sequences) allow.

    Examples
    --------
    >>> ids = make_resident_id(3, division="360102", sex="female", seed=0)
    >>> all(is_resident_id(x) and int(x[16]) % 2 == 0 for x in ids)
    True
    """
    _check_division(division)
    try:
        start, end = dt.date.fromisoformat(birth_from), dt.date.fromisoformat(birth_to)
    except (TypeError, ValueError):
        raise ValueError(msg("birth_from={birth_from!r} and birth_to={birth_to!r} must be ISO "
                             "dates such as '1997-01-01'", birth_from=birth_from,
                             birth_to=birth_to)) from None
    if not (dt.date(RESIDENT_ID_MIN_YEAR, 1, 1) <= start <= end <= _today()):
        raise ValueError(msg("need {year}-01-01 <= birth_from <= birth_to <= "
                             "today; got birth_from={birth_from!r}, birth_to={birth_to!r}",
                             year=RESIDENT_ID_MIN_YEAR, birth_from=birth_from,
                             birth_to=birth_to))
    if sex not in ("male", "female", None):
        raise ValueError(msg("sex={sex!r} must be 'male', 'female' or None", sex=sex))
    n_seq = 1000 if sex is None else 500
    n_days = (end - start).days + 1
    draw = _unique_ints(np.random.default_rng(seed), n_days * n_seq, n, msg("resident IDs"))
    seq = draw % n_seq if sex is None else 2 * (draw % n_seq) + (1 if sex == "male" else 0)
    born = np.datetime64(start, "D") + (draw // n_seq)
    dates = [d.replace("-", "") for d in np.datetime_as_string(born, unit="D").tolist()]
    body = [f"{division}{d}{s:03d}" for d, s in zip(dates, seq.tolist(), strict=True)]
    digits = np.array([list(b) for b in body], dtype=np.int64).reshape(n, 17)
    check = np.array(list(_RID_CHECK))[(digits @ _RID_WEIGHTS) % 11]
    return [b + c for b, c in zip(body, check.tolist(), strict=True)]


def make_mobile(
    n: int, *, unique: bool = True, seed: int | np.random.Generator | None = None,
) -> list[str]:
    """Generate `n` synthetic mainland mobile numbers that pass :func:`is_mobile`.

    Prefixes are drawn uniformly from the 3-digit blocks whose every number is mobile
    under the libphonenumber pattern (13x, 145, 147, 15x, 162, 165-167, 170-173, 175-178,
    18x, 19x); numbers are distinct when `unique` is true. They look real and may belong
    to real people: never dial or text them.

    Examples
    --------
    >>> nums = make_mobile(3, seed=42)
    >>> [len(x) for x in nums], all(map(is_mobile, nums))
    ([11, 11, 11], True)
    """
    rng = np.random.default_rng(seed)
    population = len(_MOBILE_PREFIXES) * 10**8
    if unique:
        draw = _unique_ints(rng, population, n, msg("mobile numbers"))
    else:
        if n < 0:
            raise ValueError(msg("n={n!r} must be >= 0", n=n))
        draw = rng.integers(0, population, size=n, dtype=np.int64)
    numbers = _MOBILE_PREFIXES[draw // 10**8] * 10**8 + draw % 10**8
    return [str(x) for x in numbers.tolist()]
