"""Area map kinds: township and county outlines, a choropleth of contacts, risk-area polygons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab.maps._common import (
    add_legend,
    area,
    check_columns,
    layer_control,
    wgs84_frame,
)
from tracelab.maps.assets import import_folium
from tracelab.maps.base import add_outlines, check_townships, target_map
from tracelab.maps.columns import (
    AREA_REASON,
    AREA_STATUS,
    CONTACTS,
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
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from tracelab.maps.tiles import TileSource

__all__ = ["township_map", "risk_area_map", "contacts_per_township",
           "LEVEL_COLOURS"]

#: Fill colours of the risk levels.
LEVEL_COLOURS = {HIGH: "#c0392b", MEDIUM: "#f39c12", LOW: "#f7dc6f"}
_LIFTED_COLOUR = "#7f8c8d"
_CHOROPLETH_STEPS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


def _bounds(gdf: Any) -> list[list[float]]:
    minx, miny, maxx, maxy = gdf.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def contacts_per_township(
    exposures: pd.DataFrame, venues: pd.DataFrame, townships: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Count distinct contacts per township of the venue where they were exposed.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``CONTACT_ID, VENUE_ID``.
    venues : pandas.DataFrame
        ``VENUE_ID, TOWNSHIP_CODE``.
    townships : geopandas.GeoDataFrame
        ``TOWNSHIP_CODE, TOWNSHIP``: every township gets a row, 0 if none.

    Returns
    -------
    pandas.DataFrame
        ``TOWNSHIP_CODE, TOWNSHIP, CONTACTS`` in the order of `townships`.

    Raises
    ------
    ValueError
        If an exposure venue is missing from `venues`, or lies in a township code
        that `townships` does not have.

    Notes
    -----
    A contact exposed in two townships counts once in each.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"township_code": ["A", "B"], "township": ["甲", "乙"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
    >>> v = pd.DataFrame({"venue_id": ["v1", "v2"], "township_code": ["A", "A"]})
    >>> e = pd.DataFrame({"contact_id": ["x", "y", "x"], "venue_id": ["v1", "v2", "v2"]})
    >>> contacts_per_township(e, v, t)
      township_code township  contacts
    0             A        甲         2
    1             B        乙         0
    """
    check_columns(exposures, (schema.CONTACT_ID, schema.VENUE_ID), "exposures")
    check_columns(venues, (schema.VENUE_ID, schema.TOWNSHIP_CODE), "venues")
    check_columns(townships, (schema.TOWNSHIP_CODE, schema.TOWNSHIP), "townships")
    codes = venues.drop_duplicates(schema.VENUE_ID).set_index(schema.VENUE_ID)[
        schema.TOWNSHIP_CODE]
    unknown = sorted(set(map(str, exposures[schema.VENUE_ID])) - set(map(str, codes.index)))
    if unknown:
        raise ValueError(f"exposures names {len(unknown)} venue(s) not in venues: "
                         f"{unknown[:10]}; pass the full venue registry")
    joined = exposures[[schema.CONTACT_ID, schema.VENUE_ID]].assign(
        **{schema.TOWNSHIP_CODE: exposures[schema.VENUE_ID].map(codes)})
    counts = joined.groupby(schema.TOWNSHIP_CODE)[schema.CONTACT_ID].nunique()
    stray = sorted(set(map(str, counts.index)) - set(map(str, townships[schema.TOWNSHIP_CODE])))
    if stray:
        raise ValueError(f"exposure venues lie in township code(s) {stray[:10]} that "
                         "townships does not have; pass every township of the county")
    out = pd.DataFrame({schema.TOWNSHIP_CODE: townships[schema.TOWNSHIP_CODE].to_numpy(),
                        schema.TOWNSHIP: townships[schema.TOWNSHIP].to_numpy()})
    out[CONTACTS] = out[schema.TOWNSHIP_CODE].map(counts).fillna(0).astype("int64")
    return out


def _step_edges(values: np.ndarray) -> np.ndarray:
    top = max(int(values.max()) if len(values) else 0, 1)
    # Steps of equal width from 1 to the maximum; 0 has its own (lightest) colour.
    return np.unique(np.ceil(np.linspace(1, top + 1, len(_CHOROPLETH_STEPS))).astype(int))


