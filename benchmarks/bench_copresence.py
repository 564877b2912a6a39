"""Whole-population co-presence: tracelab's venue sweep against a DuckDB self-join.

Usage::

    python benchmarks/bench_copresence.py [--population 50000] [--days 14]

Builds a synthetic county, indexes its visits under ``twenty`` and writes them to Parquet;
then, each in its own process (so that each peak memory is its own) and on the same
visits, times:

- ``tracelab.tracing.copresent_pairs.write_copresence``: every co-present pair with its total
  overlap, streamed to Parquet in bounded memory (the visits index is read from the
  Parquet file first, untimed);
- DuckDB: the same pairs as an interval self-join per venue (``a.t_in < b.t_out AND
  b.t_in < a.t_out``), grouped per pair and written to Parquet, from the same visits.

It prints seconds, peak memory of each process, the pair counts and total overlaps (which
must be equal) and the ratio tracelab / DuckDB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.synth import generate
from tracelab.tracing.copresent_pairs import write_copresence

#: DuckDB's memory limit: the 12 GB that whole-population co-presence may use.
MEMORY_LIMIT = "12GB"


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _prepare(population: int, days: int, folder: Path) -> tuple[int, int]:
    """Write the county's visits (shared venues only) and venues to ``folder``."""
    county = generate(population, days=days, seed=4, progress=False)
    venues = county.venues.copy()
    graph = VisitGraph.from_scans(county.scans[county.scans[s.VENUE_ID].isin(venues[s.VENUE_ID])],
                                  venues, "twenty")
    n_scans = len(county.scans)
    del county
    visits = graph.visits()
    residence = set(graph.venues.loc[graph.venue_residence, s.VENUE_ID])
    visits = visits[~visits[s.VENUE_ID].isin(residence) & (visits[s.T_OUT] > visits[s.T_IN])]
    visits[[s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT]].to_parquet(folder / "visits.parquet",
                                                                 index=False)
    venues.to_parquet(folder / "venues.parquet", index=False)
    return n_scans, len(visits)


def _ours(folder: Path) -> dict[str, float]:
    visits = pd.read_parquet(folder / "visits.parquet")
    graph = VisitGraph.from_visits(visits, pd.read_parquet(folder / "venues.parquet"),
                                   dwell="estimated_dwell")
    del visits
    t0 = time.perf_counter()
    write_copresence(graph, folder / "ours.parquet", "twenty")
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def _duckdb(folder: Path) -> dict[str, float]:
    con = duckdb.connect()
    # The same memory budget as the issue gives tracelab; beyond it DuckDB spills to disk.
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{folder / 'duckdb.tmp'}'")
    con.execute(f"""CREATE TABLE v AS SELECT row_number() OVER () AS id, *
                    FROM '{folder / 'visits.parquet'}'""")
    t0 = time.perf_counter()
    con.execute(f"""
        COPY (SELECT least(a.person_id, b.person_id) AS person_a,
                     greatest(a.person_id, b.person_id) AS person_b,
                     sum(epoch_ns(least(a.t_out, b.t_out))
                         - epoch_ns(greatest(a.t_in, b.t_in))) / 6e10 AS overlap_minutes,
                     count(*) AS n_overlaps
              FROM v a JOIN v b ON a.venue_id = b.venue_id AND a.id < b.id
                   AND a.t_in < b.t_out AND b.t_in < a.t_out AND a.person_id <> b.person_id
              GROUP BY ALL) TO '{folder / 'duckdb.parquet'}' (FORMAT PARQUET)""")
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def _stage(name: str, folder: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--stage", name, str(folder)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--population", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--stage", nargs=2, metavar=("NAME", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        name, folder = args.stage[0], Path(args.stage[1])
        print(json.dumps(_ours(folder) if name == "ours" else _duckdb(folder)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        n_scans, n_visits = _prepare(args.population, args.days, folder)
        print(f"{n_scans:,} scans, {n_visits:,} shared-venue visits, {args.population:,} "
              f"people, {args.days} days (county and visits built in "
              f"{time.perf_counter() - t0:.0f} s)", flush=True)
        ours = _stage("ours", folder)
        print(f"tracelab write_copresence {ours['seconds']:7.1f} s  "
              f"peak {ours['peak_mb']:,.0f} MB", flush=True)
        theirs = _stage("duckdb", folder)
        print(f"DuckDB self-join          {theirs['seconds']:7.1f} s  "
              f"peak {theirs['peak_mb']:,.0f} MB", flush=True)
        con = duckdb.connect()
        n_ours, total_ours = con.execute(
            f"SELECT count(*), sum(overlap_minutes) FROM '{folder / 'ours.parquet'}'"
        ).fetchone() or (0, 0)
        n_theirs, total_theirs = con.execute(
            f"SELECT count(*), sum(overlap_minutes) FROM '{folder / 'duckdb.parquet'}'"
        ).fetchone() or (0, 0)
        assert n_ours == pq.ParquetFile(folder / "ours.parquet").metadata.num_rows
    print(f"pairs: tracelab {n_ours:,}, DuckDB {n_theirs:,} (equal: {n_ours == n_theirs}); "
          f"total overlap {total_ours:,.0f} vs {total_theirs:,.0f} minutes")
    print(f"ratio tracelab / DuckDB   {ours['seconds'] / theirs['seconds']:5.2f}x")


if __name__ == "__main__":
    main()
