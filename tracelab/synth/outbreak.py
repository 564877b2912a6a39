"""The outbreak simulation: one day at a time, with interventions between days.

``Simulation.step()`` lays out the day's routines, cuts them where people are isolated or
quarantined and where venues are closed, draws transmissions (venues and households,
:mod:`tracelab.synth.transmission`) and turns the stays into scans
(:mod:`tracelab.synth.faults`). Between steps, :meth:`Simulation.quarantine` and
:meth:`Simulation.close` change what happens next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.synth import columns as c
from tracelab.synth.county import Base
from tracelab.synth.faults import DayScans, day_scans, make_log_setup
from tracelab.synth.params import LogParams, OutbreakParams
from tracelab.synth.routines import fixed_for_days, plan_day
from tracelab.synth.transmission import DAY, H, draw_history, household_events, venue_events

__all__ = ["Simulation", "DayResult"]

_SCREEN_JOBS = ("hospital", "supermarket", "farmers_market", "restaurant", "transit", "mall",
                "hotel", "pharmacy", "school")
_SETTING_CODE = {c.SEED: 0, c.HOUSEHOLD: 1, c.VENUE: 2}


class Simulation:
    """A synthetic outbreak advancing one day per :meth:`step`.

    Parameters
    ----------
    base : Base
        The county (:func:`tracelab.synth.county.build_county`).
    outbreak : OutbreakParams
    log : LogParams
    days : int
        Planned length; silent codes are scheduled inside it. :meth:`step` may run past it.

    Notes
    -----
    Times inside are seconds from local midnight of day 0. Quarantined and isolated
    people are away (central facilities): no stays, no infecting, not infected.

    Examples
    --------
    >>> from tracelab.synth.county import build_county
    >>> sim = Simulation(build_county(300, seed=2), days=2)
    >>> sim.step().day, sim.day
    (0, 1)
    """

    def __init__(self, base: Base, *, outbreak: OutbreakParams | None = None,
                 log: LogParams | None = None, days: int = 14) -> None:
        self.base = base
        self.outbreak = outbreak or OutbreakParams()
        self.log = log or LogParams()
        self.days = int(days)
        self.day = 0
        people, venues = base.people, base.venues
        n = len(people.age)
        self._n = n
        self._person_lookup: pd.Index | None = None  # built at the first quarantine
        nan = np.full(n, np.nan)
        self.infected_at, self.inf_start, self.inf_end, self.onset = (nan.copy() for _ in range(4))
        self.sampled, self.confirmed, self.isolated, self.last_negative = (
            nan.copy() for _ in range(4))
        self.symptomatic = np.zeros(n, dtype=bool)
        self.screening_found = np.zeros(n, dtype=bool)
        self.relative = np.zeros(n)
        self.infector = np.full(n, -1, dtype=np.int64)
        self.setting = np.full(n, -1, dtype=np.int8)
        self.inf_venue = np.full(n, -1, dtype=np.int64)
        self.generation = np.full(n, -1, dtype=np.int64)
        self.q_from, self.q_until = nan.copy(), nan.copy()
        self.open_home = np.zeros(n)  # everyone at home at the start
        self.closures: list[tuple[np.ndarray, float, float]] = []
        # Interventions in order, in blocks: tuples, or (rows, start, end) of a quarantine,
        # whose ids are written out only when the list is asked for.
        self._interventions: list[list[tuple[str, str, float, float]]
                                  | tuple[np.ndarray, float, float]] = []
        self._n_interventions = 0
        rng = self._rng(-1, 0)
        screen_job = np.isin(venues.type_code, _SCREEN_JOBS)[np.maximum(people.work, 0)]
        self.screened = ((people.role == c.WORKER) & (people.work >= 0) & screen_job
                         & (rng.random(n) < self.outbreak.screening_share * 3))
        self.phase = rng.integers(0, self.outbreak.screening_interval_days, n)
        self.setup = make_log_setup(venues, people, self.log, self.days, self._rng(-1, 1))
        self._fixed = fixed_for_days(people, base.habits)
        order = np.argsort(people.household, kind="stable")
        self._hh_members = order
        self._hh_offsets = np.searchsorted(people.household[order],
                                           np.arange(people.household.max() + 2))
        self.presence: list[tuple[np.ndarray, ...]] = []
        self.scans: list[DayScans] = []
        self.fault_counts: dict[str, int] = {}
        self._seed_index_cases(rng)
        # Seeds already isolated before day 0 are not at home.
        self.open_home[self.isolated <= 0] = np.nan

    @property
    def interventions(self) -> list[tuple[str, str, float, float]]:
        """Quarantines and closures so far: ``(action, target, start, end)`` (seconds)."""
        ids = self.base.people.ids
        out: list[tuple[str, str, float, float]] = []
        for block in self._interventions:
            if isinstance(block, list):
                out.extend(block)
            else:
                rows, lo, hi = block
                out.extend(("quarantine", ids[i], lo, hi) for i in rows.tolist())
        return out

    def _record(self, block: list[tuple[str, str, float, float]]
                | tuple[np.ndarray, float, float]) -> None:
        self._interventions.append(block)
        self._n_interventions += len(block) if isinstance(block, list) else len(block[0])

    @property
    def faults(self) -> list[tuple]:
        """Faults listed so far, day by day: ``(kind, person, venue, seconds, count, detail)``."""
        return [f for day in self.scans for f in day.faults]

    # --- randomness -------------------------------------------------------------------
    def _rng(self, day: int, stream: int) -> np.random.Generator:
        # One independent stream per (day, purpose): interventions change what happens
        # after them, never the draws of unrelated days.
        return np.random.default_rng(np.random.SeedSequence(
            self.base.seed, spawn_key=(day + 1, stream, 7)))

    # --- infection bookkeeping ----------------------------------------------------------
    def _seed_index_cases(self, rng: np.random.Generator) -> None:
        people = self.base.people
        pool = np.flatnonzero((people.role == c.WORKER) & people.smartphone)
        if not len(pool):
            pool = np.arange(self._n)
        k = min(self.outbreak.index_cases, len(pool))
        who = np.sort(rng.choice(pool, size=k, replace=False))
        when = -rng.uniform(1.0, 4.0, k) * DAY
        self._infect(who, when, np.full(k, -1), np.full(k, -1), c.SEED, rng)

    def _infect(self, who: np.ndarray, when: np.ndarray, infector: np.ndarray,
                venue: np.ndarray, setting: str | np.ndarray, rng: np.random.Generator) -> None:
        if not len(who):
            return
        hist = draw_history(when, self.screened[who], self.phase[who], self.outbreak, rng)
        self.infected_at[who] = when
        self.inf_start[who], self.inf_end[who] = hist.inf_start, hist.inf_end
        self.onset[who] = hist.onset
        self.symptomatic[who] = hist.symptomatic
        self.relative[who] = hist.relative
        self.sampled[who], self.confirmed[who] = hist.sampled, hist.confirmed
        self.isolated[who], self.last_negative[who] = hist.isolated, hist.last_negative
        self.screening_found[who] = hist.screening
        self.infector[who] = infector
        self.inf_venue[who] = venue
        codes = (np.full(len(who), _SETTING_CODE[setting]) if isinstance(setting, str)
                 else setting)
        self.setting[who] = codes
        self.generation[who] = np.where(infector >= 0, self.generation[np.maximum(infector, 0)] + 1,
                                        0)

    # --- interventions ------------------------------------------------------------------
    def _seconds(self, t: pd.Timestamp | str | int | float | None, default: float) -> float:
        if t is None:
            return default
        if isinstance(t, (int, float, np.integer, np.floating)):
            return float(t) * DAY  # a day index
        ts = pd.Timestamp(t)
        if ts.tz is None:
            ts = ts.tz_localize(self.base.start.tz)
        return (ts - self.base.start).total_seconds()

    @property
    def now(self) -> pd.Timestamp:
        """Start of the next day to simulate, UTC."""
        return self.base.start_utc + pd.Timedelta(days=self.day)

    def quarantine(self, person_ids: Iterable[str], start: pd.Timestamp | str | int | None = None,
                   end: pd.Timestamp | str | int | None = None, *, days: float = 5.0) -> int:
        """Quarantine people (central quarantine): away, not infecting, not infected.

        Parameters
        ----------
        person_ids : iterable of str
            ``person_id`` values of the persons table.
        start, end : Timestamp, str or day index, optional
            Default: from :attr:`now` for ``days`` days (`twenty`: 5 central, DOMAIN §11.1).
        days : float
            Length when ``end`` is not given.

        Returns
        -------
        int
            People quarantined.

        Raises
        ------
        ValueError
            If a person id is unknown (the first few are shown, masked) or ``end <= start``.

        Examples
        --------
        >>> from tracelab.synth.county import build_county
        >>> sim = Simulation(build_county(300, seed=2), days=2)
        >>> sim.quarantine(["P0000001", "P0000002"], days=5)
        2
        """
        return self.quarantine_rows(self._person_index(person_ids), start, end, days=days)

    def quarantine_rows(self, idx: np.ndarray, start: pd.Timestamp | str | int | None = None,
                        end: pd.Timestamp | str | int | None = None, *,
                        days: float = 5.0) -> int:
        """:meth:`quarantine` of people given by their rows of the persons table.

        ``idx`` must be sorted, unique and in range (as the replay's codes are).

        Examples
        --------
        >>> from tracelab.synth.county import build_county
        >>> sim = Simulation(build_county(300, seed=2), days=2)
        >>> sim.quarantine_rows(np.array([1, 2]), days=5)
        2
        """
        lo = self._seconds(start, self.day * DAY)
        hi = self._seconds(end, lo + days * DAY)
        if hi <= lo:
            raise ValueError(msg("quarantine end must be after its start; got start={start!r}, "
                                 "end={end!r}", start=start, end=end))
        past = ~(self.q_until[idx] >= lo)  # NaN (none) or already over: replace
        self.q_from[idx] = np.where(past, lo, np.minimum(self.q_from[idx], lo))
        self.q_until[idx] = np.where(past, hi, np.maximum(self.q_until[idx], hi))
        self._record((np.array(idx, copy=True), lo, hi))
        self._quarantine_tests(idx, lo, hi)
        return len(idx)

    def close(self, venue_ids: Iterable[str] = (), venue_types: Iterable[str] = (),
              start: pd.Timestamp | str | int | None = None,
              end: pd.Timestamp | str | int | None = None) -> int:
        """Close venues (by id) and venue types from ``start`` (default now) to ``end``.

        A venue closed at any moment of a day gets no visits that whole day.

        Returns
        -------
        int
            Venues closed.

        Raises
        ------
        ValueError
            On an unknown venue id or venue type.

        Examples
        --------
        >>> from tracelab.synth.county import build_county
        >>> sim = Simulation(build_county(300, seed=2), days=2)
        >>> sim.close(venue_types=["school"], start=1, end=3) >= 1
        True
        """
        venues = self.base.venues
        vid = venues.table["venue_id"].to_numpy()
        pos = {v: i for i, v in enumerate(vid)}
        ids = list(venue_ids)
        unknown = [v for v in ids if v not in pos]
        if unknown:
            raise ValueError(msg("venue_ids: {n} unknown, e.g. {unknown}; use venue_id values of "
                                 "the venues table", n=len(unknown), unknown=unknown[:3]))
        types = list(venue_types)
        bad = sorted(set(types) - set(venues.type_code))
        if bad:
            raise ValueError(msg("venue_types {bad} not in this county; allowed: {allowed}",
                                 bad=bad, allowed=sorted(set(venues.type_code))))
        mask = np.zeros(len(vid), dtype=bool)
        mask[[pos[v] for v in ids]] = True
        mask |= np.isin(venues.type_code, types)
        lo = self._seconds(start, self.day * DAY)
        hi = self._seconds(end, np.inf)
        self.closures.append((mask, lo, hi))
        self._record([("close", v, lo, hi) for v in ids]
                     + [("close", f"type:{t}", lo, hi) for t in types])
        return int(mask.sum())

    def _person_index(self, person_ids: Iterable[str]) -> np.ndarray:
        if self._person_lookup is None:
            # Built once: a replay quarantines every day, and a lookup over 270,000 ids
            # per call was most of its cost.
            self._person_lookup = pd.Index(self.base.people.ids)
        ids = self._person_lookup
        wanted = pd.Index(list(person_ids))
        idx = ids.get_indexer(wanted)
        if (idx < 0).any():
            bad = [str(x)[:2] + "***" for x in wanted[idx < 0][:3]]
            raise ValueError(msg("person_ids: {n} unknown, e.g. {bad}; use person_id values of "
                                 "the persons table", n=(idx < 0).sum(), bad=bad))
        return np.unique(idx)

    def _quarantine_tests(self, idx: np.ndarray, lo: float, hi: float) -> None:
        """Sample quarantined infected people on the protocol's days (DOMAIN §11.1)."""
        rng = self._rng(self.day, 100 + self._n_interventions % 1000)
        inf = idx[~np.isnan(self.infected_at[idx])]
        p = self.outbreak
        first_day = np.floor(lo / DAY)
        prev = np.full(len(inf), np.nan)
        found = np.full(len(inf), np.nan)
        for k in p.quarantine_test_days:
            t = (first_day + k) * DAY + 8 * H
            if t < lo or t >= hi:
                continue
            pos = ((t >= self.inf_start[inf] - 0.5 * DAY) & (t < self.inf_end[inf] + 2 * DAY)
                   & (rng.random(len(inf)) < p.pcr_sensitivity))
            new = np.isnan(found) & pos
            found[new] = t
            prev = np.where(np.isnan(found), t, prev)
        better = ~np.isnan(found) & ~(self.sampled[inf] <= found)
        who = inf[better]
        self.sampled[who] = found[better]
        self.screening_found[who] = True
        self.last_negative[who] = prev[better]
        lo_r, hi_r = p.report_delay_hours
        self.confirmed[who] = self.sampled[who] + rng.uniform(lo_r, hi_r, len(who)) * H
        self.isolated[who] = self.confirmed[who] + rng.uniform(*p.isolate_delay_hours, len(who)) * H

    # --- one day ------------------------------------------------------------------------
    def step(self) -> DayResult:
        """Simulate the next day and return what happened (its index, scans, infections)."""
        d = self.day
        s0, s1 = d * DAY, (d + 1) * DAY
        base, people, venues = self.base, self.base.people, self.base.venues
        rng = self._rng(d, 1)
        iso, qf, qu = self.isolated, self.q_from, self.q_until
        away_all = (iso <= s0) | ((qf <= s0) & (qu >= s1))
        avail_lo = np.where((qf <= s0) & (qu > s0) & (qu < s1), qu, s0)
        avail_hi = np.full(self._n, float(s1))
        avail_hi = np.where((iso > s0) & (iso < s1), np.minimum(avail_hi, iso), avail_hi)
        avail_hi = np.where((qf > s0) & (qf < s1), np.minimum(avail_hi, qf), avail_hi)
        sick = (self.symptomatic & (self.onset < s1) & (self.inf_end + 3 * DAY > s0)
                & (rng.random(self._n) < self.outbreak.sick_stay_home))
        free = ~away_all & ~sick
        closed = np.zeros(len(venues.type_code), dtype=bool)
        for mask, lo, hi in self.closures:
            if lo < s1 and hi > s0:
                closed |= mask
        weekday = (base.start.weekday() + d) % 7
        out = plan_day(d, weekday, people, venues, base.habits, free, closed, rng,
                       fixed=self._fixed)
        p, v, g = out.person, out.venue, out.group
        a, b = out.t_in + s0, out.t_out + s0
        assert out.first_in is not None and out.last_out is not None
        # A person's stays come in time order: the day's first entry and last exit are
        # the plan's, except for people available only part of the day (few).
        first_in = np.where(out.first_in >= 0, out.first_in + s0, np.inf)
        last_out = np.where(out.last_out >= 0, out.last_out + s0, -np.inf)
        part_day = (avail_lo > s0) | (avail_hi < s1)
        if part_day.any():
            rows = np.flatnonzero(part_day[p])
            pr = p[rows]
            b[rows] = np.minimum(b[rows], avail_hi[pr]).astype(np.int64)
            keep = np.ones(len(p), dtype=bool)
            keep[rows] = (a[rows] >= avail_lo[pr]) & (a[rows] < avail_hi[pr])
            if not keep.all():
                p, v, a, b, g = p[keep], v[keep], a[keep], b[keep], g[keep]
                rows = np.flatnonzero(part_day[p])
            first_in[part_day] = np.inf
            last_out[part_day] = -np.inf
            np.minimum.at(first_in, p[rows], a[rows])
            np.maximum.at(last_out, p[rows], b[rows])
        # Home: released people are home again; leaving closes the open home stay.
        released = (qu >= s0) & (qu < s1) & np.isnan(self.open_home) & ~(iso <= qu)
        self.open_home[released] = qu[released]
        went = np.flatnonzero(np.isfinite(first_in))
        leave = first_in[went] - rng.integers(5 * 60, 20 * 60, len(went))
        ret = last_out[went] + rng.integers(5 * 60, 25 * 60, len(went))
        home = people.home
        oh = self.open_home[went]
        close_ok = ~np.isnan(oh) & (oh < leave)
        hp = [went[close_ok]]
        hs = [oh[close_ok]]
        he = [leave[close_ok]]
        back = ret < avail_hi[went]
        self.open_home[went] = np.where(back, ret, np.nan)
        ret_p, ret_t = went[back], ret[back].astype(np.int64)
        # Isolation or quarantine starting by the end of today ends the stay at home.
        inf = np.inf
        away_start = np.minimum(np.where(iso < s1, iso, inf),
                                np.where((qf < s1) & (qu > s0), qf, inf))
        oh = self.open_home
        removed = np.flatnonzero(~np.isnan(oh) & (away_start < s1) & (oh < away_start))
        hp.append(removed)
        hs.append(oh[removed])
        he.append(away_start[removed])
        self.open_home[removed] = np.nan
        hp_, hs_, he_ = (np.concatenate(x) for x in (hp, hs, he))
        self.presence.append((p, v, a, b, g))
        self.presence.append((hp_, home[hp_], hs_.astype(np.int64), he_.astype(np.int64),
                              np.full(len(hp_), -1)))
        self._transmit(d, p, v, a, b, away_all | (avail_hi < s1) | (avail_lo > s0), rng)
        # Scans: venue entries and returns home (whose end is not known yet).
        sp = np.concatenate([p, ret_p])
        sv = np.concatenate([v, home[ret_p]])
        st = np.concatenate([a, ret_t])
        se = np.concatenate([b, np.full(len(ret_p), -1, dtype=np.int64)])
        sg = np.concatenate([g, np.full(len(ret_p), -1)])
        scans = day_scans(sp, sv, st, se, sg, d, people, venues, self.setup, self.log, free,
                          self._rng(d, 2))
        self.scans.append(scans)
        for k, val in scans.counts.items():
            self.fault_counts[k] = self.fault_counts.get(k, 0) + val
        self.day += 1
        new = int(((self.infected_at >= s0) & (self.infected_at < s1)).sum())
        return DayResult(day=d, scans=scans, new_infections=new)

    def _transmit(self, d: int, p: np.ndarray, v: np.ndarray, a: np.ndarray, b: np.ndarray,
                  not_home_tonight: np.ndarray, rng: np.random.Generator) -> None:
        s0, s1 = d * DAY, (d + 1) * DAY
        venues, people = self.base.venues, self.base.people
        susceptible = np.isnan(self.infected_at)
        public = ~venues.residence[v]
        ev = venue_events(p[public], v[public], a[public], b[public], self.inf_start,
                          self.inf_end, self.onset, self.relative, susceptible, venues.weight,
                          self.outbreak, rng)
        infectious = np.flatnonzero((self.inf_start < s1) & (self.inf_end > s0))
        at_home = ~not_home_tonight
        eh = household_events(infectious, (s0 + 18 * H, float(s1)), self._hh_offsets,
                              self._hh_members, people.household, at_home, susceptible,
                              self.inf_start, self.inf_end, self.onset, self.relative,
                              self.outbreak, rng)
        who = np.concatenate([ev.person, eh.person])
        if not len(who):
            return
        when = np.concatenate([ev.time, eh.time])
        src = np.concatenate([ev.infector, eh.infector])
        ven = np.concatenate([ev.venue, eh.venue])
        order = np.lexsort((when, who))
        first = order[np.r_[True, who[order][1:] != who[order][:-1]]]
        setting = np.where(ven[first] >= 0, _SETTING_CODE[c.VENUE], _SETTING_CODE[c.HOUSEHOLD])
        self._infect(who[first], when[first], src[first], ven[first], setting.astype(np.int8),
                     rng)


@dataclass(frozen=True)
class DayResult:
    """What :meth:`Simulation.step` returns: the day index, its scans, new infections."""

    day: int
    scans: DayScans
    new_infections: int
