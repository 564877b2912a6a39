"""Backward tracing: where a case could have been infected, and venues cases share.

:func:`sources` weighs every known case the case shared a venue (or, given a household
roster, a home) with by how likely that contact infected it, and turns the weights into
probabilities with an "unknown source" remainder; then it ranks the venues the case
visited by the probability that the infection happened there. :func:`common_venues`
lists, for a cluster without a known source, the venues several cases visited inside
their plausible exposure windows (PRIOR-ART §5.12).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import (
    NAT,
    NS_PER_DAY,
    NS_PER_HOUR,
    NS_PER_MIN,
    from_ns,
    local_minutes,
    timestamp_ns,
    to_ns,
)
from tracelab._validate import require_columns
from tracelab.index.graph import QUERY, VisitGraph, VisitSource
from tracelab.model import schema as s
from tracelab.model.ids import mask_id
from tracelab.model.rules import Rule, as_rule
from tracelab.model.schema import (
    CASE_IDS,
    FIRST_AT,
    HOUSEHOLD_ID,
    LAST_AT,
    N_CASES,
    N_OVERLAPPING,
    PROBABILITY,
    RANK,
    SCORE,
    SOURCE_ID,
    SOURCE_KIND,
)

__all__ = ["sources", "common_venues", "SourceModel", "SOURCE_KIND", "SOURCE_ID", "SCORE",
           "PROBABILITY", "RANK", "FIRST_AT", "LAST_AT", "N_CASES", "CASE_IDS",
           "N_OVERLAPPING", "HOUSEHOLD_ID", "UNKNOWN"]

# str: household of a person in the roster given to sources(); the same name as the
# synthetic persons table's column (tracelab.synth.columns.HOUSEHOLD_ID).
UNKNOWN = "unknown"  # source_kind and source_id of the remainder: an infector not known
_VENUE_IDS = "venue_ids"  # str: comma-separated venues of a candidate case
_HOME = "household"  # venue_ids entry of time at home with a household member

_SOURCE_COLUMNS = [RANK, SOURCE_KIND, SOURCE_ID, _VENUE_IDS, FIRST_AT, LAST_AT, s.OVERLAP_MIN,
                   SCORE, PROBABILITY, s.WHY]


@dataclass(frozen=True)
class SourceModel:
    """Natural history and contact weights with which :func:`sources` scores a candidate.

    Attributes
    ----------
    incubation_mean_days, incubation_sd_days : float
        Log-normal incubation, infection to onset: Omicron mean 3.2 days (Backer et al.,
        Euro Surveill 2022;27(6):2200042; DOMAIN §1 gives 2-4 days); the sd is a design
        default.
    presymptomatic_days : float
        Infectious from this long before onset (DOMAIN §2.1 starts the case window 2 days
        before onset).
    infectious_after_onset_days : float
        Infectious until onset + this: culturable Omicron virus rarely past day 6-8
        (Boucau et al., N Engl J Med 2022;387:275-277).
    min_latent_days : float
        Nobody is infectious sooner than this after being infected (design default).
    asymptomatic_relative : float
        Relative infectiousness of asymptomatic cases: risk ratio about 0.32-0.35
        (Buitrago-Garcia et al., PLoS Med 2022;19(5):e1003987).
    close_range : float
        Crowding: with ``n`` other people present during the case's stay, each of them
        counts ``min(1, close_range / n)``, as in :func:`tracelab.analysis.ranking.rank_contacts`
        (design default 8).
    residence_factor : float
        Co-presence at a residence (compound, village) counts this share of its venue
        weight: a gate scan shows neighbours, not a shared room (design default 0.1).
        Household members named in a roster count as a household instead.
    household_weight : float
        Weight of an evening hour at home with a household member, relative to an hour
        at an ordinary uncrowded venue (weight 1); design default 1.
    home_hours : tuple of float
        Local hours of the evening a household spends together (design default 18-24).
    unknown_prevalence : float
        Chance that someone present with the case who is not a known case was infectious
        (at half the peak): the weight of the "unknown source" remainder. Design default
        0.05; raise it where many cases have no known source.

    Examples
    --------
    >>> SourceModel().incubation_mean_days, SourceModel(close_range=4).close_range
    (3.2, 4)
    """

    incubation_mean_days: float = 3.2
    incubation_sd_days: float = 1.6
    presymptomatic_days: float = 2.0
    infectious_after_onset_days: float = 6.0
    min_latent_days: float = 1.0
    asymptomatic_relative: float = 0.35
    close_range: float = 8.0
    residence_factor: float = 0.1
    household_weight: float = 1.0
    home_hours: tuple[float, float] = (18.0, 24.0)
    unknown_prevalence: float = 0.05

    def __post_init__(self) -> None:
        bad = {k: v for k, v in vars(self).items() if k != "home_hours" and not v >= 0}
        if self.incubation_mean_days <= 0 or self.incubation_sd_days <= 0:
            bad.update(incubation_mean_days=self.incubation_mean_days,
                       incubation_sd_days=self.incubation_sd_days)
        if self.presymptomatic_days <= 0 or self.infectious_after_onset_days <= 0:
            bad.update(presymptomatic_days=self.presymptomatic_days,
                       infectious_after_onset_days=self.infectious_after_onset_days)
        lo, hi = self.home_hours
        if not 0 <= lo < hi <= 24:
            bad["home_hours"] = self.home_hours
        if bad:
            raise ValueError(msg("SourceModel: {bad} out of range; incubation and infectious "
                                 "periods must be > 0, the rest >= 0, home_hours within 0-24",
                                 bad=bad))


def _anchor(cases: pd.DataFrame) -> np.ndarray:
    """Onset, else sampling, else confirmation (public case lists date cases by it)."""
    def col(name: str) -> np.ndarray:
        return to_ns(cases[name]) if name in cases else np.full(len(cases), NAT)

    onset, sampled, confirmed = col(s.ONSET_AT), col(s.SAMPLED_AT), col(s.CONFIRMED_AT)
    return np.where(onset != NAT, onset, np.where(sampled != NAT, sampled, confirmed))


def _incubation(cases: pd.DataFrame, r: Rule) -> tuple[np.ndarray, np.ndarray]:
    anchor = _anchor(cases)
    if (anchor == NAT).any():
        bad = cases[s.PERSON_ID].to_numpy()[anchor == NAT]
        raise ValueError(msg("cases: {n} case(s) with none of onset_at, sampled_at, confirmed_at, "
                             "e.g. {examples}; backward tracing needs one", n=len(bad),
                             examples=[mask_id(str(b)) for b in bad[:3]]))
    return (anchor - int(r.incubation_max_days * NS_PER_DAY),
            anchor - int(r.incubation_min_days * NS_PER_DAY))


# --- natural history ------------------------------------------------------------------
def _norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26, error < 1.5e-7; no scipy)."""
    z = np.abs(x) / np.sqrt(2)
    t = 1 / (1 + 0.3275911 * z)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
            + 0.254829592) * t
    return 0.5 * (1 + np.sign(x) * (1 - poly * np.exp(-z * z)))


