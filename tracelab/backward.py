"""Backward tracing: where a case could have been infected, and venues cases share.

:func:`sources` ranks the known cases a case overlapped with inside its incubation window
(the forward engine run from the other cases), then the venues it visited there.
:func:`common_venues` lists, for a cluster without a known source, the venues several
cases visited inside their plausible exposure windows (PRIOR-ART §5.12).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from tracelab import schema as s
from tracelab.exposure import _local, _ns, trace
from tracelab.graph import VisitGraph
from tracelab.ids import mask_id
from tracelab.rules import Rule, as_rule

__all__ = ["sources", "common_venues", "SOURCE_KIND", "SOURCE_ID", "SCORE", "RANK",
           "FIRST_AT", "LAST_AT", "N_CASES", "CASE_IDS", "N_OVERLAPPING"]

SOURCE_KIND = "source_kind"  # str: "case" (a known case) or "venue"
SOURCE_ID = "source_id"  # str: person_id of the candidate case, or venue_id
SCORE = "score"  # float64: higher is likelier; see sources() Notes
RANK = "rank"  # int64: 1 = likeliest
FIRST_AT = "first_at"  # datetime64[UTC]: first shared instant / first visit
LAST_AT = "last_at"  # datetime64[UTC]: last shared instant / last exit
N_CASES = "n_cases"  # int64: distinct cases at a venue
CASE_IDS = "case_ids"  # str: comma-separated case ids
N_OVERLAPPING = "n_overlapping_pairs"  # int64: case pairs present at the same time
_VENUE_IDS = "venue_ids"  # str: comma-separated venues of a candidate case

_NS_DAY = 86_400_000_000_000
_NS_MIN = 60_000_000_000
_SOURCE_COLUMNS = [RANK, SOURCE_KIND, SOURCE_ID, _VENUE_IDS, FIRST_AT, LAST_AT, s.OVERLAP_MIN,
                   SCORE, s.WHY]


def _anchor(cases: pd.DataFrame) -> np.ndarray:
    nat = np.iinfo(np.int64).min
    onset = _ns(cases[s.ONSET_AT]) if s.ONSET_AT in cases else np.full(len(cases), nat)
    sampled = _ns(cases[s.SAMPLED_AT]) if s.SAMPLED_AT in cases else np.full(len(cases), nat)
    return np.where(onset != nat, onset, sampled)


def _incubation(cases: pd.DataFrame, r: Rule) -> tuple[np.ndarray, np.ndarray]:
    anchor = _anchor(cases)
    if (anchor == np.iinfo(np.int64).min).any():
        bad = cases[s.PERSON_ID].to_numpy()[anchor == np.iinfo(np.int64).min]
        raise ValueError(f"cases: {len(bad)} case(s) with neither onset_at nor sampled_at, "
                         f"e.g. {[mask_id(str(b)) for b in bad[:3]]}; backward tracing needs one")
    return (anchor - int(r.incubation_max_days * _NS_DAY),
            anchor - int(r.incubation_min_days * _NS_DAY))


_LATER_FACTOR = 0.25


def _incubation_weight(days: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Lognormal density with ``mean`` and ``sd`` (days), scaled to 1 at its mode."""
    sigma2 = np.log(1 + (sd / mean) ** 2)
    mu = np.log(mean) - sigma2 / 2
    days = np.clip(np.asarray(days, dtype=float), 1e-6, None)
    mode = np.exp(mu - sigma2)
    log_pdf = -np.log(days) - (np.log(days) - mu) ** 2 / (2 * sigma2)
    log_mode = -np.log(mode) - (np.log(mode) - mu) ** 2 / (2 * sigma2)
    return np.exp(log_pdf - log_mode)


def _infectiousness(days_from_onset: np.ndarray) -> np.ndarray:
    """Relative infectiousness around onset (or sampling): 0.4 two days before, 1 at
    onset, 0.2 six days after (peak at onset: He et al., Nat Med 2020;26:672-675; the
    shape is a design default)."""
    d = np.asarray(days_from_onset, dtype=float)
    return np.where(d < 0, 0.4 + 0.6 * np.clip(1 + d / 2, 0, 1),
                    1.0 - 0.8 * np.clip(d / 6, 0, 1))


