"""Retention purge: scans past the period go, counts reconcile, the purge is logged."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tracelab.governance.retention import SCAN_RETENTION_DAYS, compact_store, purge
from tracelab.io.store import open_store
from tracelab.model import schema as s
from tracelab.privacy.audit import (
    AuditAnchorError,
    audit_status,
    read_audit,
    record_query,
    verify_audit,
)

NOW = pd.Timestamp("2022-12-01T00:00:00Z")


def _scans(n=200, seed=0):
    rng = np.random.default_rng(seed)
    at = NOW - pd.to_timedelta(rng.integers(0, 30 * 24 * 60, n), unit="min")
    return pd.DataFrame({
        s.PERSON_ID: [f"p_{i:016x}" for i in rng.integers(0, 50, n)],
        s.VENUE_ID: rng.choice(["V1", "V2", "V3"], n),
        s.SCANNED_AT: at.as_unit("ns"),
    }).reindex(columns=list(s.SCAN_COLUMNS))


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    # The audit anchor carries an HMAC when TRACELAB_KEY is set; not what is tested here.
    monkeypatch.delenv("TRACELAB_KEY", raising=False)


@pytest.fixture()
def store(tmp_path):
    with open_store(tmp_path / "t.duckdb") as st:
        st.write("scans", _scans())
        yield st


def test_default_period_is_fourteen_days():
    assert SCAN_RETENTION_DAYS == 14


@pytest.mark.parametrize("days", [0, 1, 7, 14, 40])
def test_purge_counts_reconcile(store, days):
    scans = store.read("scans")
    cutoff = NOW - pd.Timedelta(days=days)
    done = purge(store, days, now=NOW)
    assert done.cutoff == cutoff
    assert done.before == len(scans) == done.removed + done.kept
    assert done.removed == int((scans[s.SCANNED_AT] < cutoff).sum())
    assert sum(done.removed_by_day.values()) == done.removed
    left = store.read("scans")
    assert len(left) == done.kept and (left[s.SCANNED_AT] >= cutoff).all()
    local_days = (scans.loc[scans[s.SCANNED_AT] < cutoff, s.SCANNED_AT]
                  .dt.tz_convert(s.DEFAULT_ZONE).dt.strftime("%Y-%m-%d").value_counts())
    assert done.removed_by_day == {d: int(n) for d, n in sorted(local_days.items())}


def test_purge_is_logged_without_person_identifiers(store):
    purge(store, now=NOW, who="ops-ana")
    purge(store, now=NOW, who="ops-ana")  # nothing left to remove: still logged
    log = read_audit(store)
    assert log["purpose"].tolist() == ["ops:retention"] * 2
    assert '"removed":0' in log["counts"].iloc[1]
    assert not re.search(r"\bp_[0-9a-f]", log.to_csv())
    assert verify_audit(store) is None


def test_purge_opens_a_path_and_leaves_other_tables(tmp_path):
    path = tmp_path / "t.duckdb"
    with open_store(path) as st:
        st.write("scans", _scans(20))
    done = purge(path, 14, now=NOW)
    with open_store(path) as st:
        assert st.count("scans") == done.kept


def test_purge_removes_follow_up_records_past_the_cutoff_in_the_same_entry(tmp_path):
    from tracelab.governance.followup import import_followup, read_followup

    sheet = tmp_path / "returned.csv"
    sheet.write_text("联系人编号,状态,状态时间\n"
                     "p_0000000000000001,已联系,2022-11-01 09:00\n"
                     "p_0000000000000002,已隔离,2022-11-25 09:00\n"
                     "p_0000000000000003,,\n", encoding="utf-8-sig")
    path = tmp_path / "t.duckdb"
    with open_store(path) as st:
        st.write("scans", _scans(20))
        import_followup(st, read_followup(sheet, now=NOW), now=NOW - pd.Timedelta(days=20))
        assert st.count("followup") == 3
    done = purge(path, 14, now=NOW)
    # The fact of 11-01 and the row without a status (imported 20 days ago) go.
    assert done.followup_removed == 2
    with open_store(path, read_only=True) as st:
        left = st.read("followup")
    assert left[s.CONTACT_ID].tolist() == ["p_0000000000000002"]
    assert '"followup_removed":2' in read_audit(path)["counts"].iloc[-1]


@pytest.mark.parametrize(("days", "now", "match"), [
    (-1, NOW, "older_than_days"), (1.5, NOW, "older_than_days"), (True, NOW, "older_than_days"),
    (14, "2022-12-01", "no time zone"),
])
def test_bad_arguments_raise(store, days, now, match):
    with pytest.raises(ValueError, match=match):
        purge(store, days, now=now)
    assert store.count("audit") == 0


def test_missing_store_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such database file"):
        purge(tmp_path / "nope.duckdb")


def test_compact_leaves_no_purged_identifier_in_the_file(tmp_path):
    path = tmp_path / "t.duckdb"
    # pseudonyms that _scans never draws (it draws 0 to 49), easy to find in the bytes
    secret = [f"p_5ec2e7{i:010x}" for i in range(300)]
    old = _scans(300).assign(**{s.PERSON_ID: secret, s.SCANNED_AT: NOW - pd.Timedelta(days=20)})
    with open_store(path) as st:
        st.write("scans", pd.concat([old, _scans(50)], ignore_index=True))
    first = purge(path, 14, now=NOW)
    assert first.removed >= 300
    done = purge(path, 14, now=NOW, compact=True)
    assert b"p_5ec2e7" not in path.read_bytes()
    with open_store(path) as st:
        assert st.count("scans") == done.kept == first.kept
        assert verify_audit(st) is None and st.count("audit") == 2


def test_compact_needs_a_path(store):
    with pytest.raises(ValueError, match="compact"):
        purge(store, now=NOW, compact=True)


# --- a purge and its audit entry: one transaction, whatever the crash ---------------------

def _closed_store(tmp_path):
    path = tmp_path / "t.duckdb"
    with open_store(path) as st:
        st.write("scans", _scans())
        record_query(st, who="ana", purpose="inv:LX-1", query="trace", counts={"rows": 1})
    return path


def _run_killed(code, stage, cwd):
    env = {**os.environ, "TRACELAB_FAULT": stage}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _purge_code(path, compact=False):
    return (f"import pandas as pd\nfrom tracelab.governance.retention import purge\n"
            f"purge({str(path)!r}, 14, now=pd.Timestamp({str(NOW)!r}), compact={compact})")


def test_killed_after_the_delete_leaves_every_scan_and_no_entry(tmp_path):
    path = _closed_store(tmp_path)
    _run_killed(_purge_code(path), "purge:deleted", tmp_path)
    with open_store(path, read_only=True) as st:
        assert st.count("scans") == len(_scans())
        assert read_audit(st)["purpose"].tolist() == ["inv:LX-1"]
        assert verify_audit(st) is None and audit_status(st).anchor == "matches"


def test_killed_after_the_commit_leaves_the_purge_its_entry_and_a_verifiable_log(
        tmp_path, capsys):
    from tracelab.cli import main
    path = _closed_store(tmp_path)
    kept = int((_scans()[s.SCANNED_AT] >= NOW - pd.Timedelta(days=14)).sum())
    _run_killed(_purge_code(path), "purge:committed", tmp_path)
    with open_store(path, read_only=True) as st:
        assert st.count("scans") == kept
        log = read_audit(st)
        assert log["purpose"].tolist() == ["inv:LX-1", "ops:retention"]
        assert f'"kept":{kept}' in log["counts"].iloc[-1]
        status = audit_status(st)
        assert status.problem is None and status.anchor == "pending"
    assert main(["audit", "--store", str(path), "--verify", "--lang", "en"]) == 0
    assert "intact: 2 entries" in capsys.readouterr().out
    purge(path, 14, now=NOW)  # the next append finalises the anchor
    assert audit_status(path).anchor == "matches" and verify_audit(path) is None


def test_killed_while_compacting_leaves_the_store_whole(tmp_path):
    path = _closed_store(tmp_path)
    before = path.read_bytes()
    _run_killed(_purge_code(path, compact=True), "compact:copied", tmp_path)
    with open_store(path) as st:  # the purge committed; the compaction never replaced it
        assert st.count("audit") == 2 and verify_audit(st) is None
        assert st.count("scans") == int((st.read("scans")[s.SCANNED_AT] >= NOW -
                                         pd.Timedelta(days=14)).sum())
    assert path.read_bytes() != before
    assert list(tmp_path.glob(".t.duckdb.*.tmp"))  # killed with the copy not yet renamed
    compact_store(path)
    assert verify_audit(path) is None and audit_status(path).anchor == "matches"


def test_a_purge_is_refused_whole_when_the_log_does_not_match_its_anchor(store):
    record_query(store, who="ana", purpose="inv:LX-1", query="trace", counts={"rows": 1})
    record_query(store, who="ana", purpose="inv:LX-2", query="trace", counts={"rows": 1})
    store.con.execute("DELETE FROM audit WHERE seq = 2")  # the newest entry, cut off
    before = store.count("scans")
    with pytest.raises(AuditAnchorError, match="cut off"):
        purge(store, 0, now=NOW)
    assert store.count("scans") == before and store.count("audit") == 1


def test_compaction_keeps_the_audit_log_and_its_anchor(tmp_path):
    path = _closed_store(tmp_path)
    purge(path, 14, now=NOW, compact=True)
    assert verify_audit(path) is None and audit_status(path).anchor == "matches"
    assert not list(tmp_path.glob(".*.tmp*"))  # no temporary copy left behind
