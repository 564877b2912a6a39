"""Reading a table file of any accepted format into raw text columns with canonical names."""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.io.parse import parse_floats, parse_times, unwrap_cells
from tracelab.model import schema as s
from tracelab.privacy.pseudonyms import IDENTIFIER_SHAPE, scrub_shapes

__all__ = ["UnreadableFile", "RawTable", "CellProblem", "read_raw", "detect_encoding",
           "map_columns", "HEADER_ALIASES", "FORMATS", "ColumnMap"]

#: File endings the loaders accept.
FORMATS = (".csv", ".txt", ".xlsx", ".parquet", ".geojson", ".json")

#: Header aliases: every accepted spelling (English canonical name, Chinese header of a
#: 赣通码 export, and common variants) mapped onto the canonical column. Matching ignores
#: case, surrounding blanks and a byte-order mark.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    s.VENUE_ID: ("场所编码", "场所码编号", "场所编号", "场所ID"),
    s.NAME: ("场所名称", "venue_name"),
    s.VENUE_TYPE: ("场所类型", "type"),
    s.OWNER_NAME: ("主体名称",),
    s.OWNER_ID_KIND: ("证件类型", "主体证件类型"),
    s.OWNER_ID: ("证件号码", "主体证件号码"),
    s.APPLICANT_PHONE: ("申领手机号", "申领人手机号", "手机号"),
    s.APPLICANT_COLOUR: ("申领人健康码颜色", "申领人码色", "applicant_code_colour"),
    s.CITY: ("地市",),
    s.COUNTY: ("区县",),
    s.TOWNSHIP: ("乡镇", "乡镇（街道）"),
    s.TOWNSHIP_CODE: ("乡镇编码", "乡镇代码"),
    s.LON: ("经度", "longitude", "lng"),
    s.LAT: ("纬度", "latitude"),
    s.ADDRESS: ("详细地址", "地址"),
    s.REGISTERED_AT: ("申领时间", "登记时间", "注册时间"),
    s.STATUS: ("状态", "场所码状态"),
    s.PARENT_VENUE_ID: ("上级场所编码",),
    s.PERSON_ID: ("人员编号", "人员ID", "个人编号"),
    # A visits log (entry and exit) reads as scans with exits: a recorded exit is the exit.
    s.SCANNED_AT: ("扫码时间", "进入时间", "入场时间", s.T_IN, "entered_at", "check_in"),
    s.CODE_COLOUR: ("健康码颜色", "码色", "code_colour", "health_code"),
    s.METHOD: ("登记方式", "扫码方式"),
    s.EXIT_AT: ("离场时间", "离开时间", "出场时间", s.T_OUT, "left_at", "check_out"),
    s.DEVICE_LON: ("设备经度", "扫码经度"),
    s.DEVICE_LAT: ("设备纬度", "扫码纬度"),
    s.MERGED_SCANS: ("合并扫码次数",),
    s.KIND: ("病例类型", "感染类型", "类型"),
    s.ONSET_AT: ("发病时间", "症状出现时间"),
    s.SAMPLED_AT: ("采样时间", "阳性采样时间"),
    s.CONFIRMED_AT: ("确诊时间", "报告时间"),
    s.ISOLATED_AT: ("隔离时间", "管控时间"),
    s.FOUND_BY_SCREENING: ("筛查发现", "是否筛查发现"),
    s.LAST_NEGATIVE_AT: ("末次阴性采样时间", "最后阴性采样时间"),
}

_ALIAS_LOOKUP = {
    spelling.casefold(): canonical
    for canonical, spellings in HEADER_ALIASES.items()
    for spelling in (canonical, *spellings)
}

_DETECT_BYTES = 4 << 20
#: Byte-order marks, longest first: a UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
#: Encodings tried on text without a byte-order mark; on a tie the first wins.
_CANDIDATES = ("utf-8", "gb18030")
#: Stands in the decoded text for bytes that are not text: a lone surrogate, which no
#: strict decoder produces, so a record holding one is a record the bytes touched.
_MARK = "\udcff"
_ENCODINGS_HINT = msg("pass the right encoding= (utf-8, gbk, gb18030, utf-16)")


class UnreadableFile(ValueError):
    """A file that cannot be decoded or parsed as a table."""


