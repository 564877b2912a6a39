"""Scoring rankings against known infection links (who infected whom), beside simple baselines.

Where a data set records infector -> infectee links, a contact ranking can be judged: is the
true infectee near the top of its infector's ranked contacts (forward), and the infector
near the top of the infectee's ranked sources (backward)? :func:`link_hits` gives the top-k
hit rates of any ranking, and the rate a random order of the same lists would reach
(chance); :func:`shared_visit_ranks` is the plain baseline, people ranked by how many visits
they shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tracelab.model import schema as s
from tracelab.model.rules import Rule

__all__ = ["ANCHOR", "CANDIDATE", "LINK_TRUE", "ranks_by", "shared_visit_ranks", "source_ranks",
           "link_hits"]

ANCHOR, CANDIDATE, LINK_TRUE = s.ANCHOR, s.CANDIDATE, s.LINK_TRUE
HIT_COLUMNS = ("k", "hit_rate", "chance", "found_share", "n_links")


def ranks_by(frame: pd.DataFrame, anchor: str, candidate: str, score: str) -> pd.DataFrame:
    """Rank each anchor's candidates by descending ``score`` (ties: candidate id), 1 = top.

    Examples
    --------
    >>> f = pd.DataFrame({"a": ["x", "x", "y"], "c": ["p", "q", "p"], "v": [1.0, 3.0, 2.0]})
    >>> ranks_by(f, "a", "c", "v").values.tolist()
    [['x', 'q', 1], ['x', 'p', 2], ['y', 'p', 1]]
    """
    best = (frame.groupby([anchor, candidate], sort=False)[score].max().reset_index()
            .sort_values([anchor, score, candidate], ascending=[True, False, True],
                         kind="stable"))
    best[s.RANK] = best.groupby(anchor).cumcount() + 1
    return pd.DataFrame({ANCHOR: best[anchor].astype(str).to_numpy(),
                         CANDIDATE: best[candidate].astype(str).to_numpy(),
                         s.RANK: best[s.RANK].to_numpy(np.int64)})


def shared_visit_ranks(exposures: pd.DataFrame, *, backward: bool = False) -> pd.DataFrame:
    """The baseline: people ranked by the number of visits they shared.

    Forward, each case's contacts; ``backward``, for each contact the cases it met (the
    exposures of tracing every case).

    Examples
    --------
    >>> e = pd.DataFrame({"case_id": ["x", "x", "x"], "contact_id": ["p", "q", "q"]})
    >>> shared_visit_ranks(e).values.tolist()
    [['x', 'q', 1], ['x', 'p', 2]]
    >>> shared_visit_ranks(e, backward=True).values.tolist()
    [['p', 'x', 1], ['q', 'x', 1]]
    """
    anchor, candidate = (s.CONTACT_ID, s.CASE_ID) if backward else (s.CASE_ID, s.CONTACT_ID)
    counts = exposures.groupby([anchor, candidate]).size().rename("n").reset_index()
    return ranks_by(counts, anchor, candidate, "n")


def source_ranks(graph: Any, infectees: Sequence[str], cases: pd.DataFrame,
                 rule: str | Rule = "twenty", *, as_of: Any = None) -> pd.DataFrame:
    """Each infectee's known-case sources as ranked by backward tracing.

    :func:`tracelab.tracing.backward.sources` for each infectee that is a case (the plain,
    unaudited implementation: this is a study of a data set, not an investigation).

    Returns
    -------
    pandas.DataFrame
        ``anchor`` (the infectee), ``candidate`` (a known case), ``rank`` among the known
        cases (1 = likeliest source).
    """
    from tracelab.tracing.backward import SOURCE_ID, SOURCE_KIND, sources

    known = set(cases[s.PERSON_ID].astype(str))
    parts = []
    for person in dict.fromkeys(str(i) for i in infectees):
        if person not in known:
            continue
        ranked = sources(graph, person, rule, cases=cases, as_of=as_of)
        ranked = ranked[ranked[SOURCE_KIND] == "case"]
        parts.append(pd.DataFrame({ANCHOR: person, CANDIDATE: ranked[SOURCE_ID].astype(str),
                                   s.RANK: np.arange(1, len(ranked) + 1, dtype=np.int64)}))
    if not parts:
        return pd.DataFrame({ANCHOR: [], CANDIDATE: [], s.RANK: []})
    return pd.concat(parts, ignore_index=True)


def link_hits(ranked: pd.DataFrame, links: pd.DataFrame, ks: Sequence[int] = (1, 3)
              ) -> pd.DataFrame:
    """Top-k hit rates of a ranking against known links, and what chance would reach.

    Parameters
    ----------
    ranked : pandas.DataFrame
        ``anchor``, ``candidate``, ``rank`` (1 = top), as :func:`ranks_by` gives.
    links : pandas.DataFrame
        ``anchor``, ``true``: for each anchor, the person it should find. Only links
        whose anchor has a ranked list count (the others cannot be scored).
    ks : sequence of int
        The cut-offs.

    Returns
    -------
    pandas.DataFrame
        One row per k: ``hit_rate`` (the true person within the top k), ``chance`` (the
        same lists in random order: the true person's ``min(k, n)/n`` where it is on the
        list of ``n``, else 0), ``found_share`` (on the list at all) and ``n_links``.

    Examples
    --------
    >>> ranked = pd.DataFrame({"anchor": ["x", "x", "y", "y"], "candidate": ["p", "q", "p", "r"],
    ...                        "rank": [1, 2, 1, 2]})
    >>> links = pd.DataFrame({"anchor": ["x", "y", "z"], "true": ["p", "r", "p"]})
    >>> link_hits(ranked, links, ks=(1,)).to_dict("records")
    [{'k': 1, 'hit_rate': 0.5, 'chance': 0.5, 'found_share': 1.0, 'n_links': 2}]
    """
    size = ranked.groupby(ANCHOR).size()
    scored = links[links[ANCHOR].isin(size.index)].drop_duplicates([ANCHOR, LINK_TRUE])
    rank = scored.merge(ranked, left_on=[ANCHOR, LINK_TRUE], right_on=[ANCHOR, CANDIDATE],
                        how="left")[s.RANK].to_numpy(np.float64)
    n = scored[ANCHOR].map(size).to_numpy(np.float64)
    rows = []
    for k in ks:
        on_list = ~np.isnan(rank)
        hit = on_list & (rank <= k)
        chance = np.where(on_list, np.minimum(k, n) / np.maximum(n, 1), 0.0)
        rows.append({"k": int(k), "hit_rate": float(hit.mean()) if len(hit) else float("nan"),
                     "chance": float(chance.mean()) if len(chance) else float("nan"),
                     "found_share": float(on_list.mean()) if len(on_list) else float("nan"),
                     "n_links": int(len(scored))})
    return pd.DataFrame(rows, columns=list(HIT_COLUMNS))
