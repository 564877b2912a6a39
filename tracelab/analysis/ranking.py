"""Who to call first and which venues matter: explainable contact and venue ranking.

A team that can make two hundred calls today needs an order, and a reason per name.
:func:`rank_contacts` turns an exposures table (:func:`tracelab.tracing.forward.trace`) into one
row per exposed person (or per case and contact) with every score component as a column;
:func:`rank_venues` does the same for venues, from cases, exposures and an occupancy
curve (:func:`occupancy`). All weights are design defaults and parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_DAY, NS_PER_MIN, timestamp_from_ns, to_ns
from tracelab._validate import require_columns
from tracelab.index.presence import visits as build_visits
from tracelab.model import reference
from tracelab.model import schema as s
from tracelab.model.rules import DEFAULT_CALLS_PER_DAY, Rule, as_rule
from tracelab.model.schema import (
    BIN_START,
    CASE_HOURS,
    COLOUR_FACTOR,
    CROWDING_FACTOR,
    DOSE,
    FIRST_EXPOSURE,
    HOP_FACTOR,
    INFECTIOUSNESS,
    LAST_EXPOSURE,
    N_ALERT,
    N_CASES,
    N_EXPOSED,
    N_EXPOSURES,
    N_NONGREEN,
    N_VENUES,
    PEAK_PRESENT,
    PRESENT,
    RANK,
    RISK,
    SCORE,
    TIER,
    TIERS,
    VENUE_FACTOR,
)

__all__ = [
    "rank_contacts", "rank_venues", "occupancy", "infectiousness", "INFECTIOUSNESS_PROFILE",
    "COLOUR_FACTORS", "HOP_FACTORS", "TIERS", "capacity",
]

_TIER_TEXT = {"call_today": "call today", "within_24h": "call within 24 hours",
              "monitor": "monitor"}

#: Relative infectiousness by days from symptom onset (asymptomatic: from first positive
#: sampling), linearly interpolated, constant beyond the ends. The peak at onset follows
#: He et al., Nat Med 2020;26:672-675 (infectiousness peaks at or just before onset, and
#: falls within about 7 days); the exact heights are a design default.
INFECTIOUSNESS_PROFILE = ((-4.0, 0.1), (-2.0, 0.4), (0.0, 1.0), (2.0, 0.75), (6.0, 0.2),
                          (8.0, 0.05))
#: Relative infectiousness of asymptomatic cases: risk ratio about 0.32-0.35
#: (Buitrago-Garcia et al., PLoS Med 2022;19(5):e1003987).
ASYMPTOMATIC_RELATIVE = 0.35
#: Priority factor of the contact's worst code colour seen since first exposure: yellow
#: (fever at a checkpoint) and red (case or suspected case) raise priority (DOMAIN §5.2;
#: PRIOR-ART §5 item 15). Design default.
COLOUR_FACTORS: Mapping[str, float] = {s.GREEN: 1.0, s.YELLOW: 1.5, s.RED: 2.0}
#: Hop 2 is exposure to a hop-1 contact, not to a case: most hop-1 contacts are not
#: infected. Design default.
HOP_FACTORS: Mapping[int, float] = {1: 1.0, 2: 0.1}


def infectiousness(days_from_onset: Any,
                   profile: Sequence[tuple[float, float]] = INFECTIOUSNESS_PROFILE
                   ) -> np.ndarray:
    """Relative infectiousness (1 = peak) at ``days_from_onset``, from ``profile``.

    Examples
    --------
    >>> infectiousness([-3, -2, 0, 1, 10]).round(2).tolist()
    [0.25, 0.4, 1.0, 0.88, 0.05]
    """
    xs, ys = zip(*profile, strict=True)
    return np.interp(np.asarray(days_from_onset, dtype=float), xs, ys)


def venue_weights(venues: pd.DataFrame | None, venue_types: pd.DataFrame | None
                   ) -> tuple[dict[Any, float], dict[Any, str]]:
    if venues is None:
        return {}, {}
    require_columns(venues, (s.VENUE_ID, s.VENUE_TYPE), "venues")
    vt = reference.venue_types() if venue_types is None else venue_types
    weight = dict(zip(vt[s.TYPE_CODE], vt[s.WEIGHT].astype(float), strict=True))
    vtype = dict(zip(venues[s.VENUE_ID], venues[s.VENUE_TYPE], strict=True))
    return {v: weight.get(t, 1.0) for v, t in vtype.items()}, vtype


def _case_reference(cases: pd.DataFrame) -> tuple[dict[Any, int], dict[Any, float]]:
    """Per case: reference instant (onset, else sampling) in ns, and relative infectiousness."""
    require_columns(cases, (s.PERSON_ID,), "cases")
    for col in (s.ONSET_AT, s.SAMPLED_AT):
        if col in cases and not isinstance(cases[col].dtype, pd.DatetimeTZDtype) \
                and not cases[col].isna().all():
            raise ValueError(msg("cases column {col!r} has dtype {dtype}; give tz-aware UTC "
                                 "times (load with tracelab.io.read_cases)", col=col,
                                 dtype=cases[col].dtype))
    nat = pd.Series(pd.NaT, index=cases.index, dtype="datetime64[ns, UTC]")
    onset = cases.get(s.ONSET_AT, nat)
    sampled = cases.get(s.SAMPLED_AT, nat)
    ref = pd.to_datetime(onset, utc=True).fillna(pd.to_datetime(sampled, utc=True))
    asym = onset.isna().to_numpy()
    ns = ref.dt.as_unit("ns").to_numpy("datetime64[ns]").view(np.int64)
    ok = ref.notna().to_numpy()
    ids = cases[s.PERSON_ID].tolist()
    refs = {i: int(n) for i, n, k in zip(ids, ns, ok, strict=True) if k}
    rel = {i: (ASYMPTOMATIC_RELATIVE if a else 1.0) for i, a in zip(ids, asym, strict=True)}
    return refs, rel


def _worst_colour(visits: pd.DataFrame | None, first: pd.Series) -> pd.Series:
    """Worst code colour each person in ``first`` (index) scanned at or after that time."""
    out = pd.Series(s.GREEN, index=first.index, dtype="str")
    if visits is None or s.CODE_COLOUR not in visits or visits.empty:
        return out
    time_col = s.T_IN if s.T_IN in visits else s.SCANNED_AT
    require_columns(visits, (s.PERSON_ID, time_col), "visits")
    v = visits[[s.PERSON_ID, time_col, s.CODE_COLOUR]]
    v = v[v[s.PERSON_ID].isin(first.index) & v[s.CODE_COLOUR].isin([s.YELLOW, s.RED])]
    if v.empty:
        return out
    v = v[to_ns(v[time_col]) >= to_ns(first.reindex(v[s.PERSON_ID]))]
    rank = v[s.CODE_COLOUR].map({s.YELLOW: 1, s.RED: 2})
    worst = rank.groupby(v[s.PERSON_ID].to_numpy()).max()
    out.loc[worst.index] = worst.map({1: s.YELLOW, 2: s.RED}).astype("str")
    return out


def _exposure_components(ex: pd.DataFrame, cases: pd.DataFrame,
                         weights: dict[Any, float], close_range: float,
                         profile: Sequence[tuple[float, float]]) -> pd.DataFrame:
    """Per exposure row: minutes, venue weight, infectiousness, crowding, hop factor."""
    refs, rel = _case_reference(cases)
    start = ex[s.OVERLAP_START].dt.as_unit("ns").to_numpy("datetime64[ns]").view(np.int64)
    end = ex[s.OVERLAP_END].dt.as_unit("ns").to_numpy("datetime64[ns]").view(np.int64)
    mid = start + (end - start) // 2
    case = ex[s.CASE_ID]
    ref = case.map(refs).to_numpy(dtype=float)
    days = (mid - ref) / NS_PER_DAY
    f = np.where(np.isnan(ref), 1.0, infectiousness(np.nan_to_num(days), profile))
    f = f * case.map(rel).fillna(1.0).to_numpy(dtype=float)
    # People present with the case during one case stay: beyond `close_range` of them the
    # case cannot be near everyone, so each one's share of the hazard falls.
    stay = [s.CASE_ID, s.VENUE_ID, s.CASE_T_IN]
    n_co = ex.groupby(stay, sort=False)[s.CONTACT_ID].transform("nunique").to_numpy()
    hop = ex[s.HOP].astype(int)
    return pd.DataFrame({
        "m": ex[s.OVERLAP_MIN].to_numpy(dtype=float),
        "w": ex[s.VENUE_ID].map(weights).fillna(1.0).to_numpy(dtype=float),
        "f": f, "c": np.minimum(1.0, close_range / np.maximum(n_co, 1)), "n_co": n_co,
        "h": hop.map(dict(HOP_FACTORS)).fillna(min(HOP_FACTORS.values())).to_numpy(float),
    }, index=ex.index)


def capacity(rule: Rule | str | None = None, exposures: pd.DataFrame | None = None) -> int:
    """People the teams can call per day: the rule's ``calls_per_day``.

    The rule is `rule` if given, else the one the exposures were traced with (their
    ``rule_id`` column); without either, :data:`tracelab.model.rules.DEFAULT_CALLS_PER_DAY`.

    Raises
    ------
    ValueError
        If the exposures were traced under rules with different capacities (pass one).

    Examples
    --------
    >>> capacity("twenty"), capacity("twenty(calls_per_day=50)")
    (200, 50)
    >>> capacity(exposures=pd.DataFrame({"rule_id": ["ninth(calls_per_day=80)"] * 2}))
    80
    """
    if rule is not None:
        return as_rule(rule).calls_per_day
    if exposures is None or s.RULE_ID not in exposures:
        return DEFAULT_CALLS_PER_DAY
    found = {as_rule(str(r)).calls_per_day for r in exposures[s.RULE_ID].dropna().unique()}
    if len(found) > 1:
        raise ValueError(msg("the exposures were traced under rules with different "
                             "calls_per_day {found}; pass calls_per_day= or rule=",
                             found=sorted(found)))
    return found.pop() if found else DEFAULT_CALLS_PER_DAY


def rank_contacts(
    exposures: pd.DataFrame,
    cases: pd.DataFrame,
    visits: pd.DataFrame | None = None,
    venues: pd.DataFrame | None = None,
    *,
    venue_types: pd.DataFrame | None = None,
    per: Literal["contact", "pair"] = "contact",
    calls_per_day: int | Literal["rule"] | None = "rule",
    rule: Rule | str | None = None,
    cutoffs: tuple[float, float] = (20.0, 5.0),
    beta_per_hour: float = 0.5,
    close_range: float = 8.0,
    profile: Sequence[tuple[float, float]] = INFECTIOUSNESS_PROFILE,
) -> pd.DataFrame:
    r"""Rank exposed people by an explainable score, with a tier and a reason each.

    Per exposure row ``e`` the dose is :math:`m_e/60 \cdot w_e \cdot f_e \cdot c_e
    \cdot h_e`: overlap hours, venue-type weight (indoor, crowding; reference table),
    the case's infectiousness at the overlap's midpoint (:data:`INFECTIOUSNESS_PROFILE`,
    times :data:`ASYMPTOMATIC_RELATIVE` for cases without onset), the crowding share
    :math:`\min(1, k/n)` with :math:`n` people present with the case during that stay,
    and the hop factor (:data:`HOP_FACTORS`). Doses add over exposures, so more cases and
    more exposures raise the score. ``risk = 1 - exp(-beta * dose)``;
    ``score = 100 * risk * colour_factor`` where the colour factor is that of the worst
    code colour the person scanned since first exposure (:data:`COLOUR_FACTORS`).

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``schema.EXPOSURE_COLUMNS`` (``category``, ``rule_id``, ``why`` not needed).
    cases : pandas.DataFrame
        ``person_id``, ``onset_at``, ``sampled_at`` of the traced cases. Sources not
        listed here (hop-2 rows' hop-1 contacts) count at infectiousness 1 and are damped
        by the hop factor instead.
    visits : pandas.DataFrame, optional
        Scans (``scanned_at``) or visits (``t_in``) with ``code_color``; without it every
        contact counts as green.
    venues : pandas.DataFrame, optional
        ``venue_id``, ``venue_type``; without it every venue has weight 1.
    venue_types : pandas.DataFrame, optional
        Venue-type table with ``weight``; default :func:`tracelab.model.reference.venue_types`.
    per : {"contact", "pair"}
        One row per contact, or per (case, contact) pair.
    calls_per_day : int, "rule" or None, default "rule"
        Capacity: ranks 1..N are ``call_today``, N+1..2N ``within_24h``, the rest
        ``monitor``. ``"rule"`` takes N from the rule (:func:`capacity`: `rule`, else the
        exposures' ``rule_id``, else 200). None uses ``cutoffs`` instead.
    rule : Rule or str, optional
        The rule whose ``calls_per_day`` sets the capacity when ``calls_per_day="rule"``.
    cutoffs : (float, float), default (20, 5)
        Score at or above which a row is ``call_today``, ``within_24h`` (design default).
    beta_per_hour : float, default 0.5
        Scale of ``risk`` per weighted hour (design default; only the order matters
        within one colour).
    close_range : float, default 8
        People a case can be near during one stay (design default, DOMAIN §2.2 limits
        close contact to the same room).
    profile : sequence of (days from onset, relative infectiousness)

    Returns
    -------
    pandas.DataFrame
        A new frame sorted by rank: ``contact_id`` (and ``case_id`` for pairs), ``hop``
        (lowest), ``n_cases``, ``n_exposures``, ``n_venues``, ``overlap_minutes`` (sum),
        ``venue_factor``, ``infectiousness_factor``, ``crowding_factor``, ``hop_factor``
        (minute-weighted means chained so that their product times the overlap hours is
        ``dose_hours``), ``dose_hours``, ``risk``, ``code_color``, ``colour_factor``,
        ``score``, ``rank``, ``tier``, ``first_exposure``, ``last_exposure``, ``why``.

    Raises
    ------
    ValueError
        On missing columns, an unknown ``per``, or bad capacity and cut-offs.

    References
    ----------
    He X. et al., Temporal dynamics in viral shedding and transmissibility of COVID-19,
    Nat Med 2020;26:672-675. Corona-Warn-App weights overlap minutes by a transmission
    risk level (PRIOR-ART §1); DOMAIN §2.2 (settings), §5.2 (colours).

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> m = pd.Timedelta(minutes=1)
    >>> ex = pd.DataFrame({"case_id": ["C1", "C1", "C1"], "contact_id": ["P1", "P2", "P2"],
    ...     "venue_id": ["R", "S", "S"], "hop": [1, 1, 1], "case_t_in": [t] * 3,
    ...     "case_t_out": [t + 60 * m] * 3, "overlap_start": [t] * 3,
    ...     "overlap_end": [t + 60 * m, t + 20 * m, t + 20 * m],
    ...     "overlap_minutes": [60.0, 20.0, 20.0]})
    >>> cases = pd.DataFrame({"person_id": ["C1"], "onset_at": [t + pd.Timedelta(days=1)]})
    >>> venues = pd.DataFrame({"venue_id": ["R", "S"], "venue_type": ["restaurant", "pharmacy"]})
    >>> r = rank_contacts(ex, cases, venues=venues)
    >>> r[["contact_id", "overlap_minutes", "venue_factor", "rank", "tier"]]
      contact_id  overlap_minutes  venue_factor  rank        tier
    0         P1             60.0           1.5     1  call_today
    1         P2             40.0           1.0     2  call_today
    >>> print(r.loc[0, "why"])  # doctest: +NORMALIZE_WHITESPACE
    #1 of 2, call today: 60 min with 1 case in 1 exposure at 1 venue (mostly
    restaurant, weight 1.5); case at 71% of peak infectiousness; 1 person present with
    the case (crowding 1.00); hop 1; code green; score 41.1.
    """
    if per not in ("contact", "pair"):
        raise ValueError(msg("per={per!r}; allowed: 'contact', 'pair'", per=per))
    n_calls = capacity(rule, exposures) if calls_per_day == "rule" else calls_per_day
    if n_calls is not None and (isinstance(n_calls, bool | str) or not isinstance(
            n_calls, int | np.integer) or n_calls < 1):
        raise ValueError(msg("calls_per_day={calls_per_day!r}; give a positive int, 'rule' or "
                             "None", calls_per_day=calls_per_day))
    if not cutoffs[0] >= cutoffs[1] >= 0:
        raise ValueError(msg("cutoffs={cutoffs!r}; give (call_today, within_24h) scores, "
                             "first >= second >= 0", cutoffs=cutoffs))
    require_columns(exposures, (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.HOP, s.CASE_T_IN,
                       s.OVERLAP_START, s.OVERLAP_END, s.OVERLAP_MIN), "exposures")
    weights, vtype = venue_weights(venues, venue_types)
    ex = exposures.reset_index(drop=True)
    comp = _exposure_components(ex, cases, weights, close_range, profile)
    # The five factors of an exposure's dose, one value per exposure row.
    minutes = comp["m"].to_numpy()  # overlap minutes
    venue_weight = comp["w"].to_numpy()  # venue type: indoor, crowding
    infectious = comp["f"].to_numpy()  # the case's infectiousness at the overlap midpoint
    crowding = comp["c"].to_numpy()  # min(1, k / people present with the case)
    hop_factor = comp["h"].to_numpy()  # 1 for hop 1, less for hop 2
    keys = [s.CONTACT_ID] if per == "contact" else [s.CASE_ID, s.CONTACT_ID]
    # Running products of the factors, summed per contact below: each factor shown in the
    # sentence is then a ratio of two sums, its mean weighted by the product before it
    # (e.g. mean infectiousness = sum(m*w*f) / sum(m*w)). The dose is the full product in
    # hours: m/60 * w * f * c * h.
    by_venue = minutes * venue_weight
    by_infectious = by_venue * infectious
    by_crowding = by_infectious * crowding
    work = ex[keys + [s.VENUE_ID, s.CASE_ID, s.HOP, s.OVERLAP_START, s.OVERLAP_END]].loc[
        :, lambda d: ~d.columns.duplicated()].assign(
        _minutes=minutes, _by_venue=by_venue, _by_infectious=by_infectious,
        _by_crowding=by_crowding, _dose=by_crowding * hop_factor / 60,
        _co_present=comp["n_co"].to_numpy() * minutes,
        _venue_type=ex[s.VENUE_ID].map(vtype).astype(object).fillna("venue"))
    per_contact = work.groupby(keys, sort=True)
    agg = per_contact.agg(**{
        s.HOP: (s.HOP, "min"), N_CASES: (s.CASE_ID, "nunique"), N_EXPOSURES: (s.HOP, "size"),
        N_VENUES: (s.VENUE_ID, "nunique"), s.OVERLAP_MIN: ("_minutes", "sum"),
        "_by_venue": ("_by_venue", "sum"), "_by_infectious": ("_by_infectious", "sum"),
        "_by_crowding": ("_by_crowding", "sum"), DOSE: ("_dose", "sum"),
        "_co_present": ("_co_present", "sum"),
        FIRST_EXPOSURE: (s.OVERLAP_START, "min"), LAST_EXPOSURE: (s.OVERLAP_END, "max"),
    })
    # The venue type with the most minutes, for the sentence.
    top = (work.groupby(keys + ["_venue_type"], sort=True)["_minutes"].sum().reset_index()
           .sort_values(keys + ["_minutes"], ascending=[True] * len(keys) + [False],
                        kind="stable")
           .drop_duplicates(keys).set_index(keys)["_venue_type"])

    def ratio(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a / b.where(b > 0)).fillna(1.0)

    mins = agg[s.OVERLAP_MIN]
    out = agg[[s.HOP, N_CASES, N_EXPOSURES, N_VENUES, s.OVERLAP_MIN]].assign(**{
        VENUE_FACTOR: ratio(agg["_by_venue"], mins),
        INFECTIOUSNESS: ratio(agg["_by_infectious"], agg["_by_venue"]),
        CROWDING_FACTOR: ratio(agg["_by_crowding"], agg["_by_infectious"]),
        HOP_FACTOR: ratio(agg[DOSE] * 60, agg["_by_crowding"]), DOSE: agg[DOSE],
    })
    out[RISK] = -np.expm1(-beta_per_hour * out[DOSE])
    first = agg[FIRST_EXPOSURE].groupby(level=s.CONTACT_ID).min()
    colour = _worst_colour(visits, first)
    out[s.CODE_COLOUR] = colour.reindex(out.index.get_level_values(s.CONTACT_ID)).to_numpy()
    out[COLOUR_FACTOR] = out[s.CODE_COLOUR].map(dict(COLOUR_FACTORS)).astype(float)
    out[SCORE] = 100.0 * out[RISK] * out[COLOUR_FACTOR]
    out[FIRST_EXPOSURE], out[LAST_EXPOSURE] = agg[FIRST_EXPOSURE], agg[LAST_EXPOSURE]
    out = out.reset_index().sort_values([SCORE, s.OVERLAP_MIN] + keys,
                                        ascending=[False, False] + [True] * len(keys),
                                        kind="stable", ignore_index=True)
    out[RANK] = np.arange(1, len(out) + 1, dtype=np.int64)
    if n_calls is not None:
        tier = np.where(out[RANK] <= n_calls, 0, np.where(out[RANK] <= 2 * n_calls, 1, 2))
    else:
        tier = np.where(out[SCORE] >= cutoffs[0], 0, np.where(out[SCORE] >= cutoffs[1], 1, 2))
    out[TIER] = pd.array(np.asarray(TIERS, dtype=object)[tier], dtype="str")
    n_co = (agg["_co_present"] / mins.where(mins > 0)).fillna(1.0)
    key_index = pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else pd.Index(out[keys[0]])
    out[s.WHY] = _sentences(out, top.reindex(key_index).to_numpy(),
                            n_co.reindex(key_index).to_numpy())
    return out


def _sentences(out: pd.DataFrame, top: np.ndarray, n_co: np.ndarray) -> list[str]:
    total = len(out)
    rows = zip(out[RANK], out[TIER], out[s.OVERLAP_MIN], out[N_CASES], out[N_EXPOSURES],
               out[N_VENUES], top, out[VENUE_FACTOR], out[INFECTIOUSNESS], n_co,
               out[CROWDING_FACTOR], out[s.HOP], out[s.CODE_COLOUR], out[COLOUR_FACTOR],
               out[SCORE], strict=True)
    text = []
    for rk, tier, mins, nc, ne, nv, vt, w, f, n, c, hop, col, cf, sc in rows:
        raise_note = f" (priority x{cf:g})" if cf != 1 else ""
        hop_note = "hop 1" if hop == 1 else f"hop {hop}, exposed to a contact, not a case"
        text.append(
            f"#{rk} of {total}, {_TIER_TEXT[tier]}: {mins:.0f} min with {nc} "
            f"case{'s' if nc != 1 else ''} in {ne} exposure{'s' if ne != 1 else ''} at {nv} "
            f"venue{'s' if nv != 1 else ''} (mostly {vt}, weight {w:.1f}); case at "
            f"{f:.0%} of peak infectiousness; {n:.0f} {'person' if round(n) == 1 else 'people'} "
            f"present with the case (crowding {c:.2f}); {hop_note}; code {col}{raise_note}; "
            f"score {sc:.1f}.")
    return text


def _as_visits(frame: pd.DataFrame, venues: pd.DataFrame | None) -> pd.DataFrame:
    if s.T_IN in frame and s.T_OUT in frame:
        return frame
    if venues is None:
        raise ValueError(msg("visits holds scans (no t_in/t_out); pass venues= so they can "
                             "become visits, or pass tracelab.visits(scans, venues)"))

    return build_visits(frame, venues)


def occupancy(visits: pd.DataFrame, venue_ids: Sequence[Any], start: Any, end: Any, *,
              bin_minutes: int = 15) -> pd.DataFrame:
    """People present per venue and time bin: the occupancy curve.

    A person counts in every bin ``[b, b + bin)`` that their ``[t_in, t_out)`` overlaps
    (a zero-length visit counts in the bin holding its instant). Bins start at
    ``start`` floored to the bin size and stop before ``end``.

    Returns
    -------
    pandas.DataFrame
        ``venue_id``, ``bin_start``, ``present`` (distinct people), one row per venue
        and bin, zeros included.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> v = pd.DataFrame({"person_id": ["A", "B"], "venue_id": ["V", "V"],
    ...     "t_in": [t, t + pd.Timedelta(minutes=20)], "t_out": [t + pd.Timedelta(minutes=40)] * 2})
    >>> occupancy(v, ["V"], t, t + pd.Timedelta(hours=1))["present"].tolist()
    [1, 2, 2, 0]
    """
    if bin_minutes <= 0:
        raise ValueError(msg("bin_minutes={bin_minutes!r}; give a positive number of minutes",
                             bin_minutes=bin_minutes))
    require_columns(visits, (s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT), "visits")
    size = int(bin_minutes) * NS_PER_MIN
    lo = pd.Timestamp(start).tz_convert("UTC").as_unit("ns").value // size * size
    hi = pd.Timestamp(end).tz_convert("UTC").as_unit("ns").value
    edges = np.arange(lo, max(hi, lo + 1), size, dtype=np.int64)
    venue_ids = list(dict.fromkeys(venue_ids))
    v = visits[visits[s.VENUE_ID].isin(venue_ids)]
    a = v[s.T_IN].dt.as_unit("ns").to_numpy("datetime64[ns]").view(np.int64)
    b = v[s.T_OUT].dt.as_unit("ns").to_numpy("datetime64[ns]").view(np.int64)
    first = np.clip((a - lo) // size, 0, len(edges))
    last = np.clip(np.maximum(b - 1, a) - lo, -1, None) // size
    last = np.minimum(last, len(edges) - 1)
    counts = np.maximum(last - first + 1, 0)
    rows = np.repeat(np.arange(len(v)), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    bins = np.repeat(first, counts) + step
    hits = pd.DataFrame({s.VENUE_ID: v[s.VENUE_ID].to_numpy()[rows], "b": bins,
                         s.PERSON_ID: v[s.PERSON_ID].to_numpy()[rows]})
    present = hits.groupby([s.VENUE_ID, "b"])[s.PERSON_ID].nunique()
    full = pd.MultiIndex.from_product([venue_ids, np.arange(len(edges))], names=[s.VENUE_ID, "b"])
    present = present.reindex(full, fill_value=0)
    return pd.DataFrame({
        s.VENUE_ID: full.get_level_values(0),
        BIN_START: pd.DatetimeIndex(edges[full.get_level_values(1)].view("datetime64[ns]"),
                                    tz="UTC"),
        PRESENT: present.to_numpy(dtype=np.int64),
    })


def rank_venues(
    exposures: pd.DataFrame,
    cases: pd.DataFrame,
    visits: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    venue_types: pd.DataFrame | None = None,
    bin_minutes: int = 15,
    alert_slack_minutes: float = 30.0,
) -> pd.DataFrame:
    """Rank venues that cases visited while infectious, with the reasons.

    Parameters
    ----------
    exposures : pandas.DataFrame
        From :func:`tracelab.tracing.forward.trace`; hop-1 rows say when cases were where.
    cases : pandas.DataFrame
        The traced cases (``person_id``); only their hop-1 rows count as case stays.
    visits : pandas.DataFrame
        Visits (``t_in``, ``t_out``), or scans turned into visits with ``venues``.
    venues : pandas.DataFrame
        ``venue_id``, ``venue_type``, optionally ``name`` and ``township``.
    venue_types : pandas.DataFrame, optional
        Default :func:`tracelab.model.reference.venue_types`.
    bin_minutes : int, default 15
        Occupancy bin for ``peak_present``.
    alert_slack_minutes : float, default 30
        An alert for a case stay reaches everyone present from the case's entry to its
        exit plus this slack (DOMAIN §11.2 ``overlap_slack_minutes``).

    Returns
    -------
    pandas.DataFrame
        One row per venue, sorted by ``score``: ``venue_id``, ``venue_type``, ``weight``,
        ``n_cases``, ``case_hours``, ``n_exposed`` (distinct contacts), ``overlap_minutes``,
        ``peak_present`` (most people present in one bin while a case was there),
        ``alert_reach`` (people other than cases), ``n_nongreen`` (people scanning
        yellow or red in those windows, PRIOR-ART §5 item 15), ``score`` = weight x
        case hours x log2(1 + peak) x (1 + share non-green) (design default), ``rank``
        and ``why``.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> m = pd.Timedelta(minutes=1)
    >>> visits = pd.DataFrame({"person_id": ["C1", "P1", "P2"], "venue_id": ["R"] * 3,
    ...     "t_in": [t, t + 10 * m, t + 70 * m], "t_out": [t + 60 * m, t + 50 * m, t + 80 * m],
    ...     "code_color": ["green", "yellow", "green"]})
    >>> ex = pd.DataFrame({"case_id": ["C1"], "contact_id": ["P1"], "venue_id": ["R"],
    ...     "hop": [1], "case_t_in": [t], "case_t_out": [t + 60 * m],
    ...     "overlap_start": [t + 10 * m], "overlap_end": [t + 50 * m],
    ...     "overlap_minutes": [40.0]})
    >>> venues = pd.DataFrame({"venue_id": ["R"], "venue_type": ["restaurant"]})
    >>> r = rank_venues(ex, pd.DataFrame({"person_id": ["C1"]}), visits, venues)
    >>> r[["venue_id", "n_cases", "n_exposed", "peak_present", "alert_reach", "n_nongreen"]]
      venue_id  n_cases  n_exposed  peak_present  alert_reach  n_nongreen
    0        R        1          1             2            2           1
    """
    require_columns(exposures, (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.HOP, s.CASE_T_IN, s.CASE_T_OUT,
                       s.OVERLAP_MIN), "exposures")
    weights, vtype = venue_weights(venues, venue_types)
    visits = _as_visits(visits, venues)
    case_ids = set(cases[s.PERSON_ID])
    hop1 = exposures[(exposures[s.HOP] == 1) & exposures[s.CASE_ID].isin(case_ids)]
    stays = hop1[[s.CASE_ID, s.VENUE_ID, s.CASE_T_IN, s.CASE_T_OUT]].drop_duplicates()
    rows = []
    size = int(bin_minutes) * NS_PER_MIN
    at = visits[visits[s.VENUE_ID].isin(stays[s.VENUE_ID].unique())]
    by_venue = dict(list(at.groupby(s.VENUE_ID, sort=False)))
    for venue_id, st in stays.groupby(s.VENUE_ID, sort=True):
        v_all = by_venue.get(venue_id, at.iloc[:0])
        others = ~v_all[s.PERSON_ID].isin(case_ids).to_numpy()
        a, b = to_ns(v_all[s.T_IN]), to_ns(v_all[s.T_OUT])
        ci, co = to_ns(st[s.CASE_T_IN]), to_ns(st[s.CASE_T_OUT])
        # One occupancy curve over the venue's case period; the peak is taken over the
        # bins that overlap a case stay.
        occ = occupancy(v_all, [venue_id], timestamp_from_ns(ci.min()), timestamp_from_ns(max(co.max(), ci.min() + 1)),
                        bin_minutes=bin_minutes)
        starts = to_ns(occ[BIN_START])
        during = np.zeros(len(starts), bool)
        hit = np.zeros(len(v_all), bool)
        for lo, hi in zip(ci, co, strict=True):
            during |= (starts < max(hi, lo + 1)) & (starts + size > lo)
            end = hi + int(alert_slack_minutes * NS_PER_MIN)
            hit |= (a < end) & ((b > lo) | (a >= lo))
        hit &= others
        peak = int(occ[PRESENT].to_numpy()[during].max()) if during.any() else 0
        reach = v_all.loc[hit, s.PERSON_ID].nunique()
        nongreen = (v_all.loc[hit & v_all[s.CODE_COLOUR].isin([s.YELLOW, s.RED]).to_numpy(),
                              s.PERSON_ID].nunique() if s.CODE_COLOUR in v_all else 0)
        ex_v = hop1[hop1[s.VENUE_ID] == venue_id]
        hours = float((co - ci).sum() / 3.6e12)
        rows.append({s.VENUE_ID: venue_id, s.VENUE_TYPE: vtype.get(venue_id, ""),
                     s.WEIGHT: weights.get(venue_id, 1.0), N_CASES: st[s.CASE_ID].nunique(),
                     CASE_HOURS: hours, N_EXPOSED: ex_v[s.CONTACT_ID].nunique(),
                     s.OVERLAP_MIN: float(ex_v[s.OVERLAP_MIN].sum()), PEAK_PRESENT: peak,
                     N_ALERT: reach, N_NONGREEN: nongreen})
    cols = [s.VENUE_ID, s.VENUE_TYPE, s.WEIGHT, N_CASES, CASE_HOURS, N_EXPOSED,
            s.OVERLAP_MIN, PEAK_PRESENT, N_ALERT, N_NONGREEN]
    out = pd.DataFrame(rows, columns=cols)
    share = (out[N_NONGREEN] / out[N_ALERT].where(out[N_ALERT] > 0)).fillna(0.0)
    out[SCORE] = (out[s.WEIGHT] * out[CASE_HOURS] * np.log2(1 + out[PEAK_PRESENT])
                  * (1 + share))
    out = out.sort_values([SCORE, N_CASES, s.VENUE_ID], ascending=[False, False, True],
                          kind="stable", ignore_index=True)
    out[RANK] = np.arange(1, len(out) + 1, dtype=np.int64)
    out[s.WHY] = [
        f"#{r.rank}: {r.n_cases} case{'s' if r.n_cases != 1 else ''} spent {r.case_hours:.1f} h "
        f"here while infectious ({r.venue_type or 'venue'}, weight {r.weight:.1f}); "
        f"{r.n_exposed} people exposed, up to {r.peak_present} present in one "
        f"{bin_minutes}-min bin; an alert would reach {r.alert_reach}; {r.n_nongreen} "
        f"scanned yellow or red then."
        for r in out.itertuples(index=False)
    ]
    return out
