"""Offline folium maps: trajectories, exposure venues, risk areas, townships, heat and replay.

Every map renders as one self-contained page (Leaflet, jQuery and the heat plugin
inlined from installed packages, and tracelab's own small scripts for venue clusters,
risk-area marks and labels), labelled in Chinese by default (``lang="en"`` for
English). Registration text is escaped; people appear only as masked ids or counts.
folium is imported only when a map is drawn.
"""

from __future__ import annotations

from tracelab.maps.areas import LEVEL_COLOURS, MIN_MARK_PX, area_radii, risk_area_map
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
from tracelab.maps.layers import heat_map, trajectory_map
from tracelab.maps.replay import exposures_by_day, replay_map
from tracelab.maps.tiles import TILES, TileSource, map_frame, tile_source
from tracelab.maps.townships import (
    CHOROPLETH_COLOURS,
    contacts_per_township,
    count_title,
    township_classes,
    township_map,
)
from tracelab.maps.venues import (
    CLUSTER_PX,
    SPLIT_ZOOM,
    TIER_COLOURS,
    exposed_per_venue,
    venue_map,
)

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
    "township_classes",
    "count_title",
    "area_radii",
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
    "CHOROPLETH_COLOURS",
    "MIN_MARK_PX",
    "CLUSTER_PX",
    "SPLIT_ZOOM",
]
