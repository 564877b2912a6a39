"""Regions as data: a county, or any area a team covers, with its townships and outline.

A :class:`Region` is everything tracelab knows about a place: its code and name, its time
zone, the frame its files use, its analysis frame, its townships (code, name, seat or
polygon) and its outline. Every county-level division of the shipped provinces comes from
``data/reference/regions/`` (rebuilt by ``scripts/build_regions.py``, which says where the
data came from); any other place is read from a township table or GeoJSON with
:func:`read_region`. Nothing here knows a particular county.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from tracelab._i18n import msg
from tracelab.model import coords
from tracelab.model.reference import locate, simplified
from tracelab.model.schema import (
    BASIS,
    DEFAULT_ZONE,
    GEOMETRY,
    SEAT_IS_SYNTHETIC,
    SEAT_LAT,
    SEAT_LON,
    TOWNSHIP,
    TOWNSHIP_CODE,
    TOWNSHIP_KIND,
)

__all__ = [
    "Region",
    "RegionError",
    "region",
    "regions",
    "read_region",
    "infer_region",
    "locate_region",
    "all_townships",
    "region_geojson",
    "COUNTY_CODE_COLUMN",
]

#: Column of the shipped township table naming the county a township belongs to.
COUNTY_CODE_COLUMN = "county_code"
#: Default slack around an outline, metres: positions picked on a phone map at the county's
#: edge, and simplified outlines (about 130 vertices a county), must not lose a venue.
OUTLINE_MARGIN_M = 1500.0
_REGIONS_DIR = "regions"
_KM_PER_DEG = 111.32
_TOWNSHIP_COLUMNS = (TOWNSHIP_CODE, TOWNSHIP, TOWNSHIP_KIND, SEAT_LON, SEAT_LAT,
                     SEAT_IS_SYNTHETIC, BASIS)


class RegionError(ValueError):
    """A region that cannot be found, read or matched to the data."""


@dataclass(frozen=True, eq=False)
class Region:
    """A county or any area a team covers.

    Attributes
    ----------
    code : str
        GB/T 2260 code of a county (``"360121"``), or any id a team picks for its own area.
    name : str
        Its name as registries write it in 区县.
    townships : pandas.DataFrame
        ``township_code``, ``township``, ``kind``, ``seat_lon``, ``seat_lat`` (WGS-84, NaN
        where unknown), ``seat_is_synthetic`` and ``basis``; optionally ``geometry``
        (shapely polygons, WGS-84) where a source has township polygons.
    outline : shapely geometry
        The region's outline, WGS-84.
    zone : str
        IANA zone of its local days and of times written without a zone.
    file_crs : str
        Frame of the positions in its registry files (GCJ-02 for Alipay and WeChat picks).
    city, province : str
        Names of the levels above, where known.
    basis : str
        Where the data came from.
    """

    code: str
    name: str
    townships: pd.DataFrame = field(repr=False)
    outline: BaseGeometry = field(repr=False)
    zone: str = DEFAULT_ZONE
    file_crs: str = "GCJ-02"
    city: str = ""
    province: str = ""
    basis: str = field(default="", repr=False)

    @property
    def label(self) -> str:
        """``name (code)``, as messages name a region."""
        return f"{self.name} ({self.code})" if self.name != self.code else self.code

    @property
    def analysis_crs(self) -> str:
        """The CGCS2000 3-degree Gauss-Krüger zone of the region's central meridian."""
        return coords.gauss_kruger_crs(self.outline.centroid.x)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the outline, WGS-84."""
        minx, miny, maxx, maxy = self.outline.bounds
        return (float(minx), float(miny), float(maxx), float(maxy))

    @functools.cached_property
    def _projected_outline(self) -> BaseGeometry:
        crs = self.analysis_crs
        return shapely.transform(self.outline, lambda xy: np.column_stack(
            coords.project(xy[:, 0], xy[:, 1], crs)))

    def contains(self, lon: Any, lat: Any, *, margin_m: float = OUTLINE_MARGIN_M) -> np.ndarray:
        """Whether WGS-84 points lie inside the outline widened by ``margin_m`` metres.

        Examples
        --------
        >>> r = region("360121")
        >>> r.contains([116.146, 114.03], [28.619, 27.63]).tolist()
        [True, False]
        """
        if not (math.isfinite(margin_m) and margin_m >= 0):
            raise ValueError(msg("margin_m must be a finite number >= 0, got {margin_m!r}",
                                 margin_m=margin_m))
        x = np.atleast_1d(np.asarray(lon, dtype="float64"))
        y = np.atleast_1d(np.asarray(lat, dtype="float64"))
        ok = np.isfinite(x) & np.isfinite(y)
        out = np.zeros(x.shape, dtype=bool)
        if ok.any():
            px, py = coords.project(x[ok], y[ok], self.analysis_crs)
            area = self._projected_outline.buffer(margin_m) if margin_m else self._projected_outline
            out[ok] = shapely.contains_xy(area, px, py)
        return out

    def is_named(self, label: object) -> bool:
        """Whether ``label`` is this region's name (simplified or traditional) or code.

        Examples
        --------
        >>> r = region("360121")
        >>> r.is_named("南昌縣"), r.is_named("360121000000"), r.is_named("新建区")
        (True, True, False)
        """
        key = _key(label)
        return key in (_key(self.name), self.code, self.code + "000000")

    def township_code(self, label: object) -> str | None:
        """The 9-digit code of a township name (simplified or traditional) or code; None if unknown.

        Examples
        --------
        >>> r = region("360121")
        >>> r.township_code("莲塘镇"), r.township_code("360121101000"), r.township_code("x")
        ('360121100', '360121101', None)
        """
        return self._township_index.get(_key(label)) if isinstance(label, str) else None

    @functools.cached_property
    def _township_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for code, name in zip(self.townships[TOWNSHIP_CODE], self.townships[TOWNSHIP], strict=True):
            index[_key(code)] = code
            index[_key(code + "000")] = code
            index.setdefault(_key(name), code)
        return index

    def assign(self, lon: Any, lat: Any) -> np.ndarray:
        """The township of each point: the polygon that contains it, else the nearest seat.

        Returns an object array of township codes; None where a point is missing or the
        region has no township with a position.

        Examples
        --------
        >>> r = region("360121")
        >>> r.assign([116.146], [28.619]).tolist()
        ['360121108']
        """
        x = np.atleast_1d(np.asarray(lon, dtype="float64"))
        y = np.atleast_1d(np.asarray(lat, dtype="float64"))
        out = np.full(x.shape, None, dtype=object)
        polys = self.township_polygons()
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any() or not len(polys):
            return out
        tree = shapely.STRtree(list(polys[GEOMETRY]))
        points = shapely.points(x[ok], y[ok])
        hit = tree.query(points, predicate="within")
        codes = polys[TOWNSHIP_CODE].to_numpy(object)
        found = np.full(int(ok.sum()), None, dtype=object)
        # Shared borders: the lowest code wins, so the answer does not depend on query order.
        for point_i, poly_i in sorted(zip(hit[0], hit[1], strict=True), reverse=True):
            found[point_i] = codes[poly_i]
        rest = np.flatnonzero(found == None)  # noqa: E711 (element-wise)
        if len(rest):
            near = tree.nearest(points[rest])
            found[rest] = codes[near]
        out[ok] = found
        return out

    def township_polygons(self) -> pd.DataFrame:
        """The township table with polygons: given ones, else Voronoi cells of the seats.

        Each seat's cell is clipped to the outline, in a frame with equal metres on both
        axes so that borders sit midway between seats. Townships without a seat are left
        out. The result is cached; a copy is returned.

        Examples
        --------
        >>> t = region("360121").township_polygons()
        >>> len(t), bool(t["geometry"].map(lambda g: g.is_valid).all())
        (24, True)
        """
        return self._polygons.copy()

    @functools.cached_property
    def _polygons(self) -> pd.DataFrame:
        table = self.townships
        if GEOMETRY in table and table[GEOMETRY].notna().all():
            polys = table.reset_index(drop=True)
        else:
            table = table[table[SEAT_LON].notna() & table[SEAT_LAT].notna()].reset_index(drop=True)
            polys = table.assign(**{GEOMETRY: _voronoi(table, self.outline)})
        k = math.cos(math.radians(self.outline.centroid.y))
        area = [g.area * _KM_PER_DEG**2 * k for g in polys[GEOMETRY]]
        return polys.assign(area_km2=area)

    def with_seats_from(self, venues: pd.DataFrame) -> Region:
        """A copy whose placeholder seats are the median position of the venues of each township.

        Real counties ship with placeholder seats (no public source has township
        positions); a registry's own venues tell where its townships are.

        Parameters
        ----------
        venues : pandas.DataFrame
            ``township_code``, ``lon``, ``lat`` (WGS-84).

        Examples
        --------
        >>> r = region("360121")
        >>> v = pd.DataFrame({"township_code": ["360121100"], "lon": [115.94], "lat": [28.55]})
        >>> t = r.with_seats_from(v).townships.set_index("township_code")
        >>> t.loc["360121100", ["seat_lon", "seat_lat"]].tolist()
        [115.94, 28.55]
        """
        from tracelab.model.schema import LAT, LON

        known = venues.dropna(subset=[TOWNSHIP_CODE, LON, LAT])
        if not len(known):
            return self
        median = known.groupby(TOWNSHIP_CODE)[[LON, LAT]].median()
        table = self.townships.copy()
        move = table[SEAT_IS_SYNTHETIC].astype(bool) & table[TOWNSHIP_CODE].isin(median.index)
        codes = table.loc[move, TOWNSHIP_CODE]
        table.loc[move, SEAT_LON] = median.loc[codes, LON].to_numpy()
        table.loc[move, SEAT_LAT] = median.loc[codes, LAT].to_numpy()
        table.loc[move, BASIS] = "seat: median position of the registry's venues"
        table.loc[move, SEAT_IS_SYNTHETIC] = False
        return replace(self, townships=table)


def _key(label: object) -> str:
    return re.sub(r"\s+", "", simplified(str(label)))


def _voronoi(table: pd.DataFrame, outline: BaseGeometry) -> list[BaseGeometry]:
    if not len(table):
        return []
    k = math.cos(math.radians(outline.centroid.y))
    seats = [Point(lon * k, lat) for lon, lat in zip(table[SEAT_LON], table[SEAT_LAT], strict=True)]
    scaled = affinity.scale(outline, xfact=k, yfact=1.0, origin=(0, 0))
    if len(seats) == 1:
        cells = [scaled]
    else:
        regions_ = shapely.voronoi_polygons(MultiPoint(seats), extend_to=scaled.buffer(0.1))
        cells = [next((c for c in regions_.geoms if c.contains(seat)), scaled) for seat in seats]
    out = []
    for cell in cells:
        clipped = cell.intersection(scaled)
        out.append(shapely.set_precision(
            affinity.scale(clipped, xfact=1 / k, yfact=1.0, origin=(0, 0)), 1e-6))
    return out


@functools.cache
def _counties() -> pd.DataFrame:
    with locate(f"{_REGIONS_DIR}/counties.csv").open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@functools.cache
def _townships() -> pd.DataFrame:
    with locate(f"{_REGIONS_DIR}/townships.csv").open("rb") as fh:
        frame = pd.read_csv(fh, dtype={TOWNSHIP_CODE: str, COUNTY_CODE_COLUMN: str,
                                       TOWNSHIP: str, TOWNSHIP_KIND: str, BASIS: str})
    return frame.assign(**{SEAT_IS_SYNTHETIC: frame[SEAT_IS_SYNTHETIC].astype(str).str.lower()
                           == "true"})


@functools.cache
def _outlines() -> dict[str, BaseGeometry]:
    with locate(f"{_REGIONS_DIR}/outlines.geojson").open("rb") as fh:
        doc = json.load(fh)
    return {f["properties"]["code"]: shape(f["geometry"]) for f in doc["features"]}


def regions() -> pd.DataFrame:
    """The shipped regions: one row per county-level division.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``city_code``, ``city``, ``province``, ``zone``,
        ``file_crs``, ``analysis_crs``, ``basis``. A new copy on every call.

    Examples
    --------
    >>> r = regions()
    >>> len(r) >= 100, r["code"].is_unique
    (True, True)
    """
    return _counties().copy()


def all_townships() -> pd.DataFrame:
    """Every shipped township with its county code (``county_code``). A new copy.

    Examples
    --------
    >>> t = all_townships()
    >>> t.loc[t["township_code"] == "360121100", "township"].tolist()
    ['莲塘镇']
    """
    return _townships().copy()


@functools.cache
def _shipped(code: str) -> Region:
    row = _counties().set_index("code").loc[code]
    towns = _townships()
    towns = towns[towns[COUNTY_CODE_COLUMN] == code].reset_index(drop=True)
    return Region(code=code, name=str(row["name"]), townships=towns.loc[:, list(_TOWNSHIP_COLUMNS)],
                  outline=_outlines()[code], zone=str(row["zone"]), file_crs=str(row["file_crs"]),
                  city=str(row["city"]), province=str(row["province"]), basis=str(row["basis"]))


def region(code_or_name: str | Region) -> Region:
    """A shipped region by its 6-digit code (or 12-digit form) or its name.

    Parameters
    ----------
    code_or_name : str or Region
        ``"360121"``, ``"360121000000"``, ``"南昌县"``; a :class:`Region` is returned as is.

    Raises
    ------
    RegionError
        If no shipped region matches, or a name matches several (give the code); the
        message says how to pass a township table for any other place.

    Examples
    --------
    >>> r = region("南昌县")
    >>> r.code, r.city, r.analysis_crs, len(r.townships)
    ('360121', '南昌市', 'EPSG:4548', 24)
    """
    if isinstance(code_or_name, Region):
        return code_or_name
    text = _key(code_or_name)
    table = _counties()
    code = text[:6] if re.fullmatch(r"\d{6}(\d{6})?", text) else None
    if code is None:
        hits = table.loc[table["name"].map(_key) == text, "code"].tolist()
        if len(hits) > 1:
            raise RegionError(msg("region {code_or_name!r} names {n} counties ({names}); give the "
                                  "6-digit code", code_or_name=code_or_name, n=len(hits),
                                  names=", ".join(hits)))
        code = hits[0] if hits else None
    if code is None or code not in set(table["code"]):
        raise RegionError(
            msg("region {code_or_name!r} is not a shipped region (the county-level divisions of "
                "{names}, e.g. {code} {name}); give a 6-digit code or name of one, or a township "
                "table (.csv with township_code, township, seat_lon, seat_lat) or GeoJSON of your "
                "own", code_or_name=code_or_name, names="、".join(sorted(set(table["province"]))),
                code=table["code"].iloc[0], name=table["name"].iloc[0]))
    return _shipped(code)


def read_region(path: str | Path, *, code: str | None = None, name: str | None = None,
                zone: str = DEFAULT_ZONE, file_crs: str = "GCJ-02") -> Region:
    """A region from a township table or GeoJSON of one's own.

    Parameters
    ----------
    path : str or Path
        A CSV with ``township_code``, ``township`` and ``seat_lon``, ``seat_lat`` (WGS-84);
        or a GeoJSON FeatureCollection of township polygons or points whose properties
        hold ``township_code`` and ``township``, with an optional feature of
        ``"kind": "county"`` (its ``township_code``/``township`` are the region's code
        and name) for the outline. Without one the outline is the union of the townships
        (points: their convex hull widened by 2 km).
    code, name : str, optional
        The region's code and name; default from the county feature, else the file's stem.
    zone, file_crs : str
        Time zone and frame of the region's registry files.

    Raises
    ------
    RegionError
        When the file lacks the columns or properties, or holds no township.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "island.csv"
    >>> _ = p.write_text("township_code,township,seat_lon,seat_lat\\n"
    ...                  "T1,North,120.10,30.20\\nT2,South,120.10,30.10\\n")
    >>> r = read_region(p, code="ISL", name="Island")
    >>> r.label, r.assign([120.1], [30.19]).tolist()
    ('Island (ISL)', ['T1'])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(msg("region file {path}: no such file", path=path))
    outline: BaseGeometry | None = None
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
            features = doc["features"]
        except (ValueError, KeyError, TypeError):
            raise RegionError(msg("region file {name}: not a GeoJSON FeatureCollection",
                                  name=path.name)) from None
        rows = []
        for f in features:
            props = f.get("properties") or {}
            geom = shape(f["geometry"]) if f.get("geometry") else None
            if props.get("kind") == "county":
                outline = geom
                code = code or str(props.get(TOWNSHIP_CODE) or props.get("code") or "") or None
                name = name or str(props.get(TOWNSHIP) or props.get("name") or "") or None
                continue
            seat = geom if isinstance(geom, Point) else (geom.representative_point() if geom else None)
            rows.append({TOWNSHIP_CODE: str(props.get(TOWNSHIP_CODE, "")),
                         TOWNSHIP: str(props.get(TOWNSHIP, "")),
                         TOWNSHIP_KIND: str(props.get(TOWNSHIP_KIND, "")),
                         SEAT_LON: seat.x if seat is not None else np.nan,
                         SEAT_LAT: seat.y if seat is not None else np.nan,
                         GEOMETRY: None if isinstance(geom, Point) else geom})
        table = pd.DataFrame(rows)
        if len(table) and table[GEOMETRY].isna().any():
            table = table.drop(columns=GEOMETRY)
    elif path.suffix.lower() == ".csv":
        table = pd.read_csv(path, dtype={TOWNSHIP_CODE: str, TOWNSHIP: str},
                            encoding="utf-8-sig")
    else:
        raise RegionError(msg("region file {name}: give a .csv township table or a .geojson",
                              name=path.name))
    needed = [TOWNSHIP_CODE, TOWNSHIP, SEAT_LON, SEAT_LAT]
    missing = [c for c in needed if c not in table.columns]
    if missing or not len(table):
        raise RegionError(msg("region file {name}: needs townships with {names}; missing "
                              "{missing}", name=path.name, names=", ".join(needed),
                              missing=", ".join(missing) or msg("rows")))
    table = table.assign(**{
        TOWNSHIP_KIND: table.get(TOWNSHIP_KIND, pd.Series("", index=table.index)).fillna(""),
        SEAT_IS_SYNTHETIC: False, BASIS: f"seat: {path.name}"})
    if outline is None:
        if GEOMETRY in table:
            outline = shapely.union_all(list(table[GEOMETRY]))
        else:
            pts = shapely.multipoints(np.column_stack([table[SEAT_LON], table[SEAT_LAT]]))
            outline = pts.convex_hull.buffer(2.0 / _KM_PER_DEG)
    keep = [c for c in (*_TOWNSHIP_COLUMNS, GEOMETRY) if c in table]
    return Region(code=code or path.stem, name=name or code or path.stem,
                  townships=table.loc[:, keep].reset_index(drop=True), outline=outline,
                  zone=zone, file_crs=file_crs, basis=f"townships: {path.name}")


