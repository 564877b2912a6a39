"""Reference tables: venue types, and the files behind regions (:mod:`tracelab.model.regions`)."""

from __future__ import annotations

import functools
import importlib.resources
import re
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pandas as pd

from tracelab._i18n import msg
from tracelab.model.schema import (
    BASIS,
    CROWDING,
    DWELL_MIN,
    INDOOR,
    NAME_EN,
    NAME_ZH,
    RESIDENCE,
    SEAT_IS_SYNTHETIC,
    TYPE_CODE,
    WEIGHT,
)

__all__ = [
    "INDOOR",
    "CROWDING",
    "CROWDING_LEVELS",
    "TOWNSHIP_KINDS",
    "BASIS",
    "SEAT_IS_SYNTHETIC",
    "venue_types",
    "venue_type_code",
    "venue_type_codes",
    "locate",
    "simplified",
]

# Allowed values of the reference tables' columns.
CROWDING_LEVELS = ("low", "medium", "high")
TOWNSHIP_KINDS = ("镇", "乡", "街道", "其他")  # town, township, urban street, farm or zone

_VENUE_TYPES_FILE = "venue_types.csv"

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

# Traditional -> simplified for the characters of venue-type and place names: notices
# circulate in traditional characters (SEED-notice.txt); a full converter is not worth a
# dependency.
_TRAD_TO_SIMP = str.maketrans(
    "區學業農貿場飲門醫藥鐵賓館機關單娛樂蘆鎮風長豐張萬龍銀"
    "縣鄉東陽寧興華園橋灣嶺廣遠貴鳳臨豐雲權義撫饒餘會間樹",
    "区学业农贸场饮门医药铁宾馆机关单娱乐芦镇风长丰张万龙银"
    "县乡东阳宁兴华园桥湾岭广远贵凤临丰云权义抚饶余会间树",
)
# Common wording next to the guide's own: 农贸市场 is the usual name of a 农贸商场.
_EXTRA_ALIASES = {"农贸市场": "farmers_market", "其他": "other"}


def _reference_dirs() -> list[Traversable]:
    """Candidate folders: the installed wheel's package data, then the source checkout."""
    return [
        importlib.resources.files("tracelab") / "_reference",
        Path(__file__).resolve().parents[2] / "data" / "reference",
    ]


def locate(filename: str) -> Traversable:
    """The reference file ``filename`` (a path below ``data/reference``), wheel or checkout."""
    tried = []
    for folder in _reference_dirs():
        candidate = folder / filename
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    raise FileNotFoundError(
        msg("reference table {filename!r} not found; looked in: {names}. Install the tracelab "
            "wheel or run from a source checkout that has data/reference/.", filename=filename,
            names=", ".join(tried))
    )


def _read(filename: str, dtypes: dict[str, Any], key: str) -> pd.DataFrame:
    path = locate(filename)
    # Everything is read as text and converted here, so a bad cell is reported by column
    # instead of surfacing as a pandas parser error.
    with path.open("rb") as fh:
        raw = pd.read_csv(fh, dtype=str, encoding="utf-8")
    missing = [c for c in dtypes if c not in raw.columns]
    if missing:
        raise ValueError(msg("reference table {path}: missing columns {missing}", path=path,
                             missing=missing))
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
        raise ValueError(msg("reference table {path}: empty or invalid values in {bad}",
                             path=path, bad=bad))
    frame = frame.astype(dtypes)
    dup = frame[key][frame[key].duplicated()].tolist()
    if dup:
        raise ValueError(msg("reference table {path}: duplicate {key} {dup}", path=path, key=key,
                             dup=dup))
    return frame


@functools.cache
def _venue_types() -> pd.DataFrame:
    frame = _read(_VENUE_TYPES_FILE, _VENUE_DTYPES, TYPE_CODE)
    bad = sorted(set(frame[CROWDING]) - set(CROWDING_LEVELS))
    if bad:
        raise ValueError(
            msg("reference table {file}: {column} values {bad} not in "
                "{levels}", file=_VENUE_TYPES_FILE, column=CROWDING,
                bad=bad, levels=CROWDING_LEVELS)
        )
    levels = pd.CategoricalDtype(list(CROWDING_LEVELS), ordered=True)
    return frame.assign(**{CROWDING: frame[CROWDING].astype(levels)})


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


def simplified(text: str) -> str:
    """``text`` with the traditional characters of place and type names made simplified.

    Examples
    --------
    >>> simplified("長樂鎮")
    '长乐镇'
    """
    return text.translate(_TRAD_TO_SIMP)


def _norm(label: str) -> str:
    text = simplified(label.strip().casefold())
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
            raise ValueError(msg("venue-type label {label!r} names both {index!r} and {code!r}",
                                 label=label, index=index[key], code=code))
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
            msg("venue type {label!r} is unknown; allowed: {allowed} (or their codes or English "
                "names, see tracelab.model.reference.venue_types())", label=label,
                allowed=allowed)
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
