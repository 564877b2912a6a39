"""The base layer every map starts from: tiles (or none), township and county outlines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from tracelab._i18n import msg
from tracelab.maps._common import area, check_columns, wgs84_frame
from tracelab.maps.assets import import_folium, offline
from tracelab.maps.columns import GEOMETRY
from tracelab.maps.labels import check_lang, escape_text, label
from tracelab.maps.tiles import (
    DEFAULT_CENTRE,
    DEFAULT_CENTRE_ZOOM,
    TileSource,
    set_map_frame,
    tile_source,
)
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = ["add_outlines", "base_map", "check_townships", "target_map"]

_OUTLINE_COLOUR = "#566573"
_COUNTY_COLOUR = "#1b2631"
_NONE_BACKGROUND = "#f4f1ea"
#: A row holding this share of two or more other rows' area is an outline, not a township.
_CONTAINER_SHARE = 0.5
#: Townships may overlap by this share of the smaller one (slivers of simplified borders).
_OVERLAP_SHARE = 0.01


def base_map(
    tiles: str | TileSource = "none",
    *,
    key: str | None = None,
    lang: str = "zh",
    location: tuple[float, float] | None = None,
    zoom_start: int = 11,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Return an empty offline map with the chosen tiles (none by default).

    Parameters
    ----------
    tiles : str or TileSource, default "none"
        See :func:`tile_source`.
    key : str, optional
        Tianditu key.
    lang : {"zh", "en"}, default "zh"
        Language of the layer names.
    location : (lat, lon), optional
        Where the map opens, at ``zoom_start``; default: fitted to ``townships``, else
        all of mainland China.
    zoom_start : int, default 11
    townships : geopandas.GeoDataFrame, optional
        Township polygons (``TOWNSHIP_CODE, TOWNSHIP``, a CRS): their outlines and the
        county outline are drawn as the base layer and the view fits them.

    Returns
    -------
    folium.Map
        A map rendering with every script inline (:func:`tracelab.maps.assets.offline`),
        remembering its tile frame for the layers drawn on it (:func:`map_frame`).

    Examples
    --------
    >>> from tracelab.maps.tiles import map_frame
    >>> m = base_map("amap")
    >>> map_frame(m)
    'GCJ-02'
    """
    folium = import_folium()
    lang = check_lang(lang)
    source = tiles if isinstance(tiles, TileSource) else tile_source(tiles, key=key)
    if location is None:
        location, zoom_start = DEFAULT_CENTRE, DEFAULT_CENTRE_ZOOM
    m = folium.Map(location=list(location), zoom_start=zoom_start, tiles=None,
                   control_scale=True, prefer_canvas=False)
    offline(m)  # first: it gives the map a new root figure, whose header is written below
    if source.url is None:
        # No tiles: a paper-coloured background under the outlines reads better in print.
        m.get_root().header.add_child(folium.Element(
            f"<style>.folium-map.leaflet-container {{ background: {_NONE_BACKGROUND}; }}</style>"),
            name="tracelab_background")
    else:
        folium.TileLayer(source.url, attr=source.attribution, name=label(source.name, lang),
                         subdomains=source.subdomains, max_zoom=source.max_zoom,
                         overlay=False, control=True).add_to(m)
        if source.overlay is not None:
            folium.TileLayer(source.overlay, attr=source.attribution,
                             name=label(source.name + "_labels", lang),
                             subdomains=source.subdomains, max_zoom=source.max_zoom,
                             overlay=True, control=True).add_to(m)
    set_map_frame(m, source.frame)
    if townships is not None:
        add_outlines(townships, m, lang=lang)
        minx, miny, maxx, maxy = townships.to_crs("EPSG:4326").total_bounds
        m.fit_bounds([[float(miny), float(minx)], [float(maxy), float(maxx)]])
    return m


