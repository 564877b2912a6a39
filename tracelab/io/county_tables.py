"""A county store's tables read back as a data folder's: for the briefing and the venue views.

:func:`read_store_tables` gives what ``pseudonymise_data(read_dir(folder), key)`` gives for
the folder(s) a store was built from, from its database (no file read or checked again);
:func:`store_extras` what ``tracelab.briefing.folder_extras`` gives for a folder.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tracelab.io.checks import Loaded, empty_rejections
from tracelab.io.county_store import (
    Generation,
    current_generation,
    database_generation,
    database_path,
    generation_at,
    read_frame,
)
from tracelab.io.folders import DataDir
from tracelab.model import schema as s
from tracelab.model.tables import open_database, read_sql

__all__ = ["read_store_tables", "store_extras", "store_snapshot", "snapshot_tables"]


def _loaded(frame: pd.DataFrame, info: dict[str, Any], rejected: pd.DataFrame,
            **extra: Any) -> Loaded:
    source = str(info.get("source", ""))
    mine = rejected[rejected[s.SOURCE].astype(str) == source] if source else rejected.iloc[:0]
    return Loaded(frame, mine.reset_index(drop=True), int(info.get("read", len(frame))),
                  source, **extra)


#: Columns whose type the folder loaders give otherwise than a database text column (text
#: with its own missing marker, or Python objects): cast so that a store's tables equal a
#: folder's dtype for dtype (``tracelab.io.venues`` and ``tracelab.io.scans``; a test of
#: tests/test_store_brief.py compares them).
_FOLDER_DTYPES: dict[str, dict[str, Any]] = {
    "venues": {s.VENUE_TYPE: "string", s.TOWNSHIP: object, s.TOWNSHIP_CODE: object,
               s.PARENT_VENUE_ID: "str", s.REGISTRY_FAULT: object},
    "scans": {s.METHOD: object},
}


def _as_folder(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """`frame` with the column types :func:`tracelab.io.read_dir` gives `table`."""
    for column, dtype in _FOLDER_DTYPES.get(table, {}).items():
        if column in frame:
            values = frame[column].astype(dtype)
            # A missing value reads None in an object column, as the loaders leave it.
            frame[column] = values.where(values.notna(), None) if dtype is object else values
    return frame


@contextlib.contextmanager
def store_snapshot(store: str | Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, Generation]]:
    """A read-only connection to a store's database inside one transaction, and its generation.

    Every query on the connection sees one state of the tables; the generation is the one
    they belong to (the database's, when a writer died between its commit and its switch
    of the manifest). The connection is closed on leaving.

    Raises
    ------
    tracelab.io.county_store.NotACountyStoreError
        If `store` is not a store folder.
    """
    gen = current_generation(store)
    con = open_database(database_path(store), read_only=True)
    try:
        con.execute("BEGIN")  # one snapshot: the tables and their generation agree
        committed = database_generation(con)
        if committed > gen.number:  # a writer died between its commit and its switch
            gen = generation_at(Path(store), committed)
        yield con, gen
        con.execute("COMMIT")
    finally:
        con.close()


def snapshot_tables(con: duckdb.DuckDBPyConnection, gen: Generation,
                    tables: Sequence[str] = ("venues", "scans", "cases")) -> DataDir:
    """:func:`read_store_tables` on a connection of :func:`store_snapshot`."""
    frames = {t: _as_folder(read_sql(con, f"SELECT * FROM {t}"), t) if t in tables
              else pd.DataFrame(columns=list(cols))
              for t, cols in (("venues", s.VENUE_COLUMNS), ("scans", s.SCAN_COLUMNS),
                              ("cases", s.CASE_COLUMNS))}
    rejections = read_sql(con, "SELECT * FROM rejections")
    faults = read_sql(con, "SELECT * FROM registry_faults")
    if "scans" in tables:
        frames["scans"] = frames["scans"].sort_values(
            [s.PERSON_ID, s.SCANNED_AT, s.VENUE_ID], kind="stable", ignore_index=True)
    info = gen.meta.get("loads", {})
    aside = read_frame(gen, "set_aside")
    loads = {"venues": _loaded(frames["venues"], info.get("venues", {}), rejections,
                               faults=faults),
             "scans": _loaded(frames["scans"], info.get("scans", {}), rejections,
                              set_aside=aside)}
    if "cases" in info:
        loads["cases"] = _loaded(frames["cases"], info["cases"], rejections)
    region = None
    if gen.meta.get("region"):
        from tracelab.io.folders import resolve_region

        with contextlib.suppress(ValueError, LookupError, OSError):
            region = resolve_region(str(gen.meta["region"]))
    return DataDir(frames["venues"], frames["scans"], frames["cases"],
                   rejections if len(rejections) else empty_rejections(), loads, gen.store,
                   region)


def read_store_tables(store: str | Path, *, tables: Sequence[str] = ("venues", "scans",
                                                                      "cases")) -> DataDir:
    """The tables of a store as a :class:`~tracelab.io.DataDir`, as ``read_dir`` gives a folder's.

    Person ids are the store's pseudonyms, the registry is protected: what
    ``pseudonymise_data(read_dir(folder), key)`` gives for the folder(s) it was built from,
    column types included. ``loads`` carries each table's counts and source file and, for
    the scans, the set-aside rows; ``path`` is the store folder. `tables` may leave out
    ``scans`` (millions of rows) when a caller needs the registry or the cases only (the
    scans' ``loads`` then count no accepted row).

    Examples
    --------
    >>> read_store_tables("no-such-store")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.io.county_store.NotACountyStoreError: --store no-such-store: not a tracelab store ...
    """
    with store_snapshot(store) as (con, gen):
        return snapshot_tables(con, gen, tables)


def store_extras(store: str | Path | Generation) -> dict[str, Any]:
    """A store's optional inputs, as ``briefing.folder_extras`` gives a folder's.

    ``manifest`` (the source folder's ``manifest.json``), ``townships`` (its
    ``townships.geojson`` as a GeoDataFrame) and ``persons`` (pseudonymised
    ``person_id`` with the household, home venue and township columns the folder had),
    each None when the source had none. `store` may be a generation (of
    :func:`store_snapshot`), read as it is.
    """
    gen = store if isinstance(store, Generation) else current_generation(store)
    manifest = gen.folder / "source_manifest.json"
    townships = None
    if (gen.folder / "townships.geojson").is_file():
        import geopandas as gpd

        townships = gpd.read_file(gen.folder / "townships.geojson")
    return {"manifest": (json.loads(manifest.read_text(encoding="utf-8"))
                         if manifest.is_file() else None),
            "townships": townships, "persons": read_frame(gen, "persons")}
