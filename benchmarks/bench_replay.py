"""Benchmark scenario replay: one 30-day replay of the 5,000-person sample, and a 3 x 3 sweep.

Run from the repository root::

    .venv/bin/python benchmarks/bench_replay.py
    .venv/bin/python benchmarks/bench_replay.py --sweep-population 5000 --workers 2

The single replay uses the sample county's parameters and seed (``data/sample``), run
for 30 days under ``twenty`` and, for reference, ``none`` (the simulation alone). The
sweep is ``twenty`` over compliance {1.0, 0.7, 0.4} x delay {6, 24, 48} h, 10 seeds each
(90 runs), on a county of ``--sweep-population`` people. Prints wall times and the
headline metrics; writes the sweep's tables and plots to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from tracelab.replay import columns as rc
from tracelab.replay import (
    grid,
    paired_difference,
    policy,
    replay,
    scenario_from_dir,
    summarise,
    sweep,
)
from tracelab.replay.plots import plot_curves, plot_metric


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/sample")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--sweep-population", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default="out/bench_replay")
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}, load average: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")

    scen, seed = scenario_from_dir(args.data, days=args.days)
    for name in ("none", "twenty"):
        t = time.perf_counter()
        res = replay(scen, name, seed=seed)
        dt = time.perf_counter() - t
        m = res.metrics
        print(f"single replay {name:>6}: {scen.population} people, {args.days} days: "
              f"{dt:6.1f} s  final size {m[rc.FINAL_SIZE]}, cases {m[rc.N_CASES]}, "
              f"traced {m[rc.TRACED]}, recall {m[rc.RECALL]:.3f}, "
              f"precision {m[rc.PRECISION]:.4f}")

    sweep_scen = scen.replace(population=args.sweep_population)
    pols = [policy("none"), *grid("twenty", compliance=[1.0, 0.7, 0.4],
                                  delay_hours=[6.0, 24.0, 48.0])]
    t = time.perf_counter()
    res = sweep(sweep_scen, pols[1:], args.seeds, workers=args.workers)
    dt = time.perf_counter() - t
    n = len(res.runs)
    print(f"3 x 3 sweep x {args.seeds} seeds ({n} runs, {sweep_scen.population} people, "
          f"{args.days} days): {dt:6.1f} s, {dt / n:.2f} s per run")
    base = sweep(sweep_scen, pols[:1], args.seeds, workers=args.workers, progress=False)
    runs = res.runs.assign(tracing=True)
    allruns = pd.concat([base.runs, runs], ignore_index=True)
    summary = summarise(runs, by=["compliance", "delay_hours"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    allruns.to_csv(out / "runs.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    show = summary[summary["metric"].isin([rc.FINAL_SIZE, rc.RECALL, rc.PRECISION,
                                           rc.DELAY_MEAN, rc.Q_PERSON_DAYS])]
    print(show.pivot_table(index=["compliance", "delay_hours"], columns="metric",
                           values="mean").round(3).to_string())
    none = summarise(base.runs, metrics=[rc.FINAL_SIZE]).iloc[0]
    print(f"none: final size {none['mean']:.1f} (95 % CI {none['ci_low']:.1f}-"
          f"{none['ci_high']:.1f})")
    for p in pols[1:]:
        d = paired_difference(allruns, rc.FINAL_SIZE, p.name, "none")
        print(f"  {p.name}: final size vs none {d['mean']:+.1f} "
              f"(95 % CI {d['ci_low']:+.1f} to {d['ci_high']:+.1f})")
    for metric in (rc.RECALL, rc.FINAL_SIZE, rc.DELAY_MEAN):
        plot_metric(summary, metric, x="compliance", out=out / metric)
    plot_curves(pd.concat([base.days, res.days]), out=out / "infections")
    print(f"tables and plots in {out}")


if __name__ == "__main__":
    main()
