"""Opening DuckDB files: wait for a lock held by another tracelab process, then say who holds it.

DuckDB lets one process write a database file at a time. Parallel commands on one store
(eight traces logging to one audit table) therefore meet a held lock; instead of failing
at once, :func:`connect` retries for a while, then raises :class:`StoreBusyError`, an
environment error (exit status 3 on the command line) naming the file and the holder.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

from tracelab._i18n import msg

__all__ = ["connect", "rollback", "StoreBusyError", "NotAStoreError", "LOCK_WAIT_SECONDS"]

#: How long :func:`connect` waits for another process's lock before giving up.
LOCK_WAIT_SECONDS = 30.0


class StoreBusyError(OSError):
    """Another process holds the database file's lock (an environment error, exit 3)."""


class NotAStoreError(ValueError):
    """The file exists but is not a DuckDB database (an input error, exit 2)."""


def connect(path: str | Path, *, read_only: bool = False,
            wait_seconds: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file at `path`, waiting up to `wait_seconds` for its lock.

    Raises
    ------
    StoreBusyError
        If another process still holds the lock after `wait_seconds`.
    NotAStoreError
        If the file is not a DuckDB database.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> con = connect(pathlib.Path(tempfile.mkdtemp()) / "x.duckdb")
    >>> con.execute("SELECT 1").fetchone()
    (1,)
    """
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as err:
            text = str(err)
            if "not a valid DuckDB database" in text:
                raise NotAStoreError(msg("{path}: not a tracelab store (not a DuckDB database "
                                         "file)", path=path)) from err
            if "lock" not in text.lower():
                raise
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", text)
                who = (msg("process {pid}", pid=holder.group(1)) if holder
                       else msg("another process"))
                raise StoreBusyError(msg("{path}: in use by {who} for over {wait_seconds:.0f} s; "
                                         "wait for it to finish and retry", path=path, who=who,
                                         wait_seconds=wait_seconds)) from err
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def rollback(con: duckdb.DuckDBPyConnection, error: BaseException) -> None:
    """Roll back after `error`; if the ROLLBACK fails too, keep `error` as the one raised.

    A full disk fails the write and then, often, the ROLLBACK: the user must read "No
    space left on device", not the ROLLBACK's own complaint.
    """
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as failed:
        error.add_note(f"(the ROLLBACK failed too: {failed})")
