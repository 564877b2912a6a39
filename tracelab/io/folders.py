"""A data folder: its venues, scans and cases loaded together, and pseudonymised."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tracelab._i18n import msg
from tracelab.io.cases import empty_cases, read_cases
from tracelab.io.checks import Loaded, check_profile, empty_rejections
from tracelab.io.files import FORMATS, ColumnMap
from tracelab.io.scans import Progress, read_scans
from tracelab.io.venues import log_venues, read_venues
from tracelab.model import regions
from tracelab.model import schema as s
from tracelab.model.regions import Region
from tracelab.privacy.boundary import protect_venues
from tracelab.privacy.pseudonyms import pseudonymise

__all__ = ["DataDir", "find_table", "folder_region", "pseudonymise_data", "read_dir",
           "resolve_region"]

#: Preference when a folder holds one table in several formats.
_PREFERENCE = (".parquet", ".csv", ".xlsx", ".geojson", ".json", ".txt")


@dataclass(frozen=True)
class DataDir:
    """The tables of one data folder, loaded and checked, and the region they cover.

    ``registry_faults`` lists the registration rules kept venues fail; ``set_aside`` the
    rejected scans whose person could be read (``person_id``, ``venue_id``, ``row``,
    ``reason``): what each case lost; ``repaired`` the ids cleaned on load.
    """

    venues: pd.DataFrame
    scans: pd.DataFrame
    cases: pd.DataFrame
    rejections: pd.DataFrame
    loads: dict[str, Loaded]
    path: Path
    region: Region | None = None

    @property
    def registry_faults(self) -> pd.DataFrame:
        """The registry-faults table (rejection columns), empty when there is none."""
        loaded = self.loads.get("venues")
        return loaded.faults if loaded is not None else empty_rejections()

    @property
    def repaired(self) -> pd.DataFrame:
        """Ids of accepted rows repaired on load, of every table (rejection columns,
        reason ``repaired_id``); empty when none was."""
        parts = [ld.repaired for ld in self.loads.values() if len(ld.repaired)]
        return pd.concat(parts, ignore_index=True) if parts else empty_rejections()

    @property
    def set_aside(self) -> pd.DataFrame:
        """Rejected scans with a readable person id: person, venue, row, reason."""
        loaded = self.loads.get("scans")
        if loaded is None or loaded.set_aside is None:
            return pd.DataFrame(columns=[s.PERSON_ID, s.VENUE_ID, s.ROW, s.REASON])
        return loaded.set_aside


def _quiet(stage: str, fields: Mapping[str, Any]) -> None:
    """The default progress: says nothing."""


def find_table(folder: str | Path, stem: str) -> Path | None:
    """The file ``stem.*`` in ``folder`` in the preferred format, or None.

    Examples
    --------
    >>> find_table(".", "no-such-table") is None
    True
    """
    folder = Path(folder)
    for suffix in _PREFERENCE:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file() or (suffix == ".parquet" and candidate.is_dir()):
            return candidate  # a folder stem.parquet/ is a partitioned dataset (io.layout)
    return None


def _manifest(folder: Path) -> dict:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return {}
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(msg("{manifest}: not valid JSON ({exc})", manifest=manifest,
                             exc=exc)) from None
    return meta if isinstance(meta, dict) else {}


def folder_region(folder: str | Path, region: Region | str | Path | None = None
                  ) -> Region | None:
    """The region a data folder covers: ``region`` if given, else its manifest's.

    ``region`` is a :class:`~tracelab.model.regions.Region`, a shipped region's code or
    name, or the path of a township table or GeoJSON (:func:`read_region`). A folder whose
    ``manifest.json`` names another shipped region is refused: the message names both.
    Returns None when neither says; the loaders then infer the region from the registry.

    Examples
    --------
    >>> folder_region(".", "360121").name
    '南昌县'
    """
    folder = Path(folder)
    meta = _manifest(folder)
    county: dict[str, Any] = meta["county"] if isinstance(meta.get("county"), dict) else {}
    code = str(meta.get("region") or county.get("code") or "") or None
    if region is None:
        if code is None:
            return None
        try:
            return regions.region(code)
        except regions.RegionError:
            geo = folder / "townships.geojson"
            if geo.is_file():
                return regions.read_region(geo, code=code, name=county.get("name"))
            raise
    chosen = resolve_region(region)
    if code is not None and code != chosen.code and code in set(regions.regions()["code"]):
        other = regions.region(code)
        raise regions.RegionError(
            msg("{manifest}: the folder is of {label}, not {asked} as asked; pass --region {code} "
                "(region={code!r}) or leave it out", manifest=folder / "manifest.json",
                label=other.label, asked=chosen.label, code=other.code))
    return chosen


def resolve_region(region: Region | str | Path) -> Region:
    """A region argument as a Region: itself, a shipped region's code or name, or a file.

    Examples
    --------
    >>> resolve_region("南昌县").code
    '360121'
    """
    if isinstance(region, Region):
        return region
    path = Path(region)
    if path.suffix.lower() in (".csv", ".geojson", ".json") or path.is_file():
        return regions.read_region(path)
    return regions.region(str(region))


def read_dir(
    path: str | Path,
    *,
    region: Region | str | Path | None = None,
    now: pd.Timestamp | str | None = None,
    venue_crs: str | None = None,
    zone: str | None = None,
    profile: str = "strict",
    columns: ColumnMap | None = None,
    progress: Progress | None = None,
) -> DataDir:
    """Load ``venues.*``, ``scans.*`` and ``cases.*`` of a data folder.

    Parameters
    ----------
    path : str or Path
        The folder (DESIGN.md section 7). ``cases.*`` is optional.
    region : Region, str or Path, optional
        The region the folder covers (:func:`folder_region`); default the manifest's,
        else inferred from the registry's 区县 column or venue codes.
    now : Timestamp or str, optional
        Reference time for "in the future"; default the current time.
    venue_crs : str, optional
        Frame of the venue positions; default the ``venue_crs`` of ``manifest.json`` if the
        folder has one, else the region's (GCJ-02 for the shipped regions).
    zone : str, optional
        Zone of times that carry none; default the region's.
    profile : {"strict", "research"}
        ``strict`` (default): the 赣通码 registry's rules. ``research``: only what tracing
        needs (:func:`read_venues`, :func:`read_scans`, :func:`read_cases`); ``venues.*``
        may be absent, the venues then come from the scans (with the name, type and
        position columns the scans carry). A ``visits.*`` file (entry and exit columns,
        e.g. ``t_in``, ``t_out``) stands for ``scans.*``: its exits are never cut.
    columns : mapping, optional
        Column mapping for every file of the folder (:func:`tracelab.io.files.map_columns`).
    progress : callable, optional
        ``progress(stage, fields)``, told ``reading`` (``table``, ``source``) before each
        table, and what :func:`~tracelab.io.scans.read_scans` tells while it checks the
        scans (``read``, ``merging``).

    Returns
    -------
    DataDir
        With ``region`` set; its placeholder township seats are replaced by the median
        position of the registry's venues (:meth:`Region.with_seats_from`).

    Raises
    ------
    FileNotFoundError
        When the folder or its venues or scans table is missing.
    tracelab.model.regions.RegionError
        When the region cannot be told, or the data are of another region than asked.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(msg("--data {folder}: no such folder", folder=folder))
    venue_crs = venue_crs or _manifest(folder).get("venue_crs")
    chosen = folder_region(folder, region)
    research = check_profile(profile) == "research"
    found = {stem: find_table(folder, stem) for stem in ("venues", "scans", "cases")}
    if found["scans"] is None:  # a log of visits (entry and exit) stands for the scans
        found["scans"] = find_table(folder, "visits")
    for stem in ("scans",) if research else ("venues", "scans"):
        if found[stem] is None:
            raise FileNotFoundError(
                msg("{folder}: no {stem} table ({names})", folder=folder, stem=stem,
                    names=", ".join(stem + e for e in FORMATS)))
    venues_at, scans_at = found["venues"], found["scans"]
    assert scans_at is not None  # a missing one raised just above
    say = progress or _quiet
    loads: dict[str, Loaded] = {}
    venues: pd.DataFrame | None = None  # a research log without a registry: from the scans
    if venues_at is not None:
        say("reading", {"table": "venues", "source": venues_at.name})
        loads["venues"] = read_venues(venues_at, region=chosen, crs=venue_crs, now=now,
                                      zone=zone, profile=profile, columns=columns)
        registry = loads["venues"].accepted
        if chosen is None and not research:
            chosen = (regions.infer_region(registry[s.COUNTY].astype(str))
                      or regions.infer_region(registry[s.VENUE_ID].astype(str)))
        venues = registry
    zone = zone or (chosen.zone if chosen is not None else s.DEFAULT_ZONE)
    say("reading", {"table": "scans", "source": scans_at.name})
    loads["scans"] = read_scans(
        scans_at, venues, rejected_venues=loads["venues"].set_aside if venues_at else None,
        now=now, zone=zone, profile=profile, columns=columns, progress=progress)
    if venues is None:
        seen = loads["scans"].derived
        if seen is None:
            seen = pd.DataFrame({s.VENUE_ID: pd.unique(loads["scans"].accepted[s.VENUE_ID])})
        venues = log_venues(seen, chosen)
    if found["cases"] is not None:
        say("reading", {"table": "cases", "source": found["cases"].name})
        loads["cases"] = read_cases(found["cases"], now=now, zone=zone, profile=profile,
                                    columns=columns)
    cases = loads["cases"].accepted if "cases" in loads else empty_cases()
    parts = [ld.rejected for ld in loads.values() if len(ld.rejected)]
    rejections = pd.concat(parts, ignore_index=True) if parts else empty_rejections()
    if chosen is not None and not research:
        chosen = chosen.with_seats_from(venues)
    return DataDir(venues, loads["scans"].accepted, cases, rejections, loads, folder, chosen)


