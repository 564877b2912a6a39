"""CSV cells made a column at a time, byte for byte as pandas' ``to_csv`` writes them.

:func:`tracelab.io.exports.write_csv` writes through :func:`csv_columns` and
:func:`write_rows`; a frame with a column of another type is left to pandas.
"""

from __future__ import annotations

import collections
import csv
import io
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab.privacy.pseudonyms import arrow_strings, utf8_bytes

__all__ = ["csv_columns", "write_rows"]

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


def csv_columns(frame: pd.DataFrame) -> list[tuple[_Cells, bool]] | None:
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


def write_rows(out: BinaryIO, columns: pd.Index, cells: list[tuple[_Cells, bool]],
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
