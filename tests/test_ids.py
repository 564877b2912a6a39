"""Tests of tracelab.model.ids: check digits, validators, masking and generators."""

from __future__ import annotations

import datetime as dt
import functools
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc
from stdnum.iso7064 import mod_11_10

from tracelab.model import ids, schema

USCC_OK = ["91350100M000100Y43", "91110000600037341L", "92360323600123450Y"]
RID_OK = ["11010519491231002X", "360426199101010071", "360323200106151237",
          "36032320030302224X"]
REGNO_OK = ["360323600012341", "360323000012340"]
TODAY = dt.date(2022, 11, 18)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# --- worked examples (DOMAIN.md section 6) -----------------------------------------

@pytest.mark.parametrize("value", USCC_OK)
def test_uscc_examples(value: str) -> None:
    assert ids.is_uscc(value)
    assert ids.uscc_check_char(value[:17]) == value[17]
    assert ids.org_code_check_char(value[8:16]) == value[16]
    assert uscc.is_valid(value)


@pytest.mark.parametrize("value", RID_OK)
def test_resident_id_examples(value: str) -> None:
    assert ids.is_resident_id(value)
    assert ids.resident_id_check_char(value[:17]) == value[17]
    assert ric.is_valid(value)


@pytest.mark.parametrize("value", REGNO_OK)
def test_regno_examples(value: str) -> None:
    assert ids.is_regno(value)
    assert ids.regno_check_digit(value[:14]) == value[14]
    assert mod_11_10.is_valid(value)


def test_worked_check_values() -> None:
    assert ids.uscc_check_char("91350100M000100Y4") == "3"
    assert ids.uscc_check_char("92360323600123450") == "Y"
    assert ids.resident_id_check_char("11010519491231002") == "X"
    assert ids.regno_check_digit("36032360001234") == "1"


# --- single-character corruptions ---------------------------------------------------

def _corruptions(value: str, alphabet: str) -> list[str]:
    return [value[:i] + c + value[i + 1:] for i in range(len(value)) for c in alphabet
            if c != value[i]]


@pytest.mark.parametrize("value", USCC_OK)
def test_uscc_single_substitution_caught(value: str) -> None:
    bad = _corruptions(value, USCC_ALPHABET + "IOZSV")
    assert not any(map(ids.is_uscc, bad))
    # the mod-31 check alone, without the organisation-code check, catches them too
    assert not any(ids.is_uscc(v, check_org_code=False) for v in bad)


@pytest.mark.parametrize("value", RID_OK)
def test_resident_id_single_substitution_caught(value: str) -> None:
    bad = _corruptions(value, string.digits + "X")
    assert len(bad) == 18 * 10
    assert not any(ids.is_resident_id(v, today=TODAY) for v in bad)


@pytest.mark.parametrize("value", REGNO_OK)
def test_regno_single_substitution_caught(value: str) -> None:
    assert not any(map(ids.is_regno, _corruptions(value, string.digits)))


def test_adjacent_transpositions_caught() -> None:
    # the hybrid MOD 11,10 of the 15-digit number misses some transpositions: not tested
    for value in USCC_OK + RID_OK:
        swaps = [value[:i] + value[i + 1] + value[i] + value[i + 2:]
                 for i in range(len(value) - 1) if value[i] != value[i + 1]]
        assert not any(ids.is_uscc(v) or ids.is_resident_id(v) or ids.is_regno(v)
                       for v in swaps), value


# --- rules of each validator --------------------------------------------------------

def test_uscc_case_and_layout() -> None:
    assert ids.is_uscc("91110000600037341l")  # lowercase letters, as stdnum
    assert not ids.is_uscc(" 91110000600037341L")
    assert not ids.is_uscc("9111 0000600037341L")
    assert not ids.is_uscc(91350100)
    assert not ids.is_uscc(None)


def test_uscc_division_must_be_digits() -> None:
    body = "91A10000600037341"
    assert not ids.is_uscc(body + ids.uscc_check_char(body))
    assert ids.id_problem(schema.USCC, body + "0") == (
        "characters 3-8 (division code) must be digits")


def test_uscc_other_authority_prefix_accepted_unlike_stdnum() -> None:
    body = "Y1110000600037341"
    value = body + ids.uscc_check_char(body)
    assert ids.is_uscc(value)
    assert not uscc.is_valid(value)  # stdnum wants digits in characters 1-8


