"""Vectorised cell parsers: times, colours, methods, yes/no and numbers, in Chinese or English."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab.model import ids
from tracelab.model import schema as s

__all__ = ["is_text", "blank", "parse_times", "parse_colours", "parse_methods", "parse_bools",
           "parse_floats", "unwrap_cells", "in_scientific_notation", "time_hint",
           "time_out_of_range", "clean_ids", "sorted_codes", "lookup_codes", "decode", "Coded",
           "FIRST_YEAR", "LAST_YEAR"]

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
#: Excel's day serials: days since 1899-12-30, with the time as a fraction. Five digits
#: cover 1927-2173, so they never collide with 10-digit epoch seconds or 13-digit ms.
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: 12-hour markers of Chinese and English spreadsheets, and the hours they add.
_HALF_DAY = re.compile(r"\s*(上午|下午|中午|晚上|早上|凌晨|AM|PM|am|pm)\s*")
_AFTERNOON = ("下午", "晚上", "PM", "pm")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
#: Excel's ways of forcing a cell to text: a leading apostrophe, or a ="…" formula.
_EXCEL_TEXT = re.compile(r'^(?:="(.*)"|\'(.*))$', re.DOTALL)
#: Years an instant may have. Instants are nanoseconds since 1970 in an int64, which holds
#: 1677-09-21 to 2262-04-11; whole years keep the rule simple to state and to test.
FIRST_YEAR, LAST_YEAR = 1678, 2261
#: A text time whose year (its first four characters) lies outside FIRST_YEAR..LAST_YEAR.
_FAR_YEAR = (r"(?:0\d\d\d|1[0-5]\d\d|16[0-6]\d|167[0-7]|226[2-9]|22[7-9]\d|2[3-9]\d\d"
             r"|[3-9]\d\d\d)\D(?s:.*)")
#: Epoch milliseconds of the first instant after LAST_YEAR.
_LAST_MS = pd.Timestamp(f"{LAST_YEAR + 1}-01-01").value // 10**6
_LOOSE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?$"
)


def lookup_codes(words: dict, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cells read against `words` (value -> spellings), as codes into the values.

    Each distinct cell is looked up once, stripped and case-folded: scan logs repeat a
    handful of colours and methods millions of times, and small integer codes are cheap
    to filter and reorder where columns of Python objects are not.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        ``int8`` codes, -1 where the cell is missing or no spelling matches, and the
        values of `words` as an object array, in the order of `words`.

    Examples
    --------
    >>> codes, labels = lookup_codes(METHOD_WORDS, pd.Series(["代登记", "?", None, " Self "]))
    >>> codes.tolist(), labels.tolist()
    ([1, -1, -1, 0], ['self', 'proxy'])
    """
    table = {w.casefold(): key for key, spellings in words.items() for w in spellings}
    labels = np.empty(len(words), dtype=object)
    labels[:] = list(words)
    number = {key: i for i, key in enumerate(words)}
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    found = [table.get(str(v).strip().casefold()) for v in pd.Series(uniques, dtype=object)]
    # Code -1 (a missing cell) picks the last entry: no value.
    per_unique = np.asarray([-1 if f is None else number[f] for f in found] + [-1],
                            dtype=np.int8)
    return per_unique[codes], labels


