"""A day's append without a full rebuild: the merged index and the rows that change.

:func:`tracelab.index.merge.merged` keeps an index's visits and inserts new ones without
sorting all again; a property test (Hypothesis) draws visits, cuts each person's at a
random point, drops some of the old ones and merges the rest with the new ones, across
new people, new venues, ties on a segment's entry second, millisecond entries and a
longer time range, and compares every array with :meth:`VisitGraph.from_codes` of all
of them. An append whose day repeats a scan of the day before (merged as the loader
does) equals a full ingest, its database rows included.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.index.county_build import ingest_county
from tracelab.index.county_update import append_day
from tracelab.index.graph import VisitGraph
from tracelab.index.merge import Added, merged
from tracelab.index.presence import venue_table
from tracelab.model import schema as s

from .test_store_append import _days, _write_part, assert_same_store

KEY = b"append-merge-key-5b0e7c21d94fa386"
NOW = "2022-12-31T00:00:00+08:00"
SECOND = 1_000_000_000
T0 = 1_668_700_000 * SECOND


def _table(ids: np.ndarray) -> pd.DataFrame:
    return venue_table(pd.DataFrame({s.VENUE_ID: ids, s.VENUE_TYPE: "supermarket"}))


def _graph(person, person_ids, venue, venue_ids, t_in, t_out, source) -> VisitGraph:
    order = np.lexsort((t_in, person))  # person order: visit ids run by person, entry
    return VisitGraph.from_codes(
        person=person[order], person_ids=person_ids, venue=venue[order],
        venue_ids=venue_ids, venues=_table(venue_ids), t_in=t_in[order],
        t_out=t_out[order], source=source[order], dwell="estimated_dwell")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400), people=st.integers(1, 25),
       venues=st.integers(1, 6), ms_old=st.booleans(), ms_new=st.booleans(),
       later=st.integers(0, 40))
def test_merged_equals_indexing_everything(seed, n, people, venues, ms_old, ms_new, later):
    rng = np.random.default_rng(seed)
    person = rng.integers(0, people, n)
    venue = rng.integers(0, venues, n)
    # Whole minutes: many visits share a segment's entry second (ties on the seek key).
    t_in = T0 + rng.integers(0, 300, n) * 60 * SECOND
    cut = rng.integers(0, 3, n)  # 0 kept, 1 added, 2 kept but dropped and added again
    # Per person, the kept visits come first, the added ones later (a tail).
    first_new = np.full(people, np.iinfo(np.int64).max)
    np.minimum.at(first_new, person[cut > 0], t_in[cut > 0])
    cut[(cut == 0) & (t_in >= first_new[person])] = 1
    t_in[cut == 1] += later * 3600 * SECOND  # the day: a longer time range
    if ms_old:
        t_in[cut == 0] += rng.integers(0, 1000, int((cut == 0).sum())) * 1_000_000
    if ms_new:
        t_in[cut == 1] += rng.integers(0, 1000, int((cut == 1).sum())) * 1_000_000
    t_out = t_in + rng.integers(0, 12 * 3600, n) * SECOND
    source = rng.integers(-1, 4, n).astype(np.int8)
    old, new = cut != 1, np.ones(n, dtype=bool)  # what the old and the new index hold
    # Dropped visits may hold other times: the new index rebuilt them.
    t_out_old = np.where(cut == 2, t_out + 5 * 60 * SECOND, t_out)
    names = np.array([f"p_{i:04d}" for i in range(people)])
    vnames = np.array([f"V{i:02d}" for i in range(venues)])
    old_people, new_people = np.unique(person[old]), np.unique(person[new])
    old_venues = np.unique(np.concatenate([venue[old], [0]]))
    base = _graph(np.searchsorted(old_people, person[old]), names[old_people],
                  np.searchsorted(old_venues, venue[old]), vnames[old_venues], t_in[old],
                  t_out_old[old], source[old])
    want = _graph(np.searchsorted(new_people, person[new]), names[new_people],
                  venue[new], vnames, t_in[new], t_out[new], source[new])
    # The old index's rows to keep (cut 0), by its visit ids (row number in person order).
    order = np.lexsort((t_in[old], person[old]))
    keep = (cut[old][order] == 0)[base.v_visit_id]
    a = np.flatnonzero(cut != 0)
    a = a[np.lexsort((t_in[a], person[a]))]
    added = Added(np.searchsorted(new_people, person[a]), venue[a], t_in[a], t_out[a],
                  source[a])
    got = merged(base, keep=keep, person_map=np.searchsorted(new_people, old_people),
                 person_ids=names[new_people], venue_map=old_venues, venue_ids=vnames,
                 venues=_table(vnames), added=added)
    for name in ("segment_offsets", "v_person", "v_t_in", "v_t_out", "v_source",
                 "person_offsets", "p_pos", "segment_max_stay", "v_visit_id"):
        assert np.array_equal(np.asarray(getattr(got, name)),
                              np.asarray(getattr(want, name))), name
    assert np.array_equal(got._venue_of(), want._venue_of())
    assert (got._seek is None) == (want._seek is None)
    if want._seek is not None:
        assert (got._seek.t0, got._seek.unit, got._seek.bits_t) == (
            want._seek.t0, want._seek.unit, want._seek.bits_t)
        assert np.array_equal(got._seek.keys, want._seek.keys)


def test_a_repeat_scan_across_the_cut_merges_as_in_a_full_ingest(tmp_path):
    from tracelab.synth import generate

    county = tmp_path / "county"
    generate(population=150, days=3, seed=4, progress=False).write(county, fmt="parquet")
    scans = pd.read_parquet(county / "scans.parquet")
    days = _days(scans)
    last = sorted(days.unique())[-1]
    before = scans[days != last].sort_values(s.SCANNED_AT)
    # Some people scan their last venue of the days before again a minute later: the
    # repeat falls in the appended day's file and merges into a stored scan.
    # (Not a chain: the scan before theirs is more than the repeat window older.)
    gap = before.groupby(s.PERSON_ID)[s.SCANNED_AT].diff().fillna(pd.Timedelta(days=1))
    last_scans = before[gap > pd.Timedelta(minutes=5)].groupby(s.PERSON_ID).tail(1)
    repeats = last_scans[last_scans.index.isin(before.groupby(s.PERSON_ID).tail(1).index)]
    repeats = repeats.head(12).copy()
    assert len(repeats) >= 5
    repeats[s.SCANNED_AT] += pd.Timedelta(seconds=70)
    repeats[s.CODE_COLOUR] = "red"  # the merged row takes the worse colour
    day = pd.concat([scans[days == last], repeats], ignore_index=True)
    base = _write_part(county, tmp_path / "base", scans[days != last],
                       pd.read_parquet(county / "cases.parquet"), registry=True)
    for name in ("manifest.json", "townships.geojson", "persons.parquet"):
        shutil.copyfile(county / name, base / name)
    part = _write_part(county, tmp_path / "day", day, None, registry=False)
    whole = _write_part(county, tmp_path / "whole", pd.concat([scans[days != last], day]),
                        pd.read_parquet(county / "cases.parquet"), registry=True)
    for name in ("manifest.json", "townships.geojson", "persons.parquet"):
        shutil.copyfile(county / name, whole / name)
    store, full = tmp_path / "store", tmp_path / "full"
    ingest_county(base, store, key=KEY, now=NOW)
    append_day(store, part, key=KEY, now=NOW)
    ingest_county(whole, full, key=KEY, now=NOW)
    assert_same_store(Path(store), Path(full))
