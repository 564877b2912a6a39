"""Synthetic geography: townships as GeoJSON, and random points inside polygons.

The county outline and township polygons themselves are region data
(:mod:`tracelab.model.regions`, re-exported here for the generator); this module writes
them out and places synthetic venues inside them (DOMAIN §7.1, §7.2).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon, mapping

from tracelab.model import reference
from tracelab.model.regions import COS_LAT, county_outline, township_polygons
from tracelab.model.schema import GEOMETRY, TOWNSHIP, TOWNSHIP_CODE

__all__ = [
    "GEOMETRY",
    "county_outline",
    "township_polygons",
    "townships_geojson",
    "sample_in_polygon",
]

def townships_geojson(townships: pd.DataFrame, outline: Polygon) -> str:
    """Serialise townships and the county outline as a GeoJSON FeatureCollection.

    Parameters
    ----------
    townships : pandas.DataFrame
        As returned by :func:`township_polygons`.
    outline : shapely Polygon
        The county outline; written as the last feature, ``kind`` ``"county"``.

    Returns
    -------
    str
        Deterministic text (sorted keys, 6 decimals), WGS-84 as RFC 7946 requires.

    Examples
    --------
    >>> text = townships_geojson(township_polygons(), county_outline())
    >>> doc = json.loads(text)
    >>> len(doc["features"]), doc["features"][-1]["properties"]["kind"]
    (12, 'county')
    """
    features = []
    for row in townships.itertuples(index=False):
        record = row._asdict()
        props = {k: _plain(v) for k, v in record.items() if k not in (GEOMETRY, "area_km2")}
        props["area_km2"] = round(float(record["area_km2"]), 2)
        props["seat_note"] = "synthetic placeholder, not a real position (DOMAIN §7.2)"
        features.append({"type": "Feature", "properties": props,
                         "geometry": _rounded(mapping(record[GEOMETRY]))})
    features.append({
        "type": "Feature",
        "properties": {"kind": "county", TOWNSHIP_CODE: reference.COUNTY_CODE,
                       TOWNSHIP: reference.COUNTY_NAME,
                       "note": "synthetic outline around the county extent, not the real border"},
        "geometry": _rounded(mapping(outline)),
    })
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rounded(geom: dict) -> dict:
    def walk(obj: object) -> object:
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], (int, float)):
                return [round(float(v), 6) for v in obj]
            return [walk(o) for o in obj]
        return obj

    return {"type": geom["type"], "coordinates": walk(geom["coordinates"])}


def sample_in_polygon(
    polygon: Polygon,
    n: int,
    rng: np.random.Generator,
    *,
    centre: tuple[float, float] | None = None,
    spread_km: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points inside a polygon, uniformly or around a centre.

    Parameters
    ----------
    polygon : shapely Polygon
        WGS-84 lon/lat.
    n : int
        How many points.
    rng : numpy.random.Generator
        Random source.
    centre : (lon, lat), optional
        With ``spread_km``: draw from a circular normal around this point (rejecting
        points outside the polygon) instead of uniformly.
    spread_km : float, optional
        Standard deviation of the normal, km.

    Returns
    -------
    (lon, lat) : tuple of numpy.ndarray
        Float64 arrays of length ``n``.

    Examples
    --------
    >>> square = shapely.box(114.0, 27.5, 114.1, 27.6)
    >>> lon, lat = sample_in_polygon(square, 5, np.random.default_rng(0))
    >>> bool(((lon > 114.0) & (lon < 114.1) & (lat > 27.5) & (lat < 27.6)).all())
    True
    """
    min_x, min_y, max_x, max_y = polygon.bounds
    lon_out = np.empty(0)
    lat_out = np.empty(0)
    while len(lon_out) < n:
        k = max(16, 2 * (n - len(lon_out)))
        if centre is not None and spread_km is not None:
            lat = centre[1] + rng.normal(0.0, spread_km / 111.32, k)
            lon = centre[0] + rng.normal(0.0, spread_km / (111.32 * COS_LAT), k)
        else:
            lon = rng.uniform(min_x, max_x, k)
            lat = rng.uniform(min_y, max_y, k)
        inside = shapely.contains_xy(polygon, lon, lat)
        lon_out = np.concatenate([lon_out, lon[inside]])
        lat_out = np.concatenate([lat_out, lat[inside]])
    return lon_out[:n], lat_out[:n]