def decode(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The object array of :func:`lookup_codes`'s codes: their labels, None for -1.

    Examples
    --------
    >>> decode(np.array([1, -1], dtype=np.int8), np.array(["self", "proxy"], dtype=object))
    array(['proxy', None], dtype=object)
    """
    table = np.empty(len(labels) + 1, dtype=object)
    table[:-1] = labels  # the last entry, None, is what code -1 picks
    return table[codes]


def _lookup(words: dict, values: pd.Series) -> pd.Series:
    return pd.Series(decode(*lookup_codes(words, values)), index=values.index, dtype=object)


def sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray | np.ndarray]:
    """``pd.factorize(values, sort=True)``: codes (-1 for missing) and the sorted distinct values.

    Arrow text is coded by Arrow and only its distinct values are sorted (Arrow's byte
    order of UTF-8 is the code-point order Python sorts by): pandas sorts them as Python
    objects, which for a few hundred thousand ids is most of the cost.

    Examples
    --------
    >>> codes, uniques = sorted_codes(pd.Series(["b", "a", None, "b"], dtype="str"))
    >>> codes.tolist(), list(uniques)
    ([1, 0, -1, 1], ['a', 'b'])
    """
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return pd.factorize(values, sort=True)
    codes, uniques = values.array.factorize()
    if len(uniques) < 2:
        return codes, uniques
    order = np.asarray(pc.sort_indices(pa.array(uniques)))
    rank = np.empty(len(uniques) + 1, dtype=codes.dtype)
    rank[order] = np.arange(len(uniques))
    rank[-1] = -1  # code -1 (missing) stays -1
    return rank[codes], uniques.take(order)


class Coded:
    """A text column as codes into its distinct values: ``values[codes]`` is the column.

    A log's millions of cells hold a few hundred thousand ids and a handful of colours;
    a test or a change that depends on each cell alone is worked out once per distinct
    value and gathered by code (:meth:`test`, :meth:`map`), with the same result as on
    the whole column. Code -1 is a missing cell.

    Examples
    --------
    >>> c = Coded.of(pd.Series([" a", "b", None, " a"], dtype="str"))
    >>> c.test(lambda v: v.str.strip().eq("a").fillna(False)).tolist()
    [True, False, False, True]
    >>> c.map(lambda v: v.str.strip()).column().tolist()
    ['a', 'b', nan, 'a']
    """

    def __init__(self, codes: np.ndarray, values: pd.Series) -> None:
        self.codes = codes
        #: The distinct values (after :meth:`map`, some may be equal), a default index.
        self.values = values

    @classmethod
    def of(cls, column: pd.Series) -> Coded:
        """Code a text column stored in Arrow (``str`` dtype)."""
        codes, uniques = column.array.factorize()
        return cls(codes, pd.Series(uniques, dtype=column.dtype))

    def __len__(self) -> int:
        return len(self.codes)

    def _with_missing(self) -> pd.Series:
        """The distinct values and, last (code -1), a missing cell."""
        missing = pd.Series([None], dtype=self.values.dtype)
        return pd.concat([self.values, missing], ignore_index=True)

    def test(self, func: Callable[[pd.Series], object]) -> np.ndarray:
        """``func`` (a Series -> one result per cell, each from its cell alone) per row."""
        return np.asarray(func(self._with_missing()))[self.codes]

    def map(self, func: Callable[[pd.Series], pd.Series]) -> Coded:
        """The column with ``func`` (a change of each cell on its own) applied."""
        return Coded(self.codes, func(self.values).reset_index(drop=True))

    def column(self, index: pd.Index | None = None) -> pd.Series:
        """The whole column as a Series."""
        return pd.Series(self.values.array.take(self.codes, allow_fill=True),
                         index=index, dtype=self.values.dtype)

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The cells at positions `rows`, as Python objects."""
        return self.values.array.take(self.codes[rows], allow_fill=True).to_numpy(object)

    def sorted_codes(self) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray | np.ndarray]:
        """:func:`sorted_codes` of the column, worked out on the distinct values."""
        codes, uniques = sorted_codes(self.values)
        table = np.append(codes, -1)  # code -1 (missing) stays -1
        return table[self.codes], uniques


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
    # Built from components, an hour of 25 would roll over into the next day: refuse it.
    clock = ((p[3].astype(int) < 24) & (p[4].astype(int) < 60) & (p[5].astype(int) < 60))
    p = p[clock]
    if p.empty:
        return out
    frac = p[6].str.ljust(9, "0").astype("int64")
    stamps = pd.to_datetime(
        pd.DataFrame(
            {"year": p[0].astype(int), "month": p[1].astype(int), "day": p[2].astype(int),
             "hour": p[3].astype(int), "minute": p[4].astype(int), "second": p[5].astype(int)}
        ),
        errors="coerce",
    ) + pd.to_timedelta(frac, unit="ns")
    out[p.index] = stamps.astype("datetime64[ns]")
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
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        # Typed columns (Parquet, any unit): a year the int64 nanoseconds cannot hold is
        # NaT here and a time_out_of_range rejection in the loader, not an overflow.
        typed = values.where(~_far_typed(values))
        if not isinstance(dtype, pd.DatetimeTZDtype):
            typed = typed.dt.tz_localize(zone, nonexistent="NaT", ambiguous="NaT")
        return typed.dt.tz_convert("UTC").dt.as_unit("ns")
    text = _as_text(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    # Far years never reach pandas, whose parsers would overflow on them.
    text = text.where(~_fullmatch(text, _FAR_YEAR), "")

    serial = _fullmatch(text, _EXCEL_SERIAL.pattern)
    if serial.any():
        days = text[serial].astype("float64")
        # Excel keeps times to about a millisecond of float noise: round to the second.
        local = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).dt.round("s")
        out[serial] = _localise(local, zone)

    digits = _fullmatch(text, r"\d{10}|\d{13}") & ~serial
    if digits.any():
        ms = _epoch_ms(text[digits])
        out[digits] = pd.to_datetime(np.where(ms < _LAST_MS, ms, np.iinfo(np.int64).min),
                                     unit="ms", utc=True).as_unit("ns")

    rest = ~digits & ~serial & (text != "")
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
        marker = naive.str.extract(_HALF_DAY, expand=False)
        if marker.notna().any():
            naive = naive.str.replace(_HALF_DAY, " ", regex=True).str.strip()
        local = pd.to_datetime(naive, errors="coerce", format="%Y-%m-%d %H:%M:%S")
        missing = local.isna()
        if missing.any():
            local[missing] = _loose_times(naive[missing].str.replace("T", " ", regex=False))
        if marker.notna().any():
            local = _half_day(local, marker)
        out[naive.index] = _localise(local, zone)
    return out


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text; numbers written without a fraction when they have none."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("float64").map(
            lambda v: "" if not np.isfinite(v) else f"{v:.0f}" if v == int(v) else repr(v))
    return values.astype(str).str.strip()


