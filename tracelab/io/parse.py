"""Vectorised cell parsers: times, colours, methods, yes/no and numbers, in Chinese or English."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tracelab.model import schema as s

__all__ = ["is_text", "blank", "parse_times", "parse_colours", "parse_methods", "parse_bools", "parse_floats"]

COLOUR_WORDS = {
    s.GREEN: ("green", "g", "绿", "绿码", "綠", "綠碼"),
    s.YELLOW: ("yellow", "y", "黄", "黄码", "黃", "黃碼"),
    s.RED: ("red", "r", "红", "红码", "紅", "紅碼"),
}
METHOD_WORDS = {
    s.SELF: ("self", "本人", "自主扫码", "本人扫码", "扫码"),
    s.PROXY: ("proxy", "代登记", "代登記", "代扫", "工作人员登记", "值守人员登记"),
}
BOOL_WORDS = {
    True: ("true", "t", "yes", "y", "1", "是"),
    False: ("false", "f", "no", "n", "0", "否"),
}

_ZONE_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_LOOSE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?$"
)


def _on_uniques(values: pd.Series, func, na: object = None) -> np.ndarray:
    """Apply ``func`` (array of distinct values -> array) once per distinct value.

    Scan logs repeat a handful of colours and methods millions of times; working on the
    distinct values keeps parsing linear in the number of rows with a tiny constant.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.asarray(func(pd.Series(uniques, dtype=object)), dtype=object)
    out = np.empty(len(codes), dtype=object)
    out[:] = na
    ok = codes >= 0
    out[ok] = mapped[codes[ok]]
    return out


def _lookup(words: dict, values: pd.Series) -> pd.Series:
    table = {w.casefold(): key for key, spellings in words.items() for w in spellings}
    found = _on_uniques(
        values, lambda u: [table.get(str(v).strip().casefold()) for v in u])
    return pd.Series(found, index=values.index, dtype=object)


def is_text(values: pd.Series) -> bool:
    """True for object or string columns (pandas 3 reads text as ``str``)."""
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def blank(values: pd.Series) -> np.ndarray:
    """True where a cell is missing: NaN, None, NaT or only white space."""
    if is_text(values):
        text = values.astype("string[pyarrow]")  # vectorised trim, no Python loop
        return (text.isna() | text.str.strip().eq("")).to_numpy(dtype=bool, na_value=True)
    return values.isna().to_numpy(bool)


def parse_colours(values: pd.Series) -> pd.Series:
    """Map green/yellow/red or 绿/黄/红 (and 码 forms) to schema colours; None if unknown.

    Examples
    --------
    >>> parse_colours(pd.Series(["绿", "Yellow", "红码", "blue"])).tolist()
    ['green', 'yellow', 'red', None]
    """
    return _lookup(COLOUR_WORDS, values)


def parse_methods(values: pd.Series) -> pd.Series:
    """Map self/proxy or 本人/代登记 to schema methods; None if unknown.

    Examples
    --------
    >>> parse_methods(pd.Series(["本人", "代登记", "proxy", "?"])).tolist()
    ['self', 'proxy', 'proxy', None]
    """
    return _lookup(METHOD_WORDS, values)


