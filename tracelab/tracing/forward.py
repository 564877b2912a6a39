"""Forward tracing: who shared a venue with a case while the case was infectious, and why.

:func:`trace` asks a :class:`~tracelab.index.graph.VisitGraph` for the cases' visits inside
their infectious windows (DOMAIN §2.1), then for the visits at those venues in those
times, and keeps the pairs the rule matches (PRIOR-ART §3, §4). Every row is a
candidate for field investigation: a co-scan alone never makes a confirmed close contact
(DOMAIN §2.5). :func:`trace_assumptions` reruns a trace under the three dwell
assumptions side by side (PRIOR-ART §5.1).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracelab._i18n import msg
from tracelab._time import NS_PER_MIN, from_ns, local_minutes, timestamp_ns
from tracelab._validate import check_on_invalid
from tracelab.index.graph import VisitGraph, VisitSource
from tracelab.index.kernels import ordered_map
from tracelab.index.windows import (
    BASES,
    check_windows,
    window_arrays,
    window_rejections,
)
from tracelab.model import schema as s
from tracelab.model.rules import (
    DWELL_MODES,
    Rule,
    as_rule,
    cwa_interval,
    intervals_match,
    round_times,
)
from tracelab.tracing.local_pull import for_trace

__all__ = ["trace", "trace_assumptions"]

_DWELL = s.DWELL
_N_ROWS, _N_CONTACTS, _N_VENUES = s.N_EXPOSURES, s.N_CONTACTS, s.N_VENUES
_ADDED, _DROPPED = s.CONTACTS_ADDED, s.CONTACTS_DROPPED

_BULK = 20_000  # rows above which columns are built for bulk (no per-row objects)
_FEW = 256  # rows up to which Python strings beat an Arrow kernel call
_BLOCK = 1 << 16  # candidates matched at a time: arrays of 512 kB stay in cache


_UTC = pd.DatetimeTZDtype("ns", "UTC")


def _index(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(from_ns(ns))


def _day_pieces(start: np.ndarray, end: np.ndarray, zone: str) -> tuple[np.ndarray, ...]:
    """Split ``[start, end)`` at local midnights; zero-length intervals stay one piece."""
    idx = np.arange(len(start))
    out_i, out_a, out_b = [], [], []
    cur = start.copy()
    pending = np.ones(len(start), bool)
    while pending.any():
        sel = np.flatnonzero(pending)
        local = _index(cur[sel]).tz_convert(zone)
        nxt = (local.normalize() + pd.Timedelta(days=1)).tz_localize(None).tz_localize(
            zone, ambiguous="NaT", nonexistent="shift_forward").tz_convert("UTC").as_unit("ns").asi8
        piece_end = np.minimum(nxt, end[sel])
        out_i.append(idx[sel])
        out_a.append(cur[sel])
        out_b.append(piece_end)
        cur[sel] = nxt
        pending[sel] = nxt < end[sel]
    i, a, b = (np.concatenate(x) for x in (out_i, out_a, out_b))
    order = np.lexsort((a, i))
    return i[order], a[order], b[order]


_Arrays = dict[str, np.ndarray]


def _hop(graph: VisitGraph, r: Rule, src: np.ndarray, ws: np.ndarray, we: np.ndarray,
         exclude: np.ndarray | None) -> tuple[_Arrays, list[_Arrays]]:
    """One hop: pairs (source visit, contact visit) matched by ``r``.

    Returns the source visits (``windows``: arrays by name, one entry per source visit)
    and the matched rows in blocks, in row order; a block's ``q`` is each row's position
    in ``windows``. ``exclude`` is a boolean mask over person codes of people who are
    never contacts.
    """
    which, pos = graph.query_of(src, ws, we)
    venue = graph._venue_of()[pos]
    t_in, t_out = graph.v_t_in[pos], graph.v_t_out[pos]
    if r.case_interval == "cwa":
        # The interval the app submits: derived from the whole check-in, then the window.
        d_in, d_out, derived = cwa_interval(t_in, t_out,
                                            drop_below_minutes=r.min_case_stay_minutes,
                                            linger_minutes=r.lingering_minutes)
        a, b = np.maximum(d_in, ws[which]), np.minimum(d_out, we[which])
    else:
        a, b = np.maximum(t_in, ws[which]), np.minimum(t_out, we[which])
    keep = (a < b) | ((a == b) & (r.boundary == "closed"))
    if not r.share_residences:
        keep &= ~graph.venue_residence[venue]
    if r.case_interval == "cwa":
        keep &= derived
    elif r.min_case_stay_minutes:
        keep &= (t_out - t_in) >= int(round(r.min_case_stay_minutes * NS_PER_MIN))
    which, venue, t_in, t_out, a, b = (x[keep] for x in (which, venue, t_in, t_out, a, b))
    if r.case_interval != "cwa":  # the derived interval holds the linger already
        linger = int(round(r.lingering_minutes * NS_PER_MIN))
        b = b + (np.minimum(t_out - t_in, linger) if r.lingering_mode == "min_stay"
                 else linger)
    grid = int(r.rounding_minutes)
    if r.rounding_side in ("both", "case"):
        a, b = round_times(a, grid, r.round_in), round_times(b, grid, r.round_out)
    pad = grid * NS_PER_MIN if r.rounding_side in ("both", "contact") else 0
    window_src = src[which].astype(np.int64, copy=False)
    # Sources who are excluded anyway need no check against themselves (hop 2).
    self_check = exclude is None or not exclude[window_src].all()
    # Candidates without the exit filter: every match below implies t_out >= a - pad.
    blocks = ordered_map(
        functools.partial(_match, graph, r, a=a, b=b, exclude=exclude,
                          source=window_src if self_check else None),
        graph.candidate_blocks(venue, a - pad, b + pad, _BLOCK))
    windows = {"src": window_src, "window": which, "venue": venue, "case_in": t_in,
               "case_out": t_out}
    return windows, blocks


def _match(graph: VisitGraph, r: Rule, q: np.ndarray, cpos: np.ndarray, a: np.ndarray,
           b: np.ndarray, exclude: np.ndarray | None, source: np.ndarray | None
           ) -> dict[str, np.ndarray]:
    """Candidates ``cpos`` of windows ``q`` (``[a, b]``) that ``r`` matches, as rows."""
    ci, co = graph.v_t_in[cpos], graph.v_t_out[cpos]
    ri, ro = ci, co
    if r.rounding_side in ("both", "contact"):
        grid = int(r.rounding_minutes)
        ri, ro = round_times(ci, grid, r.round_in), round_times(co, grid, r.round_out)
    dst = graph.v_person[cpos]
    aq, bq = a[q], b[q]
    ok = intervals_match(aq, bq, ri, ro, r.boundary)
    if exclude is not None:
        ok &= ~exclude[dst]
    if source is not None:
        ok &= dst != source[q]
    hit = np.flatnonzero(ok)
    rounded = ri is not ci
    q, ci, co, dst = q[hit], ci[hit], co[hit], dst[hit]
    ri, ro = (ri[hit], ro[hit]) if rounded else (ci, co)
    o_start, o_end = np.maximum(aq[hit], ri), np.minimum(bq[hit], ro)
    if r.day_split and len(q):
        piece, o_start, o_end = _day_pieces(o_start, o_end, r.day_zone)
        q, ci, co, dst = q[piece], ci[piece], co[piece], dst[piece]
    minutes = (o_end - o_start) / NS_PER_MIN
    if r.minute_rounding == "nearest":
        minutes = np.floor(minutes + 0.5)
    keep = minutes >= r.min_overlap_minutes
    if not keep.all():
        q, ci, co, dst, o_start, o_end, minutes = (
            x[keep] for x in (q, ci, co, dst, o_start, o_end, minutes))
    return {"q": q, "dst": dst, "contact_in": ci, "contact_out": co, "o_start": o_start,
            "o_end": o_end, "minutes": minutes}


_SINCE = {"onset": "before onset", "sampling": "before sampling",
          "last_negative": "from the last negative test", "exposure": "first exposure",
          "confirmation": "before confirmation"}
_CATEGORY_LABEL = {s.CO_EXPOSURE: "a venue co-exposure candidate (涉疫场所暴露人员)",
                   s.CLOSE_CONTACT: "a close-contact candidate for the field team to confirm"}


def _why(graph: VisitGraph, r: Rule, h: dict[str, np.ndarray], close: np.ndarray) -> Any:
    """The ``why`` sentence of each row, as Arrow ``large_string`` (an array, or chunks).

    Few rows are written one by one (:func:`_why_rows`); more are assembled column-wise
    (:func:`_why_columns`), the same text without one Python string per row.
    """
    if len(close) <= _FEW:
        return pa.array(_why_rows(graph, r, h, close), type=pa.large_string())
    return _why_columns(graph, r, h, close)


def _why_rows(graph: VisitGraph, r: Rule, h: dict[str, np.ndarray], close: np.ndarray
              ) -> list[str]:
    """The ``why`` sentences one by one: the reference for :func:`_why_columns`."""
    zone = getattr(graph, "zone", s.DEFAULT_ZONE)  # a Spark source shows the default
    src = graph.person_ids[h["src"]].tolist()
    dst = graph.person_ids[h["dst"]].tolist()
    venue = graph.venue_ids[h["venue"]].tolist()
    vtype = graph.venue_type_array[h["venue"]].tolist()
    case_in, case_out, contact_in, contact_out, overlap_from, overlap_to, window_from = (
        local_minutes(h[key], zone).tolist()
        for key in ("case_in", "case_out", "contact_in", "contact_out", "o_start", "o_end",
                    "start"))
    linger = f", counting {r.lingering_minutes:g} min lingering" if r.lingering_minutes else ""
    rule_id = _rule_id(r)  # once: the property compares every field with the preset
    label = _LABELS[close.astype(np.int8)].tolist()
    # Python scalars (tolist): formatting numpy scalars one by one costs several times more.
    # Times are "YYYY-MM-DD HH:MM"; an end on the same day as its start shows HH:MM only.
    return [
        f"{'Case' if hop == 1 else 'Hop-1 contact'} {source} was at {venue_id} ({venue_type}) "
        f"{s_in} to {s_out[11:] if s_out[:10] == s_in[:10] else s_out} and {contact} was "
        f"there {c_in} to {c_out[11:] if c_out[:10] == c_in[:10] else c_out} ({zone} time): "
        f"{minutes:g} min together, {o_from[11:]} to {o_to[11:]}{linger}, while {source} "
        f"counted as infectious (from {w_from}, {_SINCE.get(basis, basis)}); "
        f"{_CATEGORY_LABEL[cat]} under rule {rule_id}."
        for (hop, source, venue_id, venue_type, s_in, s_out, contact, c_in, c_out, minutes,
             o_from, o_to, w_from, basis, cat) in zip(
            h["hop"].tolist(), src, venue, vtype, case_in, case_out, dst, contact_in,
            contact_out, np.round(h["minutes"], 1).tolist(), overlap_from, overlap_to,
            window_from, h["basis"].tolist(), label, strict=True)
    ]


_LARGE = pa.large_string()


def _texts(values: list[Any], spec: str = "") -> pa.Array:
    """``values`` formatted as an f-string with ``spec`` formats them, as Arrow strings."""
    return pa.array([format(v, spec) for v in values], type=_LARGE)


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of integers (or times), as int64 codes.

    Values in a span not much longer than the array (person codes, minutes of a few
    weeks) are marked in a table of the span instead of sorted: no ``n log n``.
    """
    keys = values.view(np.int64) if values.dtype.kind == "M" else values
    if len(keys):
        lo, hi = int(keys.min()), int(keys.max())
        if hi - lo <= 4 * len(keys) + 4096:
            seen = np.zeros(hi - lo + 1, dtype=bool)
            seen[keys - lo] = True
            rank = np.cumsum(seen, dtype=np.int64) - 1
            uniq = (np.flatnonzero(seen) + lo).astype(keys.dtype)
            return uniq.view(values.dtype), rank[keys - lo]
    uniq, inv = np.unique(values, return_inverse=True)
    return uniq, inv.astype(np.int64, copy=False)


