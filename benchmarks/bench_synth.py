"""Benchmark: generate the full synthetic Luxi County (260,194 people, 14 days).

Target (issue 3): at most 3 minutes on a 2-core machine, peak memory at most 8 GB.
Prints wall time of generation and of writing Parquet, peak resident memory and the
number of scans. Run: ``.venv/bin/python benchmarks/bench_synth.py [--population N]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time

from tracelab.synth import generate

__all__ = ["main"]


def _peak_gb() -> float:
    # ru_maxrss is in KiB on Linux: the process's peak resident set size.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=260_194)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    county = generate(args.population, days=args.days, seed=args.seed, progress=True)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        county.write(folder)
        t2 = time.perf_counter()
    counts = county.manifest["counts"]
    print(f"population        {args.population:,} x {args.days} days (seed {args.seed})")
    print(f"generate          {t1 - t0:8.1f} s")
    print(f"write parquet     {t2 - t1:8.1f} s")
    print(f"total             {t2 - t0:8.1f} s   (target <= 180 s)")
    print(f"peak memory       {_peak_gb():8.2f} GB  (target <= 8 GB)")
    per = counts["scans_per_person_day"]
    print(f"scans             {counts['scans']:,} ({per} per person-day)")
    print(f"true stays        {len(county.presence):,}")
    print(f"venues            {counts['venues']:,}")
    print(f"infections        {counts['infections']:,}; cases {counts['cases']:,}")
    ok = (t2 - t0) <= 180 and _peak_gb() <= 8
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