class CellProblem(NamedTuple):
    """A cell the reader blanked because it holds no single text value."""

    #: Position of the row in ``RawTable.frame`` (0-based).
    position: int
    #: Canonical column.
    column: str
    #: ``binary_value`` or ``nested_value`` (``schema.REASONS``).
    reason: str
    message: str


@dataclass(frozen=True)
class RawTable:
    """A file read as text: canonical column names, one string per cell.

    ``frame`` has a default RangeIndex and ``rows`` gives each row's number in the file.
    Typed sources (Parquet, XLSX dates) keep their typed columns, which the parsers accept.
    Data rows read = rows of ``frame`` + ``broken_rows`` + ``lost_rows``.
    """

    source: str
    frame: pd.DataFrame
    #: 1-based data-row number in the file of each row of ``frame``.
    rows: np.ndarray
    encoding: str | None = None
    #: Headers of columns that are not tracelab's, scrubbed of phone and ID numbers; for a
    #: file whose first line is data, not a header, ``column 1``, ``column 2``, ...
    ignored_columns: tuple[str, ...] = ()
    #: (row, message) for rows the reader could not split into fields.
    broken_rows: tuple[tuple[int, str], ...] = field(default=())
    #: (row, reason, message) for data rows the reader could not keep for another cause:
    #: bytes that are not text in the file's encoding, a GeoJSON feature that is not one.
    lost_rows: tuple[tuple[int, str, str], ...] = field(default=())
    #: Cells of ``frame`` blanked because they held bytes or a nested value.
    bad_cells: tuple[CellProblem, ...] = field(default=())
    #: No header names a known column and the first line reads like data.
    headerless: bool = False


def detect_encoding(path: str | Path) -> str:
    """Name the text encoding of a CSV file, from its byte-order mark or its content.

    A byte-order mark decides: UTF-8 (Excel's "CSV UTF-8"), UTF-16 (Excel's "Unicode
    text") or UTF-32. Without one, a file whose every other byte is mostly zero is UTF-16
    (little- or big-endian, by which bytes are zero); otherwise the first 4 MiB are tried
    as UTF-8 and as GB18030, a superset of GBK and GB2312 (Chinese Excel exports), and the
    one with fewer lines that fail to decode wins, UTF-8 on a tie. So a UTF-8 file with
    one bad byte stays UTF-8 (the reader then rejects only that row) instead of being
    read whole as GB18030 mojibake.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        ``"utf-8-sig"``, ``"utf-16"``, ``"utf-32"`` (with a mark), ``"utf-16-le"``,
        ``"utf-16-be"``, ``"utf-8"`` or ``"gb18030"``.

    Raises
    ------
    UnreadableFile
        A ValueError, when more than half the lines of the first megabytes decode under
        none of them (binary data, or another encoding).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes("场所编码\\n1\\n".encode("gbk"))
    >>> detect_encoding(p)
    'gb18030'
    >>> _ = p.write_bytes("场所编码\\t乡镇\\n1\\t2\\n".encode("utf-16"))  # Excel "Unicode text"
    >>> detect_encoding(p)
    'utf-16'
    >>> _ = p.write_bytes("venue_id\\nV1\\n".encode("utf-16-be"))
    >>> detect_encoding(p)
    'utf-16-be'
    >>> _ = p.write_bytes("场所编码\\n1\\n\\xff2\\n3\\n".encode("utf-8", "surrogateescape"))
    >>> detect_encoding(p)
    'utf-8'
    """
    with open(path, "rb") as fh:
        head = fh.read(_DETECT_BYTES)
        whole = not fh.read(1)
    # Binary data may begin like a byte-order mark or have zero bytes in step: a mark or
    # a zero pattern counts only if what it decodes to reads as text.
    for bom, name in _BOMS:
        if head.startswith(bom) and _reads_as_text(head, name):
            return name
    wide = _utf16_without_bom(head)
    if wide is not None and _reads_as_text(head, wide):
        return wide
    if not whole and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines: no character cut in two
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
        best = "utf-8"
    except UnicodeDecodeError:
        lines = head.split(b"\n")
        failing = {name: sum(not _decodes(line, name) for line in lines)
                   for name in _CANDIDATES}
        best = min(_CANDIDATES, key=failing.__getitem__)
        if failing[best] * 2 > len(lines):
            raise UnreadableFile(
                msg("{name}: the text is neither UTF-8, UTF-16 nor GBK/GB18030 ({failing:,} of "
                    "{n:,} lines fail under each); re-save it as UTF-8 or pass encoding= "
                    "explicitly", name=Path(path).name, failing=failing[best],
                    n=len(lines))) from None
    if not _reads_as_text(head, best):
        raise UnreadableFile(msg("{name}: binary data, not text: most of its first characters are "
                                 "control, private-use or unassigned ones", name=Path(path).name))
    return best


