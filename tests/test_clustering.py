"""Clusters of plausible transmission, the infector tree and the key-date lint."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from tracelab.analysis.clustering import PROBLEMS, clusters, lint_links
from tracelab.model import schema as s

T = pd.Timestamp("2022-11-20 02:00", tz="UTC")
H = pd.Timedelta(hours=1)


def link(src: str, dst: str, at_h: float, minutes: float = 60.0, venue: str = "V") -> dict:
    start = T + at_h * H
    return {s.CASE_ID: src, s.CONTACT_ID: dst, s.VENUE_ID: venue, s.HOP: 1,
            s.OVERLAP_START: start, s.OVERLAP_END: start + pd.Timedelta(minutes=minutes),
            s.OVERLAP_MIN: minutes}


def cases(onsets: dict[str, float], isolated: dict[str, float] | None = None) -> pd.DataFrame:
    isolated = isolated or {}
    return pd.DataFrame({
        s.PERSON_ID: list(onsets), s.ONSET_AT: [T + h * H for h in onsets.values()],
        s.ISOLATED_AT: [T + isolated[k] * H if k in isolated else pd.NaT for k in onsets]})


def test_chain_and_singleton():
    c = cases({"A": 0, "B": 72, "C": 144, "D": 10})
    ex = pd.DataFrame([link("A", "B", 0), link("B", "C", 72)])
    res = clusters(ex, c)
    m = res.members.set_index(s.PERSON_ID)
    assert m["cluster_id"].tolist() == ["cluster:A"] * 3 + ["cluster:D"]
    assert m["cluster_size"].tolist() == [3, 3, 3, 1]
    assert m.loc["C", "infector_id"] == "B" and m.loc["C", "generation"] == 2
    assert set(res.tree.edges()) == {("A", "B"), ("B", "C")}
    assert res.links["in_tree"].all() and res.lint.empty


def test_mutual_exposure_gives_one_direction_no_cycle():
    # Both were infectious and each inside the other's incubation window: the tree keeps
    # the stronger direction only.
    c = cases({"A": 60, "B": 70})
    ex = pd.DataFrame([link("A", "B", 24, minutes=90), link("B", "A", 30, minutes=20)])
    res = clusters(ex, c)
    assert nx.is_forest(res.tree) and list(res.tree.edges()) == [("A", "B")]
    assert res.members.set_index(s.PERSON_ID).loc["A", "cluster_id"] == "cluster:A"


def test_exposure_outside_incubation_does_not_link():
    c = cases({"A": 0, "B": 24 * 10})  # B's onset 10 days after: exposure too early
    res = clusters(pd.DataFrame([link("A", "B", 0)]), c)
    assert res.members["cluster_size"].tolist() == [1, 1]
    assert not res.links["plausible"].any()
    assert res.lint["problem"].tolist() == ["before_incubation"]


def test_lint_flags_exposure_after_onset_and_non_infectious_infector():
    c = cases({"A": 0, "B": 12, "E": 100}, isolated={"A": 5})
    links = pd.DataFrame([link("A", "B", 13),  # after B's onset, after A's isolation
                          link("E", "B", -60)])  # E not yet infectious (window from 52 h)
    lint = lint_links(c, links)
    got = set(zip(lint[s.CASE_ID], lint["problem"], strict=True))
    assert ("A", "exposure_after_onset") in got
    assert ("A", "infector_not_infectious") in got
    assert ("E", "infector_not_infectious") in got
    assert set(lint["detail"]) <= set(PROBLEMS.values())


def test_lint_ignores_non_case_contacts():
    c = cases({"A": 0})
    assert lint_links(c, pd.DataFrame([link("A", "P9", 0)])).empty


def test_source_scores_override_own_scores():
    c = cases({"A": 0, "B": 0, "C": 72})
    ex = pd.DataFrame([link("A", "C", 24, minutes=120), link("B", "C", 24, minutes=10)])
    own = clusters(ex, c).members.set_index(s.PERSON_ID)
    assert own.loc["C", "infector_id"] == "A"
    src = pd.DataFrame({s.CASE_ID: ["C", "C"], "source_kind": ["case", "case"],
                        "source_id": ["A", "B"], "score": [1.0, 50.0]})
    told = clusters(ex, c, source_scores=src).members.set_index(s.PERSON_ID)
    assert told.loc["C", "infector_id"] == "B"


def test_venue_weights_enter_link_score():
    c = cases({"A": 0, "B": 0, "C": 72})
    ex = pd.DataFrame([link("A", "C", 24, 30, venue="R"), link("B", "C", 24, 30, venue="P")])
    venues = pd.DataFrame({s.VENUE_ID: ["R", "P"], s.VENUE_TYPE: ["restaurant", "pharmacy"]})
    m = clusters(ex, c, venues=venues).members.set_index(s.PERSON_ID)
    assert m.loc["C", "infector_id"] == "A"


def test_inputs_unchanged():
    c = cases({"A": 0, "B": 72})
    ex = pd.DataFrame([link("A", "B", 0)])
    cb, eb = c.copy(), ex.copy()
    clusters(ex, c)
    pd.testing.assert_frame_equal(c, cb)
    pd.testing.assert_frame_equal(ex, eb)


def test_duplicate_case_and_missing_columns_raise():
    with pytest.raises(ValueError, match="listed twice"):
        clusters(pd.DataFrame([link("A", "B", 0)]), pd.concat([cases({"A": 0})] * 2))
    with pytest.raises(ValueError, match="overlap_minutes"):
        clusters(pd.DataFrame([link("A", "B", 0)]).drop(columns=[s.OVERLAP_MIN]), cases({"A": 0}))
    with pytest.raises(ValueError, match="source_kind"):
        clusters(pd.DataFrame([link("A", "B", 0)]), cases({"A": 0, "B": 72}),
                 source_scores=pd.DataFrame({s.CASE_ID: ["B"]}))


def test_cluster_lint_lists_only_links_without_plausible_exposure():
    c = cases({"A": 0, "B": 48, "C": 48})
    ex = pd.DataFrame([
        link("A", "B", 50), link("A", "B", 60),  # both after B's onset: impossible link
        link("A", "C", 10), link("A", "C", 60),  # one plausible exposure: no lint
    ])
    lint = clusters(ex, c).lint
    assert list(zip(lint[s.CASE_ID], lint[s.CONTACT_ID], lint["problem"], lint["severity"],
                    lint["n_exposures"], strict=True)) == [("A", "B", "exposure_after_onset", "impossible", 2)]


def test_lint_uses_the_engines_windows_for_serial_screening():
    # Found by serial screening: infectious from the last negative sample (DOMAIN §2.1),
    # here 4 days before sampling, so an exposure 3 days before sampling is not flagged.
    c = pd.DataFrame({s.PERSON_ID: ["A", "B"], s.KIND: ["asymptomatic", "confirmed"],
                      s.ONSET_AT: [pd.NaT, T + 72 * H],
                      s.SAMPLED_AT: [T + 96 * H, T + 100 * H],
                      s.FOUND_BY_SCREENING: [True, False],
                      s.LAST_NEGATIVE_AT: [T, pd.NaT]})
    lint = lint_links(c, pd.DataFrame([link("A", "B", 24)]))
    assert "infector_not_infectious" not in set(lint["problem"])


def test_lint_leaves_inputs_unchanged():
    c = cases({"A": 0, "B": 12})
    links = pd.DataFrame([link("A", "B", 13)])
    cb, lb = c.copy(), links.copy()
    lint_links(c, links)
    pd.testing.assert_frame_equal(c, cb)
    pd.testing.assert_frame_equal(links, lb)
