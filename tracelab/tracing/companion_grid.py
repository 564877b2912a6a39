"""Spatiotemporal companions (时空伴随者) on the 800 m Gauss-Krüger grid (DOMAIN §4, §11.3).

A person is a companion of a case when, within the look-back (14 days), they shared a
grid cell with the case for more than ``companion_min_minutes`` (10, strict) and either
of them spent more than ``companion_cumulative_hours`` (30, strict) in that cell. Venue
scans stand in for phone positions: a visit puts a person in the cell of its venue.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_DAY, NS_PER_HOUR, NS_PER_MIN, local_minutes, timestamp_ns
from tracelab.index.graph import VisitGraph
from tracelab.index.windows import window_arrays
from tracelab.model import schema as s
from tracelab.model.coords import gauss_kruger_crs, grid_cell, project
from tracelab.model.rules import Rule, as_rule
from tracelab.model.schema import (
    CASE_CELL_HOURS,
    CELL_X,
    CELL_Y,
    CO_STAY_MIN,
    CONTACT_CELL_HOURS,
)
from tracelab.tracing.local_pull import for_companions

__all__ = ["companions", "why_sentences", "CELL_X", "CELL_Y", "CO_STAY_MIN",
           "CASE_CELL_HOURS", "CONTACT_CELL_HOURS"]


_COLUMNS = [s.CASE_ID, s.CONTACT_ID, CELL_X, CELL_Y, CO_STAY_MIN, CASE_CELL_HOURS,
            CONTACT_CELL_HOURS, s.RULE_ID, s.WHY]


def _cells(graph: VisitGraph, cell_m: float, origin: tuple[float, float]
           ) -> tuple[np.ndarray, str]:
    venues = graph.venues
    if s.LON not in venues or s.LAT not in venues or venues[[s.LON, s.LAT]].isna().any().any():
        raise ValueError(msg("companions need every venue's lon and lat (WGS-84); build the graph "
                             "with a venues frame that has them"))
    # One zone for the whole county: the zone of its venues' median longitude.
    crs = gauss_kruger_crs(venues[s.LON].to_numpy(float))
    x, y = project(venues[s.LON].to_numpy(float), venues[s.LAT].to_numpy(float), crs)
    ix, iy = grid_cell(np.atleast_1d(x), np.atleast_1d(y), cell_m=cell_m, origin=origin)
    return np.stack([ix, iy], axis=1), crs


def _stay_per_cell(graph: VisitGraph, people: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   cell_code: np.ndarray) -> pd.Series:
    """Hours each (window i, cell) holds inside [lo[i], hi[i]]: index (window, cell)."""
    which, pos = graph.query_of(people, lo, hi)
    a = np.maximum(graph.v_t_in[pos], lo[which])
    b = np.minimum(graph.v_t_out[pos], hi[which])
    cells = cell_code[graph._venue_of()[pos]]
    # Summed in whole nanoseconds, then divided: exact, so every engine agrees.
    held = pd.Series(np.clip(b - a, 0, None)).groupby([which, cells]).sum()
    return held / NS_PER_HOUR


def companions(
    graph: VisitGraph,
    cases: pd.DataFrame,
    rule: str | Rule = "twenty",
    *,
    as_of: Any = None,
    origin: tuple[float, float] = (0.0, 0.0),
) -> pd.DataFrame:
    """People who shared an 800 m grid cell with a case under the 时空伴随 rule.

    Parameters
    ----------
    graph : VisitGraph
        Built from a venues frame with ``lon`` and ``lat``.
    cases : pandas.DataFrame
        Cases (``schema.CASE_COLUMNS``); each case's look-back ends at its isolation, else
        at ``as_of``.
    rule : str or Rule
        ``companion_cell_m`` (800), ``companion_min_minutes`` (> 10),
        ``companion_lookback_days`` (14), ``companion_cumulative_hours`` (> 30).
    as_of : tz-aware time, optional
        Default: the graph's last exit.
    origin : (float, float)
        Grid origin in metres of the Gauss-Krüger zone of the venues' median longitude
        (EPSG:4547 at 114 E; design default (0, 0), DOMAIN §4).

    Returns
    -------
    pandas.DataFrame
        ``case_id``, ``contact_id``, ``cell_x``, ``cell_y``, ``co_stay_minutes``,
        ``case_cell_hours``, ``contact_cell_hours``, ``rule_id``, ``why``; one row per
        (case, companion, cell), by case, cell and contact.

    Raises
    ------
    ValueError
        If venues lack coordinates or ``as_of`` is naive.

    Notes
    -----
    "Together for over 10 minutes" is read as the summed overlap of their presence in the
    cell within the look-back; the published rule does not say whether one sitting is
    needed. Residences count: a cell where one party lives is what the 30 h condition
    picks out (DOMAIN §4).

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-18 00:00", "2022-11-19 02:00"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["C", "P"], "venue_id": ["H", "S"],
    ...     "scanned_at": t, "exit_at": t + pd.to_timedelta(["40h", "20min"])})
    >>> venues = pd.DataFrame({"venue_id": ["H", "S"], "venue_type": ["village", "pharmacy"],
    ...                        "lon": [114.0001, 114.0002], "lat": [27.6001, 27.6002]})
    >>> from tracelab.model.rules import rule
    >>> g = VisitGraph.from_scans(scans, venues, rule("twenty", max_stay_hours=48))
    >>> cases = pd.DataFrame({"person_id": ["C"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-21"], utc=True)})
    >>> companions(g, cases, rule("twenty", max_stay_hours=48))[
    ...     ["case_id", "contact_id", "co_stay_minutes", "case_cell_hours"]]
      case_id contact_id  co_stay_minutes  case_cell_hours
    0       C          P             20.0             40.0
    """
    r = as_rule(rule)
    as_of_ns = timestamp_ns(as_of) if as_of is not None else graph.time_range()[1]
    if not isinstance(graph, VisitGraph):
        local = for_companions(graph, cases, r, as_of_ns, origin)
        return companions(local, cases, r, as_of=pd.Timestamp(as_of_ns, tz="UTC"),
                          origin=origin)
    ids, _, end, _, _ = window_arrays(cases, r.replace(end_at_isolation=True), as_of_ns)
    start = end - int(r.companion_lookback_days * NS_PER_DAY)
    src = graph.person_codes(ids)
    cell_xy, crs = _cells(graph, r.companion_cell_m, origin)
    _, cell_code = np.unique(cell_xy, axis=0, return_inverse=True)
    cell_code = cell_code.ravel()
    # The case's visits in the look-back, then every visit in the same cell at those times.
    which, pos = graph.query_of(src, start, end)
    a = np.maximum(graph.v_t_in[pos], start[which])
    b = np.minimum(graph.v_t_out[pos], end[which])
    ok = a < b
    which, pos, a, b = which[ok], pos[ok], a[ok], b[ok]
    case_cell = cell_code[graph._venue_of()[pos]]
    by_cell = pd.Series(np.arange(len(cell_code))).groupby(cell_code).agg(list)
    venue_lists = by_cell.reindex(case_cell).tolist()
    counts = np.array([len(v) for v in venue_lists], dtype=np.int64)
    rep = np.repeat(np.arange(len(pos)), counts)
    venues = (np.concatenate([np.asarray(v, np.int64) for v in venue_lists])
              if len(venue_lists) else np.zeros(0, np.int64))
    q, cpos = graph.query_at(venues, a[rep], b[rep])
    k = rep[q]
    dst = graph.v_person[cpos].astype(np.int64)
    o = np.minimum(b[k], graph.v_t_out[cpos]) - np.maximum(a[k], graph.v_t_in[cpos])
    keep = (dst != src[which[k]]) & (o > 0)
    pairs = pd.DataFrame({"w": which[k][keep], "dst": dst[keep], "cell": case_cell[k][keep],
                          "ns": o[keep]})
    co = pairs.groupby(["w", "dst", "cell"], sort=True)["ns"].sum() / NS_PER_MIN
    co = co[co > r.companion_min_minutes]
    if co.empty:
        return pd.DataFrame(columns=_COLUMNS)
    case_hours = _stay_per_cell(graph, src, start, end, cell_code)
    w = co.index.get_level_values("w").to_numpy()
    d = co.index.get_level_values("dst").to_numpy()
    c = co.index.get_level_values("cell").to_numpy()
    other_hours = _stay_per_cell(graph, d, start[w], end[w], cell_code)
    ch = case_hours.reindex(list(zip(w, c, strict=True)), fill_value=0.0).to_numpy()
    oh = other_hours.reindex(list(zip(np.arange(len(d)), c, strict=True)),
                             fill_value=0.0).to_numpy()
    limit = r.companion_cumulative_hours
    keep = (ch > limit) | (oh > limit)
    cell_of = np.unique(cell_xy, axis=0)
    out = pd.DataFrame({
        s.CASE_ID: graph.person_ids[src[w]], s.CONTACT_ID: graph.person_ids[d],
        CELL_X: cell_of[c, 0], CELL_Y: cell_of[c, 1], CO_STAY_MIN: co.to_numpy(),
        CASE_CELL_HOURS: ch, CONTACT_CELL_HOURS: oh, s.RULE_ID: r.rule_id,
    })[keep].reset_index(drop=True)
    zone = getattr(graph, "zone", s.DEFAULT_ZONE)
    since: np.ndarray | list[str] = (local_minutes(start[w][keep], zone) if keep.any() else [])
    out[s.WHY] = why_sentences(out, r, since, crs, zone)
    return out.sort_values([s.CASE_ID, CELL_X, CELL_Y, s.CONTACT_ID], ignore_index=True)


def why_sentences(out: pd.DataFrame, r: Rule, since: Any, crs: str,
                  zone: str = s.DEFAULT_ZONE) -> list[str]:
    """The ``why`` of each companion row; ``since`` is each row's look-back start, local."""
    limit, rule_id = r.companion_cumulative_hours, r.rule_id  # rule_id is not free
    return [
        f"{p} shared grid cell ({x}, {y}) ({r.companion_cell_m:g} m, {crs}) with case "
        f"{cse} for {m:g} min since {t0} ({zone}), over {r.companion_min_minutes:g}"
        f" min; {'the case' if h1 > limit else p} spent {max(h1, h2):.1f} h there in "
        f"{r.companion_lookback_days:g} days, over {limit:g} h; rule {rule_id}."
        for cse, p, x, y, m, h1, h2, t0 in zip(
            out[s.CASE_ID], out[s.CONTACT_ID], out[CELL_X], out[CELL_Y],
            np.round(out[CO_STAY_MIN], 1), out[CASE_CELL_HOURS], out[CONTACT_CELL_HOURS],
            since, strict=True)
    ]
