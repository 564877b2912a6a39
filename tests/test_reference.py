"""Tests for tracelab.model.reference: the venue-type and township tables and county helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tracelab.model import reference
from tracelab.model.reference import (
    BASIS,
    COUNTY_EXTENT,
    CROWDING,
    CROWDING_LEVELS,
    INDOOR,
    SEAT_IS_SYNTHETIC,
    in_county,
    township_code,
    townships,
    venue_type_code,
    venue_type_codes,
    venue_types,
)
from tracelab.model.schema import (
    DWELL_MIN,
    NAME_EN,
    NAME_ZH,
    RESIDENCE,
    SEAT_LAT,
    SEAT_LON,
    TOWNSHIP,
    TOWNSHIP_CODE,
    TOWNSHIP_KIND,
    TYPE_CODE,
    WEIGHT,
)

# DOMAIN §7.3 types with their §11.2 assumed dwell (minutes); None = overnight residence.
DOMAIN_DWELL = {
    "居民小区": None,
    "村": None,
    "学校": 480,
    "企业": 480,
    "农贸商场": 45,
    "大型商场": 90,
    "超市": 30,
    "餐饮门店": 60,
    "医院": 120,
    "药店": 10,
    "地铁公交": 30,
}

# DOMAIN §7.2, 2022 codes.
DOMAIN_TOWNSHIPS = {
    "360323101": ("芦溪镇", "镇"),
    "360323102": ("宣风镇", "镇"),
    "360323103": ("上埠镇", "镇"),
    "360323104": ("南坑镇", "镇"),
    "360323105": ("银河镇", "镇"),
    "360323106": ("麻田镇", "镇"),
    "360323200": ("源南乡", "乡"),
    "360323201": ("长丰乡", "乡"),
    "360323202": ("张佳坊乡", "乡"),
    "360323203": ("新泉乡", "乡"),
    "360323204": ("万龙山乡", "乡"),
}

# DOMAIN §7.2 synthetic seats (lat, lon).
DOMAIN_SEATS = {
    "360323101": (27.630, 114.030),
    "360323102": (27.665, 114.165),
    "360323103": (27.570, 114.030),
    "360323104": (27.480, 114.050),
    "360323105": (27.720, 114.110),
    "360323106": (27.520, 114.120),
    "360323200": (27.700, 114.000),
    "360323201": (27.660, 113.960),
    "360323202": (27.500, 113.980),
    "360323203": (27.450, 114.150),
    "360323204": (27.570, 114.200),
}


def test_venue_types_columns_dtypes_and_completeness():
    vt = venue_types()
    assert list(vt.columns) == [
        TYPE_CODE, NAME_ZH, NAME_EN, DWELL_MIN, WEIGHT, INDOOR, CROWDING, RESIDENCE, BASIS,
    ]
    for col in (TYPE_CODE, NAME_ZH, NAME_EN, BASIS):
        assert pd.api.types.is_string_dtype(vt[col]), col
    assert vt[DWELL_MIN].dtype == np.int64
    assert vt[WEIGHT].dtype == np.float64
    assert vt[INDOOR].dtype == bool
    assert vt[RESIDENCE].dtype == bool
    assert list(vt[CROWDING].cat.categories) == list(CROWDING_LEVELS)
    assert vt[CROWDING].cat.ordered
    assert not vt.isna().any().any()
    assert vt[TYPE_CODE].is_unique and vt[NAME_ZH].is_unique
    assert vt[TYPE_CODE].str.fullmatch(r"[a-z_]+").all()
    assert (vt[DWELL_MIN] > 0).all() and (vt[WEIGHT] > 0).all()


def test_every_domain_type_present_with_its_dwell():
    vt = venue_types().set_index(NAME_ZH)
    for name, dwell in DOMAIN_DWELL.items():
        assert name in vt.index, name
        row = vt.loc[name]
        if dwell is None:
            assert row[RESIDENCE] and row[DWELL_MIN] == 720
        else:
            assert not row[RESIDENCE] and row[DWELL_MIN] == dwell
            assert "DOMAIN §11.2" in row[BASIS]
    # Only the two domain residences are homes; added types are marked design defaults.
    assert set(vt.index[vt[RESIDENCE]]) == {"居民小区", "村"}
    extra = vt.drop(index=list(DOMAIN_DWELL))
    assert extra[BASIS].str.startswith("type: design default").all()


def test_weights_follow_their_rationale():
    vt = venue_types().set_index(TYPE_CODE)
    assert vt.loc["supermarket", WEIGHT] == 1.0
    assert vt.loc["restaurant", WEIGHT] > vt.loc["farmers_market", WEIGHT]
    assert not vt.loc["farmers_market", INDOOR]
    assert vt[BASIS].str.contains("weight: design default").all()


def test_townships_are_exactly_the_domain_eleven():
    ts = townships()
    assert list(ts.columns) == [
        TOWNSHIP_CODE, TOWNSHIP, TOWNSHIP_KIND, SEAT_LAT, SEAT_LON, SEAT_IS_SYNTHETIC, BASIS,
    ]
    assert pd.api.types.is_string_dtype(ts[TOWNSHIP_CODE])
    assert ts[SEAT_LAT].dtype == np.float64 and ts[SEAT_LON].dtype == np.float64
    assert ts[SEAT_IS_SYNTHETIC].dtype == bool and ts[SEAT_IS_SYNTHETIC].all()
    assert not ts.isna().any().any()
    got = {c: (n, k) for c, n, k in zip(
        ts[TOWNSHIP_CODE], ts[TOWNSHIP], ts[TOWNSHIP_KIND], strict=True
    )}
    assert got == DOMAIN_TOWNSHIPS
    assert in_county(ts[SEAT_LON], ts[SEAT_LAT]).all()
    seats = dict(zip(ts[TOWNSHIP_CODE], zip(ts[SEAT_LAT], ts[SEAT_LON], strict=True), strict=True))
    assert seats == DOMAIN_SEATS


def test_returned_frames_are_copies():
    vt = venue_types()
    vt.loc[:, DWELL_MIN] = 0
    vt.loc[0, TYPE_CODE] = "changed"
    vt[WEIGHT] = vt[WEIGHT] * 0
    fresh = venue_types()
    assert (fresh[DWELL_MIN] > 0).all() and (fresh[WEIGHT] > 0).all()
    assert fresh[TYPE_CODE].iloc[0] == "residential_compound"
    assert venue_type_code("居民小区") == "residential_compound"
    ts = townships()
    ts.loc[:, TOWNSHIP] = "x"
    assert townships()[TOWNSHIP].iloc[0] == "芦溪镇"
    assert township_code("芦溪镇") == "360323101"


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("餐饮门店", "restaurant"),
        ("居民小区", "residential_compound"),
        ("村", "village"),
        ("居民小區", "residential_compound"),
        ("農貿商場", "farmers_market"),
        ("餐飲門店", "restaurant"),
        ("醫院", "hospital"),
        ("藥店", "pharmacy"),
        ("學校", "school"),
        ("企業", "enterprise"),
        ("地鐵公交", "transit"),
        ("农贸市场", "farmers_market"),
        ("Supermarket", "supermarket"),
        ("large MALL", "mall"),
        ("Farmers' market", "farmers_market"),
        ("farmers market", "farmers_market"),
        ("metro/bus", "transit"),
        ("residential_compound", "residential_compound"),
        (" hotel ", "hotel"),
        ("娱乐场所", "entertainment"),
    ],
)
def test_venue_type_code_accepts_chinese_traditional_english_and_code(label, code):
    assert venue_type_code(label) == code


@pytest.mark.parametrize("label", ["karaoke", "", "超 市", "商场"])
def test_venue_type_code_unknown_lists_allowed_names(label):
    with pytest.raises(ValueError, match=r"venue type .* is unknown; allowed: 居民小区、村、学校"):
        venue_type_code(label)


def test_venue_type_codes_vectorised_keeps_index_and_marks_unknown():
    labels = pd.Series(
        ["超市", "醫院", "nope", None, float("nan"), "超市"], index=[5, 6, 7, 8, 9, 10],
        name="venue_type",
    )
    before = labels.copy()
    out = venue_type_codes(labels)
    pd.testing.assert_series_equal(labels, before)
    expected = pd.Series(["supermarket", "hospital", pd.NA, pd.NA, pd.NA, "supermarket"],
                         index=labels.index, name="venue_type", dtype="string")
    pd.testing.assert_series_equal(out, expected)
    assert venue_type_codes(pd.Series([], dtype=object)).empty
    all_missing = venue_type_codes(pd.Series([None, None], dtype=object))
    assert all_missing.dtype == "string" and all_missing.isna().all()
    as_category = venue_type_codes(pd.Series(["超市", "x"], dtype="category"))
    assert as_category.dtype == "string" and as_category.tolist() == ["supermarket", pd.NA]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("芦溪镇", "360323101"),
        ("蘆溪鎮", "360323101"),
        ("张佳坊乡", "360323202"),
        ("360323101", "360323101"),
        ("360323204000", "360323204"),
        (" 360323106 ", "360323106"),
    ],
)
def test_township_code(value, code):
    assert township_code(value) == code


@pytest.mark.parametrize("value", ["芦溪县", "360323999", "360323101001", "3603231010", "芦溪"])
def test_township_code_unknown(value):
    with pytest.raises(ValueError, match=r"not one of Luxi County's; allowed: 芦溪镇"):
        township_code(value)


def test_in_county_hand_points():
    lon = [114.03, 113.917, 114.267, 113.9, 114.3, 114.1, np.nan, 27.6]
    lat = [27.63, 27.417, 27.783, 27.6, 27.6, 27.4, 27.6, 114.1]
    expected = [True, True, True, False, False, False, False, False]
    np.testing.assert_array_equal(in_county(lon, lat), expected)
    assert in_county(pd.Series(lon), pd.Series(lat)).dtype == bool
    # 0.02 degrees brings 113.9 E and 27.4 N in, not 114.3 E.
    np.testing.assert_array_equal(
        in_county([113.9, 114.1, 114.3], [27.6, 27.4, 27.6], margin_deg=0.02), [True, True, False]
    )
    min_lon, min_lat, max_lon, max_lat = COUNTY_EXTENT
    assert in_county((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)


@pytest.mark.parametrize("margin", [-0.1, float("nan"), float("inf"), "wide"])
def test_in_county_rejects_bad_margin(margin):
    with pytest.raises(ValueError, match="margin_deg must be a finite number >= 0"):
        in_county([114.0], [27.6], margin_deg=margin)


def test_missing_tables_raise_with_the_places_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(reference, "_reference_dirs", lambda: [tmp_path / "a", tmp_path / "b"])
    reference._venue_types.cache_clear()
    reference._label_index.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match=r"venue_types\.csv.*looked in: .*a.*b"):
            venue_types()
    finally:
        reference._venue_types.cache_clear()
        reference._label_index.cache_clear()


@pytest.fixture
def table_dir(monkeypatch, tmp_path):
    """Point the loader at an empty folder; restore the real tables afterwards."""
    monkeypatch.setattr(reference, "_reference_dirs", lambda: [tmp_path])
    for fn in (reference._venue_types, reference._townships, reference._label_index):
        fn.cache_clear()
    yield tmp_path
    for fn in (reference._venue_types, reference._townships, reference._label_index):
        fn.cache_clear()


HEADER = "township_code,township,kind,seat_lat,seat_lon,seat_is_synthetic,basis\n"
ROW = "360323101,芦溪镇,镇,27.6,114.03,true,x\n"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("township_code,township\n360323101,芦溪镇\n", r"missing columns \['kind'"),
        (HEADER + ROW.replace("27.6", ""), r"empty or invalid values in \['seat_lat'\]"),
        (HEADER + ROW.replace("true", "maybe"), r"invalid values in \['seat_is_synthetic'\]"),
        (HEADER + ROW + ROW, r"duplicate township_code \['360323101'\]"),
        (HEADER + ROW.replace("镇,", "区,"), r"kind values \['区'\] not in \('镇', '乡'\)"),
    ],
)
def test_malformed_table_raises(table_dir, body, match):
    (table_dir / "townships.csv").write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        townships()


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (",high,", ",extreme,", r"crowding values \['extreme'\] not in"),
        (",480,", ",480.5,", r"empty or invalid values in \['dwell_minutes'\]"),
        (",1.5,", ",heavy,", r"empty or invalid values in \['weight'\]"),
    ],
)
def test_bad_venue_type_values_raise(table_dir, old, new, match):
    real = Path(reference.__file__).resolve().parents[2] / "data" / "reference" / "venue_types.csv"
    text = real.read_text(encoding="utf-8").replace(old, new, 1)
    (table_dir / "venue_types.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        venue_types()


def test_colliding_alias_raises(monkeypatch):
    monkeypatch.setattr(reference, "_EXTRA_ALIASES", {"超市": "mall"})
    reference._label_index.cache_clear()
    try:
        with pytest.raises(ValueError, match="label '超市' names both 'supermarket' and 'mall'"):
            venue_type_code("超市")
    finally:
        reference._label_index.cache_clear()
