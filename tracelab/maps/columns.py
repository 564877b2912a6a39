"""The columns and values the maps read, by the names the map modules use.

Every value is defined in :mod:`tracelab.model.schema`; this module only names the subset
the maps draw from, so that a map module's imports say what it needs.
"""

from __future__ import annotations

from tracelab.model.schema import (
    AREA_REASON,
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
from tracelab.model.schema import STATUS as AREA_STATUS

__all__ = [
    "AREA_REASON", "AREA_STATUS", "CONTACTS", "DAY", "DESIGNATED_ON", "EXPOSED", "GEOMETRY",
    "HIGH", "LEVEL", "LEVELS", "LIFTED", "LIFTS_ON", "LOW", "MEDIUM", "TIER", "TIERS",
]
