"""Venue-manager and regulator views of :mod:`tracelab.governance.aggregates`, aggregated in Spark.

Spark counts entries per bucket (local day, local hour, colour, method; for regulators,
per venue-type/township row and colour or method); the few hundred counts come back to
pandas, where the suppression of :func:`tracelab.governance.aggregates.protect` is applied exactly as the
pandas views apply it. Outputs equal those of :func:`tracelab.governance.aggregates.venue_report` and
:func:`tracelab.governance.aggregates.regulator_report` on the same scans; no person-level row leaves
Spark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.governance import aggregates as vw
from tracelab.model import schema as s
from tracelab.spark.frames import US_PER_DAY, US_PER_HOUR, collect, local_micros, require

__all__ = ["venue_report", "venue_reports", "regulator_report"]

_DAY, _HOUR = "day", "hour"
_COLOUR, _METHOD = "colour", "method"
_N = "_n"


def _label(column: str, base: Sequence[str]) -> Any:
    from pyspark.sql import functions as F

    # Missing or unexpected values count as "unknown", as in tracelab.governance.aggregates.
    return F.when(F.col(column).isin(*base), F.col(column)).otherwise(F.lit(vw.UNKNOWN))


def _outside(column: str, base: Sequence[str]) -> Any:
    from pyspark.sql import functions as F

    return F.max(F.when(F.col(column).isin(*base), 0).otherwise(1))


def _domain(flag: int | None, base: Sequence[str]) -> list[str]:
    return list(base) + ([vw.UNKNOWN] if flag else [])


def venue_reports(scans: Any, venue_ids: Sequence[str], *, min_cell: int = vw.MIN_CELL,
                  zone: str = s.DEFAULT_ZONE,
                  period: tuple[str, str] | None = None) -> pd.DataFrame:
    """:func:`tracelab.governance.aggregates.venue_report` for several venues from one Spark pass.

    Parameters
    ----------
    scans : pyspark.sql.DataFrame
        The county's scans (``venue_id``, ``scanned_at``, ``code_color``, ``method``).
    venue_ids : sequence of str
        The venues to report on.
    min_cell, zone, period
        As for :func:`tracelab.governance.aggregates.venue_report`.

    Returns
    -------
    pandas.DataFrame
        The venues' reports one after the other, in the order of `venue_ids`.

    Raises
    ------
    tracelab.model.schema.SchemaError
        If `scans` lacks a needed column.
    ValueError
        If `min_cell` < 1, or `period` is malformed or leaves out entries of a venue.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> scans = pd.DataFrame({"venue_id": ["V1"] * 6 + ["V2"],
    ...     "scanned_at": pd.to_datetime(["2022-11-20T00:05Z"] * 7),
    ...     "code_color": ["green"] * 7, "method": ["self"] * 7})
    >>> out = venue_reports(to_spark(spark, scans), ["V1", "V2"])
    >>> out.loc[out["section"] == "total", ["venue_id", "shown"]].values.tolist()
    [['V1', '6'], ['V2', '<5']]
    """
    from pyspark.sql import functions as F

    require(scans, (s.VENUE_ID, s.SCANNED_AT, s.CODE_COLOUR, s.METHOD), "scans")
    if min_cell < 1:
        raise ValueError(msg("min_cell: {min_cell!r} must be >= 1", min_cell=min_cell))
    first, last, colour_flag, method_flag = scans.agg(
        F.min(F.unix_micros(s.SCANNED_AT)), F.max(F.unix_micros(s.SCANNED_AT)),
        _outside(s.CODE_COLOUR, s.COLOURS), _outside(s.METHOD, s.METHODS)).collect()[0]
    bounds = (None, None) if first is None else tuple(
        pd.Timestamp(v * 1000, tz="UTC") for v in (first, last))
    days = vw.report_days(period, zone, *bounds)
    domains = {
        _DAY: [d.strftime("%Y-%m-%d") for d in days],
        _HOUR: [f"{h:02d}" for h in range(24)],
        _COLOUR: _domain(colour_flag, s.COLOURS),
        _METHOD: _domain(method_flag, s.METHODS),
    }
    wanted = [str(v) for v in venue_ids]
    local_us = local_micros(F.col(s.SCANNED_AT), zone)
    counts = collect(
        scans.filter(F.col(s.VENUE_ID).cast("string").isin(*wanted))
        .select(F.col(s.VENUE_ID).cast("string").alias(s.VENUE_ID),
                F.date_format(F.date_from_unix_date(F.floor(local_us / US_PER_DAY).cast("int")),
                              "yyyy-MM-dd").alias(_DAY),
                F.lpad(F.floor(F.pmod(local_us, US_PER_DAY) / US_PER_HOUR).cast("string"),
                       2, "0").alias(_HOUR),
                _label(s.CODE_COLOUR, s.COLOURS).alias(_COLOUR),
                _label(s.METHOD, s.METHODS).alias(_METHOD))
        .groupBy(s.VENUE_ID, _DAY, _HOUR, _COLOUR, _METHOD).agg(F.count("*").alias(_N)))
    reports = [_one_venue(counts[counts[s.VENUE_ID] == v], v, domains, min_cell, period)
               for v in wanted]
    return pd.concat(reports, ignore_index=True)


def _one_venue(counts: pd.DataFrame, venue_id: str, domains: dict[str, list[str]],
               min_cell: int, period: tuple[str, str] | None) -> pd.DataFrame:
    """One venue's report from its bucket counts, as tracelab.governance.aggregates.venue_report builds it."""
    total = int(counts[_N].sum())
    outside = int(counts.loc[~counts[_DAY].isin(domains[_DAY]), _N].sum())
    if outside:
        raise ValueError(msg("period: {period!r} leaves out {outside} entries of venue "
                             "{venue_id!r}; widen it", period=period, outside=outside,
                             venue_id=venue_id))
    if total < min_cell:
        rows = [{vw.SECTION: "total", vw.BUCKET: "all", vw.COUNT: pd.NA,
                 vw.SHOWN: vw.SUPPRESSED, vw.SHARE: np.nan}]
        rows += [{vw.SECTION: k, vw.BUCKET: vw.WITHHELD, vw.COUNT: pd.NA, vw.SHOWN: vw.WITHHELD,
                  vw.SHARE: np.nan} for k in domains]
    else:
        rows = [{vw.SECTION: "total", vw.BUCKET: "all", vw.COUNT: total, vw.SHOWN: str(total),
                 vw.SHARE: 1.0}]
        for section, domain in domains.items():
            per = counts.groupby(section)[_N].sum().reindex(domain, fill_value=0)
            rows += vw._group_rows(section, domain, per.astype("int64").tolist(), total,
                                   min_cell)
    columns = [vw.SECTION, vw.BUCKET, vw.COUNT, vw.SHOWN, vw.SHARE]
    out = pd.DataFrame(rows, columns=columns).astype({
        vw.SECTION: "str", vw.BUCKET: "str", vw.COUNT: "Int64", vw.SHOWN: "str",
        vw.SHARE: "float64"})
    return out.assign(**{s.VENUE_ID: str(venue_id)})[[s.VENUE_ID, *columns]]


