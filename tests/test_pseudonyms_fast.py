"""The fast pseudonym paths give exactly what ``pseudonym`` and ``pseudonymise`` give."""

from __future__ import annotations

import gc
import hmac
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tracelab.index.county_build import Pseudonyms
from tracelab.io.parse import Coded
from tracelab.io.scans import _Distinct, _isin, _text_order, read_scans
from tracelab.model import schema as s
from tracelab.privacy import pseudonym_columns as privacy
from tracelab.privacy.pseudonym_columns import (
    hmac_digests,
    known_codes,
    pseudonym_array,
    remember_codes,
)
from tracelab.privacy.pseudonyms import DEMO_KEY, pseudonym, pseudonymise

KEY = b"0123456789abcdef0123456789abcdef"
#: Ids whose ends hold what str.strip() removes (ASCII, Unicode, controls), or nothing.
TRICKY = ["P001", " P001", "P001\t", "\u3000P001\u3000", "P\u00a0001", "\x1cP2\x1f", "\xa0",
          "", "   ", "张三", "身份证\u2003", "\u2028x", "a\x00b", "13123456789", "360323200106151237",
          "Ｐ００１", "x" * 70, "é", "\u200bP1"]


def _expected(values: Sequence[object], key: bytes) -> list[str | None]:
    out: list[str | None] = []
    for v in values:
        text = None if v is None else str(v).strip()
        out.append(pseudonym(text, key) if text else None)
    return out


@pytest.mark.parametrize("key", [KEY, DEMO_KEY, b"k" * 64, b"long-key-" * 12])
def test_hmac_digests_are_hmac_sha256(key):
    messages = [b"", b"P1", "张三".encode(), b"x" * 200, bytes(range(256))]
    assert hmac_digests(messages, key) == [hmac.digest(key, m, "sha256") for m in messages]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_pseudonym_array_is_pseudonym_of_each_value(kind):
    values = [*TRICKY, None]
    out = pseudonym_array(pa.array(values, type=kind), KEY)
    assert out.type == pa.large_string()
    assert out.to_pylist() == _expected(values, KEY)


def test_pseudonym_array_of_a_slice_and_of_nothing():
    values = pa.array(TRICKY, type=pa.large_string()).slice(3, 9)
    assert pseudonym_array(values, KEY).to_pylist() == _expected(TRICKY[3:12], KEY)
    assert pseudonym_array(pa.array([], type=pa.string()), KEY).to_pylist() == []
    assert pseudonym_array(pa.array([None, " "], type=pa.string()), KEY).to_pylist() == [None,
                                                                                         None]


def test_pseudonym_array_refuses_a_weak_key():
    with pytest.raises(ValueError):
        pseudonym_array(pa.array(["P1"]), b"short")


def _frame_pseudonyms(values: pd.Series) -> pd.Series:
    return pseudonymise(pd.DataFrame({s.PERSON_ID: values}), [s.PERSON_ID], KEY)[s.PERSON_ID]


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", object])
def test_pseudonyms_are_pseudonymise(dtype):
    values = pd.Series([*TRICKY, None, *TRICKY[:5]], dtype=dtype, index=range(100, 125))
    ids = Pseudonyms(KEY)
    out = ids(values)
    expected = _frame_pseudonyms(values).set_axis(values.index)
    pd.testing.assert_series_equal(out, expected, check_names=False, check_exact=True)
    assert out.dtype == pd.Series(["x"], dtype="str").dtype
    # Again, and with new ids among known ones: the cache gives the same.
    more = pd.Series(["P9", *TRICKY[:4], None, "P10 "], dtype=dtype)
    pd.testing.assert_series_equal(ids(more), _frame_pseudonyms(more), check_names=False,
                                   check_exact=True)
    pd.testing.assert_series_equal(ids(values), expected, check_names=False, check_exact=True)


def test_pseudonyms_of_an_empty_or_all_missing_column():
    ids = Pseudonyms(KEY)
    for values in (pd.Series([], dtype="str"), pd.Series([None, None], dtype="str")):
        pd.testing.assert_series_equal(ids(values), _frame_pseudonyms(values), check_names=False,
                                       check_exact=True)