def test_uscc_org_code_check_is_stricter_than_stdnum() -> None:
    rng = np.random.default_rng(7)
    chars = np.array(list(USCC_ALPHABET))
    bodies = ["91360323" + "".join(rng.choice(chars, 9)) for _ in range(2000)]
    codes = [b + ids.uscc_check_char(b) for b in bodies]
    assert all(map(uscc.is_valid, codes))
    assert all(ids.is_uscc(c, check_org_code=False) for c in codes)
    strict = sum(map(ids.is_uscc, codes))
    assert 0 < strict < 2000 // 5  # roughly 1 in 11 embed a valid organisation code


def test_resident_id_birth_date_rules() -> None:
    base = "11010519491231002"
    def make(body17: str) -> str:
        return body17 + ids.resident_id_check_char(body17)
    assert ids.is_resident_id(make("36032320000229001"), today=TODAY)  # leap day
    assert not ids.is_resident_id(make("36032319990229001"), today=TODAY)
    assert not ids.is_resident_id(make("36032320221119001"), today=TODAY)  # tomorrow
    assert ids.is_resident_id(make("36032320221118001"), today=TODAY)
    assert not ids.is_resident_id(make("36032318491231001"), today=TODAY)
    assert not ids.is_resident_id(make("36032319491301001"), today=TODAY)
    assert ids.is_resident_id(make(base))  # default today


def test_resident_id_x_only_last() -> None:
    assert ids.is_resident_id("11010519491231002x")
    assert not ids.is_resident_id("1101051949123100X2")
    assert not ids.is_resident_id("11010519491231002Y")
    assert not ids.is_resident_id("\uff11\uff11010519491231002X")  # full-width digits


@pytest.mark.parametrize("value", ["13123456789", "+86 131 2345 6789", "86-131-2345-6789",
                                   "008613123456789", "+8613123456789", "16101234567",
                                   "17405123456", "19912345678"])
def test_mobile_accepts(value: str) -> None:
    assert ids.is_mobile(value)
    assert len(ids.normalise_mobile(value)) == 11


@pytest.mark.parametrize("value", ["15423456789", "19423456789", "17412345678",
                                   "16012345678", "1312345678", "131234567890",
                                   "+85213123456", "23123456789", "131 2345 678a",
                                   "(131)23456789", "", 13123456789, None])
def test_mobile_rejects(value: object) -> None:
    assert not ids.is_mobile(value)


def test_normalise_mobile_error_is_masked() -> None:
    with pytest.raises(ValueError, match=r"value='154\*\*\*\*\*789' is not a mainland") as e:
        ids.normalise_mobile("15423456789")
    assert "15423456789" not in str(e.value)
    with pytest.raises(ValueError, match="value='int' is not a mainland mobile"):
        ids.normalise_mobile(13123456789)


@pytest.mark.parametrize(("func", "arg", "pattern"), [
    (ids.uscc_check_char, "9135", r"body17='\*\*\*\*' must be a string of 17"),
    (ids.uscc_check_char, "91350100I000100Y4", "outside the allowed alphabet"),
    (ids.org_code_check_char, "60003", r"body8='\*\*\*\*\*' must be 8 ASCII"),
    (ids.regno_check_digit, "3603236000123A", "must be 14 ASCII digits"),
    (ids.resident_id_check_char, "1101051949123100X", "must be 17 ASCII digits"),
])
def test_check_char_bad_body_raises(func, arg: str, pattern: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=pattern):
        func(arg)


# --- id_problem ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "value", "message"), [
    (schema.USCC, "91350100M000100Y4", "must be 18 characters, got 17"),
    (schema.USCC, "91350100M000100Y44", "check character is wrong"),
    (schema.USCC, "91350100M0001O0Y43", "character 14 is not allowed"),
    (schema.USCC, "91350100M000101Y43", "embedded organisation code (characters 9-17) "
                                        "fails its GB 11714 check"),
    (schema.REGNO, "36032360001234", "must be 15 digits, got 14 characters"),
    (schema.REGNO, "36032360001234A", "must be digits only"),
    (schema.REGNO, "360323600012340", "check digit is wrong"),
    (schema.RESIDENT_ID, "36032320031302224X", "birth date 2003-13-02 is not a real past date"),
    (schema.RESIDENT_ID, "36032320030302224Y", "last character must be a digit or X"),
    (schema.RESIDENT_ID, "3603232003030222X4", "characters 1-17 must be digits"),
    (schema.RESIDENT_ID, "360323200303022241", "check character is wrong"),
    (schema.RESIDENT_ID, None, "is missing"),
    (schema.RESIDENT_ID, float("nan"), "is missing"),
    (schema.USCC, 12345, "must be text, got int"),
])
def test_id_problem_messages(kind: str, value: object, message: str) -> None:
    problem = ids.id_problem(kind, value, today=TODAY)
    assert problem is not None and problem.startswith(message)