def _epoch_ms(text: pd.Series) -> np.ndarray:
    """Epoch milliseconds of 13-digit (ms) or 10-digit (seconds) text; no overflow: < 10**13."""
    num = text.astype("int64").to_numpy()
    return np.where(text.str.len().to_numpy() == 13, num, num * 1000)


def _far_typed(values: pd.Series) -> np.ndarray:
    """True where a typed datetime lies outside FIRST_YEAR..LAST_YEAR (any unit, any zone)."""
    year = values.dt.year
    return ((year < FIRST_YEAR) | (year > LAST_YEAR)).to_numpy(dtype=bool, na_value=False)


def time_out_of_range(values: pd.Series) -> np.ndarray:
    """True where a cell is a real time outside the years 1678-2261 that instants can hold.

    :func:`parse_times` gives NaT for them; this tells them from cells that are no time
    at all, so that a loader can say which: ``3000-01-01``, ``9999999999999`` (epoch ms,
    year 2286) or a typed year-9999 Parquet cell are out of range, ``0000-00-00`` or
    ``2022-02-30`` are not times.

    Examples
    --------
    >>> time_out_of_range(pd.Series(["3000-01-01 08:00", "9999999999999", "1000年1月1日",
    ...     "0000-00-00", "2022-11-18 08:05", "soon"])).tolist()
    [True, True, True, False, False, False]
    """
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return _far_typed(values)
    text = _as_text(values)
    out = np.zeros(len(text), dtype=bool)
    digits = _fullmatch(text, r"\d{10}|\d{13}").to_numpy()
    if digits.any():
        out[digits] = _epoch_ms(text[digits]) >= _LAST_MS
    far = _fullmatch(text, _FAR_YEAR).to_numpy()
    if far.any():
        # The same text with its year moved into range by a multiple of 400 years (so 29
        # February stays a real day or not): if that parses, the cell is a real time.
        year = text[far].str[:4].astype(int)
        moved = (1800 + (year - 1800) % 400).astype(str) + text[far].str[4:]  # 1800-2199
        out[far] = parse_times(moved, "UTC").notna().to_numpy()
    return out


def _half_day(local: pd.Series, marker: pd.Series) -> pd.Series:
    """Move 12-hour clock times (下午 3:05) to the 24-hour clock; NaT for 下午 15:05."""
    hour = local.dt.hour
    afternoon = marker.isin(_AFTERNOON)
    shifted = local + pd.to_timedelta(np.where(afternoon & (hour < 12), 12, 0), unit="h")
    # 上午 12:30 is half past midnight; an hour above 12 after a marker is no clock time.
    shifted = shifted - pd.to_timedelta(np.where(marker.isin(("上午", "AM", "am", "凌晨"))
                                                 & (hour == 12), 12, 0), unit="h")
    return shifted.where(~(marker.notna() & (hour > 12)))


