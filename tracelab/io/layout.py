"""The Parquet layout both engines read: tables as files, scans and visits partitioned by day.

A layout folder is an ordinary data folder (DESIGN §7) whose large tables are Hive-style
Parquet datasets partitioned by local date, so a query for a few days reads a few files,
whether DuckDB, pandas (:func:`tracelab.io.read_dir`) or Spark reads them::

    manifest.json          {"venue_crs": "WGS-84", ...}
    venues.parquet
    cases.parquet
    scans.parquet/day=2022-11-18/part-0.parquet
    visits.parquet/dwell=estimated_dwell/day=2022-11-18/part-0.parquet

``day`` is the local date (``Asia/Shanghai`` unless told) of ``scanned_at`` or ``t_in``;
times inside the files are UTC instants in microseconds (Spark reads no nanoseconds). Visits
are derived data: they are written by :func:`write_visits` (or the Spark job) for the dwell
assumption they were built under.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from tracelab._atomic import atomic_path, write_text
from tracelab._i18n import msg
from tracelab.model import schema as s
from tracelab.model.schema import (
    DAY,
    DWELL,
)
from tracelab.privacy.boundary import require_protected

__all__ = ["DAY", "DWELL", "write_layout", "write_partitioned", "write_visits", "visits_path"]



def _local_day(times: pd.Series, zone: str) -> pd.Series:
    return times.dt.tz_convert(zone).dt.strftime("%Y-%m-%d").astype("str")


def write_partitioned(frame: pd.DataFrame, path: str | Path, time_column: str, *,
                      zone: str = s.DEFAULT_ZONE) -> Path:
    """Write ``frame`` as a Parquet dataset at ``path``, one folder per local day.

    Rows keep their order inside each day; an existing dataset at ``path`` is replaced.

    Examples
    --------
    >>> import tempfile
    >>> scans = pd.DataFrame({"person_id": ["P1", "P2"], "venue_id": ["V1", "V1"],
    ...     "scanned_at": pd.to_datetime(["2022-11-18 15:00", "2022-11-18 17:00"], utc=True)})
    >>> out = write_partitioned(scans, Path(tempfile.mkdtemp()) / "scans.parquet", "scanned_at")
    >>> sorted(p.name for p in out.iterdir())  # 17:00 UTC is the 19th in Shanghai
    ['day=2022-11-18', 'day=2022-11-19']
    """
    path = Path(path)
    if time_column not in frame:
        raise ValueError(msg("write_partitioned: frame lacks {time_column!r}; columns: {columns}",
                             time_column=time_column, columns=list(frame.columns)))
    out = frame.assign(**{DAY: _local_day(frame[time_column], zone)})
    table = pa.Table.from_pandas(out, preserve_index=False)
    options = ds.ParquetFileFormat().make_write_options(coerce_timestamps="us")
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    # Written under a temporary name, then swapped in: a crash leaves the old dataset or
    # the new one (or, between the two renames, none), never a part of one.
    with atomic_path(path) as tmp:
        ds.write_dataset(table, tmp, format="parquet", file_options=options,
                         partitioning=ds.partitioning(pa.schema([(DAY, pa.string())]),
                                                      flavor="hive"),
                         basename_template="part-{i}.parquet", existing_data_behavior="error")
        if path.exists():
            os.replace(path, old)
    if old.exists():
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    return path


def write_layout(folder: str | Path, venues: pd.DataFrame, scans: pd.DataFrame,
                 cases: pd.DataFrame | None = None, *, zone: str = s.DEFAULT_ZONE) -> Path:
    """Write loaded tables (``tracelab.read_dir``) as the layout in ``folder``.

    Returns the folder; ``tracelab.read_dir(folder)`` reads it back. The tables must be
    pseudonymised (:func:`tracelab.io.pseudonymise_data`): a raw identifier in any column
    is refused (:func:`tracelab.privacy.boundary.require_protected`). Each file is
    written whole or not at all.

    Examples
    --------
    >>> import tempfile
    >>> from tracelab.io import pseudonymise_data, read_dir
    >>> from tracelab.privacy import DEMO_KEY
    >>> data = pseudonymise_data(read_dir("data/sample", now="2030-01-01T00:00+08:00"), DEMO_KEY)
    >>> out = write_layout(Path(tempfile.mkdtemp()), data.venues, data.scans, data.cases)
    >>> back = read_dir(out, now="2030-01-01T00:00+08:00")
    >>> len(back.scans) == len(data.scans), len(back.rejections)
    (True, 0)
    """
    folder = Path(folder)
    tables = {"venues": venues, "scans": scans, "cases": cases}
    for name, table in tables.items():
        if table is not None:
            require_protected(table, f"layout {name}")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("venues", "cases"):
        if tables[name] is not None:
            with atomic_path(folder / f"{name}.parquet") as tmp:
                tables[name].to_parquet(tmp, index=False, coerce_timestamps="us")
    write_partitioned(scans, folder / "scans.parquet", s.SCANNED_AT, zone=zone)
    # Loaded venues are WGS-84; without this note read_dir would shift them again as GCJ-02.
    # Written last: a folder with its manifest is a whole layout.
    manifest = {"venue_crs": "WGS-84", "layout": "tracelab.io.layout", "zone": zone}
    write_text(folder / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return folder


def visits_path(folder: str | Path, dwell: str) -> Path:
    """Where the visits built under ``dwell`` live in a layout folder."""
    return Path(folder) / "visits.parquet" / f"{DWELL}={dwell}"


def write_visits(folder: str | Path, visits: pd.DataFrame, dwell: str, *,
                 zone: str = s.DEFAULT_ZONE) -> Path:
    """Write a visits frame (:func:`tracelab.visits`) built under ``dwell`` into the layout."""
    return write_partitioned(visits, visits_path(folder, dwell), s.T_IN, zone=zone)
