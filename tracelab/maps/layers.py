"""Point map kinds: a case trajectory and a heat layer of exposures.

Exposure venues (circles, ranks and clusters) are drawn by :mod:`tracelab.maps.venues`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab._i18n import msg
from tracelab.maps._common import check_columns, fit, layer_control, texts, venue_points
from tracelab.maps.assets import import_folium
from tracelab.maps.base import target_map
from tracelab.maps.columns import EXPOSED
from tracelab.maps.labels import escape_text, label, local_time, mask_person
from tracelab.maps.tiles import to_map_frame
from tracelab.maps.venues import exposed_per_venue
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from tracelab.maps.tiles import TileSource

__all__ = ["trajectory_map", "heat_map"]

_TRACK_COLOUR = "#6c3483"
_STOP_STYLE = ("background:#6c3483;color:#fff;border:2px solid #fff;border-radius:50%;"
               "width:22px;height:22px;line-height:18px;text-align:center;"
               "font:bold 12px sans-serif;box-shadow:0 0 3px #333")


def _case_visits(visits: pd.DataFrame, case_id: Any) -> tuple[pd.DataFrame, str, str | None]:
    check_columns(visits, (schema.PERSON_ID, schema.VENUE_ID), "visits")
    if schema.T_IN in visits.columns:
        start, end = schema.T_IN, schema.T_OUT
    elif schema.SCANNED_AT in visits.columns:
        start, end = schema.SCANNED_AT, schema.EXIT_AT
    else:
        raise ValueError(msg("visits needs {t_in!r} (visits) or {scanned_at!r} (scans); it has "
                             "{columns}", t_in=schema.T_IN, scanned_at=schema.SCANNED_AT,
                             columns=list(visits.columns)))
    people = pd.unique(visits[schema.PERSON_ID])
    if case_id is None:
        if len(people) != 1:
            raise ValueError(msg("visits holds {n} people; pass case_id= to choose the case "
                                 "whose trajectory to draw", n=len(people)))
        case_id = people[0]
    rows = visits[visits[schema.PERSON_ID] == case_id]
    if rows.empty:
        raise ValueError(msg("case_id={case_id!r} has no rows in visits",
                             case_id=mask_person(case_id)))
    rows = rows.sort_values([start, schema.VENUE_ID], kind="stable")
    return rows, start, end if end in rows.columns else None


def trajectory_map(
    visits: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    case_id: Any = None,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw a case's trajectory in time order: numbered stops joined by a line.

    Parameters
    ----------
    visits : pandas.DataFrame
        Visits (``PERSON_ID, VENUE_ID, T_IN`` and optional ``T_OUT``) or scans
        (``PERSON_ID, VENUE_ID, SCANNED_AT`` and optional ``EXIT_AT``), tz-aware UTC.
    venues : pandas.DataFrame
        The venue registry: ``VENUE_ID, LON, LAT`` (WGS-84), and ``NAME``, ``ADDRESS``
        if present (shown escaped). Owner and applicant columns are never shown.
    case_id : optional
        The case to draw; needed when `visits` holds more than one person.
    m : folium.Map, optional
        Map to draw on; a new offline map if None (then `tiles`, `key` apply).
    lang : {"zh", "en"}, default "zh"
        Label language.
    tiles, key : str
        Tile source of a new map (:func:`tracelab.maps.tiles.tile_source`).
    townships : geopandas.GeoDataFrame, optional
        Township polygons to draw as the base outlines.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValueError
        If a column is missing, the case is ambiguous or has no rows, or a visited
        venue is not in `venues` or has no position.

    Notes
    -----
    The case is labelled by its masked id (first and last two characters).

    Examples
    --------
    >>> visits = pd.DataFrame({"person_id": ["c00000001"] * 3, "venue_id": ["v1", "v2", "v1"],
    ...     "t_in": pd.to_datetime(["2022-11-01T02:00Z", "2022-11-01T01:00Z",
    ...                             "2022-11-01T05:00Z"])})
    >>> venues = pd.DataFrame({"venue_id": ["v1", "v2"], "name": ["<b>超市</b>", "面馆"],
    ...     "lon": [114.05, 114.10], "lat": [27.62, 27.65]})
    >>> page = trajectory_map(visits, venues).get_root().render()
    >>> page.count('"className": "tl-stop"'), "&lt;b&gt;超市" in page, "<b>超市" in page
    (3, True, False)
    """
    folium = import_folium()
    rows, start, end = _case_visits(visits, case_id)
    person = rows[schema.PERSON_ID].iloc[0]
    placed = venue_points(venues, rows[schema.VENUE_ID].tolist(), "visits")
    target = target_map(m, lang, tiles, key, townships)
    lon, lat = to_map_frame(placed[schema.LON], placed[schema.LAT], target)
    # Leaflet's layer control writes layer names as HTML.
    shown = escape_text(mask_person(person))
    group = folium.FeatureGroup(name=f"{label('trajectory', lang)} {shown}")
    if len(rows) > 1:
        folium.PolyLine(list(zip(lat.tolist(), lon.tolist(), strict=True)), color=_TRACK_COLOUR,
                        weight=3, opacity=0.8, class_name="tl-track").add_to(group)
    ends = rows[end].tolist() if end else [None] * len(rows)
    for n, (name, address, t_in, t_out, y, x) in enumerate(zip(
            texts(placed, schema.NAME), texts(placed, schema.ADDRESS), rows[start].tolist(),
            ends, lat, lon, strict=True), start=1):
        until = local_time(t_out)
        when = local_time(t_in) + (f" – {until}" if until else "")
        popup = (f"<b>{label('stop', lang, n=n)}</b><br>{label('venue', lang)}: {name}<br>"
                 f"{label('address', lang)}: {address}<br>"
                 f"{label('time', lang)}: {escape_text(when)}")
        icon = folium.DivIcon(html=f'<div style="{_STOP_STYLE}">{n}</div>',
                              icon_size=(22, 22), icon_anchor=(11, 11), class_name="tl-stop")
        folium.Marker([float(y), float(x)], icon=icon, popup=folium.Popup(popup, max_width=320),
                      tooltip=folium.Tooltip(f"{n}. {name}")).add_to(group)
    group.add_to(target)
    if m is None:
        fit(target, lat, lon)
    return layer_control(target)


