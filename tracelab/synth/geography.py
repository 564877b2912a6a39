"""Synthetic geography of Luxi County: a county outline and Voronoi township polygons.

The real boundaries are not in the reference data, so both are made up, deterministically,
around the county's bounding box and the synthetic township seats (DOMAIN §7.1, §7.2).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, Polygon, mapping

from tracelab import reference
from tracelab.schema import SEAT_LAT, SEAT_LON, TOWNSHIP, TOWNSHIP_CODE

__all__ = [
    "GEOMETRY",
    "county_outline",
    "township_polygons",
    "townships_geojson",
    "sample_in_polygon",
]

GEOMETRY = "geometry"  # shapely Polygon, WGS-84 lon/lat degrees

# Degrees of longitude shrink by cos(latitude); the Voronoi cells are drawn in a frame
# with equal metres per unit on both axes so that borders sit midway between seats.
_COS_LAT = math.cos(math.radians(27.6))


def county_outline(n_vertices: int = 96) -> Polygon:
    """Return the synthetic county outline, a wobbly super-ellipse inside the extent.

    Parameters
    ----------
    n_vertices : int, default 96
        Vertices of the ring (at least 8).

    Returns
    -------
    shapely.geometry.Polygon
        WGS-84 lon/lat. Every synthetic township seat lies inside it and the whole
        polygon stays at least 2 % of the half-width inside ``reference.COUNTY_EXTENT``.

    Raises
    ------
    ValueError
        If ``n_vertices`` is below 8.

    Notes
    -----
    Not the real boundary (DOMAIN §12 lists the seats as a known gap); it is fixed, not
    random, so every synthetic county shares it.

    Examples
    --------
    >>> outline = county_outline()
    >>> outline.is_valid, round(outline.centroid.x, 2), round(outline.centroid.y, 2)
    (True, 114.09, 27.6)
    """
    if n_vertices < 8:
        raise ValueError(f"n_vertices must be at least 8, got {n_vertices!r}")
    min_lon, min_lat, max_lon, max_lat = reference.COUNTY_EXTENT
    cx, cy = (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    hx, hy = (max_lon - min_lon) / 2, (max_lat - min_lat) / 2
    theta = np.linspace(0.0, 2 * math.pi, n_vertices, endpoint=False)
    radius = 0.93 + 0.03 * np.sin(3 * theta + 0.7) + 0.02 * np.cos(5 * theta + 1.3)
    # A super-ellipse of exponent 3 is boxier than an ellipse, so the corner seats fit.
    c, s = np.cos(theta), np.sin(theta)
    x = radius * np.sign(c) * np.abs(c) ** (2 / 3)
    y = radius * np.sign(s) * np.abs(s) ** (2 / 3)
    return Polygon(zip((cx + hx * x).round(6), (cy + hy * y).round(6), strict=True))


def township_polygons(outline: Polygon | None = None) -> pd.DataFrame:
    """Return the township table of :func:`tracelab.reference.townships` with polygons.

    Each township is the Voronoi cell of its synthetic seat, clipped to the outline.

    Parameters
    ----------
    outline : shapely Polygon, optional
        County outline; default :func:`county_outline`.

    Returns
    -------
    pandas.DataFrame
        The reference columns plus ``geometry`` (shapely Polygon, WGS-84) and
        ``area_km2`` (float64, approximate).

    Examples
    --------
    >>> t = township_polygons()
    >>> len(t), bool(t["geometry"].map(lambda g: g.is_valid).all())
    (11, True)
    >>> t.loc[0, "geometry"].contains(shapely.Point(114.03, 27.63))
    True
    """
    outline = county_outline() if outline is None else outline
    table = reference.townships()
    seats = [Point(lon * _COS_LAT, lat) for lon, lat in zip(table[SEAT_LON], table[SEAT_LAT])]
    scaled_outline = affinity.scale(outline, xfact=_COS_LAT, yfact=1.0, origin=(0, 0))
    cells = shapely.voronoi_polygons(MultiPoint(seats), extend_to=scaled_outline.buffer(0.1))
    polygons = []
    for seat in seats:
        cell = next(c for c in cells.geoms if c.contains(seat))
        clipped = cell.intersection(scaled_outline)
        clipped = shapely.set_precision(
            affinity.scale(clipped, xfact=1 / _COS_LAT, yfact=1.0, origin=(0, 0)), 1e-6)
        polygons.append(clipped)
    km_per_deg = 111.32
    area = [p.area * km_per_deg**2 * _COS_LAT for p in polygons]
    return table.assign(**{GEOMETRY: polygons, "area_km2": area})


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
            lon = centre[0] + rng.normal(0.0, spread_km / (111.32 * _COS_LAT), k)
        else:
            lon = rng.uniform(min_x, max_x, k)
            lat = rng.uniform(min_y, max_y, k)
        inside = shapely.contains_xy(polygon, lon, lat)
        lon_out = np.concatenate([lon_out, lon[inside]])
        lat_out = np.concatenate([lat_out, lat[inside]])
    return lon_out[:n], lat_out[:n]
