"""From true stays to an imperfect scan log: missed, proxy, group, double, forwarded scans.

Each imperfection has a rate in :class:`~tracelab.synth.params.LogParams`; the ones a
compliance check should find are also listed, one row each, in the fault table
(``columns.FAULT_COLUMNS``).
"""

from __future__ import annotations

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
    faults: list[tuple]  # (kind, person, venue, seconds, count, detail)
    counts: dict[str, int]


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
    bursts: list[np.ndarray] = []
    faults: list[tuple] = []
    counts: dict[str, int] = {}
    smart = people.smartphone[person]
    record_p = np.where(smart, 1.0 - setup.miss[venue],
                        log.proxy_rate * (1.0 if log.compliance is None else log.compliance))
    live = t_in < setup.silent_from[venue]
    recorded = live & (rng.random(m) < record_p)
    # Group outings: one member with a phone scans, the others walk in unscanned.
    grouped = np.flatnonzero(recorded & (group >= 0))
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
        # Some leaders scan once per head with their own phone: a burst under one id.
        burst = rng.random(len(leaders)) < log.group_burst_share
        for i, b in zip(leaders, burst, strict=True):
            k = int(n_follow[group[i]])
            faults.append(("group_scan", int(person[i]), int(venue[i]), int(t_in[i]), k,
                           f"household outing: one phone scanned {k + 1} times" if b
                           else "household outing: one scan for the group"))
            bursts.append(np.full(k, i))

    counts["missed_scan"] = int((~recorded).sum())
    idx = np.flatnonzero(recorded)
    p_, v_ = person[idx], venue[idx]
    method = np.where(people.smartphone[p_], 0, 1).astype(np.int8)
    counts["proxy_scan"] = int((method == 1).sum())
    at = t_in[idx] + np.where(method == 0, setup.skew[p_], 0)
    exit_at = np.full(len(idx), -1, dtype=np.int64)
    has_exit = (setup.exit_venue[v_] & (t_out[idx] >= 0)
                & (rng.random(len(idx)) >= log.exit_miss_rate))
    exit_at[has_exit] = t_out[idx][has_exit] + np.where(method == 0, setup.skew[p_], 0)[has_exit]
    jit = log.device_jitter_m / _M_PER_DEG
    dev_lon = venues.lon[v_] + rng.normal(0, jit / _COS, len(idx))
    dev_lat = venues.lat[v_] + rng.normal(0, jit, len(idx))
    # Double scans within 2 minutes.
    dbl = np.flatnonzero(rng.random(len(idx)) < log.double_scan_rate)
    counts["double_scan"] = len(dbl)
    for i in dbl:
        faults.append(("double_scan", int(p_[i]), int(v_[i]), int(at[i]), 1, "repeat within 2 min"))
    cols = [p_, v_, at, method, exit_at, dev_lon, dev_lat]
    extra = [p_[dbl], v_[dbl], at[dbl] + rng.integers(5, 120, len(dbl)), method[dbl],
             np.full(len(dbl), -1, dtype=np.int64), dev_lon[dbl], dev_lat[dbl]]
    b_i = np.concatenate(bursts) if bursts else np.empty(0, dtype=np.int64)
    b_p, b_v = person[b_i], venue[b_i]
    burst_cols = [b_p, b_v, t_in[b_i] + setup.skew[b_p] + rng.integers(3, 40, len(b_i)),
                  np.zeros(len(b_i), np.int8), np.full(len(b_i), -1, dtype=np.int64),
                  venues.lon[b_v] + rng.normal(0, jit / _COS, len(b_i)),
                  venues.lat[b_v] + rng.normal(0, jit, len(b_i))]
    extra = [np.concatenate([x, y]) for x, y in zip(extra, burst_cols, strict=True)]
    fwd = _forwarded(day, people, venues, log, free, rng)
    counts["forwarded_code"] = len(fwd[0])
    for i in range(len(fwd[0])):
        faults.append(("forwarded_code", int(fwd[0][i]), int(fwd[1][i]), int(fwd[2][i]), 1,
                       f"device {fwd[7][i]:.0f} m from the venue"))
    cols = [np.concatenate([a_, b_, f_]) for a_, b_, f_ in zip(cols, extra, fwd[:7], strict=True)]
    # Code colour: per person and day, mostly green (DOMAIN §5.2).
    u = rng.random(len(people.age))
    colour_p = np.where(u < log.red_rate, 2, np.where(u < log.red_rate + log.yellow_rate, 1, 0))
    colour = colour_p[cols[0]].astype(np.int8)
    return DayScans(person=cols[0].astype(np.int64), venue=cols[1].astype(np.int64),
                    at=cols[2].astype(np.int64), colour=colour, method=cols[3].astype(np.int8),
                    exit_at=cols[4].astype(np.int64), dev_lon=cols[5], dev_lat=cols[6],
                    faults=faults, counts=counts)


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
