"""Layers out: a briefing's map layers as GeoJSON and GeoPackage files for QGIS or kepler.gl.

:func:`export_layers` writes the four layers the briefing map draws, from the same tables:

========================  ============================================================
``venues``                the venue registry (points): id, name, type, township, address
``exposure_venues``       venues where people were exposed (points): cases, exposed
                          people and close-contact candidates as counts, first and last
                          exposure, rank in the 重点场所 table
``risk_areas``            risk areas (polygons; circles drawn as polygons), level, dates
``township_counts``       the township table of the briefing (polygons) with its counts
========================  ============================================================

Each layer is one GeoJSON file, and all four are the layers of one GeoPackage
(``layers.gpkg``), in WGS-84 (EPSG:4326, RFC 7946); the same files with the suffix
``_gcj02`` hold GCJ-02 coordinates, for domestic base maps (高德, 腾讯) which are drawn in
that frame. tracelab keeps positions in WGS-84 once loaded (a registry's GCJ-02 picks are
converted on load, DOMAIN.md section 8), so the variant is the open WGS-84 -> GCJ-02
transform of :mod:`tracelab.model.coords`, a shift of about 600 m at mid latitudes of the
mainland. GeoJSON and GeoPackage have no code for GCJ-02: the ``_gcj02`` files are labelled
EPSG:4326 (so that tools read them as degrees) and say GCJ-02 in their file name, in each
GeoPackage layer's description and in ``layers.json``, the folder's index of files, frames
and row counts.

No person id, name, phone or ID number is written: people are counts; the venue owner
and applicant columns are not exported; phone and ID numbers standing in registration text
are masked. Every file is written whole or not at all, and the same briefing gives the
same bytes (the GeoPackage's timestamps are the briefing time).
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab._atomic import write_bytes, write_text
from tracelab._i18n import msg
from tracelab.briefing.build import Briefing, load_briefing
from tracelab.model import schema as s
from tracelab.model.coords import wgs84_to_gcj02
from tracelab.model.rules import Rule
from tracelab.privacy.pseudonyms import scrub_shapes, scrub_text

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LAYERS", "GCJ02_SUFFIX", "N_CLOSE", "layer_frames", "to_gcj02", "export_layers"]

#: The layers, in the order of the GeoPackage.
LAYERS = ("venues", "exposure_venues", "risk_areas", "township_counts")
#: File-name suffix of the GCJ-02 variant.
GCJ02_SUFFIX = "_gcj02"
#: Exposure venues: distinct close-contact candidates exposed there.
N_CLOSE = "n_close_contact_candidates"
_INDEX = "layers.json"
_GPKG = "layers.gpkg"

#: Registry columns a venue layer carries: never the owner, the owner's id or the
#: applicant's phone (a sole trader's owner is a person).
_VENUE_COLUMNS = (s.VENUE_ID, s.NAME, s.VENUE_TYPE, s.TOWNSHIP_CODE, s.TOWNSHIP, s.ADDRESS,
                  s.STATUS, s.PARENT_VENUE_ID)
#: Risk-area columns exported; the ``reason`` sentence names the cases, so it stays home.
_AREA_COLUMNS = (s.AREA_ID, s.LEVEL, s.DESIGNATED_LEVEL, s.VENUE_ID, s.VENUE_TYPE,
                 s.TOWNSHIP_CODE, s.N_CASES, s.DESIGNATED_ON, s.LAST_CASE_ON, s.LOWERS_ON,
                 s.LIFTS_ON, s.STATUS)
_PSEUDONYM = re.compile(r"p_[0-9a-f]{16}")
_FRAMES = {"": "WGS-84 (EPSG:4326)",
           GCJ02_SUFFIX: "GCJ-02 (国测局; labelled EPSG:4326 for tools, not a CRS)"}


def _points(frame: pd.DataFrame) -> list[Any]:
    """A point per row at ``lon``, ``lat`` (WGS-84); None where the position is missing."""
    import shapely

    n = len(frame)
    lon = (pd.to_numeric(frame[s.LON], errors="coerce").to_numpy(float) if s.LON in frame
           else np.full(n, np.nan))
    lat = (pd.to_numeric(frame[s.LAT], errors="coerce").to_numpy(float) if s.LAT in frame
           else np.full(n, np.nan))
    ok = np.isfinite(lon) & np.isfinite(lat)
    return [shapely.Point(x, y) if good else None
            for x, y, good in zip(lon, lat, ok, strict=True)]


def _plain(frame: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Columns GeoJSON and GeoPackage both keep as they are: text, numbers, booleans.

    Times become local ISO text in `zone`, dates ISO text, categories text; registration
    text has phone and ID numbers masked.
    """
    out = {}
    for name in frame.columns:
        col = frame[name]
        if name == "geometry":
            out[name] = col
        elif isinstance(col.dtype, pd.DatetimeTZDtype):
            out[name] = col.dt.tz_convert(zone).map(
                lambda t: None if pd.isna(t) else t.isoformat(timespec="seconds")).astype(object)
        elif pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            out[name] = col
        else:
            out[name] = col.map(_cell).astype(object)
    return pd.DataFrame(out, index=frame.index)


