"""Column-wise exports and ``why`` sentences: the same bytes as the cell-by-cell code.

Issue 22: a two-hop trace of a county is 183,699 rows, and masking, neutralising and
writing them one Python object per cell took most of 15 s. The column-wise code must
write exactly what the cell-by-cell code wrote; these tests hold it to the old code,
kept here as the reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.index.graph import VisitGraph
from tracelab.io import csv_cells
from tracelab.io.exports import neutralise, safe_frame, write_csv
from tracelab.model import schema as s
from tracelab.model.rules import rule
from tracelab.privacy import pseudonyms as pz
from tracelab.tracing import forward
from tracelab.tracing.forward import trace

# Characters that matter to the masks, the formula check and CSV quoting, and a few others.
_CHARS = list("0123456789") * 3 + list("13Xx ,\"\r\n=+-@\t'a号é") + ["\uff1d", "\uff20", "p_"]
_TEXT = st.lists(st.sampled_from(_CHARS), max_size=40).map("".join)
_MAYBE_TEXT = st.one_of(st.none(), _TEXT, st.text(max_size=8).filter(
    lambda t: not any(0xD800 <= ord(c) < 0xE000 for c in t)))


def _reference_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """safe_frame as it was: every cell through scrub_text, _mask_one_person, neutralise."""
    kinds = pz.personal_columns(frame)
    out = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if column in kinds or column in pz._CODE_COLUMNS:
            continue
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out[column] = values.map(pz.scrub_text)
    for column, kind in kinds.items():
        if kind == "person":
            out[column] = pd.Series([pz._mask_one_person(v) for v in frame[column].tolist()],
                                    index=frame.index, dtype="str")
        else:
            out[column] = pz.mask_frame(frame[[column]], {column: kind})[column]
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) \
                or pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[column] = series.map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def _pandas_csv(frame: pd.DataFrame, path) -> bytes:
    """write_csv as it was: pandas' to_csv of the safe frame."""
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path.read_bytes()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_MAYBE_TEXT, _MAYBE_TEXT, _MAYBE_TEXT), min_size=1, max_size=12))
def test_masks_and_formula_check_match_the_cell_by_cell_code(rows):
    frame = pd.DataFrame({
        s.WHY: pd.Series([r[0] for r in rows], dtype="str"),
        s.CONTACT_ID: pd.Series([r[1] for r in rows], dtype="str"),
        "note": pd.Series([r[2] for r in rows], dtype=object),
    })
    # (An all-missing text column stays text; cell by cell it became float. Same output.)
    pd.testing.assert_frame_equal(safe_frame(frame), _reference_safe(frame), check_dtype=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=30))
def test_identifier_search_finds_exactly_the_rows_scrub_text_changes(values):
    found = pz.match_rows(pa.array(values, type=pa.large_string()),
                          pz._IDENTIFIER_IN_TEXT_RE2).to_pylist()
    assert found == [pz.IDENTIFIER_IN_TEXT.search(v) is not None for v in values]


def test_identifier_search_on_two_threads(monkeypatch):
    monkeypatch.setattr(pz, "_SPLIT", 1)
    values = ["x 13123456789", "36032310100583", "a", "123456789012345", None] * 3
    found = pz.match_rows(pa.array(values), pz._IDENTIFIER_IN_TEXT_RE2).to_pylist()
    assert found == [None if v is None else pz.IDENTIFIER_IN_TEXT.search(v) is not None
                     for v in values]


_ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
_FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -0.0, 1e16, 1e-5, 0.1, 5e-324, 2.0 ** 60]))


