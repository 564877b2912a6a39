"""Spatiotemporal companions (时空伴随者) as a Spark job: :func:`tracelab.tracing.companion_grid.companions`.

The rule is that module's (DOMAIN §4, §11.3): within the look-back (14 days) before a
case's isolation, a person who shared an 800 m EPSG:4547 grid cell with the case for
more than 10 minutes in all, where either of them spent more than 30 hours, is a
companion. Visits stand in for phone positions.

The work is a self-join of visits by grid cell and time. A cell holding a station sees
tens of thousands of visits a day, so joining on the cell alone would hand one task all
of them. The join is **bucketed by time**: each interval is exploded into the fixed time
buckets (``bucket_minutes``, default 60) it covers, the join key is (cell, bucket), and
a pair of overlapping intervals is kept once, in the bucket where the later of the two
starts falls (both intervals cover that bucket, and only that bucket holds the start of
their overlap). A hot cell is thereby split into one task per hour.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_DAY, local_minutes, timestamp_ns
from tracelab.index.windows import window_arrays
from tracelab.model import schema as s
from tracelab.model.coords import gauss_kruger_crs, grid_cell, project
from tracelab.model.rules import Rule, as_rule
from tracelab.spark.frames import US_PER_HOUR, US_PER_MIN, collect, require
from tracelab.tracing.companion_grid import (
    CASE_CELL_HOURS,
    CELL_X,
    CELL_Y,
    CO_STAY_MIN,
    CONTACT_CELL_HOURS,
    why_sentences,
)

__all__ = ["companions", "venue_cells"]

_COLUMNS = [s.CASE_ID, s.CONTACT_ID, CELL_X, CELL_Y, CO_STAY_MIN, CASE_CELL_HOURS,
            CONTACT_CELL_HOURS, s.RULE_ID, s.WHY]
_W, _START, _END = "_w", "_start", "_end"
_IN, _OUT = "_in", "_out"
_A, _B = "_a", "_b"
_BUCKET = "_bucket"


def _cells_batches(cell_m: float, origin: tuple[float, float], crs: str) -> Any:
    def run(batches: Any) -> Any:
        for batch in batches:
            if not len(batch):
                continue
            x, y = project(batch[s.LON].to_numpy(float), batch[s.LAT].to_numpy(float), crs)
            ix, iy = grid_cell(np.atleast_1d(x), np.atleast_1d(y), cell_m=cell_m, origin=origin)
            yield pd.DataFrame({s.VENUE_ID: batch[s.VENUE_ID].astype(object),
                                CELL_X: ix, CELL_Y: iy})
    return run


def grid_crs(venues: Any) -> str:
    """The Gauss-Krüger zone of the venues' median longitude, as the pandas engine picks it."""
    return gauss_kruger_crs(venues.approxQuantile(s.LON, [0.5], 0.0))


def venue_cells(venues: Any, *, cell_m: float = 800.0,
                origin: tuple[float, float] = (0.0, 0.0), crs: str | None = None) -> Any:
    """Each venue's grid cell (``cell_x``, ``cell_y``) on the Gauss-Krüger grid, in Spark.

    Projection runs in pandas UDFs with :func:`tracelab.model.coords.project`, as the pandas
    engine projects, in the zone of the venues' median longitude (one zone for all batches).

    Raises
    ------
    ValueError
        If a venue lacks ``lon`` or ``lat``.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark, collect
    >>> spark = session("local[1]")
    >>> v = to_spark(spark, pd.DataFrame({"venue_id": ["H"], "lon": [114.0001],
    ...                                   "lat": [27.6001]}))
    >>> collect(venue_cells(v))[["cell_x", "cell_y"]].values.tolist()
    [[625, 3817]]
    """
    from pyspark.sql import functions as F

    require(venues, (s.VENUE_ID, s.LON, s.LAT), "venues")
    table = venues.select(F.col(s.VENUE_ID).cast("string").alias(s.VENUE_ID),
                          F.col(s.LON).cast("double").alias(s.LON),
                          F.col(s.LAT).cast("double").alias(s.LAT)).dropDuplicates([s.VENUE_ID])
    missing = table.filter(F.col(s.LON).isNull() | F.col(s.LAT).isNull()
                           | F.isnan(s.LON) | F.isnan(s.LAT)).count()
    if missing:
        raise ValueError(msg("venues: {missing} venue(s) without lon or lat; companions need "
                             "every venue's position (WGS-84)", missing=missing))
    return table.mapInPandas(_cells_batches(cell_m, origin, crs or grid_crs(table)),
                             f"{s.VENUE_ID} string, {CELL_X} long, {CELL_Y} long")


