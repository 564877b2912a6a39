"""Chains of transmission as a network: cases, their likely infectors, venues and contacts.

The network is the data behind the briefing's chain view and ``tracelab chains``; it
computes nothing new. Its case-to-case edges are the links of
:func:`tracelab.analysis.clustering.clusters` (with the scores of
:func:`tracelab.tracing.backward.sources` when given), marked impossible or implausible in
time by :func:`tracelab.analysis.clustering.lint_links`; its case-to-venue and
venue-to-person edges are the exposures table's hop-1 rows, aggregated per pair. Clusters
are numbered 1..n by size (largest first), then by their first case.

:func:`chain_network` shows contacts as one node per venue (their count); the contact
layer, one node per exposed person, is a person-level query: :func:`chain_contacts`
needs a purpose and leaves one audit entry (:func:`tracelab.privacy.audit.audited`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.analysis.chain_clusters import (
    ANCHOR,
    CASE_NO,
    CLUSTER_COLUMNS,
    CLUSTER_NO,
    FIRST_CASE,
    FIRST_ONSET,
    FIRST_REPORT,
    LAST_CASE,
    LAST_ONSET,
    LAST_REPORT,
    N_IMPOSSIBLE,
    N_LINKS,
    ONSET_DAY,
    REPORT_DAY,
    case_table,
    cluster_rows,
    link_marks,
    number_clusters,
    person_label,
)
from tracelab.analysis.clustering import Clusters, clusters
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule
from tracelab.model.schema import (
    CLUSTER_ID,
    FIRST_EXPOSURE,
    GENERATION,
    IN_TREE,
    INFECTOR_ID,
    LABEL,
    LINK_SCORE,
    N_CASES,
    N_CONTACTS,
    N_ROWS,
    PLAUSIBLE,
    PROBLEM,
    SEVERITY,
    VENUE_IDS,
)
from tracelab.privacy.audit import audited

__all__ = ["ChainNetwork", "chain_network", "chain_contacts", "person_label",
           "NODE_ID", "NODE_KIND", "EDGE_KIND", "FROM_NODE", "TO_NODE", "CLUSTER_NO",
           "ONSET_DAY", "REPORT_DAY", "FIRST_CASE", "FIRST_ONSET", "FIRST_REPORT",
           "LAST_CASE", "LAST_ONSET", "LAST_REPORT", "N_LINKS", "N_IMPOSSIBLE", "CASE_NO",
           "NODE_KINDS", "EDGE_KINDS", "NODE_COLUMNS", "EDGE_COLUMNS", "CLUSTER_COLUMNS"]

# --- columns of the node and edge frames (not in model.schema: only this module makes
# them); those of the cluster listing are in analysis.chain_clusters, re-exported here.
NODE_ID = "node_id"  # str: "case:<person>", "venue:<venue>", "contacts:<venue>", "person:<person>"
NODE_KIND = "node_kind"  # str: one of NODE_KINDS
EDGE_KIND = "edge_kind"  # str: one of EDGE_KINDS
FROM_NODE = "from_node"  # str: node_id the edge leaves (infector, case, venue)
TO_NODE = "to_node"  # str: node_id the edge reaches (infectee, venue, person or group)
#: Node kinds: a case, a venue, the contacts of a venue as one node, one contact.
NODE_KINDS = ("case", "venue", "contacts", "contact")
#: Edge kinds: infector -> infectee (a ``clusters`` link), case -> venue where it exposed
#: people, venue -> exposed person (a case or a contact), venue -> its contacts as one node.
EDGE_KINDS = ("link", "at", "exposed", "exposed_group")
_CASE, _VENUE, _GROUP, _CONTACT = NODE_KINDS
_LINK, _AT, _EXPOSED, _GROUP_EDGE = EDGE_KINDS

NODE_COLUMNS = (NODE_ID, NODE_KIND, LABEL, s.PERSON_ID, s.VENUE_ID, CLUSTER_NO, GENERATION,
                INFECTOR_ID, s.KIND, ONSET_DAY, REPORT_DAY, N_CASES, N_CONTACTS)
EDGE_COLUMNS = (FROM_NODE, TO_NODE, EDGE_KIND, s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, N_ROWS,
                s.OVERLAP_MIN, FIRST_EXPOSURE, N_CONTACTS, LINK_SCORE, PLAUSIBLE, IN_TREE,
                SEVERITY, PROBLEM, VENUE_IDS)
_NEEDED = (s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.OVERLAP_START, s.OVERLAP_END, s.OVERLAP_MIN)


@dataclass(frozen=True)
class ChainNetwork:
    """Result of :func:`chain_network` and :func:`chain_contacts`.

    ``nodes`` (:data:`NODE_COLUMNS`), ``edges`` (:data:`EDGE_COLUMNS`) and ``clusters``
    (:data:`CLUSTER_COLUMNS`) are new frames in a fixed order; ``contacts`` tells whether
    each contact is a node of its own (the audited layer) or counted per venue.
    Person ids in the frames are as given (pseudonyms); ``label`` is what to show.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    clusters: pd.DataFrame
    rule_id: str
    contacts: bool = False


