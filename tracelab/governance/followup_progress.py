"""Progress of follow-up: who is listed, and how far each listed contact has got.

The one job of this module is completeness and the overdue list: the contacts listed
(:func:`read_listing` from a call list or exposures file, :func:`listing_from_trace`
from a trace), and, from the store's ``followup`` table, :func:`followup_status`: by
township and tier, how many listed contacts are at which latest status and who is
overdue, not located within the tier's time limit (:data:`REACH_WITHIN_HOURS`) of being
listed. :func:`followup_summary` gives the same in numbers for the briefing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import now_utc
from tracelab.governance.followup_sheets import (
    SHEET_HEADERS,
    TIER_WORDS,
    TIME_FORMS,
    UTC,
    made_at,
    raw_table,
    word_codes,
)
from tracelab.io.parse import blank, parse_times
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.tables import TABLES, read_sql
from tracelab.privacy.pseudonyms import is_pseudonym, pseudonym, scrub_shapes

if TYPE_CHECKING:
    from tracelab.io.store import Store

__all__ = ["REACH_WITHIN_HOURS", "FollowupStatus", "read_listing", "listing_from_trace",
           "followup_status", "followup_summary"]

#: Hours from listing within which a contact of each tier must be located; ``None``: no
#: limit; ``"unknown"`` serves tiers not named. (design default) DOMAIN.md gives no
#: published time limit for locating contacts (its section 11 has none; confirm one
#: before relying on it): the limits follow the tiers of
#: :func:`tracelab.analysis.ranking.rank_contacts`, "call today" taken as 12 h,
#: "call within 24 hours" as 24 h, "monitor" as 3 days.
REACH_WITHIN_HOURS: Mapping[str, float | None] = {
    s.CALL_TODAY: 12.0, s.WITHIN_24H: 24.0, s.MONITOR: 72.0, "unknown": 24.0}
_UNKNOWN = "unknown"


def read_listing(path: str | Path, *, key: bytes | None = None,
                 zone: str = s.DEFAULT_ZONE) -> pd.DataFrame:
    """The contacts a call list, ranked contacts or exposures file lists (CSV or XLSX).

    Parameters
    ----------
    path : str or Path
        Needs ``contact_id`` (联系人编号); ``township_code``, ``township``, ``tier`` and
        ``listed_at`` are kept when present (:data:`SHEET_HEADERS`).
    key : bytes, optional
        Pseudonymises contact ids that are not pseudonyms; without it they are refused.
    zone : str, default "Asia/Shanghai"
        Zone of ``listed_at`` written without one.

    Returns
    -------
    pandas.DataFrame
        One row per contact (see :func:`followup_status`, ``listed``).

    Raises
    ------
    ValueError
        If the file lacks contact ids, holds a raw or masked one without the key, or an
        unreadable ``listed_at``; the message names the file, row and column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "exposures.csv"
    >>> _ = p.write_text("case_id,contact_id\\np_aaaaaaaaaaaaaaaa,p_0123456789abcdef\\n")
    >>> read_listing(p)[["contact_id", "tier"]].values.tolist()
    [['p_0123456789abcdef', 'unknown']]
    """
    raw, zones, cover = raw_table(Path(path), SHEET_HEADERS)
    if raw.broken_rows:
        row, why = raw.broken_rows[0]
        raise ValueError(msg("{source} row {row}: {why}", source=raw.source, row=row, why=why))
    frame = raw.frame
    if s.CONTACT_ID not in frame.columns:
        raise ValueError(msg("{source}: no contact_id (联系人编号) column; it has {columns}",
                             source=raw.source,
                             columns=", ".join(frame.columns) or msg("no recognised columns")))
    contact = frame[s.CONTACT_ID]
    bad = blank(contact) | ~contact.map(is_pseudonym).astype(bool).to_numpy()
    if key is not None:
        bad = blank(contact) | contact.str.contains("*", regex=False).to_numpy()
        contact = contact.map(lambda v: v if is_pseudonym(v) else pseudonym(v, key))
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise ValueError(msg("{source} row {row}: contact_id {value!r} is not a pseudonym "
                             "(p_ + 16 hex digits); pass the key to pseudonymise raw ids",
                             source=raw.source, row=raw.rows[at],
                             value=ids.mask_id(frame[s.CONTACT_ID].iloc[at])))
    out = pd.DataFrame({s.CONTACT_ID: contact})
    for column in (s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER):
        out[column] = frame[column].where(~blank(frame[column])) if column in frame else None
    if s.TIER in frame.columns:
        out[s.TIER] = word_codes(frame[s.TIER], TIER_WORDS).fillna(out[s.TIER])
    out[s.LISTED_AT] = pd.Series(pd.NaT, index=out.index, dtype=UTC)
    if s.LISTED_AT in frame.columns:
        out[s.LISTED_AT] = parse_times(frame[s.LISTED_AT], zones.get(s.LISTED_AT, zone))
        wrong = out[s.LISTED_AT].isna().to_numpy() & ~blank(frame[s.LISTED_AT])
        if wrong.any():
            at = int(np.flatnonzero(wrong)[0])
            raise ValueError(msg("{source} row {row}: listed_at {value!r} is not a time "
                                 "({forms})", source=raw.source, row=raw.rows[at],
                                 value=scrub_shapes(frame[s.LISTED_AT].iloc[at]),
                                 forms=TIME_FORMS))
    made = made_at(cover, zone)
    if made is not None:
        out[s.LISTED_AT] = out[s.LISTED_AT].fillna(made)
    return _per_contact(out)


def listing_from_trace(exposures: pd.DataFrame, contacts: pd.DataFrame | None = None,
                       cases: pd.DataFrame | None = None,
                       persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """The contacts a trace lists, with tier, home township and listing time.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``case_id``, ``contact_id`` (:func:`tracelab.trace` output).
    contacts : pandas.DataFrame, optional
        ``contact_id``, ``tier`` (:func:`tracelab.rank_contacts`, ``per="contact"``).
    cases : pandas.DataFrame, optional
        ``person_id``, ``confirmed_at``, ``sampled_at``: a contact counts as listed when
        the first case they were exposed to was reported (confirmed, else sampled), as
        the clock of flow tracing starts with the report.
    persons : pandas.DataFrame, optional
        ``person_id``, ``township_code`` (the contact's home township).

    Returns
    -------
    pandas.DataFrame
        One row per contact (see :func:`followup_status`, ``listed``).

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 00:00", tz="UTC")
    >>> ex = pd.DataFrame({"case_id": ["C1", "C2"], "contact_id": ["A", "A"]})
    >>> cases = pd.DataFrame({"person_id": ["C1", "C2"], "confirmed_at": [t, t - pd.Timedelta(
    ...     hours=5)], "sampled_at": [t, t]})
    >>> str(listing_from_trace(ex, cases=cases).loc[0, "listed_at"])
    '2022-11-19 19:00:00+00:00'
    """
    out = exposures.loc[:, [s.CONTACT_ID]].copy()
    out[s.LISTED_AT] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    if cases is not None and len(cases):
        reported = cases[s.CONFIRMED_AT].fillna(cases[s.SAMPLED_AT])
        when = pd.Series(reported.to_numpy(), index=cases[s.PERSON_ID].to_numpy())
        when = when[~when.index.duplicated()]
        out[s.LISTED_AT] = exposures[s.CASE_ID].map(when).astype("datetime64[ns, UTC]")
    if contacts is not None and s.TIER in contacts:
        tiers = contacts.drop_duplicates(s.CONTACT_ID).set_index(s.CONTACT_ID)[s.TIER]
        out[s.TIER] = out[s.CONTACT_ID].map(tiers)
    if persons is not None and s.TOWNSHIP_CODE in persons:
        homes = persons.drop_duplicates(s.PERSON_ID).set_index(s.PERSON_ID)[s.TOWNSHIP_CODE]
        out[s.TOWNSHIP_CODE] = out[s.CONTACT_ID].map(homes)
    return _per_contact(out)


def _tier_order(tiers: pd.Series) -> pd.Series:
    return tiers.map({t: i for i, t in enumerate(s.TIERS)}).fillna(len(s.TIERS))


def _per_contact(listed: pd.DataFrame) -> pd.DataFrame:
    """One row per contact: the most urgent tier, the first listing, the first township."""
    frame = listed.copy()
    for column in (s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER):
        if column not in frame:
            frame[column] = None
    if s.LISTED_AT not in frame:
        frame[s.LISTED_AT] = pd.NaT
    frame[s.LISTED_AT] = pd.to_datetime(frame[s.LISTED_AT], utc=True)
    frame = frame.assign(_t=_tier_order(frame[s.TIER])).sort_values(
        [s.CONTACT_ID, "_t"], kind="stable")
    out = frame.groupby(s.CONTACT_ID, sort=True).agg(
        {s.TOWNSHIP_CODE: "first", s.TOWNSHIP: "first", s.TIER: "first", s.LISTED_AT: "min"})
    out = out.reset_index()
    out[s.TIER] = out[s.TIER].fillna(_UNKNOWN)
    return out.astype({s.CONTACT_ID: object})


def _stored(store: Store) -> pd.DataFrame:
    """The followup table (empty with its columns when a read-only older file lacks it)."""
    has = store.con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = 'followup'").fetchone()
    if not has or not has[0]:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES["followup"]})
    return read_sql(store.con, "SELECT * FROM followup")


@dataclass(frozen=True)
class FollowupStatus:
    """What :func:`followup_status` returns."""

    as_of: pd.Timestamp
    #: Per (township_code, township, tier): ``n_listed``, contacts by latest status (one
    #: column per status, and ``no_status``; they add up to ``n_listed``), ``n_located``,
    #: ``located_share``, ``n_overdue``, ``n_late``.
    completeness: pd.DataFrame
    #: Contacts past due and not located, most urgent tier first, then longest overdue.
    overdue: pd.DataFrame
    #: One row per listed contact, with its latest status and timing.
    contacts: pd.DataFrame
    #: Contacts with a status in the store but not in the listing given.
    unlisted: int
    reach_within_hours: Mapping[str, float | None]


def followup_status(store: Store, listed: pd.DataFrame | None = None, *, as_of: Any = None,
                    listed_at: Any = None,
                    reach_within_hours: Mapping[str, float | None] | None = None
                    ) -> FollowupStatus:
    """Completeness of follow-up by township and tier, and who is overdue, as of a time.

    Parameters
    ----------
    store : tracelab.io.Store
        Holds the imported follow-up rows.
    listed : pandas.DataFrame, optional
        The contacts listed: ``contact_id`` and any of ``township_code``, ``township``,
        ``tier``, ``listed_at`` (:func:`read_listing`, :func:`listing_from_trace`, a call
        list); several rows of a contact give its most urgent tier and first listing.
        Default: every contact on an imported sheet. Values a listing lacks are taken
        from the imported sheets (latest import first).
    as_of : tz-aware time, optional
        Statuses recorded later are left out; default now.
    listed_at : tz-aware time, optional
        Listing time of contacts whose listing and sheets give none.
    reach_within_hours : mapping, optional
        Hours to locate a contact by tier (:data:`REACH_WITHIN_HOURS`, the default; its
        ``"unknown"`` serves other tiers; None: no limit).

    Returns
    -------
    FollowupStatus

    Notes
    -----
    A contact is located by its first ``reached``, ``quarantined``, ``sampled`` or test
    result; its latest status is the last recorded by `as_of` (at one instant the later
    stage wins, :data:`~tracelab.model.schema.FOLLOWUP_STATUSES`), so a contact reached
    and later not answering counts as located with latest status ``not_reached``. A date
    without a time is the start of that local day. A contact without a listing time is
    never counted overdue.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.io import open_store
    >>> listed = pd.DataFrame({"contact_id": ["p_000000000000000a", "p_000000000000000b"],
    ...     "tier": ["call_today", "within_24h"], "listed_at": ["2022-11-20T08:00+08:00"] * 2})
    >>> with open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb") as store:
    ...     got = followup_status(store, listed, as_of="2022-11-21T00:00+08:00")
    >>> got.completeness[["tier", "n_listed", "no_status", "n_overdue"]].values.tolist()
    [['call_today', 1, 1, 1], ['within_24h', 1, 1, 0]]
    >>> got.overdue[["contact_id", "hours_overdue"]].values.tolist()
    [['p_000000000000000a', 4.0]]
    """
    as_of_at = now_utc(as_of, "as_of")
    hours = dict(REACH_WITHIN_HOURS if reach_within_hours is None else reach_within_hours)
    rows = _stored(store)
    rows = rows.sort_values([s.IMPORTED_AT, s.SOURCE, s.ROW], kind="stable")
    sheet = _per_contact(rows.loc[:, [s.CONTACT_ID, s.TOWNSHIP_CODE, s.TOWNSHIP, s.LISTED_AT]]
                         .iloc[::-1]).drop(columns=s.TIER)  # latest import first
    tiers = rows.dropna(subset=[s.TIER]).groupby(s.CONTACT_ID)[s.TIER].last()
    sheet[s.TIER] = _take(sheet[s.CONTACT_ID], tiers.astype(object)).fillna(_UNKNOWN)
    base = sheet if listed is None else _per_contact(listed)
    if listed is not None:
        info = sheet.set_index(s.CONTACT_ID)
        for column in (s.TOWNSHIP_CODE, s.TOWNSHIP, s.LISTED_AT, s.TIER):
            stored = _take(base[s.CONTACT_ID], info[column])
            own = base[column].where(base[column] != _UNKNOWN) if column == s.TIER else base[column]
            base[column] = own.fillna(stored) if len(base) else own
        base[s.TIER] = base[s.TIER].fillna(_UNKNOWN)
    if listed_at is not None:
        base[s.LISTED_AT] = base[s.LISTED_AT].fillna(now_utc(listed_at, "listed_at"))
    facts = rows[rows[s.FOLLOWUP_STATUS].notna() & (rows[s.STATUS_AT] <= as_of_at)]
    stage = facts[s.FOLLOWUP_STATUS].map({c: i for i, c in enumerate(s.FOLLOWUP_STATUSES)})
    latest = facts.assign(_o=stage).sort_values([s.STATUS_AT, "_o"], kind="stable") \
        .groupby(s.CONTACT_ID).last()
    located = facts[facts[s.FOLLOWUP_STATUS].isin(s.LOCATED_STATUSES)] \
        .groupby(s.CONTACT_ID)[s.STATUS_AT].min()
    out = base.copy()
    out[s.TOWNSHIP_CODE] = out[s.TOWNSHIP_CODE].fillna(_UNKNOWN)
    out[s.TOWNSHIP] = out[s.TOWNSHIP].fillna(out[s.TOWNSHIP_CODE].map(_township_names()))
    out[s.TOWNSHIP] = out[s.TOWNSHIP].fillna(_UNKNOWN)
    limit = out[s.TIER].map(lambda t: hours.get(t, hours.get(_UNKNOWN)))
    out[s.DUE_AT] = out[s.LISTED_AT] + pd.to_timedelta(limit.astype("float64"), unit="h")
    out[s.FOLLOWUP_STATUS] = _take(out[s.CONTACT_ID], latest[s.FOLLOWUP_STATUS].astype(object))
    out[s.STATUS_AT] = _take(out[s.CONTACT_ID], latest[s.STATUS_AT].astype(UTC))
    out[s.LOCATED_AT] = _take(out[s.CONTACT_ID], located.astype(UTC))
    out[s.N_ATTEMPTS] = _take(out[s.CONTACT_ID], facts.groupby(s.CONTACT_ID).size()
                              .astype("float64")).fillna(0).astype("int64")
    out[s.OVERDUE] = (out[s.DUE_AT] < as_of_at).to_numpy() & out[s.LOCATED_AT].isna().to_numpy()
    out[s.LATE] = (out[s.LOCATED_AT] > out[s.DUE_AT]).fillna(False).astype(bool)
    out[s.HOURS_OVERDUE] = ((as_of_at - out[s.DUE_AT]).dt.total_seconds() / 3600).where(
        out[s.OVERDUE]).round(1)
    order = [s.TOWNSHIP_CODE, "_t", s.CONTACT_ID]
    out = out.assign(_t=_tier_order(out[s.TIER])).sort_values(order, kind="stable") \
        .drop(columns="_t").reset_index(drop=True)
    overdue = out[out[s.OVERDUE]]
    overdue = overdue.assign(_t=_tier_order(overdue[s.TIER])).sort_values(
        ["_t", s.HOURS_OVERDUE, s.CONTACT_ID], ascending=[True, False, True], kind="stable")
    columns = [s.CONTACT_ID, s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER, s.LISTED_AT, s.DUE_AT,
               s.HOURS_OVERDUE, s.FOLLOWUP_STATUS, s.STATUS_AT, s.N_ATTEMPTS]
    unlisted = int((~facts[s.CONTACT_ID].drop_duplicates().isin(out[s.CONTACT_ID])).sum())
    return FollowupStatus(as_of_at, _completeness(out), overdue.loc[:, columns]
                          .reset_index(drop=True), out, unlisted, hours)


def _take(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` (indexed by unique key) at `keys`, dtype kept; ``Series.map`` with an
    empty time series would cast it to float."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index,
                     dtype=values.dtype)


def _township_names() -> pd.Series:
    from tracelab.model.regions import all_townships

    towns = all_townships().drop_duplicates(s.TOWNSHIP_CODE)
    return towns.set_index(s.TOWNSHIP_CODE)[s.TOWNSHIP]


def _completeness(contacts: pd.DataFrame) -> pd.DataFrame:
    keys = [s.TOWNSHIP_CODE, s.TOWNSHIP, s.TIER]
    status = contacts[s.FOLLOWUP_STATUS].fillna(s.NO_STATUS)
    frame = contacts.assign(_status=status)
    groups = frame.groupby(keys, sort=False)
    out = groups.size().rename(s.N_LISTED).to_frame()
    counts = frame.pivot_table(index=keys, columns="_status", aggfunc="size", fill_value=0,
                               observed=True)
    for code in (s.NO_STATUS, *s.FOLLOWUP_STATUSES):
        out[code] = counts.get(code, 0)
    out[s.N_LOCATED] = groups[s.LOCATED_AT].count()
    out[s.LOCATED_SHARE] = (out[s.N_LOCATED] / out[s.N_LISTED]).round(3)
    out[s.N_OVERDUE] = groups[s.OVERDUE].sum()
    out[s.N_LATE] = groups[s.LATE].sum()
    out = out.reset_index()
    numbers = [c for c in out.columns if c not in keys and c != s.LOCATED_SHARE]
    out[numbers] = out[numbers].fillna(0).astype("int64")
    return out.assign(_t=_tier_order(out[s.TIER])).sort_values(
        [s.TOWNSHIP_CODE, "_t"], kind="stable").drop(columns="_t").reset_index(drop=True)


def followup_summary(store: Store, listed: pd.DataFrame | None = None, *, as_of: Any = None,
                     listed_at: Any = None,
                     reach_within_hours: Mapping[str, float | None] | None = None
                     ) -> dict[str, Any] | None:
    """Follow-up in numbers for the briefing; None when the store holds no follow-up row.

    Same arguments as :func:`followup_status`. The numbers are JSON-ready: ``as_of``
    (ISO 8601), ``listed``, ``located``, ``located_share``, ``overdue``, ``late``,
    ``unlisted``, ``by_status`` (latest status, with ``no_status``) and ``by_tier``
    (``listed``, ``located``, ``overdue`` per tier).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tracelab.io import open_store
    >>> with open_store(pathlib.Path(tempfile.mkdtemp()) / "t.duckdb") as store:
    ...     followup_summary(store) is None
    True
    """
    if not len(_stored(store)):
        return None
    got = followup_status(store, listed, as_of=as_of, listed_at=listed_at,
                          reach_within_hours=reach_within_hours)
    table = got.completeness
    by_tier = table.groupby(s.TIER, sort=False)[[s.N_LISTED, s.N_LOCATED, s.N_OVERDUE]].sum()
    listed_n, located_n = int(table[s.N_LISTED].sum()), int(table[s.N_LOCATED].sum())
    return {
        "as_of": got.as_of.isoformat(), "listed": listed_n, "located": located_n,
        "located_share": round(located_n / listed_n, 3) if listed_n else None,
        "overdue": int(table[s.N_OVERDUE].sum()), "late": int(table[s.N_LATE].sum()),
        "unlisted": got.unlisted,
        "by_status": {c: int(table[c].sum()) for c in (*s.FOLLOWUP_STATUSES, s.NO_STATUS)},
        "by_tier": {str(t): {"listed": int(r[s.N_LISTED]), "located": int(r[s.N_LOCATED]),
                             "overdue": int(r[s.N_OVERDUE])} for t, r in by_tier.iterrows()},
        "reach_within_hours": dict(got.reach_within_hours),
    }
