"""Safe CSV and XLSX exports: formulas neutralised, personal columns masked unless asked.

Registration text (venue names, addresses, owner names) is untrusted: a venue named
``=HYPERLINK("http://evil", "click")`` becomes a live formula when a spreadsheet opens an
export. Every text cell that a spreadsheet would read as a formula or command gets a
leading apostrophe (OWASP "CSV injection"); numbers stay numbers.
"""

from __future__ import annotations

import collections
import csv
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab._atomic import atomic_path
from tracelab._i18n import msg, one_of
from tracelab.model import schema as s
from tracelab.privacy.pseudonyms import (
    arrow_strings,
    from_arrow_strings,
    mask_frame,
    personal_columns,
    utf8_bytes,
)

__all__ = ["write_table", "TABLE_FORMATS", "FORMULA_PREFIXES", "neutralise", "safe_frame",
           "write_csv", "write_xlsx"]

#: First characters that make a spreadsheet read a cell as a formula or a command:
#: ``=``, ``+``, ``-``, ``@``, tab, carriage return; and their full-width forms, which
#: some spreadsheet versions with East Asian input normalise to the ASCII ones.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# The same test for Arrow (RE2): spaces, then one of the prefixes (each one character).
_FORMULA_RE2 = "^ *[" + "".join(f"\\x{{{ord(c):x}}}" for c in FORMULA_PREFIXES) + "]"
# Control characters XLSX (XML 1.0) cannot hold; openpyxl refuses them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: object) -> object:
    """Return `value` made inert for spreadsheets: text starting a formula gets a ``'``.

    Text is also checked after leading spaces, which some spreadsheets skip. Other
    values (numbers, times, missing) are returned unchanged.

    Examples
    --------
    >>> neutralise("=1+1"), neutralise("-5"), neutralise(" @SUM(A1)"), neutralise("超市")
    ("'=1+1", "'-5", "' @SUM(A1)", '超市')
    >>> neutralise(-5), neutralise(None)
    (-5, None)
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame, *,
               keep_personal: bool | Sequence[str] = False) -> pd.DataFrame:
    """Return a copy of `frame` ready to export: personal columns masked, text neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table.
    keep_personal : bool or sequence of str, default False
        Personal columns (:func:`tracelab.privacy.pseudonyms.personal_columns`) are masked, and
        phone and ID numbers in free text scrubbed (:func:`tracelab.privacy.pseudonyms.mask_frame`),
        except in the columns named here, or anywhere if this is True: only for
        exports that must reach people by phone, bound to a purpose and logged.

    Returns
    -------
    pandas.DataFrame
        Same columns (header text neutralised too); text columns hold neutralised
        strings, numeric and time columns are unchanged.

    Examples
    --------
    >>> frame = pd.DataFrame({"venue_id": ["V1"], "name": ["=cmd|' /C calc'!A0"],
    ...                       "applicant_phone": ["13123456789"], "lon": [114.03]})
    >>> safe_frame(frame).values.tolist()
    [['V1', "'=cmd|' /C calc'!A0", '131*****789', 114.03]]
    >>> safe_frame(frame, keep_personal=["applicant_phone"])["applicant_phone"].tolist()
    ['13123456789']
    """
    if keep_personal is True:
        out = frame.copy(deep=False)  # columns are replaced, never written into
    else:
        keep = list(keep_personal or ())
        unknown = [c for c in keep if c not in frame.columns]
        if unknown:
            raise ValueError(msg("keep_personal: {unknown!r} are not columns of the frame",
                                 unknown=unknown))
        out = mask_frame(frame, personal_columns(frame), keep=keep)
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) \
                or pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[column] = _neutralised(series)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


# First bytes (UTF-8) of a text that may start a formula: a prefix, a space before one, or
# the lead byte of the full-width forms.
_FORMULA_LEADS = np.array(sorted({c.encode()[0] for c in (*FORMULA_PREFIXES, " ")}),
                          dtype=np.uint8)


def _neutralised(values: pd.Series) -> pd.Series:
    """``values.map(neutralise)``; an Arrow text column in Arrow, a column per call.

    Only rows whose first byte may start a formula are searched: usually none.
    """
    arrow = arrow_strings(values)
    if arrow is None:
        return values.map(neutralise)
    if not any(_formula_leads(chunk) for chunk in arrow.chunks):
        return values
    formula = pc.fill_null(pc.match_substring_regex(arrow, _FORMULA_RE2), False)
    if not pc.any(formula).as_py():
        return values
    quoted = pc.binary_join_element_wise(pa.scalar("'", arrow.type), arrow,
                                         pa.scalar("", arrow.type))
    return from_arrow_strings(pc.if_else(formula, quoted, arrow), values)


def _formula_leads(text: pa.Array) -> bool:
    """Whether a row of `text` starts with a byte that may begin a formula."""
    data, bounds = utf8_bytes(text)
    starts = bounds[:-1][bounds[1:] > bounds[:-1]]
    return bool(np.isin(data[starts], _FORMULA_LEADS).any())


def write_csv(frame: pd.DataFrame, path: str | Path, *,
              keep_personal: bool | Sequence[str] = False) -> Path:
    """Write `frame` as an Excel-friendly CSV: UTF-8 with BOM, formulas neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.
    path : str or Path
        Output file.
    keep_personal : bool or sequence of str, default False
        See :func:`safe_frame`.

    Returns
    -------
    Path

    Notes
    -----
    The byte-order mark makes Excel on Chinese Windows read the file as UTF-8 instead of
    GBK; pandas (``encoding="utf-8-sig"``), Python's csv module with that encoding, and
    LibreOffice skip it. Rows end in CRLF (RFC 4180), so that every field holding a
    comma, quote, carriage return or line feed is quoted and a line break inside a name
    cannot start a new row. Times are written ISO 8601 with their offset.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_csv(pd.DataFrame({"name": ["+1 shop"], "n": [3]}),
    ...                 pathlib.Path(tempfile.mkdtemp()) / "x.csv")
    >>> out.read_bytes()
    b"\\xef\\xbb\\xbfname,n\\r\\n'+1 shop,3\\r\\n"
    """
    target = Path(path)
    safe = safe_frame(frame, keep_personal=keep_personal)
    cells = _csv_columns(safe)
    with atomic_path(target) as tmp:
        if cells is None:
            safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        else:
            with open(tmp, "wb") as out:
                _write_rows(out, safe.columns, cells, len(safe))
    return target


# -- CSV, a column at a time ------------------------------------------------------------
# pandas hands csv.writer one Python object per cell and formats each time on its own:
# most of the cost of a large export (183,699 rows of a two-hop trace: 10 s). For the
# column types an export holds (text, integers, floats, booleans, tz-aware times) the
# cells are made column-wise with Arrow and numpy instead, exactly as pandas and
# csv.writer write them: text as it is, a missing value empty, integers and booleans as
# ``str`` gives them, floats as numpy's ``astype(str)``, times as local time with the
# offset and the column's decimals of a second, and a field holding a comma, a quote, CR
# or LF quoted with its quotes doubled (``QUOTE_MINIMAL`` with ``"\r\n"`` rows). Any other
# column type, or a time pandas writes otherwise, leaves the whole table to pandas.

#: Rows made, quoted, joined and written at a time: a few MB, which the allocators reuse
#: from chunk to chunk (fresh memory of tens of MB costs more in page faults than the rest).
_CSV_CHUNK = 1 << 13
# Characters that make csv.writer quote a field (QUOTE_MINIMAL, "\r\n" rows), by RE2 pattern.
_QUOTED = {",": ",", '"': '"', "\r": "\\r", "\n": "\\n"}
_LARGE = pa.large_string()
_Part = Any  # an Arrow array, or a scalar repeated on every row
_Cells = Callable[[int, int], Any]  # rows [start, stop) of a column as CSV text (Arrow)


def _csv_columns(frame: pd.DataFrame) -> list[tuple[_Cells, bool]] | None:
    """How to write each column's cells as text, and whether they are text (may need quotes).

    None when a column is of a type written by pandas only. Cells are made a chunk of
    rows at a time: small temporaries, which the allocators reuse.
    """
    if not len(frame.columns):
        return None
    out = []
    for i in range(len(frame.columns)):
        cells = _csv_cells(frame.iloc[:, i])
        if cells is None:
            return None
        out.append(cells)
    return out


def _csv_cells(values: pd.Series) -> tuple[_Cells, bool] | None:
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        times = values.array
        places = _iso_places(times)
        if places is None:
            return None
        return (lambda a, b: _iso_times(times[a:b], places)), False
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        numbers = values.to_numpy()
        if dtype.kind == "b":
            return (lambda a, b: pa.array(np.where(numbers[a:b], "True", "False"),
                                          type=_LARGE)), False
        if dtype.kind in "iu":
            return (lambda a, b: pc.cast(pa.array(numbers[a:b]), _LARGE)), False
        return _float_cells(numbers), False
    text = arrow_strings(values)
    if text is None and pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(
            values, skipna=True) in ("string", "empty"):
        try:
            text = pa.chunked_array([pa.array(values.where(values.notna(), None).to_numpy(),
                                              type=_LARGE)])
        except (pa.ArrowException, TypeError, ValueError):  # pandas will say what is wrong
            return None
    if text is None:
        return None
    filled = pc.fill_null(text.cast(_LARGE), "")

    def cells(a: int, b: int) -> pa.ChunkedArray:
        rows = filled.slice(a, b - a)
        # A masked column comes in many pieces (kept rows, then a changed one): one copy
        # of a chunk's rows costs less than every step going over the pieces.
        return pa.chunked_array([rows.combine_chunks()]) if rows.num_chunks > 4 else rows

    return cells, True


def _float_cells(numbers: np.ndarray) -> _Cells:
    """``numbers.astype(str)``, missing values empty, as pandas writes floats.

    Each distinct value (by its bits, so ``-0.0`` stays apart from ``0.0``) is formatted
    once, for the whole column: numpy formats a float through a Python object.
    """
    bits = numbers.view(f"u{numbers.dtype.itemsize}")
    uniq, inv = np.unique(bits, return_inverse=True)
    table = pa.array(uniq.view(numbers.dtype).astype(str), type=_LARGE)
    missing = np.isnan(numbers)

    def cells(a: int, b: int) -> Any:
        text = table.take(pa.array(inv[a:b].astype(np.int64, copy=False)))
        if missing[a:b].any():
            text = pc.if_else(pa.array(missing[a:b]), pa.scalar("", _LARGE), text)
        return text

    return cells


_NS_PER = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_NAT = np.iinfo(np.int64).min
_CLOCKS: list[np.ndarray] = []  # "HH:MM:SS" of each second of a day, made once


def _clocks() -> np.ndarray:
    if not _CLOCKS:
        second = np.arange(86_400)
        text = np.empty((86_400, 8), dtype=np.uint8)
        for at, value in ((0, second // 3600), (3, second // 60 % 60), (6, second % 60)):
            text[:, at], text[:, at + 1] = value // 10 + 48, value % 10 + 48
        text[:, [2, 5]] = ord(":")
        _CLOCKS.append(text.view("S8").ravel())
    return _CLOCKS[0]


def _iso_places(times: pd.arrays.DatetimeArray) -> int | None:
    """Decimals of a second pandas writes for every time of the column (0, 3, 6 or 9).

    None if pandas writes the column otherwise than :func:`_iso_times`: a local year
    outside 1000-9999 (pandas does not pad years) or an offset of odd seconds (local
    mean time, before standard zones).
    """
    per_s = _NS_PER.get(times.unit)
    if per_s is None:
        return None
    present = times.asi8 != _NAT
    utc = times.asi8[present]
    local = utc if str(times.tz) == "UTC" else times.tz_localize(None).asi8[present]
    if len(local):
        years = np.array([local.min(), local.max()]).astype(f"datetime64[{times.unit}]")
        first, last = years.astype("datetime64[Y]").astype(np.int64) + 1970
        if first < 1000 or last > 9999 or ((local - utc) % (60 * per_s)).any():
            return None
    nanos = utc % per_s * (1_000_000_000 // per_s)
    return (9 if (nanos % 1000).any() else 6 if (nanos % 1_000_000).any()
            else 3 if nanos.any() else 0)


def _iso_times(times: pd.arrays.DatetimeArray, places: int) -> pa.Array:
    """Tz-aware times as pandas writes them to CSV, missing ones empty.

    Local wall time, `places` decimals of the second (:func:`_iso_places`, the same for
    every row of a column) and the offset: ``2022-11-20 10:41:48+08:00``. Put together
    from tables of the days, the seconds of a day and the offsets.
    """
    per_s = _NS_PER[times.unit]
    utc = times.asi8
    local = utc if str(times.tz) == "UTC" else times.tz_localize(None).asi8
    present = utc != _NAT
    seconds, fraction = np.divmod(np.where(present, local, 0), per_s)
    offset = np.where(present, local - utc, 0) // per_s
    days, of_day = np.divmod(seconds, 86_400)
    day_u, day_code = _codes(days)
    off_u, off_code = _codes(offset)
    layout = [("day", "S10"), ("sep", "S1"), ("clock", "S8")]
    if places:
        layout.append(("fraction", f"S{places + 1}"))
    out = np.empty(len(utc), dtype=np.dtype([*layout, ("offset", "S6")]))
    out["day"] = np.datetime_as_string(day_u.astype("datetime64[D]"), unit="D").astype(
        "S10")[day_code]
    out["sep"] = b" "
    out["clock"] = _clocks()[of_day]
    if places:
        digits = np.empty((len(utc), places + 1), dtype=np.uint8)
        digits[:, 0] = ord(".")
        value = fraction * (1_000_000_000 // per_s) // 10 ** (9 - places)
        for k in range(places):
            digits[:, places - k] = value // 10 ** k % 10 + 48
        out["fraction"] = digits.view(f"S{places + 1}").ravel()
    sign = np.where(off_u < 0, "-", "+")
    out["offset"] = np.array([f"{s}{m // 60:02d}:{m % 60:02d}" for s, m in zip(
        sign.tolist(), (np.abs(off_u) // 60).tolist(), strict=True)], dtype="S6")[off_code]
    n, width = len(out), out.dtype.itemsize
    text = pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(np.arange(0, width * (n + 1), width, dtype=np.int64)), pa.py_buffer(out))
    if not present.all():
        text = pc.if_else(pa.array(present), text, pa.scalar("", _LARGE))
    return text


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct integers of `values` in order, and each value's place among them."""
    if len(values) and int(values.max()) - int(values.min()) < max(4 * len(values), 1024):
        low = int(values.min())
        seen = np.zeros(int(values.max()) - low + 1, dtype=bool)
        seen[values - low] = True
        return np.flatnonzero(seen) + low, np.cumsum(seen)[values - low] - 1
    return np.unique(values, return_inverse=True)


