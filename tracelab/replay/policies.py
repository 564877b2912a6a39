"""Tracing policies as data: rule, delay, compliance, hops, quarantine, closures; presets.

A :class:`Policy` is a frozen, validated value: what :func:`tracelab.replay.replay` does
each day with the cases reported so far. Presets follow the national regimes
(DOMAIN §1, §2.3, §11.1); ``none`` traces no one and is the baseline every other
policy is scored against.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from tracelab._i18n import Message, msg
from tracelab.model.rules import PRESETS as RULE_PRESETS
from tracelab.model.rules import Rule, as_rule

__all__ = ["Policy", "POLICY_PRESETS", "REGIME_QUARANTINE", "policy", "as_policy",
           "load_policy"]

#: Contact quarantine per regime, days (central, home), DOMAIN §2.3 and §11.1
#: ``contact_quarantine``: ``ninth`` 7 central + 3 home monitoring, ``twenty`` 5 central
#: + 3 home, ``ten`` 5 home.
REGIME_QUARANTINE: Mapping[str, tuple[float, float]] = {
    "ninth": (7.0, 3.0), "twenty": (5.0, 3.0), "ten": (0.0, 5.0)}
#: Secondary contacts (密接的密接), ``ninth`` only: 7 days home (DOMAIN §2.4, §11.1).
_SECONDARY_DAYS = {"ninth": 7.0, "twenty": 0.0, "ten": 0.0}
_CLOCKS = ("last_exposure", "quarantine")


@dataclasses.dataclass(frozen=True)
class Policy:
    """What the tracing team does each day; build one with :func:`policy`.

    Parameters
    ----------
    name : str
        Label in tables and plots.
    tracing : bool
        False: no one is traced or quarantined (the ``none`` baseline); closures still
        apply.
    rule : str
        Exposure rule as a preset name or rule id (:attr:`tracelab.model.rules.Rule.rule_id`).
    hops : {1, 2}
        2 also quarantines secondary contacts (DOMAIN §2.4); needs a rule with
        ``secondary_contacts`` (``ninth``); :func:`policy` switches it on.
    delay_hours : float
        From a case's confirmation to its contacts' quarantine (design default 12 h).
        The measured delay is reported separately (see ``same_day``).
    compliance : float or None
        Scan-compliance scenario: every stay is scanned with this chance
        (``LogParams.compliance``); None keeps the scenario's own log.
    central_days, home_days : float
        Contact quarantine (DOMAIN §11.1 ``contact_quarantine``); default from the regime.
    secondary_days : float
        Quarantine of secondary contacts (DOMAIN §2.4: 7 days home under ``ninth``).
    home_is_quarantine : bool
        Count home days as quarantine in the simulation (away from venues, neither
        infecting nor infected). The simulator has a single "away" state; home
        quarantine (居家隔离) under ``twenty`` and ``ten`` forbids going out, so the
        default is True. Set False to let contacts go about their day after central
        quarantine.
    clock_start : {"last_exposure", "quarantine"}
        Where the quarantine period is counted from: the last exposure (DOMAIN §2.3,
        §11.1 ``quarantine_clock_start``) or the start of quarantine.
    same_day : bool
        Act on the day of confirmation: at local midnight the loop traces the cases
        confirmed during the coming day with the scans logged up to then, and quarantines
        their contacts at confirmation + delay; the trace after the day adds contacts
        from that day's scans. False: contacts are quarantined at the midnight after
        the confirmation at the earliest.
    quarantine : bool
        False traces and scores contacts without quarantining them (observe only: a
        rule's recall and precision on the unmitigated outbreak).
    close_types : tuple of str
        Venue-type codes to close (e.g. ``("restaurant", "entertainment")``).
    close_after_cases : int
        Close them once this many cases have been reported (>= 1).
    close_days : float or None
        How long they stay closed; None: to the end of the replay.

    Examples
    --------
    >>> p = policy("twenty", delay_hours=24)
    >>> p.central_days, p.home_days, p.delay_hours
    (5.0, 3.0, 24.0)
    >>> Policy(name="x", delay_hours=-1)
    Traceback (most recent call last):
    ...
    ValueError: invalid policy 'x': delay_hours=-1.0 must be finite and >= 0
    """

    name: str = "twenty"
    tracing: bool = True
    rule: str = "twenty"
    hops: int = 1
    delay_hours: float = 12.0
    compliance: float | None = None
    central_days: float = 5.0
    home_days: float = 3.0
    secondary_days: float = 0.0
    home_is_quarantine: bool = True
    clock_start: Literal["last_exposure", "quarantine"] = "last_exposure"
    same_day: bool = True
    quarantine: bool = True
    close_types: tuple[str, ...] = ()
    close_after_cases: int = 1
    close_days: float | None = None

    def __post_init__(self) -> None:
        for key in ("delay_hours", "central_days", "home_days", "secondary_days",
                    "close_days", "compliance"):
            value = getattr(self, key)
            if isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, key, float(value))
        if isinstance(self.close_types, (list, set, frozenset)):
            object.__setattr__(self, "close_types", tuple(sorted(self.close_types)))
        problems = _problems(self)
        if problems:
            raise ValueError(msg("invalid policy {name!r}: {problems}", name=self.name,
                                 problems=joined(problems)))

    @property
    def exposure_rule(self) -> Rule:
        """The :class:`~tracelab.model.rules.Rule` the policy traces with."""
        return as_rule(self.rule)

    @property
    def quarantine_days(self) -> float:
        """Days a contact is kept away in the simulation (central, plus home if counted)."""
        return self.central_days + (self.home_days if self.home_is_quarantine else 0.0)

    def replace(self, **changes: Any) -> Policy:
        """A copy with ``changes`` (validated); see :func:`policy` for rule overrides."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """All fields as plain JSON-ready values."""
        out = dataclasses.asdict(self)
        out["close_types"] = list(self.close_types)
        return out


def joined(problems: list[Message]) -> Message:
    """The problems as one message, ``a; b; c``, each in the language asked for.

    Examples
    --------
    >>> m = joined([msg("{key}={value!r} must be True or False", key="a", value=1),
    ...             msg("{key}={value!r} must be finite and >= 0", key="b", value=-1)])
    >>> m
    'a=1 must be True or False; b=-1 must be finite and >= 0'
    >>> m.zh
    'a=1 应为 True 或 False；b=-1 应为 >= 0 的有限数'
    """
    head = problems[0]
    for problem in problems[1:]:
        head = msg("{first}; {then}", first=head, then=problem)
    return head


def _problems(p: Policy) -> list[Message]:
    problems = []
    if not isinstance(p.name, str) or not p.name:
        problems.append(msg("name={name!r} must be a non-empty string", name=p.name))
    for key in ("tracing", "home_is_quarantine", "quarantine", "same_day"):
        if not isinstance(getattr(p, key), bool):
            problems.append(msg("{key}={value!r} must be True or False", key=key,
                                value=getattr(p, key)))
    try:
        r = as_rule(p.rule)
    except (ValueError, TypeError) as exc:
        # exc renders in the language asked for when the rule raised a msg()
        problems.append(msg("rule={rule!r}: {exc}", rule=p.rule, exc=exc))
        r = None
    if p.hops not in (1, 2) or isinstance(p.hops, bool):
        problems.append(msg("{key}={value!r}; allowed: {names}", key="hops", value=p.hops,
                            names="1, 2"))
    elif p.hops == 2 and r is not None and not r.secondary_contacts:
        problems.append(msg("hops=2 needs a rule with secondary_contacts=True, got {rule!r}; "
                            "use policy(..., hops=2), which switches it on", rule=p.rule))
    numbers = {"delay_hours": p.delay_hours, "central_days": p.central_days,
               "home_days": p.home_days, "secondary_days": p.secondary_days}
    if p.close_days is not None:
        numbers["close_days"] = p.close_days
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                0 <= value < float("inf")):
            problems.append(msg("{key}={value!r} must be finite and >= 0", key=key,
                                value=value))
    if p.compliance is not None and (isinstance(p.compliance, bool) or not isinstance(
            p.compliance, (int, float)) or not 0 <= p.compliance <= 1):
        problems.append(msg("compliance={value!r} must lie in [0, 1] or be None",
                            value=p.compliance))
    if p.clock_start not in _CLOCKS:
        problems.append(msg("{key}={value!r}; allowed: {names}", key="clock_start",
                            value=p.clock_start, names=", ".join(_CLOCKS)))
    if not isinstance(p.close_types, tuple) or not all(isinstance(t, str) for t in p.close_types):
        problems.append(msg("close_types={value!r} must be a tuple of venue-type codes",
                            value=p.close_types))
    if (isinstance(p.close_after_cases, bool) or not isinstance(p.close_after_cases, int)
            or p.close_after_cases < 1):
        problems.append(msg("close_after_cases={value!r} must be an int >= 1",
                            value=p.close_after_cases))
    if p.tracing and p.quarantine_days <= 0 and p.secondary_days <= 0:
        problems.append(msg("tracing quarantines no one for any time: set central_days or "
                            "home_days (with home_is_quarantine) above 0, or tracing=False"))
    return problems


def _regime(name: str, **extra: Any) -> Policy:
    central, home = REGIME_QUARANTINE[name]
    return Policy(name=name, rule=RULE_PRESETS[name].rule_id,
                  hops=2 if RULE_PRESETS[name].secondary_contacts else 1,
                  central_days=central, home_days=home, secondary_days=_SECONDARY_DAYS[name],
                  **extra)


#: Named policies: the baseline, the three regimes, and ``twenty`` with closures.
POLICY_PRESETS: Mapping[str, Policy] = {
    "none": Policy(name="none", tracing=False),
    "ninth": _regime("ninth"),
    "twenty": _regime("twenty"),
    "ten": _regime("ten"),
    "twenty_closures": _regime("twenty", close_types=("entertainment", "restaurant"))
    .replace(name="twenty_closures"),
}


def policy(preset: str = "twenty", /, *, rule_overrides: Mapping[str, Any] | None = None,
           **changes: Any) -> Policy:
    """Return preset ``name`` with ``changes`` and exposure-rule overrides applied.

    Parameters
    ----------
    preset : str
        One of ``none``, ``ninth``, ``twenty``, ``ten``, ``twenty_closures``.
    rule_overrides : mapping, optional
        :class:`~tracelab.model.rules.Rule` parameters applied to the policy's rule, e.g.
        ``{"lingering_minutes": 30}``.
    **changes
        :class:`Policy` fields. ``regime="ninth"`` sets the rule and the quarantine
        durations of that regime; ``hops=2`` switches the rule's secondary contacts on.
        A new ``name`` is not required: a changed preset keeps its name unless given.

    Returns
    -------
    Policy

    Raises
    ------
    ValueError
        If ``preset`` is not a preset or a value is invalid.
    TypeError
        If a change is not a policy field or an override not a rule parameter.

    Examples
    --------
    >>> policy("ninth").hops, policy("ninth").central_days
    (2, 7.0)
    >>> policy("twenty", rule_overrides={"lingering_minutes": 30}).rule
    'twenty(lingering_minutes=30)'
    >>> policy("twenty", regime="ten").home_days
    5.0
    """
    if preset not in POLICY_PRESETS:
        raise ValueError(msg("policy preset={preset!r} is not a preset; allowed: {names}",
                             preset=preset, names=", ".join(POLICY_PRESETS)))
    base = POLICY_PRESETS[preset]
    changes = dict(changes)
    regime = changes.pop("regime", None)
    if regime is not None:
        if regime not in REGIME_QUARANTINE:
            raise ValueError(msg("{key}={value!r}; allowed: {names}", key="regime",
                                 value=regime, names=", ".join(REGIME_QUARANTINE)))
        base = _regime(regime).replace(name=base.name)
    fields = {f.name for f in dataclasses.fields(Policy)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        # a policy file's keys reach here too: load_policy shows this to a person
        raise TypeError(msg("unknown policy field(s) {unknown}; allowed: {names}, regime, "
                            "rule_overrides", unknown=unknown, names=", ".join(sorted(fields))))
    r = as_rule(changes.get("rule", base.rule))
    if rule_overrides:
        r = r.replace(**dict(rule_overrides))
    if changes.get("hops", base.hops) == 2 and not r.secondary_contacts:
        r = r.replace(secondary_contacts=True)
    changes["rule"] = r.rule_id
    return base.replace(**changes)


def as_policy(value: str | Path | Policy) -> Policy:
    """A :class:`Policy`, a preset name, or the path of a policy file (JSON or TOML)."""
    if isinstance(value, Policy):
        return value
    if isinstance(value, str) and value in POLICY_PRESETS:
        return POLICY_PRESETS[value]
    path = Path(value)
    if path.suffix.lower() in (".json", ".toml") or path.exists():
        return load_policy(path)
    raise ValueError(msg("policy {value!r} is neither a preset ({names}) nor a .json or .toml "
                         "policy file", value=str(value), names=", ".join(POLICY_PRESETS)))


def load_policy(path: str | Path) -> Policy:
    """Read a policy file: JSON or TOML with :func:`policy`'s arguments.

    ``preset`` (default ``twenty``) picks the starting point; ``rule_overrides`` is a
    table of rule parameters; every other key is a :class:`Policy` field or ``regime``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not valid JSON/TOML, not a table, or a value is invalid.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.toml"
    >>> _ = f.write_text('preset = "twenty"\\nname = "fast"\\ndelay_hours = 4\\n'
    ...                  '[rule_overrides]\\nlingering_minutes = 30\\n')
    >>> p = load_policy(f)
    >>> p.name, p.delay_hours, p.rule
    ('fast', 4.0, 'twenty(lingering_minutes=30)')
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(msg("policy file {path!r} does not exist", path=str(path)))
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(msg("policy file {path!r}: not valid {form}: {exc}", path=str(path),
                             form="TOML" if path.suffix.lower() == ".toml" else "JSON",
                             exc=exc)) from None
    if not isinstance(data, dict):
        raise ValueError(msg("policy file {path!r} must hold a table (object), got {kind}",
                             path=str(path), kind=type(data).__name__))
    data = dict(data)
    preset = data.pop("preset", "twenty")
    if isinstance(data.get("close_types"), list):
        data["close_types"] = tuple(data["close_types"])
    try:
        return policy(preset, **data)
    except TypeError as exc:
        raise ValueError(msg("policy file {path!r}: {exc}", path=str(path), exc=exc)) from None