def check_townships(townships: Any) -> Any:
    """Return the township rows of `townships` in EPSG:4326: no row covers another.

    A row whose polygon holds most of two or more other rows is an outline of the
    county (or city) shipped with its townships, not a township: it is left out, since
    drawn as one it would cover them. Townships that still overlap by more than
    :data:`_OVERLAP_SHARE` of the smaller one are refused: a choropleth of them would
    show one colour over another.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"township_code": ["T1", "T2", "C"], "township": ["东镇", "西镇", "全县"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 0, 2, 1)], crs="EPSG:4326")
    >>> check_townships(t)["township"].tolist()
    ['东镇', '西镇']
    """
    gdf = wgs84_frame(townships, "townships")
    check_columns(gdf, (schema.TOWNSHIP_CODE, schema.TOWNSHIP, GEOMETRY), "townships")
    if len(gdf) < 2:
        return gdf
    geoms = shapely.make_valid(gdf[GEOMETRY].to_numpy())
    sizes = shapely.area(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    holds = shared >= _CONTAINER_SHARE * sizes[right]
    container = np.bincount(left[holds], minlength=len(gdf)) >= 2
    both = ~container[left] & ~container[right] & (left < right)
    share = shared / np.maximum(np.minimum(sizes[left], sizes[right]), 1e-30)
    bad = both & (share > _OVERLAP_SHARE)
    if bad.any():
        i, j = int(left[bad][0]), int(right[bad][0])
        names = gdf[schema.TOWNSHIP].to_numpy()
        raise ValueError(msg(
            "townships {first} and {second} overlap by {share:.0%} of the smaller one ({n} "
            "overlapping pair(s)); a township map needs polygons that do not overlap",
            first=names[i], second=names[j], share=float(share[bad][0]), n=int(bad.sum())))
    return gdf[~container].reset_index(drop=True)


def add_outlines(townships: gpd.GeoDataFrame, m: folium.Map, *, lang: str = "zh") -> folium.Map:
    """Draw township outlines and the county outline (their union) on `m`: the base layer.

    Parameters
    ----------
    townships : geopandas.GeoDataFrame
        ``TOWNSHIP_CODE, TOWNSHIP`` and polygon geometry, with a CRS.
    m : folium.Map
        The map to draw on (changed in place and returned).
    lang : {"zh", "en"}, default "zh"

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame(
    ...     {"township_code": ["T1", "T2"], "township": ["东镇", "西镇"]},
    ...     geometry=[box(114.0, 27.6, 114.1, 27.7), box(114.1, 27.6, 114.2, 27.7)],
    ...     crs="EPSG:4326")
    >>> add_outlines(t, base_map()).get_root().render().count('"className": "tl-township"')
    2
    """
    folium = import_folium()
    check_lang(lang)
    gdf = check_townships(townships)
    group = folium.FeatureGroup(name=label("townships", lang), overlay=True, control=True)
    for row in gdf.itertuples(index=False):
        area(getattr(row, GEOMETRY), m, class_name="tl-township",
             style={"color": _OUTLINE_COLOUR, "weight": 1, "fill": False, "dashArray": "4 3"},
             tooltip=escape_text(getattr(row, schema.TOWNSHIP))).add_to(group)
    county = shapely.union_all(gdf[GEOMETRY].to_numpy())
    area(county, m, class_name="tl-county",
         style={"color": _COUNTY_COLOUR, "weight": 2.5, "fill": False, "interactive": False},
         ).add_to(group)
    # Replacing a same-named group keeps one set of outlines when kinds are layered.
    m.add_child(group, name="tl_outlines")
    return m


def target_map(m: Any, lang: str, tiles: str | TileSource, key: str | None, townships: Any) -> Any:
    """Return `m` made offline, or a new base map; draw township outlines if given."""
    check_lang(lang)
    target = base_map(tiles, key=key, lang=lang) if m is None else offline(m)
    if townships is not None:
        add_outlines(townships, target, lang=lang)
    return target
