"""Layer 4, the index: scans become visits, visits a columnar graph searched both ways.

:func:`visits` turns scans into presence intervals; :class:`VisitGraph` sorts them by venue
and by person with offsets (CSR) so that a case query binary-searches only the case
venues' windows; :func:`case_windows` gives each case's infectious window.
:func:`ingest_county` writes a county store (docs/store.md) and :func:`open_county` opens it:
a :class:`County` whose ``graph(rule)`` is the memory-mapped graph (after an append, a
:class:`LayeredGraph`: the ingest's graph and a layer of the visits appends rebuilt).
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers see them; at run time: _PUBLIC
    from tracelab.index.county import County, open_county
    from tracelab.index.county_build import ingest_county
    from tracelab.index.graph import VisitGraph, VisitSource, contact_graph
    from tracelab.index.layers import LayeredGraph
    from tracelab.index.presence import estimate_dwell, visits
    from tracelab.index.windows import case_windows

#: Each public name and its module, imported on first use (with their own imports).
_PUBLIC = {"County": "county", "open_county": "county", "ingest_county": "county_build",
           "VisitGraph": "graph", "VisitSource": "graph", "contact_graph": "graph",
           "LayeredGraph": "layers",
           "estimate_dwell": "presence", "visits": "presence", "case_windows": "windows"}


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


__all__ = ["County", "LayeredGraph", "VisitGraph", "VisitSource", "case_windows", "contact_graph",
           "estimate_dwell", "ingest_county", "open_county", "visits"]
