"""Retention: delete scans older than the retention period and say what was removed.

A purge and its audit entry are one DuckDB transaction: a crash leaves both or neither,
never scans gone without the entry that says so (test-only fault points
``purge:deleted`` and ``purge:committed``, :func:`tracelab._atomic.fault_point`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tracelab._atomic import atomic_path, fault_point
from tracelab._db import connect, rollback
from tracelab._i18n import msg
from tracelab.io.store import Store, open_store
from tracelab.model import schema as s
from tracelab.privacy.audit import append_in_transaction

__all__ = ["SCAN_RETENTION_DAYS", "Purged", "purge", "compact_store"]

#: Days scans are kept, then purged (DOMAIN.md section 11.5, ``scan_retention_days``:
#: design default, the longest look-back of section 4).
SCAN_RETENTION_DAYS = 14
#: Purpose logged for purges (an ``ops:`` purpose: a system operation, not a query).
PURGE_PURPOSE = "ops:retention"


def _value(con: duckdb.DuckDBPyConnection, query: str) -> Any:
    """The value of a query that returns one row of one column."""
    row = con.execute(query).fetchone()
    assert row is not None  # only asked of count(*) and current_database(): one row always
    return row[0]


@dataclass(frozen=True)
class Purged:
    """What :func:`purge` removed. ``before == removed + kept`` always holds.

    Attributes
    ----------
    cutoff : pandas.Timestamp
        Scans with ``scanned_at`` strictly before this instant (UTC) were removed.
    before, removed, kept : int
        Scan rows before the purge, removed, and left.
    removed_by_day : dict of str to int
        Removed rows per local day (``YYYY-MM-DD`` in Asia/Shanghai); sums to `removed`.
    followup_removed : int
        Follow-up records (``followup`` table) removed: those whose status, or import when
        they have none, is before the cutoff.
    """

    cutoff: pd.Timestamp
    before: int
    removed: int
    kept: int
    removed_by_day: dict[str, int]
    followup_removed: int = 0


def _purge_followup(con: duckdb.DuckDBPyConnection, cutoff: pd.Timestamp) -> int:
    """Delete follow-up facts older than `cutoff`; the number deleted (0 without the table)."""
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    if "followup" not in tables:
        return 0
    when = f'coalesce("{s.STATUS_AT}", "{s.IMPORTED_AT}") < ?'
    at = [cutoff.to_pydatetime()]
    row = con.execute("SELECT count(*) FROM followup WHERE " + when, at).fetchone()
    con.execute("DELETE FROM followup WHERE " + when, at)
    return int(row[0]) if row else 0


def purge(store: Store | str | Path, older_than_days: int = SCAN_RETENTION_DAYS,
          now: pd.Timestamp | str | None = None, *, zone: str = s.DEFAULT_ZONE,
          who: str | None = None, compact: bool = False) -> Purged:
    """Delete scans older than `older_than_days` days and return counts of what went.

    Parameters
    ----------
    store : Store, str or Path
        An open store, or the path of its database file.
    older_than_days : int, default 14
        Retention period in days (:data:`SCAN_RETENTION_DAYS`); 0 removes every scan
        before `now` (the programme-end purge).
    now : Timestamp or str, optional
        Reference instant (tz-aware); default the current time. The cutoff is
        ``now - older_than_days`` days.
    zone : str
        Zone of the local days in ``removed_by_day``.
    who : str, optional
        Operator account logged with the purge.
    compact : bool, default False
        Rewrite the database file afterwards (:func:`compact_store`) so that deleted
        rows cannot be read back from its free blocks. Needs `store` as a path.

    Returns
    -------
    Purged

    Raises
    ------
    ValueError
        If `older_than_days` is negative or not an integer, or `now` has no zone.
    tracelab.privacy.audit.AuditAnchorError
        If the store's audit log does not match its anchor file; nothing is deleted.

    Notes
    -----
    Scans are purged, and so are follow-up records (what field teams recorded about a
    contact) past the same cutoff, since they are as personal as the scans they came from
    (the same period is a design default: DOMAIN.md gives none for either); venues (not
    personal once masked), cases and the audit log stay. The deletion and its counts are
    logged in the audit table under the purpose ``ops:retention``, without any person
    identifier, in the same transaction as the deletion: after a crash either both happened
    or neither. DuckDB keeps deleted rows in free blocks of the database file until they are
    overwritten (measured: purged person ids still readable in the file after ``DELETE`` and
    ``CHECKPOINT``); ``compact=True`` copies the database into a fresh file, which holds
    none of them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb")
    >>> people = [f"p_{i:016x}" for i in (1, 2, 3)]  # pseudonyms: the store takes no raw id
    >>> scans = pd.DataFrame({"person_id": people, "venue_id": ["V1"] * 3,
    ...     "scanned_at": pd.to_datetime(["2022-11-01T02:00Z", "2022-11-10T02:00Z",
    ...                                   "2022-11-20T02:00Z"])})
    >>> store.write("scans", scans.reindex(columns=list(s.SCAN_COLUMNS)))
    3
    >>> done = purge(store, 14, now="2022-11-25T00:00Z")
    >>> done.before, done.removed, done.kept, done.removed_by_day
    (3, 2, 1, {'2022-11-01': 1, '2022-11-10': 1})
    >>> store.close()
    """
    if compact and isinstance(store, Store):
        raise ValueError(msg("compact: needs the store's path, not an open Store (close it "
                             "and pass its path, or call compact_store after closing it)"))
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) \
            or older_than_days < 0:
        raise ValueError(msg("older_than_days: {days!r} must be a whole number of days >= 0 "
                             "(default {default})", days=older_than_days,
                             default=SCAN_RETENTION_DAYS))
    reference = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if reference.tzinfo is None:
        raise ValueError(msg("now: {now!r} has no time zone; give e.g. '2022-11-25T00:00:00Z'",
                             now=now))
    cutoff = reference.tz_convert("UTC") - pd.Timedelta(days=older_than_days)

    def run(st: Store) -> Purged:
        con = st.con
        con.execute("BEGIN TRANSACTION")
        try:
            before = int(_value(con, "SELECT count(*) FROM scans"))
            days = con.execute(
                f"SELECT strftime(timezone(?, \"{s.SCANNED_AT}\"), '%Y-%m-%d') AS day, "
                f"count(*) FROM scans WHERE \"{s.SCANNED_AT}\" < ? GROUP BY day ORDER BY day",
                [zone, cutoff.to_pydatetime()]).fetchall()
            con.execute(f"DELETE FROM scans WHERE \"{s.SCANNED_AT}\" < ?",
                        [cutoff.to_pydatetime()])
            kept = int(_value(con, "SELECT count(*) FROM scans"))
            by_day = {str(day): int(n) for day, n in days}
            done = Purged(cutoff, before, before - kept, kept, by_day,
                          _purge_followup(con, cutoff))
            fault_point("purge:deleted")
            pending = append_in_transaction(
                con, who=who, purpose=PURGE_PURPOSE, kinds=("ops",),
                query=f"purge scans older_than_days={older_than_days} "
                f"cutoff={cutoff.isoformat()}",
                counts={"before": done.before, "removed": done.removed, "kept": done.kept,
                        "followup_removed": done.followup_removed})
            con.execute("COMMIT")
        except BaseException as err:
            rollback(con, err)
            raise
        # Committed: the anchor announced this entry as its intent, so a crash here leaves
        # a log that verifies ("pending"); finalising points the anchor at the entry.
        fault_point("purge:committed")
        pending.finalise()
        return done

    if isinstance(store, Store):
        return run(store)
    if not Path(store).is_file():
        raise FileNotFoundError(msg("store: {store!r}: no such database file",
                                    store=str(store)))
    with open_store(store) as opened:
        done = run(opened)
    if compact:
        compact_store(store)
    return done


def _fingerprint(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, Any]:
    """Rows of every table of `database`, and its audit log's newest entry."""
    tables = [str(r[0]) for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY table_name",
        [database]).fetchall()]
    found: dict[str, Any] = {t: _value(con, f'SELECT count(*) FROM "{database}"."{t}"')
                             for t in tables}
    if "audit" in tables:
        found["audit head"] = con.execute(
            f'SELECT "{s.SEQ}", "{s.HASH}" FROM "{database}".audit '
            f'ORDER BY "{s.SEQ}" DESC LIMIT 1').fetchone()
    return found


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def compact_store(path: str | Path) -> Path:
    """Rewrite a closed database file into a fresh one, leaving no deleted rows behind.

    The tables, their constraints and rows are copied with DuckDB's ``COPY FROM
    DATABASE`` into a new file beside `path`, checked (every table's rows and the audit
    log's newest entry equal), flushed to disk, and renamed over `path`. A crash or an
    error at any point leaves the old file, whole; the audit anchor beside it
    (:func:`tracelab.privacy.audit.anchor_path`) fits both, as the audit rows are equal.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    RuntimeError
        If the copy differs from the original (the original is kept).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.duckdb"
    >>> open_store(path).close()
    >>> compact_store(path) == path
    True
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(msg("path: {path!r}: no such database file", path=str(source)))
    with atomic_path(source) as fresh:
        # A leftover of a crashed compaction with the same pid would be attached as is.
        for stale in (fresh, _wal(fresh)):
            stale.unlink(missing_ok=True)
        try:
            con = connect(source)
            try:
                name = str(_value(con, "SELECT current_database()"))
                quoted = str(fresh).replace("'", "''")
                con.execute(f"ATTACH '{quoted}' AS tracelab_compact")
                con.execute(f'COPY FROM DATABASE "{name}" TO tracelab_compact')
                before, after = _fingerprint(con, name), _fingerprint(con, "tracelab_compact")
                con.execute("DETACH tracelab_compact")
            finally:
                con.close()
            if before != after:
                raise RuntimeError(msg("path: the compacted copy of {path!r} differs from it "
                                       "({before} != {after}); the original is kept",
                                       path=str(source), before=before, after=after))
            # Closed cleanly, the source has no write-ahead log; one left now would belong
            # to the old file and must never be replayed into the new one.
            if _wal(source).exists() or _wal(fresh).exists():
                raise RuntimeError(msg("path: {path!r} still has a write-ahead log after "
                                       "closing; is another process using it? the original is "
                                       "kept", path=str(source)))
            fault_point("compact:copied")
        except BaseException:
            with contextlib.suppress(OSError):
                _wal(fresh).unlink(missing_ok=True)
            raise
    return source
