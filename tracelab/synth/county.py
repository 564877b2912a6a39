"""The static synthetic county: geography, venues, people and their habits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from shapely.geometry import Polygon

from tracelab._i18n import msg
from tracelab.model import schema as s
from tracelab.model.regions import Region, region
from tracelab.synth.population import People, make_people, split_population
from tracelab.synth.registry import Venues, make_venues, synthetic_division
from tracelab.synth.routines import Habits, make_habits

__all__ = ["Base", "build_county", "resolve_seed", "START", "DEFAULT_REGION"]

#: Default first day: the Luxi notice takes effect (DOMAIN §9.1).
START = "2022-11-18"
#: The county synthesised unless told otherwise: 芦溪县 (Luxi, DOMAIN §7).
DEFAULT_REGION = "360323"


@dataclass(frozen=True)
class Base:
    """Everything that does not change while the outbreak runs."""

    seed: int
    start: pd.Timestamp  # local midnight of day 0, in the region's zone
    region: Region
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
            raise ValueError(msg("seed must be a non-negative int, got {seed!r}", seed=seed))
        return int(seed)
    return int(np.random.default_rng(seed).integers(0, 2**31 - 1))


def build_county(population: int, seed: int, start: str | pd.Timestamp = START,
                 region_code: str | Region = DEFAULT_REGION) -> Base:
    """Build geography, venues, people and habits for a seed.

    Parameters
    ----------
    population : int
        Residents (at least 50).
    seed : int
        Seed; the same seed gives the same county.
    start : str or Timestamp
        First day (local date in the region's zone).
    region_code : str or Region
        The region whose townships and outline the county is built on (a shipped
        region's code or name, or a :class:`~tracelab.model.regions.Region`).

    Returns
    -------
    Base

    Examples
    --------
    >>> base = build_county(200, seed=3)
    >>> len(base.people.table), len(base.townships)
    (200, 11)
    """
    where = region(region_code)
    day0 = pd.Timestamp(start)
    day0 = (day0.tz_localize(where.zone) if day0.tz is None
            else day0.tz_convert(where.zone)).normalize()
    streams = np.random.SeedSequence(seed).spawn(3)
    townships = where.township_polygons()
    urban, rural = split_population(int(population), townships[s.TOWNSHIP_KIND].tolist())
    venues = make_venues(townships, urban, rural, np.random.default_rng(streams[0]), start=day0,
                         where=where)
    people = make_people(venues, urban, rural, np.random.default_rng(streams[1]), start=day0,
                         division=synthetic_division(where))
    habits = make_habits(people, venues, np.random.default_rng(streams[2]))
    return Base(seed=seed, start=day0, region=where, townships=townships,
                outline=where.outline, venues=venues, people=people, habits=habits)
