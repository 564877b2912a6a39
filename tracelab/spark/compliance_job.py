"""Compliance lists of :mod:`tracelab.governance.compliance` with the per-scan work done in Spark.

Each job reduces the whole log in Spark to a small frame on which the pandas function of
:mod:`tracelab.governance.compliance` gives the same list, so ranking, scores and ``why`` sentences
are that module's, not a copy:

- counts become rows whose ``merged_scans`` carries the summed weight (the pandas code
  weights every scan by ``merged_scans``), one per venue, venue and colour, or venue and
  local hour;
- person-level lists (bursts, far scans) keep only the candidate scans, and the pandas
  function re-derives the list from them.

Results equal the pandas functions on the same scans (tests compare them), up to the
order of rows whose score ties exactly in single-key sorts (far scans at the same
distance). Distances for the geofence are computed in Spark with the same haversine
formula; a scan within floating-point rounding (1e-9 m) of the fence may fall either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.governance import compliance as c
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.spark.frames import collect, local_micros, require

__all__ = [
    "silent_venues",
    "low_volume_venues",
    "group_bursts",
    "abnormal_admissions",
    "far_scans",
    "shared_applicant_phones",
    "unregistered_venues",
]

_EARTH_M = 6_371_008.8
_HOUR = "_hour"
_PHONE = "_phone"


def _weight(scans: Any) -> Any:
    from pyspark.sql import functions as F

    if s.MERGED_SCANS in scans.columns:
        return F.coalesce(F.col(s.MERGED_SCANS).cast("long"), F.lit(1).cast("long"))
    return F.lit(1).cast("long")


def _metres(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Haversine metres, the formula of :func:`tracelab.governance.compliance.far_scans`, in Spark."""
    from pyspark.sql import functions as F

    p1, p2 = F.radians(lat1), F.radians(lat2)
    a = (F.pow(F.sin((p2 - p1) / 2), 2)
         + F.cos(p1) * F.cos(p2) * F.pow(F.sin(F.radians(lon2 - lon1) / 2), 2))
    a = F.least(F.greatest(a, F.lit(0.0)), F.lit(1.0))
    return 2 * _EARTH_M * F.asin(F.sqrt(a))


