"""Reference tables of Luxi County: venue types, townships, county constants and extent."""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab.model.schema import (
    BASIS,
    CROWDING,
    DWELL_MIN,
    INDOOR,
    NAME_EN,
    NAME_ZH,
    RESIDENCE,
    SEAT_IS_SYNTHETIC,
    SEAT_LAT,
    SEAT_LON,
    TOWNSHIP,
    TOWNSHIP_CODE,
    TOWNSHIP_KIND,
    TYPE_CODE,
    WEIGHT,
)

__all__ = [
    "COUNTY_CODE",
    "COUNTY_NAME",
    "CITY_NAME",
    "PROVINCE_NAME",
    "COUNTY_EXTENT",
    "INDOOR",
    "CROWDING",
    "CROWDING_LEVELS",
    "TOWNSHIP_KINDS",
    "BASIS",
    "SEAT_IS_SYNTHETIC",
    "venue_types",
    "townships",
    "venue_type_code",
    "venue_type_codes",
    "township_code",
    "in_county",
]

#: County code of 芦溪县 (DOMAIN §7.1).
COUNTY_CODE = "360323"
COUNTY_NAME = "芦溪县"
CITY_NAME = "萍乡市"
PROVINCE_NAME = "江西省"
#: (min lon, min lat, max lon, max lat), WGS-84 degrees: the county's bounding box (DOMAIN §7.1).
COUNTY_EXTENT = (113.917, 27.417, 114.267, 27.783)

# Allowed values of the reference tables' columns.
CROWDING_LEVELS = ("low", "medium", "high")
TOWNSHIP_KINDS = ("镇", "乡")  # town, township

_VENUE_TYPES_FILE = "venue_types.csv"
_TOWNSHIPS_FILE = "townships.csv"

_VENUE_DTYPES: dict[str, Any] = {
    TYPE_CODE: str,
    NAME_ZH: str,
    NAME_EN: str,
    DWELL_MIN: "int64",
    WEIGHT: "float64",
    INDOOR: bool,
    CROWDING: str,  # checked against CROWDING_LEVELS, then made an ordered category
    RESIDENCE: bool,
    BASIS: str,
}
_TOWNSHIP_DTYPES: dict[str, Any] = {
    TOWNSHIP_CODE: str,
    TOWNSHIP: str,
    TOWNSHIP_KIND: str,
    SEAT_LAT: "float64",
    SEAT_LON: "float64",
    SEAT_IS_SYNTHETIC: bool,
    BASIS: str,
}

# Traditional -> simplified for the characters of the type and township names only: the
# Luxi notice circulates in traditional characters (SEED-notice.txt), a full converter is
# not worth a dependency.
_TRAD_TO_SIMP = str.maketrans(
    "區學業農貿場飲門醫藥鐵賓館機關單娛樂蘆鎮風長豐張萬龍銀",
    "区学业农贸场饮门医药铁宾馆机关单娱乐芦镇风长丰张万龙银",
)
# Common wording next to the guide's own: 农贸市场 is the usual name of a 农贸商场.
_EXTRA_ALIASES = {"农贸市场": "farmers_market"}


def _reference_dirs() -> list[Traversable]:
    """Candidate folders: the installed wheel's package data, then the source checkout."""
    return [
        importlib.resources.files("tracelab") / "_reference",
        Path(__file__).resolve().parents[2] / "data" / "reference",
    ]


def _locate(filename: str) -> Traversable:
    tried = []
    for folder in _reference_dirs():
        candidate = folder / filename
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    raise FileNotFoundError(
        f"reference table {filename!r} not found; looked in: {', '.join(tried)}. "
        "Install the tracelab wheel or run from a source checkout that has data/reference/."
    )


def _read(filename: str, dtypes: dict[str, Any], key: str) -> pd.DataFrame:
    path = _locate(filename)
    # Everything is read as text and converted here, so a bad cell is reported by column
    # instead of surfacing as a pandas parser error.
    with path.open("rb") as fh:
        raw = pd.read_csv(fh, dtype=str, encoding="utf-8")
    missing = [c for c in dtypes if c not in raw.columns]
    if missing:
        raise ValueError(f"reference table {path}: missing columns {missing}")
    columns = {}
    for column, dtype in dtypes.items():
        text = raw[column].str.strip()
        if dtype is bool:
            columns[column] = text.str.lower().map({"true": True, "false": False})
        elif dtype is str:
            columns[column] = text.where(text != "")
        else:
            numbers = pd.to_numeric(text, errors="coerce")
            if dtype == "int64":
                numbers = numbers.where(numbers % 1 == 0)
            columns[column] = numbers
    frame = pd.DataFrame(columns)
    bad = frame.columns[frame.isna().any()].tolist()
    if bad:
        raise ValueError(f"reference table {path}: empty or invalid values in {bad}")
    frame = frame.astype(dtypes)
    dup = frame[key][frame[key].duplicated()].tolist()
    if dup:
        raise ValueError(f"reference table {path}: duplicate {key} {dup}")
    return frame


