"""Check that the replay's metrics keep their distribution across implementations.

Runs every policy over ``--seeds`` seeds and writes one row per run (``--out``). Given
``--before`` (the same table from another implementation, e.g. the one before a
rewrite), it prints, per policy and metric (outbreak size, recall, precision), the mean
and 95 % t interval of both, whether the intervals overlap and whether each mean lies
inside the other's interval, and how many runs are exactly equal; it exits 1 if a pair
of intervals does not overlap.

Run from the repository root::

    .venv/bin/python benchmarks/replay_distribution.py --out out/replay_after.csv \\
        --before benchmarks/replay_metrics_before.csv

``--package`` names the package to import ``sweep`` from (default ``tracelab.replay``),
so that an older copy of the replay can write its own table for comparison. The
reference table ``benchmarks/replay_metrics_before.csv`` was written by the replay as
it was before the incremental visit log (issue 22), with the default arguments.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

FINAL_SIZE, RECALL, PRECISION = "final_size", "recall", "precision"
METRICS = (FINAL_SIZE, RECALL, PRECISION)
KEYS = ("policy", "seed")


def policies(pkg: object) -> list[object]:
    """The presets, plus ``twenty`` observing only (recall on the unmitigated outbreak)."""
    policy = pkg.policy  # type: ignore[attr-defined]
    return [policy("none"), policy("ten"), policy("twenty"), policy("ninth"),
            policy("twenty", name="twenty_observe", quarantine=False)]


def run(package: str, population: int, days: int, seeds: int, workers: int) -> pd.DataFrame:
    pkg = importlib.import_module(package)
    scen = pkg.Scenario(population=population, days=days)
    res = pkg.sweep(scen, policies(pkg), seeds, workers=workers, progress=False)
    return res.runs


def _interval(x: np.ndarray) -> tuple[float, float, float, int]:
    from tracelab.replay.metrics import t_quantile

    x = x[~np.isnan(x)]
    n = len(x)
    if n < 2:
        return (float(x.mean()) if n else float("nan")), float("nan"), float("nan"), n
    half = t_quantile(n - 1) * x.std(ddof=1) / np.sqrt(n)
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half), n


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per policy and metric: both means and intervals, overlap, exact equality."""
    rows = []
    for pol in after["policy"].drop_duplicates():
        b = before[before["policy"] == pol].set_index("seed").sort_index()
        a = after[after["policy"] == pol].set_index("seed").sort_index()
        shared = b.index.intersection(a.index)
        for m in METRICS:
            mb, lb, hb, nb = _interval(b[m].to_numpy(float))
            ma, la, ha, na = _interval(a[m].to_numpy(float))
            xb, xa = b.loc[shared, m].to_numpy(float), a.loc[shared, m].to_numpy(float)
            same = int(((xb == xa) | (np.isnan(xb) & np.isnan(xa))).sum())
            if np.isnan([lb, hb, la, ha]).any():  # too few values for an interval
                overlap = inside = bool(mb == ma or np.isnan(mb) and np.isnan(ma))
            else:
                overlap = not (hb < la or ha < lb)
                inside = lb <= ma <= hb and la <= mb <= ha
            rows.append({"policy": pol, "metric": m, "n": min(nb, na),
                         "before_mean": mb, "before_ci": f"{lb:.4g}-{hb:.4g}",
                         "after_mean": ma, "after_ci": f"{la:.4g}-{ha:.4g}",
                         "overlap": overlap, "means_inside": inside,
                         "equal_runs": f"{same}/{len(shared)}"})
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=5000)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--package", default="tracelab.replay")
    parser.add_argument("--out", default="out/replay_distribution.csv")
    parser.add_argument("--before", default=None,
                        help="runs table of the other implementation to compare with")
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}, load average: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    t = time.perf_counter()
    runs = run(args.package, args.population, args.days, args.seeds, args.workers)
    print(f"{len(runs)} runs of {args.population} people x {args.days} days "
          f"({args.package}): {time.perf_counter() - t:.1f} s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs[[*KEYS, *[c for c in runs.columns if c not in KEYS]]].to_csv(
        out, index=False, lineterminator="\n")
    if args.before is None:
        return 0
    table = compare(pd.read_csv(args.before), runs)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    ok = bool(table["overlap"].all())
    print("distributions agree (every pair of 95 % intervals overlaps)" if ok
          else "DISAGREE: some 95 % intervals do not overlap")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
