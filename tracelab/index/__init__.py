"""Layer 4, the index: scans become visits, visits a columnar graph searched both ways.

:func:`visits` turns scans into presence intervals; :class:`VisitGraph` sorts them by venue
and by person with offsets (CSR) so that a case query binary-searches only the case
venues' windows; :func:`case_windows` gives each case's infectious window.
"""

from __future__ import annotations

from tracelab.index.graph import VisitGraph, VisitSource, contact_graph
from tracelab.index.presence import estimate_dwell, visits
from tracelab.index.windows import case_windows

__all__ = ["VisitGraph", "VisitSource", "case_windows", "contact_graph", "estimate_dwell",
           "visits"]
