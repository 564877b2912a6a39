"""Daily routines: who goes where and when, vectorised over the whole population.

A day is a chain of optional activities per person (market, commute, work or school,
errands, meals, entertainment, household outings, return home) laid out with a time
cursor, so that no one is in two places at once. All rates and times are design
defaults chosen to give 3-5 place-code scans per person-day, the order of magnitude of
the design's 14M visits for the county over two weeks (DESIGN.md §5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracelab.synth import columns as c
from tracelab.synth._draws import choice
from tracelab.synth.population import People
from tracelab.synth.registry import Venues

__all__ = ["Habits", "Outings", "make_habits", "plan_day", "ERRAND_TYPES"]

H = 3600  # seconds per hour
M = 60
DAY = 86400
ERRAND_TYPES = ("farmers_market", "supermarket", "restaurant", "pharmacy", "hospital", "mall",
                "government", "entertainment", "transit", "hotel")
_N_FAV = 3
_FAV_P = np.array([0.6, 0.3, 0.1])
# Start hour, shift hours, probability of working on a Saturday / Sunday per workplace type.
_SHIFTS = {
    "enterprise": (8.0, 9.0, 0.3, 0.1), "government": (8.0, 9.0, 0.05, 0.02),
    "school": (7.5, 9.5, 0.03, 0.02), "hospital": (7.5, 9.0, 0.7, 0.6),
    "supermarket": (8.0, 10.0, 0.85, 0.85), "restaurant": (10.0, 11.0, 0.85, 0.85),
    "farmers_market": (5.5, 7.0, 0.9, 0.9), "pharmacy": (8.0, 10.0, 0.8, 0.8),
    "mall": (9.5, 10.0, 0.85, 0.85), "hotel": (8.0, 10.0, 0.8, 0.8),
    "entertainment": (17.0, 7.0, 0.9, 0.9), "transit": (6.5, 10.0, 0.8, 0.7),
}
# County share of people who travel somewhere in the county seat for shopping and care.
_SEAT_SHARE = {"mall": 1.0, "hospital": 0.3, "hotel": 0.3}


@dataclass(frozen=True)
class Habits:
    """Persistent per-person habits: favourite venues per errand type, shifts, bus use."""

    fav: dict[str, np.ndarray]  # code -> (n, 3) venue indices, -1 if none
    shift_start: np.ndarray  # float hours, workers only
    shift_len: np.ndarray
    weekend_work: np.ndarray  # (n, 2) probabilities Saturday, Sunday
    bus_user: np.ndarray  # bool
    lunch_out: np.ndarray  # float probability of lunch at a restaurant on a workday


@dataclass(frozen=True)
class Outings:
    """One day's stays away from home, seconds after local midnight of the day."""

    person: np.ndarray  # int64
    venue: np.ndarray  # int64
    t_in: np.ndarray  # int64
    t_out: np.ndarray  # int64
    group: np.ndarray  # int64: household-outing group, -1 if alone
    first_in: np.ndarray | None = None  # per person: first t_in, -1 if out nowhere
    last_out: np.ndarray | None = None  # per person: last t_out, -1 if out nowhere


