"""Retention for a county store: drop whole local days before a cutoff, index and tables.

Only a person's later scans cut a visit (:func:`tracelab.index.presence.visits`), so the
visits of the scans that stay are the same without the older days: each dwell
assumption's index keeps its visits from the cutoff on, as they are, and is re-sorted;
the database loses the same scans and visits, and the follow-up records past the same
cutoff (as :func:`tracelab.governance.retention.purge` does for a database file), in one
transaction with an ``ops:retention`` entry in the store's audit log. The older
generations, which still hold the purged days, are removed once the new one is in place.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.index.county import SQL_KEY, County, store_keys
from tracelab.index.county_build import (
    Progress,
    carry_files,
    local_days,
    persons_file,
    visits_frame_for_db,
    write_generation,
)
from tracelab.index.graph import VisitGraph
from tracelab.index.layers import LayeredGraph
from tracelab.index.merge import Added, merged
from tracelab.index.mmap import fixed_width_strings, load_array
from tracelab.index.presence import visits
from tracelab.io.county_store import (
    VISITS_COLUMNS,
    VISITS_KEY,
    VISITS_TABLE,
    Generation,
    publish,
    recover,
    staging_folder,
    writer_lock,
)
from tracelab.io.store import Step, insert_step
from tracelab.model import schema as s
from tracelab.model.rules import as_rule
from tracelab.model.tables import open_database, read_sql
from tracelab.privacy.audit import PendingEntry, append_in_transaction

__all__ = ["purge_days", "PurgedDays", "PURGE_PURPOSE"]

#: Purpose of the audit entry a purge leaves (a system operation, not a query).
PURGE_PURPOSE = "ops:retention"


@dataclass(frozen=True)
class PurgedDays:
    """What :func:`purge_days` removed; ``before == removed + kept``.

    Attributes
    ----------
    cutoff : pandas.Timestamp
        The local midnight (UTC) before which every scan was removed.
    before, removed, kept : int
        Scan rows before the purge, removed, and left.
    removed_by_day : dict of str to int
        Removed rows per local day (``YYYY-MM-DD``); sums to `removed`.
    followup_removed : int
        Follow-up records removed (status, or import when they have none, before cutoff).
    generation : int
        The store's generation after the purge (unchanged when nothing was removed).
    """

    cutoff: pd.Timestamp
    before: int
    removed: int
    kept: int
    removed_by_day: dict[str, int]
    followup_removed: int
    generation: int


def _cutoff(now: pd.Timestamp | str | None, days: int, zone: str) -> pd.Timestamp:
    """The local midnight starting the day ``days`` days before `now`, in UTC."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(msg("older_than_days: {days!r} must be a whole number of days >= 0",
                             days=days))
    reference = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if reference.tzinfo is None:
        raise ValueError(msg("now: {now!r} has no time zone; give e.g. "
                             "'2022-11-25T00:00:00+08:00'", now=now))
    local = (reference - pd.Timedelta(days=days)).tz_convert(zone)
    return local.normalize().tz_convert("UTC")


def purge_days(store: str | Path, older_than_days: int, now: pd.Timestamp | str | None = None,
               *, who: str | None = None, progress: Progress | None = None) -> PurgedDays:
    """Remove every scan of the local days before ``now - older_than_days`` from a store.

    The cutoff is the local midnight (the store's zone) starting the day
    ``older_than_days`` days before `now`: whole days go. Visits, scans and follow-up
    records before it are removed, venues and cases stay.

    Raises
    ------
    ValueError
        If `older_than_days` is not a whole number >= 0 or `now` has no zone.
    tracelab.privacy.audit.AuditAnchorError
        If the store's audit log does not match its anchor; nothing is removed.
    """
    target = Path(store)
    with writer_lock(target):
        recover(target)
        county = County(target)
        cutoff = _cutoff(now, older_than_days, county.zone)
        times = load_array(county._gen.folder / "scan_times.npy")
        removed = int(np.searchsorted(times, cutoff.value, side="left"))
        gone = {d: n for d, n in county.meta.get("days", {}).items()
                if pd.Timestamp(d).tz_localize(county.zone) < cutoff}
        if not removed and not _followup_due(county, cutoff):
            return PurgedDays(cutoff, len(times), 0, len(times), {}, 0, county.generation)
        gen, followup = _publish(county, cutoff, times[removed:], removed, progress)
        return PurgedDays(cutoff, len(times), removed, len(times) - removed, gone, followup,
                          gen.number)


def _dropped(base: VisitGraph, cutoff: int) -> VisitGraph:
    """`base` without the visits that start before `cutoff` (each person's first ones)."""
    keep = np.asarray(base.v_t_in) >= cutoff
    person = np.asarray(base.v_person)
    dropped = np.bincount(person[~keep], minlength=len(base.person_ids))
    stays = np.diff(np.asarray(base.person_offsets)) > dropped
    people = np.asarray(base.person_ids, dtype=str)[stays]
    venue_ids = np.asarray(base.venue_ids)
    return merged(base, keep=keep, person_map=np.cumsum(stays) - 1, person_ids=people,
                  venue_map=np.arange(len(venue_ids)), venue_ids=venue_ids,
                  venues=base.venues, added=Added.none(), shift=dropped,
                  person_take=fixed_width_strings(people.astype("S")))


