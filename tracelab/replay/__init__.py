"""Scenario replay: a synthetic outbreak traced day by day under a policy, and scored.

``replay(scenario, policy, seed=...)`` runs the closed loop; ``sweep`` runs a grid of
policies over many seeds in parallel; ``summarise`` gives means with 95 % confidence
intervals; ``tracelab.replay.plots`` draws them (matplotlib).
"""

from __future__ import annotations

from tracelab.replay.loop import ReplayResult, replay
from tracelab.replay.metrics import MEAN, METRIC, paired_difference, run_metrics, summarise
from tracelab.replay.plots import plot_curves, plot_metric
from tracelab.replay.policies import (
                                    POLICY_PRESETS,
                                    REGIME_QUARANTINE,
                                    Policy,
                                    as_policy,
                                    load_policy,
                                    policy,
)
from tracelab.replay.scenario import Scenario, as_scenario, scenario_from_dir
from tracelab.replay.sweeps import grid, sweep

__all__ = [
    "MEAN",
    "METRIC",
    "POLICY_PRESETS",
    "REGIME_QUARANTINE",
    "Policy",
    "ReplayResult",
    "Scenario",
    "as_policy",
    "as_scenario",
    "grid",
    "load_policy",
    "paired_difference",
    "plot_curves",
    "plot_metric",
    "policy",
    "replay",
    "run_metrics",
    "scenario_from_dir",
    "summarise",
    "sweep",
]
