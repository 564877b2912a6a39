"""The append's steps on arrays equal the straightforward versions they replace.

Property tests (Hypothesis) draw scans with pseudonym-like and other ids, ties, exits,
date-only entries and repeat scans across the cut, and compare
:func:`tracelab.index.intervals.sort_scans` and ``presence`` with the lexsort of
strings they replaced, :func:`tracelab.index.tails.tail_scans` with ``_merged_tail``
then ``sort_scans``, :func:`~tracelab.index.kernels.last_before` and
:func:`~tracelab.index.tails.index_tails` with a binary search per person and
:func:`~tracelab.index.tails.scan_times` with a sort of all the times.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab._time import to_ns
from tracelab.index.county import store_keys
from tracelab.index.intervals import (
    _NEVER,
    SortedScans,
    _coded_ids,
    _hex_keys,
    _lexorder,
    _midnight,
    _midnights,
    _next_later,
    presence,
    sort_scans,
)
from tracelab.index.kernels import first_at_or_after, last_before
from tracelab.index.presence import venue_table
from tracelab.index.tails import (
    index_tails,
    repeat_people,
    scan_times,
    tail_scans,
)
from tracelab.io.scans import merge_repeat_scans
from tracelab.model import schema as s
from tracelab.model.rules import as_rule

SECOND = 1_000_000_000
T0 = 1_668_700_000 * SECOND
WINDOW = pd.Timedelta("2min")
ZONE = "Asia/Shanghai"


# --- the versions replaced, as they were -------------------------------------------------

def _old_sort_scans(scans: pd.DataFrame, table: pd.DataFrame) -> SortedScans:
    venue_ids = scans[s.VENUE_ID].astype(str)
    t_in = to_ns(scans[s.SCANNED_AT], s.SCANNED_AT)
    has_exit_col = s.EXIT_AT in scans and scans[s.EXIT_AT].notna().any()
    exit_key = (to_ns(scans[s.EXIT_AT], s.EXIT_AT) if has_exit_col
                else np.zeros(len(t_in), dtype=np.int64))
    pcode, puniq = pd.factorize(scans[s.PERSON_ID].astype(str), sort=True)
    vcode, vuniq = pd.factorize(venue_ids, sort=True)
    at = table.index.get_indexer(pd.Index(vuniq))[vcode]
    order = np.lexsort((exit_key, vcode, t_in, pcode))
    person, t_in, at = pcode[order], t_in[order], at[order]
    dwell = table[s.DWELL_MIN].to_numpy(np.float64)[at]
    has_exit = (~scans[s.EXIT_AT].isna().to_numpy()[order] if has_exit_col
                else np.zeros(len(order), dtype=bool))
    return SortedScans(order, person, np.asarray(puniq, dtype=object), vcode[order],
                       np.asarray(vuniq, dtype=object), at, t_in,
                       _next_later(person, t_in), dwell, has_exit, exit_key[order])


def _old_merged_tail(old: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray,
                                                                    np.ndarray]:
    tail = pd.concat([old.loc[:, list(s.SCAN_COLUMNS)], new], ignore_index=True)
    stored = np.arange(len(tail)) < len(old)
    person = pd.factorize(tail[s.PERSON_ID])[0]
    venue = pd.factorize(tail[s.VENUE_ID])[0]
    when = to_ns(tail[s.SCANNED_AT], s.SCANNED_AT)
    idx = np.lexsort((when, venue, person))
    p, v, w = person[idx], venue[idx], when[idx]
    repeat = (p[1:] == p[:-1]) & (v[1:] == v[:-1]) & (w[1:] - w[:-1] <= WINDOW.value)
    if not repeat.any():
        return tail, stored, np.zeros(0, dtype=object)
    hit = np.zeros(int(person.max()) + 1, dtype=bool)
    hit[p[1:][repeat]] = True
    rows = hit[person]
    again = merge_repeat_scans(tail[rows], WINDOW)
    return (pd.concat([tail[~rows], again], ignore_index=True),
            np.concatenate([stored[~rows], np.zeros(len(again), dtype=bool)]),
            pd.unique(tail[s.PERSON_ID].to_numpy(dtype=object)[rows]))


def _old_last_before(offsets, p_pos, t_in, person, when):
    first, lo, hi = offsets[person], offsets[person].copy(), offsets[person + 1].copy()
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = (lo[active] + hi[active]) // 2
        below = t_in[p_pos[mid]] < when[active]
        lo[active] = np.where(below, mid + 1, lo[active])
        hi[active] = np.where(below, hi[active], mid)
        active = active[lo[active] < hi[active]]
    last = np.full(len(person), _NEVER, dtype=np.int64)
    some = lo > first
    last[some] = t_in[p_pos[lo[some] - 1]]
    return last


def _old_before(offsets, p_pos, t_in, person, when, hi=None):
    lo = np.asarray(offsets[person], dtype=np.int64).copy()
    hi = (np.asarray(offsets[person + 1], dtype=np.int64).copy() if hi is None
          else hi.astype(np.int64, copy=True))
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = (lo[active] + hi[active]) // 2
        below = np.asarray(t_in[np.asarray(p_pos[mid])]) < when[active]
        lo[active] = np.where(below, mid + 1, lo[active])
        hi[active] = np.where(below, hi[active], mid)
        active = active[lo[active] < hi[active]]
    return lo


def _old_scan_times(old, removed, added):
    removed = np.sort(removed)
    first = np.searchsorted(old, removed, side="left")
    rank = np.arange(len(removed)) - np.searchsorted(removed, removed, side="left")
    rest = np.delete(old, first + rank)
    return np.sort(np.concatenate([rest, np.sort(added)]), kind="stable")


# --- drawing scans -------------------------------------------------------------------------

def _ids(rng, n, kind):
    if kind == "pseudonym":
        return np.array([f"p_{x:016x}" for x in rng.integers(0, 2**63, n)])
    if kind == "short-hex":  # odd number of digits, no prefix
        return np.array([f"{x:05x}" for x in rng.integers(0, 16**5, n)])
    if kind == "not-hex":  # letters past 'f' (their low bits read as digits)
        return np.array(["".join(rng.choice(list("0fgo9a`:"), 6)) for _ in range(n)])
    if kind == "ragged":  # unequal lengths, upper case: the strings' own sort
        return np.array([f"P{x:X}" for x in rng.integers(0, 5000, n)])
    return np.array([f"é_{x:03x}" for x in rng.integers(0, 4000, n)])  # non-ASCII prefix


def _scans(rng, n, people, venues, *, kind="pseudonym", exits=False, date_only=False,
           arrow=True, minutes=600):
    names = _ids(rng, people, kind)
    vnames = np.array([f"{36032310600000 + i}" for i in range(venues)])
    t = T0 + rng.integers(0, minutes, n) * 60 * SECOND
    if not date_only:
        t += rng.integers(0, 60, n) * SECOND + rng.integers(0, 2, n) * rng.integers(0, 10**9, n)
    dtype = "str" if arrow else object
    frame = pd.DataFrame({
        s.PERSON_ID: pd.Series(names[rng.integers(0, people, n)], dtype=dtype),
        s.VENUE_ID: pd.Series(vnames[rng.integers(0, venues, n)], dtype=dtype),
        s.SCANNED_AT: pd.to_datetime(t, utc=True),
        s.CODE_COLOUR: pd.Series(rng.choice(["green", "yellow", "red"], n), dtype=dtype),
        s.METHOD: pd.Series(rng.choice(["self", "proxy"], n), dtype=dtype),
        s.EXIT_AT: pd.to_datetime(np.where(rng.random(n) < 0.3, t + rng.integers(0, 90, n)
                                           * 60 * SECOND, np.iinfo(np.int64).min)
                                  if exits else np.full(n, np.iinfo(np.int64).min), utc=True),
        s.DEVICE_LON: rng.random(n), s.DEVICE_LAT: rng.random(n),
        s.MERGED_SCANS: np.ones(n, dtype=np.int64)})
    return frame, venue_table(pd.DataFrame({s.VENUE_ID: vnames,
                                            s.VENUE_TYPE: "supermarket"})).set_index(s.VENUE_ID)


def _assert_same(a, b):
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


# --- tests ---------------------------------------------------------------------------------

@settings(max_examples=120, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300),
       spans=st.lists(st.sampled_from([1, 3, 2**20, 2**40, 2**54, 2**62]), min_size=1,
                      max_size=4), seconds=st.booleans(), nat=st.booleans())
def test_lexorder_is_lexsort(seed, n, spans, seconds, nat):
    rng = np.random.default_rng(seed)
    cols = [rng.integers(0, span, n).astype(np.int64) * (SECOND if seconds and span < 2**30
                                                         else 1) for span in spans]
    if nat and n:
        cols[0][rng.integers(0, n)] = np.iinfo(np.int64).min  # a missing time
    got = _lexorder(tuple(cols))
    assert got.dtype == np.intp and np.array_equal(got, np.lexsort(tuple(cols)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300),
       kind=st.sampled_from(["pseudonym", "short-hex", "ragged", "unicode", "not-hex"]),
       arrow=st.booleans())
def test_sorted_codes_is_a_sorted_factorize(seed, n, kind, arrow):
    rng = np.random.default_rng(seed)
    names = _ids(rng, max(n // 3, 1), kind)[rng.integers(0, max(n // 3, 1), n)]
    values = pd.Series(names, dtype="str" if arrow else object)
    code, uniq = _coded_ids(values)
    want_code, want_uniq = pd.factorize(values.astype(str), sort=True)
    assert np.array_equal(code, want_code) and code.dtype == want_code.dtype
    assert np.array_equal(uniq, np.asarray(want_uniq, dtype=object)) and uniq.dtype == object
    fast = _hex_keys(values)
    assert (fast is not None) == (arrow and kind in ("pseudonym", "short-hex"))
    assert (_hex_keys(names) is not None) == (kind in ("pseudonym", "short-hex"))
    if fast is not None:  # the keys sort and compare as the ids
        assert np.array_equal(np.argsort(fast[0], kind="stable"),
                              np.argsort(names, kind="stable"))


def _old_midnight(ns, zone, days):
    local = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC").tz_convert(zone)
    midnight = (local.tz_localize(None).normalize() + pd.Timedelta(days=days)).tz_localize(
        zone, ambiguous="NaT", nonexistent="shift_forward")
    return midnight.tz_convert("UTC").as_unit("ns").asi8


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), days=st.integers(1, 400),
       zone=st.sampled_from([ZONE, "America/Santiago", "Europe/London", "Asia/Beirut",
                             "America/Havana", "Australia/Lord_Howe"]), nat=st.booleans())
def test_midnights_per_date_as_per_instant(seed, n, days, zone, nat):
    rng = np.random.default_rng(seed)
    # Through the years' clock changes, some of them at midnight (Santiago, Havana).
    ns = 1_483_228_800 * SECOND + rng.integers(0, days * 24 * 3600, n) * SECOND
    if nat and n:
        ns[0] = np.iinfo(np.int64).min
    start, end = _midnights(ns, zone, (0, 1))
    assert np.array_equal(start, _old_midnight(ns, zone, 0))
    assert np.array_equal(end, _old_midnight(ns, zone, 1))
    assert np.array_equal(_midnight(ns, zone, 1), end)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400), people=st.integers(1, 30),
       venues=st.integers(1, 8), kind=st.sampled_from(["pseudonym", "short-hex", "ragged"]),
       exits=st.booleans(), date_only=st.booleans(), arrow=st.booleans())
def test_sort_scans_and_presence_as_before(seed, n, people, venues, kind, exits, date_only,
                                           arrow):
    rng = np.random.default_rng(seed)
    scans, table = _scans(rng, n, people, venues, kind=kind, exits=exits,
                          date_only=date_only, arrow=arrow, minutes=3 * 24 * 60)
    got, want = sort_scans(scans, table), _old_sort_scans(scans, table)
    _assert_same(got, want)
    for preset in store_keys().values():
        rule = as_rule(preset)
        found = presence(got, rule)
        with mock.patch("tracelab.index.intervals._lexorder", np.lexsort):
            _assert_same(found, presence(want, rule))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n_old=st.integers(0, 200), n_new=st.integers(0, 200),
       people=st.integers(1, 20), venues=st.integers(1, 5), repeats=st.integers(0, 6),
       kind=st.sampled_from(["pseudonym", "ragged"]))
def test_tail_scans_as_merged_tail_then_sort(seed, n_old, n_new, people, venues, repeats,
                                             kind):
    rng = np.random.default_rng(seed)
    both, table = _scans(rng, n_old + n_new, people, venues, kind=kind, minutes=30)
    old, new = both.iloc[:n_old].copy(), both.iloc[n_old:].reset_index(drop=True)
    if n_old and repeats:  # the day repeats stored scans a little later: merged
        again = old.sample(min(repeats, n_old), random_state=seed % 2**31).copy()
        again[s.SCANNED_AT] += pd.to_timedelta(rng.integers(0, 200, len(again)), unit="s")
        new = pd.concat([new, again], ignore_index=True)
    tail, ordered = tail_scans(old, new, table, WINDOW)
    scans, stored, merged = _old_merged_tail(old, new)
    pd.testing.assert_frame_equal(tail.scans, scans)
    assert np.array_equal(tail.stored, stored)
    assert tail.merged.dtype == merged.dtype and np.array_equal(tail.merged, merged)
    _assert_same(ordered, _old_sort_scans(scans, table))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), people=st.integers(1, 20),
       window=st.integers(0, 300))
def test_repeat_people_as_a_sort_by_venue(seed, n, people, window):
    rng = np.random.default_rng(seed)
    person = np.sort(rng.integers(0, people, n))
    t = T0 + rng.integers(0, 600, n) * SECOND
    order = np.lexsort((t, person))
    person, t, venue = person[order], t[order], rng.integers(0, 4, n)
    idx = np.lexsort((t, venue, person))
    p, v, w = person[idx], venue[idx], t[idx]
    repeat = (p[1:] == p[:-1]) & (v[1:] == v[:-1]) & (w[1:] - w[:-1] <= window * SECOND)
    want = np.zeros(int(person.max()) + 1 if n else 0, dtype=bool)
    want[p[1:][repeat]] = True
    assert np.array_equal(repeat_people(person, venue, t, window * SECOND), want)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), people=st.integers(1, 30),
       queries=st.integers(0, 60))
def test_last_before_as_a_binary_search(seed, n, people, queries):
    rng = np.random.default_rng(seed)
    person = rng.integers(0, people, n)
    t_in = T0 + rng.integers(0, 50, n) * SECOND  # ties on entry
    order = np.lexsort((t_in, person))
    offsets = np.zeros(people + 1, dtype=np.int64)
    np.cumsum(np.bincount(person, minlength=people), out=offsets[1:])
    p_pos = rng.permutation(n)  # visits stored in another order, found through p_pos
    v_t_in = np.empty(n, dtype=np.int64)
    v_t_in[p_pos] = t_in[order]
    who = rng.integers(0, people, queries)
    when = T0 + rng.integers(-5, 60, queries) * SECOND
    assert np.array_equal(last_before(offsets, p_pos, v_t_in, who, when),
                          _old_last_before(offsets, p_pos, v_t_in, who, when))
    # A range cut short (a base person's kept visits), as the layered graph asks.
    hi = offsets[who] + rng.integers(0, 1 + offsets[who + 1] - offsets[who])
    assert np.array_equal(first_at_or_after(offsets, p_pos, v_t_in, who, when, hi=hi),
                          _old_before(offsets, p_pos, v_t_in, who, when, hi=hi))
    assert np.array_equal(first_at_or_after(offsets, p_pos, v_t_in, who, when),
                          _old_before(offsets, p_pos, v_t_in, who, when))


@pytest.mark.parametrize("kind", ["pseudonym", "ragged"])
def test_index_tails_as_before(kind):
    rng = np.random.default_rng(7)
    day, _ = _scans(rng, 500, 80, 5, kind=kind)
    known = np.unique(np.concatenate([_ids(rng, 40, kind), day[s.PERSON_ID].to_numpy(str)[:150]]))
    last = T0 + rng.integers(-3 * 24 * 3600, 3600, len(known)) * SECOND

    def last_entry(codes, when):
        return np.where(last[codes] < when, last[codes], _NEVER)

    got = index_tails(day, known.astype(f"U{max(map(len, known))}"), last_entry, WINDOW, ZONE)
    code, uniques = pd.factorize(day[s.PERSON_ID])
    names = np.asarray(uniques, dtype=str)
    firsts = np.full(len(names), _NEVER, dtype=np.int64)
    np.minimum.at(firsts, code, to_ns(day[s.SCANNED_AT], s.SCANNED_AT))
    at = np.minimum(np.searchsorted(known, names), len(known) - 1)
    hit = known[at] == names
    last_ns = np.full(len(names), _NEVER, dtype=np.int64)
    last_ns[hit] = last_entry(at[hit], firsts[hit])
    want = pd.DataFrame({s.PERSON_ID: names.astype(object), "since": _midnight(
        np.minimum(last_ns, firsts - WINDOW.value), ZONE, 0)})
    pd.testing.assert_frame_equal(got, want)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), gone=st.integers(0, 50),
       added=st.integers(0, 100), later=st.booleans())
def test_scan_times_as_a_sort(seed, n, gone, added, later):
    rng = np.random.default_rng(seed)
    old = np.sort(rng.integers(0, 100, n)).astype(np.int64)
    removed = rng.choice(old, min(gone, n), replace=False) if n else old[:0]
    more = rng.integers(100 if later else 0, 200, added).astype(np.int64)
    got = scan_times(old, removed, more)
    want = _old_scan_times(old, removed, more)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_hex_keys_over_several_blocks():
    rng = np.random.default_rng(3)
    names = _ids(rng, 70_000, "pseudonym")  # more rows than a step of _hex_words
    found = _hex_keys(pd.Series(names, dtype="str"))
    assert found is not None
    assert np.array_equal(np.argsort(found[0], kind="stable"), np.argsort(names, kind="stable"))
    names[-1] = names[-1][:-1] + "g"  # not a hex digit, in the last step
    assert _hex_keys(pd.Series(names, dtype="str")) is None and _hex_keys(names) is None
