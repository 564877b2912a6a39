"""Loaders: venue registry, scans and cases from CSV, XLSX, Parquet or GeoJSON, with rejections.

Every loader returns a :class:`Loaded` (accepted rows and a rejection table of
``schema.REJECTION_COLUMNS``) whose counts reconcile: ``read == accepted + rejected``.
Damage costs the rows it touches, not the file: an undecodable byte, a time out of range,
a binary or nested cell, a broken GeoJSON feature are rejection rows with their reason.
Ids are cleaned to compare equal to their twins; ``Loaded.repaired`` lists each repair.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers see them; at run time: _PUBLIC
    from tracelab.io.cases import empty_cases, read_cases
    from tracelab.io.checks import Loaded, empty_rejections
    from tracelab.io.files import FORMATS, HEADER_ALIASES, detect_encoding, read_raw
    from tracelab.io.folders import (
        DataDir,
        find_table,
        folder_region,
        pseudonymise_data,
        read_dir,
        resolve_region,
    )
    from tracelab.io.scans import merge_repeat_scans, read_scans
    from tracelab.io.store import Store, open_store
    from tracelab.io.venues import read_venues

#: Each public name and its module, imported on first use: a query of a county store
#: needs the store's modules, not the folder loaders (nor the regions' pyproj).
_PUBLIC = {
    "empty_cases": "cases", "read_cases": "cases", "Loaded": "checks",
    "empty_rejections": "checks", "FORMATS": "files", "HEADER_ALIASES": "files",
    "detect_encoding": "files", "read_raw": "files", "DataDir": "folders",
    "find_table": "folders", "folder_region": "folders", "pseudonymise_data": "folders",
    "read_dir": "folders", "resolve_region": "folders", "merge_repeat_scans": "scans",
    "read_scans": "scans", "Store": "store", "open_store": "store", "read_venues": "venues",
}


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


__all__ = [
    "Loaded", "DataDir", "read_venues", "read_scans", "read_cases", "read_dir", "find_table",
    "merge_repeat_scans", "detect_encoding", "read_raw", "HEADER_ALIASES", "FORMATS",
    "empty_cases", "empty_rejections", "pseudonymise_data", "Store", "open_store",
    "folder_region", "resolve_region",
]
