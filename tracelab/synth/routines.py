"""Daily routines: who goes where and when, vectorised over the whole population.

A day is a chain of optional activities per person (market, commute, work or school,
errands, meals, entertainment, household outings, return home) laid out with a time
cursor, so that no one is in two places at once. All rates and times are design
defaults chosen to give 3-5 place-code scans per person-day, the order of magnitude of
the design's 14M visits for the county over two weeks (DESIGN.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracelab.synth import columns as c
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
            for t in np.unique(town):
                sel = np.flatnonzero(town == t)
                cand = seat_cand if t < 0 else all_cand[venues.township[all_cand] == t]
                if not len(cand):
                    cand = all_cand
                w = venues.popularity[cand]
                out[sel] = cand[rng.choice(len(cand), size=(len(sel), _N_FAV), p=w / w.sum())]
        fav[code] = out
    start = np.full(n, 8.0)
    length = np.full(n, 9.0)
    weekend = np.zeros((n, 2))
    wtype = np.where(people.work >= 0, venues.type_code[np.maximum(people.work, 0)], "")
    for code, (h0, hours, sat, sun) in _SHIFTS.items():
        sel = (wtype == code) & (people.role == c.WORKER)
        start[sel], length[sel] = h0, hours
        weekend[sel] = (sat, sun)
    start = start + rng.normal(0, 0.25, n)
    bus = rng.random(n) < np.where(people.rural, 0.35, 0.18)
    lunch = np.where(people.role == c.WORKER, rng.beta(1.0, 4.0, n), 0.0)
    return Habits(fav=fav, shift_start=start, shift_len=length, weekend_work=weekend,
                  bus_user=bus, lunch_out=lunch)


class _Day:
    """Accumulates stays with a per-person time cursor (seconds after midnight)."""

    def __init__(self, n: int, rng: np.random.Generator, closed: np.ndarray) -> None:
        self.rng = rng
        self.closed = closed
        self.cursor = np.zeros(n, dtype=np.int64)
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, mask: np.ndarray, venue: np.ndarray, earliest: np.ndarray | int,
            dur: np.ndarray, *, latest: int = 23 * H + 30 * M,
            group: np.ndarray | None = None, travel: bool = True) -> np.ndarray:
        n = len(mask)
        gap = self.rng.integers(5 * M, 25 * M, n) if travel else np.zeros(n, dtype=np.int64)
        t_in = np.maximum(self.cursor + gap, earliest) + self.rng.integers(0, 60, n)
        t_out = t_in + dur.astype(np.int64)
        ok = mask & (venue >= 0) & (t_out <= latest) & (t_out > t_in)
        ok[ok] &= ~self.closed[venue[ok]]
        idx = np.flatnonzero(ok)
        self.cursor[idx] = t_out[idx]
        g = np.full(len(idx), -1, dtype=np.int64) if group is None else group[idx]
        self.parts.append((idx, venue[idx], t_in[idx], t_out[idx], g))
        return ok

    def result(self) -> Outings:
        if not self.parts:
            e = np.empty(0, dtype=np.int64)
            return Outings(e, e, e, e, e)
        cols = [np.concatenate([p[i] for p in self.parts]).astype(np.int64) for i in range(5)]
        return Outings(*cols)


def _pick(fav: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = rng.choice(_N_FAV, size=len(fav), p=_FAV_P)
    return fav[np.arange(len(fav)), k]


def _minutes(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return (rng.uniform(lo, hi, n) * M).astype(np.int64)


def plan_day(day: int, weekday: int, people: People, venues: Venues, habits: Habits,
             free: np.ndarray, closed: np.ndarray, rng: np.random.Generator) -> Outings:
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
    n = len(people.age)
    role, age = people.role, people.age
    weekend = weekday >= 5
    d = _Day(n, rng, closed)
    u = lambda: rng.random(n)  # noqa: E731
    fav = habits.fav
    worker = (role == c.WORKER) & free
    if weekend:
        works_today = worker & (u() < habits.weekend_work[:, weekday - 5])
    else:
        works_today = worker & (u() < 0.96)
    school_today = (role == c.STUDENT) & free & (not weekend) & (people.work >= 0) & (u() < 0.97)
    idle = free & ~works_today & ~school_today & (role != c.CHILD)
    elderly = age >= 60
    market_day = ((day + people.township) % 3 == 0) & people.rural

    d.cursor[:] = (rng.uniform(6.3, 8.5, n) * H).astype(np.int64)
    p_market = np.where(role == c.FARMER, 0.12, 0.25) * np.where(market_day, 2.0, 1.0)
    d.add(idle & (age >= 18) & (u() < p_market), _pick(fav["farmers_market"], rng), 0,
          _minutes(rng, 20, 60, n), latest=11 * H)
    commute = (works_today | school_today) & habits.bus_user & (age >= 10)
    d.add(commute, _pick(fav["transit"], rng), 0, _minutes(rng, 15, 35, n))

    # Work: one stay, or two around a lunch out.
    w_start = (habits.shift_start * H).astype(np.int64)
    w_end = w_start + (habits.shift_len * H).astype(np.int64) + rng.integers(-20 * M, 30 * M, n)
    lunch = works_today & (u() < habits.lunch_out) & (w_start < 11 * H) & (w_end > 14 * H)
    whole = works_today & ~lunch
    d.add(whole, people.work, w_start, w_end - np.maximum(d.cursor + 10 * M, w_start),
          latest=24 * H - 1)
    noon = 12 * H + rng.integers(-10 * M, 15 * M, n)
    lunch = d.add(lunch, people.work, w_start, noon - np.maximum(d.cursor + 10 * M, w_start))
    d.add(lunch, _pick(fav["restaurant"], rng), 0, _minutes(rng, 30, 55, n))
    d.add(lunch, people.work, 0, w_end - d.cursor - 10 * M, latest=24 * H - 1)

    # School: senior pupils (15+) start earlier and stay later.
    s_start = np.where(age >= 15, 7 * H + 10 * M, 7 * H + 45 * M) + rng.integers(-10 * M, 10 * M, n)
    s_end = np.where(age >= 15, 17 * H + 30 * M, 16 * H + 30 * M) + rng.integers(0, 20 * M, n)
    d.add(school_today, people.work, s_start, s_end - np.maximum(d.cursor + 10 * M, s_start))

    # Daytime errands of people not at work or school, spread over the day: each starts
    # no earlier than a random hour, and never before the previous one ended.
    def when(lo: float, hi: float) -> np.ndarray:
        return (rng.uniform(lo, hi, n) * H).astype(np.int64)

    p_clinic = np.where(elderly, 0.035, 0.012)
    d.add(idle & (u() < 0.25), _pick(fav["supermarket"], rng), when(8.5, 11.5),
          _minutes(rng, 15, 45, n))
    d.add(idle & (u() < 0.04), _pick(fav["pharmacy"], rng), when(8.5, 16.0),
          _minutes(rng, 5, 15, n))
    d.add(idle & (u() < p_clinic), _pick(fav["hospital"], rng), when(7.5, 14.5),
          _minutes(rng, 60, 180, n))
    d.add(idle & (age >= 18) & (u() < 0.01), _pick(fav["government"], rng), when(8.5, 16.0),
          _minutes(rng, 15, 60, n))
    d.add(idle & (age >= 12) & (u() < (0.07 if weekend else 0.02)), _pick(fav["mall"], rng),
          when(10.0, 16.0), _minutes(rng, 45, 150, n))
    d.add(idle & (age >= 12) & (u() < (0.10 if weekend else 0.06)),
          _pick(fav["restaurant"], rng), when(11.2, 12.5), _minutes(rng, 40, 80, n))
    d.add(idle & (age >= 18) & (u() < 0.08), _pick(fav["supermarket"], rng), when(13.5, 17.5),
          _minutes(rng, 10, 30, n))

    _household_outing(d, people, habits, free & ~works_today, weekend, rng)

    # After work or school.
    busy = works_today | school_today
    adult = age >= 18
    d.add(busy & (age >= 10) & (u() < np.where(adult, 0.2, 0.1)), _pick(fav["supermarket"], rng), 0,
          _minutes(rng, 15, 40, n))
    d.add(busy & adult & (u() < 0.02), _pick(fav["pharmacy"], rng), 0, _minutes(rng, 5, 15, n))
    d.add(free & (age >= 15) & (u() < (0.18 if weekend else 0.10)),
          _pick(fav["restaurant"], rng), 18 * H, _minutes(rng, 45, 100, n))
    young = free & (age >= 16) & (age <= 40)
    d.add(young & (u() < (0.07 if weekend else 0.03)), _pick(fav["entertainment"], rng),
          19 * H, _minutes(rng, 60, 180, n))
    d.add(commute, _pick(fav["transit"], rng), 0, _minutes(rng, 15, 35, n))
    return d.result()


def _household_outing(d: _Day, people: People, habits: Habits, free: np.ndarray,
                      weekend: bool, rng: np.random.Generator) -> None:
    """Household meals out and wedding banquets: everyone free goes, same venue, same time."""
    hh = people.household
    n_hh = int(hh.max()) + 1
    first = np.r_[0, np.flatnonzero(np.diff(hh)) + 1]  # first member of each household
    u = rng.random(n_hh)
    meal = u < (0.10 if weekend else 0.03)
    banquet = (~meal) & (u < (0.10 if weekend else 0.03) + (0.008 if weekend else 0.0))
    meal_venue = _pick(habits.fav["restaurant"][first], rng)
    hotel_venue = _pick(habits.fav["hotel"][first], rng)
    venue_hh = np.where(meal, meal_venue, np.where(banquet, hotel_venue, -1))
    start_hh = np.where(banquet, 11 * H + 30 * M,
                        np.where(rng.random(n_hh) < 0.5, 11 * H + 45 * M, 18 * H))
    start_hh = start_hh + rng.integers(0, 20 * M, n_hh)
    dur_hh = np.where(banquet, rng.integers(120 * M, 180 * M, n_hh),
                      rng.integers(50 * M, 100 * M, n_hh))
    going = free & (venue_hh[hh] >= 0) & (d.cursor + 10 * M <= start_hh[hh])
    group = np.where(going, hh, -1)
    # No travel jitter: the household walks in together (within a minute).
    d.add(going, venue_hh[hh], start_hh[hh], dur_hh[hh], group=group, travel=False)
