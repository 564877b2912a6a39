"""A synthetic county (芦溪县 unless told otherwise): venues, people, scans, an outbreak, truth.

``generate`` builds a county in memory, ``write`` puts it on disk, ``simulation`` returns
the day-by-day :class:`Simulation` that scenario replay drives with interventions.
"""

from __future__ import annotations

from tracelab.synth.county import START, build_county
from tracelab.synth.county_files import (
                                  County,
                                  cases_table,
                                  generate,
                                  simulation,
                                  tables,
                                  truth_table,
                                  write,
)
from tracelab.synth.outbreak import DayResult, Simulation
from tracelab.synth.params import LogParams, OutbreakParams

__all__ = [
    "START",
    "County",
    "DayResult",
    "LogParams",
    "OutbreakParams",
    "Simulation",
    "build_county",
    "cases_table",
    "generate",
    "simulation",
    "tables",
    "truth_table",
    "write",
]
