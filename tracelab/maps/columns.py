"""Column names and values of the map inputs that schema.py does not define (yet)."""

from __future__ import annotations

__all__ = [
    "LEVEL",
    "AREA_REASON",
    "DESIGNATED_ON",
    "LIFTS_ON",
    "GEOMETRY",
    "TIER",
    "AREA_STATUS",
    "LIFTED",
    "HIGH",
    "MEDIUM",
    "LOW",
    "LEVELS",
    "TIERS",
    "EXPOSED",
    "CONTACTS",
    "DAY",
]

# --- risk areas (a GeoDataFrame, one row per area) ---------------------------------
LEVEL = "level"  # str: one of LEVELS
AREA_REASON = "reason"  # str: why the area was designated (may quote registration text)
DESIGNATED_ON = "designated_on"  # date or datetime64: day the area was designated
LIFTS_ON = "lifts_on"  # date or datetime64 or NaT: day it lifts if no new case appears
GEOMETRY = "geometry"  # shapely Polygon or MultiPolygon, WGS-84 lon/lat degrees
AREA_STATUS = "status"  # str, optional: "active" or LIFTED (tracelab.areas, include_lifted)
LIFTED = "lifted"

# --- exposures (optional column added by contact ranking) ---------------------------
TIER = "tier"  # str: one of TIERS, the contact's call priority

# --- derived counts drawn on the maps ------------------------------------------------
EXPOSED = "exposed"  # int64: distinct contacts exposed (per venue, or per venue and day)
CONTACTS = "contacts"  # int64: distinct contacts exposed at venues of a township
DAY = "day"  # str: local day (Asia/Shanghai), YYYY-MM-DD

HIGH, MEDIUM, LOW = "high", "medium", "low"
#: Risk-area levels, most severe first.
LEVELS = (HIGH, MEDIUM, LOW)
#: Default call-priority tiers, most urgent first (call today / within 24 hours / monitor).
TIERS = ("call_today", "within_24h", "monitor")
