"""Hand-checkable scenario for the exposure tests: 4 people, 2 venues, 1 case.

All times UTC (Asia/Shanghai is UTC+8, no DST). Case C1 (onset 2022-11-21 00:00,
window from 2022-11-19 00:00, isolated 2022-11-20 04:40):

- V1 supermarket (30 min dwell): C1 02:00, exit scan 02:30; P2 02:20 -> 02:50
  (overlap 10 min); P3 02:30 -> 03:00 (touches C1's exit: half-open no, closed yes);
  P4 01:00 -> 01:30 (before C1).
- V2 restaurant (60 min dwell): C1 04:00 -> 05:00, clipped at isolation to 04:40;
  P4 04:30 -> 05:30 (overlap 10 min, 04:30-04:40); P2 06:00 -> 07:00 and
  P3 06:30 -> 07:30. P3 is P2's hop-2 contact from P2's first exposure (02:20) on:
  20 min at V1 and 30 min at V2.
"""

from __future__ import annotations

import pandas as pd

from tracelab.model import schema as s

T0 = "2022-11-20"


def ts(hhmm: str, day: str = T0) -> pd.Timestamp:
    """A UTC timestamp on ``day`` at ``hhmm``."""
    return pd.Timestamp(f"{day} {hhmm}", tz="UTC")


def venue_types() -> pd.DataFrame:
    """A small inline venue-type table with the reference columns."""
    return pd.DataFrame({
        s.TYPE_CODE: ["supermarket", "restaurant", "village", "pharmacy", "enterprise"],
        s.NAME_ZH: ["超市", "餐饮门店", "村", "药店", "企业"],
        s.NAME_EN: ["Supermarket", "Restaurant", "Village", "Pharmacy", "Enterprise"],
        s.DWELL_MIN: [30, 60, 720, 10, 480],
        s.WEIGHT: [1.0, 1.5, 0.3, 1.0, 1.2],
        s.RESIDENCE: [False, False, True, False, False],
    })


def venues() -> pd.DataFrame:
    """Two venues."""
    return pd.DataFrame({
        s.VENUE_ID: ["V1", "V2"], s.VENUE_TYPE: ["supermarket", "restaurant"],
        s.LON: [114.05, 114.06], s.LAT: [27.63, 27.64],
    })


def scans() -> pd.DataFrame:
    """The scan log of the scenario (see module docstring)."""
    rows = [
        ("C1", "V1", "02:00", "02:30"), ("P2", "V1", "02:20", None),
        ("P3", "V1", "02:30", None), ("P4", "V1", "01:00", None),
        ("C1", "V2", "04:00", None), ("P4", "V2", "04:30", None),
        ("P2", "V2", "06:00", None), ("P3", "V2", "06:30", None),
    ]
    return pd.DataFrame({
        s.PERSON_ID: [r[0] for r in rows],
        s.VENUE_ID: [r[1] for r in rows],
        s.SCANNED_AT: pd.DatetimeIndex([ts(r[2]) for r in rows]),
        s.CODE_COLOUR: s.GREEN,
        s.METHOD: s.SELF,
        s.EXIT_AT: pd.to_datetime([f"{T0} {r[3]}" if r[3] else None for r in rows], utc=True),
        s.DEVICE_LON: float("nan"),
        s.DEVICE_LAT: float("nan"),
        s.MERGED_SCANS: 1,
    })


def cases() -> pd.DataFrame:
    """The single case C1."""
    return pd.DataFrame({
        s.PERSON_ID: ["C1"],
        s.KIND: [s.CONFIRMED],
        s.ONSET_AT: pd.DatetimeIndex([ts("00:00", "2022-11-21")]),
        s.SAMPLED_AT: pd.DatetimeIndex([ts("01:00", "2022-11-21")]),
        s.CONFIRMED_AT: pd.DatetimeIndex([ts("06:00", "2022-11-21")]),
        s.ISOLATED_AT: pd.DatetimeIndex([ts("04:40")]),
        s.FOUND_BY_SCREENING: [False],
        s.LAST_NEGATIVE_AT: pd.to_datetime([None], utc=True),
    })
