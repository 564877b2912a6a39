"""Retention purge: scans past the period go, counts reconcile, the purge is logged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tracelab.governance.retention import SCAN_RETENTION_DAYS, purge
from tracelab.io.store import open_store
from tracelab.model import schema as s
from tracelab.privacy.audit import read_audit, verify_audit

NOW = pd.Timestamp("2022-12-01T00:00:00Z")


def _scans(n=200, seed=0):
    rng = np.random.default_rng(seed)
    at = NOW - pd.to_timedelta(rng.integers(0, 30 * 24 * 60, n), unit="min")
    return pd.DataFrame({
        s.PERSON_ID: [f"p_{i:016x}" for i in rng.integers(0, 50, n)],
        s.VENUE_ID: rng.choice(["V1", "V2", "V3"], n),
        s.SCANNED_AT: at.as_unit("ns"),
    }).reindex(columns=list(s.SCAN_COLUMNS))


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
    assert "p_" not in log.to_csv()
    assert verify_audit(store) is None


def test_purge_opens_a_path_and_leaves_other_tables(tmp_path):
    path = tmp_path / "t.duckdb"
    with open_store(path) as st:
        st.write("scans", _scans(20))
    done = purge(path, 14, now=NOW)
    with open_store(path) as st:
        assert st.count("scans") == done.kept


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
    old = _scans(300).assign(**{s.PERSON_ID: [f"SECRET{i:06d}" for i in range(300)],
                                s.SCANNED_AT: NOW - pd.Timedelta(days=20)})
    with open_store(path) as st:
        st.write("scans", pd.concat([old, _scans(50)], ignore_index=True))
    first = purge(path, 14, now=NOW)
    assert first.removed >= 300
    done = purge(path, 14, now=NOW, compact=True)
    assert b"SECRET" not in path.read_bytes()
    with open_store(path) as st:
        assert st.count("scans") == done.kept == first.kept
        assert verify_audit(st) is None and st.count("audit") == 2


def test_compact_needs_a_path(store):
    with pytest.raises(ValueError, match="compact"):
        purge(store, now=NOW, compact=True)
