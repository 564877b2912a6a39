"""The tables of a tracelab database file: their columns and types, as data.

Both the store (:mod:`tracelab.io.store`) and the audit log (:mod:`tracelab.privacy.audit`,
which may open a database file before any store does) create them from here, so a file
holds the same tables whichever touched it first.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tracelab._db import connect
from tracelab.model import schema as s

__all__ = ["APPEND_ONLY", "TABLES", "create_statements", "open_database", "read_sql"]

_TS = "TIMESTAMPTZ"
#: Column types of every table, in column order; DESIGN.md section 4.
TABLES: dict[str, dict[str, str]] = {
    "venues": {
        s.VENUE_ID: "VARCHAR PRIMARY KEY", s.NAME: "VARCHAR", s.VENUE_TYPE: "VARCHAR",
        s.OWNER_NAME: "VARCHAR", s.OWNER_ID_KIND: "VARCHAR", s.OWNER_ID: "VARCHAR",
        s.APPLICANT_PHONE: "VARCHAR", s.APPLICANT_COLOUR: "VARCHAR", s.CITY: "VARCHAR",
        s.COUNTY: "VARCHAR", s.TOWNSHIP: "VARCHAR", s.TOWNSHIP_CODE: "VARCHAR",
        s.LON: "DOUBLE", s.LAT: "DOUBLE", s.ADDRESS: "VARCHAR", s.REGISTERED_AT: _TS,
        s.STATUS: "VARCHAR", s.PARENT_VENUE_ID: "VARCHAR", s.REGISTRY_FAULT: "VARCHAR",
    },
    "scans": {
        s.PERSON_ID: "VARCHAR NOT NULL", s.VENUE_ID: "VARCHAR NOT NULL",
        s.SCANNED_AT: f"{_TS} NOT NULL", s.CODE_COLOUR: "VARCHAR", s.METHOD: "VARCHAR",
        s.EXIT_AT: _TS, s.DEVICE_LON: "DOUBLE", s.DEVICE_LAT: "DOUBLE",
        s.MERGED_SCANS: "BIGINT",
    },
    "cases": {
        s.PERSON_ID: "VARCHAR PRIMARY KEY", s.KIND: "VARCHAR", s.ONSET_AT: _TS,
        s.SAMPLED_AT: _TS, s.CONFIRMED_AT: _TS, s.ISOLATED_AT: _TS,
        s.FOUND_BY_SCREENING: "BOOLEAN", s.LAST_NEGATIVE_AT: _TS,
    },
    # Follow-up of listed contacts (tracelab.governance.followup): one row per fact, keyed
    # by a hash of (contact_id, status, status_at), so a sheet imported twice adds nothing.
    # A status-less row records a contact on a returned sheet not followed up yet.
    "followup": {
        s.FOLLOWUP_KEY: "VARCHAR PRIMARY KEY", s.CONTACT_ID: "VARCHAR NOT NULL",
        s.FOLLOWUP_STATUS: "VARCHAR", s.STATUS_AT: _TS, s.TOWNSHIP_CODE: "VARCHAR",
        s.TOWNSHIP: "VARCHAR", s.TIER: "VARCHAR", s.LISTED_AT: _TS, s.SOURCE: "VARCHAR",
        s.ROW: "BIGINT", s.IMPORTED_AT: f"{_TS} NOT NULL",
    },
    "rejections": {
        s.SOURCE: "VARCHAR", s.ROW: "BIGINT", s.COLUMN: "VARCHAR", s.VALUE: "VARCHAR",
        s.REASON: "VARCHAR", s.MESSAGE: "VARCHAR",
    },
    # Registration rules that kept venues fail: same columns as the rejections.
    "registry_faults": {
        s.SOURCE: "VARCHAR", s.ROW: "BIGINT", s.COLUMN: "VARCHAR", s.VALUE: "VARCHAR",
        s.REASON: "VARCHAR", s.MESSAGE: "VARCHAR",
    },
    # Append-only, hash-chained log of person-level queries: written only by
    # tracelab.privacy.audit.record_query, never through Store.write (APPEND_ONLY).
    "audit": {
        s.SEQ: "BIGINT PRIMARY KEY", s.AT: _TS, s.WHO: "VARCHAR", s.PURPOSE: "VARCHAR",
        s.QUERY: "VARCHAR", s.COUNTS: "VARCHAR", s.PREV_HASH: "VARCHAR", s.HASH: "VARCHAR",
    },
}


#: Tables that :meth:`Store.write` refuses: the audit log grows only through
#: :func:`tracelab.privacy.audit.record_query`, which chains each entry to the one before.
APPEND_ONLY = ("audit",)


def create_statements() -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` for every table, in order.

    Examples
    --------
    >>> [statement.split(" (")[0] for statement in create_statements()][-2:]
    ['CREATE TABLE IF NOT EXISTS registry_faults', 'CREATE TABLE IF NOT EXISTS audit']
    """
    return [f"CREATE TABLE IF NOT EXISTS {table} ("
            + ", ".join(f'"{c}" {t}' for c, t in columns.items()) + ")"
            for table, columns in TABLES.items()]


