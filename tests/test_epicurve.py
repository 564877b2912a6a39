"""Epi-curve data: local days, onset vs report, townships, zeros filled."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tracelab.analysis.epicurve import epi_curve
from tracelab.model import schema as s


def cases() -> pd.DataFrame:
    t = pd.to_datetime(["2022-11-19 15:59", "2022-11-19 16:00", "2022-11-21 03:00",
                        "2022-11-23 03:00"], utc=True)
    return pd.DataFrame({
        s.PERSON_ID: ["A", "B", "C", "D"],
        s.KIND: ["confirmed", "confirmed", "asymptomatic", "confirmed"],
        s.ONSET_AT: [t[0], t[1], pd.NaT, pd.NaT],  # D: onset not yet known
        s.SAMPLED_AT: t, s.CONFIRMED_AT: t + pd.Timedelta(days=1),
        s.TOWNSHIP_CODE: ["360323101", "360323102", "360323101", "360323101"]})


def test_local_day_boundary_is_shanghai_midnight():
    curve = epi_curve(cases())
    # 15:59 UTC is 23:59 on the 19th in Shanghai, 16:00 UTC is 00:00 on the 20th.
    assert curve["day"].iloc[0] == dt.date(2022, 11, 19)
    assert curve.set_index("day").loc[dt.date(2022, 11, 20), "n_cases"] == 1


def test_asymptomatic_by_sampling_and_zero_days_filled():
    curve = epi_curve(cases()).set_index("day")
    assert list(curve.index) == [dt.date(2022, 11, d) for d in range(19, 24)]
    assert curve.loc[dt.date(2022, 11, 21), "n_asymptomatic"] == 1
    assert curve.loc[dt.date(2022, 11, 22), "n_cases"] == 0
    assert curve["cumulative"].iloc[-1] == 4


def test_report_date_shifts_curve():
    curve = epi_curve(cases(), by="report")
    assert curve["day"].iloc[0] == dt.date(2022, 11, 20)
    assert curve["n_cases"].sum() == 4


def test_by_township_from_cases_or_persons():
    curve = epi_curve(cases(), township=True)
    per = curve.groupby("township_code")["n_cases"].sum().to_dict()
    assert per == {"360323101": 3, "360323102": 1}
    assert curve.groupby("township_code")["cumulative"].max().to_dict() == per
    persons = pd.DataFrame({s.PERSON_ID: ["A", "B", "C", "D"],
                            s.TOWNSHIP_CODE: ["360323105"] * 4})
    moved = epi_curve(cases().drop(columns=[s.TOWNSHIP_CODE]), township=True, persons=persons)
    assert set(moved["township_code"]) == {"360323105"}


def test_undated_cases_counted_aside():
    c = cases()
    c.loc[3, s.CONFIRMED_AT] = pd.NaT
    curve = epi_curve(c, by="report")
    assert curve["n_cases"].sum() == 3 and curve.attrs["undated"] == 1


def test_empty_and_input_unchanged():
    c = cases()
    before = c.copy()
    epi_curve(c, township=True)
    pd.testing.assert_frame_equal(c, before)
    assert epi_curve(c.iloc[:0]).empty


@pytest.mark.parametrize("kw, match", [
    ({"by": "sampling"}, "by='sampling'"),
])
def test_bad_by(kw, match):
    with pytest.raises(ValueError, match=match):
        epi_curve(cases(), **kw)


def test_township_needs_a_source_and_times_need_zones():
    with pytest.raises(ValueError, match="township_code"):
        epi_curve(cases().drop(columns=[s.TOWNSHIP_CODE]), township=True)
    naive = cases().assign(**{s.CONFIRMED_AT: pd.Timestamp("2022-11-20")})
    with pytest.raises(ValueError, match="tz-aware"):
        epi_curve(naive, by="report")
