"""Risk areas: polygons coloured by level, and a mark of minimum size over the small ones.

A high-risk area is often a compound some 50 m across: at county zoom its true polygon is
a speck, so a circle of at least :data:`MIN_MARK_PX` pixels marks it, and its tooltip
gives the true radius in metres. The county-wide low-risk area can be drawn as an outline
only, so that it neither tints nor covers what lies beneath it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from tracelab._i18n import msg
from tracelab.maps._common import (
    add_legend,
    area,
    check_area_geometry,
    check_columns,
    layer_control,
    wgs84_frame,
)
from tracelab.maps._scripts import add_call
from tracelab.maps.assets import import_folium
from tracelab.maps.base import target_map
from tracelab.maps.columns import (
    AREA_REASON,
    AREA_STATUS,
    DESIGNATED_ON,
    GEOMETRY,
    HIGH,
    LEVEL,
    LEVELS,
    LIFTED,
    LIFTS_ON,
    LOW,
    MEDIUM,
)
from tracelab.maps.labels import day_text, escape_text, label
from tracelab.maps.tiles import to_map_frame
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from tracelab.maps.tiles import TileSource

__all__ = ["risk_area_map", "area_radii", "LEVEL_COLOURS", "MIN_MARK_PX"]

#: Fill colours of the risk levels.
LEVEL_COLOURS = {HIGH: "#c0392b", MEDIUM: "#f39c12", LOW: "#f7dc6f"}
#: Smallest radius, in screen pixels, at which a high or medium area is drawn.
MIN_MARK_PX = 7
_LIFTED_COLOUR = "#7f8c8d"
_LOW_OUTLINE = "#b7950b"  # the low level's yellow, dark enough for a line


def _bounds(gdf: Any) -> list[list[float]]:
    minx, miny, maxx, maxy = gdf.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def area_radii(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Centre (WGS-84) and true radius in metres of each area: the farthest boundary point.

    The radius is measured in the area's UTM zone from the centroid, so a circle of it
    around the centre covers the whole area.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> ring = gpd.GeoSeries([Point(500000, 3050000).buffer(60)], crs="EPSG:32650")
    >>> out = area_radii(gpd.GeoDataFrame(geometry=ring).to_crs("EPSG:4326"))
    >>> round(float(out["radius_m"].iloc[0]))
    60
    """
    gdf = wgs84_frame(areas, "areas")
    if not len(gdf):
        return pd.DataFrame({"lon": [], "lat": [], "radius_m": []})
    metric = gdf[GEOMETRY].to_crs(gdf[GEOMETRY].estimate_utm_crs())
    centres = metric.centroid
    radii = shapely.hausdorff_distance(centres.to_numpy(), metric.to_numpy())
    wgs = centres.to_crs("EPSG:4326")
    return pd.DataFrame({"lon": wgs.x.to_numpy(), "lat": wgs.y.to_numpy(),
                         "radius_m": np.asarray(radii, dtype=float)}, index=gdf.index)


def _check_areas(areas: Any) -> Any:
    gdf = wgs84_frame(areas, "areas")
    check_columns(gdf, (LEVEL, AREA_REASON, DESIGNATED_ON, LIFTS_ON, GEOMETRY), "areas")
    bad = sorted(set(map(str, gdf[LEVEL])) - set(LEVELS))
    if bad:
        raise ValueError(msg("areas column {column!r} has value(s) {bad}; allowed: {levels}",
                             column=LEVEL, bad=bad[:10], levels=LEVELS))
    for geom in gdf[GEOMETRY]:
        check_area_geometry(geom)
    return gdf


