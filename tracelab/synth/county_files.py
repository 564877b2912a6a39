"""Assemble the tables of a synthetic county and write them with a manifest.

Files are byte-identical for a seed: no wall-clock time anywhere, Parquet written by
pyarrow with fixed options, JSON with sorted keys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tracelab._atomic import atomic_path, write_text
from tracelab._i18n import msg
from tracelab.model import schema as s
from tracelab.model.regions import Region, region_geojson
from tracelab.synth import columns as c
from tracelab.synth.county import DEFAULT_REGION, START, build_county, resolve_seed
from tracelab.synth.faults import registry_faults
from tracelab.synth.outbreak import Simulation
from tracelab.synth.params import LogParams, OutbreakParams
from tracelab.synth.transmission import DAY

__all__ = ["County", "generate", "simulation", "tables", "write", "truth_table", "cases_table"]

TABLES = ("venues", "persons", "scans", "cases", "truth", "presence", "faults", "interventions")
_SETTINGS = np.array([c.SEED, c.HOUSEHOLD, c.VENUE], dtype=object)


@dataclass(frozen=True)
class County:
    """A generated county: the tables in memory, the geometry and the manifest."""

    venues: pd.DataFrame
    persons: pd.DataFrame
    scans: pd.DataFrame
    cases: pd.DataFrame
    truth: pd.DataFrame
    presence: pd.DataFrame
    faults: pd.DataFrame
    interventions: pd.DataFrame
    geojson: str
    manifest: dict[str, Any] = field(default_factory=dict)

    def write(self, out: str | Path, fmt: Literal["parquet", "csv"] = "parquet") -> Path:
        """Write every table, ``townships.geojson`` and ``manifest.json``; see :func:`write`."""
        return write(self, out, fmt=fmt)


def simulation(population: int = 5000, *, days: int = 14, seed: int | np.random.Generator |
               None = 0, start: str | pd.Timestamp = START, exit_scan_share: float = 0.0,
               outbreak: OutbreakParams | None = None, log: LogParams | None = None,
               region: str | Region = DEFAULT_REGION) -> Simulation:
    """Build a county and return its simulation at day 0 (for day-by-day replay).

    Examples
    --------
    A closed loop as the replay drives it: step, look at the reported cases, intervene.

    >>> sim = simulation(300, days=3, seed=1)
    >>> for _ in range(2):
    ...     result = sim.step()
    ...     cases = cases_table(sim)
    ...     quarantined = sim.quarantine(cases["person_id"], days=5) if len(cases) else 0
    >>> sim.day, sim.close(venue_types=["restaurant"]) > 0
    (2, True)
    """
    log = log or LogParams()
    if exit_scan_share != log.exit_scan_share and exit_scan_share:
        from dataclasses import replace

        log = replace(log, exit_scan_share=exit_scan_share)
    base = build_county(population, resolve_seed(seed), start, region)
    return Simulation(base, outbreak=outbreak, log=log, days=days)


def generate(population: int = 5000, *, days: int = 14,
             seed: int | np.random.Generator | None = 0, start: str | pd.Timestamp = START,
             exit_scan_share: float = 0.0, outbreak: OutbreakParams | None = None,
             log: LogParams | None = None, progress: bool | None = None,
             region: str | Region = DEFAULT_REGION) -> County:
    """Generate a synthetic county with an outbreak, in memory.

    Parameters
    ----------
    population : int, default 5000
        Residents (the real county: 260,194, DOMAIN §7.1).
    days : int, default 14
        Days simulated from ``start``.
    seed : int, Generator or None
        Same seed, same county, byte for byte.
    start : str or Timestamp, default "2022-11-18"
        First local day (Asia/Shanghai).
    exit_scan_share : float, default 0.0
        Share of non-residence venues with exit scans.
    outbreak, log : OutbreakParams, LogParams, optional
        Parameters; defaults documented on the classes.
    progress : bool or None
        Progress bar over days (tqdm); None shows it on a terminal only.
    region : str or Region, default "360323"
        The region the county is built on: a shipped region's code or name (its
        townships and outline), or a :class:`~tracelab.model.regions.Region` of your own.

    Returns
    -------
    County

    Examples
    --------
    >>> county = generate(population=300, days=2, seed=5, progress=False)
    >>> county.manifest["counts"]["persons"], county.manifest["venue_crs"]
    (300, 'GCJ-02')
    >>> set(county.scans["method"]) <= {"self", "proxy"}
    True
    """
    if days < 1:
        raise ValueError(msg("days must be at least 1, got {days!r}", days=days))
    sim = simulation(population, days=days, seed=seed, start=start,
                     exit_scan_share=exit_scan_share, outbreak=outbreak, log=log, region=region)
    from tqdm import tqdm

    disable = None if progress is None else not progress
    for _ in tqdm(range(days), desc="synth days", unit="day", disable=disable):
        sim.step()
    return tables(sim)


def _labels(labels: np.ndarray, idx: np.ndarray) -> pd.Series:
    """``labels[idx]`` as a str column, built by Arrow: 50x faster than object arrays."""
    taken = pa.array(labels, type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))
    return pd.Series(taken, dtype="str")


def _times(base_utc: pd.Timestamp, seconds: np.ndarray) -> pd.Series:
    sec = np.asarray(seconds, dtype=float)
    us = np.where(np.isfinite(sec), np.round(sec * 1e6), np.nan)
    out = pd.to_datetime(us + base_utc.value / 1e3, unit="us", utc=True)
    return pd.Series(out, dtype="datetime64[us, UTC]")


def tables(sim: Simulation) -> County:
    """Assemble the output tables of a simulation at its current day.

    Cases are those confirmed before :attr:`Simulation.now`; the truth holds everyone
    infected before it; stays still open are closed at it.

    Examples
    --------
    >>> sim = simulation(300, days=2, seed=1)
    >>> _ = sim.step()
    >>> county = tables(sim)
    >>> county.manifest["days"], bool((county.presence["t_out"] <= sim.now).all())
    (1, True)
    """
    base, people, venues, log = sim.base, sim.base.people, sim.base.venues, sim.log
    t0 = base.start_utc
    end = sim.day * DAY
    vid = venues.ids
    pid = people.ids
    rng = np.random.default_rng(np.random.SeedSequence(base.seed, spawn_key=(999,)))
    venue_table, reg_faults = registry_faults(venues.table, log, rng)

    # Scans, plus scans naming unregistered venues.
    parts = sim.scans

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(x, name) for x in parts]) if parts else np.empty(0)

    sp, sv, sa = cat("person").astype(np.int64), cat("venue").astype(np.int64), cat("at")
    col, meth, ex = cat("colour").astype(int), cat("method").astype(int), cat("exit_at")
    dlon, dlat = cat("dev_lon"), cat("dev_lat")
    faults = list(sim.faults)
    labels = vid
    k = min(log.unknown_venue_scans, len(sp))
    if k:
        pick = rng.choice(len(sp), size=k, replace=False)
        ghost = np.array([f"{base.townships[s.TOWNSHIP_CODE].iloc[i % len(base.townships)]}7{i:04d}"
                          for i in range(k)], dtype=object)
        labels = np.concatenate([vid, ghost])
        sp, sa, col, meth = (np.concatenate([x, x[pick]]) for x in (sp, sa, col, meth))
        sv = np.concatenate([sv, len(vid) + np.arange(k)])
        ex = np.concatenate([ex, np.full(k, -1)])
        dlon, dlat = np.concatenate([dlon, dlon[pick]]), np.concatenate([dlat, dlat[pick]])
        faults.extend(("unknown_venue", int(sp[j]), g, int(sa[j]), 1,
                       "scan names a venue not in the registry") for j, g in zip(pick, ghost, strict=True))
    order = np.lexsort((sp, sv, sa)) if len(sp) else np.empty(0, int)
    scans = pd.DataFrame({
        s.PERSON_ID: _labels(pid, sp[order]),
        s.VENUE_ID: _labels(labels, sv[order]),
        s.SCANNED_AT: _times(t0, sa[order]),
        s.CODE_COLOUR: _labels(np.array(s.COLOURS, dtype=object), col[order]),
        s.METHOD: _labels(np.array(s.METHODS, dtype=object), meth[order]),
        s.EXIT_AT: _times(t0, np.where(ex[order] >= 0, ex[order], np.nan)),
        s.DEVICE_LON: np.round(dlon[order], 6),
        s.DEVICE_LAT: np.round(dlat[order], 6),
    })

    truth = truth_table(sim)
    cases = cases_table(sim)
    presence = _presence(sim, end, pid, vid, t0)
    fault_table = _fault_table(sim, faults, reg_faults, pid, vid, t0)
    interventions = pd.DataFrame({
        c.ACTION: [x[0] for x in sim.interventions],
        c.TARGET: [x[1] for x in sim.interventions],
        c.START: _times(t0, np.array([x[2] for x in sim.interventions], dtype=float)),
        c.END: _times(t0, np.array([x[3] for x in sim.interventions], dtype=float)),
    }).astype({c.ACTION: "str", c.TARGET: "str"})
    manifest = _manifest(sim, venue_table, scans, cases, truth, fault_table)
    return County(venues=venue_table, persons=people.table, scans=scans, cases=cases,
                  truth=truth, presence=presence, faults=fault_table,
                  interventions=interventions,
                  geojson=region_geojson(base.region), manifest=manifest)


def _presence(sim: Simulation, end: float, pid: np.ndarray, vid: np.ndarray,
              t0: pd.Timestamp) -> pd.DataFrame:
    parts = list(sim.presence)
    still = np.flatnonzero(~np.isnan(sim.open_home) & (sim.open_home < end))
    parts.append((still, sim.base.people.home[still], sim.open_home[still].astype(np.int64),
                  np.full(len(still), int(end)), np.full(len(still), -1)))
    p, v, a, b, g = (np.concatenate([x[i] for x in parts]) for i in range(5))
    order = np.lexsort((a, p))
    return pd.DataFrame({
        s.PERSON_ID: _labels(pid, p[order]), s.VENUE_ID: _labels(vid, v[order]),
        c.T_ARRIVE: _times(t0, a[order]), c.T_LEAVE: _times(t0, b[order]),
        c.GROUP_ID: g[order].astype(np.int64),
    })


def _fault_table(sim: Simulation, faults: list[tuple], reg_faults: list[tuple],
                 pid: np.ndarray, vid: np.ndarray, t0: pd.Timestamp) -> pd.DataFrame:
    rows = []
    for kind, p, v, t, n, detail in faults:
        rows.append((kind, pid[p], v if isinstance(v, str) else vid[v], t, n, detail))
    setup = sim.setup
    for v in np.flatnonzero(np.isfinite(setup.silent_from)):
        if setup.silent_from[v] < sim.day * DAY:
            rows.append(("silent_venue", None, vid[v], setup.silent_from[v], 0,
                         "code stopped working"))
    for v in np.flatnonzero(setup.lax):
        rows.append(("lax_venue", None, vid[v], np.nan, 0,
                     f"no check at the door: {sim.log.lax_miss_rate:.0%} of stays unscanned"))
    for p in np.flatnonzero(setup.skew != 0):
        rows.append(("clock_skew", pid[p], None, np.nan, 1,
                     f"{setup.skew[p] / 60:+.1f} min"))
    for kind, _p, v, detail in reg_faults:
        rows.append((kind, None, v, np.nan, 0, detail))
    frame = pd.DataFrame(rows, columns=["k", "p", "v", "t", "n", "d"])
    return pd.DataFrame({
        c.FAULT_KIND: frame["k"].astype("str"),
        s.PERSON_ID: frame["p"].astype("str"),
        s.VENUE_ID: frame["v"].astype("str"),
        c.FAULT_AT: _times(t0, frame["t"].to_numpy(dtype=float)),
        c.FAULT_COUNT: frame["n"].astype("int64"),
        c.FAULT_DETAIL: frame["d"].astype("str"),
    })


def _manifest(sim: Simulation, venues: pd.DataFrame, scans: pd.DataFrame,
              cases: pd.DataFrame, truth: pd.DataFrame, faults: pd.DataFrame) -> dict:
    people = sim.base.people
    n_pd = len(people.age) * max(sim.day, 1)
    kinds = faults[c.FAULT_KIND].value_counts().sort_index()
    counted = {k: int(v) for k, v in sorted(sim.fault_counts.items())}
    injected = {
        "venues": {"bad_check_digit": int(kinds.get("bad_check_digit", 0)),
                   "duplicate_applicant_phone": int(kinds.get("duplicate_applicant_phone", 0))},
        "scans": {"unknown_venue": int(kinds.get("unknown_venue", 0))},
        "cases": {},
    }
    return {
        "generator": "tracelab.synth",
        "seed": sim.base.seed,
        "start": sim.base.start.strftime("%Y-%m-%d"),
        "days": sim.day,
        "zone": sim.base.region.zone,
        "venue_crs": "GCJ-02",
        "frames": {"venues": "GCJ-02 (as the 场所码 system stores map picks)",
                   "scans.device_lon/lat": "WGS-84", "townships.geojson": "WGS-84",
                   "times": "UTC"},
        "county": {"code": sim.base.region.code, "name": sim.base.region.name,
                   "note": "synthetic people and venues on the region's townships and outline"},
        "venue_type_column": "code of the venue-type table (tracelab.model.reference.venue_types)",
        "id_numbers": "resident IDs use the region's division for every birth year: they pass the "
                      "check digit and a real birth date, but python-stdnum rejects births "
                      "before 1997 (DOMAIN §6.3)",
        "contact_rule": "venue infection only while both are present at a non-residence "
                        "venue (true stays overlap > 0 s) and the infector is inside "
                        "[infectious_start, infectious_end) and not isolated or quarantined",
        "parameters": {"population": int(len(people.age)),
                       "outbreak": sim.outbreak.to_dict(), "log": sim.log.to_dict()},
        "counts": {
            "persons": int(len(people.age)),
            "households": int(people.household.max() + 1),
            "venues": int(len(venues)),
            "venues_by_type": {k: int(v) for k, v in
                               sorted(pd.Series(sim.base.venues.type_code).value_counts().items())},
            "scans": int(len(scans)),
            "scans_per_person_day": round(len(scans) / n_pd, 3),
            "proxy_share": (round(float((scans[s.METHOD] == s.PROXY).mean()), 4)
                            if len(scans) else 0.0),
            "infections": int(len(truth)),
            "infections_by_setting": {k: int(v) for k, v in
                                      sorted(truth[c.SETTING].value_counts().items())},
            "cases": int(len(cases)),
            "cases_by_kind": {k: int(v) for k, v in sorted(cases[s.KIND].value_counts().items())},
            "log_imperfections": counted,
            "faults_listed": {k: int(v) for k, v in kinds.items()},
        },
        "injected_faults": injected,
    }


def _write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            # Without the pandas metadata (it records the pandas version), the bytes depend
            # only on the data and the pyarrow version (in "created_by").
            table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
            pq.write_table(table, tmp, compression="zstd", use_dictionary=True,
                           write_statistics=True)
        else:
            frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n",
                         date_format="%Y-%m-%dT%H:%M:%S.%fZ")


def write(county: County, out: str | Path, *, fmt: Literal["parquet", "csv"] = "parquet") -> Path:
    """Write a county to a folder: tables, ``townships.geojson``, ``manifest.json``.

    Parameters
    ----------
    county : County
        From :func:`generate`.
    out : str or Path
        Folder, created if missing; existing files of the same names are replaced.
    fmt : {"parquet", "csv"}
        Table format. Parquet timestamps are tz-aware UTC; CSV times are ISO 8601 UTC.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ValueError
        If ``fmt`` is not "parquet" or "csv".

    Examples
    --------
    >>> import tempfile
    >>> folder = write(generate(300, days=1, seed=2, progress=False), tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['cases.parquet', 'faults.parquet', 'interventions.parquet']
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(msg("fmt must be 'parquet' or 'csv', got {fmt!r}", fmt=fmt))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name in TABLES:
        path = folder / f"{name}.{fmt}"
        _write_table(getattr(county, name), path, fmt)
        digests[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    geo = write_text(folder / "townships.geojson", county.geojson)
    digests[geo.name] = hashlib.sha256(geo.read_bytes()).hexdigest()
    manifest = {**county.manifest, "format": fmt, "files": dict(sorted(digests.items()))}
    # Written last: a folder with its manifest is a whole county.
    write_text(folder / "manifest.json",
               json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
    return folder


def truth_table(sim: Simulation) -> pd.DataFrame:
    """Everyone infected before :attr:`Simulation.now`, with infector, setting and windows.

    Columns ``columns.TRUTH_COLUMNS``; ``detected_at`` and ``isolated_at`` only for people
    confirmed before now.

    Examples
    --------
    >>> sim = simulation(300, days=1, seed=1)
    >>> truth_table(sim)["setting"].unique().tolist()  # before day 0: the seeds only
    ['seed']
    """
    t0, end = sim.base.start_utc, sim.day * DAY
    id_of = sim.base.people.id_of
    vid = sim.base.venues.ids
    infected = np.flatnonzero(sim.infected_at < end)
    infected = infected[np.argsort(sim.infected_at[infected], kind="stable")]
    det = sim.confirmed[infected] < end
    truth = pd.DataFrame({
        s.PERSON_ID: id_of(infected),
        # numpy's stubs reject a None branch; at run time it is an object array of None.
        c.INFECTOR_ID: pd.Series(np.where(sim.infector[infected] >= 0,  # type: ignore[call-overload]
                                          id_of(np.maximum(sim.infector[infected], 0)), None),
                                 dtype="str"),
        c.SETTING: _SETTINGS[sim.setting[infected]],
        s.VENUE_ID: pd.Series(np.where(sim.inf_venue[infected] >= 0,  # type: ignore[call-overload]
                                       vid[np.maximum(sim.inf_venue[infected], 0)], None),
                              dtype="str"),
        c.INFECTED_AT: _times(t0, sim.infected_at[infected]),
        c.INFECTIOUS_START: _times(t0, sim.inf_start[infected]),
        c.INFECTIOUS_END: _times(t0, sim.inf_end[infected]),
        c.ONSET_AT_TRUE: _times(t0, np.where(sim.symptomatic[infected], sim.onset[infected],
                                             np.nan)),
        c.SYMPTOMATIC: sim.symptomatic[infected],
        c.RELATIVE_INFECTIOUSNESS: sim.relative[infected],
        c.GENERATION: sim.generation[infected],
        c.DETECTED_AT: _times(t0, np.where(det, sim.confirmed[infected], np.nan)),
        c.ISOLATED_AT_TRUE: _times(t0, np.where(det & (sim.isolated[infected] < end),
                                                sim.isolated[infected], np.nan)),
    }).astype({s.PERSON_ID: "str", c.SETTING: "str"})
    return truth


def cases_table(sim: Simulation) -> pd.DataFrame:
    """Cases as the health department reports them: confirmed before :attr:`Simulation.now`.

    Columns ``schema.CASE_COLUMNS``, in order of confirmation. Onset is shown only if it
    happened before now; isolation likewise.

    Examples
    --------
    >>> sim = simulation(300, days=1, seed=1)
    >>> list(cases_table(sim).columns)[:3]
    ['person_id', 'kind', 'onset_at']
    """
    t0, end = sim.base.start_utc, sim.day * DAY
    infected = np.flatnonzero(sim.infected_at < end)
    infected = infected[np.argsort(sim.infected_at[infected], kind="stable")]
    det = sim.confirmed[infected] < end
    cased = infected[det]
    cased = cased[np.argsort(sim.confirmed[cased], kind="stable")]
    cases = pd.DataFrame({
        s.PERSON_ID: sim.base.people.id_of(cased),
        s.KIND: np.where(sim.symptomatic[cased], s.CONFIRMED, s.ASYMPTOMATIC),
        s.ONSET_AT: _times(t0, np.where(sim.symptomatic[cased] & (sim.onset[cased] < end),
                                        sim.onset[cased], np.nan)),
        s.SAMPLED_AT: _times(t0, sim.sampled[cased]),
        s.CONFIRMED_AT: _times(t0, sim.confirmed[cased]),
        s.ISOLATED_AT: _times(t0, np.where(sim.isolated[cased] < end, sim.isolated[cased],
                                           np.nan)),
        s.FOUND_BY_SCREENING: sim.screening_found[cased],
        s.LAST_NEGATIVE_AT: _times(t0, sim.last_negative[cased]),
    }).astype({s.PERSON_ID: "str", s.KIND: "str"})
    return cases