@functools.cache
def _venue_types() -> pd.DataFrame:
    frame = _read(_VENUE_TYPES_FILE, _VENUE_DTYPES, TYPE_CODE)
    bad = sorted(set(frame[CROWDING]) - set(CROWDING_LEVELS))
    if bad:
        raise ValueError(
            f"reference table {_VENUE_TYPES_FILE}: {CROWDING} values {bad} not in {CROWDING_LEVELS}"
        )
    levels = pd.CategoricalDtype(list(CROWDING_LEVELS), ordered=True)
    return frame.assign(**{CROWDING: frame[CROWDING].astype(levels)})


@functools.cache
def _townships() -> pd.DataFrame:
    frame = _read(_TOWNSHIPS_FILE, _TOWNSHIP_DTYPES, TOWNSHIP_CODE)
    bad = sorted(set(frame[TOWNSHIP_KIND]) - set(TOWNSHIP_KINDS))
    if bad:
        raise ValueError(
            f"reference table {_TOWNSHIPS_FILE}: {TOWNSHIP_KIND} values {bad} "
            f"not in {TOWNSHIP_KINDS}"
        )
    return frame


def venue_types() -> pd.DataFrame:
    """Return the venue-type table.

    Returns
    -------
    pandas.DataFrame
        One row per type, columns ``code``, ``name_zh``, ``name_en``, ``dwell_minutes``
        (int64, assumed dwell for entry-only scans), ``weight`` (float64, indoor/crowding
        weight, 1.0 = ordinary indoor venue), ``indoor`` (bool), ``crowding`` (ordered
        category low < medium < high), ``residence`` (bool: handled as a home) and
        ``basis`` (where the numbers come from). A new copy on every call.

    Notes
    -----
    The eleven types of the 申领指南 carry the dwell of DOMAIN §11.2; ``hotel``,
    ``government`` and ``entertainment`` are design defaults, as are all weights.
    Residences (``residence`` true) are overnight: 720 minutes stands in for "overnight".
    See ``data/README.md``.

    Examples
    --------
    >>> from tracelab.model.schema import DWELL_MIN, TYPE_CODE
    >>> vt = venue_types()
    >>> vt.loc[vt[TYPE_CODE].isin(["village", "restaurant", "pharmacy"]), [TYPE_CODE, DWELL_MIN]]
             code  dwell_minutes
    1     village            720
    7  restaurant             60
    9    pharmacy             10
    """
    return _venue_types().copy(deep=True)


def townships() -> pd.DataFrame:
    """Return the 11 towns and townships of Luxi County (2022 codes).

    Returns
    -------
    pandas.DataFrame
        Columns ``township_code`` (str, 9 digits), ``township`` (name), ``kind`` (镇 or 乡),
        ``seat_lat``, ``seat_lon`` (float64, WGS-84), ``seat_is_synthetic`` (bool) and
        ``basis``. A new copy on every call.

    Notes
    -----
    Every seat is a synthetic placeholder (DOMAIN §7.2), not a real position: replace
    with gazetteer or OSM positions before real-world use.

    Examples
    --------
    >>> from tracelab.model.schema import TOWNSHIP, TOWNSHIP_CODE, TOWNSHIP_KIND
    >>> ts = townships()
    >>> ts.loc[ts[TOWNSHIP_KIND] == "乡", [TOWNSHIP_CODE, TOWNSHIP]].head(3)
      township_code township
    6     360323200      源南乡
    7     360323201      长丰乡
    8     360323202     张佳坊乡
    """
    return _townships().copy(deep=True)


def _norm(label: str) -> str:
    text = label.strip().casefold().translate(_TRAD_TO_SIMP)
    text = text.replace("'", "").replace("\u2019", "")
    return re.sub(r"[\s_\-]+", " ", text)


@functools.cache
def _label_index() -> dict[str, str]:
    table = _venue_types()
    pairs = [
        (label, code)
        for column in (TYPE_CODE, NAME_ZH, NAME_EN)
        for label, code in zip(table[column], table[TYPE_CODE], strict=True)
    ]
    index: dict[str, str] = {}
    for label, code in [*pairs, *_EXTRA_ALIASES.items()]:
        key = _norm(label)
        # A label that names two types would make loads depend on row order: refuse it.
        if index.get(key, code) != code:
            raise ValueError(f"venue-type label {label!r} names both {index[key]!r} and {code!r}")
        index[key] = code
    return index


