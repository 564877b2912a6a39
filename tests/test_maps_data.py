"""Hand-checkable map inputs shared by test_maps.py and test_maps_browser.py (no tests here).

Six venues in three townships of the synthetic county, one case with four stops, eight
exposure rows (five distinct contacts, three of them close contacts) over three local
days, the contacts' residences, and three risk areas.
Venue names include script injections; owner and applicant columns carry personal data
that must never reach a map.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPolygon, box

from tracelab.maps import AREA_REASON, DESIGNATED_ON, LEVEL, LIFTS_ON, TIER
from tracelab.model import schema
from tracelab.model.regions import region

XSS_NAME = "<img src=x onerror=alert(1)>"
LITERAL_NAME = "`${alert(2)}`\\u0041"
OWNER_NAME = "张三丰"
PHONE = "13912345678"
RESIDENT_ID = "11010519491231002X"
CASE_ID = "case-0000017"
CONTACTS = ["p-0000101", "p-0000102", "p-0000103", "p-0000104", "p-0000105"]


def townships() -> gpd.GeoDataFrame:
    table = region("360323").township_polygons()[[schema.TOWNSHIP_CODE, schema.TOWNSHIP, "geometry"]]
    return gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326")


def venues() -> pd.DataFrame:
    t = townships()
    codes = t[schema.TOWNSHIP_CODE].tolist()
    spots = [t.geometry.iloc[i].representative_point() for i in (0, 0, 1, 1, 2, 2)]
    offsets = [(0.0, 0.0), (0.01, 0.006), (0.0, 0.0), (-0.01, 0.005), (0.0, 0.0), (0.008, -0.006)]
    return pd.DataFrame({
        schema.VENUE_ID: ["v1", "v2", "v3", "v4", "v5", "v6"],
        schema.NAME: [XSS_NAME, "芦溪超市", LITERAL_NAME, "宣风面馆", "银河菜场", "未访问药店"],
        schema.OWNER_NAME: [OWNER_NAME] * 6,
        schema.OWNER_ID: [RESIDENT_ID] * 6,
        schema.APPLICANT_PHONE: [PHONE] * 6,
        schema.TOWNSHIP_CODE: [codes[i] for i in (0, 0, 1, 1, 2, 2)],
        schema.LON: [p.x + dx for p, (dx, _) in zip(spots, offsets, strict=True)],
        schema.LAT: [p.y + dy for p, (_, dy) in zip(spots, offsets, strict=True)],
        schema.ADDRESS: ["<script>alert(3)</script>路1号", "正街2号", "村口", "新街", "河边",
                         "东路"],
    })


def visits() -> pd.DataFrame:
    """The case's four stops (out of time order on purpose) and one other person's visit."""
    return pd.DataFrame({
        schema.PERSON_ID: [CASE_ID] * 4 + ["p-0000101"],
        schema.VENUE_ID: ["v3", "v1", "v5", "v2", "v4"],
        schema.T_IN: pd.to_datetime(["2022-11-02T03:00Z", "2022-11-01T02:00Z",
                                     "2022-11-03T01:00Z", "2022-11-01T05:00Z",
                                     "2022-11-01T05:00Z"]),
        schema.T_OUT: pd.to_datetime(["2022-11-02T04:00Z", "2022-11-01T03:00Z",
                                      "2022-11-03T02:00Z", "2022-11-01T06:00Z",
                                      "2022-11-01T06:00Z"]),
    })


def exposures(tiers: bool = True) -> pd.DataFrame:
    """Eight rows: v1 has 3 distinct contacts, v3 2, v5 1, v2 1; days 11-01, 11-02, 11-03.

    Close-contact rows: 101 and 102 at v1, 104 at v3; the others are venue co-exposures.
    """
    frame = pd.DataFrame({
        schema.CASE_ID: [CASE_ID] * 7,
        schema.CONTACT_ID: [CONTACTS[i] for i in (0, 1, 2, 0, 3, 4, 1)],
        schema.VENUE_ID: ["v1", "v1", "v1", "v1", "v3", "v3", "v5"],
        schema.OVERLAP_START: pd.to_datetime([
            "2022-11-01T02:10Z", "2022-11-01T02:20Z", "2022-11-01T02:30Z", "2022-11-01T02:40Z",
            "2022-11-02T03:10Z", "2022-11-02T03:20Z", "2022-11-03T01:10Z"]),
    })
    frame = pd.concat([frame, pd.DataFrame({
        schema.CASE_ID: [CASE_ID], schema.CONTACT_ID: [CONTACTS[4]], schema.VENUE_ID: ["v2"],
        schema.OVERLAP_START: pd.to_datetime(["2022-11-01T05:10Z"])})], ignore_index=True)
    frame[schema.CATEGORY] = [schema.CLOSE_CONTACT if i in (0, 1, 4) else schema.CO_EXPOSURE
                              for i in range(len(frame))]
    if tiers:
        frame[TIER] = ["monitor", "call_today", "monitor", "monitor", "within_24h", "monitor",
                       "monitor", "monitor"]
    return frame


def persons() -> pd.DataFrame:
    """Residences: 101 in township 0, 102 in township 2, 103 in township 1, 104 outside the
    county; 105 has no row. Names and phones are there to be left unread."""
    codes = townships()[schema.TOWNSHIP_CODE].tolist()
    return pd.DataFrame({
        schema.PERSON_ID: CONTACTS[:4],
        schema.TOWNSHIP_CODE: [codes[0], codes[2], codes[1], "360000000"],
        "name": [OWNER_NAME] * 4,
        "phone": [PHONE] * 4,
    })


def areas() -> gpd.GeoDataFrame:
    v = venues().set_index(schema.VENUE_ID)
    x1, y1 = v.loc["v1", schema.LON], v.loc["v1", schema.LAT]
    x3, y3 = v.loc["v3", schema.LON], v.loc["v3", schema.LAT]
    high = box(x1 - 0.004, y1 - 0.003, x1 + 0.004, y1 + 0.003)
    medium = MultiPolygon([box(x3 - 0.006, y3 - 0.004, x3 + 0.006, y3 + 0.004),
                           box(x3 + 0.01, y3 - 0.004, x3 + 0.02, y3 + 0.004)])
    low = townships().geometry.union_all().difference(high.union(medium))
    return gpd.GeoDataFrame({
        LEVEL: ["low", "high", "medium"],
        AREA_REASON: ["县内其他区域", f"病例居住 {XSS_NAME}", "病例工作场所"],
        DESIGNATED_ON: [dt.date(2022, 11, 3)] * 3,
        LIFTS_ON: [None, dt.date(2022, 11, 10), dt.date(2022, 11, 8)],
    }, geometry=[low, high, medium], crs="EPSG:4326")
