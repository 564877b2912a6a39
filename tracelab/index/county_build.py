"""Building a county store: read, check and pseudonymise a folder once, index it, publish it.

:func:`ingest_county` is ``tracelab ingest --data DIR --store PATH``: it loads the folder
as :func:`tracelab.io.read_dir` does, pseudonymises it under the county key, builds the
visits and the :class:`~tracelab.index.graph.VisitGraph` of every dwell assumption the
rule presets use (:func:`tracelab.index.county.store_keys`) exactly as
:meth:`VisitGraph.from_scans` builds them for ``--data``, and publishes a new generation of
the store (:func:`tracelab.io.county_store.publish`): the graphs' arrays as ``.npy``
files, the small tables a query reads as Parquet, and the tables in the store's database
(venues, scans, cases, visits, rejections, registry faults), all or nothing. The audit
log and follow-up records already in the database stay.

The pieces a day's append and a purge share (:mod:`tracelab.index.county_update`) are
here too: the generation's files (:func:`write_generation`) and the fast pseudonymisation.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab._time import to_ns
from tracelab.index.county import KEY_CHECK, SQL_KEY, store_keys
from tracelab.index.graph import VisitGraph
from tracelab.index.intervals import Presence, SortedScans, presence, sort_scans
from tracelab.index.layers import LayeredGraph, save_layered
from tracelab.index.mmap import save_array, save_graph, save_ids
from tracelab.index.presence import venue_table
from tracelab.io.county_store import (
    VISITS_COLUMNS,
    VISITS_KEY,
    VISITS_TABLE,
    Generation,
    prepare_folder,
    publish,
    recover,
    staging_folder,
    write_frame,
    writer_lock,
)
from tracelab.io.folders import DataDir, find_table, read_dir
from tracelab.io.store import Step, insert_step
from tracelab.model import schema as s
from tracelab.model.rules import as_rule
from tracelab.model.tables import TABLES
from tracelab.privacy.boundary import protect_venues, require_protected
from tracelab.privacy.pseudonym_columns import known_codes, pseudonym_array
from tracelab.privacy.pseudonyms import arrow_strings, pseudonym, pseudonymise

__all__ = ["ingest_county", "pseudonymised", "Pseudonyms", "write_generation", "carry_files",
           "visits_frame_for_db", "sql_visits", "local_days", "persons_file", "Progress",
           "PERSON_EXTRAS"]

#: ``progress(stage, fields)``: called at each stage of a long build (the command line
#: prints it on stderr). Stages: ``reading`` (table, source), ``read`` (table, source, read:
#: rows of the file), ``merging`` (table, accepted, rejected: rows so far), ``loaded``
#: (table, read, accepted, rejected), ``pseudonymised`` (people), ``visits`` (visits_key,
#: rule, visits), ``written`` (generation files), ``database`` (scans, visits: rows about
#: to be inserted), ``committed`` (generation).
Progress = Callable[[str, Mapping[str, Any]], None]
#: Columns of a source's persons table a store keeps (pseudonymised): never a name,
#: phone or ID number.
PERSON_EXTRAS = (s.PERSON_ID, s.HOUSEHOLD_ID, s.HOME_VENUE_ID, s.TOWNSHIP_CODE)


#: The ``str`` dtype (Arrow text, NaN for missing) of the pseudonym columns.
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _quiet(stage: str, fields: Mapping[str, Any]) -> None:
    """The default :data:`Progress`: says nothing."""


class Pseudonyms:
    """:func:`tracelab.privacy.pseudonyms.pseudonymise` of id columns, once per distinct id.

    Millions of scans hold a few hundred thousand people, and the persons table the same
    people again: each distinct value is pseudonymised once, by the same HMAC (checked
    against :func:`~tracelab.privacy.pseudonyms.pseudonym`), and gathered by code. Text
    stored in Arrow (``str`` columns) stays in Arrow: coded, hashed
    (:func:`~tracelab.privacy.pseudonym_columns.pseudonym_array`) and gathered without a Python
    object per row. The raw values are kept in memory only while a build runs.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._known = pd.Series([], dtype="str")
        #: Distinct Arrow ids seen so far, and their pseudonyms (null: blank).
        self._raw = pa.array([], type=pa.large_string())
        self._done = pa.array([], type=pa.large_string())

    def __call__(self, values: pd.Series) -> pd.Series:
        """`values` pseudonymised (missing ones stay missing)."""
        arrow = arrow_strings(values)
        if arrow is not None:
            out = self._arrow(arrow, known_codes(values))
            if out is not None:
                return pd.Series(pd.arrays.ArrowStringArray(out, dtype=_STR), index=values.index,
                                 copy=False)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        uniques = pd.Index(np.asarray(uniques, dtype=object))
        at = self._known.index.get_indexer(uniques) if len(self._known) else np.full(
            len(uniques), -1)
        new = uniques[at < 0]
        if len(new):
            done = _hashed(new, self.key)
            if done is None:
                done = pseudonymise(pd.DataFrame({s.PERSON_ID: new}), [s.PERSON_ID],
                                    self.key)[s.PERSON_ID].to_numpy(dtype=object)
            self._known = pd.concat([self._known, pd.Series(done, index=new, dtype="str")])
            at = self._known.index.get_indexer(uniques)
        pseudo = self._known.array.take(at)
        return pd.Series(pseudo.take(codes, allow_fill=True), index=values.index, dtype="str")

    def _arrow(self, values: pa.ChunkedArray, known: tuple[np.ndarray, pa.Array] | None
               ) -> pa.ChunkedArray | None:
        """Pseudonyms of Arrow text, row for row; None if the HMAC fails its check.

        `known` are the codes and distinct values the loader built the column from
        (:func:`~tracelab.privacy.pseudonym_columns.known_codes`): then only the values the
        column holds are hashed, and its millions of strings are not coded again.
        """
        if known is not None:
            codes, distinct = known
            used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(distinct)))
            wanted = distinct.take(pa.array(used)) if len(used) < len(distinct) else distinct
        else:
            coded = pc.dictionary_encode(values.combine_chunks())
            codes = np.asarray(coded.indices.fill_null(-1), dtype=np.int64)
            distinct = wanted = coded.dictionary
            used = np.arange(len(distinct))
        at = self._lookup(wanted.cast(pa.large_string()))
        if at is None:
            return None
        per_value = np.full(len(distinct) + 1, -1, dtype=np.int64)  # the last: code -1
        per_value[used] = at
        rows = per_value[codes]
        return pa.chunked_array([self._done.take(pa.array(rows, mask=rows < 0))])

    def _lookup(self, values: pa.Array) -> np.ndarray | None:
        """Where distinct `values` are in ``_raw``, hashing the new ones; None on a failed check."""
        if len(self._raw):
            at = np.asarray(pc.index_in(values, value_set=self._raw).fill_null(-1), np.int64)
        else:
            at = np.full(len(values), -1, dtype=np.int64)
        new = np.flatnonzero(at < 0)
        if len(new):
            fresh = values.take(pa.array(new)) if len(new) < len(values) else values
            done = pseudonym_array(fresh, self.key)
            first = int(np.argmax(np.asarray(done.is_valid())))
            if done.null_count < len(done) and done[first].as_py() != pseudonym(
                    fresh[first].as_py(), self.key):
                return None
            at[new] = np.arange(len(self._raw), len(self._raw) + len(new))
            self._raw = pa.concat_arrays([self._raw, fresh])
            self._done = pa.concat_arrays([self._done, done])
        return at