def _one_text(text: pa.Array) -> pa.Array:
    """All rows of ``text`` as one string (a view): searched at once for a rare byte."""
    data, _ = utf8_bytes(text)
    return pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data))


def _csv_parts(text: pa.ChunkedArray) -> list[_Part]:
    """The parts that write ``text`` (rows of a text column, no nulls) as CSV fields.

    A field is quoted when it holds a comma, a quote, CR or LF. The rows are first
    searched as one text for each (UTF-8 has none of these bytes inside another
    character), then, for the characters present, row by row.
    """
    whole = pa.chunked_array([_one_text(c) for c in text.chunks], type=_LARGE)
    present = [c for c, pattern in _QUOTED.items()
               if pc.any(pc.match_substring_regex(whole, pattern)).as_py()]
    if not present:
        return [text]
    quote = np.asarray(pc.match_substring_regex(
        text, "[" + "".join(_QUOTED[c] for c in present) + "]"))
    inner = pc.replace_substring(text, '"', '""') if '"' in present else text
    mark = pa.scalar('"', _LARGE)
    if quote.all():
        return [mark, inner, mark]
    return [pc.if_else(pa.array(quote), pc.binary_join_element_wise(
        mark, inner, mark, pa.scalar("", _LARGE)), text)]


def _write_rows(out: BinaryIO, columns: pd.Index, cells: list[tuple[_Cells, bool]],
                n: int) -> None:
    """The UTF-8 byte-order mark, the header row (by csv.writer) and the `n` rows.

    Chunks of rows are made on two threads (Arrow and numpy free the GIL) while this one
    writes them in order.
    """
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(list(columns))
    out.write(header.getvalue().encode("utf-8-sig"))
    comma, end, empty = (pa.scalar(t, _LARGE) for t in (",", "\r\n", ""))
    single = len(cells) == 1  # csv.writer quotes a row that is one empty field

    def rows(start: int) -> list[np.ndarray]:
        parts: list[_Part] = []
        stop = min(start + _CSV_CHUNK, n)
        for make, is_text in cells:
            field = _csv_parts(make(start, stop)) if is_text else [make(start, stop)]
            if single and len(field) == 1:  # (a quoted field is never empty)
                field = [pc.if_else(pc.equal(field[0], ""), pa.scalar('""', _LARGE), field[0])]
            parts += [*field, comma]
        parts[-1] = end
        joined = pc.binary_join_element_wise(*parts, empty)
        return [utf8_bytes(c)[0] for c in (joined.chunks if isinstance(
            joined, pa.ChunkedArray) else [joined])]

    starts = range(0, n, _CSV_CHUNK)
    if len(starts) < 4:
        for start in starts:
            for data in rows(start):
                out.write(data.data)
        return
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        ahead: collections.deque[Future[list[np.ndarray]]] = collections.deque()
        for start in starts:
            ahead.append(pool.submit(rows, start))
            if len(ahead) > 3:  # a few chunks in flight, a few MB
                for data in ahead.popleft().result():
                    out.write(data.data)
        while ahead:
            for data in ahead.popleft().result():
                out.write(data.data)


