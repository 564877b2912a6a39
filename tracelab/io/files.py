"""Reading a table file of any accepted format into raw text columns with canonical names."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tracelab.io.parse import unwrap_cells
from tracelab.model import schema as s

__all__ = ["UnreadableFile", "RawTable", "read_raw", "detect_encoding", "map_columns",
           "HEADER_ALIASES", "FORMATS", "ColumnMap"]

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


class UnreadableFile(ValueError):
    """A file that cannot be decoded or parsed as a table."""


@dataclass(frozen=True)
class RawTable:
    """A file read as text: canonical column names, one string per cell.

    ``frame`` has a default RangeIndex and ``rows`` gives each row's number in the file.
    Typed sources (Parquet, XLSX dates) keep their typed columns, which the parsers accept.
    """

    source: str
    frame: pd.DataFrame
    #: 1-based data-row number in the file of each row of ``frame``.
    rows: np.ndarray
    encoding: str | None = None
    ignored_columns: tuple[str, ...] = ()
    #: (row, message) for rows the reader could not split into fields.
    broken_rows: tuple[tuple[int, str], ...] = field(default=())


def detect_encoding(path: str | Path) -> str:
    """Name the text encoding of a CSV file: UTF-8 (with or without BOM) or GB18030.

    GB18030 is a superset of GBK and GB2312, so one decoder reads all three.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        ``"utf-8-sig"``, ``"utf-8"`` or ``"gb18030"``.

    Raises
    ------
    UnreadableFile
        A ValueError, when the first megabytes decode under none of them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes("场所编码\\n1\\n".encode("gbk"))
    >>> detect_encoding(p)
    'gb18030'
    """
    with open(path, "rb") as fh:
        head = fh.read(_DETECT_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            # final=False: the sample may end inside a multi-byte character.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UnreadableFile(
        f"{Path(path).name}: the text is neither UTF-8 nor GBK/GB18030; "
        "re-save it as UTF-8 or pass encoding= explicitly"
    )


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


def _read_csv(path: Path, encoding: str) -> tuple[pd.DataFrame, np.ndarray | None, tuple]:
    options = {
        "dtype": str, "keep_default_na": False, "na_filter": False, "skip_blank_lines": False,
        "encoding": encoding, "encoding_errors": "strict",
    }
    try:
        return pd.read_csv(path, **options), None, ()
    except pd.errors.ParserError:
        pass
    # Rows with the wrong number of fields: re-read with the csv module so that the good
    # rows are kept and each bad one is reported by its row number.
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    good, broken, numbers = [], [], []
    for number, row in enumerate(body, start=1):
        if len(row) == len(header) or (not row and len(header) == 1):
            good.append(row or [""])
            numbers.append(number)
        else:
            broken.append((number, f"has {len(row)} fields, the header has {len(header)}"))
    frame = pd.DataFrame(good, columns=header, dtype=str)
    return frame, np.asarray(numbers, dtype=np.int64), tuple(broken)


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


def _read_geojson(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8-sig") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise UnreadableFile(f"{path.name}: expected a GeoJSON FeatureCollection")
    records = []
    for feature in doc.get("features", []):
        props = dict(feature.get("properties") or {})
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point":
            lon, lat = (list(geometry.get("coordinates", [])) + ["", ""])[:2]
            props.setdefault(s.LON, "" if lon is None else str(lon))
            props.setdefault(s.LAT, "" if lat is None else str(lat))
        records.append({k: "" if v is None else str(v) for k, v in props.items()})
    return pd.DataFrame.from_records(records).astype(str) if records else pd.DataFrame()


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
        raise ValueError(f"columns: {unknown} are not tracelab columns; map onto "
                         f"{', '.join(sorted(HEADER_ALIASES))}")
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
        A ``.csv``/``.txt`` (UTF-8, UTF-8 with BOM, GBK or GB18030, detected),
        ``.xlsx`` (the sheet whose header, in its first ten rows, names the most known
        columns: a cover sheet or a title row is skipped), ``.parquet``, or ``.geojson``/``.json`` (venues as Point
        features) file.
    encoding : str, optional
        Override the detected text encoding of a CSV file.
    columns : mapping, optional
        Column mapping for files with other headers (:func:`map_columns`).

    Returns
    -------
    RawTable

    Raises
    ------
    UnreadableFile
        A ValueError, when the file cannot be decoded or parsed; the message names the file.
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
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    used_encoding = None
    rows: np.ndarray | None = None
    broken: tuple[tuple[int, str], ...] = ()
    source = path.name
    try:
        if suffix in (".csv", ".txt"):
            used_encoding = encoding or detect_encoding(path)
            frame, rows, broken = _read_csv(path, used_encoding)
        elif suffix == ".xlsx":
            frame, sheet = _read_xlsx(path)
            if sheet is not None:
                source = f"{path.name}[{sheet}]"  # rows count from that sheet's header
        elif suffix == ".parquet" and path.is_dir():
            frame = _read_dataset(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".geojson", ".json"):
            frame = _read_geojson(path)
        else:
            raise ValueError(
                f"{path.name}: unsupported file type {suffix!r}; use one of {', '.join(FORMATS)}"
            )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name}: cannot decode as {used_encoding} ({exc.reason} at byte {exc.start}); "
            "pass the right encoding= (utf-8, gbk, gb18030)"
        ) from None
    except LookupError:
        raise ValueError(f"encoding: unknown codec {encoding!r}; use utf-8, gbk or gb18030") from None
    except (pd.errors.ParserError, json.JSONDecodeError, OSError, KeyError, csv.Error) as exc:
        raise UnreadableFile(f"{path.name}: cannot be parsed: {type(exc).__name__}") from None
    except Exception as exc:  # openpyxl and pyarrow raise many types for corrupt files
        if type(exc).__module__.split(".")[0] in ("openpyxl", "pyarrow", "zipfile"):
            raise UnreadableFile(f"{path.name}: cannot be parsed: {type(exc).__name__}") from None
        raise
    frame = map_columns(frame, columns)
    names, ignored = _canonical_columns(list(frame.columns))
    frame = frame.set_axis(names, axis=1)
    frame = frame.loc[:, [n for n in names if not n.startswith("__ignored_")]]
    frame = frame.apply(unwrap_cells) if len(frame.columns) else frame
    if rows is None:
        rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    return RawTable(source, frame.reset_index(drop=True), rows, used_encoding, ignored, broken)