def _time_bounds(scans: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    from pyspark.sql import functions as F

    row = scans.agg(F.min(F.unix_micros(s.SCANNED_AT)), F.max(F.unix_micros(s.SCANNED_AT))
                    ).collect()[0]
    return (pd.Timestamp(row[0] * 1000, tz="UTC"), pd.Timestamp(row[1] * 1000, tz="UTC"))


def _pseudo(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.astype({s.MERGED_SCANS: "int64"})


def silent_venues(scans: Any, venues: Any, *, now: pd.Timestamp | str | None = None,
                  min_expected: float = 10.0, min_history_days: float = 1.0,
                  geofence_m: float = c.GEOFENCE_M, zone: str = s.DEFAULT_ZONE) -> pd.DataFrame:
    """:func:`tracelab.governance.compliance.silent_venues` on Spark frames.

    Spark drops forwarded-code scans (geofence), then reduces the log to one row per venue
    and local hour (summed weight, last scan in that hour); the pandas function finishes.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> t0 = pd.Timestamp("2022-11-18T00:00Z")
    >>> scans = pd.DataFrame({"venue_id": ["V1"] * 40 + ["V2"] * 40,
    ...     "scanned_at": [t0 + pd.Timedelta(hours=2 * i) for i in range(40)]
    ...                   + [t0 + pd.Timedelta(hours=i) for i in range(40)]})
    >>> out = silent_venues(to_spark(spark, scans),
    ...                     to_spark(spark, pd.DataFrame({"venue_id": ["V1", "V2"]})))
    >>> out["venue_id"].tolist(), round(float(out["expected"].iloc[0]), 1)
    (['V2'], 38.2)
    """
    from pyspark.sql import functions as F

    require(scans, (s.VENUE_ID, s.SCANNED_AT), "scans")
    require(venues, (s.VENUE_ID,), "venues")
    start, last = _time_bounds(scans)
    known = scans.join(venues.select(s.VENUE_ID).distinct(), s.VENUE_ID, "left_semi")
    if ({s.DEVICE_LON, s.DEVICE_LAT} <= set(scans.columns)
            and {s.LON, s.LAT} <= set(venues.columns)):
        # A scan of a forwarded code image is no entry: it must not hide a silent code.
        positions = venues.select(s.VENUE_ID, F.col(s.LON).alias("_vlon"),
                                  F.col(s.LAT).alias("_vlat")).dropDuplicates([s.VENUE_ID])
        known = known.join(positions, s.VENUE_ID, "left")
        dist = _metres(F.col(s.DEVICE_LON), F.col(s.DEVICE_LAT), F.col("_vlon"), F.col("_vlat"))
        known = known.filter(dist.isNull() | F.isnan(dist) | (dist <= geofence_m))
    hour = F.floor(F.pmod(local_micros(F.col(s.SCANNED_AT), zone), 86_400_000_000)
                   / 3_600_000_000)
    per_hour = (known.withColumn(_HOUR, hour).withColumn("_w", _weight(known))
                .groupBy(s.VENUE_ID, _HOUR)
                .agg(F.max(s.SCANNED_AT).alias(s.SCANNED_AT), F.sum("_w").alias(s.MERGED_SCANS)))
    rows = collect(per_hour.select(s.VENUE_ID, s.SCANNED_AT, s.MERGED_SCANS))
    # Rows of no registered venue carry the log's first and last scan: the pandas function
    # takes the observed period from every scan, not only the kept ones.
    bounds = pd.DataFrame({s.VENUE_ID: pd.array([None, None], dtype=object),
                           s.SCANNED_AT: pd.DatetimeIndex([start, last]),
                           s.MERGED_SCANS: [1, 1]})
    pseudo = pd.concat([rows.astype({s.VENUE_ID: object}), bounds], ignore_index=True)
    registry = collect(venues.select(s.VENUE_ID))
    return c.silent_venues(_pseudo(pseudo), registry, now=now, min_expected=min_expected,
                           min_history_days=min_history_days, zone=zone)


def low_volume_venues(scans: Any, venues: Any, *, now: pd.Timestamp | str | None = None,
                      max_ratio: float = 0.35, min_type_venues: int = 3,
                      alpha: float = 1e-3) -> pd.DataFrame:
    """:func:`tracelab.governance.compliance.low_volume_venues` on Spark frames.

    Spark counts each venue's weighted scans and first scan; the pandas function finishes.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> t0 = pd.Timestamp("2022-11-18T00:00Z")
    >>> counts = {"A": 100, "B": 90, "C": 110, "D": 10}
    >>> scans = pd.DataFrame({"venue_id": [v for v, n in counts.items() for _ in range(n)],
    ...     "scanned_at": [t0 + pd.Timedelta(minutes=37 * i) for n in counts.values()
    ...                    for i in range(n)]})
    >>> venues = pd.DataFrame({"venue_id": list(counts), "venue_type": ["shop"] * 4})
    >>> low_volume_venues(to_spark(spark, scans), to_spark(spark, venues))[
    ...     ["venue_id", "observed", "expected"]].values.tolist()
    [['D', 10, 95.0]]
    """
    from pyspark.sql import functions as F

    require(scans, (s.VENUE_ID, s.SCANNED_AT), "scans")
    require(venues, (s.VENUE_ID, s.VENUE_TYPE), "venues")
    per_venue = (scans.withColumn("_w", _weight(scans)).groupBy(s.VENUE_ID)
                 .agg(F.min(s.SCANNED_AT).alias(s.SCANNED_AT), F.sum("_w").alias(s.MERGED_SCANS)))
    pseudo = collect(per_venue)
    end = now if now is not None else _time_bounds(scans)[1]
    registry = collect(venues.select(s.VENUE_ID, s.VENUE_TYPE))
    return c.low_volume_venues(_pseudo(pseudo), registry, now=end, max_ratio=max_ratio,
                               min_type_venues=min_type_venues, alpha=alpha)


def group_bursts(scans: Any, *, within: str | pd.Timedelta = "60s",
                 min_scans: int = 2) -> pd.DataFrame:
    """:func:`tracelab.governance.compliance.group_bursts` on a Spark frame. Person-level.

    Spark chains each person's scans of a venue (window by person and venue) and keeps the
    scans of bursts of `min_scans` or more; bursts are separated by gaps over `within`,
    so the pandas function finds the same bursts in those scans alone.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> t0 = pd.Timestamp("2022-11-18T02:00Z")
    >>> scans = pd.DataFrame({"person_id": ["p1", "p1", "p1", "p2", "p2"],
    ...     "venue_id": ["V1"] * 5,
    ...     "scanned_at": [t0, t0 + pd.Timedelta(seconds=9), t0 + pd.Timedelta(seconds=20),
    ...                    t0, t0 + pd.Timedelta(hours=3)]})
    >>> group_bursts(to_spark(spark, scans))[["person_id", "burst_scans"]].values.tolist()
    [['p1', 3]]
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    require(scans, (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT), "scans")
    gap_us = int(pd.Timedelta(within).value // 1000)
    chain = Window.partitionBy(s.PERSON_ID, s.VENUE_ID).orderBy(F.unix_micros(s.SCANNED_AT))
    t = F.unix_micros(s.SCANNED_AT)
    prev = F.lag(t).over(chain)
    opens = F.when(prev.isNull() | (t - prev > gap_us), 1).otherwise(0)
    marked = scans.select(s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, _weight(scans).alias("_w"),
                          opens.alias("_open"))
    marked = marked.withColumn("_burst", F.sum("_open").over(
        chain.rowsBetween(Window.unboundedPreceding, Window.currentRow)))
    burst = Window.partitionBy(s.PERSON_ID, s.VENUE_ID, "_burst")
    kept = (marked.withColumn("_n", F.sum("_w").over(burst)).filter(F.col("_n") >= min_scans)
            .select(s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, F.col("_w").alias(s.MERGED_SCANS)))
    rows = collect(kept, order=[s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT])
    return c.group_bursts(_pseudo(rows), within=within, min_scans=min_scans)


def abnormal_admissions(scans: Any) -> pd.DataFrame:
    """:func:`tracelab.governance.compliance.abnormal_admissions` on a Spark frame.

    Spark sums the weight of yellow and red entries per venue; the pandas function ranks.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> scans = pd.DataFrame({"venue_id": ["V1", "V1", "V2", "V2"],
    ...                       "code_color": ["red", "green", "yellow", "green"]})
    >>> abnormal_admissions(to_spark(spark, scans))[["venue_id", "red", "yellow"]].values.tolist()
    [['V1', 1, 0], ['V2', 0, 1]]
    """
    from pyspark.sql import functions as F

    require(scans, (s.VENUE_ID, s.CODE_COLOUR), "scans")
    per = (scans.filter(F.col(s.CODE_COLOUR).isin(s.YELLOW, s.RED))
           .withColumn("_w", _weight(scans)).groupBy(s.VENUE_ID, s.CODE_COLOUR)
           .agg(F.sum("_w").alias(s.MERGED_SCANS)))
    rows = collect(per, order=[s.VENUE_ID, s.CODE_COLOUR])
    if not len(rows):
        rows = pd.DataFrame({s.VENUE_ID: pd.array([], dtype="str"),
                             s.CODE_COLOUR: pd.array([], dtype="str"),
                             s.MERGED_SCANS: np.zeros(0, np.int64)})
    return c.abnormal_admissions(_pseudo(rows))


def far_scans(scans: Any, venues: Any, *, geofence_m: float = c.GEOFENCE_M) -> pd.DataFrame:
    """:func:`tracelab.governance.compliance.far_scans` on Spark frames. Person-level.

    Spark keeps the scans beyond (a hair inside) the fence; the pandas function measures
    them again and lists those beyond it, so the fence is applied by one formula.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "lon": [114.03], "lat": [27.63]})
    >>> scans = pd.DataFrame({"person_id": ["p1", "p2"], "venue_id": ["V1", "V1"],
    ...     "scanned_at": pd.to_datetime(["2022-11-18T02:00Z"] * 2),
    ...     "device_lon": [114.0301, 114.23], "device_lat": [27.6301, 27.63]})
    >>> far_scans(to_spark(spark, scans), to_spark(spark, venues))["person_id"].tolist()
    ['p2']
    """
    from pyspark.sql import functions as F

    cols = (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, s.DEVICE_LON, s.DEVICE_LAT)
    require(scans, cols, "scans")
    require(venues, (s.VENUE_ID, s.LON, s.LAT), "venues")
    positions = venues.select(s.VENUE_ID, F.col(s.LON).alias("_vlon"), F.col(s.LAT).alias("_vlat"))
    joined = scans.select(*cols).join(positions, s.VENUE_ID, "inner")
    dist = _metres(F.col(s.DEVICE_LON), F.col(s.DEVICE_LAT), F.col("_vlon"), F.col("_vlat"))
    near_fence = geofence_m * (1 - 1e-9)  # let the pandas formula decide at the fence
    far = joined.filter(dist > near_fence).select(*cols)
    rows = collect(far, order=[s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT])
    where = collect(venues.select(s.VENUE_ID, s.LON, s.LAT)
                    .join(far.select(s.VENUE_ID).distinct(), s.VENUE_ID, "left_semi"))
    if not len(rows):
        rows = pd.DataFrame({s.PERSON_ID: pd.array([], dtype="str"),
                             s.VENUE_ID: pd.array([], dtype="str"),
                             s.SCANNED_AT: pd.DatetimeIndex([], tz="UTC"),
                             s.DEVICE_LON: np.zeros(0), s.DEVICE_LAT: np.zeros(0)})
        where = pd.DataFrame({s.VENUE_ID: pd.array([], dtype="str"), s.LON: np.zeros(0),
                              s.LAT: np.zeros(0)})
    return c.far_scans(rows, where, geofence_m=geofence_m)


def _normalise_phones(batches: Any) -> Any:
    for batch in batches:
        phone = batch[s.APPLICANT_PHONE].map(
            lambda v: ids.normalise_mobile(v) if ids.is_mobile(v) else ids._as_text(v))
        yield pd.DataFrame({s.VENUE_ID: batch[s.VENUE_ID].astype(object),
                            s.APPLICANT_PHONE: batch[s.APPLICANT_PHONE].astype(object),
                            _PHONE: phone.astype(object)})


def shared_applicant_phones(venues: Any) -> pd.DataFrame:
    """:func:`tracelab.governance.compliance.shared_applicant_phones` on a Spark registry.

    Spark normalises the phones (with :mod:`tracelab.model.ids`, in pandas UDFs) and keeps the
    registrations of phones holding several codes; the pandas function masks and ranks.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2", "V3"],
    ...     "applicant_phone": ["13123456789", "+86 131 2345 6789", "13912345678"]})
    >>> shared_applicant_phones(to_spark(spark, venues))[
    ...     ["applicant_phone_masked", "venue_ids"]].values.tolist()
    [['131*****789', 'V1, V2']]
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    require(venues, (s.VENUE_ID, s.APPLICANT_PHONE), "venues")
    table = venues.select(F.col(s.VENUE_ID).cast("string").alias(s.VENUE_ID),
                          F.col(s.APPLICANT_PHONE).cast("string").alias(s.APPLICANT_PHONE))
    normal = table.mapInPandas(_normalise_phones, f"{s.VENUE_ID} string, "
                               f"{s.APPLICANT_PHONE} string, {_PHONE} string")
    normal = normal.filter(F.col(_PHONE).isNotNull() & (F.col(_PHONE) != ""))
    holders = Window.partitionBy(_PHONE)
    shared = (normal.withColumn("_n", F.size(F.collect_set(s.VENUE_ID).over(holders)))
              .filter(F.col("_n") > 1).select(s.VENUE_ID, s.APPLICANT_PHONE))
    rows = collect(shared, order=[s.VENUE_ID, s.APPLICANT_PHONE])
    if not len(rows):
        rows = pd.DataFrame({s.VENUE_ID: pd.array([], dtype="str"),
                             s.APPLICANT_PHONE: pd.array([], dtype="str")})
    return c.shared_applicant_phones(rows)


