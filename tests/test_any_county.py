"""Any county's data: a second 江西 county end to end, 赣通码-style exports, messy spreadsheets."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import tracelab as tl
from tracelab.cli import main
from tracelab.io import HEADER_ALIASES
from tracelab.model import schema as s
from tracelab.synth import generate

KEY = "test-key-0123456789abcdef"
NOW = "2022-12-31T00:00:00+08:00"
OTHER = "360121"  # 南昌县, at 116 E: another city, another Gauss-Kruger zone than the sample


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    county = generate(population=3000, days=10, seed=2, progress=False, region=OTHER)
    folder = tmp_path_factory.mktemp("nanchang")
    county.write(folder, fmt="csv")
    assert len(county.cases) >= 2
    return folder, county


def _chinese(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the Chinese headers of a 赣通码 export."""
    return frame.rename(columns={c: HEADER_ALIASES[c][0] for c in frame.columns
                                 if c in HEADER_ALIASES})


def test_another_county_runs_validate_trace_brief_without_the_sample_county(other, tmp_path,
                                                                            capsys):
    folder, county = other
    towns = set(tl.model.regions.region(OTHER).townships[s.TOWNSHIP])
    assert set(county.venues[s.TOWNSHIP]) <= towns
    assert main(["validate", str(folder), "--now", NOW]) == 1  # 3 scans of unknown venues
    said = capsys.readouterr().out
    assert "南昌县 (360121)" in said and "登记问题" in said
    case = county.cases.sort_values(s.CONFIRMED_AT)[s.PERSON_ID].iloc[-1]
    out = tmp_path / "exposures.csv"
    assert main(["trace", "--data", str(folder), "--case", case, "--out", str(out), "--now",
                 NOW, "--purpose", "case:NC-001", "--audit", str(tmp_path / "a.duckdb")]) == 0
    exposures = pd.read_csv(out, encoding="utf-8-sig")
    assert len(exposures) > 0
    assert set(exposures[s.VENUE_ID].astype(str).str[:6]) == {OTHER}
    page = tmp_path / "brief.html"
    assert main(["brief", "--data", str(folder), "--out", str(page), "--region", "南昌县"]) == 0
    html = page.read_text(encoding="utf-8")
    assert "南昌县" in html and sum(t in html for t in towns) >= 5
    said += capsys.readouterr().out
    outputs = [html, page.with_suffix(".json").read_text(encoding="utf-8"),
               out.read_text(encoding="utf-8-sig"),
               (folder / "rejections.csv").read_text(encoding="utf-8-sig"), said]
    outputs += [p.read_text(encoding="utf-8") for p in folder.glob("*.csv")]
    outputs.append((folder / "townships.geojson").read_text(encoding="utf-8"))
    for text in outputs:
        assert "芦溪" not in text and "萍乡" not in text


