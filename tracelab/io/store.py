"""The embedded store: one DuckDB database file with venues, scans, cases, rejections and audit."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pandas as pd

from tracelab._atomic import atomic_path, fault_point
from tracelab._db import rollback
from tracelab._validate import require_columns
from tracelab.io.checks import Loaded
from tracelab.model import schema as s
from tracelab.model.tables import APPEND_ONLY, TABLES, open_database, read_sql
from tracelab.privacy.boundary import protect_venues, require_protected
from tracelab.privacy.pseudonyms import pseudonymise

__all__ = ["Store", "open_store", "TABLES", "APPEND_ONLY"]

def _check_table(table: str) -> None:
    if table not in TABLES:
        raise ValueError(f"table: {table!r} is not a store table; use one of {', '.join(TABLES)}")


def _refuse_append_only(table: str) -> None:
    if table in APPEND_ONLY:
        raise ValueError(f"table: {table!r} is append-only through "
                         "tracelab.privacy.audit.record_query (each entry is hash-chained to the one "
                         "before); Store.write, ingest and import_parquet refuse it")


class Store:
    """A DuckDB database file holding tracelab's tables; open it with :func:`open_store`.

    Instants are stored as ``TIMESTAMPTZ`` and read back as ``datetime64[ns, UTC]``; the
    session time zone is UTC so that plain SQL shows UTC too. Analysts can open the same
    file with the ``duckdb`` command line. The store is inside the privacy boundary's
    exit: every write refuses a raw person id, phone, ID number or individual's name
    (:func:`tracelab.privacy.boundary.require_protected`); :meth:`ingest` pseudonymises a
    raw load when given the key.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.con = open_database(self.path, read_only=read_only)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the database file."""
        self.con.close()

    def write(self, table: str, frame: pd.DataFrame, *, mode: str = "append") -> int:
        """Write ``frame`` into ``table`` (``mode`` "append" or "replace"); return rows written.

        Columns are matched by name; the frame must hold every column of the table.

        Raises
        ------
        ValueError
            If ``table`` is unknown or append-only (``audit``: bulk rows would bypass
            the hash chain; use :func:`tracelab.privacy.audit.record_query`).
        tracelab.privacy.boundary.PrivacyError
            If the frame holds a raw person id, phone, ID number or individual's name.
        """
        return self._transaction([(table, frame, mode)])[0]

    def _transaction(self, writes: list[tuple[str, pd.DataFrame, str]]) -> list[int]:
        """Write several (table, frame, mode) in one transaction: all land or none."""
        for table, frame, mode in writes:
            _check_table(table)
            _refuse_append_only(table)
            if mode not in ("append", "replace"):
                raise ValueError(f"mode: {mode!r} is not 'append' or 'replace'")
            require_columns(frame, TABLES[table], f"frame for table {table!r}",
                            error=s.SchemaError)
            require_protected(frame.loc[:, list(TABLES[table])], f"store table {table}")
        # Registered outside the transaction: an aborted one refuses even an unregister.
        names = [f"_incoming_{k}" for k in range(len(writes))]
        for name, (table, frame, _) in zip(names, writes, strict=True):
            self.con.register(name, frame.loc[:, list(TABLES[table])])
        try:
            self.con.execute("BEGIN")
            try:
                for name, (table, _, mode) in zip(names, writes, strict=True):
                    columns = ", ".join(f'"{c}"' for c in TABLES[table])
                    if mode == "replace":
                        self.con.execute(f"DELETE FROM {table}")
                    self.con.execute(f"INSERT INTO {table} ({columns}) "
                                     f"SELECT {columns} FROM {name}")
                    fault_point(f"store:inserted:{table}")
                self.con.execute("COMMIT")
                fault_point("store:committed")
            except BaseException as err:
                rollback(self.con, err)
                raise
        finally:
            for name in names:
                self.con.unregister(name)
        return [len(frame) for _, frame, _ in writes]

    def ingest(self, table: str, loaded: Loaded, *, mode: str = "append",
               key: bytes | None = None) -> int:
        """Write a loader's accepted rows into ``table``, its rejections and registry faults beside them.

        All of them in one transaction: a crash leaves all or none. With `key`, person
        ids are pseudonymised (and a venue registry's personal data protected,
        :func:`tracelab.privacy.boundary.protect_venues`) on the way in; without it a raw
        load is refused. Refuses the append-only ``audit`` table, like :meth:`write`,
        before writing anything.

        Returns the number of accepted rows written.
        """
        _refuse_append_only(table)
        accepted = loaded.accepted
        if key is not None:
            accepted = (protect_venues(accepted, key) if table == "venues"
                        else pseudonymise(accepted, None, key))
        writes = [(table, accepted, mode), ("rejections", loaded.rejected, "append")]
        if len(loaded.faults):
            writes.append(("registry_faults", loaded.faults, "append"))
        return self._transaction(writes)[0]

    def read(self, table: str) -> pd.DataFrame:
        """The whole table as a new frame, instants as ``datetime64[ns, UTC]``."""
        _check_table(table)
        return self.sql(f"SELECT * FROM {table}")

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        """Run SQL and return the result as a frame (instants in ns, UTC)."""
        return read_sql(self.con, query, params)

    def count(self, table: str) -> int:
        """Number of rows in ``table``."""
        _check_table(table)
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def export_parquet(self, table: str, path: str | Path) -> Path:
        """Write ``table`` to a Parquet file, whole or absent, and return its path."""
        _check_table(table)
        target = Path(path)
        with atomic_path(target) as tmp:
            self.con.execute(f"COPY {table} TO '{_quote(tmp)}' (FORMAT PARQUET)")
        return target

    def import_parquet(self, table: str, path: str | Path, *, mode: str = "append") -> int:
        """Append (or replace) ``table`` from a Parquet file written by :meth:`export_parquet`."""
        _check_table(table)
        frame = self.con.execute(f"SELECT * FROM read_parquet('{_quote(Path(path))}')").df()
        return self.write(table, frame, mode=mode)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def open_store(path: str | Path, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the tracelab database file at ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with open_store(pathlib.Path(tempfile.mkdtemp()) / "tracelab.duckdb") as store:
    ...     sorted(store.con.execute("SHOW TABLES").df()["name"])
    ['audit', 'cases', 'followup', 'registry_faults', 'rejections', 'scans', 'venues']
    """
    return Store(path, read_only=read_only)