def time_hint(value: str) -> str:
    """A word on why a time cell failed, for shapes spreadsheets produce; ``""`` otherwise.

    Examples
    --------
    >>> time_hint("下午 15:05")
    ' (上午/下午 with an hour above 12)'
    >>> time_hint("4.4883E+04")
    ' (a number in scientific notation: format the column as text or date in Excel)'
    >>> time_hint("2022-13-01")
    ''
    """
    text = str(value).strip().strip("'")
    if _HALF_DAY.search(text):
        return " (上午/下午 with an hour above 12)"
    if _SCIENTIFIC.fullmatch(text):
        return " (a number in scientific notation: format the column as text or date in Excel)"
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return " (a bare number: Excel day serials have 5 digits, epoch times 10 or 13)"
    return ""


def in_scientific_notation(values: pd.Series) -> np.ndarray:
    """True where an id cell reads like ``3.60323E+13``: Excel has dropped its digits.

    Examples
    --------
    >>> in_scientific_notation(pd.Series(["3.60323E+13", "13123456789", "V1E5", None])).tolist()
    [True, False, False, False]
    """
    if not is_text(values):
        return np.zeros(len(values), dtype=bool)
    text = pc.utf8_trim_whitespace(_arrow(values))
    hit = pc.match_substring_regex(text, f"^(?:{_SCIENTIFIC.pattern})$")
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def _fullmatch(text: pd.Series, pattern: str) -> pd.Series:
    """Boolean Series: cells matching ``pattern`` whole (Arrow's regex, in C)."""
    hit = pc.match_substring_regex(_arrow(text), f"^(?:{pattern})$")
    return pd.Series(np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False),
                                dtype=bool), index=text.index)


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow strings: Arrow's kernels test millions of cells in C."""
    try:
        return pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: compare their text
        return pa.array(values.astype(str), type=pa.large_string())


def unwrap_cells(values: pd.Series) -> pd.Series:
    """Strip Excel's text markers: a leading apostrophe and a ``="…"`` wrapper.

    Exports made "safe" for Excel carry ``'11010510100104`` or ``="13123456789"``; read
    as they are they would make a second venue or person. Only text columns change, and
    only the cells that carry a marker, so clean logs pay one vectorised test.

    Examples
    --------
    >>> unwrap_cells(pd.Series(["'11010510100104", '="13123456789"', "V1"])).tolist()
    ['11010510100104', '13123456789', 'V1']
    """
    if not is_text(values):
        return values
    hit = pc.match_substring_regex(_arrow(values), r"""^\s*(?:'|=")""")
    marked = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
    if not marked.any():
        return values
    fixed = values[marked].astype(str).str.strip().str.extract(_EXCEL_TEXT)
    cells = values.to_numpy(dtype=object, copy=True)
    cells[marked] = fixed[0].fillna(fixed[1]).fillna(values[marked].astype(str)).to_numpy(object)
    return pd.Series(cells, index=values.index, name=values.name, dtype=object)


def clean_ids(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids as they are compared (:func:`tracelab.model.ids.clean_identifier`), and what changed.

    Only cells holding a character outside printable ASCII are looked at, once per distinct
    value, so clean logs pay one vectorised test.

    Returns
    -------
    tuple of (pandas.Series, pandas.Series)
        The cleaned ids (same index; non-text columns are returned as they are) and, per
        cell, what was done: ``""`` for nothing, else the ``ID_REPAIRS`` keys joined by
        ``","``, or ``"mixed_script"`` (the id is left as read).

    Examples
    --------
    >>> clean, done = clean_ids(pd.Series(["P001", "P\u200b001", "Ｐ００１", "PЖ01"]))
    >>> clean.tolist(), done.tolist()
    (['P001', 'P001', 'P001', 'PЖ01'], ['', 'invisible', 'compatibility', 'mixed_script'])
    """
    # Arrow-backed text: the loaders compare it over every row, which object dtype makes slow.
    done = pd.Series("", index=values.index, dtype="str")
    if not is_text(values) or not len(values):
        return values, done
    hit = pc.match_substring_regex(_arrow(values), r"[^\x20-\x7e]")
    odd = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
    if not odd.any():
        return values, done
    codes, uniques = pd.factorize(values[odd].astype(str))
    results = [ids.clean_identifier(u) for u in uniques]
    fixed = np.array([r[0] for r in results], dtype=object)[codes]
    notes = np.array([",".join(r[1]) for r in results], dtype=object)[codes]
    cells = values.to_numpy(dtype=object, copy=True)
    mixed = notes == "mixed_script"
    cells[np.flatnonzero(odd)[~mixed]] = fixed[~mixed]
    done[odd] = notes.astype(str)
    return pd.Series(cells, index=values.index, name=values.name, dtype=object), done
