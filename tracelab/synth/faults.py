"""From true stays to an imperfect scan log: missed, proxy, group, double, forwarded scans.

Each imperfection has a rate in :class:`~tracelab.synth.params.LogParams`; the ones a
compliance check should find are also listed, one row each, in the fault table
(``columns.FAULT_COLUMNS``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.synth.params import LogParams
from tracelab.synth.population import People
from tracelab.synth.registry import Venues

__all__ = ["LogSetup", "DayScans", "make_log_setup", "day_scans", "registry_faults"]

H = 3600
_M_PER_DEG = 111_320.0
_COS = np.cos(np.radians(27.6))


@dataclass(frozen=True)
class LogSetup:
    """Per-run draws: which venues scan exits or go silent, whose clocks are skewed."""

    miss: np.ndarray  # per venue: chance of no scan for a smartphone holder
    exit_venue: np.ndarray  # bool per venue
    silent_from: np.ndarray  # float seconds per venue (inf: never)
    lax: np.ndarray  # bool per venue: staff do not enforce scanning
    skew: np.ndarray  # int seconds per person


@dataclass(frozen=True)
class DayScans:
    """One day's scans (seconds from the start) and the faults listed for it."""

    person: np.ndarray
    venue: np.ndarray
    at: np.ndarray  # int64 seconds
    colour: np.ndarray  # int8: index into schema.COLOURS
    method: np.ndarray  # int8: index into schema.METHODS
    exit_at: np.ndarray  # int64 seconds, -1 none
    dev_lon: np.ndarray
    dev_lat: np.ndarray
    counts: dict[str, int]
    # Group scans (person, venue, seconds, followers, burst), double scans (person,
    # venue, seconds) and forwarded codes (person, venue, seconds, metres): the rows of
    # the fault table, built only when asked for (:attr:`faults`).
    fault_arrays: tuple[tuple[np.ndarray, ...], ...] = ()

    @functools.cached_property
    def faults(self) -> list[tuple]:
        """The day's faults: ``(kind, person, venue, seconds, count, detail)``."""
        group, double, forwarded = self.fault_arrays or ((), (), ())
        out: list[tuple] = []
        if len(group):
            for p, v, t, k, burst in zip(*(x.tolist() for x in group), strict=True):
                out.append(("group_scan", p, v, t, k,
                            f"household outing: one phone scanned {k + 1} times" if burst
                            else "household outing: one scan for the group"))
        if len(double):
            out.extend(("double_scan", p, v, t, 1, "repeat within 2 min")
                       for p, v, t in zip(*(x.tolist() for x in double), strict=True))
        if len(forwarded):
            out.extend(("forwarded_code", p, v, t, 1, f"device {d:.0f} m from the venue")
                       for p, v, t, d in zip(*(x.tolist() for x in forwarded), strict=True))
        return out


def make_log_setup(venues: Venues, people: People, log: LogParams, days: int,
                   rng: np.random.Generator) -> LogSetup:
    """Draw the run-level imperfections: exit-scan venues, silent and lax venues, skews.

    Examples
    --------
    >>> from tracelab.synth.county import build_county
    >>> base = build_county(300, seed=1)
    >>> setup = make_log_setup(base.venues, base.people, LogParams(exit_scan_share=1.0), 14,
    ...                        np.random.default_rng(0))
    >>> bool(setup.exit_venue[~base.venues.residence].all()), setup.skew.shape
    (True, (300,))
    """
    nv = len(venues.type_code)
    miss = np.array([log.miss_rate.get(t, 0.15) for t in venues.type_code])
    if log.compliance is not None:
        miss = np.full(nv, 1.0 - log.compliance)
    public = np.flatnonzero(~venues.residence)
    exit_venue = np.zeros(nv, dtype=bool)
    exit_venue[public[rng.random(len(public)) < log.exit_scan_share]] = True
    silent_from = np.full(nv, np.inf)
    # At least one of each when the share is positive, so that small counties have some.
    n_silent = _at_least_one(log.silent_venue_share, len(public))
    if n_silent and days >= 2:
        # Silent codes are drawn among the busier venues, where the gap shows.
        w = venues.popularity[public]
        pick = rng.choice(public, size=min(n_silent, len(public)), replace=False, p=w / w.sum())
        silent_from[pick] = (rng.integers(1, days, len(pick)) * 86400
                             + rng.integers(0, 24 * H, len(pick)))
    # Lax venues: nobody checks at the door, most visitors walk in unscanned.
    lax = np.zeros(nv, dtype=bool)
    candidates = public[~np.isfinite(silent_from[public])]
    n_lax = min(_at_least_one(log.lax_venue_share, len(public)), len(candidates))
    if n_lax:
        lax[rng.choice(candidates, size=n_lax, replace=False)] = True
        miss = np.where(lax, np.maximum(miss, log.lax_miss_rate), miss)
    n = len(people.age)
    skewed = rng.random(n) < log.clock_skew_share
    minutes = rng.integers(1, 6, n) * rng.choice([-1, 1], n)
    skew = np.where(skewed, minutes * 60 + rng.integers(-30, 30, n), 0)
    return LogSetup(miss=miss, exit_venue=exit_venue, silent_from=silent_from, lax=lax,
                    skew=skew)


