"""Exposure venues: people exposed per venue, drawn sized by count and coloured by tier.

At low zoom nearby venues merge into clusters that show their count (and the ranks of the
ranked venues inside); zooming in splits them. Ranked venues carry their rank number, the
same as the briefing's table of top venues.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.maps._common import add_legend, check_columns, fit, layer_control, texts, venue_points
from tracelab.maps._scripts import add_call
from tracelab.maps.assets import import_folium
from tracelab.maps.base import target_map
from tracelab.maps.columns import EXPOSED, TIER, TIERS
from tracelab.maps.labels import escape_text, label, mask_person
from tracelab.maps.tiles import to_map_frame
from tracelab.model import schema

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from tracelab.maps.tiles import TileSource

__all__ = ["venue_map", "exposed_per_venue", "TIER_COLOURS", "CLUSTER_PX", "SPLIT_ZOOM"]

#: Marker colours of the call-priority tiers, most urgent first.
TIER_COLOURS = ("#c0392b", "#e67e22", "#2874a6")
#: Venues closer than this many screen pixels merge into one cluster.
CLUSTER_PX = 40
#: From this zoom on (about 1:9,000, a few streets) every venue is drawn by itself.
SPLIT_ZOOM = 16
_OTHER_TIER_COLOUR = "#7f8c8d"
_MIN_RADIUS, _MAX_RADIUS = 5.0, 24.0


def _tier_rank(exposures: pd.DataFrame, tier_order: Sequence[Any]) -> pd.Series:
    order = {t: i for i, t in enumerate(tier_order)}
    tiers = exposures[TIER]
    unknown = sorted(set(map(str, pd.unique(tiers[~tiers.isin(list(order))]))))
    if unknown:
        raise ValueError(msg("exposures column {column!r} has value(s) {unknown} outside "
                             "tier_order={order}; pass tier_order= with every tier, most urgent "
                             "first", column=TIER, unknown=unknown[:10], order=list(tier_order)))
    return tiers.map(order).astype("int64")


def _with_tiers(exposures: pd.DataFrame, contact_tiers: pd.DataFrame | None) -> pd.DataFrame:
    if contact_tiers is None:
        return exposures
    check_columns(contact_tiers, (schema.CONTACT_ID, TIER), "contact_tiers")
    if TIER in exposures.columns:
        raise ValueError(msg("exposures already has a {column!r} column; pass either it or "
                             "contact_tiers, not both", column=TIER))
    ids = contact_tiers[schema.CONTACT_ID]
    if ids.duplicated().any():
        raise ValueError(msg("contact_tiers lists {n} contact(s) twice; give one tier per "
                             "contact (e.g. the rank_contacts table)",
                             n=int(ids.duplicated().sum())))
    tiers = contact_tiers.set_index(schema.CONTACT_ID)[TIER]
    missing = pd.Index(pd.unique(exposures[schema.CONTACT_ID])).difference(tiers.index)
    if len(missing):
        raise ValueError(msg("contact_tiers lacks {n} contact(s) of exposures, e.g. "
                             "{example!r}; rank every exposed contact", n=len(missing),
                             example=mask_person(missing[0])))
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
    ranks: Mapping[Any, int] | None = None,
    cluster: bool = True,
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
    ranks : mapping, optional
        Venue id -> rank number (e.g. the briefing's top venues): these venues are drawn
        as numbered badges (class ``tl-venue-rank``) in the tier colour, on top.
    cluster : bool, default True
        Below zoom :data:`SPLIT_ZOOM`, merge venues closer than :data:`CLUSTER_PX`
        pixels into a cluster (class ``tl-cluster``) showing how many venues it holds
        and the ranks among them; a click zooms in, which splits it.
    m, lang, tiles, key, townships
        As in :func:`tracelab.maps.layers.trajectory_map`.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValueError
        If a column is missing, a tier is outside `tier_order`, a venue is unknown or
        unplaced, or a rank is not a positive integer.

    Examples
    --------
    >>> exp = pd.DataFrame({"contact_id": ["a", "b", "c"], "venue_id": ["v1", "v1", "v2"]})
    >>> venues = pd.DataFrame({"venue_id": ["v1", "v2"], "name": ["超市", "面馆"],
    ...     "lon": [114.05, 114.10], "lat": [27.62, 27.65]})
    >>> page = venue_map(exp, venues, ranks={"v2": 1}, lang="en").get_root().render()
    >>> page.count('"lat": '), "面馆 (1)" in page, '"k": 1' in page
    (2, True, True)
    """
    folium = import_folium()
    per_venue = exposed_per_venue(exposures, contact_tiers=contact_tiers, tier_order=tier_order)
    ranked = _check_ranks(ranks)
    # Ranked venues first, by rank: they seed the clusters and are drawn on top.
    order = per_venue[schema.VENUE_ID].map(ranked).fillna(np.inf).to_numpy()
    per_venue = per_venue.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
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
    tier_lines = ([f"<br>{label('tier', lang)}: {escape_text(label(str(t), lang))}"
                   for t in per_venue[TIER].tolist()]
                  if TIER in per_venue.columns else [""] * len(per_venue))
    names, addresses = texts(placed, schema.NAME), texts(placed, schema.ADDRESS)
    points = []
    for i, (venue, name) in enumerate(zip(per_venue[schema.VENUE_ID], names, strict=True)):
        rank = ranked.get(venue, 0)
        heading = f"{label('rank', lang, k=rank)}<br>" if rank else ""
        popup = (f"{heading}<b>{name}</b><br>{label('address', lang)}: {addresses[i]}"
                 f"<br>{label('exposed', lang)}: {int(counts[i])}{tier_lines[i]}")
        tip = f"{rank}. {name} ({int(counts[i])})" if rank else f"{name} ({int(counts[i])})"
        points.append({"lat": round(float(lat[i]), 6), "lon": round(float(lon[i]), 6),
                       "r": round(float(radii[i]), 1), "c": colours[i], "p": popup,
                       "t": tip, "k": rank, "v": escape_text(venue)})
    sep = label("rank_sep", lang)
    add_call(target, group, "venues", points,
             {"cell": CLUSTER_PX if cluster else 0, "splitZoom": SPLIT_ZOOM,
              # our own label templates: "{n}" and "{ranks}" are filled in by the script
              "text": label("cluster", lang), "rankedText": label("cluster_ranked", lang),
              "sep": sep},
             tag="tl-venues")
    group.add_to(target)
    notes = ([label("rank_note", lang)] if ranked else []) + (
        [label("cluster_note", lang)] if cluster else [])
    if TIER in per_venue.columns:
        add_legend(target, label("tier", lang),
                   [(colour_of[t], label(str(t), lang)) for t in tier_order],
                   name="tl_legend_tier", note=notes)
    if m is None:
        fit(target, lat, lon)
    return layer_control(target)


def _check_ranks(ranks: Mapping[Any, int] | None) -> dict[Any, int]:
    if ranks is None:
        return {}
    out = {}
    for venue, rank in ranks.items():
        if isinstance(rank, bool) or not isinstance(rank, int | np.integer) or rank < 1:
            raise ValueError(msg("ranks gives venue {venue!r} the rank {rank!r}; ranks are "
                                 "positive integers (1 = first)", venue=venue, rank=rank))
        out[venue] = int(rank)
    return out
