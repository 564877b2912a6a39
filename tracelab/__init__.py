"""tracelab: a workbench for venue-code (场所码) contact tracing.

The public verbs live here; implementations stay in their modules (DESIGN.md section 2).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from tracelab.io import DataDir, Loaded, read_cases, read_dir, read_scans, read_venues
from tracelab.schema import SchemaError
from tracelab.store import Store, open_store

try:
    __version__ = version("tracelab")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "DataDir",
    "Loaded",
    "SchemaError",
    "Store",
    "open_store",
    "read_cases",
    "read_dir",
    "read_scans",
    "read_venues",
    "show_versions",
]


def show_versions() -> dict[str, str]:
    """Print and return the versions of tracelab and the libraries it stands on.

    Examples
    --------
    >>> versions = show_versions()  # doctest: +ELLIPSIS
    tracelab ...
    >>> "duckdb" in versions
    True
    """
    import platform

    names = ("numpy", "pandas", "pyarrow", "duckdb", "pyproj", "shapely", "geopandas",
             "networkx", "folium", "pyspark")
    versions = {"tracelab": __version__, "python": platform.python_version()}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    for name, v in versions.items():
        print(f"{name:<10} {v}")
    return versions