def venue_report(scans: Any, venue_id: str, *, min_cell: int = vw.MIN_CELL,
                 zone: str = s.DEFAULT_ZONE,
                 period: tuple[str, str] | None = None) -> pd.DataFrame:
    """:func:`tracelab.governance.aggregates.venue_report` on a Spark frame of the county's scans.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> scans = pd.DataFrame({"venue_id": ["V1"] * 8,
    ...     "scanned_at": pd.to_datetime(["2022-11-20T00:05Z"] * 8),
    ...     "code_color": ["green"] * 7 + ["yellow"], "method": ["self"] * 8})
    >>> out = venue_report(to_spark(spark, scans), "V1")
    >>> out.loc[out["section"] == "colour", "shown"].tolist()
    ['c', '<5', '<5']
    """
    return venue_reports(scans, [venue_id], min_cell=min_cell, zone=zone, period=period)


def regulator_report(scans: Any, venues: Any,
                     by: Sequence[str] = (s.VENUE_TYPE, s.TOWNSHIP), *,
                     min_cell: int = vw.MIN_CELL) -> pd.DataFrame:
    """:func:`tracelab.governance.aggregates.regulator_report` on Spark frames.

    Spark joins scans to their venue's `by` columns and counts entries per row and colour
    and per row and method; suppression runs in pandas with :func:`tracelab.governance.aggregates.protect`.

    Examples
    --------
    >>> from tracelab.spark.sessions import session
    >>> from tracelab.spark.frames import to_spark
    >>> spark = session("local[1]")
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2"], "venue_type": ["超市", "超市"],
    ...                        "township": ["西镇", "东镇"]})
    >>> scans = pd.DataFrame({"venue_id": ["V1"] * 20 + ["V2"] * 6,
    ...     "code_color": ["green"] * 14 + ["yellow"] * 6 + ["green"] * 6,
    ...     "method": ["self"] * 26})
    >>> out = regulator_report(to_spark(spark, scans), to_spark(spark, venues))
    >>> out.loc[out["measure"] == "abnormal", "shown"].tolist()
    ['-', '6']
    """
    from pyspark.sql import functions as F

    by = list(by)
    require(venues, [s.VENUE_ID, *by], "venues")
    require(scans, (s.VENUE_ID, s.CODE_COLOUR, s.METHOD), "scans")
    keys = venues.select(*[F.col(c).cast("string").alias(c) for c in (s.VENUE_ID, *by)])
    unknown = scans.join(keys.select(s.VENUE_ID), s.VENUE_ID, "left_anti").count()
    if unknown:
        raise ValueError(msg("scans: {unknown} scans name venues absent from venues; load both "
                             "with read_dir, which rejects them", unknown=unknown))
    colour_flag, method_flag = scans.agg(_outside(s.CODE_COLOUR, s.COLOURS),
                                         _outside(s.METHOD, s.METHODS)).collect()[0]
    colour_domain = _domain(colour_flag, s.COLOURS)
    method_domain = _domain(method_flag, s.METHODS)
    # Inner join: every scan's venue is in `keys` (checked above); a venue listed twice
    # would count its scans twice in pandas as here.
    joined = scans.select(s.VENUE_ID, _label(s.CODE_COLOUR, s.COLOURS).alias(_COLOUR),
                          _label(s.METHOD, s.METHODS).alias(_METHOD)).join(keys, s.VENUE_ID)
    cells = collect(joined.groupBy(*by, _COLOUR, _METHOD).agg(F.count("*").alias(_N)))
    rows_domain = (collect(keys.select(*by).distinct()).sort_values(by)
                   .reset_index(drop=True))
    index = (pd.MultiIndex.from_frame(rows_domain) if len(by) > 1
             else pd.Index(rows_domain[by[0]]))

    def table(column: str, domain: list[str]) -> pd.DataFrame:
        grouped = cells.groupby([*by, column])[_N].sum().unstack(column, fill_value=0)
        grouped = grouped.reindex(columns=domain, fill_value=0)
        return grouped.reindex(index, fill_value=0).astype("int64")

    colours, methods = table(_COLOUR, colour_domain), table(_METHOD, method_domain)
    return vw.regulator_rows(rows_domain, by, colours, methods, colour_domain, method_domain,
                             min_cell)
