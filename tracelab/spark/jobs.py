"""Whole-log analyses as Spark jobs, each equal to its pandas implementation.

The exposure engine's questions go to :class:`tracelab.spark.SparkSource`; the work that
reads the whole log runs here (DESIGN §5). Every job takes a SparkSession or Spark
DataFrames (e.g. read from the Parquet layout with ``spark.read.parquet``) and returns
the pandas frame the pandas function returns on the same rows; tests compare them.

=============================  ==================================================
job                            pandas implementation
=============================  ==================================================
:func:`visits`                 :func:`tracelab.index.presence.visits` (a Spark frame;
                               :func:`visits_to_pandas`, :func:`write_visits`)
:func:`venue_report`,          :func:`tracelab.governance.aggregates.venue_report`
:func:`venue_reports`
:func:`regulator_report`       :func:`tracelab.governance.aggregates.regulator_report`
:func:`silent_venues` …        :mod:`tracelab.governance.compliance`, one job per list
:func:`companions`             :func:`tracelab.tracing.companion_grid.companions`
=============================  ==================================================

Python workers import tracelab (pandas UDFs project venues and normalise phones), so on
a cluster tracelab must be installed on the executors, as PySpark itself is.
"""

from __future__ import annotations

from tracelab.spark.aggregates_job import regulator_report, venue_report, venue_reports
from tracelab.spark.companions_job import companions, venue_cells
from tracelab.spark.compliance_job import (
    abnormal_admissions,
    far_scans,
    group_bursts,
    low_volume_venues,
    shared_applicant_phones,
    silent_venues,
    unregistered_venues,
)
from tracelab.spark.frames import collect, to_spark
from tracelab.spark.visits_job import visits, visits_to_pandas, write_visits

__all__ = [
    "abnormal_admissions",
    "collect",
    "companions",
    "far_scans",
    "group_bursts",
    "low_volume_venues",
    "regulator_report",
    "shared_applicant_phones",
    "silent_venues",
    "to_spark",
    "unregistered_venues",
    "venue_cells",
    "venue_report",
    "venue_reports",
    "visits",
    "visits_to_pandas",
    "write_visits",
]
