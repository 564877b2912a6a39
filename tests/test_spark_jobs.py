"""The whole-log Spark jobs give the pandas implementations' results, frame for frame.

Each job runs on the committed sample county (``data/sample``) and on small
hypothesis-generated logs; the pandas function runs on the same rows and
``pandas.testing.assert_frame_equal`` compares (columns, dtypes, row order).
"""

from __future__ import annotations

import pandas as pd
import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracelab
from tracelab.governance import aggregates, compliance
from tracelab.index.graph import VisitGraph
from tracelab.index.presence import visits as pandas_visits
from tracelab.model import schema as s
from tracelab.model.rules import rule
from tracelab.tracing.companion_grid import companions as pandas_companions

pytestmark = pytest.mark.spark

jobs = pytest.importorskip("tracelab.spark.jobs")
to_spark = jobs.to_spark

NOW = "2030-01-01T00:00+08:00"
DAYS = 5
SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.fixture(scope="module")
def sample():
    """The sample county's first DAYS days: the whole county, a third of its log."""
    data = tracelab.read_dir("data/sample", now=NOW)
    # The loader types venue_type as "string" (NA-based) and every other text as "str";
    # Spark returns "str", so give pandas the same to compare like with like.
    venues = data.venues.astype({s.VENUE_TYPE: "str"})
    start = data.scans[s.SCANNED_AT].min()
    scans = data.scans[data.scans[s.SCANNED_AT] < start + pd.Timedelta(days=DAYS)]
    return scans.reset_index(drop=True), venues, data.cases


@pytest.fixture(scope="module")
def sample_spark(spark, sample):
    scans, venues, _ = sample
    return to_spark(spark, scans).cache(), to_spark(spark, venues).cache()


def _few_people(scans: pd.DataFrame, n: int) -> pd.DataFrame:
    people = scans[s.PERSON_ID].drop_duplicates().sort_values().iloc[:n]
    return scans[scans[s.PERSON_ID].isin(people)].reset_index(drop=True)


# -- visits --------------------------------------------------------------------------

def test_visits_equal_pandas_on_the_sample(spark, sample, sample_spark):
    scans, venues, _ = sample
    s_scans, s_venues = sample_spark
    got = jobs.visits_to_pandas(jobs.visits(spark, s_scans, s_venues, "twenty"))
    pd.testing.assert_frame_equal(got, pandas_visits(scans, venues, "twenty"))


@pytest.mark.parametrize("dwell", ["scan_only", "same_day"])
def test_visits_dwell_modes_on_part_of_the_sample(spark, sample, dwell):
    scans, venues, _ = sample
    part = _few_people(scans, 400)
    r = rule("twenty", dwell=dwell, max_stay_hours=12)
    got = jobs.visits_to_pandas(jobs.visits(spark, to_spark(spark, part),
                                            to_spark(spark, venues), r))
    pd.testing.assert_frame_equal(got, pandas_visits(part, venues, r))


VENUES = pd.DataFrame({
    s.VENUE_ID: ["V1", "V2", "V3", "V4"],
    s.VENUE_TYPE: ["pharmacy", "supermarket", "village", "restaurant"],
    s.LON: [114.0001, 114.0002, 114.0301, 114.0002],
    s.LAT: [27.6001, 27.6002, 27.6301, 27.6003],
})
T0 = pd.Timestamp("2022-11-18T14:00Z")  # 22:00 in Shanghai: same_day ends soon


@st.composite
def scan_logs(draw, max_rows: int = 14):
    n = draw(st.integers(1, max_rows))
    rows = []
    for _ in range(n):
        minute = draw(st.integers(0, 4 * 24 * 60))
        stay = draw(st.one_of(st.none(), st.integers(0, 40 * 60)))
        rows.append({
            s.PERSON_ID: draw(st.sampled_from(["P1", "P2", "P3", "P4"])),
            s.VENUE_ID: draw(st.sampled_from(list(VENUES[s.VENUE_ID]))),
            s.SCANNED_AT: T0 + pd.Timedelta(minutes=minute),
            s.EXIT_AT: pd.NaT if stay is None else T0 + pd.Timedelta(minutes=minute + stay),
            s.CODE_COLOUR: draw(st.sampled_from(s.COLOURS)),
            s.METHOD: draw(st.sampled_from(s.METHODS)),
        })
    frame = pd.DataFrame(rows).astype({s.PERSON_ID: "str", s.VENUE_ID: "str",
                                       s.CODE_COLOUR: "str", s.METHOD: "str"})
    for name in (s.SCANNED_AT, s.EXIT_AT):
        frame[name] = pd.to_datetime(frame[name], utc=True).dt.as_unit("ns")
    # Full ties keep input order in pandas and payload order in Spark: keep one of each.
    return frame.drop_duplicates([s.PERSON_ID, s.SCANNED_AT, s.VENUE_ID, s.EXIT_AT],
                                 ignore_index=True)


