"""The closed loop: simulate a day, trace the reported cases, quarantine, close, repeat.

Each day :func:`replay` traces the cases confirmed during the coming day with the visits
logged so far, steps the simulation, adds the day's scans to the visit log
(:class:`tracelab.replay.visitlog.VisitLog`, updated with the day, never rebuilt), reads
the cases reported by then (:func:`tracelab.replay.reported.reported`), traces those whose
infectious window was still open at the last trace (:func:`tracelab.tracing.forward.trace`),
and quarantines their contacts from the case's confirmation plus the policy's delay, for
the regime's durations. Quarantined people neither infect nor get infected; the
simulation carries on from there. Inside, people and venues are the simulation's integer
row codes; ids are strings only in the tables returned.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab._atomic import atomic_path
from tracelab._time import NAT, NS_PER_S, timestamp_from_ns, to_ns
from tracelab.model import reference
from tracelab.model import schema as s
from tracelab.replay import columns as rc
from tracelab.replay.metrics import day_series, run_metrics
from tracelab.replay.policies import Policy, as_policy
from tracelab.replay.reported import known_isolation, reported, reported_codes, times_ns
from tracelab.replay.scenario import Scenario, as_scenario
from tracelab.replay.stays import order_by
from tracelab.replay.visitlog import VisitLog
from tracelab.synth import Simulation, cases_table, simulation, truth_table
from tracelab.synth.county import resolve_seed
from tracelab.tracing.forward import trace

__all__ = ["replay", "ReplayResult"]

_DAY = 86400
_BIG = np.iinfo(np.int64).max


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


class _Loop:
    """State of one closed-loop replay; people are row codes of the persons table."""

    def __init__(self, sim: Simulation, pol: Policy) -> None:
        self.sim, self.pol = sim, pol
        self.rule = pol.exposure_rule
        self.t0 = int(sim.base.start_utc.value)
        self.people = sim.base.people
        self.n = n = len(self.people.age)
        # Where results depend on the order of ids (which case a contact is listed
        # under), codes are compared by the rank of their id.
        self.id_rank = np.arange(n, dtype=np.int64)  # the synthetic table is sorted by id
        if not self.people.ids_in_row_order:
            ids = self.people.ids
            self.id_rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(n)
        venues = sim.base.venues
        # The baseline traces no one: it needs no visits.
        self.log = (VisitLog(venues.type_code, venues.ids, self.rule, reference.venue_types())
                    if pol.tracing else None)
        self.last_trace = np.full(n, NAT, dtype=np.int64)  # as_of (ns) of a case's last trace
        self.pairs: set[int] = set()  # case * n + contact of hop-1 exposures
        # Per person code, the contact record: listed or not, first tracing case, hop,
        # its confirmation, when listed, last exposure, quarantine start and end (s).
        self.listed = np.zeros(n, dtype=bool)
        self.c_case = np.full(n, -1, dtype=np.int64)
        self.c_hop = np.zeros(n, dtype=np.int64)
        self.c_conf, self.c_traced, self.c_last, self.c_q_start, self.c_q_end = (
            np.full(n, np.nan) for _ in range(5))
        self.quarantines: list[tuple[int, float, float, float]] = []  # code, start, end, away
        self.closures: list[tuple[int, float, float]] = []  # venues, start, end (days)
        self.closed_once = False

    def day(self) -> None:
        sim = self.sim
        if self.log is not None and self.pol.same_day and sim.day > 0:
            self._pretrace()
        scans = sim.step().scans
        end = sim.day * _DAY
        if self.log is not None:
            exit_s = np.asarray(scans.exit_at, dtype=np.int64)
            self.log.add(scans.person, scans.venue,
                         np.asarray(scans.at, dtype=np.int64) * NS_PER_S + self.t0,
                         np.where(exit_s >= 0, exit_s * NS_PER_S + self.t0, NAT))
        known = reported_codes(sim, end)
        if self.pol.close_types and not self.closed_once and \
                len(known) >= self.pol.close_after_cases:
            self._close()
        if self.log is not None and len(known):
            self._trace(known, end, known)

    def _pretrace(self) -> None:
        """Trace the cases confirmed during the coming day with the visits logged so far.

        Acting at ``confirmed + delay`` on scans up to the last midnight uses nothing the
        team would not know at that moment (onset if before confirmation, no isolation
        yet); the trace after the day adds the rest.
        """
        sim = self.sim
        lo, hi = sim.day * _DAY, (sim.day + 1) * _DAY
        if not ((sim.confirmed >= lo) & (sim.confirmed < hi)).any():
            return
        coming = reported_codes(sim, hi)
        # Confirmed from the midnight on, to the microsecond as the case table shows it.
        coming = coming[times_ns(self.t0, sim.confirmed[coming]) >= self.t0 + lo * NS_PER_S]
        if len(coming):
            everyone = np.union1d(reported_codes(sim, lo), coming)
            self._trace(coming, hi, everyone, at_confirmation=True)

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

    def _trace(self, who: np.ndarray, end_s: float, everyone: np.ndarray, *,
               at_confirmation: bool = False) -> None:
        """Trace cases ``who`` as known at ``end_s``; ``everyone`` is every reported case."""
        assert self.log is not None  # only policies that trace call this
        now_ns = self.t0 + self.sim.day * _DAY * NS_PER_S
        iso = (np.full(len(who), NAT, dtype=np.int64) if at_confirmation
               else known_isolation(self.sim, who, end_s, self.t0))
        # A case needs (re)tracing until its window, which ends at isolation, is covered.
        active = (iso == NAT) | (iso >= self.last_trace[who])
        if not active.any():
            return
        who = who[active]
        self.last_trace[who] = now_ns
        todo = reported(self.sim, end_s, self.t0, who, at_confirmation=at_confirmation)
        graph = self.log.for_trace(todo, self.pol.hops, now_ns)
        ex = trace(graph, todo, self.rule, self.pol.hops, as_of=timestamp_from_ns(now_ns),
                   explain=False)
        if len(ex):
            self._act(ex, todo, everyone)

    def _act(self, ex: pd.DataFrame, traced: pd.DataFrame, everyone: np.ndarray) -> None:
        """Quarantine the contacts in ``ex`` of cases ``traced``; never a reported case."""
        hop = ex[s.HOP].to_numpy()
        case = ex[s.CASE_ID].to_numpy(np.int64)
        contact = ex[s.CONTACT_ID].to_numpy(np.int64)
        end = to_ns(ex[s.OVERLAP_END])
        h1 = hop == 1
        self.pairs.update((case[h1] * self.n + contact[h1]).tolist())
        sources = traced[s.PERSON_ID].to_numpy(np.int64)
        sorter = np.argsort(sources)
        confirmed = to_ns(traced[s.CONFIRMED_AT])[sorter]
        conf = np.full(len(hop), _BIG, dtype=np.int64)
        conf[h1] = confirmed[np.searchsorted(sources, case[h1], sorter=sorter)]
        # A hop-1 contact is on the list from the first confirmation among its cases; its
        # own contacts (hop 2) from that same moment.
        by_contact = order_by(contact)
        grouped = contact[by_contact]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        uniq = grouped[starts]
        first_conf = np.minimum.reduceat(conf[by_contact], starts)  # _BIG on hop-2 rows
        if (~h1).any():
            conf[~h1] = first_conf[np.searchsorted(uniq, case[~h1])]
        last = np.maximum.reduceat(end[by_contact], starts)
        codes = np.searchsorted(uniq, contact)
        order = np.lexsort((self.id_rank[case], conf, hop, codes))
        head = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]
        # Reported cases are isolated, not quarantined.
        head = head[~np.isin(contact[head], everyone)]
        day_s = self.sim.day * _DAY
        people, start, away_end = self._quarantine(contact[head], case[head], hop[head],
                                                   conf[head], last[codes[head]], day_s)
        # One call per (start, end): the simulator's quarantine takes a common period.
        if len(start):
            order = np.lexsort((away_end, start))
            start, away_end, people = start[order], away_end[order], people[order]
            cut = np.flatnonzero(np.r_[True, (start[1:] != start[:-1])
                                       | (away_end[1:] != away_end[:-1]), True])
            for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True):
                self.sim.quarantine_rows(np.unique(people[a:b]), start=start[a] / _DAY,
                                         end=away_end[a] / _DAY)

    def _quarantine(self, person: np.ndarray, case: np.ndarray, hop: np.ndarray,
                    conf: np.ndarray, last: np.ndarray, day_s: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Record contacts (each listed once here); return whom to keep away, from, until.

        Times in seconds from the start; the contacts kept away come in ``person`` order.
        """
        pol = self.pol
        conf_s = (conf - self.t0) / NS_PER_S
        last_s = (last - self.t0) / NS_PER_S
        start = np.maximum(conf_s + pol.delay_hours * 3600, float(day_s))
        anchor = last_s if pol.clock_start == "last_exposure" else start
        first = hop == 1
        burden = np.where(first, pol.central_days + pol.home_days, pol.secondary_days)
        away = np.where(first, pol.quarantine_days,
                        pol.secondary_days if pol.home_is_quarantine else 0.0)
        # Release at the full hour after the period ends: contacts of one case then share
        # a few release times, and the simulation takes one call per shared period.
        end = np.ceil((anchor + burden * _DAY) / 3600) * 3600
        away_end = np.ceil((anchor + away * _DAY) / 3600) * 3600
        fresh = ~self.listed[person]
        new = person[fresh]
        self.listed[new] = True
        self.c_case[new], self.c_hop[new] = case[fresh], hop[fresh]
        self.c_conf[new] = conf_s[fresh]
        self.c_traced[new] = np.maximum(conf_s[fresh], float(day_s))
        self.c_last[new] = last_s[fresh]
        self.c_last[person] = np.maximum(self.c_last[person], last_s)
        q_end = self.c_q_end[person]
        # Observe only, period already over, or already long enough: no new order.
        act = (end > start) & (np.isnan(q_end) | (end > q_end))
        if not pol.quarantine:
            act[:] = False
        who = person[act]
        self.c_q_start[who] = np.where(np.isnan(self.c_q_start[who]), start[act],
                                       self.c_q_start[who])
        self.c_q_end[who] = end[act]
        self.quarantines.extend(zip(who.tolist(), start[act].tolist(), end[act].tolist(),
                                    away_end[act].tolist(), strict=True))
        away_now = act & (away_end > start)
        return person[away_now], start[away_now], away_end[away_now]


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

    Cases are traced with every visit logged so far, as on a graph of all the scans:
    each day's scans are merged as the loaders merge repeat scans and added to the visit
    log, which cuts the open visits of the day before where a new scan ends them; a
    trace pulls from it the visits the engine can reach. Scans naming unregistered
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
    # Ids at the edge: the tables and scores name people by their ids.
    n, id_of = loop.n, loop.people.id_of
    if loop.quarantines:
        who, *times = zip(*loop.quarantines, strict=True)
        quarantines = list(zip(id_of(np.array(who)).tolist(), *times, strict=True))
    else:
        quarantines = []
    pair = np.array(sorted(loop.pairs), dtype=np.int64)
    pairs = set(zip(id_of(pair // n).tolist(), id_of(pair % n).tolist(), strict=True))
    days = day_series(sim, quarantines, loop.closures, contacts, scen.days)
    metrics = run_metrics(truth=truth, cases=cases, contacts=contacts, pairs=pairs,
                          quarantines=quarantines, closures=loop.closures,
                          days=scen.days, tracing=pol.tracing)
    metrics = {rc.POLICY: pol.name, rc.SEED: seed_int, **metrics}
    return ReplayResult(scenario=scen, policy=pol, seed=seed_int, days=days, contacts=contacts,
                        metrics=metrics, truth=truth, cases=cases)


def _contacts_table(loop: _Loop, truth: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    from tracelab.synth import columns as sc

    who = np.flatnonzero(loop.listed)
    frame = pd.DataFrame({rc.CONTACT: who, s.CASE_ID: loop.c_case[who], s.HOP: loop.c_hop[who],
                          rc.CASE_CONFIRMED: loop.c_conf[who], rc.TRACED_AT: loop.c_traced[who],
                          rc.LAST_EXPOSURE: loop.c_last[who], rc.Q_START: loop.c_q_start[who],
                          rc.Q_END: loop.c_q_end[who]})
    infector = dict(zip(truth[s.PERSON_ID], truth[sc.INFECTOR_ID], strict=True))
    detected = set(cases[s.PERSON_ID])
    t0 = pd.Timestamp(loop.t0, tz="UTC")

    def when(col: str) -> pd.Series:
        sec = frame[col].to_numpy(dtype=float)
        return pd.Series(t0 + pd.to_timedelta(sec, unit="s"), dtype="datetime64[ns, UTC]")

    out = pd.DataFrame({
        rc.CONTACT: pd.array(loop.people.id_of(frame[rc.CONTACT].to_numpy(np.int64)),
                             dtype="str"),
        s.CASE_ID: pd.array(loop.people.id_of(frame[s.CASE_ID].to_numpy(np.int64)),
                            dtype="str"),
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