def _reads_as_text(head: bytes, encoding: str) -> bool:
    """False when over a tenth of the first 4,096 characters decoded are not text.

    Not text: controls (but tab and line ends), unassigned, private-use or surrogate code
    points, which is what binary data decodes to.
    """
    sample = head[:16384].decode(encoding, errors="replace")[:4096]
    junk = sum(unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs") and c not in "\t\r\n"
               for c in sample)
    return junk * 10 <= len(sample)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when zero bytes mark ASCII characters of UTF-16.

    Commas, digits and line ends are ASCII, so UTF-16 CSV text has a zero byte in most of
    its characters, all at odd offsets (little-endian) or all at even ones (big-endian).
    """
    sample = np.frombuffer(head, dtype=np.uint8, count=min(len(head), 1 << 16) & ~1)
    if len(sample) < 4:
        return None
    even, odd = int((sample[0::2] == 0).sum()), int((sample[1::2] == 0).sum())
    for zeros, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros * 5 >= len(sample) // 2 and other * 4 < zeros:
            return name
    return None


def _text_codec(encoding: str, data: bytes) -> tuple[str, int]:
    """The codec that decodes `data` piece by piece, and the length of its byte-order mark."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        return "utf-8", 3 if data.startswith(codecs.BOM_UTF8) else 0
    for wide, (bom_le, bom_be) in (("utf-32", (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)),
                                   ("utf-16", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))):
        if name == wide:  # the BOM says the byte order; without one Python reads LE
            if data.startswith(bom_be):
                return f"{wide}-be", len(bom_be)
            return f"{wide}-le", len(bom_le) if data.startswith(bom_le) else 0
    return name, 0


