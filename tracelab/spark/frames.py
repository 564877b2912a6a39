"""Moving frames between pandas and Spark without the session time zone getting a say.

Instants cross the boundary as int64 microseconds since the epoch (UTC), never as
timestamps: PySpark's own conversion reads naive times in ``spark.sql.session.timeZone``
and returns microsecond-unit naive times, so a session set to another zone would shift
every local day. Spark timestamps hold microseconds: nanoseconds below that are floored
on the way in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.model.schema import SchemaError

__all__ = ["to_spark", "collect", "local_micros", "local_day_string", "require", "US_PER_MIN",
           "US_PER_HOUR", "US_PER_DAY"]

US_PER_MIN = 60_000_000
US_PER_HOUR = 60 * US_PER_MIN
US_PER_DAY = 24 * US_PER_HOUR


def _spark_type(series: pd.Series) -> Any:
    from pyspark.sql import types as T

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return T.LongType()
    if pd.api.types.is_bool_dtype(dtype):
        return T.BooleanType()
    if pd.api.types.is_integer_dtype(dtype):
        return T.LongType()
    if pd.api.types.is_float_dtype(dtype):
        return T.DoubleType()
    if pd.api.types.is_datetime64_dtype(dtype):
        raise ValueError(msg("column {name!r} holds naive times; give tz-aware UTC times (load "
                             "with tracelab.io.read_dir)", name=series.name))
    return T.StringType()


def to_spark(spark: Any, frame: pd.DataFrame) -> Any:
    """A Spark DataFrame of a pandas frame, instants as Spark timestamps (UTC).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    frame : pandas.DataFrame
        Columns of str, object (text), bool, integer, float or tz-aware time dtype.

    Returns
    -------
    pyspark.sql.DataFrame
        Same columns; texts as strings, integers as longs, times as timestamps.

    Raises
    ------
    ValueError
        If a column holds naive times.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> spark = session("local[1]")
    >>> f = pd.DataFrame({"venue_id": ["V1"], "scanned_at": pd.to_datetime(["2022-11-18 02:00Z"])})
    >>> collect(to_spark(spark, f))["scanned_at"].iloc[0]
    Timestamp('2022-11-18 02:00:00+0000', tz='UTC')
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    fields, data, times = [], {}, []
    for name in frame.columns:
        col = frame[name]
        kind = _spark_type(col)
        fields.append(T.StructField(str(name), kind, True))
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            times.append(str(name))
            ns = col.dt.tz_convert("UTC").dt.as_unit("ns")
            us = ns.to_numpy("datetime64[ns]").view(np.int64) // 1000
            data[name] = pd.array(np.where(ns.isna().to_numpy(), None, us), dtype="Int64")
        elif isinstance(kind, T.StringType):
            data[name] = col.map(lambda v: v if isinstance(v, str) else None, na_action=None
                                 ).astype(object)
        else:
            data[name] = col
    schema = T.StructType(fields)
    sdf = spark.createDataFrame(pd.DataFrame(data, index=range(len(frame))), schema=schema)
    if times:
        sdf = sdf.withColumns({t: F.timestamp_micros(F.col(t)) for t in times})
    return sdf


def collect(sdf: Any, *, order: Sequence[str] | None = None) -> pd.DataFrame:
    """A (small) Spark DataFrame as pandas: timestamps tz-aware UTC in ns, texts as str.

    Parameters
    ----------
    sdf : pyspark.sql.DataFrame
    order : sequence of str, optional
        Sort by these columns in Spark first (rows of a Spark result have no order).

    Returns
    -------
    pandas.DataFrame
        Timestamps as ``datetime64[ns, UTC]``, strings as ``str``, longs as ``int64``
        (``Int64`` where a long column holds nulls), a fresh ``RangeIndex``.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> spark = session("local[1]")
    >>> collect(spark.range(3).withColumnRenamed("id", "n"), order=["n"])["n"].tolist()
    [0, 1, 2]
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if order:
        sdf = sdf.orderBy(*order)
    kinds = {f.name: f.dataType for f in sdf.schema.fields}
    times = [n for n, k in kinds.items() if isinstance(k, T.TimestampType)]
    if times:
        sdf = sdf.withColumns({t: F.unix_micros(F.col(t)) for t in times})
    out = sdf.toPandas()
    columns = {}
    for name, kind in kinds.items():
        col = out[name]
        if name in times:
            values = pd.array(col, dtype="Int64")
            ns = np.where(values.isna(), np.iinfo(np.int64).min,
                          values.to_numpy(np.int64, na_value=0) * 1000)
            columns[name] = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC")
        elif isinstance(kind, T.StringType):
            columns[name] = pd.array(col.to_numpy(object), dtype="str")
        elif isinstance(kind, T.LongType | T.IntegerType):
            columns[name] = (col.to_numpy(np.int64) if not col.isna().any()
                             else pd.array(col, dtype="Int64"))
        elif isinstance(kind, T.BooleanType) and not col.isna().any():
            columns[name] = col.to_numpy(bool)
        else:
            columns[name] = col.to_numpy()
    return pd.DataFrame(columns, index=pd.RangeIndex(len(out)))


def local_micros(column: Any, zone: str) -> Any:
    """Microseconds of the local wall clock in ``zone`` of a Spark timestamp column.

    ``from_utc_timestamp`` shifts the instant by the zone's offset at that instant;
    reading it back as a number keeps the session zone out of it. Local day
    ``floor(x / 86400e6)`` and hour follow by integer arithmetic.
    """
    from pyspark.sql import functions as F

    return F.unix_micros(F.from_utc_timestamp(column, zone))


def local_day_string(column: Any, zone: str) -> Any:
    """``YYYY-MM-DD`` local date in ``zone`` of a Spark timestamp column."""
    from pyspark.sql import functions as F

    days = F.floor(local_micros(column, zone) / US_PER_DAY).cast("int")
    return F.date_format(F.date_from_unix_date(days), "yyyy-MM-dd")


def require(sdf: Any, columns: Iterable[str], what: str) -> None:
    """Raise one SchemaError naming every missing column."""
    require_columns(sdf, columns, what, error=SchemaError)
