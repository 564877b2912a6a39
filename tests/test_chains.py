"""The chains of transmission: the network's data, its drawing, the audited contact layer, the CLI.

The sample county is loaded as the briefing loads it (pseudonymised with the demo key);
the network must say exactly what ``clusters`` and the exposures table say, mark the
links ``lint_links`` finds impossible, draw it without a raw identifier, and draw the same
bytes every time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tracelab.analysis.chains import (
    CLUSTER_NO,
    EDGE_COLUMNS,
    EDGE_KIND,
    FIRST_CASE,
    FROM_NODE,
    N_IMPOSSIBLE,
    NODE_ID,
    NODE_KIND,
    TO_NODE,
    chain_contacts,
    chain_network,
)
from tracelab.analysis.clustering import IMPOSSIBLE, clusters, lint_links
from tracelab.briefing import load_briefing
from tracelab.briefing.network_svg import (
    network_html,
    network_page,
    network_section,
    network_view,
)
from tracelab.cli import main
from tracelab.maps import external_refs
from tracelab.model import schema as s
from tracelab.privacy import DEMO_KEY
from tracelab.privacy.audit import PurposeError, read_audit

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PURPOSE = "inv:LX-2022-11-007"
KEY = "test-key-chains-0123456789"  # the command line refuses the public demo key
HOSTILE = '<img src=x onerror=alert(1)>"'


@pytest.fixture(scope="module")
def b():
    """The sample county's briefing (exposures, cases, venues, rule, zone)."""
    return load_briefing(SAMPLE, key=DEMO_KEY)


@pytest.fixture(scope="module")
def net(b):
    return chain_network(b.exposures, b.cases, b.venues, rule=b.rule, zone=b.zone)


@pytest.fixture(scope="module")
def layer(b, tmp_path_factory):
    """The audited contact layer and its audit store."""
    audit = tmp_path_factory.mktemp("audit") / "audit.duckdb"
    net = chain_contacts(b.exposures, b.cases, b.venues, rule=b.rule, zone=b.zone,
                         purpose=PURPOSE, audit=audit, who="ana")
    return net, audit


@pytest.fixture(scope="module")
def raw():
    """The sample's raw identifiers: person ids, phones, ID numbers, and long names."""
    persons = pd.read_parquet(SAMPLE / "persons.parquet")
    venues = pd.read_parquet(SAMPLE / "venues.parquet")
    ids = (set(pd.read_parquet(SAMPLE / "scans.parquet", columns=[s.PERSON_ID])[s.PERSON_ID])
           | set(pd.read_parquet(SAMPLE / "cases.parquet")[s.PERSON_ID])
           | set(persons[s.PERSON_ID]))
    public = "".join(venues[s.NAME]) + "".join(venues[s.ADDRESS])
    return {"words": ids | set(persons["phone"].dropna()) | set(persons["id_number"].dropna())
            | set(venues[s.APPLICANT_PHONE].dropna()),
            "names": {n for n in persons["name"].dropna() if len(n) >= 3 and n not in public}}


def _leaks(text: str, raw: dict[str, set[str]]) -> set[str]:
    words = set(re.findall(r"[A-Za-z0-9]+", text))
    runs = re.findall(r"[\u4e00-\u9fff]+", text)
    pieces = {r[i:i + k] for r in runs for k in (3, 4) for i in range(len(r) - k + 1)}
    return (words & raw["words"]) | (pieces & raw["names"])


def _edges(net, kind: str) -> pd.DataFrame:
    return net.edges[net.edges[EDGE_KIND] == kind]