@SETTINGS
@given(log=scan_logs(), dwell=st.sampled_from(["estimated_dwell", "scan_only", "same_day"]),
       exits=st.booleans())
def test_visits_equal_pandas_on_generated_logs(spark, log, dwell, exits):
    scans = log if exits else log.drop(columns=[s.EXIT_AT])
    r = rule("twenty", dwell=dwell, max_stay_hours=30)
    got = jobs.visits_to_pandas(jobs.visits(spark, to_spark(spark, scans),
                                            to_spark(spark, VENUES), r))
    pd.testing.assert_frame_equal(got, pandas_visits(scans, VENUES, r))


def test_visits_refuse_unknown_venues(spark):
    scans = pd.DataFrame({s.PERSON_ID: ["P1"], s.VENUE_ID: ["X9"],
                          s.SCANNED_AT: pd.to_datetime(["2022-11-18T02:00Z"])})
    with pytest.raises(ValueError, match=r"1 venue_id\(s\) not in venues, e.g. \['X9'\]"):
        jobs.visits(spark, to_spark(spark, scans), to_spark(spark, VENUES))


def test_visits_refuse_exit_before_entry(spark):
    t = pd.to_datetime(["2022-11-18T02:00Z"])
    scans = pd.DataFrame({s.PERSON_ID: ["P1"], s.VENUE_ID: ["V1"], s.SCANNED_AT: t,
                          s.EXIT_AT: t - pd.Timedelta(minutes=1)})
    with pytest.raises(ValueError, match="1 exit_at before scanned_at"):
        jobs.visits(spark, to_spark(spark, scans), to_spark(spark, VENUES))


def test_write_visits_partitions_by_local_day(spark, tmp_path):
    t = pd.to_datetime(["2022-11-18T15:00Z", "2022-11-18T17:00Z"])
    scans = pd.DataFrame({s.PERSON_ID: ["P1", "P2"], s.VENUE_ID: ["V1", "V1"],
                          s.SCANNED_AT: t})
    v = jobs.visits(spark, to_spark(spark, scans), to_spark(spark, VENUES))
    path = jobs.write_visits(v, tmp_path, "estimated_dwell")
    back = ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pandas()
    assert dict(zip(back[s.PERSON_ID], back["day"].astype(str), strict=True)) == {
        "P1": "2022-11-18", "P2": "2022-11-19"}


# -- venue statistics --------------------------------------------------------------

def test_venue_reports_equal_pandas_on_the_sample(sample, sample_spark):
    scans, _, _ = sample
    counts = scans[s.VENUE_ID].value_counts()
    busy, quiet = str(counts.index[0]), str(counts.index[-1])
    got = jobs.venue_reports(sample_spark[0], [busy, quiet])
    expected = pd.concat([aggregates.venue_report(scans, busy), aggregates.venue_report(scans, quiet)],
                         ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)


def test_venue_report_with_a_period_and_unknown_colours(spark):
    scans = pd.DataFrame({s.VENUE_ID: ["V1"] * 9 + ["V2"],
                          s.SCANNED_AT: pd.to_datetime(["2022-11-19T23:30Z"] * 9
                                                       + ["2022-11-18T01:00Z"]),
                          s.CODE_COLOUR: ["green"] * 6 + ["purple", None, "red", "green"],
                          s.METHOD: ["self"] * 10})
    got = jobs.venue_report(to_spark(spark, scans), "V1", period=("2022-11-18", "2022-11-21"))
    expected = aggregates.venue_report(scans, "V1", period=("2022-11-18", "2022-11-21"))
    pd.testing.assert_frame_equal(got, expected)
    with pytest.raises(ValueError, match="leaves out 9 entries"):
        jobs.venue_report(to_spark(spark, scans), "V1", period=("2022-11-18", "2022-11-19"))


def test_regulator_report_equal_pandas_on_the_sample(sample, sample_spark):
    scans, venues, _ = sample
    got = jobs.regulator_report(*sample_spark)
    pd.testing.assert_frame_equal(got, aggregates.regulator_report(scans, venues))


# -- compliance ----------------------------------------------------------------------

