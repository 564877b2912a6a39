"""Purpose binding and the hash-chained audit log: one entry per query, edits detected."""

from __future__ import annotations

import pandas as pd
import pytest

from tracelab.audit import (
    GENESIS_HASH, PurposeError, audit_problem, audited, read_audit, record_query,
    require_purpose, verify_audit,
)
from tracelab.store import open_store

NOW = "2022-11-25T08:00:00Z"


@pytest.fixture()
def store(tmp_path):
    with open_store(tmp_path / "t.duckdb") as st:
        yield st


def _fill(store, n=3):
    for i in range(n):
        record_query(store, who="ana", purpose=f"inv:LX-{i}", query=f"trace q{i}",
                     counts={"rows": i, "contacts": 2 * i},
                     now=pd.Timestamp(NOW) + pd.Timedelta(seconds=i))


@pytest.mark.parametrize("purpose", ["case:p_89e942357569d1ea", "inv:LX-2022-11-007",
                                     "  inv:A  ", "case:P001"])
def test_valid_purposes(purpose):
    assert require_purpose(purpose) == purpose.strip()


@pytest.mark.parametrize(("purpose", "match"), [
    (None, "needs a purpose"), ("", "needs a purpose"), ("   ", "needs a purpose"),
    (42, "must be text"), ("curiosity", "is not 'case:...' or 'inv:...'"),
    ("case:", "is not"), ("ops:retention", "is not"), ("case:a b", "is not"),
    ("inv:" + "x" * 65, "is not"), ("case:13123456789", "phone or ID number"),
    ("inv:360323200106151237", "phone or ID number"),
])
def test_invalid_purposes_raise(purpose, match):
    with pytest.raises(PurposeError, match=match) as info:
        require_purpose(purpose)
    assert "13123456789" not in str(info.value)
    assert "360323200106151237" not in str(info.value)


def test_entries_chain(store):
    _fill(store)
    log = read_audit(store)
    assert log["seq"].tolist() == [1, 2, 3]
    assert log["prev_hash"].iloc[0] == GENESIS_HASH
    assert log["prev_hash"].tolist()[1:] == log["hash"].tolist()[:-1]
    assert log["counts"].iloc[2] == '{"contacts":4,"rows":2}'
    assert verify_audit(store) is None


def test_bad_purpose_or_counts_write_nothing(store):
    with pytest.raises(PurposeError):
        record_query(store, who="ana", purpose="", query="trace", counts={"rows": 1})
    with pytest.raises(ValueError, match="counts"):
        record_query(store, who="ana", purpose="inv:X", query="trace", counts={"rows": -1})
    with pytest.raises(ValueError, match="no time zone"):
        record_query(store, who="ana", purpose="inv:X", query="t", counts={}, now="2022-11-25")
    assert store.count("audit") == 0


def test_identifiers_in_query_text_are_masked(store):
    record_query(store, who="ana", purpose="inv:X",
                 query="trace case 13123456789 and 360323200106151237", counts={"rows": 1})
    text = read_audit(store).to_csv()
    assert "13123456789" not in text and "360323200106151237" not in text
    assert "131*****789" in text and "36**************37" in text


def test_every_audited_call_leaves_exactly_one_entry(store):
    @audited("companions", counts=lambda r: {"rows": len(r), "people": r["p"].nunique()})
    def companions(case, *, hours=2):
        if case == "boom":
            raise RuntimeError("engine failure")
        return pd.DataFrame({"p": ["p_1", "p_2", "p_2"]})

    for i in range(4):
        companions(f"p_{i}", hours=3, purpose="case:p_0", audit=store, who="ana")
        assert store.count("audit") == i + 1
    with pytest.raises(PurposeError):
        companions("p_9", audit=store)
    with pytest.raises(ValueError, match="audit"):
        companions("p_9", purpose="case:p_0")
    with pytest.raises(RuntimeError):
        companions("boom", purpose="case:p_0", audit=store)
    log = read_audit(store)
    assert len(log) == 4
    assert log["query"].iloc[0] == "companions args=('p_0',) hours=3"
    assert log["counts"].iloc[0] == '{"people":2,"rows":3}'
    assert verify_audit(store) is None


def test_audited_accepts_a_database_path(tmp_path):
    path = tmp_path / "a.duckdb"
    f = audited("trace")(lambda: [1, 2])
    assert f(purpose="inv:X", audit=path) == [1, 2]
    assert verify_audit(path) is None and len(read_audit(path)) == 1


@pytest.mark.parametrize(("sql", "seq", "reason"), [
    ("UPDATE audit SET purpose = 'inv:OTHER' WHERE seq = 2", 2, "edited"),
    ("UPDATE audit SET counts = '{\"rows\":0}' WHERE seq = 3", 3, "edited"),
    ("UPDATE audit SET who = 'mallory' WHERE seq = 1", 1, "edited"),
    ("UPDATE audit SET \"at\" = \"at\" + INTERVAL 1 HOUR WHERE seq = 2", 2, "edited"),
    ("UPDATE audit SET query = NULL WHERE seq = 2", 2, "empty"),
    ("DELETE FROM audit WHERE seq = 2", 2, "missing"),
    ("UPDATE audit SET seq = CASE seq WHEN 2 THEN 3 WHEN 3 THEN 2 ELSE seq END", 2,
     "prev_hash"),
    ("UPDATE audit SET hash = repeat('0', 64) WHERE seq = 3", 3, "edited"),
])
def test_sql_edits_are_detected(store, sql, seq, reason):
    _fill(store)
    store.con.execute(sql)
    assert verify_audit(store) == seq
    assert reason in audit_problem(store)[1]


def test_rehashing_one_entry_breaks_the_next(store):
    # An editor who recomputes the edited entry's hash still breaks its successor.
    from tracelab.audit import entry_hash
    _fill(store)
    row = read_audit(store).iloc[1]
    forged = entry_hash(2, row["at"], "ana", "inv:OTHER", row["query"], row["counts"],
                        row["prev_hash"])
    store.con.execute("UPDATE audit SET purpose = 'inv:OTHER', hash = ? WHERE seq = 2",
                      [forged])
    assert verify_audit(store) == 3


def test_anchor_detects_a_rebuilt_or_cut_chain(store):
    from tracelab.audit import audit_head, entry_hash
    _fill(store, 3)
    anchor = audit_head(store)
    assert anchor.startswith("3:") and verify_audit(store, anchor) is None
    # rebuild the whole chain after an edit: the chain alone looks intact
    log = read_audit(store)
    prev = GENESIS_HASH
    for row in log.itertuples(index=False):
        purpose = "inv:OTHER" if row.seq == 2 else row.purpose
        digest = entry_hash(row.seq, row.at, row.who, purpose, row.query, row.counts, prev)
        store.con.execute("UPDATE audit SET purpose = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                          [purpose, prev, digest, row.seq])
        prev = digest
    assert verify_audit(store) is None
    assert verify_audit(store, anchor) == 3


def test_anchor_detects_a_cut_log(store):
    from tracelab.audit import audit_head
    _fill(store, 3)
    anchor = audit_head(store)
    store.con.execute("DELETE FROM audit WHERE seq = 3")
    assert verify_audit(store) is None
    assert verify_audit(store, anchor) == 3
    assert "cut" in audit_problem(store, anchor)[1]
    with pytest.raises(ValueError, match="anchor"):
        verify_audit(store, "3:nothex")
