"""Cases as the tracing team knows them at a moment, with integer person codes.

:func:`reported` lists what :func:`tracelab.synth.cases_table` lists, read straight from
the simulation's arrays and keyed by the person's row in the persons table, so the loop
never converts the column of person ids (a test checks the two agree); the loop builds
it only for the cases it is about to trace.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tracelab._time import NAT, from_ns
from tracelab.model import schema as s

__all__ = ["reported", "reported_codes", "known_isolation", "times_ns"]


def times_ns(t0_ns: int, seconds: np.ndarray) -> np.ndarray:
    """Seconds from the start (NaN: none) as int64 ns UTC, rounded to the microsecond.

    The synthetic tables round to the microsecond (``cases_table``), so the loop's times
    are the ones a user reads in them.

    Examples
    --------
    >>> times_ns(0, np.array([1.5, np.nan])).tolist() == [1_500_000_000, NAT]
    True
    """
    sec = np.asarray(seconds, dtype=float)
    ok = np.isfinite(sec)
    us = np.round(np.where(ok, sec, 0.0) * 1e6).astype(np.int64)
    return np.where(ok, t0_ns + us * 1000, NAT)


def reported_codes(sim: Any, end_s: float) -> np.ndarray:
    """Rows of the people confirmed before ``end_s`` (seconds from the start), ascending.

    Examples
    --------
    >>> from tracelab.synth import simulation
    >>> sim = simulation(300, days=1, seed=1)
    >>> reported_codes(sim, 0.0).dtype.kind
    'i'
    """
    return np.flatnonzero((sim.infected_at < end_s) & (sim.confirmed < end_s))


def known_isolation(sim: Any, who: np.ndarray, end_s: float, t0_ns: int) -> np.ndarray:
    """Isolation of people ``who`` as known at ``end_s``, int64 ns (``NAT``: not yet)."""
    iso = sim.isolated[who]
    return times_ns(t0_ns, np.where(iso < end_s, iso, np.nan))


def reported(sim: Any, end_s: float, t0_ns: int, who: np.ndarray | None = None, *,
             at_confirmation: bool = False) -> pd.DataFrame:
    """Cases confirmed before ``end_s`` (seconds from the start of the simulation).

    Parameters
    ----------
    sim : tracelab.synth.Simulation
    end_s : float
        The moment; onset and isolation after it are not known yet (NaT).
    t0_ns : int
        Start of the simulation, ns UTC.
    who : numpy.ndarray, optional
        Only these rows (of :func:`reported_codes`); default all.
    at_confirmation : bool
        As known at each case's confirmation instead: onset only if before it, no
        isolation yet.

    Returns
    -------
    pandas.DataFrame
        ``person_id`` (int64: row in the persons table), ``onset_at``, ``sampled_at``,
        ``confirmed_at``, ``isolated_at``, ``last_negative_at`` (UTC) and
        ``found_by_screening``, in the order of ``who`` (default ascending rows).

    Examples
    --------
    >>> from tracelab.synth import simulation
    >>> sim = simulation(300, days=3, seed=1)
    >>> for _ in range(3):
    ...     _ = sim.step()
    >>> cases = reported(sim, 3 * 86400.0, sim.base.start_utc.value)
    >>> bool((cases["confirmed_at"] < sim.now).all()), cases["person_id"].dtype.kind
    (True, 'i')
    """
    if who is None:
        who = reported_codes(sim, end_s)
    onset = np.where(sim.symptomatic[who] & (sim.onset[who] < end_s), sim.onset[who], np.nan)
    confirmed = times_ns(t0_ns, sim.confirmed[who])
    onset_ns = times_ns(t0_ns, onset)
    if at_confirmation:
        onset_ns = np.where(onset_ns > confirmed, NAT, onset_ns)
        isolated = np.full(len(who), NAT, dtype=np.int64)
    else:
        isolated = known_isolation(sim, who, end_s, t0_ns)

    def col(ns: np.ndarray) -> pd.Series:
        return pd.Series(from_ns(ns))

    return pd.DataFrame({
        s.PERSON_ID: np.asarray(who, dtype=np.int64),
        s.ONSET_AT: col(onset_ns),
        s.SAMPLED_AT: col(times_ns(t0_ns, sim.sampled[who])),
        s.CONFIRMED_AT: col(confirmed),
        s.ISOLATED_AT: col(isolated),
        s.FOUND_BY_SCREENING: sim.screening_found[who],
        s.LAST_NEGATIVE_AT: col(times_ns(t0_ns, sim.last_negative[who])),
    })
