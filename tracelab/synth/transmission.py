"""Transmission events and natural history: the contact rule of the synthetic outbreak.

Contact rule (give the exposure engine the same rule to score it): a susceptible person
can be infected at a non-residence venue only while both are present there (true stays
overlap by more than 0 seconds) and the infector is inside its infectious window
``[infectious_start, infectious_end)`` and not isolated or quarantined; the infection
time lies inside that overlap. Households transmit in the evening when both are at home.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracelab.synth.params import OutbreakParams

__all__ = ["History", "Events", "venue_events", "household_events", "draw_history",
           "infectiousness"]

DAY = 86400
H = 3600
_KEY = np.int64(1) << 34  # venue * _KEY + time keeps (venue, time) order in one int64


@dataclass(frozen=True)
class Events:
    """Candidate infections: susceptible person, time, infector, venue (-1 household)."""

    person: np.ndarray
    time: np.ndarray  # float64 seconds from the start
    infector: np.ndarray
    venue: np.ndarray


@dataclass(frozen=True)
class History:
    """Natural history and detection of newly infected people (seconds, NaN = never)."""

    inf_start: np.ndarray
    inf_end: np.ndarray
    onset: np.ndarray  # pseudo-onset for asymptomatic people (profile peak)
    symptomatic: np.ndarray
    relative: np.ndarray
    sampled: np.ndarray
    screening: np.ndarray  # bool: found by serial screening
    last_negative: np.ndarray
    confirmed: np.ndarray
    isolated: np.ndarray


def infectiousness(t: np.ndarray, start: np.ndarray, onset: np.ndarray,
                   end: np.ndarray) -> np.ndarray:
    """Relative infectiousness: rises from 0.4 to 1 at onset, falls to 0.2 at the end.

    Zero outside ``[start, end)``. Peak at symptom onset follows He et al., Nat Med
    2020;26:672-675; the shape is a design default.

    Examples
    --------
    >>> infectiousness(np.array([0.0, 2.0, 4.0, 9.0]), np.array([0.0] * 4),
    ...                np.array([2.0] * 4), np.array([8.0] * 4)).round(2).tolist()
    [0.4, 1.0, 0.73, 0.0]
    """
    pre = 0.4 + 0.6 * np.clip((t - start) / np.maximum(onset - start, 1e-9), 0, 1)
    post = 1.0 - 0.8 * np.clip((t - onset) / np.maximum(end - onset, 1e-9), 0, 1)
    value = np.where(t < onset, pre, post)
    return np.where((t >= start) & (t < end), value, 0.0)


def _profile(t: np.ndarray, j: np.ndarray, start: np.ndarray, onset: np.ndarray,
             end: np.ndarray) -> np.ndarray:
    """``infectiousness(t, start[j], onset[j], end[j])``, each branch where it applies."""
    s, o, e = start[j], onset[j], end[j]
    out = np.zeros(len(t))
    before = t < o
    pre = np.flatnonzero(before)
    post = np.flatnonzero(~before)
    tb, sb = t[pre], s[pre]
    out[pre] = 0.4 + 0.6 * np.minimum(np.maximum(
        (tb - sb) / np.maximum(o[pre] - sb, 1e-9), 0), 1)
    ta, oa = t[post], o[post]
    out[post] = 1.0 - 0.8 * np.minimum(np.maximum(
        (ta - oa) / np.maximum(e[post] - oa, 1e-9), 0), 1)
    return np.where((t >= s) & (t < e), out, 0.0)


def venue_events(person: np.ndarray, venue: np.ndarray, t_in: np.ndarray, t_out: np.ndarray,
                 state_start: np.ndarray, state_end: np.ndarray, state_onset: np.ndarray,
                 relative: np.ndarray, susceptible: np.ndarray, weight: np.ndarray,
                 params: OutbreakParams, rng: np.random.Generator) -> Events:
    """Infections from co-presence at venues during one day.

    ``person``..``t_out`` are the day's stays at non-residence venues (seconds from the
    start); ``state_*`` and ``relative`` are per person (NaN if never infected);
    ``weight`` per venue.

    Examples
    --------
    Person 0 (infectious from 0 to 10 h) and person 1 share venue 0 from 2 h to 3 h:

    >>> nan = np.nan
    >>> ev = venue_events(np.array([0, 1]), np.array([0, 0]), np.array([3600, 7200]),
    ...                   np.array([10800, 14400]), np.array([0.0, nan]),
    ...                   np.array([36000.0, nan]), np.array([18000.0, nan]),
    ...                   np.array([1.0, 0.0]), np.array([False, True]), np.ones(1),
    ...                   OutbreakParams(beta_venue_per_hour=1e6), np.random.default_rng(0))
    >>> ev.person.tolist(), ev.infector.tolist(), bool(7200 <= ev.time[0] < 10800)
    ([1], [0], True)
    """
    empty = Events(*(np.empty(0, dtype=t) for t in (np.int64, float, np.int64, np.int64)))
    if not len(person):
        return empty
    infectious = (t_out > state_start[person]) & (t_in < state_end[person])
    if not infectious.any():
        return empty
    # Only the venues an infectious person visited matter: their stays, by venue, entry
    # and row, are the stretch of the full order the searches below would reach.
    hot = np.zeros(int(venue.max()) + 1, dtype=bool)
    hot[venue[infectious]] = True
    rows = np.flatnonzero(hot[venue])
    order = rows[_order(venue[rows], t_in[rows])]
    p, v, a, b = person[order], venue[order], t_in[order], t_out[order]
    key = v * _KEY + a
    inf_visit = np.flatnonzero(infectious[order])
    iv_v, iv_a, iv_b, ip = v[inf_visit], a[inf_visit], b[inf_visit], p[inf_visit]
    # Co-present stays started at most the venue's longest stay of the day earlier (and
    # stays never last a day): earlier ones ended before the infectious stay began.
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    longest = np.maximum.reduceat(b - a, starts)
    reach = np.minimum(longest[np.searchsorted(starts, inf_visit, side="right") - 1], DAY)
    lo = np.searchsorted(key, iv_v * _KEY + iv_a - reach, side="left")
    hi = np.searchsorted(key, iv_v * _KEY + iv_b, side="left")
    counts = hi - lo
    if not counts.any():
        return empty
    # Per infectious stay: its person's state and the venue's factor of the hazard.
    i_start, i_end, i_onset = state_start[ip], state_end[ip], state_onset[ip]
    factor = params.beta_venue_per_hour * weight[iv_v] * relative[ip]
    sus = susceptible[p]
    # The pairs, a block of infectious stays at a time (small arrays stay in cache);
    # the draws below then cover all of them at once, in the same order.
    parts = []
    ends = np.cumsum(counts)
    first = 0
    while first < len(inf_visit):
        last = max(int(np.searchsorted(ends, ends[first] - counts[first] + _BLOCK, "right")),
                   first + 1)
        parts.append(_pairs(first, last, lo, counts, iv_a, iv_b, ip, i_start, i_end, factor,
                            p, a, b, sus, params.venue_contacts))
        first = last
    bound, j, k, share = (np.concatenate(x) for x in zip(*parts, strict=True))
    u = rng.random(len(bound))
    # Infectiousness is at most 1 and 1 - exp(-h) <= h: a pair whose draw is above its
    # hazard at full infectiousness (with room for rounding) infects no one, and only
    # the others need their hazard, computed as in full.
    maybe = np.flatnonzero(u < bound * (1 + 1e-9))
    j, k = j[maybe], k[maybe]
    lo_t = np.maximum(np.maximum(iv_a[j], a[k]), i_start[j])
    hi_t = np.minimum(np.minimum(iv_b[j], b[k]), i_end[j])
    span = hi_t - lo_t
    prof = _profile((lo_t + hi_t) / 2, j, i_start, i_onset, i_end)
    hazard = factor[j] * prof * span / H * share[j]
    hit = u[maybe] < -np.expm1(-hazard)
    when = rng.random(len(bound))[maybe[hit]]
    j, k = j[hit], k[hit]
    return Events(p[k], lo_t[hit] + when * span[hit], ip[j], iv_v[j])


_BLOCK = 1 << 15  # pairs per block


def _pairs(first: int, last: int, lo: np.ndarray, counts: np.ndarray, iv_a: np.ndarray,
           iv_b: np.ndarray, ip: np.ndarray, i_start: np.ndarray, i_end: np.ndarray,
           factor: np.ndarray, p: np.ndarray, a: np.ndarray, b: np.ndarray, sus: np.ndarray,
           contacts: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs that may infect, of infectious stays ``first:last``.

    Returns each pair's hazard at full infectiousness, its infectious stay and co-present
    stay, and the share of each of the infectious stays.
    """
    c = counts[first:last]
    total = int(c.sum())
    j = np.repeat(np.arange(first, last), c)
    k = np.repeat(lo[first:last], c) + (np.arange(total) - np.repeat(np.cumsum(c) - c, c))
    present = (b[k] > iv_a[j]) & (p[k] != ip[j])
    # Beyond `venue_contacts` co-present people the hazard of one stay is shared out.
    n_co = np.bincount(j - first, weights=present, minlength=last - first)
    share = np.minimum(1.0, contacts / np.maximum(n_co, 1))
    keep = present & sus[k]
    j, k = j[keep], k[keep]
    lo_t = np.maximum(np.maximum(iv_a[j], a[k]), i_start[j])
    hi_t = np.minimum(np.minimum(iv_b[j], b[k]), i_end[j])
    ok = hi_t > lo_t
    j, k = j[ok], k[ok]
    # The hazard's own product, less the infectiousness factor (<= 1): an upper bound.
    return factor[j] * (hi_t[ok] - lo_t[ok]) / H * share[j - first], j, k, share


