"""Scans to presence intervals ``[t_in, t_out)``, and dwell estimated per venue type.

A scan records an entry. Its presence ends at the exit scan where there is one, else
after the venue type's dwell (or at the scan minute, or at local midnight, as the rule's
dwell assumption says), and never after the person's next scan (DESIGN §3, PRIOR-ART §4).
Each visit says which end applied in ``t_out_source``. Residences (compounds, villages)
are flagged: they are homes, not shared rooms (DOMAIN §2.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_MIN, to_ns
from tracelab._validate import require_columns
from tracelab.index.intervals import presence, sort_scans
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule

__all__ = ["visits", "estimate_dwell", "venue_table"]

_BASIS, _N, _MEDIAN = s.BASIS, s.N_OBSERVED, s.MEDIAN_MIN
_LOW, _HIGH, _TABLE = s.LOW_MIN, s.HIGH_MIN, s.TABLE_MIN


def type_table(venue_types: pd.DataFrame | None) -> pd.DataFrame:
    if venue_types is None:
        from tracelab.model.reference import venue_types as _reference_types

        venue_types = _reference_types()
    require_columns(venue_types, (s.TYPE_CODE, s.DWELL_MIN, s.RESIDENCE), "venue_types")
    return venue_types


def venue_table(venues: pd.DataFrame, venue_types: pd.DataFrame | None = None) -> pd.DataFrame:
    """Join each venue with its type's dwell, weight and residence flag.

    Returns a new frame indexed by nothing, with columns ``venue_id``, ``venue_type``,
    ``dwell_minutes``, ``weight``, ``residence`` (and ``lon``, ``lat`` when present).

    Raises
    ------
    ValueError
        If a venue's type is not in the venue-type table.

    Examples
    --------
    >>> v = pd.DataFrame({"venue_id": ["V1", "V2"], "venue_type": ["pharmacy", "village"]})
    >>> venue_table(v)[["venue_id", "dwell_minutes", "residence"]]
      venue_id  dwell_minutes  residence
    0       V1             10      False
    1       V2            720       True
    """
    types = type_table(venue_types)
    cols = [c for c in (s.VENUE_ID, s.VENUE_TYPE, s.LON, s.LAT) if c in venues]
    table = venues[cols].drop_duplicates(s.VENUE_ID)
    info = types.set_index(s.TYPE_CODE)
    unknown = sorted(set(table[s.VENUE_TYPE].astype(str)) - set(info.index.astype(str)))
    if unknown:
        raise ValueError(
            msg("venues: venue_type {unknown} not in the venue-type table; allowed: {names}",
                unknown=unknown[:5], names=", ".join(map(str, info.index)))
        )
    weight = info[s.WEIGHT] if s.WEIGHT in info else pd.Series(1.0, index=info.index)
    vt = table[s.VENUE_TYPE].astype(str)
    return table.reset_index(drop=True).assign(**{
        s.DWELL_MIN: vt.map(info[s.DWELL_MIN]).to_numpy(np.int64),
        s.WEIGHT: vt.map(weight).to_numpy(np.float64),
        s.RESIDENCE: vt.map(info[s.RESIDENCE]).to_numpy(bool),
    })


def visits(
    scans: pd.DataFrame,
    venues: pd.DataFrame,
    rule: str | Rule = "twenty",
    *,
    venue_types: pd.DataFrame | None = None,
    dwell_minutes: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Turn scans into presence intervals ``[t_in, t_out)``.

    Parameters
    ----------
    scans : pandas.DataFrame
        Columns of ``schema.SCAN_COLUMNS`` (``exit_at`` and ``merged_scans`` optional).
    venues : pandas.DataFrame
        At least ``venue_id`` and ``venue_type``.
    rule : str or Rule
        Supplies ``dwell`` (``scan_only``, ``estimated_dwell``, ``same_day``,
        ``whole_day``), ``scan_instant_minutes``, ``max_stay_hours`` and ``day_zone``.
    venue_types : pandas.DataFrame, optional
        Venue-type table; default :func:`tracelab.model.reference.venue_types`.
    dwell_minutes : mapping, optional
        Dwell per venue-type code overriding the table (e.g. from :func:`estimate_dwell`).

    Returns
    -------
    pandas.DataFrame
        ``schema.VISIT_COLUMNS`` plus ``residence`` (bool), one row per scan, sorted by
        person and entry; ``visit_id`` numbers rows in that order, so it does not
        depend on the input's row order.

    Raises
    ------
    ValueError
        If a time column is not tz-aware, a scan names a venue not in ``venues``, or an
        exit precedes its entry.

    Notes
    -----
    Precedence: a recorded exit is the exit, never cut; without one, the dwell assumption,
    cut by the person's next *later* scan (``next_scan``); then ``max_stay_hours`` caps
    it. Scans of one person at one instant never cut each other. Under ``whole_day``
    (the ``same_day`` preset, for date-only sources) a visit without exit covers its
    whole local day, from local midnight to the next, and is never cut: every venue of a
    date was possibly visited at any time of it. Days are calendar days in ``day_zone``.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:10"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["P1", "P1"], "venue_id": ["V1", "V2"],
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2"],
    ...                        "venue_type": ["supermarket", "pharmacy"]})
    >>> visits(scans, venues)[["venue_id", "t_out", "t_out_source"]]
      venue_id                     t_out t_out_source
    0       V1 2022-11-20 02:10:00+00:00    next_scan
    1       V2 2022-11-20 02:20:00+00:00  dwell_model
    """
    r = as_rule(rule)
    require_columns(scans, (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT), "scans")
    table = venue_table(venues, venue_types).set_index(s.VENUE_ID)
    sorted_scans = sort_scans(scans, table, dwell_minutes)
    found = presence(sorted_scans, r)
    rows, n = sorted_scans.order[found.rows], len(found.rows)

    def col(name: str, default: object) -> np.ndarray:
        if name in scans:
            return scans[name].to_numpy()[rows]
        return np.full(n, default, dtype=object)

    sources = np.array(s.T_OUT_SOURCES, dtype=object)
    return pd.DataFrame({
        s.VISIT_ID: np.arange(n, dtype=np.int64),
        s.PERSON_ID: pd.array(sorted_scans.person_ids[sorted_scans.person[found.rows]],
                              dtype="str"),
        s.VENUE_ID: pd.array(sorted_scans.venue_ids[sorted_scans.venue[found.rows]],
                             dtype="str"),
        s.T_IN: pd.DatetimeIndex(found.start.view("datetime64[ns]"), tz="UTC"),
        s.T_OUT: pd.DatetimeIndex(found.end.view("datetime64[ns]"), tz="UTC"),
        s.T_OUT_SOURCE: pd.array(sources[found.source], dtype="str"),
        s.MERGED_SCANS: (scans[s.MERGED_SCANS].to_numpy(np.int64)[rows]
                         if s.MERGED_SCANS in scans else np.ones(n, dtype=np.int64)),
        s.CODE_COLOUR: col(s.CODE_COLOUR, None),
        s.METHOD: col(s.METHOD, None),
        s.RESIDENCE: table[s.RESIDENCE].to_numpy(bool)[sorted_scans.table_row[found.rows]],
    })


