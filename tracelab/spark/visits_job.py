"""Scans to presence intervals as a Spark job: :func:`tracelab.index.presence.visits` at scale.

The rules are those of :func:`tracelab.index.presence.visits` (DESIGN §3): a recorded exit,
never cut; else the dwell assumption (``estimated_dwell``, ``scan_only``, ``same_day`` or
``whole_day``), cut by the person's next later scan (never under ``whole_day``); then
``max_stay_hours`` caps it. The next later scan is a range window over the person's entry
times (a person has thousands of scans at most, so no task gets a hot key; scans at one
instant share it), and ``visit_id`` numbers the globally sorted rows with
``RDD.zipWithIndex``: a range-partitioned sort plus per-partition offsets, where a
window without ``partitionBy`` would pull the whole log into one task.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.index.presence import type_table
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule
from tracelab.spark.frames import US_PER_DAY, US_PER_MIN, collect, local_micros, require

__all__ = ["visits", "visits_to_pandas", "write_visits"]

_US = "_t_in_us"
_EXIT_US = "_exit_us"
_END = "_end_us"
_START = "_start_us"
_IN = "_in_us"
_NEXT = "_next_us"
_DWELL = "_dwell_minutes"
_DAY = "_local_day"
_OUT_COLUMNS = [*s.VISIT_COLUMNS, s.RESIDENCE]


def _types(spark: Any, venue_types: pd.DataFrame | None,
           dwell_minutes: Mapping[str, float] | None) -> Any:
    types = type_table(venue_types)
    code = types[s.TYPE_CODE].astype(str)
    dwell = types[s.DWELL_MIN].to_numpy(np.float64)
    if dwell_minutes:
        custom = code.map(dict(dwell_minutes)).to_numpy(np.float64)
        dwell = np.where(np.isnan(custom), dwell, custom)
    rows = list(zip(code.tolist(), dwell.tolist(),
                    types[s.RESIDENCE].to_numpy(bool).tolist(), strict=True))
    return spark.createDataFrame(
        rows, f"{s.VENUE_TYPE} string, {_DWELL} double, {s.RESIDENCE} boolean")


def _venue_info(spark: Any, venues: Any, types: Any) -> Any:
    from pyspark.sql import functions as F

    require(venues, (s.VENUE_ID, s.VENUE_TYPE), "venues")
    table = venues.select(s.VENUE_ID, F.col(s.VENUE_TYPE).cast("string").alias(s.VENUE_TYPE)
                          ).dropDuplicates([s.VENUE_ID])
    unknown = [r[0] for r in table.select(s.VENUE_TYPE).distinct()
               .join(types, s.VENUE_TYPE, "left_anti").orderBy(s.VENUE_TYPE).limit(5).collect()]
    if unknown:
        allowed = [r[0] for r in types.select(s.VENUE_TYPE).collect()]
        raise ValueError(msg("venues: venue_type {unknown} not in the venue-type table; allowed: "
                             "{names}", unknown=unknown, names=", ".join(allowed)))
    return table.join(F.broadcast(types), s.VENUE_TYPE, "inner")


def _check_scans(base: Any, info: Any) -> None:
    """Unknown venues and exits before entries, counted in one pass over the scans."""
    from pyspark.sql import functions as F

    known = info.select(s.VENUE_ID, F.lit(True).alias("_known"))
    unknown = F.col("_known").isNull()
    row = base.select(s.VENUE_ID, _US, _EXIT_US).join(F.broadcast(known), s.VENUE_ID, "left").agg(
        F.count_distinct(F.when(unknown, F.col(s.VENUE_ID))).alias("n"),
        F.slice(F.array_sort(F.collect_set(F.when(unknown, F.col(s.VENUE_ID)))), 1, 3)
        .alias("ids"),
        F.count(F.when(F.col(_EXIT_US) < F.col(_US), 1)).alias("bad"),
    ).collect()[0]
    if row["n"]:
        raise ValueError(
            msg("scans: {n} venue_id(s) not in venues, e.g. {examples}; load with "
                "tracelab.io.read_dir, which rejects unknown venues", n=row["n"],
                examples=list(row["ids"])))
    if row["bad"]:
        raise ValueError(msg("scans: {n} exit_at before scanned_at (reason exit_before_entry); "
                             "reject them on load", n=row["bad"]))


def _midnights(spark: Any, days: list[int], zone: str) -> Any:
    """Each local day's first midnight and the next one (UTC micros), by pandas' own rules.

    Computed on the driver for the few distinct days, so DST gaps and repeats resolve
    exactly as :func:`tracelab.index.presence.visits` resolves them (``shift_forward``; an
    ambiguous midnight gives none).
    """
    def utc(offset: int) -> list[int | None]:
        local = pd.to_datetime(np.asarray(days, dtype=np.int64), unit="D") + pd.Timedelta(
            days=offset)
        out = pd.DatetimeIndex(local).tz_localize(zone, ambiguous="NaT",
                                                  nonexistent="shift_forward").tz_convert("UTC")
        return [None if pd.isna(t) else int(t.value) // 1000 for t in out]

    return spark.createDataFrame(list(zip(days, utc(0), utc(1), strict=True)),
                                 f"{_DAY} int, {_START} long, {_END} long")


def visits(
    spark: Any,
    scans: Any,
    venues: Any,
    rule: str | Rule = "twenty",
    *,
    venue_types: pd.DataFrame | None = None,
    dwell_minutes: Mapping[str, float] | None = None,
) -> Any:
    """Turn scans into presence intervals ``[t_in, t_out)``, in Spark.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    scans : pyspark.sql.DataFrame
        ``person_id, venue_id, scanned_at`` (timestamps); ``exit_at``, ``merged_scans``,
        ``code_color``, ``method`` when present. Other columns (e.g. the layout's ``day``)
        are ignored.
    venues : pyspark.sql.DataFrame
        At least ``venue_id`` and ``venue_type``.
    rule : str or Rule
        Supplies ``dwell``, ``scan_instant_minutes``, ``max_stay_hours``, ``day_zone``.
    venue_types : pandas.DataFrame, optional
        Venue-type table; default :func:`tracelab.model.reference.venue_types`.
    dwell_minutes : mapping, optional
        Dwell per venue-type code overriding the table.

    Returns
    -------
    pyspark.sql.DataFrame
        ``schema.VISIT_COLUMNS`` plus ``residence``; :func:`visits_to_pandas` turns it
        into the frame :func:`tracelab.index.presence.visits` returns for the same scans.

    Raises
    ------
    ValueError
        If a column is missing, a scan names a venue not in `venues`, a venue type is not
        in the table, or an exit precedes its entry.

    Notes
    -----
    Times are microseconds (Spark's unit): a dwell override that is not a whole number
    of microseconds ends up to 1 µs earlier than in pandas. Rows tied on person, entry,
    venue and exit are ordered by colour, method and merged count here, by input order
    in pandas; they differ only when such duplicates differ in those columns.
    Scans of one person are ordered in one task (window by person): no person has
    enough scans for that to matter, unlike a venue.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:10"], utc=True)
    >>> scans = to_spark(spark, pd.DataFrame({"person_id": ["P1", "P1"],
    ...     "venue_id": ["V1", "V2"], "scanned_at": t}))
    >>> venues = to_spark(spark, pd.DataFrame({"venue_id": ["V1", "V2"],
    ...                   "venue_type": ["supermarket", "pharmacy"]}))
    >>> visits_to_pandas(visits(spark, scans, venues))[["venue_id", "t_out", "t_out_source"]]
      venue_id                     t_out t_out_source
    0       V1 2022-11-20 02:10:00+00:00    next_scan
    1       V2 2022-11-20 02:20:00+00:00  dwell_model
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    r = as_rule(rule)
    require(scans, (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT), "scans")
    info = _venue_info(spark, venues, _types(spark, venue_types, dwell_minutes))
    has = set(scans.columns)
    null = F.lit(None)
    base = scans.select(
        F.col(s.PERSON_ID).cast("string").alias(s.PERSON_ID),
        F.col(s.VENUE_ID).cast("string").alias(s.VENUE_ID),
        F.unix_micros(s.SCANNED_AT).alias(_US),
        (F.unix_micros(s.EXIT_AT) if s.EXIT_AT in has else null.cast("long")).alias(_EXIT_US),
        (F.col(s.MERGED_SCANS).cast("long") if s.MERGED_SCANS in has
         else F.lit(1).cast("long")).alias(s.MERGED_SCANS),
        (F.col(s.CODE_COLOUR) if s.CODE_COLOUR in has else null).cast("string")
        .alias(s.CODE_COLOUR),
        (F.col(s.METHOD) if s.METHOD in has else null).cast("string").alias(s.METHOD),
    )
    _check_scans(base, info)
    base = base.join(F.broadcast(info.select(s.VENUE_ID, _DWELL, s.RESIDENCE)), s.VENUE_ID)
    if r.dwell == "estimated_dwell":
        # double -> long truncates toward zero, as numpy's astype(int64) does.
        end = F.col(_US) + (F.col(_DWELL) * US_PER_MIN).cast("long")
        source = F.lit(s.DWELL_MODEL)
    elif r.dwell == "scan_only":
        end = F.col(_US) + F.lit(int(round(r.scan_instant_minutes * US_PER_MIN)))
        source = F.lit(s.DWELL_MODEL)
    else:
        day = F.floor(local_micros(F.timestamp_micros(F.col(_US)), r.day_zone)
                      / US_PER_DAY).cast("int")
        base = base.withColumn(_DAY, day)
        days = sorted(row[0] for row in base.select(_DAY).distinct().collect())
        base = base.join(F.broadcast(_midnights(spark, days, r.day_zone)), _DAY)
        end, source = F.col(_END), F.lit(s.DAY_END)
    has_exit = F.col(_EXIT_US).isNotNull()
    start = (F.when(has_exit, F.col(_US)).otherwise(F.col(_START)) if r.dwell == "whole_day"
             else F.col(_US))
    end = F.when(has_exit, F.col(_EXIT_US)).otherwise(end)
    source = F.when(has_exit, F.lit(s.EXIT_SCAN)).otherwise(source)
    # The next strictly later entry: scans at one instant never cut each other.
    later = (Window.partitionBy(s.PERSON_ID).orderBy(_US)
             .rangeBetween(1, Window.unboundedFollowing))
    nxt = F.min(_US).over(later)
    if r.cut_end == "next_slot" and r.rounding_minutes:
        step = int(r.rounding_minutes) * US_PER_MIN  # NHS roundUp: 15:15 -> 15:30
        nxt = nxt - F.pmod(nxt, F.lit(step)) + F.lit(step)
    cut = nxt.isNotNull() & (nxt < end) & ~has_exit & F.lit(r.dwell != "whole_day")
    cap = F.col(_IN) + F.lit(int(round(r.max_stay_hours * 60)) * US_PER_MIN)
    staged = base.select(
        "*", start.alias(_IN), F.when(cut, nxt).otherwise(end).alias("_e"),
        F.when(cut, F.lit(s.NEXT_SCAN)).otherwise(source).alias(s.T_OUT_SOURCE))
    staged = staged.withColumn("_e", F.least(F.col("_e"), cap))
    keys = [F.col(s.PERSON_ID), F.col(_IN), F.col(s.VENUE_ID), F.col(_US),
            F.col(_EXIT_US).asc_nulls_first()]
    ties = [F.col(s.CODE_COLOUR).asc_nulls_first(), F.col(s.METHOD).asc_nulls_first(),
            F.col(s.MERGED_SCANS)]
    ordered = staged.orderBy(*keys, *ties).select(
        s.PERSON_ID, s.VENUE_ID, F.timestamp_micros(_IN).alias(s.T_IN),
        F.timestamp_micros("_e").alias(s.T_OUT), s.T_OUT_SOURCE, s.MERGED_SCANS,
        s.CODE_COLOUR, s.METHOD, s.RESIDENCE)
    return _number(spark, ordered)


def _number(spark: Any, ordered: Any) -> Any:
    """Prepend ``visit_id``: the row's position in the sorted frame.

    All in the JVM: ``monotonically_increasing_id`` holds the partition in its upper bits
    and the row within the partition in its lower 33; the per-partition counts (one small
    row per partition of the range-partitioned sort) give each partition's offset. No task
    sees the whole log, and no row passes through a Python worker.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    mid = F.monotonically_increasing_id()
    tagged = ordered.withColumn("_mid", mid).withColumn("_part", F.shiftright("_mid", 33))
    counts = tagged.groupBy("_part").agg(F.count(F.lit(1)).alias("_n"))
    offsets = counts.withColumn(
        "_offset", F.sum("_n").over(Window.orderBy("_part").rowsBetween(
            Window.unboundedPreceding, -1))).fillna(0, subset=["_offset"])
    local = F.col("_mid").bitwiseAND(F.lit((1 << 33) - 1))
    numbered = tagged.join(F.broadcast(offsets.select("_part", "_offset")), "_part")
    return numbered.withColumn(s.VISIT_ID, (F.col("_offset") + local).cast("long")).select(
        *_OUT_COLUMNS)


def visits_to_pandas(visits_sdf: Any) -> pd.DataFrame:
    """The Spark visits as the pandas frame :func:`tracelab.index.presence.visits` returns.

    Sorted by ``visit_id``; ``code_color`` and ``method`` are ``str`` where they hold
    text and ``object`` (all missing) where the scans had no such column, as in pandas.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> spark = session("local[1]")
    >>> visits_to_pandas(spark.createDataFrame([], "visit_id long, person_id string, "
    ...     "venue_id string, t_in timestamp, t_out timestamp, t_out_source string, "
    ...     "merged_scans long, code_color string, method string, residence boolean")).shape
    (0, 10)
    """
    out = collect(visits_sdf.select(*_OUT_COLUMNS), order=[s.VISIT_ID])
    fixes: dict[str, Any] = {
        s.MERGED_SCANS: out[s.MERGED_SCANS].to_numpy(np.int64),
        s.RESIDENCE: out[s.RESIDENCE].to_numpy(bool),
    }
    for name in (s.CODE_COLOUR, s.METHOD):
        if len(out) and out[name].isna().all():
            fixes[name] = np.full(len(out), None, dtype=object)
    return out.assign(**fixes)


def write_visits(visits_sdf: Any, folder: str | Path, dwell: str, *,
                 zone: str = s.DEFAULT_ZONE, mode: str = "overwrite") -> Path:
    """Write Spark visits into a layout folder, partitioned by the local day of ``t_in``.

    The files land where :func:`tracelab.io.layout.visits_path` says for `dwell`, one
    ``day=YYYY-MM-DD`` folder per local day in `zone`, as the pandas writer lays them out.

    Returns
    -------
    pathlib.Path
        The dataset folder.

    Examples
    --------
    >>> import tempfile
    >>> from tracelab.spark.sessions import session
    >>> spark = session("local[1]")
    >>> v = spark.sql("select 1L as visit_id, timestamp'2022-11-18 17:00:00' as t_in")
    >>> out = write_visits(v, tempfile.mkdtemp(), "estimated_dwell")
    >>> sorted(p.name for p in out.iterdir() if p.name.startswith("day="))
    ['day=2022-11-19']
    """
    from tracelab.io.layout import DAY, visits_path
    from tracelab.spark.frames import local_day_string

    path = visits_path(folder, dwell)
    (visits_sdf.withColumn(DAY, local_day_string(visits_sdf[s.T_IN], zone))
     .write.mode(mode).partitionBy(DAY).parquet(str(path)))
    return path
