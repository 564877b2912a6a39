"""Tile sources and the base map: none (outlines only), OSM, Tianditu, AMap or intranet tiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import shapely

from tracelab._i18n import msg
from tracelab.model.coords import wgs84_to_gcj02

if TYPE_CHECKING:
    pass

__all__ = [
    "TILES",
    "Frame",
    "TileSource",
    "tile_source",
    "map_frame",
    "to_map_frame",
    "geometry_to_map_frame",
    "DEFAULT_CENTRE",
]

Frame = Literal["WGS-84", "GCJ-02"]
#: Names accepted by ``tiles=``; a string with ``{z}``, ``{x}``, ``{y}`` is an intranet template.
TILES = ("none", "osm", "tianditu", "amap")
#: Where a map opens when neither ``location`` nor data set the view (lat, lon), WGS-84:
#: mainland China, at a zoom that shows it whole.
DEFAULT_CENTRE = (35.0, 105.0)
DEFAULT_CENTRE_ZOOM = 4
# Attribute on a folium.Map naming the frame its tiles are drawn in.
_FRAME_ATTR = "tracelab_frame"

_TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
             "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
_AMAP = ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
         "&x={x}&y={y}&z={z}")


@dataclass(frozen=True)
class TileSource:
    """A base tile layer: URL template, attribution, subdomains and coordinate frame.

    ``overlay`` is an optional second template drawn above the base (Tianditu's
    annotation layer ``cva_w``). ``url`` is None for "none": no tiles, the township
    outlines are the base layer.
    """

    name: str
    url: str | None
    attribution: str
    frame: Frame = "WGS-84"
    subdomains: str = "abc"
    overlay: str | None = None
    max_zoom: int = 18


def tile_source(
    tiles: str = "none",
    *,
    key: str | None = None,
    attribution: str | None = None,
    frame: Frame = "WGS-84",
) -> TileSource:
    """Describe a tile source by name or intranet URL template.

    Parameters
    ----------
    tiles : str, default "none"
        ``"none"`` (no tiles: draw the county and township outlines), ``"osm"``
        (OpenStreetMap), ``"tianditu"`` (天地图 vec_w with the cva_w labels; needs `key`),
        ``"amap"`` (高德, GCJ-02 tiles), or a URL template with ``{z}``, ``{x}``, ``{y}``
        such as ``"http://10.1.2.3/tiles/{z}/{x}/{y}.png"``.
    key : str, optional
        The Tianditu key (``tk``).
    attribution : str, optional
        Attribution shown for an intranet template (default "内网底图").
    frame : {"WGS-84", "GCJ-02"}, default "WGS-84"
        Frame of an intranet template's tiles; a GCJ-02 server makes points shift.

    Returns
    -------
    TileSource

    Raises
    ------
    ValueError
        For an unknown name, Tianditu without a key, an unknown frame, or a template
        missing ``{z}``, ``{x}`` or ``{y}``.

    Examples
    --------
    >>> tile_source("amap").frame
    'GCJ-02'
    >>> tile_source("http://10.0.0.1/t/{z}/{x}/{y}.png").url
    'http://10.0.0.1/t/{z}/{x}/{y}.png'
    """
    if frame not in ("WGS-84", "GCJ-02"):
        raise ValueError(msg("frame={frame!r} is not a tile frame; use 'WGS-84' or 'GCJ-02'",
                             frame=frame))
    if tiles == "none":
        return TileSource("none", None, "")
    if tiles == "osm":
        return TileSource("tiles_osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                          '&copy; <a href="https://www.openstreetmap.org/copyright">'
                          "OpenStreetMap</a> contributors", max_zoom=19)
    if tiles == "tianditu":
        if not key:
            raise ValueError(msg("tiles='tianditu' needs key= (the Tianditu tk token); get one "
                                 "from the Tianditu developer console"))
        # Tianditu draws in CGCS2000, equal to WGS-84 at map scale (DOMAIN 8): no shift.
        return TileSource("tiles_tianditu", _TIANDITU.format(s="{s}", layer="vec", key=key),
                          "&copy; 天地图 Tianditu", subdomains="01234567",
                          overlay=_TIANDITU.format(s="{s}", layer="cva", key=key))
    if tiles == "amap":
        return TileSource("tiles_amap", _AMAP, "&copy; 高德地图 AutoNavi", frame="GCJ-02",
                          subdomains="1234")
    if all(f"{{{c}}}" in tiles for c in "zxy"):
        return TileSource("tiles_internal", tiles, attribution or "内网底图", frame=frame)
    raise ValueError(msg("tiles={tiles!r} is neither one of {names} nor a URL template with "
                         "{{z}}, {{x}} and {{y}}", tiles=tiles, names=TILES))


def set_map_frame(m: Any, frame: str) -> None:
    """Remember on `m` the coordinate frame of its tiles, for the layers drawn on it."""
    setattr(m, _FRAME_ATTR, frame)


def map_frame(m: Any) -> Frame:
    """Return the frame a map's tiles are drawn in: "GCJ-02" for AMap, else "WGS-84".

    Examples
    --------
    >>> import folium
    >>> map_frame(folium.Map(tiles=None))
    'WGS-84'
    """
    frame: Frame = getattr(m, _FRAME_ATTR, "WGS-84")
    return frame


def to_map_frame(lon: Any, lat: Any, m: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return WGS-84 (lon, lat) arrays in the frame of map `m` (shifted on GCJ-02 tiles).

    Examples
    --------
    >>> from tracelab.maps.base import base_map
    >>> lon, lat = to_map_frame([114.0], [27.6], base_map("amap"))
    >>> round(float(lon[0]) - 114.0, 4) > 0, round(float(lat[0]) - 27.6, 4) < 0
    (True, True)
    """
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if map_frame(m) == "GCJ-02":
        lon_a, lat_a = wgs84_to_gcj02(lon_a, lat_a)
    return lon_a, lat_a


def geometry_to_map_frame(geom: Any, m: Any) -> Any:
    """Return a shapely geometry (WGS-84 lon/lat) in the frame of map `m`.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from tracelab.maps.base import base_map
    >>> geometry_to_map_frame(Point(114.0, 27.6), base_map()).equals(Point(114.0, 27.6))
    True
    """
    if map_frame(m) != "GCJ-02":
        return geom

    def shift(coords: np.ndarray) -> np.ndarray:
        x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, shift)