def risk_area_map(
    areas: gpd.GeoDataFrame,
    *,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
    low_fill: bool = True,
    min_px: float = MIN_MARK_PX,
) -> folium.Map:
    """Draw risk areas as polygons coloured by level, with reason and dates in popups.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        ``LEVEL`` (high/medium/low), ``AREA_REASON`` (shown escaped), ``DESIGNATED_ON``,
        ``LIFTS_ON`` (missing: not set) and (Multi)Polygon geometry, with a CRS; an
        optional ``AREA_STATUS`` column marks ``LIFTED`` areas, drawn grey and dashed,
        and an optional ``NAME`` (escaped) names the area in its tooltip.
    m, lang, tiles, key, townships
        As in :func:`tracelab.maps.layers.trajectory_map`.
    low_fill : bool, default True
        False draws low-risk areas as a dashed outline without fill: on a map with a
        township choropleth the county-wide low area then neither tints the townships
        nor takes their hovers (only its outline shows its tooltip).
    min_px : float, default :data:`MIN_MARK_PX`
        High and medium areas smaller than this radius on screen get a circle of this
        radius over their centre (class ``tl-risk-mark``) until zoomed in; 0 draws none.

    Returns
    -------
    folium.Map
        High areas are drawn last, on top. Every tooltip states the area's true radius
        in metres (:func:`area_radii`).

    Raises
    ------
    ValueError
        If a column is missing, a level is not high/medium/low, the CRS is missing or a
        geometry is not a polygon.

    Examples
    --------
    >>> import datetime as dt
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"level": ["high", "low"], "reason": ["病例居住", "其余区域"],
    ...     "designated_on": [dt.date(2022, 11, 3)] * 2, "lifts_on": [dt.date(2022, 11, 10), None]},
    ...     geometry=[box(114.05, 27.62, 114.06, 27.63), box(114.0, 27.6, 114.2, 27.7)],
    ...     crs="EPSG:4326")
    >>> page = risk_area_map(areas, lang="en").get_root().render()
    >>> [page.count(f'"className": "tl-risk tl-risk-{level}"') for level in ("high", "low")]
    [1, 1]
    >>> "High-risk area: radius about 742 m" in page
    True
    """
    folium = import_folium()
    gdf = _check_areas(areas)
    target = target_map(m, lang, tiles, key, townships)
    group = folium.FeatureGroup(name=label("risk_areas", lang))
    lifted = (gdf[AREA_STATUS] == LIFTED if AREA_STATUS in gdf.columns
              else pd.Series(False, index=gdf.index))
    # Lifted areas first (underneath), then low, medium, high: the most severe on top.
    rank = gdf[LEVEL].map({lvl: -i for i, lvl in enumerate(LEVELS)}).where(~lifted, -99)
    order = gdf.assign(tl_rank=rank.to_numpy(), tl_lifted=lifted.to_numpy())
    order = order.sort_values("tl_rank", kind="stable").reset_index(drop=True)
    radii = area_radii(order)
    lon, lat = to_map_frame(radii["lon"], radii["lat"], target)
    names = (order[schema.NAME].map(escape_text).tolist() if schema.NAME in order.columns
             else [""] * len(order))
    marks = []
    for i, (row, name) in enumerate(zip(order.itertuples(index=False), names, strict=True)):
        level = getattr(row, LEVEL)
        small = level != LOW and not row.tl_lifted
        lifts = day_text(getattr(row, LIFTS_ON)) or label("not_set", lang)
        heading = label(level, lang)
        if row.tl_lifted:
            heading = f"{heading} ({label('lifted', lang)})"
        named = f"{heading}: {name}" if name else heading
        metres = int(round(float(radii["radius_m"].iloc[i])))
        radius = label("radius", lang, m=f"{metres:,}")
        popup = (f"<b>{named}</b><br>"
                 f"{label('reason', lang)}: {escape_text(getattr(row, AREA_REASON))}<br>"
                 f"{label('designated_on', lang)}: {day_text(getattr(row, DESIGNATED_ON))}<br>"
                 f"{label('lifts_on', lang)}: {escape_text(lifts)}"
                 + (f"<br>{radius}" if level != LOW else ""))
        if row.tl_lifted:
            style = {"color": _LIFTED_COLOUR, "weight": 1.5, "dashArray": "5 4",
                     "fillColor": _LIFTED_COLOUR, "fillOpacity": 0.1}
            class_name = "tl-risk tl-risk-lifted"
        elif level == LOW and not low_fill:
            style = {"color": _LOW_OUTLINE, "weight": 2, "dashArray": "6 4", "fill": False}
            class_name = f"tl-risk tl-risk-{level}"
        else:
            style = {"color": LEVEL_COLOURS[level], "weight": 2,
                     "fillColor": LEVEL_COLOURS[level],
                     "fillOpacity": 0.45 if level != LOW else 0.2}
            class_name = f"tl-risk tl-risk-{level}"
        area(getattr(row, GEOMETRY), target, class_name=class_name, style=style,
             tooltip=f"{named}: {radius}" if level != LOW else named, popup=popup).add_to(group)
        if small:
            marks.append({"lat": round(float(lat[i]), 6), "lon": round(float(lon[i]), 6),
                          "m": metres, "l": level, "c": LEVEL_COLOURS[level], "p": popup,
                          "t": f"{named}: {radius} ({label('enlarged', lang)})"})
    if min_px > 0 and marks:
        add_call(target, group, "riskMarks", marks, {"minPx": float(min_px)}, tag="tl-risk-marks")
    group.add_to(target)
    add_legend(target, label("level", lang),
               [(LEVEL_COLOURS[lvl], label(lvl, lang)) for lvl in LEVELS], name="tl_legend_risk")
    if m is None and len(gdf):
        target.fit_bounds(_bounds(gdf))
    return layer_control(target)
