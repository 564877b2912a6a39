"""The embedded store: one DuckDB database file with venues, scans, cases, rejections and audit."""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pandas as pd

from tracelab._atomic import atomic_path, fault_point
from tracelab._db import rollback
from tracelab._validate import require_columns
from tracelab.io.checks import Loaded
from tracelab.model import schema as s
from tracelab.model.tables import APPEND_ONLY, TABLES, open_database, read_sql
from tracelab.privacy.boundary import protect_venues, require_protected
from tracelab.privacy.pseudonyms import pseudonymise

__all__ = ["Store", "open_store", "TABLES", "APPEND_ONLY", "Step", "insert_step",
           "run_transaction", "Pending"]

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
        steps: list[Step] = []
        for table, frame, mode in writes:
            _check_table(table)
            _refuse_append_only(table)
            if mode not in ("append", "replace"):
                raise ValueError(f"mode: {mode!r} is not 'append' or 'replace'")
            if mode == "replace":
                steps.append(Step(f"DELETE FROM {table}"))
            steps.append(insert_step(table, frame, TABLES[table]))
        run_transaction(self.con, steps)
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


_VIEWS = itertools.count()  # names of registered frames: unique within a process


@dataclass(frozen=True)
class Step:
    """One statement of :func:`run_transaction`, with the frames it reads by name."""

    sql: str
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    #: Fault point passed after the statement (tests only; :func:`tracelab._atomic.fault_point`).
    stage: str | None = None


def insert_step(table: str, frame: pd.DataFrame, columns: Mapping[str, str] | Sequence[str],
                *, what: str | None = None) -> Step:
    """A :class:`Step` inserting `frame`'s `columns` into `table`, checked at the boundary.

    The frame must hold every column and no raw identifier
    (:func:`tracelab.privacy.boundary.require_protected`); it is handed to DuckDB as an
    Arrow table, which it reads without converting one Python object per row. The check
    reads the text as that table holds it: a column of Python strings is converted once,
    and judged in Arrow.

    Raises
    ------
    tracelab.model.schema.SchemaError
        If a column is missing.
    tracelab.privacy.boundary.PrivacyError
        If the frame holds a raw person id, phone, ID number or individual's name.
    """
    import pyarrow as pa

    names = list(columns)
    require_columns(frame, names, f"frame for table {table!r}", error=s.SchemaError)
    chosen = frame.loc[:, names]
    label = what or f"store table {table}"
    try:
        arrow = pa.Table.from_pandas(chosen, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        require_protected(chosen, label)  # a raw identifier is said first, as it was
        raise
    require_protected(_as_inserted(chosen, arrow), label)
    quoted = ", ".join(f'"{c}"' for c in names)
    view = f"_incoming_{table}_{next(_VIEWS)}"
    return Step(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {view}",
                {view: arrow}, f"store:inserted:{table}")


def _as_inserted(frame: pd.DataFrame, arrow: Any) -> pd.DataFrame:
    """`frame` with its columns of Python strings replaced by their Arrow text in `arrow`.

    The same values (missing ones missing), as the privacy check judges them either way:
    in Arrow it sieves them in C instead of hashing a Python object per row.
    """
    import pyarrow as pa

    text = [i for i, dtype in enumerate(frame.dtypes) if pd.api.types.is_object_dtype(dtype)
            and (pa.types.is_string(arrow.schema.types[i])
                 or pa.types.is_large_string(arrow.schema.types[i]))]
    if not text:
        return frame
    out = frame.copy(deep=False)
    for i in text:
        out.isetitem(i, arrow.column(i).to_pandas().set_axis(frame.index))
    return out


def run_transaction(con: duckdb.DuckDBPyConnection, steps: Sequence[Step], *,
                    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None
                    ) -> None:
    """Run `steps` in one transaction, then `before_commit`, then COMMIT: all land or none.

    Frames are registered before the transaction and unregistered after it, whatever
    happened: an aborted transaction refuses even an unregister.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t (x INTEGER)")
    >>> run_transaction(con, [Step("INSERT INTO t SELECT x FROM f",
    ...                            {"f": pd.DataFrame({"x": [1, 2]})})])
    >>> con.execute("SELECT sum(x) FROM t").fetchone()
    (3,)
    """
    names: dict[str, object] = {}
    for step in steps:
        names.update(step.frames)
    for name, frame in names.items():
        con.register(name, frame)
    try:
        con.execute("BEGIN")
        try:
            for step in steps:
                con.execute(step.sql)
                if step.stage is not None:
                    fault_point(step.stage)
            if before_commit is not None:
                before_commit(con)
            con.execute("COMMIT")
            fault_point("store:committed")
        except BaseException as err:
            rollback(con, err)
            raise
    finally:
        for name in names:
            con.unregister(name)


class _Aborted(Exception):
    """The decision of :meth:`Pending.abort`, raised in the transaction to roll it back."""


class Pending:
    """A :func:`run_transaction` at work on a thread of its own, committed when told to.

    A writer hands its database steps over as soon as it has them and goes on with its
    other outputs while DuckDB inserts (outside the GIL, on the other core); it commits
    once those outputs are in place (:meth:`commit`), or rolls back (:meth:`abort`,
    also on leaving a ``with`` block uncommitted). The connection is opened, used and
    closed on that thread only; nothing is committed before :meth:`commit`.
    """

    def __init__(self, connect: Callable[[], duckdb.DuckDBPyConnection],
                 steps: Sequence[Step]) -> None:
        self._decision: queue.SimpleQueue[Callable[[duckdb.DuckDBPyConnection], None]
                                          | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._settled = False
        self._thread = threading.Thread(target=self._work, args=(connect, list(steps)),
                                        name="tracelab-transaction", daemon=True)
        self._thread.start()

    def _work(self, connect: Callable[[], duckdb.DuckDBPyConnection],
              steps: list[Step]) -> None:
        try:
            con = connect()
            try:
                run_transaction(con, steps, before_commit=self._decided)
            finally:
                con.close()
        except _Aborted:
            pass
        except BaseException as err:  # the committer raises it
            self._error = err

    def _decided(self, con: duckdb.DuckDBPyConnection) -> None:
        """Wait, inside the transaction, for :meth:`commit` (run its hook) or :meth:`abort`."""
        hook = self._decision.get()
        if hook is None:
            raise _Aborted
        hook(con)

    def _settle(self, hook: Callable[[duckdb.DuckDBPyConnection], None] | None) -> None:
        if self._settled:
            raise RuntimeError("this transaction was committed or aborted already")
        self._settled = True
        self._decision.put(hook)
        self._thread.join()

    def commit(self, before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None
               ) -> None:
        """Run `before_commit` in the transaction, then COMMIT; raise what failed, if any.

        A step that failed earlier is raised here, its transaction rolled back.
        """
        self._settle(before_commit or (lambda con: None))
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Roll the transaction back (if not committed or aborted yet) and close it."""
        if not self._settled:
            self._settle(None)

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.abort()


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