def _hashed(values: pd.Index, key: bytes) -> np.ndarray | None:
    """:func:`~tracelab.privacy.pseudonyms.pseudonymise` of distinct text ids, or None.

    The same HMAC as :func:`~tracelab.privacy.pseudonyms.pseudonym`, keyed once
    (:func:`~tracelab.privacy.pseudonym_columns.hmac_digests`). None when a value is not text,
    or when the first does not come out as :func:`pseudonym` makes it (then the caller
    uses ``pseudonymise`` itself).
    """
    if not len(values) or not all(isinstance(v, str) for v in values):
        return None
    out = pseudonym_array(pa.array(list(values), type=pa.large_string()), key).to_numpy(
        zero_copy_only=False)
    first = values[0].strip()
    if first and out[0] != pseudonym(first, key):
        return None
    return out


def pseudonymised(data: DataDir, key: bytes | Pseudonyms) -> DataDir:
    """:func:`tracelab.io.pseudonymise_data` of `data`, its person ids hashed once per person.

    The same tables, column for column; the scans' millions of rows cost one hash per
    person instead of one per row. `key` may be a :class:`Pseudonyms` already in use.
    """
    ids = key if isinstance(key, Pseudonyms) else Pseudonyms(key)
    key = ids.key
    scans = data.scans.assign(**{s.PERSON_ID: ids(data.scans[s.PERSON_ID])})
    cases = pseudonymise(data.cases, None, key)
    venues = protect_venues(data.venues, key)
    loads = dict(data.loads)
    for name, frame in (("scans", scans), ("cases", cases), ("venues", venues)):
        if name in loads:
            loads[name] = dataclasses.replace(loads[name], accepted=frame)
    aside = loads["scans"].set_aside if "scans" in loads else None
    if aside is not None:
        loads["scans"] = dataclasses.replace(
            loads["scans"], set_aside=aside.assign(
                **{s.PERSON_ID: ids(aside[s.PERSON_ID])}))
    return dataclasses.replace(data, venues=venues, scans=scans, cases=cases, loads=loads)


