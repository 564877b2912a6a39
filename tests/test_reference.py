"""Tests for tracelab.model.reference: the venue-type table and its labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tracelab.model import reference
from tracelab.model.reference import (
    BASIS,
    CROWDING,
    CROWDING_LEVELS,
    INDOOR,
    venue_type_code,
    venue_type_codes,
    venue_types,
)
from tracelab.model.schema import (
    DWELL_MIN,
    NAME_EN,
    NAME_ZH,
    RESIDENCE,
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


def test_returned_frames_are_copies():
    vt = venue_types()
    vt.loc[:, DWELL_MIN] = 0
    vt.loc[0, TYPE_CODE] = "changed"
    vt[WEIGHT] = vt[WEIGHT] * 0
    fresh = venue_types()
    assert (fresh[DWELL_MIN] > 0).all() and (fresh[WEIGHT] > 0).all()
    assert fresh[TYPE_CODE].iloc[0] == "residential_compound"
    assert venue_type_code("居民小区") == "residential_compound"


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
    for fn in (reference._venue_types, reference._label_index):
        fn.cache_clear()
    yield tmp_path
    for fn in (reference._venue_types, reference._label_index):
        fn.cache_clear()


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