def infer_region(labels: pd.Series) -> Region | None:
    """The shipped region most of ``labels`` name: county names or codes, venue codes.

    Parameters
    ----------
    labels : pandas.Series
        区县 cells (名称 or 6-digit code) or venue codes whose first six digits are the
        county's code; unknown values are ignored.

    Returns
    -------
    Region or None
        None when no label names a shipped region.

    Examples
    --------
    >>> infer_region(pd.Series(["南昌县", "南昌县", "x"])).code
    '360121'
    >>> infer_region(pd.Series(["36012110000001"])).code, infer_region(pd.Series(["?"]))
    ('360121', None)
    """
    table = _counties()
    by_name = {_key(n): c for n, c in zip(table["name"], table["code"], strict=True)
               if (table["name"] == n).sum() == 1}
    codes = set(table["code"])
    counts: dict[str, int] = {}
    for value, n in labels.dropna().astype(str).value_counts().items():
        key = _key(value)
        code = by_name.get(key) or (key[:6] if key[:6] in codes and key[:6].isdigit() else None)
        if code:
            counts[code] = counts.get(code, 0) + int(n)
    if not counts:
        return None
    return _shipped(max(sorted(counts), key=lambda c: counts[c]))


@functools.cache
def _outline_tree() -> tuple[shapely.STRtree, list[str]]:
    outlines = _outlines()
    codes = sorted(outlines)
    return shapely.STRtree([outlines[c] for c in codes]), codes


