"""Synthetic geography: random points inside a region's township polygons.

The outline and the township polygons are region data (:mod:`tracelab.model.regions`);
this module places synthetic venues inside them (DOMAIN §7.1, §7.2).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon

from tracelab.model.schema import GEOMETRY

__all__ = ["GEOMETRY", "sample_in_polygon"]


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
    cos_lat = math.cos(math.radians((min_y + max_y) / 2))
    lon_out = np.empty(0)
    lat_out = np.empty(0)
    while len(lon_out) < n:
        k = max(16, 2 * (n - len(lon_out)))
        if centre is not None and spread_km is not None:
            lat = centre[1] + rng.normal(0.0, spread_km / 111.32, k)
            lon = centre[0] + rng.normal(0.0, spread_km / (111.32 * cos_lat), k)
        else:
            lon = rng.uniform(min_x, max_x, k)
            lat = rng.uniform(min_y, max_y, k)
        inside = shapely.contains_xy(polygon, lon, lat)
        lon_out = np.concatenate([lon_out, lon[inside]])
        lat_out = np.concatenate([lat_out, lat[inside]])
    return lon_out[:n], lat_out[:n]
