"""Loaders: the malformed corpus, encodings and formats, reconciliation, masking."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracelab as tl
from tracelab.io import merge_repeat_scans
from tracelab.model import coords
from tracelab.model import schema as s

from .conftest import NOW

DATA = Path(__file__).parent / "data"
VALID = DATA / "valid"
CORPUS = list(csv.DictReader(
    (DATA / "malformed" / "expected.csv").read_text(encoding="utf-8").splitlines()))
#: Raw personal values of the valid files: none may appear in a rejection table.
PERSONAL = ("13123456789", "13912345678", "15870001234", "360323200106151237", "李建国")


@pytest.fixture(scope="module")
def venues() -> pd.DataFrame:
    return tl.read_venues(VALID / "venues.csv", now=NOW).accepted


def _load(loader: str, path: Path, venues: pd.DataFrame, **kw) -> tl.Loaded:
    if loader == "venues":
        return tl.read_venues(path, now=NOW, **{"region": "360323", **kw})
    if loader == "scans":
        return tl.read_scans(path, venues, now=NOW, **kw)
    return tl.read_cases(path, now=NOW, **kw)


def _reconciles(loaded: tl.Loaded) -> None:
    assert loaded.read == loaded.accepted_count + loaded.rejected_count
    assert list(loaded.rejected.columns) == list(s.REJECTION_COLUMNS)
    assert set(loaded.rejected[s.REASON]) <= set(s.REASONS)
    assert loaded.rejected[s.ROW].is_unique or (loaded.rejected[s.ROW] == 0).all()


def test_valid_files_load_without_rejections(venues):
    assert len(venues) == 3
    scans = tl.read_scans(VALID / "scans.csv", venues, now=NOW)
    cases = tl.read_cases(VALID / "cases.csv", now=NOW)
    assert scans.rejected.empty and cases.rejected.empty
    assert list(scans.accepted.columns) == list(s.SCAN_COLUMNS)
    assert list(cases.accepted.columns) == list(s.CASE_COLUMNS)
    assert str(scans.accepted[s.SCANNED_AT].dtype) == "datetime64[ns, UTC]"
    # 2022-11-20 08:05:03 in Asia/Shanghai is 00:05:03 UTC.
    assert scans.accepted[s.SCANNED_AT].iloc[0] == pd.Timestamp("2022-11-20T00:05:03Z")
    assert scans.accepted[s.CODE_COLOUR].tolist() == ["green", "green", "yellow"]
    assert scans.accepted[s.METHOD].tolist() == ["self", "self", "proxy"]
    assert venues[s.OWNER_ID_KIND].tolist() == ["uscc", "regno", "resident_id"]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("case", CORPUS, ids=[c["file"] for c in CORPUS])
def test_malformed_input_gives_its_specific_reason(case, venues):
    loaded = _load(case["loader"], DATA / "malformed" / case["file"], venues)
    _reconciles(loaded)
    if case["outcome"] == "fault":
        # A registration fault keeps the venue for tracing and lists the fault.
        assert loaded.rejected.empty and loaded.accepted_count == loaded.read
        faults = loaded.faults[[s.REASON, s.ROW, s.COLUMN]].values.tolist()
        assert [case["reason"], int(case["row"]), case["column"]] in faults
        assert not any(value in loaded.faults.to_csv(index=False) for value in PERSONAL)
        flagged = loaded.accepted[s.REGISTRY_FAULT].dropna()
        assert case["reason"] in ";".join(flagged) or case["row"] == "0"
        return
    got = loaded.rejected[[s.REASON, s.ROW, s.COLUMN]].values.tolist()
    if not case["reason"]:
        assert got == []
    elif case["row"] == "*":
        assert len(got) == loaded.read > 0
        assert {(r, c) for r, _, c in got} == {(case["reason"], case["column"])}
    else:
        assert got == [[case["reason"], int(case["row"]), case["column"]]]
    table = loaded.rejected.to_csv(index=False)
    assert not any(value in table for value in PERSONAL)
    assert all(m.strip() for m in loaded.rejected[s.MESSAGE])


def test_messages_name_the_column_and_show_the_value(venues):
    loaded = tl.read_scans(DATA / "malformed" / "scans_bad_colour.csv", venues, now=NOW)
    message = loaded.rejected[s.MESSAGE].iloc[0]
    assert "code_color" in message and "'蓝'" in message and "green, yellow or red" in message


def test_personal_values_are_masked_in_registry_faults(venues):
    loaded = tl.read_venues(DATA / "malformed" / "venues_duplicate_phone.csv", now=NOW)
    row = loaded.faults.iloc[0]
    assert row[s.VALUE] == "131*****789"
    assert "V1" in row[s.MESSAGE]  # names the venue that already holds the phone


def test_html_and_formula_text_in_free_fields_is_kept_verbatim(tmp_path):
    text = (VALID / "venues.csv").read_text(encoding="utf-8")
    evil_name, evil_address = "<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0"
    text = text.replace("好又多超市", evil_name).replace("芦溪镇建设路1号", evil_address)
    (tmp_path / "venues.csv").write_text(text, encoding="utf-8")
    loaded = tl.read_venues(tmp_path / "venues.csv", now=NOW)
    assert loaded.rejected.empty
    assert loaded.accepted[s.NAME].iloc[0] == evil_name
    assert loaded.accepted[s.ADDRESS].iloc[0] == evil_address


def _chinese_twin(frame_text: str, table: str) -> str:
    aliases = {canonical: spellings[0] for canonical, spellings in tl.io.HEADER_ALIASES.items()}
    header, rest = frame_text.split("\n", 1)
    return ",".join(aliases[c] for c in header.split(",")) + "\n" + rest


@pytest.mark.parametrize("table", ["venues", "scans", "cases"])
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_header_file_loads_like_its_english_utf8_twin(table, encoding, tmp_path, venues):
    english = (VALID / f"{table}.csv").read_text(encoding="utf-8")
    twin = tmp_path / f"{table}.csv"
    twin.write_bytes(_chinese_twin(english, table).encode(encoding))
    a = _load(table, VALID / f"{table}.csv", venues)
    b = _load(table, twin, venues)
    assert b.encoding == ("gb18030" if encoding != "utf-8-sig" else "utf-8-sig")
    pd.testing.assert_frame_equal(a.accepted, b.accepted)
    assert b.rejected.empty


def test_encoding_override_that_does_not_fit_is_a_file_rejection(tmp_path):
    text = (VALID / "venues.csv").read_text(encoding="utf-8")
    (tmp_path / "venues.csv").write_bytes(text.encode("gbk"))
    loaded = tl.read_venues(tmp_path / "venues.csv", now=NOW, encoding="utf-8")
    assert loaded.rejected[s.REASON].tolist() == ["unreadable_file"]
    assert "utf-8" in loaded.rejected[s.MESSAGE].iloc[0]


@pytest.mark.parametrize("table", ["venues", "scans", "cases"])
def test_xlsx_and_parquet_load_like_csv(table, tmp_path, venues):
    raw = pd.read_csv(VALID / f"{table}.csv", dtype=str, keep_default_na=False)
    raw.to_excel(tmp_path / f"{table}.xlsx", index=False)
    raw.to_parquet(tmp_path / f"{table}.parquet")
    expected = _load(table, VALID / f"{table}.csv", venues).accepted
    for suffix in ("xlsx", "parquet"):
        got = _load(table, tmp_path / f"{table}.{suffix}", venues)
        assert got.rejected.empty, suffix
        pd.testing.assert_frame_equal(got.accepted, expected)


def test_geojson_venues_load_like_csv(tmp_path):
    raw = pd.read_csv(VALID / "venues.csv", dtype=str, keep_default_na=False)
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
                 "properties": r.drop(["lon", "lat"]).to_dict()} for _, r in raw.iterrows()]
    import json
    (tmp_path / "venues.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8")
    got = tl.read_venues(tmp_path / "venues.geojson", now=NOW)
    pd.testing.assert_frame_equal(got.accepted, tl.read_venues(VALID / "venues.csv", now=NOW).accepted)


def test_typed_parquet_times_are_read_as_instants(tmp_path, venues):
    scans = tl.read_scans(VALID / "scans.csv", venues, now=NOW).accepted
    scans.to_parquet(tmp_path / "scans.parquet")
    again = tl.read_scans(tmp_path / "scans.parquet", venues, now=NOW)
    pd.testing.assert_frame_equal(again.accepted, scans)


@pytest.mark.parametrize("text,expected", [
    ("2022-11-18T08:05:03+08:00", "2022-11-18T00:05:03Z"),
    ("2022-11-18 08:05:03", "2022-11-18T00:05:03Z"),
    ("2022/11/18 08:05:03", "2022-11-18T00:05:03Z"),
    ("2022/1/8 8:05", "2022-01-08T00:05:00Z"),
    ("2022年11月18日 08:05", "2022-11-18T00:05:00Z"),
    ("1668729903000", "2022-11-18T00:05:03Z"),
    ("2022-12-31 23:59:59", "2022-12-31T15:59:59Z"),  # local year end is UTC afternoon
    ("2020-02-29 00:30", "2020-02-28T16:30:00Z"),  # leap day
])
def test_time_forms(text, expected):
    got = tl.io.parse.parse_times(pd.Series([text]))
    assert got.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["2022-02-29 00:00", "2022-13-01", "昨天", "12:00", "2022"])
def test_impossible_times_are_not_guessed(text):
    assert tl.io.parse.parse_times(pd.Series([text])).isna().all()


def test_repeat_scans_within_two_minutes_are_merged_and_counted(tmp_path, venues):
    rows = ["person_id,venue_id,scanned_at,code_color",
            "P1,V1,2022-11-20 08:00:00,绿", "P1,V1,2022-11-20 08:01:30,红",
            "P1,V1,2022-11-20 08:03:00,绿",  # chains onto the previous repeat
            "P1,V1,2022-11-20 08:10:00,绿", "P1,V2,2022-11-20 08:10:30,绿"]
    (tmp_path / "scans.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = tl.read_scans(tmp_path / "scans.csv", venues, now=NOW)
    got = loaded.accepted[[s.VENUE_ID, s.MERGED_SCANS, s.CODE_COLOUR]].values.tolist()
    assert got == [["V1", 3, "red"], ["V1", 1, "green"], ["V2", 1, "green"]]
    assert loaded.read == 5 == loaded.accepted_count + loaded.rejected_count


def test_merge_does_not_mutate_its_input(venues):
    scans = tl.read_scans(VALID / "scans.csv", venues, now=NOW).accepted
    before = scans.copy()
    merge_repeat_scans(scans, within="1h")
    pd.testing.assert_frame_equal(scans, before)
    with pytest.raises(ValueError, match="within: '-1min' is negative"):
        merge_repeat_scans(scans, within="-1min")


def test_venue_positions_are_converted_from_gcj02(venues):
    wgs = tl.read_venues(VALID / "venues.csv", now=NOW, crs="WGS-84").accepted
    shift = coords.distance_m(venues[s.LON], venues[s.LAT], wgs[s.LON], wgs[s.LAT])
    assert ((shift > 600) & (shift < 660)).all()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="crs"):
        tl.read_venues(VALID / "venues.csv", now=NOW, crs="BD-09")
    with pytest.raises(ValueError, match="now: .* has no time zone"):
        tl.read_venues(VALID / "venues.csv", now="2022-12-01")
    with pytest.raises(FileNotFoundError):
        tl.read_venues(VALID / "nope.csv", now=NOW)
    (tmp_path / "venues.docx").write_bytes(b"x")
    with pytest.raises(ValueError, match="unsupported file type '.docx'"):
        tl.read_venues(tmp_path / "venues.docx", now=NOW)


# --- a hypothesis test: mutated valid files always reconcile ----------------------

_JUNK = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "0", "=1+1", "<b>x</b>", "绿", "NaN", "2022-11-20 08:00:00",
                     "V1", "1e309", "-1", "\t", "\"", ",", "\n"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(["venues", "scans", "cases"]), data=st.data(),
       profile=st.sampled_from(["strict", "research"]))
def test_mutated_files_reconcile(table, data, profile, tmp_path_factory, venues):
    frame = pd.read_csv(VALID / f"{table}.csv", dtype=str, keep_default_na=False)
    n_ops = data.draw(st.integers(1, 6))
    for _ in range(n_ops):
        op = data.draw(st.sampled_from(["cell", "dup_row", "drop_row", "drop_col", "swap_cols"]))
        if op == "cell" and len(frame):
            i = data.draw(st.integers(0, len(frame) - 1))
            j = data.draw(st.integers(0, frame.shape[1] - 1))
            frame.iat[i, j] = data.draw(_JUNK)
        elif op == "dup_row" and len(frame):
            frame = pd.concat([frame, frame.iloc[[data.draw(st.integers(0, len(frame) - 1))]]],
                              ignore_index=True)
        elif op == "drop_row" and len(frame):
            frame = frame.drop(index=frame.index[data.draw(st.integers(0, len(frame) - 1))])
        elif op == "drop_col" and frame.shape[1] > 1:
            frame = frame.drop(columns=data.draw(st.sampled_from(list(frame.columns))))
        elif op == "swap_cols" and frame.shape[1] > 1:
            a, b = data.draw(st.permutations(list(frame.columns)))[:2]
            frame = frame.rename(columns={a: b, b: a})
    fmt = data.draw(st.sampled_from(["csv", "gbk", "parquet"]))
    path = tmp_path_factory.mktemp("mut") / f"{table}.{'parquet' if fmt == 'parquet' else 'csv'}"
    if fmt == "parquet":
        frame.to_parquet(path)
    else:
        # Quote every field: the junk holds bare carriage returns, which a minimal-quoting
        # writer leaves unquoted and so turns into extra lines.
        text = frame.to_csv(index=False, quoting=csv.QUOTE_ALL)
        path.write_bytes(text.encode("utf-8" if fmt == "csv" else "gb18030"))
    loaded = _load(table, path, venues, profile=profile)
    _reconciles(loaded)
    assert loaded.read == len(frame) or loaded.rejected[s.REASON].eq("unreadable_file").any()
