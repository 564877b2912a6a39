"""Bad bytes are rows, not aborts: a generated corpus of malformed inputs through ``tracelab validate``.

Every case is a data folder (venues, scans, sometimes cases) built here from a seed: the
valid files of ``tests/data/valid`` with one kind of damage. Each runs through the command
line in-process and must end without a traceback (exit status 0, 1 or 2, an error in one
line), with ``read == accepted + rejected`` for every table, a named reason and a message
on every rejection row, the rows of the rejection table matching the counts printed, and
no planted phone or ID number anywhere in what is printed or written.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tracelab as tl
from tracelab.cli import main
from tracelab.model import ids
from tracelab.model import schema as s

VALID = Path(__file__).parent / "data" / "valid"
NOW = "2022-12-31T00:00:00+08:00"
REGION = "360323"
SEED = 20221120
_RNG = random.Random(SEED)
#: Personal values planted in wrong places: synthetic, from the seed.
PHONES = ids.make_mobile(4, seed=SEED)
RIDS = ids.make_resident_id(2, division=REGION, seed=SEED)
#: Personal values of the valid files: never printed raw either.
KNOWN = ("13123456789", "13912345678", "15870001234", "360323200106151237")
COUNT_LINE = re.compile(
    r"^(\S[^\n]*?): read ([\d,]+), accepted ([\d,]+), rejected ([\d,]+)", re.MULTILINE)

TEXT = {name: (VALID / f"{name}.csv").read_text(encoding="utf-8") for name in
        ("venues", "scans", "cases")}
HEADERS = {name: text.split("\n", 1)[0].split(",") for name, text in TEXT.items()}
ROWS = {name: [line.split(",") for line in text.strip().split("\n")[1:]]
        for name, text in TEXT.items()}


@dataclass(frozen=True)
class Case:
    """A data folder: the valid venues and scans with ``files`` put in (None removes)."""

    name: str
    files: dict[str, bytes | None]
    #: Reasons that must appear in the rejection table.
    expect: tuple[str, ...] = ()
    #: Tables none of whose rows may be rejected (a repair, not a rejection).
    clean: tuple[str, ...] = ()
    #: Raw values that must appear nowhere in the output.
    personal: tuple[str, ...] = ()
    region: bool = True
    extra: dict[str, object] = field(default_factory=dict)


def _csv(table: str, edits: dict[tuple[int, str], str] | None = None, *,
         header: list[str] | None = None, extra: Sequence[list[str]] = (), sep: str = ",",
         drop_header: bool = False) -> str:
    """The valid table with cells changed ((row, column) -> text), in CSV text."""
    head = list(header or HEADERS[table])
    rows = [list(r) for r in ROWS[table]] + [list(r) for r in extra]
    for (row, column), value in (edits or {}).items():
        rows[row - 1][HEADERS[table].index(column)] = value
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerows(([] if drop_header else [head]) + rows)
    return buf.getvalue()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _scan_columns() -> dict[str, list[str]]:
    return {c: [r[i] for r in ROWS["scans"]] for i, c in enumerate(HEADERS["scans"])}


def _scans_parquet(**columns: pa.Array | list) -> bytes:
    base: dict[str, pa.Array | list] = dict(_scan_columns())
    base.update(columns)
    return _parquet(pa.table(base))


def _features() -> list[dict]:
    raw = pd.read_csv(VALID / "venues.csv", dtype=str, keep_default_na=False)
    return [{"type": "Feature",
             "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
             "properties": r.drop(["lon", "lat"]).to_dict()} for _, r in raw.iterrows()]


def _geojson(features: list, **top: object) -> bytes:
    doc = {"type": "FeatureCollection", "features": features, **top}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _with_feature(index: int, feature: object) -> bytes:
    features: list = _features()
    features[index] = feature
    return _geojson(features)


# --- the corpus ---------------------------------------------------------------------

def _time_cases() -> list[Case]:
    far = ["9999999999999", "9999999999", "3000-01-01 00:00:00", "1000-01-01 08:00",
           "9999-12-31T23:59:59Z", "2262-04-12 00:00", "3000年1月1日 08:00", "1677-01-01 00:00"]
    chosen = far[:2] + _RNG.sample(far[2:], 4)
    garbage = ["0000-00-00", "0000-00-00 00:00:00", "2022-11-20T08:05:03+25:00",
               "2022-11-20 08:05:03 CST", "2022-11-20T08:05:03Z+08:00", "2022-11-20 25:00:00",
               "1668905103000000", "NaN", "inf", "-1", "1e20", "下午 15:05", "2022-02-29",
               "\x00", "2022-11-20\x0008:00", "=NOW()"]
    cases = []
    for value in chosen:
        cases.append(Case(f"scanned_at_far_{value}", {"scans.csv": _utf8(_csv(
            "scans", {(_RNG.randint(1, 3), "scanned_at"): value}))}, ("time_out_of_range",)))
    for value in _RNG.sample(garbage, 6):
        cases.append(Case(f"scanned_at_garbage_{value!r}", {"scans.csv": _utf8(_csv(
            "scans", {(_RNG.randint(1, 3), "scanned_at"): value}))}, ("bad_time",)))
    # Epoch seconds and milliseconds of the same instant both read (2022-11-20 08:05 +08).
    for value in ("1668902703", "1668902703000"):
        cases.append(Case(f"scanned_at_epoch_{len(value)}", {"scans.csv": _utf8(_csv(
            "scans", {(1, "scanned_at"): value}))}, clean=("scans",)))
    for value in ("9999999999999", "0000-00-00"):
        cases.append(Case(f"exit_at_{value}", {"scans.csv": _utf8(_csv(
            "scans", {(3, "exit_at"): value}))},
            ("bad_time" if value.startswith("0000") else "time_out_of_range",)))
    for column in _RNG.sample(["onset_at", "sampled_at", "confirmed_at", "last_negative_at"], 2):
        value = _RNG.choice(far)
        cases.append(Case(f"cases_{column}_far", {"cases.csv": _utf8(_csv(
            "cases", {(1 if column != "last_negative_at" else 2, column): value}))},
            ("time_out_of_range",)))
    cases.append(Case("registered_at_far_is_a_fault", {"venues.csv": _utf8(_csv(
        "venues", {(2, "registered_at"): "9999999999999"}))}, clean=("venues",)))
    return cases


def _count_cases() -> list[Case]:
    header = [*HEADERS["scans"], "merged_scans"]
    out = []
    for value, reason in (("1e20", "count_too_large"), ("99999999999999999999999",
                          "count_too_large"), ("100001", "count_too_large"),
                          ("-1", "bad_count"), ("NaN", "bad_count"), ("1.5", "bad_count"),
                          ("3", "")):
        extra = [["P009", "V1", "2022-11-20 10:00:00", "绿", "本人", "", "", "", value]]
        rows = [[*r, "1"] for r in ROWS["scans"]]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *rows, *extra])
        out.append(Case(f"merged_scans_{value or 'empty'}", {"scans.csv": _utf8(buf.getvalue())},
                        (reason,) if reason else (), () if reason else ("scans",)))
    out.append(Case("merged_scans_parquet_uint64", {"scans.parquet": _scans_parquet(
        merged_scans=pa.array([2**64 - 1, 1, 1], pa.uint64()))}, ("count_too_large",)))
    for value in ("inf", "1e309"):
        out.append(Case(f"device_lat_{value}", {"scans.csv": _utf8(_csv(
            "scans", {(1, "device_lat"): value}))}, ("bad_coordinate",)))
    out.append(Case("venue_lon_1e400", {"venues.csv": _utf8(_csv(
        "venues", {(1, "lon"): "1e400"}))}, ("bad_coordinate",)))
    return out


def _parquet_cases() -> list[Case]:
    n = len(ROWS["scans"])
    binary_ok = pa.array([b"P001", b"P002", b"P003"], pa.binary())
    binary_bad = pa.array([b"P001", b"\xff\xfe\x00", b"P003"], pa.binary())
    cases = [
        Case("parquet_binary_utf8_ids", {"scans.parquet": _scans_parquet(person_id=binary_ok)},
             clean=("scans",)),
        Case("parquet_binary_id", {"scans.parquet": _scans_parquet(person_id=binary_bad)},
             ("binary_value",)),
        Case("parquet_binary_venue_id", {"scans.parquet": _scans_parquet(
            venue_id=pa.array([b"V1", b"\x80", b"V2"], pa.binary()))}, ("binary_value",)),
        Case("parquet_struct_colour", {"scans.parquet": _scans_parquet(
            code_color=pa.array([{"c": "绿"}, {"c": "绿"}, None]))}, ("nested_value",)),
        Case("parquet_list_person", {"scans.parquet": _scans_parquet(
            person_id=pa.array([["P001"], ["P002", "x"], []]))}, ("nested_value",)),
        Case("parquet_map_method", {"scans.parquet": _scans_parquet(
            method=pa.array([[("k", 1)], None, [("a", 2)]],
                            pa.map_(pa.string(), pa.int64())))}, ("nested_value",)),
        Case("parquet_nested_lists", {"scans.parquet": _scans_parquet(
            venue_id=pa.array([[[["V1"]]], [[["V1"]]], [[["V2"]]]]))}, ("nested_value",)),
        Case("parquet_timestamp_year_3000", {"scans.parquet": _scans_parquet(
            scanned_at=pa.array([dt.datetime(3000, 1, 1), dt.datetime(2022, 11, 20),
                                 dt.datetime(2022, 11, 20, 1)], pa.timestamp("ms")))},
             ("time_out_of_range",)),
        Case("parquet_timestamp_tz_year_1000", {"scans.parquet": _scans_parquet(
            scanned_at=pa.array([dt.datetime(1000, 1, 1, tzinfo=dt.UTC)] * n,
                                pa.timestamp("us", tz="UTC")))}, ("time_out_of_range",)),
        Case("parquet_epoch_ms_ints", {"scans.parquet": _scans_parquet(
            scanned_at=pa.array([1668902703000, 9999999999999, 2**62], pa.int64()))},
             ("time_out_of_range",)),
        Case("parquet_date32_far", {"scans.parquet": _scans_parquet(
            scanned_at=pa.array([dt.date(2022, 11, 20), dt.date(9999, 1, 1),
                                 dt.date(2022, 11, 20)], pa.date32()))},
             ("time_out_of_range",)),
        Case("parquet_dictionary_colour", {"scans.parquet": _scans_parquet(
            code_color=pa.array(["绿", "green", "黄"]).dictionary_encode())}, clean=("scans",)),
        Case("parquet_null_column", {"scans.parquet": _scans_parquet(
            code_color=pa.array([None] * n, pa.null()))}, ("missing_value",)),
        Case("parquet_phone_ints_as_person", {"scans.parquet": _scans_parquet(
            person_id=pa.array([int(p) for p in PHONES[:3]], pa.int64()))}, clean=("scans",)),
        Case("parquet_float_device", {"scans.parquet": _scans_parquet(
            device_lon=pa.array([float("nan"), float("inf"), 114.03]),
            device_lat=pa.array([27.6, 27.6, float("-inf")]))}, ("bad_coordinate",)),
        Case("parquet_duplicate_columns", {"scans.parquet": _parquet(pa.Table.from_arrays(
            [pa.array(v) for v in _scan_columns().values()] + [pa.array(["x"] * n)],
            names=[*HEADERS["scans"], "person_id"]))}, clean=("scans",)),
        Case("parquet_no_rows", {"scans.parquet": _parquet(pa.table(
            {c: pa.array([], pa.string()) for c in HEADERS["scans"]}))}, ("empty_file",)),
        Case("parquet_no_columns", {"scans.parquet": _parquet(pa.table({}))}, ("empty_file",)),
        Case("parquet_truncated", {"scans.parquet": _scans_parquet()[:-40]},
             ("unreadable_file",)),
        Case("parquet_struct_venues", {"venues.parquet": _parquet(pa.table({
            **{c: [r[i] for r in ROWS["venues"]] for i, c in enumerate(HEADERS["venues"])},
            "lon": pa.array([{"x": 1.0}] * 3)}))}, ("nested_value",)),
    ]
    return cases


def _geojson_cases() -> list[Case]:
    deep = b'{"type":"FeatureCollection","features":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    point = {"type": "Point", "coordinates": [114.0352, 27.6271]}
    props = _features()[0]["properties"]
    nested_value: object = "x"
    for _ in range(400):
        nested_value = [nested_value]
    cases = [
        Case("geojson_feature_number", {"venues.geojson": _with_feature(1, 7)}, ("bad_feature",)),
        Case("geojson_feature_text", {"venues.geojson": _with_feature(0, "Feature")},
             ("bad_feature",)),
        Case("geojson_feature_null", {"venues.geojson": _with_feature(2, None)}, ("bad_feature",)),
        Case("geojson_coordinates_number", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": {"type": "Point", "coordinates": 5},
            "properties": props})}, ("bad_feature",)),
        Case("geojson_coordinates_text", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": {"type": "Point", "coordinates": ["114", "27"]},
            "properties": props})}, ("bad_feature",)),
        Case("geojson_coordinates_nested", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [[114, 27]]},
            "properties": props})}, ("bad_feature",)),
        Case("geojson_geometry_list", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": [114, 27], "properties": props})}, ("bad_feature",)),
        Case("geojson_properties_list", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": point, "properties": ["V2"]})}, ("bad_feature",)),
        Case("geojson_no_properties", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": point})}, ("missing_value",)),
        Case("geojson_polygon", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "properties": {**props, "venue_id": "V9"},
            "geometry": {"type": "Polygon", "coordinates": [[[114, 27], [114.1, 27], [114, 27.1]]]}})},
             ("bad_coordinate",)),
        Case("geojson_nested_property", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": point,
            "properties": {**props, "venue_id": {"id": "V2"}}})}, ("nested_value",)),
        Case("geojson_deeply_nested_property", {"venues.geojson": _with_feature(1, {
            "type": "Feature", "geometry": point, "properties": {**props, "name": nested_value}})},
             ("nested_value",)),
        Case("geojson_nan_coordinates", {"venues.geojson": _geojson(_features()).replace(
            b"114.0352", b"NaN")}, ("bad_coordinate",)),
        Case("geojson_huge_coordinate", {"venues.geojson": _geojson(_features()).replace(
            b"114.0352", b"1e400")}, ("bad_coordinate",)),
        Case("geojson_huge_integer", {"venues.geojson": _geojson(_features()).replace(
            b"114.0352", b"9" * 5000)}, ("unreadable_file",)),
        Case("geojson_deeply_nested", {"venues.geojson": deep}, ("unreadable_file",)),
        Case("geojson_features_object", {"venues.geojson": _geojson({"a": 1})},  # type: ignore[arg-type]
             ("unreadable_file",)),
        Case("geojson_not_collection", {"venues.geojson": json.dumps(
            _features()[0]).encode()}, ("unreadable_file",)),
        Case("geojson_truncated", {"venues.geojson": _geojson(_features())[:-25]},
             ("unreadable_file",)),
        Case("geojson_empty_file", {"venues.geojson": b""}, ("unreadable_file",)),
        Case("geojson_no_features", {"venues.geojson": _geojson([])}, ("empty_file",)),
        Case("geojson_utf16", {"venues.geojson": json.dumps(
            json.loads(_geojson(_features())), ensure_ascii=False).encode("utf-16")},
             clean=("venues",)),
        Case("geojson_gbk", {"venues.geojson": json.dumps(
            json.loads(_geojson(_features())), ensure_ascii=False).encode("gbk")},
             ("unreadable_file",)),
        Case("geojson_bom", {"venues.geojson": codecs.BOM_UTF8 + _geojson(_features())},
             clean=("venues",)),
    ]
    return cases


def _encoding_cases() -> list[Case]:
    scans = TEXT["scans"]
    chinese = _csv("scans", header=["人员编号", "场所编码", "扫码时间", "健康码颜色", "登记方式",
                                     "离场时间", "设备经度", "设备纬度"])
    out = []
    for name, data in (
        ("utf8", scans.encode("utf-8")),
        ("utf8_bom", scans.encode("utf-8-sig")),
        ("utf16_bom_le", scans.encode("utf-16")),
        ("utf16_bom_be", codecs.BOM_UTF16_BE + scans.encode("utf-16-be")),
        ("utf16_le", scans.encode("utf-16-le")),
        ("utf16_be", scans.encode("utf-16-be")),
        ("utf32_bom", scans.encode("utf-32")),
        ("chinese_gbk", chinese.encode("gbk")),
        ("chinese_gb18030", chinese.encode("gb18030")),
        ("chinese_utf16_le", chinese.encode("utf-16-le")),
        ("chinese_utf16_be_bom", codecs.BOM_UTF16_BE + chinese.encode("utf-16-be")),
        ("excel_unicode_text", _csv("scans", sep="\t").replace("\n", "\r\n").encode("utf-16")),
        ("semicolons", _csv("scans", sep=";").encode("utf-8")),
        ("bars", _csv("scans", sep="|").encode("utf-8")),
        ("crlf", scans.replace("\n", "\r\n").encode("utf-8")),
        ("bare_cr", scans.replace("\n", "\r").encode("utf-8")),
    ):
        out.append(Case(f"encoding_{name}", {"scans.csv": data}, clean=("scans",)))
    # One row in another encoding: that row is lost, the others are read.
    gbk_row = "P009,V1,2022-11-20 10:00:00,绿,本人,,,\n".encode("gbk")
    out.append(Case("mixed_utf8_with_a_gbk_row", {"scans.csv": scans.encode() + gbk_row},
                    ("bad_encoding",)))
    # GB18030 reads most UTF-8 as (wrong) Chinese: only a run of odd length betrays it.
    out.append(Case("mixed_gbk_with_a_utf8_row", {"scans.csv": chinese.encode("gbk") + (
        "P009,V1,2022-11-20 10:00:00,绿,本人,,,\n".encode())}, ("bad_encoding",)))
    out.append(Case("stray_byte_in_a_row", {"scans.csv": scans.encode().replace(
        b"P002", b"P0\xff2")}, ("bad_encoding",)))
    out.append(Case("stray_byte_in_the_header", {"scans.csv": scans.encode().replace(
        b"venue_id", b"venue\xffid")}, ("unreadable_file",)))
    out.append(Case("utf16_lone_surrogate", {"scans.csv": scans.encode("utf-16-le").replace(
        "P002".encode("utf-16-le"), b"P\x00\x00\xd8" + "02".encode("utf-16-le"))},
        ("bad_encoding",)))
    # The measured case: a bad byte after the first 4 MiB, where detection does not look.
    note = "备注" * 30
    body = "".join(f"P{i:06d},V1,2022-11-20 08:05:03,绿,本人,,,,{note}\n" for i in range(42_000))
    big = (_csv("scans", header=[*HEADERS["scans"], "备注"], extra=[]).split("\n")[0] + "\n"
           + body).encode() + b"P999999,V1,2022-11-20 08:05:03,\xb0\xa1,self,,,,x\n"
    assert len(big) > 4 << 20
    out.append(Case("bad_byte_after_4_mib", {"scans.csv": big}, ("bad_encoding",),
                    extra={"read": 42_001, "rejected": 1}))
    return out


def _id_cases() -> list[Case]:
    out = []
    invisible = {"zwsp": "\u200b", "bom": "\ufeff", "soft_hyphen": "\u00ad", "lrm": "\u200e",
                 "nul": "\x00", "word_joiner": "\u2060", "rlo": "\u202e"}
    for name, char in invisible.items():
        table, column = _RNG.choice([("scans", "person_id"), ("scans", "venue_id"),
                                     ("venues", "venue_id"), ("cases", "person_id")])
        row = _RNG.randint(1, 2)
        value = ROWS[table][row - 1][HEADERS[table].index(column)]
        at = _RNG.randint(1, len(value) - 1)
        out.append(Case(f"id_invisible_{name}_{table}_{column}", {f"{table}.csv": _utf8(_csv(
            table, {(row, column): value[:at] + char + value[at:]}))}, clean=(table,)))
    out.append(Case("id_full_width", {"scans.csv": _utf8(_csv(
        "scans", {(1, "person_id"): "Ｐ００１", (2, "venue_id"): "Ｖ１"}))}, clean=("scans",)))
    out.append(Case("id_cyrillic_lookalike", {"scans.csv": _utf8(_csv(
        "scans", {(1, "person_id"): "Р001", (3, "venue_id"): "V2"}))}, clean=("scans",)))
    out.append(Case("id_greek_lookalike_venue", {"venues.csv": _utf8(_csv(
        "venues", {(1, "venue_id"): "\u03921"}))}, ("unknown_venue",)))  # Beta: B1, not V1
    out.append(Case("id_mixed_script", {"scans.csv": _utf8(_csv(
        "scans", {(2, "person_id"): "PЖ02"}))}, ("mixed_script_id",)))
    out.append(Case("id_only_invisible", {"scans.csv": _utf8(_csv(
        "scans", {(2, "person_id"): "\u200b\u200b"}))}, ("missing_value",)))
    out.append(Case("id_nul_bytes_everywhere", {"scans.csv": _utf8(TEXT["scans"]).replace(
        b"P00", b"P\x000\x000")}, clean=("scans",)))
    return out


def _privacy_cases() -> list[Case]:
    p = PHONES
    forms = [p[0], f"{p[1][:3]}-{p[1][3:7]}-{p[1][7:]}", f"+86 {p[2][:3]} {p[2][3:7]} {p[2][7:]}",
             f"86.{p[3]}", f"{p[0]}.0", f"0086{p[1]}"]
    rid_forms = [RIDS[0], f"{RIDS[1][:6]} {RIDS[1][6:14]} {RIDS[1][14:]}"]
    out = []
    for column in ("scanned_at", "code_color", "exit_at", "venue_id"):
        value = _RNG.choice(forms)
        out.append(Case(f"phone_in_{column}", {"scans.csv": _utf8(_csv(
            "scans", {(2, column): value}))}, personal=(value, re.sub(r"\D", "", value)[-11:])))
    for column in ("code_color", "person_id"):
        value = _RNG.choice(rid_forms)
        out.append(Case(f"id_number_in_{column}", {"scans.csv": _utf8(_csv(
            "scans", {(1, column): value, (2, "scanned_at"): "bad"}))},
            personal=(value, value.replace(" ", ""))))
    out.append(Case("phone_in_cases_kind", {"cases.csv": _utf8(_csv(
        "cases", {(1, "kind"): forms[1]}))}, ("bad_case_kind",), personal=(forms[1], p[1])))
    out.append(Case("phone_in_county", {"venues.csv": _utf8(_csv(
        "venues", {(r, "county"): forms[2] for r in (1, 2, 3)}))}, region=False,
        personal=(forms[2], p[2])))
    headerless = _csv("scans", {(1, "person_id"): forms[1], (2, "person_id"): "李建国"},
                      drop_header=True)
    out.append(Case("headerless_scans", {"scans.csv": _utf8(headerless)}, ("missing_column",),
                    personal=(forms[1], p[1], "李建国")))
    out.append(Case("headerless_venues", {"venues.csv": _utf8(_csv("venues", drop_header=True))},
                    ("missing_column",), personal=("李建国",)))
    return out


def _structure_cases() -> list[Case]:
    scans = TEXT["scans"]
    huge = "x" * 200_000
    out = [
        Case("empty_scans", {"scans.csv": b""}, ("empty_file",)),
        Case("empty_venues", {"venues.csv": b""}, ("empty_file",)),
        Case("whitespace_only", {"scans.csv": b"   \n\n  \n"}),
        Case("header_only", {"scans.csv": _utf8(scans.split("\n")[0] + "\n")}, ("empty_file",)),
        Case("header_only_no_newline", {"cases.csv": _utf8(TEXT["cases"].split("\n")[0])},
             ("empty_file",)),
        Case("truncated_mid_row", {"scans.csv": _utf8(scans[:-18])}),
        Case("truncated_in_quotes", {"scans.csv": _utf8(scans + 'P009,"V1,2022-11')}),
        Case("unbalanced_quote", {"scans.csv": _utf8(scans.replace("P002", 'P0"02'))}),
        Case("extra_fields", {"scans.csv": _utf8(scans + "P009,V1,2022-11-20 10:00:00,绿,本人,,,,x,y\n")},
             ("unreadable_file",)),
        Case("blank_lines", {"scans.csv": _utf8(scans.replace("\n", "\n\n", 2))}),
        Case("duplicate_headers", {"scans.csv": _utf8(_csv(
            "scans", header=["person_id", "venue_id", "scanned_at", "code_color", "method",
                             "person_id", "device_lon", "device_lat"]))}),
        Case("duplicate_alias_headers", {"scans.csv": _utf8(_csv(
            "scans", header=["person_id", "场所编码", "scanned_at", "code_color", "method",
                             "venue_id", "device_lon", "device_lat"]))}),
        Case("missing_columns", {"scans.csv": _utf8("a,b\n1,2\n")}, ("missing_column",)),
        Case("one_column", {"scans.csv": _utf8("person_id\nP001\n")}, ("missing_column",)),
        Case("huge_field_in_id", {"scans.csv": _utf8(_csv("scans", {(1, "person_id"): huge}))},
             ("field_too_long",)),
        Case("huge_field_in_time", {"scans.csv": _utf8(_csv("scans", {(1, "scanned_at"): huge}))},
             ("bad_time",)),
        # A row with too many fields sends the file to the csv module, whose field limit
        # the huge field passes: both rows are rejected, the others read.
        Case("huge_field_and_broken_row", {"scans.csv": _utf8(_csv(
            "scans", {(1, "code_color"): huge}) + "P9,V1,,,,,,,,,\n")}, ("unreadable_file",)),
        Case("huge_venue_name", {"venues.csv": _utf8(_csv("venues", {(2, "name"): huge}))},
             ("field_too_long",)),
        Case("binary_junk", {"scans.csv": random.Random(SEED).randbytes(5000)},
             ("unreadable_file",)),
        Case("binary_junk_with_utf16_bom", {"scans.csv": codecs.BOM_UTF16_LE
                                            + random.Random(SEED + 1).randbytes(3000)},
             ("unreadable_file",)),
        Case("binary_junk_ascii_controls", {"scans.csv": bytes(
            random.Random(SEED + 2).choices(range(32), k=3000))},
             ("unreadable_file",)),
        Case("zero_filled", {"scans.csv": b"\x00" * 4096}, ("unreadable_file",)),
        Case("png_as_venues", {"venues.csv": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8},
             ("unreadable_file",)),
        Case("xlsx_corrupt", {"scans.xlsx": b"PK\x03\x04 truncated"}, ("unreadable_file",)),
        Case("xlsx_not_zip", {"cases.xlsx": b"<html>not a workbook</html>"},
             ("unreadable_file",)),
    ]
    for payload in ('=HYPERLINK("http://x.example","click")', "+cmd|' /C calc'!A0",
                    "@SUM(1+1)*cmd|'/C calc'!A0"):
        column = _RNG.choice(["person_id", "code_color", "method"])
        out.append(Case(f"formula_{column}_{payload[:6]}", {"scans.csv": _utf8(_csv(
            "scans", {(_RNG.randint(1, 3), column): payload}))}))
    out.append(Case("formula_venue_name", {"venues.csv": _utf8(_csv(
        "venues", {(1, "name"): '=HYPERLINK("http://x.example","click")'}))}, clean=("venues",)))
    for kind, value in (("negative", "-1"), ("zero_date", "0000-00-00"), ("duplicate", "P001")):
        edits = {(2, "person_id"): value} if kind == "duplicate" else {(2, "sampled_at"): value}
        out.append(Case(f"cases_{kind}", {"cases.csv": _utf8(_csv("cases", edits))},
                        ("duplicate_case",) if kind == "duplicate" else ("bad_time",)))
    out.append(Case("no_registry_region_inferred", {"venues.csv": b""}, region=False))
    return out


CASES = (_time_cases() + _count_cases() + _parquet_cases() + _geojson_cases()
         + _encoding_cases() + _id_cases() + _privacy_cases() + _structure_cases())


def _folder(root: Path, case: Case) -> Path:
    folder = root / "data"
    folder.mkdir()
    (folder / "venues.csv").write_text(TEXT["venues"], encoding="utf-8")
    (folder / "scans.csv").write_text(TEXT["scans"], encoding="utf-8")
    if any(name.startswith("cases.") for name in case.files):
        (folder / "cases.csv").write_text(TEXT["cases"], encoding="utf-8")
    for name, data in case.files.items():
        for old in folder.glob(name.split(".")[0] + ".*"):
            old.unlink()
        if data is not None:
            (folder / name).write_bytes(data)
    return folder


def test_the_corpus_is_large_and_names_distinct():
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_input_is_rows_not_an_abort(case, tmp_path, capsys):
    folder = _folder(tmp_path, case)
    out_csv = tmp_path / "rejections.csv"
    argv = ["validate", str(folder), "--now", NOW, "--out", str(out_csv), "--lang", "en"]
    status = main(argv + (["--region", REGION] if case.region else []))
    printed, errors = capsys.readouterr()
    assert status in (0, 1, 2)
    written = out_csv.read_text(encoding="utf-8-sig") if out_csv.exists() else ""
    for value in (*KNOWN, *case.personal):
        assert value not in printed + errors + written, value
    if status == 2:  # one clear line, never for the damage the case is about
        assert errors.count("\n") == 1 and errors.startswith("tracelab validate: error:")
        assert not case.expect and not case.clean, errors
        return
    counts = {src: [int(x.replace(",", "")) for x in nums]
              for src, *nums in COUNT_LINE.findall(printed)}
    assert counts, printed
    for source, (read, accepted, rejected) in counts.items():
        assert read == accepted + rejected, source
    table = pd.read_csv(io.StringIO(written), dtype=str, keep_default_na=False)
    assert set(table[s.REASON]) <= set(s.REASONS), set(table[s.REASON]) - set(s.REASONS)
    assert (table[s.MESSAGE].str.strip() != "").all()
    data_rows = table[table[s.ROW].astype(int) > 0]
    for source, (_, _, rejected) in counts.items():
        assert (data_rows[s.SOURCE] == source).sum() == rejected, source
    assert status == (1 if len(table) else 0)
    for reason in case.expect:
        assert reason in set(table[s.REASON]), (reason, table[[s.ROW, s.REASON]].values.tolist())
    for stem in case.clean:
        assert not table[s.SOURCE].str.startswith(stem).any(), table.values.tolist()
    if "read" in case.extra:
        (read, _, rejected), = [v for k, v in counts.items() if k.startswith("scans")]
        assert (read, rejected) == (case.extra["read"], case.extra["rejected"])


# --- what the rows say: offsets, repairs, masking ---------------------------------------

def _scans(tmp_path: Path, data: bytes, name: str = "scans.csv") -> tl.Loaded:
    path = tmp_path / name
    path.write_bytes(data)
    return tl.read_scans(path, None, now=NOW)


def test_a_bad_byte_costs_its_row_and_is_reported_at_its_offset_and_line(tmp_path):
    good = TEXT["scans"].encode()
    data = good + b"P004,V1,2022-11-20 10:00:00,\xff\xfe,self,,,\n" + b"P005,V1,2022-11-20 10:05:00,green,self,,,\n"
    loaded = _scans(tmp_path, data)
    assert (loaded.read, loaded.accepted_count, loaded.rejected_count) == (5, 4, 1)
    row = loaded.rejected.iloc[0]
    assert (row[s.ROW], row[s.REASON]) == (4, "bad_encoding")
    offset, line = data.index(b"\xff\xfe"), data[: data.index(b"\xff")].count(b"\n") + 1
    assert f"line {line}, byte {offset:,}: bytes ff are not utf-8" in row[s.MESSAGE]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32", "gbk", "gb18030"])
def test_every_encoding_loads_like_utf8(encoding, tmp_path):
    text = _csv("scans", header=["人员编号", "场所编码", "扫码时间", "健康码颜色", "登记方式",
                                  "离场时间", "设备经度", "设备纬度"])
    expected = _scans(tmp_path, text.encode("utf-8"), "a.csv").accepted
    got = _scans(tmp_path, text.encode(encoding), "b.csv")
    assert got.rejected.empty
    pd.testing.assert_frame_equal(got.accepted, expected)


def test_repaired_ids_are_one_person_and_counted_not_rejected(tmp_path):
    text = _csv("scans", {(1, "person_id"): "P\u200b001", (2, "person_id"): "Ｐ００１",
                          (3, "person_id"): "Р001", (3, "venue_id"): "V\x002"})
    loaded = _scans(tmp_path, _utf8(text))
    assert loaded.rejected.empty and loaded.read == loaded.accepted_count == 3
    assert set(loaded.accepted[s.PERSON_ID]) == {"P001"}
    assert set(loaded.accepted[s.VENUE_ID]) == {"V1", "V2"}
    assert loaded.repaired_count == 4
    assert set(loaded.repaired[s.REASON]) == {"repaired_id"}
    assert list(loaded.repaired.columns) == list(s.REJECTION_COLUMNS)
    venue = loaded.repaired[loaded.repaired[s.COLUMN] == s.VENUE_ID].iloc[0]
    assert venue[s.VALUE] == "V\\x002" and "invisible characters" in venue[s.MESSAGE]
    folder = _folder(tmp_path, Case("r", {"scans.csv": _utf8(text)}))
    data = tl.read_dir(folder, now=NOW)
    assert len(data.repaired) == 4 and data.rejections.empty
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["validate", str(folder), "--now", NOW, "--lang", "en"])
    assert "repaired and kept: 4 id value(s)" in out.getvalue()
    listed = pd.read_csv(folder / "repaired_ids.csv", encoding="utf-8-sig")
    assert len(listed) == 4 and set(listed[s.REASON]) == {"repaired_id"}


def test_a_phone_in_the_wrong_column_is_masked_in_value_and_message(tmp_path):
    phone = f"{PHONES[0][:3]}-{PHONES[0][3:7]}-{PHONES[0][7:]}"
    text = _csv("scans", {(1, "scanned_at"): phone, (2, "code_color"): f"+86 {PHONES[1]}",
                          (3, "venue_id"): PHONES[2]})
    venues = tl.read_venues(VALID / "venues.csv", now=NOW).accepted
    path = tmp_path / "scans.csv"
    path.write_text(text, encoding="utf-8")
    loaded = tl.read_scans(path, venues, now=NOW)
    assert loaded.rejected[s.REASON].tolist() == ["bad_time", "bad_colour", "unknown_venue"]
    shown = loaded.rejected.to_csv(index=False)
    for raw in (phone, *PHONES[:3]):
        assert raw not in shown
    assert loaded.rejected[s.VALUE].tolist() == [ids.mask_phone(p) for p in PHONES[:3]]


def test_a_headerless_file_does_not_print_its_first_row(tmp_path, capsys):
    phone = f"{PHONES[0][:3]} {PHONES[0][3:7]} {PHONES[0][7:]}"
    text = _csv("scans", {(1, "person_id"): phone}, drop_header=True)
    loaded = _scans(tmp_path, _utf8(text))
    assert loaded.ignored_columns == tuple(f"column {i}" for i in range(1, 9))
    assert "looks like data, not a header" in loaded.rejected[s.MESSAGE].iloc[0]
    assert main(["validate", str(tmp_path / "scans.csv"), "--now", NOW]) == 1
    printed = capsys.readouterr().out
    assert phone not in printed and PHONES[0] not in printed and "column 1" in printed


def test_geojson_errors_name_the_file_and_what_is_wrong(tmp_path):
    path = tmp_path / "venues.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": {"a": 1}}')
    loaded = tl.read_venues(path, now=NOW, region=REGION)
    assert loaded.rejected[s.MESSAGE].tolist() == [
        "venues.geojson: features is an object, not a list of Feature objects"]
    path.write_bytes(b'{"type": "FeatureCollection", "features": [1, ')
    message = tl.read_venues(path, now=NOW, region=REGION).rejected[s.MESSAGE].iloc[0]
    assert message.startswith("venues.geojson: not valid JSON (") and "line 1" in message
