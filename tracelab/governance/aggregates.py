"""Venue-manager and regulator views: aggregate counts only, small cells suppressed.

Venue managers see entries per day and hour, the colour mix and the proxy share of their
own venue; sector regulators see the same by venue type and township, with abnormal-code
rates. No output holds a person-level row, and no count below ``min_cell`` (5, DOMAIN.md
section 11.5, ``min_aggregate_cell``) can be read off or recovered by subtraction.

Disclosure control
------------------
Each output is a set of one-dimensional *groups* (days, hours, colours, methods; for the
regulator, the rows of a level and, inside a row, its colours and methods) whose cells
add up to a published total. Within a group:

1. *Primary suppression*: every cell below ``min_cell``, zero included, is shown as
   ``"<5"``. Zeros are suppressed too, so that listing a bucket never reveals that it is
   non-empty; every bucket of a group's domain is listed (all 24 hours, every day of the
   period, every colour and method, every venue-type/township pair of the registry).
2. *Complementary suppression*: an attacker knows each ``"<5"`` cell lies in
   ``[0, min_cell - 1]`` and that the suppressed cells add up to the total minus the
   shown ones. While that sum is below ``min_cell``, or it pins some ``"<5"`` cell to a
   single value (e.g. two cells that add up to 8), the smallest shown cell is suppressed
   too and shown as ``"c"`` (known only to be ``>= min_cell``).
3. If even suppressing the whole group leaves a cell pinned, the group's breakdown is
   withheld: a single row with bucket ``"(withheld)"`` replaces its cells.

Totals are exact, never rounded. The groups share only their total, and no cross-table
(e.g. day x hour) is published, so protecting each group against its own total protects
the report. A regulator row whose total is suppressed has all its cells suppressed; the
colour and method breakdown of the grand total is not published (it would be a margin
of the rows' cells). Known residue: a withheld group tells that its cells were
pinned, which for a two-cell group can reveal the split; with the minimum of 5 this only
happens when every cell is 4.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.model import schema as s
from tracelab.model.schema import (
    BUCKET,
    COUNT,
    MEASURE,
    RATE,
    SECTION,
    SHARE,
    SHOWN,
)

__all__ = [
    "MIN_CELL",
    "SUPPRESSED",
    "COMPLEMENT",
    "WITHHELD",
    "NOT_SHOWN",
    "protect",
    "report_days",
    "regulator_rows",
    "venue_report",
    "regulator_report",
]

#: Smallest count shown (DOMAIN.md section 11.5, ``min_aggregate_cell``).
MIN_CELL = 5
#: Shown in place of a count below ``min_cell``.
SUPPRESSED = "<5"
#: Shown in place of a count suppressed only to protect a small one (it is >= min_cell).
COMPLEMENT = "c"
#: Bucket of the single row that replaces a withheld group.
WITHHELD = "(withheld)"
#: Shown for a derived figure (abnormal = entries - green) whose inputs are suppressed.
NOT_SHOWN = "-"

# Bucket and measure values of the views (their columns are in schema.py).
UNKNOWN = "unknown"  # bucket of a missing colour or method
ENTRIES, ABNORMAL = "entries", "abnormal"

_SHOWN, _PRIMARY, _COMPLEMENT = 0, 1, 2


def _pinned(counts: np.ndarray, state: np.ndarray, m: int) -> bool:
    """True when the suppressed cells leak: their sum is below m or a primary is pinned."""
    hidden = state != _SHOWN
    if not hidden.any():
        return False
    total = int(counts[hidden].sum())  # the attacker knows this sum
    if total < m:
        return True
    lower = np.where(state == _PRIMARY, 0, m)
    upper = np.where(state == _PRIMARY, m - 1, total)
    lo_sum, hi_sum = int(lower[hidden].sum()), int(upper[hidden].sum())
    for i in np.flatnonzero(state == _PRIMARY):
        lo = max(0, total - (hi_sum - int(upper[i])))
        hi = min(m - 1, total - (lo_sum - int(lower[i])))
        if lo >= hi:
            return True
    return False


def protect(counts: Sequence[int] | np.ndarray, min_cell: int = MIN_CELL) -> tuple[list[str], bool]:
    """Suppress the cells of one group whose total is published; return labels and a flag.

    Parameters
    ----------
    counts : sequence of int
        The cells of one group (every bucket of its domain, zeros included).
    min_cell : int, default 5
        Smallest count that may be shown.

    Returns
    -------
    labels : list of str
        Per cell: its digits, ``"<5"`` (primary) or ``"c"`` (complementary).
    withheld : bool
        True when no suppression pattern protects the group: show no breakdown.

    Examples
    --------
    >>> protect([40, 3, 12])
    (['40', '<5', 'c'], False)
    >>> protect([40, 1, 1, 12])
    (['40', '<5', '<5', 'c'], False)
    >>> protect([30, 2, 4, 0])
    (['30', '<5', '<5', '<5'], False)
    >>> protect([4, 4])
    (['<5', '<5'], True)
    """
    values = np.asarray(counts, dtype=np.int64)
    if min_cell < 1:
        raise ValueError(msg("min_cell: {min_cell!r} must be >= 1", min_cell=min_cell))
    if (values < 0).any():
        raise ValueError(msg("counts: must be non-negative"))
    state = np.where(values < min_cell, _PRIMARY, _SHOWN)
    withheld = False
    while _pinned(values, state, min_cell):
        candidates = np.flatnonzero(state == _SHOWN)
        if not len(candidates):
            withheld = True
            break
        state[candidates[np.argmin(values[candidates])]] = _COMPLEMENT
    labels = [str(v) if st == _SHOWN else SUPPRESSED if st == _PRIMARY else COMPLEMENT
              for v, st in zip(values.tolist(), state.tolist(), strict=True)]
    return labels, withheld


def _label(values: pd.Series, base: Sequence[str]) -> pd.Series:
    # Missing or unexpected values count as "unknown": dropping them would break the sums
    # the suppression relies on.
    known = set(base)
    return values.map(lambda v: str(v) if isinstance(v, str) and v in known else UNKNOWN
                      ).astype("str")


def _domain(values: pd.Series, base: Sequence[str]) -> list[str]:
    return list(base) + ([UNKNOWN] if (~values.isin(list(base))).any() else [])


def _group_rows(section: str, buckets: Sequence[str], counts: Sequence[int], total: int,
                m: int) -> list[dict]:
    labels, withheld = protect(counts, m)
    if withheld:
        return [{SECTION: section, BUCKET: WITHHELD, COUNT: pd.NA, SHOWN: WITHHELD,
                 SHARE: np.nan}]
    return [{SECTION: section, BUCKET: b, COUNT: n if lab == str(n) else pd.NA, SHOWN: lab,
             SHARE: n / total if lab == str(n) and total else np.nan}
            for b, n, lab in zip(buckets, counts, labels, strict=True)]


def report_days(period: Sequence[str] | None, zone: str, first: pd.Timestamp | None,
                last: pd.Timestamp | None) -> pd.DatetimeIndex:
    """The local days a report covers: ``period`` (two ISO days), else first to last scan.

    Examples
    --------
    >>> report_days(("2022-11-18", "2022-11-19"), "Asia/Shanghai", None, None).strftime(
    ...     "%m-%d").tolist()
    ['11-18', '11-19']
    """
    if period is None:
        if first is None:
            return pd.DatetimeIndex([], tz=zone)
        first, last = pd.Timestamp(first).tz_convert(zone), pd.Timestamp(last).tz_convert(zone)
        return pd.date_range(first.normalize(), last.normalize(), freq="D")
    try:
        return pd.date_range(pd.Timestamp(period[0]).tz_localize(zone),
                             pd.Timestamp(period[1]).tz_localize(zone), freq="D")
    except (TypeError, ValueError, IndexError):
        raise ValueError(msg("period: {period!r} must be two ISO days such as ('2022-11-18', "
                             "'2022-11-30')", period=period)) from None


def venue_report(scans: pd.DataFrame, venue_id: str, *, min_cell: int = MIN_CELL,
                 zone: str = s.DEFAULT_ZONE,
                 period: tuple[str, str] | None = None) -> pd.DataFrame:
    """Aggregate entries of one venue for its manager: per day, per hour, colours, methods.

    Parameters
    ----------
    scans : pandas.DataFrame
        Scans of the county (``venue_id``, ``scanned_at``, ``code_color``, ``method``);
        all venues, so that the period is the county's, not the venue's.
    venue_id : str
        The manager's venue.
    min_cell : int, default 5
        Smallest count shown; see the module docstring for the suppression rules.
    zone : str
        Zone of local days and hours.
    period : (str, str), optional
        First and last local day (``YYYY-MM-DD``) to list; default the days spanned by
        `scans` (all venues).

    Returns
    -------
    pandas.DataFrame
        Columns ``venue_id, section, bucket, count, shown, share``. Sections: ``total``
        (one row), ``day`` (every day of the period), ``hour`` (00-23, hour of day over
        the period), ``colour`` (green, yellow, red: the colour mix), ``method`` (self,
        proxy: the proxy share is the ``share`` of ``proxy``). ``count`` is missing
        where suppressed; ``shown`` is what a manager sees. No person-level row.

    Raises
    ------
    tracelab.model.schema.SchemaError
        If `scans` lacks a needed column.
    ValueError
        If `min_cell` < 1 or `period` is malformed.

    Examples
    --------
    >>> scans = pd.DataFrame({
    ...     "person_id": [f"p_{i}" for i in range(9)], "venue_id": ["V1"] * 8 + ["V2"],
    ...     "scanned_at": pd.to_datetime(["2022-11-20T00:05Z"] * 7 + ["2022-11-20T01:10Z",
    ...                                   "2022-11-21T01:00Z"]),
    ...     "code_color": ["green"] * 7 + ["yellow", "green"],
    ...     "method": ["self"] * 6 + ["proxy"] * 2 + ["self"]})
    >>> report = venue_report(scans, "V1")
    >>> rows = report.loc[report["section"] != "hour", ["section", "bucket", "shown"]]
    >>> rows.values.tolist()[:4]
    [['total', 'all', '8'], ['day', '2022-11-20', 'c'], ['day', '2022-11-21', '<5'], ['colour', 'green', 'c']]
    >>> rows.values.tolist()[4:]
    [['colour', 'yellow', '<5'], ['colour', 'red', '<5'], ['method', 'self', 'c'], ['method', 'proxy', '<5']]
    """
    require_columns(scans, (s.VENUE_ID, s.SCANNED_AT, s.CODE_COLOUR, s.METHOD), "scans",
                    error=s.SchemaError)
    local = scans[s.SCANNED_AT].dt.tz_convert(zone)
    days = report_days(period, zone, local.min() if len(scans) else None, local.max())
    day_domain = [d.strftime("%Y-%m-%d") for d in days]
    colour_domain = _domain(scans[s.CODE_COLOUR], s.COLOURS)
    method_domain = _domain(scans[s.METHOD], s.METHODS)
    mine = scans[s.VENUE_ID].astype("str") == str(venue_id)
    total = int(mine.sum())
    keys = {
        "day": (local[mine].dt.strftime("%Y-%m-%d"), day_domain),
        "hour": (local[mine].dt.strftime("%H"), [f"{h:02d}" for h in range(24)]),
        "colour": (_label(scans.loc[mine, s.CODE_COLOUR], s.COLOURS), colour_domain),
        "method": (_label(scans.loc[mine, s.METHOD], s.METHODS), method_domain),
    }
    outside = int((~keys["day"][0].isin(day_domain)).sum())
    if outside:
        raise ValueError(msg("period: {period!r} leaves out {outside} entries of venue "
                             "{venue_id!r}; widen it", period=period, outside=outside,
                             venue_id=venue_id))
    if total < min_cell:
        rows = [{SECTION: "total", BUCKET: "all", COUNT: pd.NA, SHOWN: SUPPRESSED, SHARE: np.nan}]
        rows += [{SECTION: k, BUCKET: WITHHELD, COUNT: pd.NA, SHOWN: WITHHELD, SHARE: np.nan}
                 for k in keys]
    else:
        rows = [{SECTION: "total", BUCKET: "all", COUNT: total, SHOWN: str(total), SHARE: 1.0}]
        for section, (values, domain) in keys.items():
            counts = values.value_counts().reindex(domain, fill_value=0).astype("int64")
            rows += _group_rows(section, domain, counts.tolist(), total, min_cell)
    out = pd.DataFrame(rows, columns=[SECTION, BUCKET, COUNT, SHOWN, SHARE])
    out = out.astype({SECTION: "str", BUCKET: "str", COUNT: "Int64", SHOWN: "str",
                      SHARE: "float64"})
    return out.assign(**{s.VENUE_ID: str(venue_id)})[[s.VENUE_ID, *out.columns]]


def regulator_report(scans: pd.DataFrame, venues: pd.DataFrame,
                     by: Sequence[str] = (s.VENUE_TYPE, s.TOWNSHIP), *,
                     min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Aggregate entries by venue type and township for sector regulators.

    Parameters
    ----------
    scans : pandas.DataFrame
        Scans (``venue_id``, ``code_color``, ``method``).
    venues : pandas.DataFrame
        The registry; its distinct values of `by` are the rows listed, with or without
        scans.
    by : sequence of str, default ("venue_type", "township")
        Venue columns to group by.
    min_cell : int, default 5
        Smallest count shown; see the module docstring.

    Returns
    -------
    pandas.DataFrame
        Long table: the `by` columns, ``measure`` (``entries``, ``green``, ``yellow``,
        ``red``, ``abnormal`` = yellow + red, ``self``, ``proxy``, and
        ``unknown_colour`` / ``unknown_method`` when some values are missing or not
        valid), ``count`` (missing
        where suppressed), ``shown`` and ``rate`` (count / the row's entries: the
        abnormal-code and proxy rates). A last row with every `by` column ``"all"``
        holds the total entries only.

    Raises
    ------
    tracelab.model.schema.SchemaError
        If a column is missing.
    ValueError
        If scans name venues absent from `venues` (they would be dropped silently).

    Notes
    -----
    ``abnormal`` is shown when every other colour cell (``green``, ``unknown_colour``)
    is: it is then ``entries`` minus those, which the reader could compute anyway, and
    the suppression rules make it 5 or more.

    Examples
    --------
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2"], "venue_type": ["超市", "超市"],
    ...                        "township": ["北镇", "东镇"]})
    >>> scans = pd.DataFrame({"venue_id": ["V1"] * 20 + ["V2"] * 6,
    ...     "code_color": ["green"] * 14 + ["yellow"] * 6 + ["green"] * 6,
    ...     "method": ["self"] * 26})
    >>> out = regulator_report(scans, venues)
    >>> rows = out[out["township"] != "all"]
    >>> rows.pivot(index="township", columns="measure", values="shown")[
    ...     ["entries", "green", "yellow", "red", "abnormal"]].values.tolist()
    [['6', 'c', '<5', '<5', '-'], ['20', '14', 'c', '<5', '6']]
    >>> out.loc[out["measure"] == "abnormal", "rate"].round(2).tolist()
    [nan, 0.3]
    """
    by = list(by)
    require_columns(venues, [s.VENUE_ID, *by], "venues", error=s.SchemaError)
    require_columns(scans, (s.VENUE_ID, s.CODE_COLOUR, s.METHOD), "scans", error=s.SchemaError)
    unknown = ~scans[s.VENUE_ID].isin(venues[s.VENUE_ID])
    if unknown.any():
        raise ValueError(msg("scans: {n} scans name venues absent from venues; load both with "
                             "read_dir, which rejects them", n=int(unknown.sum())))
    keys = venues[[s.VENUE_ID, *by]].astype("str")
    rows_domain = keys[by].drop_duplicates().sort_values(by).reset_index(drop=True)
    joined = scans[[s.VENUE_ID, s.CODE_COLOUR, s.METHOD]].merge(keys, on=s.VENUE_ID,
                                                                 how="left")
    colour_domain = _domain(scans[s.CODE_COLOUR], s.COLOURS)
    method_domain = _domain(scans[s.METHOD], s.METHODS)
    joined = joined.assign(**{s.CODE_COLOUR: _label(joined[s.CODE_COLOUR], s.COLOURS),
                              s.METHOD: _label(joined[s.METHOD], s.METHODS)})

    def table(column: str, domain: list[str]) -> pd.DataFrame:
        counts = joined.groupby([*by, column]).size().unstack(column, fill_value=0)
        counts = counts.reindex(columns=domain, fill_value=0)
        index = pd.MultiIndex.from_frame(rows_domain) if len(by) > 1 \
            else pd.Index(rows_domain[by[0]])
        return counts.reindex(index, fill_value=0).astype("int64")

    colours, methods = table(s.CODE_COLOUR, colour_domain), table(s.METHOD, method_domain)
    return regulator_rows(rows_domain, by, colours, methods, colour_domain, method_domain,
                          min_cell)