def _times(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(ns, np.int64).view("datetime64[ns]"), tz="UTC")


def sources(
    graph: VisitGraph,
    case: Any,
    rule: str | Rule = "twenty",
    *,
    cases: pd.DataFrame,
    as_of: Any = None,
    incubation_mean_days: float = 3.0,
    incubation_sd_days: float = 1.5,
) -> pd.DataFrame:
    """Rank where ``case`` could have been infected: known cases first, then venues.

    Parameters
    ----------
    graph : VisitGraph
    case : person id
        The case to trace backwards; must be a row of ``cases``.
    rule : str or Rule
        Matching rule; ``incubation_min_days`` / ``incubation_max_days`` set the window
        before onset (or sampling) in which the infection happened.
    cases : pandas.DataFrame
        All known cases (``schema.CASE_COLUMNS``), the candidates' infectious windows.
    as_of : tz-aware time, optional
        Trace time, as for :func:`~tracelab.exposure.trace`.
    incubation_mean_days, incubation_sd_days : float
        Lognormal incubation period weighting each shared minute by how plausible an
        infection at that time is (Omicron 2-4 days on average, DOMAIN §1; design
        default 3.0 and 1.5).

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``source_kind`` (``case`` or ``venue``), ``source_id``, ``venue_ids``,
        ``first_at``, ``last_at``, ``overlap_minutes``, ``score``, ``why``; known cases
        first, each group by descending score.

    Raises
    ------
    ValueError
        If ``case`` is not in ``cases`` or has neither onset nor sampling time.

    Notes
    -----
    A candidate case scores the minutes it shared with ``case`` inside the incubation
    window while itself infectious (its forward-trace exposures of ``case``), each minute
    weighted by the venue type's weight, by the incubation density at that time (scaled
    to 1 at its mode) and by the candidate's relative infectiousness then (peak at its
    onset or sampling); a candidate whose onset or sampling comes after the case's
    counts a quarter, as it is more likely the case's infectee. A venue scores its weight times
    (1 + the number of other known cases seen there in the window), plus hours the case
    spent there / 100 to break ties. Residences count here (a household is a plausible
    source) whatever ``rule.share_residences`` says.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-18 02:00", "2022-11-18 02:10"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["A", "B"], "venue_id": ["V1", "V1"],
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["restaurant"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> cases = pd.DataFrame({"person_id": ["A", "B"], "kind": ["confirmed"] * 2,
    ...     "onset_at": pd.to_datetime(["2022-11-19 00:00", "2022-11-21 00:00"], utc=True)})
    >>> sources(g, "B", cases=cases)[["rank", "source_kind", "source_id", "score"]].round(1)
       rank source_kind source_id  score
    0     1        case         A   45.0
    1     2       venue        V1    3.0
    """
    r = as_rule(rule).replace(share_residences=True)
    ids = cases[s.PERSON_ID].to_numpy()
    if case not in set(ids):
        raise ValueError(f"case={mask_id(str(case))!r} is not in cases; give its case row")
    row = cases[ids == case]
    lo, hi = (int(x[0]) for x in _incubation(row, r))
    anchor = int(_anchor(row)[0])
    others = cases[ids != case]
    weight = graph.venues.set_index(s.VENUE_ID)[s.WEIGHT]
    rows: list[dict[str, Any]] = []
    if len(others):
        ex = trace(graph, others, r, 1, as_of=as_of, explain=False)
        ex = ex[ex[s.CONTACT_ID] == case]
        start = np.maximum(pd.DatetimeIndex(ex[s.OVERLAP_START]).asi8, lo)
        end = np.minimum(pd.DatetimeIndex(ex[s.OVERLAP_END]).asi8, hi)
        mid = (start + end) / 2
        plaus = _incubation_weight((anchor - mid) / _NS_DAY, incubation_mean_days,
                                   incubation_sd_days)
        other_anchor = dict(zip(others[s.PERSON_ID], _anchor(others), strict=True))
        theirs = ex[s.CASE_ID].map(other_anchor).to_numpy(np.float64)
        plaus = plaus * _infectiousness((mid - theirs) / _NS_DAY)
        ex = ex.assign(_a=start, _b=end, _m=(end - start) / _NS_MIN, _w=plaus)[end > start]
        for source, grp in ex.groupby(s.CASE_ID, sort=True):
            minutes = float(grp["_m"].sum())
            score = float((grp["_m"] * grp["_w"] * grp[s.VENUE_ID].map(weight).to_numpy()
                           ).sum())
            if other_anchor[source] > anchor:
                # Onset (or sampling) after the case's: more likely infected by it.
                score *= _LATER_FACTOR
            venues = sorted(set(grp[s.VENUE_ID].astype(str)))
            first, last = int(grp["_a"].min()), int(grp["_b"].max())
            rows.append({SOURCE_KIND: "case", SOURCE_ID: source, _VENUE_IDS: ",".join(venues),
                         FIRST_AT: first, LAST_AT: last, s.OVERLAP_MIN: minutes, SCORE: score,
                         s.WHY: f"known case {source} shared {minutes:g} min with {case} at "
                                f"{', '.join(venues)} from "
                                f"{_local(np.array([first]), s.DEFAULT_ZONE)[0]}"
                                f" ({s.DEFAULT_ZONE}) while infectious, inside {case}'s "
                                f"incubation window ({r.incubation_min_days:g}-"
                                f"{r.incubation_max_days:g} days before onset or sampling)"})
    mine = graph.visits_of([case], (np.array([lo]), np.array([hi])))
    if len(mine):
        seen = graph.visits_at(list(mine[s.VENUE_ID].unique()), (np.array([lo]), np.array([hi])))
        other_cases = seen[seen[s.PERSON_ID].isin(set(ids) - {case})]
        n_seen = other_cases.groupby(s.VENUE_ID)[s.PERSON_ID].nunique()
        for venue, grp in mine.groupby(s.VENUE_ID, sort=True):
            hours = float((grp[s.T_OUT] - grp[s.T_IN]).sum() / pd.Timedelta(hours=1))
            n = int(n_seen.get(venue, 0))
            score = float(weight.get(venue, 1.0)) * (1 + n) + hours / 100
            first = int(pd.DatetimeIndex(grp[s.T_IN]).asi8.min())
            rows.append({SOURCE_KIND: "venue", SOURCE_ID: venue, _VENUE_IDS: str(venue),
                         FIRST_AT: first,
                         LAST_AT: int(pd.DatetimeIndex(grp[s.T_OUT]).asi8.max()),
                         s.OVERLAP_MIN: hours * 60, SCORE: round(score, 6),
                         s.WHY: f"{case} visited {venue} {len(grp)} time(s) inside the "
                                f"incubation window, first at "
                                f"{_local(np.array([first]), s.DEFAULT_ZONE)[0]}; {n} other "
                                "known case(s) were there in that window"})
    out = pd.DataFrame(rows, columns=[c for c in _SOURCE_COLUMNS if c != RANK])
    if out.empty:
        return pd.DataFrame(columns=_SOURCE_COLUMNS)
    out = out.assign(_k=(out[SOURCE_KIND] != "case").astype(int))
    out = out.sort_values(["_k", SCORE, FIRST_AT], ascending=[True, False, True],
                          ignore_index=True).drop(columns="_k")
    out[FIRST_AT] = _times(out[FIRST_AT].to_numpy(np.int64))
    out[LAST_AT] = _times(out[LAST_AT].to_numpy(np.int64))
    out.insert(0, RANK, np.arange(1, len(out) + 1, dtype=np.int64))
    return out


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
        raise ValueError(f"min_cases={min_cases!r} must be >= 1")
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