def _cell(value: Any) -> Any:
    """A text cell: missing stays missing, dates become ISO text, numbers in text masked."""
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and np.isnan(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return scrub_shapes(scrub_text(str(value)))


def _geo(frame: pd.DataFrame, geometry: Any, zone: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(_plain(frame, zone).reset_index(drop=True),
                            geometry=gpd.GeoSeries(list(geometry), crs="EPSG:4326"),
                            crs="EPSG:4326")


def _exposure_venues(b: Briefing) -> pd.DataFrame:
    ex = b.exposures
    by = ex.groupby(s.VENUE_ID, sort=True)
    hop1 = ex[ex[s.HOP] == 1] if s.HOP in ex else ex
    close = ex[ex[s.CATEGORY] == s.CLOSE_CONTACT]
    table = pd.DataFrame({
        s.N_CASES: hop1.groupby(s.VENUE_ID)[s.CASE_ID].nunique(),
        s.N_EXPOSED: by[s.CONTACT_ID].nunique(),
        N_CLOSE: close.groupby(s.VENUE_ID)[s.CONTACT_ID].nunique(),
        s.FIRST_EXPOSURE: by[s.OVERLAP_START].min(),
        s.LAST_EXPOSURE: by[s.OVERLAP_END].max(),
    }).fillna({s.N_CASES: 0, N_CLOSE: 0}).astype({s.N_CASES: "int64", N_CLOSE: "int64"})
    table = table.rename_axis(s.VENUE_ID).reset_index()
    if s.RANK in b.venue_ranking and len(b.venue_ranking):
        rank = b.venue_ranking.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)[s.RANK]
        table[s.RANK] = table[s.VENUE_ID].map(rank).astype("Int64")
    info = b.venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)
    for col in (s.NAME, s.VENUE_TYPE, s.TOWNSHIP_CODE, s.TOWNSHIP, s.LON, s.LAT):
        if col in info:
            table[col] = table[s.VENUE_ID].map(info[col])
    return table


def _nested(geoms: gpd.GeoSeries) -> np.ndarray:
    """Polygons that hold another one's inner point: an outline drawn over its parts."""
    import shapely

    arr = np.asarray(geoms, dtype=object)
    have = np.array([g is not None and not g.is_empty for g in arr])
    inner = np.array([g.representative_point() if ok else None for g, ok in zip(arr, have, strict=True)],
                     dtype=object)
    out = np.zeros(len(arr), dtype=bool)
    for i in np.flatnonzero(have):
        others = [p for j, p in enumerate(inner) if j != i and have[j]]
        out[i] = bool(len(others)) and bool(shapely.contains(arr[i], np.array(others)).any())
    return out


def layer_frames(b: Briefing) -> dict[str, gpd.GeoDataFrame]:
    """The briefing's four map layers as GeoDataFrames in WGS-84, by :data:`LAYERS` name.

    Rows are the briefing's own: every venue of the registry; one row per venue of the
    exposures table; one per risk area; one per row of the township table, except a
    polygon that holds another township (a county outline given with its townships: it
    would hide them, as on the briefing map before). ``township_counts`` is absent when
    the briefing has no township table.
    """
    zone = b.zone
    venues = b.venues.drop_duplicates(s.VENUE_ID).reset_index(drop=True)
    frames = {"venues": _geo(venues[[c for c in _VENUE_COLUMNS if c in venues]],
                             _points(venues), zone)}
    exposed = _exposure_venues(b)
    frames["exposure_venues"] = _geo(exposed.drop(columns=[s.LON, s.LAT], errors="ignore"),
                                     _points(exposed), zone)
    areas = b.areas.reset_index(drop=True)
    keep = [c for c in _AREA_COLUMNS if c in areas]
    extra = [c for c in areas.columns if c not in keep and c != "geometry"
             and pd.api.types.is_numeric_dtype(areas[c].dtype)]  # e.g. a radius
    table = areas[keep + extra]
    if s.VENUE_ID in table and s.NAME in b.venues:
        names = b.venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)[s.NAME]
        table = table.assign(**{s.NAME: table[s.VENUE_ID].map(names)})
    frames["risk_areas"] = _geo(table, areas.geometry, zone)
    if b.township_counts is not None and b.townships is not None:
        shapes = b.townships.drop_duplicates(s.TOWNSHIP_CODE).set_index(s.TOWNSHIP_CODE)
        counts = b.township_counts.reset_index(drop=True)
        geometry = counts[s.TOWNSHIP_CODE].map(shapes.geometry)
        drop = _nested(geometry)
        frames["township_counts"] = _geo(counts[~drop], geometry[~drop], zone)
    for name, frame in frames.items():
        _no_person_ids(name, frame)
    return frames


