"""Follow-up: returned call sheets recorded idempotently, checked, and summed by township and tier."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from tracelab.cli import main
from tracelab.governance.followup import (
    FOLLOWUP_SHEET_COLUMNS,
    followup_status,
    followup_summary,
    import_followup,
    listing_from_trace,
    read_followup,
    read_listing,
)
from tracelab.io import open_store
from tracelab.io.exports import write_csv, write_xlsx
from tracelab.model import schema as s
from tracelab.privacy import DEMO_KEY
from tracelab.privacy.audit import read_audit
from tracelab.privacy.pseudonyms import pseudonym

from .conftest import NOW

A, B, C, D, E = (f"p_{i:016x}" for i in range(10, 15))
KEY = b"followup-test-key-3f9a1c7e5b2d8046"
PHONE, NAME = "13812345678", "欧阳娜娜"

ENGLISH = (
    "contact_id,township_code,township,tier,status,status_at\n"
    f"{A},360121100,莲塘镇,call_today,reached,2022-11-20 10:00\n"
    f"{A},360121100,莲塘镇,call_today,quarantined,2022-11-20 18:00\n"
    f"{B},360121100,莲塘镇,call_today,not_reached,2022-11-20 11:00\n"
    f"{C},360121100,莲塘镇,within_24h,,\n"
    f"{D},360121101,向塘镇,monitor,Wrong Number,2022-11-21\n"
)
CHINESE = [
    ["联系人编号", "乡镇编码", "乡镇", "优先级", "姓名", "状态", "时间"],
    [A, "360121100", "莲塘镇", "今日联系", "张三", "已联系", "2022-11-20 10:00"],
    [A, "360121100", "莲塘镇", "今日联系", "张三", "已隔离", "2022-11-20 18:00"],
    [B, "360121100", "莲塘镇", "今日联系", "李四", "未接通", "2022-11-20 11:00"],
    [C, "360121100", "莲塘镇", "24小时内联系", "王五", None, None],
    [D, "360121101", "向塘镇", "观察", "赵六", "号码错误", "2022-11-21"],
]


def _csv(folder: Path, text: str, name: str = "calls.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _xlsx(folder: Path, rows: list[list[object]], name: str = "calls.xlsx", *,
          cover: bool = False) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if cover:  # a cover sheet, and a title row above the header, as field teams add
        sheet.title = "说明"
        sheet.append(["随访结果请填写状态和时间"])
        sheet = book.create_sheet("名单")
        sheet.append(["莲塘镇随访名单"])
    for row in rows:
        sheet.append(row)
    path = folder / name
    book.save(path)
    return path


def _table(path: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()


# --- reading ------------------------------------------------------------------------------

def test_english_and_chinese_sheets_read_alike(tmp_path):
    english = read_followup(_csv(tmp_path, ENGLISH), now=NOW)
    chinese = read_followup(_xlsx(tmp_path, CHINESE, cover=True), now=NOW)
    assert list(english.accepted.columns) == list(FOLLOWUP_SHEET_COLUMNS)
    assert chinese.source == "calls.xlsx[名单]"
    assert (english.read, english.accepted_count, english.rejected_count) == (5, 5, 0)
    pd.testing.assert_frame_equal(english.accepted.drop(columns=s.SOURCE),
                                  chinese.accepted.drop(columns=s.SOURCE), check_dtype=False)
    got = english.accepted
    assert got[s.FOLLOWUP_STATUS].tolist()[:3] == [s.REACHED, s.QUARANTINED, s.NOT_REACHED]
    assert pd.isna(got[s.FOLLOWUP_STATUS].iloc[3]) and pd.isna(got[s.STATUS_AT].iloc[3])
    assert got[s.FOLLOWUP_STATUS].iloc[4] == s.WRONG_NUMBER
    assert got[s.TIER].tolist() == ["call_today"] * 3 + ["within_24h", "monitor"]
    # Local times of the region's zone; a date alone is the start of that local day.
    assert got[s.STATUS_AT].iloc[0] == pd.Timestamp("2022-11-20T02:00Z")
    assert got[s.STATUS_AT].iloc[4] == pd.Timestamp("2022-11-20T16:00Z")


def test_other_zone_and_header_zone_suffix(tmp_path):
    text = f"contact_id,status,status_at,listed_at (UTC)\n{A},sampled,2022-11-20 10:00,2022-11-20 01:00\n"
    got = read_followup(_csv(tmp_path, text), zone="Asia/Seoul", now=NOW).accepted
    assert got[s.STATUS_AT].iloc[0] == pd.Timestamp("2022-11-20T01:00Z")
    assert got[s.LISTED_AT].iloc[0] == pd.Timestamp("2022-11-20T01:00Z")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_returned_call_list_workbook(tmp_path, lang):
    """The layout of tracelab.governance.call_lists: a cover sheet saying when the list was
    made, then the list, to which the teams add a status and its time."""
    zh = lang == "zh"
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "说明" if zh else "About"
    cover.append(["名单" if zh else "List", "流调电话联系名单"])
    cover.append(["生成时间" if zh else "Made at",
                  "2022-11-20 08:00（北京时间）" if zh else "2022-11-20 08:00 (Beijing time)"])
    cover.append(["时间" if zh else "Times", "均为北京时间"])
    sheet = book.create_sheet("名单" if zh else "Calls")
    sheet.append(["乡镇编码", "乡镇", "优先级", "序号", "人员代号", "姓名", "电话", "身份证号",
                  "开始（北京时间）", "状态", "时间"] if zh else
                 ["Township code", "Township", "Priority", "Rank", "Pseudonym", "Name", "Phone",
                  "ID number", "Start (Beijing time)", "Status", "Status time"])
    sheet.append(["360121100", "莲塘镇", "今日联系" if zh else "call today", 1, A, "张*",
                  "138*****678", None, "2022-11-19 10:00", "已联系" if zh else "reached",
                  "2022-11-20 09:00"])
    sheet.append(["360121100", "莲塘镇", "24小时内联系" if zh else "within 24 hours", 2, B,
                  "李*", "139*****111", None, "2022-11-19 11:00", None, None])
    book.save(tmp_path / "calls.xlsx")
    got = read_followup(tmp_path / "calls.xlsx", now=NOW)
    assert got.rejected_count == 0 and got.source == f"calls.xlsx[{sheet.title}]"
    assert got.accepted[s.CONTACT_ID].tolist() == [A, B]
    assert got.accepted[s.TIER].tolist() == ["call_today", "within_24h"]
    assert set(got.accepted[s.LISTED_AT]) == {pd.Timestamp("2022-11-20T00:00Z")}
    listed = read_listing(tmp_path / "calls.xlsx")
    assert listed[s.LISTED_AT].tolist() == [pd.Timestamp("2022-11-20T00:00Z")] * 2


BAD = [  # (status cell, time cell, contact cell, reason, column)
    ("busy", "2022-11-20 10:00", A, "bad_followup_status", s.FOLLOWUP_STATUS),
    ("已联系", "", A, "missing_value", s.STATUS_AT),
    ("", "2022-11-20 10:00", A, "missing_value", s.FOLLOWUP_STATUS),
    ("reached", "yesterday", A, "bad_time", s.STATUS_AT),
    ("reached", "2023-01-05", A, "future_time", s.STATUS_AT),
    ("reached", "3000-01-01", A, "time_out_of_range", s.STATUS_AT),
    ("reached", "2022-11-20", "", "missing_value", s.CONTACT_ID),
    ("reached", "2022-11-20", PHONE, "raw_id_without_key", s.CONTACT_ID),
    ("reached", "2022-11-20", "138*****678", "masked_id", s.CONTACT_ID),
    ("reached", "2022-11-20", "p_89e9423575", "bad_pseudonym", s.CONTACT_ID),
    ("reached", "2022-11-20", "3.60323E+13", "id_in_scientific_notation", s.CONTACT_ID),
]


def test_bad_rows_are_rejected_with_their_reason(tmp_path):
    lines = ["contact_id,status,status_at", f"{B},阴性,2022-11-20 09:00"]
    lines += [f"{contact},{status},{at}" for status, at, contact, _, _ in BAD]
    lines.append(f"{A},positive")  # too few fields: a row the reader cannot split
    got = read_followup(_csv(tmp_path, "\n".join(lines) + "\n"), now=NOW)
    assert got.read == len(BAD) + 2 == got.accepted_count + got.rejected_count
    assert got.accepted[s.CONTACT_ID].tolist() == [B]
    rejected = got.rejected.set_index(s.ROW)
    for row, (_, _, _, reason, column) in enumerate(BAD, start=2):
        assert (rejected.loc[row, s.REASON], rejected.loc[row, s.COLUMN]) == (reason, column)
    assert rejected.loc[len(BAD) + 2, s.REASON] == "unreadable_file"
    # Values echoed masked: the raw phone never appears in a rejection row.
    assert not got.rejected.apply(lambda c: c.astype(str).str.contains(PHONE)).any().any()


@pytest.mark.parametrize("text, reason", [
    ("", "empty_file"),
    ("name,phone\n张三,13812345678\n", "missing_column"),
])
def test_a_sheet_without_the_columns_is_rejected_whole(tmp_path, text, reason):
    got = read_followup(_csv(tmp_path, text), now=NOW)
    assert got.accepted_count == 0 and reason in set(got.rejected[s.REASON])
    assert got.read == got.rejected_count


def test_with_the_key_raw_phones_and_ids_become_pseudonyms(tmp_path):
    text = ("联系人编号,人员编号,手机号,姓名,状态,时间\n"
            f",,+86 138 1234 5678,{NAME},已采样,2022-11-20\n"
            ",P0000042,,张三,已联系,2022-11-20\n"
            f"{A},P0000043,13900001111,李四,阳性,2022-11-20\n")
    got = read_followup(_csv(tmp_path, text), key=KEY, now=NOW)
    assert got.accepted[s.CONTACT_ID].tolist() == [
        pseudonym(PHONE, KEY), pseudonym("P0000042", KEY), A]


# --- importing ------------------------------------------------------------------------------

def test_import_is_idempotent_and_reconciles(tmp_path):
    sheet = _csv(tmp_path, ENGLISH + f"{E},,,,busy,2022-11-20\n{PHONE},,,,reached,2022-11-20\n")
    store_path = tmp_path / "tracelab.duckdb"
    with open_store(store_path) as store:
        first = import_followup(store, sheet, now=NOW)
    before = {t: _table(store_path, t) for t in ("followup", "rejections")}
    with open_store(store_path) as store:
        again = import_followup(store, sheet, now=NOW + pd.Timedelta(days=1))
    assert first.read == first.accepted + first.rejected == 7
    assert (first.accepted, first.rejected, first.added, first.pending) == (5, 2, 5, 1)
    assert (again.added, again.already, again.rejected) == (0, 5, 2)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(_table(store_path, table), frame)
    assert sorted(before["rejections"][s.REASON]) == ["bad_followup_status", "raw_id_without_key"]
    assert set(before["followup"][s.IMPORTED_AT]) == {NOW}


def test_the_english_and_chinese_sheets_record_the_same_facts(tmp_path):
    store_path = tmp_path / "tracelab.duckdb"
    with open_store(store_path) as store:
        import_followup(store, _csv(tmp_path, ENGLISH), now=NOW)
        got = import_followup(store, _xlsx(tmp_path, CHINESE), now=NOW)
    assert (got.added, got.already) == (0, 5)


def test_no_raw_phone_or_name_in_the_store_after_a_revealed_sheet(tmp_path):
    revealed = [["联系人编号", "姓名", "手机号", "证件号码", "状态", "时间"],
                [None, NAME, PHONE, "360121199001011234", "已联系", "2022-11-20 10:00"],
                [A, "王小明", "13900001111", None, "号码错误", "2022-11-20"],
                [None, "李大宝", "15800002222", None, "发烧", "2022-11-20"]]
    store_path = tmp_path / "tracelab.duckdb"
    with open_store(store_path) as store:
        got = import_followup(store, _xlsx(tmp_path, revealed), key=KEY, now=NOW)
    assert (got.accepted, got.rejected) == (2, 1)
    with duckdb.connect(str(store_path), read_only=True) as con:
        text = "\n".join(con.execute(f'SELECT * FROM "{t}"').df().to_csv(index=False)
                         for (t,) in con.execute("SHOW TABLES").fetchall())
    for raw in (PHONE, "13900001111", "15800002222", "360121199001011234", NAME, "王小明",
                "李大宝"):
        assert raw not in text
    assert pseudonym(PHONE, KEY) in text


def test_a_refused_write_leaves_both_tables_unchanged(tmp_path, monkeypatch):
    import tracelab.governance.followup as followup

    store_path = tmp_path / "tracelab.duckdb"
    sheet = _csv(tmp_path, ENGLISH + "x,,,,busy,2022-11-20\n")

    def boom(stage: str) -> None:
        if stage == "store:inserted:rejections":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(followup, "fault_point", boom)
    with open_store(store_path) as store, pytest.raises(OSError, match="No space"):
        import_followup(store, sheet, key=KEY, now=NOW)
    assert len(_table(store_path, "followup")) == len(_table(store_path, "rejections")) == 0


# --- status ---------------------------------------------------------------------------------

LISTED = pd.DataFrame({
    s.CONTACT_ID: [A, B, C, D, E],
    s.TIER: ["call_today", "call_today", "within_24h", "monitor", "call_today"],
    s.TOWNSHIP_CODE: ["360121100"] * 3 + ["360121101", "360121101"],
    s.LISTED_AT: pd.to_datetime(["2022-11-20T08:00+08:00"] * 5, utc=True),
})
AS_OF = "2022-11-21T07:00+08:00"
PURPOSE = ["--purpose", "case:C-031"]


def _imported(tmp_path: Path) -> Path:
    store_path = tmp_path / "tracelab.duckdb"
    with open_store(store_path) as store:
        import_followup(store, _csv(tmp_path, ENGLISH), now=NOW)
    return store_path


def test_completeness_by_township_and_tier_on_a_hand_example(tmp_path):
    with open_store(_imported(tmp_path), read_only=True) as store:
        got = followup_status(store, LISTED, as_of=AS_OF)
    table = got.completeness.set_index([s.TOWNSHIP_CODE, s.TIER])
    # 莲塘镇 call_today: A reached then quarantined (latest quarantined), B not reached.
    row = table.loc[("360121100", "call_today")]
    assert row[s.TOWNSHIP] == "莲塘镇"
    assert (row[s.N_LISTED], row[s.QUARANTINED], row[s.NOT_REACHED], row[s.N_LOCATED],
            row[s.N_OVERDUE], row[s.N_LATE]) == (2, 1, 1, 1, 1, 0)
    assert row[s.LOCATED_SHARE] == 0.5
    # C listed, no status yet, but 24 h not over; D wrong number, monitor: 72 h not over.
    assert table.loc[("360121100", "within_24h"), s.NO_STATUS] == 1
    assert table.loc[("360121101", "monitor"), s.WRONG_NUMBER] == 1
    # E is on the listing only: no status, call today, 11 h past due.
    assert table.loc[("360121101", "call_today"), [s.NO_STATUS, s.N_OVERDUE]].tolist() == [1, 1]
    statuses = [s.NO_STATUS, *s.FOLLOWUP_STATUSES]
    assert (got.completeness[statuses].sum(axis=1) == got.completeness[s.N_LISTED]).all()
    assert got.completeness[s.N_LISTED].sum() == 5 and got.unlisted == 0
    assert got.completeness[s.TOWNSHIP].tolist() == ["莲塘镇", "莲塘镇", "向塘镇", "向塘镇"]


def test_overdue_list(tmp_path):
    with open_store(_imported(tmp_path), read_only=True) as store:
        got = followup_status(store, LISTED, as_of=AS_OF)
        later = followup_status(store, LISTED, as_of="2022-11-23T09:00+08:00")
        limits = followup_status(store, LISTED, as_of=AS_OF,
                                 reach_within_hours={"call_today": 6.0, "unknown": None})
    # Call today = 12 h from 08:00: due 20:00, 11 h over at 07:00 next day; C (24 h) is due
    # at 08:00.
    assert got.overdue[[s.CONTACT_ID, s.HOURS_OVERDUE]].values.tolist() == [[B, 11.0], [E, 11.0]]
    assert got.overdue[s.FOLLOWUP_STATUS].tolist()[0] == s.NOT_REACHED
    assert pd.isna(got.overdue[s.FOLLOWUP_STATUS].iloc[1])
    # Two days on, C (24 h) and D (wrong number, 72 h) are overdue too; A never is. Other
    # limits: call today 6 h, no limit for the other tiers.
    assert set(later.overdue[s.CONTACT_ID]) == {B, C, D, E}
    assert limits.overdue[s.CONTACT_ID].tolist() == [B, E]
    assert limits.overdue[s.HOURS_OVERDUE].tolist() == [17.0, 17.0]


def test_located_late_and_statuses_after_as_of(tmp_path):
    listed = LISTED.assign(**{s.LISTED_AT: pd.Timestamp("2022-11-19T20:00+08:00")})
    with open_store(_imported(tmp_path), read_only=True) as store:
        got = followup_status(store, listed, as_of=AS_OF).contacts.set_index(s.CONTACT_ID)
        early = followup_status(store, listed, as_of="2022-11-20T10:30+08:00")
    # A reached at 10:00 on the 20th, 2 h after its 08:00 deadline: located, late.
    assert got.loc[A, s.LATE] and not got.loc[A, s.OVERDUE]
    assert got.loc[A, s.N_ATTEMPTS] == 2
    # As of 10:30, A's later quarantine and B's 11:00 call have not happened yet.
    contacts = early.contacts.set_index(s.CONTACT_ID)
    assert contacts.loc[A, s.FOLLOWUP_STATUS] == s.REACHED
    assert pd.isna(contacts.loc[B, s.FOLLOWUP_STATUS])


def test_without_a_listing_the_imported_sheets_list_the_contacts(tmp_path):
    with open_store(_imported(tmp_path), read_only=True) as store:
        got = followup_status(store, as_of=AS_OF, listed_at="2022-11-20T08:00+08:00")
        summary = followup_summary(store, as_of=AS_OF, listed_at="2022-11-20T08:00+08:00")
        partial = followup_status(store, LISTED.iloc[:2], as_of=AS_OF)
    assert got.completeness[s.N_LISTED].sum() == 4
    assert got.contacts.set_index(s.CONTACT_ID).loc[D, s.TIER] == "monitor"
    assert got.overdue[s.CONTACT_ID].tolist() == [B]
    assert summary is not None
    assert {k: summary[k] for k in ("listed", "located", "overdue", "unlisted")} == {
        "listed": 4, "located": 1, "overdue": 1, "unlisted": 0}
    assert summary["by_status"][s.NO_STATUS] == 1
    assert summary["by_tier"]["call_today"] == {"listed": 2, "located": 1, "overdue": 1}
    assert partial.unlisted == 1  # D has a status but is not on the two-row listing


def test_listings_from_a_file_and_from_a_trace(tmp_path):
    exposures = pd.DataFrame({s.CASE_ID: ["C1", "C2", "C1"], s.CONTACT_ID: [A, A, B]})
    cases = pd.DataFrame({s.PERSON_ID: ["C1", "C2"],
                          s.CONFIRMED_AT: pd.to_datetime([None, "2022-11-19T12:00Z"], utc=True),
                          s.SAMPLED_AT: pd.to_datetime(["2022-11-20T00:00Z"] * 2, utc=True)})
    ranked = pd.DataFrame({s.CONTACT_ID: [A, B], s.TIER: ["monitor", "call_today"]})
    persons = pd.DataFrame({s.PERSON_ID: [A], s.TOWNSHIP_CODE: ["360121100"]})
    got = listing_from_trace(exposures, ranked, cases, persons).set_index(s.CONTACT_ID)
    assert got.loc[A, s.LISTED_AT] == pd.Timestamp("2022-11-19T12:00Z")
    assert got.loc[B, s.LISTED_AT] == pd.Timestamp("2022-11-20T00:00Z")
    assert got[s.TIER].tolist() == ["monitor", "call_today"]
    assert got.loc[A, s.TOWNSHIP_CODE] == "360121100" and pd.isna(got.loc[B, s.TOWNSHIP_CODE])
    path = write_csv(exposures, tmp_path / "exposures.csv")
    assert read_listing(path)[s.CONTACT_ID].tolist() == [A, B]
    # A call list written by write_xlsx: times carry a " (Asia/Shanghai)" header suffix.
    calls = write_xlsx(LISTED, tmp_path / "calls.xlsx")
    listed = read_listing(calls)
    assert listed[s.LISTED_AT].tolist() == LISTED[s.LISTED_AT].tolist()
    raw = write_csv(pd.DataFrame({s.CONTACT_ID: ["P0000042"]}), tmp_path / "raw.csv")
    with pytest.raises(ValueError, match=r"raw.csv row 1: contact_id 'P0\*+42' is not a pseudonym"):
        read_listing(raw)
    assert read_listing(raw, key=KEY)[s.CONTACT_ID].tolist() == [pseudonym("P0000042", KEY)]


def test_summary_is_none_without_followup_rows(tmp_path):
    with open_store(tmp_path / "tracelab.duckdb") as store:
        assert followup_summary(store) is None
    # A store file made before the follow-up table existed, opened read-only.
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()
    with open_store(old, read_only=True) as store:
        assert followup_summary(store) is None


# --- command line ---------------------------------------------------------------------------

def _one_line(capsys: pytest.CaptureFixture[str], command: str = "followup") -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tracelab {command}：错误："), err
    return err[0]


@pytest.mark.parametrize("name, needle", [
    ("missing.xlsx", "missing.xlsx：文件不存在"),
    ("calls.pdf", "calls.pdf：不支持的文件类型 '.pdf'；请用 .xlsx 或 .csv"),
])
def test_cli_import_of_a_missing_or_wrong_file_exits_2_with_one_line(tmp_path, capsys, name,
                                                                     needle):
    if name.endswith(".pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4\n")
    store = tmp_path / "tracelab.duckdb"
    status = main(["followup", "import", str(tmp_path / name), "--store", str(store), *PURPOSE])
    assert status == 2 and needle in _one_line(capsys)
    assert not store.exists()  # nothing written


def test_cli_import_of_a_sheet_without_the_columns_exits_2(tmp_path, capsys):
    sheet = _csv(tmp_path, "姓名,备注,状态\n张三,13812345678,已联系\n")
    assert main(["followup", "import", str(sheet), "--store", str(tmp_path / "s.duckdb"),
                 *PURPOSE]) == 2
    line = _one_line(capsys)
    assert "calls.csv：缺少必需的列 contact_id (联系人编号), status_at" in line
    assert "现有列：status" in line and "13812345678" not in line
    assert not (tmp_path / "s.duckdb").exists()


def test_cli_import_and_status(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TRACELAB_KEY", raising=False)
    store = tmp_path / "tracelab.duckdb"
    sheet = _csv(tmp_path, ENGLISH + f"{PHONE},,,,reached,2022-11-20\n")
    now = ["--now", "2022-12-31T00:00Z"]
    assert main(["followup", "import", str(sheet), "--store", str(store), *now, *PURPOSE]) == 1
    out = capsys.readouterr().out
    assert "读取 6 行，接受 5 行" in out and "raw_id_without_key" in out and PHONE not in out
    assert "：raw_id_without_key（" + s.REASONS_ZH["raw_id_without_key"] + "）" in out
    assert main(["followup", "import", str(sheet), "--store", str(store), "--lang", "en",
                 *now, *PURPOSE]) == 1
    assert "0 new, 5 already recorded" in capsys.readouterr().out
    listing = write_csv(LISTED, tmp_path / "calls.csv")
    status = main(["followup", "status", "--store", str(store), "--exposures", str(listing),
                   "--as-of", AS_OF, "--out", str(tmp_path / "status.csv"),
                   "--overdue-out", str(tmp_path / "overdue.xlsx"), *PURPOSE])
    out = capsys.readouterr().out
    assert status == 0
    assert "随访完成情况" in out and "超时未落实 2 人" in out and B in out
    assert re.search(r"合计\s+5", out)
    written = pd.read_csv(tmp_path / "status.csv", encoding="utf-8-sig")
    assert written[s.N_LISTED].sum() == 5
    assert (tmp_path / "status.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "overdue.xlsx").is_file()
    assert main(["followup", "status", "--store", str(store), "--as-of", AS_OF,
                 "--lang", "en", "--reach-hours", "call_today=none"]) == 0
    assert "overdue: 0" in capsys.readouterr().out
    # Two imports and one named status: three entries; a status without a purpose shows
    # counts only, names nobody, and logs nothing.
    assert len(read_audit(store)) == 3
    assert main(["followup", "status", "--store", str(store), "--exposures", str(listing),
                 "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    assert "超时未落实 2 人" in out and B not in out and "需 --purpose" in out
    assert len(read_audit(store)) == 3
    assert main(["followup", "status", "--store", str(store), "--overdue-out",
                 str(tmp_path / "o2.csv")]) == 2
    assert "--overdue-out" in _one_line(capsys) and not (tmp_path / "o2.csv").exists()


def test_cli_import_needs_a_purpose_and_logs_one_entry(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TRACELAB_KEY", raising=False)
    store = tmp_path / "tracelab.duckdb"
    sheet = _csv(tmp_path, ENGLISH)
    with pytest.raises(SystemExit):
        main(["followup", "import", str(sheet), "--store", str(store)])
    assert not store.exists()
    assert main(["followup", "import", str(sheet), "--store", str(store), "--purpose",
                 "13812345678", "--now", "2022-12-31T00:00Z"]) == 2
    assert "13812345678" not in capsys.readouterr().err and not store.exists()
    assert main(["followup", "import", str(sheet), "--store", str(store), *PURPOSE,
                 "--who", "lead", "--now", "2022-12-31T00:00Z"]) == 0
    log = read_audit(store)
    assert len(log) == 1 and log["purpose"].iloc[0] == PURPOSE[1]
    assert log["query"].iloc[0] == f"followup import {sheet.name}" and log["who"].iloc[0] == "lead"


@pytest.mark.parametrize("argv, needle", [
    (["--as-of", "2022-11-21 09:00"], "--as-of '2022-11-21 09:00' 没有时区"),
    (["--reach-hours", "call_today=soon"], "--reach-hours 'call_today=soon'"),
    (["--out", "status.pdf"], "--out status.pdf：输出格式由扩展名决定，请用 .csv 或 .xlsx"),
])
def test_cli_status_refuses_bad_options_in_one_line(tmp_path, capsys, argv, needle):
    store = _imported(tmp_path)
    assert main(["followup", "status", "--store", str(store), *argv]) == 2
    assert needle in _one_line(capsys)


def test_cli_status_of_a_missing_store_exits_2(tmp_path, capsys):
    assert main(["followup", "status", "--store", str(tmp_path / "none.duckdb")]) == 2
    assert "none.duckdb：文件不存在；请先导入一份随访表" in _one_line(capsys)
    assert main(["followup", "status", "--store", str(tmp_path / "none.duckdb"),
                 "--lang", "en"]) == 2
    assert "none.duckdb: no such file; import a sheet first" in capsys.readouterr().err


def test_demo_key_is_accepted_for_synthetic_sheets(tmp_path):
    text = "contact_id,status,status_at\nP0000001,reached,2022-11-20\n"
    got = read_followup(_csv(tmp_path, text), key=DEMO_KEY, now=NOW)
    assert got.accepted[s.CONTACT_ID].tolist() == [pseudonym("P0000001", DEMO_KEY)]


def test_import_refuses_a_load_of_something_else(tmp_path):
    from tracelab.io import Loaded, empty_rejections

    other = Loaded(pd.DataFrame({s.PERSON_ID: [A]}), empty_rejections(), 1, "scans.csv")
    with open_store(tmp_path / "tracelab.duckdb") as store, pytest.raises(
            ValueError, match=r"sheet lacks column\(s\) \['contact_id', 'status'"):
        import_followup(store, other)
