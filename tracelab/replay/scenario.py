"""The synthetic world a policy is replayed in: county size, days, outbreak and scan log.

A :class:`Scenario` holds everything but the seed; :func:`scenario_from_dir` rebuilds
the scenario of a county written by ``tracelab synth`` from its ``manifest.json``, so
the replay of seed ``manifest["seed"]`` under the ``none`` policy reproduces that county.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from tracelab._i18n import Message, msg
from tracelab.model.regions import region
from tracelab.replay.policies import joined
from tracelab.synth import START, LogParams, OutbreakParams
from tracelab.synth.county import DEFAULT_REGION

__all__ = ["Scenario", "scenario_from_dir", "as_scenario"]


@dataclasses.dataclass(frozen=True)
class Scenario:
    """County size, length and parameters of a replay (the seed is given per run).

    Parameters
    ----------
    population : int
        Residents of the synthetic county (>= 50).
    days : int
        Days simulated (>= 1).
    start : str
        First local day, ``YYYY-MM-DD`` (in the region's zone).
    outbreak : OutbreakParams
    log : LogParams
        Scan-log imperfections; ``LogParams.perfect()`` for full compliance and exact
        exits. A policy's ``compliance`` overrides ``log.compliance``.
    region : str
        Code of the shipped region the county is built on (default
        :data:`tracelab.synth.county.DEFAULT_REGION`, the sample county's).

    Examples
    --------
    >>> Scenario(population=500, days=10).days
    10
    >>> Scenario(population=10)
    Traceback (most recent call last):
    ...
    ValueError: invalid scenario: population=10 must be an int >= 50
    """

    population: int = 5000
    days: int = 30
    start: str = START
    outbreak: OutbreakParams = dataclasses.field(default_factory=OutbreakParams)
    log: LogParams = dataclasses.field(default_factory=LogParams)
    region: str = DEFAULT_REGION

    def __post_init__(self) -> None:
        problems: list[Message] = []
        if isinstance(self.population, bool) or not isinstance(self.population, int) or \
                self.population < 50:
            problems.append(msg("{key}={value!r} must be an int >= {least}", key="population",
                                value=self.population, least=50))
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            problems.append(msg("{key}={value!r} must be an int >= {least}", key="days",
                                value=self.days, least=1))
        if not isinstance(self.outbreak, OutbreakParams):
            problems.append(msg("outbreak={value!r} must be an OutbreakParams",
                                value=self.outbreak))
        if not isinstance(self.log, LogParams):
            problems.append(msg("log={value!r} must be a LogParams", value=self.log))
        if not problems:
            try:
                region(self.region)
            except ValueError as exc:
                # the region's own message, in the language asked for
                problems.append(msg("{exc}", exc=exc))
        if problems:
            raise ValueError(msg("invalid scenario: {problems}", problems=joined(problems)))

    def replace(self, **changes: Any) -> Scenario:
        """A copy with ``changes`` (validated)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for run metadata)."""
        return {"population": self.population, "days": self.days, "start": str(self.start),
                "outbreak": self.outbreak.to_dict(), "log": self.log.to_dict(),
                "region": self.region}


def scenario_from_dict(data: dict[str, Any]) -> Scenario:
    """Inverse of :meth:`Scenario.as_dict` (LogParams holds a mappingproxy, which does
    not pickle: worker processes get the dict)."""
    outbreak: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                for k, v in data["outbreak"].items()}
    return Scenario(population=int(data["population"]), days=int(data["days"]),
                    start=str(data["start"]), outbreak=OutbreakParams(**outbreak),
                    log=LogParams(**data["log"]), region=str(data.get("region", DEFAULT_REGION)))


def scenario_from_dir(folder: str | Path, *, days: int | None = None) -> tuple[Scenario, int]:
    """The scenario and seed of a synthetic county folder (its ``manifest.json``).

    Parameters
    ----------
    folder : str or Path
        Written by ``tracelab synth`` (or :func:`tracelab.synth.county_files`).
    days : int, optional
        Replay length; default the manifest's days.

    Returns
    -------
    (Scenario, int)

    Raises
    ------
    FileNotFoundError
        If the folder has no ``manifest.json``.
    ValueError
        If the manifest is not from ``tracelab.synth``: a replay needs the generator's
        parameters, real data cannot be replayed.

    Examples
    --------
    >>> import tracelab
    >>> sample = Path(tracelab.__file__).parents[1] / "data" / "sample"
    >>> scen, seed = scenario_from_dir(sample)
    >>> scen.population, scen.days, seed
    (5000, 14, 1)
    """
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(msg("--data {folder!r}: no manifest.json; replay needs a "
                                    "synthetic county written by `tracelab synth`",
                                    folder=str(folder)))
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("generator") != "tracelab.synth":
        raise ValueError(msg("{path!r}: generator={generator!r}; replay needs a county from "
                             "tracelab.synth (its parameters and seed)", path=str(path),
                             generator=manifest.get("generator")))
    params = manifest["parameters"]
    scen = scenario_from_dict({"population": params["population"],
                       "days": days if days is not None else manifest["days"],
                       "start": manifest["start"], "outbreak": params["outbreak"],
                       "log": params["log"],
                       "region": manifest.get("county", {}).get("code", DEFAULT_REGION)})
    return scen, int(manifest["seed"])


def as_scenario(value: Scenario | int | str | Path) -> Scenario:
    """A :class:`Scenario`, a population (defaults otherwise) or a county folder."""
    if isinstance(value, Scenario):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Scenario(population=value)
    if isinstance(value, (str, Path)):
        return scenario_from_dir(value)[0]
    raise TypeError(f"scenario={value!r} must be a Scenario, a population or a county folder")