def local_days(times: np.ndarray, zone: str) -> dict[str, int]:
    """Scans per local day of sorted entry times (int64 ns UTC), ``YYYY-MM-DD`` -> count.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-19 15:59", "2022-11-19 16:00"], utc=True)
    >>> local_days(np.sort(t.as_unit("ns").asi8), "Asia/Shanghai")
    {'2022-11-19': 1, '2022-11-20': 1}
    """
    if not len(times):
        return {}
    first, last = (pd.Timestamp(int(times[0]), tz="UTC").tz_convert(zone),
                   pd.Timestamp(int(times[-1]), tz="UTC").tz_convert(zone))
    days = pd.date_range(first.normalize(), last.normalize() + pd.Timedelta(days=1),
                         freq="D")  # local midnights, across clock changes
    bounds = np.searchsorted(times, days.tz_convert("UTC").as_unit("ns").asi8)
    counts = np.diff(bounds)
    return {f"{d:%Y-%m-%d}": int(n) for d, n in zip(days[:-1], counts, strict=True) if n}


def _persons(folder: Path, ids: Pseudonyms) -> pd.DataFrame | None:
    """The persons table's household, home venue and township columns, pseudonymised."""
    found = find_table(folder, "persons")
    if found is None or found.suffix not in (".parquet", ".csv"):
        return None
    if found.suffix == ".csv":
        names = list(pd.read_csv(found, nrows=0, encoding="utf-8-sig").columns)
    else:
        import pyarrow.parquet as pq

        names = pq.read_schema(found).names
    wanted = [c for c in PERSON_EXTRAS if c in names]
    if s.PERSON_ID not in wanted or len(wanted) < 2:
        return None
    roster = (pd.read_csv(found, usecols=wanted, dtype=str, encoding="utf-8-sig")
              if found.suffix == ".csv" else pd.read_parquet(found, columns=wanted).astype(str))
    return roster.assign(**{s.PERSON_ID: ids(roster[s.PERSON_ID])})