def test_id_problem_valid_is_none() -> None:
    for kind, values in [(schema.USCC, USCC_OK), (schema.REGNO, REGNO_OK),
                         (schema.RESIDENT_ID, RID_OK)]:
        assert all(ids.id_problem(kind, v) is None for v in values)


def test_id_problem_bad_kind_raises() -> None:
    with pytest.raises(ValueError, match="kind='passport' is not an owner ID kind; use one "
                                         "of 'uscc', 'regno', 'resident_id'"):
        ids.id_problem("passport", "E12345678")


@given(st.sampled_from(schema.OWNER_ID_KINDS),
       st.sampled_from(USCC_OK + RID_OK + REGNO_OK), st.integers(0, 17),
       st.characters(codec="utf-8"))
def test_id_problem_never_echoes_value(kind: str, base: str, pos: int, char: str) -> None:
    value = base[:pos] + char + base[pos + 1:]
    problem = ids.id_problem(kind, value, today=TODAY)
    assert problem is None or value not in problem


@given(st.sampled_from(schema.OWNER_ID_KINDS), st.text(min_size=8, max_size=25))
def test_id_problem_never_echoes_text(kind: str, value: str) -> None:
    problem = ids.id_problem(kind, value, today=TODAY)
    assert problem is None or value not in problem


# --- masking -------------------------------------------------------------------------

def test_mask_examples() -> None:
    assert ids.mask_name("张三丰") == "张**"
    assert ids.mask_name(" 诸葛亮 ") == "诸葛*"
    assert ids.mask_name("司马") == "司*"
    assert ids.mask_id("360323200106151237") == "36**************37"
    assert ids.mask_id("91350100M000100Y43") == "91**************43"
    assert ids.mask_phone("13123456789") == "131*****789"
    assert ids.mask_phone(13123456789.0) == "131*****789"
    assert ids.mask_phone("0799-1234567") == "079******567"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, np.nan])
def test_mask_missing(missing: object) -> None:
    assert ids.mask_name(missing) == ids.mask_id(missing) == ids.mask_phone(missing) == ""


def _revealed(masked: str) -> int:
    return sum(c != "*" for c in masked)


@given(st.text(max_size=30))
def test_masks_never_leak_more_than_the_rule(value: str) -> None:
    assert _revealed(ids.mask_name(value)) <= 2
    assert _revealed(ids.mask_id(value)) <= 4
    assert _revealed(ids.mask_phone(value)) <= 6
    for masked in (ids.mask_name(value), ids.mask_id(value)):
        assert len(masked) == len(value.strip())


@given(st.text(max_size=7))
def test_short_ids_fully_masked(value: str) -> None:
    assert _revealed(ids.mask_id(value)) == 0


@given(st.text(max_size=10).filter(lambda v: not ids.is_mobile(v)))
def test_short_phones_fully_masked(value: str) -> None:
    assert _revealed(ids.mask_phone(value)) == 0


def test_mask_series() -> None:
    s = pd.Series(["欧阳锋", None, "李四"], index=[10, 20, 30], name="owner")
    before = s.copy()
    out = ids.mask_series(s, "name")
    pd.testing.assert_series_equal(s, before)
    assert out.index.tolist() == [10, 20, 30] and out.name == "owner"
    assert out.iloc[0] == "欧阳*" and pd.isna(out.iloc[1]) and out.iloc[2] == "李*"
    ids_out = ids.mask_series(pd.Series(RID_OK[:2]), "id").tolist()
    assert ids_out == ["11**************2X", "36**************71"]
    empty = ids.mask_series(pd.Series([], dtype="str"), "phone")
    assert len(empty) == 0


def test_mask_series_bad_kind_raises() -> None:
    with pytest.raises(ValueError, match="kind='email' is not a mask kind; use 'name'"):
        ids.mask_series(pd.Series(["a"]), "email")  # type: ignore[arg-type]


# --- generators ----------------------------------------------------------------------

N = 10_000


def test_generated_uscc_round_trip_and_agree_with_stdnum() -> None:
    codes = ids.make_uscc(N, seed=1, division="360323")
    sole = ids.make_uscc(N, prefix="92", division="360302", seed=2)
    assert len(set(codes)) == N
    assert all(map(ids.is_uscc, codes + sole))
    assert all(map(uscc.is_valid, codes + sole))
    assert {c[:8] for c in codes} == {"91360323"} and {c[:8] for c in sole} == {"92360302"}


def test_generated_regno_round_trip_and_agree_with_stdnum() -> None:
    nums = ids.make_regno(N, seed=1, division="360323")
    assert len(set(nums)) == N
    assert all(map(ids.is_regno, nums)) and all(map(mod_11_10.is_valid, nums))
    assert {x[:6] for x in nums} == {"360323"} and {x[6] for x in nums} == set("6789")


