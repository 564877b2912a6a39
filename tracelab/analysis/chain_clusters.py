"""The clusters of a chain network: cases numbered and listed, links marked in time.

Part of :mod:`tracelab.analysis.chains`, which re-exports the column names. Clusters
(:func:`tracelab.analysis.clustering.clusters`) are numbered 1..n by size, largest first,
then by their first case (onset, else sampling) and listed with their first and last case
and the venues that tie them; each link is marked "impossible" when every exposure of it
is impossible in time (:func:`tracelab.analysis.clustering.lint_links`), "implausible"
when none lies inside the incubation window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from tracelab.analysis.clustering import IMPOSSIBLE, lint_links
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.rules import Rule
from tracelab.model.schema import (
    CLUSTER_ID,
    CLUSTER_SIZE,
    GENERATION,
    INFECTOR_ID,
    LABEL,
    PLAUSIBLE,
    PROBLEM,
    VENUE_IDS,
)
from tracelab.privacy.pseudonyms import is_pseudonym

__all__ = ["person_label", "case_table", "number_clusters", "link_marks", "cluster_rows",
           "CLUSTER_NO", "ONSET_DAY", "REPORT_DAY", "FIRST_CASE", "FIRST_ONSET",
           "FIRST_REPORT", "LAST_CASE", "LAST_ONSET", "LAST_REPORT", "N_LINKS",
           "N_IMPOSSIBLE", "CASE_NO", "CLUSTER_COLUMNS", "ANCHOR"]

# --- columns of the cluster listing and of the case table behind it ----------------------
CLUSTER_NO = "cluster_no"  # Int64: 1 = largest cluster; a venue's is its smallest case's
ONSET_DAY = "onset_day"  # datetime.date or None: local onset day (sampling if asymptomatic)
REPORT_DAY = "report_day"  # datetime.date or None: local confirmation day (else sampling)
FIRST_CASE = "first_case"  # str: person_id of the cluster's earliest case (onset, else sampling)
FIRST_ONSET = "first_onset"  # datetime.date: its onset day
FIRST_REPORT = "first_report"  # datetime.date: its report day
LAST_CASE = "last_case"  # str: person_id of the cluster's latest case
LAST_ONSET = "last_onset"  # datetime.date
LAST_REPORT = "last_report"  # datetime.date
N_LINKS = "n_links"  # int64: plausible case-to-case links inside the cluster
N_IMPOSSIBLE = "n_impossible"  # int64: links impossible in time touching the cluster's cases
ANCHOR = "anchor_at"  # datetime64[UTC]: onset, else sampling (orders cases; case table only)
#: Optional cases column: a case number the HQ uses ("病例 17"); shown instead of the pseudonym.
CASE_NO = "case_no"
CLUSTER_COLUMNS = (CLUSTER_NO, CLUSTER_ID, CLUSTER_SIZE, FIRST_CASE, FIRST_ONSET, FIRST_REPORT,
                   LAST_CASE, LAST_ONSET, LAST_REPORT, VENUE_IDS, N_LINKS, N_IMPOSSIBLE)


def person_label(person: Any) -> str:
    """What a page shows for a person: a pseudonym's first 6 hex digits, else a masked id.

    Examples
    --------
    >>> person_label("p_2b8e65a1c0d3f4e5"), person_label("13912345678")
    ('p_2b8e65…', '13*******78')
    """
    # Six hex digits tell people apart on screen; all sixteen can hold a run of eleven
    # digits that reads as a phone number to whoever scans the page.
    return f"{str(person)[:8]}…" if is_pseudonym(person) else ids.mask_id(person)


def _day(values: pd.Series, zone: str) -> list[dt.date | None]:
    stamps = pd.to_datetime(values, utc=True).dt.tz_convert(zone)
    return [None if pd.isna(t) else t.date() for t in stamps]


def case_table(cases: pd.DataFrame, members: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Per case: label, kind, anchor time (onset, else sampling), onset and report day."""
    n = len(cases)

    def col(name: str) -> pd.Series:
        if name in cases:
            return pd.to_datetime(cases[name], utc=True).reset_index(drop=True)
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")

    onset, sampled, confirmed = col(s.ONSET_AT), col(s.SAMPLED_AT), col(s.CONFIRMED_AT)
    anchor, report = onset.fillna(sampled), confirmed.fillna(sampled)
    people = cases[s.PERSON_ID].reset_index(drop=True)
    labels = [person_label(p) for p in people]
    if CASE_NO in cases:
        labels = [lab if pd.isna(no) or not str(no).strip() else str(no).strip()
                  for lab, no in zip(labels, cases[CASE_NO], strict=True)]
    out = pd.DataFrame({s.PERSON_ID: people, LABEL: labels,
                        s.KIND: (cases[s.KIND].astype(object).reset_index(drop=True)
                                 if s.KIND in cases else None),
                        ANCHOR: anchor, ONSET_DAY: _day(anchor, zone),
                        REPORT_DAY: _day(report, zone)})
    m = members.set_index(s.PERSON_ID)
    for name in (CLUSTER_ID, CLUSTER_SIZE, GENERATION, INFECTOR_ID):
        out[name] = people.map(m[name]).to_numpy()
    return out


