"""Helpers shared by the map kinds: input checks, the target map, legends, layer control."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.maps.assets import import_folium
from tracelab.maps.columns import GEOMETRY
from tracelab.maps.labels import escape_text
from tracelab.maps.tiles import geometry_to_map_frame
from tracelab.model import schema

__all__: list[str] = []  # private helpers

_COORD_DIGITS = 6  # about 0.1 m: enough for a map, keeps pages small


def check_columns(frame: Any, columns: Iterable[str], arg: str) -> None:
    """Raise ``ValueError`` naming every column of `columns` missing from `frame`."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{arg} must be a pandas DataFrame, got {type(frame).__name__}")
    require_columns(frame, columns, arg)


def venue_points(venues: pd.DataFrame, venue_ids: Sequence[Any], arg: str) -> pd.DataFrame:
    """Return the venue rows of `venue_ids` in that order; raise if any is unknown or unplaced."""
    check_columns(venues, (schema.VENUE_ID, schema.LON, schema.LAT), "venues")
    table = venues.drop_duplicates(schema.VENUE_ID).set_index(schema.VENUE_ID)
    wanted = pd.Index(pd.unique(pd.Series(list(venue_ids), dtype=object)))
    unknown = wanted.difference(table.index)
    if len(unknown):
        raise ValueError(msg("{arg} names {n} venue(s) not in venues: {unknown}; pass the full "
                             "venue registry", arg=arg, n=len(unknown),
                             unknown=sorted(map(str, unknown))[:10]))
    rows = table.loc[list(venue_ids)]
    unplaced = rows.index[rows[schema.LON].isna() | rows[schema.LAT].isna()]
    if len(unplaced):
        raise ValueError(msg("venues {unplaced} have no lon/lat; a map cannot place them",
                             unplaced=sorted(set(map(str, unplaced)))[:10]))
    return rows.reset_index()


def texts(frame: pd.DataFrame, column: str) -> list[str]:
    """Escaped text of each row's `column`, or ``""`` for all rows if it is absent."""
    if column not in frame.columns:
        return [""] * len(frame)
    return [escape_text(v) for v in frame[column].tolist()]


def fit(m: Any, lats: np.ndarray, lons: np.ndarray) -> None:
    """Fit the view of a new map to the drawn points."""
    if len(lats):
        m.fit_bounds([[float(np.min(lats)), float(np.min(lons))],
                      [float(np.max(lats)), float(np.max(lons))]], padding=(20, 20))


def layer_control(m: Any) -> Any:
    """Put exactly one layer control on `m`, after every layer (it lists them when rendered)."""
    folium = import_folium()
    for name, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[name]
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def check_area_geometry(geom: Any) -> None:
    """Raise ``ValueError`` unless `geom` is a non-empty Polygon or MultiPolygon."""
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        kind = "empty" if geom is None or geom.is_empty else geom.geom_type
        raise ValueError(msg("geometry of type {kind} cannot be drawn as an area; use Polygon "
                             "or MultiPolygon", kind=kind))


def area(geom: Any, m: Any, *, class_name: str, style: dict[str, Any],
         tooltip: str | None = None, popup: str | None = None) -> Any:
    """A folium GeoJson layer of one (Multi)Polygon in the map's frame, one SVG path.

    `tooltip` and `popup` must already be escaped. Only the geometry is embedded: no
    attribute of the input frame reaches the page.
    """
    folium = import_folium()
    check_area_geometry(geom)
    shifted = shapely.transform(geometry_to_map_frame(geom, m),
                                lambda xy: np.round(xy, _COORD_DIGITS))
    feature = {"type": "Feature", "properties": {}, "geometry": mapping(shifted)}
    layer = folium.GeoJson(feature, style_function=lambda _f, s=dict(style): s,
                           className=class_name, control=False)
    if tooltip is not None:
        folium.Tooltip(tooltip).add_to(layer)
    if popup is not None:
        folium.Popup(popup, max_width=320).add_to(layer)
    return layer


def wgs84_frame(gdf: Any, arg: str) -> Any:
    """Return a GeoDataFrame in EPSG:4326; raise if it has no CRS or no geometry."""
    if not hasattr(gdf, "crs") or GEOMETRY not in getattr(gdf, "columns", ()):
        raise TypeError(f"{arg} must be a GeoDataFrame with a {GEOMETRY!r} column, "
                        f"got {type(gdf).__name__}")
    if gdf.crs is None:
        raise ValueError(msg("{arg} has no CRS; set one, e.g. {arg}.set_crs('EPSG:4326')",
                             arg=arg))
    return gdf if gdf.crs.to_epsg() in (4326, 4490) else gdf.to_crs("EPSG:4326")


def js_string(value: Any) -> str:
    """A JavaScript literal of `value` that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def add_legend(m: Any, title: str, items: Sequence[tuple[str, str]], name: str, *,
               ranges: Sequence[tuple[int, int]] | None = None, opacity: float = 1.0,
               note: str | Sequence[str] | None = None, position: str = "bottomright") -> None:
    """Add a legend control of coloured swatches (plain HTML, no plugin) to `m`.

    `ranges` gives each item's (low, high) count as ``data-lo``/``data-hi`` attributes;
    `opacity` is the fill opacity of what the swatches stand for, so that they show the
    colour as drawn; `note` is a line (or lines) under the items. Texts are escaped here.
    """
    from branca.element import MacroElement, Template

    bounds = list(ranges) if ranges is not None else [None] * len(items)
    rows = "".join(
        f'<div class="tl-legend-item" data-colour="{colour}"'
        + (f' data-lo="{r[0]}" data-hi="{r[1]}"' if r is not None else "")
        + '><span class="tl-swatch" style="display:inline-block;width:12px;height:12px;'
        f'background:{colour};opacity:{opacity:g};margin-right:4px;border:1px solid #555">'
        f"</span>{escape_text(text)}</div>" for (colour, text), r in zip(items, bounds, strict=True))
    for line in [note] if isinstance(note, str) else (note or ()):
        rows += f'<div class="tl-legend-note" style="font-size:11px">{escape_text(line)}</div>'
    content = (f'<div class="tl-legend" style="background:#fff;padding:6px 8px;'
               f'font:12px sans-serif;border:1px solid #999;border-radius:4px;max-width:240px">'
               f"<b>{escape_text(title)}</b>{rows}</div>")
    element: Any = MacroElement()  # Any: the template reads attributes set below
    element._template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var c = L.control({position: {{ this.position_js }}});"
        "c.onAdd = function(){var d = L.DomUtil.create('div');"
        " d.innerHTML = {{ this.content_js }}; return d;};"
        " c.addTo({{ this._parent.get_name() }});})();"
        "{% endmacro %}")
    element.content_js = js_string(content)
    element.position_js = js_string(position)
    m.add_child(element, name=name)