def test_venue_lists_equal_pandas_on_the_sample(sample, sample_spark):
    scans, venues, _ = sample
    s_scans, s_venues = sample_spark
    pd.testing.assert_frame_equal(jobs.silent_venues(s_scans, s_venues),
                                  compliance.silent_venues(scans, venues))
    pd.testing.assert_frame_equal(jobs.low_volume_venues(s_scans, s_venues),
                                  compliance.low_volume_venues(scans, venues))
    pd.testing.assert_frame_equal(jobs.abnormal_admissions(s_scans),
                                  compliance.abnormal_admissions(scans))


def test_person_lists_equal_pandas_on_the_sample(sample, sample_spark):
    scans, venues, _ = sample
    s_scans, s_venues = sample_spark
    bursts = jobs.group_bursts(s_scans)
    assert len(bursts) > 100  # the sample injects group scans and double scans
    pd.testing.assert_frame_equal(bursts, compliance.group_bursts(scans))
    far = jobs.far_scans(s_scans, s_venues)
    assert len(far) > 0  # and forwarded code images
    pd.testing.assert_frame_equal(far, compliance.far_scans(scans, venues))


def test_registry_lists_equal_pandas_on_raw_sample_files(spark, sample):
    raw_venues = pd.read_parquet("data/sample/venues.parquet")
    raw_scans = pd.read_parquet("data/sample/scans.parquet")
    phones = jobs.shared_applicant_phones(to_spark(spark, raw_venues))
    assert len(phones) == 1
    pd.testing.assert_frame_equal(phones, compliance.shared_applicant_phones(raw_venues))
    registered = sample[1]
    got = jobs.unregistered_venues(to_spark(spark, raw_scans), to_spark(spark, registered))
    assert int(got[compliance.OBSERVED].sum()) == 3
    pd.testing.assert_frame_equal(got, compliance.unregistered_venues(raw_scans, registered))


def test_silent_venues_ignore_far_scans(spark):
    t0 = pd.Timestamp("2022-11-18T00:00Z")
    times = list(pd.date_range(t0, periods=40, freq="h").as_unit("ns"))
    scans = pd.DataFrame({s.VENUE_ID: ["V1"] * 41, s.SCANNED_AT: times + [t0 + pd.Timedelta(
        hours=60)], s.DEVICE_LON: [114.0001] * 40 + [114.5], s.DEVICE_LAT: [27.6001] * 41})
    got = jobs.silent_venues(to_spark(spark, scans), to_spark(spark, VENUES))
    assert got[s.VENUE_ID].tolist() == ["V1"]  # the far scan does not end the silence
    pd.testing.assert_frame_equal(got, compliance.silent_venues(scans, VENUES))


# -- grid companions ------------------------------------------------------------------

def _assert_companions_equal(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    # Both engines sum whole time units before dividing, so even the why sentences'
    # rounding to 0.1 min agrees.
    pd.testing.assert_frame_equal(got, expected)


def test_companions_equal_pandas_on_the_sample(spark, sample, sample_spark):
    scans, venues, cases = sample
    v = pandas_visits(scans, venues)
    graph = VisitGraph.from_visits(v, venues, dwell="estimated_dwell")
    expected = pandas_companions(graph, cases)
    got = jobs.companions(spark, to_spark(spark, v), sample_spark[1], cases)
    assert len(expected) > 1000
    _assert_companions_equal(got, expected)


@settings(SETTINGS, max_examples=3)
@given(log=scan_logs(max_rows=12), n_cases=st.integers(1, 2),
       bucket=st.sampled_from([7, 60, 24 * 60]))
def test_companions_equal_pandas_on_generated_logs(spark, log, n_cases, bucket):
    # Whole-minute logs often sum to exactly 5 min or 6 h: both engines must keep the
    # thresholds strict alike.
    r = rule("twenty", max_stay_hours=48, companion_cumulative_hours=6,
             companion_min_minutes=5)
    v = pandas_visits(log, VENUES, r)
    people = sorted(v[s.PERSON_ID].unique())[:n_cases]
    cases = pd.DataFrame({s.PERSON_ID: people, s.KIND: "confirmed",
                          s.ONSET_AT: T0 + pd.Timedelta(days=3)})
    graph = VisitGraph.from_visits(v, VENUES, dwell=r.dwell)
    expected = pandas_companions(graph, cases, r)
    got = jobs.companions(spark, to_spark(spark, v), to_spark(spark, VENUES), cases, r,
                          bucket_minutes=bucket)
    if expected.empty:
        assert got.empty
    else:
        _assert_companions_equal(got, expected)


def test_companions_refuse_a_bad_bucket(spark):
    with pytest.raises(ValueError, match="bucket_minutes: 0 must be a positive"):
        jobs.companions(spark, None, None, pd.DataFrame(), bucket_minutes=0)