def _copy_extras(folder: Path, staging: Path) -> None:
    """The source folder's manifest and township outlines, for the briefing."""
    for name, target in (("manifest.json", "source_manifest.json"),
                         ("townships.geojson", "townships.geojson")):
        if (folder / name).is_file():
            shutil.copyfile(folder / name, staging / target)


def carry_files(gen: Generation, staging: Path) -> None:
    """Copy the files a new generation keeps as they are: the source's manifest and outlines."""
    for name in ("source_manifest.json", "townships.geojson"):
        if (gen.folder / name).is_file():
            shutil.copyfile(gen.folder / name, staging / name)


def persons_file(gen: Generation) -> Path | None:
    """The persons table a generation holds (a new one carries it over), or None."""
    path = gen.folder / "persons.parquet"
    return path if path.is_file() else None


def write_generation(staging: Path, graphs: Sequence[tuple[str, str, VisitGraph]], *,
                     cases: pd.DataFrame, set_aside: pd.DataFrame | None,
                     persons: pd.DataFrame | Path | None, scan_times: np.ndarray,
                     new_people: np.ndarray | None = None) -> dict[str, Any]:
    """Write a generation's query files into `staging`; return their part of ``meta.json``.

    `graphs` holds ``(visits key, preset, graph)``; they share person and venue ids (one
    visit per scan under every dwell assumption), written once. The person ids are checked
    at the privacy boundary, or only `new_people` when the others were checked before.
    """
    first = graphs[0][2]
    for _, _, graph in graphs[1:]:
        assert np.array_equal(graph.person_ids, first.person_ids)  # one visit per scan
        assert np.array_equal(graph.venue_ids, first.venue_ids)
    people = first.person_ids if new_people is None else new_people
    require_protected(pd.DataFrame({s.PERSON_ID: np.asarray(people, dtype=object)}),
                      "store file people")
    save_ids(staging, first.person_ids, first.venue_ids)
    write_frame(staging, "venue_table", first.venues)
    saved = []
    for i, (key, preset, graph) in enumerate(graphs):
        folder = f"visits-{i}"
        parts = (save_layered(graph, staging / folder) if isinstance(graph, LayeredGraph)
                 else save_graph(graph, staging / folder))
        saved.append({"key": key, "rule": preset, "folder": folder, **parts})
    write_frame(staging, "cases", cases)
    if set_aside is not None:
        write_frame(staging, "set_aside", set_aside)
    if isinstance(persons, Path):  # a previous generation's, checked when it was written
        shutil.copyfile(persons, staging / persons.name)
    elif persons is not None:
        write_frame(staging, "persons", persons)
    save_array(staging / "scan_times.npy", scan_times)
    return {"graphs": saved,
            "scan_span": [int(scan_times[0]), int(scan_times[-1])] if len(scan_times) else None}