def link_marks(rows: pd.DataFrame, links: pd.DataFrame, cases: pd.DataFrame, r: Rule
                ) -> tuple[list[str], list[str]]:
    """Severity and problems of each link: impossible when every exposure of it is.

    A pair with one exposure after the infectee's onset and another merely before the
    incubation window is implausible, not impossible, so the lint is judged row by row.
    """
    # lint_links passes venue_id through untouched: a row number there says which row
    # each problem belongs to.
    numbered = rows[[s.CASE_ID, s.CONTACT_ID, s.OVERLAP_START, s.OVERLAP_END]].assign(
        **{s.VENUE_ID: np.arange(len(rows)).astype(str)})
    lint = lint_links(cases, numbered, r)
    impossible = set(lint.loc[lint[PROBLEM].isin(IMPOSSIBLE), s.VENUE_ID].astype(int))
    pair = list(zip(rows[s.CASE_ID], rows[s.CONTACT_ID], strict=True))
    every: dict[tuple[Any, Any], bool] = {}
    for i, key in enumerate(pair):
        every[key] = every.get(key, True) and i in impossible
    problems: dict[tuple[Any, Any], set[str]] = {}
    for i, problem in zip(lint[s.VENUE_ID].astype(int), lint[PROBLEM], strict=True):
        problems.setdefault(pair[i], set()).add(str(problem))
    severity, listed = [], []
    for a, b, plausible in zip(links[s.CASE_ID], links[s.CONTACT_ID], links[PLAUSIBLE],
                               strict=True):
        # The lint of clusters: a plausible link has an exposure inside the window.
        if plausible:
            severity.append("")
            listed.append("")
        else:
            severity.append("impossible" if every.get((a, b), False) else "implausible")
            listed.append(",".join(sorted(problems.get((a, b), ()))))
    return severity, listed


def number_clusters(table: pd.DataFrame) -> dict[Any, int]:
    """Cluster id -> number: largest first, then earliest first case, then id."""
    first = table.groupby(CLUSTER_ID)[ANCHOR].min()
    size = table.groupby(CLUSTER_ID)[CLUSTER_SIZE].first()
    order = pd.DataFrame({"size": size, "first": first}).reset_index()
    order = order.sort_values(["size", "first", CLUSTER_ID], ascending=[False, True, True],
                              na_position="last", kind="stable")
    return {cid: i for i, cid in enumerate(order[CLUSTER_ID], start=1)}


def cluster_rows(table: pd.DataFrame, links: pd.DataFrame, rows: pd.DataFrame,
                  severity: list[str]) -> pd.DataFrame:
    """One row per cluster: size, first and last case, the venues that tie it."""
    no_of = dict(zip(table[s.PERSON_ID], table[CLUSTER_NO], strict=True))
    plausible = links[links[PLAUSIBLE]]
    tie = rows.merge(plausible[[s.CASE_ID, s.CONTACT_ID]], on=[s.CASE_ID, s.CONTACT_ID])
    tie = tie.assign(**{CLUSTER_NO: tie[s.CASE_ID].map(no_of)})
    impossible = links.loc[np.array([sev == "impossible" for sev in severity], dtype=bool)]
    out = []
    for no, part in table.sort_values([CLUSTER_NO, ANCHOR, s.PERSON_ID],
                                      na_position="last", kind="stable").groupby(
                                          CLUSTER_NO, sort=True):
        first, last = part.iloc[0], part.iloc[-1]
        mine = tie[tie[CLUSTER_NO] == no]
        counts = mine.groupby(s.VENUE_ID).size().reset_index(name="n")
        counts = counts.sort_values(["n", s.VENUE_ID], ascending=[False, True], kind="stable")
        members = set(part[s.PERSON_ID])
        touching = impossible[s.CASE_ID].isin(members) | impossible[s.CONTACT_ID].isin(members)
        out.append({CLUSTER_NO: int(no), CLUSTER_ID: first[CLUSTER_ID],
                    CLUSTER_SIZE: len(part), FIRST_CASE: first[s.PERSON_ID],
                    FIRST_ONSET: first[ONSET_DAY], FIRST_REPORT: first[REPORT_DAY],
                    LAST_CASE: last[s.PERSON_ID], LAST_ONSET: last[ONSET_DAY],
                    LAST_REPORT: last[REPORT_DAY],
                    VENUE_IDS: ",".join(map(str, counts[s.VENUE_ID])),
                    N_LINKS: int((plausible[s.CASE_ID].isin(members)).sum()),
                    N_IMPOSSIBLE: int(touching.sum())})
    frame = pd.DataFrame(out, columns=list(CLUSTER_COLUMNS))
    return frame.astype({CLUSTER_NO: "int64", CLUSTER_SIZE: "int64", N_LINKS: "int64",
                         N_IMPOSSIBLE: "int64"})
