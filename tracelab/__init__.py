"""tracelab: a workbench for venue-code (场所码) contact tracing.

The public verbs live here; implementations stay in the layer subpackages
(docs/architecture.md). The person-level queries (:func:`trace`, :func:`sources`,
:func:`companions`, :func:`common_venues`, :func:`export_contacts`) are the audited
versions: each needs ``purpose=`` (a case or investigation id) and an audit store
(``audit=``, else the environment variable ``TRACELAB_AUDIT``) and leaves one entry in its
hash-chained audit table. Library code uses the plain implementations in
:mod:`tracelab.tracing.forward`, :mod:`tracelab.tracing.backward`,
:mod:`tracelab.tracing.companion_grid` and :mod:`tracelab.governance.call_lists`.

Public subpackage namespaces: :mod:`tracelab.maps` (folium maps), :mod:`tracelab.synth`
(the synthetic county), :mod:`tracelab.replay` (scenario replay: ``replay.replay``,
``replay.sweep``), :mod:`tracelab.briefing`, :mod:`tracelab.spark` and
:mod:`tracelab.testing`.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers and IDEs see them; at run time: _PUBLIC
    from tracelab.analysis import (
        clusters,
        compare,
        epi_curve,
        rank_contacts,
        rank_venues,
        risk_areas,
        snapshot,
    )
    from tracelab.governance import export_contacts
    from tracelab.index import VisitGraph, contact_graph, estimate_dwell, visits
    from tracelab.io import (
        DataDir,
        Loaded,
        Store,
        open_store,
        read_cases,
        read_dir,
        read_scans,
        read_venues,
    )
    from tracelab.model import Rule, SchemaError, rule
    from tracelab.privacy import PurposeError
    from tracelab.replay import policy
    from tracelab.tracing import common_venues, companions, sources, trace
    from tracelab.tracing.forward import trace_assumptions

    __version__: str

#: Each public name and the module it comes from, imported on first use: ``import
#: tracelab`` then costs no pandas, geopandas or networkx, and a command line that needs
#: one verb loads that verb's modules only (benchmarks/README.md, "County store").
_PUBLIC = {
    **dict.fromkeys(("clusters", "compare", "epi_curve", "rank_contacts", "rank_venues",
                     "risk_areas", "snapshot"), "tracelab.analysis"),
    "export_contacts": "tracelab.governance",
    **dict.fromkeys(("VisitGraph", "contact_graph", "estimate_dwell", "visits"),
                    "tracelab.index"),
    **dict.fromkeys(("DataDir", "Loaded", "Store", "open_store", "read_cases", "read_dir",
                     "read_scans", "read_venues"), "tracelab.io"),
    **dict.fromkeys(("Rule", "SchemaError", "rule"), "tracelab.model"),
    "PurposeError": "tracelab.privacy",
    "policy": "tracelab.replay",
    **dict.fromkeys(("common_venues", "companions", "sources", "trace"), "tracelab.tracing"),
    "trace_assumptions": "tracelab.tracing.forward",
}

#: Subpackage namespaces reached as attributes (``tl.maps.venue_map``) and imported on
#: first use, so that ``import tracelab`` does not load folium, Spark or the briefing.
_NAMESPACES = ("analysis", "briefing", "governance", "index", "io", "maps", "model",
               "privacy", "replay", "spark", "synth", "testing", "tracing")


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        value = getattr(_import_module(_PUBLIC[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _NAMESPACES:
        return _import_module(f"tracelab.{name}")
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    raise AttributeError(f"module 'tracelab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC, *_NAMESPACES, "__version__"})


def _version() -> str:
    # importlib.metadata scans the installed distributions: only when a version is asked.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tracelab")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


__all__ = [
    "DataDir",
    "Loaded",
    "PurposeError",
    "Rule",
    "SchemaError",
    "Store",
    "VisitGraph",
    "clusters",
    "common_venues",
    "companions",
    "compare",
    "contact_graph",
    "epi_curve",
    "estimate_dwell",
    "export_contacts",
    "open_store",
    "policy",
    "rank_contacts",
    "rank_venues",
    "read_cases",
    "read_dir",
    "read_scans",
    "read_venues",
    "risk_areas",
    "rule",
    "show_versions",
    "snapshot",
    "sources",
    "trace",
    "trace_assumptions",
    "visits",
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
    from importlib.metadata import PackageNotFoundError, version

    names = ("numpy", "pandas", "pyarrow", "duckdb", "pyproj", "shapely", "geopandas",
             "networkx", "folium", "pyspark")
    versions = {"tracelab": _version(), "python": platform.python_version()}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    for name, v in versions.items():
        print(f"{name:<10} {v}")
    return versions
