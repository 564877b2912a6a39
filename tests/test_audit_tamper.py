"""Tampering with the audit log, mutation by mutation: what is detected and what is not.

Every mutation is done as an insider would, with plain SQL through the ``duckdb`` client
on the store file, after :func:`record_query` wrote four entries and their anchor file.

Detected while the anchor file is as tracelab wrote it: an entry edited (with or without
its own hash recomputed), an entry deleted, the newest entries cut off, every row
deleted, entries reordered, the table dropped and re-created (empty, or refilled with a
shorter rebuilt chain), the whole chain rebuilt after an edit, an entry appended with a
valid chain; the anchor file deleted or garbled. Each of those that touches the newest
entry also stops further appends (and purges) until an operator adopts the log.

Detected only with a keyed anchor (``TRACELAB_KEY`` set when appending and verifying):
the chain rebuilt and the anchor file rewritten to fit it by someone without the key.

Not detected, shown below so that nobody relies on it: log and anchor rewritten together
when the anchor is unkeyed; the same by a holder of the key; a rollback of log and anchor
file to an earlier copy, keyed or not; every row deleted together with the anchor file.
A head ``SEQ:HASH`` kept outside the store (``anchor=``) still detects the first two.

A crash is not tampering: killed between the ``COMMIT`` and the anchor's update, the log
verifies ("pending"); killed before the ``COMMIT``, nothing was written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from tracelab.cli import main
from tracelab.model import schema as s
from tracelab.model.tables import create_statements
from tracelab.privacy.audit import (
    ADOPT_PURPOSE,
    ANCHOR_FORMAT,
    GENESIS_HASH,
    AuditAnchorError,
    adopt_anchor,
    anchor_path,
    append_in_transaction,
    audit_head,
    audit_problem,
    audit_status,
    audited,
    entry_hash,
    read_audit,
    record_query,
    verify_audit,
)

NOW = pd.Timestamp("2022-11-25T08:00:00Z")
KEY = "county-key-for-tests-0123456789"
# The anchor's HMAC key as tracelab.privacy.audit.ANCHOR_FORMAT documents it.
_LABEL = b"tracelab audit anchor v1"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    monkeypatch.delenv("TRACELAB_KEY", raising=False)
    monkeypatch.delenv("TRACELAB_FAULT", raising=False)


def _fill(path, n=4, start=0):
    for i in range(start, start + n):
        record_query(path, who="ana", purpose=f"inv:LX-{i}", query=f"trace q{i}",
                     counts={"rows": i}, now=NOW + pd.Timedelta(seconds=i))
    return path


@pytest.fixture()
def log(tmp_path):
    return _fill(tmp_path / "t.duckdb")


def _sql(path, *statements, params=None):
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement, params or [])


def _rebuild(path, edit=None, keep=None, drop=False):
    """Recompute every prev_hash and hash after `edit(row) -> row`, as a forger would."""
    log = read_audit(path)
    if keep is not None:
        log = log.head(keep)
    prev = GENESIS_HASH
    with duckdb.connect(str(path)) as con:
        if drop:
            con.execute("DROP TABLE audit")
            con.execute(create_statements()[-1])
        con.execute("DELETE FROM audit")
        for row in log.to_dict("records"):
            row = edit(row) if edit else row
            row["prev_hash"] = prev
            row["hash"] = prev = entry_hash(row["seq"], row["at"], row["who"], row["purpose"],
                                            row["query"], row["counts"], prev)
            con.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [row[c] for c in ("seq", "at", "who", "purpose", "query", "counts",
                                          "prev_hash", "hash")])


def _forge_anchor(path, key=None, mac=None):
    """An anchor file fitting the log as it is now, written as the forger can."""
    log = read_audit(path)
    body = {"format": ANCHOR_FORMAT, "count": len(log), "seq": int(log["seq"].iloc[-1]),
            "hash": log["hash"].iloc[-1], "intent": None}
    if key is not None:
        derived = hmac.new(key, _LABEL, hashlib.sha256).digest()
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        mac = hmac.new(derived, canonical.encode(), hashlib.sha256).hexdigest()
    anchor_path(path).write_text(json.dumps({**body, "mac": mac}))


def _edit_purpose(row):
    return {**row, "purpose": "inv:OTHER"} if row["seq"] == 2 else row


def _append_forged(path):
    last = read_audit(path).iloc[-1]
    at = NOW + pd.Timedelta(minutes=5)
    digest = entry_hash(5, at, "ana", "inv:LX-9", "trace", '{"rows":1}', last["hash"])
    _sql(path, "INSERT INTO audit VALUES (5, ?, 'ana', 'inv:LX-9', 'trace', '{\"rows\":1}', ?, ?)",
         params=[at.to_pydatetime(), last["hash"], digest])


def _drop_and_recreate(path):
    _sql(path, "DROP TABLE audit", create_statements()[-1])


def _edit_and_rehash(path):
    row = read_audit(path).iloc[1]
    forged = entry_hash(2, row["at"], "ana", "inv:OTHER", row["query"], row["counts"],
                        row["prev_hash"])
    _sql(path, "UPDATE audit SET purpose = 'inv:OTHER', hash = ? WHERE seq = 2", params=[forged])


# mutation, first broken seq, words of the reason, whether appends are refused after it
MUTATIONS = {
    "edit an entry": (lambda p: _sql(p, "UPDATE audit SET purpose = 'inv:OTHER' WHERE seq = 2"),
                      2, "edited", False),
    "edit the newest entry": (lambda p: _sql(p, "UPDATE audit SET counts = '{}' WHERE seq = 4"),
                              4, "edited", False),
    "edit and recompute its hash": (_edit_and_rehash, 3, "prev_hash", False),
    "delete an entry": (lambda p: _sql(p, "DELETE FROM audit WHERE seq = 2"), 2, "missing",
                        True),
    "truncate the newest entries": (lambda p: _sql(p, "DELETE FROM audit WHERE seq >= 3"),
                                    3, "cut off", True),
    "delete every row": (lambda p: _sql(p, "DELETE FROM audit"), 1, "every entry was deleted",
                         True),
    "reorder": (lambda p: _sql(p, "UPDATE audit SET seq = CASE seq WHEN 2 THEN 3 WHEN 3 THEN 2 "
                               "ELSE seq END"), 2, "prev_hash", False),
    "drop and re-create the table": (_drop_and_recreate, 1, "table dropped", True),
    "drop, re-create, refill with a shorter rebuilt chain": (
        lambda p: _rebuild(p, _edit_purpose, keep=3, drop=True), 4, "cut off", True),
    "rebuild the whole chain after an edit": (lambda p: _rebuild(p, _edit_purpose), 4,
                                              "rebuilt", True),
    "append a forged entry with a valid chain": (_append_forged, 5, "forged", True),
    "delete the anchor file": (lambda p: anchor_path(p).unlink(), 4, "anchor missing", True),
    "garble the anchor file": (lambda p: anchor_path(p).write_text("{not json"), 4,
                               "not a tracelab anchor", True),
    "lower the anchor's count": (
        lambda p: anchor_path(p).write_text(anchor_path(p).read_text().replace(
            '"count": 4', '"count": 3')), 4, "rows were added", True),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_mutation_is_detected(log, name):
    mutate, seq, words, blocks = MUTATIONS[name]
    assert verify_audit(log) is None and audit_status(log).anchor == "matches"
    mutate(log)
    problem = audit_problem(log)
    assert problem is not None and problem[0] == seq and words in problem[1], problem
    if blocks:
        # A new anchor would cover the change: the append is refused and writes nothing.
        rows = len(read_audit(log))
        with pytest.raises(AuditAnchorError, match="does not match its anchor"):
            record_query(log, who="ana", purpose="inv:X", query="trace", counts={"rows": 1})
        assert len(read_audit(log)) == rows and audit_problem(log) == problem
    else:
        record_query(log, who="ana", purpose="inv:X", query="trace", counts={"rows": 1})
        assert audit_problem(log) == problem  # the edit stays in view


def test_an_audited_query_does_not_run_when_its_entry_would_be_refused(log):
    calls = []

    @audited("who_was_there")
    def who_was_there(venue):
        calls.append(venue)
        return pd.DataFrame({s.PERSON_ID: ["p_1"]})

    _sql(log, "DELETE FROM audit WHERE seq = 4")
    with pytest.raises(AuditAnchorError):
        who_was_there("V1", purpose="inv:LX-1", audit=log)
    assert calls == []


# --- what needs the key, and what is not detected ----------------------------------------

def test_unkeyed_rewriting_log_and_anchor_together_is_not_detected(log):
    kept_elsewhere = audit_head(log)
    _rebuild(log, _edit_purpose)
    _forge_anchor(log)
    assert verify_audit(log) is None  # undetectable from the store folder alone
    assert verify_audit(log, kept_elsewhere) == 4  # a head kept elsewhere still sees it


def test_keyed_anchor_detects_log_and_anchor_rewritten_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    path = _fill(tmp_path / "t.duckdb")
    status = audit_status(path)
    assert status.problem is None and status.keyed and KEY not in anchor_path(path).read_text()
    _rebuild(path, _edit_purpose)
    for forged, words in ((lambda: _forge_anchor(path), "not keyed although TRACELAB_KEY"),
                          (lambda: _forge_anchor(path, key=b"a-guessed-key-0123456789"),
                           "HMAC does not match"),
                          (lambda: _forge_anchor(path, mac="0" * 64), "HMAC does not match")):
        forged()
        problem = audit_problem(path)
        assert problem is not None and words in problem[1], problem
    # a holder of the key can rewrite both: not detected
    _forge_anchor(path, key=KEY.encode())
    assert verify_audit(path) is None


def test_a_keyed_anchor_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    path = _fill(tmp_path / "t.duckdb", 2)
    monkeypatch.delenv("TRACELAB_KEY")
    status = audit_status(path)
    assert status.problem is None and status.keyed
    assert any("HMAC was not checked" in note for note in status.notes)
    with pytest.raises(AuditAnchorError, match="keyed"):  # it could not stay keyed
        record_query(path, who="ana", purpose="inv:X", query="trace", counts={"rows": 1})
    # a verifier without the key cannot tell a downgraded anchor from one never keyed
    _rebuild(path, _edit_purpose)
    _forge_anchor(path)
    assert verify_audit(path) is None
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    assert "not keyed" in audit_problem(path)[1]
    monkeypatch.setenv("TRACELAB_KEY", "another-county-key-0123456789")
    _forge_anchor(path, key=KEY.encode())
    assert "HMAC does not match" in audit_problem(path)[1]


def test_the_public_demo_key_does_not_key_the_anchor(tmp_path, monkeypatch):
    from tracelab.privacy import DEMO_KEY
    monkeypatch.setenv("TRACELAB_KEY", DEMO_KEY.decode())
    path = _fill(tmp_path / "t.duckdb", 1)
    assert audit_status(path).keyed is False
    monkeypatch.delenv("TRACELAB_KEY")
    assert verify_audit(path) is None


@pytest.mark.parametrize("keyed", [False, True])
def test_a_rollback_with_an_old_anchor_file_is_not_detected(tmp_path, monkeypatch, keyed):
    if keyed:
        monkeypatch.setenv("TRACELAB_KEY", KEY)
    path = _fill(tmp_path / "t.duckdb", 2)
    old_anchor = anchor_path(path).read_bytes()
    _fill(path, 2, start=2)
    kept_elsewhere = audit_head(path)
    _sql(path, "DELETE FROM audit WHERE seq > 2")
    anchor_path(path).write_bytes(old_anchor)
    assert verify_audit(path) is None
    assert verify_audit(path, kept_elsewhere) == 3


def test_every_row_and_the_anchor_deleted_look_like_a_new_store(log):
    _sql(log, "DELETE FROM audit")
    anchor_path(log).unlink()
    assert verify_audit(log) is None and audit_status(log).anchor == "none"


# --- crashes are not tampering ---------------------------------------------------------------

def test_an_append_that_died_before_its_commit_leaves_an_intact_log(log):
    with duckdb.connect(str(log)) as con:
        con.execute("BEGIN TRANSACTION")
        append_in_transaction(con, who="ana", purpose="inv:X", query="trace", counts={})
        con.execute("ROLLBACK")  # what reopening after a crash before the COMMIT does
    assert json.loads(anchor_path(log).read_text())["intent"]["seq"] == 5
    assert verify_audit(log) is None and len(read_audit(log)) == 4
    # a forger cannot pass an entry off as the announced one
    _append_forged(log)
    assert "forged" in audit_problem(log)[1]


def _killed(code, stage, tmp_path):
    env = {**os.environ, "TRACELAB_FAULT": stage}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr


def test_killed_between_commit_and_anchor_the_log_verifies_as_pending(log, tmp_path, capsys):
    _killed(f"from tracelab.privacy.audit import record_query\n"
            f"record_query({str(log)!r}, who='ana', purpose='inv:LX-5', query='trace', "
            "counts={'rows': 1})", "audit:committed", tmp_path)
    status = audit_status(log)
    assert status.entries == 5 and status.problem is None and status.anchor == "pending"
    assert main(["audit", "--store", str(log), "--verify", "--lang", "en"]) == 0
    assert "note: entry 5 was committed" in capsys.readouterr().out
    record_query(log, who="ana", purpose="inv:LX-6", query="trace", counts={"rows": 1})
    assert audit_status(log).anchor == "matches" and verify_audit(log) is None


# --- the command line ---------------------------------------------------------------------

def test_cli_exit_codes(log, tmp_path, capsys):
    assert main(["audit", "--store", str(log), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "审计链完好：共 4 条" in out and "一致（无密钥）" in out
    assert main(["audit", "--store", str(log), "--verify", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "intact: 4 entries" in out and "matches (unkeyed)" in out
    _sql(log, "DELETE FROM audit WHERE seq = 4")
    assert main(["audit", "--store", str(log), "--verify", "--lang", "en"]) == 1
    assert "BROKEN at entry 4: entries 4 to 4" in capsys.readouterr().out
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    for path, words in ((other, "no audit table"),
                        (tmp_path / "none.duckdb", "no such database file")):
        assert main(["audit", "--store", str(path), "--lang", "en"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, err
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    # an input error (ValueError); its exit status is tracelab.cli.exit_status's to give
    with pytest.raises(ValueError, match="not a tracelab store"):
        audit_status(text)
    assert main(["audit", "--store", str(text)]) != 0
    assert "不是 tracelab 数据库" in capsys.readouterr().err


def test_a_store_from_before_anchors_is_reported_and_can_be_adopted(log, capsys):
    anchor_path(log).unlink()  # what a store written by an older tracelab looks like
    assert main(["audit", "--store", str(log), "--verify", "--lang", "en"]) == 1
    assert "UNVERIFIED: anchor missing" in capsys.readouterr().out
    with pytest.raises(AuditAnchorError, match="anchor missing"):
        record_query(log, who="ana", purpose="inv:X", query="trace", counts={"rows": 1})
    assert main(["audit", "--store", str(log), "--adopt", "--who", "ops-li"]) == 0
    assert "已重新锚定：第 5 条记录了此操作" in capsys.readouterr().out
    entry = read_audit(log).iloc[-1]
    assert entry["purpose"] == ADOPT_PURPOSE and entry["who"] == "ops-li"
    assert "was missing" in entry["query"] and "old anchor none" in entry["query"]
    record_query(log, who="ana", purpose="inv:X", query="trace", counts={"rows": 1})
    assert verify_audit(log) is None
    with pytest.raises(ValueError, match="nothing to adopt"):
        adopt_anchor(log)


def test_adopting_a_keyed_anchor_needs_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    path = _fill(tmp_path / "t.duckdb", 2)
    _sql(path, "DELETE FROM audit WHERE seq = 2")
    monkeypatch.delenv("TRACELAB_KEY")
    with pytest.raises(AuditAnchorError, match="keyed"):
        adopt_anchor(path)
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    entry = adopt_anchor(path)
    assert "did not match" in entry["query"] and "old anchor 2:" in entry["query"]
    assert verify_audit(path) is None and audit_status(path).keyed
