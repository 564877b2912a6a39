"""The public trajectory notice (病例活动轨迹公告): what it lists, what it never shows.

The sample county (pseudonymised with the demo key) gives the real cases; small frames
written here give the cases a paper check needs (re-scans to merge, a residence with a
door number, a hostile venue name). The notice's visits are compared with the forward
trace's own selection: a witness standing beside every visit of the case makes the trace
report each visit it counts.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pandas as pd
import pytest

import tracelab.privacy.audit as audit_module
from tracelab.briefing.notice import (
    SHOWN_FROM,
    SHOWN_TO,
    STAY_END,
    STAY_START,
    NoVisitsError,
    build_notice,
    case_notice,
)
from tracelab.briefing.notice_places import strip_door_number
from tracelab.briefing.notice_render import notice_html, notice_text, write_notice
from tracelab.cli import main
from tracelab.index.graph import VisitGraph
from tracelab.io import DataDir, pseudonymise_data, read_dir
from tracelab.io.checks import empty_rejections
from tracelab.model import schema as s
from tracelab.privacy import DEMO_KEY
from tracelab.privacy.audit import read_audit
from tracelab.privacy.pseudonyms import pseudonym
from tracelab.privacy.purposes import PurposeError
from tracelab.synth import generate
from tracelab.tracing.forward import trace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
NOW = pd.Timestamp("2022-12-02T00:00+08:00")
KEY = "notice-test-key-0123456789"
#: What no notice may hold: a pseudonym, a raw sample person id, a mobile or an ID number.
PERSONAL = re.compile(r"p_[0-9a-f]{16}|P\d{7}|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.fixture(scope="module")
def sample():
    """The sample county pseudonymised with the demo key, and its visit graph."""
    data = pseudonymise_data(read_dir(SAMPLE, now=NOW), DEMO_KEY)
    return data, VisitGraph.from_scans(data.scans, data.venues, "twenty", zone=data.region.zone)


@pytest.fixture(scope="module")
def persons():
    return pd.read_parquet(SAMPLE / "persons.parquet")


def _small(venues: pd.DataFrame, scans: list[tuple[str, str]], onset: str = "2022-11-21"
           ) -> DataDir:
    """One case p_c1 with scans (venue, local time) on 2022-11-20 and the given venues."""
    frame = pd.DataFrame({
        s.PERSON_ID: ["p_c1"] * len(scans), s.VENUE_ID: [v for v, _ in scans],
        s.SCANNED_AT: [pd.Timestamp(f"2022-11-20 {hm}", tz="Asia/Shanghai").tz_convert("UTC")
                       for _, hm in scans]})
    cases = pd.DataFrame({s.PERSON_ID: ["p_c1"], s.KIND: [s.CONFIRMED],
                          s.ONSET_AT: [pd.Timestamp(onset, tz="UTC")]})
    return DataDir(venues, frame, cases, empty_rejections(), {}, Path("."))


def _witnessed(graph: VisitGraph, cases: list[str]) -> VisitGraph:
    """The graph with a witness standing through each visit of the cases, exactly."""
    visits = graph.visits()
    mine = visits[visits[s.PERSON_ID].isin(cases)]
    witnesses = mine.assign(**{s.PERSON_ID: [f"w_{i}" for i in range(len(mine))]})
    both = pd.concat([visits, witnesses], ignore_index=True).drop(columns=[s.VISIT_ID])
    return VisitGraph.from_visits(both, graph.venues, dwell=graph.dwell, zone=graph.zone)


def _engine_selection(graph, cases, rule, as_of) -> dict[str, set[tuple[str, pd.Timestamp]]]:
    """Per case, the visits the forward trace matches when every visit has a witness."""
    ex = trace(graph, cases, rule, as_of=as_of)
    return {c: set(zip(g[s.VENUE_ID], g[s.CASE_T_IN], strict=True))
            for c, g in ex.groupby(s.CASE_ID)}


@pytest.fixture(scope="module")
def all_cases(sample):
    """One combined notice of every sample case."""
    data, graph = sample
    return build_notice(data, list(data.cases[s.PERSON_ID]), graph=graph, hotline="0799-7512345")


def test_the_notice_lists_exactly_the_visits_the_trace_counts_in_time_order(sample, all_cases):
    data, graph = sample
    n, ids = all_cases, list(data.cases[s.PERSON_ID])
    residences = set(graph.venues.loc[graph.venues[s.RESIDENCE], s.VENUE_ID])
    witnessed = _witnessed(graph, ids)
    # The trace's case side, residences included (the notice keeps them on purpose) ...
    with_homes = _engine_selection(witnessed, data.cases, "twenty(share_residences=True)", n.as_of)
    # ... and under the rule itself, which skips them.
    plain = _engine_selection(witnessed, data.cases, "twenty", n.as_of)
    homes = 0
    for case, track in zip(ids, n.tracks, strict=True):
        visits = track.visits
        mine = set(zip(visits[s.VENUE_ID], visits[s.T_IN], strict=True))
        assert mine == with_homes[case]
        assert {m for m in mine if m[0] not in residences} == plain.get(case, set())
        homes += sum(m[0] in residences for m in mine)
        # Inside the window, in time order, stays and lines too.
        assert (visits[SHOWN_FROM] >= track.window_start).all()
        assert (visits[SHOWN_TO] <= track.window_end).all()
        assert visits[SHOWN_FROM].is_monotonic_increasing
        assert track.stays[STAY_START].is_monotonic_increasing
    assert homes, "the cases should include visits at residences"
    lines = [ln for ln in notice_text(n).splitlines() if ln.startswith("  ")]
    places = [p for track in n.tracks for p in track.stays["place"]]
    assert len(lines) == len(places) == n.n_stays
    assert all(p in line for p, line in zip(places, lines, strict=True))


def test_stays_merge_only_runs_at_one_venue(all_cases):
    n = all_cases
    merged = 0
    for track in n.tracks:
        visits, stays = track.visits, track.stays
        merged += len(visits) - len(stays)
        # consecutive stays are at different venues, or more than 30 minutes apart
        same = stays[s.VENUE_ID].iloc[1:].to_numpy() == stays[s.VENUE_ID].iloc[:-1].to_numpy()
        gap = stays[STAY_START].iloc[1:].to_numpy() - stays[STAY_END].iloc[:-1].to_numpy()
        assert not (same & (gap <= pd.Timedelta(minutes=30).to_timedelta64())).any()
        # every visit lies inside one stay at its venue, and every stay is covered by visits
        for v in visits.itertuples():
            inside = stays[(stays[s.VENUE_ID] == v.venue_id) & (stays[STAY_START] <= v.shown_from)
                           & (stays[STAY_END] >= v.shown_to)]
            assert len(inside) == 1
    assert merged >= 1, "the sample has a case who re-scanned at a venue"


def test_a_rescan_is_one_stay_and_a_return_later_is_another():
    venues = pd.DataFrame({s.VENUE_ID: ["A", "B"], s.NAME: ["好又多超市", "长乐药店"],
                           s.VENUE_TYPE: ["supermarket", "pharmacy"],
                           s.ADDRESS: ["长乐镇建设路1号", "长乐镇建设路9号"]})
    data = _small(venues, [("A", "10:00"), ("A", "10:10"), ("B", "11:00"), ("A", "15:00")])
    n = build_notice(data, "p_c1", as_of="2022-11-21T08:00+08:00")
    assert len(n.tracks[0].visits) == 4
    body = [ln.strip() for ln in notice_text(n).splitlines() if ln.startswith("  ")]
    assert body == ["10:00—10:40　好又多超市（长乐镇建设路1号）",
                    "11:00—11:10　长乐药店（长乐镇建设路9号）",
                    "15:00—15:30　好又多超市（长乐镇建设路1号）"]


@pytest.mark.parametrize(("given", "shown"), [
    ("长乐镇和平街113号", "长乐镇和平街"), ("幸福里小区5栋2单元401室", "幸福里小区"),
    ("幸福里小区 3-2-401", "幸福里小区"), ("长乐镇安源村十二组", "长乐镇安源村"),
    ("阳光花园B座1203", "阳光花园"), ("阳光花园3#楼", "阳光花园"), ("第一小区", "第一小区"),
    ("和平街113号院", "和平街"), ("长乐镇安源村", "长乐镇安源村"), ("三门村", "三门村"),
    ("一号公馆", "一号公馆"), ("幸福里二栋三单元", "幸福里"), ("幸福里12A-3号", "幸福里")])
def test_a_residence_address_loses_door_building_unit_room_and_group(given, shown):
    assert strip_door_number(given) == shown


def test_a_residence_is_shown_as_its_compound_and_a_hostile_name_is_escaped():
    hostile = '<img src=x onerror=alert(1)>"店'
    venues = pd.DataFrame({
        s.VENUE_ID: ["H", "X"], s.NAME: ["幸福里小区5栋", hostile],
        s.VENUE_TYPE: ["residential_compound", "restaurant"],
        s.ADDRESS: ["长乐镇和平街113号3单元401室", "长乐镇建设路2号 13123456789"]})
    data = _small(venues, [("X", "12:00"), ("H", "19:00")])
    n = build_notice(data, "p_c1", as_of="2022-11-21T08:00+08:00", hotline="0799-1234567")
    text = notice_text(n)
    assert "幸福里小区（长乐镇和平街）" in text
    assert not re.search(r"113|401|5栋|3单元", text)
    assert "13123456789" not in text and "131*****789" in text  # a phone in the address
    assert "请立即拨打报备电话 0799-1234567 报备" in text
    page = notice_html(n)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;&quot;店" in page
    assert "<script" not in page


def test_the_sample_notice_shows_no_person_data(sample, all_cases, persons):
    data, n = sample[0], all_cases
    raw = persons.set_index(persons[s.PERSON_ID].map(lambda p: pseudonym(p, DEMO_KEY)))
    mine = raw.loc[data.cases[s.PERSON_ID]]
    phones = set(pd.read_parquet(SAMPLE / "venues.parquet")[s.APPLICANT_PHONE].dropna())
    for text in (notice_text(n), notice_html(n)):
        assert not PERSONAL.findall(text.replace("0799-7512345", ""))
        for value in [*mine[s.PERSON_NAME], *mine[s.ID_NUMBER].dropna(), *mine[s.PHONE].dropna(),
                      *mine.index, *phones]:
            assert str(value) not in text
    assert len(n.tracks) == len(data.cases) and n.n_stays > len(data.cases)


def test_a_case_without_a_visit_in_its_window_is_refused(sample):
    data, graph = sample
    case = data.cases[s.PERSON_ID].iloc[0]
    with pytest.raises(NoVisitsError, match="在传染期内.*没有按规则 twenty 计入的场所到访记录"):
        build_notice(data, case, graph=graph, as_of="2022-11-10T00:00+08:00")
    with pytest.raises(NoVisitsError, match="no venue visit that counts under rule twenty"):
        build_notice(data, case, graph=graph, as_of="2022-11-10T00:00+08:00", lang="en")


def test_the_library_notice_needs_a_purpose_and_logs_one_entry(sample, tmp_path):
    data, graph = sample
    case = data.cases[s.PERSON_ID].iloc[1]
    log, out = tmp_path / "audit.duckdb", tmp_path / "notice.txt"
    with pytest.raises(PurposeError):
        case_notice(data, case, graph=graph, audit=log)
    assert not log.exists()
    n = case_notice(data, case, graph=graph, purpose="case:LX-002", audit=log, who="ana",
                    deliver=lambda notice: write_notice(notice, out))
    entries = read_audit(log)
    assert len(entries) == 1 and entries["purpose"].iloc[0] == "case:LX-002"
    assert entries["query"].iloc[0] == "notice cases=1 rule=twenty"
    assert f'"rows":{n.n_stays}' in entries["counts"].iloc[0]
    assert out.read_text(encoding="utf-8") == notice_text(n)
    assert case not in entries.to_string()


@pytest.fixture(scope="module")
def small_county(tmp_path_factory):
    """A small synthetic county as CSV files, for the command line, and its case ids."""
    county = generate(population=400, days=8, seed=3, progress=False)
    out = tmp_path_factory.mktemp("county")
    county.write(out, fmt="csv")
    return out, county.cases[s.PERSON_ID].astype(str).tolist()


@pytest.fixture()
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    return tmp_path


def test_the_command_writes_the_file_then_logs_it(small_county, cli_env, monkeypatch, capsys):
    out, log = cli_env / "notice.html", cli_env / "audit.duckdb"
    seen = []
    real = audit_module.record_query

    def record(*args, **kwargs):
        seen.append(out.is_file())  # the file exists when its entry is written
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_module, "record_query", record)
    folder, cases = small_county
    case = cases[1]
    argv = ["notice", "--data", str(folder), "--case", case, "--out", str(out), "--now",
            NOW.isoformat(), "--purpose", "case:LX-002", "--audit", str(log), "--lang", "en"]
    assert main(argv) == 0
    assert seen == [True] and len(read_audit(log)) == 1
    assert "trajectory notice: 1 case(s)" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "<h2>Case 1 (confirmed case)</h2>" in page and case not in page
    assert pseudonym(case, KEY.encode()) not in page


def test_the_command_refuses_without_purpose_and_on_an_empty_window(small_county, cli_env,
                                                                     capsys):
    out, log = cli_env / "notice.txt", cli_env / "audit.duckdb"
    folder, cases = small_county
    base = ["notice", "--data", str(folder), "--case", cases[1], "--out", str(out), "--now",
            NOW.isoformat(), "--audit", str(log)]
    with pytest.raises(SystemExit) as exit_:
        main(base)
    assert exit_.value.code == 2 and "--purpose" in capsys.readouterr().err
    assert main([*base, "--purpose", "curiosity"]) == 2
    capsys.readouterr()
    assert main([*base, "--purpose", "case:LX-1", "--as-of", "2022-11-10T00:00+08:00"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tracelab notice：错误：病例 p_")
    assert "无轨迹可发布" in err[0] and "Traceback" not in err[0]
    assert main([*base, "--purpose", "case:LX-1", "--out", str(cli_env / "n.pdf")]) == 2
    err = capsys.readouterr().err
    assert "输出格式由扩展名决定" in err and ".html" in err and ".png" in err
    assert main([*base, "--purpose", "case:LX-1", "--hotline", "<b>call</b>"]) == 2
    assert "不是电话号码" in capsys.readouterr().err
    assert not out.exists() and not log.exists()


@pytest.mark.browser
def test_the_png_is_the_page_drawn_by_chromium(sample, chromium_path, tmp_path):
    data, graph = sample
    n = build_notice(data, list(data.cases[s.PERSON_ID].iloc[:2]), graph=graph)
    png = write_notice(n, tmp_path / "notice.png", executable_path=chromium_path).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1500 and 600 <= height <= 20_000, (width, height)
    assert len(png) > 20_000  # drawn text, not a blank page


@pytest.mark.browser
def test_the_page_renders_offline_with_every_stay_as_a_row(sample, browser_page, tmp_path):
    data, graph = sample
    n = build_notice(data, list(data.cases[s.PERSON_ID].iloc[:3]), graph=graph)
    path = write_notice(n, tmp_path / "notice.html")
    browser_page.goto(path.as_uri())
    assert browser_page.locator("tbody tr").count() == n.n_stays
    assert browser_page.locator("h2").count() == 3
    assert "请向所在社区（村）报备" in browser_page.locator("p.request").inner_text()
    assert not browser_page.failed_requests and not browser_page.page_errors
