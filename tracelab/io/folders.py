"""A data folder: its venues, scans and cases loaded together, and pseudonymised."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tracelab.io.cases import empty_cases, read_cases
from tracelab.io.checks import Loaded, empty_rejections
from tracelab.io.files import FORMATS
from tracelab.io.scans import read_scans
from tracelab.io.venues import read_venues
from tracelab.model import schema as s
from tracelab.privacy.pseudonyms import pseudonymise

__all__ = ["DataDir", "find_table", "pseudonymise_data", "read_dir"]

#: Preference when a folder holds one table in several formats.
_PREFERENCE = (".parquet", ".csv", ".xlsx", ".geojson", ".json", ".txt")


@dataclass(frozen=True)
class DataDir:
    """The tables of one data folder, loaded and checked."""

    venues: pd.DataFrame
    scans: pd.DataFrame
    cases: pd.DataFrame
    rejections: pd.DataFrame
    loads: dict[str, Loaded]
    path: Path


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


def read_dir(
    path: str | Path,
    *,
    now: pd.Timestamp | str | None = None,
    venue_crs: str | None = None,
    zone: str = s.DEFAULT_ZONE,
) -> DataDir:
    """Load ``venues.*``, ``scans.*`` and ``cases.*`` of a data folder.

    Parameters
    ----------
    path : str or Path
        The folder (DESIGN.md section 7). ``cases.*`` is optional.
    now : Timestamp or str, optional
        Reference time for "in the future"; default the current time.
    venue_crs : str, optional
        Frame of the venue positions; default the ``venue_crs`` of ``manifest.json`` if the
        folder has one, else GCJ-02.
    zone : str
        Zone of times that carry none.

    Returns
    -------
    DataDir

    Raises
    ------
    FileNotFoundError
        When the folder or its venues or scans table is missing.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"--data {folder}: no such folder")
    if venue_crs is None:
        manifest = folder / "manifest.json"
        meta = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
        venue_crs = meta.get("venue_crs", "GCJ-02")
    found = {stem: find_table(folder, stem) for stem in ("venues", "scans", "cases")}
    for stem in ("venues", "scans"):
        if found[stem] is None:
            raise FileNotFoundError(
                f"{folder}: no {stem} table ({', '.join(stem + e for e in FORMATS)})")
    venues_at, scans_at = found["venues"], found["scans"]
    assert venues_at is not None and scans_at is not None  # missing ones raised just above
    loads = {"venues": read_venues(venues_at, crs=venue_crs, now=now, zone=zone)}
    loads["scans"] = read_scans(scans_at, loads["venues"].accepted, now=now, zone=zone)
    if found["cases"] is not None:
        loads["cases"] = read_cases(found["cases"], now=now, zone=zone)
    cases = loads["cases"].accepted if "cases" in loads else empty_cases()
    parts = [ld.rejected for ld in loads.values() if len(ld.rejected)]
    rejections = pd.concat(parts, ignore_index=True) if parts else empty_rejections()
    return DataDir(loads["venues"].accepted, loads["scans"].accepted, cases, rejections, loads,
                   folder)


def pseudonymise_data(data: DataDir, key: bytes) -> DataDir:
    """Return a new :class:`~tracelab.io.DataDir` whose scans and cases carry pseudonyms.

    Call it right after :func:`tracelab.io.read_dir`, before anything is stored or
    traced; the per-file loads are replaced too, so no raw identifier is left in the
    result. Venues are unchanged (mask them for display with :func:`mask_frame`);
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
    loads = dict(data.loads)
    for name, frame in (("scans", scans), ("cases", cases)):
        if name in loads:
            loads[name] = dataclasses.replace(loads[name], accepted=frame)
    return dataclasses.replace(data, scans=scans, cases=cases, loads=loads)