def _order(venue: np.ndarray, t_in: np.ndarray) -> np.ndarray:
    """``np.lexsort((t_in, venue))`` (ties by row): one sort of unique int64 keys."""
    m = len(venue)
    if not m:
        return np.empty(0, dtype=np.int64)
    span = int(t_in.max()) + 1
    if int(t_in.min()) < 0 or (int(venue.max()) + 1) * span * m >= 2**62:
        return np.lexsort((t_in, venue))
    key = (venue.astype(np.int64) * span + t_in) * m + np.arange(m)
    return np.sort(key) % m


def household_events(infectious: np.ndarray, window: tuple[float, float],
                     hh_offsets: np.ndarray, hh_members: np.ndarray, household: np.ndarray,
                     at_home: np.ndarray, susceptible: np.ndarray, state_start: np.ndarray,
                     state_end: np.ndarray, state_onset: np.ndarray, relative: np.ndarray,
                     params: OutbreakParams, rng: np.random.Generator) -> Events:
    """Infections at home in the evening ``window`` (seconds) of one day.

    ``hh_offsets`` and ``hh_members`` index the people of each household (members sorted
    by household); ``at_home`` marks who spends the evening at home.

    Examples
    --------
    >>> nan = np.nan
    >>> ev = household_events(np.array([0]), (0.0, 3600.0), np.array([0, 2]),
    ...                       np.array([0, 1]), np.array([0, 0]), np.array([True, True]),
    ...                       np.array([False, True]), np.array([0.0, nan]),
    ...                       np.array([9e4, nan]), np.array([1e4, nan]),
    ...                       np.array([1.0, 0.0]),
    ...                       OutbreakParams(beta_household_per_day=1e6),
    ...                       np.random.default_rng(0))
    >>> ev.person.tolist(), ev.venue.tolist()
    ([1], [-1])
    """
    empty = Events(*(np.empty(0, dtype=t) for t in (np.int64, float, np.int64, np.int64)))
    src = infectious[at_home[infectious]]
    if not len(src):
        return empty
    h = household[src]
    counts = hh_offsets[h + 1] - hh_offsets[h]
    j = np.repeat(np.arange(len(src)), counts)
    k = np.repeat(hh_offsets[h], counts) + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
    infector, target = src[j], hh_members[k]
    ok = (target != infector) & susceptible[target] & at_home[target]
    infector, target = infector[ok], target[ok]
    lo_t = np.maximum(window[0], state_start[infector])
    hi_t = np.minimum(window[1], state_end[infector])
    ok = hi_t > lo_t
    infector, target, lo_t, hi_t = infector[ok], target[ok], lo_t[ok], hi_t[ok]
    prof = infectiousness((lo_t + hi_t) / 2, state_start[infector], state_onset[infector],
                          state_end[infector])
    hazard = params.beta_household_per_day * relative[infector] * prof
    hit = rng.random(len(hazard)) < -np.expm1(-hazard)
    when = lo_t + rng.random(len(hazard)) * (hi_t - lo_t)
    return Events(target[hit], when[hit], infector[hit], np.full(int(hit.sum()), -1))


