"""Point map kinds: a case trajectory, exposure venues by people exposed, and a heat layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab.maps._common import (
    add_legend,
    add_points,
    check_columns,
    fit,
    layer_control,
    texts,
    venue_points,
)
from tracelab.maps.assets import import_folium
from tracelab.maps.base import target_map
from tracelab.maps.columns import EXPOSED, TIER, TIERS
from tracelab.maps.labels import escape_text, label, local_time, mask_person
from tracelab.maps.tiles import to_map_frame
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from tracelab.maps.tiles import TileSource

__all__ = ["trajectory_map", "venue_map", "heat_map", "exposed_per_venue", "TIER_COLOURS"]

#: Marker colours of the call-priority tiers, most urgent first.
TIER_COLOURS = ("#c0392b", "#e67e22", "#2874a6")
_TRACK_COLOUR = "#6c3483"
_OTHER_TIER_COLOUR = "#7f8c8d"
_MIN_RADIUS, _MAX_RADIUS = 5.0, 24.0
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
        raise ValueError(f"visits needs {schema.T_IN!r} (visits) or {schema.SCANNED_AT!r} "
                         f"(scans); it has {list(visits.columns)}")
    people = pd.unique(visits[schema.PERSON_ID])
    if case_id is None:
        if len(people) != 1:
            raise ValueError(f"visits holds {len(people)} people; pass case_id= to choose "
                             "the case whose trajectory to draw")
        case_id = people[0]
    rows = visits[visits[schema.PERSON_ID] == case_id]
    if rows.empty:
        raise ValueError(f"case_id={mask_person(case_id)!r} has no rows in visits")
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


def _tier_rank(exposures: pd.DataFrame, tier_order: Sequence[Any]) -> pd.Series:
    order = {t: i for i, t in enumerate(tier_order)}
    tiers = exposures[TIER]
    unknown = sorted(set(map(str, pd.unique(tiers[~tiers.isin(list(order))]))))
    if unknown:
        raise ValueError(f"exposures column {TIER!r} has value(s) {unknown[:10]} outside "
                         f"tier_order={list(tier_order)}; pass tier_order= with every tier, "
                         "most urgent first")
    return tiers.map(order).astype("int64")


def _with_tiers(exposures: pd.DataFrame, contact_tiers: pd.DataFrame | None) -> pd.DataFrame:
    if contact_tiers is None:
        return exposures
    check_columns(contact_tiers, (schema.CONTACT_ID, TIER), "contact_tiers")
    if TIER in exposures.columns:
        raise ValueError(f"exposures already has a {TIER!r} column; pass either it or "
                         "contact_tiers, not both")
    ids = contact_tiers[schema.CONTACT_ID]
    if ids.duplicated().any():
        raise ValueError(f"contact_tiers lists {int(ids.duplicated().sum())} contact(s) twice; "
                         "give one tier per contact (e.g. the rank_contacts table)")
    tiers = contact_tiers.set_index(schema.CONTACT_ID)[TIER]
    missing = pd.Index(pd.unique(exposures[schema.CONTACT_ID])).difference(tiers.index)
    if len(missing):
        raise ValueError(f"contact_tiers lacks {len(missing)} contact(s) of exposures, e.g. "
                         f"{mask_person(missing[0])!r}; rank every exposed contact")
    return exposures.assign(**{TIER: exposures[schema.CONTACT_ID].map(tiers).to_numpy()})


def exposed_per_venue(
    exposures: pd.DataFrame,
    *,
    contact_tiers: pd.DataFrame | None = None,
    tier_order: Sequence[Any] = TIERS,
) -> pd.DataFrame:
    """Count the distinct people exposed at each venue, with its most urgent tier.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``CONTACT_ID, VENUE_ID``, and optionally ``TIER`` (the contact's call priority).
    contact_tiers : pandas.DataFrame, optional
        ``CONTACT_ID, TIER``, one row per contact (such as the table of
        ``tracelab.analysis.ranking.rank_contacts``): the tiers, when `exposures` has none.
    tier_order : sequence, default ``TIERS``
        Tier values, most urgent first.

    Returns
    -------
    pandas.DataFrame
        ``VENUE_ID``, ``EXPOSED`` (distinct contacts) and, if `exposures` has
        ``TIER``, ``TIER`` (the most urgent tier among the venue's rows); sorted by
        exposed, descending, then venue id.

    Raises
    ------
    ValueError
        If a column is missing, a tier is outside `tier_order`, or `contact_tiers`
        repeats a contact, misses one, or comes with a ``TIER`` column in `exposures`.

    Examples
    --------
    >>> exp = pd.DataFrame({"contact_id": ["a", "b", "a", "c"],
    ...                     "venue_id": ["v1", "v1", "v1", "v2"],
    ...                     "tier": ["monitor", "call_today", "monitor", "within_24h"]})
    >>> exposed_per_venue(exp)
      venue_id  exposed        tier
    0       v1        2  call_today
    1       v2        1  within_24h
    >>> ranked = pd.DataFrame({"contact_id": ["a", "b", "c"],
    ...                        "tier": ["monitor", "monitor", "call_today"]})
    >>> exposed_per_venue(exp.drop(columns="tier"), contact_tiers=ranked)["tier"].tolist()
    ['monitor', 'call_today']
    """
    check_columns(exposures, (schema.CONTACT_ID, schema.VENUE_ID), "exposures")
    exposures = _with_tiers(exposures, contact_tiers)
    counts = (exposures.groupby(schema.VENUE_ID, sort=False)[schema.CONTACT_ID].nunique()
              .rename(EXPOSED))
    out = counts.reset_index()
    if TIER in exposures.columns:
        rank = exposures.assign(_rank=_tier_rank(exposures, tier_order))
        best = rank.groupby(schema.VENUE_ID, sort=False)["_rank"].min()
        out[TIER] = [tier_order[i] for i in best.loc[out[schema.VENUE_ID]]]
    out = out.sort_values([EXPOSED, schema.VENUE_ID], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def _count_colours(counts: np.ndarray) -> list[str]:
    from branca.colormap import linear

    low, high = float(counts.min()), float(counts.max())
    # branca sets one attribute per scheme at run time; its annotations do not know them.
    scale = linear.YlOrRd_09.scale(  # type: ignore[attr-defined]
        low, high if high > low else low + 1)
    return [scale(float(c)) for c in counts]


def venue_map(
    exposures: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    contact_tiers: pd.DataFrame | None = None,
    tier_order: Sequence[Any] = TIERS,
    m: folium.Map | None = None,
    lang: str = "zh",
    tiles: str | TileSource = "none",
    key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw exposure venues as circles sized by people exposed, coloured by tier.

    Parameters
    ----------
    exposures : pandas.DataFrame
        Exposure rows (``CONTACT_ID, VENUE_ID``; optional ``TIER``).
    venues : pandas.DataFrame
        The venue registry (``VENUE_ID, LON, LAT``; ``NAME``, ``ADDRESS`` shown escaped).
    contact_tiers : pandas.DataFrame, optional
        ``CONTACT_ID, TIER`` per contact, see :func:`exposed_per_venue`.
    tier_order : sequence, default ``TIERS``
        Tier values, most urgent first; a venue takes its most urgent contact's tier.
        Without a ``TIER`` column circles are coloured by the number exposed.
    m, lang, tiles, key, townships
        As in :func:`trajectory_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValueError
        If a column is missing, a tier is outside `tier_order`, or a venue is unknown
        or unplaced.

    Examples
    --------
    >>> exp = pd.DataFrame({"contact_id": ["a", "b", "c"], "venue_id": ["v1", "v1", "v2"]})
    >>> venues = pd.DataFrame({"venue_id": ["v1", "v2"], "name": ["超市", "面馆"],
    ...     "lon": [114.05, 114.10], "lat": [27.62, 27.65]})
    >>> page = venue_map(exp, venues, lang="en").get_root().render()
    >>> page.count('"lat": '), "面馆 (1)" in page
    (2, True)
    """
    folium = import_folium()
    per_venue = exposed_per_venue(exposures, contact_tiers=contact_tiers, tier_order=tier_order)
    placed = venue_points(venues, per_venue[schema.VENUE_ID].tolist(), "exposures")
    target = target_map(m, lang, tiles, key, townships)
    lon, lat = to_map_frame(placed[schema.LON], placed[schema.LAT], target)
    counts = per_venue[EXPOSED].to_numpy()
    top = max(int(counts.max()), 1) if len(counts) else 1
    radii = _MIN_RADIUS + (_MAX_RADIUS - _MIN_RADIUS) * np.sqrt(counts / top)
    if TIER in per_venue.columns:
        # Tiers past the third (a custom tier_order) share a neutral grey.
        palette = list(TIER_COLOURS) + [_OTHER_TIER_COLOUR] * max(len(tier_order) - 3, 0)
        colour_of = dict(zip(tier_order, palette, strict=False))
        colours = [colour_of[t] for t in per_venue[TIER]]
    else:
        colours = _count_colours(counts) if len(counts) else []
    group = folium.FeatureGroup(name=label("exposure_venues", lang))
    points = []
    tier_lines = ([f"<br>{label('tier', lang)}: {escape_text(label(str(t), lang))}"
                   for t in per_venue[TIER].tolist()]
                  if TIER in per_venue.columns else [""] * len(per_venue))
    names, addresses = texts(placed, schema.NAME), texts(placed, schema.ADDRESS)
    for i, name in enumerate(names):
        popup = (f"<b>{name}</b><br>{label('address', lang)}: {addresses[i]}"
                 f"<br>{label('exposed', lang)}: {int(counts[i])}{tier_lines[i]}")
        points.append({"lat": round(float(lat[i]), 6), "lon": round(float(lon[i]), 6),
                       "r": round(float(radii[i]), 1), "c": colours[i], "p": popup,
                       "t": f"{name} ({int(counts[i])})"})
    add_points(group, points, "tl-venue")
    group.add_to(target)
    if TIER in per_venue.columns:
        add_legend(target, label("tier", lang),
                   [(colour_of[t], label(str(t), lang)) for t in tier_order],
                   name="tl_legend_tier")
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
        As in :func:`venue_map`.
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
