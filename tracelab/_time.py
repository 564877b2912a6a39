"""Instants as int64 nanoseconds: the constants and the one conversion each way.

The engines compute on int64 nanoseconds since the epoch, UTC. Every conversion follows
one rule for naive times: they are refused, never assumed to be UTC or local (an instant
without its zone shifts every Asia/Shanghai day by eight hours). ``NaT`` becomes
:data:`NAT`, pandas' own int64 value for it, and comes back as ``NaT``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg

__all__ = [
    "NAT", "NS_PER_DAY", "NS_PER_HOUR", "NS_PER_MIN", "NS_PER_S", "from_ns",
    "local_minutes", "now_utc", "timestamp_ns", "timestamp_from_ns", "to_ns",
]

NS_PER_S = 1_000_000_000
NS_PER_MIN = 60 * NS_PER_S
NS_PER_HOUR = 60 * NS_PER_MIN
NS_PER_DAY = 24 * NS_PER_HOUR
#: pandas' NaT as int64 (the smallest int64).
NAT = int(np.iinfo(np.int64).min)

_I64_MAX = int(np.iinfo(np.int64).max)
_PER_UNIT = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
_UTC = pd.DatetimeTZDtype("ns", "UTC")
_BULK = 20_000  # above this many values an array beats an index to build


def to_ns(series: pd.Series, table: str = "cases") -> np.ndarray:
    """Tz-aware times -> int64 ns UTC, ``NaT`` -> :data:`NAT`; an all-missing column -> NAT.

    Parameters
    ----------
    series : pandas.Series
        Tz-aware times in any unit and zone.
    table : str
        Name of the table the column belongs to, for the error message.

    Returns
    -------
    numpy.ndarray
        int64 nanoseconds since the epoch.

    Raises
    ------
    ValueError
        If the column holds naive times or no times at all.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2022-11-20 08:00", None], utc=True), name="onset_at")
    >>> to_ns(t).tolist() == [1668931200 * NS_PER_S, NAT]
    True
    >>> to_ns(pd.Series(["2022-11-20"], name="onset_at"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: cases column 'onset_at' has dtype ...; expected tz-aware UTC times (load ...)
    """
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        # Stored values are UTC whatever the zone; read them in their own unit, then scale.
        raw = np.asarray(series.array, dtype=f"datetime64[{dtype.unit}]").view(np.int64)
        scale = _PER_UNIT[dtype.unit]
        if scale == 1:
            return raw
        limit = _I64_MAX // scale
        fits = (raw <= limit) & (raw >= -limit)  # NaT (int64 min) does not fit either
        if not fits.all() and (raw[~fits] != NAT).any():
            series.array.as_unit("ns")  # raises OutOfBoundsDatetime naming the value
        return np.where(fits, raw * scale, NAT)
    if series.isna().all():
        return np.full(len(series), NAT, dtype=np.int64)
    raise ValueError(msg("{table} column {name!r} has dtype {dtype}; expected tz-aware UTC times "
                         "(load {table} with tracelab.read_{table})", table=table,
                         name=series.name, dtype=dtype))


def timestamp_ns(value: Any, name: str = "as_of") -> int:
    """One tz-aware instant -> int64 ns UTC.

    Raises
    ------
    ValueError
        If the instant is naive; the message names ``name``.

    Examples
    --------
    >>> timestamp_ns("2022-11-20T00:00:00Z") == 1668902400 * NS_PER_S
    True
    >>> timestamp_ns("2022-11-20")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: as_of='2022-11-20' is naive; give a tz-aware time, e.g. pd.Timestamp(...)
    """
    ts = pd.Timestamp(value)
    if ts.tz is None:
        raise ValueError(msg("{name}={value!r} is naive; give a tz-aware time, e.g. "
                             "pd.Timestamp('2022-11-20 08:00', tz='Asia/Shanghai')", name=name,
                             value=value))
    return int(ts.tz_convert("UTC").as_unit("ns").value)


def from_ns(ns: Any) -> Any:
    """int64 ns -> tz-aware UTC times (a ``DatetimeIndex``, or an array when long).

    Examples
    --------
    >>> from_ns([0, NAT]).tolist()
    [Timestamp('1970-01-01 00:00:00+0000', tz='UTC'), NaT]
    """
    values = np.asarray(ns, np.int64).view("datetime64[ns]")
    if len(values) > _BULK:
        return pd.array(values, dtype=_UTC)
    return pd.DatetimeIndex(values, tz="UTC")  # cheaper for short arrays


def timestamp_from_ns(ns: Any) -> pd.Timestamp:
    """One int64 ns -> a tz-aware UTC ``Timestamp``.

    Examples
    --------
    >>> timestamp_from_ns(0)
    Timestamp('1970-01-01 00:00:00+0000', tz='UTC')
    """
    return pd.Timestamp(int(ns), unit="ns", tz="UTC")


def local_minutes(ns: np.ndarray, zone: str) -> np.ndarray:
    """int64 ns -> ``'YYYY-MM-DD HH:MM'`` strings of local time in ``zone``.

    Examples
    --------
    >>> local_minutes(np.array([0]), "Asia/Shanghai").tolist()
    ['1970-01-01 08:00']
    """
    if not len(ns):
        return np.array([], dtype=str)
    naive = pd.DatetimeIndex(from_ns(ns)).tz_convert(zone).tz_localize(None)
    text = np.datetime_as_string(naive.to_numpy("datetime64[m]"), unit="m")
    return np.char.replace(text, "T", " ")


def now_utc(now: Any = None, name: str = "now") -> pd.Timestamp:
    """``now`` as a tz-aware UTC ``Timestamp``; the current time when ``None``.

    Raises
    ------
    ValueError
        If ``now`` is naive.

    Examples
    --------
    >>> now_utc("2022-11-20T08:00:00+08:00")
    Timestamp('2022-11-20 00:00:00+0000', tz='UTC')
    """
    if now is None:
        return pd.Timestamp.now(tz="UTC")
    ts = pd.Timestamp(now)
    if ts.tzinfo is None:
        raise ValueError(msg("{name}: {now!r} has no time zone; give e.g. '2022-11-25T08:00:00Z'",
                             name=name, now=now))
    return ts.tz_convert("UTC")