def day_scans(person: np.ndarray, venue: np.ndarray, t_in: np.ndarray, t_out: np.ndarray,
              group: np.ndarray, day: int, people: People, venues: Venues, setup: LogSetup,
              log: LogParams, free: np.ndarray, rng: np.random.Generator) -> DayScans:
    """Turn one day's entries into scans.

    ``t_out`` is -1 for home returns (the stay's end is not known yet; no exit scan).

    Examples
    --------
    >>> from tracelab.synth.county import build_county
    >>> base = build_county(300, seed=1)
    >>> log = LogParams.perfect()
    >>> setup = make_log_setup(base.venues, base.people, log, 1, np.random.default_rng(0))
    >>> one = np.array([0])
    >>> out = day_scans(one, np.array([5]), np.array([3600]), np.array([7200]),
    ...                 np.array([-1]), 0, base.people, base.venues, setup, log,
    ...                 np.zeros(300, bool), np.random.default_rng(1))
    >>> out.at.tolist(), out.venue.tolist()
    ([3600], [5])
    """
    m = len(person)
    counts: dict[str, int] = {}
    smart = people.smartphone[person]
    record_p = np.where(smart, (1.0 - setup.miss)[venue],
                        log.proxy_rate * (1.0 if log.compliance is None else log.compliance))
    recorded = rng.random(m) < record_p
    if len(t_in) and setup.silent_from.min() <= t_in.max():
        recorded &= t_in < setup.silent_from[venue]
    # Group outings: one member with a phone scans, the others walk in unscanned.
    grouped = np.flatnonzero(recorded & (group >= 0))
    leaders = np.empty(0, dtype=np.int64)
    n_lead = leaders
    group_faults: tuple[np.ndarray, ...] = ()
    if len(grouped) and log.group_scan_rate > 0:
        g = group[grouped]
        flagged = rng.random(int(g.max()) + 1) < log.group_scan_rate
        cand = grouped[flagged[g] & smart[grouped]]
        order = np.lexsort((cand, group[cand]))
        cand = cand[order]
        first = cand[np.r_[True, group[cand][1:] != group[cand][:-1]]] if len(cand) else cand
        scanner_of = np.full(int(g.max()) + 1, -1)
        scanner_of[group[first]] = first
        followers = grouped[(scanner_of[g] >= 0) & (scanner_of[g] != grouped)]
        recorded[followers] = False
        n_follow = np.bincount(group[followers], minlength=len(scanner_of))
        leaders = first[n_follow[group[first]] > 0]
        n_lead = n_follow[group[leaders]]
        # Some leaders scan once per head with their own phone: a burst under one id.
        burst = rng.random(len(leaders)) < log.group_burst_share
        group_faults = (person[leaders], venue[leaders], t_in[leaders], n_lead, burst)

    idx = np.flatnonzero(recorded)
    counts["missed_scan"] = m - len(idx)
    p_, v_ = person[idx], venue[idx]
    proxy = ~smart[idx]
    method = proxy.astype(np.int8)
    counts["proxy_scan"] = int(proxy.sum())
    skew = np.where(proxy, 0, setup.skew[p_])
    at = t_in[idx] + skew
    exit_at = np.full(len(idx), -1, dtype=np.int64)
    exit_draw = rng.random(len(idx))
    if setup.exit_venue.any():
        t_end = t_out[idx]
        has_exit = setup.exit_venue[v_] & (t_end >= 0) & (exit_draw >= log.exit_miss_rate)
        exit_at[has_exit] = t_end[has_exit] + skew[has_exit]
    jit = log.device_jitter_m / _M_PER_DEG
    dev_lon = venues.lon[v_] + rng.normal(0, jit / _COS, len(idx))
    dev_lat = venues.lat[v_] + rng.normal(0, jit, len(idx))
    # Double scans within 2 minutes.
    dbl = np.flatnonzero(rng.random(len(idx)) < log.double_scan_rate)
    counts["double_scan"] = len(dbl)
    # Each group leader's phone scans once more per follower (the burst).
    b_i = np.repeat(leaders, n_lead)
    b_p, b_v = person[b_i], venue[b_i]
    dbl_at = at[dbl] + rng.integers(5, 120, len(dbl))
    b_at = t_in[b_i] + setup.skew[b_p] + rng.integers(3, 40, len(b_i))
    b_lon = venues.lon[b_v] + rng.normal(0, jit / _COS, len(b_i))
    b_lat = venues.lat[b_v] + rng.normal(0, jit, len(b_i))
    fwd = _forwarded(day, people, venues, log, free, rng)
    counts["forwarded_code"] = len(fwd[0])
    k, nb = len(dbl), len(b_i)
    none = np.full(k + nb, -1, dtype=np.int64)
    sp = np.concatenate([p_, p_[dbl], b_p, fwd[0]])
    cols = [sp, np.concatenate([v_, v_[dbl], b_v, fwd[1]]),
            np.concatenate([at, dbl_at, b_at, fwd[2]]),
            np.concatenate([method, method[dbl], np.zeros(nb, np.int8), fwd[3]]),
            np.concatenate([exit_at, none, fwd[4]]),
            np.concatenate([dev_lon, dev_lon[dbl], b_lon, fwd[5]]),
            np.concatenate([dev_lat, dev_lat[dbl], b_lat, fwd[6]])]
    # Code colour: per person and day, mostly green (DOMAIN §5.2).
    u = rng.random(len(people.age))
    colour_p = np.where(u < log.red_rate, 2, np.where(u < log.red_rate + log.yellow_rate, 1, 0))
    colour = colour_p.astype(np.int8)[sp]
    return DayScans(person=sp.astype(np.int64, copy=False),
                    venue=cols[1].astype(np.int64, copy=False),
                    at=cols[2].astype(np.int64, copy=False), colour=colour,
                    method=cols[3].astype(np.int8, copy=False),
                    exit_at=cols[4].astype(np.int64, copy=False), dev_lon=cols[5],
                    dev_lat=cols[6], counts=counts,
                    fault_arrays=(group_faults, (p_[dbl], v_[dbl], at[dbl]),
                                  (fwd[0], fwd[1], fwd[2], fwd[7])))