def open_database(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file at `path`: UTC session, every table created if missing.

    Waits for a lock held by another process (:func:`tracelab._db.connect`). Both the store
    and the audit log open their files through here.
    """
    con = connect(path, read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        for statement in create_statements():
            con.execute(statement)
    return con


#: Result types whose Arrow columns convert to the frame ``.df()`` gives (nulls aside:
#: :func:`_frame_from_arrow`). Text comes out of Arrow without a Python object per value,
#: several times faster than ``.df()`` for the hundreds of thousands of rows an append reads.
_ARROW_TYPES = frozenset({"VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "BOOLEAN", "TIMESTAMP",
                          "TIMESTAMP WITH TIME ZONE"})
#: ``.df()`` gives these types' columns with a missing value as pandas' nullable ones.
_NULLABLE = {"BIGINT": pd.Int64Dtype(), "INTEGER": pd.Int32Dtype(), "BOOLEAN": pd.BooleanDtype()}


def read_sql(con: duckdb.DuckDBPyConnection, query: str,
             params: list[Any] | None = None) -> pd.DataFrame:
    """Run SQL on `con` and return a new frame, instants as ``datetime64[ns, UTC]``.

    The frame is the one ``con.execute(query, params).df()`` gives (column for column,
    dtype for dtype), fetched through Arrow when every column's type allows it.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("SET TimeZone = 'UTC'")
    >>> read_sql(con, "SELECT TIMESTAMPTZ '2022-11-20 08:00:00+00' AS t")["t"].dtype
    datetime64[ns, UTC]
    """
    con.execute(query, params or [])
    described = con.description or []
    types = [str(column[1]) for column in described]
    names = [column[0] for column in described]
    if types and set(types) <= _ARROW_TYPES and len(set(names)) == len(names):
        with warnings.catch_warnings():  # the copy it warns of costs less than .df()'s objects
            warnings.filterwarnings("ignore", "Arrow output on a DB-API result",
                                    category=UserWarning)
            table = con.to_arrow_table()
        frame = _frame_from_arrow(table, types)
    else:  # other types (dates, decimals, ...) and repeated names: as .df() makes them
        frame = con.df()
    for col in frame.columns:  # DuckDB gives microseconds; tracelab computes in ns
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.as_unit("ns")
    return frame


def _frame_from_arrow(table: Any, types: list[str]) -> pd.DataFrame:
    """The frame ``.df()`` makes of a result, from its Arrow table (types in `_ARROW_TYPES`).

    Arrow's conversion differs from ``.df()`` only where values are missing: an integer
    or boolean column holding one becomes a nullable pandas column, a text column of
    missing values only (or of no rows) a column of Python objects.
    """
    table = table.combine_chunks()  # one chunk per column, as .df() leaves them
    frame = table.to_pandas()
    for i, kind in enumerate(types):
        column = table.column(i)
        if kind in _NULLABLE and column.null_count:
            frame.isetitem(i, pd.Series(_NULLABLE[kind].__from_arrow__(column), copy=False))
        elif kind == "VARCHAR" and column.null_count == len(column):
            frame.isetitem(i, pd.Series([None] * len(column), dtype=object))
    return frame
