"""The public trajectory notice (病例活动轨迹公告): where each case was while infectious.

The HQ publishes, per case, the places and times the case was present during its
infectious window, so that people who were there report themselves (报备). The notice is
built from the same selection the forward trace makes of a case's own visits
(:func:`counted_visits`), merged into stays at one venue (:func:`merge_stays`), with each
place written for the public (:func:`tracelab.briefing.notice_places.public_places`): no
person data at all, and a residence only as its compound or village, never a door,
building, unit or room.

Building a notice reads a case's visits: :func:`case_notice` is a person-level query that
needs ``purpose=`` and leaves one audit entry, after its ``deliver`` callback (which writes
the file, :func:`tracelab.briefing.notice_render.write_notice`) has returned. Several cases
make one combined notice, numbered 病例1, 病例2, ... in the order given, as HQs publish them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_MIN, timestamp_ns, to_ns
from tracelab.briefing.notice_places import PLACE, WHERE, public_places
from tracelab.index.graph import VisitGraph
from tracelab.index.windows import check_windows, window_arrays
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule, cwa_interval
from tracelab.privacy.audit import audited

if TYPE_CHECKING:
    from tracelab.io import DataDir

__all__ = ["Notice", "CaseTrack", "NoVisitsError", "counted_visits", "merge_stays",
           "check_hotline", "build_notice", "case_notice", "SHOWN_FROM", "SHOWN_TO",
           "STAY_START", "STAY_END", "MERGE_GAP_MINUTES"]

#: Counted visits: the part of the visit inside the case's window, as the notice shows it.
SHOWN_FROM, SHOWN_TO = "shown_from", "shown_to"
#: Stays: the stay's first and last instant (tz-aware UTC).
STAY_START, STAY_END = "stay_start", "stay_end"
#: Two visits in a row at one venue at most this far apart are one stay: a re-scan at the
#: door, or stepping out to the car park, is not a second visit for the public.
MERGE_GAP_MINUTES = 30.0

_LINES = {
    "no_visits": ("病例 {case} 在传染期内（{start} 至 {end}，{zone}）没有按规则 {rule} 计入的场所"
                  "到访记录，无轨迹可发布",
                  "case {case} has no venue visit that counts under rule {rule} inside its "
                  "infectious window ({start} to {end}, {zone}); there is no trajectory to "
                  "publish"),
    "unknown": ("病例 {case} 不在病例表中", "case {case} is not in the cases table"),
    "no_case": ("请至少给出一名病例", "give at least one case"),
    "hotline": ("报备电话 {text!r} 不是电话号码（只能含数字、空格、+ - ( ) 转，3 至 40 个字符）",
                "hotline {text!r} is not a telephone number (digits, spaces, + - ( ) and 转 "
                "only, 3 to 40 characters)"),
}


def _say(key: str, lang: str, **fields: object) -> str:
    return _LINES[key][1 if lang == "en" else 0].format(**fields)


class NoVisitsError(ValueError):
    """A case without a counted visit in its infectious window: nothing to publish."""


@dataclasses.dataclass(frozen=True)
class CaseTrack:
    """One case's part of a notice: no id, only its number, kind and places.

    Attributes
    ----------
    number : int
        1, 2, ... in the order the cases were given (病例1, 病例2).
    kind : str
        ``confirmed`` or ``asymptomatic`` (``schema.CASE_KINDS``).
    window_start, window_end : pandas.Timestamp
        The infectious window the visits were selected in (UTC).
    visits : pandas.DataFrame
        The counted visits (:func:`counted_visits`), without the person column.
    stays : pandas.DataFrame
        ``venue_id``, ``place``, ``where``, ``residence``, ``stay_start``, ``stay_end``:
        the visits merged (:func:`merge_stays`) and placed (:func:`public_places`).
    """

    number: int
    kind: str
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    visits: pd.DataFrame = dataclasses.field(repr=False)
    stays: pd.DataFrame = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Notice:
    """A trajectory notice ready to render: cases, zone, region and the closing request."""

    tracks: tuple[CaseTrack, ...]
    zone: str = s.DEFAULT_ZONE
    region: str = ""
    hotline: str | None = None
    rule_id: str = "twenty"
    lingering_minutes: float = 0.0
    as_of: pd.Timestamp | None = None
    lang: str = "zh"

    @property
    def n_stays(self) -> int:
        """Lines of the notice: stays of every case."""
        return sum(len(t.stays) for t in self.tracks)


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True)


def counted_visits(graph: VisitGraph, cases: pd.DataFrame, case: Any,
                   rule: str | Rule = "twenty", *, as_of: Any = None) -> pd.DataFrame:
    """The case's visits that count under `rule`: inside its infectious window, in time order.

    The selection is the forward trace's own (:func:`tracelab.tracing.forward.trace`, the
    case side of a match): visits touching the window whose part inside it is not empty
    (or is one instant under a ``closed`` boundary), long enough (``min_case_stay_minutes``)
    or, under ``case_interval="cwa"``, kept by the app's derivation. One difference, on
    purpose: residences are kept whatever ``share_residences`` says, as that switch
    decides whether co-residents are matched as contacts, not whether the case was there.

    Parameters
    ----------
    graph : VisitGraph
        Built under the rule's dwell.
    cases : pandas.DataFrame
        The cases table (``schema.CASE_COLUMNS``); the case's row gives its window.
    case : object
        The case's ``person_id`` as the graph holds it.
    rule : str or Rule
    as_of : tz-aware time, optional
        Ends the window of a case not yet isolated; default the graph's last exit (as the
        trace).

    Returns
    -------
    pandas.DataFrame
        ``venue_id``, ``t_in``, ``t_out`` (the visit) and ``shown_from``, ``shown_to``
        (its part inside the window), ordered by ``shown_from``, then venue.

    Raises
    ------
    LookupError
        If `case` is not in `cases`.
    ValueError
        If the case has neither onset, sampling nor confirmation.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-17 02:00", "2022-11-20 02:00", "2022-11-20 03:00"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["C1"] * 3, "venue_id": ["V1", "V1", "V2"],
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2"], "venue_type": ["supermarket", "pharmacy"]})
    >>> cases = pd.DataFrame({"person_id": ["C1"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-21 00:00"], utc=True)})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> counted_visits(g, cases, "C1")[["venue_id", "shown_from", "shown_to"]]
      venue_id                shown_from                  shown_to
    0       V1 2022-11-20 02:00:00+00:00 2022-11-20 02:30:00+00:00
    1       V2 2022-11-20 03:00:00+00:00 2022-11-20 03:10:00+00:00
    """
    r = as_rule(rule)
    mine = cases[cases[s.PERSON_ID] == case]
    if not len(mine):
        raise LookupError(msg("case {case} is not in the cases table", case=case))
    limit = timestamp_ns(as_of) if as_of is not None else graph.time_range()[1]
    ids, ws, we, _, bad = window_arrays(mine.head(1), r, limit)
    check_windows(ids, bad)
    v = graph.visits_of([case], (ws, we))
    t_in, t_out = to_ns(v[s.T_IN], "visits"), to_ns(v[s.T_OUT], "visits")
    if r.case_interval == "cwa":
        d_in, d_out, keep = cwa_interval(t_in, t_out, drop_below_minutes=r.min_case_stay_minutes,
                                         linger_minutes=r.lingering_minutes)
        a, b = np.maximum(d_in, ws[0]), np.minimum(d_out, we[0])
    else:
        a, b = np.maximum(t_in, ws[0]), np.minimum(t_out, we[0])
        keep = (t_out - t_in) >= int(round(r.min_case_stay_minutes * NS_PER_MIN))
    keep = keep & ((a < b) | ((a == b) & (r.boundary == "closed")))
    out = pd.DataFrame({
        s.VENUE_ID: v[s.VENUE_ID].to_numpy(object)[keep],
        s.T_IN: _utc(t_in[keep]), s.T_OUT: _utc(t_out[keep]),
        SHOWN_FROM: _utc(np.maximum(t_in, ws[0])[keep]),
        SHOWN_TO: _utc(np.minimum(t_out, we[0])[keep]),
    })
    return out.sort_values([SHOWN_FROM, s.VENUE_ID], kind="stable").reset_index(drop=True)


def merge_stays(visits: pd.DataFrame, gap_minutes: float = MERGE_GAP_MINUTES) -> pd.DataFrame:
    """Merge visits in a row at one venue, at most `gap_minutes` apart, into one stay.

    Parameters
    ----------
    visits : pandas.DataFrame
        ``venue_id``, ``shown_from``, ``shown_to``, in time order (:func:`counted_visits`).
    gap_minutes : float, default :data:`MERGE_GAP_MINUTES`

    Returns
    -------
    pandas.DataFrame
        ``venue_id``, ``stay_start``, ``stay_end``, one row per stay, in time order. A
        visit at another venue in between always ends a stay.

    Examples
    --------
    >>> t = lambda hm: pd.Timestamp(f"2022-11-20 {hm}", tz="UTC")
    >>> v = pd.DataFrame({"venue_id": ["A", "A", "B", "A"],
    ...     "shown_from": [t("10:00"), t("10:10"), t("11:00"), t("12:00")],
    ...     "shown_to": [t("10:10"), t("10:40"), t("11:30"), t("12:20")]})
    >>> merge_stays(v)
      venue_id                stay_start                  stay_end
    0        A 2022-11-20 10:00:00+00:00 2022-11-20 10:40:00+00:00
    1        B 2022-11-20 11:00:00+00:00 2022-11-20 11:30:00+00:00
    2        A 2022-11-20 12:00:00+00:00 2022-11-20 12:20:00+00:00
    """
    if not len(visits):
        return pd.DataFrame({s.VENUE_ID: pd.Series([], dtype=object),
                             STAY_START: visits[SHOWN_FROM].iloc[:0],
                             STAY_END: visits[SHOWN_TO].iloc[:0]})
    venue = visits[s.VENUE_ID].to_numpy(object)
    start, end = to_ns(visits[SHOWN_FROM], "visits"), to_ns(visits[SHOWN_TO], "visits")
    gap = int(round(gap_minutes * NS_PER_MIN))
    new = np.r_[True, (venue[1:] != venue[:-1]) | (start[1:] - end[:-1] > gap)]
    first = np.flatnonzero(new)
    # A stay ends at the latest end of its visits (a short visit may lie inside a long one).
    return pd.DataFrame({s.VENUE_ID: venue[first], STAY_START: _utc(start[first]),
                         STAY_END: _utc(np.maximum.reduceat(end, first))})


_HOTLINE = re.compile(r"[0-9０-９+＋()（）\-－ 转]{3,40}")


def check_hotline(text: str | None, lang: str = "zh") -> str | None:
    """The hotline as the notice prints it (one line), None when none is given.

    Raises
    ------
    ValueError
        If it is not a telephone number: digits, spaces, ``+ - ( )`` and 转 only, 3 to
        40 characters (the message in `lang`).

    Examples
    --------
    >>> check_hotline(" 0799-1234567 "), check_hotline("")
    ('0799-1234567', None)
    >>> check_hotline("<b>", "en")
    Traceback (most recent call last):
    ...
    ValueError: hotline '<b>' is not a telephone number (digits, spaces, + - ( ) and 转 only, 3 to 40 characters)
    """
    if text is None or not str(text).strip():
        return None
    text = " ".join(str(text).split())
    if not _HOTLINE.fullmatch(text):
        raise ValueError(_say("hotline", lang, text=text))
    return text


def _as_list(case: Any) -> list[Any]:
    return [case] if isinstance(case, str) or not isinstance(case, Sequence) else list(case)


def build_notice(data: DataDir, case: Any, *, rule: str | Rule = "twenty", as_of: Any = None,
                 hotline: str | None = None, lang: str = "zh",
                 merge_gap_minutes: float = MERGE_GAP_MINUTES,
                 graph: VisitGraph | None = None) -> Notice:
    """The trajectory notice of one case or several, from a loaded data folder.

    Parameters
    ----------
    data : tracelab.io.DataDir
        Venues, scans and cases (person ids as `case` gives them, normally pseudonyms),
        and the region: its zone dates the times, its province, city and county are cut
        from addresses, its name heads the notice.
    case : object or sequence
        The case's ``person_id``, or several: one combined notice, numbered in this order.
    rule : str or Rule, default "twenty"
        Decides the infectious windows and which visits count (:func:`counted_visits`).
    as_of : tz-aware time, optional
        Ends the windows of cases not yet isolated; default the last exit in the data.
    hotline : str, optional
        The number to report to (报备电话), e.g. ``"0799-1234567"``; without one the
        notice asks people to report to their community or village committee.
    lang : {"zh", "en"}, default "zh"
        Language of the notice and of errors.
    merge_gap_minutes : float, default :data:`MERGE_GAP_MINUTES`
        See :func:`merge_stays`.
    graph : VisitGraph, optional
        The data's visit graph, if already built under the rule's dwell.

    Returns
    -------
    Notice

    Raises
    ------
    NoVisitsError
        If a case has no counted visit in its window: a notice is refused rather than
        published empty.
    LookupError
        If a case is not in the cases table.
    ValueError
        On a malformed hotline, a case without onset, sampling or confirmation, or a
        `graph` built under another dwell than the rule's.

    Examples
    --------
    >>> from pathlib import Path
    >>> from tracelab.io import DataDir
    >>> from tracelab.io.checks import empty_rejections
    >>> venues = pd.DataFrame({"venue_id": ["V1", "V2"], "name": ["好又多超市", "幸福里"],
    ...     "venue_type": ["supermarket", "residential_compound"],
    ...     "address": ["长乐镇建设路1号", "长乐镇和平街113号"]})
    >>> t = pd.to_datetime(["2022-11-20 01:00", "2022-11-20 01:10", "2022-11-20 10:00"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["p_c1"] * 3, "venue_id": ["V1", "V1", "V2"],
    ...                       "scanned_at": t})
    >>> cases = pd.DataFrame({"person_id": ["p_c1"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-21"], utc=True)})
    >>> data = DataDir(venues, scans, cases, empty_rejections(), {}, Path("."))
    >>> n = build_notice(data, "p_c1", as_of="2022-11-21T08:00+08:00")
    >>> n.tracks[0].stays[["place", "where"]].values.tolist()
    [['好又多超市', '长乐镇建设路1号'], ['幸福里', '长乐镇和平街']]
    >>> build_notice(data, "p_c1", as_of="2022-11-18T08:00+08:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tracelab.briefing.notice.NoVisitsError: 病例 p_c1 在传染期内（2022-11-19 08:00 至 2022-11-19 08:00...
    """
    r = as_rule(rule)
    wanted = list(dict.fromkeys(_as_list(case)))
    if not wanted:
        raise ValueError(_say("no_case", lang))
    line = check_hotline(hotline, lang)
    zone = data.region.zone if data.region is not None else s.DEFAULT_ZONE
    known = set(data.cases[s.PERSON_ID])
    missing = [c for c in wanted if c not in known]
    if missing:
        raise LookupError(_say("unknown", lang, case=", ".join(map(str, missing))))
    if graph is None:
        graph = VisitGraph.from_scans(data.scans, data.venues, r, zone=zone)
    elif graph.dwell != r.dwell:
        raise ValueError(msg("graph intervals were built with dwell={dwell!r} but rule "
                             "{rule_id!r} assumes dwell={rule_dwell!r}", dwell=graph.dwell,
                             rule_id=r.rule_id, rule_dwell=r.dwell))
    limit = timestamp_ns(as_of) if as_of is not None else graph.time_range()[1]
    stamp = pd.Timestamp(limit, tz="UTC")
    places = public_places(data.venues, data.region).set_index(s.VENUE_ID)
    tracks = []
    for number, who in enumerate(wanted, start=1):
        row = data.cases[data.cases[s.PERSON_ID] == who].head(1)
        visits = counted_visits(graph, row, who, r, as_of=stamp)
        _, ws, we, _, _ = window_arrays(row, r, limit)
        start, end = (pd.Timestamp(int(x), tz="UTC") for x in (ws[0], we[0]))
        if not len(visits):
            fmt = "%Y-%m-%d %H:%M"
            raise NoVisitsError(_say("no_visits", lang, case=who, rule=r.rule_id, zone=zone,
                                     start=f"{start.tz_convert(zone):{fmt}}",
                                     end=f"{end.tz_convert(zone):{fmt}}"))
        stays = merge_stays(visits, merge_gap_minutes)
        shown = places.reindex(stays[s.VENUE_ID])
        stays = stays.assign(**{PLACE: shown[PLACE].to_numpy(object),
                                WHERE: shown[WHERE].to_numpy(object),
                                s.RESIDENCE: shown[s.RESIDENCE].to_numpy(bool)})
        kind = str(row[s.KIND].iloc[0]) if s.KIND in row else s.CONFIRMED
        tracks.append(CaseTrack(number=number, kind=kind, window_start=start, window_end=end,
                                visits=visits, stays=stays[[s.VENUE_ID, PLACE, WHERE,
                                                            s.RESIDENCE, STAY_START, STAY_END]]))
    return Notice(tracks=tuple(tracks), zone=zone,
                  region=data.region.name if data.region is not None else "", hotline=line,
                  rule_id=r.rule_id, lingering_minutes=float(r.lingering_minutes),
                  as_of=stamp, lang="en" if lang == "en" else "zh")


def _counts(result: Notice, arguments: Mapping[str, Any]) -> dict[str, int]:
    return {"cases": len(result.tracks), "rows": result.n_stays,
            "venues": len({v for t in result.tracks for v in t.stays[s.VENUE_ID]})}


# The logged query names no person: how many cases and the rule.
case_notice = audited(
    "notice", _counts,
    describe=lambda a: f"notice cases={len(_as_list(a['case']))} "
                       f"rule={as_rule(a['rule']).rule_id}")(build_notice)
