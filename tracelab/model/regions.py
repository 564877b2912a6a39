"""Region geometry: the county outline and its townships as polygons.

Both are derived from the reference tables (:mod:`tracelab.model.reference`): the outline
from the county extent, each township as the Voronoi cell of its seat clipped to the
outline. The analysis layer uses them to draw and assign areas; the synthetic county
places its venues inside them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, Polygon

from tracelab.model import reference
from tracelab.model.schema import GEOMETRY, SEAT_LAT, SEAT_LON

__all__ = ["COS_LAT", "county_outline", "township_polygons"]

# Degrees of longitude shrink by cos(latitude); the Voronoi cells are drawn in a frame
# with equal metres per unit on both axes so that borders sit midway between seats.
COS_LAT = math.cos(math.radians(27.6))


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
    """Return the township table of :func:`tracelab.model.reference.townships` with polygons.

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
    seats = [Point(lon * COS_LAT, lat) for lon, lat in zip(table[SEAT_LON], table[SEAT_LAT], strict=True)]
    scaled_outline = affinity.scale(outline, xfact=COS_LAT, yfact=1.0, origin=(0, 0))
    cells = shapely.voronoi_polygons(MultiPoint(seats), extend_to=scaled_outline.buffer(0.1))
    polygons = []
    for seat in seats:
        cell = next(c for c in cells.geoms if c.contains(seat))
        clipped = cell.intersection(scaled_outline)
        clipped = shapely.set_precision(
            affinity.scale(clipped, xfact=1 / COS_LAT, yfact=1.0, origin=(0, 0)), 1e-6)
        polygons.append(clipped)
    km_per_deg = 111.32
    area = [p.area * km_per_deg**2 * COS_LAT for p in polygons]
    return table.assign(**{GEOMETRY: polygons, "area_km2": area})
