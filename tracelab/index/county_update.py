"""A day's append to a county store: only the visits the new day touches are rebuilt.

A visit depends on its own scan and on the same person's next later scan (which may cut
it), never on an earlier one (:func:`tracelab.index.presence.visits`). So a day's scans
change only the visits of the people who scanned that day, from their last scans before
it on: :func:`append_day` takes, for each such person, the store's scans from the local
midnight before their last earlier scan (and before any scan a repeat scan of the new day
merges into) onwards, adds the new scans, merges repeat scans across the cut as the
loader does, and rebuilds the visits of that tail only, under every dwell assumption. The
midnight keeps the tail whole under day-long presence too, whose visits start at
midnight. The other visits are taken from the current index as they are, and the new ones
merged in without sorting all again (:func:`tracelab.index.merge.merged`). An append
records the digest of the day's files and refuses the same files twice (an operator
re-running an append that crashed after its commit).

What costs time in proportion to the store is memory and disk traffic, not work per row:
the new generation's index files are written whole, and the database deletes the tails
from its scans and visits. Reading, checking, pseudonymising and building visits, the
expensive steps, cover the new day only.

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
from tracelab.index.intervals import presence, sort_scans
from tracelab.index.merge import Added, merged
from tracelab.index.mmap import fixed_width_strings, load_array
from tracelab.index.presence import venue_table
from tracelab.io.cases import read_cases
from tracelab.io.checks import empty_rejections
from tracelab.io.county_store import (
    VISITS_COLUMNS,
    VISITS_TABLE,
    Generation,
    database_path,
    publish,
    recover,
    staging_folder,
    writer_lock,
)
from tracelab.io.folders import DataDir, find_table, resolve_region
from tracelab.io.scans import merge_repeat_scans, read_scans
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


def _quiet(stage: str, fields: Any) -> None:
    """The default progress: says nothing."""


def _day_zone() -> str:
    """The zone of the day-long presence the store indexes (one zone: the presets')."""
    zones = {as_rule(p).day_zone for p in store_keys().values()
             if as_rule(p).dwell == "whole_day"}
    assert len(zones) <= 1, zones  # the presets use one day zone
    return zones.pop() if zones else s.DEFAULT_ZONE


def _midnight(ns: np.ndarray, zone: str) -> np.ndarray:
    """The local midnight starting each instant's day, as int64 ns UTC."""
    local = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC").tz_convert(zone)
    start = local.tz_localize(None).normalize().tz_localize(
        zone, ambiguous="NaT", nonexistent="shift_forward")
    return start.tz_convert("UTC").as_unit("ns").asi8


def new_ids(old: np.ndarray, more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted union of `old` ids (sorted) and `more`, and each old id's new code."""
    ids = np.union1d(old, more)
    return ids, (np.arange(len(old)) if len(ids) == len(old) else np.searchsorted(ids, old))


def _scan_times(old: np.ndarray, removed: np.ndarray, added: np.ndarray) -> np.ndarray:
    """Sorted entry times: `old` (sorted) without `removed` (a sub-multiset), with `added`."""
    removed = np.sort(removed)
    first = np.searchsorted(old, removed, side="left")
    # The k-th copy of a value to remove sits k places after its first copy.
    rank = np.arange(len(removed)) - np.searchsorted(removed, removed, side="left")
    rest = np.delete(old, first + rank)
    return np.sort(np.concatenate([rest, np.sort(added)]), kind="stable")  # merges two runs


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
    before = venue_table(store_venues).set_index(s.VENUE_ID)[s.DWELL_MIN]
    after = venue_table(venues).set_index(s.VENUE_ID)[s.DWELL_MIN]
    full = bool((after.reindex(before.index) != before).any())
    return _Day(day, venues, full, _digest([f for f in found.values() if f is not None]))


def _tails(con: Any, new: pd.DataFrame, full: bool) -> pd.DataFrame:
    """Each person of the day with the start of their tail (``since``, int64 ns UTC)."""
    if full:  # every visit is rebuilt: every person's tail is all of it
        people = read_sql(con, "SELECT DISTINCT person_id FROM scans")[s.PERSON_ID]
        people = pd.concat([people, new[s.PERSON_ID]]).drop_duplicates()
        return pd.DataFrame({s.PERSON_ID: people.to_numpy(dtype=object),
                             _SINCE: np.iinfo(np.int64).min})
    first = new.groupby(s.PERSON_ID, sort=True)[s.SCANNED_AT].min().reset_index()
    con.register("_day_first", first)
    try:
        prev = read_sql(con, """
            SELECT f.person_id, max(x.scanned_at) AS prev FROM _day_first f
            JOIN scans x ON x.person_id = f.person_id AND x.scanned_at < f.scanned_at
            GROUP BY f.person_id""")
    finally:
        con.unregister("_day_first")
    firsts = to_ns(first[s.SCANNED_AT], s.SCANNED_AT)
    last = prev.set_index(s.PERSON_ID)["prev"].reindex(first[s.PERSON_ID])
    last_ns = np.where(last.isna().to_numpy(), _NEVER,
                       last.to_numpy("datetime64[ns]").view(np.int64))
    start = np.minimum(last_ns, firsts - REPEAT_WINDOW.value)
    return pd.DataFrame({s.PERSON_ID: first[s.PERSON_ID].to_numpy(dtype=object),
                         _SINCE: _midnight(start, _day_zone())})


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
            tails = _tails(con, new, day.full)
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
    tail = merge_repeat_scans(pd.concat([old.loc[:, list(s.SCAN_COLUMNS)], new],
                                        ignore_index=True))
    info = venue_table(day.venues)
    ordered = sort_scans(tail, info.set_index(s.VENUE_ID))
    first = county.graph(next(iter(store_keys().values())))
    old_people = np.asarray(first.person_ids, dtype=str)
    people, person_map = new_ids(old_people, ordered.person_ids.astype(str))
    fresh = np.setdiff1d(ordered.person_ids.astype(str), old_people, assume_unique=True)
    tail_people = np.searchsorted(people, ordered.person_ids.astype(str))
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
    staging = staging_folder(county.path, county.generation + 1)
    try:
        graphs, db = [], []
        for vkey, preset in store_keys().items():
            started = time.perf_counter()
            rule = as_rule(preset)
            base = county.graph(rule)
            found = presence(ordered, rule)
            added = Added(tail_people[ordered.person[found.rows]],
                          tail_venues[ordered.venue[found.rows]], found.start, found.end,
                          found.source)
            keep = np.asarray(base.v_t_in) < since[np.asarray(base.v_person)]
            graph = merged(base, keep=keep, person_map=person_map, person_ids=people,
                           venue_map=venue_map, venue_ids=venue_ids.astype(object),
                           venues=table, added=added, person_take=take)
            graphs.append((vkey, preset, graph))
            if vkey == SQL_KEY:
                db.append(insert_step(VISITS_TABLE, sql_visits(tail, ordered, found, vkey),
                                      VISITS_COLUMNS))
            say("visits", {"visits_key": vkey, "rule": preset, "visits": len(found.rows),
                           "seconds": time.perf_counter() - started})
        times = _scan_times(load_array(county._gen.folder / "scan_times.npy"),
                            to_ns(old[s.SCANNED_AT], s.SCANNED_AT),
                            to_ns(tail[s.SCANNED_AT], s.SCANNED_AT))
        cases = pd.concat([county.cases[~county.cases[s.PERSON_ID].isin(
            set(day.data.cases[s.PERSON_ID]))], day.data.cases], ignore_index=True)
        meta = write_generation(
            staging, graphs, cases=cases,
            set_aside=pd.concat([county.set_aside, day.data.set_aside], ignore_index=True),
            persons=persons_file(county._gen), scan_times=times, new_people=fresh)
        carry_files(county._gen, staging)
        meta.update({k: county.meta[k] for k in ("zone", "region", "key_check", "loads")
                     if k in county.meta},
                    days=local_days(times, county.zone),
                    counts={"scans": len(times), "people": len(graphs[0][2].person_ids),
                            "venues": len(day.venues), "cases": len(cases)},
                    history=[*county.meta.get("history", []),
                             {"action": "append", "source": label, "scans": len(new),
                              "digest": day.digest}])
        say("written", {"generation": county.generation + 1})
        touched = _since_frame(tails)
        steps = [
            Step("DELETE FROM scans USING _tails WHERE scans.person_id = _tails.person_id "
                 "AND scans.scanned_at >= _tails.since", {"_tails": touched}),
            Step(f"DELETE FROM {VISITS_TABLE} USING _tails WHERE {VISITS_TABLE}.person_id = "
                 f"_tails.person_id AND {VISITS_TABLE}.t_in >= _tails.since",
                 {"_tails": touched}),
            Step("DELETE FROM venues USING _changed WHERE venues.venue_id = _changed.venue_id",
                 {"_changed": day.data.venues[[s.VENUE_ID]]}),
            Step("DELETE FROM cases USING _cases WHERE cases.person_id = _cases.person_id",
                 {"_cases": day.data.cases[[s.PERSON_ID]]}),
            *(insert_step(name, frame.reindex(columns=list(TABLES[name])), TABLES[name])
              for name, frame in (("scans", tail), ("venues", day.data.venues),
                                  ("cases", day.data.cases),
                                  ("rejections", day.data.rejections),
                                  ("registry_faults", day.data.registry_faults))),
            *db]
        gen = publish(county.path, staging, county.generation + 1, meta, steps)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say("committed", {"generation": gen.number})
    return gen