def _lognormal(m: SourceModel, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Incubation density (per day) and survival at ``days``; 0 and 1 at or below 0."""
    sigma = np.sqrt(np.log(1 + (m.incubation_sd_days / m.incubation_mean_days) ** 2))
    mu = np.log(m.incubation_mean_days) - sigma ** 2 / 2
    pos = days > 0
    z = (np.log(np.where(pos, days, 1.0)) - mu) / sigma
    pdf = np.exp(-z * z / 2) / (np.where(pos, days, 1.0) * sigma * np.sqrt(2 * np.pi))
    return np.where(pos, pdf, 0.0), np.where(pos, 1 - _norm_cdf(z), 1.0)


_GRID = 9  # points over an unknown onset's range


def _onsets(cases: pd.DataFrame, m: SourceModel) -> tuple[np.ndarray, np.ndarray]:
    """Per case, ``_GRID`` equally likely onsets (ns) and relative infectiousness.

    A case without onset (asymptomatic, or onset not reported) was sampled while
    infectious: its (pseudo-)onset lies between ``infectious_after_onset_days`` before
    sampling and ``presymptomatic_days`` after it, and after a last negative test plus
    ``presymptomatic_days``.
    """
    n = len(cases)
    onset = to_ns(cases[s.ONSET_AT]) if s.ONSET_AT in cases else np.full(n, NAT)
    sampled = to_ns(cases[s.SAMPLED_AT]) if s.SAMPLED_AT in cases else np.full(n, NAT)
    if s.CONFIRMED_AT in cases:  # public case lists: confirmation stands in for sampling
        sampled = np.where(sampled != NAT, sampled, to_ns(cases[s.CONFIRMED_AT]))
    negative = (to_ns(cases[s.LAST_NEGATIVE_AT]) if s.LAST_NEGATIVE_AT in cases
                else np.full(n, NAT))
    known = onset != NAT
    pre, post = int(m.presymptomatic_days * NS_PER_DAY), int(m.infectious_after_onset_days * NS_PER_DAY)
    hi = np.where(known, onset, sampled + pre)
    lo = np.where(known, onset, sampled - post)
    lo = np.where(~known & (negative != NAT), np.maximum(lo, negative + pre), lo)
    lo = np.minimum(lo, hi)
    grid = lo[:, None] + ((hi - lo)[:, None] * np.linspace(0, 1, _GRID)[None, :]).astype(np.int64)
    kind = cases[s.KIND].to_numpy() if s.KIND in cases else np.full(n, s.CONFIRMED)
    return grid, np.where(kind == s.ASYMPTOMATIC, m.asymptomatic_relative, 1.0)


def _infectiousness(t: np.ndarray, onsets: np.ndarray, m: SourceModel) -> np.ndarray:
    """Mean relative infectiousness at ``t`` over each row of ``onsets``.

    0.4 at ``presymptomatic_days`` before onset rising to 1 at onset, falling to 0.2 at
    the end (peak at onset: He et al., Nat Med 2020;26:672-675; the shape is the
    simulator's design default); before onset times the chance that the person was
    infected at least ``min_latent_days`` earlier.
    """
    d = (t[:, None] - onsets) / NS_PER_DAY
    pre, post = m.presymptomatic_days, m.infectious_after_onset_days
    value = np.where(d < 0, 0.4 + 0.6 * np.clip(1 + d / pre, 0, 1),
                     1.0 - 0.8 * np.clip(d / post, 0, 1))
    latent = _lognormal(m, m.min_latent_days - np.minimum(d, 0))[1]
    return np.where((d >= -pre) & (d < post), value * latent, 0.0).mean(axis=1)


def _density(t: np.ndarray, onsets: np.ndarray, m: SourceModel, r: Rule) -> np.ndarray:
    """Density (per day) that the case with these onsets was infected at ``t``."""
    d = (onsets[None, :] - t[:, None]) / NS_PER_DAY
    inside = (d >= r.incubation_min_days) & (d <= r.incubation_max_days)
    return np.where(inside, _lognormal(m, d)[0], 0.0).mean(axis=1)


def _pieces(a: np.ndarray, b: np.ndarray, step: int) -> tuple[np.ndarray, ...]:
    """Split ``[a, b)`` into pieces of at most ``step`` ns: owner, midpoint, length."""
    n = np.maximum(-(-(b - a) // step), 1)
    idx = np.repeat(np.arange(len(a)), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    length = (b - a)[idx] / n[idx]
    return idx, (a[idx] + (k + 0.5) * length).astype(np.int64), length


_STEP = 30 * NS_PER_MIN  # densities change over hours, not minutes


# --- contacts -------------------------------------------------------------------------
def _venue_segments(graph: VisitSource, case: Any, lo: int, hi: int, r: Rule,
                    m: SourceModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The case's visits in ``[lo, hi]`` and every overlap with someone else there.

    Overlaps are half-open presence intervals, the other person's stay extended by the
    rule's lingering; each carries its venue weight times the crowding share.
    """
    mine = graph.visits_of([case], (np.array([lo]), np.array([hi])))
    a_i = np.maximum(to_ns(mine[s.T_IN]), lo)
    b_i = np.minimum(to_ns(mine[s.T_OUT]), hi)
    mine = mine.assign(_a=a_i, _b=b_i)[b_i > a_i].reset_index(drop=True)
    if mine.empty:
        empty = np.array([], dtype=np.int64)
        return pd.DataFrame({"person": np.array([], dtype=object),
                             "venue": np.array([], dtype=object), "a": empty, "b": empty,
                             "weight": empty.astype(float),
                             "residence": empty.astype(bool)}), mine
    a_i, b_i = mine["_a"].to_numpy(), mine["_b"].to_numpy()
    venues = mine[s.VENUE_ID].to_numpy()
    linger = int(r.lingering_minutes * NS_PER_MIN)
    seen = graph.visits_at(list(venues), (a_i - linger, b_i))
    q = seen[QUERY].to_numpy()
    person = seen[s.PERSON_ID].to_numpy()
    a = np.maximum(to_ns(seen[s.T_IN]), a_i[q])
    b = np.minimum(to_ns(seen[s.T_OUT]) + linger, b_i[q])
    keep = (person != case) & (b > a)
    q, person, a, b = q[keep], person[keep], a[keep], b[keep]
    info = graph.venues.drop_duplicates(s.VENUE_ID).set_index(s.VENUE_ID)
    weight = info[s.WEIGHT].reindex(venues).fillna(1.0).to_numpy(float)
    residence = (info[s.RESIDENCE].reindex(venues).fillna(False).to_numpy(bool)
                 if s.RESIDENCE in info else np.zeros(len(venues), bool))
    crowd = np.bincount(q, minlength=len(venues))  # stays, a fair count of people present
    share = np.minimum(1.0, m.close_range / np.maximum(crowd, 1))
    weight = weight * share * np.where(residence, m.residence_factor, 1.0)
    return pd.DataFrame({"person": person, "venue": venues[q], "a": a, "b": b,
                         "weight": weight[q], "residence": residence[q]}), mine


def _mates(case: Any, households: pd.DataFrame | None, ids: np.ndarray) -> np.ndarray:
    """Known cases in the case's household (roster), the case excluded."""
    if households is None:
        return np.array([], dtype=object)
    require_columns(households, (s.PERSON_ID, HOUSEHOLD_ID), "households",
                    hint=msg("give one row per person"))
    # Only the case's and the known cases' rows matter: a county roster is long.
    wanted = households[s.PERSON_ID].isin([case, *pd.unique(ids)])
    roster = households[wanted].drop_duplicates(s.PERSON_ID).set_index(s.PERSON_ID)[
        HOUSEHOLD_ID]
    home = roster.get(case)
    if home is None or pd.isna(home):
        return np.array([], dtype=object)
    ids = np.unique(ids[ids != case])
    return ids[roster.reindex(ids).to_numpy() == home]


def _home_segments(mates: np.ndarray, lo: int, hi: int, r: Rule,
                   m: SourceModel) -> pd.DataFrame:
    """Evenings at home (``m.home_hours``, local) in ``[lo, hi]`` with each household mate."""
    zone = r.day_zone
    first = pd.Timestamp(lo, tz="UTC").tz_convert(zone).normalize() - pd.Timedelta(days=1)
    days = pd.date_range(first, pd.Timestamp(hi, tz="UTC").tz_convert(zone), freq="D")
    h0, h1 = m.home_hours
    a = np.maximum((days + pd.Timedelta(hours=h0)).as_unit("ns").asi8, lo)
    b = np.minimum((days + pd.Timedelta(hours=h1)).as_unit("ns").asi8, hi)
    a, b = a[b > a], b[b > a]
    return pd.DataFrame({"person": np.repeat(mates, len(a)), "venue": _HOME,
                         "a": np.tile(a, len(mates)), "b": np.tile(b, len(mates)),
                         "weight": m.household_weight, "residence": False})


def _day(ns: int, zone: str) -> str:
    return str(local_minutes(np.array([ns]), zone)[0])


def sources(
    graph: VisitGraph | VisitSource,
    case: Any,
    rule: str | Rule = "twenty",
    *,
    cases: pd.DataFrame,
    as_of: Any = None,
    households: pd.DataFrame | None = None,
    model: SourceModel | None = None,
    incubation_mean_days: float | None = None,
    incubation_sd_days: float | None = None,
) -> pd.DataFrame:
    r"""Rank who and where infected ``case``: known cases, an unknown source, then venues.

    Parameters
    ----------
    graph : VisitGraph or VisitSource
        Asked only for the case's visits and for the visits at those venues then.
    case : person id
        The case to trace backwards; must be a row of ``cases``.
    rule : str or Rule
        ``incubation_min_days`` / ``incubation_max_days`` bound the time between infection
        and onset; ``lingering_minutes`` extends others' stays; ``day_zone`` places evenings.
    cases : pandas.DataFrame
        All known cases (``schema.CASE_COLUMNS``): ``kind``, onset or sampling, last
        negative test and isolation place each candidate's infectious period.
    as_of : tz-aware time, optional
        Trace time: nothing after it is used.
    households : pandas.DataFrame, optional
        Household roster (``person_id``, ``household_id``), as investigators learn it from
        the case: household members who are cases become candidates through the evenings
        at home, whether or not their home gate scans were logged.
    model : SourceModel, optional
        Natural history and contact weights; default :class:`SourceModel`.
    incubation_mean_days, incubation_sd_days : float, optional
        Override the model's incubation period.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``source_kind`` (``case``, ``unknown`` or ``venue``), ``source_id``,
        ``venue_ids``, ``first_at``, ``last_at``, ``overlap_minutes``, ``score``,
        ``probability``, ``why``: known cases by descending probability, then one
        ``unknown`` row (an infector who is not a known case), then the venues the case
        visited by the probability that it was infected there. Empty if the case has
        neither visits nor household members in its exposure window.

    Raises
    ------
    ValueError
        If ``case`` is not in ``cases``, a case has no onset, sampling or confirmation time, or
        ``households`` lacks its columns.

    Notes
    -----
    The case was infected at an unknown time :math:`\tau` with density
    :math:`f(O - \tau)`, :math:`f` the log-normal incubation and :math:`O` its onset
    (without onset: a range of pseudo-onsets around sampling, see
    :class:`SourceModel`), inside the rule's incubation window. A candidate :math:`j`
    scores

    .. math:: L_j = \sum_{\text{shared stays}} w_v\, c_v \int f(O - t)\, \rho_j\,
              \iota_j(t)\, dt

    with :math:`w_v` the venue-type weight (a residence counts ``residence_factor`` of
    it), :math:`c_v = \min(1, \text{close\_range} / n)` for :math:`n` others present,
    :math:`\rho_j` 1 or ``asymptomatic_relative`` and :math:`\iota_j(t)` its
    infectiousness by days from its own onset (zero outside its infectious period and
    after its isolation; a candidate whose onset follows the case's is thereby mostly
    ruled out as it was rarely infectious early enough). Evenings at home with a
    household member weigh ``household_weight`` per hour. Everyone else present counts
    as infectious with chance ``unknown_prevalence`` at half the peak: the unknown
    source. ``probability`` is :math:`L_j` over the sum of all candidates and the
    unknown source; a venue's probability sums what happened there. The overlap is
    integrated in 30-minute pieces; boundary and rounding rules of forward matching do
    not apply.

    Examples
    --------
    Case A (onset 19 Nov) and case B (onset 21 Nov) dined together; C, not a case, came
    in ten minutes later:

    >>> t = pd.to_datetime(["2022-11-18 02:00", "2022-11-18 02:10", "2022-11-18 02:20"],
    ...                    utc=True)
    >>> scans = pd.DataFrame({"person_id": ["A", "B", "C"], "venue_id": ["V1"] * 3,
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["restaurant"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> cases = pd.DataFrame({"person_id": ["A", "B"], "kind": ["confirmed"] * 2,
    ...     "onset_at": pd.to_datetime(["2022-11-19 00:00", "2022-11-21 00:00"], utc=True)})
    >>> got = sources(g, "B", cases=cases)
    >>> got[["rank", "source_kind", "source_id", "overlap_minutes", "probability"]].round(2)
       rank source_kind source_id  overlap_minutes  probability
    0     1        case         A             50.0         0.96
    1     2     unknown   unknown             50.0         0.04
    2     3       venue        V1             60.0         1.00
    >>> print(got.loc[0, "why"])  # doctest: +NORMALIZE_WHITESPACE
    known case A shared 50 min with B at V1 from 2022-11-18 10:10 (Asia/Shanghai), its
    onset 2022-11-19: 96% chance it infected B, weighing B's incubation (3.2 days on
    average) and A's infectiousness then
    """
    r = as_rule(rule)
    # Any: mypy checks ** against every field of SourceModel, home_hours too.
    changes: dict[str, Any] = {k: v for k, v in (
        ("incubation_mean_days", incubation_mean_days),
        ("incubation_sd_days", incubation_sd_days)) if v is not None}
    m = replace(model or SourceModel(), **changes)
    ids = cases[s.PERSON_ID].to_numpy()
    if case not in set(ids):
        raise ValueError(msg("case={case!r} is not in cases; give its case row",
                             case=mask_id(str(case))))
    _incubation(cases, r)  # every candidate needs an onset or a sampling time
    onsets, relative = _onsets(cases, m)
    me = int(np.flatnonzero(ids == case)[0])
    lo = int(onsets[me].min() - r.incubation_max_days * NS_PER_DAY)
    hi = int(onsets[me].max() - r.incubation_min_days * NS_PER_DAY)
    if as_of is not None:
        hi = min(hi, timestamp_ns(as_of))
    if hi <= lo:
        return pd.DataFrame(columns=_SOURCE_COLUMNS)
    seg, mine = _venue_segments(graph, case, lo, hi, r, m)
    mates = _mates(case, households, ids)
    if len(mates):
        # A household member's time at home is counted as household, not as a compound.
        seg.loc[seg["residence"] & seg["person"].isin(set(mates)), "weight"] = 0.0
        seg = pd.concat([seg, _home_segments(mates, lo, hi, r, m)], ignore_index=True)
    if mine.empty and not len(mates):
        return pd.DataFrame(columns=_SOURCE_COLUMNS)
    row_of = pd.Series(np.arange(len(ids)), index=ids)
    row_of = row_of[~row_of.index.duplicated()].drop(case)
    idx, mid, length = _pieces(seg["a"].to_numpy(np.int64), seg["b"].to_numpy(np.int64), _STEP)
    # The density varies over hours: interpolate it from a 15-minute grid.
    grid = np.arange(lo, hi + _STEP, _STEP // 2, dtype=np.int64)
    density = np.interp(mid, grid, _density(grid, onsets[me], m, r))
    value = density * length / NS_PER_HOUR * seg["weight"].to_numpy()[idx]
    rows = row_of.reindex(seg["person"].to_numpy()[idx]).to_numpy()
    known = ~np.isnan(rows)
    k = rows[known].astype(np.int64)
    lam = relative[k] * _infectiousness(mid[known], onsets[k], m)
    if s.ISOLATED_AT in cases:
        iso = to_ns(cases[s.ISOLATED_AT])[k]
        lam = np.where((iso != NAT) & (mid[known] >= iso), 0.0, lam)
    value[known] *= lam
    value[~known] *= m.unknown_prevalence * 0.5
    # Back to one row per shared stay; categorical ids keep the grouping below cheap.
    n = len(seg)
    pieces = pd.DataFrame({
        "person": pd.Categorical(seg["person"]), "venue": pd.Categorical(seg["venue"]),
        "known": np.bincount(idx, weights=known, minlength=n) > 0,
        "a": seg["a"].to_numpy(np.int64), "b": seg["b"].to_numpy(np.int64),
        "value": np.bincount(idx, weights=value, minlength=n),
        "minutes": np.bincount(idx, weights=length * (value > 0), minlength=n) / NS_PER_MIN})
    total = float(value.sum())
    known = pieces["known"].to_numpy()
    out = pd.concat([_case_rows(pieces[known], cases, case, total, r, m),
                     _unknown_row(pieces[~known], case, total, lo, hi, m),
                     _venue_rows(pieces, mine, case, total, r)], ignore_index=True)
    out[FIRST_AT] = from_ns(out[FIRST_AT].to_numpy(np.int64))
    out[LAST_AT] = from_ns(out[LAST_AT].to_numpy(np.int64))
    out.insert(0, RANK, np.arange(1, len(out) + 1, dtype=np.int64))
    return out[_SOURCE_COLUMNS].astype({s.OVERLAP_MIN: float, SCORE: float,
                                        PROBABILITY: float})


def _share(value: float, total: float) -> float:
    # 12 decimals: sums of the same terms in another order (another engine) agree.
    return round(value / total, 12) if total > 0 else 0.0


def _case_rows(pieces: pd.DataFrame, cases: pd.DataFrame, case: Any, total: float,
               r: Rule, m: SourceModel) -> pd.DataFrame:
    zone = r.day_zone
    live = pieces[pieces["value"] > 0]  # only time while infectious, inside the window
    if live.empty:
        return pd.DataFrame(columns=_SOURCE_COLUMNS[1:])
    at_home = (live["venue"] == _HOME).to_numpy()
    agg = live.groupby("person", sort=True, observed=True).agg(
        score=("value", "sum"), minutes=("minutes", "sum"), first=("a", "min"),
        last=("b", "max"))
    away = live[~at_home].groupby("person", sort=True, observed=True).agg(
        away_min=("minutes", "sum"), away_first=("a", "min"),
        venues=("venue", lambda v: ",".join(sorted(set(map(str, v))))))
    home = live[at_home].assign(_d=live.loc[at_home, "a"] // NS_PER_DAY).groupby(
        "person", sort=True, observed=True).agg(evenings=("_d", "nunique"),
                                                home_first=("a", "min"))
    agg = agg.join(away).join(home)
    people = agg.index.to_numpy()
    anchors = pd.Series(_anchor(cases), index=cases[s.PERSON_ID].to_numpy())
    anchors = anchors[~anchors.index.duplicated()]
    has_onset = set(cases.loc[to_ns(cases[s.ONSET_AT]) != NAT, s.PERSON_ID]
                    ) if s.ONSET_AT in cases else set()
    day = lambda col: dict(zip(people, local_minutes(  # noqa: E731
        agg[col].fillna(0).to_numpy(np.int64), zone), strict=True))
    own_day = dict(zip(people, local_minutes(anchors.reindex(people).to_numpy(np.int64), zone),
                       strict=True))
    away_day, home_day = day("away_first"), day("home_first")
    rows = []
    for source, x in zip(people, agg.itertuples(index=False), strict=True):
        told = []
        if x.away_min > 0:
            told.append(f"shared {round(x.away_min, 1):g} min with {case} at {x.venues} "
                        f"from {away_day[source]}")
        if x.evenings > 0:
            told.append(f"lives with {case} (household roster): {int(x.evenings)} "
                        f"evening(s) at home from {home_day[source]}")
        p = _share(x.score, total)
        own = "onset" if source in has_onset else "sampling"
        rows.append({SOURCE_KIND: "case", SOURCE_ID: source,
                     _VENUE_IDS: ",".join(([x.venues] if x.away_min > 0 else [])
                                          + ([_HOME] if x.evenings > 0 else [])),
                     FIRST_AT: int(x.first), LAST_AT: int(x.last),
                     s.OVERLAP_MIN: round(float(x.minutes), 1), SCORE: round(float(x.score), 12),
                     PROBABILITY: p,
                     s.WHY: f"known case {source} " + " and ".join(told) + f" ({zone}), "
                            f"its {own} {own_day[source][:10]}: {p:.0%} chance it infected "
                            f"{case}, weighing {case}'s incubation "
                            f"({m.incubation_mean_days:g} days on average) and {source}'s "
                            "infectiousness then"})
    out = pd.DataFrame(rows, columns=_SOURCE_COLUMNS[1:])
    return out.sort_values([PROBABILITY, FIRST_AT], ascending=[False, True])


def _unknown_row(pieces: pd.DataFrame, case: Any, total: float, lo: int, hi: int,
                 m: SourceModel) -> pd.DataFrame:
    if not total > 0:
        return pd.DataFrame(columns=_SOURCE_COLUMNS[1:])
    score = float(pieces["value"].sum())
    people = pieces["person"].nunique()
    return pd.DataFrame([{
        SOURCE_KIND: UNKNOWN, SOURCE_ID: UNKNOWN,
        _VENUE_IDS: ",".join(sorted(set(pieces["venue"].astype(str)))),
        FIRST_AT: int(pieces["a"].min()) if len(pieces) else lo,
        LAST_AT: int(pieces["b"].max()) if len(pieces) else hi,
        s.OVERLAP_MIN: round(float(pieces["minutes"].sum()), 1), SCORE: round(score, 12),
        PROBABILITY: _share(score, total),
        s.WHY: f"an infector who is not a known case: {people} other person(s) shared "
               f"{round(float(pieces['minutes'].sum()), 1):g} person-minutes with {case}, "
               f"each counted infectious with chance {m.unknown_prevalence:g}: "
               f"{_share(score, total):.0%}"}], columns=_SOURCE_COLUMNS[1:])


def _venue_rows(pieces: pd.DataFrame, mine: pd.DataFrame, case: Any, total: float,
                r: Rule) -> pd.DataFrame:
    zone = r.day_zone
    rows = []
    by_venue = pieces.groupby("venue", observed=True)
    scores = by_venue["value"].sum()
    live = pieces[pieces["known"] & (pieces["value"] > 0)]
    n_cases = live.groupby("venue", observed=True)["person"].nunique()
    for venue, grp in mine.groupby(s.VENUE_ID, sort=True):
        score = float(scores.get(venue, 0.0))
        n_known = int(n_cases.get(venue, 0))
        first = int(grp["_a"].min())
        rows.append({SOURCE_KIND: "venue", SOURCE_ID: venue, _VENUE_IDS: str(venue),
                     FIRST_AT: first, LAST_AT: int(grp["_b"].max()),
                     s.OVERLAP_MIN: round(float((grp["_b"] - grp["_a"]).sum() / NS_PER_MIN), 1),
                     SCORE: round(score, 12), PROBABILITY: _share(score, total),
                     s.WHY: f"{case} visited {venue} {len(grp)} time(s) inside the exposure "
                            f"window, first at {_day(first, zone)} ({zone}); {n_known} known "
                            f"case(s) there while infectious; {_share(score, total):.0%} "
                            "chance the infection happened there"})
    out = pd.DataFrame(rows, columns=_SOURCE_COLUMNS[1:])
    return out.sort_values([PROBABILITY, FIRST_AT], ascending=[False, True])


def common_venues(
    graph: VisitGraph,
    cases: pd.DataFrame,
    rule: str | Rule = "twenty",
    *,
    min_cases: int = 2,
) -> pd.DataFrame:
    """Venues visited by several cases inside their plausible exposure windows.

    Each case's window is its incubation window (``rule.incubation_*_days`` before onset or
    sampling). Residences are included: a shared compound is a lead for a cluster.

    Returns
    -------
    pandas.DataFrame
        ``venue_id``, ``venue_type``, ``n_cases``, ``case_ids``, ``first_at``, ``last_at``,
        ``n_overlapping_pairs`` (case pairs present at the same time), ``why``; venues with
        at least ``min_cases`` cases, by descending ``n_cases`` then overlapping pairs.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-18 02:00", "2022-11-18 02:10", "2022-11-18 09:00"],
    ...                    utc=True)
    >>> scans = pd.DataFrame({"person_id": ["A", "B", "C"], "venue_id": ["V1"] * 3,
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["restaurant"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> cases = pd.DataFrame({"person_id": ["A", "B", "C"], "kind": ["confirmed"] * 3,
    ...     "onset_at": pd.to_datetime(["2022-11-21 00:00"] * 3, utc=True)})
    >>> common_venues(g, cases)[["venue_id", "n_cases", "case_ids", "n_overlapping_pairs"]]
      venue_id  n_cases case_ids  n_overlapping_pairs
    0       V1        3    A,B,C                    1
    """
    if min_cases < 1:
        raise ValueError(msg("min_cases={min_cases!r} must be >= 1", min_cases=min_cases))
    r = as_rule(rule)
    lo, hi = _incubation(cases, r)
    vis = graph.visits_of(list(cases[s.PERSON_ID]), (lo, hi))
    types = graph.venues.set_index(s.VENUE_ID)[s.VENUE_TYPE]
    rows = []
    for venue, grp in vis.groupby(s.VENUE_ID, sort=True):
        people = sorted(set(grp[s.PERSON_ID].astype(str)))
        if len(people) < min_cases:
            continue
        spans = list(zip(grp[s.PERSON_ID], grp[s.T_IN], grp[s.T_OUT], strict=True))
        pairs = {tuple(sorted((str(a), str(b)))) for (a, i1, o1), (b, i2, o2)
                 in combinations(spans, 2) if a != b and max(i1, i2) < min(o1, o2)}
        rows.append({
            s.VENUE_ID: venue, s.VENUE_TYPE: types.get(venue), N_CASES: len(people),
            CASE_IDS: ",".join(people), FIRST_AT: grp[s.T_IN].min(), LAST_AT: grp[s.T_OUT].max(),
            N_OVERLAPPING: len(pairs),
            s.WHY: f"{len(people)} cases visited {venue} inside their incubation windows "
                   f"({r.incubation_min_days:g}-{r.incubation_max_days:g} days before onset "
                   f"or sampling); {len(pairs)} pair(s) were there at the same time",
        })
    cols = [s.VENUE_ID, s.VENUE_TYPE, N_CASES, CASE_IDS, FIRST_AT, LAST_AT, N_OVERLAPPING,
            s.WHY]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values([N_CASES, N_OVERLAPPING, s.VENUE_ID], ascending=[False, False, True],
                           ignore_index=True)