def kept_venues(county: County) -> pd.DataFrame:
    """The store's venue registry (from its database)."""
    return county.tables(("venues",)).venues


def _kept_scans(county: County, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The store's scans from `cutoff` on (from its database)."""
    con = open_database(county.database, read_only=True)
    try:
        return read_sql(con, f'SELECT * FROM scans WHERE "{s.SCANNED_AT}" >= ?',
                        [cutoff.to_pydatetime()])
    finally:
        con.close()


def _followup_due(county: County, cutoff: pd.Timestamp) -> bool:
    con = open_database(county.database, read_only=True)
    try:
        row = con.execute(f'SELECT count(*) FROM followup WHERE coalesce("{s.STATUS_AT}", '
                          f'"{s.IMPORTED_AT}") < ?', [cutoff.to_pydatetime()]).fetchone()
    finally:
        con.close()
    return bool(row and row[0])


def _publish(county: County, cutoff: pd.Timestamp, times: np.ndarray, removed: int,
             progress: Progress | None) -> tuple[Generation, int]:
    staging = staging_folder(county.path, county.generation + 1)
    rebuilt: list[tuple[str, pd.DataFrame]] = []
    try:
        graphs = []
        for vkey, preset in store_keys().items():
            rule = as_rule(preset)
            base = county.graph(rule)
            if rule.dwell == "whole_day" and rule.day_zone != county.zone:
                # Day-long visits start at midnight of another zone than the store's days:
                # which of them stay is told by their scans, so they are built again.
                kept = _kept_scans(county, cutoff)
                frame = visits(kept, kept_venues(county), rule)
                graph = VisitGraph.from_visits(frame, kept_venues(county), dwell=rule.dwell,
                                               zone=county.zone)
                if vkey == SQL_KEY:
                    rebuilt.append((vkey, frame))
            else:  # a purge writes one graph: its work is in proportion to the store anyway
                graph = _dropped(base.compacted() if isinstance(base, LayeredGraph) else base,
                                 cutoff.value)
            graphs.append((vkey, preset, graph))
        # Every person left was checked when the store got them: no new one here.
        meta = write_generation(staging, graphs, cases=county.cases,
                                set_aside=county.set_aside, persons=persons_file(county._gen),
                                scan_times=times, new_people=np.zeros(0, dtype=str))
        carry_files(county._gen, staging)
        meta.update({k: county.meta[k] for k in ("zone", "region", "key_check", "loads")
                     if k in county.meta},
                    days=local_days(times, county.zone),
                    counts={**county.meta.get("counts", {}), "scans": len(times),
                            "people": len(graphs[0][2].person_ids)},
                    history=[*county.meta.get("history", []),
                             {"action": "purge", "before": f"{cutoff.isoformat()}",
                              "scans": -removed}])
        at = [cutoff.to_pydatetime()]
        when = f'coalesce("{s.STATUS_AT}", "{s.IMPORTED_AT}") < ?'
        pending: list[PendingEntry] = []
        followup: list[int] = []

        def log(con: duckdb.DuckDBPyConnection) -> None:
            row = con.execute("SELECT count(*) FROM followup WHERE " + when, at).fetchone()
            followup.append(int(row[0]) if row else 0)
            con.execute("DELETE FROM followup WHERE " + when, at)
            pending.append(append_in_transaction(
                con, purpose=PURGE_PURPOSE, kinds=("ops",),
                query=f"purge store days before {cutoff.isoformat()}",
                counts={"removed": removed, "kept": len(times),
                        "followup_removed": followup[0]}))

        before = f"TIMESTAMPTZ '{cutoff.isoformat()}'"
        steps = [Step(f'DELETE FROM scans WHERE "{s.SCANNED_AT}" < {before}'),
                 Step(f'DELETE FROM {VISITS_TABLE} WHERE "{s.T_IN}" < {before}')]
        for vkey, frame in rebuilt:
            steps += [Step(f"DELETE FROM {VISITS_TABLE} USING _key WHERE "
                           f"{VISITS_TABLE}.{VISITS_KEY} = _key.{VISITS_KEY}",
                           {"_key": pd.DataFrame({VISITS_KEY: [vkey]})}),
                      insert_step(VISITS_TABLE, visits_frame_for_db(vkey, frame),
                                  VISITS_COLUMNS)]
        gen = publish(county.path, staging, county.generation + 1, meta, steps,
                      before_commit=log)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pending[0].finalise()
    if progress is not None:
        progress("committed", {"generation": gen.number})
    return gen, followup[0]