def township_map(
    townships: gpd.GeoDataFrame,
    exposures: pd.DataFrame | None = None,
    venues: pd.DataFrame | None = None,
    *,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
) -> folium.Map:
    """Draw township outlines and, given exposures, a choropleth of contacts per township.

    Parameters
    ----------
    townships : geopandas.GeoDataFrame
        ``TOWNSHIP_CODE, TOWNSHIP`` and polygons, with a CRS.
    exposures, venues : pandas.DataFrame, optional
        Exposure rows and the venue registry (``VENUE_ID, TOWNSHIP_CODE``), see
        :func:`contacts_per_township`; without them only the outlines are drawn.
    m, lang, tiles, key
        As in :func:`tracelab.maps.layers.trajectory_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValueError
        If only one of `exposures` and `venues` is given, or as
        :func:`contacts_per_township`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"township_code": ["A", "B"], "township": ["甲", "乙"]},
    ...     geometry=[box(114.0, 27.6, 114.1, 27.7), box(114.1, 27.6, 114.2, 27.7)],
    ...     crs="EPSG:4326")
    >>> v = pd.DataFrame({"venue_id": ["v1"], "township_code": ["A"]})
    >>> e = pd.DataFrame({"contact_id": ["x", "y"], "venue_id": ["v1", "v1"]})
    >>> township_map(t, e, v).get_root().render().count('"className": "tl-choropleth"')
    2
    """
    folium = import_folium()
    if (exposures is None) != (venues is None):
        raise ValueError("township_map needs both exposures and venues for the choropleth, "
                         "or neither for outlines only")
    gdf = check_townships(townships)
    target = target_map(m, lang, tiles, key, None)
    if exposures is not None and venues is not None:
        counts = contacts_per_township(exposures, venues, gdf)[CONTACTS].to_numpy()
        edges = _step_edges(counts)
        colours = _CHOROPLETH_STEPS
        group = folium.FeatureGroup(name=label("choropleth", lang))
        for geom, name, n in zip(gdf[GEOMETRY], gdf[schema.TOWNSHIP], counts, strict=True):
            step = 0 if n == 0 else min(int(np.searchsorted(edges, n, side="right")),
                                        len(colours) - 1)
            area(geom, target, class_name="tl-choropleth",
                 style={"color": "#7b7d7d", "weight": 1, "fillColor": colours[step],
                        "fillOpacity": 0.7},
                 tooltip=f"{escape_text(name)}: {label('contacts', lang)} {int(n)}",
                 ).add_to(group)
        group.add_to(target)
        items = [(colours[0], "0")]
        for i in range(1, min(len(edges), len(colours))):
            lo, hi = int(edges[i - 1]), int(edges[i]) - 1
            items.append((colours[i], str(lo) if lo == hi else f"{lo}–{hi}"))
        add_legend(target, label("contacts", lang), items, name="tl_legend_choropleth")
    add_outlines(gdf, target, lang=lang)
    if m is None:
        target.fit_bounds(_bounds(gdf))
    return layer_control(target)


def _check_areas(areas: Any) -> Any:
    gdf = wgs84_frame(areas, "areas")
    check_columns(gdf, (LEVEL, AREA_REASON, DESIGNATED_ON, LIFTS_ON, GEOMETRY), "areas")
    bad = sorted(set(map(str, gdf[LEVEL])) - set(LEVELS))
    if bad:
        raise ValueError(f"areas column {LEVEL!r} has value(s) {bad[:10]}; allowed: {LEVELS}")
    return gdf


def risk_area_map(
    areas: gpd.GeoDataFrame,
    *,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw risk areas as polygons coloured by level, with reason and dates in popups.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        ``LEVEL`` (high/medium/low), ``AREA_REASON`` (shown escaped), ``DESIGNATED_ON``,
        ``LIFTS_ON`` (missing: not set) and (Multi)Polygon geometry, with a CRS; an
        optional ``AREA_STATUS`` column marks ``LIFTED`` areas, drawn grey and dashed.
    m, lang, tiles, key, townships
        As in :func:`tracelab.maps.layers.trajectory_map`.

    Returns
    -------
    folium.Map
        High areas are drawn last, on top.

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
    for row in order.sort_values("tl_rank", kind="stable").itertuples(index=False):
        level = getattr(row, LEVEL)
        lifts = day_text(getattr(row, LIFTS_ON)) or label("not_set", lang)
        heading = label(level, lang)
        if row.tl_lifted:
            heading = f"{heading} ({label('lifted', lang)})"
        popup = (f"<b>{heading}</b><br>"
                 f"{label('reason', lang)}: {escape_text(getattr(row, AREA_REASON))}<br>"
                 f"{label('designated_on', lang)}: {day_text(getattr(row, DESIGNATED_ON))}<br>"
                 f"{label('lifts_on', lang)}: {escape_text(lifts)}")
        if row.tl_lifted:
            style = {"color": _LIFTED_COLOUR, "weight": 1.5, "dashArray": "5 4",
                     "fillColor": _LIFTED_COLOUR, "fillOpacity": 0.1}
            class_name = "tl-risk tl-risk-lifted"
        else:
            style = {"color": LEVEL_COLOURS[level], "weight": 2,
                     "fillColor": LEVEL_COLOURS[level],
                     "fillOpacity": 0.45 if level != LOW else 0.2}
            class_name = f"tl-risk tl-risk-{level}"
        area(getattr(row, GEOMETRY), target, class_name=class_name, style=style,
             tooltip=heading, popup=popup).add_to(group)
    group.add_to(target)
    add_legend(target, label("level", lang),
               [(LEVEL_COLOURS[lvl], label(lvl, lang)) for lvl in LEVELS], name="tl_legend_risk")
    if m is None and len(gdf):
        target.fit_bounds(_bounds(gdf))
    return layer_control(target)
