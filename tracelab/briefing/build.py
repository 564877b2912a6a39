"""Gather the numbers and tables of a command-HQ briefing from a data folder or a county store.

A folder is loaded, checked and pseudonymised (:func:`load_briefing`); a county store
(docs/store.md) answers from its memory-mapped index and from aggregate SQL on its
database (:func:`store_briefing`), without loading its scans: the same briefing, table
for table.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.briefing.quality import (
    database_quality_counts,
    quality_counts,
    rejections_by_reason,
)
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule
from tracelab.model.schema import (
    HOME_VENUE_ID,
    N_CASES,
)

if TYPE_CHECKING:
    import duckdb
    import geopandas as gpd

    from tracelab.index.county import County
    from tracelab.index.graph import VisitGraph
    from tracelab.io import DataDir
    from tracelab.io.county_store import Generation

__all__ = ["Briefing", "build_briefing", "load_briefing", "store_briefing", "folder_extras",
           "default_as_of", "contact_category", "with_followup"]

_AREA_ID, _LEVEL = s.AREA_ID, s.LEVEL
_TIER = s.TIER
#: Persons columns a briefing may read: never names, phones or ID numbers.
_PERSON_COLUMNS = (s.PERSON_ID, HOME_VENUE_ID, s.TOWNSHIP_CODE)


@dataclasses.dataclass(frozen=True)
class Briefing:
    """Everything a briefing shows, computed once; rendering only formats it.

    Tables hold person ids (exposures, contacts) for the map and the JSON summary's
    hashed keys; the rendered page shows people only as counts.
    """

    as_of: pd.Timestamp
    rule: Rule
    regime: str
    county: str
    headline: dict[str, Any]
    cases: pd.DataFrame
    exposures: pd.DataFrame
    contacts: pd.DataFrame
    venue_ranking: pd.DataFrame
    venues: pd.DataFrame
    areas: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    township_counts: pd.DataFrame | None
    epi_onset: pd.DataFrame
    epi_report: pd.DataFrame
    quality: dict[str, Any]
    rejections: pd.DataFrame
    zone: str = s.DEFAULT_ZONE
    #: Follow-up of the listed contacts (:func:`tracelab.governance.followup_summary`), when
    #: the folder's store holds any; None otherwise.
    followup: dict[str, Any] | None = None
    #: Where people live (``persons.*`` limited to person id, home venue and township), for
    #: counting contacts by residence; None without a persons table. Never in the summary.
    persons: pd.DataFrame | None = None


def default_as_of(scans: pd.DataFrame, cases: pd.DataFrame,
                  manifest: dict[str, Any] | None = None) -> pd.Timestamp:
    """The briefing time when none is given: end of a synthetic period, else the last record.

    Examples
    --------
    >>> default_as_of(pd.DataFrame(), pd.DataFrame(), {"start": "2022-11-18", "days": 14})
    Timestamp('2022-12-01 16:00:00+0000', tz='UTC')
    >>> scans = pd.DataFrame({"scanned_at": pd.to_datetime(["2022-11-20T02:00Z"])})
    >>> default_as_of(scans, pd.DataFrame({"confirmed_at": pd.to_datetime(["2022-11-21T00:00Z"])}))
    Timestamp('2022-11-21 00:00:00+0000', tz='UTC')
    """
    if manifest and "start" in manifest and "days" in manifest:
        start = pd.Timestamp(manifest["start"], tz=manifest.get("zone", s.DEFAULT_ZONE))
        return (start + pd.Timedelta(days=int(manifest["days"]))).tz_convert("UTC")
    times = [frame[col].max() for frame, col in ((scans, s.SCANNED_AT), (scans, s.EXIT_AT),
                                                 (cases, s.CONFIRMED_AT))
             if col in frame and frame[col].notna().any()]
    if not times:
        raise ValueError(msg("no scan or case time to take as_of from; pass as_of="))
    return pd.Timestamp(max(times)).tz_convert("UTC")


#: Days before the briefing time that must hold scans: a briefing of an empty or stale log
#: would report "0 people exposed" with confidence.
_PERIOD_DAYS = 14


def _require_scans(data: DataDir, scans: pd.DataFrame, since: pd.Timestamp,
                   until: pd.Timestamp) -> None:
    times = data.scans[s.SCANNED_AT]
    _require_counts(data, len(times), int((scans[s.SCANNED_AT] >= since).sum()),
                    times.min(), times.max(), until)


def _require_counts(data: DataDir, n_scans: int, n_recent: int, first: pd.Timestamp,
                    last: pd.Timestamp, until: pd.Timestamp) -> None:
    """Refuse a log without scans, or without scans in the period before the briefing."""
    source = data.loads["scans"].source if "scans" in data.loads else "scans"
    zone = data.region.zone if data.region is not None else s.DEFAULT_ZONE
    if not n_scans:
        raise ValueError(msg("{path}: no accepted scan; a briefing needs scans (run "
                             "`tracelab validate` on the folder)", path=data.path / source))
    if not n_recent:
        raise ValueError(msg(
            "{path}: no scan in the {days} days before the briefing time {until} ({zone}); "
            "the scans run from {first} to {last}: check --as-of", path=data.path / source,
            days=_PERIOD_DAYS, until=f"{until.tz_convert(zone):%Y-%m-%d %H:%M}", zone=zone,
            first=f"{first.tz_convert(zone):%Y-%m-%d %H:%M}",
            last=f"{last.tz_convert(zone):%Y-%m-%d %H:%M}"))


def _set_aside_by_case(aside: pd.DataFrame, cases: pd.DataFrame) -> list[dict[str, Any]]:
    """Per reported case (numbered in the cases' order), its scans set aside and why."""
    out = []
    for i, person in enumerate(cases[s.PERSON_ID], start=1):
        mine = aside[aside[s.PERSON_ID] == person]
        if len(mine):
            counts = mine[s.REASON].value_counts()
            out.append({"case": i, "n": int(len(mine)),
                        "reasons": {str(k): int(v) for k, v in sorted(counts.items())}})
    return out


def _reported(cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    when = cases[s.CONFIRMED_AT].fillna(cases[s.SAMPLED_AT])
    return cases[when.notna() & (when <= as_of)].reset_index(drop=True)


def contact_category(exposures: pd.DataFrame) -> pd.Series:
    """Each contact's category: close-contact candidate if any of their rows is one.

    Examples
    --------
    >>> ex = pd.DataFrame({"contact_id": ["a", "a", "b"], "category": [
    ...     "venue_coexposure_candidate", "close_contact_candidate", "venue_coexposure_candidate"]})
    >>> contact_category(ex).to_dict()
    {'a': 'close_contact_candidate', 'b': 'venue_coexposure_candidate'}
    """
    close = (exposures[s.CATEGORY] == s.CLOSE_CONTACT).groupby(
        exposures[s.CONTACT_ID], sort=True).any()
    return pd.Series(np.where(close.to_numpy(), s.CLOSE_CONTACT, s.CO_EXPOSURE),
                     index=close.index, name=s.CATEGORY, dtype=object)


def _headline(cases: pd.DataFrame, exposures: pd.DataFrame, contacts: pd.DataFrame,
              areas: pd.DataFrame) -> dict[str, Any]:
    from tracelab.analysis.ranking import TIERS

    category = contact_category(exposures)
    tiers = contacts.set_index(s.CONTACT_ID)[_TIER] if len(contacts) else pd.Series(dtype=object)
    matrix = {cat: {tier: int(((category == cat) & (tiers.reindex(category.index) == tier)).sum())
                    for tier in TIERS} for cat in s.CATEGORIES}
    levels = areas[_LEVEL].value_counts() if len(areas) else pd.Series(dtype="int64")
    return {
        "cases": int(len(cases)),
        "confirmed": int((cases[s.KIND] == s.CONFIRMED).sum()),
        "asymptomatic": int((cases[s.KIND] == s.ASYMPTOMATIC).sum()),
        "contacts": int(exposures[s.CONTACT_ID].nunique()),
        "contacts_by_category": {c: int((category == c).sum()) for c in s.CATEGORIES},
        "contacts_by_tier": {t: int((tiers == t).sum()) for t in TIERS},
        "contacts_by_category_tier": matrix,
        "venues": int(exposures[s.VENUE_ID].nunique()),
        "exposure_rows": int(len(exposures)),
        "areas": {lvl: int(levels.get(lvl, 0)) for lvl in ("high", "medium", "low")},
    }


def build_briefing(
    data: DataDir,
    *,
    rule: str | Rule = "twenty",
    as_of: Any = None,
    townships: gpd.GeoDataFrame | None = None,
    persons: pd.DataFrame | None = None,
    manifest: dict[str, Any] | None = None,
) -> Briefing:
    """Trace, rank and map-ready tables of a loaded data folder as of a time.

    Parameters
    ----------
    data : tracelab.io.DataDir
        Loaded venues (WGS-84), scans, cases, rejections and per-file counts.
    rule : str or Rule, default "twenty"
        Rule preset or rule id (:func:`tracelab.model.rules.as_rule`); its name also picks
        the risk-area rules (``ninth``, ``twenty``, ``ten``; others use ``twenty``), its
        ``calls_per_day`` the contacts' tiers.
    as_of : tz-aware time, optional
        Briefing time: cases reported and scans made later are left out. Default
        :func:`default_as_of`.
    townships : geopandas.GeoDataFrame, optional
        Township polygons for the choropleth and the township table.
    persons : pandas.DataFrame, optional
        ``person_id``, ``home_venue_id`` (cases' residences for risk areas); other
        columns are dropped unread.
    manifest : dict, optional
        ``manifest.json`` of a synthetic folder (default ``as_of``, county name).

    Returns
    -------
    Briefing

    Raises
    ------
    ValueError
        On a naive ``as_of`` or an unknown rule.

    Examples
    --------
    >>> from tracelab.io import DataDir
    >>> from tracelab.io.checks import empty_rejections
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2"], "name": ["超市", "小区"],
    ...     "venue_type": ["supermarket", "residential_compound"], "lon": [114.03, 114.04],
    ...     "lat": [27.63, 27.62], "township_code": ["T1"] * 2})
    >>> scans = pd.DataFrame({"person_id": ["C1", "P1", "C1"], "venue_id": ["V1", "V1", "V2"],
    ...     "scanned_at": [t, t + pd.Timedelta(minutes=5), t + pd.Timedelta(hours=2)]})
    >>> cases = pd.DataFrame({"person_id": ["C1"], "kind": ["confirmed"], "onset_at": [t],
    ...     "sampled_at": [t], "confirmed_at": [t + pd.Timedelta(days=1)]})
    >>> data = DataDir(venues, scans, cases, empty_rejections(), {}, Path("."))
    >>> b = build_briefing(data, as_of="2022-11-22T08:00+08:00")
    >>> b.headline["cases"], b.headline["contacts"], b.headline["venues"], b.headline["areas"]
    (1, 1, 1, {'high': 1, 'medium': 0, 'low': 1})
    """
    from tracelab.index.graph import VisitGraph

    rule = as_rule(rule)
    stamp = _stamp(as_of, lambda: default_as_of(data.scans, data.cases, manifest))
    scans = data.scans[data.scans[s.SCANNED_AT] <= stamp].reset_index(drop=True)
    _require_scans(data, scans, stamp - pd.Timedelta(days=_PERIOD_DAYS), stamp)
    region = data.region
    graph = VisitGraph.from_scans(scans, data.venues, rule,
                                  zone=region.zone if region is not None else s.DEFAULT_ZONE)
    # The venue ranking turns the scans into visits itself (the default rule's).
    return _assemble(data, rule, stamp, graph, colours=scans, venue_visits=lambda _: scans,
                     quality=quality_counts(data.scans, data.venues, data.loads),
                     townships=townships, persons=persons, manifest=manifest)


def _stamp(as_of: Any, default: Callable[[], pd.Timestamp]) -> pd.Timestamp:
    """The briefing time in UTC: `as_of`, else `default()`; a naive `as_of` is refused."""
    stamp = default() if as_of is None else pd.Timestamp(as_of)
    if stamp.tz is None:
        raise ValueError(msg("as_of={as_of!r} has no zone; give one, e.g. "
                             "'2022-12-01T08:00+08:00'", as_of=as_of))
    return stamp.tz_convert("UTC")


def _visits_of(graph: VisitGraph, people: pd.Series) -> pd.DataFrame:
    """Person, venue, entry and exit of the visits of `people`: the rows of
    ``graph.visits()`` the risk areas read, in its order and with its row labels.

    Only those people's visits are read: a store's graph is memory-mapped, and its
    millions of visits never become a frame (nor their ids, derived from every visit).
    """
    codes = graph.person_codes(pd.unique(people.to_numpy(dtype=object)))
    codes = codes[codes >= 0]
    every = np.full(len(codes), np.iinfo(np.int64).max)
    _, pos = graph.query_of(codes, -every, every)
    pos = graph.in_venue_order(pos)
    return pd.DataFrame({
        s.PERSON_ID: graph.person_ids[np.asarray(graph.v_person[pos])],
        s.VENUE_ID: graph.venue_ids[graph.row_venues(pos)],
        s.T_IN: pd.DatetimeIndex(np.asarray(graph.v_t_in[pos]).view("datetime64[ns]"), tz="UTC"),
        s.T_OUT: pd.DatetimeIndex(np.asarray(graph.v_t_out[pos]).view("datetime64[ns]"),
                                  tz="UTC"),
    }, index=pd.Index(pos, dtype="int64"))


def _assemble(data: DataDir, rule: Rule, stamp: pd.Timestamp, graph: VisitGraph, *,
              colours: pd.DataFrame, venue_visits: Callable[[pd.Series], pd.DataFrame],
              quality: dict[str, Any], townships: gpd.GeoDataFrame | None,
              persons: pd.DataFrame | None, manifest: dict[str, Any] | None) -> Briefing:
    """The briefing of a folder or a store from what each gives.

    `data` holds the venues, cases, rejections and set-aside scans (its scans are not
    read); `graph` is the rule's visit graph of the scans up to `stamp`; `colours` scans
    (or visits) with their code colour, at least the yellow and red ones up to `stamp`;
    ``venue_visits(venue_ids)`` the default rule's visits at those venues (or scans the
    venue ranking turns into them); `quality` the scans' :func:`quality_counts`.
    """
    from tracelab.analysis.area_designation import AREA_RULES, risk_areas
    from tracelab.analysis.epicurve import epi_curve
    from tracelab.analysis.ranking import rank_contacts, rank_venues
    from tracelab.tracing.forward import trace

    cases = _reported(data.cases, stamp)
    region = data.region
    if townships is None and region is not None:
        import geopandas as gpd

        polys = region.township_polygons()
        townships = gpd.GeoDataFrame(polys[[s.TOWNSHIP_CODE, s.TOWNSHIP, "geometry"]],
                                     geometry="geometry", crs="EPSG:4326")
    exposures = trace(graph, cases, rule, as_of=stamp)
    if len(exposures):
        contacts = rank_contacts(exposures, cases, colours, venues=data.venues,
                                 calls_per_day=rule.calls_per_day)
        # The venues where cases stayed: the only ones whose visits the ranking reads.
        stays = exposures.loc[(exposures[s.HOP] == 1)
                              & exposures[s.CASE_ID].isin(set(cases[s.PERSON_ID])), s.VENUE_ID]
        ranking = rank_venues(exposures, cases, venue_visits(stays.drop_duplicates()), data.venues)
    else:
        contacts = pd.DataFrame({s.CONTACT_ID: pd.Series([], dtype=object),
                                 _TIER: pd.Series([], dtype=object)})
        ranking = pd.DataFrame(columns=[s.VENUE_ID])
    area_regime = rule.name if rule.name in AREA_RULES else "twenty"
    case_visits = _visits_of(graph, cases[s.PERSON_ID])
    homes = None
    if persons is not None:
        homes = persons[[c for c in _PERSON_COLUMNS if c in persons.columns]]
        if not {HOME_VENUE_ID, s.TOWNSHIP_CODE} & set(homes.columns):
            homes = None  # ids alone say nothing about where people live
    areas = risk_areas(cases, case_visits, data.venues, rule=area_regime, as_of=stamp,
                       persons=homes, venue_crs="WGS-84",
                       outline=region.outline if region is not None else None,
                       zone=region.zone if region is not None else s.DEFAULT_ZONE)
    township_counts = None
    if townships is not None:
        from tracelab.maps import contacts_per_township

        # Close contacts by where they live when that is known (what a township must
        # follow up), else by the township of the venue: the table and the map agree.
        township_counts = contacts_per_township(exposures, data.venues, townships,
                                                persons=homes, category=s.CLOSE_CONTACT)
        if homes is not None and s.TOWNSHIP_CODE in homes:
            where = homes.drop_duplicates(s.PERSON_ID).set_index(s.PERSON_ID)[s.TOWNSHIP_CODE]
            per = cases[s.PERSON_ID].map(where).value_counts()
            township_counts[N_CASES] = (township_counts[s.TOWNSHIP_CODE].map(per)
                                          .fillna(0).astype("int64"))
    county = (region.name if region is not None else
              str((manifest or {}).get("county", {}).get("name", "")) or None)
    quality = dict(quality)
    quality["set_aside"] = _set_aside_by_case(data.set_aside, cases)
    faults = data.registry_faults
    quality["registry_faults"] = int(faults.loc[faults[s.ROW] > 0, s.ROW].nunique())
    return Briefing(
        as_of=stamp, rule=rule, regime=area_regime, county=county or "",
        headline=_headline(cases, exposures, contacts, areas), cases=cases,
        exposures=exposures, contacts=contacts, venue_ranking=ranking, venues=data.venues,
        areas=areas, townships=townships, township_counts=township_counts,
        epi_onset=epi_curve(cases, by="onset"), epi_report=epi_curve(cases, by="report"),
        quality=quality, zone=region.zone if region is not None else s.DEFAULT_ZONE,
        rejections=rejections_by_reason(data.rejections), persons=homes)


def folder_extras(path: str | Path) -> dict[str, Any]:
    """The optional inputs of a data folder: ``manifest``, ``townships``, ``persons``.

    ``persons`` holds only ``person_id``, ``home_venue_id``, ``township_code``; names,
    phones and ID numbers are never read. Missing files give None.

    Examples
    --------
    >>> folder_extras("no-such-folder")
    {'manifest': None, 'townships': None, 'persons': None}
    """
    from tracelab.io import find_table

    folder = Path(path)
    manifest_path = folder / "manifest.json"
    manifest = (json.loads(manifest_path.read_text(encoding="utf-8"))
                if manifest_path.is_file() else None)
    townships = None
    if (folder / "townships.geojson").is_file():
        import geopandas as gpd

        townships = gpd.read_file(folder / "townships.geojson")
    persons = None
    found = find_table(folder, "persons") if folder.is_dir() else None
    if found is not None and found.suffix == ".parquet":
        import pyarrow.parquet as pq

        names = pq.read_schema(found).names
        persons = pd.read_parquet(found, columns=[c for c in _PERSON_COLUMNS if c in names])
    return {"manifest": manifest, "townships": townships, "persons": persons}


def load_briefing(path: str | Path, *, rule: str | Rule = "twenty", as_of: Any = None,
                  region: Any = None, key: bytes | None = None) -> Briefing:
    """Load a data folder (with its :func:`folder_extras`), pseudonymise it and build its
    briefing; see :func:`build_briefing`. A county store is briefed by
    :func:`store_briefing` (`region` does not apply: the store has its own).

    Person ids of the scans, cases and persons table become keyed pseudonyms right after
    loading (and the registry's personal data is protected), so the briefing, its map and
    its JSON summary never hold a raw id.

    Parameters
    ----------
    key : bytes, optional
        The pseudonymisation key; default :func:`tracelab.privacy.load_key` (the
        environment variable ``TRACELAB_KEY``). Synthetic folders may use the public
        :data:`tracelab.privacy.DEMO_KEY`.

    Raises
    ------
    FileNotFoundError
        If the folder or its venues or scans table is missing.
    tracelab.privacy.MissingKeyError
        If no key is given and none is set.
    """
    from tracelab.io import pseudonymise_data, read_dir
    from tracelab.io.county_store import is_county_store
    from tracelab.privacy.pseudonyms import load_key, pseudonymise

    if is_county_store(path):
        return store_briefing(path, rule=rule, as_of=as_of, key=key)
    key = load_key() if key is None else key
    extras = folder_extras(path)
    manifest = extras["manifest"]
    # "Future" is judged against the end of a synthetic period, so a briefing of the
    # same folder never depends on the wall clock; elsewhere the clock is the only bound.
    now = default_as_of(pd.DataFrame(), pd.DataFrame(), manifest) if manifest else None
    data = pseudonymise_data(read_dir(path, now=now, region=region), key)
    if extras["persons"] is not None:
        extras["persons"] = pseudonymise(extras["persons"], None, key)
    b = build_briefing(data, rule=rule, as_of=as_of, **extras)
    return with_followup(b, Path(path) / "tracelab.duckdb", extras["persons"])


def store_briefing(path: str | Path, *, rule: str | Rule = "twenty", as_of: Any = None,
                   key: bytes | None = None) -> Briefing:
    """The briefing of a county store (docs/store.md), as :func:`load_briefing` gives it for
    the folder(s) the store was built from: the same tables, numbers and page.

    Nothing is loaded whole: the traces run on the store's memory-mapped graph of the rule
    (:meth:`tracelab.index.county.County.graph`), the venue ranking reads the default
    rule's visits of the venues where cases stayed from the database's ``visits`` table,
    the cases' visits for the risk areas come from the index, and the scans' quality
    figures and code colours from aggregate SQL. A briefing time before the store's last
    scan, or a rule whose visits the store has no index for, needs the visits of the
    scans up to that time only: they are then built from the database's scans, as
    :func:`build_briefing` builds a folder's (slower, the same answer).

    Parameters
    ----------
    path : str or Path
        The store folder.
    rule, as_of
        As in :func:`build_briefing`.
    key : bytes, optional
        The county key: when given, it must be the one the store was built with (the
        store's ids are pseudonyms already; no key is needed to read them).

    Raises
    ------
    tracelab.io.county_store.NotACountyStoreError
        If `path` is not a store folder.
    ValueError
        If `key` is not the store's, or for the reasons of :func:`build_briefing`.

    Examples
    --------
    >>> store_briefing("no-such-store")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.io.county_store.NotACountyStoreError: --store no-such-store: not a tracelab store ...
    """
    from tracelab.index.county import open_county
    from tracelab.io.county_store import database_path
    from tracelab.io.county_tables import store_extras, store_snapshot

    county = open_county(path)
    if key is not None and not county.key_matches(key):
        raise ValueError(msg("--store {store}: the key given is not the one the store was "
                             "built with", store=path))
    with store_snapshot(path) as (con, gen):
        extras = store_extras(gen)
        if extras["persons"] is not None:  # what folder_extras reads, no more
            extras["persons"] = extras["persons"].loc[
                :, [c for c in _PERSON_COLUMNS if c in extras["persons"].columns]]
        b = _store_build(con, gen, county, as_rule(rule), as_of, extras)
    return with_followup(b, database_path(path), extras["persons"])


def _store_build(con: duckdb.DuckDBPyConnection, gen: Generation, county: County, rule: Rule,
                 as_of: Any, extras: dict[str, Any]) -> Briefing:
    """:func:`store_briefing` on a snapshot of the store's database."""
    from tracelab.index.county import SQL_KEY, visits_key
    from tracelab.io.county_store import VISITS_KEY
    from tracelab.io.county_tables import snapshot_tables
    from tracelab.model.tables import read_sql

    data = snapshot_tables(con, gen, ("venues", "cases"))
    n, first, last, last_exit = con.execute(
        f"SELECT count(*), min({s.SCANNED_AT}), max({s.SCANNED_AT}), max({s.EXIT_AT}) "
        "FROM scans").fetchall()[0]
    first, last, last_exit = (pd.Series([t], dtype="datetime64[ns, UTC]").iloc[0]
                              for t in (first, last, last_exit))
    ends = pd.DataFrame({s.SCANNED_AT: [last], s.EXIT_AT: [last_exit]},
                        dtype="datetime64[ns, UTC]")

    def default() -> pd.Timestamp:
        # An append may add days past a synthetic source folder's period: then the last
        # record is the briefing time, as for a folder without a period.
        period_end = default_as_of(ends, data.cases, extras["manifest"])
        return period_end if last <= period_end else default_as_of(ends, data.cases)

    stamp = _stamp(as_of, default)
    since = stamp - pd.Timedelta(days=_PERIOD_DAYS)
    later, recent = con.execute(
        f"SELECT count(*) FILTER (WHERE epoch_ns({s.SCANNED_AT}) > $until), "
        f"count(*) FILTER (WHERE epoch_ns({s.SCANNED_AT}) BETWEEN $since AND $until) "
        "FROM scans", {"since": since.value, "until": stamp.value}).fetchall()[0]
    _require_counts(data, int(n), int(recent), first, last, stamp)
    indexed = {g["key"] for g in gen.meta.get("graphs", [])}
    if (later or visits_key(rule) not in indexed or gen.number != county.generation
            or visits_key("twenty") != SQL_KEY):
        # The index holds the visits of every scan, the database's visits table the
        # default rule's: visits of the scans up to `stamp` only are built from them.
        return build_briefing(snapshot_tables(con, gen), rule=rule, as_of=stamp, **extras)
    region = data.region
    graph = county.graph(rule, zone=region.zone if region is not None else s.DEFAULT_ZONE)
    colours = read_sql(
        con, f"SELECT {s.PERSON_ID}, {s.SCANNED_AT}, {s.CODE_COLOUR} FROM scans "
        f"WHERE {s.CODE_COLOUR} IN (?, ?)", [s.YELLOW, s.RED])

    def venue_visits(venue_ids: pd.Series) -> pd.DataFrame:
        # The default rule's visits, as the venue ranking would build them from the scans.
        return read_sql(
            con, f"SELECT {s.PERSON_ID}, {s.VENUE_ID}, {s.T_IN}, {s.T_OUT}, {s.CODE_COLOUR} "
            f"FROM visits WHERE {VISITS_KEY} = ? AND {s.VENUE_ID} IN "
            f"(SELECT unnest(?::VARCHAR[])) ORDER BY {s.VENUE_ID}, {s.T_IN}, {s.PERSON_ID}",
            [SQL_KEY, [str(v) for v in venue_ids]])

    return _assemble(data, rule, stamp, graph, colours=colours, venue_visits=venue_visits,
                     quality=database_quality_counts(con, data.venues, data.loads),
                     townships=extras["townships"], persons=extras["persons"],
                     manifest=extras["manifest"])


def with_followup(b: Briefing, store: str | Path, persons: pd.DataFrame | None = None
                  ) -> Briefing:
    """`b` with the follow-up its store records (the field teams' returned sheets), if any.

    The contacts the briefing lists are matched with the statuses in the store's
    ``followup`` table (:func:`tracelab.governance.followup_summary`); a store without
    follow-up, or no store, leaves `b` as it is.
    """
    from tracelab.governance import followup_summary, listing_from_trace
    from tracelab.io import open_store

    if not Path(store).is_file():
        return b
    with open_store(store, read_only=True) as st:
        # Listing every contact costs seconds at a county's scale: only for a store
        # whose teams have returned sheets (the summary is None otherwise).
        has = st.con.execute("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_name = 'followup'").fetchall()[0][0]
        if not has or not st.con.execute("SELECT count(*) FROM followup").fetchall()[0][0]:
            return b
        summary = followup_summary(st, listing_from_trace(b.exposures, b.contacts, b.cases,
                                                          persons), as_of=b.as_of)
    return dataclasses.replace(b, followup=summary)
