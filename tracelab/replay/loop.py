"""The closed loop: simulate a day, trace the reported cases, quarantine, close, repeat.

Each day :func:`replay` traces the cases confirmed during the coming day with the scans
logged so far, steps the simulation, reads the cases reported by then
(:func:`tracelab.synth.cases_table`), traces those whose infectious window was still
open at the last trace (:func:`tracelab.tracing.forward.trace`), and quarantines their contacts
from the case's confirmation plus the policy's delay, for the regime's durations.
Quarantined people neither infect nor get infected; the simulation carries on from there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from tracelab._atomic import atomic_path
from tracelab._time import NS_PER_S
from tracelab.index.graph import VisitGraph
from tracelab.index.windows import WINDOW_START, case_windows
from tracelab.io import merge_repeat_scans
from tracelab.model import reference
from tracelab.model import schema as s
from tracelab.replay import columns as rc
from tracelab.replay.metrics import day_series, run_metrics
from tracelab.replay.policies import Policy, as_policy
from tracelab.replay.scenario import Scenario, as_scenario
from tracelab.synth import Simulation, cases_table, simulation, truth_table
from tracelab.synth.county import resolve_seed
from tracelab.tracing.forward import trace

__all__ = ["replay", "ReplayResult"]

_DAY = 86400


@dataclasses.dataclass(frozen=True)
class ReplayResult:
    """What :func:`replay` returns.

    Attributes
    ----------
    scenario : Scenario
    policy : Policy
    seed : int
    days : pandas.DataFrame
        One row per day (``columns.DAY_COLUMNS``): infections, cases, contacts traced,
        people in quarantine, venues closed.
    contacts : pandas.DataFrame
        One row per traced person (``columns.CONTACT_COLUMNS``): first tracing case,
        hop, last exposure, quarantine start and end, whether truly infected and by whom.
    metrics : dict
        Scores of the run (:data:`columns.METRICS`, documented in
        :func:`tracelab.replay.metrics.run_metrics`).
    truth, cases : pandas.DataFrame
        Every infection and every reported case at the end (synthetic tables).
    """

    scenario: Scenario
    policy: Policy
    seed: int
    days: pd.DataFrame
    contacts: pd.DataFrame
    metrics: dict[str, Any]
    truth: pd.DataFrame
    cases: pd.DataFrame

    def write(self, out: str | Path) -> Path:
        """Write ``days.csv``, ``contacts.csv`` and ``metrics.csv`` into folder ``out``."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in (("days", self.days), ("contacts", self.contacts),
                            ("metrics", pd.DataFrame([self.metrics]))):
            with atomic_path(folder / f"{name}.csv") as tmp:
                frame.to_csv(tmp, index=False, lineterminator="\n")
        return folder