def _aggregated(ex: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The exposures table's rows per pair: count, minutes, first overlap."""
    return ex.groupby(by, sort=True).agg(**{
        s.N_ROWS: (s.OVERLAP_MIN, "size"), s.OVERLAP_MIN: (s.OVERLAP_MIN, "sum"),
        s.FIRST_EXPOSURE: (s.OVERLAP_START, "min")}).reset_index()


def _same(got: pd.DataFrame, want: pd.DataFrame, by: list[str]) -> None:
    cols = list(want.columns)
    pd.testing.assert_frame_equal(
        got[cols].sort_values(by, ignore_index=True).astype(want.dtypes.to_dict()),
        want.sort_values(by, ignore_index=True), check_exact=False)


def test_case_to_case_edges_are_the_links_of_clusters(b, net):
    c = clusters(b.exposures, b.cases, rule=b.rule, venues=b.venues)
    links = _edges(net, "link")
    assert len(links) == len(c.links) > 0
    _same(links, c.links, [s.CASE_ID, s.CONTACT_ID])
    assert (links[FROM_NODE] == "case:" + links[s.CASE_ID]).all()
    assert (links[TO_NODE] == "case:" + links[s.CONTACT_ID]).all()
    # Every case is a node, once, with its cluster and generation from clusters.
    cases = net.nodes[net.nodes[NODE_KIND] == "case"].set_index(s.PERSON_ID)
    assert sorted(cases.index) == sorted(b.cases[s.PERSON_ID])
    members = c.members.set_index(s.PERSON_ID)
    assert (cases[s.GENERATION].astype(int) == members[s.GENERATION].reindex(cases.index)).all()
    assert cases[CLUSTER_NO].notna().all()


def test_venue_and_contact_edges_are_the_exposures_table(b, net, layer):
    ex = b.exposures
    assert (ex[s.HOP] == 1).all()  # the sample's rule traces one hop: every row is drawn
    contact_net, _ = layer
    at = _aggregated(ex, [s.CASE_ID, s.VENUE_ID])
    per_person = _aggregated(ex, [s.VENUE_ID, s.CONTACT_ID])
    for shown in (net, contact_net):
        _same(_edges(shown, "at"), at, [s.CASE_ID, s.VENUE_ID])
    # The contact layer: one edge per (venue, person), exactly the table's pairs.
    _same(_edges(contact_net, "exposed"), per_person, [s.VENUE_ID, s.CONTACT_ID])
    assert _edges(contact_net, "exposed_group").empty
    people = contact_net.nodes[contact_net.nodes[NODE_KIND] == "contact"][s.PERSON_ID]
    assert set(people) == set(ex[s.CONTACT_ID]) - set(b.cases[s.PERSON_ID])
    # The counted view: cases exposed at a venue as edges, everyone else counted per venue.
    is_case = ex[s.CONTACT_ID].isin(b.cases[s.PERSON_ID])
    _same(_edges(net, "exposed"), _aggregated(ex[is_case], [s.VENUE_ID, s.CONTACT_ID]),
          [s.VENUE_ID, s.CONTACT_ID])
    group = _edges(net, "exposed_group").set_index(s.VENUE_ID)
    want = ex[~is_case].groupby(s.VENUE_ID)[s.CONTACT_ID].nunique()
    assert group[s.N_CONTACTS].astype(int).to_dict() == want.to_dict()
    assert group[s.N_ROWS].sum() + _edges(net, "exposed")[s.N_ROWS].sum() == len(ex)
    assert "contact" not in set(net.nodes[NODE_KIND])


def test_links_impossible_in_time_are_marked_row_by_row(b, net):
    links = _edges(net, "link").set_index([s.CASE_ID, s.CONTACT_ID])
    ex = b.exposures[b.exposures[s.CONTACT_ID].isin(b.cases[s.PERSON_ID])]
    # One lint of every row, each row named by its number (lint_links passes venue_id on).
    rows = ex.assign(**{s.VENUE_ID: [str(i) for i in range(len(ex))]})
    lint = lint_links(b.cases, rows, b.rule)
    bad_rows = set(lint.loc[lint[s.PROBLEM].isin(IMPOSSIBLE), s.VENUE_ID].astype(int))
    marked = links[s.SEVERITY]
    for (a, c), pair in rows.reset_index(drop=True).groupby([s.CASE_ID, s.CONTACT_ID]):
        every = all(i in bad_rows for i in pair.index)
        want = ("" if links.loc[(a, c), s.PLAUSIBLE] else
                "impossible" if every else "implausible")
        assert marked[(a, c)] == want, (a, c)
    assert (marked == "impossible").sum() > 0 and (marked == "implausible").sum() > 0
    # Each is drawn as a red dashed path, and each cluster counts those it touches.
    page = network_html(net)
    assert page.count("tl-ch-link tl-ch-impossible") == (marked == "impossible").sum()
    assert net.clusters[N_IMPOSSIBLE].sum() >= 1


def test_a_link_is_impossible_only_when_every_exposure_is():
    t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    day = pd.Timedelta(days=1)
    cases = pd.DataFrame({s.PERSON_ID: ["p_aaaaaaaaaaaaaaaa", "p_bbbbbbbbbbbbbbbb"],
                          s.ONSET_AT: [t, t + 20 * day]})
    after = t + 20 * day + pd.Timedelta(hours=1)  # after B's onset: impossible
    early = t + day  # 19 days before B's onset: outside incubation, merely implausible
    rows = pd.DataFrame({s.CASE_ID: ["p_aaaaaaaaaaaaaaaa"] * 2,
                         s.CONTACT_ID: ["p_bbbbbbbbbbbbbbbb"] * 2, s.VENUE_ID: ["V1", "V2"],
                         s.OVERLAP_START: [after, early],
                         s.OVERLAP_END: [after + pd.Timedelta(minutes=30),
                                         early + pd.Timedelta(minutes=30)],
                         s.OVERLAP_MIN: [30.0, 30.0]})
    one = chain_network(rows.iloc[:1], cases).edges
    both = chain_network(rows, cases).edges
    assert one.loc[one[EDGE_KIND] == "link", s.SEVERITY].tolist() == ["impossible"]
    assert both.loc[both[EDGE_KIND] == "link", s.SEVERITY].tolist() == ["implausible"]
    assert both.loc[both[EDGE_KIND] == "link", s.PROBLEM].tolist() == [
        "before_incubation,exposure_after_onset"]
    # Not plausible, so no cluster ties the two cases.
    assert chain_network(rows, cases).clusters[s.CLUSTER_SIZE].tolist() == [1, 1]


def test_clusters_are_numbered_by_size_then_first_case(b, net):
    cl = net.clusters
    assert cl[CLUSTER_NO].tolist() == list(range(1, len(cl) + 1))
    assert cl[s.CLUSTER_SIZE].is_monotonic_decreasing and cl[s.CLUSTER_SIZE].sum() == len(b.cases)
    anchor = b.cases.set_index(s.PERSON_ID)[s.ONSET_AT].fillna(
        b.cases.set_index(s.PERSON_ID)[s.SAMPLED_AT])
    cases = net.nodes[net.nodes[NODE_KIND] == "case"]
    for row in cl.itertuples(index=False):
        mine = cases.loc[cases[CLUSTER_NO] == getattr(row, CLUSTER_NO), s.PERSON_ID]
        assert len(mine) == getattr(row, s.CLUSTER_SIZE)
        assert anchor[getattr(row, FIRST_CASE)] == anchor[mine].min()
    same_size = cl[cl[s.CLUSTER_SIZE] == 1]
    firsts = [anchor[p] for p in same_size[FIRST_CASE]]
    assert firsts == sorted(firsts)
    # The venues that tie the largest cluster are venues of exposures between its cases.
    big = set(cases.loc[cases[CLUSTER_NO] == 1, s.PERSON_ID])
    ex = b.exposures
    between = ex[ex[s.CASE_ID].isin(big) & ex[s.CONTACT_ID].isin(big)]
    tie = cl.iloc[0][s.VENUE_IDS].split(",")
    assert tie and set(tie) <= set(between[s.VENUE_ID])


def test_the_contact_layer_needs_a_purpose_and_leaves_one_entry(b, layer, tmp_path):
    net, audit = layer
    log = read_audit(audit)
    assert len(log) == 1 and log.iloc[0][s.PURPOSE] == PURPOSE
    assert log.iloc[0][s.QUERY] == f"chain_contacts cases={len(b.cases)} rule=twenty"
    assert f'"people":{int((net.nodes[NODE_KIND] == "contact").sum())}' in log.iloc[0][s.COUNTS]
    elsewhere = tmp_path / "audit.duckdb"
    with pytest.raises(PurposeError):
        chain_contacts(b.exposures, b.cases, b.venues, audit=elsewhere)
    with pytest.raises(PurposeError):
        chain_contacts(b.exposures, b.cases, b.venues, purpose="because", audit=elsewhere)
    assert not elsewhere.exists()


def test_pages_hold_no_raw_identifier_and_no_full_pseudonym(b, net, layer, raw):
    contact_net, _ = layer
    pages = [network_section(b), network_page(contact_net, lang="en")]
    pseudonyms = set(b.exposures[s.CONTACT_ID]) | set(b.cases[s.PERSON_ID])
    for page in pages:
        assert _leaks(page, raw) == set()
        assert not pseudonyms & set(re.findall(r"p_[0-9a-f]{16}", page))
        assert external_refs(page) == [] and "http" not in page
    # One node element per case, and per contact in the contact layer.
    assert pages[0].count('class="tl-ch-node tl-ch-case"') == len(b.cases)
    assert pages[1].count('class="tl-ch-node tl-ch-contact"') == (
        contact_net.nodes[NODE_KIND] == "contact").sum()


def test_same_input_same_bytes_whatever_the_row_order(b, net):
    page = network_html(net)
    shuffled = chain_network(b.exposures.sample(frac=1, random_state=7),
                             b.cases.sample(frac=1, random_state=8), b.venues,
                             rule=b.rule, zone=b.zone)
    assert network_html(shuffled) == page
    assert network_section(b) == page
    assert list(net.edges.columns) == list(EDGE_COLUMNS)


def test_a_hostile_venue_name_is_shown_as_text(b):
    venues = b.venues.copy()
    busiest = b.exposures[s.VENUE_ID].value_counts().index[0]
    venues.loc[venues[s.VENUE_ID] == busiest, s.NAME] = HOSTILE
    page = network_html(chain_network(b.exposures, b.cases, venues, rule=b.rule))
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;&quot;" in page


def test_english_and_the_notebook_object(net):
    en = network_html(net, lang="en")
    assert "Chains of transmission" in en and "传播链" not in en
    view = network_view(net)
    assert view._repr_html_() == network_html(net)


def test_no_exposure_gives_one_cluster_per_case():
    t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    cases = pd.DataFrame({s.PERSON_ID: ["p_aaaaaaaaaaaaaaaa", "p_bbbbbbbbbbbbbbbb"],
                          s.ONSET_AT: [t, t]})
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in s.EXPOSURE_COLUMNS})
    empty[s.OVERLAP_MIN] = empty[s.OVERLAP_MIN].astype(float)
    for col in (s.OVERLAP_START, s.OVERLAP_END):
        empty[col] = pd.Series([], dtype="datetime64[ns, UTC]")
    net = chain_network(empty, cases)
    assert net.edges.empty and net.clusters[s.CLUSTER_SIZE].tolist() == [1, 1]
    assert network_html(net).count('class="tl-ch-node tl-ch-case"') == 2


