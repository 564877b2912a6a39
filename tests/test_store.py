"""The DuckDB store: a real database file, typed tables, Parquet in and out, ingest."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

import tracelab as tl
from tracelab.model import schema as s
from tracelab.privacy import DEMO_KEY
from tracelab.privacy.boundary import PrivacyError, protect_venues
from tracelab.privacy.pseudonyms import pseudonymise

from .conftest import NOW

VALID = Path(__file__).parent / "data" / "valid"


@pytest.fixture()
def loaded():
    venues = tl.read_venues(VALID / "venues.csv", now=NOW)
    scans = tl.read_scans(Path(__file__).parent / "data" / "malformed" / "scans_bad_colour.csv",
                          venues.accepted, now=NOW)
    cases = tl.read_cases(VALID / "cases.csv", now=NOW)
    return venues, scans, cases


def test_store_is_a_duckdb_file_that_round_trips(tmp_path, loaded):
    venues, scans, cases = loaded
    path = tmp_path / "tracelab.duckdb"
    with tl.open_store(path) as store:
        for table, load in (("venues", venues), ("scans", scans), ("cases", cases)):
            store.ingest(table, load, key=DEMO_KEY)
    # Plain DuckDB, as an analyst would open it.
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM scans").fetchone()[0] == 2
    assert con.execute("SELECT reason FROM rejections").fetchall() == [("bad_colour",)]
    con.close()
    with tl.open_store(path, read_only=True) as store:
        expected = {"venues": protect_venues(venues.accepted, DEMO_KEY),
                    "scans": pseudonymise(scans.accepted, None, DEMO_KEY),
                    "cases": pseudonymise(cases.accepted, None, DEMO_KEY)}
        for table, frame in expected.items():
            pd.testing.assert_frame_equal(store.read(table), frame, check_dtype=False)
        assert str(store.read("scans")[s.SCANNED_AT].dtype) == "datetime64[ns, UTC]"
        assert store.count("rejections") == 1


def test_parquet_export_and_import(tmp_path, loaded):
    venues, scans, _ = loaded
    with tl.open_store(tmp_path / "a.duckdb") as a:
        a.ingest("venues", venues, key=DEMO_KEY)
        a.ingest("scans", scans, key=DEMO_KEY)
        a.export_parquet("scans", tmp_path / "scans.parquet")
    assert pd.read_parquet(tmp_path / "scans.parquet").shape == (2, len(s.SCAN_COLUMNS))
    with tl.open_store(tmp_path / "b.duckdb") as b:
        assert b.import_parquet("scans", tmp_path / "scans.parquet") == 2
        assert b.import_parquet("scans", tmp_path / "scans.parquet", mode="replace") == 2
        pd.testing.assert_frame_equal(b.read("scans"), pseudonymise(scans.accepted, None, DEMO_KEY),
                                      check_dtype=False)


def test_store_refuses_unknown_tables_and_incomplete_frames(tmp_path):
    with tl.open_store(tmp_path / "c.duckdb") as store:
        with pytest.raises(ValueError, match="table: 'people' is not a store table"):
            store.read("people")
        with pytest.raises(tl.SchemaError, match="lacks column"):
            store.write("scans", pd.DataFrame({s.PERSON_ID: ["P1"]}))
        with pytest.raises(ValueError, match="mode: 'upsert'"):
            store.write("cases", pd.DataFrame(), mode="upsert")


def test_primary_key_violation_leaves_the_table_unchanged(tmp_path, loaded):
    venues, _, _ = loaded
    with tl.open_store(tmp_path / "d.duckdb") as store:
        store.ingest("venues", venues, key=DEMO_KEY)
        with pytest.raises(duckdb.ConstraintException):
            store.ingest("venues", venues, key=DEMO_KEY)
        assert store.count("venues") == 3
        assert store.count("rejections") == len(venues.rejected)  # the failed ingest: none


def test_the_store_refuses_raw_identifiers_in_any_column(tmp_path, loaded):
    venues, scans, _ = loaded
    with tl.open_store(tmp_path / "f.duckdb") as store:
        with pytest.raises(PrivacyError, match="column person_id holds") as err:
            store.ingest("scans", scans)
        raw = scans.accepted[s.PERSON_ID].iloc[0]
        assert raw not in str(err.value)
        with pytest.raises(PrivacyError, match="store table venues"):
            store.write("venues", venues.accepted)
        # A phone number in a free-text column is found by its shape.
        disguised = pseudonymise(scans.accepted, None, DEMO_KEY).assign(
            **{s.CODE_COLOUR: "13812345678"})
        with pytest.raises(PrivacyError, match="column code_color holds 2 "):
            store.write("scans", disguised)
        assert store.count("scans") == store.count("venues") == store.count("rejections") == 0


def test_the_audit_table_is_append_only_through_record_query(tmp_path, loaded):
    from tracelab.privacy.audit import read_audit, record_query, verify_audit

    path = tmp_path / "e.duckdb"
    record_query(path, who="ana", purpose="inv:LX-1", query="trace", counts={"rows": 1})
    forged = read_audit(path).assign(seq=2, purpose="inv:FORGED")
    with tl.open_store(path) as store:
        for mode in ("append", "replace"):
            with pytest.raises(ValueError, match="table: 'audit' is append-only"):
                store.write("audit", forged, mode=mode)
        with pytest.raises(ValueError, match="table: 'audit' is append-only"):
            store.ingest("audit", tl.Loaded(forged, loaded[1].rejected, 2))
        store.export_parquet("audit", tmp_path / "audit.parquet")
        with pytest.raises(ValueError, match="append-only"):
            store.import_parquet("audit", tmp_path / "audit.parquet", mode="replace")
        assert store.count("rejections") == 0  # ingest refused before writing anything
    # record_query still appends, and the chain is intact
    record_query(path, who="ana", purpose="inv:LX-2", query="trace", counts={"rows": 2})
    log = read_audit(path)
    assert log["purpose"].tolist() == ["inv:LX-1", "inv:LX-2"] and verify_audit(path) is None


def test_a_transaction_lands_whole_or_not_at_all(tmp_path):
    """run_transaction: every step and the commit hook, or nothing; frames unregistered."""
    from tracelab.io.store import Step, insert_step, run_transaction

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("CREATE TABLE t (person_id VARCHAR, n INTEGER)")
    good = pd.DataFrame({s.PERSON_ID: ["p_0123456789abcdef"], "n": [1]})
    columns = {s.PERSON_ID: "VARCHAR", "n": "INTEGER"}
    seen = []
    run_transaction(con, [insert_step("t", good, columns)], before_commit=seen.append)
    assert len(seen) == 1 and con.execute("SELECT n FROM t").fetchall() == [(1,)]
    with pytest.raises(duckdb.Error):
        run_transaction(con, [insert_step("t", good.assign(n=2), columns),
                              Step("INSERT INTO no_such_table VALUES (1)")])
    assert con.execute("SELECT n FROM t").fetchall() == [(1,)]
    with pytest.raises(RuntimeError, match="hook"):
        run_transaction(con, [insert_step("t", good.assign(n=3), columns)],
                        before_commit=lambda c: (_ for _ in ()).throw(RuntimeError("hook")))
    assert con.execute("SELECT n FROM t").fetchall() == [(1,)]
    assert not [r for r in con.execute("SHOW TABLES").fetchall() if "_incoming_" in r[0]]
    with pytest.raises(PrivacyError, match="store table t"):
        insert_step("t", good.assign(**{s.PERSON_ID: "13812345678"}), columns)
    con.close()
