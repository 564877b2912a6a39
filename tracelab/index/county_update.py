"""A day's append to a county store: only the visits the new day touches are rebuilt.

A visit depends on its own scan and on the same person's next later scan (which may cut
it), never on an earlier one (:func:`tracelab.index.presence.visits`). So a day's scans
change only the visits of the people who scanned that day, from their last scans before
it on: :func:`append_day` takes, for each such person, the store's scans from the local
midnight before their last earlier scan (and before any scan a repeat scan of the new day
merges into) onwards, adds the new scans, merges repeat scans across the cut as the
loader does, and rebuilds the visits of that tail only, under every dwell assumption. The
midnight keeps the tail whole under day-long presence too, whose visits start at
midnight. The rebuilt visits go into the layer of each graph (:mod:`tracelab.index.layers`):
the base graph's files stay as they are (the new generation links them), the layer's
visits from each tail on are replaced, and the base's visits from it on are superseded;
an append whose layer would pass half the base writes one graph again. An append records
the digest of the day's files and refuses the same files twice (an operator re-running an
append that crashed after its commit).

Each person's last scan before the day is found in the index, not the database. Each
graph is written by a second thread while the next one is grown. The database loses and
gains only the rows that change (:class:`_Rows`): the day's, those of people a repeat
scan merged across the cut, and the default rule's visits the day's scans cut. Reading,
checking, pseudonymising, building visits and indexing them cover the touched people
only; what is left in proportion to the store is the database's join of the day's rows
against its big tables, and the store's sorted scan times.

Not exact: a chain of two or more repeat scans of one venue whose last scan comes right
before the new day and whose first is longer ago than the repeat window. The store keeps
the chain's first scan only, so the new day's repeat scan is compared with that one and
stays a row of its own, where a load of both days at once would merge it. Rare (a person
scanning the same code three times within minutes across midnight) and harmless for
tracing (one visit more, at the same venue and time).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import to_ns
from tracelab.index.county import SQL_KEY, County, store_keys
from tracelab.index.county_build import (
    Progress,
    carry_files,
    local_days,
    persons_file,
    pseudonymised,
    sql_visits,
    write_generation,
)
from tracelab.index.graph import VisitGraph
from tracelab.index.intervals import (
    Presence,
    SortedScans,
    _next_later,  # the definition visits use
    presence,
)
from tracelab.index.layers import LayeredGraph, grown, last_entry_before, open_layered, save_layered
from tracelab.index.merge import Added
from tracelab.index.mmap import fixed_width_strings, load_array, open_graph, save_graph
from tracelab.index.presence import venue_table
from tracelab.index.tails import Tail, index_tails, scan_times, tail_scans
from tracelab.io.cases import read_cases
from tracelab.io.checks import empty_rejections
from tracelab.io.county_store import (
    VISITS_COLUMNS,
    VISITS_KEY,
    VISITS_TABLE,
    Generation,
    begin,
    database_path,
    publish,
    recover,
    staging_folder,
    writer_lock,
)
from tracelab.io.folders import DataDir, find_table, resolve_region
from tracelab.io.scans import read_scans
from tracelab.io.store import Step, insert_step
from tracelab.io.venues import read_venues
from tracelab.model import schema as s
from tracelab.model.rules import as_rule
from tracelab.model.tables import TABLES, open_database, read_sql

__all__ = ["append_day", "new_ids", "REPEAT_WINDOW"]

#: The loader's repeat-scan window (``read_scans(merge_within=...)``'s default).
REPEAT_WINDOW = pd.Timedelta("2min")
_NEVER = np.iinfo(np.int64).max
_SINCE = "since"  # column of the touched-people frame: start of each person's tail
_MERGING = ".merging-"  # staging subfolder a merge writes a graph's arrays into


def _quiet(stage: str, fields: Any) -> None:
    """The default progress: says nothing."""


def _day_zone() -> str:
    """The zone of the day-long presence the store indexes (one zone: the presets')."""
    zones = {as_rule(p).day_zone for p in store_keys().values()
             if as_rule(p).dwell == "whole_day"}
    assert len(zones) <= 1, zones  # the presets use one day zone
    return zones.pop() if zones else s.DEFAULT_ZONE


def new_ids(old: np.ndarray, more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted union of `old` ids (sorted, unique) and `more`, and each old id's new code.

    ``np.union1d`` sorts both again; here only the ids `old` lacks are sorted and put in.

    Examples
    --------
    >>> ids, code = new_ids(np.array(["b", "d"]), np.array(["d", "a", "c", "a"]))
    >>> ids.tolist(), code.tolist()
    (['a', 'b', 'c', 'd'], [1, 3])
    >>> new_ids(np.array(["b", "d"]), np.array(["d"]))[1].tolist()
    [0, 1]
    """
    more = np.asarray(more)
    at = np.searchsorted(old, more)
    found = np.zeros(len(more), dtype=bool)
    inside = at < len(old)
    found[inside] = old[at[inside]] == more[inside]
    fresh = np.unique(more[~found])
    if not len(fresh):
        return old, np.arange(len(old))
    ids = np.insert(old.astype(np.result_type(old, fresh)), np.searchsorted(old, fresh), fresh)
    return ids, np.arange(len(old)) + np.searchsorted(fresh, old)


@dataclass(frozen=True)
class _Day:
    """A day's folder, checked against the store's registry and pseudonymised."""

    data: DataDir
    venues: pd.DataFrame  # the store's registry with the day's changes
    full: bool  # a venue's dwell changed: every visit is rebuilt
    digest: str  # of the day's table files: a day is appended once


def _digest(paths: list[Path]) -> str:
    """SHA-256 of the files (a partitioned folder: of its files, in name order)."""
    found = hashlib.sha256()
    for path in paths:
        for part in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if part.is_file():
                found.update(part.name.encode() + b"\0" + part.read_bytes())
    return found.hexdigest()


def _read_day(folder: Path, store_venues: pd.DataFrame, meta: dict[str, Any], key: bytes,
              now: Any, profile: str, columns: Any) -> _Day:
    """Read a day's folder as ``read_dir`` would, its scans checked against the store's registry."""
    if not folder.is_dir():
        raise FileNotFoundError(msg("--append {folder}: no such folder", folder=folder))
    zone = str(meta.get("zone") or s.DEFAULT_ZONE)
    region = resolve_region(str(meta["region"])) if meta.get("region") else None
    found = {stem: find_table(folder, stem) for stem in ("venues", "scans", "cases")}
    found["scans"] = found["scans"] or find_table(folder, "visits")
    if found["scans"] is None and found["cases"] is None and found["venues"] is None:
        raise FileNotFoundError(msg("--append {folder}: no venues, scans or cases table",
                                    folder=folder))
    loads = {}
    if found["venues"] is not None:
        loads["venues"] = read_venues(found["venues"], region=region, now=now, zone=zone,
                                      profile=profile, columns=columns)
    registry = pd.concat([store_venues[[s.VENUE_ID]]] + (
        [loads["venues"].accepted[[s.VENUE_ID]]] if "venues" in loads else []),
        ignore_index=True)
    if found["scans"] is not None:
        loads["scans"] = read_scans(
            found["scans"], registry,
            rejected_venues=loads["venues"].set_aside if "venues" in loads else None,
            now=now, zone=zone, profile=profile, columns=columns)
    if found["cases"] is not None:
        loads["cases"] = read_cases(found["cases"], now=now, zone=zone, profile=profile,
                                    columns=columns)
    empty = {"venues": store_venues.iloc[:0], "scans": pd.DataFrame(columns=list(s.SCAN_COLUMNS)),
             "cases": pd.DataFrame(columns=list(s.CASE_COLUMNS))}
    frames = {n: loads[n].accepted if n in loads else empty[n] for n in empty}
    parts = [ld.rejected for ld in loads.values() if len(ld.rejected)]
    day = pseudonymised(DataDir(frames["venues"], frames["scans"], frames["cases"],
                                pd.concat(parts, ignore_index=True) if parts
                                else empty_rejections(), loads, folder, region), key)
    changed = set(day.venues[s.VENUE_ID])
    venues = pd.concat([store_venues[~store_venues[s.VENUE_ID].isin(changed)], day.venues],
                       ignore_index=True)
    full = False
    if changed:  # a day without registry rows leaves every venue's dwell time as it was
        before = venue_table(store_venues).set_index(s.VENUE_ID)[s.DWELL_MIN]
        after = venue_table(venues).set_index(s.VENUE_ID)[s.DWELL_MIN]
        full = bool((after.reindex(before.index) != before).any())
    return _Day(day, venues, full, _digest([f for f in found.values() if f is not None]))


def _scan_graph(county: County) -> VisitGraph:
    """The store's graph whose entries are its scans' times (not day-long)."""
    found = [p for p in store_keys().values() if as_rule(p).dwell != "whole_day"]
    assert found  # the estimated-dwell presets
    return county.graph(found[0])


def _tails(con: Any, new: pd.DataFrame, full: bool, county: County) -> pd.DataFrame:
    """Each person of the day with the start of their tail (``since``, int64 ns UTC).

    A person's last scan before the day is read from the index (a graph whose entries
    are the scans), not from the database's millions of rows.
    """
    if full:  # every visit is rebuilt: every person's tail is all of it
        people = read_sql(con, "SELECT DISTINCT person_id FROM scans")[s.PERSON_ID]
        people = pd.concat([people, new[s.PERSON_ID]]).drop_duplicates()
        return pd.DataFrame({s.PERSON_ID: people.to_numpy(dtype=object),
                             _SINCE: np.iinfo(np.int64).min})
    graph = _scan_graph(county)
    return index_tails(new, graph.person_ids,
                       lambda person, when: last_entry_before(graph, person, when),
                       REPEAT_WINDOW, _day_zone())


def append_day(store: str | Path, folder: str | Path, *, key: bytes,
               now: pd.Timestamp | str | None = None, profile: str = "strict",
               columns: Any = None, progress: Progress | None = None) -> Generation:
    """Add a day's scans, cases and venue changes to a store; return its new generation.

    The result equals a store built from all the days at once (module notes: one rare
    exception), in time proportional to the new day.

    Raises
    ------
    tracelab.io.county_store.NotACountyStoreError
        If `store` is not a store folder.
    ValueError
        If `key` is not the store's.
    """
    say = progress or _quiet
    target = Path(store)
    with writer_lock(target):
        recover(target)
        county = County(target)
        if not county.key_matches(key):
            raise ValueError(msg("--store {store}: the key given is not the one the store "
                                 "was built with", store=target))
        con = open_database(database_path(target))
        try:
            day = _read_day(Path(folder), read_sql(con, "SELECT * FROM venues"),
                            county.meta, key, now, profile, columns)
            done = [h for h in county.meta.get("history", []) if h.get("digest") == day.digest]
            if done:
                raise ValueError(msg("--append {folder}: these files were appended already "
                                     "({source}); the store holds them once",
                                     folder=folder, source=done[0].get("source")))
            for name, ld in day.data.loads.items():
                say("loaded", {"table": name, "read": ld.read, "accepted": ld.accepted_count,
                               "rejected": ld.rejected_count})
            new = day.data.scans.loc[:, list(s.SCAN_COLUMNS)]
            say("pseudonymised", {"people": int(new[s.PERSON_ID].nunique())})
            tails = _tails(con, new, day.full, county)
            con.register("_tails", tails.assign(**{_SINCE: pd.to_datetime(tails[_SINCE],
                                                                           utc=True)}))
            try:
                old = read_sql(con, "SELECT x.* FROM scans x JOIN _tails t ON x.person_id = "
                               "t.person_id AND x.scanned_at >= t.since")
            finally:
                con.unregister("_tails")
        finally:
            con.close()
        return _publish_append(county, day, new, old, tails, Path(folder).name, say)


def _since_frame(tails: pd.DataFrame) -> pd.DataFrame:
    """The tails with ``since`` as a UTC time, for the database's comparisons."""
    return tails.assign(**{_SINCE: pd.to_datetime(tails[_SINCE], utc=True)})


def _publish_append(county: County, day: _Day, new: pd.DataFrame, old: pd.DataFrame,
                    tails: pd.DataFrame, label: str, say: Progress) -> Generation:
    """Rebuild the tails' visits under every dwell assumption and publish the generation."""
    started = time.perf_counter()
    info = venue_table(day.venues)
    tail, ordered = tail_scans(old, new, info.set_index(s.VENUE_ID), REPEAT_WINDOW)
    first = county.graph(next(iter(store_keys().values())))
    old_people = np.asarray(first.person_ids, dtype=str)
    tail_ids = ordered.person_ids.astype(str)
    people, person_map = new_ids(old_people, tail_ids)
    fresh = np.delete(people, person_map)  # the people the store did not hold
    tail_people = np.searchsorted(people, tail_ids)
    old_venues = np.asarray(first.venue_ids, dtype=str)
    venue_ids, venue_map = new_ids(old_venues, info[s.VENUE_ID].to_numpy(dtype=str))
    tail_venues = np.searchsorted(venue_ids, ordered.venue_ids.astype(str))
    # The venue table as the store keeps it (its dtypes as read back), new codes.
    table = info.set_index(s.VENUE_ID).reindex(venue_ids.astype(object)).reset_index().astype(
        county._venue_table.dtypes.to_dict())
    since = np.full(len(old_people), _NEVER, dtype=np.int64)
    touched = tails[s.PERSON_ID].to_numpy(dtype=str)
    at = np.minimum(np.searchsorted(old_people, touched), max(len(old_people) - 1, 0))
    known = old_people[at] == touched if len(old_people) else np.zeros(len(touched), bool)
    since[at[known]] = tails[_SINCE].to_numpy(np.int64)[known]
    take = fixed_width_strings(people.astype("S"))
    rows = _Rows(tail, ordered, old, exact=not day.full)
    staging = staging_folder(county.path, county.generation + 1)
    found = {vkey: presence(ordered, as_rule(preset)) for vkey, preset in store_keys().items()}
    # The database work runs on a thread of its own (DuckDB works outside the GIL) while
    # the graphs grow and the generation is written; publish commits it once the
    # generation's folder is in place, and it is rolled back if we do not get there.
    pending = begin(county.path, [
        *rows.scans_steps(tails),
        Step("DELETE FROM venues USING _changed WHERE venues.venue_id = _changed.venue_id",
             {"_changed": day.data.venues[[s.VENUE_ID]]}),
        Step("DELETE FROM cases USING _cases WHERE cases.person_id = _cases.person_id",
             {"_cases": day.data.cases[[s.PERSON_ID]]}),
        *(insert_step(name, frame.reindex(columns=list(TABLES[name])), TABLES[name])
          for name, frame in (("scans", rows.scans_new), ("venues", day.data.venues),
                              ("cases", day.data.cases), ("rejections", day.data.rejections),
                              ("registry_faults", day.data.registry_faults))),
        *rows.visits_steps(found[SQL_KEY], SQL_KEY, as_rule(store_keys()[SQL_KEY]), tails)])
    try:
        # Each graph is written (and flushed to disk) by a second thread while the next
        # one is grown; the generation then links its files (mmap.save_array).
        with ThreadPoolExecutor(max_workers=1) as writer:
            saving = []
            for i, (vkey, preset) in enumerate(store_keys().items()):
                got = found[vkey]
                added = Added(tail_people[ordered.person[got.rows]],
                              tail_venues[ordered.venue[got.rows]], got.start, got.end,
                              got.source)
                graph = grown(county.graph(preset), since=since, person_map=person_map,
                              person_ids=people, venue_map=venue_map,
                              venue_ids=venue_ids.astype(object), venues=table, added=added,
                              person_take=take)
                saving.append((vkey, preset, writer.submit(
                    _saved, graph, staging / f"{_MERGING}{i}", take)))
                del graph
            graphs = []
            for vkey, preset, saved in saving:
                graphs.append((vkey, preset, saved.result()))
                say("visits", {"visits_key": vkey, "rule": preset,
                               "visits": len(found[vkey].rows),
                               "seconds": time.perf_counter() - started})
        times = scan_times(load_array(county._gen.folder / "scan_times.npy"),
                           to_ns(rows.scans_gone[s.SCANNED_AT], s.SCANNED_AT),
                           to_ns(rows.scans_new[s.SCANNED_AT], s.SCANNED_AT))
        cases = county.cases if not len(day.data.cases) else pd.concat(  # keeps its dtypes
            [county.cases[~county.cases[s.PERSON_ID].isin(set(day.data.cases[s.PERSON_ID]))],
             day.data.cases], ignore_index=True)
        meta = write_generation(
            staging, graphs, cases=cases,
            set_aside=pd.concat([county.set_aside, day.data.set_aside], ignore_index=True),
            persons=persons_file(county._gen), scan_times=times, new_people=fresh)
        for i in range(len(graphs)):  # linked into the generation's graph folders
            shutil.rmtree(staging / f"{_MERGING}{i}")
        carry_files(county._gen, staging)
        meta.update({k: county.meta[k] for k in ("zone", "region", "key_check")
                     if k in county.meta},
                    loads=_loads_after(county.meta.get("loads", {}), day.data.loads),
                    days=local_days(times, county.zone),
                    counts={"scans": len(times), "people": len(graphs[0][2].person_ids),
                            "venues": len(day.venues), "cases": len(cases)},
                    history=[*county.meta.get("history", []),
                             {"action": "append", "source": label, "scans": len(new),
                              "digest": day.digest}])
        say("written", {"generation": county.generation + 1})
        gen = publish(county.path, staging, county.generation + 1, meta, pending)
    finally:
        pending.abort()  # rolled back unless publish committed it
        shutil.rmtree(staging, ignore_errors=True)
    say("committed", {"generation": gen.number})
    return gen


def _saved(graph: VisitGraph, folder: Path, take: Any) -> VisitGraph:
    """`graph` written into `folder` and mapped back from there."""
    ids = {"person_ids": graph.person_ids, "person_take": take,
           "venue_ids": graph.venue_ids, "venues": graph.venues}
    if isinstance(graph, LayeredGraph):
        return open_layered(folder, save_layered(graph, folder), **ids)
    return open_graph(folder, save_graph(graph, folder), **ids)


class _Rows:
    """The database rows an append deletes and inserts: those that change, no others.

    A stored scan row changes only when a repeat scan of the day merges into it (its
    person's stored tail is then replaced whole). A stored visit row of the default rule
    changes only when its scan's next later scan changes (a visit depends on its scan
    and that one, :func:`tracelab.index.intervals.presence`): a day's scan that comes
    before it, and then only if the cut moves its end (a next scan the next morning
    does not cut a visit that the dwell model ends the evening before). So most of the
    tail's rows stay in the database as they are, and its big tables lose a small part
    of the tail's rows. With ``exact`` False (a venue's dwell changed: every visit is
    rebuilt) every tail row is replaced.
    """

    def __init__(self, tail: Tail, ordered: SortedScans, old: pd.DataFrame, *,
                 exact: bool) -> None:
        self.tail, self.ordered, self.exact = tail, ordered, exact
        stored = tail.stored if exact else np.zeros(len(tail.stored), dtype=bool)
        new_from = int(np.argmin(stored)) if not stored.all() else len(stored)
        if not stored[new_from:].any():  # the usual tail: stored rows, then the day's
            self.scans_new = tail.scans.iloc[new_from:]  # the same rows, not copied
        else:
            self.scans_new = tail.scans[~stored]
        gone = (old[s.PERSON_ID].isin(tail.merged).to_numpy() if len(tail.merged)
                else np.zeros(len(old), dtype=bool)) if exact else np.ones(len(old), dtype=bool)
        self.scans_gone = old[gone]
        # Per sorted scan: its visits are written (new, merged, or cut by a new scan).
        self.kept = stored[ordered.order]
        self.renewed = ~self.kept
        #: Per sorted scan kept: its next later scan before the day (the stored visit's).
        self.next_before = ordered.next_later.copy()
        if self.kept.any():
            self.next_before[self.kept] = _next_later(ordered.person[self.kept],
                                                      ordered.t_in[self.kept])
            self.renewed[self.kept] = (ordered.next_later[self.kept]
                                       != self.next_before[self.kept])

    def scans_steps(self, tails: pd.DataFrame) -> list[Step]:
        """Delete the stored scan rows that change."""
        if not self.exact:
            return [Step("DELETE FROM scans USING _tails WHERE scans.person_id = "
                         "_tails.person_id AND scans.scanned_at >= _tails.since",
                         {"_tails": _since_frame(tails)})]
        if not len(self.scans_gone):
            return []
        key = [s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT]
        return [Step("DELETE FROM scans USING _gone WHERE " + " AND ".join(
            f'scans."{c}" = _gone."{c}"' for c in key), {"_gone": self.scans_gone[key]})]

    def _moved(self, found: Presence, rule: Any) -> np.ndarray:
        """Per sorted scan: its visit is written, with the kept scans' visits that a new
        next scan leaves as they were (same start, end and source) left out.

        A kept scan's stored visit is :func:`presence` of it with its next later scan
        before the day (all else is the scan's own): computed again for the scans the
        day cuts and compared, visit for visit (one per scan: not day-long presence).
        """
        renewed = self.renewed.copy()
        at = np.flatnonzero(self.kept & renewed)  # kept scans a new scan cuts
        if not len(at):
            return renewed
        o = self.ordered
        before = presence(SortedScans(o.order[at], o.person[at], o.person_ids, o.venue[at],
                                      o.venue_ids, o.table_row[at], o.t_in[at],
                                      self.next_before[at], o.dwell[at], o.has_exit[at],
                                      o.exit_at[at]), rule)
        visit = np.full(len(o), -1, dtype=np.int64)  # sorted scan -> its visit
        visit[found.rows] = np.arange(len(found.rows))
        now = visit[at[before.rows]]
        same = ((now >= 0) & (found.start[now] == before.start) & (found.end[now] == before.end)
                & (found.source[now] == before.source))
        renewed[at[before.rows[same]]] = False
        return renewed

    def visits_steps(self, found: Presence, vkey: str, rule: Any, tails: pd.DataFrame
                     ) -> list[Step]:
        """Delete the default rule's visit rows that change, insert the new ones."""
        if not self.exact or rule.dwell == "whole_day":  # visits not keyed by their scan
            insert = insert_step(VISITS_TABLE, sql_visits(self.tail.scans, self.ordered, found,
                                                          vkey), VISITS_COLUMNS)
            return [Step(f"DELETE FROM {VISITS_TABLE} USING _tails WHERE "
                         f"{VISITS_TABLE}.person_id = _tails.person_id AND "
                         f"{VISITS_TABLE}.t_in >= _tails.since",
                         {"_tails": _since_frame(tails)}), insert]
        renewed = self._moved(found, rule)
        renew = renewed[found.rows]
        chosen = Presence(found.rows[renew], found.start[renew], found.end[renew],
                          found.source[renew])
        insert = insert_step(VISITS_TABLE, sql_visits(self.tail.scans, self.ordered, chosen,
                                                      vkey), VISITS_COLUMNS)
        # A visit starts at its scan: (person, venue, entry) names it.
        key = [s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT]
        cut = self.ordered.order[self.kept & renewed]
        scans = pd.concat([self.tail.scans[key].iloc[cut], self.scans_gone[key]],
                          ignore_index=True)
        if not len(scans):
            return [insert]
        gone = pd.DataFrame({s.PERSON_ID: scans[s.PERSON_ID], s.VENUE_ID: scans[s.VENUE_ID],
                             s.T_IN: scans[s.SCANNED_AT]})
        # Every row deleted is of the one visits key, and enters between the first and
        # the last entry deleted: constants the scan of millions of visits filters by
        # before it joins (the few rows deleted mostly enter within hours).
        first, last = gone[s.T_IN].min(), gone[s.T_IN].max()
        quoted = vkey.replace("'", "''")
        where = [f"{VISITS_TABLE}.\"{VISITS_KEY}\" = '{quoted}'"]
        if pd.notna(first) and pd.notna(last):  # DuckDB keeps microseconds
            where += [f"{VISITS_TABLE}.\"{s.T_IN}\" >= TIMESTAMPTZ "
                      f"'{first.floor('us').isoformat()}'",
                      f"{VISITS_TABLE}.\"{s.T_IN}\" <= TIMESTAMPTZ "
                      f"'{last.ceil('us').isoformat()}'"]
        where += [f'{VISITS_TABLE}."{c}" = g."{c}"' for c in gone.columns]
        return [Step(f"DELETE FROM {VISITS_TABLE} USING _gone_visits g WHERE "
                     + " AND ".join(where), {"_gone_visits": gone}), insert]


def _loads_after(before: dict[str, dict[str, Any]], day: Mapping[str, Any]
                 ) -> dict[str, dict[str, Any]]:
    """The store's load counts with the day's added: rows read, accepted and rejected over
    every load, so that the quality table says what a load of all the days would."""
    after = {name: dict(info) for name, info in before.items()}
    for name, ld in day.items():
        info = after.setdefault(name, {"source": ld.source, "read": 0, "accepted": 0,
                                       "rejected": 0})
        for field, n in (("read", ld.read), ("accepted", ld.accepted_count),
                         ("rejected", ld.rejected_count)):
            info[field] = int(info.get(field, 0)) + int(n)
    return after