def heat_map(
    exposures: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    radius: int = 25,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw a heat layer of exposures: each venue weighted by the people exposed there.

    Parameters
    ----------
    exposures, venues : pandas.DataFrame
        As in :func:`tracelab.maps.venues.venue_map`.
    radius : int, default 25
        Heat blob radius in screen pixels.
    m, lang, tiles, key, townships
        As in :func:`trajectory_map`.

    Returns
    -------
    folium.Map
        Leaflet.heat is inlined from the copy folium ships.

    Examples
    --------
    >>> exp = pd.DataFrame({"contact_id": ["a", "b"], "venue_id": ["v1", "v1"]})
    >>> venues = pd.DataFrame({"venue_id": ["v1"], "lon": [114.05], "lat": [27.62]})
    >>> "L.heatLayer(" in heat_map(exp, venues).get_root().render()
    True
    """
    folium = import_folium()
    from folium.plugins import HeatMap

    per_venue = exposed_per_venue(exposures)
    placed = venue_points(venues, per_venue[schema.VENUE_ID].tolist(), "exposures")
    target = target_map(m, lang, tiles, key, townships)
    lon, lat = to_map_frame(placed[schema.LON], placed[schema.LAT], target)
    weights = per_venue[EXPOSED].to_numpy(dtype=float)
    top = weights.max() if len(weights) else 1.0
    data = [[round(float(y), 6), round(float(x), 6), round(float(w / top), 4)]
            for y, x, w in zip(lat, lon, weights, strict=True)]
    group = folium.FeatureGroup(name=label("heat", lang))
    HeatMap(data, radius=radius, blur=max(radius * 3 // 5, 1), min_opacity=0.3).add_to(group)
    group.add_to(target)
    if m is None:
        fit(target, lat, lon)
    return layer_control(target)