@st.composite
def _frames(draw):
    n = draw(st.integers(1, 12))
    columns: dict[str, object] = {}
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["str", "object", "float", "int", "bool", "time", "cat"]))
        name = draw(st.sampled_from(["", "=h", "a,b", 'q"', f"c{i}"])) + f"{i}"
        if kind in ("str", "object"):
            values = draw(st.lists(_MAYBE_TEXT, min_size=n, max_size=n))
            columns[name] = pd.Series(values, dtype="str" if kind == "str" else object)
        elif kind == "float":
            columns[name] = np.array(draw(st.lists(_FLOATS, min_size=n, max_size=n)))
        elif kind == "int":
            columns[name] = np.array(draw(st.lists(st.integers(-2**63, 2**63 - 1),
                                                   min_size=n, max_size=n)), dtype=np.int64)
        elif kind == "bool":
            columns[name] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        elif kind == "time":
            ns = draw(st.lists(st.one_of(st.none(), st.integers(-2 * 10**18, 7 * 10**18)),
                               min_size=n, max_size=n))
            coarse = draw(st.sampled_from([1, 10**9, 60 * 10**9]))
            times = pd.DatetimeIndex([pd.NaT if v is None else pd.Timestamp(v // coarse * coarse)
                                      for v in ns]).tz_localize("UTC")
            unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
            columns[name] = times.tz_convert(draw(st.sampled_from(_ZONES))).as_unit(
                unit if coarse > 1 else "ns")
        else:  # a type the column-wise writer leaves to pandas
            columns[name] = pd.Categorical(draw(st.lists(st.sampled_from(["a", "b,c"]),
                                                         min_size=n, max_size=n)))
    return pd.DataFrame(columns)


@settings(max_examples=300, deadline=None)
@given(_frames())
def test_csv_bytes_match_pandas(tmp_path_factory, frame):
    folder = tmp_path_factory.mktemp("csv")
    assert write_csv(frame, folder / "new.csv").read_bytes() == _pandas_csv(frame,
                                                                            folder / "old.csv")


def test_csv_chunks_and_single_columns_match_pandas(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_cells, "_CSV_CHUNK", 3)
    frame = pd.DataFrame({"t": pd.Series(["", "a,b", None, 'q"', "x", "", "\n"], dtype="str")})
    assert write_csv(frame, tmp_path / "a.csv").read_bytes() == _pandas_csv(frame,
                                                                           tmp_path / "b.csv")
    frame["n"] = np.arange(7) * 0.5
    assert write_csv(frame, tmp_path / "a.csv").read_bytes() == _pandas_csv(frame,
                                                                           tmp_path / "b.csv")
    # Many chunks (made on two threads), masked rows among them (the column in pieces).
    rows = ["13123456789 at V1, ok", 'say "hi"', "=1+1", "", None, "plain", "a\r\nb"] * 6
    many = pd.DataFrame({s.WHY: pd.Series(rows, dtype="str"), "n": np.arange(42) / 7,
                         "t": pd.date_range("2022-11-20", periods=42, freq="17min", tz="UTC")})
    assert write_csv(many, tmp_path / "a.csv").read_bytes() == _pandas_csv(many,
                                                                          tmp_path / "b.csv")
    for empty in (frame.iloc[:0], frame[["t"]].iloc[:0], pd.DataFrame({"": ["", "x"]})):
        assert write_csv(empty, tmp_path / "a.csv").read_bytes() == _pandas_csv(
            empty, tmp_path / "b.csv")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_times_are_written_as_pandas_writes_them(unit):
    utc = pd.DatetimeIndex(["2022-11-06 05:30:00.5", "2022-11-06 06:30:00", None,
                            "1901-12-13 20:45:52", "2262-04-11 23:47:16.854775807"]).tz_localize(
        "UTC")
    times = (utc if unit == "ns" else utc.floor("s").as_unit(unit)).tz_convert(
        "America/New_York")
    for column in (times, times[1:3], times[[1, 1]], times[[2]]):
        expected = pd.DataFrame({"t": column}).to_csv(index=False, lineterminator="\n")
        text = csv_cells._iso_times(column.array, csv_cells._iso_places(column.array)).to_pylist()
        assert "\n".join(["t", *(t or '""' for t in text)]) + "\n" \
            == expected
    # Local mean time (before 1883 in New York) is offset by odd seconds: pandas writes it.
    assert csv_cells._iso_places(pd.DatetimeIndex(["1800-01-01"], tz="America/New_York").array) \
        is None


def _county(zone: str) -> tuple[VisitGraph, pd.DataFrame]:
    """Scans of 300 people at 4 venues over three days around a DST change, two cases."""
    rng = np.random.default_rng(7)
    n = 2400
    start = pd.Timestamp("2022-11-05 00:00", tz="UTC").value
    people = rng.integers(0, 300, n)
    scans = pd.DataFrame({
        s.PERSON_ID: [f"P{p:03d}" for p in people],
        s.VENUE_ID: rng.choice(["V1", "V2", "V3", "V4"], n),
        s.SCANNED_AT: pd.to_datetime(start + rng.integers(0, 3 * 86_400, n) * 10**9, utc=True),
    })
    # The cases go round the venues while infectious (the morning of the 5th, UTC).
    early = pd.DataFrame({
        s.PERSON_ID: np.repeat(["P003", "P005"], 8),
        s.VENUE_ID: np.tile(["V1", "V2", "V3", "V4"], 4),
        s.SCANNED_AT: pd.to_datetime(start + rng.integers(0, 8 * 3600, 16) * 10**9, utc=True)})
    scans = pd.concat([scans, early], ignore_index=True)
    venues = pd.DataFrame({s.VENUE_ID: ["V1", "V2", "V3", "V4"],
                           s.VENUE_TYPE: ["supermarket", "restaurant", "enterprise", "pharmacy"]})
    cases = pd.DataFrame({s.PERSON_ID: ["P003", "P005"],
                          s.KIND: ["confirmed", "confirmed"],
                          s.ONSET_AT: pd.to_datetime(["2022-11-06 00:00", "2022-11-05 12:00"],
                                                     utc=True),
                          s.ISOLATED_AT: pd.to_datetime(["2022-11-05 08:00", "2022-11-05 10:00"],
                                                        utc=True)})
    return VisitGraph.from_scans(scans, venues, "ninth", zone=zone), cases


@pytest.mark.parametrize("zone", _ZONES)
@pytest.mark.parametrize("linger", [0.0, 7.5])
def test_why_by_columns_matches_why_by_rows(zone, linger, monkeypatch):
    graph, cases = _county(zone)
    r = rule("ninth", lingering_minutes=linger)
    monkeypatch.setattr(forward, "_FEW", 10**9)
    by_rows = trace(graph, cases, r)
    monkeypatch.setattr(forward, "_FEW", 0)
    monkeypatch.setattr(forward, "_WHY_CHUNK", 1000)
    by_columns = trace(graph, cases, r)
    assert len(by_rows) > 256 and set(by_rows[s.HOP]) == {1, 2}
    pd.testing.assert_frame_equal(by_columns, by_rows)


def test_why_parts_are_formatted_as_f_strings_format_them():
    table, codes = forward._coded(np.array([10, 2, None], dtype=object), np.array([0, 1, 2, 0]))
    assert table.take(codes).to_pylist() == ["10", "2", "None", "10"]
    assert forward._texts([426.0, 0.05, 1e-07], "g").to_pylist() == ["426", "0.05", "1e-07"]


def test_text_in_several_arrow_chunks_and_nullable_strings(tmp_path):
    parts = [pd.Series(["=a", "13123456789 b"], dtype="str"), pd.Series([None, "c,d"], dtype="str")]
    frame = pd.DataFrame({
        s.WHY: pd.concat(parts, ignore_index=True),
        "note": pd.Series(["x", None, "-1", '"q"'], dtype="string[pyarrow]"),
    })
    assert frame[s.WHY].array._pa_array.num_chunks == 2
    pd.testing.assert_frame_equal(safe_frame(frame), _reference_safe(frame), check_dtype=False)
    assert write_csv(frame, tmp_path / "a.csv").read_bytes() == _pandas_csv(frame,
                                                                           tmp_path / "b.csv")


def test_visit_ids_of_a_few_rows_are_those_of_the_whole_numbering():
    graph, _ = _county("UTC")
    graph._v_visit_id = None  # as a store's graph: visits numbered in person order
    pos = np.array([0, graph.n_visits - 1, 7, 7, graph.n_visits // 2])
    looked_up = graph.visit_ids(pos)  # few rows: among their people's visits
    assert graph._v_visit_id is None
    assert looked_up.tolist() == graph.v_visit_id[pos].tolist()
