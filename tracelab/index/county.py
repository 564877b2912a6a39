"""A county store opened for queries: each rule's visit graph, memory-mapped from its files.

:func:`open_county` reads a store's manifest and the small tables of its current
generation (:mod:`tracelab.io.county_store`); :meth:`County.graph` maps the
:class:`~tracelab.index.graph.VisitGraph` of a rule's dwell assumption from its ``.npy``
files (:mod:`tracelab.index.mmap`), so a command answers a trace without reading,
checking or pseudonymising a folder and without building a visit. The graphs are the
ones :meth:`VisitGraph.from_scans` builds from the folder(s) the store was built from,
array for array, so every trace and source query gives what ``--data`` gives.

A store holds the visits of every dwell assumption the rule presets use
(:func:`store_keys`: three). A rule whose visits differ from all of them (a custom
``max_stay_hours``, say) gets its graph built in memory from the store's scans: slower,
the same answer.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab.index.graph import VisitGraph
from tracelab.index.layers import LAYER, open_layered
from tracelab.index.mmap import load_array, open_graph, open_ids
from tracelab.io.county_store import (
    Generation,
    current_generation,
    database_path,
    read_frame,
)
from tracelab.model import schema as s
from tracelab.model.rules import DEFAULT_RULE, PRESETS, Rule, as_rule

if TYPE_CHECKING:  # a query never reads the tables back: no folder loaders, no regions
    from tracelab.io.folders import DataDir

__all__ = ["County", "open_county", "visits_key", "store_keys", "KEY_CHECK", "SQL_KEY"]

#: The text whose pseudonym a store records, to tell whether a key is the store's.
KEY_CHECK = "tracelab-store-key-check"


def visits_key(rule: str | Rule) -> str:
    """The rule parameters that decide its visits, as one text: graphs are shared by key.

    :func:`tracelab.index.presence.visits` reads the dwell assumption, the longest stay,
    the scan-only length, the day zone (for day-long presence) and the NHS cut at the
    next slot; every other parameter acts on the matching, not on the visits.

    Examples
    --------
    >>> visits_key("twenty") == visits_key("ninth") == visits_key("cwa")
    True
    >>> visits_key("twenty"), visits_key("nhs")
    ('estimated_dwell max_stay_hours=24', 'same_day max_stay_hours=24 day_zone=Asia/Shanghai next_slot=15')
    """
    r = as_rule(rule)
    parts = [r.dwell, f"max_stay_hours={r.max_stay_hours:g}"]
    if r.dwell == "scan_only":
        parts.append(f"scan_instant_minutes={r.scan_instant_minutes:g}")
    if r.dwell in ("same_day", "whole_day"):
        parts.append(f"day_zone={r.day_zone}")
    if r.cut_end == "next_slot" and r.rounding_minutes and r.dwell != "whole_day":
        parts.append(f"next_slot={r.rounding_minutes}")
    return " ".join(parts)


def store_keys() -> dict[str, str]:
    """The visits keys a store holds, each with the first preset that uses it.

    Examples
    --------
    >>> list(store_keys().values())
    ['ninth', 'nhs', 'same_day']
    """
    keys: dict[str, str] = {}
    for name, r in PRESETS.items():
        keys.setdefault(visits_key(r), name)
    return keys


#: The dwell assumption whose visits the database's ``visits`` table holds, for SQL: the
#: default rule's (six of the eight presets share it). The others' are in the index only
#: (``County.graph(rule).visits()``).
SQL_KEY = visits_key(DEFAULT_RULE)


class County:
    """A store folder opened for queries (its current generation); see :func:`open_county`.

    Attributes
    ----------
    path : Path
        The store folder.
    generation : int
        The generation read; a later ingest or append does not change what this object
        answers.
    meta : dict
        The generation's ``meta.json``: counts, zone, region, local days, graphs.
    """

    def __init__(self, path: str | Path) -> None:
        self._gen: Generation = current_generation(path)
        self.path = Path(path)
        self.generation = self._gen.number
        self.meta = self._gen.meta
        self._graphs: dict[str, VisitGraph] = {}

    def __repr__(self) -> str:
        counts = self.meta.get("counts", {})
        return (f"County({str(self.path)!r}, generation {self.generation}: "
                f"{counts.get('scans', 0)} scans, {counts.get('people', 0)} people, "
                f"{counts.get('cases', 0)} cases)")

    @property
    def zone(self) -> str:
        """Zone of the county's local days and of the times a result shows."""
        return str(self.meta.get("zone") or s.DEFAULT_ZONE)

    @property
    def database(self) -> Path:
        """The store's DuckDB file: tables for SQL, follow-up and the audit log."""
        return database_path(self.path)

    @cached_property
    def _ids(self) -> tuple[np.ndarray, np.ndarray, Any]:
        return open_ids(self._gen.folder)

    @cached_property
    def _venue_table(self) -> pd.DataFrame:
        table = read_frame(self._gen, "venue_table")
        assert table is not None  # every generation writes it
        return table

    def graph(self, rule: str | Rule = "twenty", *, zone: str | None = None) -> VisitGraph:
        """The visit graph under `rule`'s dwell assumption, memory-mapped (cached).

        ``zone`` (default the store's) is the zone in which results show times.
        """
        key = visits_key(rule)
        if key not in self._graphs:
            saved = {g["key"]: g for g in self.meta.get("graphs", [])}
            if key in saved:
                people, venue_ids, take = self._ids
                opener = open_layered if LAYER in saved[key] else open_graph
                self._graphs[key] = opener(
                    self._gen.folder / saved[key]["folder"], saved[key], person_ids=people,
                    person_take=take, venue_ids=venue_ids, venues=self._venue_table)
            else:  # a dwell assumption the store has no index for: build it from its scans
                data = self.tables()
                self._graphs[key] = VisitGraph.from_scans(data.scans, data.venues, rule,
                                                          zone=self.zone)
        graph = self._graphs[key]
        graph.zone = zone or self.zone
        return graph

    @cached_property
    def cases(self) -> pd.DataFrame:
        """The cases table, pseudonymised."""
        found = read_frame(self._gen, "cases")
        return found if found is not None else pd.DataFrame(columns=list(s.CASE_COLUMNS))

    @cached_property
    def set_aside(self) -> pd.DataFrame:
        """Rejected scans whose person could be read: person, venue, row, reason."""
        found = read_frame(self._gen, "set_aside")
        return found if found is not None else pd.DataFrame(
            columns=[s.PERSON_ID, s.VENUE_ID, s.ROW, s.REASON])

    def households(self) -> pd.DataFrame | None:
        """``person_id`` and ``household_id`` of the source's persons table, if it had one."""
        persons = read_frame(self._gen, "persons", columns=[s.PERSON_ID, s.HOUSEHOLD_ID])
        if persons is None or s.HOUSEHOLD_ID not in persons:
            return None
        return persons.loc[:, [s.PERSON_ID, s.HOUSEHOLD_ID]].astype(str)

    def scans_between(self, since: int | None = None, until: int | None = None) -> int:
        """Number of scans whose entry lies in ``[since, until]`` (int64 ns UTC; None: open)."""
        times = load_array(self._gen.folder / "scan_times.npy")
        lo = 0 if since is None else int(np.searchsorted(times, since, side="left"))
        hi = len(times) if until is None else int(np.searchsorted(times, until, side="right"))
        return max(hi - lo, 0)

    def scan_span(self) -> tuple[int, int] | None:
        """First and last scan entry (int64 ns UTC), None for a store without scans."""
        span = self.meta.get("scan_span")
        return (int(span[0]), int(span[1])) if span else None

    def key_matches(self, key: bytes) -> bool:
        """Whether `key` is the key the store's pseudonyms were made with."""
        from tracelab.privacy.pseudonyms import pseudonym

        return bool(self.meta.get("key_check") == pseudonym(KEY_CHECK, key))

    def tables(self, tables: tuple[str, ...] = ("venues", "scans", "cases")) -> DataDir:
        """The store's tables as a :class:`~tracelab.io.DataDir` (read from its database)."""
        from tracelab.io.county_tables import read_store_tables

        return read_store_tables(self.path, tables=tables)


def open_county(path: str | Path) -> County:
    """Open a county store for queries.

    Raises
    ------
    tracelab.io.county_store.NotACountyStoreError
        If `path` is not a store folder.

    Examples
    --------
    >>> open_county("no-such-store")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.io.county_store.NotACountyStoreError: --store no-such-store: not a tracelab store ...
    """
    return County(path)