def estimate_dwell(
    scans: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    venue_types: pd.DataFrame | None = None,
    quantiles: Sequence[float] = (0.1, 0.9),
    min_n: int = 20,
) -> pd.DataFrame:
    """Estimate dwell per venue type from exit scans, else from scan sequences.

    Parameters
    ----------
    scans, venues : pandas.DataFrame
        As for :func:`visits`.
    venue_types : pandas.DataFrame, optional
        Venue-type table; default :func:`tracelab.model.reference.venue_types`.
    quantiles : (float, float)
        The uncertainty band reported as ``low_minutes`` and ``high_minutes``.
    min_n : int
        Fewest observations for an estimate; types with fewer keep the table's dwell.

    Returns
    -------
    pandas.DataFrame
        One row per venue type: ``code``, ``basis`` (``exit_scan``: stays between entry
        and exit; ``next_scan``: gaps to the same person's next scan within 24 h, an
        upper bound as it includes travel; ``table``: too few data), ``n``,
        ``median_minutes``, ``low_minutes``, ``high_minutes``, ``table_minutes``.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 03:00"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["P1", "P2"], "venue_id": ["V1", "V1"],
    ...                       "scanned_at": t, "exit_at": t + pd.Timedelta(minutes=20)})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
    >>> est = estimate_dwell(scans, venues, min_n=2)
    >>> est.loc[est["code"] == "supermarket", ["basis", "n", "median_minutes"]]
           basis  n  median_minutes
    6  exit_scan  2            20.0
    """
    lo_q, hi_q = quantiles
    if not 0 <= lo_q <= hi_q <= 1:
        raise ValueError(msg("quantiles={quantiles!r} must satisfy 0 <= low <= high <= 1",
                             quantiles=tuple(quantiles)))
    types = type_table(venue_types)
    table = venue_table(venues, types).set_index(s.VENUE_ID)
    vt = scans[s.VENUE_ID].astype(str).map(table[s.VENUE_TYPE]).to_numpy()
    t_in = to_ns(scans[s.SCANNED_AT], s.SCANNED_AT)
    frames = []
    if s.EXIT_AT in scans and scans[s.EXIT_AT].notna().any():
        has = scans[s.EXIT_AT].notna().to_numpy()
        stay = (to_ns(scans[s.EXIT_AT], s.EXIT_AT) - t_in) / NS_PER_MIN
        frames.append(pd.DataFrame({"t": vt[has], "m": stay[has], _BASIS: s.EXIT_SCAN}))
    person = scans[s.PERSON_ID].astype(str).to_numpy()
    order = np.lexsort((t_in, person))
    same = person[order][1:] == person[order][:-1]
    gap = np.diff(t_in[order]) / NS_PER_MIN
    keep = same & (gap > 0) & (gap <= 24 * 60)
    frames.append(pd.DataFrame({"t": vt[order][:-1][keep], "m": gap[keep],
                                _BASIS: s.NEXT_SCAN}))
    obs = pd.concat(frames, ignore_index=True)
    rows = []
    for code, dwell in zip(types[s.TYPE_CODE], types[s.DWELL_MIN], strict=True):
        row = {s.TYPE_CODE: code, _BASIS: "table", _N: 0, _MEDIAN: float(dwell),
               _LOW: np.nan, _HIGH: np.nan, _TABLE: float(dwell)}
        for basis in (s.EXIT_SCAN, s.NEXT_SCAN):
            m = obs.loc[(obs["t"] == code) & (obs[_BASIS] == basis), "m"].to_numpy()
            if len(m) >= min_n:
                row.update({_BASIS: basis, _N: len(m), _MEDIAN: float(np.median(m)),
                            _LOW: float(np.quantile(m, lo_q)),
                            _HIGH: float(np.quantile(m, hi_q))})
                break
        rows.append(row)
    return pd.DataFrame(rows).astype({_N: np.int64})