def make_habits(people: People, venues: Venues, rng: np.random.Generator) -> Habits:
    """Draw favourites (by popularity, mostly in the home township) and work habits.

    Examples
    --------
    >>> from tracelab.synth.county import build_county
    >>> habits = build_county(300, seed=1).habits
    >>> habits.fav["restaurant"].shape
    (300, 3)
    """
    n = len(people.age)
    fav: dict[str, np.ndarray] = {}
    for code in ERRAND_TYPES:
        out = np.full((n, _N_FAV), -1, dtype=np.int64)
        all_cand = venues.of_type(code)
        if len(all_cand):
            seat_cand = all_cand[venues.township[all_cand] == 0]
            if not len(seat_cand):
                seat_cand = all_cand
            to_seat = rng.random(n) < _SEAT_SHARE.get(code, 0.15)
            town = np.where(to_seat, -1, people.township)
            # The people of each town (-1: the seat's shoppers), ascending: one sort.
            group = town + 1
            by_town = np.argsort(group.astype(np.int16), kind="stable")
            size = np.bincount(group)
            ends = np.cumsum(size)
            for g in np.flatnonzero(size):
                t = g - 1
                sel = by_town[ends[g] - size[g]:ends[g]]
                cand = seat_cand if t < 0 else all_cand[venues.township[all_cand] == t]
                if not len(cand):
                    cand = all_cand
                w = venues.popularity[cand]
                out[sel] = cand[choice(rng, len(cand), (len(sel), _N_FAV), w / w.sum())]
        fav[code] = out
    start = np.full(n, 8.0)
    length = np.full(n, 9.0)
    weekend = np.zeros((n, 2))
    works = (people.work >= 0) & (people.role == c.WORKER)
    workplace = np.maximum(people.work, 0)
    for code, (h0, hours, sat, sun) in _SHIFTS.items():
        sel = works & (venues.type_code == code)[workplace]
        start[sel], length[sel] = h0, hours
        weekend[sel] = (sat, sun)
    start = start + rng.normal(0, 0.25, n)
    bus = rng.random(n) < np.where(people.rural, 0.35, 0.18)
    lunch = np.where(people.role == c.WORKER, rng.beta(1.0, 4.0, n), 0.0)
    return Habits(fav=fav, shift_start=start, shift_len=length, weekend_work=weekend,
                  bus_user=bus, lunch_out=lunch)


class _Day:
    """Accumulates stays with a per-person time cursor (seconds after midnight).

    Every :meth:`add` draws its random numbers for the whole population, as the day's
    random stream is laid out, but computes only for the people it concerns.
    """

    def __init__(self, n: int, rng: np.random.Generator, closed: np.ndarray) -> None:
        self.n = n
        self.rng = rng
        self.closed = closed if closed.any() else None
        self.cursor = np.zeros(n, dtype=np.int64)
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, who: np.ndarray, venue: _Values, earliest: _Values | int, dur: _Values, *,
            latest: int = 23 * H + 30 * M, group: _Values | None = None,
            travel: bool = True) -> np.ndarray:
        """Add a stay for ``who`` (bool mask or ascending rows); return the rows added."""
        n = self.n
        gap = self.rng.integers(5 * M, 25 * M, n) if travel else None
        jitter = self.rng.integers(0, 60, n)
        idx = np.flatnonzero(who) if who.dtype == bool else who
        v = _at(venue, idx)
        cursor = self.cursor[idx]
        t_in = np.maximum(cursor + gap[idx] if gap is not None else cursor,
                          _at(earliest, idx)) + jitter[idx]
        t_out = t_in + _at(dur, idx).astype(np.int64, copy=False)
        ok = (v >= 0) & (t_out <= latest) & (t_out > t_in)
        if self.closed is not None:
            ok[ok] &= ~self.closed[v[ok]]
        if not ok.all():
            idx, v, t_in, t_out = idx[ok], v[ok], t_in[ok], t_out[ok]
        self.cursor[idx] = t_out
        g = np.full(len(idx), -1, dtype=np.int64) if group is None else _at(group, idx)
        self.parts.append((idx, v, t_in, t_out, g))
        return idx

    def result(self) -> Outings:
        # A person's stays are added in time order, and once per add: the first entry
        # is the one of the earliest add.
        first = np.full(self.n, -1, dtype=np.int64)
        for idx, _v, t_in, _t_out, _g in reversed(self.parts):
            first[idx] = t_in
        last = np.where(first >= 0, self.cursor, -1)
        if not self.parts:
            e = np.empty(0, dtype=np.int64)
            return Outings(e, e, e, e, e, first, last)
        cols = [np.concatenate([p[i] for p in self.parts]).astype(np.int64, copy=False)
                for i in range(5)]
        return Outings(cols[0], cols[1], cols[2], cols[3], cols[4], first_in=first,
                       last_out=last)