def _ordered_venues(rows: pd.DataFrame) -> pd.Series:
    """Per (case, contact): its venues, most minutes first, as one comma-separated text."""
    if rows.empty:
        return pd.Series(dtype=object)
    per = (rows.groupby([s.CASE_ID, s.CONTACT_ID, s.VENUE_ID], sort=True)[s.OVERLAP_MIN]
           .sum().reset_index()
           .sort_values([s.CASE_ID, s.CONTACT_ID, s.OVERLAP_MIN, s.VENUE_ID],
                        ascending=[True, True, False, True], kind="stable"))
    return per.groupby([s.CASE_ID, s.CONTACT_ID], sort=True)[s.VENUE_ID].agg(
        lambda v: ",".join(map(str, v)))


def _pairs(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Exposure rows aggregated per pair: rows, minutes, first overlap, people reached."""
    return rows.groupby(by, sort=True).agg(**{
        N_ROWS: (s.OVERLAP_MIN, "size"), s.OVERLAP_MIN: (s.OVERLAP_MIN, "sum"),
        FIRST_EXPOSURE: (s.OVERLAP_START, "min"),
        N_CONTACTS: (s.CONTACT_ID, "nunique")}).reset_index()


def _build(exposures: pd.DataFrame, cases: pd.DataFrame, venues: pd.DataFrame | None,
           rule: str | Rule, clustered: Clusters | None, source_scores: pd.DataFrame | None,
           zone: str, contacts: bool) -> ChainNetwork:
    r = as_rule(rule)
    require_columns(exposures, _NEEDED, "exposures")
    require_columns(cases, (s.PERSON_ID,), "cases")
    # Hop-2 rows (exposed to a contact, under ninth) are not part of a chain between cases.
    hop1 = exposures[exposures[s.HOP] == 1] if s.HOP in exposures else exposures
    is_case = set(cases[s.PERSON_ID])
    strays = int((~hop1[s.CASE_ID].isin(is_case)).sum())
    if strays:
        raise ValueError(msg("exposures: {n} row(s) name a case_id that is not in cases; give "
                             "the cases that were traced", n=strays))
    if clustered is None:
        typed = venues if venues is not None and s.VENUE_TYPE in venues else None
        clustered = clusters(hop1, cases, rule=r, venues=typed, source_scores=source_scores)
    links = clustered.links
    table = case_table(cases, clustered.members, zone)
    number = number_clusters(table)
    table[CLUSTER_NO] = table[CLUSTER_ID].map(number).astype("int64")
    # Candidate links are the rows whose contact is a case too (clusters' own definition).
    link_rows = hop1[hop1[s.CONTACT_ID].isin(is_case)]
    severity, problems = link_marks(link_rows, links, cases, r)
    clusters_ = cluster_rows(table, links, link_rows, severity)

    case_node = {p: f"case:{p}" for p in table[s.PERSON_ID]}
    via = _ordered_venues(link_rows)
    link_edges = links[[s.CASE_ID, s.CONTACT_ID, N_ROWS, s.OVERLAP_MIN, FIRST_EXPOSURE,
                        LINK_SCORE, PLAUSIBLE, IN_TREE]].assign(**{
        FROM_NODE: links[s.CASE_ID].map(case_node), TO_NODE: links[s.CONTACT_ID].map(case_node),
        EDGE_KIND: _LINK, SEVERITY: severity, PROBLEM: problems,
        VENUE_IDS: [via.get((a, b), "") for a, b in zip(links[s.CASE_ID], links[s.CONTACT_ID],
                                                       strict=True)]})
    at = _pairs(hop1, [s.CASE_ID, s.VENUE_ID])
    at_edges = at.assign(**{FROM_NODE: at[s.CASE_ID].map(case_node),
                            TO_NODE: "venue:" + at[s.VENUE_ID].astype(str), EDGE_KIND: _AT})
    exposed = _pairs(hop1, [s.VENUE_ID, s.CONTACT_ID])
    shown = exposed[s.CONTACT_ID].isin(is_case) | contacts
    person = exposed[shown]
    person_edges = person.assign(**{
        FROM_NODE: "venue:" + person[s.VENUE_ID].astype(str),
        TO_NODE: [case_node.get(p, f"person:{p}") for p in person[s.CONTACT_ID]],
        EDGE_KIND: _EXPOSED})
    # Contacts who are not cases, counted per venue unless each is a node of its own.
    rest = hop1[~hop1[s.CONTACT_ID].isin(is_case)]
    group = _pairs(rest, [s.VENUE_ID]) if not contacts else _pairs(rest.iloc[:0], [s.VENUE_ID])
    group_edges = group.assign(**{FROM_NODE: "venue:" + group[s.VENUE_ID].astype(str),
                                  TO_NODE: "contacts:" + group[s.VENUE_ID].astype(str),
                                  EDGE_KIND: _GROUP_EDGE})
    edges = pd.concat([e for e in (link_edges, at_edges, person_edges, group_edges) if len(e)]
                      or [link_edges], ignore_index=True)
    edges = edges.reindex(columns=list(EDGE_COLUMNS))
    edges[EDGE_KIND] = pd.Categorical(edges[EDGE_KIND], categories=list(EDGE_KINDS),
                                      ordered=True)
    edges = edges.sort_values([EDGE_KIND, FROM_NODE, TO_NODE], kind="stable",
                              ignore_index=True)
    edges[EDGE_KIND] = edges[EDGE_KIND].astype(object)
    for name in (PLAUSIBLE, IN_TREE):
        edges[name] = edges[name].astype("boolean")
    for name in (SEVERITY, PROBLEM):
        edges[name] = edges[name].astype(object).where(edges[name].notna(), "")
    nodes = _nodes(table, hop1, venues, group, person, contacts, is_case)
    return ChainNetwork(nodes=nodes, edges=edges, clusters=clusters_, rule_id=r.rule_id,
                        contacts=contacts)


def _nodes(table: pd.DataFrame, hop1: pd.DataFrame, venues: pd.DataFrame | None,
           group: pd.DataFrame, person: pd.DataFrame, contacts: bool, is_case: set[Any]
           ) -> pd.DataFrame:
    """Cases (by cluster, generation, time), venues, contact groups, contacts."""
    cases = table.sort_values([CLUSTER_NO, GENERATION, ANCHOR, s.PERSON_ID],
                              na_position="last", kind="stable")
    case_nodes = cases.assign(**{NODE_ID: "case:" + cases[s.PERSON_ID].astype(str),
                                 NODE_KIND: _CASE, s.VENUE_ID: None})
    no_of = dict(zip(table[s.PERSON_ID], table[CLUSTER_NO], strict=True))
    per_venue = hop1.groupby(s.VENUE_ID, sort=True).agg(**{
        N_CASES: (s.CASE_ID, "nunique"), N_CONTACTS: (s.CONTACT_ID, "nunique")}).reset_index()
    names = ({} if venues is None or s.NAME not in venues else
             dict(zip(venues[s.VENUE_ID], venues[s.NAME], strict=True)))
    first_cluster = hop1.assign(no=hop1[s.CASE_ID].map(no_of)).groupby(s.VENUE_ID)["no"].min()
    venue_nodes = per_venue.assign(**{
        NODE_ID: "venue:" + per_venue[s.VENUE_ID].astype(str), NODE_KIND: _VENUE,
        # The registered name is untrusted text: whoever renders it escapes it.
        LABEL: [str(names.get(v, v)) if pd.notna(names.get(v, v)) else str(v)
                for v in per_venue[s.VENUE_ID]],
        CLUSTER_NO: per_venue[s.VENUE_ID].map(first_cluster).to_numpy()})
    group_nodes = group.assign(**{
        NODE_ID: "contacts:" + group[s.VENUE_ID].astype(str), NODE_KIND: _GROUP,
        LABEL: group[N_CONTACTS].astype(str),
        CLUSTER_NO: group[s.VENUE_ID].map(first_cluster).to_numpy()})
    parts = [case_nodes, venue_nodes, group_nodes]
    if contacts:
        people = sorted(set(person[s.CONTACT_ID]) - is_case, key=str)
        parts.append(pd.DataFrame({NODE_ID: [f"person:{p}" for p in people],
                                   NODE_KIND: _CONTACT, s.PERSON_ID: people,
                                   LABEL: [person_label(p) for p in people]}))
    nodes = pd.concat([p for p in parts if len(p)] or [case_nodes], ignore_index=True)
    nodes = nodes.reindex(columns=list(NODE_COLUMNS))
    for name in (CLUSTER_NO, GENERATION, N_CASES, N_CONTACTS):
        nodes[name] = nodes[name].astype("Int64")
    return nodes


def chain_network(
    exposures: pd.DataFrame,
    cases: pd.DataFrame,
    venues: pd.DataFrame | None = None,
    *,
    rule: str | Rule = "twenty",
    clustered: Clusters | None = None,
    source_scores: pd.DataFrame | None = None,
    zone: str = s.DEFAULT_ZONE,
) -> ChainNetwork:
    """The chains of transmission among `cases`: cases, venues, and contacts counted per venue.

    Parameters
    ----------
    exposures : pandas.DataFrame
        :func:`tracelab.tracing.forward.trace` output over `cases` (``case_id``,
        ``contact_id``, ``venue_id``, ``overlap_start``, ``overlap_end``,
        ``overlap_minutes``; ``hop``); hop-2 rows are left out.
    cases : pandas.DataFrame
        ``schema.CASE_COLUMNS`` (``person_id`` and ``onset_at`` or ``sampled_at``
        needed); an optional ``case_no`` column (:data:`CASE_NO`) labels the cases.
    venues : pandas.DataFrame, optional
        The registry (``venue_id``): names label the venues, and when it has
        ``venue_type`` the types weigh the link scores.
    rule : str or Rule, default "twenty"
        Incubation window and look-back of the links and their lint.
    clustered : Clusters, optional
        :func:`tracelab.analysis.clustering.clusters` of the same tables, if already at
        hand; default computed here.
    source_scores : pandas.DataFrame, optional
        Stacked :func:`tracelab.tracing.backward.sources` results with a ``case_id``
        column, passed to ``clusters`` (their case scores replace the link scores).
    zone : str
        Zone of the onset and report days.

    Returns
    -------
    ChainNetwork
        ``nodes``: one per case, per venue of an exposure and per venue's contacts
        (``label`` = their count); ``edges``: ``link`` (exactly ``clusters(...).links``,
        with ``severity`` "impossible" when every exposure of the link is impossible in
        time, "implausible" when none is inside the incubation window, ``problem`` the
        :data:`tracelab.analysis.clustering.PROBLEMS` keys, ``venue_ids`` most minutes
        first), ``at`` (case -> venue), ``exposed`` (venue -> a case exposed there),
        ``exposed_group`` (venue -> its other contacts, ``n_contacts``); ``clusters``:
        numbered 1..n by size, then first case.

    Raises
    ------
    ValueError
        If a column is missing, or a hop-1 row's case is not in `cases`.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> h = pd.Timedelta(hours=1)
    >>> cases = pd.DataFrame({"person_id": ["p_aaaaaaaaaaaaaaaa", "p_bbbbbbbbbbbbbbbb"],
    ...                       "onset_at": [t, t + 72 * h]})
    >>> ex = pd.DataFrame({"case_id": ["p_aaaaaaaaaaaaaaaa"] * 2,
    ...     "contact_id": ["p_bbbbbbbbbbbbbbbb", "p_cccccccccccccccc"],
    ...     "venue_id": ["V1", "V1"], "hop": [1, 1],
    ...     "overlap_start": [t, t], "overlap_end": [t + h, t + h],
    ...     "overlap_minutes": [60.0, 60.0]})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "name": ["长乐镇农贸市场"]})
    >>> net = chain_network(ex, cases, venues)
    >>> net.nodes[["node_kind", "label", "cluster_no", "n_contacts"]]
      node_kind      label  cluster_no  n_contacts
    0      case  p_aaaaaa…           1        <NA>
    1      case  p_bbbbbb…           1        <NA>
    2     venue    长乐镇农贸市场           1           2
    3  contacts          1           1           1
    >>> net.edges[["edge_kind", "from_node", "to_node", "n_exposures"]]
           edge_kind                from_node                  to_node  n_exposures
    0           link  case:p_aaaaaaaaaaaaaaaa  case:p_bbbbbbbbbbbbbbbb            1
    1             at  case:p_aaaaaaaaaaaaaaaa                 venue:V1            2
    2        exposed                 venue:V1  case:p_bbbbbbbbbbbbbbbb            1
    3  exposed_group                 venue:V1              contacts:V1            1
    >>> net.clusters[["cluster_no", "cluster_size", "first_onset", "venue_ids"]]
       cluster_no  cluster_size first_onset venue_ids
    0           1             2  2022-11-20        V1
    """
    return _build(exposures, cases, venues, rule, clustered, source_scores, zone, False)


def _contact_layer(
    exposures: pd.DataFrame,
    cases: pd.DataFrame,
    venues: pd.DataFrame | None = None,
    *,
    rule: str | Rule = "twenty",
    clustered: Clusters | None = None,
    source_scores: pd.DataFrame | None = None,
    zone: str = s.DEFAULT_ZONE,
) -> ChainNetwork:
    """The chains of transmission with one node per exposed person (the contact layer).

    As :func:`chain_network`, except that every contact who is not a case is a node of
    its own (``contact``, labelled by pseudonym prefix) reached by one ``exposed`` edge
    per venue: the venue and contact edges are then exactly the exposures table's hop-1
    rows aggregated per (case, venue) and (venue, person).

    Parameters
    ----------
    exposures, cases, venues, rule, clustered, source_scores, zone
        As :func:`chain_network`.

    Returns
    -------
    ChainNetwork
        ``contacts`` is True; no ``contacts`` group nodes.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> cases = pd.DataFrame({"person_id": ["p_aaaaaaaaaaaaaaaa"], "onset_at": [t]})
    >>> ex = pd.DataFrame({"case_id": ["p_aaaaaaaaaaaaaaaa"],
    ...     "contact_id": ["p_cccccccccccccccc"], "venue_id": ["V1"],
    ...     "overlap_start": [t], "overlap_end": [t + pd.Timedelta(hours=1)],
    ...     "overlap_minutes": [60.0]})
    >>> _contact_layer(ex, cases).nodes[["node_kind", "label"]]
      node_kind      label
    0      case  p_aaaaaa…
    1     venue         V1
    2   contact  p_cccccc…
    """
    return _build(exposures, cases, venues, rule, clustered, source_scores, zone, True)


def _layer_counts(result: ChainNetwork, arguments: Mapping[str, Any]) -> dict[str, int]:
    kinds = result.nodes[NODE_KIND]
    return {"cases": int((kinds == _CASE).sum()), "people": int((kinds == _CONTACT).sum()),
            "venues": int((kinds == _VENUE).sum()), "rows": len(result.edges)}


# The logged query names no person: counts and the rule only.
chain_contacts = audited(
    "chain_contacts", _layer_counts,
    describe=lambda a: f"chain_contacts cases={int(a['cases'][s.PERSON_ID].nunique())} "
                       f"rule={as_rule(a['rule']).rule_id}")(_contact_layer)