def _line_ends(body: bytes, codec: str) -> np.ndarray:
    """Byte offsets just past each line feed of `body`, in code units of `codec`.

    In UTF-8, GBK and GB18030 byte 0x0A is never part of another character, so a byte
    search finds the line feeds; UTF-16 and UTF-32 are searched by aligned code units.
    """
    width = 4 if codec.startswith("utf-32") else 2 if codec.startswith("utf-16") else 1
    order = ">" if codec.endswith("-be") else "<"
    units = np.frombuffer(body, dtype=np.dtype(f"{order}u{width}"), count=len(body) // width)
    return (np.flatnonzero(units == 10) + 1) * width


class _DecodeError(NamedTuple):
    offset: int  # byte offset in the file
    reason: str
    data: bytes


def _decode_marked(data: bytes, encoding: str) -> tuple[str, list[_DecodeError]]:
    """Decode `data`; each line holding bytes that are not text gets one :data:`_MARK`.

    The lines before the first bad byte decode in one call, the rest line by line, so a
    file in another encoding altogether costs linear time, not a retry per bad byte.
    """
    codec, bom = _text_codec(encoding, data)
    body = data[bom:]
    try:
        return body.decode(codec), []
    except UnicodeDecodeError as exc:
        first = exc.start
    edges = np.unique(np.concatenate([[0], _line_ends(body, codec), [len(body)]]))
    k = int(np.searchsorted(edges, first, side="right")) - 1
    parts = [body[: edges[k]].decode(codec)]
    errors: list[_DecodeError] = []
    for a, b in zip(edges[k:-1].tolist(), edges[k + 1:].tolist(), strict=True):
        line = body[a:b]
        try:
            parts.append(line.decode(codec))
            continue
        except UnicodeDecodeError as exc:
            errors.append(_DecodeError(bom + a + exc.start, exc.reason,
                                       line[exc.start: exc.end]))
            # The rest of the line only has to keep its fields apart: the row is lost.
            parts += [line[: exc.start].decode(codec), _MARK,
                      line[exc.end:].decode(codec, errors="replace")]
    return "".join(parts), errors


def _mark_lines(text: str) -> list[int]:
    """1-based line of each :data:`_MARK`, counting line ends as ``open(newline="")`` does."""
    lines, line, prev = [], 1, 0
    at = text.find(_MARK)
    while at >= 0:
        line += (text.count("\n", prev, at) + text.count("\r", prev, at)
                 - text.count("\r\n", prev, at))
        lines.append(line)
        prev, at = at, text.find(_MARK, at + 1)
    return lines


#: Field delimiters other than the comma, recognised on a header line without commas:
#: Excel's "Unicode text" is tab-separated, European Excel uses semicolons.
_DELIMITERS = ("\t", ";", "|")


def _delimiter(path: Path, encoding: str) -> str:
    """The field delimiter: a comma, else the commonest of :data:`_DELIMITERS` in the header.

    A header line without a comma and with a tab, semicolon or bar is split on that.
    """
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    line = head.decode(encoding, errors="replace").split("\n", 1)[0]
    if "," in line:
        return ","
    best = max(_DELIMITERS, key=line.count)
    return best if best in line else ","


def _canonical_columns(columns: list[str]) -> tuple[list[str], tuple[str, ...]]:
    names, ignored = [], []
    for col in columns:
        key = str(col).replace("\ufeff", "").strip().casefold()
        canonical = _ALIAS_LOOKUP.get(key)
        if canonical is None or canonical in names:
            ignored.append(str(col))
            names.append(f"__ignored_{len(ignored)}")
        else:
            names.append(canonical)
    return names, tuple(ignored)


def _read_csv(path: Path, encoding: str) -> tuple[
        pd.DataFrame, np.ndarray | None, tuple[tuple[int, str], ...],
        tuple[tuple[int, str, str], ...]]:
    sep = _delimiter(path, encoding)
    options = {
        "sep": sep, "dtype": str, "keep_default_na": False, "na_filter": False,
        "skip_blank_lines": False, "encoding": encoding, "encoding_errors": "strict",
    }
    try:
        return pd.read_csv(path, **options), None, (), ()
    except (pd.errors.ParserError, UnicodeDecodeError):
        pass
    # Rows with the wrong number of fields or with bytes that are not text: re-read with
    # the csv module, so that the good rows are kept and each bad one is reported by its
    # row number (and a bad byte by its offset and line).
    text, errors = _decode_marked(path.read_bytes(), encoding)
    marks = np.asarray(_mark_lines(text), dtype=np.int64)
    records = _records(text, sep)
    first = next(records, None)
    if first is None:
        return pd.DataFrame(), None, (), ()
    header, _, _, header_end = first
    if len(marks) and marks[0] <= header_end:
        bad = errors[0]
        raise UnreadableFile(
            msg("{name}: the header line cannot be decoded as {encoding} ({reason} at byte "
                "{offset:,}); {hint}", name=path.name, encoding=encoding, reason=bad.reason,
                offset=bad.offset, hint=_ENCODINGS_HINT))
    header = header or []
    good, numbers = [], []
    broken: list[tuple[int, str]] = []
    lost: list[tuple[int, str, str]] = []
    for number, (row, problem, line_from, line_to) in enumerate(records, start=1):
        hit = int(np.searchsorted(marks, line_from))
        if hit < len(marks) and marks[hit] <= line_to:
            bad = errors[hit]
            lost.append((number, "bad_encoding",
                         f"line {marks[hit]}, byte {bad.offset:,}: bytes {bad.data.hex(' ')} "
                         f"are not {encoding} text ({bad.reason}); the other rows are read; "
                         f"re-save the file in one encoding or {_ENCODINGS_HINT}"))
        elif row is None:
            broken.append((number, f"cannot be split into fields ({problem})"))
        elif len(row) == len(header) or (not row and len(header) == 1):
            good.append(row or [""])
            numbers.append(number)
        else:
            broken.append((number, f"has {len(row)} fields, the header has {len(header)}"))
    rows = len(good) + len(broken) + len(lost)
    if len(lost) * 2 > rows:
        bad = errors[0]
        raise UnreadableFile(
            msg("{name}: cannot decode as {encoding}: {n:,} of {rows:,} rows hold bytes that are "
                "not {encoding} text (the first at byte {offset:,}, line {line}: {reason}); "
                "{hint}", name=path.name, encoding=encoding, n=len(lost), rows=rows,
                offset=bad.offset, line=marks[0], reason=bad.reason, hint=_ENCODINGS_HINT))
    frame = pd.DataFrame(good, columns=header, dtype=str)
    return frame, np.asarray(numbers, dtype=np.int64), tuple(broken), tuple(lost)


def _records(text: str, sep: str) -> Iterator[tuple[list[str] | None, str, int, int]]:
    """CSV records of `text`, each with the first and last line it spans.

    Yields (fields, complaint, first line, last line); fields are None, and the complaint
    says why, where the csv module refused the record (a field over its size limit).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    last = 0
    while True:
        try:
            row: list[str] | None = next(reader)
            problem = ""
        except StopIteration:
            return
        except csv.Error as exc:  # a field over the csv module's size limit
            row, problem = None, str(exc)
            if reader.line_num == last:
                return
        yield row, problem, last + 1, reader.line_num
        last = reader.line_num


#: Rows searched for the header of a spreadsheet: exports put a title or a note above it.
_HEADER_SEARCH_ROWS = 10


def _recognised(cells: list[object]) -> int:
    return len({_ALIAS_LOOKUP.get(str(c).replace("\ufeff", "").strip().casefold())
                for c in cells} - {None})


def _read_xlsx(path: Path) -> tuple[pd.DataFrame, str | None]:
    """The table of a workbook, and its sheet's name when that is not the first sheet.

    The table is the sheet, and within it the row among the first ten, whose header names
    the most known columns: a cover sheet ("说明", "封面") or a title row above the header
    is skipped. Ties go to the first sheet and the first row.
    """
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str,
                           keep_default_na=False, na_filter=False)
    best: tuple[int, str, int] | None = None
    for name, sheet in sheets.items():
        for row in range(min(_HEADER_SEARCH_ROWS, len(sheet))):
            score = _recognised(sheet.iloc[row].tolist())
            if best is None or score > best[0]:
                best = (score, str(name), row)
    if best is None or best[0] == 0:
        best = (0, str(next(iter(sheets))), 0) if sheets else None
    if best is None or sheets[best[1]].empty:
        return pd.DataFrame(), None
    _, name, row = best
    sheet = sheets[name]
    header = [str(c) for c in sheet.iloc[row]]
    body = sheet.iloc[row + 1:].set_axis(header, axis=1).reset_index(drop=True)
    # Trailing blank rows (a formatted but empty range) are no data.
    filled = (body != "").any(axis=1).to_numpy()
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return body.iloc[:last], (None if name == str(next(iter(sheets))) else name)


def _read_geojson(path: Path) -> tuple[pd.DataFrame, np.ndarray,
                                       tuple[tuple[int, str, str], ...]]:
    """Point features as rows: their properties, and lon/lat from the geometry.

    A feature that is not an object with object properties and, if it has a geometry, an
    object geometry whose Point coordinates are two numbers, is a ``bad_feature`` row;
    a document that is not a FeatureCollection is refused whole, naming what is wrong.
    """
    try:
        doc = json.loads(path.read_bytes())  # UTF-8, -16 or -32, told from the first bytes
    except RecursionError:
        raise UnreadableFile(msg("{name}: the JSON is nested too deeply to read; a GeoJSON "
                                 "FeatureCollection of points nests five levels",
                                 name=path.name)) from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(msg("{name}: not UTF-8 text ({reason} at byte {start:,}); GeoJSON is "
                                 "UTF-8 (RFC 7946)", name=path.name, reason=exc.reason,
                                 start=exc.start)) from None
    except json.JSONDecodeError as exc:
        raise UnreadableFile(msg("{name}: not valid JSON ({what} at line {lineno}, column "
                                 "{colno})", name=path.name, what=exc.msg, lineno=exc.lineno,
                                 colno=exc.colno)) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise UnreadableFile(msg("{name}: not valid JSON ({exc})", name=path.name,
                                 exc=exc)) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else None
        got = (msg("type {kind!r}", kind=kind) if kind in ("Feature", "Point",
                                                           "GeometryCollection")
               else msg("an object of type {kind}", kind=_json_kind(kind))
               if isinstance(doc, dict) else _json_kind(doc))
        raise UnreadableFile(msg("{name}: expected a GeoJSON FeatureCollection, got {got}",
                                 name=path.name, got=got))
    features = doc.get("features") or []
    if not isinstance(features, list):
        raise UnreadableFile(msg("{name}: features is {kind}, not a list of Feature objects",
                                 name=path.name, kind=_json_kind(features)))
    records, numbers, lost = [], [], []
    for number, feature in enumerate(features, start=1):
        props, problem = _feature(feature)
        if problem:
            lost.append((number, "bad_feature",
                         f"feature {number} {problem}; a venue is an object with "
                         '"properties" and a "Point" geometry with coordinates [lon, lat]'))
        else:
            records.append(props)
            numbers.append(number)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    # A property one feature lacks is an empty cell, not the text "nan".
    frame = frame.astype(object).where(frame.notna(), "")
    return frame, np.asarray(numbers, dtype=np.int64), tuple(lost)


def _json_kind(value: object) -> str:
    """What a JSON value is, in words, without repeating it (it may be huge or personal)."""
    if isinstance(value, str):
        return msg("text")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return msg("a number")
    return msg("a list") if isinstance(value, list) else msg("an object")


def _json_cell(value: object) -> object:
    """A property as a cell: text for scalars; lists and objects stay, to be rejected."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _feature(feature: object) -> tuple[dict[str, object], str]:
    """A feature's cells, or what is wrong with it."""
    if not isinstance(feature, dict):
        return {}, f"is {_json_kind(feature)}, not an object"
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        return {}, f"has properties that are {_json_kind(props)}, not an object"
    cells = {str(k): _json_cell(v) for k, v in props.items()}
    geometry = feature.get("geometry")
    if geometry is None:
        return cells, ""
    if not isinstance(geometry, dict):
        return {}, f"has a geometry that is {_json_kind(geometry)}, not an object"
    if geometry.get("type") == "Point":
        xy = geometry.get("coordinates")
        if not (isinstance(xy, list) and len(xy) >= 2 and all(
                isinstance(c, (int, float)) and not isinstance(c, bool) for c in xy[:2])):
            return {}, f"has Point coordinates that are {_json_kind(xy)}, not [lon, lat]"
        cells.setdefault(s.LON, str(xy[0]))
        cells.setdefault(s.LAT, str(xy[1]))
    return cells, ""


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as pandas reads it; repeated column names get ``.1``, ``.2`` as a
    repeated CSV header does (pyarrow refuses to convert them), so only the first is used.
    """
    try:
        return pd.read_parquet(path)
    except Exception:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
        if len(set(names)) == len(names):
            raise
    table = pq.ParquetFile(path).read()  # read_table goes through datasets, which refuse
    seen: dict[str, int] = {}
    renamed = []
    for name in names:
        renamed.append(f"{name}.{seen[name]}" if name in seen else name)
        seen[name] = seen.get(name, 0) + 1
    buffer = io.BytesIO()
    pq.write_table(table.rename_columns(renamed), buffer)
    return pd.read_parquet(buffer)


def _read_dataset(path: Path) -> pd.DataFrame:
    """A Hive-partitioned Parquet folder (tracelab.io.layout), partition columns dropped.

    Files are read in path order, so row numbers in rejections are stable.
    """
    files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
    if not files:
        return pd.DataFrame()
    import pyarrow.dataset as ds

    # One Arrow table, so a day whose column is all null keeps the column's type.
    return ds.dataset([str(f) for f in files], format="parquet").to_table().to_pandas()


#: A column mapping: canonical column -> the file's header, or several headers whose values
#: are joined with "|" (a place known only by its coordinates: ["latitude", "longitude"]).
ColumnMap = Mapping[str, "str | Sequence[str]"]


def map_columns(frame: pd.DataFrame, columns: ColumnMap | None) -> pd.DataFrame:
    """Apply a column mapping: rename (or join) the file's headers to canonical columns.

    Entries whose headers the file lacks are skipped (one mapping serves every file of a
    folder); a canonical name that is not a column of tracelab's tables is an error.

    Examples
    --------
    >>> f = pd.DataFrame({"pid": ["1"], "lat": ["37.5"], "lon": ["127.0"], "day": ["2020-02-15"]})
    >>> map_columns(f, {"person_id": "pid", "venue_id": ["lat", "lon"], "scanned_at": "day"})
    ... # doctest: +NORMALIZE_WHITESPACE
      person_id   lat    lon  scanned_at   venue_id
    0         1  37.5  127.0  2020-02-15  37.5|127.0
    """
    if not columns:
        return frame
    unknown = sorted(set(columns) - set(_ALIAS_LOOKUP.values()))
    if unknown:
        raise ValueError(msg("columns: {unknown} are not tracelab columns; map onto {names}",
                             unknown=unknown, names=", ".join(sorted(HEADER_ALIASES))))
    out = frame.copy()
    renames: dict[str, str] = {}
    for canonical, source in columns.items():
        if isinstance(source, str):
            if source in frame.columns and canonical not in frame.columns:
                renames[source] = canonical
        elif source and all(c in frame.columns for c in source):
            parts = [frame[c].astype(str).str.strip() for c in source]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined + "|" + part
            out[canonical] = joined
    return out.rename(columns=renames)


def read_raw(path: str | Path, *, encoding: str | None = None,
             columns: ColumnMap | None = None) -> RawTable:
    """Read one table file into a :class:`RawTable` with canonical column names.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.txt`` (UTF-8, UTF-16 or UTF-32 with or without BOM, GBK or GB18030,
        detected by :func:`detect_encoding`; fields separated by commas, or by tabs,
        semicolons or bars when the header line has no comma), ``.xlsx`` (the sheet whose
        header, in its first ten rows, names the most known columns: a cover sheet or a
        title row is skipped), ``.parquet``, or ``.geojson``/``.json`` (venues as Point
        features) file.
    encoding : str, optional
        Override the detected text encoding of a CSV file.
    columns : mapping, optional
        Column mapping for files with other headers (:func:`map_columns`).

    Returns
    -------
    RawTable
        Rows the reader cannot keep are listed, not fatal: rows with the wrong number of
        fields (``broken_rows``), rows holding bytes that are not text in the file's
        encoding, with their byte offset and line, and GeoJSON features that are not
        point features (``lost_rows``), cells holding bytes or nested values
        (``bad_cells``, blanked).

    Raises
    ------
    UnreadableFile
        A ValueError, when the file cannot be decoded or parsed as a whole (its header
        line, or most of its rows, cannot be decoded; corrupt XLSX or Parquet; JSON that
        is not a FeatureCollection); the message names the file and what is wrong.
    ValueError
        When the file type is not supported.
    FileNotFoundError
        When ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scans.csv"
    >>> _ = p.write_text("人员编号,场所编码,扫码时间,健康码颜色,备注\\nP1,V1,2022-11-18 08:05,绿,x\\n")
    >>> raw = read_raw(p)
    >>> list(raw.frame.columns)
    ['person_id', 'venue_id', 'scanned_at', 'code_color']
    >>> raw.ignored_columns
    ('备注',)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(msg("{path}: no such file", path=path))
    suffix = path.suffix.lower()
    used_encoding = None
    rows: np.ndarray | None = None
    broken: tuple[tuple[int, str], ...] = ()
    lost: tuple[tuple[int, str, str], ...] = ()
    source = path.name
    try:
        if suffix in (".csv", ".txt"):
            used_encoding = encoding or detect_encoding(path)
            frame, rows, broken, lost = _read_csv(path, used_encoding)
        elif suffix == ".xlsx":
            frame, sheet = _read_xlsx(path)
            if sheet is not None:
                source = f"{path.name}[{sheet}]"  # rows count from that sheet's header
        elif suffix == ".parquet" and path.is_dir():
            frame = _read_dataset(path)
        elif suffix == ".parquet":
            frame = _read_parquet(path)
        elif suffix in (".geojson", ".json"):
            frame, rows, lost = _read_geojson(path)
        else:
            raise ValueError(
                msg("{name}: unsupported file type {suffix!r}; use one of {names}",
                    name=path.name, suffix=suffix, names=", ".join(FORMATS))
            )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            msg("{name}: cannot decode as {used_encoding} ({reason} at byte {start}); "
                "{hint}", name=path.name, used_encoding=used_encoding,
                reason=exc.reason, start=exc.start, hint=_ENCODINGS_HINT)
        ) from None
    except LookupError:
        raise ValueError(msg("encoding: unknown codec {encoding!r}; use utf-8, gbk, gb18030 or "
                             "utf-16", encoding=encoding)) from None
    except (pd.errors.ParserError, OSError, KeyError, csv.Error) as exc:
        raise UnreadableFile(msg("{name}: cannot be parsed: {kind}", name=path.name,
                                 kind=type(exc).__name__)) from None
    except (UnreadableFile, MemoryError):
        raise
    except Exception as exc:
        # openpyxl, pyarrow and zipfile raise many types for corrupt files, and pandas more
        # for Parquet it cannot turn into a frame (duplicate or odd columns). Only the type
        # is named: their messages may quote cells.
        if suffix in (".xlsx", ".parquet") or type(exc).__module__.split(".")[0] in (
                "openpyxl", "pyarrow", "zipfile"):
            detail = str(scrub_shapes(str(exc).strip().split("\n", 1)[0]))
            detail = f" ({detail[:157]}…)" if len(detail) > 160 else f" ({detail})" if detail else ""
            raise UnreadableFile(msg("{name}: cannot be parsed as {suffix}: {kind}{detail}",
                                     name=path.name, suffix=suffix[1:],
                                     kind=type(exc).__name__, detail=detail)) from None
        raise
    frame = map_columns(frame, columns)
    names, ignored = _canonical_columns(list(frame.columns))
    headerless = len(ignored) == len(names) > 0 and _looks_like_data(ignored)
    if headerless:  # the "headers" are a row of data, maybe a name or a phone: never shown
        ignored = tuple(f"column {i}" for i in range(1, len(ignored) + 1))
    else:
        ignored = tuple(str(scrub_shapes(c)) for c in ignored)
    frame = frame.set_axis(names, axis=1)
    frame = frame.loc[:, [n for n in names if not n.startswith("__ignored_")]]
    frame, bad_cells = _check_cells(frame.reset_index(drop=True))
    frame = frame.apply(unwrap_cells) if len(frame.columns) else frame
    if rows is None:
        rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    return RawTable(source, frame.reset_index(drop=True), rows, used_encoding, ignored, broken,
                    lost, bad_cells, headerless)


