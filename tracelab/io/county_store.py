"""The county store: one folder that holds a county's database and its memory-mapped index.

Layout of a store folder ``PATH/`` (docs/store.md)::

    PATH/manifest.json        {"format": "tracelab-county-store", "generation": N, ...}
    PATH/tracelab.duckdb      venues, scans, cases, visits, rejections, registry faults,
                              follow-up and the audit log (one per county); plain SQL
    PATH/tracelab.duckdb.audit-anchor
    PATH/gen-00000N/          generation N: everything a query reads, never changed
        meta.json             counts, zone, region, days, the index's parameters
        people.npy …          code -> pseudonym; the venue table, cases, set-aside scans
        visits-0/ …           one VisitGraph per dwell assumption, as .npy arrays
    PATH/.writer.lock         held by the one ingest, append or purge at work

A change (ingest, append, purge) never touches the current generation: it writes
generation N+1 under a temporary name, renames that folder into place, commits the
database change together with the generation number in one DuckDB transaction, and
switches ``manifest.json`` last, by atomic rename. Readers follow the manifest, so they
see generation N or N+1, each whole. A crash before the commit leaves N (the new folder
is removed by the next writer); a crash between the commit and the switch leaves the
database one generation ahead, and the next writer rolls the manifest forward
(:func:`recover`). After the switch the older generations are removed: a reader that
mapped them keeps its pages (POSIX keeps an unlinked file while it is mapped), one that
was about to open them reads the manifest again (:func:`current_generation`).

This module knows files and tables, not the index: building and reading the visit graphs
is :mod:`tracelab.index.county`'s; reading the tables back as a data folder's is
:mod:`tracelab.io.county_tables`'.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from tracelab._atomic import fault_point, fsync_path, write_text
from tracelab._db import LOCK_WAIT_SECONDS, StoreBusyError
from tracelab._i18n import msg
from tracelab.model import schema as s
from tracelab.model.tables import open_database
from tracelab.privacy.boundary import require_protected

if TYPE_CHECKING:  # the writers' transaction steps, imported where a writer runs them
    from tracelab.io.store import Pending, Step

__all__ = ["DATABASE", "MANIFEST", "STORE_FORMAT", "VISITS_TABLE", "VISITS_KEY",
           "VISITS_COLUMNS", "NotACountyStoreError", "Generation", "is_county_store",
           "current_generation", "writer_lock", "prepare_folder", "staging_folder",
           "begin", "publish", "recover", "write_frame", "read_frame", "database_path",
           "database_generation", "generation_at"]

DATABASE = "tracelab.duckdb"
MANIFEST = "manifest.json"
META = "meta.json"
STORE_FORMAT = "tracelab-county-store"
FORMAT_VERSION = 1
_LOCK = ".writer.lock"
_GENERATION_TABLE = "store_generation"
#: The visits of every dwell assumption, beside the scans they come from (plain SQL).
VISITS_TABLE = "visits"
#: Column of the visits table: the dwell assumption (``tracelab.index.county.visits_key``).
VISITS_KEY = "visits_key"
_TS = "TIMESTAMPTZ"
VISITS_COLUMNS = {
    VISITS_KEY: "VARCHAR NOT NULL", s.PERSON_ID: "VARCHAR NOT NULL",
    s.VENUE_ID: "VARCHAR NOT NULL", s.T_IN: f"{_TS} NOT NULL", s.T_OUT: f"{_TS} NOT NULL",
    s.T_OUT_SOURCE: "VARCHAR", s.MERGED_SCANS: "BIGINT", s.CODE_COLOUR: "VARCHAR",
    s.METHOD: "VARCHAR",
}


class NotACountyStoreError(ValueError):
    """The path is not a county store folder (an input error, exit 2)."""


@dataclass(frozen=True)
class Generation:
    """One generation of a store: its number, its folder and what ``meta.json`` says."""

    store: Path
    number: int
    folder: Path
    meta: dict[str, Any]


def database_path(store: str | Path) -> Path:
    """The DuckDB file of a store folder (its audit log lives there too)."""
    return Path(store) / DATABASE


def _generation_name(number: int) -> str:
    return f"gen-{number:06d}"


def _manifest(store: Path) -> dict[str, Any] | None:
    path = store / MANIFEST
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        found = None
    if not isinstance(found, dict) or found.get("format") != STORE_FORMAT:
        raise NotACountyStoreError(msg("--store {path}: {manifest} is not a tracelab store "
                                       "manifest", path=store, manifest=path))
    return found


def is_county_store(path: str | Path) -> bool:
    """Whether `path` is a store folder (its manifest names the store format).

    Examples
    --------
    >>> is_county_store("no-such-folder")
    False
    """
    try:
        return Path(path).is_dir() and _manifest(Path(path)) is not None
    except NotACountyStoreError:
        return False


def current_generation(store: str | Path, *, attempts: int = 3) -> Generation:
    """The generation the manifest names, with its ``meta.json``.

    A writer may switch the manifest and remove the old generation between the moment
    the manifest is read and the moment its folder is opened; the manifest is then read
    again, up to `attempts` times.

    Raises
    ------
    NotACountyStoreError
        If `store` is not a store folder.
    """
    folder = Path(store)
    for attempt in range(attempts):
        found = _manifest(folder) if folder.is_dir() else None
        if found is None:
            raise NotACountyStoreError(msg(
                "--store {path}: not a tracelab store (no {manifest}); build one with "
                "`tracelab ingest --data DIR --store {path}`", path=folder, manifest=MANIFEST))
        try:
            return generation_at(folder, int(found["generation"]))
        except FileNotFoundError:
            if attempt + 1 == attempts:
                raise
            # switched under us: read the manifest again
    raise AssertionError("unreachable")  # the loop returns or raises


def generation_at(folder: Path, number: int) -> Generation:
    """Generation `number` of the store `folder` (its folder and ``meta.json``)."""
    gen = folder / _generation_name(number)
    meta = json.loads((gen / META).read_text(encoding="utf-8"))
    return Generation(folder, number, gen, meta)


@contextlib.contextmanager
def writer_lock(store: str | Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the store's writer lock: one ingest, append or purge at a time.

    Readers never take it. Waits up to `wait_seconds` for another writer.

    Raises
    ------
    tracelab._db.StoreBusyError
        If another writer still holds it after `wait_seconds`.
    """
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: one writer is up to the user
        yield
        return
    path = Path(store) / _LOCK
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusyError(msg(
                        "--store {path}: another ingest, append or purge has been at work for "
                        "over {wait_seconds:.0f} s; wait for it to finish and retry",
                        path=store, wait_seconds=wait_seconds)) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def prepare_folder(store: str | Path, *, create: bool = True) -> Path:
    """Create `store` as a store folder if needed; refuse a file or a foreign folder.

    With ``create=False`` only the refusals are checked.

    Raises
    ------
    NotACountyStoreError
        If `store` is a file (such as a bare database file) or a non-empty folder that is
        not a store.
    """
    folder = Path(store)
    if folder.exists() and not folder.is_dir():
        raise NotACountyStoreError(msg(
            "--store {path}: is a file; a store is a folder (give a new or empty folder)",
            path=folder))
    if folder.is_dir() and _manifest(folder) is None and any(
            p.name != _LOCK for p in folder.iterdir()):
        raise NotACountyStoreError(msg(
            "--store {path}: the folder holds other files and is not a tracelab store; give "
            "a new or empty folder", path=folder))
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def staging_folder(store: Path, number: int) -> Path:
    """A fresh temporary folder for generation `number`, inside the store."""
    staging = store / f".{_generation_name(number)}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return staging


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f'"{c}" {t}' for c, t in VISITS_COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {VISITS_TABLE} ({columns})")
    con.execute(f"CREATE TABLE IF NOT EXISTS {_GENERATION_TABLE} "
                f"(generation BIGINT NOT NULL, committed_at {_TS} NOT NULL)")