def venue_type_code(label: str) -> str:
    """Map a venue-type label to its code.

    Parameters
    ----------
    label : str
        A code (``"supermarket"``), a Chinese name in simplified or traditional
        characters (超市, 餐飲門店) or an English name, case-insensitive.

    Returns
    -------
    str
        The code of the venue-type table.

    Raises
    ------
    ValueError
        If the label names no type; the message lists the allowed Chinese names.

    See Also
    --------
    venue_type_codes : the same for a whole column, unknown labels as ``<NA>``.

    Examples
    --------
    >>> venue_type_code("餐饮门店"), venue_type_code("醫院"), venue_type_code("Large Mall")
    ('restaurant', 'hospital', 'mall')
    """
    code = _label_index().get(_norm(label)) if isinstance(label, str) else None
    if code is None:
        allowed = "、".join(_venue_types()[NAME_ZH])
        raise ValueError(
            f"venue type {label!r} is unknown; allowed: {allowed} "
            "(or their codes or English names, see tracelab.model.reference.venue_types())"
        )
    return code


def venue_type_codes(labels: pd.Series) -> pd.Series:
    """Map a column of venue-type labels to codes, ``<NA>`` where unknown.

    Parameters
    ----------
    labels : pandas.Series
        Labels as accepted by :func:`venue_type_code`; missing and non-text values give
        ``<NA>``.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index and name as ``labels``.

    Examples
    --------
    >>> venue_type_codes(pd.Series(["超市", "農貿商場", "karaoke", None]))
    0       supermarket
    1    farmers_market
    2              <NA>
    3              <NA>
    dtype: string
    """
    index = _label_index()
    uniques = pd.unique(labels.to_numpy(dtype=object))
    mapping = {u: index.get(_norm(u)) for u in uniques if isinstance(u, str)}
    return labels.map(mapping).astype("string").rename(labels.name)


def township_code(name_or_code: str) -> str:
    """Map a township name or code to its 9-digit code.

    Parameters
    ----------
    name_or_code : str
        A name (芦溪镇, traditional 蘆溪鎮 also accepted), a 9-digit code, or the
        12-digit statistical form ending in ``000``.

    Returns
    -------
    str
        The 9-digit township code.

    Raises
    ------
    ValueError
        If the value names none of the 11 towns and townships of Luxi County.

    Examples
    --------
    >>> township_code("芦溪镇"), township_code("360323204000")
    ('360323101', '360323204')
    """
    table = _townships()
    text = str(name_or_code).strip()
    candidate = text[:9] if re.fullmatch(r"\d{9}(000)?", text) else None
    if candidate is not None and candidate in set(table[TOWNSHIP_CODE]):
        return candidate
    by_name: dict[str, str] = dict(zip(table[TOWNSHIP], table[TOWNSHIP_CODE], strict=True))
    code = by_name.get(text.translate(_TRAD_TO_SIMP))
    if code is None:
        allowed = "、".join(table[TOWNSHIP])
        raise ValueError(
            f"township {text!r} is not one of Luxi County's; allowed: {allowed}, "
            f"or a 9-digit code {table[TOWNSHIP_CODE].iloc[0]}…{table[TOWNSHIP_CODE].iloc[-1]} "
            "(12-digit form with trailing 000 also accepted)"
        )
    return code


def in_county(lon: Any, lat: Any, *, margin_deg: float = 0.0) -> np.ndarray:
    """Test whether points fall inside Luxi County's bounding box.

    Parameters
    ----------
    lon, lat : array-like of float
        WGS-84 degrees; broadcast against each other. NaN gives False.
    margin_deg : float, default 0.0
        Widen the box by this many degrees on every side (non-negative).

    Returns
    -------
    numpy.ndarray of bool
        The broadcast shape of ``lon`` and ``lat``; edges count as inside.

    Raises
    ------
    ValueError
        If ``margin_deg`` is negative or not finite.

    Notes
    -----
    :data:`COUNTY_EXTENT` is a bounding box, not the county outline: points in the
    box's corners may lie in a neighbouring county. A synthetic outline comes from
    ``tracelab.synth``. No frame check: GCJ-02 input (≈ 0.6 km off, DOMAIN §8) is
    not detected here.

    Examples
    --------
    >>> in_county([114.03, 114.0, 113.9], [27.63, 0.0, 27.6])
    array([ True, False, False])
    >>> in_county([113.9], [27.6], margin_deg=0.02)
    array([ True])
    """
    try:
        margin = float(margin_deg)
    except (TypeError, ValueError):
        margin = math.nan
    if not (math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin_deg must be a finite number >= 0, got {margin_deg!r}")
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    min_lon, min_lat, max_lon, max_lat = COUNTY_EXTENT
    # NaN compares False, so missing coordinates come out as outside.
    return (
        (x >= min_lon - margin)
        & (x <= max_lon + margin)
        & (y >= min_lat - margin)
        & (y <= max_lat + margin)
    )
