"""The JSON summary written beside a briefing, and what changed since a previous one."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab._atomic import write_text
from tracelab._i18n import msg
from tracelab.model import schema as s

if TYPE_CHECKING:
    from tracelab.briefing.build import Briefing

__all__ = ["summary", "write_summary", "read_summary", "changes", "Changes", "venue_name",
           "card_deltas", "SUMMARY_VERSION"]

#: Version of the briefing part of the summary (the snapshot part has its own).
SUMMARY_VERSION = 1
_BRIEFING = "briefing"
# Headline figures compared between briefings, in display order.
_FIGURES = ("cases", "confirmed", "asymptomatic", "contacts", "venues")


def summary(b: Briefing) -> dict[str, Any]:
    """The briefing reduced to stable ids and headline numbers, JSON-ready.

    The top level is a :func:`tracelab.analysis.comparison.snapshot` (hashed contact and exposure
    keys, venue and area ids), so :func:`tracelab.analysis.comparison.compare` reads it as is;
    ``"briefing"`` adds the time, rule and headline numbers. No person id appears in
    plain text: contacts are hashed keys with masked labels.
    """
    from tracelab.analysis.comparison import snapshot

    snap = snapshot(contacts=b.contacts, exposures=_without_capacity(b.exposures),
                    venues=b.venue_ranking if len(b.venue_ranking) else None, areas=b.areas)
    snap[_BRIEFING] = {"version": SUMMARY_VERSION, "as_of": b.as_of.isoformat(),
                       "rule_id": b.rule.rule_id, "regime": b.regime, "headline": b.headline}
    return snap


def _without_capacity(exposures: pd.DataFrame) -> pd.DataFrame:
    """`exposures` with rule ids stripped of ``calls_per_day``.

    The capacity orders the calls but decides no exposure: a briefing made for more
    calls a day must not list every exposure as dropped and new.
    """
    from tracelab.model.rules import DEFAULT_CALLS_PER_DAY, as_rule

    if s.RULE_ID not in exposures or not len(exposures):
        return exposures
    ids = {r: as_rule(str(r)).replace(calls_per_day=DEFAULT_CALLS_PER_DAY).rule_id
           for r in exposures[s.RULE_ID].dropna().unique()}
    if all(k == v for k, v in ids.items()):
        return exposures
    return exposures.assign(**{s.RULE_ID: exposures[s.RULE_ID].map(ids)})


def write_summary(b: Briefing, path: str | Path) -> Path:
    """Write :func:`summary` as JSON (sorted keys, so equal briefings give equal bytes)."""
    path = Path(path)
    text = json.dumps(summary(b), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return write_text(path, text + "\n")


def read_summary(path: str | Path) -> dict[str, Any]:
    """Read a summary written by :func:`write_summary`.

    Raises
    ------
    ValueError
        If the file is not a briefing summary.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(msg("--since {path}: not a readable briefing summary ({exc})",
                             path=path, exc=err)) from err
    if not isinstance(data, dict) or not isinstance(data.get(_BRIEFING), dict):
        raise ValueError(msg("--since {path}: no {part!r} part; give the .json file that "
                             "tracelab brief wrote beside a previous briefing", path=path,
                             part=_BRIEFING))
    return data


@dataclasses.dataclass(frozen=True)
class Changes:
    """What changed since a previous briefing.

    ``figures``: rows ``(name, previous, current)`` of headline numbers; ``counts``:
    ``{(kind, change): n}`` over contacts, exposures, venues and areas; ``venues`` and
    ``areas``: the change rows of :func:`tracelab.analysis.comparison.compare` for those kinds
    (venue and area ids, never people).
    """

    previous_as_of: str
    figures: list[tuple[str, int, int]]
    counts: dict[tuple[str, str], int]
    venues: pd.DataFrame
    areas: pd.DataFrame

    @property
    def empty(self) -> bool:
        """True when no figure and no item changed."""
        return not self.counts and all(p == c for _, p, c in self.figures)


def changes(previous: Mapping[str, Any], b: Briefing) -> Changes:
    """Compare a previous summary with briefing `b`.

    Raises
    ------
    ValueError
        If `previous` is not a summary of a supported version.
    """
    from tracelab.analysis.comparison import KIND, compare

    part = previous.get(_BRIEFING, {})
    if part.get("version") != SUMMARY_VERSION:
        raise ValueError(msg("previous summary has briefing version {version!r}; expected "
                             "{expected}", version=part.get("version"),
                             expected=SUMMARY_VERSION))
    table = compare(previous, summary(b))
    old = part.get("headline", {})
    figures = [(name, int(old.get(name, 0)), int(b.headline[name])) for name in _FIGURES]
    old_areas, new_areas = old.get("areas", {}), b.headline["areas"]
    figures += [(f"areas_{lvl}", int(old_areas.get(lvl, 0)), int(new_areas[lvl]))
                for lvl in ("high", "medium")]
    counts = {(str(k), str(c)): int(n) for (k, c), n in
              table.groupby([KIND, "change"], sort=True).size().items()}
    return Changes(previous_as_of=str(part.get("as_of", "")), figures=figures, counts=counts,
                   venues=table[table[KIND] == "venue"].reset_index(drop=True),
                   areas=table[table[KIND] == "area"].reset_index(drop=True))


def card_deltas(ch: Changes | None) -> dict[str, int]:
    """Change of each headline card's number since the previous briefing.

    Keys are the cards' ``data-key``: ``cases``, ``contacts``, ``venues`` and ``areas``
    (high plus medium); empty without a previous briefing.

    Examples
    --------
    >>> ch = Changes("2022-11-28T00:00+08:00", [("cases", 20, 36), ("contacts", 900, 880),
    ...     ("venues", 9, 16), ("areas_high", 5, 9), ("areas_medium", 1, 0)], {},
    ...     pd.DataFrame(), pd.DataFrame())
    >>> card_deltas(ch)
    {'cases': 16, 'contacts': -20, 'venues': 7, 'areas': 3}
    >>> card_deltas(None)
    {}
    """
    if ch is None:
        return {}
    by_name = {name: new - old for name, old, new in ch.figures}
    return {"cases": by_name.get("cases", 0), "contacts": by_name.get("contacts", 0),
            "venues": by_name.get("venues", 0),
            "areas": by_name.get("areas_high", 0) + by_name.get("areas_medium", 0)}


def venue_name(venues: pd.DataFrame, venue_id: Any) -> str:
    """Registered name of a venue id, or the id if unknown (for change rows)."""
    match = venues.loc[venues[s.VENUE_ID] == venue_id, s.NAME]
    return str(match.iloc[0]) if len(match) else str(venue_id)
