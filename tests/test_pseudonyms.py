"""Pseudonyms and display masking: keyed, stable, joinable; nothing personal left readable."""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab.model import schema as s
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.pseudonyms import (
    DEMO_KEY,
    MissingKeyError,
    is_pseudonym,
    load_key,
    mask_frame,
    pseudonym,
    pseudonymise,
)

KEY = b"0123456789abcdef0123456789abcdef"
OTHER = b"fedcba9876543210fedcba9876543210"
PHONE, RID = "13123456789", "360323200106151237"


def test_load_key_reads_a_file_and_strips_whitespace(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(KEY + b"\n")
    assert load_key(path) == KEY


def test_load_key_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TRACELAB_TEST_KEY", KEY.decode())
    assert load_key(env="TRACELAB_TEST_KEY") == KEY


def test_file_wins_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACELAB_TEST_KEY", OTHER.decode())
    (tmp_path / "key").write_bytes(KEY)
    assert load_key(tmp_path / "key", env="TRACELAB_TEST_KEY") == KEY


def test_missing_key_is_an_error_outside_demo_mode(monkeypatch):
    monkeypatch.delenv("TRACELAB_TEST_KEY", raising=False)
    with pytest.raises(MissingKeyError, match="TRACELAB_TEST_KEY"):
        load_key(env="TRACELAB_TEST_KEY")
    assert load_key(env="TRACELAB_TEST_KEY", demo=True) == DEMO_KEY


def test_short_key_is_refused_without_showing_it(monkeypatch):
    monkeypatch.setenv("TRACELAB_TEST_KEY", "hunter2")
    with pytest.raises(MissingKeyError, match="7 bytes") as info:
        load_key(env="TRACELAB_TEST_KEY")
    assert "hunter2" not in str(info.value)


def test_missing_key_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such key file"):
        load_key(tmp_path / "nope")


def test_pseudonym_is_keyed_stable_and_prefixed():
    a = pseudonym(RID, KEY)
    assert a == pseudonym(RID, KEY) and is_pseudonym(a)
    assert a != pseudonym(RID, OTHER)
    assert a != pseudonym("360323200106151238", KEY)
    with pytest.raises(ValueError, match="key"):
        pseudonym(RID, b"short")
    with pytest.raises(ValueError, match="missing"):
        pseudonym(None, KEY)


def test_pseudonymise_joins_across_tables_and_keeps_missing():
    scans = pd.DataFrame({s.PERSON_ID: [PHONE, RID, PHONE], s.VENUE_ID: ["V1", "V1", "V2"]})
    cases = pd.DataFrame({s.PERSON_ID: [RID], s.KIND: ["confirmed"]})
    truth = pd.DataFrame({s.PERSON_ID: [PHONE], privacy.INFECTOR_ID: [None]})
    before = scans.copy()
    ps, pc, pt = (pseudonymise(f, None, KEY) for f in (scans, cases, truth))
    pd.testing.assert_frame_equal(scans, before)
    assert ps[s.PERSON_ID].map(is_pseudonym).all()
    assert ps[s.PERSON_ID].nunique() == 2
    assert pc[s.PERSON_ID].iloc[0] == ps[s.PERSON_ID].iloc[1]
    assert pt[privacy.INFECTOR_ID].isna().all()
    text = ps.to_csv() + pc.to_csv()
    assert PHONE not in text and RID not in text
    assert ps[s.VENUE_ID].tolist() == ["V1", "V1", "V2"]


def test_pseudonymise_names_every_missing_column():
    with pytest.raises(s.SchemaError, match="case_id.*contact_id"):
        pseudonymise(pd.DataFrame({s.PERSON_ID: ["a"]}), [s.CASE_ID, s.CONTACT_ID], KEY)


VENUES = pd.DataFrame({
    s.VENUE_ID: ["V1", "V2", "V3"],
    s.NAME: ["好又多超市", "宣风镇中心小学", "老李小吃"],
    s.OWNER_NAME: ["芦溪县好又多商贸有限公司", "宣风镇中心小学", "李建国"],
    s.OWNER_ID_KIND: [s.USCC, s.REGNO, s.RESIDENT_ID],
    s.OWNER_ID: ["92360323600123450Y", "360323600012341", RID],
    s.APPLICANT_PHONE: [PHONE, "13912345678", "15870001234"],
})


def test_mask_frame_masks_individuals_and_keeps_companies():
    before = VENUES.copy()
    out = mask_frame(VENUES)
    pd.testing.assert_frame_equal(VENUES, before)
    assert out[s.NAME].tolist() == VENUES[s.NAME].tolist()
    assert out[s.OWNER_NAME].tolist() == [
        "芦溪县好又多商贸有限公司", "宣风镇中心小学", "李**"]
    assert out[s.OWNER_ID].tolist()[:2] == ["92360323600123450Y", "360323600012341"]
    assert out[s.OWNER_ID].iloc[2] == "36**************37"
    assert out[s.APPLICANT_PHONE].tolist() == ["131*****789", "139*****678", "158*****234"]


def test_mask_frame_without_kind_column_treats_resident_ids_as_individuals():
    out = mask_frame(VENUES.drop(columns=[s.OWNER_ID_KIND]))
    assert out[s.OWNER_NAME].tolist()[2] == "李**"
    assert RID not in out.to_csv()
    assert out[s.OWNER_ID].iloc[0] == "92360323600123450Y"


def test_mask_frame_masks_persons_table_and_raw_person_ids():
    key_id = pseudonym("x", KEY)
    persons = pd.DataFrame({s.PERSON_ID: [RID, key_id],
                            privacy.PERSON_NAME: ["欧阳娜娜", "王五"],
                            privacy.ID_NUMBER: [RID, "36032320030302224X"],
                            privacy.PHONE: [PHONE, None]})
    out = mask_frame(persons)
    assert out[s.PERSON_ID].tolist() == ["36**************37", key_id]
    assert out[privacy.PERSON_NAME].tolist() == ["欧阳**", "王*"]
    assert out[privacy.PHONE].iloc[0] == "131*****789" and pd.isna(out[privacy.PHONE].iloc[1])
    text = out.to_csv()
    for raw in (RID, PHONE, "娜娜", "36032320030302224X"):
        assert raw not in text


@pytest.mark.parametrize(("value", "shown"), [
    ("P0000020", "P0000020"), ("p_89e942357569d1ea", "p_89e942357569d1ea"),
    (PHONE, "13*******89"), ("+86 " + PHONE, "+8" + "*" * 11 + "89"), (RID, "36**************37"),
    ("张三丰", "张**"), ("tel13123456789", "te**********89"),
])
def test_person_ids_masked_when_they_hold_identifiers(value, shown):
    out = mask_frame(pd.DataFrame({s.CONTACT_ID: [value, None]}))
    assert out[s.CONTACT_ID].iloc[0] == shown and pd.isna(out[s.CONTACT_ID].iloc[1])


def test_call_list_names_are_personal_and_joined_venue_names_are_not():
    calls = pd.DataFrame({s.CONTACT_ID: ["p_89e942357569d1ea"], privacy.PERSON_NAME: ["张三丰"]})
    assert mask_frame(calls)[privacy.PERSON_NAME].tolist() == ["张**"]
    joined = pd.DataFrame({s.PERSON_ID: ["P1"], s.VENUE_ID: ["V1"], s.NAME: ["好又多超市"]})
    assert mask_frame(joined)[s.NAME].tolist() == ["好又多超市"]


def test_mask_frame_refuses_unknown_kinds_and_columns():
    with pytest.raises(ValueError, match="kinds"):
        mask_frame(VENUES, {"nope": "name"})
    with pytest.raises(ValueError, match="kinds"):
        mask_frame(VENUES, {s.NAME: "secret"})  # type: ignore[dict-item]


@pytest.mark.parametrize("weak", ["A" * 16, "abcabcabcabcabcabcabc", "0000000011111111"])
def test_low_entropy_keys_are_refused_with_how_to_make_one(weak, monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", weak)
    with pytest.raises(MissingKeyError, match="openssl rand -hex 32") as err:
        load_key()
    assert weak not in str(err.value)  # the key itself is never shown
    with pytest.raises(ValueError, match="refused"):
        pseudonym("13812345678", weak.encode())


def test_the_demo_key_is_refused_outside_demo_mode(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(DEMO_KEY)
    with pytest.raises(MissingKeyError, match="public demo key"):
        load_key(path)
    assert load_key(env="TRACELAB_NO_SUCH_VARIABLE", demo=True) == DEMO_KEY