def draw_history(infected_at: np.ndarray, screened: np.ndarray, phase: np.ndarray,
                 params: OutbreakParams, rng: np.random.Generator) -> History:
    """Natural history and detection schedule for people infected at ``infected_at``.

    ``screened`` and ``phase`` (per infected person) describe serial screening: tested
    every ``screening_interval_days`` days on days congruent to ``phase``, at 09:00
    local (seconds from the start are local-midnight based).

    Examples
    --------
    >>> h = draw_history(np.zeros(3), np.array([True, False, False]), np.zeros(3, int),
    ...                  OutbreakParams(), np.random.default_rng(0))
    >>> bool((h.inf_start >= DAY).all()), bool((h.inf_end > h.onset).all())
    (True, True)
    """
    n = len(infected_at)
    mu, sd = params.incubation_mean_days, params.incubation_sd_days
    sigma2 = np.log(1 + (sd / mu) ** 2)
    incubation = rng.lognormal(np.log(mu) - sigma2 / 2, np.sqrt(sigma2), n) * DAY
    onset = infected_at + incubation
    inf_start = np.maximum(infected_at + params.min_latent_days * DAY,
                           onset - params.presymptomatic_days * DAY)
    onset = np.maximum(onset, inf_start)
    inf_end = onset + params.infectious_after_onset_days * DAY
    symptomatic = rng.random(n) >= params.asymptomatic_share
    relative = np.where(symptomatic, 1.0, params.asymptomatic_relative)
    # PCR-detectable from half a day before infectiousness to two days after it ends.
    pcr_lo, pcr_hi = inf_start - 0.5 * DAY, inf_end + 2 * DAY
    seeks = symptomatic & (rng.random(n) < params.p_test_symptomatic)
    t_sym = np.where(seeks, onset + rng.exponential(params.test_delay_mean_days * DAY, n),
                     np.nan)
    k = params.screening_interval_days
    first_day = np.ceil((pcr_lo - 9 * H) / DAY)
    first_day = first_day + (phase - first_day) % k
    tries = rng.geometric(max(params.pcr_sensitivity, 1e-9), n) - 1
    t_scr = (first_day + tries * k) * DAY + 9 * H + rng.uniform(0, 2 * H, n)
    t_scr = np.where(screened & (t_scr < pcr_hi), t_scr, np.nan)
    rate = params.community_test_rate * params.pcr_sensitivity
    gap = (rng.geometric(rate, n) - 1) if rate > 0 else np.full(n, 10**6)
    t_com = (np.ceil(pcr_lo / DAY) + gap) * DAY + 10 * H + rng.uniform(0, 6 * H, n)
    t_com = np.where(t_com < pcr_hi, t_com, np.nan)
    stack = np.vstack([t_sym, t_scr, t_com])
    stack_f = np.where(np.isnan(stack), np.inf, stack)
    which = stack_f.argmin(axis=0)
    sampled = stack_f.min(axis=0)
    sampled = np.where(np.isinf(sampled), np.nan, sampled)
    screening = (which == 1) & ~np.isnan(sampled)
    last_negative = np.where(screening, sampled - k * DAY, np.nan)
    lo, hi = params.report_delay_hours
    confirmed = sampled + rng.uniform(lo, hi, n) * H
    lo, hi = params.isolate_delay_hours
    isolated = confirmed + rng.uniform(lo, hi, n) * H
    return History(inf_start, inf_end, onset, symptomatic, relative, sampled, screening,
                   last_negative, confirmed, isolated)
