"""The replay's visit log: the same visits and exposures as a graph of every scan.

The replay keeps its visits as integer arrays, one block per day, and cuts the open
visits of earlier days when a new day's scans come. These tests hold it to what the
loaders and the engine build from the same scans as frames of string ids:
``merge_repeat_scans`` then ``visits`` (per batch and across days in any split), and
``trace`` on ``VisitGraph.from_scans`` of everything (per rule, one and two hops).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracelab._time import NAT, NS_PER_S, to_ns
from tracelab.index.graph import VisitGraph
from tracelab.index.presence import visits
from tracelab.io import merge_repeat_scans
from tracelab.model import schema as s
from tracelab.model.reference import venue_types
from tracelab.model.rules import as_rule
from tracelab.replay.reported import reported
from tracelab.replay.stays import merge_repeats, stays
from tracelab.replay.visitlog import VisitLog
from tracelab.synth import OutbreakParams, cases_table, simulation
from tracelab.tracing.forward import trace

T0 = pd.Timestamp("2022-11-17 16:00", tz="UTC").value  # local midnight, Asia/Shanghai
DAY = 86400
# Venue ids deliberately out of code order: ties must follow the ids, as in visits().
VENUE_IDS = np.array(["V9", "V3", "V7", "V1", "V5"], dtype=object)
VENUE_TYPES = np.array(["supermarket", "pharmacy", "village", "restaurant", "hotel"],
                       dtype=object)
VENUES = pd.DataFrame({s.VENUE_ID: VENUE_IDS, s.VENUE_TYPE: VENUE_TYPES})
RULES = {
    "twenty": as_rule("twenty"),
    "nhs": as_rule("nhs"),  # same-day dwell, cut at the next 15-minute slot
    "same_day": as_rule("same_day"),  # whole local day, never cut
    "scan_only": as_rule("twenty").replace(dwell="scan_only"),
    "short_cap": as_rule("twenty").replace(max_stay_hours=3.0),
}
TYPES = venue_types()


def _frame(person, venue, at, exit_):
    n = len(person)
    return pd.DataFrame({
        s.PERSON_ID: pd.array([f"P{p:02d}" for p in person], dtype="str"),
        s.VENUE_ID: pd.array(VENUE_IDS[venue].astype(str), dtype="str"),
        s.SCANNED_AT: pd.Series(pd.DatetimeIndex(np.asarray(at, np.int64).view("datetime64[ns]"),
                                                 tz="UTC")),
        s.CODE_COLOUR: pd.array(["green"] * n, dtype="str"),
        s.METHOD: pd.array(["self"] * n, dtype="str"),
        s.EXIT_AT: pd.Series(pd.DatetimeIndex(np.asarray(exit_, np.int64).view("datetime64[ns]"),
                                              tz="UTC")),
        s.DEVICE_LON: np.full(n, np.nan), s.DEVICE_LAT: np.full(n, np.nan),
        s.MERGED_SCANS: np.ones(n, dtype=np.int64),
    })


def _as_set(person, venue, t_in, t_out):
    return sorted(zip((f"P{p:02d}" for p in person), VENUE_IDS[venue].astype(str).tolist(),
                      np.asarray(t_in).tolist(), np.asarray(t_out).tolist(), strict=True))


def _expected(frames, rule):
    merged = pd.concat([merge_repeat_scans(f) for f in frames], ignore_index=True)
    v = visits(merged, VENUES, rule, venue_types=TYPES)
    return sorted(zip(v[s.PERSON_ID].tolist(), v[s.VENUE_ID].tolist(),
                      v[s.T_IN].to_numpy("datetime64[ns]").view(np.int64).tolist(),
                      v[s.T_OUT].to_numpy("datetime64[ns]").view(np.int64).tolist(),
                      strict=True))


# Scans of a few people at a few venues: seconds within a day and a half of the day's
# start, on a coarse grid so that repeats (< 2 min), equal instants and next-scan cuts are
# common; some with an exit scan.
_scan = st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(-3600, 36 * 3600 // 30),
                  st.one_of(st.none(), st.integers(0, 600)))


def _arrays(scans, day):
    person = np.array([p for p, _, _, _ in scans], dtype=np.int64)
    venue = np.array([v for _, v, _, _ in scans], dtype=np.int64)
    sec = np.array([day * DAY + (t * 30 if t >= 0 else t) for _, _, t, _ in scans],
                   dtype=np.int64)
    at = T0 + sec * NS_PER_S
    exit_ = np.array([NAT if e is None else T0 + (x + e * 30) * NS_PER_S
                      for x, (_, _, _, e) in zip(sec, scans, strict=True)], dtype=np.int64)
    return person, venue, at, exit_


@pytest.mark.parametrize("name", sorted(RULES))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scans=st.lists(_scan, min_size=1, max_size=40))
def test_stays_match_the_loaders_and_visits(name, scans):
    rule = RULES[name]
    person, venue, at, exit_ = _arrays(scans, 0)
    p, v, t, e = merge_repeats(person, venue, at, exit_)
    rank = np.argsort(np.argsort(VENUE_IDS.astype(str)))
    dwell = TYPES.set_index("code").loc[VENUE_TYPES, "dwell_minutes"].to_numpy(float)
    t_in, t_out = stays(p, rank[v], t, e, dwell[v], rule)
    assert _as_set(p, v, t_in, t_out) == _expected([_frame(person, venue, at, exit_)], rule)


def _log_visits(log):
    got = [(b.person, b.venue, b.t_in, b.t_out) for b in log.blocks]
    if not got:
        return []
    return _as_set(*(np.concatenate(cols) for cols in zip(*got, strict=True)))


@pytest.mark.parametrize("name", sorted(RULES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days=st.lists(st.lists(_scan, max_size=15), min_size=1, max_size=4))
def test_a_log_built_day_by_day_equals_visits_of_every_scan(name, days):
    # Each day's scans reach an hour into the day before and 12 hours into the next, so
    # days interleave: a new day's scans may cut visits of any earlier day still open.
    rule = RULES[name]
    log = VisitLog(VENUE_TYPES, VENUE_IDS, rule, TYPES)
    frames = []
    for d, scans in enumerate(days):
        person, venue, at, exit_ = _arrays(scans, d)
        log.add(person, venue, at, exit_)
        frames.append(_frame(person, venue, at, exit_))
        assert _log_visits(log) == _expected(frames, rule)
    assert log.n_visits == len(_log_visits(log))


# --- whole loop pieces on a simulated county -----------------------------------------
@pytest.fixture(scope="module")
def county():
    """A simulated county after 8 days: its visit logs per rule and every scan as a frame."""
    sim = simulation(800, days=8, seed=5, outbreak=OutbreakParams(index_cases=12))
    t0 = int(sim.base.start_utc.value)
    ids = sim.base.people.table[s.PERSON_ID].to_numpy(dtype=object)
    vids = np.asarray(sim.base.venues.ids, dtype=object)
    venues = sim.base.venues.table[[s.VENUE_ID, s.VENUE_TYPE]]
    logs = {k: VisitLog(sim.base.venues.type_code, vids, as_rule(k), TYPES)
            for k in ("twenty", "ninth", "nhs", "cwa", "same_day")}
    frames, touched = [], []
    for _ in range(8):
        sc = sim.step().scans
        at = np.asarray(sc.at, np.int64) * NS_PER_S + t0
        ex = np.asarray(sc.exit_at, np.int64)
        ex = np.where(ex >= 0, ex * NS_PER_S + t0, NAT)
        before = len(logs["twenty"].blocks[-1].person) if logs["twenty"].blocks else 0
        for log in logs.values():
            log.add(sc.person, sc.venue, at, ex)
        touched.append((*logs["twenty"].recomputed, before))
        frame = pd.DataFrame({
            s.PERSON_ID: pd.array(ids[sc.person].astype(str), dtype="str"),
            s.VENUE_ID: pd.array(vids[sc.venue].astype(str), dtype="str"),
            s.SCANNED_AT: pd.Series(pd.DatetimeIndex(at.view("datetime64[ns]"), tz="UTC")),
            s.CODE_COLOUR: "green", s.METHOD: "self",
            s.EXIT_AT: pd.Series(pd.DatetimeIndex(ex.view("datetime64[ns]"), tz="UTC")),
            s.DEVICE_LON: np.nan, s.DEVICE_LAT: np.nan, s.MERGED_SCANS: 1,
        })
        frames.append(merge_repeat_scans(frame))
    scans = pd.concat(frames, ignore_index=True)
    return sim, ids, venues, logs, scans, touched


def test_reported_cases_are_the_synthetic_case_table(county):
    sim, ids, *_ = county
    for end in (3 * DAY, 8 * DAY):
        mine = reported(sim, float(end), int(sim.base.start_utc.value))
        sim_day, sim.day = sim.day, end // DAY  # cases_table reads up to sim.day
        try:
            theirs = cases_table(sim)
        finally:
            sim.day = sim_day
        mine = mine.assign(**{s.PERSON_ID: ids[mine[s.PERSON_ID].to_numpy()].astype(str)})
        a = mine.sort_values(s.PERSON_ID, ignore_index=True)
        b = theirs.sort_values(s.PERSON_ID, ignore_index=True)
        assert len(a) > 5 and a[s.PERSON_ID].tolist() == b[s.PERSON_ID].tolist()
        assert a[s.FOUND_BY_SCREENING].tolist() == b[s.FOUND_BY_SCREENING].tolist()
        for c in (s.ONSET_AT, s.SAMPLED_AT, s.CONFIRMED_AT, s.ISOLATED_AT, s.LAST_NEGATIVE_AT):
            assert (to_ns(a[c]) == to_ns(b[c])).all(), c


@pytest.mark.parametrize(("name", "hops"), [("twenty", 1), ("ninth", 2), ("nhs", 1),
                                            ("cwa", 1), ("same_day", 1)])
def test_tracing_the_log_finds_what_the_whole_graph_finds(county, name, hops):
    sim, ids, venues, logs, scans, _ = county
    rule = as_rule(name)
    as_of = sim.base.start_utc + pd.Timedelta(days=8)
    cases = reported(sim, 8.0 * DAY, int(sim.base.start_utc.value))
    assert len(cases) >= 5
    log = logs[name]
    local = log.for_trace(cases, hops, as_of.value)
    mine = trace(local, cases, rule, hops, as_of=as_of, explain=False)
    graph = VisitGraph.from_scans(scans, venues, rule, venue_types=TYPES)
    named = cases.assign(**{s.PERSON_ID: ids[cases[s.PERSON_ID].to_numpy()].astype(str)})
    theirs = trace(graph, named, rule, hops, as_of=as_of, explain=False)
    vids = venues[s.VENUE_ID].to_numpy(dtype=object)
    keys = [s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.HOP, s.OVERLAP_START, s.OVERLAP_END,
            s.OVERLAP_MIN]

    def rows(ex, person, venue):
        out = ex[keys].assign(**{s.CASE_ID: person(ex[s.CASE_ID]),
                                 s.CONTACT_ID: person(ex[s.CONTACT_ID]),
                                 s.VENUE_ID: venue(ex[s.VENUE_ID])})
        return sorted(map(tuple, out.astype(str).to_numpy().tolist()))

    def code(col):
        return ids[col.to_numpy(np.int64)].astype(str)

    def vcode(col):
        return vids[col.to_numpy(np.int64)].astype(str)

    def same(col):
        return col.astype(str).to_numpy()

    got = rows(mine, code, vcode)
    assert got == rows(theirs, same, same)
    assert len(got) > 20 and (hops == 1 or (mine[s.HOP] == 2).any())
    if hops == 1:
        assert local.n_visits < len(scans) / 2  # the trace pulled a part of the log


def test_a_new_day_recomputes_only_visits_of_the_day_before(county):
    # Stays never last a day, so a new day's scans cut only the previous day's open
    # visits (home returns, late stays): the cost of adding a day does not depend on the
    # days behind it. The log still equals visits of every scan (tests above).
    *_, touched = county
    assert touched[0][:2] == (0, 0)
    for rows, blocks, previous_day in touched[1:]:
        assert blocks == 1 and 0 < rows < previous_day