class _Lazy:
    """A per-person value drawn for everyone, computed only for the rows asked for."""

    def at(self, idx: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class _Pick(_Lazy):
    """One of three favourites, by :data:`_FAV_P`: ``rng.choice``'s own draw, kept raw."""

    _CDF = _FAV_P.cumsum() / _FAV_P.cumsum()[-1]

    def __init__(self, fav: np.ndarray, u: np.ndarray) -> None:
        self.fav, self.u = fav, u

    def at(self, idx: np.ndarray) -> np.ndarray:
        # Generator.choice(3, p=_FAV_P) is cdf.searchsorted(random(), "right"): the
        # number of cdf values <= u (the last is 1.0 > u).
        u = self.u[idx]
        k = (u >= self._CDF[0]).view(np.int8) + (u >= self._CDF[1]).view(np.int8)
        return np.take(self.fav.reshape(-1), idx * _N_FAV + k)


class _Scaled(_Lazy):
    """``(raw * scale).astype(int64)``, row by row."""

    def __init__(self, raw: np.ndarray, scale: int) -> None:
        self.raw, self.scale = raw, scale

    def at(self, idx: np.ndarray) -> np.ndarray:
        return (self.raw[idx] * self.scale).astype(np.int64, copy=False)


class _Fn(_Lazy):
    """Values computed by ``fn`` from the rows asked for."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.fn = fn

    def at(self, idx: np.ndarray) -> np.ndarray:
        return self.fn(idx)


_Values = np.ndarray | _Lazy


def _at(values: _Values | int, idx: np.ndarray) -> Any:
    if isinstance(values, _Lazy):
        return values.at(idx)
    if isinstance(values, np.ndarray):
        return values[idx]
    return values


def _pick(fav: np.ndarray, rng: np.random.Generator) -> _Pick:
    return _Pick(fav, rng.random(len(fav)))


def _minutes(rng: np.random.Generator, lo: float, hi: float, n: int) -> _Scaled:
    return _Scaled(rng.uniform(lo, hi, n), M)


@dataclass(frozen=True)
class _Fixed:
    """What :func:`plan_day` needs of the county that does not change from day to day."""

    worker: np.ndarray
    pupil: np.ndarray  # student with a school
    not_child: np.ndarray
    age10: np.ndarray
    age12: np.ndarray
    age15: np.ndarray
    adult: np.ndarray
    young: np.ndarray  # 16-40
    rural: np.ndarray
    town_mod3: np.ndarray
    p_market: np.ndarray
    p_clinic: np.ndarray
    p_shop_after: np.ndarray
    w_start: np.ndarray
    w_base_end: np.ndarray
    s_start: np.ndarray
    s_end: np.ndarray
    early_worker: np.ndarray  # starts before 11:00
    bus: np.ndarray
    hh_fav: dict[str, np.ndarray]
    n_hh: int


def fixed_for_days(people: People, habits: Habits) -> _Fixed:
    """Precompute :func:`plan_day`'s per-run constants (pass them as ``fixed``)."""
    role, age = people.role, people.age
    w_start = (habits.shift_start * H).astype(np.int64)
    hh = people.household
    first = np.r_[0, np.flatnonzero(np.diff(hh)) + 1]  # first member of each household
    return _Fixed(
        worker=role == c.WORKER, pupil=(role == c.STUDENT) & (people.work >= 0),
        not_child=role != c.CHILD, age10=age >= 10, age12=age >= 12, age15=age >= 15,
        adult=age >= 18, young=(age >= 16) & (age <= 40), rural=people.rural,
        town_mod3=people.township % 3,
        p_market=np.where(role == c.FARMER, 0.12, 0.25),
        p_clinic=np.where(age >= 60, 0.035, 0.012),
        p_shop_after=np.where(age >= 18, 0.2, 0.1),
        w_start=w_start, w_base_end=w_start + (habits.shift_len * H).astype(np.int64),
        s_start=np.where(age >= 15, 7 * H + 10 * M, 7 * H + 45 * M),
        s_end=np.where(age >= 15, 17 * H + 30 * M, 16 * H + 30 * M),
        early_worker=w_start < 11 * H, bus=habits.bus_user & (age >= 10),
        hh_fav={k: habits.fav[k][first] for k in ("restaurant", "hotel")},
        n_hh=int(hh.max()) + 1)


def plan_day(day: int, weekday: int, people: People, venues: Venues, habits: Habits,
             free: np.ndarray, closed: np.ndarray, rng: np.random.Generator, *,
             fixed: _Fixed | None = None) -> Outings:
    """Lay out one day's stays away from home.

    Parameters
    ----------
    day : int
        Day index from the start (market days in rural townships cycle every 3 days).
    weekday : int
        0 Monday ... 6 Sunday.
    people, venues, habits
        The county.
    free : numpy.ndarray of bool
        People who may go out today (not isolated, quarantined or staying in sick).
    closed : numpy.ndarray of bool
        Venues closed today: nobody visits them.
    rng : numpy.random.Generator
        Random source of this day.
    fixed : optional
        :func:`fixed_for_days` of ``people`` and ``habits``, computed once for a run.

    Returns
    -------
    Outings

    Examples
    --------
    >>> from tracelab.synth.county import build_county
    >>> b = build_county(300, seed=1)
    >>> out = plan_day(0, 4, b.people, b.venues, b.habits, np.ones(300, bool),
    ...                np.zeros(len(b.venues.type_code), bool), np.random.default_rng(0))
    >>> bool((out.t_out > out.t_in).all()), bool((out.t_out < DAY).all())
    (True, True)
    """
    # Every draw below is made for the whole population, in this order, whoever it
    # concerns: the stream of a day, and so the county of a seed, stays the same.
    f = fixed if fixed is not None else fixed_for_days(people, habits)
    n = len(people.age)
    weekend = weekday >= 5
    d = _Day(n, rng, closed)
    u = lambda: rng.random(n)  # noqa: E731
    fav = habits.fav
    worker = f.worker & free
    if weekend:
        works_today = worker & (u() < habits.weekend_work[:, weekday - 5])
    else:
        works_today = worker & (u() < 0.96)
    school_today = f.pupil & free & (not weekend) & (u() < 0.97)
    idle = free & ~works_today & ~school_today & f.not_child
    market_day = (f.town_mod3 == (-day) % 3) & f.rural

    d.cursor[:] = (rng.uniform(6.3, 8.5, n) * H).astype(np.int64)
    p_market = np.where(market_day, f.p_market * 2.0, f.p_market)
    d.add(idle & f.adult & (u() < p_market), _pick(fav["farmers_market"], rng), 0,
          _minutes(rng, 20, 60, n), latest=11 * H)
    busy = works_today | school_today
    commute = np.flatnonzero(busy & f.bus)
    d.add(commute, _pick(fav["transit"], rng), 0, _minutes(rng, 15, 35, n))

    # Work: one stay, or two around a lunch out.
    w_start = f.w_start
    w_end = f.w_base_end + rng.integers(-20 * M, 30 * M, n)
    lunch = works_today & (u() < habits.lunch_out) & f.early_worker & (w_end > 14 * H)
    whole = works_today & ~lunch
    work = people.work
    cursor = d.cursor
    d.add(whole, work, w_start,
          _Fn(lambda i: w_end[i] - np.maximum(cursor[i] + 10 * M, w_start[i])),
          latest=24 * H - 1)
    noon = 12 * H + rng.integers(-10 * M, 15 * M, n)
    lunch_rows = d.add(lunch, work, w_start,
                       _Fn(lambda i: noon[i] - np.maximum(cursor[i] + 10 * M, w_start[i])))
    d.add(lunch_rows, _pick(fav["restaurant"], rng), 0, _minutes(rng, 30, 55, n))
    d.add(lunch_rows, work, 0, _Fn(lambda i: w_end[i] - cursor[i] - 10 * M),
          latest=24 * H - 1)

    # School: senior pupils (15+) start earlier and stay later.
    s_start = f.s_start + rng.integers(-10 * M, 10 * M, n)
    s_end = f.s_end + rng.integers(0, 20 * M, n)
    d.add(school_today, work, s_start,
          _Fn(lambda i: s_end[i] - np.maximum(cursor[i] + 10 * M, s_start[i])))

    # Daytime errands of people not at work or school, spread over the day: each starts
    # no earlier than a random hour, and never before the previous one ended.
    def when(lo: float, hi: float) -> _Scaled:
        return _Scaled(rng.uniform(lo, hi, n), H)

    d.add(idle & (u() < 0.25), _pick(fav["supermarket"], rng), when(8.5, 11.5),
          _minutes(rng, 15, 45, n))
    d.add(idle & (u() < 0.04), _pick(fav["pharmacy"], rng), when(8.5, 16.0),
          _minutes(rng, 5, 15, n))
    d.add(idle & (u() < f.p_clinic), _pick(fav["hospital"], rng), when(7.5, 14.5),
          _minutes(rng, 60, 180, n))
    d.add(idle & f.adult & (u() < 0.01), _pick(fav["government"], rng), when(8.5, 16.0),
          _minutes(rng, 15, 60, n))
    d.add(idle & f.age12 & (u() < (0.07 if weekend else 0.02)), _pick(fav["mall"], rng),
          when(10.0, 16.0), _minutes(rng, 45, 150, n))
    d.add(idle & f.age12 & (u() < (0.10 if weekend else 0.06)),
          _pick(fav["restaurant"], rng), when(11.2, 12.5), _minutes(rng, 40, 80, n))
    d.add(idle & f.adult & (u() < 0.08), _pick(fav["supermarket"], rng), when(13.5, 17.5),
          _minutes(rng, 10, 30, n))

    _household_outing(d, people, f, free & ~works_today, weekend, rng)

    # After work or school.
    d.add(busy & f.age10 & (u() < f.p_shop_after), _pick(fav["supermarket"], rng), 0,
          _minutes(rng, 15, 40, n))
    d.add(busy & f.adult & (u() < 0.02), _pick(fav["pharmacy"], rng), 0,
          _minutes(rng, 5, 15, n))
    d.add(free & f.age15 & (u() < (0.18 if weekend else 0.10)),
          _pick(fav["restaurant"], rng), 18 * H, _minutes(rng, 45, 100, n))
    d.add(free & f.young & (u() < (0.07 if weekend else 0.03)), _pick(fav["entertainment"], rng),
          19 * H, _minutes(rng, 60, 180, n))
    d.add(commute, _pick(fav["transit"], rng), 0, _minutes(rng, 15, 35, n))
    return d.result()


def _household_outing(d: _Day, people: People, f: _Fixed, free: np.ndarray,
                      weekend: bool, rng: np.random.Generator) -> None:
    """Household meals out and wedding banquets: everyone free goes, same venue, same time."""
    hh = people.household
    n_hh = f.n_hh
    u = rng.random(n_hh)
    meal = u < (0.10 if weekend else 0.03)
    banquet = (~meal) & (u < (0.10 if weekend else 0.03) + (0.008 if weekend else 0.0))
    meal_venue = _pick(f.hh_fav["restaurant"], rng)
    hotel_venue = _pick(f.hh_fav["hotel"], rng)
    out = np.flatnonzero(meal | banquet)
    venue_hh = np.full(n_hh, -1, dtype=np.int64)
    venue_hh[out] = np.where(meal[out], meal_venue.at(out), hotel_venue.at(out))
    start_hh = np.where(banquet, 11 * H + 30 * M,
                        np.where(rng.random(n_hh) < 0.5, 11 * H + 45 * M, 18 * H))
    start_hh = start_hh + rng.integers(0, 20 * M, n_hh)
    dur_hh = np.where(banquet, rng.integers(120 * M, 180 * M, n_hh),
                      rng.integers(50 * M, 100 * M, n_hh))
    rows = np.flatnonzero(free & (venue_hh >= 0)[hh])
    rows = rows[d.cursor[rows] + 10 * M <= start_hh[hh[rows]]]
    # No travel jitter: the household walks in together (within a minute).
    d.add(rows, _Fn(lambda i: venue_hh[hh[i]]), _Fn(lambda i: start_hh[hh[i]]),
          _Fn(lambda i: dur_hh[hh[i]]), group=hh, travel=False)
