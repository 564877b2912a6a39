"""Synthetic residents: households in compounds and villages, ages, roles, phones, IDs.

Household templates are tuned so that the age shares match the 2020 census of Luxi
County (DOMAIN §7.1: 0-14 22.07 %, 60+ 20.72 %, 65+ 14.7 %, 51.35 % male); the
template mix itself is a design default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.synth import columns as c
from tracelab.synth import names
from tracelab.synth._draws import choice
from tracelab.synth.registry import Venues

__all__ = ["TOWNSHIP_SHARE", "URBAN_SHARE", "People", "split_population", "make_people",
           "person_ids"]

#: Share of the county's residents per township (order of the township table) and the
#: share of them living in compounds rather than villages: design defaults giving an
#: urban share of 56 % (end 2019: 56.22 %, DOMAIN §7.1).
TOWNSHIP_SHARE = np.array([0.30, 0.15, 0.10, 0.07, 0.08, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05])
URBAN_SHARE = np.array([0.85, 0.60, 0.50, 0.45, 0.45, 0.45, 0.30, 0.30, 0.30, 0.30, 0.30])

# Templates: (probability, kids, adults, elders). Kids 0-17, adults 20-59, elders 60+.
_TEMPLATES = (
    (0.050, 0, 0, 1),  # elder living alone
    (0.050, 0, 0, 2),  # elderly couple
    (0.130, 0, 1, 0),  # single adult
    (0.180, 0, 2, 0),  # couple without children at home
    (0.160, 1, 2, 0),  # nuclear family, one child
    (0.120, 2, 2, 0),  # nuclear family, two children
    (0.060, 1, 2, 2),  # three generations
    (0.070, 2, 2, 1),  # three generations, one grandparent
    (0.060, 1, 0, 2),  # left-behind child with grandparents (留守儿童)
    (0.020, 2, 0, 2),  # left-behind children
    (0.050, 0, 1, 1),  # adult child with an elderly parent
)
_ELDER_BANDS = np.array([60, 65, 70, 75, 80, 85, 96])
_ELDER_P = np.array([0.29, 0.25, 0.19, 0.13, 0.09, 0.05])


@dataclass(frozen=True)
class People:
    """The persons table plus integer arrays for the simulation.

    The table (names, ID numbers, phones) is drawn when first asked for: a replay never
    needs it. Its draws come last in the people's random stream, so it is the same
    table whenever it is built.
    """

    age: np.ndarray  # int
    role: np.ndarray  # object: one of columns.ROLES
    household: np.ndarray  # int: household index
    home: np.ndarray  # int: venue index of the residence
    work: np.ndarray  # int: venue index of workplace or school, -1 if none
    township: np.ndarray  # int
    smartphone: np.ndarray  # bool
    rural: np.ndarray  # bool: lives in a village
    identity: Callable[[], pd.DataFrame] = field(repr=False, compare=False)

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The persons table (``columns.PERSON_COLUMNS``)."""
        return self.identity()

    @functools.cached_property
    def ids(self) -> np.ndarray:
        """``person_id`` of each row, an object array (without building the table)."""
        return np.array(person_ids(len(self.age)), dtype=object)

    def id_of(self, rows: np.ndarray) -> np.ndarray:
        """``person_id`` of some rows (an object array), without writing out every id."""
        rows = np.asarray(rows, dtype=np.int64)
        if "ids" in self.__dict__ or 4 * len(rows) > len(self.age):
            return self.ids[rows]
        return np.array([f"P{i:07d}" for i in rows.tolist()], dtype=object).reshape(rows.shape)

    @property
    def ids_in_row_order(self) -> bool:
        """Whether the ids sort as the rows do (fixed width: up to 10 million people)."""
        return len(self.age) <= 10**7


def person_ids(n: int) -> list[str]:
    """The ``person_id`` values of a county of ``n`` people, in row order.

    Examples
    --------
    >>> person_ids(2)
    ['P0000000', 'P0000001']
    """
    return [f"P{i:07d}" for i in range(n)]  # as People.id_of


@dataclass(frozen=True)
class _Identity:
    """The recipe of the persons table: its inputs and the random state to draw it from."""

    args: tuple[Any, ...]
    state: Mapping[str, Any]

    def __call__(self) -> pd.DataFrame:
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = self.state
        hh, age, male, home, work, township, smart, role, venues, start, division = self.args
        return _identity_table(hh, age, male, home, work, township, smart, role, venues, rng,
                               start, division)


#: Urban share by township kind, for counties whose number of townships differs from
#: :data:`TOWNSHIP_SHARE` (design defaults).
_URBAN_BY_KIND = {"街道": 0.90, "镇": 0.45, "乡": 0.30}