def test_a_case_missing_from_the_cases_is_an_error(b):
    busiest = b.exposures[s.CASE_ID].value_counts().index[0]
    with pytest.raises(ValueError, match="not in cases"):
        chain_network(b.exposures, b.cases[b.cases[s.PERSON_ID] != busiest])


# --- the command line --------------------------------------------------------------

@pytest.fixture()
def key(monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)


def test_chains_writes_the_page_in_chinese(key, tmp_path, capsys, raw):
    out = tmp_path / "chains.html"
    assert main(["chains", "--data", str(SAMPLE), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "36 名病例" in said and "按场所合计" in said and str(out) in said
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and page.count('class="tl-ch-node tl-ch-case"') == 36
    assert 'class="tl-ch-node tl-ch-contact"' not in page
    assert _leaks(page, raw) == set()
    assert not (SAMPLE / "tracelab.duckdb").exists()  # nothing person-level: nothing logged


def test_chains_contacts_needs_a_purpose_and_is_audited(key, tmp_path, capsys, raw):
    out, audit = tmp_path / "c.html", tmp_path / "audit.duckdb"
    base = ["chains", "--data", str(SAMPLE), "--out", str(out), "--audit", str(audit)]
    assert main([*base, "--contacts"]) == 2
    assert "purpose" in capsys.readouterr().err and not out.exists() and not audit.exists()
    assert main([*base, "--purpose", PURPOSE]) == 2
    assert "--purpose" in capsys.readouterr().err and not out.exists()
    assert main([*base, "--contacts", "--purpose", PURPOSE, "--lang", "en"]) == 0
    assert "one node each, audited" in capsys.readouterr().out
    log = read_audit(audit)
    assert len(log) == 1 and log.iloc[0][s.PURPOSE] == PURPOSE
    page = out.read_text(encoding="utf-8")
    assert page.count('class="tl-ch-node tl-ch-contact"') > 2000
    assert _leaks(page, raw) == set()


def test_chains_refuses_a_wrong_extension_in_one_line(key, tmp_path, capsys):
    assert main(["chains", "--data", str(SAMPLE), "--out", str(tmp_path / "c.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".html" in err and "Traceback" not in err
    assert not (tmp_path / "c.csv").exists()


def test_the_node_ids_name_kinds(net):
    kinds = net.nodes[NODE_KIND]
    prefixes = {k: {n.split(":", 1)[0] for n in net.nodes.loc[kinds == k, NODE_ID]}
                for k in set(kinds)}
    assert prefixes == {"case": {"case"}, "venue": {"venue"}, "contacts": {"contacts"}}
