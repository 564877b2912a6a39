"""Whole-population co-presence: tracelab's venue sweep against a DuckDB self-join.

Usage::

    python benchmarks/bench_copresence.py [--population 50000] [--days 14]

Builds a synthetic county, indexes its visits under ``twenty`` and, on the same visits in
the same run, times:

- ``tracelab.tracing.copresent_pairs.write_copresence``: every co-present pair with its total
  overlap, streamed to Parquet in bounded memory;
- DuckDB: the same pairs as an interval self-join per venue (``a.t_in < b.t_out AND
  b.t_in < a.t_out``), grouped per pair and written to Parquet.

It prints seconds, peak memory of this process, the pair counts and total overlaps (which
must be equal) and the ratio tracelab / DuckDB.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.synth import generate
from tracelab.tracing.copresent_pairs import write_copresence


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--population", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    county = generate(args.population, days=args.days, seed=4, progress=False)
    venues = county.venues.copy()
    graph = VisitGraph.from_scans(county.scans[county.scans[s.VENUE_ID].isin(venues[s.VENUE_ID])],
                                  venues, "twenty")
    visits = graph.visits()
    residence = set(graph.venues.loc[graph.venue_residence, s.VENUE_ID])
    visits = visits[~visits[s.VENUE_ID].isin(residence) & (visits[s.T_OUT] > visits[s.T_IN])]
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, theirs_path = Path(tmp) / "ours.parquet", Path(tmp) / "duckdb.parquet"
        t0 = time.perf_counter()
        write_copresence(graph, ours_path, "twenty")
        ours = time.perf_counter() - t0
        ours_mb = _peak_mb()
        con = duckdb.connect()
        con.register("visits_df", visits[[s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT]])
        con.execute("CREATE TABLE v AS SELECT row_number() OVER () AS id, * FROM visits_df")
        t0 = time.perf_counter()
        con.execute(f"""
            COPY (SELECT least(a.person_id, b.person_id) AS person_a,
                         greatest(a.person_id, b.person_id) AS person_b,
                         sum(epoch_ns(least(a.t_out, b.t_out))
                             - epoch_ns(greatest(a.t_in, b.t_in))) / 6e10 AS overlap_minutes,
                         count(*) AS n_overlaps
                  FROM v a JOIN v b ON a.venue_id = b.venue_id AND a.id < b.id
                       AND a.t_in < b.t_out AND b.t_in < a.t_out AND a.person_id <> b.person_id
                  GROUP BY ALL) TO '{theirs_path}' (FORMAT PARQUET)""")
        theirs = time.perf_counter() - t0
        n_ours = pq.ParquetFile(ours_path).metadata.num_rows
        n_theirs = pq.ParquetFile(theirs_path).metadata.num_rows
        total_ours, total_theirs = (con.execute(
            f"SELECT sum(overlap_minutes) FROM '{f}'").fetchone()[0]  # type: ignore[index]
            for f in (ours_path, theirs_path))
    print(f"{len(county.scans):,} scans, {len(visits):,} shared-venue visits, "
          f"{args.population:,} people, {args.days} days")
    print(f"tracelab write_copresence {ours:7.1f} s  peak {ours_mb:,} MB  {n_ours:,} pairs")
    print(f"DuckDB self-join          {theirs:7.1f} s  peak {_peak_mb():,} MB  {n_theirs:,} pairs")
    print(f"ratio tracelab / DuckDB   {ours / theirs:5.2f}x   pairs equal: {n_ours == n_theirs}"
          f"   total overlap {total_ours:,.0f} vs {total_theirs:,.0f} minutes")


if __name__ == "__main__":
    main()
