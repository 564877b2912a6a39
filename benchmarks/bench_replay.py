"""Benchmark scenario replay: cost per agent-day, per simulated day, and beside Starsim.

Run from the repository root::

    .venv/bin/python benchmarks/bench_replay.py                     # 50,000 x 30, 270,000 x 14
    .venv/bin/python benchmarks/bench_replay.py --sizes 50000x30 --policies twenty
    .venv/bin/python benchmarks/bench_replay.py --starsim-python /tmp/starsim-venv/bin/python
    .venv/bin/python benchmarks/bench_replay.py --sweep             # issue 8's sweep

For each county size (people x days) and policy it runs one ``replay`` (seed 1) and
reports the wall time of the whole call in microseconds per agent-day, the time of each
simulated day (day 5 against the last day: the cost of a day must not grow with the days
behind it), and how much of the loop the simulation itself takes (``Simulation.step``
and ``Simulation.quarantine_rows``, in :mod:`tracelab.synth`), and the CPU time of the
call, which a shared machine disturbs less than the wall time. Beside it, where Starsim is
installed (the optional ``bench`` extra, or another interpreter given with
``--starsim-python``), an SIR model on the same number of agents and days with a random
10-contact network redrawn every day. ``--json`` writes every figure to a file.

``--sweep`` runs issue 8's benchmark instead: one 30-day replay of the 5,000-person sample
county, then ``twenty`` over compliance {1.0, 0.7, 0.4} x delay {6, 24, 48} h, 10 seeds
each, with tables and plots in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def starsim_run(n_agents: int, days: int, seed: int = 1) -> dict[str, Any]:
    """Time Starsim on ``n_agents`` x ``days``: SIR over a random network redrawn daily.

    Imports only starsim, so it also runs in an interpreter without tracelab.
    """
    import starsim as ss

    t = time.perf_counter()
    # Daily steps (Starsim counts years unless told), the network redrawn at every step.
    sim = ss.Sim(n_agents=n_agents, start="2022-11-18", dur=ss.days(days), dt=ss.days(1),
                 rand_seed=seed, networks=ss.RandomNet(n_contacts=10),
                 diseases=ss.SIR(beta=ss.perday(0.02), dur_inf=ss.days(8)), verbose=0)
    sim.init()
    t_init = time.perf_counter() - t
    t = time.perf_counter()
    sim.run()
    t_run = time.perf_counter() - t
    agent_days = n_agents * days
    return {"model": f"starsim {ss.__version__}", "people": n_agents, "days": days,
            "steps": int(sim.t.npts),
            "init_s": round(t_init, 2), "run_s": round(t_run, 2),
            "us_per_agent_day": round(t_run / agent_days * 1e6, 3),
            "us_per_agent_day_with_init": round((t_init + t_run) / agent_days * 1e6, 3)}


@contextmanager
def _timed_days() -> Iterator[dict[str, Any]]:
    """Record the wall time of each simulated day and of the simulation's own steps."""
    from tracelab.replay import loop as loop_mod

    base = loop_mod._Loop  # the loop ``replay`` drives; timed here, unchanged
    record: dict[str, Any] = {"days": [], "own": [], "step": 0.0, "quarantine": 0.0,
                              "ready": 0.0}

    def timed(fn: Any, key: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                record[key] += time.perf_counter() - t
        return call

    class Timed(base):  # type: ignore[misc, valid-type]
        def __init__(self, sim: Any, pol: Any) -> None:
            record["ready"] = time.perf_counter()  # the county is built
            super().__init__(sim, pol)
            sim.step = timed(sim.step, "step")
            # The loop quarantines by row; ``quarantine`` (by id) goes through it too.
            # (An older tracelab, given on PYTHONPATH to compare, has only the latter.)
            name = "quarantine_rows" if hasattr(sim, "quarantine_rows") else "quarantine"
            setattr(sim, name, timed(getattr(sim, name), "quarantine"))

        def day(self) -> None:
            t = time.perf_counter()
            sim_before = record["step"] + record["quarantine"]
            super().day()
            record["last"] = time.perf_counter()
            record["days"].append(record["last"] - t)
            record["own"].append(record["days"][-1]
                                 - (record["step"] + record["quarantine"] - sim_before))

    loop_mod._Loop = Timed
    try:
        yield record
    finally:
        loop_mod._Loop = base


def replay_run(people: int, days: int, policy: str, seed: int = 1) -> dict[str, Any]:
    from tracelab.replay import Scenario, replay

    with _timed_days() as rec:
        t = time.perf_counter()
        cpu0 = time.process_time()
        res = replay(Scenario(population=people, days=days), policy, seed=seed)
        done = time.perf_counter()
        cpu = time.process_time() - cpu0
    wall = done - t
    per_day = rec["days"]
    loop = rec["last"] - rec["ready"]
    agent_days = people * days
    m = res.metrics
    mid = min(4, len(per_day) - 1)
    return {
        "model": f"tracelab replay {policy}", "people": people, "days": days,
        "wall_s": round(wall, 2), "us_per_agent_day": round(wall / agent_days * 1e6, 2),
        # CPU time of this process: on a shared machine, less noisy than the wall time.
        "cpu_s": round(cpu, 2), "cpu_us_per_agent_day": round(cpu / agent_days * 1e6, 2),
        "county_s": round(rec["ready"] - t, 2), "loop_s": round(loop, 2),
        "tables_s": round(done - rec["last"], 2),
        "loop_us_per_agent_day": round(loop / agent_days * 1e6, 2),
        "simulation_step_s": round(rec["step"], 2),
        "simulation_quarantine_s": round(rec["quarantine"], 2),
        # The loop less the simulation's own calls: logging, tracing, deciding.
        "replay_own_us_per_agent_day": round(
            (loop - rec["step"] - rec["quarantine"]) / agent_days * 1e6, 2),
        "day5_s": round(per_day[mid], 3), "last_day_s": round(per_day[-1], 3),
        # Days differ by the outbreak (how many cases to trace): compare the cheapest
        # and the median of the first and the last third too.
        "first_third_median_s": round(_median(per_day[: len(per_day) // 3]), 3),
        "last_third_median_s": round(_median(per_day[-(len(per_day) // 3):]), 3),
        "per_day_s": [round(x, 3) for x in per_day],
        # Each day less the simulation's calls: the replay's own work on that day.
        "own_day5_s": round(rec["own"][mid], 3), "own_last_day_s": round(rec["own"][-1], 3),
        "own_per_day_s": [round(x, 3) for x in rec["own"]],
        "final_size": int(m["final_size"]), "cases": int(m["cases"]),
        "traced": int(m["traced"]),
    }


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else float("nan")


def starsim_result(people: int, days: int, python: str | None) -> dict[str, Any] | str:
    """Starsim's figures, from this interpreter or ``python``; a reason when absent."""
    if python:
        out = subprocess.run([python, __file__, "--starsim-only", f"{people}x{days}"],
                             capture_output=True, text=True, check=False)
        if out.returncode:
            return f"starsim failed in {python}: {out.stderr.strip().splitlines()[-1:]}"
        return json.loads(out.stdout.strip().splitlines()[-1])
    try:
        import starsim  # noqa: F401
    except ModuleNotFoundError:
        return "starsim not installed (pip install starsim, or --starsim-python)"
    return starsim_run(people, days)


def _size(text: str) -> tuple[int, int]:
    people, days = text.lower().split("x")
    return int(people), int(days)


def scaling(args: argparse.Namespace) -> int:
    print(f"cores available: {len(os.sched_getaffinity(0))}, load average: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results: list[dict[str, Any] | str] = []
    for size in args.sizes:
        people, days = _size(size)
        for policy in args.policies:
            r = replay_run(people, days, policy)
            results.append(r)
            print(f"{r['model']:>24} {people:>7,} x {days:>2} days: {r['wall_s']:7.1f} s = "
                  f"{r['us_per_agent_day']:6.2f} us/agent-day (CPU {r['cpu_s']:.1f} s = "
                  f"{r['cpu_us_per_agent_day']:.2f} us/agent-day; county {r['county_s']:.1f} s, "
                  f"loop {r['loop_s']:.1f} s = {r['loop_us_per_agent_day']:.2f} us/agent-day, "
                  f"tables {r['tables_s']:.1f} s; in the loop: simulation step "
                  f"{r['simulation_step_s']:.1f} s, its quarantine calls "
                  f"{r['simulation_quarantine_s']:.1f} s, the replay's own "
                  f"{r['replay_own_us_per_agent_day']:.2f} us/agent-day); day 5 "
                  f"{r['day5_s']:.3f} s, last day {r['last_day_s']:.3f} s, median first "
                  f"third {r['first_third_median_s']:.3f} s, last third "
                  f"{r['last_third_median_s']:.3f} s; the replay's own: day 5 "
                  f"{r['own_day5_s']:.3f} s, last day {r['own_last_day_s']:.3f} s; "
                  f"final size {r['final_size']}, "
                  f"traced {r['traced']}", flush=True)
        if not args.no_starsim:
            s = starsim_result(people, days, args.starsim_python)
            results.append(s)
            if isinstance(s, str):
                print(f"{'starsim':>24}: {s}")
            else:
                print(f"{s['model']:>24} {people:>7,} x {days:>2} days: {s['run_s']:7.1f} s = "
                      f"{s['us_per_agent_day']:6.3f} us/agent-day "
                      f"({s['us_per_agent_day_with_init']:.3f} with set-up)", flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def sweep_bench(args: argparse.Namespace) -> int:
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
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["50000x30", "270000x14"],
                        help="county sizes as PEOPLExDAYS")
    parser.add_argument("--policies", nargs="+", default=["none", "twenty"])
    parser.add_argument("--starsim-python", default=None,
                        help="interpreter with starsim installed (e.g. a separate venv)")
    parser.add_argument("--no-starsim", action="store_true")
    parser.add_argument("--starsim-only", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help="write the figures to this file")
    parser.add_argument("--sweep", action="store_true", help="issue 8's sweep benchmark")
    parser.add_argument("--data", default="data/sample")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--sweep-population", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default="out/bench_replay")
    args = parser.parse_args()
    if args.starsim_only:
        print(json.dumps(starsim_run(*_size(args.starsim_only))))
        return 0
    return sweep_bench(args) if args.sweep else scaling(args)


if __name__ == "__main__":
    sys.exit(main())
