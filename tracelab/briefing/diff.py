"""The JSON summary written beside a briefing, and what changed since a previous one."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab._atomic import write_text
from tracelab.model import schema as s

if TYPE_CHECKING:
    from tracelab.briefing.build import Briefing

__all__ = ["summary", "write_summary", "read_summary", "changes", "Changes", "venue_name",
           "SUMMARY_VERSION"]

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

    snap = snapshot(contacts=b.contacts, exposures=b.exposures,
                    venues=b.venue_ranking if len(b.venue_ranking) else None, areas=b.areas)
    snap[_BRIEFING] = {"version": SUMMARY_VERSION, "as_of": b.as_of.isoformat(),
                       "rule_id": b.rule.rule_id, "regime": b.regime, "headline": b.headline}
    return snap


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
        raise ValueError(f"--since {path}: not a readable briefing summary ({err})") from err
    if not isinstance(data, dict) or not isinstance(data.get(_BRIEFING), dict):
        raise ValueError(f"--since {path}: no {_BRIEFING!r} part; give the .json file that "
                         "tracelab brief wrote beside a previous briefing")
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
        raise ValueError(f"previous summary has briefing version {part.get('version')!r}; "
                         f"expected {SUMMARY_VERSION}")
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


def venue_name(venues: pd.DataFrame, venue_id: Any) -> str:
    """Registered name of a venue id, or the id if unknown (for change rows)."""
    match = venues.loc[venues[s.VENUE_ID] == venue_id, s.NAME]
    return str(match.iloc[0]) if len(match) else str(venue_id)
