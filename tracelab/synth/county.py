"""The static synthetic county: geography, venues, people and their habits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from shapely.geometry import Polygon

from tracelab.model import schema as s
from tracelab.synth.geography import county_outline, township_polygons
from tracelab.synth.population import People, make_people, split_population
from tracelab.synth.registry import Venues, make_venues
from tracelab.synth.routines import Habits, make_habits

__all__ = ["Base", "build_county", "resolve_seed", "START"]

#: Default first day: the Luxi notice takes effect (DOMAIN §9.1).
START = "2022-11-18"


@dataclass(frozen=True)
class Base:
    """Everything that does not change while the outbreak runs."""

    seed: int
    start: pd.Timestamp  # local midnight of day 0, tz Asia/Shanghai
    townships: pd.DataFrame
    outline: Polygon
    venues: Venues
    people: People
    habits: Habits

    @property
    def start_utc(self) -> pd.Timestamp:
        """Day 0, local midnight, in UTC."""
        return self.start.tz_convert("UTC")


def resolve_seed(seed: int | np.random.Generator | None) -> int:
    """Turn any seed into the int written to the manifest.

    Examples
    --------
    >>> same = resolve_seed(np.random.default_rng(0)) == resolve_seed(np.random.default_rng(0))
    >>> resolve_seed(7), same
    (7, True)
    """
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        return int(seed)
    return int(np.random.default_rng(seed).integers(0, 2**31 - 1))


def build_county(population: int, seed: int, start: str | pd.Timestamp = START) -> Base:
    """Build geography, venues, people and habits for a seed.

    Parameters
    ----------
    population : int
        Residents (at least 50).
    seed : int
        Seed; the same seed gives the same county.
    start : str or Timestamp
        First day (local date in Asia/Shanghai).

    Returns
    -------
    Base

    Examples
    --------
    >>> base = build_county(200, seed=3)
    >>> len(base.people.table), len(base.townships)
    (200, 11)
    """
    day0 = pd.Timestamp(start)
    day0 = (day0.tz_localize(s.DEFAULT_ZONE) if day0.tz is None
            else day0.tz_convert(s.DEFAULT_ZONE)).normalize()
    streams = np.random.SeedSequence(seed).spawn(3)
    outline = county_outline()
    townships = township_polygons(outline)
    urban, rural = split_population(int(population))
    venues = make_venues(townships, urban, rural, np.random.default_rng(streams[0]), start=day0)
    people = make_people(venues, urban, rural, np.random.default_rng(streams[1]), start=day0)
    habits = make_habits(people, venues, np.random.default_rng(streams[2]))
    return Base(seed=seed, start=day0, townships=townships, outline=outline, venues=venues,
                people=people, habits=habits)