def _coded(values: Any, codes: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Text of ``values[codes]`` as a table of each distinct value and a code per row."""
    uniq, inv = _distinct(codes)
    return _texts(values[uniq].tolist()), inv


_WHY_CHUNK = 1 << 13  # rows joined at a time: temporaries of a few MB, reused


def _why_columns(graph: VisitGraph, r: Rule, h: dict[str, np.ndarray], close: np.ndarray
                 ) -> pa.ChunkedArray:
    """:func:`_why_rows` built column by column: the same sentences, byte for byte.

    Every part is formatted once per distinct value (a person, a venue, a local minute,
    a rounded overlap) into a small table; each row's parts are gathered from the tables
    by code and joined, a chunk of rows at a time.
    """
    zone = getattr(graph, "zone", s.DEFAULT_ZONE)
    # Times: one table of the distinct local minutes of all seven columns; an end on its
    # start's day shows HH:MM only, from the second half of the table.
    keys = ("case_in", "case_out", "contact_in", "contact_out", "o_start", "o_end", "start")
    local = pd.DatetimeIndex(from_ns(np.concatenate([h[k] for k in keys]))).tz_convert(
        zone).tz_localize(None).to_numpy("datetime64[m]")
    minutes_u, inv = _distinct(local)
    text = np.char.replace(np.datetime_as_string(minutes_u, unit="m"), "T", " ").tolist()
    times = pa.array(text + [t[11:] for t in text], type=_LARGE)
    day = pd.factorize(np.array([t[:10] for t in text], dtype=object))[0]
    code = dict(zip(keys, np.split(inv, len(keys)), strict=True))

    def end(start: str, stop: str) -> tuple[pa.Array, np.ndarray]:
        return times, code[stop] + len(text) * (day[code[stop]] == day[code[start]])

    rounded_u, rounded = np.unique(np.round(h["minutes"], 1), return_inverse=True)
    basis_codes, basis_u = pd.factorize(np.asarray(h["basis"], dtype=object),
                                        use_na_sentinel=False)
    linger = f", counting {r.lingering_minutes:g} min lingering" if r.lingering_minutes else ""
    src, venue = _coded(graph.person_ids, h["src"]), _coded(graph.venue_ids, h["venue"])
    parts: list[str | tuple[pa.Array, np.ndarray]] = [
        (_texts(["Hop-1 contact ", "Case "]), (h["hop"] == 1).astype(np.int64)), src,
        " was at ", venue, " (", (_coded(graph.venue_type_array, h["venue"])[0], venue[1]),
        ") ", (times, code["case_in"]), " to ", end("case_in", "case_out"), " and ",
        _coded(graph.person_ids, h["dst"]), " was there ", (times, code["contact_in"]), " to ",
        end("contact_in", "contact_out"), f" ({zone} time): ",
        (_texts(rounded_u.tolist(), "g"), rounded), " min together, ",
        (times, code["o_start"] + len(text)), " to ", (times, code["o_end"] + len(text)),
        f"{linger}, while ", src, " counted as infectious (from ", (times, code["start"]),
        ", ", (_texts([_SINCE.get(b, b) for b in basis_u.tolist()]), basis_codes), "); ",
        (_texts([_CATEGORY_LABEL[c] for c in _LABELS.tolist()]), close.astype(np.int64)),
        f" under rule {_rule_id(r)}.",
    ]
    chunks = []
    for a in range(0, len(close), _WHY_CHUNK):
        row = slice(a, a + _WHY_CHUNK)
        chunks.append(pc.binary_join_element_wise(*(
            pa.scalar(part, _LARGE) if isinstance(part, str) else
            part[0].take(np.asarray(part[1][row], dtype=np.int64)) for part in parts),
            pa.scalar("", _LARGE)))
    return pa.chunked_array(chunks, type=_LARGE)


_LABELS = np.array([s.CO_EXPOSURE, s.CLOSE_CONTACT], dtype=object)  # by close-contact flag
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # what dtype="str" means with pyarrow
_TIME_KEYS = ("case_in", "case_out", "contact_in", "contact_out", "o_start", "o_end")


def _str_array(values: pa.Array | pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    """A ``str`` column straight from Arrow: no Python object per row."""
    return pd.arrays.ArrowStringArray(values, dtype=_STR)


def _repeat_str(text: str, n: int) -> pa.Array:
    """``n`` copies of ``text`` as an Arrow large_string array, built from its buffers."""
    raw = text.encode()
    offsets = (np.arange(0, (n + 1) * len(raw), len(raw), dtype=np.int64) if raw
               else np.zeros(n + 1, dtype=np.int64))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(raw * n))


def _cat(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _frame(graph: VisitGraph, r: Rule, parts: list[tuple[int, _Arrays, list[_Arrays]]],
           explain: bool) -> pd.DataFrame:
    """The exposures table of ``(hop, windows, blocks)`` parts, built column by column."""
    qs = [_cat([b["q"] for b in blocks]) for _, _, blocks in parts]
    n = sum(len(q) for q in qs)

    def rows(key: str) -> np.ndarray:  # a matched row's own value
        return _cat([b[key] for _, _, blocks in parts for b in blocks])

    def windows(key: str) -> np.ndarray:  # its source visit's value, gathered in place
        if len(parts) == 1:
            return parts[0][1][key][qs[0]]
        out = np.empty(n, dtype=np.result_type(*(w[key] for _, w, _ in parts)))
        at = 0
        for (_, w, _), q in zip(parts, qs, strict=True):
            np.take(w[key].astype(out.dtype, copy=False), q, out=out[at:at + len(q)],
                    mode="clip")  # "raise" would buffer; q is in range
            at += len(q)
        return out

    hop = np.repeat(np.array([h for h, _, _ in parts], dtype=np.int8), [len(q) for q in qs])
    venue, minutes = windows("venue"), rows("minutes")
    close = (graph.venue_type_mask(r.close_contact_types)[venue]
             & (minutes >= r.close_contact_min_minutes))
    category = (pa.array(_LABELS[close.astype(np.int8)], type=_LARGE) if n <= _FEW else
                pc.if_else(pa.array(close), pa.scalar(s.CLOSE_CONTACT, _LARGE),
                           pa.scalar(s.CO_EXPOSURE, _LARGE)))
    src, dst = windows("src"), rows("dst")
    times = {key: (windows if key.startswith("case") else rows)(key) for key in _TIME_KEYS}
    if explain:
        h = {"src": src, "dst": dst, "venue": venue, "minutes": minutes, "hop": hop,
             "start": windows("start"), "basis": windows("basis"), **times}
        why = _why(graph, r, h, close)
    else:
        why = _repeat_str("", n)
    names = (s.CASE_T_IN, s.CASE_T_OUT, s.CONTACT_T_IN, s.CONTACT_T_OUT, s.OVERLAP_START,
             s.OVERLAP_END)
    if n <= _BULK:  # one conversion, in rows: each conversion has a fixed cost
        both = pd.array(np.concatenate([times[key] for key in _TIME_KEYS]
                                       ).view("datetime64[ns]"), copy=False).view(_UTC)
        columns = dict(zip(names, both.reshape(len(names), n), strict=True))
    else:  # zero-copy views: a copy of each column costs more than the fixed cost
        columns = {name: pd.array(times[key].view("datetime64[ns]"), copy=False).view(_UTC)
                   for name, key in zip(names, _TIME_KEYS, strict=True)}
    columns.update({
        s.CASE_ID: graph.take_person_ids(src, copy=False),
        s.CONTACT_ID: graph.take_person_ids(dst, copy=False),
        s.VENUE_ID: graph.take_venue_ids(venue, copy=False),
        s.HOP: hop,
        s.OVERLAP_MIN: minutes.astype(np.float64, copy=False),
        s.CATEGORY: _str_array(category),
        s.RULE_ID: _str_array(_repeat_str(_rule_id(r), n)),
        s.WHY: _str_array(why),
    })
    # Integer keys and an explicit index skip label inference and length checks, which
    # cost more than the rest together for a few rows; the columns then get their names.
    out = pd.DataFrame(dict(enumerate(columns[name] for name in s.EXPOSURE_COLUMNS)),
                       index=pd.RangeIndex(n), copy=False)
    out.columns = _COLUMNS
    return out


_COLUMNS = pd.Index(list(s.EXPOSURE_COLUMNS))  # immutable, so every result may share it


@functools.lru_cache(maxsize=64)
def _rule_id(r: Rule) -> str:
    return r.rule_id  # compares every field with the preset: worth keeping per rule


@overload
def trace(graph: VisitGraph | VisitSource, cases: pd.DataFrame, rule: str | Rule = ...,
          hops: int | None = ..., *, as_of: Any = ..., explain: bool = ...,
          on_invalid: Literal["raise"] = ...) -> pd.DataFrame: ...
@overload
def trace(graph: VisitGraph | VisitSource, cases: pd.DataFrame, rule: str | Rule = ...,
          hops: int | None = ..., *, as_of: Any = ..., explain: bool = ...,
          on_invalid: Literal["reject"]) -> tuple[pd.DataFrame, pd.DataFrame]: ...
def trace(
    graph: VisitGraph | VisitSource,
    cases: pd.DataFrame,
    rule: str | Rule = "twenty",
    hops: int | None = None,
    *,
    as_of: Any = None,
    explain: bool = True,
    on_invalid: Literal["raise", "reject"] = "raise",
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Exposures of ``cases``: who shared a venue with them while they were infectious.

    Parameters
    ----------
    graph : VisitGraph or VisitSource
        Built under the same dwell assumption as ``rule.dwell``. Another source (such as
        :class:`tracelab.spark.SparkSource`) is asked for the visits the trace needs,
        which are then traced locally (:mod:`tracelab.tracing.local_pull`).
    cases : pandas.DataFrame
        The cases to trace (``schema.CASE_COLUMNS``), each once.
    rule : str or Rule
        Preset name, rule id or :class:`~tracelab.model.rules.Rule`; default ``twenty``.
    hops : {1, 2}, optional
        2 also traces the hop-1 contacts from their first exposure to ``as_of``; default
        2 where the rule determines secondary contacts (``ninth``), else 1.
    as_of : tz-aware time, optional
        Trace time: ends windows of cases not yet isolated, and hop-2 windows. Default:
        the graph's last exit.
    explain : bool
        Write the ``why`` sentence (turn off for bulk sweeps; the column stays, empty).
    on_invalid : {"raise", "reject"}
        A case with neither onset nor sampling raises; ``"reject"`` traces the others and
        returns ``(exposures, rejections)``.

    Returns
    -------
    pandas.DataFrame
        ``schema.EXPOSURE_COLUMNS`` in that order: one row per matched pair of case and
        contact visits (per day piece when the rule splits days), ordered by hop, case,
        the case's visit entry and the contact's entry. Ids keep the graph's id dtype.

    Raises
    ------
    ValueError
        If the graph's dwell differs from the rule's, ``hops`` is not 1 or 2, hop 2 is
        asked under a rule without secondary contacts, or a case window is invalid.

    Notes
    -----
    A case is never its own contact; cases can be each other's contacts. Residences are
    skipped unless ``rule.share_residences``: a gate scan does not show a shared room.
    Hop 2 skips traced cases and hop-1 contacts, who are already on the lists, and starts
    each hop-1 contact at their first overlap. Case windows are clipped before lingering
    and rounding are applied, so lingering can reach past isolation (air outlasts the
    person). Not checked: whether the graph holds every scan of the period.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:20", "2022-11-20 04:00"],
    ...                    utc=True)
    >>> scans = pd.DataFrame({"person_id": ["C1", "P2", "P3"],
    ...                       "venue_id": ["V1", "V1", "V1"], "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> cases = pd.DataFrame({"person_id": ["C1"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-21 00:00"], utc=True)})
    >>> ex = trace(g, cases)
    >>> ex[["contact_id", "overlap_minutes", "category"]]
      contact_id  overlap_minutes                    category
    0         P2             10.0  venue_coexposure_candidate
    >>> print(ex.loc[0, "why"])  # doctest: +NORMALIZE_WHITESPACE
    Case C1 was at V1 (supermarket) 2022-11-20 10:00 to 10:30 and P2 was there
    2022-11-20 10:20 to 10:50 (Asia/Shanghai time): 10 min together, 10:20 to 10:30,
    while C1 counted as infectious (from 2022-11-19 08:00, before onset);
    a venue co-exposure candidate (涉疫场所暴露人员) under rule twenty.
    """
    r = as_rule(rule)
    if graph.dwell != r.dwell:
        raise ValueError(
            msg("graph intervals were built with dwell={dwell!r} but rule {rule_id!r} assumes "
                "dwell={rule_dwell!r}; build the graph with VisitGraph.from_scans(scans, venues, "
                "rule={rule_id!r})", dwell=graph.dwell, rule_id=r.rule_id, rule_dwell=r.dwell)
        )
    if hops is None:
        hops = 2 if r.secondary_contacts else 1
    if hops not in (1, 2):
        raise ValueError(msg("hops={hops!r}; allowed: 1, 2", hops=hops))
    if hops == 2 and not r.secondary_contacts:
        raise ValueError(msg("hops=2 but rule {rule_id!r} does not determine secondary contacts "
                             "(DOMAIN §2.4); use rule('ninth') or secondary_contacts=True",
                             rule_id=r.rule_id))
    as_of_ns = timestamp_ns(as_of) if as_of is not None else graph.time_range()[1]
    if not isinstance(graph, VisitGraph):
        as_of_ts = pd.Timestamp(as_of_ns, tz="UTC")

        def first_hop(local: VisitGraph, valid: pd.DataFrame) -> pd.DataFrame:
            return trace(local, valid, r, 1, as_of=as_of_ts, explain=False)

        local = for_trace(graph, cases, r, hops, as_of_ns, first_hop)
        return trace(local, cases, r, hops, as_of=pd.Timestamp(as_of_ns, tz="UTC"),
                     explain=explain, on_invalid=on_invalid)
    ids, ws, we, basis, bad = window_arrays(cases, r, as_of_ns)
    check_on_invalid(on_invalid)
    if on_invalid == "raise":
        check_windows(ids, bad)
    rejected = window_rejections(ids, bad) if on_invalid == "reject" else None
    ids, ws, we, basis = ids[~bad], ws[~bad], we[~bad], basis[~bad]
    src = graph.person_codes(ids)
    # Rows come out by hop, case id, the case's visit entry, then contact entry: cases are
    # taken in id order (codes follow sorted ids) and each query answers in entry order.
    by_id = np.argsort(src, kind="stable")
    src, ws, we, basis = src[by_id], ws[by_id], we[by_id], basis[by_id]
    w1, h1 = _hop(graph, r, src, ws, we, exclude=None)
    if explain:
        w1.update(start=ws[w1["window"]], basis=BASES[basis[w1["window"]]])
    parts = [(1, w1, h1)]
    dst = _cat([block["dst"] for block in h1])
    if hops == 2 and len(dst):
        traced = src[src >= 0]
        first_at = _cat([block["o_start"] for block in h1])
        order = np.lexsort((first_at, dst))
        head = np.r_[True, dst[order][1:] != dst[order][:-1]]
        src2, ws2 = dst[order][head], first_at[order][head]
        skip = np.zeros(len(graph.person_ids), dtype=bool)
        skip[traced] = True
        fresh = ~skip[src2]
        src2, ws2 = src2[fresh], ws2[fresh]
        skip[dst] = True
        we2 = np.full(len(src2), as_of_ns, dtype=np.int64)
        w2, h2 = _hop(graph, r, src2, ws2, we2, exclude=skip)
        if explain:
            w2.update(start=ws2[w2["window"]],
                      basis=np.full(len(w2["window"]), "exposure", dtype=object))
        parts.append((2, w2, h2))
    out = _frame(graph, r, parts, explain)
    return (out, rejected) if on_invalid == "reject" else out


def trace_assumptions(
    scans: pd.DataFrame,
    venues: pd.DataFrame,
    cases: pd.DataFrame,
    rule: str | Rule = "twenty",
    *,
    hops: int | None = None,
    as_of: Any = None,
    venue_types: pd.DataFrame | None = None,
    modes: Sequence[str] = DWELL_MODES,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Trace under each dwell assumption and show how the exposure set changes.

    Returns
    -------
    (summary, results)
        ``summary`` has one row per mode: ``dwell``, ``n_exposures``, ``n_contacts``,
        ``n_venues``, and ``contacts_added`` / ``contacts_dropped`` against the first
        mode; ``results`` maps each mode to its exposures table.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:20", "2022-11-20 04:00"],
    ...                    utc=True)
    >>> scans = pd.DataFrame({"person_id": ["C1", "P2", "P3"],
    ...                       "venue_id": ["V1", "V1", "V1"], "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
    >>> cases = pd.DataFrame({"person_id": ["C1"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-21 00:00"], utc=True)})
    >>> summary, _ = trace_assumptions(scans, venues, cases)
    >>> summary[["dwell", "n_contacts", "contacts_added"]]
                 dwell  n_contacts  contacts_added
    0        scan_only           0               0
    1  estimated_dwell           1               1
    2         same_day           2               2
    3        whole_day           2               2
    """
    base = as_rule(rule)
    graphs = {m: VisitGraph.from_scans(scans, venues, base.replace(dwell=m),
                                       venue_types=venue_types) for m in modes}
    if as_of is None:
        as_of = _index(np.array([max(g.time_range()[1] for g in graphs.values())]))[0]
    results = {m: trace(graphs[m], cases, base.replace(dwell=m), hops, as_of=as_of)
               for m in modes}
    ref = set(results[modes[0]][s.CONTACT_ID]) if modes else set()
    rows = []
    for m in modes:
        ex = results[m]
        contacts = set(ex[s.CONTACT_ID])
        rows.append({_DWELL: m, _N_ROWS: len(ex), _N_CONTACTS: len(contacts),
                     _N_VENUES: ex[s.VENUE_ID].nunique(), _ADDED: len(contacts - ref),
                     _DROPPED: len(ref - contacts)})
    return pd.DataFrame(rows), results