def _explode(frame: Any, lo: str, hi: str, bucket_us: int) -> Any:
    from pyspark.sql import functions as F

    first = F.floor(F.col(lo) / bucket_us)
    last = F.floor((F.col(hi) - 1) / bucket_us)
    return frame.withColumn(_BUCKET, F.explode(F.sequence(first, last)))


def companions(
    spark: Any,
    visits: Any,
    venues: Any,
    cases: pd.DataFrame,
    rule: str | Rule = "twenty",
    *,
    as_of: Any = None,
    origin: tuple[float, float] = (0.0, 0.0),
    bucket_minutes: int = 60,
) -> pd.DataFrame:
    """People who shared an 800 m grid cell with a case under the 时空伴随 rule, in Spark.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    visits : pyspark.sql.DataFrame
        Visits (``person_id, venue_id, t_in, t_out``), e.g. from
        :func:`tracelab.spark.visits_job.visits` or the layout's visits dataset.
    venues : pyspark.sql.DataFrame
        ``venue_id, lon, lat`` (WGS-84) of every venue.
    cases : pandas.DataFrame
        Cases (``schema.CASE_COLUMNS``), a small table.
    rule : str or Rule
        ``companion_*`` parameters, as for :func:`tracelab.tracing.companion_grid.companions`.
    as_of : tz-aware time, optional
        Default: the last exit of `visits`.
    origin : (float, float)
        Grid origin in EPSG:4547 metres.
    bucket_minutes : int, default 60
        Width of the time buckets the join is split by (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        The frame :func:`tracelab.tracing.companion_grid.companions` returns for the same visits.

    Raises
    ------
    ValueError
        If venues lack coordinates, ``as_of`` is naive or `bucket_minutes` is not positive.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> t = pd.to_datetime(["2022-11-18 00:00", "2022-11-19 02:00"], utc=True)
    >>> visits = to_spark(spark, pd.DataFrame({"person_id": ["C", "P"],
    ...     "venue_id": ["H", "S"], "t_in": t, "t_out": t + pd.to_timedelta(["40h", "20min"])}))
    >>> venues = to_spark(spark, pd.DataFrame({"venue_id": ["H", "S"],
    ...     "lon": [114.0001, 114.0002], "lat": [27.6001, 27.6002]}))
    >>> cases = pd.DataFrame({"person_id": ["C"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-21"], utc=True)})
    >>> companions(spark, visits, venues, cases)[
    ...     ["case_id", "contact_id", "co_stay_minutes", "case_cell_hours"]]
      case_id contact_id  co_stay_minutes  case_cell_hours
    0       C          P             20.0             40.0
    """
    from pyspark.sql import functions as F

    r = as_rule(rule)
    if not (isinstance(bucket_minutes, int | np.integer) and bucket_minutes > 0):
        raise ValueError(msg("bucket_minutes: {bucket_minutes!r} must be a positive whole number "
                             "of minutes, e.g. 60", bucket_minutes=bucket_minutes))
    require(visits, (s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT), "visits")
    crs = grid_crs(venues)
    cells = venue_cells(venues, cell_m=r.companion_cell_m, origin=origin, crs=crs)
    base = visits.select(F.col(s.PERSON_ID).cast("string").alias(s.PERSON_ID),
                         F.col(s.VENUE_ID).cast("string").alias(s.VENUE_ID),
                         F.unix_micros(s.T_IN).alias(_IN), F.unix_micros(s.T_OUT).alias(_OUT))
    if as_of is not None:
        as_of_ns = timestamp_ns(as_of)
    else:
        last = base.agg(F.max(_OUT)).collect()[0][0]
        as_of_ns = 0 if last is None else int(last) * 1000
    ids, _, end, _, _ = window_arrays(cases, r.replace(end_at_isolation=True), as_of_ns)
    start = end - int(r.companion_lookback_days * NS_PER_DAY)
    windows = spark.createDataFrame(
        [(i, str(p), int(a) // 1000, int(b) // 1000)
         for i, (p, a, b) in enumerate(zip(ids, start, end, strict=True))],
        f"{_W} long, {s.CASE_ID} string, {_START} long, {_END} long")
    located = base.join(cells, s.VENUE_ID)
    # The cases' visits touching their window (closed, as VisitGraph.query_of), clipped.
    mine = (located.join(F.broadcast(windows), F.col(s.PERSON_ID) == F.col(s.CASE_ID))
            .filter((F.col(_IN) <= F.col(_END)) & (F.col(_OUT) >= F.col(_START)))
            .withColumn(_A, F.greatest(_IN, _START)).withColumn(_B, F.least(_OUT, _END)))
    mine = mine.cache()
    case_hours = (mine.groupBy(_W, CELL_X, CELL_Y)
                  .agg(F.sum(F.greatest(F.col(_B) - F.col(_A), F.lit(0))).alias("_ch")))
    bucket_us = bucket_minutes * US_PER_MIN
    pieces = _explode(mine.filter(F.col(_A) < F.col(_B))
                      .select(_W, s.CASE_ID, CELL_X, CELL_Y, _A, _B), _A, _B, bucket_us)
    # Only visits in the cases' cells matter; a zero-length visit overlaps nothing.
    case_cells = mine.select(CELL_X, CELL_Y).distinct()
    others = _explode(located.filter(F.col(_OUT) > F.col(_IN))
                      .join(F.broadcast(case_cells), [CELL_X, CELL_Y], "left_semi"),
                      _IN, _OUT, bucket_us)
    pairs = (pieces.join(others, [CELL_X, CELL_Y, _BUCKET])
             .filter((F.col(s.PERSON_ID) != F.col(s.CASE_ID))
                     & (F.col(_IN) < F.col(_B)) & (F.col(_OUT) > F.col(_A))
                     & (F.floor(F.greatest(_A, _IN) / bucket_us) == F.col(_BUCKET))))
    overlap = F.least(_B, _OUT) - F.greatest(_A, _IN)
    co = (pairs.groupBy(_W, s.PERSON_ID, CELL_X, CELL_Y).agg(F.sum(overlap).alias("_co"))
          .filter(F.col("_co") / US_PER_MIN > r.companion_min_minutes))
    # The contact's own hours in the cell within the case's window.
    theirs = (co.select(_W, s.PERSON_ID, CELL_X, CELL_Y)
              .join(F.broadcast(windows.select(_W, _START, _END)), _W)
              .join(located.select(s.PERSON_ID, CELL_X, CELL_Y, _IN, _OUT),
                    [s.PERSON_ID, CELL_X, CELL_Y])
              .filter((F.col(_IN) <= F.col(_END)) & (F.col(_OUT) >= F.col(_START)))
              .groupBy(_W, s.PERSON_ID, CELL_X, CELL_Y)
              .agg(F.sum(F.greatest(F.least(_OUT, _END) - F.greatest(_IN, _START), F.lit(0)))
                   .alias("_oh")))
    result = (co.join(case_hours, [_W, CELL_X, CELL_Y], "left")
              .join(theirs, [_W, s.PERSON_ID, CELL_X, CELL_Y], "left")
              .join(F.broadcast(windows.select(_W, s.CASE_ID)), _W)
              .select(_W, s.CASE_ID, F.col(s.PERSON_ID).alias(s.CONTACT_ID), CELL_X, CELL_Y,
                      "_co", F.coalesce("_ch", F.lit(0)).alias("_ch"),
                      F.coalesce("_oh", F.lit(0)).alias("_oh")))
    rows = collect(result, order=[s.CASE_ID, CELL_X, CELL_Y, s.CONTACT_ID])
    mine.unpersist()
    return _finish(rows, start, r, crs)


def _finish(rows: pd.DataFrame, start_ns: np.ndarray, r: Rule, crs: str) -> pd.DataFrame:
    """The output frame and ``why`` of tracelab.tracing.companion_grid.companions, from Spark's rows."""
    if not len(rows):
        return pd.DataFrame(columns=_COLUMNS)
    limit = r.companion_cumulative_hours
    ch = rows["_ch"].to_numpy(np.float64) / US_PER_HOUR
    oh = rows["_oh"].to_numpy(np.float64) / US_PER_HOUR
    keep = (ch > limit) | (oh > limit)
    out = pd.DataFrame({
        s.CASE_ID: rows[s.CASE_ID], s.CONTACT_ID: rows[s.CONTACT_ID],
        CELL_X: rows[CELL_X].to_numpy(np.int64), CELL_Y: rows[CELL_Y].to_numpy(np.int64),
        CO_STAY_MIN: rows["_co"].to_numpy(np.float64) / US_PER_MIN,
        CASE_CELL_HOURS: ch, CONTACT_CELL_HOURS: oh,
        s.RULE_ID: pd.array([r.rule_id] * len(rows), dtype="str"),
    })[keep].reset_index(drop=True)
    w = rows["_w"].to_numpy(np.int64)[keep]
    since: np.ndarray | list[str] = local_minutes(start_ns[w], s.DEFAULT_ZONE) if keep.any() else []
    out[s.WHY] = pd.array(why_sentences(out, r, since, crs), dtype="str")
    return out.sort_values([s.CASE_ID, CELL_X, CELL_Y, s.CONTACT_ID], ignore_index=True)
