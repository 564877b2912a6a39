"""Risk areas (风险区) under a regime: polygons with level, designation and lifting dates.

DOMAIN §3 and §11.4: a case's residence (compound or village) is high; the places a case
frequented for work or activity are medium under ``ninth`` and high under ``twenty`` and
``ten``; the rest of the county containing a high or medium area is low. An area lifts
after a number of consecutive days without a new case linked to it: ``ninth`` high -> medium
after 7 days, -> low after 3 more, medium -> low after 7; ``twenty`` high -> low after 5;
``ten`` high lifted after 5. Counties without a local outbreak get no areas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.index.presence import visits as build_visits
from tracelab.model import coords, ids, reference
from tracelab.model import schema as s
from tracelab.model.regions import infer_region
from tracelab.model.rules import Rule
from tracelab.model.schema import (
    AREA_ID,
    AREA_REASON,
    DESIGNATED_LEVEL,
    DESIGNATED_ON,
    GEOMETRY,
    HOME_VENUE_ID,
    LAST_CASE_ON,
    LEVEL,
    LIFTS_ON,
    LOWERS_ON,
    N_CASES,
    STATUS,
)
from tracelab.privacy import pseudonyms as privacy

__all__ = ["risk_areas", "AreaRules", "AREA_RULES", "AREA_COLUMNS"]

HIGH, MEDIUM, LOW = s.HIGH, s.MEDIUM, s.LOW
REST_OF_COUNTY = "area:rest_of_county"

AREA_COLUMNS = (AREA_ID, LEVEL, DESIGNATED_LEVEL, s.VENUE_ID, s.VENUE_TYPE, s.TOWNSHIP_CODE,
                N_CASES, AREA_REASON, DESIGNATED_ON, LAST_CASE_ON, LOWERS_ON, LIFTS_ON, STATUS,
                GEOMETRY)


@dataclass(frozen=True)
class AreaRules:
    """Lifting days and drawing sizes of one regime (DOMAIN §11.4).

    ``activity_level`` is the level of frequented work/activity places; ``high_days``
    the days without a new case after which a high area lowers (``ninth``: to medium,
    then ``after_high_days`` more to low) or lifts; ``medium_days`` for areas designated
    medium. Radii (metres, EPSG:4547) draw a compound or village, and an activity
    place, as a disc around its registered position: a design default standing in for
    the 小区/村 (``ninth``) or building (``twenty``, ``ten``) outlines tracelab does not have.
    """

    levels: tuple[str, ...]
    activity_level: str
    high_days: int
    after_high_days: int | None
    medium_days: int | None
    residence_radius_m: float
    village_radius_m: float
    activity_radius_m: float


#: The three regimes (DOMAIN §3, §11.4); radii are design defaults.
AREA_RULES: Mapping[str, AreaRules] = {
    "ninth": AreaRules((HIGH, MEDIUM, LOW), MEDIUM, 7, 3, 7, 200.0, 500.0, 100.0),
    "twenty": AreaRules((HIGH, LOW), HIGH, 5, None, None, 60.0, 250.0, 50.0),
    "ten": AreaRules((HIGH, LOW), HIGH, 5, None, None, 30.0, 100.0, 30.0),
}


def _local_day(ts: pd.Series, zone: str) -> pd.Series:
    return ts.dt.tz_convert(zone).dt.date


def _case_days(cases: pd.DataFrame, as_of: pd.Timestamp, zone: str) -> pd.DataFrame:
    """Cases reported by ``as_of``, with their report instant and local report day."""
    require_columns(cases, (s.PERSON_ID,), "cases")
    when = None
    for col in (s.CONFIRMED_AT, s.SAMPLED_AT, s.ONSET_AT):
        if col in cases and not isinstance(cases[col].dtype, pd.DatetimeTZDtype) \
                and not cases[col].isna().all():
            raise ValueError(msg("cases column {col!r} has dtype {dtype}; give tz-aware UTC times "
                                 "(load with tracelab.io.read_cases)", col=col,
                                 dtype=cases[col].dtype))
        if col in cases:
            t = pd.to_datetime(cases[col], utc=True)
            when = t if when is None else when.fillna(t)
    if when is None:
        raise ValueError(msg("cases need confirmed_at (or sampled_at, onset_at) to date the areas"))
    # Start of the period examined: onset, else sampling, else the report itself.
    anchor = None
    for col in (s.ONSET_AT, s.SAMPLED_AT):
        if col in cases:
            t = pd.to_datetime(cases[col], utc=True)
            anchor = t if anchor is None else anchor.fillna(t)
    anchor = when if anchor is None else anchor.fillna(when)
    out = pd.DataFrame({s.PERSON_ID: cases[s.PERSON_ID].to_numpy(),
                        "t": when.reset_index(drop=True), "anchor": anchor.reset_index(drop=True)})
    out = out[out["t"].notna() & (out["t"] <= as_of)].reset_index(drop=True)
    out["day"] = _local_day(out["t"], zone)
    return out


def _stays(f: pd.DataFrame, venues: pd.DataFrame) -> pd.DataFrame:
    """(person, venue, t_in, t_out) from visits, scans or an exposures table."""
    if s.CASE_T_IN in f and s.CASE_ID in f:
        hop1 = f[f[s.HOP] == 1] if s.HOP in f else f
        return hop1[[s.CASE_ID, s.VENUE_ID, s.CASE_T_IN, s.CASE_T_OUT]].drop_duplicates().set_axis(
            [s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT], axis=1)
    if s.T_IN in f and s.T_OUT in f:
        return f[[s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT]]
    if s.SCANNED_AT in f:
        return build_visits(f, venues)[[s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT]]
    raise ValueError(msg("visits: give visits (t_in, t_out), scans (scanned_at) or exposures "
                         "(case_t_in, case_t_out)"))


def _disc(lon: float, lat: float, radius_m: float) -> Polygon:
    crs = coords.gauss_kruger_crs(lon)
    x, y = coords.project(lon, lat, crs)
    disc = shapely.Point(x, y).buffer(radius_m, quad_segs=8)

    def back(xy: np.ndarray) -> np.ndarray:
        lon_, lat_ = coords.unproject(xy[:, 0], xy[:, 1], crs)
        return np.column_stack([lon_, lat_])

    return shapely.transform(disc, back)


def _default_outline(venues: pd.DataFrame) -> Polygon:
    """The outline of the shipped region the venues name, else their hull widened by 2 km."""
    labels = venues[s.COUNTY] if s.COUNTY in venues else venues[s.VENUE_ID]
    found = infer_region(labels.astype(str))
    if found is not None:
        return found.outline
    hull = shapely.multipoints(venues[[s.LON, s.LAT]].dropna().to_numpy()).convex_hull
    return hull.buffer(2.0 / 111.32)


def _who(case_ids: list[Any]) -> str:
    shown = [c if privacy.is_pseudonym(c) else ids.mask_id(c) for c in case_ids[:3]]
    more = f" and {len(case_ids) - 3} more" if len(case_ids) > 3 else ""
    return ", ".join(map(str, shown)) + more


def risk_areas(
    cases: pd.DataFrame,
    visits: pd.DataFrame,
    venues: pd.DataFrame,
    *,
    rule: str | Rule = "twenty",
    as_of: Any,
    persons: pd.DataFrame | None = None,
    venue_types: pd.DataFrame | None = None,
    venue_crs: str = "WGS-84",
    outline: Polygon | None = None,
    activity_min_hours: float = 2.0,
    activity_min_days: int = 2,
    lookback_days: float = 2.0,
    zone: str = s.DEFAULT_ZONE,
    include_lifted: bool = False,
) -> gpd.GeoDataFrame:
    """Risk areas in force on ``as_of`` under the rule's regime, with reason and dates.

    Parameters
    ----------
    cases : pandas.DataFrame
        ``person_id`` and ``confirmed_at`` (else ``sampled_at``, ``onset_at``): the
        report instant, whose local day designates or renews an area. Cases reported
        after ``as_of`` are ignored.
    visits : pandas.DataFrame
        Visits, scans or an exposures table: where cases stayed.
    venues : pandas.DataFrame
        ``venue_id``, ``venue_type``, ``lon``, ``lat`` (in ``venue_crs``), optionally
        ``township_code``.
    rule : {"ninth", "twenty", "ten"} or Rule, default "twenty"
        The regime whose area rules apply (DOMAIN §3): a preset name, or a rule derived
        from one of these presets.
    as_of : tz-aware time
        The briefing time; areas whose lifting day has come are dropped.
    persons : pandas.DataFrame, optional
        ``person_id``, ``home_venue_id``: a case's residence. Without it (or for cases
        not listed) the residence venue the case scanned most often is used.
    venue_types : pandas.DataFrame, optional
        Default :func:`tracelab.model.reference.venue_types` (``residence`` flag).
    venue_crs : str, default "WGS-84"
        Frame of the venue positions (``"GCJ-02"`` for synthetic and mini-program data).
    outline : shapely Polygon, optional
        County outline (WGS-84) for the low area, e.g. ``Region.outline``; default the
        outline of the shipped region the venues' ``county`` (or venue codes) name, else
        the venues' convex hull widened by 2 km.
    activity_min_hours, activity_min_days : float, int
        A non-residence venue is a case's frequent work/activity place when the case
        stayed there at least this many hours in total, or on at least this many local
        days, from ``lookback_days`` before onset (else sampling, else the report) to the
        report (design default).
    lookback_days : float, default 2
        Days before onset or sampling where the period examined starts: the case's
        infectious window (DOMAIN §2.1).
    zone : str, default "Asia/Shanghai"
        Zone of local days.
    include_lifted : bool, default False
        Also return areas already lifted on ``as_of``, with ``status`` "lifted".

    Returns
    -------
    geopandas.GeoDataFrame
        ``AREA_COLUMNS``, CRS EPSG:4326, high areas first, then medium, then the low
        rest of the county (the outline minus the others). Empty if no case is linked
        to a venue in the county. Dates are ``datetime.date``; ``lifts_on`` is the day
        the area becomes low (``ten``: is lifted) if no new case appears, counting
        ``high_days`` from the last linked case's report day.

    Raises
    ------
    ValueError
        For an unknown regime, a naive ``as_of``, missing columns.

    References
    ----------
    DOMAIN.md §3 (9th edition, 20 measures, new 10 measures) and §11.4.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> venues = pd.DataFrame({"venue_id": ["H1", "R1"],
    ...     "venue_type": ["residential_compound", "restaurant"],
    ...     "lon": [114.03, 114.05], "lat": [27.63, 27.62]})
    >>> visits = pd.DataFrame({"person_id": ["C1", "C1"], "venue_id": ["H1", "R1"],
    ...     "t_in": [t, t + pd.Timedelta(hours=13)], "t_out": [t + pd.Timedelta(hours=12),
    ...     t + pd.Timedelta(hours=16)]})
    >>> cases = pd.DataFrame({"person_id": ["C1"], "confirmed_at": [t + pd.Timedelta(days=1)]})
    >>> a = risk_areas(cases, visits, venues, as_of=t + pd.Timedelta(days=2))
    >>> a[["area_id", "level", "designated_on", "lifts_on"]]
                   area_id level designated_on    lifts_on
    0              area:H1  high    2022-11-21  2022-11-26
    1              area:R1  high    2022-11-21  2022-11-26
    2  area:rest_of_county   low    2022-11-21        None
    """
    regime = rule if isinstance(rule, str) else rule.name
    if regime not in AREA_RULES:
        raise ValueError(msg("rule={regime!r}; the area rules know {known}", regime=regime,
                             known=list(AREA_RULES)))
    rules = AREA_RULES[regime]
    as_of_ts = pd.Timestamp(as_of)
    if as_of_ts.tz is None:
        raise ValueError(msg("as_of={as_of!r} is naive; give a tz-aware time, e.g. "
                             "pd.Timestamp('2022-11-20 08:00', tz='Asia/Shanghai')", as_of=as_of))
    require_columns(venues, (s.VENUE_ID, s.VENUE_TYPE, s.LON, s.LAT), "venues")
    today = as_of_ts.tz_convert(zone).date()
    reported = _case_days(cases, as_of_ts, zone)
    if reported.empty:
        return gpd.GeoDataFrame(pd.DataFrame(columns=list(AREA_COLUMNS)), geometry=GEOMETRY,
                                crs="EPSG:4326")
    vt = reference.venue_types() if venue_types is None else venue_types
    is_home = dict(zip(vt[s.TYPE_CODE], vt[s.RESIDENCE].astype(bool), strict=True))
    vinfo = venues.set_index(s.VENUE_ID)
    home_venue = vinfo[s.VENUE_TYPE].map(is_home).fillna(False).astype(bool)
    stays = _stays(visits, venues)
    stays = stays[stays[s.PERSON_ID].isin(reported[s.PERSON_ID])
                  & stays[s.VENUE_ID].isin(vinfo.index)]
    links = _links(reported, stays, home_venue, persons, rules, activity_min_hours,
                   activity_min_days, lookback_days, zone)
    rows = _area_rows(links, vinfo, rules, regime, today, venue_crs, include_lifted)
    out = pd.DataFrame(rows, columns=list(AREA_COLUMNS))
    if len(out) and (out[STATUS] == "active").any():
        active = out[out[STATUS] == "active"]
        county = outline if outline is not None else _default_outline(venues)
        rest = county.difference(shapely.union_all(active[GEOMETRY].to_numpy()))
        low = {AREA_ID: REST_OF_COUNTY, LEVEL: LOW, DESIGNATED_LEVEL: LOW,
               s.VENUE_ID: None, s.VENUE_TYPE: None, s.TOWNSHIP_CODE: None,
               N_CASES: int(reported[s.PERSON_ID].nunique()),
               AREA_REASON: "rest of the county containing a high or medium area (DOMAIN §3)",
               DESIGNATED_ON: min(active[DESIGNATED_ON]), LAST_CASE_ON: max(active[LAST_CASE_ON]),
               LOWERS_ON: None, LIFTS_ON: None, STATUS: "active", GEOMETRY: rest}
        out = pd.concat([out, pd.DataFrame([low], columns=list(AREA_COLUMNS))],
                        ignore_index=True)
    out[N_CASES] = out[N_CASES].astype(np.int64)
    return gpd.GeoDataFrame(out, geometry=GEOMETRY, crs="EPSG:4326")


def _links(reported: pd.DataFrame, stays: pd.DataFrame, home_venue: pd.Series,
           persons: pd.DataFrame | None, rules: AreaRules, min_hours: float, min_days: int,
           lookback_days: float, zone: str) -> pd.DataFrame:
    """(case, venue, kind, report day) links: residence and frequent activity places."""
    report = reported.set_index(s.PERSON_ID)["t"]
    since = reported.set_index(s.PERSON_ID)["anchor"] - pd.Timedelta(days=lookback_days)
    st = stays.assign(_rep=stays[s.PERSON_ID].map(report),
                      _from=stays[s.PERSON_ID].map(since))
    st = st[(st[s.T_IN] < st["_rep"]) & (st[s.T_OUT] > st["_from"])]
    is_home = st[s.VENUE_ID].map(home_venue).astype(bool)
    homes: dict[Any, Any] = {}
    if persons is not None and HOME_VENUE_ID in persons:
        known = persons[persons[s.PERSON_ID].isin(report.index)]
        homes = dict(zip(known[s.PERSON_ID], known[HOME_VENUE_ID], strict=True))
    # Cases not in `persons`: the residence they scanned most often (any time to as_of).
    all_home = stays[stays[s.VENUE_ID].map(home_venue).astype(bool)]
    counts = all_home.groupby([s.PERSON_ID, s.VENUE_ID]).size().reset_index(name="n")
    counts = counts.sort_values([s.PERSON_ID, "n", s.VENUE_ID], ascending=[True, False, True])
    for person, venue in zip(*counts.drop_duplicates(s.PERSON_ID)[[s.PERSON_ID, s.VENUE_ID]]
                             .to_numpy().T, strict=True):
        homes.setdefault(person, venue)
    rows = [(p, v, "residence") for p, v in homes.items() if v in home_venue.index]
    act = st[~is_home]
    if len(act):
        hours = (act[s.T_OUT] - act[s.T_IN]).dt.total_seconds() / 3600
        days = _local_day(act[s.T_IN], zone)
        g = pd.DataFrame({s.PERSON_ID: act[s.PERSON_ID], s.VENUE_ID: act[s.VENUE_ID],
                          "h": hours, "d": days}).groupby([s.PERSON_ID, s.VENUE_ID])
        summary = g.agg(h=("h", "sum"), d=("d", "nunique"))
        freq = summary[(summary["h"] >= min_hours) | (summary["d"] >= min_days)]
        rows += [(p, v, "activity") for p, v in freq.index]
    links = pd.DataFrame(rows, columns=[s.PERSON_ID, s.VENUE_ID, "kind"])
    day = reported.set_index(s.PERSON_ID)["day"]
    return links.assign(day=links[s.PERSON_ID].map(day))


def _area_rows(links: pd.DataFrame, vinfo: pd.DataFrame, rules: AreaRules, regime: str,
               today: dt.date, venue_crs: str, include_lifted: bool) -> list[dict]:
    rows = []
    vtypes = vinfo[s.VENUE_TYPE]
    lon, lat = coords.to_wgs84(vinfo[s.LON].to_numpy(float), vinfo[s.LAT].to_numpy(float),
                               venue_crs)
    pos: dict[Any, tuple[float, float]] = dict(zip(vinfo.index, zip(lon, lat, strict=True),
                                                   strict=True))
    for venue, g in links.groupby(s.VENUE_ID, sort=True):
        residence = (g["kind"] == "residence").any()
        level = HIGH if residence else rules.activity_level
        first, last = min(g["day"]), max(g["day"])
        plus = dt.timedelta
        if level == HIGH:
            lowers = last + plus(days=rules.high_days) if rules.after_high_days else None
            lifts = last + plus(days=rules.high_days + (rules.after_high_days or 0))
        else:
            lowers, lifts = None, last + plus(days=rules.medium_days or rules.high_days)
        if lifts <= today and not include_lifted:
            continue
        now_level = MEDIUM if (lowers is not None and lowers <= today < lifts) else level
        vtype = vtypes[venue]
        radius = (rules.activity_radius_m if not residence else
                  rules.village_radius_m if vtype == "village" else rules.residence_radius_m)
        cases = sorted(g[s.PERSON_ID].unique())
        what = (f"residence ({vtype}) of {len(cases)} case(s)" if residence else
                f"frequent work or activity place ({vtype}) of {len(cases)} case(s)")
        until = (f"; {'lowers to medium on ' + str(lowers) + ', ' if lowers else ''}"
                 f"{'lifted' if regime == 'ten' else 'low'} on {lifts} if no new case")
        rows.append({
            AREA_ID: f"area:{venue}", LEVEL: LOW if lifts <= today else now_level,
            DESIGNATED_LEVEL: level, s.VENUE_ID: venue, s.VENUE_TYPE: vtype,
            s.TOWNSHIP_CODE: vinfo[s.TOWNSHIP_CODE].get(venue) if s.TOWNSHIP_CODE in vinfo
            else None, N_CASES: len(cases),
            AREA_REASON: f"{what} ({_who(cases)}); last case reported {last}{until} "
                         f"(regime {regime}, DOMAIN §3)",
            DESIGNATED_ON: first, LAST_CASE_ON: last, LOWERS_ON: lowers, LIFTS_ON: lifts,
            STATUS: "lifted" if lifts <= today else "active",
            GEOMETRY: _disc(*pos[venue], radius),
        })
    order = {HIGH: 0, MEDIUM: 1, LOW: 2}
    rows.sort(key=lambda r: (order[r[LEVEL]], r[AREA_ID]))
    return rows