def split_population(population: int, kinds: list[str] | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Residents per township living in compounds (urban) and villages (rural).

    ``kinds`` lists the township kinds (镇, 乡, 街道, 其他) in table order, the first being
    the county seat. With eleven townships, or none given, the shares are
    :data:`TOWNSHIP_SHARE` and :data:`URBAN_SHARE`; otherwise the seat takes 30 %, the
    others shares falling with their order, and the urban share follows the kind.

    Examples
    --------
    >>> urban, rural = split_population(1000)
    >>> int(urban.sum() + rural.sum()), float(round(urban.sum() / 1000, 2))
    (1000, 0.56)
    >>> urban, rural = split_population(1000, ["街道", "街道", "镇", "乡"])
    >>> (urban + rural).tolist(), urban.tolist()
    ([300, 277, 227, 196], [270, 249, 102, 59])
    """
    if population < 50:
        raise ValueError(msg("population must be at least 50, got {population!r}",
                             population=population))
    if kinds is None or len(kinds) == len(TOWNSHIP_SHARE):
        share, urban_share = TOWNSHIP_SHARE, URBAN_SHARE
    elif not kinds:
        raise ValueError(msg("the region has no township to place people in"))
    else:
        rest = 1.0 / np.sqrt(np.arange(2, len(kinds) + 1))
        share = np.r_[0.30 if len(kinds) > 1 else 1.0, 0.70 * rest / rest.sum()]
        urban_share = np.array([_URBAN_BY_KIND.get(k, 0.30) for k in kinds])
        urban_share[0] = max(urban_share[0], 0.85)
    per_town = _largest_remainder(population, share)
    urban = np.round(per_town * urban_share).astype(int)
    return urban, per_town - urban


def _largest_remainder(total: int, share: np.ndarray) -> np.ndarray:
    raw = total * share / share.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out


def _households(n_people: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Draw households until ``n_people``; return per-person household, age, male, slot."""
    p = np.array([t[0] for t in _TEMPLATES])
    comp = np.array([t[1:] for t in _TEMPLATES])
    mean_size = float(p @ comp.sum(axis=1))
    n_hh = int(n_people / mean_size * 1.1) + 10
    kind = choice(rng, len(_TEMPLATES), n_hh, p / p.sum())
    kids, adults, elders = comp[kind].T
    size = kids + adults + elders
    cut = int(np.searchsorted(np.cumsum(size), n_people))
    kind, kids, adults, elders, size = (a[: cut + 1] for a in (kind, kids, adults, elders, size))
    size[-1] -= size.sum() - n_people  # trim the last household to the exact total
    hh = np.repeat(np.arange(len(size)), size)
    slot = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    k, a = kids[hh], adults[hh]
    is_kid = slot < k
    is_adult = (slot >= k) & (slot < k + a)
    # Eldest child's age sets the parents' ages, parents' ages the grandparents'.
    kid_age = rng.integers(0, 18, len(hh))
    eldest = np.zeros(len(size), dtype=int)
    np.maximum.at(eldest, hh[is_kid], kid_age[is_kid])
    base_parent = np.where(kids > 0, eldest + rng.integers(23, 35, len(size)),
                           rng.integers(20, 60, len(size)))
    parent_age = np.clip(base_parent[hh] + rng.integers(-3, 4, len(hh)), 20, 59)
    band = choice(rng, len(_ELDER_P), len(hh), _ELDER_P)
    elder_age = rng.integers(_ELDER_BANDS[band], _ELDER_BANDS[band + 1])
    three_gen = (kids[hh] > 0) & (a > 0)
    elder_age = np.where(three_gen, np.clip(parent_age + rng.integers(24, 32, len(hh)), 60, 95),
                         elder_age)
    age = np.where(is_kid, kid_age, np.where(is_adult, parent_age, elder_age))
    # Couples (exactly two adults, or two elders): the first male, the second female;
    # anyone else at random; kids at the sex ratio at birth of the 2000s-2010s (~1.15,
    # general knowledge); people alone are more often elderly women (widows).
    e = elders[hh]
    pair_adult = is_adult & (a == 2)
    pair_elder = ~is_kid & ~is_adult & (e == 2)
    first = (pair_adult & (slot == k)) | (pair_elder & (slot == k + a))
    u = rng.random(len(hh))
    male = np.where(pair_adult | pair_elder, first,
                    np.where(is_kid, u < 0.535, u < np.where(age >= 60, 0.42, 0.62)))
    return hh, age, male, slot


def make_people(venues: Venues, urban: np.ndarray, rural: np.ndarray,
                rng: np.random.Generator, *, start: pd.Timestamp,
                division: str = "360323") -> People:
    """Create the residents: households, homes, roles, workplaces, phones and IDs.

    Parameters
    ----------
    venues : Venues
        The registry (residences, workplaces, schools).
    urban, rural : numpy.ndarray of int
        Residents per township in compounds and villages (:func:`split_population`).
    rng : numpy.random.Generator
        Random source.
    division : str
        GB/T 2260 code of the residents' ID numbers (their county).
    start : pandas.Timestamp
        First simulated day; ages are completed years on that day.

    Returns
    -------
    People

    Examples
    --------
    >>> from tracelab.synth.county import build_county
    >>> people = build_county(400, seed=2).people
    >>> len(people.table), bool((people.age[people.role == "retiree"] >= 60).all())
    (400, True)
    """
    n = int(urban.sum() + rural.sum())
    hh, age, male, _slot = _households(n, rng)
    n_hh = int(hh.max()) + 1
    hh_size = np.bincount(hh, minlength=n_hh)
    # Place households: fill townships' urban then rural quotas in household order.
    quota = np.column_stack([urban, rural]).ravel()  # t0 urban, t0 rural, t1 urban, ...
    hh_start = np.cumsum(hh_size) - hh_size
    slot_of_hh = np.minimum(np.searchsorted(np.cumsum(quota), hh_start, side="right"),
                            len(quota) - 1)
    order = rng.permutation(n_hh)  # shuffle so that templates spread over the county
    slot_of_hh = slot_of_hh[np.argsort(order, kind="stable")]
    township_hh = slot_of_hh // 2
    rural_hh = slot_of_hh % 2 == 1
    home_hh = np.empty(n_hh, dtype=int)
    for t in np.unique(township_hh):
        for is_rural, code in ((False, "residential_compound"), (True, "village")):
            sel = np.flatnonzero((township_hh == t) & (rural_hh == is_rural))
            if not len(sel):
                continue
            cand = np.flatnonzero((venues.type_code == code) & (venues.township == t))
            if not len(cand):
                cand = np.flatnonzero(venues.residence & (venues.township == t))
            w = venues.popularity[cand]
            home_hh[sel] = cand[choice(rng, len(cand), len(sel), w / w.sum())]
    township = township_hh[hh]
    rural = rural_hh[hh]
    home = home_hh[hh]
    role = _roles(age, rural, rng)
    work = _workplaces(venues, role, age, township, rng)
    role = np.where((role == c.WORKER) & (work < 0), c.HOMEMAKER, role)
    smart = rng.random(n) < _smartphone_p(age)
    # The identity draws come last: later, from the state the stream has reached here.
    identity = _Identity((hh, age, male, home, work, township, smart, role, venues, start,
                          division), rng.bit_generator.state)
    return People(age=age, role=role, household=hh, home=home, work=work,
                  township=township, smartphone=smart, rural=rural, identity=identity)


def _roles(age: np.ndarray, rural: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(len(age))
    role = np.full(len(age), c.RETIREE, dtype=object)
    role[age <= 2] = c.CHILD
    role[(age >= 3) & (age <= 5)] = np.where(u[(age >= 3) & (age <= 5)] < 0.9, c.STUDENT,
                                             c.CHILD)
    role[(age >= 6) & (age <= 17)] = c.STUDENT
    adult = (age >= 18) & (age <= 59)
    college = adult & (age <= 21) & (u < 0.35)
    employed = adult & ~college & (u < 0.82)
    role[adult] = c.HOMEMAKER
    role[college] = c.STUDENT  # vocational and senior schools of the county
    # Village residents mostly farm; a share commutes to work in town (design default).
    farms = rng.random(len(age)) < 0.55
    role[employed] = np.where(rural[employed] & farms[employed], c.FARMER, c.WORKER)
    still_working = (age >= 60) & (age <= 64) & (u < 0.25)
    role[still_working] = np.where(rural[still_working], c.FARMER, c.WORKER)
    return role


# Where workers work (design default): share of jobs per venue type.
_JOB_SHARE = {"enterprise": 0.58, "government": 0.08, "school": 0.05, "hospital": 0.04,
              "supermarket": 0.04, "restaurant": 0.08, "farmers_market": 0.03,
              "pharmacy": 0.02, "mall": 0.03, "hotel": 0.02, "entertainment": 0.01,
              "transit": 0.02}


def _workplaces(venues: Venues, role: np.ndarray, age: np.ndarray, township: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    n = len(role)
    work = np.full(n, -1, dtype=int)
    workers = np.flatnonzero(role == c.WORKER)
    job_types = list(_JOB_SHARE)
    p = np.array(list(_JOB_SHARE.values()))
    job = choice(rng, len(job_types), len(workers), p / p.sum())
    # 80 % work in their own township, the rest in the county seat (design default).
    commute = rng.random(len(workers)) < 0.2
    target_town = np.where(commute, 0, township[workers])
    for j, code in enumerate(job_types):
        _assign(work, workers[job == j], target_town[job == j], venues, code, rng)
    students = np.flatnonzero(role == c.STUDENT)
    # Senior-school and college students go to the county seat.
    town = np.where(age[students] >= 15, 0, township[students])
    _assign(work, students, town, venues, "school", rng)
    return work


def _assign(out: np.ndarray, persons: np.ndarray, town: np.ndarray, venues: Venues,
            code: str, rng: np.random.Generator) -> None:
    """Fill ``out[persons]`` with a venue of ``code`` in ``town``, by popularity."""
    all_cand = venues.of_type(code)
    if not len(all_cand):
        return
    for t in np.unique(town):
        sel = persons[town == t]
        cand = all_cand[venues.township[all_cand] == t]
        if not len(cand):
            cand = all_cand
        w = venues.popularity[cand]
        out[sel] = cand[choice(rng, len(cand), len(sel), w / w.sum())]


def _smartphone_p(age: np.ndarray) -> np.ndarray:
    # Most elderly people and young children have none (issue 3; design default).
    return np.select(
        [age < 12, age < 18, age < 60, age < 65, age < 70, age < 80],
        [0.0, 0.7, 0.97, 0.55, 0.40, 0.25], default=0.08)


def _identity_table(hh: np.ndarray, age: np.ndarray, male: np.ndarray, home: np.ndarray,
                    work: np.ndarray, township: np.ndarray, smart: np.ndarray,
                    role: np.ndarray, venues: Venues, rng: np.random.Generator,
                    start: pd.Timestamp, division: str) -> pd.DataFrame:
    n = len(hh)
    n_hh = int(hh.max()) + 1
    hh_surname = names.surname_indices(n_hh, rng)
    # Children take the household's surname; adults of a couple keep their own.
    own = names.surname_indices(n, rng)
    first_in_hh = np.r_[True, hh[1:] != hh[:-1]]
    surname = np.where((age < 18) | first_in_hh, hh_surname[hh], own)
    full_names = names.person_names(surname, male, rng)
    # Birth dates: the age is completed years on the start day, so the birthday lies in
    # the year before (start - age - 1 year, start - age].
    day0 = start.date()  # start is local midnight of day 0
    id_number = np.empty(n, dtype=object)
    years = day0.year - age
    for y in np.unique(years):
        for is_male in (True, False):
            sel = np.flatnonzero((years == y) & (male == is_male))
            if not len(sel):
                continue
            lo = _iso(y - 1, day0, 1)
            hi = _iso(y, day0, 0)
            id_number[sel] = ids.make_resident_id(
                len(sel), division=division, birth_from=lo, birth_to=hi,
                sex="male" if is_male else "female", seed=rng)
    # Small children carry no phone of their own; everyone else has a number.
    has_phone = age >= 10
    phone = np.full(n, None, dtype=object)
    phone[has_phone] = ids.make_mobile(int(has_phone.sum()), seed=rng)
    vid = venues.ids
    return pd.DataFrame({
        s.PERSON_ID: person_ids(n),
        c.PERSON_NAME: full_names,
        c.ID_NUMBER: id_number.tolist(),
        c.PHONE: pd.Series(phone, dtype="str"),
        c.SEX: np.where(male, "male", "female"),
        c.AGE: age.astype("int64"),
        c.HOUSEHOLD_ID: [f"H{h:06d}" for h in hh],
        c.HOME_VENUE_ID: vid[home],
        s.TOWNSHIP_CODE: venues.table[s.TOWNSHIP_CODE].to_numpy()[home],
        c.HAS_SMARTPHONE: smart,
        c.ROLE: role.astype(str),
        c.WORK_VENUE_ID: pd.Series(np.where(work >= 0, vid[np.maximum(work, 0)], None),
                                   dtype="str"),
    }).loc[:, list(c.PERSON_COLUMNS)]


def _iso(year: int, day0: object, plus_days: int) -> str:
    month, day = day0.month, min(day0.day, 28)  # type: ignore[attr-defined]
    d = pd.Timestamp(year=int(year), month=month, day=day)
    return (d + pd.Timedelta(days=plus_days)).strftime("%Y-%m-%d")