def _xlsx_value(value: object, zone: str) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        # Excel has no time zones: write local wall time (the header says which zone).
        stamp = value.tz_convert(zone) if value.tzinfo is not None else value
        return stamp.tz_localize(None).to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("\ufffd", value)
    return value


def write_xlsx(frame: pd.DataFrame, path: str | Path, *, sheet_name: str = "data",
               keep_personal: bool | Sequence[str] = False, zone: str = s.DEFAULT_ZONE) -> Path:
    """Write `frame` as an XLSX workbook with formulas neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.
    path : str or Path
        Output file.
    sheet_name : str, default "data"
        Worksheet title.
    keep_personal : bool or sequence of str, default False
        See :func:`safe_frame`.
    zone : str
        Zone in which tz-aware times are written; their header gets ``" (zone)"``,
        e.g. ``scanned_at (Asia/Shanghai)``, since Excel times carry no zone.

    Returns
    -------
    Path

    Notes
    -----
    Every text cell is written as a string cell (openpyxl would otherwise turn a text
    starting with ``=`` into a formula); text that would start a formula carries the
    leading ``'``. Control characters XML cannot hold become U+FFFD.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> out = write_xlsx(pd.DataFrame({"name": ["=1+1"], "n": [-3]}),
    ...                  pathlib.Path(tempfile.mkdtemp()) / "x.xlsx")
    >>> sheet = openpyxl.load_workbook(out).active
    >>> [(c.value, c.data_type) for c in sheet[2]]
    [("'=1+1", 's'), (-3, 'n')]
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    safe = safe_frame(frame, keep_personal=keep_personal)
    headers = [f"{h} ({zone})" if isinstance(frame[c].dtype, pd.DatetimeTZDtype) else h
               for h, c in zip(safe.columns, frame.columns, strict=True)]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name)

    def cell(value: object) -> WriteOnlyCell:
        out = WriteOnlyCell(sheet, value=_xlsx_value(value, zone))
        if isinstance(out.value, str):
            out.data_type = "s"  # never "f", whatever the text looks like
        return out

    sheet.append([cell(h) for h in headers])
    for row in safe.itertuples(index=False, name=None):
        sheet.append([cell(v) for v in row])
    target = Path(path)
    with atomic_path(target) as tmp:
        workbook.save(tmp)
    return target


#: Table formats, by extension: the output's extension decides how it is written.
TABLE_FORMATS = (".csv", ".xlsx", ".parquet")


def write_table(frame: pd.DataFrame, path: str | Path, *, sheet_name: str = "data",
                keep_personal: bool | Sequence[str] = False, zone: str = s.DEFAULT_ZONE,
                formats: Sequence[str] = TABLE_FORMATS) -> Path:
    """Write `frame` in the format its extension names, whole or not at all.

    ``.csv`` (:func:`write_csv`, for people: UTF-8 with BOM, formulas neutralised),
    ``.xlsx`` (:func:`write_xlsx`) or ``.parquet`` (for machines, as the frame is).

    Raises
    ------
    ValueError
        If the extension is not one of `formats`; nothing is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_table(pd.DataFrame({"n": [1]}), folder / "t.parquet").suffix
    '.parquet'
    >>> write_table(pd.DataFrame({"n": [1]}), folder / "t.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...t.txt: the extension .txt is not a table format; use .csv, .xlsx or .parquet
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in formats:
        raise ValueError(msg("{target}: the extension {suffix} is not a table format; use "
                             "{allowed}", target=target, suffix=suffix or msg("(none)"),
                             allowed=one_of(formats)))
    if suffix == ".csv":
        return write_csv(frame, target, keep_personal=keep_personal)
    if suffix == ".xlsx":
        return write_xlsx(frame, target, sheet_name=sheet_name, keep_personal=keep_personal,
                          zone=zone)
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return target
