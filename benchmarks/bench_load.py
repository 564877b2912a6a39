"""Loading a county folder: tracelab's checked loaders against plain pandas and DuckDB.

Usage::

    python benchmarks/bench_load.py [--population 50000] [--days 14] [--repeat 3]

Writes a synthetic county as CSV (once, into a temporary folder), then times, on the same
files in the same run:

- ``tracelab.read_dir``: venues checked against the region (outline, townships, registry
  rules), scans parsed, checked, merged, every rejected row recorded;
- pandas: ``read_csv`` of both files, ``to_datetime`` of the scan times and an ``isin``
  venue check (what a notebook would do, with none of the checks);
- DuckDB: ``read_csv`` of the scans into a table, with a join on the venues.

and prints seconds and the ratios tracelab / baseline. Loading is a once-per-folder cost;
the ratio says what the checks cost against a bare read.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

import tracelab as tl
from tracelab.synth import generate


def _time(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--population", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(args.population, days=args.days, seed=4, progress=False).write(folder, fmt="csv")
        scans_csv, venues_csv = folder / "scans.csv", folder / "venues.csv"
        now = "2023-01-01T00:00Z"

        def tracelab_load() -> None:
            tl.read_dir(folder, now=now)

        def pandas_load() -> None:
            venues = pd.read_csv(venues_csv, dtype=str)
            scans = pd.read_csv(scans_csv, dtype=str)
            times = pd.to_datetime(scans["scanned_at"], utc=True, format="ISO8601")
            _ = scans[scans["venue_id"].isin(venues["venue_id"]) & times.notna()]

        def duckdb_load() -> None:
            con = duckdb.connect()
            con.execute(f"CREATE TABLE v AS SELECT * FROM read_csv('{venues_csv}', all_varchar=true)")
            con.execute(f"CREATE TABLE s AS SELECT s.* FROM read_csv('{scans_csv}') s "
                        "JOIN v USING (venue_id)")
            con.close()

        n = len(pd.read_csv(scans_csv, usecols=["venue_id"]))
        ours = _time(tracelab_load, args.repeat)
        base_pd = _time(pandas_load, args.repeat)
        base_db = _time(duckdb_load, args.repeat)
    print(f"{n:,} scans, median of {args.repeat}")
    print(f"tracelab.read_dir  {ours:7.2f} s")
    print(f"pandas (no checks) {base_pd:7.2f} s   ratio {ours / base_pd:5.2f}x")
    print(f"DuckDB (no checks) {base_db:7.2f} s   ratio {ours / base_db:5.2f}x")


if __name__ == "__main__":
    main()
