"""A visit source on Spark: the engine's two questions answered over the Parquet layout.

The exposure engine asks only two things of its source (DESIGN §5, :class:`VisitSource`):
visits at these venues in these windows, and visits of these people in these windows.
:class:`SparkSource` answers both with one Spark join each over
``visits.parquet/dwell=…/day=…`` (:mod:`tracelab.io.layout`); the answers are small and
come back to pandas, where ``trace``, ``sources`` and ``companions`` run unchanged on a
local graph of just those visits (:mod:`tracelab.tracing.local_pull`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_MIN
from tracelab.index.graph import QUERY, VisitSource, query_windows
from tracelab.index.presence import venue_table
from tracelab.io.layout import DAY, visits_path
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule

__all__ = ["SparkSource", "BUCKET_MINUTES"]

#: Width of the time buckets the joins are keyed on (see :meth:`SparkSource._join`).
BUCKET_MINUTES = 60

_START, _END, _KEY, _BUCKET = "_start", "_end", "_key", "_bucket"
_IN_NS, _OUT_NS = "_t_in_ns", "_t_out_ns"


class SparkSource(VisitSource):
    """Visits on Spark, read from a layout folder, for one dwell assumption.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        From :func:`tracelab.spark.sessions` (UTC session zone).
    folder : str or Path
        A layout folder (:func:`tracelab.io.layout.write_layout`) holding
        ``venues.parquet`` and ``visits.parquet/dwell=<rule.dwell>/``.
    rule : str or Rule
        Names the dwell assumption whose visits are read.
    venue_types : pandas.DataFrame, optional
        Venue-type table; default :func:`tracelab.model.reference.venue_types`.
    zone : str
        Zone of the ``day`` partitions.
    bucket_minutes : int
        Width of the join's time buckets.
    build : bool
        Build the visits from ``scans.parquet`` with a Spark job
        (:func:`tracelab.spark.visits_job.visits`) and write them into the layout when
        they are missing.

    Attributes
    ----------
    venues : pandas.DataFrame
        The venue table (:func:`tracelab.index.presence.venue_table`), as on a ``VisitGraph``.
    venue_frame : pandas.DataFrame
        ``venues.parquet`` as read.
    dwell : str

    Raises
    ------
    FileNotFoundError
        If the folder has no visits for ``rule.dwell``; build them with
        ``build=True`` or :func:`tracelab.io.layout.write_visits`.
    """

    def __init__(self, spark: Any, folder: str | Path, rule: str | Rule = "twenty", *,
                 venue_types: pd.DataFrame | None = None, zone: str = s.DEFAULT_ZONE,
                 bucket_minutes: int = BUCKET_MINUTES, build: bool = False) -> None:
        from pyspark.sql import functions as F

        r = as_rule(rule)
        self.spark, self.folder, self.dwell, self.zone = spark, Path(folder), r.dwell, zone
        self.venue_types = venue_types
        self.venue_frame = pd.read_parquet(self.folder / "venues.parquet")
        self.venues = venue_table(self.venue_frame, venue_types)
        path = visits_path(self.folder, r.dwell)
        if not path.is_dir() and build:
            self._build(r)
        if not path.is_dir():
            raise FileNotFoundError(
                msg("{path}: no visits built under dwell={dwell!r}; build them with "
                    "SparkSource(..., build=True) (a Spark job, tracelab.spark.jobs.visits) or "
                    "tracelab.io.layout.write_visits(folder, visits, dwell)", path=path,
                    dwell=r.dwell))
        if bucket_minutes <= 0:
            raise ValueError(msg("bucket_minutes={bucket_minutes!r}; must be a positive integer",
                                 bucket_minutes=bucket_minutes))
        self.bucket_ns = int(bucket_minutes) * NS_PER_MIN
        visits = spark.read.option("basePath", str(path)).parquet(str(path))
        self.visits_df = visits.withColumn(_IN_NS, F.unix_micros(s.T_IN) * 1000).withColumn(
            _OUT_NS, F.unix_micros(s.T_OUT) * 1000)
        row = self.visits_df.agg(F.min(_IN_NS), F.max(_OUT_NS),
                                 F.max(F.col(_OUT_NS) - F.col(_IN_NS))).first()
        self._empty = row[0] is None
        self._time_range = (0, 0) if self._empty else (int(row[0]), int(row[1]))
        #: Longest stay (ns): how far before a window a touching visit can have begun.
        self.max_stay = 0 if self._empty else int(row[2])

    def _build(self, r: Rule) -> None:
        from tracelab.spark.visits_job import visits, write_visits

        scans_path = self.folder / "scans.parquet"
        if not scans_path.is_dir():
            raise FileNotFoundError(msg("{scans_path}: no scans to build visits from; write the "
                                        "layout with tracelab.io.layout.write_layout",
                                        scans_path=scans_path))
        scans = self.spark.read.option("basePath", str(scans_path)).parquet(str(scans_path))
        venues = self.spark.createDataFrame(
            self.venue_frame[[s.VENUE_ID, s.VENUE_TYPE]].astype(object))
        write_visits(visits(self.spark, scans, venues, r, venue_types=self.venue_types),
                     self.folder, r.dwell, zone=self.zone)

    def __repr__(self) -> str:
        return f"SparkSource({str(self.folder)!r}, dwell={self.dwell!r})"

    def time_range(self) -> tuple[int, int]:
        """Earliest entry and latest exit, int64 ns UTC (0, 0 when empty)."""
        return self._time_range

    def visits_at(self, venues: Sequence[Any], windows: Any) -> pd.DataFrame:
        """Visits at ``venues[i]`` touching the closed window ``i``; see :class:`VisitSource`."""
        return self._join(s.VENUE_ID, venues, windows)

    def visits_of(self, people: Sequence[Any], windows: Any) -> pd.DataFrame:
        """Visits of ``people[i]`` touching the closed window ``i``; see :class:`VisitSource`."""
        return self._join(s.PERSON_ID, people, windows)

    def _day(self, ns: int) -> str:
        return str(pd.Timestamp(ns, tz="UTC").tz_convert(self.zone).date())

    def _join(self, key: str, ids: Sequence[Any], windows: Any) -> pd.DataFrame:
        """One equi-join of the requests with the visits, bucketed by time for venues.

        Skew: a hot venue (a station with tens of thousands of scans a day) would put all
        its visits in one task if the join were keyed on the venue alone. The join is
        keyed on (venue, time bucket of the entry) instead: each request is exploded into
        the buckets its window reaches back to (``max_stay`` before its start), so each
        visit meets each request once, in its own entry bucket, and a hot venue's visits
        spread over as many tasks as it has busy hours. Bucketing by time rather than
        salting keeps the join exact without a second pass, and partition pruning on
        ``day`` reads only the days the requests reach.
        """
        from pyspark.sql import functions as F

        ids = list(ids)
        start, end = query_windows(windows, len(ids))
        if not ids or self._empty:
            return _empty()
        # People are never hot keys (a person has a few hundred scans a fortnight): their
        # requests keep one bucket that every visit of theirs falls in.
        bucketed = key == s.VENUE_ID
        lo = (start - self.max_stay) // self.bucket_ns if bucketed else np.zeros_like(start)
        hi = end // self.bucket_ns if bucketed else np.zeros_like(end)
        n = (hi - lo + 1).astype(np.int64)
        rep = np.repeat(np.arange(len(ids)), n)
        buckets = lo[rep] + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        requests = pd.DataFrame({QUERY: rep.astype(np.int64),
                                 _KEY: np.asarray([str(i) for i in ids], dtype=object)[rep],
                                 _START: start[rep], _END: end[rep],
                                 _BUCKET: buckets.astype(np.int64)})
        req = self.spark.createDataFrame(requests)
        first, last = self._day(int(start.min()) - self.max_stay), self._day(int(end.max()))
        bucket = (F.floor(F.col(_IN_NS) / self.bucket_ns).cast("long") if bucketed
                  else F.lit(0).cast("long"))
        vis = self.visits_df.where(F.col(DAY).between(first, last)).withColumn(_BUCKET, bucket)
        joined = vis.join(req, (vis[key] == req[_KEY]) & (vis[_BUCKET] == req[_BUCKET]))
        got = joined.where((F.col(_IN_NS) <= F.col(_END)) & (F.col(_OUT_NS) >= F.col(_START)))
        out = got.select(QUERY, s.VISIT_ID, s.PERSON_ID, s.VENUE_ID, _IN_NS, _OUT_NS,
                         s.T_OUT_SOURCE).toPandas()
        return _tidy(out)


def _empty() -> pd.DataFrame:
    return _tidy(pd.DataFrame({QUERY: np.zeros(0, np.int64), s.VISIT_ID: np.zeros(0, np.int64),
                               s.PERSON_ID: [], s.VENUE_ID: [], _IN_NS: np.zeros(0, np.int64),
                               _OUT_NS: np.zeros(0, np.int64), s.T_OUT_SOURCE: []}))


def _tidy(out: pd.DataFrame) -> pd.DataFrame:
    """Sorted by query, entry, visit id; times tz-aware UTC; the columns of VisitGraph."""
    out = out.sort_values([QUERY, _IN_NS, s.VISIT_ID], ignore_index=True)
    return pd.DataFrame({
        QUERY: out[QUERY].to_numpy(np.int64),
        s.VISIT_ID: out[s.VISIT_ID].to_numpy(np.int64),
        s.PERSON_ID: out[s.PERSON_ID].to_numpy(object),
        s.VENUE_ID: out[s.VENUE_ID].to_numpy(object),
        s.T_IN: pd.DatetimeIndex(out[_IN_NS].to_numpy(np.int64).view("datetime64[ns]"), tz="UTC"),
        s.T_OUT: pd.DatetimeIndex(out[_OUT_NS].to_numpy(np.int64).view("datetime64[ns]"),
                                  tz="UTC"),
        s.T_OUT_SOURCE: out[s.T_OUT_SOURCE].to_numpy(object),
    })