def _no_person_ids(name: str, frame: pd.DataFrame) -> None:
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(
                lambda v: isinstance(v, str) and bool(_PSEUDONYM.search(v))).any():
            raise RuntimeError(msg("layer {name}: column {col!r} holds a person pseudonym; "
                                   "layers carry people only as counts", name=name, col=col))


def to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of a WGS-84 layer with every coordinate shifted to GCJ-02.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(114.092, 27.6)], crs="EPSG:4326")
    >>> p = to_gcj02(g).geometry.iloc[0]
    >>> round(p.x - 114.092, 4), round(p.y - 27.6, 4)
    (0.0055, -0.0031)
    """
    import shapely

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    moved = shapely.transform(np.asarray(frame.geometry.values, dtype=object), shift)
    return frame.set_geometry(list(moved), crs=frame.crs)


@contextlib.contextmanager
def _gdal_date(stamp: pd.Timestamp) -> Iterator[None]:
    """GeoPackages stamped with the briefing time, not the clock: same input, same bytes."""
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options(
        {"OGR_CURRENT_DATE": stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})


def _gpkg_bytes(frames: dict[str, gpd.GeoDataFrame], frame_label: str, folder: Path,
                stamp: pd.Timestamp) -> bytes:
    # GDAL names a GeoPackage by its extension: it is built under a .gpkg name in a
    # private folder beside the target, then written to the target atomically.
    with tempfile.TemporaryDirectory(dir=folder, prefix=".layers-") as tmp, _gdal_date(stamp):
        path = Path(tmp) / _GPKG
        for name, frame in frames.items():
            frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                          DESCRIPTION=f"tracelab {name}, {frame_label}")
        return path.read_bytes()


def export_layers(data: str | Path | Briefing, folder: str | Path, *, rule: str | Rule = "twenty",
                  as_of: Any = None, key: bytes | None = None) -> dict[str, Path]:
    """Write a briefing's map layers to `folder` as GeoJSON and GeoPackage, WGS-84 and GCJ-02.

    Parameters
    ----------
    data : path or Briefing
        A data folder (:func:`tracelab.briefing.build.load_briefing`) or a built briefing.
    folder : path
        Created if missing; files of an earlier export are replaced one by one, and the
        GeoJSON of a layer this briefing lacks (no township table) is removed.
    rule, as_of, key
        As in :func:`~tracelab.briefing.build.load_briefing` (ignored for a Briefing).

    Returns
    -------
    dict
        File name -> path of every file written: ``<layer>.geojson`` and
        ``<layer>_gcj02.geojson`` per layer, ``layers.gpkg``, ``layers_gcj02.gpkg`` and
        ``layers.json`` (frames, rule, briefing time, rows per layer), written last.
    """
    b = data if isinstance(data, Briefing) else load_briefing(data, rule=rule, as_of=as_of,
                                                              key=key)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    wgs = layer_frames(b)
    variants = {"": wgs, GCJ02_SUFFIX: {n: to_gcj02(f) for n, f in wgs.items()}}
    written: dict[str, Path] = {}
    for suffix, frames in variants.items():
        for name, frame in frames.items():
            path = out / f"{name}{suffix}.geojson"
            written[path.name] = write_text(path, frame.to_json(drop_id=True, ensure_ascii=False))
        path = out / f"layers{suffix}.gpkg"
        written[path.name] = write_bytes(path, _gpkg_bytes(frames, _FRAMES[suffix], out, b.as_of))
    for name in LAYERS:  # a layer this briefing lacks must not stay from an earlier export
        if name not in wgs:
            for suffix in variants:
                (out / f"{name}{suffix}.geojson").unlink(missing_ok=True)
    index = {"as_of": b.as_of.tz_convert(b.zone).isoformat(), "zone": b.zone,
             "rule": b.rule.rule_id, "county": b.county,
             "frames": {f"*{k}.*" if k else "*": v for k, v in _FRAMES.items()},
             "layers": {n: int(len(f)) for n, f in wgs.items()},
             "files": sorted([*written, _INDEX])}
    written[_INDEX] = write_text(out / _INDEX, json.dumps(index, ensure_ascii=False, indent=1,
                                                          sort_keys=True) + "\n")
    return written
