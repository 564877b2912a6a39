"""Benchmark: does the contact score find who was infected by whom better than raw minutes?

On synthetic outbreaks (tracelab.synth, several seeds, small counties) every traced pair
(case, contact) is labelled 1 if the ground truth says this case infected this contact.
The table gives ROC AUC and precision at 200 of ``rank_contacts(..., per="pair")`` next to
ranking by raw overlap minutes, per seed and on average; the same for contacts (label:
infected by any traced case). Run: ``.venv/bin/python benchmarks/bench_risk.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from tracelab.analysis.clustering import clusters
from tracelab.analysis.ranking import rank_contacts
from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.synth import generate
from tracelab.tracing.forward import trace

INFECTOR_ID = "infector_id"  # tracelab.synth.columns.INFECTOR_ID


def roc_auc(score: np.ndarray, label: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half; NaN without both classes."""
    label = label.astype(bool)
    n_pos, n_neg = int(label.sum()), int((~label).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[label].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_at(score: np.ndarray, label: np.ndarray, k: int, seed: int = 0) -> float:
    """Share of positives among the k highest scores, ties broken at random (seeded).

    Rows come sorted by the contact score, so a stable sort would hand the raw-minutes
    baseline the score's order among its ties.
    """
    if not len(score):
        return float("nan")
    shuffle = np.random.default_rng(seed).permutation(len(score))
    top = shuffle[np.argsort(-np.asarray(score)[shuffle], kind="stable")[:k]]
    return float(np.asarray(label)[top].mean())


#: Score variants with one component off (venue weight 1, flat infectiousness, no
#: crowding dilution).
ABLATIONS = {
    "no_venue_weight": {"venues": None},
    "no_infectiousness": {"profile": ((0.0, 1.0), (1.0, 1.0))},
    "no_crowding": {"close_range": float("inf")},
}


def one_seed(seed: int, population: int, days: int, ablations: bool = False) -> list[dict]:
    t0 = time.perf_counter()
    county = generate(population, days=days, seed=seed, progress=False)
    as_of = county.scans[s.SCANNED_AT].max() + pd.Timedelta(hours=1)
    # The generator injects scans of unregistered venues on purpose; the loaders reject
    # them (tracelab.io), so do the same here.
    scans = county.scans[county.scans[s.VENUE_ID].isin(county.venues[s.VENUE_ID])]
    graph = VisitGraph.from_scans(scans, county.venues)
    ex = trace(graph, county.cases, "twenty", as_of=as_of, explain=False)
    truth = county.truth
    infected_by = set(zip(truth[INFECTOR_ID].astype(str), truth[s.PERSON_ID].astype(str), strict=True))
    traced = set(county.cases[s.PERSON_ID])
    by_traced = set(truth.loc[truth[INFECTOR_ID].isin(traced), s.PERSON_ID])
    rows = []
    for per in ("pair", "contact"):
        ranked = rank_contacts(ex, county.cases, scans, venues=county.venues, per=per)
        keys = [s.CASE_ID, s.CONTACT_ID] if per == "pair" else [s.CONTACT_ID]
        if per == "pair":
            label = np.array([(a, b) in infected_by for a, b in
                              zip(ranked[s.CASE_ID], ranked[s.CONTACT_ID], strict=True)])
        else:
            label = ranked[s.CONTACT_ID].isin(by_traced).to_numpy()
        scores = {"score": ranked["score"].to_numpy(),
                  "minutes": ranked[s.OVERLAP_MIN].to_numpy()}
        if ablations:
            # One component switched off at a time, aligned on the same rows.
            for name, kw in ABLATIONS.items():
                other = rank_contacts(ex, county.cases, scans, per=per, **{
                    "venues": county.venues, **kw}).set_index(keys)["score"]
                idx = pd.MultiIndex.from_frame(ranked[keys]) if per == "pair" else ranked[
                    s.CONTACT_ID]
                scores[name] = other.reindex(idx).to_numpy()
        for name, score in scores.items():
            rows.append({"seed": seed, "unit": per, "ranking": name, "rows": len(ranked),
                         "positives": int(label.sum()),
                         "auc": roc_auc(score, label),
                         "p@200": precision_at(score, label, 200)})
    # Infector tree against the truth: among cases whose true infector is a traced case,
    # how often does the tree name it (recall), and how often is a named infector right.
    tree = clusters(ex, county.cases, venues=county.venues).members
    true_parent = dict(zip(truth[s.PERSON_ID], truth[INFECTOR_ID], strict=True))
    named = tree[tree["infector_id"].notna()]
    right = sum(true_parent.get(c) == i for c, i in zip(named[s.PERSON_ID], named["infector_id"],
                                                         strict=True))
    linkable = sum(true_parent.get(c) in traced for c in county.cases[s.PERSON_ID])
    for row in rows:
        row.update({"tree_named": len(named), "tree_right": right, "linkable": linkable})
    print(f"seed {seed}: {len(county.cases)} cases, {len(truth)} infections, "
          f"{len(ex)} exposure rows, {time.perf_counter() - t0:.1f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8, 9])
    parser.add_argument("--population", type=int, default=10000)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--ablations", action="store_true",
                        help="also score with one component switched off at a time")
    args = parser.parse_args()
    rows = [r for seed in args.seeds
            for r in one_seed(seed, args.population, args.days, args.ablations)]
    table = pd.DataFrame(rows)
    wide = table.pivot_table(index=["unit", "seed", "rows", "positives"], columns="ranking",
                             values=["auc", "p@200"]).round(3)
    pd.set_option("display.width", 140)
    print(wide.to_string())
    trees = table.drop_duplicates("seed")[["seed", "linkable", "tree_named", "tree_right"]]
    print("\ninfector tree (clusters) against the truth: cases whose true infector is a "
          "traced case, infectors named, of which right:")
    print(trees.to_string(index=False))
    # Seeds whose outbreak died out have no positives: AUC and precision say nothing there.
    table = table[table["positives"] > 0]
    mean = table.groupby(["unit", "ranking"])[["auc", "p@200"]].mean().round(3)
    n = table["seed"].nunique()
    print(f"\nmean over the {n} seeds with at least one positive:")
    print(mean.to_string())


if __name__ == "__main__":
    main()
