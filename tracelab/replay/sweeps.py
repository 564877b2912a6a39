"""Policies over a parameter grid and many seeds, run in parallel, with a progress bar.

Every (policy, seed) run is independent and seeded, and the results are put back in
task order, so a sweep gives the same tables whatever the number of workers or the
order they finish in.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from tracelab._i18n import msg
from tracelab.replay import columns as rc
from tracelab.replay.loop import replay
from tracelab.replay.policies import Policy, as_policy, policy
from tracelab.replay.scenario import Scenario, as_scenario, scenario_from_dict

__all__ = ["grid", "sweep", "SweepResult"]


def grid(base: str | Policy = "twenty", **axes: Sequence[Any]) -> list[Policy]:
    """Every combination of ``axes`` applied to ``base``, named after the values.

    Parameters
    ----------
    base : str or Policy
        Preset name or policy the grid starts from.
    **axes
        Policy fields (or ``regime``, or ``rule.<parameter>`` through
        ``rule_overrides`` given as ``rule__<parameter>``) mapped to the values to try.

    Returns
    -------
    list of Policy
        In row-major order of ``axes`` (the last axis varies fastest).

    Examples
    --------
    >>> for p in grid("twenty", compliance=[1.0, 0.7], delay_hours=[12, 24]):
    ...     print(p.name)
    twenty[compliance=1.0,delay_hours=12]
    twenty[compliance=1.0,delay_hours=24]
    twenty[compliance=0.7,delay_hours=12]
    twenty[compliance=0.7,delay_hours=24]
    >>> grid("twenty", rule__lingering_minutes=[0, 30])[1].rule
    'twenty(lingering_minutes=30)'
    """
    start = as_policy(base)
    if not axes:
        return [start]
    keys = list(axes)
    for k, values in axes.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(msg("grid axis {key}={values!r} must be a list of values", key=k,
                                 values=values))
    out = []
    for combo in itertools.product(*(list(axes[k]) for k in keys)):
        changes = dict(zip(keys, combo, strict=True))
        overrides = {k[len("rule__"):]: v for k, v in changes.items() if k.startswith("rule__")}
        plain = {k: v for k, v in changes.items() if not k.startswith("rule__")}
        label = ",".join(f"{k}={v}" for k, v in changes.items())
        name = f"{start.name}[{label}]"
        preset = start.name if start.name in _preset_names() else None
        if preset is not None and start == _preset(preset):
            p = policy(preset, rule_overrides=overrides or None, **plain, name=name)
        else:
            r = start.exposure_rule.replace(**overrides) if overrides else start.exposure_rule
            p = dataclasses.replace(start, rule=r.rule_id, name=name, **plain)
        out.append(p)
    return out


def _preset_names() -> tuple[str, ...]:
    from tracelab.replay.policies import POLICY_PRESETS

    return tuple(POLICY_PRESETS)


def _preset(name: str) -> Policy:
    from tracelab.replay.policies import POLICY_PRESETS

    return POLICY_PRESETS[name]


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """Tables of a sweep: one row per run, and one row per run and day."""

    runs: pd.DataFrame
    days: pd.DataFrame


def _run(task: tuple[int, dict[str, Any], Policy, int]
         ) -> tuple[int, dict[str, Any], pd.DataFrame]:
    index, scen, pol, seed = task
    res = replay(scenario_from_dict(scen), pol, seed=seed)
    return index, res.metrics, res.days


def _varying(policies: Sequence[Policy]) -> list[str]:
    fields = [f.name for f in dataclasses.fields(Policy) if f.name != "name"]
    return [f for f in fields if len({repr(getattr(p, f)) for p in policies}) > 1]


def sweep(scenario: Scenario | int | str, policies: Sequence[Policy | str] | Policy | str,
          seeds: int | Sequence[int] = 10, *, workers: int | None = None,
          progress: bool | None = None) -> SweepResult:
    """Replay each policy with each seed, in parallel.

    Parameters
    ----------
    scenario : Scenario, int or path
        As for :func:`tracelab.replay.replay`.
    policies : sequence of Policy or str
        E.g. ``[policy("none"), *grid("twenty", compliance=[1, 0.7])]``; names must be
        unique.
    seeds : int or sequence of int
        ``n`` means seeds ``0 .. n-1``. Every policy runs with every seed.
    workers : int, optional
        Processes; default the available cores (at most the number of runs). 1 runs in
        this process.
    progress : bool or None
        Progress bar (tqdm) over runs; None shows it on a terminal only.

    Returns
    -------
    SweepResult
        ``runs``: one row per (policy, seed) in (policy, seed) order: ``policy``,
        ``seed``, the policy fields that vary across ``policies``, then the metrics.
        ``days``: ``policy``, ``seed`` and the per-day series.

    Raises
    ------
    ValueError
        If two policies share a name, or there are no seeds.

    Examples
    --------
    >>> res = sweep(Scenario(population=200, days=3), ["none", "twenty"], seeds=2,
    ...             workers=1, progress=False)
    >>> res.runs[["policy", "seed"]].values.tolist()
    [['none', 0], ['none', 1], ['twenty', 0], ['twenty', 1]]
    """
    scen = as_scenario(scenario)
    pols = [as_policy(p) for p in ([policies] if isinstance(policies, (str, Policy))
                                   else policies)]
    names = [p.name for p in pols]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(msg("policies: names {dup} appear twice; give each policy its own "
                             "name (policy(..., name='...'))", dup=dup))
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(x) for x in seeds]
    if not seed_list or not pols:
        raise ValueError(msg("sweep needs at least one policy and one seed; got {n} policies "
                             "and seeds={seeds!r}", n=len(pols), seeds=seeds))
    pairs = itertools.product(pols, seed_list)
    tasks = [(i, scen.as_dict(), p, sd) for i, (p, sd) in enumerate(pairs)]
    n_workers = min(workers or len(os.sched_getaffinity(0)), len(tasks))
    show = sys.stderr.isatty() if progress is None else progress
    results: dict[int, tuple[dict[str, Any], pd.DataFrame]] = {}
    with tqdm(total=len(tasks), desc="replay", unit="run", disable=not show) as bar:
        if n_workers <= 1:
            for task in tasks:
                i, metrics, days = _run(task)
                results[i] = (metrics, days)
                bar.update()
        else:
            # fork starts a worker in milliseconds (spawn re-imports pandas and pyarrow,
            # seconds per worker); every task is seeded, so nothing inherited matters.
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
                futures = [pool.submit(_run, t) for t in tasks]
                for fut in as_completed(futures):
                    i, metrics, days = fut.result()
                    results[i] = (metrics, days)
                    bar.update()
    varying = _varying(pols)
    by_name = {p.name: p for p in pols}
    rows, day_frames = [], []
    for i in range(len(tasks)):
        metrics, days = results[i]
        pol = by_name[metrics[rc.POLICY]]
        params = {f: _cell(getattr(pol, f)) for f in varying}
        rows.append({rc.POLICY: metrics[rc.POLICY], rc.SEED: metrics[rc.SEED], **params,
                     **{k: v for k, v in metrics.items() if k not in rc.RUN_KEYS}})
        day_frames.append(days.assign(**{rc.POLICY: metrics[rc.POLICY],
                                         rc.SEED: metrics[rc.SEED]}))
    runs = pd.DataFrame(rows)
    days_all = pd.concat(day_frames, ignore_index=True)
    days_all = days_all[[rc.POLICY, rc.SEED, *[c for c in days_all if c not in rc.RUN_KEYS]]]
    return SweepResult(runs=runs, days=days_all)


def _cell(value: Any) -> Any:
    if isinstance(value, tuple):
        return "|".join(map(str, value))
    return value