class _ScanLog:
    """The scans logged so far, one frame per simulated day, in loader form."""

    def __init__(self, sim: Simulation) -> None:
        self.pid = sim.base.people.table[s.PERSON_ID].to_numpy(dtype=object)
        self.vid = np.asarray(sim.base.venues.ids, dtype=object)
        self.t0 = int(sim.base.start_utc.value)
        self.days: list[pd.DataFrame] = []

    def add(self, scans: Any) -> None:
        at = np.asarray(scans.at, dtype=np.int64)
        ex = np.asarray(scans.exit_at, dtype=np.int64)

        def times(sec: np.ndarray, valid: np.ndarray) -> pd.Series:
            ns = np.where(valid, sec * NS_PER_S + self.t0, np.iinfo(np.int64).min)
            return pd.Series(pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC"))

        frame = pd.DataFrame({
            s.PERSON_ID: pd.array(self.pid[scans.person], dtype="str"),
            s.VENUE_ID: pd.array(self.vid[scans.venue], dtype="str"),
            s.SCANNED_AT: times(at, np.ones(len(at), bool)),
            s.CODE_COLOUR: pd.array(np.asarray(s.COLOURS, dtype=object)[scans.colour],
                                    dtype="str"),
            s.METHOD: pd.array(np.asarray(s.METHODS, dtype=object)[scans.method], dtype="str"),
            s.EXIT_AT: times(ex, ex >= 0),
            s.DEVICE_LON: np.asarray(scans.dev_lon, dtype=float),
            s.DEVICE_LAT: np.asarray(scans.dev_lat, dtype=float),
            s.MERGED_SCANS: np.ones(len(at), dtype=np.int64),
        })
        # The loaders merge repeat scans (double scans, group bursts) the same way.
        self.days.append(merge_repeat_scans(frame))

    def since(self, first_day: int) -> pd.DataFrame:
        parts = self.days[max(first_day, 0):]
        return pd.concat(parts, ignore_index=True) if parts else self.days[0].iloc[:0]


class _Ahead:
    """The simulation seen one day ahead: :func:`cases_table` then lists the cases whose
    confirmation falls in the coming day (the caller hides what is not known yet)."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self.day = sim.day + 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sim, name)


class _Loop:
    """State of one closed-loop replay."""

    def __init__(self, sim: Simulation, pol: Policy) -> None:
        self.sim, self.pol = sim, pol
        self.rule = pol.exposure_rule
        self.log = _ScanLog(sim)
        self.venues = sim.base.venues.table[[s.VENUE_ID, s.VENUE_TYPE]]
        self.venue_types = reference.venue_types()  # read once, not at every trace
        self.last_trace: dict[str, int] = {}  # case id -> as_of (ns) of its last trace
        self.pairs: set[tuple[str, str]] = set()  # (case, contact) of hop-1 exposures
        self.contacts: dict[str, dict[str, Any]] = {}
        self.quarantines: list[tuple[str, float, float, float]] = []  # id, start, end, away
        self.closures: list[tuple[int, float, float]] = []  # venues, start, end (days)
        self.closed_once = False
        self.t0 = int(sim.base.start_utc.value)

    def day(self) -> None:
        if self.pol.tracing and self.pol.same_day:
            self._pretrace()
        result = self.sim.step()
        self.log.add(result.scans)
        cases = cases_table(self.sim)
        if self.pol.close_types and not self.closed_once and \
                len(cases) >= self.pol.close_after_cases:
            self._close()
        if self.pol.tracing and len(cases):
            self._trace(cases)

    def _pretrace(self) -> None:
        """Trace the cases confirmed during the coming day with the scans logged so far.

        Acting at ``confirmed + delay`` on scans up to the last midnight uses nothing the
        team would not know at that moment; the trace after the day adds the rest.
        """
        sim = self.sim
        lo, hi = sim.day * _DAY, (sim.day + 1) * _DAY
        if not self.log.days or not ((sim.confirmed >= lo) & (sim.confirmed < hi)).any():
            return
        # _Ahead stands in for the Simulation: it forwards every attribute but the day.
        ahead = cases_table(cast(Simulation, _Ahead(sim)))
        conf = ahead[s.CONFIRMED_AT]
        now = pd.Timestamp(self.t0 + lo * NS_PER_S, tz="UTC")
        coming = ahead[(conf >= now).to_numpy()].copy()
        if not len(coming):
            return
        # Only what is known at confirmation: onset if before it, isolation not yet.
        late_onset = (coming[s.ONSET_AT] > coming[s.CONFIRMED_AT]).to_numpy()
        coming.loc[late_onset, s.ONSET_AT] = pd.NaT
        coming[s.ISOLATED_AT] = pd.NaT
        known = cases_table(sim)
        self._trace(coming, everyone=pd.concat([known, coming], ignore_index=True))

    def _close(self) -> None:
        sim, pol = self.sim, self.pol
        present = sorted(set(pol.close_types) & set(sim.base.venues.type_code))
        self.closed_once = True
        if not present:
            return
        start = float(sim.day)
        end = start + pol.close_days if pol.close_days is not None else None
        n = sim.close(venue_types=present, start=sim.day, end=end)
        self.closures.append((n, start, float("inf") if end is None else end))

    def _trace(self, cases: pd.DataFrame, everyone: pd.DataFrame | None = None) -> None:
        now_ns = self.t0 + self.sim.day * _DAY * NS_PER_S
        iso = cases[s.ISOLATED_AT]
        ids = cases[s.PERSON_ID].to_numpy(dtype=object)
        last = np.array([self.last_trace.get(i, np.iinfo(np.int64).min) for i in ids])
        iso_ns = iso.to_numpy("datetime64[ns]").view(np.int64)
        # A case needs (re)tracing until its window, which ends at isolation, is covered.
        active = iso.isna().to_numpy() | (iso_ns >= last)
        todo = cases[active]
        if not len(todo):
            return
        as_of = pd.Timestamp(now_ns, tz="UTC")
        windows = case_windows(todo, self.rule, as_of=as_of)
        first = windows[WINDOW_START].min()
        first_day = int((first.value - self.t0) // (_DAY * NS_PER_S)) - 1
        scans = self.log.since(first_day)
        for i in todo[s.PERSON_ID]:
            self.last_trace[i] = now_ns
        if not len(scans):
            return
        graph = VisitGraph.from_scans(scans, self.venues, self.rule,
                                      venue_types=self.venue_types)
        known = pd.Index(graph.person_ids)
        todo = todo[todo[s.PERSON_ID].isin(known).to_numpy()]
        if not len(todo):
            return
        ex = trace(graph, todo, self.rule, self.pol.hops, as_of=as_of, explain=False)
        if not len(ex):
            return
        self._act(ex, cases if everyone is None else everyone)

    def _act(self, ex: pd.DataFrame, cases: pd.DataFrame) -> None:
        sim = self.sim
        hop = ex[s.HOP].to_numpy()
        case_id = ex[s.CASE_ID].to_numpy(dtype=object)
        contact = ex[s.CONTACT_ID].to_numpy(dtype=object)
        end = ex[s.OVERLAP_END].to_numpy("datetime64[ns]").view(np.int64)
        h1 = hop == 1
        self.pairs.update(zip(case_id[h1], contact[h1], strict=True))
        confirmed = dict(zip(cases[s.PERSON_ID],
                             cases[s.CONFIRMED_AT].to_numpy("datetime64[ns]").view(np.int64),
                             strict=True))
        big = np.iinfo(np.int64).max
        codes, uniq = pd.factorize(contact)
        conf = np.full(len(hop), big, dtype=np.int64)
        conf[h1] = [confirmed[c] for c in case_id[h1]]
        # A hop-1 contact is on the list from the first confirmation among its cases; its
        # own contacts (hop 2) from that same moment.
        first_conf = np.full(len(uniq), big, dtype=np.int64)
        np.minimum.at(first_conf, codes[h1], conf[h1])
        if (~h1).any():
            src = pd.Index(uniq).get_indexer(pd.Index(case_id[~h1]))
            conf[~h1] = first_conf[src]
        last = np.full(len(uniq), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, codes, end)
        case_codes = pd.factorize(case_id, sort=True)[0]
        order = np.lexsort((case_codes, conf, hop, codes))
        head = order[np.r_[True, codes[order][1:] != codes[order][:-1]]] if len(order) else order
        is_case = set(cases[s.PERSON_ID])
        day_s = sim.day * _DAY
        orders: dict[tuple[float, float], list[str]] = {}
        for i in head:
            person = str(contact[i])
            if person in is_case:
                continue  # reported cases are isolated, not quarantined
            order_ = self._quarantine(person, str(case_id[i]), int(hop[i]), int(conf[i]),
                                      int(last[codes[i]]), day_s)
            if order_ is not None:
                orders.setdefault(order_, []).append(person)
        # One call per (start, end): the simulator's quarantine takes a common period.
        for (start, away_end), people in sorted(orders.items()):
            sim.quarantine(sorted(people), start=start / _DAY, end=away_end / _DAY)

    def _quarantine(self, person: str, case: str, hop: int, conf: int, last: int, day_s: int
                    ) -> tuple[float, float] | None:
        """Record a contact; return the (start, end) to keep them away, if any (seconds)."""
        pol = self.pol
        conf_s = (conf - self.t0) / NS_PER_S
        last_s = (last - self.t0) / NS_PER_S
        start = max(conf_s + pol.delay_hours * 3600, float(day_s))
        anchor = last_s if pol.clock_start == "last_exposure" else start
        if hop == 1:
            burden = pol.central_days + pol.home_days
            away = pol.quarantine_days
        else:
            burden = pol.secondary_days
            away = pol.secondary_days if pol.home_is_quarantine else 0.0
        # Release at the full hour after the period ends: contacts of one case then share
        # a few release times, and the simulation takes one call per shared period.
        end = np.ceil((anchor + burden * _DAY) / 3600) * 3600
        away_end = np.ceil((anchor + away * _DAY) / 3600) * 3600
        rec = self.contacts.get(person)
        if rec is None:
            rec = {rc.CONTACT: person, s.CASE_ID: case, s.HOP: hop,
                   rc.CASE_CONFIRMED: conf_s, rc.TRACED_AT: max(conf_s, float(day_s)),
                   rc.LAST_EXPOSURE: last_s,
                   rc.Q_START: np.nan, rc.Q_END: np.nan}
            self.contacts[person] = rec
        rec[rc.LAST_EXPOSURE] = max(rec[rc.LAST_EXPOSURE], last_s)
        if not pol.quarantine or end <= start or not (
                np.isnan(rec[rc.Q_END]) or end > rec[rc.Q_END]):
            return None  # observe only, period already over, or already long enough
        if np.isnan(rec[rc.Q_START]):
            rec[rc.Q_START] = start
        rec[rc.Q_END] = end
        self.quarantines.append((person, start, end, away_end))
        return (start, float(away_end)) if away_end > start else None


def replay(scenario: Scenario | int | str | Path, policy: Policy | str | Path = "twenty", *,
           seed: int | np.random.Generator | None = 0) -> ReplayResult:
    """Replay a synthetic outbreak day by day under a tracing policy.

    Parameters
    ----------
    scenario : Scenario, int or path
        A :class:`Scenario`, a population (other values default), or a county folder
        written by ``tracelab synth`` (its manifest's parameters; the seed is still
        ``seed``).
    policy : Policy, str or path
        A :class:`Policy`, a preset name (``none``, ``ninth``, ``twenty``, ``ten``,
        ``twenty_closures``) or a policy file (JSON or TOML).
    seed : int, Generator or None
        Seed of the county and the outbreak. Runs of different policies with the same
        seed share the county and every draw up to the first intervention.

    Returns
    -------
    ReplayResult

    Notes
    -----
    The loop acts at local midnight. With ``policy.same_day`` (default) it first traces
    the cases to be confirmed during the coming day with the scans logged so far and
    schedules their contacts' quarantine at confirmation + delay (nothing used is
    unknown at that moment); after the day it traces every case whose window is still
    open, with that day's scans too. Without it, contacts are quarantined at the
    midnight after the confirmation at the earliest. ``delay_hours_mean`` reports the
    delay the contacts actually had.

    Cases are traced with the scans of their infectious window (plus a day for the
    next-scan rule), repeat scans merged as the loaders do; scans naming unregistered
    venues, which loaders reject, are never produced here. Reported cases are isolated
    by the simulation, never quarantined as contacts.

    Examples
    --------
    >>> res = replay(Scenario(population=300, days=6), "twenty", seed=3)
    >>> len(res.days), res.metrics["policy"]
    (6, 'twenty')
    >>> res.metrics["final_size"] >= res.metrics["cases"]
    True
    """
    scen = as_scenario(scenario)
    pol = as_policy(policy)
    log = scen.log if pol.compliance is None else dataclasses.replace(
        scen.log, compliance=float(pol.compliance))
    seed_int = resolve_seed(seed)
    sim = simulation(scen.population, days=scen.days, seed=seed_int, start=scen.start,
                     outbreak=scen.outbreak, log=log, region=scen.region)
    loop = _Loop(sim, pol)
    for _ in range(scen.days):
        loop.day()
    truth = truth_table(sim)
    cases = cases_table(sim)
    contacts = _contacts_table(loop, truth, cases)
    days = day_series(sim, loop.quarantines, loop.closures, contacts, scen.days)
    metrics = run_metrics(truth=truth, cases=cases, contacts=contacts, pairs=loop.pairs,
                          quarantines=loop.quarantines, closures=loop.closures,
                          days=scen.days, tracing=pol.tracing)
    metrics = {rc.POLICY: pol.name, rc.SEED: seed_int, **metrics}
    return ReplayResult(scenario=scen, policy=pol, seed=seed_int, days=days, contacts=contacts,
                        metrics=metrics, truth=truth, cases=cases)


def _contacts_table(loop: _Loop, truth: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    from tracelab.synth import columns as sc

    rows = list(loop.contacts.values())
    frame = pd.DataFrame(rows, columns=[rc.CONTACT, s.CASE_ID, s.HOP, rc.CASE_CONFIRMED,
                                        rc.TRACED_AT, rc.LAST_EXPOSURE, rc.Q_START, rc.Q_END])
    infector = dict(zip(truth[s.PERSON_ID], truth[sc.INFECTOR_ID], strict=True))
    detected = set(cases[s.PERSON_ID])
    t0 = pd.Timestamp(loop.t0, tz="UTC")

    def when(col: str) -> pd.Series:
        sec = frame[col].to_numpy(dtype=float)
        return pd.Series(t0 + pd.to_timedelta(sec, unit="s"), dtype="datetime64[ns, UTC]")

    out = pd.DataFrame({
        rc.CONTACT: frame[rc.CONTACT].astype("str"),
        s.CASE_ID: frame[s.CASE_ID].astype("str"),
        s.HOP: frame[s.HOP].astype(np.int8),
        rc.CASE_CONFIRMED: when(rc.CASE_CONFIRMED),
        rc.TRACED_AT: when(rc.TRACED_AT),
        rc.LAST_EXPOSURE: when(rc.LAST_EXPOSURE),
        rc.Q_START: when(rc.Q_START),
        rc.Q_END: when(rc.Q_END),
    })
    inf = out[rc.CONTACT].map(infector)
    out[rc.INFECTED] = out[rc.CONTACT].isin(infector.keys())
    out[rc.INFECTED_BY_CASE] = inf.isin(detected).to_numpy()
    out[rc.INFECTED_BY_TRACER] = (inf == out[s.CASE_ID]).fillna(False).to_numpy(bool)
    return out.sort_values([rc.TRACED_AT, rc.CONTACT], kind="stable").reset_index(drop=True)