def test_pseudonyms_use_the_codes_a_loader_remembered():
    distinct = pa.array(["P3", "P1", "P2", "unused"], type=pa.large_string())
    codes = np.array([1, 0, 1, 2, 0])
    column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([distinct.take(codes)])))
    remember_codes(column, codes, distinct)
    assert known_codes(column) is not None
    out = Pseudonyms(KEY)(column)
    pd.testing.assert_series_equal(out, _frame_pseudonyms(column), check_names=False,
                                   check_exact=True)


def test_remembered_codes_go_with_their_column():
    column = pd.Series(["b", "a"], dtype="str")
    remember_codes(column, np.array([1, 0]), pa.array(["a", "b"]))
    assert known_codes(pd.Series(["b", "a"], dtype="str")) is None  # equal, not the same data
    key = id(privacy.arrow_strings(column))
    assert key in privacy._CODES
    del column
    gc.collect()
    assert key not in privacy._CODES
    before = dict(privacy._CODES)
    remember_codes(pd.Series([1, 2]), np.array([0, 1]), pa.array(["a", "b"]))  # not text
    remember_codes(pd.Series(["a"], dtype="str"), np.array([0, 0]), pa.array(["a"]))  # mismatch
    assert privacy._CODES.keys() <= before.keys()


def _random_ids(rng: np.random.Generator, n: int, longest: int) -> list[str]:
    letters = list("0123456789ABCPxyz张é") + ["\x00"]
    return ["".join(rng.choice(letters, size=rng.integers(0, longest + 1))) for _ in range(n)]


@pytest.mark.parametrize("longest", [1, 8, 12, 16, 30])
def test_text_order_is_arrows(longest):
    rng = np.random.default_rng(longest)
    values = pd.Series(pd.unique(pd.Series(_random_ids(rng, 3000, longest), dtype="str")),
                       dtype="str")
    expected = np.asarray(pc.sort_indices(pa.array(values.to_numpy(object), pa.large_string())))
    assert np.array_equal(_text_order(values), expected)
    same = values[~values.str.contains("\x00", regex=False)].reset_index(drop=True)
    expected = np.asarray(pc.sort_indices(pa.array(same.to_numpy(object), pa.large_string())))
    assert np.array_equal(_text_order(same), expected)


def test_distinct_sorted_codes_are_codeds():
    column = pd.Series(["P2", "P10", None, "P1", "P2", "P10", "P3"], dtype="str")
    coded = Coded.of(column)
    codes, uniques = _Distinct(coded.codes, coded.values).sorted_codes()
    want_codes, want_uniques = coded.sorted_codes()
    assert np.array_equal(codes, want_codes) and codes.dtype == want_codes.dtype
    assert list(uniques) == list(want_uniques)


def test_isin_is_pandas():
    values = pd.Series(["V1", "V2", None, "V3"], dtype="str")
    for registry in (pd.Series(["V1", None], dtype="str"), pd.Series([], dtype="str"),
                     pd.Series(["V2", 3, None], dtype=object)):
        assert np.array_equal(_isin(values, registry), values.isin(registry).to_numpy())


def test_read_scans_with_padded_ids_merges_them(tmp_path):
    path = tmp_path / "scans.csv"
    path.write_text("person_id,venue_id,scanned_at,code_color\n"
                    "P1,V1,2022-11-18 08:00:00,green\n"
                    " P1 ,V1,2022-11-18 09:00:00,green\n"
                    "P0,V1,2022-11-18 10:00:00,green\n", encoding="utf-8")
    loaded = read_scans(path, pd.DataFrame({s.VENUE_ID: ["V1"]}), now="2022-12-01T00:00Z")
    assert loaded.accepted[s.PERSON_ID].tolist() == ["P0", "P1", "P1"]
    out = Pseudonyms(KEY)(loaded.accepted[s.PERSON_ID])
    assert out.tolist() == [pseudonym("P0", KEY), pseudonym("P1", KEY), pseudonym("P1", KEY)]
