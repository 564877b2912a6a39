"""``tracelab replay``: replay a synthetic outbreak under tracing policies and score them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tracelab._atomic import atomic_path, write_text
from tracelab.cli.options import add_lang_option, add_region_option, region_arg, say
from tracelab.synth.county import DEFAULT_REGION

__all__ = ["register", "run"]

_LINES = {
    "done": ("已回放 {policies} 个策略 × {seeds} 个种子，共 {runs} 次运行 -> {out}；"
             "平均最终规模：{sizes}", ""),  # English: the JSON line of before
    "seeds": ("--seeds 至少为 1，收到 {v}", "--seeds must be at least 1, got {v}"),
    "population": ("--population 至少为 50，收到 {v}", "--population must be at least 50, got {v}"),
    "days": ("--days 至少为 1，收到 {v}", "--days must be at least 1, got {v}"),
    "grid": ("--grid {item!r} 的格式应为 FIELD=V1,V2（例如 compliance=1,0.7）",
             "--grid {item!r} must look like FIELD=V1,V2 (e.g. compliance=1,0.7)"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``replay`` sub-command."""
    p = subparsers.add_parser(
        "replay", help="replay a synthetic outbreak under tracing policies and score them",
        description="Replay a synthetic county day by day: trace the reported cases under "
                    "each policy, quarantine their contacts, and score recall, precision, "
                    "delay, outbreak size and quarantine burden over seeds, with 95 %% "
                    "confidence intervals. Writes runs.csv, summary.csv, days.csv and plots.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="DIR",
                     help="a county written by `tracelab synth` (its manifest's parameters)")
    src.add_argument("--population", type=int, metavar="N", help="residents of a new county")
    add_region_option(p, default_help=f"the county's (manifest.json), else {DEFAULT_REGION}, "
                      "the synthetic county's default")
    p.add_argument("--days", type=int, default=None,
                   help="days to replay (default: the county's days, or 30)")
    p.add_argument("--policy", action="append", metavar="NAME|FILE",
                   help="policy preset (none, ninth, twenty, ten, twenty_closures) or a "
                        ".json/.toml policy file; repeat for several (default: none twenty)")
    p.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2",
                   help="sweep a policy field over values for every policy but none, e.g. "
                        "compliance=1,0.7,0.4 or delay_hours=6,24; repeatable")
    p.add_argument("--seed", type=int, default=None,
                   help="first seed (default: the county's seed, or 0)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per policy (default 1)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG/SVG plots")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_lang_option(p, help="language of the summary (default zh; en prints the summary as "
                    "one JSON line)")
    p.set_defaults(func=run)


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    try:
        number = float(text)
    except ValueError:
        return text.strip()
    return int(number) if number.is_integer() and "." not in text else number


def _axes(items: list[str], lang: str = "en") -> dict[str, list[Any]]:
    axes: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise ValueError(say(_LINES, "grid", lang, item=item))
        axes[key.strip()] = [_value(v) for v in values.split(",")]
    return axes


def run(args: argparse.Namespace) -> int:
    """Replay, write the tables and plots, print a one-line summary; return the status."""
    from tracelab.replay import Scenario, as_policy, grid, scenario_from_dir, summarise, sweep
    from tracelab.replay import columns as rc

    lang = args.lang
    if args.seeds < 1:
        raise ValueError(say(_LINES, "seeds", lang, v=args.seeds))
    if args.data is not None:
        scen, seed0 = scenario_from_dir(args.data, days=args.days)
        if args.region is not None:
            scen = scen.replace(region=region_arg(args.region).code)
    else:
        if args.population < 50:
            raise ValueError(say(_LINES, "population", lang, v=args.population))
        scen, seed0 = Scenario(population=args.population, days=args.days or 30), 0
        if args.region is not None:
            scen = scen.replace(region=region_arg(args.region).code)
    if args.days is not None and args.days < 1:
        raise ValueError(say(_LINES, "days", lang, v=args.days))
    first = seed0 if args.seed is None else args.seed
    seeds = list(range(first, first + args.seeds))
    names = args.policy or ["none", "twenty"]
    policies = [as_policy(n) for n in names]
    axes = _axes(args.grid, lang)
    if axes:
        policies = [q for p in policies
                    for q in ([p] if not p.tracing else grid(p, **axes))]
    result = sweep(scen, policies, seeds, workers=args.workers,
                   progress=False if args.no_progress else None)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keys = [rc.POLICY, *[c for c in result.runs.columns
                         if c not in rc.RUN_KEYS and c not in rc.METRICS]]
    summary = summarise(result.runs, by=keys)
    for name, frame in (("runs", result.runs), ("summary", summary), ("days", result.days)):
        with atomic_path(out / f"{name}.csv") as tmp:
            frame.to_csv(tmp, index=False, lineterminator="\n")
    write_text(out / "replay.json", json.dumps({
        "scenario": scen.as_dict(), "seeds": seeds,
        "policies": [p.as_dict() for p in policies]}, indent=1, sort_keys=True) + "\n")
    if not args.no_plots:
        _plots(summary, result.days, out, keys)
    sizes = {k: float(v) for k, v in result.runs.groupby(
        rc.POLICY, sort=False)[rc.FINAL_SIZE].mean().items()}
    print(json.dumps({"out": str(out), "runs": len(result.runs), "policies": len(policies),
                      "seeds": len(seeds), "final_size": sizes}, ensure_ascii=False)
          if lang == "en" else
          say(_LINES, "done", lang, policies=len(policies), seeds=len(seeds),
              runs=len(result.runs), out=out,
              sizes="，".join(f"{k} {v:g}" for k, v in sizes.items())), file=sys.stdout)
    return 0


def _plots(summary: Any, days: Any, out: Path, keys: list[str]) -> None:
    import matplotlib.pyplot as plt

    from tracelab.replay import columns as rc
    from tracelab.replay.plots import plot_curves, plot_metric

    swept = [k for k in keys if k != rc.POLICY]
    x = swept[0] if len(swept) == 1 and summary[swept[0]].map(
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all() else rc.POLICY
    data = summary.drop(columns=[k for k in swept if k != x])
    for metric in (rc.FINAL_SIZE, rc.RECALL, rc.PRECISION, rc.DELAY_MEAN, rc.Q_PERSON_DAYS):
        if data.loc[data["metric"] == metric, "mean"].notna().any():
            plt.close(plot_metric(data, metric, x=x, out=out / metric))
    plt.close(plot_curves(days, rc.INFECTIONS, out=out / "infections"))