def _looks_like_data(cells: Sequence[str]) -> bool:
    """True when header cells read as data: a number, a time, a phone or an ID number.

    Examples
    --------
    >>> _looks_like_data(["P001", "V1", "2022-11-20 08:05:03", "绿"])
    True
    >>> _looks_like_data(["patient_id", "date", "Unnamed: 2"])
    False
    """
    text = pd.Series([str(c) for c in cells], dtype=object)
    # pandas names a blank header cell "Unnamed: 2" and a repeated one "x.1".
    text = text[~text.str.fullmatch(r"Unnamed: \d+")]
    return bool(parse_floats(text).notna().any() or parse_times(text).notna().any()
                or text.map(lambda c: IDENTIFIER_SHAPE.search(c) is not None).any())


def _check_cells(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[CellProblem, ...]]:
    """Blank the cells holding bytes or nested values, each listed as a :class:`CellProblem`.

    Such cells come from Parquet binary, struct, list and map columns and from GeoJSON
    properties that are arrays or objects. Bytes that are UTF-8 are kept as text: Parquet
    writers that do not mark strings as UTF-8 write them as binary.
    """
    problems: list[CellProblem] = []
    changed: dict[str, np.ndarray] = {}
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        cells = frame[column].to_numpy(dtype=object, copy=True)
        touched = False
        for i, value in enumerate(cells):
            if isinstance(value, (bytes, bytearray, memoryview)):
                raw = bytes(value)
                touched = True
                try:
                    cells[i] = raw.decode("utf-8")
                    continue
                except UnicodeDecodeError:
                    problems.append(CellProblem(
                        i, column, "binary_value",
                        f"{column} holds {len(raw):,} bytes that are not UTF-8 text (a binary "
                        "column); write it as a text (UTF-8 string) column"))
            elif isinstance(value, (dict, list, tuple, set, frozenset, np.ndarray)):
                touched = True
                what = "struct or map" if isinstance(value, dict) else "list"
                problems.append(CellProblem(
                    i, column, "nested_value",
                    f"{column} holds a {what} of {len(value):,} items, not a single value; "
                    "flatten the column to one value per cell"))
            else:
                continue
            cells[i] = ""
        if touched:
            changed[column] = cells
    if not changed:
        return frame, ()
    return frame.assign(**changed), tuple(problems)
