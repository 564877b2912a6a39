"""Call-list export: grouped by township and tier, masked, formula-safe, CSV and XLSX."""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab.governance.call_lists import CALL_LIST_COLUMNS, call_list, export_contacts
from tracelab.model import schema as s

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