def _forwarded(day: int, people: People, venues: Venues, log: LogParams, free: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Scans of forwarded code images: a venue in another township, the phone at home."""
    draw = rng.random(len(people.age)) < log.forwarded_rate
    who = np.flatnonzero(free & people.smartphone & draw)
    public = np.flatnonzero(~venues.residence)
    v = public[rng.integers(0, len(public), len(who))] if len(public) else np.empty(0, int)
    home = people.home[who]
    dist = np.hypot((venues.lon[v] - venues.lon[home]) * _COS,
                    venues.lat[v] - venues.lat[home]) * _M_PER_DEG
    ok = dist > 3000  # far beyond the 500 m geofence of DOMAIN §11.5
    who, v, home, dist = who[ok], v[ok], home[ok], dist[ok]
    at = day * 86400 + rng.integers(8 * H, 21 * H, len(who))
    jit = 30.0 / _M_PER_DEG
    lon = venues.lon[home] + rng.normal(0, jit / _COS, len(who))
    lat = venues.lat[home] + rng.normal(0, jit, len(who))
    return (who, v, at, np.zeros(len(who), np.int8), np.full(len(who), -1, np.int64), lon, lat,
            dist)


def registry_faults(table: pd.DataFrame, log: LogParams,
                    rng: np.random.Generator) -> tuple[pd.DataFrame, list[tuple]]:
    """Append venues the loader must reject: a bad owner-ID check digit, a reused phone.

    The faulty venues come last and get no scans, so nothing else is rejected with them.

    Examples
    --------
    >>> from tracelab.synth.county import build_county
    >>> table = build_county(300, seed=1).venues.table
    >>> out, faults = registry_faults(table, LogParams(), np.random.default_rng(0))
    >>> len(out) - len(table), [f[0] for f in faults]
    (2, ['bad_check_digit', 'duplicate_applicant_phone'])
    """
    rows = []
    faults = []
    n = len(table)
    for k in range(log.bad_check_digit_venues):
        row = table.iloc[int(rng.integers(0, n))].copy()
        oid = str(row[s.OWNER_ID])
        digits = "0123456789"
        last = oid[-1]
        row[s.OWNER_ID] = oid[:-1] + (digits[(digits.index(last) + 1) % 10]
                                      if last in digits else "0")
        row[s.VENUE_ID] = f"{row[s.TOWNSHIP_CODE]}9{k:04d}"
        row[s.APPLICANT_PHONE] = _fresh_phone(set(table[s.APPLICANT_PHONE]), rng)
        rows.append(row)
        faults.append(("bad_check_digit", -1, row[s.VENUE_ID], "owner ID check digit altered"))
    for k in range(log.duplicate_phone_venues):
        row = table.iloc[int(rng.integers(0, n))].copy()
        row[s.VENUE_ID] = f"{row[s.TOWNSHIP_CODE]}8{k:04d}"
        row[s.NAME] = str(row[s.NAME]) + "二店"
        rows.append(row)
        faults.append(("duplicate_applicant_phone", -1, row[s.VENUE_ID],
                       "second venue on an applicant phone that already holds a code"))
    if not rows:
        return table, faults
    extra = pd.DataFrame(rows).astype(table.dtypes.to_dict())
    return pd.concat([table, extra], ignore_index=True), faults


def _fresh_phone(used: set, rng: np.random.Generator) -> str:
    while True:
        phone = ids.make_mobile(1, seed=rng)[0]
        if phone not in used:
            return phone


def _at_least_one(share: float, n: int) -> int:
    return max(1, int(round(share * n))) if share > 0 and n > 0 else 0