def locate_region(lon: Any, lat: Any) -> np.ndarray:
    """The shipped region whose outline contains each WGS-84 point; None outside all.

    Examples
    --------
    >>> locate_region([116.146, 0.0], [28.619, 0.0]).tolist()
    ['360121', None]
    """
    x = np.atleast_1d(np.asarray(lon, dtype="float64"))
    y = np.atleast_1d(np.asarray(lat, dtype="float64"))
    tree, codes = _outline_tree()
    out = np.full(x.shape, None, dtype=object)
    ok = np.isfinite(x) & np.isfinite(y)
    points, polys = tree.query(shapely.points(x[ok], y[ok]), predicate="within")
    found = np.full(int(ok.sum()), None, dtype=object)
    # Simplified outlines may overlap along a border: the lowest code wins.
    for point_i, poly_i in sorted(zip(points, polys, strict=True), reverse=True):
        found[point_i] = codes[poly_i]
    out[ok] = found
    return out


def region_geojson(r: Region) -> str:
    """The region's township polygons and outline as a GeoJSON FeatureCollection.

    The outline is the last feature, ``"kind": "county"``; :func:`read_region` reads the
    text back. Deterministic (sorted keys, 6 decimals), WGS-84 as RFC 7946 requires.

    Examples
    --------
    >>> doc = json.loads(region_geojson(region("360121")))
    >>> len(doc["features"]), doc["features"][-1]["properties"]["kind"]
    (25, 'county')
    """
    features = []
    for row in r.township_polygons().itertuples(index=False):
        record = row._asdict()
        props = {k: _plain(v) for k, v in record.items() if k not in (GEOMETRY, "area_km2")}
        props["area_km2"] = round(float(record["area_km2"]), 2)
        features.append({"type": "Feature", "properties": props,
                         "geometry": _rounded(mapping(record[GEOMETRY]))})
    features.append({"type": "Feature",
                     "properties": {"kind": "county", TOWNSHIP_CODE: r.code, TOWNSHIP: r.name,
                                    BASIS: r.basis},
                     "geometry": _rounded(mapping(r.outline))})
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rounded(geom: dict[str, Any]) -> dict[str, Any]:
    def walk(obj: object) -> object:
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], (int, float)):
                return [round(float(v), 6) for v in obj]
            return [walk(o) for o in obj]
        return obj

    return {"type": geom["type"], "coordinates": walk(geom["coordinates"])}