def visits_frame_for_db(key: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The visits table rows of a visits frame (``presence.visits``) under `key`."""
    columns = [c for c in VISITS_COLUMNS if c != VISITS_KEY]
    return frame.loc[:, columns].assign(**{VISITS_KEY: key})


def _graphs(scans: pd.DataFrame, venues: pd.DataFrame, zone: str, say: Progress
            ) -> tuple[list[tuple[str, str, VisitGraph]], list[Step]]:
    """The graph of every dwell assumption, and the database rows of the default one's visits.

    :meth:`VisitGraph.from_scans` of each preset, array for array, from one sort of the
    scans (:func:`tracelab.index.intervals.sort_scans`) shared by all of them.
    """
    info = venue_table(venues)
    ordered = sort_scans(scans, info.set_index(s.VENUE_ID))
    venue_ids = np.asarray(pd.Index(info[s.VENUE_ID]).union(pd.Index(ordered.venue_ids)))
    venue_of = pd.Index(venue_ids).get_indexer(pd.Index(ordered.venue_ids))
    table = info.set_index(s.VENUE_ID).reindex(venue_ids).reset_index()
    graphs, steps = [], []
    for vkey, preset in store_keys().items():
        started = time.perf_counter()
        rule = as_rule(preset)
        found = presence(ordered, rule)
        graph = VisitGraph.from_codes(
            person=ordered.person[found.rows], person_ids=ordered.person_ids,
            venue=venue_of[ordered.venue[found.rows]], venue_ids=venue_ids, venues=table,
            t_in=found.start, t_out=found.end, source=found.source, dwell=rule.dwell,
            zone=zone)
        graphs.append((vkey, preset, graph))
        if vkey == SQL_KEY:
            steps.append(insert_step(VISITS_TABLE, sql_visits(scans, ordered, found, vkey),
                                     VISITS_COLUMNS))
        say("visits", {"visits_key": vkey, "rule": preset, "visits": graph.n_visits,
                       "seconds": time.perf_counter() - started})
    return graphs, steps


def sql_visits(scans: pd.DataFrame, ordered: SortedScans, found: Presence, key: str
                ) -> pd.DataFrame:
    """The visits table's rows (as :func:`visits_frame_for_db` of ``visits``), from codes."""
    rows = ordered.order[found.rows]

    def take(column: str) -> pd.Categorical:
        """A text column of the scans at `rows`, as codes into its distinct values."""
        if column not in scans:  # missing throughout
            return pd.Categorical.from_codes(np.full(len(rows), -1, dtype=np.int8),
                                             categories=pd.Index([], dtype="str"))
        codes, labels = pd.factorize(scans[column])
        return pd.Categorical.from_codes(codes[rows], categories=labels)

    sources = len(s.T_OUT_SOURCES)
    # Text columns as codes into their distinct values (categoricals): DuckDB reads them as
    # Arrow dictionaries, so millions of strings are never built to be inserted, nor
    # judged one by one at the privacy boundary.
    return pd.DataFrame({
        VISITS_KEY: _coded(np.zeros(len(rows), dtype=np.int8), [key]),
        s.PERSON_ID: _coded(ordered.person[found.rows], ordered.person_ids),
        s.VENUE_ID: _coded(ordered.venue[found.rows], ordered.venue_ids),
        s.T_IN: pd.DatetimeIndex(found.start.view("datetime64[ns]"), tz="UTC"),
        s.T_OUT: pd.DatetimeIndex(found.end.view("datetime64[ns]"), tz="UTC"),
        # A negative code counts from the end, as an array's take does.
        s.T_OUT_SOURCE: _coded(np.where(found.source < 0, found.source + sources,
                                        found.source), s.T_OUT_SOURCES),
        s.MERGED_SCANS: (scans[s.MERGED_SCANS].to_numpy(np.int64)[rows]
                         if s.MERGED_SCANS in scans else np.ones(len(rows), np.int64)),
        s.CODE_COLOUR: take(s.CODE_COLOUR), s.METHOD: take(s.METHOD)})


def _coded(codes: np.ndarray, labels: Sequence[str] | np.ndarray) -> pd.Categorical:
    """Text given as codes into distinct `labels`, as a categorical (-1: missing)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(np.asarray(labels, dtype=object),
                                                                dtype="str"))


def _loads_info(data: DataDir) -> dict[str, dict[str, Any]]:
    return {name: {"source": ld.source, "read": int(ld.read),
                   "accepted": int(ld.accepted_count), "rejected": int(ld.rejected_count)}
            for name, ld in data.loads.items()}


def _table(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """`frame` with every column of the database table (absent ones empty)."""
    return frame.reindex(columns=list(TABLES[table]))


def ingest_county(folder: str | Path, store: str | Path, *, key: bytes,
                  now: pd.Timestamp | str | None = None, region: Any = None,
                  profile: str = "strict", columns: Mapping[str, Any] | None = None,
                  zone: str | None = None, progress: Progress | None = None) -> Generation:
    """Build (or rebuild) a county store from a data folder; return its new generation.

    Parameters
    ----------
    folder : str or Path
        The data folder (``venues.*``, ``scans.*``, ``cases.*``), read by
        :func:`tracelab.io.read_dir` with `now`, `region`, `profile`, `columns` and `zone`.
    store : str or Path
        The store folder, created if missing; an existing store gets a new generation
        (its audit log and follow-up records stay).
    key : bytes
        The county's pseudonymisation key: the store holds pseudonyms only.
    progress : callable, optional
        :data:`Progress`, told each stage.

    Returns
    -------
    tracelab.io.county_store.Generation

    Raises
    ------
    tracelab.io.county_store.NotACountyStoreError
        If `store` is a file or a folder of something else.
    tracelab._db.StoreBusyError
        If another ingest, append or purge holds the store.

    Examples
    --------
    >>> import tempfile
    >>> from tracelab.index.county import open_county
    >>> from tracelab.privacy.pseudonyms import DEMO_KEY
    >>> store = Path(tempfile.mkdtemp()) / "store"
    >>> gen = ingest_county("data/sample", store, key=DEMO_KEY, now="2022-12-31T00:00Z")
    >>> county = open_county(store)
    >>> county.generation, county.meta["counts"]["cases"]
    (1, 36)
    """
    say = progress or _quiet
    source = Path(folder)
    prepare_folder(store, create=False)  # refused before minutes of reading, if it must be
    data = read_dir(source, now=now, region=region, profile=profile, columns=columns,
                    zone=zone, progress=say)
    for name, ld in data.loads.items():
        say("loaded", {"table": name, "read": ld.read, "accepted": ld.accepted_count,
                       "rejected": ld.rejected_count})
    ids = Pseudonyms(key)
    data = pseudonymised(data, ids)
    zone = zone or (data.region.zone if data.region is not None else s.DEFAULT_ZONE)
    say("pseudonymised", {"people": int(data.scans[s.PERSON_ID].nunique())})
    graphs, steps = _graphs(data.scans, data.venues, zone, say)
    times = np.sort(to_ns(data.scans[s.SCANNED_AT], s.SCANNED_AT))
    persons = _persons(source, ids)
    created = not Path(store).exists()
    target = prepare_folder(store)
    try:
        with writer_lock(target):
            number = recover(target) + 1
            staging = staging_folder(target, number)
            try:
                meta = write_generation(staging, graphs, cases=data.cases,
                                        set_aside=data.set_aside, persons=persons,
                                        scan_times=times)
                _copy_extras(source, staging)
                meta.update(_meta(data, zone, key, len(graphs[0][2].person_ids), times),
                            history=[{"action": "ingest", "source": source.name,
                                      "scans": len(data.scans)}])
                say("written", {"generation": number})
                db = [Step(f"DELETE FROM {t}") for t in (
                    "venues", "scans", "cases", "rejections", "registry_faults", VISITS_TABLE)]
                db += [insert_step(t, _table(f, t), TABLES[t]) for t, f in (
                    ("venues", data.venues), ("scans", data.scans), ("cases", data.cases),
                    ("rejections", data.rejections),
                    ("registry_faults", data.registry_faults))]
                say("database", {"scans": len(data.scans), "visits": graphs[0][2].n_visits})
                gen = publish(target, staging, number, meta, db + steps)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        if created:  # a store this call began holds nothing: leave no folder behind
            shutil.rmtree(target, ignore_errors=True)
        raise
    say("committed", {"generation": gen.number})
    return gen


def _meta(data: DataDir, zone: str, key: bytes, people: int, times: np.ndarray
          ) -> dict[str, Any]:
    return {"zone": zone, "region": data.region.code if data.region is not None else None,
            "key_check": pseudonym(KEY_CHECK, key), "loads": _loads_info(data),
            "days": local_days(times, zone),
            "counts": {"scans": len(data.scans), "people": people,
                       "venues": len(data.venues), "cases": len(data.cases)}}
