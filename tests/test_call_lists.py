"""Call lists: masked export; roles, credentials and the authorised list (the one door)."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from tracelab.governance.call_lists import (
    AGGREGATE_COLUMNS,
    CALL_LIST_COLUMNS,
    LIST_COLUMNS,
    call_list,
    export_contacts,
    read_exposures,
    write_call_list,
)
from tracelab.governance.roles import (
    BUILTIN_ROLES,
    CredentialError,
    RoleError,
    authorise,
    check_lang,
    issue_credential,
    load_roles,
    read_roles,
    verify_credential,
)
from tracelab.io import DataDir, empty_rejections
from tracelab.model import schema as s
from tracelab.privacy import pseudonym
from tracelab.privacy.audit import read_audit

RANKED = pd.DataFrame({
    s.CONTACT_ID: ["P1", "P2", "P3", "p_0123456789abcdef"],
    "tier": ["monitor", "call_today", "within_24h", "call_today"],
    "rank": [4, 1, 3, 2], "score": [1.234, 50.0, 8.0, 30.0],
    "last_exposure": pd.to_datetime(["2022-11-20 02:00"] * 4, utc=True),
    s.WHY: ["#4", "#1", "=cmd|' /C calc'!A0", "#2"]})
PERSONS = pd.DataFrame({
    s.PERSON_ID: ["P1", "P2", "P3", "p_0123456789abcdef"],
    "name": ["张三丰", "欧阳娜娜", "王五", "赵六"],
    "phone": ["13123456789", "15870001234", "13812345678", "13900001111"],
    "id_number": ["36032319900101123X", "360323199202021234", "360323198803031234",
                  "360323197704041234"],
    s.TOWNSHIP_CODE: ["360323102", "360323101", "360323101", "360323102"]})
RAW = ["张三丰", "欧阳娜娜", "13123456789", "15870001234", "36032319900101123X"]


def test_grouped_by_township_then_tier_then_rank():
    table = call_list(RANKED, PERSONS)
    assert list(table.columns) == list(CALL_LIST_COLUMNS)
    assert list(zip(table[s.TOWNSHIP_CODE], table["tier"], table["rank"], strict=True)) == [
        ("360323101", "call_today", 1), ("360323101", "within_24h", 3),
        ("360323102", "call_today", 2), ("360323102", "monitor", 4)]
    assert table[s.TOWNSHIP].iloc[0] == "芦溪镇"


def test_identifiers_masked_pseudonyms_kept():
    table = call_list(RANKED, PERSONS).set_index("rank")
    assert table.loc[1, "name"] == "欧阳**" and table.loc[1, "phone"] == "158*****234"
    assert table.loc[4, "id_number"] == "36**************3X"
    assert table.loc[2, s.CONTACT_ID] == "p_0123456789abcdef"
    assert table.loc[4, s.CONTACT_ID] == "**"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_files_hold_no_raw_identifiers_and_no_formulas(tmp_path, suffix):
    out = export_contacts(RANKED, tmp_path / f"calls.{suffix}", PERSONS)
    if suffix == "csv":
        text = out.read_text(encoding="utf-8-sig")
        cells = [c for line in text.splitlines() for c in line.split(",")]
    else:
        import openpyxl

        sheet = openpyxl.load_workbook(out).active
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
        text = "\n".join(cells)
    assert not any(raw in text for raw in RAW)
    assert "'=cmd" in text
    assert not any(c.startswith("=") for c in cells)


def test_without_persons_township_unknown(tmp_path):
    table = call_list(RANKED)
    assert set(table[s.TOWNSHIP_CODE]) == {"unknown"} and table["phone"].eq("").all()


def test_inputs_unchanged(tmp_path):
    rb, pb = RANKED.copy(), PERSONS.copy()
    export_contacts(RANKED, tmp_path / "x.csv", PERSONS)
    pd.testing.assert_frame_equal(RANKED, rb)
    pd.testing.assert_frame_equal(PERSONS, pb)


def test_bad_format_and_pair_ranking_raise(tmp_path):
    with pytest.raises(ValueError, match="fmt='pdf'"):
        export_contacts(RANKED, tmp_path / "x.pdf")
    with pytest.raises(ValueError, match="per='contact'"):
        call_list(RANKED.assign(**{s.CASE_ID: "C1"}))
    with pytest.raises(ValueError, match="tier"):
        call_list(RANKED.drop(columns=["tier"]))


# --- roles, credentials and the authorised call list (write_call_list) -----------------

KEY = b"unit-key-0123456789abcdef"
T0 = pd.Timestamp("2022-11-18T00:05:00Z")


def test_builtin_roles_and_a_roles_file(tmp_path):
    assert BUILTIN_ROLES["fieldteam"].reveal == ("name", "phone")
    assert BUILTIN_ROLES["analyst"].reveal == () and BUILTIN_ROLES["analyst"].view == "rows"
    assert BUILTIN_ROLES["manager"].view == "aggregates"
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"roles": [
        {"role": "hotline", "view": "rows", "reveal": ["phone"], "title_en": "hotline team"},
        {"role": "cdc", "view": "aggregates", "reveal": []}]}), encoding="utf-8")
    roles = load_roles(path)
    assert set(roles) == {"fieldteam", "analyst", "manager", "hotline", "cdc"}
    assert roles["hotline"].title("en") == "hotline (hotline team)"
    bad = {
        "analyst,rows,name": "built in",
        "x,everything,": "view",
        "x,rows,passport": "passport",
        "x,aggregates,phone": "aggregates only",
        "X Y,rows,": "lower-case",
        "x,rows,\nx,rows,": "twice",
    }
    for body, said in bad.items():
        (tmp_path / "r.csv").write_text("role,view,reveal\n" + body + "\n", encoding="utf-8")
        with pytest.raises(RoleError, match=said):
            read_roles(tmp_path / "r.csv")
    (tmp_path / "r.yaml").write_text("x")
    with pytest.raises(RoleError, match=".csv or .json"):
        read_roles(tmp_path / "r.yaml")
    with pytest.raises(FileNotFoundError):
        read_roles(tmp_path / "none.csv")


def test_credential_round_trip_and_every_sealed_field_counts():
    credential = issue_credential("fieldteam", KEY, days=2, holder="team 13812345678",
                                  now="2022-11-20T00:00:00Z")
    assert KEY.decode() not in json.dumps(credential)
    assert credential["holder"] == "team 138*****678"  # numbers in free text masked
    verified = verify_credential(credential, KEY, now="2022-11-21T00:00:00Z")
    assert verified.role == BUILTIN_ROLES["fieldteam"] and len(verified.id) == 32
    changes = {"role": "manager", "view": "aggregates", "reveal": ["name", "phone", "id_number"],
               "issued_at": "2022-11-19T00:00:00Z", "expires_at": "2099-01-01T00:00:00Z",
               "id": "0" * 32, "holder": "someone else", "title_zh": "x"}
    for field, value in changes.items():
        with pytest.raises(CredentialError, match="its seal does not match"):
            verify_credential({**credential, field: value}, KEY, lang="en",
                              now="2022-11-21T00:00:00Z")
    with pytest.raises(CredentialError, match="另一把密钥"):
        verify_credential(credential, b"another-key-0123456789abcdef",
                          now="2022-11-21T00:00:00Z")
    with pytest.raises(CredentialError, match="过期"):
        verify_credential(credential, KEY, now="2022-11-22T00:00:00Z")
    with pytest.raises(CredentialError, match="after now"):
        verify_credential(credential, KEY, now="2022-11-19T00:00:00Z", lang="en")
    with pytest.raises(CredentialError, match="not a tracelab role credential"):
        verify_credential({"format": "x"}, KEY, lang="en")
    with pytest.raises(ValueError, match="days=0"):
        issue_credential("fieldteam", KEY, days=0)
    with pytest.raises(ValueError, match="key"):
        issue_credential("fieldteam", b"A" * 20)
    with pytest.raises(RoleError, match="not known"):
        issue_credential("chief", KEY, lang="en")
    with pytest.raises(RoleError, match="不存在"):
        issue_credential("chief", KEY)


def test_authorise_takes_the_role_from_the_credential():
    fieldteam = issue_credential("fieldteam", KEY)
    assert authorise("analyst", reveal=False)[1] == ()
    assert authorise(None, reveal=True, credential=fieldteam, key=KEY)[0].name == "fieldteam"
    with pytest.raises(RoleError, match="不符"):
        authorise("analyst", reveal=True, credential=fieldteam, key=KEY)
    with pytest.raises(RoleError, match="无权显示"):
        authorise(None, reveal=True, credential=issue_credential("analyst", KEY), key=KEY)
    with pytest.raises(CredentialError, match="a role cannot be claimed"):
        authorise("fieldteam", reveal=True, key=KEY, lang="en")
    with pytest.raises(RoleError, match="only with --reveal"):
        authorise("analyst", reveal=False, credential=fieldteam, lang="en")
    with pytest.raises(RoleError, match="--role"):
        authorise(None, reveal=False)
    with pytest.raises(ValueError, match="lang='de'"):
        check_lang("de")


def _county(tmp_path, persons: str | None = None):
    """Three people scanned at one venue; person ids are phones (赣通码), one is not."""
    folder = tmp_path / "county"
    folder.mkdir()
    venues = pd.DataFrame({
        s.VENUE_ID: ["V1", "H1"], "name": ['=HYPERLINK("http://x","老张面馆")', "瑞桂新村"],
        "venue_type": ["restaurant", "residential_compound"],
        "address": ["芦溪镇文化路 1 号 13900001111", "宣风镇"],
        s.TOWNSHIP_CODE: ["360323101", "360323102"], s.TOWNSHIP: ["芦溪镇", "宣风镇"]})
    scans = pd.DataFrame({s.PERSON_ID: ["13123456789", "15870001234", "P9"],
                          s.VENUE_ID: ["V1"] * 3})
    if persons is not None:
        (folder / "persons.csv").write_text(persons, encoding="utf-8-sig")
    data = DataDir(venues, scans, pd.DataFrame(), empty_rejections(), {}, folder)
    ids = {raw: pseudonym(raw, KEY) for raw in scans[s.PERSON_ID]}
    minutes = [40.0, 20.0, 10.0]
    exposures = pd.DataFrame({
        s.CASE_ID: ["p_00000000000000aa"] * 3, s.CONTACT_ID: list(ids.values()),
        s.VENUE_ID: ["V1"] * 3, s.HOP: [1, 1, 1], s.CASE_T_IN: [T0] * 3,
        s.OVERLAP_START: [T0] * 3,
        s.OVERLAP_END: [T0 + pd.Timedelta(minutes=m) for m in minutes],
        s.OVERLAP_MIN: minutes, s.CATEGORY: [s.CLOSE_CONTACT, s.CO_EXPOSURE, s.CO_EXPOSURE],
        s.RULE_ID: ["twenty"] * 3})
    ranked = pd.DataFrame({s.CONTACT_ID: list(ids.values()), s.RANK: [1, 2, 3],
                           s.TIER: ["call_today", "within_24h", "monitor"],
                           s.SCORE: [30.0, 20.0, 10.0], s.OVERLAP_MIN: minutes})
    return data, exposures, ranked, ids


PERSONS_ZH = ("人员编号,姓名,手机号,身份证号,乡镇编码,居住场所编码\n"
              "13123456789,张三丰,,360323199001011234,360323101,\n"
              "15870001234,欧阳娜娜,15870009999,,,H1\n")


def test_revealed_and_masked_lists_from_persons_and_raw_ids(tmp_path):
    data, exposures, ranked, ids = _county(tmp_path, PERSONS_ZH)
    audit = tmp_path / "audit.duckdb"
    credential = issue_credential("fieldteam", KEY)
    kwargs = {"key": KEY, "purpose": "inv:LX-7", "audit": audit, "calls_per_day": 1}
    shown = write_call_list(ranked, exposures, data, tmp_path / "r.xlsx", reveal=True,
                            credential=credential, **kwargs)
    hidden = write_call_list(ranked, exposures, data, tmp_path / "m.xlsx", role="fieldteam",
                             **kwargs)
    assert list(shown.table.columns) == list(LIST_COLUMNS)
    r = shown.table.set_index(s.RANK)
    # persons.* first, the raw id (a phone) when it has none; residence: persons.*, then
    # the home venue's township, else unknown
    assert r.loc[1, [s.PERSON_NAME, s.PHONE, s.TOWNSHIP]].tolist() == [
        "张三丰", "13123456789", "芦溪镇"]
    assert r.loc[2, [s.PERSON_NAME, s.PHONE, s.TOWNSHIP]].tolist() == [
        "欧阳娜娜", "15870009999", "宣风镇"]
    assert r.loc[3, [s.PERSON_NAME, s.PHONE, s.TOWNSHIP]].tolist() == ["", "", "unknown"]
    assert r.loc[1, s.ID_NUMBER] == "36**************34"  # not the role's to reveal
    assert r.loc[1, s.ADDRESS] == "芦溪镇文化路 1 号 139*****111"
    assert shown.n_revealed == 2 and hidden.n_revealed == 0
    m = hidden.table.set_index(s.RANK)
    assert m.loc[1, [s.PERSON_NAME, s.PHONE]].tolist() == ["张**", "131*****789"]
    assert m.loc[2, s.PERSON_NAME] == "欧阳**"
    pd.testing.assert_frame_equal(shown.table.drop(columns=[s.PERSON_NAME, s.PHONE]),
                                  hidden.table.drop(columns=[s.PERSON_NAME, s.PHONE]))
    # grouped by township code, unknown last
    assert shown.table[s.TOWNSHIP_CODE].tolist() == ["360323101", "360323102", "unknown"]
    assert r.loc[1, s.WHY] == ('与病例同在=HYPERLINK("http://x","老张面馆")（餐饮门店）'
                               "11月18日08:05–08:45，共40分钟；密接候选")
    assert r.loc[2, s.WHY].endswith("；涉疫场所暴露人员候选")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["名单"]
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)
    assert "'=HYPERLINK(\"http://x\",\"老张面馆\")" in values
    log = read_audit(audit)
    assert [json.loads(c) for c in log["counts"]] == [
        {"contacts": 3, "revealed": 2, "rows": 3}, {"contacts": 3, "revealed": 0, "rows": 3}]
    assert log["query"].str.contains("role=fieldteam").all()


def test_aggregates_csv_and_refusals(tmp_path):
    data, exposures, ranked, _ = _county(tmp_path)
    audit = tmp_path / "audit.duckdb"
    kw = {"key": KEY, "purpose": "inv:LX-7", "audit": audit, "calls_per_day": 1}
    summary = write_call_list(ranked, exposures, data, tmp_path / "s.csv", role="manager",
                              lang="en", **kw)
    assert list(summary.table.columns) == list(AGGREGATE_COLUMNS)
    assert summary.table[s.N_CONTACTS].sum() == 3 and summary.aggregated
    text = (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "Township code,Township,Priority,People"
    assert "p_" not in text
    with pytest.raises(ValueError, match="calls_per_day=2 makes it"):
        write_call_list(ranked, exposures, data, tmp_path / "x.csv", role="analyst",
                        **{**kw, "calls_per_day": 2})
    with pytest.raises(ValueError, match="扩展名 .txt"):
        write_call_list(ranked, exposures, data, tmp_path / "x.txt", role="analyst", **kw)
    with pytest.raises(CredentialError):
        write_call_list(ranked, exposures, data, tmp_path / "x.csv", role="fieldteam",
                        reveal=True, **kw)
    with pytest.raises(ValueError, match="none of the 3 contact"):
        write_call_list(ranked, exposures, data, tmp_path / "x.csv", role="analyst",
                        **{**kw, "key": b"another-key-0123456789abcdef"})
    with pytest.raises(ValueError, match="audit"):
        write_call_list(ranked, exposures, data, tmp_path / "x.csv", role="analyst",
                        **{**kw, "audit": None})
    assert not (tmp_path / "x.csv").exists() and len(read_audit(audit)) == 1


def test_read_exposures(tmp_path):
    _, exposures, _, _ = _county(tmp_path)
    path = tmp_path / "ex.csv"
    exposures.to_csv(path, index=False)
    back = read_exposures(path)
    assert back[s.OVERLAP_START].dt.tz is not None and back[s.HOP].dtype == "int64"
    exposures.assign(**{s.CONTACT_ID: "13123456789"}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="not pseudonyms, e.g. '13\\*+89'"):
        read_exposures(path)
    exposures.drop(columns=[s.OVERLAP_END]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="overlap_end"):
        read_exposures(path)
    exposures.head(0).to_csv(path, index=False)
    with pytest.raises(ValueError, match="nobody to call"):
        read_exposures(path)
    exposures.assign(**{s.OVERLAP_START: "yesterday"}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="ISO 8601"):
        read_exposures(path)
    (tmp_path / "ex.json").write_text("{}")
    with pytest.raises(ValueError, match="not an exposures file"):
        read_exposures(tmp_path / "ex.json")