def unregistered_venues(scans: Any | None, venues: Any | None = None,
                        rejections: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`tracelab.governance.compliance.unregistered_venues` on Spark frames.

    Spark counts the scans naming each unregistered venue id; `rejections` (a loader's
    table, small) is passed through as pandas.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> scans = to_spark(spark, pd.DataFrame({"venue_id": ["V1", "X9", "X9"]}))
    >>> unregistered_venues(scans, to_spark(spark, pd.DataFrame({"venue_id": ["V1"]})))[
    ...     ["venue_id", "observed"]].values.tolist()
    [['X9', 2]]
    """
    from pyspark.sql import functions as F

    if scans is None:
        return c.unregistered_venues(None, None, rejections)
    if venues is None:
        raise ValueError(msg("venues: needed with scans, to know which venues are registered"))
    require(scans, (s.VENUE_ID,), "scans")
    counts = collect(scans.filter(F.col(s.VENUE_ID).isNotNull())
                     .join(venues.select(s.VENUE_ID), s.VENUE_ID, "left_anti")
                     .groupBy(s.VENUE_ID).count(), order=[s.VENUE_ID])
    # The pandas function counts rows; one row per scan of an unregistered id is as many
    # rows as the rejection table of the loader would hold for them.
    named = pd.DataFrame({s.VENUE_ID: pd.array(
        np.repeat(counts[s.VENUE_ID].to_numpy(object), counts["count"].to_numpy(np.int64)),
        dtype="str")})
    registry = pd.DataFrame({s.VENUE_ID: pd.array([], dtype="str")})
    return c.unregistered_venues(named, registry, rejections)
