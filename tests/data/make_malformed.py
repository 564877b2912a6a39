"""Write the corpus of malformed inputs in tests/data/malformed/ and its expected reasons.

Run from the repository root: ``python tests/data/make_malformed.py``. Each file is a small
valid table with one fault; ``expected.csv`` says which loader reads it and which reason,
row and column the fault must produce (``row`` 0: a problem of the whole file; ``*``: every
row; an empty reason: the file loads without rejections).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).parent / "malformed"

VENUE_HEADER = ["venue_id", "name", "venue_type", "owner_name", "owner_id", "applicant_phone",
                "city", "county", "township", "lon", "lat", "address", "registered_at"]
VENUES = [
    ["V1", "好又多超市", "超市", "芦溪县好又多商贸有限公司", "92360323600123450Y", "13123456789",
     "萍乡市", "芦溪县", "芦溪镇", "114.0352", "27.6271", "芦溪镇建设路1号", "2022-11-18 09:00:00"],
    ["V2", "宣风镇中心小学", "学校", "宣风镇中心小学", "360323600012341", "13912345678",
     "萍乡市", "芦溪县", "宣风镇", "114.1702", "27.6618", "宣风镇学府路8号", "2022-11-18 10:00:00"],
    ["V3", "老李小吃", "餐饮门店", "李建国", "360323200106151237", "15870001234",
     "萍乡市", "芦溪县", "上埠镇", "114.0351", "27.5671", "上埠镇老街21号", "2022-11-19 08:30:00"],
]
SCAN_HEADER = ["person_id", "venue_id", "scanned_at", "code_color", "method", "exit_at",
               "device_lon", "device_lat"]
SCANS = [
    ["P001", "V1", "2022-11-20 08:05:03", "绿", "本人", "", "114.030", "27.630"],
    ["P002", "V1", "2022-11-20 08:15:00", "green", "self", "", "", ""],
    ["P003", "V2", "2022-11-20 09:00:00", "黄", "代登记", "2022-11-20 09:40:00", "", ""],
]
CASE_HEADER = ["person_id", "kind", "onset_at", "sampled_at", "confirmed_at", "isolated_at",
               "found_by_screening", "last_negative_at"]
CASES = [
    ["P001", "确诊", "2022-11-21 09:00", "2022-11-22 10:00", "2022-11-23 08:00",
     "2022-11-23 09:00", "否", ""],
    ["P004", "无症状", "", "2022-11-22 10:00", "2022-11-23 08:00", "2022-11-23 09:00",
     "是", "2022-11-20 10:00"],
]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


def _set(rows: list[list[str]], header: list[str], row: int, column: str, value: str):
    out = [list(r) for r in rows]
    out[row - 1][header.index(column)] = value
    return out


def _edit(header: list[str], rows: list[list[str]], change: dict[str, str]) -> str:
    """The table with cells changed: ``column_rN=value`` sets that column of data row N."""
    for key, value in change.items():
        column, _, row = key.rpartition("_r")
        rows = _set(rows, header, int(row), column, value)
    return _csv(header, rows)


def _venues(**change: str) -> str:
    return _edit(VENUE_HEADER, VENUES, change)


def _scans(**change: str) -> str:
    return _edit(SCAN_HEADER, SCANS, change)


def _cases(**change: str) -> str:
    return _edit(CASE_HEADER, CASES, change)


def _drop_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    i = rows[0].index(column)
    return _csv([c for j, c in enumerate(rows[0]) if j != i],
                [[c for j, c in enumerate(r) if j != i] for r in rows[1:]])


# file name -> (loader, content, reason, row, column)
CORPUS: dict[str, tuple[str, str | bytes, str, int | str, str]] = {
    "venues_missing_column.csv": ("venues", _drop_column(_venues(), "address"),
                                  "missing_column", "*", "address"),
    "venues_extra_column.csv": ("venues", _venues().replace("registered_at\n", "registered_at,备注\n")
                                .replace(":00\n", ":00,x\n"), "", 0, ""),
    "venues_empty_field.csv": ("venues", _venues(owner_name_r2=""), "missing_value", 2, "owner_name"),
    "venues_bad_uscc.csv": ("venues", _venues(owner_id_r1="92360323600123450X"),
                            "bad_check_digit", 1, "owner_id"),
    "venues_bad_regno.csv": ("venues", _venues(owner_id_r2="360323600012342"),
                             "bad_check_digit", 2, "owner_id"),
    "venues_bad_resident_id.csv": ("venues", _venues(owner_id_r3="360323200106151238"),
                                   "bad_check_digit", 3, "owner_id"),
    "venues_swapped_lat_lon.csv": ("venues", _venues(lon_r1="27.6271", lat_r1="114.0352"),
                                   "swapped_lat_lon", 1, "lat"),
    "venues_zero_position.csv": ("venues", _venues(lon_r2="0", lat_r2="0"),
                                 "bad_coordinate", 2, "lon"),
    "venues_unparseable_position.csv": ("venues", _venues(lat_r2="二十七度"),
                                        "bad_coordinate", 2, "lon"),
    "venues_outside_county.csv": ("venues", _venues(lon_r3="116.397", lat_r3="39.909"),
                                  "outside_county", 3, "lon"),
    "venues_wrong_county.csv": ("venues", _venues(county_r1="安源区"), "outside_county", 1, "county"),
    "venues_unknown_township.csv": ("venues", _venues(township_r2="火星镇"),
                                    "unknown_township", 2, "township"),
    "venues_unknown_type.csv": ("venues", _venues(venue_type_r1="太空站"),
                                "unknown_venue_type", 1, "venue_type"),
    "venues_duplicate_phone.csv": ("venues", _venues(applicant_phone_r3="13123456789"),
                                   "duplicate_applicant_phone", 3, "applicant_phone"),
    "venues_duplicate_id.csv": ("venues", _venues(venue_id_r2="V1"), "duplicate_venue_id", 2,
                                "venue_id"),
    "venues_bad_phone.csv": ("venues", _venues(applicant_phone_r2="1391234567"), "bad_phone", 2,
                             "applicant_phone"),
    "venues_formula_phone.csv": ("venues", _venues(applicant_phone_r1='=HYPERLINK("http://x","y")'),
                                 "bad_phone", 1, "applicant_phone"),
    "venues_html_type.csv": ("venues", _venues(venue_type_r2="<script>alert(1)</script>"),
                             "unknown_venue_type", 2, "venue_type"),
    "venues_huge_field.csv": ("venues", _venues(address_r3="路" * 100_000), "field_too_long", 3,
                              "address"),
    "venues_future_registration.csv": ("venues", _venues(registered_at_r1="2031-01-01 00:00:00"),
                                       "future_time", 1, "registered_at"),
    "venues_bad_registration_time.csv": ("venues", _venues(registered_at_r2="去年冬天"),
                                         "bad_time", 2, "registered_at"),
    "venues_empty.csv": ("venues", b"", "empty_file", 0, ""),
    "venues_header_only.csv": ("venues", _csv(VENUE_HEADER, []), "empty_file", 0, ""),
    "venues_not_featurecollection.geojson": ("venues", json.dumps({"type": "Point"}),
                                             "unreadable_file", 0, ""),
    "scans_unknown_venue.csv": ("scans", _scans(venue_id_r2="V404"), "unknown_venue", 2, "venue_id"),
    "scans_bad_time.csv": ("scans", _scans(scanned_at_r1="2022-13-45 25:61"), "bad_time", 1,
                           "scanned_at"),
    "scans_future_time.csv": ("scans", _scans(scanned_at_r3="2030-01-01 08:00:00"), "future_time",
                              3, "scanned_at"),
    "scans_bad_colour.csv": ("scans", _scans(code_color_r2="蓝"), "bad_colour", 2, "code_color"),
    "scans_bad_method.csv": ("scans", _scans(method_r1="传真"), "bad_method", 1, "method"),
    "scans_exit_before_entry.csv": ("scans", _scans(exit_at_r3="2022-11-20 08:00:00"),
                                    "exit_before_entry", 3, "exit_at"),
    "scans_missing_person.csv": ("scans", _scans(person_id_r2=""), "missing_value", 2, "person_id"),
    "scans_missing_column.csv": ("scans", _drop_column(_scans(), "code_color"), "missing_column", "*",
                                 "code_color"),
    "scans_extra_field_in_row.csv": ("scans", _scans().replace("self,,,\n", "self,,,,oops\n"),
                                     "unreadable_file", 2, ""),
    "scans_bad_device_position.csv": ("scans", _scans(device_lat_r1="north"), "bad_coordinate", 1,
                                      "device_lon"),
    "scans_not_text.csv": ("scans", b"\xff\xfe\x00\x81\xff" * 20, "unreadable_file", 0, ""),
    "scans_corrupt.parquet": ("scans", b"PAR1 this is not parquet", "unreadable_file", 0, ""),
    "scans_corrupt.xlsx": ("scans", b"PK\x03\x04 not a zip", "unreadable_file", 0, ""),
    "cases_bad_kind.csv": ("cases", _cases(kind_r1="疑似"), "bad_case_kind", 1, "kind"),
    "cases_time_order.csv": ("cases", _cases(confirmed_at_r1="2022-11-21 08:00"), "bad_time_order",
                             1, "confirmed_at"),
    "cases_screening_without_negative.csv": ("cases", _cases(last_negative_at_r2=""),
                                             "missing_value", 2, "last_negative_at"),
    "cases_confirmed_without_onset.csv": ("cases", _cases(onset_at_r1=""), "missing_value", 1,
                                          "onset_at"),
    "cases_bad_bool.csv": ("cases", _cases(found_by_screening_r2="也许"), "bad_bool", 2,
                           "found_by_screening"),
    "cases_duplicate.csv": ("cases", _cases(person_id_r2="P001"), "duplicate_case", 2, "person_id"),
}


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for old in HERE.iterdir():
        old.unlink()
    for name, (_, content, *_rest) in CORPUS.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
    with open(HERE / "expected.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["file", "loader", "reason", "row", "column"])
        for name, (loader, _, reason, row, column) in CORPUS.items():
            writer.writerow([name, loader, reason, row, column])
    (HERE.parent / "valid").mkdir(exist_ok=True)
    (HERE.parent / "valid" / "venues.csv").write_text(_venues(), encoding="utf-8")
    (HERE.parent / "valid" / "scans.csv").write_text(_scans(), encoding="utf-8")
    (HERE.parent / "valid" / "cases.csv").write_text(_cases(), encoding="utf-8")


if __name__ == "__main__":
    main()