def database_generation(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT max(generation) FROM {_GENERATION_TABLE}").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def _switch(store: Path, number: int) -> None:
    text = json.dumps({"format": STORE_FORMAT, "version": FORMAT_VERSION,
                       "generation": number, "folder": _generation_name(number)},
                      indent=1) + "\n"
    write_text(store / MANIFEST, text)


def _tidy(store: Path, keep: int) -> None:
    """Remove staging folders and every generation but `keep`."""
    for path in store.iterdir():
        name = path.name
        stale = name.startswith(".gen-") and name.endswith(".tmp")
        old = name.startswith("gen-") and name != _generation_name(keep)
        if path.is_dir() and (stale or old):
            shutil.rmtree(path, ignore_errors=True)


def recover(store: str | Path) -> int:
    """Bring a store whose last writer crashed to a whole state; return its generation.

    Call it holding :func:`writer_lock`. A database one generation ahead of the manifest
    (a crash between the commit and the switch) gets its manifest switched; staging
    folders and generations the manifest does not name are removed.

    Raises
    ------
    NotACountyStoreError
        If the manifest names a generation the database never committed (a database
        restored from an older copy, say): which one is right cannot be told.
    """
    folder = Path(store)
    found = _manifest(folder)
    listed = int(found["generation"]) if found is not None else 0
    committed = 0
    if database_path(folder).is_file():
        con = open_database(database_path(folder))
        try:
            _ensure_tables(con)
            committed = database_generation(con)
        finally:
            con.close()
    if committed > listed and (folder / _generation_name(committed)).is_dir():
        _switch(folder, committed)
        listed = committed
    elif committed != listed:
        raise NotACountyStoreError(msg(
            "--store {path}: the manifest names generation {listed} but the database holds "
            "generation {committed}; restore both from the same backup", path=folder,
            listed=listed, committed=committed))
    _tidy(folder, listed)
    return listed


def begin(store: Path, steps: Sequence[Step]) -> Pending:
    """Start the database work of a new generation: `steps`, run now, committed by :func:`publish`.

    The steps run on a thread (:class:`tracelab.io.store.Pending`) while the caller
    writes the generation's files; :func:`publish` commits them after the generation's
    folder is in place, as it commits steps given as a list. The caller aborts it if it
    does not get to publish (``with begin(...) as pending:``).
    """
    from tracelab.io.store import Pending

    def connect() -> duckdb.DuckDBPyConnection:
        con = open_database(database_path(store))
        try:
            _ensure_tables(con)
        except BaseException:
            con.close()
            raise
        return con

    return Pending(connect, steps)


def publish(store: Path, staging: Path, number: int, meta: dict[str, Any],
            steps: Sequence[Step] | Pending,
            before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None
            ) -> Generation:
    """Make `staging` generation `number`: rename it in, commit `steps`, switch the manifest.

    The database steps and the generation number commit in one transaction; the
    manifest is switched after it, last. On an error before the commit the new folder
    is removed and the store stays at the previous generation. `steps` may be at work
    already (:func:`begin`): they are committed here, or rolled back on an error.
    """
    meta = {**meta, "generation": number}
    write_text(staging / META, json.dumps(meta, indent=1, sort_keys=True) + "\n")
    fsync_path(staging)
    final = store / _generation_name(number)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(staging, final)
    fsync_path(store)
    fault_point("store:generation-written")

    def commit(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"DELETE FROM {_GENERATION_TABLE}")
        con.execute(f"INSERT INTO {_GENERATION_TABLE} VALUES (?, now())", [number])
        if before_commit is not None:
            before_commit(con)

    from tracelab.io.store import Pending, run_transaction

    try:
        if isinstance(steps, Pending):
            steps.commit(commit)
        else:
            con = open_database(database_path(store))
            try:
                _ensure_tables(con)
                run_transaction(con, steps, before_commit=commit)
            finally:
                con.close()
    except BaseException:
        if isinstance(steps, Pending):
            steps.abort()
        shutil.rmtree(final, ignore_errors=True)
        raise
    _switch(store, number)
    fault_point("store:switched")
    _tidy(store, number)
    return Generation(store, number, final, meta)


def write_frame(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Write a small table of a generation as Parquet, refusing raw identifiers."""
    require_protected(frame, f"store file {name}")
    path = folder / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    fsync_path(path)


def read_frame(gen: Generation, name: str, columns: Sequence[str] | None = None
               ) -> pd.DataFrame | None:
    """A table :func:`write_frame` wrote into `gen`, or None when it has none; only those
    of `columns` it has, when given."""
    path = gen.folder / f"{name}.parquet"
    if not path.is_file():
        return None
    if columns is not None:
        import pyarrow.parquet as pq

        have = set(pq.read_schema(path).names)
        columns = [c for c in columns if c in have]
    return pd.read_parquet(path, columns=columns)
