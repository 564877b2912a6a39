"""Safe CSV and XLSX exports: formulas neutralised, personal columns masked unless asked.

Registration text (venue names, addresses, owner names) is untrusted: a venue named
``=HYPERLINK("http://evil", "click")`` becomes a live formula when a spreadsheet opens an
export. Every text cell that a spreadsheet would read as a formula or command gets a
leading apostrophe (OWASP "CSV injection"); numbers stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab._atomic import atomic_path
from tracelab._i18n import msg, one_of
from tracelab.io.csv_cells import csv_columns, write_rows
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
    cells = csv_columns(safe)
    with atomic_path(target) as tmp:
        if cells is None:
            safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        else:
            with open(tmp, "wb") as out:
                write_rows(out, safe.columns, cells, len(safe))
    return target


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
