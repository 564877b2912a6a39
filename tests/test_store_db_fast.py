"""The database work of an append, made faster, gives what it gave: frames, checks, rows.

``read_sql`` fetches through Arrow and must give the frame ``.df()`` gives; the privacy
check sieves Arrow text in numpy and must say what the full check says; ``insert_step``
judges Python strings as the Arrow text it inserts; a :class:`~tracelab.io.store.Pending`
transaction lands whole at its commit or not at all; and an append that leaves the visits
a new scan cuts but does not change in place holds the rows one replacing them holds.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import tracelab.privacy.boundary as boundary
from tracelab.index import county_update
from tracelab.index.county_update import append_day
from tracelab.io.county_store import begin, database_generation, publish
from tracelab.io.store import Pending, Step, insert_step, run_transaction
from tracelab.model import schema as s
from tracelab.model.tables import read_sql
from tracelab.privacy.boundary import PrivacyError, raw_identifiers

from .test_store_append import _db, store_and_last_day

KEY = b"db-fast-test-key-5c7e19a0b3d2f846"
NOW = "2022-12-31T00:00:00+08:00"

QUERIES = {
    "text": "SELECT * FROM (VALUES ('a'), (NULL), ('中文')) t(x)",
    "text, all missing": "SELECT CAST(NULL AS VARCHAR) AS x FROM range(3)",
    "integers, one missing": "SELECT * FROM (VALUES (1::BIGINT, 1::INTEGER), (NULL, NULL)) t(x, y)",
    "integers, all missing": "SELECT NULL::BIGINT AS x FROM range(2)",
    "doubles": "SELECT * FROM (VALUES (1.5::DOUBLE), (NULL), ('nan'::DOUBLE)) t(x)",
    "booleans": "SELECT * FROM (VALUES (true), (NULL)) t(x)",
    "instants": "SELECT * FROM (VALUES (TIMESTAMPTZ '2022-01-01 00:00:00.123456+00'), (NULL)) "
                "t(x)",
    "local times": "SELECT * FROM (VALUES (TIMESTAMP '2022-01-01 00:00:00'), (NULL)) t(x)",
    "no rows": "SELECT 'a' AS x, 1::BIGINT AS y, TIMESTAMPTZ '2022-01-01 00:00:00+00' AS z, "
               "1.0::DOUBLE AS w, true AS b, 1::INTEGER AS i WHERE false",
    "many rows": "SELECT i::BIGINT AS i, 'p_' || i::VARCHAR AS s, CASE WHEN i % 7 = 0 THEN NULL "
                 "ELSE i * 1.5 END AS d, CASE WHEN i % 3 = 0 THEN NULL ELSE 'x' END AS t, "
                 "TIMESTAMPTZ '2022-01-01 00:00:00+00' + to_seconds(i) AS at "
                 "FROM range(300000) r(i)",
    "a name twice": "SELECT 1 AS a, 2 AS a",
    "dates": "SELECT DATE '2022-01-01' AS x",
    "decimals": "SELECT 1.5 AS x, sum(1::BIGINT) AS n",
    "uuids": "SELECT uuid() AS u FROM range(0)",
    "show tables": "SHOW TABLES",
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_read_sql_gives_the_frame_df_gives(query):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (x INTEGER)")
    want = con.execute(query).df()
    for column in want.columns:
        if isinstance(want[column].dtype, pd.DatetimeTZDtype):
            want[column] = want[column].dt.as_unit("ns")
    got = read_sql(con, query)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [repr(d) for d in got.dtypes] == [repr(d) for d in want.dtypes]
    assert [type(got[c].array) for c in got] == [type(want[c].array) for c in want]


def test_read_sql_takes_parameters_and_follows_an_unfinished_result():
    con = duckdb.connect()
    con.execute("SELECT 1 FROM range(10)").fetchone()  # leaves rows unread
    got = read_sql(con, "SELECT ?::VARCHAR AS a, ?::BIGINT AS b", ["x", 3])
    assert got.to_dict("list") == {"a": ["x"], "b": [3]}


_VALUES = ["p_0123456789abcdef", "p_0123456789ABCDEF", "p_0123456789abcdef\n", "13812345678",
           "138****5678", "", "  ", "张三", "green", "call 13912345678 now",
           "110105194912310029", "p_0123456789abcde", "p_0123456789abcdefg", "x12345678901",
           "1234567890", "12345678901234567", "中1381234567８", None, "p_fedcba9876543210"]


def _column(rng: random.Random, n: int) -> pd.Series:
    values = [rng.choice(_VALUES) for _ in range(n)]
    kind = rng.choice(["str", "object", "category", "category with more"])
    if kind == "str":
        return pd.Series(values, dtype="str")
    if kind == "object":
        return pd.Series(values, dtype=object)
    labels = {v for v in values if v is not None}
    if kind == "category with more":  # a category no row uses is judged too, never wrongly
        labels.add(rng.choice([v for v in _VALUES if v]))
    return pd.Series(pd.Categorical(values, categories=pd.Index(sorted(labels), dtype="str")))


def test_the_byte_sieve_says_what_the_full_check_says(monkeypatch):
    rng = random.Random(5)
    frames = []
    for _ in range(1500):
        names = rng.sample(["person_id", "code_color", "method", "venue_id", "contact_id",
                            "applicant_phone", "note", "name"], rng.randint(1, 3))
        n = rng.randint(0, 6)
        frames.append(pd.DataFrame({name: _column(rng, n) for name in names}))
    frames.append(pd.DataFrame({"person_id": pd.Series(["p_0123456789abcdef"] * 5, dtype="str"),
                                "note": pd.Series(["green"] * 5, dtype="str")}))
    fast = [raw_identifiers(f) for f in frames]
    monkeypatch.setattr(boundary, "_clean_text", lambda values, kind: False)
    full = [raw_identifiers(f) for f in frames]
    assert fast == full
    assert sum(bool(found) for found in full) > 100  # raw values were there to be found
    monkeypatch.undo()
    assert boundary._clean_text(frames[-1]["person_id"], "person")  # and the sieve cleared some
    assert boundary._clean_text(frames[-1]["note"], None)


def test_the_digit_run_sieve_reads_runs_only():
    def run(values: list[str | None]) -> bool:
        return boundary._has_digit_run(boundary._arrow_text(pd.Series(values, dtype="str")))

    assert not run(["1234567890", "a1234567890", None])
    assert run(["x12345678901"])
    assert run(["123456", "78901"])  # across two values: looked at closer, never missed


def test_insert_step_judges_python_strings_as_it_inserts_them():
    columns = {s.PERSON_ID: "VARCHAR", s.METHOD: "VARCHAR"}
    good = pd.DataFrame({s.PERSON_ID: pd.Series(["p_0123456789abcdef", None], dtype=object),
                         s.METHOD: pd.Series(["self", None], dtype=object)})
    step = insert_step("t", good, columns)
    (table,) = step.frames.values()
    assert table.column(s.PERSON_ID).to_pylist() == ["p_0123456789abcdef", None]
    raw = good.assign(**{s.METHOD: pd.Series(["call 13912345678", None], dtype=object)})
    with pytest.raises(PrivacyError, match="column method"):
        insert_step("t", raw, columns)
    mixed = good.assign(**{s.PERSON_ID: pd.Series(["13812345678", 5], dtype=object)})
    with pytest.raises(PrivacyError, match="column person_id"):  # before Arrow refuses the 5
        insert_step("t", mixed, columns)


def _table(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE IF NOT EXISTS t (x BIGINT NOT NULL)")
    return con


def test_a_pending_transaction_lands_at_its_commit_or_not_at_all(tmp_path):
    path = tmp_path / "t.duckdb"
    _table(path).close()
    frame = pd.DataFrame({"x": [1, 2, 3]})
    steps = [Step("INSERT INTO t SELECT x FROM f", {"f": frame})]
    seen = []
    pending = Pending(lambda: _table(path), steps)
    pending.commit(lambda con: seen.append(con.execute("SELECT count(*) FROM t").fetchall()))
    assert seen == [[(3,)]]
    with pytest.raises(RuntimeError):
        pending.commit()
    with Pending(lambda: _table(path), steps):
        pass  # left uncommitted: rolled back
    Pending(lambda: _table(path), steps).abort()
    bad = Pending(lambda: _table(path), [*steps, Step("INSERT INTO t VALUES (NULL)")])
    with pytest.raises(duckdb.ConstraintException):
        bad.commit()
    con = _table(path)
    assert con.execute("SELECT sum(x), count(*) FROM t").fetchall() == [(6, 3)]
    run_transaction(con, steps)  # the connection is free again
    con.close()


def test_publish_commits_steps_begun_before_it(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    steps = [Step("CREATE TABLE IF NOT EXISTS t (x BIGINT)"),
             Step("INSERT INTO t SELECT x FROM f", {"f": pd.DataFrame({"x": [7]})})]
    for number, ok in ((1, False), (1, True)):
        staging = tmp_path / f"staging{number}{ok}"
        staging.mkdir()
        pending = begin(store, steps if ok else [*steps, Step("SELECT no_such_column")])
        if not ok:
            with pytest.raises(duckdb.BinderException):
                publish(store, staging, number, {}, pending)
            assert not (store / "gen-000001").exists()
            continue
        gen = publish(store, staging, number, {}, pending)
        assert gen.folder.is_dir()
    con = duckdb.connect(str(store / "tracelab.duckdb"), read_only=True)
    assert con.execute("SELECT x FROM t").fetchall() == [(7,)]
    assert database_generation(con) == 1
    con.close()


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> tuple[Path, Path]:
    """A store of a synthetic county's first days, and the folder of its last day."""
    store, day, _ = store_and_last_day(tmp_path_factory.mktemp("dbfast"), population=300,
                                       seed=21, key=KEY)
    return store, day


def test_cut_visits_that_keep_their_end_stay_as_they_are(parts, tmp_path, monkeypatch):
    store, day = parts
    kept, replaced = tmp_path / "kept", tmp_path / "replaced"
    shutil.copytree(store, kept)
    shutil.copytree(store, replaced)
    moved = county_update._Rows._moved
    counts = []

    def counted(self, found, rule):
        chosen = moved(self, found, rule)
        counts.append((int(np.count_nonzero(self.renewed)), int(np.count_nonzero(chosen))))
        return chosen

    monkeypatch.setattr(county_update._Rows, "_moved", counted)
    append_day(kept, day, key=KEY, now=NOW)
    monkeypatch.setattr(county_update._Rows, "_moved", lambda self, found, rule: self.renewed)
    append_day(replaced, day, key=KEY, now=NOW)
    ((renewed, written),) = counts
    assert written < renewed  # some cut visits kept their end: left in place
    mine, theirs = _db(kept), _db(replaced)
    for name in mine:
        pd.testing.assert_frame_equal(mine[name], theirs[name], obj=name)