def test_generated_resident_id_round_trip_and_agree_with_stdnum() -> None:
    rids = ids.make_resident_id(N, seed=1, division="360323")
    assert len(set(rids)) == N
    assert all(ids.is_resident_id(x, today=TODAY) for x in rids)
    assert all(map(ric.is_valid, rids))
    births = {x[6:14] for x in rids}
    assert min(births) >= "19970101" and max(births) <= "20221118"


def test_resident_id_before_1997_check_digit_only_agrees_with_stdnum() -> None:
    # DOMAIN.md 6.3: stdnum's table starts 360323 in 1997, so compare the check only
    rids = ids.make_resident_id(200, birth_from="1950-01-01", birth_to="1996-12-31", seed=4,
                                division="360323")
    assert all(map(ids.is_resident_id, rids))
    assert all(ric.calc_check_digit(x) == x[17] for x in rids)
    assert not any(map(ric.is_valid, rids))


def test_resident_id_sex_parity() -> None:
    men = ids.make_resident_id(500, sex="male", seed=3, division="360323")
    women = ids.make_resident_id(500, sex="female", seed=3, division="360323")
    assert all(int(x[16]) % 2 == 1 for x in men)
    assert all(int(x[16]) % 2 == 0 for x in women)
    both = ids.make_resident_id(500, seed=3, division="360323")
    assert {int(x[16]) % 2 for x in both} == {0, 1}


def test_generated_mobile_pass() -> None:
    nums = ids.make_mobile(N, seed=1)
    assert len(set(nums)) == N and all(map(ids.is_mobile, nums))
    assert len({x[:3] for x in nums}) == 52
    assert all(map(ids.is_mobile, ids.make_mobile(100, unique=False, seed=1)))


def test_random_bodies_agree_with_stdnum() -> None:
    rng = np.random.default_rng(11)
    chars = np.array(list(USCC_ALPHABET))
    for _ in range(3000):
        body = "".join(rng.choice(chars, 17))
        assert ids.uscc_check_char(body) == uscc.calc_check_digit(body)
        digits = "".join(map(str, rng.integers(0, 10, 17)))
        assert ids.resident_id_check_char(digits) == ric.calc_check_digit(digits + "0")
        assert ids.regno_check_digit(digits[:14]) == mod_11_10.calc_check_digit(digits[:14])


@pytest.mark.parametrize("make", [
    functools.partial(ids.make_uscc, division="360323"),
    functools.partial(ids.make_regno, division="360323"),
    functools.partial(ids.make_resident_id, division="360323"), ids.make_mobile])
def test_generators_seeded(make) -> None:  # type: ignore[no-untyped-def]
    assert make(50, seed=5) == make(50, seed=5)
    assert make(50, seed=5) != make(50, seed=6)
    assert make(50, seed=np.random.default_rng(5)) == make(50, seed=5)
    assert make(0, seed=5) == []
    with pytest.raises(ValueError, match="n=-1 must be >= 0"):
        make(-1)


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"division": "36032"}, "division='36032' must be a 6-digit GB/T 2260 code"),
    ({"birth_from": "1997-02-30"}, "birth_from='1997-02-30' and birth_to="),
    ({"birth_from": "2000-01-01", "birth_to": "1999-01-01"}, "need 1850-01-01 <= birth_from"),
    ({"birth_to": "2999-01-01"}, "birth_to='2999-01-01'"),
    ({"sex": "m"}, "sex='m' must be 'male', 'female' or None"),
])
def test_make_resident_id_bad_args(kwargs: dict[str, str], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        ids.make_resident_id(3, **{"division": "360323", **kwargs})  # type: ignore[arg-type]


def test_make_resident_id_too_many() -> None:
    with pytest.raises(ValueError, match="n=501 exceeds the 500 distinct resident IDs"):
        ids.make_resident_id(501, birth_from="2000-01-01", birth_to="2000-01-01", sex="male",
                             division="360323")


@pytest.mark.parametrize("prefix", ["9", "9I", 91])
def test_make_uscc_bad_prefix(prefix: object) -> None:
    with pytest.raises(ValueError, match="must be 2 USCC characters"):
        ids.make_uscc(1, prefix=prefix, division="360323")  # type: ignore[arg-type]


def test_make_regno_bad_division() -> None:
    with pytest.raises(ValueError, match="division='36O323' must be a 6-digit"):
        ids.make_regno(1, division="36O323")


def test_id_problem_org_code_opt_out() -> None:
    value = "91350100M000101Y4"
    value += ids.uscc_check_char(value)
    assert ids.id_problem(schema.USCC, value) is not None
    assert ids.id_problem(schema.USCC, value, check_org_code=False) is None