def pseudonymise_data(data: DataDir, key: bytes) -> DataDir:
    """Return a new :class:`~tracelab.io.DataDir` whose scans and cases carry pseudonyms.

    Call it right after :func:`tracelab.io.read_dir`, before anything is stored or
    traced; the per-file loads are replaced too, so no raw identifier is left in the
    result. The registry's personal data (applicant phones, sole traders' IDs and names,
    numbers in free text) is protected too (:func:`tracelab.privacy.boundary.protect_venues`);
    rejection rows already show identifiers masked.

    Examples
    --------
    >>> from pathlib import Path
    >>> from tracelab.io.checks import Loaded, empty_rejections
    >>> scans = pd.DataFrame({"person_id": ["13800000001"], "venue_id": ["V1"]})
    >>> cases = pd.DataFrame({"person_id": ["13800000001"], "kind": ["confirmed"]})
    >>> data = DataDir(pd.DataFrame(), scans, cases, empty_rejections(),
    ...                {"scans": Loaded(scans, empty_rejections(), 1)}, Path("."))
    >>> from tracelab.privacy.pseudonyms import DEMO_KEY, is_pseudonym
    >>> out = pseudonymise_data(data, DEMO_KEY)
    >>> is_pseudonym(out.scans["person_id"].iloc[0]), out.loads["scans"].accepted.equals(out.scans)
    (True, True)
    >>> out.cases["person_id"].iloc[0] == out.scans["person_id"].iloc[0]
    True
    """
    scans = pseudonymise(data.scans, None, key)
    cases = pseudonymise(data.cases, None, key)
    venues = protect_venues(data.venues, key)
    loads = dict(data.loads)
    for name, frame in (("scans", scans), ("cases", cases), ("venues", venues)):
        if name in loads:
            loads[name] = dataclasses.replace(loads[name], accepted=frame)
    aside = loads["scans"].set_aside if "scans" in loads else None
    if aside is not None:
        loads["scans"] = dataclasses.replace(
            loads["scans"], set_aside=pseudonymise(aside, [s.PERSON_ID], key))
    return dataclasses.replace(data, venues=venues, scans=scans, cases=cases, loads=loads)
