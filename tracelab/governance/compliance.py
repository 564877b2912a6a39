"""Compliance monitoring: ranked lists of what keeps the place-code system from working.

"凡进必扫，逢扫必验" (all who enter scan, every scan checked) fails in recognisable ways
(DOMAIN.md sections 9-10): a code breaks and the venue goes silent, no one checks at
the door, one phone scans for a whole group, abnormal codes are let in, a code image is
forwarded and scanned far away (the Zhengzhou 871), one applicant phone holds several
codes, scans name venues that are not registered. Each function returns one ranked list
with a ``score`` (higher = more urgent) and a ``why`` sentence.

Venue-level lists hold no person data. :func:`group_bursts` and :func:`far_scans` list
scans of people: they are person-level queries, to be called through
:func:`tracelab.privacy.audit.audited` with a purpose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.schema import (
    BURST_SCANS,
    DISTANCE_M,
    EXPECTED,
    MASKED_PHONE,
    OBSERVED,
    SCORE,
    SILENT_SINCE,
    VENUE_IDS,
)

__all__ = [
    "SCORE",
    "GEOFENCE_M",
    "silent_venues",
    "low_volume_venues",
    "group_bursts",
    "abnormal_admissions",
    "far_scans",
    "shared_applicant_phones",
    "unregistered_venues",
]

FIRST_AT, LAST_AT = s.FIRST_AT, s.LAST_AT

#: Device-to-venue distance beyond which a scan is flagged; 5x rejects (DOMAIN.md
#: section 11.5, ``scan_geofence_m``).
GEOFENCE_M = 500.0
_EARTH_M = 6_371_008.8


def _weight(scans: pd.DataFrame) -> pd.Series:
    if s.MERGED_SCANS in scans.columns:
        return scans[s.MERGED_SCANS].fillna(1).astype("int64")
    return pd.Series(1, index=scans.index, dtype="int64")


def _end(scans: pd.DataFrame, now: pd.Timestamp | str | None) -> pd.Timestamp:
    if now is None:
        return scans[s.SCANNED_AT].max()
    stamp = pd.Timestamp(now)
    if stamp.tzinfo is None:
        raise ValueError(msg("now: {now!r} has no time zone; give e.g. '2022-12-01T00:00Z'",
                             now=now))
    return stamp.tz_convert("UTC")


def silent_venues(scans: pd.DataFrame, venues: pd.DataFrame, *,
                  now: pd.Timestamp | str | None = None, min_expected: float = 10.0,
                  min_history_days: float = 1.0, geofence_m: float = GEOFENCE_M,
                  zone: str = s.DEFAULT_ZONE) -> pd.DataFrame:
    """Venues whose code went silent: no scan for far longer than their own rhythm allows.

    A venue's rhythm is its mean scans per hour of the local day over the days before
    its last scan; the scans expected after the last one are that rhythm summed over
    the hours of the silence, so a shop that closes at night is not silent at night.

    Parameters
    ----------
    scans, venues : pandas.DataFrame
        Scans (``venue_id``, ``scanned_at``) and the registry (``venue_id``).
    now : tz-aware time, optional
        End of the observed period; default the last scan of `scans`.
    min_expected : float, default 10
        List a venue when its rhythm predicts at least this many scans in the silence
        (the chance of seeing none by bad luck is ``exp(-expected)``, 4.5e-5 at 10).
    min_history_days : float, default 1
        Days of scans needed before the silence to estimate a rhythm.
    geofence_m : float, default 500
        Scans whose phone was farther from the venue are ignored (forwarded code
        images, :func:`far_scans`), when both tables hold positions.
    zone : str
        Zone of the local hours.

    Returns
    -------
    pandas.DataFrame
        ``venue_id, silent_since, observed, expected, score, why``; score is
        ``expected``. Venues with no scan at all are in :func:`low_volume_venues`.

    Examples
    --------
    >>> t0 = pd.Timestamp("2022-11-18T00:00Z")
    >>> scans = pd.DataFrame({"venue_id": ["V1"] * 40 + ["V2"] * 40,
    ...     "scanned_at": [t0 + pd.Timedelta(hours=2 * i) for i in range(40)]
    ...                   + [t0 + pd.Timedelta(hours=i) for i in range(40)]})
    >>> out = silent_venues(scans, pd.DataFrame({"venue_id": ["V1", "V2"]}))
    >>> out["venue_id"].tolist(), round(float(out["expected"].iloc[0]), 1)
    (['V2'], 38.2)
    """
    require_columns(scans, (s.VENUE_ID, s.SCANNED_AT), "scans", error=s.SchemaError)
    require_columns(venues, (s.VENUE_ID,), "venues", error=s.SchemaError)
    end = _end(scans, now)
    start = scans[s.SCANNED_AT].min()
    known = scans[scans[s.VENUE_ID].isin(venues[s.VENUE_ID])]
    if {s.DEVICE_LON, s.DEVICE_LAT} <= set(known.columns) and {s.LON, s.LAT} <= set(venues.columns):
        # A scan of a forwarded code image is no entry: it must not hide a silent code.
        at = known[[s.VENUE_ID]].merge(venues[[s.VENUE_ID, s.LON, s.LAT]], on=s.VENUE_ID,
                                       how="left")
        dist = _metres(known[s.DEVICE_LON].to_numpy(float), known[s.DEVICE_LAT].to_numpy(float),
                       at[s.LON].to_numpy(float), at[s.LAT].to_numpy(float))
        known = known[~(dist > geofence_m)]  # NaN positions stay
    local_hour = known[s.SCANNED_AT].dt.tz_convert(zone).dt.hour
    profile = (known.assign(_w=_weight(known), _h=local_hour)
               .pivot_table(index=s.VENUE_ID, columns="_h", values="_w", aggfunc="sum",
                            fill_value=0)
               .reindex(columns=range(24), fill_value=0))
    last = known.groupby(s.VENUE_ID)[s.SCANNED_AT].max().reindex(profile.index)
    active_days = ((last - start) / pd.Timedelta(days=1)).to_numpy(float)
    # Hourly grid of the period; suffix[i, h] = grid hours at or after slot i with local hour h.
    grid = pd.date_range(start.floor("h"), end, freq="h").as_unit("ns")
    hours = grid.tz_convert(zone).hour.to_numpy()
    onehot = np.zeros((len(grid) + 1, 24))
    onehot[np.arange(len(grid)), hours] = 1
    suffix = np.cumsum(onehot[::-1], axis=0)[::-1]
    # An hour slot counts as silent when it starts after the last scan.
    slot = np.searchsorted(grid.asi8, [stamp.value for stamp in last], side="right")
    rates = profile.to_numpy(float) / np.clip(active_days, 1e-9, None)[:, None]
    expected = (rates * suffix[slot]).sum(axis=1)
    silent_days = ((end - last) / pd.Timedelta(days=1)).to_numpy(float)
    keep = (active_days >= min_history_days) & (expected >= min_expected)
    out = pd.DataFrame({
        s.VENUE_ID: profile.index[keep], SILENT_SINCE: last.to_numpy()[keep],
        OBSERVED: np.zeros(int(keep.sum()), dtype="int64"),
        EXPECTED: expected[keep], SCORE: expected[keep]})
    daily = profile.to_numpy(float).sum(axis=1) / np.clip(active_days, 1e-9, None)
    out[s.WHY] = [
        f"no scan since {t.tz_convert(zone):%Y-%m-%d %H:%M} ({d:.1f} days); before that "
        f"{r:.0f} scans a day, so about {e:.0f} were expected: broken or invalid code?"
        for t, d, r, e in zip(last[keep], silent_days[keep], daily[keep], expected[keep],
                              strict=True)]
    return out.sort_values(SCORE, ascending=False, ignore_index=True)


def low_volume_venues(scans: pd.DataFrame, venues: pd.DataFrame, *,
                      now: pd.Timestamp | str | None = None, max_ratio: float = 0.35,
                      min_type_venues: int = 3, alpha: float = 1e-3) -> pd.DataFrame:
    """Venues with far fewer scans than venues of their type: no one checks at the door.

    The expected volume of a venue is the median daily scans of the venues of its type
    (DOMAIN.md section 9.1: the venue must assign a checker). A venue is listed when it
    sees at most `max_ratio` of that and a Poisson count that low has probability below
    `alpha`. The registry has no venue size, so size is not used.

    Parameters
    ----------
    scans, venues : pandas.DataFrame
        Scans (``venue_id``, ``scanned_at``) and the registry (``venue_id``,
        ``venue_type``).
    now : tz-aware time, optional
        End of the observed period; default the last scan.
    max_ratio : float, default 0.35
        Observed / expected at or below which a venue is suspect.
    min_type_venues : int, default 3
        Types with fewer venues give no prediction and are skipped.
    alpha : float, default 1e-3
        Poisson lower-tail probability below which the shortfall is not chance.

    Returns
    -------
    pandas.DataFrame
        ``venue_id, venue_type, observed, expected, score, why``; score is
        ``-log10`` of the Poisson probability.

    Examples
    --------
    >>> t0 = pd.Timestamp("2022-11-18T00:00Z")
    >>> counts = {"A": 100, "B": 90, "C": 110, "D": 10}
    >>> scans = pd.DataFrame({"venue_id": [v for v, n in counts.items() for _ in range(n)],
    ...     "scanned_at": [t0 + pd.Timedelta(minutes=37 * i) for n in counts.values()
    ...                    for i in range(n)]})
    >>> venues = pd.DataFrame({"venue_id": list(counts), "venue_type": ["shop"] * 4})
    >>> low_volume_venues(scans, venues)[["venue_id", "observed", "expected"]].values.tolist()
    [['D', 10, 95.0]]
    """
    require_columns(scans, (s.VENUE_ID, s.SCANNED_AT), "scans", error=s.SchemaError)
    require_columns(venues, (s.VENUE_ID, s.VENUE_TYPE), "venues", error=s.SchemaError)
    end = _end(scans, now)
    days = max((end - scans[s.SCANNED_AT].min()) / pd.Timedelta(days=1), 1e-9)
    counts = (scans.assign(_w=_weight(scans)).groupby(s.VENUE_ID)["_w"].sum()
              .reindex(venues[s.VENUE_ID]).fillna(0).astype("int64"))
    table = venues[[s.VENUE_ID, s.VENUE_TYPE]].assign(**{OBSERVED: counts.to_numpy()})
    sizes = table.groupby(s.VENUE_TYPE)[s.VENUE_ID].transform("size")
    table[EXPECTED] = table.groupby(s.VENUE_TYPE)[OBSERVED].transform("median").astype(float)
    table = table[(sizes >= min_type_venues) & (table[EXPECTED] > 0)]
    table = table[table[OBSERVED] <= max_ratio * table[EXPECTED]]
    log_p = np.array([_log10_poisson_cdf(int(k), float(lam))
                      for k, lam in zip(table[OBSERVED], table[EXPECTED], strict=True)])
    out = table.assign(**{SCORE: -log_p})[log_p < np.log10(alpha)].copy()
    out[s.WHY] = [
        f"{o} scans in {days:.1f} days, {o / e:.0%} of the {e:.0f} typical of type {t} "
        f"(P = {10 ** -sc:.1e}): is anyone checking at the door?"
        for o, e, t, sc in zip(out[OBSERVED], out[EXPECTED], out[s.VENUE_TYPE], out[SCORE],
                               strict=True)]
    return out.sort_values(SCORE, ascending=False, ignore_index=True)


def _log10_poisson_cdf(k: int, lam: float) -> float:
    """log10 P(X <= k) for X ~ Poisson(lam), summed in log space (no scipy needed)."""
    i = np.arange(k + 1)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k + 1)))])
    terms = -lam + i * np.log(lam) - log_fact
    top = terms.max()
    return float((top + np.log(np.exp(terms - top).sum())) / np.log(10))


def group_bursts(scans: pd.DataFrame, *, within: str | pd.Timedelta = "60s",
                 min_scans: int = 2) -> pd.DataFrame:
    """Bursts of scans of one venue under one person id: one phone scanning for a group.

    Scans of the same person and venue at most `within` apart form a burst; a burst of
    ``k`` scans (``merged_scans`` counted, so loaded data whose repeats were merged
    works too) suggests one phone scanning for ``k`` people ("一人扫码、多人进出" is
    forbidden, DOMAIN.md section 9.1). Person-level: call with a purpose.

    Returns
    -------
    pandas.DataFrame
        ``person_id, venue_id, scanned_at`` (first scan), ``burst_scans, score, why``,
        score = burst_scans. A burst of 2 may also be an accidental double scan.

    Examples
    --------
    >>> t0 = pd.Timestamp("2022-11-18T02:00Z")
    >>> scans = pd.DataFrame({"person_id": ["p1", "p1", "p1", "p2", "p2"],
    ...     "venue_id": ["V1"] * 5,
    ...     "scanned_at": [t0, t0 + pd.Timedelta(seconds=9), t0 + pd.Timedelta(seconds=20),
    ...                    t0, t0 + pd.Timedelta(hours=3)]})
    >>> group_bursts(scans)[["person_id", "burst_scans"]].values.tolist()
    [['p1', 3]]
    """
    require_columns(scans, (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT), "scans", error=s.SchemaError)
    gap = pd.Timedelta(within)
    ordered = scans.assign(_w=_weight(scans)).sort_values(
        [s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT], kind="stable")
    same = (ordered[s.PERSON_ID].eq(ordered[s.PERSON_ID].shift())
            & ordered[s.VENUE_ID].eq(ordered[s.VENUE_ID].shift())
            & (ordered[s.SCANNED_AT] - ordered[s.SCANNED_AT].shift() <= gap))
    burst = (~same).cumsum()
    per = ordered.groupby(burst.to_numpy()).agg(
        person=(s.PERSON_ID, "first"), venue=(s.VENUE_ID, "first"),
        first=(s.SCANNED_AT, "first"), last=(s.SCANNED_AT, "last"), n=("_w", "sum"))
    per = per[per["n"] >= min_scans]
    out = pd.DataFrame({s.PERSON_ID: per["person"].to_numpy(), s.VENUE_ID: per["venue"].to_numpy(),
                        s.SCANNED_AT: per["first"].to_numpy(),
                        BURST_SCANS: per["n"].astype("int64").to_numpy(),
                        SCORE: per["n"].astype(float).to_numpy()})
    out[s.WHY] = [f"{n} scans by one person id within {(b - a).total_seconds():.0f} s: one "
                  "phone scanning for a group?" for n, a, b in
                  zip(per["n"], per["first"], per["last"], strict=True)]
    return out.sort_values([SCORE, s.SCANNED_AT], ascending=[False, True], ignore_index=True)


def abnormal_admissions(scans: pd.DataFrame) -> pd.DataFrame:
    """Venues that recorded entries with yellow or red codes (to dissuade and report).

    Returns
    -------
    pandas.DataFrame
        ``venue_id, yellow, red, score, why``; score = 3 x red + yellow. No person data.

    Examples
    --------
    >>> scans = pd.DataFrame({"venue_id": ["V1", "V1", "V2", "V2"],
    ...                       "code_color": ["red", "green", "yellow", "green"]})
    >>> abnormal_admissions(scans)[["venue_id", "red", "yellow"]].values.tolist()
    [['V1', 1, 0], ['V2', 0, 1]]
    """
    require_columns(scans, (s.VENUE_ID, s.CODE_COLOUR), "scans", error=s.SchemaError)
    w = _weight(scans)
    table = pd.DataFrame({s.VENUE_ID: scans[s.VENUE_ID],
                          s.YELLOW: w.where(scans[s.CODE_COLOUR] == s.YELLOW, 0),
                          s.RED: w.where(scans[s.CODE_COLOUR] == s.RED, 0)})
    out = table.groupby(s.VENUE_ID, as_index=False)[[s.YELLOW, s.RED]].sum()
    out = out[(out[s.YELLOW] + out[s.RED]) > 0].copy()
    out[SCORE] = (3 * out[s.RED] + out[s.YELLOW]).astype(float)
    out[s.WHY] = [f"recorded {r} red and {y} yellow code entries: were they dissuaded, "
                  "isolated and reported?" for y, r in zip(out[s.YELLOW], out[s.RED], strict=True)]
    return out.sort_values([SCORE, s.VENUE_ID], ascending=[False, True], ignore_index=True)


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * _EARTH_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def far_scans(scans: pd.DataFrame, venues: pd.DataFrame, *,
              geofence_m: float = GEOFENCE_M) -> pd.DataFrame:
    """Scans made far from their venue: forwarded code images (the Zhengzhou 871).

    Parameters
    ----------
    scans : pandas.DataFrame
        With ``device_lon``, ``device_lat`` (WGS-84); scans without a position are skipped.
    venues : pandas.DataFrame
        ``venue_id, lon, lat`` (WGS-84).
    geofence_m : float, default 500
        Flag beyond this distance; beyond 5x the scan should have been rejected.

    Returns
    -------
    pandas.DataFrame
        ``person_id, venue_id, scanned_at, distance_m, score, why``; score = distance
        in km. Person-level: call with a purpose.

    Examples
    --------
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "lon": [114.03], "lat": [27.63]})
    >>> scans = pd.DataFrame({"person_id": ["p1", "p2"], "venue_id": ["V1", "V1"],
    ...     "scanned_at": pd.to_datetime(["2022-11-18T02:00Z"] * 2),
    ...     "device_lon": [114.0301, 114.23], "device_lat": [27.6301, 27.63]})
    >>> out = far_scans(scans, venues)
    >>> out["person_id"].tolist(), int(out["distance_m"].iloc[0] // 1000)
    (['p2'], 19)
    """
    require_columns(scans, (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, s.DEVICE_LON, s.DEVICE_LAT),
                    "scans", error=s.SchemaError)
    require_columns(venues, (s.VENUE_ID, s.LON, s.LAT), "venues", error=s.SchemaError)
    joined = scans[[s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT, s.DEVICE_LON, s.DEVICE_LAT]].merge(
        venues[[s.VENUE_ID, s.LON, s.LAT]], on=s.VENUE_ID, how="inner")
    joined = joined.dropna(subset=[s.DEVICE_LON, s.DEVICE_LAT, s.LON, s.LAT])
    dist = _metres(joined[s.DEVICE_LON].to_numpy(float), joined[s.DEVICE_LAT].to_numpy(float),
                   joined[s.LON].to_numpy(float), joined[s.LAT].to_numpy(float))
    far = dist > geofence_m
    out = joined.loc[far, [s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT]].reset_index(drop=True)
    out[DISTANCE_M] = dist[far]
    out[SCORE] = dist[far] / 1000
    out[s.WHY] = [f"phone {d:,.0f} m from the venue"
                  + (f" (beyond {5 * geofence_m:,.0f} m: should have been rejected)"
                     if d > 5 * geofence_m else "") + ": a forwarded code image?"
                  for d in dist[far]]
    return out.sort_values(SCORE, ascending=False, ignore_index=True)


def shared_applicant_phones(venues: pd.DataFrame) -> pd.DataFrame:
    """Applicant phones holding more than one venue code ("每个手机号只能申领一个").

    Run it on the registry as received (the venue loader rejects the second code of a
    phone). Phones are shown masked.

    Returns
    -------
    pandas.DataFrame
        ``applicant_phone_masked, venue_ids, observed, score, why``; score = codes held.

    Examples
    --------
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2", "V3"],
    ...     "applicant_phone": ["13123456789", "+86 131 2345 6789", "13912345678"]})
    >>> shared_applicant_phones(venues)[["applicant_phone_masked", "venue_ids"]].values.tolist()
    [['131*****789', 'V1, V2']]
    """
    require_columns(venues, (s.VENUE_ID, s.APPLICANT_PHONE), "venues", error=s.SchemaError)
    phone = venues[s.APPLICANT_PHONE].map(
        lambda v: ids.normalise_mobile(v) if ids.is_mobile(v) else ids._as_text(v))
    table = pd.DataFrame({"phone": phone, s.VENUE_ID: venues[s.VENUE_ID].astype("str")})
    table = table[table["phone"].notna() & (table["phone"] != "")]
    grouped = table.groupby("phone")[s.VENUE_ID].agg(lambda v: sorted(set(v)))
    grouped = grouped[grouped.map(len) > 1]
    out = pd.DataFrame({MASKED_PHONE: [ids.mask_phone(p) for p in grouped.index],
                        VENUE_IDS: [", ".join(v) for v in grouped],
                        OBSERVED: [len(v) for v in grouped]})
    out[SCORE] = out[OBSERVED].astype(float)
    out[s.WHY] = [f"one applicant phone holds {n} venue codes; one per phone is allowed"
                  for n in out[OBSERVED]]
    return out.sort_values([SCORE, VENUE_IDS], ascending=[False, True], ignore_index=True)


def unregistered_venues(scans: pd.DataFrame | None, venues: pd.DataFrame | None = None,
                        rejections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Venue ids that scans name but the registry lacks.

    Give raw `scans` with the `venues` registry, or the loaders' `rejections` table
    (reason ``unknown_venue``), or both.

    Returns
    -------
    pandas.DataFrame
        ``venue_id, observed, score, why``; score = scans naming it.

    Examples
    --------
    >>> scans = pd.DataFrame({"venue_id": ["V1", "X9", "X9"]})
    >>> unregistered_venues(scans, pd.DataFrame({"venue_id": ["V1"]}))[
    ...     ["venue_id", "observed"]].values.tolist()
    [['X9', 2]]
    """
    parts = []
    if scans is not None:
        if venues is None:
            raise ValueError(msg("venues: needed with scans, to know which venues are registered"))
        require_columns(scans, (s.VENUE_ID,), "scans", error=s.SchemaError)
        unknown = ~scans[s.VENUE_ID].isin(venues[s.VENUE_ID])
        parts.append(scans.loc[unknown, s.VENUE_ID].astype("str"))
    if rejections is not None:
        require_columns(rejections, (s.REASON, s.VALUE), "rejections", error=s.SchemaError)
        rows = rejections[rejections[s.REASON] == "unknown_venue"]
        parts.append(rows[s.VALUE].astype("str"))
    if not parts:
        raise ValueError(msg("scans, rejections: give raw scans with venues, or a rejection table"))
    counts = pd.concat(parts, ignore_index=True).value_counts()
    out = pd.DataFrame({s.VENUE_ID: counts.index.astype("str"),
                        OBSERVED: counts.to_numpy().astype("int64")})
    out[SCORE] = out[OBSERVED].astype(float)
    out[s.WHY] = [f"{n} scan(s) name this venue id, which is not in the registry: a fake "
                  "or deregistered code?" for n in out[OBSERVED]]
    return out.sort_values([SCORE, s.VENUE_ID], ascending=[False, True], ignore_index=True)
