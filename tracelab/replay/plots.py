"""Plots of replay results: metric means with 95 % intervals, and epidemic curves.

matplotlib is imported inside the functions (Agg backend), so the rest of the replay
works without it; each function returns the ``Figure`` and, given ``out``, writes
``<out>.png`` and ``<out>.svg`` (SVG without a date, so reruns give the same file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab._atomic import atomic_path
from tracelab._i18n import msg
from tracelab.replay import columns as rc
from tracelab.replay.metrics import CI_HIGH, CI_LOW, MEAN, METRIC, t_quantile

__all__ = ["plot_metric", "plot_curves", "save_figure"]


def _plt() -> Any:
    try:
        import matplotlib
    except ModuleNotFoundError:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError(msg("plots need matplotlib: pip install matplotlib")) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: str | Path) -> list[Path]:
    """Write ``fig`` as ``out.png`` (150 dpi) and ``out.svg``; return the two paths."""
    plt = _plt()
    stem = Path(out)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=150, metadata={"Software": None}, format="png")
    with plt.rc_context({"svg.hashsalt": "tracelab"}), atomic_path(svg) as tmp:
        fig.savefig(tmp, metadata={"Date": None, "Creator": None}, format="svg")
    return [png, svg]


def plot_metric(summary: pd.DataFrame, metric: str, *, x: str = rc.POLICY,
                out: str | Path | None = None, title: str | None = None) -> Any:
    """Mean and 95 % interval of ``metric`` per policy, or against a swept parameter.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`tracelab.replay.summarise` output.
    metric : str
        One of its ``metric`` values.
    x : str
        Column on the x axis: ``policy`` (bars) or a numeric swept parameter (line;
        other grouping columns become separate lines).
    out : str or Path, optional
        File stem to write PNG and SVG to.

    Examples
    --------
    >>> summ = pd.DataFrame({"policy": ["none", "twenty"], "metric": ["final_size"] * 2,
    ...                      "mean": [80.0, 20.0], "ci_low": [60.0, 10.0],
    ...                      "ci_high": [100.0, 30.0]})
    >>> fig = plot_metric(summ, "final_size")
    >>> fig.axes[0].get_ylabel()
    'final_size'
    """
    plt = _plt()
    rows = summary[summary[METRIC] == metric]
    if not len(rows):
        raise ValueError(msg("metric={metric!r} not in summary; have {have}", metric=metric,
                             have=sorted(set(summary[METRIC]))))
    fig, ax = plt.subplots(figsize=(7, 4))
    if x == rc.POLICY:
        pos = np.arange(len(rows))
        mean = rows[MEAN].to_numpy(float)
        err = np.vstack([mean - rows[CI_LOW].to_numpy(float),
                         rows[CI_HIGH].to_numpy(float) - mean])
        ax.bar(pos, mean, yerr=np.nan_to_num(err), capsize=4, color="#4c72b0")
        ax.set_xticks(pos, rows[rc.POLICY].astype(str).tolist(), rotation=30, ha="right")
    else:
        others = [c for c in rows.columns
                  if c not in (x, METRIC, MEAN, CI_LOW, CI_HIGH, "sd", "n", rc.POLICY)]
        groups = rows.groupby(others, sort=False, dropna=False) if others else [("", rows)]
        for key, grp in groups:
            grp = grp.sort_values(x)
            xs = grp[x].to_numpy(float)
            parts = key if isinstance(key, tuple) else (key,)
            label = ", ".join(map(str, parts)) if others else None
            ax.plot(xs, grp[MEAN], marker="o", label=label)
            ax.fill_between(xs, grp[CI_LOW], grp[CI_HIGH], alpha=0.2)
        ax.set_xlabel(x)
        if others:
            ax.legend(title=", ".join(others), fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric}: mean and 95 % CI")
    fig.tight_layout()
    if out is not None:
        save_figure(fig, out)
    return fig


def plot_curves(days: pd.DataFrame, column: str = rc.INFECTIONS, *,
                out: str | Path | None = None) -> Any:
    """Mean ``column`` per day and policy over seeds, with a 95 % band.

    Parameters
    ----------
    days : pandas.DataFrame
        ``SweepResult.days`` (``policy``, ``seed``, ``day`` and the day columns).

    Examples
    --------
    >>> d = pd.DataFrame({"policy": ["a"] * 4, "seed": [0, 0, 1, 1], "day": [0, 1, 0, 1],
    ...                   "infections": [3, 5, 3, 7]})
    >>> len(plot_curves(d).axes[0].lines)
    1
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, grp in days.groupby(rc.POLICY, sort=False):
        stats = grp.groupby(rc.DAY)[column].agg(["mean", "std", "count"])
        half = np.array([t_quantile(int(n) - 1) if n > 1 else np.nan for n in stats["count"]])
        half = half * stats["std"].to_numpy(float) / np.sqrt(stats["count"].to_numpy(float))
        ax.plot(stats.index, stats["mean"], label=str(name))
        ax.fill_between(stats.index, stats["mean"] - half, stats["mean"] + half, alpha=0.2)
    ax.set_xlabel("day")
    ax.set_ylabel(column)
    ax.set_title(f"{column} by day: mean over seeds, 95 % CI")
    ax.legend(fontsize=8)
    fig.tight_layout()
    if out is not None:
        save_figure(fig, out)
    return fig
