"""Manager and regulator views: aggregates only, no count below 5, none recoverable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracelab.governance.aggregates import (
    COMPLEMENT,
    NOT_SHOWN,
    SUPPRESSED,
    WITHHELD,
    protect,
    regulator_report,
    venue_report,
)
from tracelab.model import schema as s

M = 5


def _possible(labels: list[str], total: int, m: int = M) -> list[set[int]]:
    """What an attacker who knows the labels and the total can say of each '<5' cell.

    Dynamic programming over the sets of sums the other suppressed cells can reach
    ('<5' in 0..m-1, 'c' in m..total), independent of how :func:`protect` reasons.
    """
    rest = total - sum(int(x) for x in labels if x.isdigit())
    ranges = {SUPPRESSED: range(m), COMPLEMENT: range(m, max(rest, m) + 1)}

    def reachable(cells: list[str]) -> set[int]:
        sums = {0}
        for label in cells:
            sums = {a + v for a in sums for v in ranges[label] if a + v <= rest}
        return sums

    hidden = [i for i, x in enumerate(labels) if not x.isdigit()]
    possible: list[set[int]] = [set() for _ in labels]
    for i in hidden:
        if labels[i] != SUPPRESSED:
            continue
        others = reachable([labels[j] for j in hidden if j != i])
        possible[i] = {v for v in range(m) if rest - v in others}
    return possible


def assert_protected(labels: list[str], counts: list[int], m: int = M) -> None:
    for label, n in zip(labels, counts, strict=True):
        if label.isdigit():
            assert int(label) == n and n >= m
        elif label == SUPPRESSED:
            assert n < m
        else:
            assert label == COMPLEMENT and n >= m
    total = sum(counts)
    if any(not x.isdigit() for x in labels):
        hidden = total - sum(int(x) for x in labels if x.isdigit())
        assert hidden >= m, "the suppressed cells add up to a small count"
    for i, options in enumerate(_possible(labels, total, m)):
        if labels[i] == SUPPRESSED:
            assert counts[i] in options and len(options) >= 2, (labels, counts, i)


@pytest.mark.parametrize(("counts", "labels", "withheld"), [
    ([40, 12, 9], ["40", "12", "9"], False),
    ([40, 3, 12], ["40", "<5", "c"], False),
    ([40, 0, 12], ["40", "<5", "c"], False),
    ([40, 2, 3, 12], ["40", "<5", "<5", "12"], False),  # 2 + 3 = 5, neither pinned
    ([40, 1, 1, 12], ["40", "<5", "<5", "c"], False),  # 1 + 1 = 2 is a small count
    ([40, 4, 4, 12], ["40", "<5", "<5", "c"], False),  # 4 + 4 = 8 pins both at 4
    ([5, 0, 0], ["c", "<5", "<5"], True),  # 5 = 5 + 0 + 0 pins the zeros
    ([4, 4], ["<5", "<5"], True),
])
def test_protect_examples(counts, labels, withheld):
    assert protect(counts) == (labels, withheld)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 14), min_size=1, max_size=6))
def test_protect_leaves_no_small_cell_recoverable(counts):
    labels, withheld = protect(counts)
    if sum(counts) < M:
        return  # the caller suppresses the total and the whole group
    if withheld:
        assert all(not x.isdigit() for x in labels)  # only when nothing else helps
        return
    assert_protected(labels, counts)


def test_protect_rejects_bad_input():
    with pytest.raises(ValueError, match="min_cell"):
        protect([1, 2], 0)
    with pytest.raises(ValueError, match="non-negative"):
        protect([-1, 7])


PHONES = [f"138{i:08d}" for i in range(60)]


@pytest.fixture()
def scans():
    rng = np.random.default_rng(7)
    n = 600
    at = pd.Timestamp("2022-11-20T00:00:00Z") + pd.to_timedelta(
        rng.integers(0, 5 * 24 * 60, n), unit="min")
    return pd.DataFrame({
        s.PERSON_ID: rng.choice(PHONES, n),
        s.VENUE_ID: rng.choice(["V1", "V2", "V3", "V4"], n, p=[0.6, 0.3, 0.08, 0.02]),
        s.SCANNED_AT: at.as_unit("ns"),
        s.CODE_COLOUR: rng.choice(list(s.COLOURS), n, p=[0.93, 0.05, 0.02]),
        s.METHOD: rng.choice(list(s.METHODS), n, p=[0.9, 0.1]),
    })


VENUES = pd.DataFrame({
    s.VENUE_ID: ["V1", "V2", "V3", "V4", "V5"],
    s.VENUE_TYPE: ["supermarket", "supermarket", "school", "school", "pharmacy"],
    s.TOWNSHIP: ["芦溪镇", "宣风镇", "芦溪镇", "宣风镇", "芦溪镇"],
})


def _no_person_data(frame: pd.DataFrame, scans: pd.DataFrame) -> None:
    text = frame.to_csv()
    assert s.PERSON_ID not in frame.columns
    for pid in scans[s.PERSON_ID].unique():
        assert pid not in text


def _check_counts(frame: pd.DataFrame) -> None:
    counts = frame["count"].dropna()
    assert (counts >= M).all()
    digits = frame["shown"].str.isdigit()
    assert (frame["count"].notna() == digits).all()
    assert frame.loc[~digits, "shown"].isin([SUPPRESSED, COMPLEMENT, WITHHELD, NOT_SHOWN]).all()


@pytest.mark.parametrize("venue", ["V1", "V2", "V3", "V4", "V5"])
def test_venue_report_is_aggregate_and_protected(scans, venue):
    before = scans.copy()
    report = venue_report(scans, venue)
    pd.testing.assert_frame_equal(scans, before)
    _no_person_data(report, scans)
    _check_counts(report)
    total = int((scans[s.VENUE_ID] == venue).sum())
    mine = scans[scans[s.VENUE_ID] == venue]
    local = mine[s.SCANNED_AT].dt.tz_convert(s.DEFAULT_ZONE)
    truth = {
        "day": local.dt.strftime("%Y-%m-%d").value_counts(),
        "hour": local.dt.strftime("%H").value_counts(),
        "colour": mine[s.CODE_COLOUR].value_counts(),
        "method": mine[s.METHOD].value_counts(),
    }
    head = report[report["section"] == "total"]
    assert head["shown"].tolist() == [str(total) if total >= M else SUPPRESSED]
    for section, values in truth.items():
        rows = report[report["section"] == section]
        if (rows["bucket"] == WITHHELD).any():
            assert len(rows) == 1
            continue
        counts = [int(values.get(b, 0)) for b in rows["bucket"]]
        assert sum(counts) == total
        assert_protected(rows["shown"].tolist(), counts)
    if total >= M:
        assert report.loc[report["section"] == "hour", "bucket"].tolist() == \
            [f"{h:02d}" for h in range(24)]
        assert len(report[report["section"] == "day"]) in (5, 6)  # the county's period


def test_proxy_share_and_colour_mix(scans):
    report = venue_report(scans, "V1").set_index(["section", "bucket"])
    mine = scans[scans[s.VENUE_ID] == "V1"]
    proxy = report.loc[("method", s.PROXY)]
    if pd.notna(proxy["count"]):
        assert proxy["share"] == pytest.approx((mine[s.METHOD] == s.PROXY).mean())
    green = report.loc[("colour", s.GREEN)]
    assert green["count"] == (mine[s.CODE_COLOUR] == s.GREEN).sum()


def test_small_venue_is_suppressed_entirely(scans):
    tiny = pd.concat([scans, scans.iloc[:3].assign(**{s.VENUE_ID: "V9"})], ignore_index=True)
    report = venue_report(tiny, "V9")
    assert report["count"].isna().all()
    assert set(report["shown"]) == {SUPPRESSED, WITHHELD}


def test_period_lists_empty_days_and_refuses_to_cut_entries(scans):
    report = venue_report(scans, "V1", period=("2022-11-18", "2022-11-30"))
    assert len(report[report["section"] == "day"]) == 13
    with pytest.raises(ValueError, match="leaves out"):
        venue_report(scans, "V1", period=("2022-11-21", "2022-11-22"))
    with pytest.raises(ValueError, match="two ISO days"):
        venue_report(scans, "V1", period=("soon",))  # type: ignore[arg-type]


def test_missing_columns_are_named(scans):
    with pytest.raises(s.SchemaError, match=r"lacks column\(s\) \['code_color', 'method'\]"):
        venue_report(scans.drop(columns=[s.CODE_COLOUR, s.METHOD]), "V1")


@pytest.mark.parametrize("odd", [None, "blue"])
def test_missing_or_odd_colour_gets_an_unknown_bucket(scans, odd):
    holed = scans.assign(**{s.CODE_COLOUR: scans[s.CODE_COLOUR].where(scans.index % 7 > 0, odd)})
    report = venue_report(holed, "V1")
    colours = report[report["section"] == "colour"]
    assert colours["bucket"].tolist() == [*s.COLOURS, "unknown"]
    mine = holed[holed[s.VENUE_ID] == "V1"]
    counts = [int((mine[s.CODE_COLOUR] == c).sum()) for c in s.COLOURS]
    assert_protected(colours["shown"].tolist(), [*counts, len(mine) - sum(counts)])
    holed = holed.assign(**{s.METHOD: holed[s.METHOD].where(holed.index % 5 > 0)})
    out = regulator_report(holed, VENUES)
    _check_counts(out)
    abnormal = out[(out["measure"] == "abnormal") & out["count"].notna()]
    joined = holed.merge(VENUES, on=s.VENUE_ID)
    for row in abnormal.itertuples():
        mine = joined[(joined[s.VENUE_TYPE] == row.venue_type)
                      & (joined[s.TOWNSHIP] == row.township)]
        assert row.count == mine[s.CODE_COLOUR].isin([s.YELLOW, s.RED]).sum()
    assert {"unknown_colour", "unknown_method"} <= set(out["measure"])
    wide = out.pivot(index=[s.VENUE_TYPE, s.TOWNSHIP], columns="measure", values="shown")
    assert len(wide) == 6


def test_regulator_report_is_aggregate_and_protected(scans):
    before = scans.copy()
    out = regulator_report(scans, VENUES)
    pd.testing.assert_frame_equal(scans, before)
    _no_person_data(out, scans)
    _check_counts(out)
    rows = out[out[s.TOWNSHIP] != "all"]
    # every registry pair is listed, also the one without scans
    assert len(rows[[s.VENUE_TYPE, s.TOWNSHIP]].drop_duplicates()) == 5
    joined = scans.merge(VENUES, on=s.VENUE_ID)
    entries = rows[rows["measure"] == "entries"]
    sizes = joined.groupby([s.VENUE_TYPE, s.TOWNSHIP]).size()
    truth = [int(sizes.get((t, w), 0)) for t, w in zip(entries[s.VENUE_TYPE],
                                                      entries[s.TOWNSHIP], strict=True)]
    assert_protected(entries["shown"].tolist(), truth)
    for (vtype, town), group in rows.groupby([s.VENUE_TYPE, s.TOWNSHIP]):
        mine = joined[(joined[s.VENUE_TYPE] == vtype) & (joined[s.TOWNSHIP] == town)]
        by = group.set_index("measure")
        if not by.loc["entries", "shown"].isdigit():
            assert by["count"].isna().all()
            continue
        for measures, column in ((list(s.COLOURS), s.CODE_COLOUR), (list(s.METHODS), s.METHOD)):
            counts = [int((mine[column] == v).sum()) for v in measures]
            assert_protected(by.loc[measures, "shown"].tolist(), counts)
        abnormal = by.loc["abnormal"]
        if abnormal["shown"].isdigit():
            n = mine[s.CODE_COLOUR].isin([s.YELLOW, s.RED]).sum()
            assert abnormal["count"] == n >= M
            assert abnormal["rate"] == pytest.approx(n / len(mine))
    total = out[out[s.TOWNSHIP] == "all"]
    assert total["count"].tolist() == [len(scans)]


def test_regulator_by_one_column(scans):
    out = regulator_report(scans, VENUES, by=[s.VENUE_TYPE])
    assert set(out[s.VENUE_TYPE]) == {"supermarket", "school", "pharmacy", "all"}
    _check_counts(out)


def test_regulator_refuses_unknown_venues(scans):
    with pytest.raises(ValueError, match="absent from venues"):
        regulator_report(scans, VENUES[VENUES[s.VENUE_ID] != "V1"])
    with pytest.raises(s.SchemaError, match="township"):
        regulator_report(scans, VENUES.drop(columns=[s.TOWNSHIP]))
