"""Clusters of cases linked by plausible transmission, the likeliest infector tree, and a link lint.

A link ``A -> B`` between two cases is *plausible* when an exposure of B to A (A
infectious, which :func:`tracelab.tracing.forward.trace` already ensures) lies inside B's
incubation window, ``incubation_max_days`` to ``incubation_min_days`` before B's onset
(sampling if asymptomatic). Plausible links form clusters (connected components); a
maximum branching over link scores picks at most one infector per case. :func:`lint_links`
flags impossible links, like Go.Data's key-date inconsistencies (PRIOR-ART §5 item 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_DAY, to_ns
from tracelab._validate import require_columns
from tracelab.analysis.ranking import infectiousness, venue_weights
from tracelab.index.windows import WINDOW_END, WINDOW_START, case_windows
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule
from tracelab.model.schema import (
    CLUSTER_ID,
    CLUSTER_SIZE,
    DETAIL,
    FIRST_EXPOSURE,
    GENERATION,
    IN_TREE,
    INFECTOR_ID,
    LINK_SCORE,
    N_ROWS,
    PLAUSIBLE,
    PROBLEM,
    SEVERITY,
)
from tracelab.tracing.backward import SCORE as SOURCE_SCORE
from tracelab.tracing.backward import SOURCE_ID, SOURCE_KIND

__all__ = ["clusters", "lint_links", "Clusters", "PROBLEMS"]

#: Lint problems: impossible (first two) or implausible links.
PROBLEMS = {
    "exposure_after_onset": "exposure starts at or after the infectee's onset (or positive "
                            "sampling): it cannot be how the infectee was infected",
    "infector_not_infectious": "exposure outside the infector's infectious window (2 days "
                               "before onset or sampling, to isolation)",
    "before_incubation": "exposure earlier than the longest incubation before the "
                         "infectee's onset or sampling",
    "within_min_incubation": "exposure later than the shortest incubation before the "
                             "infectee's onset or sampling",
}
IMPOSSIBLE = ("exposure_after_onset", "infector_not_infectious")


@dataclass(frozen=True)
class Clusters:
    """Result of :func:`clusters`: members, links, lint and the infector tree."""

    members: pd.DataFrame
    links: pd.DataFrame
    lint: pd.DataFrame
    tree: nx.DiGraph


def _case_times(cases: pd.DataFrame, r: Rule) -> pd.DataFrame:
    """Per case: anchor (onset, else sampling) and infectious window (ns), as trace uses."""
    require_columns(cases, (s.PERSON_ID,), "cases")
    nat = np.iinfo(np.int64).min
    n = len(cases)

    def col(name: str) -> np.ndarray:
        return to_ns(cases[name]) if name in cases else np.full(n, nat)

    onset, sampled = col(s.ONSET_AT), col(s.SAMPLED_AT)
    anchor = np.where(onset != nat, onset, sampled)
    # The engine's own windows (serial-screening look-back, isolation), so the lint never
    # contradicts trace(); cases without onset or sampling get no window.
    win, _ = case_windows(cases, r, on_invalid="reject")
    win = win.set_index(s.PERSON_ID)
    ids = cases[s.PERSON_ID]
    start = to_ns(ids.map(win[WINDOW_START]))
    stop = to_ns(ids.map(win[WINDOW_END]))
    stop[stop == nat] = np.iinfo(np.int64).max
    return pd.DataFrame({"anchor": anchor, "start": start, "end": stop},
                        index=pd.Index(ids.to_numpy(), name=s.PERSON_ID))


def lint_links(cases: pd.DataFrame, links: pd.DataFrame, rule: str | Rule = "twenty"
               ) -> pd.DataFrame:
    """Flag impossible or implausible case-to-case links.

    Parameters
    ----------
    cases : pandas.DataFrame
        ``person_id``, ``onset_at``, ``sampled_at``, ``isolated_at``.
    links : pandas.DataFrame
        ``case_id`` (infector), ``contact_id`` (infectee), ``overlap_start``,
        ``overlap_end``, optionally ``venue_id``: an exposures table, or links entered by
        hand; rows whose ends are not both cases are ignored.
    rule : str or Rule
        Supplies the look-back days and the incubation window.

    Returns
    -------
    pandas.DataFrame
        ``case_id``, ``contact_id``, ``venue_id``, ``overlap_start``, ``problem`` (a key
        of :data:`PROBLEMS`), ``detail``; one row per link row and problem.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> cases = pd.DataFrame({"person_id": ["A", "B"],
    ...     "onset_at": [t, t + pd.Timedelta(hours=12)]})
    >>> links = pd.DataFrame({"case_id": ["A"], "contact_id": ["B"], "venue_id": ["V"],
    ...     "overlap_start": [t + pd.Timedelta(hours=13)],
    ...     "overlap_end": [t + pd.Timedelta(hours=14)]})
    >>> lint_links(cases, links)["problem"].tolist()
    ['exposure_after_onset']
    """
    r = as_rule(rule)
    ct = _case_times(cases, r)
    ids = set(ct.index)
    lk = links[links[s.CASE_ID].isin(ids) & links[s.CONTACT_ID].isin(ids)]
    a = to_ns(lk[s.OVERLAP_START])
    b = to_ns(lk[s.OVERLAP_END])
    src, dst = ct.reindex(lk[s.CASE_ID]), ct.reindex(lk[s.CONTACT_ID])
    anchor = dst["anchor"].to_numpy()
    checks = {
        "exposure_after_onset": a >= anchor,
        "infector_not_infectious": (b <= src["start"].to_numpy()) | (a >= src["end"].to_numpy()),
        "before_incubation": b <= anchor - int(r.incubation_max_days * NS_PER_DAY),
        "within_min_incubation": (a < anchor) & (a > anchor - int(r.incubation_min_days * NS_PER_DAY)),
    }
    venue = lk[s.VENUE_ID].to_numpy() if s.VENUE_ID in lk else np.full(len(lk), None)
    rows = []
    for problem, bad in checks.items():
        for i in np.flatnonzero(bad):
            rows.append({s.CASE_ID: lk[s.CASE_ID].iat[i], s.CONTACT_ID: lk[s.CONTACT_ID].iat[i],
                         s.VENUE_ID: venue[i], s.OVERLAP_START: lk[s.OVERLAP_START].iat[i],
                         PROBLEM: problem, DETAIL: PROBLEMS[problem]})
    out = pd.DataFrame(rows, columns=[s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.OVERLAP_START,
                                      PROBLEM, DETAIL])
    return out.sort_values([s.CASE_ID, s.CONTACT_ID, s.OVERLAP_START, PROBLEM],
                           kind="stable", ignore_index=True)


def clusters(
    exposures: pd.DataFrame,
    cases: pd.DataFrame,
    *,
    rule: str | Rule = "twenty",
    venues: pd.DataFrame | None = None,
    venue_types: pd.DataFrame | None = None,
    source_scores: pd.DataFrame | None = None,
    close_range: float = 8.0,
) -> Clusters:
    """Group cases into clusters of plausible transmission and pick the likeliest infectors.

    Parameters
    ----------
    exposures : pandas.DataFrame
        :func:`tracelab.tracing.forward.trace` output over these cases; rows whose case and
        contact are both cases are the candidate links.
    cases : pandas.DataFrame
        ``schema.CASE_COLUMNS`` (``person_id`` and ``onset_at`` or ``sampled_at`` needed).
    rule : str or Rule
        Incubation window (``incubation_min_days``, ``incubation_max_days``) and look-back.
    venues, venue_types : pandas.DataFrame, optional
        Venue-type weights for the link score (as in :func:`tracelab.analysis.ranking.rank_contacts`).
    source_scores : pandas.DataFrame, optional
        Scores from :func:`tracelab.tracing.backward.sources`, stacked with a ``case_id`` column
        naming the traced case: rows with ``source_kind == "case"`` replace the link
        score of ``source_id -> case_id``.
    close_range : float, default 8
        Crowding share ``min(1, close_range / n)`` with ``n`` people present with the
        infector during that stay, as in :func:`tracelab.analysis.ranking.rank_contacts`.

    Returns
    -------
    Clusters
        ``members``: ``person_id``, ``cluster_id``, ``cluster_size``, ``infector_id``,
        ``link_score``, ``generation``; ``links``: ``case_id`` (infector), ``contact_id``
        (infectee), ``n_exposures``, ``overlap_minutes``, ``first_exposure``,
        ``link_score``, ``plausible``, ``in_tree``; ``lint``: the candidate links with no
        plausible exposure, one row per pair and problem (:func:`lint_links`) with
        ``severity`` ("impossible": every such exposure after the infectee's onset or
        outside the infector's window; "implausible": outside the incubation window),
        ``n_exposures``, first ``overlap_start``, ``venue_id`` (comma-separated),
        ``detail``; ``tree`` (``networkx.DiGraph`` infector -> infectee).

    Notes
    -----
    A link's score is the sum over its exposures inside the incubation window of overlap
    minutes times the venue weight times the infector's infectiousness at the time
    (:func:`tracelab.analysis.ranking.infectiousness`) times the crowding share (when ``case_t_in``
    is given). The tree is networkx's maximum branching on
    these scores, so each case gets at most one infector and there are no cycles.
    Household transmission is not seen: residences are skipped by the usual rules.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> h = pd.Timedelta(hours=1)
    >>> cases = pd.DataFrame({"person_id": ["A", "B", "C", "D"],
    ...     "onset_at": [t, t + 72 * h, t + 120 * h, t]})
    >>> ex = pd.DataFrame({"case_id": ["A", "B"], "contact_id": ["B", "C"],
    ...     "venue_id": ["V", "W"], "hop": [1, 1],
    ...     "overlap_start": [t, t + 72 * h], "overlap_end": [t + h, t + 73 * h],
    ...     "overlap_minutes": [60.0, 60.0]})
    >>> res = clusters(ex, cases)
    >>> res.members[["person_id", "cluster_id", "infector_id", "generation"]]
      person_id cluster_id infector_id  generation
    0         A  cluster:A         NaN           0
    1         B  cluster:A           A           1
    2         C  cluster:A           B           2
    3         D  cluster:D         NaN           0
    """
    r = as_rule(rule)
    ct = _case_times(cases, r)
    ids = list(ct.index)
    if len(set(ids)) != len(ids):
        raise ValueError(msg("cases: a person_id is listed twice; give each case once"))
    needed = [s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.OVERLAP_START, s.OVERLAP_END,
              s.OVERLAP_MIN]
    require_columns(exposures, needed, "exposures")
    is_link = exposures[s.CASE_ID].isin(ct.index) & exposures[s.CONTACT_ID].isin(ct.index)
    lk = exposures[is_link]
    # Crowding share as in rank_contacts: people present with the infector in that stay.
    crowd = np.ones(len(lk))
    if s.CASE_T_IN in exposures and len(lk):
        stay = [s.CASE_ID, s.VENUE_ID, s.CASE_T_IN]
        n_co = exposures.groupby(stay, sort=False)[s.CONTACT_ID].transform("nunique")
        crowd = np.minimum(1.0, close_range / n_co[is_link].to_numpy(float))
    weights, _ = venue_weights(venues, venue_types)
    a, b = to_ns(lk[s.OVERLAP_START]), to_ns(lk[s.OVERLAP_END])
    anchor = ct["anchor"].reindex(lk[s.CONTACT_ID]).to_numpy()
    inside = ((b > anchor - int(r.incubation_max_days * NS_PER_DAY))
              & (a <= anchor - int(r.incubation_min_days * NS_PER_DAY)))
    src_anchor = ct["anchor"].reindex(lk[s.CASE_ID]).to_numpy()
    f = infectiousness(((a + (b - a) // 2) - src_anchor) / NS_PER_DAY)
    w = lk[s.VENUE_ID].map(weights).fillna(1.0).to_numpy(float)
    score = np.where(inside, lk[s.OVERLAP_MIN].to_numpy(float) * w * f * crowd, 0.0)
    work = pd.DataFrame({s.CASE_ID: lk[s.CASE_ID].to_numpy(),
                         s.CONTACT_ID: lk[s.CONTACT_ID].to_numpy(),
                         s.OVERLAP_MIN: lk[s.OVERLAP_MIN].to_numpy(float),
                         "first": lk[s.OVERLAP_START].to_numpy(), LINK_SCORE: score,
                         PLAUSIBLE: inside})
    links = work.groupby([s.CASE_ID, s.CONTACT_ID], sort=True).agg(**{
        N_ROWS: (s.OVERLAP_MIN, "size"), s.OVERLAP_MIN: (s.OVERLAP_MIN, "sum"),
        FIRST_EXPOSURE: ("first", "min"), LINK_SCORE: (LINK_SCORE, "sum"),
        PLAUSIBLE: (PLAUSIBLE, "any")}).reset_index()
    if source_scores is not None and len(links):
        links[LINK_SCORE] = _with_sources(links, source_scores)
    plausible = links[links[PLAUSIBLE]]
    G = nx.DiGraph()
    G.add_nodes_from(ids)
    for src, dst, sc in zip(plausible[s.CASE_ID], plausible[s.CONTACT_ID],
                            plausible[LINK_SCORE], strict=True):
        if src != dst:
            G.add_edge(src, dst, weight=float(sc) + 1e-9)
    tree = nx.maximum_branching(G, attr="weight", preserve_attrs=True) if G.number_of_edges() \
        else nx.DiGraph()
    tree.add_nodes_from(ids)
    in_tree = set(tree.edges())
    links[IN_TREE] = [(x, y) in in_tree for x, y in zip(links[s.CASE_ID], links[s.CONTACT_ID],
                                                        strict=True)]
    return Clusters(members=_members(G, tree, ids), links=links,
                    lint=_pair_lint(lint_links(cases, lk, r), links), tree=tree)


def _pair_lint(rows: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Lint of the candidate links with no plausible exposure: one row per pair and problem."""
    bad = links.loc[~links[PLAUSIBLE], [s.CASE_ID, s.CONTACT_ID]]
    rows = rows.merge(bad, on=[s.CASE_ID, s.CONTACT_ID], how="inner")
    cols = [s.CASE_ID, s.CONTACT_ID, PROBLEM, SEVERITY, N_ROWS, s.OVERLAP_START, s.VENUE_ID,
            DETAIL]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    out = rows.groupby([s.CASE_ID, s.CONTACT_ID, PROBLEM], sort=True).agg(**{
        N_ROWS: (DETAIL, "size"), s.OVERLAP_START: (s.OVERLAP_START, "min"),
        s.VENUE_ID: (s.VENUE_ID, lambda v: ",".join(sorted(set(map(str, v))))),
        DETAIL: (DETAIL, "first")}).reset_index()
    out[SEVERITY] = out[PROBLEM].map(
        lambda p: "impossible" if p in IMPOSSIBLE else "implausible").astype("str")
    return out[cols]


def _with_sources(links: pd.DataFrame, source_scores: pd.DataFrame) -> np.ndarray:
    need = [s.CASE_ID, SOURCE_KIND, SOURCE_ID, SOURCE_SCORE]
    require_columns(source_scores, need, "source_scores",
                    hint="stack sources() results with a case_id column naming the traced case")
    kn = source_scores[source_scores[SOURCE_KIND] == "case"]
    table = dict(zip(zip(kn[SOURCE_ID], kn[s.CASE_ID], strict=True), kn[SOURCE_SCORE].astype(float),
                     strict=True))
    return np.array([table.get((x, y), sc) for x, y, sc in zip(
        links[s.CASE_ID], links[s.CONTACT_ID], links[LINK_SCORE], strict=True)])


def _members(G: nx.DiGraph, tree: nx.DiGraph, ids: list[Any]) -> pd.DataFrame:
    cluster_of: dict[Any, str] = {}
    size_of: dict[Any, int] = {}
    for comp in nx.weakly_connected_components(G):
        name = f"cluster:{min(map(str, comp))}"
        for node in comp:
            cluster_of[node], size_of[node] = name, len(comp)
    parent = {dst: src for src, dst in tree.edges()}
    gen: dict[Any, int] = {}

    def depth(node: Any) -> int:
        chain = []
        while node not in gen and node in parent:
            chain.append(node)
            node = parent[node]
        base = gen.get(node, 0)
        gen.setdefault(node, base)
        for i, n in enumerate(reversed(chain), start=1):
            gen[n] = base + i
        return gen[chain[0]] if chain else base

    return pd.DataFrame({
        s.PERSON_ID: ids, CLUSTER_ID: [cluster_of[i] for i in ids],
        CLUSTER_SIZE: np.array([size_of[i] for i in ids], dtype=np.int64),
        INFECTOR_ID: [parent.get(i) for i in ids],
        LINK_SCORE: [tree.edges[parent[i], i]["weight"] if i in parent else np.nan for i in ids],
        GENERATION: np.array([depth(i) for i in ids], dtype=np.int64),
    })
