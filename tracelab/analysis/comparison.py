"""What changed since the last run: new and dropped contacts, exposures, venues and areas.

A run is reduced to a :func:`snapshot`, a small JSON-ready dict keyed by stable ids
(hashes of case, contact, venue and rule ids; area ids), so a briefing can keep the
previous one on disk and :func:`compare` two of them. Re-running on the same data gives
the same snapshot, and ``compare(x, x)`` is empty (PRIOR-ART §5 item 8).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tracelab._i18n import msg
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.model.schema import (
    CHANGE,
    DETAIL,
    KEY,
    KIND,
    LABEL,
)
from tracelab.privacy import pseudonyms as privacy

__all__ = ["snapshot", "compare", "stable_key", "CHANGE_COLUMNS", "SNAPSHOT_VERSION"]

SNAPSHOT_VERSION = 1
CHANGE_COLUMNS = (KIND, KEY, LABEL, CHANGE, DETAIL)
_TIER, _LEVEL, _LIFTS, _AREA_ID = "tier", "level", "lifts_on", "area_id"


def stable_key(*parts: Any) -> str:
    """A short stable id: the first 16 hex digits of SHA-256 over the parts joined by ``|``.

    Not anonymisation: person ids should already be pseudonyms (tracelab.privacy.pseudonyms); the
    hash only keeps snapshot files from listing them in plain text.

    Examples
    --------
    >>> stable_key("C1", "P2", "V1", "twenty")
    '3unbex7tfpmfbv7u'
    >>> stable_key("C1", "P2") == stable_key("C1", "P2")
    True
    """
    text = "|".join("" if p is None else str(p) for p in parts)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    # Base32 (a-z, 2-7) rather than hex: a hex key can hold a run of digits that looks like
    # a phone or ID number to the scanners that guard outputs against personal data.
    return base64.b32encode(digest).decode("ascii").lower()[:16]


def _label(person: Any) -> str:
    # A pseudonym's first 6 hex digits tell people apart on screen; its 16 can hold a run
    # of 11 digits that reads as a phone number to anyone scanning the file.
    return f"{str(person)[:8]}…" if privacy.is_pseudonym(person) else ids.mask_id(person)


def _day(value: Any) -> str | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def snapshot(*, contacts: pd.DataFrame | None = None, exposures: pd.DataFrame | None = None,
             venues: pd.DataFrame | None = None, areas: pd.DataFrame | None = None
             ) -> dict[str, Any]:
    """Reduce a run to stable keys: the input of :func:`compare`.

    Parameters
    ----------
    contacts : pandas.DataFrame, optional
        :func:`tracelab.analysis.ranking.rank_contacts` output (``contact_id``, ``tier``).
    exposures : pandas.DataFrame, optional
        :func:`tracelab.tracing.forward.trace` output (``case_id``, ``contact_id``,
        ``venue_id``, ``rule_id``); one key per distinct combination.
    venues : pandas.DataFrame, optional
        :func:`tracelab.analysis.ranking.rank_venues` output (``venue_id``).
    areas : pandas.DataFrame, optional
        :func:`tracelab.analysis.area_designation.risk_areas` output (``area_id``, ``level``, ``lifts_on``).

    Returns
    -------
    dict
        ``{"version", "contacts", "exposures", "venues", "areas"}``, JSON-serialisable,
        independent of row order.

    Examples
    --------
    >>> snap = snapshot(contacts=pd.DataFrame({"contact_id": ["p_0123456789abcdef"],
    ...                                          "tier": ["monitor"]}))
    >>> snap["contacts"]
    {'c4plidoblbqmd6lf': {'label': 'p_012345…', 'tier': 'monitor'}}
    """
    out: dict[str, Any] = {"version": SNAPSHOT_VERSION, "contacts": {}, "exposures": {},
                           "venues": {}, "areas": {}}
    if contacts is not None:
        for person, tier in zip(contacts[s.CONTACT_ID], contacts.get(_TIER, pd.Series(
                [None] * len(contacts), index=contacts.index)), strict=True):
            out["contacts"][stable_key(person)] = {LABEL: _label(person), _TIER: tier}
    if exposures is not None:
        rule = exposures[s.RULE_ID] if s.RULE_ID in exposures else pd.Series(
            "", index=exposures.index)
        for case, contact, venue, r in zip(exposures[s.CASE_ID], exposures[s.CONTACT_ID],
                                           exposures[s.VENUE_ID], rule, strict=True):
            out["exposures"][stable_key(case, contact, venue, r)] = {
                LABEL: f"{_label(case)} -> {_label(contact)} at {venue}"}
    if venues is not None:
        for venue in venues[s.VENUE_ID]:
            out["venues"][stable_key(venue)] = {LABEL: str(venue)}
    if areas is not None:
        for area, level, lifts in zip(areas[_AREA_ID], areas[_LEVEL], areas[_LIFTS],
                                      strict=True):
            out["areas"][str(area)] = {LABEL: str(area), _LEVEL: level, _LIFTS: _day(lifts)}
    for part in ("contacts", "exposures", "venues", "areas"):
        out[part] = dict(sorted(out[part].items()))
    return out


_KINDS = {"contacts": "contact", "exposures": "exposure", "venues": "venue", "areas": "area"}


def compare(previous: Mapping[str, Any], current: Mapping[str, Any]) -> pd.DataFrame:
    """List what changed from ``previous`` to ``current`` (two :func:`snapshot` dicts).

    Items only in ``current`` are ``new``; only in ``previous`` are ``dropped``, except
    areas, which are ``lifted``; a contact whose tier changed, or an area whose level or
    lifting day changed, is ``changed``.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``key``, ``label``, ``change``, ``detail``; empty when nothing changed.

    Raises
    ------
    ValueError
        If a snapshot has another version.

    Examples
    --------
    >>> a = snapshot(venues=pd.DataFrame({"venue_id": ["V1", "V2"]}))
    >>> b = snapshot(venues=pd.DataFrame({"venue_id": ["V2", "V3"]}))
    >>> compare(a, a).empty
    True
    >>> compare(a, b)[["kind", "label", "change"]]
        kind label   change
    0  venue    V3      new
    1  venue    V1  dropped
    """
    for name, snap in (("previous", previous), ("current", current)):
        if snap.get("version") != SNAPSHOT_VERSION:
            raise ValueError(msg("{name} snapshot has version {version!r}; expected "
                                 "{expected} (make it with "
                                 "tracelab.analysis.comparison.snapshot)", name=name,
                                 version=snap.get("version"), expected=SNAPSHOT_VERSION))
    rows = []
    for part, kind in _KINDS.items():
        old, new = previous.get(part, {}), current.get(part, {})
        for key in sorted(set(new) - set(old)):
            rows.append((kind, key, new[key][LABEL], "new", _describe(new[key])))
        for key in sorted(set(old) - set(new)):
            gone = "lifted" if part == "areas" else "dropped"
            rows.append((kind, key, old[key][LABEL], gone, _describe(old[key])))
        for key in sorted(set(old) & set(new)):
            diffs = [f"{f}: {old[key].get(f)} -> {new[key].get(f)}"
                     for f in (_TIER, _LEVEL, _LIFTS) if old[key].get(f) != new[key].get(f)]
            if diffs:
                rows.append((kind, key, new[key][LABEL], "changed", "; ".join(diffs)))
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


def _describe(item: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in item.items() if k != LABEL and v is not None)
