"""Exposure rule sets as data: one frozen, validated ``Rule`` and named presets.

A rule says how scans become presence intervals (dwell assumption) and when two
presence intervals count as an exposure (case window, lingering, boundaries, rounding,
minimum overlap, day split). National presets ``ninth``, ``twenty`` (default) and ``ten``
follow DOMAIN.md §1, §2 and §11; ``nhs``, ``cwa``, ``crowdnotifier``, ``nz`` replay other
systems' matching (PRIOR-ART.md §1, §3, §4) and ``same_day`` suits sources with dates only.

Every exposure row carries :attr:`Rule.rule_id`, the preset name plus any parameter that
differs from it, so a result can be reproduced with ``rule(*parse_rule_id(...))``.

The rules for risk areas (who designates an area, when it is lowered or lifted, per
regime) are :data:`tracelab.analysis.area_designation.AREA_RULES`, beside the code that
applies them.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from tracelab._i18n import Message, msg
from tracelab._time import NS_PER_MIN
from tracelab.model.schema import DEFAULT_ZONE

__all__ = [
    "Rule",
    "PRESETS",
    "DEFAULT_RULE",
    "BOUNDARIES",
    "DWELL_MODES",
    "DEFAULT_CALLS_PER_DAY",
    "rule",
    "as_rule",
    "parse_rule_id",
    "round_times",
    "cwa_interval",
    "overlap_minutes",
    "intervals_match",
]

Boundary = Literal["half_open", "closed", "nz_strict_entry"]
DwellMode = Literal["scan_only", "estimated_dwell", "same_day", "whole_day"]
RoundDir = Literal["floor", "ceil", "nearest"]

BOUNDARIES: tuple[str, ...] = ("half_open", "closed", "nz_strict_entry")
DWELL_MODES: tuple[str, ...] = ("scan_only", "estimated_dwell", "same_day", "whole_day")
_ROUND_DIRS = ("floor", "ceil", "nearest")
_ROUND_SIDES = ("both", "case", "contact")
_LINGER_MODES = ("fixed", "min_stay")
_MINUTE_ROUNDING = ("exact", "nearest")

#: The preset a ``Rule()`` without a name starts from (DOMAIN §1).
DEFAULT_RULE = "twenty"
#: People the teams can call per day unless a rule says otherwise (design default: a
#: county's epidemiological teams, DOMAIN §5).
DEFAULT_CALLS_PER_DAY = 200


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    """A complete, validated exposure rule; build one with :func:`rule`.

    Parameters
    ----------
    name : str
        Preset the parameters start from; :attr:`rule_id` lists what differs from it.
    lookback_days_symptomatic : float
        Case window starts this many days before symptom onset (DOMAIN §2.1, §11.1: 2,
        alt. 4).
    lookback_days_asymptomatic : float
        Same, before the first positive sampling for cases without onset (§2.1, §11.1).
    serial_testing_lookback : bool
        A case found by serial screening starts at its last negative sampling (§2.1, new
        in ``ninth``; §11.1).
    end_at_isolation : bool
        The case window ends at isolation or control (§2.1, §11.1 ``window_end``); if
        false, or isolation is unknown, it ends at the trace time.
    lingering_minutes : float
        Presence extended after the case leaves (PRIOR-ART §3: CWA up to 30, Safe Paths
        4 h; DOMAIN §11.2 ``overlap_slack_minutes`` 30 is the upper end).
    lingering_mode : {"fixed", "min_stay"}
        ``min_stay`` lingers ``min(stay, lingering_minutes)`` like CWA (PRIOR-ART §1).
    min_overlap_minutes : float
        Minimum overlap per exposure (DOMAIN §11.2: 0, the 9th edition gives none).
    min_case_stay_minutes : float
        Case stays shorter than this are ignored (CWA drops stays under 10 min, PRIOR-ART §1).
    boundary : {"half_open", "closed", "nz_strict_entry"}
        ``half_open``: ``[in, out)`` intervals need overlap > 0, touching does not match
        (NHS, CWA, tracelab; PRIOR-ART §3, §4). ``closed``: touching matches
        (CrowdNotifier). ``nz_strict_entry``: the contact's entry lies strictly inside the
        case's presence, departure ignored (NZ COVID Tracer).
    rounding_minutes : int
        Grid the times are aligned to, 0 for none (NHS 15, CWA 10; PRIOR-ART §3).
    round_in, round_out : {"floor", "ceil", "nearest"}
        How entry and exit are aligned (NHS floors entry and ceils exit).
    rounding_side : {"both", "case", "contact"}
        Whose intervals are aligned: CWA aligns the warning (case), NHS the visits
        (contact).
    minute_rounding : {"exact", "nearest"}
        ``nearest`` reports overlap in whole minutes, rounded half up like CWA's
        ``OverlapTest`` (5:45 -> 6, 5:15 -> 5).
    day_zone : str
        IANA zone of a "day" (DESIGN §4: Asia/Shanghai; CWA splits at 00:00 UTC).
    day_split : bool
        Split each overlap at midnight in ``day_zone`` and apply the minimum per piece
        (CWA ``CheckInSplitter``; PRIOR-ART §6).
    cut_end : {"next_scan", "next_slot"}
        Where a visit cut by the person's next check-in ends: at that check-in, or (NHS
        ``roundUp``) at the end of the ``rounding_minutes`` slot it falls in, so a next
        check-in at 15:15:00 ends the visit at 15:30.
    case_interval : {"window", "cwa"}
        The case's side of a match: its visit within its window, lengthened by the linger
        and rounded as above; or (``cwa``) the interval Corona-Warn-App derives from the
        check-in (:func:`cwa_interval`: ``min_case_stay_minutes`` and ``lingering_minutes``
        are its drop threshold and linger cap), then cut to the window.
    dwell : {"scan_only", "estimated_dwell", "same_day", "whole_day"}
        How an entry-only scan becomes an interval (PRIOR-ART §5.1, §4 "Missing exits"):
        the scan minute only, the venue type's dwell (DOMAIN §11.2), to local midnight
        cut at the next later check-in (NHS), or the whole local day, never cut (sources
        with dates only). A recorded exit wins in every mode and is never cut.
    scan_instant_minutes : float
        Length of a scan-only presence: scan times have minute resolution (design default 1).
    max_stay_hours : float
        Cap on any stay (PRIOR-ART §4: 24 h, luca).
    share_residences : bool
        Treat residences (compounds, villages) as shared rooms; off by default as a gate
        scan says nothing about sharing a home (DOMAIN §2.5, §3).
    secondary_contacts : bool
        Trace a second hop (DOMAIN §2.4, §11.1: ``ninth`` on, ``twenty``/``ten`` off).
    close_contact_types : tuple of str
        Venue types where a long co-stay is a close-contact candidate (office, workshop,
        classroom: DOMAIN §2.2 (5)); design default.
    close_contact_min_minutes : float
        Overlap from which such a co-stay is a close-contact candidate (design default).
    incubation_min_days, incubation_max_days : float
        Backward-tracing window before onset or sampling (Omicron 2–4 days on average,
        DOMAIN §1; the range 1–7 is a design default).
    companion_cell_m : float
        时空伴随 grid cell size (DOMAIN §4, §11.3: 800 m).
    companion_min_minutes : float
        Co-stay in a cell must exceed this, strictly (§11.3: > 10).
    companion_lookback_days : float
        Look-back of the companion rule (§11.3: 14).
    companion_cumulative_hours : float
        Either party's stay in the cell within the look-back must exceed this (§11.3: 30).
    calls_per_day : int
        Capacity: people the teams can call per day (design default
        :data:`DEFAULT_CALLS_PER_DAY`). Contact ranking puts ranks 1..N in ``call_today``,
        N+1..2N in ``within_24h`` and the rest in ``monitor``
        (:func:`tracelab.analysis.ranking.rank_contacts`); it decides no exposure.

    Examples
    --------
    >>> r = rule("twenty", lingering_minutes=30)
    >>> r.rule_id
    'twenty(lingering_minutes=30)'
    >>> rule("nz").boundary
    'nz_strict_entry'
    """

    name: str = DEFAULT_RULE
    lookback_days_symptomatic: float = 2.0
    lookback_days_asymptomatic: float = 2.0
    serial_testing_lookback: bool = True
    end_at_isolation: bool = True
    lingering_minutes: float = 0.0
    lingering_mode: Literal["fixed", "min_stay"] = "fixed"
    min_overlap_minutes: float = 0.0
    min_case_stay_minutes: float = 0.0
    boundary: Boundary = "half_open"
    rounding_minutes: int = 0
    round_in: RoundDir = "floor"
    round_out: RoundDir = "ceil"
    rounding_side: Literal["both", "case", "contact"] = "both"
    minute_rounding: Literal["exact", "nearest"] = "exact"
    day_zone: str = DEFAULT_ZONE
    day_split: bool = False
    dwell: DwellMode = "estimated_dwell"
    case_interval: Literal["window", "cwa"] = "window"
    cut_end: Literal["next_scan", "next_slot"] = "next_scan"
    scan_instant_minutes: float = 1.0
    max_stay_hours: float = 24.0
    share_residences: bool = False
    secondary_contacts: bool = False
    close_contact_types: tuple[str, ...] = ("school", "enterprise")
    close_contact_min_minutes: float = 240.0
    incubation_min_days: float = 1.0
    incubation_max_days: float = 7.0
    companion_cell_m: float = 800.0
    companion_min_minutes: float = 10.0
    companion_lookback_days: float = 14.0
    companion_cumulative_hours: float = 30.0
    calls_per_day: int = DEFAULT_CALLS_PER_DAY

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError(msg("invalid rule: {problems}", problems=_joined(problems)))

    @property
    def rule_id(self) -> str:
        """Preset name plus every parameter that differs from the preset, stable order."""
        base = PRESETS.get(self.name)
        diffs = []
        for field in dataclasses.fields(self):
            if field.name == "name":
                continue
            value = getattr(self, field.name)
            if base is None or value != getattr(base, field.name):
                diffs.append(f"{field.name}={_fmt(value)}")
        return f"{self.name}({','.join(diffs)})" if diffs else self.name

    def replace(self, **overrides: Any) -> Rule:
        """Return a copy with ``overrides`` applied (validated like :func:`rule`)."""
        _check_keys(overrides)
        return dataclasses.replace(self, **_coerce(overrides))

    def as_dict(self) -> dict[str, Any]:
        """All parameters as a plain dict (for metadata and replay outputs)."""
        return dataclasses.asdict(self)


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple):
        return "|".join(map(str, value))
    return str(value)


def _joined(problems: list[Message]) -> Message:
    """The problems as one message, ``a; b; c``, each in the language asked for."""
    head = problems[0]
    for problem in problems[1:]:
        head = msg("{first}; {then}", first=head, then=problem)
    return head


def _problems(r: Rule) -> list[Message]:
    problems = []
    if r.name not in _PRESET_NAMES:
        problems.append(msg("name={name!r} is not a preset; allowed: {names}", name=r.name,
                            names=_PRESET_LIST))
    choices = {
        "boundary": BOUNDARIES,
        "dwell": DWELL_MODES,
        "round_in": _ROUND_DIRS,
        "round_out": _ROUND_DIRS,
        "rounding_side": _ROUND_SIDES,
        "lingering_mode": _LINGER_MODES,
        "minute_rounding": _MINUTE_ROUNDING,
        "case_interval": ("window", "cwa"),
        "cut_end": ("next_scan", "next_slot"),
    }
    for key, allowed in choices.items():
        if getattr(r, key) not in allowed:
            problems.append(msg("{key}={value!r}; allowed: {names}", key=key,
                                value=getattr(r, key), names=", ".join(allowed)))
    flags = ("serial_testing_lookback", "end_at_isolation", "day_split", "share_residences",
             "secondary_contacts")
    for key in flags:
        if not isinstance(getattr(r, key), (bool, np.bool_)):
            problems.append(msg("{key}={value!r} must be True or False", key=key,
                                value=getattr(r, key)))
    for field in dataclasses.fields(r):
        value = getattr(r, field.name)
        if field.type in ("float", "int") and field.name != "calls_per_day":
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                problems.append(msg("{key}={value!r} must be a number", key=field.name,
                                    value=value))
            elif not np.isfinite(value) or value < 0:
                problems.append(msg("{key}={value!r} must be finite and >= 0", key=field.name,
                                    value=value))
    if isinstance(r.rounding_minutes, (int, np.integer)) is False:
        problems.append(msg("rounding_minutes={value!r} must be a whole number",
                            value=r.rounding_minutes))
    calls = r.calls_per_day
    if isinstance(calls, bool) or not isinstance(calls, (int, np.integer)) or calls < 1:
        problems.append(msg("calls_per_day={calls!r} must be a whole number of people, at "
                            "least 1", calls=calls))
    if r.scan_instant_minutes == 0 if isinstance(r.scan_instant_minutes, (int, float)) else False:
        problems.append(msg("scan_instant_minutes=0 makes every scan-only visit empty; use > 0"))
    if (isinstance(r.incubation_min_days, (int, float))
            and isinstance(r.incubation_max_days, (int, float))
            and r.incubation_min_days > r.incubation_max_days):
        problems.append(msg("incubation_min_days={low} exceeds incubation_max_days={high}",
                            low=r.incubation_min_days, high=r.incubation_max_days))
    if not isinstance(r.close_contact_types, tuple) or not all(
        isinstance(t, str) for t in r.close_contact_types
    ):
        problems.append(msg("close_contact_types={value!r} must be a tuple of str",
                            value=r.close_contact_types))
    try:
        zoneinfo.ZoneInfo(str(r.day_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(msg("day_zone={value!r} is not an IANA zone such as 'Asia/Shanghai'",
                            value=r.day_zone))
    return problems


_PRESET_NAMES = ("ninth", "twenty", "ten", "nhs", "cwa", "crowdnotifier", "nz", "same_day")
#: The presets as a message lists them: quoted, since they are values to type.
_PRESET_LIST = ", ".join(map(repr, _PRESET_NAMES))
_PRESET_OVERRIDES: dict[str, dict[str, Any]] = {
    # DOMAIN §1, §2.4: the 9th edition still determines secondary contacts.
    "ninth": {"secondary_contacts": True},
    "twenty": {},
    # DOMAIN §1: the new 10 measures change management, not the matching rule.
    "ten": {},
    # PRIOR-ART §1 NHS: visit [floor15(in), min(local midnight, ceil15(next scan))),
    # half-open, any positive overlap, visits rounded (the PHE window is not).
    "nhs": {"dwell": "same_day", "rounding_minutes": 15, "round_in": "floor",
            "round_out": "ceil", "rounding_side": "contact", "cut_end": "next_slot"},
    # PRIOR-ART §1 CWA: the case's check-in becomes the interval the app derives (stays
    # under 10 min dropped, linger up to 30, rounded stay laid on the 10-minute grid:
    # cwa_interval), split at 00:00 UTC, overlap in whole minutes.
    "cwa": {"min_case_stay_minutes": 10.0, "lingering_minutes": 30.0,
            "lingering_mode": "min_stay", "case_interval": "cwa", "day_zone": "UTC",
            "day_split": True, "minute_rounding": "nearest"},
    # PRIOR-ART §1 CrowdNotifier: closed intervals, touching matches. The hourly records
    # are lookup keys; each carries exact times, so matching uses them unrounded.
    "crowdnotifier": {"boundary": "closed"},
    # PRIOR-ART §1 NZ: event.start < checkIn.start < event.end, departure ignored.
    "nz": {"boundary": "nz_strict_entry"},
    # PRIOR-ART §4: "same local day" for sources with dates only: every venue of a date is
    # present the whole local day, so two people at one venue on one date always overlap.
    "same_day": {"dwell": "whole_day"},
}


def _build_presets() -> dict[str, Rule]:
    presets = {}
    for name in _PRESET_NAMES:
        # Presets are validated against themselves, so bootstrap rule_id-free.
        presets[name] = Rule(name=name, **_PRESET_OVERRIDES[name])
    return presets


#: The named presets (PRIOR-ART §4 compatibility modes and the national regimes).
PRESETS: dict[str, Rule] = _build_presets()


def _check_keys(overrides: Mapping[str, Any]) -> None:
    allowed = [f.name for f in dataclasses.fields(Rule) if f.name != "name"]
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise TypeError(msg("unknown rule parameter(s) {unknown}; allowed: {names}",
                            unknown=unknown, names=", ".join(allowed)))


def _coerce(overrides: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(overrides)
    if isinstance(out.get("calls_per_day"), np.integer):
        out["calls_per_day"] = int(out["calls_per_day"])  # plain int: ids and JSON read it
    if isinstance(out.get("close_contact_types"), (list, set, frozenset)):
        out["close_contact_types"] = tuple(sorted(out["close_contact_types"]))
    return out


def rule(name: str = DEFAULT_RULE, **overrides: Any) -> Rule:
    """Return preset ``name`` with ``overrides`` applied.

    Parameters
    ----------
    name : str
        One of ``ninth``, ``twenty``, ``ten``, ``nhs``, ``cwa``, ``crowdnotifier``,
        ``nz``, ``same_day``.
    **overrides
        Any :class:`Rule` parameter.

    Returns
    -------
    Rule

    Raises
    ------
    ValueError
        If ``name`` is not a preset or a value is out of range.
    TypeError
        If an override is not a rule parameter.

    Notes
    -----
    What the compatibility presets reproduce, and what they do not:

    - ``cwa``: the case's submitted interval (``cwa_interval``, passing CWA's published
      derivation cases), the split at 00:00 UTC and whole-minute overlaps. Not
      reproduced: the risk model that turns minutes into a warning level (transmission
      risk values, the per-day thresholds), and the app's 10-minute interval numbers: a
      contact's check-in is taken as scanned, not derived.
    - ``nhs``: visits from the quarter of the check-in to the next local midnight, cut at
      the end of the next check-in's quarter (the apps' ``roundUp``), matched half-open
      (the Android app's ``VenueMatchFinderTest`` passes, a risky window standing for a
      case's stay). Not reproduced: the iOS app's closed intervals and case-insensitive
      venue ids, the 21-day retention, the M1/M2 message types, and the app's memory of
      visits already notified.
    - ``crowdnotifier`` and ``nz``: the interval tests of PRIOR-ART §1 only; neither the
      hourly keys nor the notification texts.
    - ``same_day``: for date-only sources; every venue of a date counts the whole local day.

    Examples
    --------
    >>> rule("cwa").day_zone
    'UTC'
    >>> rule("ninth", lookback_days_symptomatic=4).rule_id
    'ninth(lookback_days_symptomatic=4)'
    """
    if name not in PRESETS:
        raise ValueError(msg("rule name={name!r} is not a preset; allowed: {names}", name=name,
                             names=_PRESET_LIST))
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]


def as_rule(value: str | Rule) -> Rule:
    """Return ``value`` if it is a :class:`Rule`, else the preset or rule id it names."""
    if isinstance(value, Rule):
        return value
    if isinstance(value, str):
        name, overrides = parse_rule_id(value)
        return rule(name, **overrides)
    raise TypeError(f"rule={value!r} must be a preset name, a rule id or a Rule")


def parse_rule_id(rule_id: str) -> tuple[str, dict[str, Any]]:
    """Split a :attr:`Rule.rule_id` into preset name and overrides.

    Examples
    --------
    >>> parse_rule_id("cwa(lingering_minutes=15,day_split=False)")
    ('cwa', {'lingering_minutes': 15.0, 'day_split': False})
    >>> as_rule("twenty(close_contact_types=school|hotel)").close_contact_types
    ('school', 'hotel')
    """
    text = rule_id.strip()
    if "(" not in text:
        return text, {}
    if not text.endswith(")"):
        raise ValueError(msg("rule id {rule_id!r} must look like name(key=value,...)",
                             rule_id=rule_id))
    name, body = text[:-1].split("(", 1)
    types = {f.name: f.type for f in dataclasses.fields(Rule)}
    overrides: dict[str, Any] = {}
    for item in filter(None, body.split(",")):
        key, _, raw = item.partition("=")
        if key not in types or key == "name":
            raise ValueError(msg("rule id {rule_id!r}: {key!r} is not a rule parameter",
                                 rule_id=rule_id, key=key))
        kind = str(types[key])
        if kind == "bool":
            if raw not in ("True", "False"):
                raise ValueError(msg("rule id {rule_id!r}: {key}={raw!r} must be True or False",
                                     rule_id=rule_id, key=key, raw=raw))
            overrides[key] = raw == "True"
        elif kind in ("float", "int"):
            try:
                overrides[key] = float(raw) if kind == "float" else int(raw)
            except ValueError:
                raise ValueError(
                    msg("rule id {rule_id!r}: {key}={raw!r} must be a number", rule_id=rule_id,
                        key=key, raw=raw) if kind == "float" else
                    msg("rule id {rule_id!r}: {key}={raw!r} must be a whole number",
                        rule_id=rule_id, key=key, raw=raw)) from None
        elif kind.startswith("tuple"):
            overrides[key] = tuple(filter(None, raw.split("|")))
        else:
            overrides[key] = raw
    return name, overrides


def round_times(ns: np.ndarray, minutes: int, how: str) -> np.ndarray:
    """Align int64 nanosecond instants to a grid of ``minutes`` (0: unchanged).

    Examples
    --------
    >>> t = np.array([7 * 60_000_000_000, 15 * 60_000_000_000])
    >>> (round_times(t, 15, "floor") // 60_000_000_000).tolist()
    [0, 15]
    >>> (round_times(t, 15, "ceil") // 60_000_000_000).tolist()
    [15, 15]
    """
    ns = np.asarray(ns, dtype=np.int64)
    if minutes <= 0:
        return ns
    step = np.int64(minutes) * NS_PER_MIN
    if how == "floor":
        return ns - np.mod(ns, step)
    if how == "ceil":
        return -((-ns) - np.mod(-ns, step))
    if how == "nearest":
        return (ns + step // 2) - np.mod(ns + step // 2, step)
    raise ValueError(msg("{key}={value!r}; allowed: {names}", key="how", value=how,
                         names=", ".join(_ROUND_DIRS)))


def cwa_interval(start_ns: Any, end_ns: Any, *, drop_below_minutes: float = 10.0,
                 linger_minutes: float = 30.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The interval Corona-Warn-App submits for a check-in (its ``deriveTime``).

    CWA (``TimeIntervalDeriver``, Apache-2.0; test cases ``pt-derive-time-interval``): a
    stay of ``d`` seconds, ``m = d // 60`` whole minutes, is dropped when ``m`` is under
    ``drop_below_minutes``; its aerosol linger is ``d`` seconds while ``m <= 30``, else
    ``linger_minutes``; the stay plus linger, rounded to the nearest 10 minutes (halves
    up), is laid on the 10-minute grid from the boundary cell the stay overlaps more: from
    the start's cell, or back from the cell after the lingered end when that one is
    covered more.

    Returns
    -------
    (start, end, keep)
        int64 ns arrays (whole seconds, as the app keeps them) and the mask of stays kept.

    Examples
    --------
    >>> t = lambda hh, mm: np.int64((hh * 60 + mm) * 60 * 10**9)
    >>> s, e, k = cwa_interval(np.array([t(10, 26)]), np.array([t(10, 36)]))
    >>> (s // 60_000_000_000 % 60).tolist(), (e // 60_000_000_000 % 60).tolist(), k.tolist()
    ([30], [50], [True])
    """
    start = np.asarray(start_ns, dtype=np.int64) // 10**9  # the app works in seconds
    end = np.asarray(end_ns, dtype=np.int64) // 10**9
    dur = np.maximum(end - start, 0)
    minutes = dur // 60
    keep = minutes >= drop_below_minutes
    decay = np.where(minutes <= 30, dur, np.int64(round(linger_minutes * 60)))
    rel_end = end + decay
    s_cell, e_cell = start - np.mod(start, 600), rel_end - np.mod(rel_end, 600)
    over_start, over_end = s_cell + 600 - start, rel_end - e_cell
    target = np.floor((dur + decay) / 600 + 0.5).astype(np.int64) * 600
    late = over_end > over_start
    new_end = np.where(late, e_cell + 600, s_cell + target)
    new_start = np.where(late, new_end - target, s_cell)
    return new_start * 10**9, new_end * 10**9, keep


def intervals_match(
    case_in: Any, case_out: Any, contact_in: Any, contact_out: Any, boundary: str = "half_open"
) -> np.ndarray:
    """Whether a contact interval matches a case interval under ``boundary``.

    Arguments are array-likes of int64 nanoseconds (or anything ``np.asarray`` turns into
    comparable numbers). Half-open needs ``max(in) < min(out)``; closed needs ``<=``;
    ``nz_strict_entry`` needs ``case_in < contact_in < case_out``.

    Examples
    --------
    >>> intervals_match(0, 10, 10, 20).tolist()  # touching, half-open
    False
    >>> intervals_match(0, 10, 10, 20, "closed").tolist()
    True
    >>> intervals_match(0, 10, 0, 5, "nz_strict_entry").tolist()
    False
    """
    ci, co = np.asarray(case_in), np.asarray(case_out)
    ki, ko = np.asarray(contact_in), np.asarray(contact_out)
    if boundary == "half_open":
        return np.asarray(np.maximum(ci, ki) < np.minimum(co, ko))
    if boundary == "closed":
        return np.asarray(np.maximum(ci, ki) <= np.minimum(co, ko))
    if boundary == "nz_strict_entry":
        return np.asarray((ci < ki) & (ki < co))
    raise ValueError(msg("{key}={value!r}; allowed: {names}", key="boundary", value=boundary,
                         names=", ".join(BOUNDARIES)))


def overlap_minutes(
    case_in: Any, case_out: Any, contact_in: Any, contact_out: Any,
    minute_rounding: str = "exact",
) -> np.ndarray:
    """Overlap of two interval arrays in minutes (0 where they do not overlap).

    Examples
    --------
    CWA's ``OverlapTest``: window 10:00–11:00 against 09:50–10:05:45 is 6 whole minutes.

    >>> m = 60_000_000_000
    >>> overlap_minutes(600 * m, 660 * m, 590 * m, 605 * m + 45 * m // 60, "nearest").tolist()
    6.0
    """
    start = np.maximum(np.asarray(case_in), np.asarray(contact_in))
    end = np.minimum(np.asarray(case_out), np.asarray(contact_out))
    minutes = np.clip((end - start).astype(np.float64) / NS_PER_MIN, 0.0, None)
    if minute_rounding == "nearest":
        return np.floor(minutes + 0.5)
    if minute_rounding == "exact":
        return minutes
    raise ValueError(msg("{key}={value!r}; allowed: {names}", key="minute_rounding",
                         value=minute_rounding, names=", ".join(_MINUTE_ROUNDING)))
