"""Scores of a replay against the ground truth, and means with 95 % confidence intervals.

Definitions (DESIGN §1 researcher job; PRIOR-ART §5 item 16):

- **recall**: of the venue infections whose infector is a reported case by the end of
  the run, the share whose infectee was traced as a hop-1 contact *of that infector*.
  ``recall_any_case`` counts the infectee traced from any case.
- **precision**: of the people traced (hop 1 and 2), the share truly infected, by the end
  of the run, by a reported case (any setting); ``precision_tracing_case`` only counts
  infection by the very case they were traced from.
- **delay**: hours from the tracing case's confirmation to the contact's quarantine,
  over quarantined contacts.
- **final_size**: everyone infected by the end, seeds included.
- **quarantine_person_days**: union of each person's quarantine periods (central and
  home), in days, as ordered (periods may run past the end of the replay).
- **venue_days_closed**: venues times days closed within the replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.model import schema as s
from tracelab.replay import columns as rc
from tracelab.synth import columns as sc

__all__ = ["run_metrics", "day_series", "summarise", "paired_difference", "t_quantile",
           "MEAN", "CI_LOW", "CI_HIGH", "N_RUNS", "SD", "METRIC"]

MEAN, SD, N_RUNS, CI_LOW, CI_HIGH, METRIC = "mean", "sd", "n", "ci_low", "ci_high", "metric"
_DAY = 86400

# Two-sided 95 % Student t quantiles (t_{0.975, df}); beyond 30 df the values converge to
# 1.96 and are interpolated in 1/df, which is exact to 3 decimals.
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
         16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074,
         23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045,
         30: 2.042}


def t_quantile(df: int) -> float:
    """Two-sided 95 % Student t quantile for ``df`` degrees of freedom.

    Examples
    --------
    >>> t_quantile(9), round(t_quantile(10_000), 3)
    (2.262, 1.96)
    """
    if df < 1:
        raise ValueError(msg("df={df!r} must be >= 1", df=df))
    if df in _T975:
        return _T975[df]
    return 1.95996 + (2.042 - 1.95996) * 30 / df


def _union_days(intervals: Iterable[tuple[str, float, float]]) -> dict[str, float]:
    """Per person, the length of the union of ``[start, end)`` (seconds), in days.

    Examples
    --------
    >>> _union_days([("B", 0.0, 43200.0), ("A", 0.0, 86400.0), ("B", 86400.0, 129600.0),
    ...              ("A", 43200.0, 172800.0)])
    {'A': 2.0, 'B': 1.0}
    """
    rows = list(intervals)
    if not rows:
        return {}
    people, a_list, b_list = zip(*rows, strict=True)
    codes, uniq = pd.factorize(np.asarray(people, dtype=object), sort=True)
    a_arr, b_arr = np.asarray(a_list, dtype=float), np.asarray(b_list, dtype=float)
    order = np.lexsort((a_arr, codes))
    code, a, b = codes[order], a_arr[order], b_arr[order]
    # In (person, start) order, a stay opens a new stretch when it starts after every
    # earlier stay of the person ended; a stretch runs to the latest end within it.
    first = np.r_[True, code[1:] != code[:-1]]
    reach = pd.Series(b).groupby(code).cummax().to_numpy()
    opens = first | np.r_[False, a[1:] > reach[:-1]]
    starts = np.flatnonzero(opens)
    ends = np.r_[starts[1:], len(a)] - 1
    length = reach[ends] - a[starts]
    owner = code[starts]
    per_person = np.bincount(owner)  # stretches per person, in person order
    first_of = np.r_[0, np.cumsum(per_person)[:-1]]
    days = length[first_of] / _DAY
    # Sums in stretch order, one stretch after another, as a running total would add them.
    lengths = length.tolist()
    for person in np.flatnonzero(per_person > 1).tolist():
        at = int(first_of[person])
        total = 0.0
        for x in lengths[at:at + int(per_person[person]) - 1]:
            total += x
        days[person] = (total + lengths[at + int(per_person[person]) - 1]) / _DAY
    return {str(uniq[k]): v for k, v in enumerate(days.tolist())}


def run_metrics(*, truth: pd.DataFrame, cases: pd.DataFrame, contacts: pd.DataFrame,
                pairs: set[tuple[str, str]], quarantines: Sequence[tuple[str, float, float,
                                                                          float]],
                closures: Sequence[tuple[int, float, float]], days: int,
                tracing: bool = True) -> dict[str, Any]:
    """The scores of one run (module docstring has the definitions).

    Parameters
    ----------
    truth, cases : pandas.DataFrame
        :func:`tracelab.synth.truth_table` and :func:`tracelab.synth.cases_table` at the end.
    contacts : pandas.DataFrame
        ``columns.CONTACT_COLUMNS``.
    pairs : set of (case id, contact id)
        Every hop-1 exposure pair traced.
    quarantines : sequence of (person, start, end, away_end)
        Quarantine periods ordered, seconds from the start.
    closures : sequence of (venues, start, end)
        Venue closures, days from the start (``inf``: open-ended).
    days : int
        Length of the replay.
    tracing : bool
        False: recall and precision are undefined (NaN).

    Returns
    -------
    dict
        ``columns.METRICS`` to numbers.

    Examples
    --------
    Case C infected A and B at venues; A was traced from C, so recall is 1/2; two people
    were traced and one was infected by a case, so precision is 1/2.

    >>> truth = pd.DataFrame({"person_id": ["C", "A", "B"], "infector_id": [None, "C", "C"],
    ...                       "setting": ["seed", "venue", "venue"]})
    >>> cases = pd.DataFrame({"person_id": ["C"]})
    >>> contacts = pd.DataFrame({"contact_id": ["A", "D"], "case_id": ["C", "C"],
    ...     "case_confirmed_at": pd.to_datetime([0, 0], utc=True),
    ...     "quarantine_start": pd.to_datetime([3600e9, None], utc=True),
    ...     "infected_by_case": [True, False], "infected_by_tracing_case": [True, False]})
    >>> m = run_metrics(truth=truth, cases=cases, contacts=contacts,
    ...                 pairs={("C", "A"), ("C", "D")}, quarantines=[("A", 0.0, 86400.0, 0.0)],
    ...                 closures=[(2, 3.0, float("inf"))], days=5)
    >>> m["recall"], m["precision"], m["delay_hours_mean"], m["venue_days_closed"]
    (0.5, 0.5, 1.0, 4.0)
    """
    detected = set(cases[s.PERSON_ID])
    venue_inf = truth[truth[sc.SETTING] == sc.VENUE]
    by_case = venue_inf[venue_inf[sc.INFECTOR_ID].isin(detected)]
    traced_ids = set(contacts[rc.CONTACT]) if len(contacts) else set()
    hits = sum((i, p) in pairs for i, p in zip(by_case[sc.INFECTOR_ID], by_case[s.PERSON_ID],
                                                strict=True))
    found = {contact for _, contact in pairs} | traced_ids
    any_hits = sum(p in found for p in by_case[s.PERSON_ID].tolist())
    nan = float("nan")
    denom = len(by_case)
    q = contacts[contacts[rc.Q_START].notna()] if len(contacts) else contacts
    delay = ((q[rc.Q_START] - q[rc.CASE_CONFIRMED]).dt.total_seconds() / 3600
             if len(q) else pd.Series(dtype=float))
    person_days = _union_days((p, a, b) for p, a, b, _ in quarantines)
    infected = set(truth[s.PERSON_ID])
    venue_days = sum(n * max(0.0, min(b, float(days)) - a) for n, a, b in closures)
    return {
        rc.FINAL_SIZE: int(len(truth)),
        rc.N_CASES: int(len(cases)),
        rc.VENUE_INFECTIONS: int(len(venue_inf)),
        rc.VENUE_INFECTIONS_DETECTED: int(denom),
        rc.RECALL: hits / denom if tracing and denom else nan,
        rc.RECALL_ANY: any_hits / denom if tracing and denom else nan,
        rc.TRACED: int(len(traced_ids)),
        rc.QUARANTINED: int(len(q)),
        rc.PRECISION: (float(contacts[rc.INFECTED_BY_CASE].mean())
                       if tracing and len(contacts) else nan),
        rc.PRECISION_PAIR: (float(contacts[rc.INFECTED_BY_TRACER].mean())
                            if tracing and len(contacts) else nan),
        rc.DELAY_MEAN: float(delay.mean()) if len(delay) else nan,
        rc.DELAY_MEDIAN: float(delay.median()) if len(delay) else nan,
        rc.Q_PERSON_DAYS: float(sum(person_days.values())),
        rc.Q_PERSON_DAYS_HEALTHY: float(sum(v for k, v in person_days.items()
                                            if k not in infected)),
        rc.VENUE_DAYS_CLOSED: float(venue_days),
    }


def day_series(sim: Any, quarantines: Sequence[tuple[str, float, float, float]],
               closures: Sequence[tuple[int, float, float]], contacts: pd.DataFrame,
               days: int) -> pd.DataFrame:
    """Per-day counts of a finished run (``columns.DAY_COLUMNS``).

    ``sim`` is the :class:`tracelab.synth.Simulation` after the last day.
    """
    edges = np.arange(days + 1) * float(_DAY)
    inf = sim.infected_at[~np.isnan(sim.infected_at)]
    conf = sim.confirmed[sim.confirmed < days * _DAY]
    cum_inf = np.searchsorted(np.sort(inf), edges[1:], side="left")
    new_inf = np.diff(np.r_[int((inf < 0).sum()), cum_inf])
    cum_cases = np.searchsorted(np.sort(conf), edges[1:], side="left")
    new_cases = np.diff(np.r_[0, cum_cases])
    t0 = sim.base.start_utc
    if len(contacts):
        # Listed at a confirmation during day d, or at the midnight that ends day d.
        sec = (contacts[rc.TRACED_AT] - t0).dt.total_seconds().to_numpy(float)
        traced_day = np.clip(np.ceil(sec / _DAY) - 1, 0, days - 1).astype(np.int64)
        new_traced = np.bincount(traced_day, minlength=days)[:days]
    else:
        new_traced = np.zeros(days, np.int64)
    noon = edges[:-1] + _DAY / 2
    in_q = np.zeros(days, np.int64)
    if quarantines:
        people, q_from, q_until, _ = zip(*quarantines, strict=True)
        codes = pd.factorize(np.asarray(people, dtype=object))[0]
        lo, hi = np.asarray(q_from, dtype=float), np.asarray(q_until, dtype=float)
        for d, t in enumerate(noon):
            in_q[d] = len(np.unique(codes[(lo <= t) & (hi > t)]))
    closed = np.zeros(days, np.int64)
    for n, a, b in closures:
        closed += np.where((np.arange(days) >= a) & (np.arange(days) < b), n, 0)
    dates = (sim.base.start + pd.to_timedelta(np.arange(days), unit="D")).strftime("%Y-%m-%d")
    return pd.DataFrame({
        rc.DAY: np.arange(days, dtype=np.int64), rc.DATE: pd.array(list(dates), dtype="str"),
        rc.NEW_INFECTIONS: new_inf.astype(np.int64), rc.INFECTIONS: cum_inf.astype(np.int64),
        rc.NEW_CASES: new_cases.astype(np.int64), rc.CASES: cum_cases.astype(np.int64),
        rc.NEW_TRACED: new_traced.astype(np.int64), rc.IN_QUARANTINE: in_q,
        rc.VENUES_CLOSED: closed,
    })


def summarise(runs: pd.DataFrame, by: str | Sequence[str] = rc.POLICY,
              metrics: Sequence[str] = rc.METRICS) -> pd.DataFrame:
    """Mean, sd, n and 95 % t confidence interval of each metric per group of runs.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run (seed) with the grouping columns and the metrics.
    by : str or sequence of str
        Grouping columns (policy, or the swept parameters).
    metrics : sequence of str
        Metric columns; NaN values (e.g. recall without cases) are left out of ``n``.

    Returns
    -------
    pandas.DataFrame
        Long format: the ``by`` columns, ``metric``, ``mean``, ``sd``, ``n``, ``ci_low``,
        ``ci_high``, in group order then metric order.

    Examples
    --------
    >>> runs = pd.DataFrame({"policy": ["a"] * 3, "final_size": [10.0, 12.0, 14.0]})
    >>> out = summarise(runs, metrics=["final_size"])
    >>> out[["mean", "sd", "ci_low", "ci_high"]].round(2).values.tolist()
    [[12.0, 2.0, 7.03, 16.97]]
    """
    keys = [by] if isinstance(by, str) else list(by)
    require_columns(runs, [*keys, *metrics], "runs")
    rows = []
    for key, grp in runs.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for m in metrics:
            x = pd.to_numeric(grp[m], errors="coerce").dropna().to_numpy(float)
            n = len(x)
            mean = float(x.mean()) if n else float("nan")
            sd = float(x.std(ddof=1)) if n > 1 else float("nan")
            half = float(t_quantile(n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
            rows.append({**dict(zip(keys, key, strict=True)), METRIC: m, MEAN: mean, SD: sd,
                         N_RUNS: n, CI_LOW: mean - half, CI_HIGH: mean + half})
    return pd.DataFrame(rows, columns=[*keys, METRIC, MEAN, SD, N_RUNS, CI_LOW, CI_HIGH])


def paired_difference(runs: pd.DataFrame, metric: str, policy: str, baseline: str = "none"
                      ) -> dict[str, float]:
    """Mean difference ``policy - baseline`` of ``metric`` over shared seeds, with 95 % CI.

    Runs of two policies with one seed share the county and the outbreak up to the first
    intervention, so the paired difference is much tighter than two separate intervals.

    Examples
    --------
    >>> runs = pd.DataFrame({"policy": ["none"] * 3 + ["twenty"] * 3, "seed": [1, 2, 3] * 2,
    ...                      "final_size": [50, 80, 60, 30, 50, 45]})
    >>> d = paired_difference(runs, "final_size", "twenty")
    >>> d["mean"], d["n"], d["ci_high"] < 0
    (-21.666666666666668, 3, True)
    """
    for name in (policy, baseline):
        if name not in set(runs[rc.POLICY]):
            raise ValueError(msg("policy {name!r} not in runs; have {have}", name=name,
                                 have=sorted(set(runs[rc.POLICY]))))
    a = runs[runs[rc.POLICY] == policy].set_index(rc.SEED)[metric]
    b = runs[runs[rc.POLICY] == baseline].set_index(rc.SEED)[metric]
    diff = (a - b).dropna().to_numpy(float)
    n = len(diff)
    mean = float(diff.mean()) if n else float("nan")
    sd = float(diff.std(ddof=1)) if n > 1 else float("nan")
    half = float(t_quantile(n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
    return {MEAN: mean, SD: sd, N_RUNS: n, CI_LOW: float(mean - half),
            CI_HIGH: float(mean + half)}
