"""Offline folium maps: trajectories, exposure venues, risk areas, townships, heat and replay.

Every map renders as one self-contained page (Leaflet, jQuery and the heat plugin
inlined from installed packages), labelled in Chinese by default (``lang="en"`` for
English). Registration text is escaped; people appear only as masked ids. folium is
imported only when a map is drawn.
"""

from __future__ import annotations

from tracelab.maps.areas import (
    LEVEL_COLOURS,
    contacts_per_township,
    risk_area_map,
    township_map,
)
from tracelab.maps.assets import (
    assert_offline,
    asset_versions,
    external_refs,
    inline_assets,
    offline,
)
from tracelab.maps.base import add_outlines, base_map
from tracelab.maps.columns import (
    AREA_REASON,
    AREA_STATUS,
    CONTACTS,
    DAY,
    DESIGNATED_ON,
    EXPOSED,
    GEOMETRY,
    HIGH,
    LEVEL,
    LEVELS,
    LIFTED,
    LIFTS_ON,
    LOW,
    MEDIUM,
    TIER,
    TIERS,
)
from tracelab.maps.labels import LANGS, escape_text, label
from tracelab.maps.layers import (
    TIER_COLOURS,
    exposed_per_venue,
    heat_map,
    trajectory_map,
    venue_map,
)
from tracelab.maps.replay import exposures_by_day, replay_map
from tracelab.maps.tiles import TILES, TileSource, map_frame, tile_source

__all__ = [
    # map kinds
    "base_map",
    "trajectory_map",
    "venue_map",
    "risk_area_map",
    "township_map",
    "heat_map",
    "replay_map",
    "add_outlines",
    # the numbers they draw
    "exposed_per_venue",
    "contacts_per_township",
    "exposures_by_day",
    # offline pages
    "offline",
    "inline_assets",
    "external_refs",
    "assert_offline",
    "asset_versions",
    # tiles and labels
    "TILES",
    "TileSource",
    "tile_source",
    "map_frame",
    "LANGS",
    "label",
    "escape_text",
    # input columns and values
    "LEVEL",
    "AREA_REASON",
    "DESIGNATED_ON",
    "LIFTS_ON",
    "AREA_STATUS",
    "LIFTED",
    "GEOMETRY",
    "TIER",
    "HIGH",
    "MEDIUM",
    "LOW",
    "LEVELS",
    "TIERS",
    "EXPOSED",
    "CONTACTS",
    "DAY",
    "LEVEL_COLOURS",
    "TIER_COLOURS",
]