def parse_bools(values: pd.Series) -> pd.Series:
    """Map yes/no, true/false, 1/0, 是/否 to booleans; None if unknown.

    Examples
    --------
    >>> parse_bools(pd.Series(["是", "no", "TRUE", "maybe"])).tolist()
    [True, False, True, None]
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(object)
    return _lookup(BOOL_WORDS, values)


def parse_floats(values: pd.Series) -> pd.Series:
    """Parse numbers; NaN where the text is not a finite number.

    Examples
    --------
    >>> parse_floats(pd.Series(["114.03", " 27.6 ", "x", "inf"])).tolist()
    [114.03, 27.6, nan, nan]
    """
    numbers = pd.to_numeric(
        values.astype(str).str.strip() if is_text(values) else values, errors="coerce"
    ).astype("float64")
    return numbers.where(np.isfinite(numbers))


def _loose_times(text: pd.Series) -> pd.Series:
    parts = text.str.extract(_LOOSE)
    ok = parts[0].notna()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if not ok.any():
        return out
    p = parts[ok].fillna("0")
    frac = p[6].str.ljust(9, "0").astype("int64")
    stamps = pd.to_datetime(
        pd.DataFrame(
            {"year": p[0].astype(int), "month": p[1].astype(int), "day": p[2].astype(int),
             "hour": p[3].astype(int), "minute": p[4].astype(int), "second": p[5].astype(int)}
        ),
        errors="coerce",
    ) + pd.to_timedelta(frac, unit="ns")
    out[ok] = stamps.astype("datetime64[ns]")
    return out


def _localise(local: pd.Series, zone: str) -> pd.Series:
    return (local.astype("datetime64[ns]")
            .dt.tz_localize(zone, nonexistent="NaT", ambiguous="NaT").dt.tz_convert("UTC"))


def parse_times(values: pd.Series, zone: str = s.DEFAULT_ZONE) -> pd.Series:
    """Parse instants to ``datetime64[ns, UTC]``; NaT where a cell cannot be read.

    Accepted: ISO 8601 with or without a zone (``Z``, ``+08:00``), ``2022/11/18 08:05:03``,
    ``2022年11月18日 08:05``, epoch milliseconds (13 digits) or seconds (10 digits), and
    typed datetime columns (Parquet, Excel). Times without a zone are local to ``zone``.

    Parameters
    ----------
    values : pd.Series
        Text, numbers or datetimes.
    zone : str
        IANA zone for times that carry none.

    Returns
    -------
    pd.Series
        ``datetime64[ns, UTC]``, same index.

    Examples
    --------
    >>> t = parse_times(pd.Series(["2022-11-18T08:05:03", "2022/11/18 08:05:03",
    ...     "2022年11月18日 08:05", "1668729903000", "2022-11-18T00:05:03Z", "soon"]))
    >>> [str(x) for x in t]  # doctest: +NORMALIZE_WHITESPACE
    ['2022-11-18 00:05:03+00:00', '2022-11-18 00:05:03+00:00', '2022-11-18 00:05:00+00:00',
     '2022-11-18 00:05:03+00:00', '2022-11-18 00:05:03+00:00', 'NaT']
    """
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.as_unit("ns")
    if pd.api.types.is_datetime64_dtype(dtype):
        return values.dt.tz_localize(zone).dt.tz_convert("UTC").dt.as_unit("ns")
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = values.astype("float64").map(lambda v: "" if np.isnan(v) else f"{v:.0f}")
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")

    digits = text.str.fullmatch(r"\d{10}|\d{13}")
    if digits.any():
        num = text[digits].astype("int64")
        ms = np.where(text[digits].str.len() == 13, num, num * 1000)
        out[digits] = pd.to_datetime(ms, unit="ms", utc=True).as_unit("ns")

    rest = ~digits & (text != "")
    candidates = text[rest]
    # Fast path: the plain "2022-11-18 08:05:03" of most exports, parsed in C.
    fast = pd.to_datetime(candidates, errors="coerce", format="%Y-%m-%d %H:%M:%S")
    hit = fast.notna()
    if hit.any():
        out[candidates.index[hit]] = _localise(fast[hit], zone)
    norm = (
        candidates[~hit].str.replace("年", "-", regex=False).str.replace("月", "-", regex=False)
        .str.replace("日", " ", regex=False).str.replace("/", "-", regex=False)
        .str.replace(r"\s+", " ", regex=True).str.strip()
    )
    zoned = norm.str.contains(_ZONE_SUFFIX)
    if zoned.any():
        out[zoned[zoned].index] = pd.to_datetime(
            norm[zoned], utc=True, errors="coerce", format="ISO8601"
        ).dt.as_unit("ns")
    naive = norm[~zoned]
    if len(naive):
        local = pd.to_datetime(naive, errors="coerce", format="%Y-%m-%d %H:%M:%S")
        missing = local.isna()
        if missing.any():
            local[missing] = _loose_times(naive[missing].str.replace("T", " ", regex=False))
        out[naive.index] = _localise(local, zone)
    return out