def test_a_gbk_export_with_chinese_headers_validates_under_its_region(other, tmp_path, capsys):
    _, county = other
    export = tmp_path / "export"
    export.mkdir()
    venues = county.venues.drop(columns=[s.TOWNSHIP_CODE, s.PARENT_VENUE_ID])
    _chinese(venues).to_csv(export / "venues.csv", index=False, encoding="gbk")
    scans = county.scans.assign(**{s.SCANNED_AT: county.scans[s.SCANNED_AT].dt.tz_convert(
        "Asia/Shanghai").dt.strftime("%Y/%m/%d %H:%M:%S")})
    _chinese(scans).to_csv(export / "scans.csv", index=False, encoding="gbk")
    for region in ("南昌县", OTHER, None):
        argv = ["validate", str(export), "--now", NOW] + (["--region", region] if region else [])
        assert main(argv) == 1  # the 3 scans of unregistered venues
        said = capsys.readouterr().out
        assert "编码 gb18030" in said and "南昌县 (360121)" in said
    data = tl.read_dir(export, now=NOW)
    assert len(data.venues) == len(county.venues) and data.region.code == OTHER
    assert data.loads["scans"].read == data.loads["scans"].accepted_count + 3
    # The same export under the sample county's region: one clear line naming both.
    assert main(["validate", str(export), "--now", NOW, "--region", "芦溪县"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "南昌县 (360121)" in err and "芦溪县 (360323)" in err
    assert "--region 360121" in err


def test_a_synthetic_folder_refuses_another_region(other, capsys):
    folder, _ = other
    assert main(["validate", str(folder), "--region", "360323", "--now", NOW]) == 2
    err = capsys.readouterr().err
    assert "manifest.json" in err and "南昌县 (360121)" in err and "芦溪县 (360323)" in err


VENUES = (
    "场所编码,场所名称,场所类型,主体名称,证件号码,申领手机号,地市,区县,乡镇,经度,纬度,详细地址,申领时间\n"
    "'36032310100104,好又多超市,超市,好又多商贸,92360323600123450Y,13123456789,萍乡市,芦溪县,"
    "芦溪镇,114.035,27.627,建设路1号,44880.5\n"
    "\"=\"\"36032310100105\"\"\",老李小吃,餐饮门店,李建国,,13912345678,萍乡市,芦溪县,芦溪镇,"
    "114.036,27.628,老街2号,44881.25\n"
    "36032310100106,无定位场所,超市,某商贸,92360323600123450Y,15870001234,萍乡市,芦溪县,芦溪镇,"
    "0,0,老街3号,2022/11/1\n"
)
SCANS = (
    "人员编号,场所编码,扫码时间,健康码颜色\n"
    "'13800000001,36032310100104,44883.3368055556,绿\n"
    "13800000002,'36032310100104,2022/11/20 下午 4:05,绿\n"
    "13800000001,36032310100105,44884.5,绿\n"
    "13800000002,\"=\"\"36032310100105\"\"\",44884.51,绿\n"
    "13800000003,36032310100106,44884.5,绿\n"
    "13800000004,3.60323E+13,44884.5,绿\n"
)
CASES = ("人员编号,病例类型,发病时间,采样时间,确诊时间\n"
         "13800000001,confirmed,2022/11/21 08:00,2022/11/21 09:00,2022/11/22 09:00\n")


def test_a_messy_export_keeps_every_scan_of_a_traceable_venue(tmp_path, capsys):
    for name, text in (("venues", VENUES), ("scans", SCANS), ("cases", CASES)):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    data = tl.read_dir(tmp_path, now=NOW)
    for loaded in data.loads.values():
        assert loaded.read == loaded.accepted_count + loaded.rejected_count
    # Apostrophes and ="…" are Excel's text markers, not a second venue or person.
    assert sorted(data.venues[s.VENUE_ID]) == ["36032310100104", "36032310100105"]
    faults = data.registry_faults
    assert faults.loc[faults[s.ROW] == 2, s.REASON].tolist() == ["missing_value"]
    assert data.venues.set_index(s.VENUE_ID).loc["36032310100105", s.REGISTRY_FAULT] == \
        "missing_value"
    # Every scan of the two traceable venues is kept, at the right local time.
    kept = data.scans.sort_values([s.VENUE_ID, s.PERSON_ID])
    assert len(kept) == 4 and set(kept[s.PERSON_ID]) == {"13800000001", "13800000002"}
    local = kept[s.SCANNED_AT].dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M")
    assert local.tolist() == ["2022-11-18 08:05", "2022-11-20 16:05", "2022-11-19 12:00",
                              "2022-11-19 12:14"]
    # The 0,0 venue is rejected; its scan says so instead of "not in the registry".
    reasons = data.rejections.set_index([s.SOURCE, s.ROW])[s.REASON].to_dict()
    assert reasons[("venues.csv", 3)] == "bad_coordinate"
    assert reasons[("scans.csv", 5)] == "venue_rejected"
    assert reasons[("scans.csv", 6)] == "id_in_scientific_notation"
    message = data.rejections.loc[data.rejections[s.REASON] == "venue_rejected", s.MESSAGE].iloc[0]
    assert "row 3: bad_coordinate" in message
    # The case is traced at the faulted venue, and told what it lost: nothing.
    out = tmp_path / "exposures.csv"
    assert main(["trace", "--data", str(tmp_path), "--case", "13800000001", "--out", str(out),
                 "--now", NOW, "--purpose", "case:LX-900", "--audit",
                 str(tmp_path / "a.duckdb")]) == 0
    exposures = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert set(exposures[s.VENUE_ID]) == {"36032310100105"}  # the faulted venue
    assert "被搁置" not in capsys.readouterr().out


def test_trace_says_per_case_what_was_set_aside(tmp_path, capsys):
    (tmp_path / "venues.csv").write_text(VENUES, encoding="utf-8")
    (tmp_path / "cases.csv").write_text(CASES, encoding="utf-8")
    scans = SCANS + "13800000001,36032310100106,44884.6,绿\n13800000001,V404,44884.7,绿\n"
    (tmp_path / "scans.csv").write_text(scans, encoding="utf-8")
    argv = ["trace", "--data", str(tmp_path), "--case", "13800000001", "--out",
            str(tmp_path / "e.csv"), "--now", NOW, "--purpose", "case:LX-901", "--audit",
            str(tmp_path / "a.duckdb")]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "其 2 条扫码记录被搁置（unknown_venue 1, venue_rejected 1；scans.csv 第 7, 8 行）" \
        in said
    assert main([*argv, "--lang", "en"]) == 0
    said += capsys.readouterr().out
    assert "2 of its scans set aside (unknown_venue 1, venue_rejected 1; scans.csv rows 7, 8)" \
        in said
    assert "13800000001" not in said  # the case appears as its pseudonym
    page = tmp_path / "b.html"
    assert main(["brief", "--data", str(tmp_path), "--out", str(page), "--as-of",
                 "2022-11-23T08:00+08:00"]) == 0
    html = page.read_text(encoding="utf-8")
    assert 'id="set-aside"' in html and "病例1" in html
    assert "<code>unknown_venue</code> 1" in html and "<code>venue_rejected</code> 1" in html
    assert 'data-key="registry-faults">1<' in html


def test_empty_scans_stop_trace_and_brief(tmp_path, capsys):
    (tmp_path / "venues.csv").write_text(VENUES, encoding="utf-8")
    (tmp_path / "cases.csv").write_text(CASES, encoding="utf-8")
    (tmp_path / "scans.csv").write_text("人员编号,场所编码,扫码时间,健康码颜色\n", encoding="utf-8")
    assert main(["trace", "--data", str(tmp_path), "--case", "13800000001", "--out",
                 str(tmp_path / "e.csv"), "--now", NOW, "--purpose", "case:LX-902"]) == 2
    assert "没有可用的扫码记录" in capsys.readouterr().err
    assert main(["trace", "--data", str(tmp_path), "--case", "13800000001", "--out",
                 str(tmp_path / "e.csv"), "--now", NOW, "--purpose", "case:LX-902",
                 "--lang", "en"]) == 2
    assert "no accepted scan" in capsys.readouterr().err
    assert main(["brief", "--data", str(tmp_path), "--out", str(tmp_path / "b.html")]) == 2
    assert "没有可用的扫码记录" in capsys.readouterr().err  # the briefing library's message
    assert not (tmp_path / "e.csv").exists() and not (tmp_path / "b.html").exists()


def test_scans_outside_the_period_stop_trace(tmp_path, capsys):
    (tmp_path / "venues.csv").write_text(VENUES, encoding="utf-8")
    (tmp_path / "scans.csv").write_text(SCANS, encoding="utf-8")
    late = CASES.replace("2022/11/2", "2022/12/2")
    (tmp_path / "cases.csv").write_text(late, encoding="utf-8")
    assert main(["trace", "--data", str(tmp_path), "--case", "13800000001", "--out",
                 str(tmp_path / "e.csv"), "--now", NOW, "--purpose", "case:LX-903",
                 "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "no scan from" in err and "Asia/Shanghai" in err and "the scans run from" in err


def test_a_workbook_with_a_cover_sheet_and_a_title_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "说明"
    cover.append(["场所码登记导出：敏感信息，仅限疫情防控使用"])
    sheet = book.create_sheet("场所")
    sheet.append(["芦溪县场所码 2022-11-20 导出"])
    lines = [line.split(",") for line in VENUES.splitlines()]
    for row in lines[:2]:
        sheet.append(row)
    book.save(tmp_path / "venues.xlsx")
    loaded = tl.read_venues(tmp_path / "venues.xlsx", now=NOW)
    assert loaded.source == "venues.xlsx[场所]"
    assert loaded.accepted[s.VENUE_ID].tolist() == ["36032310100104"]
    assert loaded.read == 1 and loaded.rejected.empty


def test_validate_takes_one_file(tmp_path, capsys):
    (tmp_path / "export.csv").write_text(VENUES, encoding="utf-8")
    assert main(["validate", str(tmp_path / "export.csv"), "--now", NOW, "--lang", "en"]) == 1
    said = capsys.readouterr().out
    assert "export.csv: read 3, accepted 2, rejected 1" in said
    assert (tmp_path / "rejections.csv").is_file() and (tmp_path / "registry_faults.csv").is_file()
    rows = pd.read_csv(tmp_path / "registry_faults.csv", encoding="utf-8-sig")
    assert rows[s.REASON].tolist() == ["missing_value"]


def test_region_file_of_ones_own(tmp_path, capsys):
    (tmp_path / "venues.csv").write_text(VENUES.replace("芦溪县", "某县"), encoding="utf-8")
    (tmp_path / "scans.csv").write_text(SCANS, encoding="utf-8")
    towns = tmp_path / "mine.csv"
    towns.write_text("township_code,township,seat_lon,seat_lat\n360323101,芦溪镇,114.03,27.63\n"
                     "360323102,宣风镇,114.16,27.66\n", encoding="utf-8")
    assert main(["validate", str(tmp_path), "--region", str(towns), "--now", NOW,
                 "--lang", "en"]) == 1
    said = capsys.readouterr().out
    assert "region: mine" in said
    rejected = pd.read_csv(tmp_path / "rejections.csv", encoding="utf-8-sig")
    assert json.dumps(rejected[s.REASON].tolist()) == json.dumps(
        ["bad_coordinate", "venue_rejected", "id_in_scientific_notation"])