def regulator_rows(rows_domain: pd.DataFrame, by: list[str], colours: pd.DataFrame,
                   methods: pd.DataFrame, colour_domain: list[str], method_domain: list[str],
                   min_cell: int = MIN_CELL) -> pd.DataFrame:
    """The regulator table from per-row colour and method counts, suppressed.

    Shared by :func:`regulator_report` and its Spark twin, which count differently.
    """
    entries = colours.sum(axis=1).to_numpy()
    grand = int(entries.sum())
    if grand < min_cell:
        row_labels, row_withheld = [SUPPRESSED] * len(entries), True
    else:
        row_labels, row_withheld = protect(entries, min_cell)
    records = []
    for i, combo in enumerate(rows_domain.itertuples(index=False)):
        head = dict(zip(by, combo, strict=True))
        n = int(entries[i])
        row_label = WITHHELD if row_withheld else row_labels[i]
        shown_n = row_label == str(n)
        records.append({**head, MEASURE: ENTRIES, COUNT: n if shown_n else pd.NA,
                        SHOWN: row_label, RATE: np.nan})
        cells: list[tuple[str, int, str]] = []
        for frame, domain, what in ((colours, colour_domain, "colour"),
                                    (methods, method_domain, "method")):
            values = frame.iloc[i].tolist()
            # Both groups may have an "unknown" bucket: name it after its group.
            domain = [f"{UNKNOWN}_{what}" if d == UNKNOWN else d for d in domain]
            if shown_n:
                labels, withheld = protect(values, min_cell)
                labels = [WITHHELD] * len(values) if withheld else labels
            else:
                labels = [row_label] * len(values)
            cells += list(zip(domain, values, labels, strict=True))
        colour_cells = cells[:len(colour_domain)]
        abnormal = sum(v for name, v, _ in colour_cells if name in (s.YELLOW, s.RED))
        # Shown only when the reader could compute it anyway: every other colour is shown
        # (then it is n minus those, and protect() keeps it >= min_cell).
        derivable = shown_n and all(label == str(v) for name, v, label in colour_cells
                                    if name not in (s.YELLOW, s.RED))
        cells.insert(len(colour_domain), (ABNORMAL, abnormal,
                                          str(abnormal) if derivable else NOT_SHOWN))
        for measure, value, label in cells:
            shown = label == str(value)
            records.append({**head, MEASURE: measure, COUNT: value if shown else pd.NA,
                            SHOWN: label, RATE: value / n if shown and n else np.nan})
    records.append({**dict.fromkeys(by, "all"), MEASURE: ENTRIES,
                    COUNT: grand if grand >= min_cell else pd.NA,
                    SHOWN: str(grand) if grand >= min_cell else SUPPRESSED, RATE: np.nan})
    out = pd.DataFrame(records, columns=[*by, MEASURE, COUNT, SHOWN, RATE])
    return out.astype({MEASURE: "str", COUNT: "Int64", SHOWN: "str", RATE: "float64"})
