"""``tracelab calllist`` and ``tracelab roles`` on a small synthetic county.

A case is traced with ``tracelab trace`` (pseudonyms under ``TRACELAB_KEY``), then the call
list is written masked, revealed with a credential, or as aggregates, and every refusal is
checked to leave no file and no audit entry.
"""

from __future__ import annotations

import json
import re

import openpyxl
import pandas as pd
import pytest

from tracelab.cli import main
from tracelab.governance.roles import issue_credential, write_credential
from tracelab.model import schema as s
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.audit import read_audit, verify_audit
from tracelab.synth import generate

NOW = "2022-12-31T00:00:00+08:00"
KEY = "test-key-0123456789abcdef"
OTHER_KEY = "other-key-fedcba9876543210"
PURPOSE = "case:LX-017"
PHONE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    monkeypatch.delenv("TRACELAB_AUDIT", raising=False)
    return KEY.encode()


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A county written as CSV, one case traced: (folder, exposures file, persons)."""
    folder = tmp_path_factory.mktemp("county")
    generated = generate(population=300, days=6, seed=3, progress=False)
    generated.write(folder, fmt="csv")
    case = str(generated.cases[s.PERSON_ID].iloc[0])
    exposures = folder.parent / f"{folder.name}-exposures.csv"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACELAB_KEY", KEY)
        assert main(["trace", "--data", str(folder), "--case", case, "--purpose", PURPOSE,
                     "--out", str(exposures), "--now", NOW,
                     "--audit", str(folder.parent / f"{folder.name}-trace.duckdb")]) == 0
    persons = pd.read_csv(folder / "persons.csv", dtype=str)
    assert len(pd.read_csv(exposures)) > 5, "the fixture needs a few contacts"
    return folder, exposures, persons


@pytest.fixture(scope="module")
def credentials(tmp_path_factory):
    """Credentials of the three built-in roles, issued with `tracelab roles issue`."""
    folder = tmp_path_factory.mktemp("credentials")
    paths = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACELAB_KEY", KEY)
        for role in ("fieldteam", "analyst", "manager"):
            paths[role] = folder / f"{role}.json"
            assert main(["roles", "issue", role, "--out", str(paths[role]), "--days", "2",
                         "--holder", "team-3"]) == 0
    return paths


def _argv(county, out, audit, *extra):
    folder, exposures, _ = county
    return ["calllist", "--data", str(folder), "--exposures", str(exposures),
            "--out", str(out), "--purpose", PURPOSE, "--audit", str(audit), "--now", NOW,
            "--who", "li", *extra]


def _sheet(path, index=1):
    book = openpyxl.load_workbook(path)
    return book, book.worksheets[index]


def _frame(path):
    _, sheet = _sheet(path)
    rows = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def _entries(audit):
    return read_audit(audit) if audit.exists() else pd.DataFrame()


def test_reveal_needs_role_purpose_key_and_credential_and_logs_once(
        county, credentials, tmp_path, monkeypatch, capsys):
    out, audit = tmp_path / "calls.xlsx", tmp_path / "audit.duckdb"
    ok = ["--reveal", "--credential", str(credentials["fieldteam"])]
    with pytest.raises(SystemExit) as no_purpose:  # argparse: --purpose is required
        main([a for a in _argv(county, out, audit, *ok) if a not in ("--purpose", PURPOSE)])
    assert no_purpose.value.code == 2
    bad_purpose = _argv(county, out, audit, *ok)
    bad_purpose[bad_purpose.index(PURPOSE)] = "curiosity"
    assert main(bad_purpose) == 2
    assert main(_argv(county, out, audit, "--reveal")) == 2  # no credential
    assert "凭证" in capsys.readouterr().err
    assert main(_argv(county, out, audit, "--reveal", "--role", "fieldteam")) == 2
    monkeypatch.delenv("TRACELAB_KEY")
    assert main(_argv(county, out, audit, *ok)) == 2  # no key
    assert "TRACELAB_KEY" in capsys.readouterr().err
    assert not out.exists() and _entries(audit).empty
    monkeypatch.setenv("TRACELAB_KEY", KEY)
    assert main(_argv(county, out, audit, *ok)) == 0
    assert "显示姓名、电话" in capsys.readouterr().out
    log = read_audit(audit)
    assert len(log) == 1 and verify_audit(audit) is None
    entry = log.iloc[0]
    assert entry["purpose"] == PURPOSE and entry["who"] == "li"
    assert "role=fieldteam" in entry["query"] and "reveal=name,phone" in entry["query"]
    counts = json.loads(entry["counts"])
    table = _frame(out)
    assert counts["contacts"] == len(table) and 0 < counts["revealed"] <= len(table)
    credential_id = json.loads(credentials["fieldteam"].read_text())["id"]
    assert f"credential={credential_id[:12]}" in entry["query"]


def test_masked_and_revealed_lists_differ_exactly_in_name_and_phone(county, credentials,
                                                                    tmp_path, key):
    _, _, persons = county
    masked, revealed = tmp_path / "masked.xlsx", tmp_path / "revealed.xlsx"
    audit = tmp_path / "audit.duckdb"
    assert main(_argv(county, masked, audit, "--role", "fieldteam")) == 0
    assert main(_argv(county, revealed, audit, "--reveal", "--credential",
                      str(credentials["fieldteam"]), "--role", "fieldteam")) == 0
    a, b = _frame(masked), _frame(revealed)
    assert list(a.columns) == list(b.columns) and len(a) == len(b) > 0
    differ = [c for c in a.columns if not a[c].fillna("").equals(b[c].fillna(""))]
    assert differ == ["姓名", "电话"]
    # The revealed values are those the county keeps for exactly these people.
    people = persons.assign(p=[privacy.pseudonym(i, key) for i in persons[s.PERSON_ID]])
    people = people.set_index("p")
    for row in b.itertuples(index=False):
        pseudonym, name, phone = row[4], row[5], row[6]
        assert name == people.loc[pseudonym, "name"]
        expected = people.loc[pseudonym, "phone"]
        assert (phone or None) == (expected if isinstance(expected, str) else None)
    assert a["姓名"].dropna().str.contains(r"\*").all()
    assert a["电话"].dropna().map(lambda v: "*" in v).all()
    assert len(read_audit(audit)) == 2  # the masked list is logged too


def test_workbook_is_made_for_people(county, credentials, tmp_path):
    out = tmp_path / "calls.xlsx"
    assert main(_argv(county, out, tmp_path / "a.duckdb", "--reveal", "--credential",
                      str(credentials["fieldteam"]))) == 0
    book, sheet = _sheet(out)
    assert book.sheetnames == ["说明", "名单"] and book.active.title == "说明"
    cover = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True)}
    assert cover["密级"] == "敏感信息，仅限流调使用，不得外传"
    assert cover["用途"] == PURPOSE and cover["使用角色"].startswith("fieldteam")
    assert "按每日可联系 200 人排序" in cover["排序"] and cover["每日可联系"] == "200"
    assert cover["个人信息"].startswith("已显示姓名、电话")
    assert "北京时间" in cover["生成时间"] and cover["地区"].startswith("芦溪县")
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["乡镇编码", "乡镇", "优先级", "序号", "人员代号", "姓名", "电话",
                          "身份证号"]
    assert "开始（北京时间）" in header and header[-1] == "原因"
    phone_col = header.index("电话") + 1
    phones = [sheet.cell(row=r, column=phone_col) for r in range(2, sheet.max_row + 1)]
    filled = [c for c in phones if c.value]
    assert filled and all(c.data_type == "s" and isinstance(c.value, str) for c in filled)
    assert all(c.number_format == "@" for c in phones)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert sheet.column_dimensions["O"].width > sheet.column_dimensions["D"].width
    reasons = [sheet.cell(row=r, column=len(header)).value for r in range(2, sheet.max_row + 1)]
    assert all(re.match(r"与(病例|密接候选)同在.+，共\d+分钟", r) for r in reasons)
    assert all(r.endswith(("密接候选", "涉疫场所暴露人员候选")) for r in reasons)
    # grouped by township, then tier, ranked within
    frame = _frame(out)
    order = {"今日联系": 0, "24小时内联系": 1, "观察": 2}
    keys = list(zip(frame["乡镇编码"], frame["优先级"].map(order), frame["序号"], strict=True))
    assert keys == sorted(keys)


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_credentials_of_roles_that_may_not_reveal_are_refused(county, credentials, tmp_path,
                                                              capsys, role):
    out, audit = tmp_path / "calls.xlsx", tmp_path / "audit.duckdb"
    assert main(_argv(county, out, audit, "--reveal", "--credential",
                      str(credentials[role]))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"tracelab calllist：错误：角色 {role}" in err and "无权显示姓名或电话" in err
    assert main(_argv(county, out, audit, "--reveal", "--credential", str(credentials[role]),
                      "--lang", "en")) == 2
    err = capsys.readouterr().err
    assert "tracelab calllist: error: " in err and "may not reveal names or phones" in err
    assert not out.exists() and _entries(audit).empty


def test_forged_altered_expired_and_other_key_credentials_are_refused(
        county, credentials, tmp_path, capsys):
    out, audit = tmp_path / "calls.xlsx", tmp_path / "audit.duckdb"
    analyst = json.loads(credentials["analyst"].read_text())
    fieldteam = json.loads(credentials["fieldteam"].read_text())
    cases = {
        "promoted": ({**analyst, "role": "fieldteam", "reveal": ["name", "phone"]}, "签名不符"),
        "extended": ({**fieldteam, "expires_at": "2099-01-01T00:00:00Z"}, "签名不符"),
        "forged": ({**fieldteam, "seal": "0" * 64}, "签名不符"),
        "expired": (issue_credential("fieldteam", KEY.encode(), days=1,
                                     now="2022-11-20T08:00:00+08:00"), "过期"),
        "other-key": (issue_credential("fieldteam", OTHER_KEY.encode()), "另一把密钥"),
        "not-one": ({"role": "fieldteam"}, "不是 tracelab 角色凭证"),
    }
    for name, (credential, said) in cases.items():
        path = write_credential(credential, tmp_path / f"{name}.json")
        assert main(_argv(county, out, audit, "--reveal", "--credential", str(path))) == 2, name
        err = capsys.readouterr().err
        assert said in err and err.count("\n") == 1, (name, err)
    # the role is the credential's: a --role that disagrees is refused
    assert main(_argv(county, out, audit, "--reveal", "--credential",
                      str(credentials["fieldteam"]), "--role", "analyst")) == 2
    assert "与凭证的角色 fieldteam 不符" in capsys.readouterr().err
    (tmp_path / "garbage.json").write_text("not json", encoding="utf-8")
    assert main(_argv(county, out, audit, "--reveal", "--credential",
                      str(tmp_path / "garbage.json"))) == 2
    assert main(_argv(county, out, audit, "--reveal", "--credential",
                      str(tmp_path / "missing.json"))) == 2
    assert main(_argv(county, out, audit, "--role", "analyst", "--credential",
                      str(credentials["analyst"]))) == 2  # a credential only with --reveal
    assert not out.exists() and _entries(audit).empty


def test_manager_gets_aggregates_only(county, tmp_path):
    out, audit = tmp_path / "summary.xlsx", tmp_path / "audit.duckdb"
    assert main(_argv(county, out, audit, "--role", "manager")) == 0
    book, sheet = _sheet(out)
    assert book.sheetnames == ["说明", "汇总"] and sheet.freeze_panes == "A2"
    frame = _frame(out)
    assert list(frame.columns) == ["乡镇编码", "乡镇", "优先级", "人数"]
    contacts = pd.read_csv(county[1])[s.CONTACT_ID].nunique()
    assert frame["人数"].sum() == contacts
    cells = [str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True)
             for c in r if c is not None]
    assert not any(c.startswith("p_") or "*" in c for c in cells)  # no people at all
    assert not any(PHONE_RE.search(c) for c in cells)
    cover = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True)}
    assert cover["个人信息"].startswith("汇总") and cover["联系人数"] == str(contacts)
    assert json.loads(read_audit(audit)["counts"].iloc[0])["revealed"] == 0


def test_wrong_extension_is_refused(county, tmp_path, capsys):
    audit = tmp_path / "audit.duckdb"
    for name in ("calls.pdf", "calls", "calls.xls"):
        assert main(_argv(county, tmp_path / name, audit, "--role", "analyst")) == 2
        err = capsys.readouterr().err
        assert ".xlsx" in err and ".csv" in err and err.count("\n") == 1
        assert not (tmp_path / name).exists()
    assert _entries(audit).empty


def test_masked_csv_holds_no_raw_phone_or_name(county, tmp_path):
    _, _, persons = county
    out = tmp_path / "deep" / "er" / "calls.csv"  # the folder is created
    assert main(_argv(county, out, tmp_path / "a.duckdb", "--role", "analyst")) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert not PHONE_RE.search(text)
    assert not [p for p in persons["phone"].dropna() if p in text]
    names = set(persons["name"].dropna())
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert not names & set(table["姓名"].dropna())
    assert table["人员代号"].map(privacy.is_pseudonym).all()
    assert table["身份证号"].dropna().str.contains(r"\*").all()


def test_calls_per_day_decides_the_tiers_and_the_cover(county, tmp_path):
    out = tmp_path / "calls.xlsx"
    assert main(_argv(county, out, tmp_path / "a.duckdb", "--role", "analyst",
                      "--calls-per-day", "5")) == 0
    frame = _frame(out)
    counts = frame["优先级"].value_counts()
    assert counts["今日联系"] == 5 and counts["24小时内联系"] == 5
    book, _ = _sheet(out)
    cover = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True)}
    assert cover["排序"].startswith("按每日可联系 5 人排序")
    assert main(_argv(county, out, tmp_path / "a.duckdb", "--role", "analyst",
                      "--calls-per-day", "0")) == 2


def test_the_capacity_of_the_traced_rule_is_the_lists_default(county, tmp_path):
    folder, exposures, persons = county
    traced = pd.read_csv(exposures, dtype=str)
    traced[s.RULE_ID] = "twenty(calls_per_day=4)"  # as trace --rule 'twenty(calls_per_day=4)'
    capped = tmp_path / "capped.csv"
    traced.to_csv(capped, index=False)
    out = tmp_path / "calls.xlsx"
    assert main(_argv((folder, capped, persons), out, tmp_path / "a.duckdb", "--role",
                      "analyst")) == 0
    counts = _frame(out)["优先级"].value_counts()
    assert counts["今日联系"] == 4 and counts["24小时内联系"] == 4
    book, _ = _sheet(out)
    cover = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True)}
    assert cover["排序"].startswith("按每日可联系 4 人排序")


def test_english_list_and_messages(county, credentials, tmp_path, capsys):
    out = tmp_path / "calls.xlsx"
    assert main(_argv(county, out, tmp_path / "a.duckdb", "--reveal", "--credential",
                      str(credentials["fieldteam"]), "--lang", "en")) == 0
    assert "revealed (role fieldteam)" in capsys.readouterr().out
    book, sheet = _sheet(out)
    assert book.sheetnames == ["About", "Calls"]
    header = [c.value for c in sheet[1]]
    assert "Phone" in header and "Start (Beijing time)" in header
    frame = _frame(out)
    assert set(frame["Priority"]) <= {"call today", "within 24 hours", "monitor"}
    assert frame["Reason"].str.match(r"With a (case|close-contact candidate) at ").all()


def test_a_roles_file_adds_a_role_and_cannot_widen_a_credential(county, tmp_path, key):
    roles = tmp_path / "roles.csv"
    roles.write_text("role,view,reveal,title_zh\nhotline,rows,phone,热线组\n", encoding="utf-8")
    credential = tmp_path / "hotline.json"
    assert main(["roles", "issue", "hotline", "--roles", str(roles), "--out",
                 str(credential)]) == 0
    assert main(["roles", "issue", "hotline", "--out", str(tmp_path / "x.json")]) == 2
    wider = tmp_path / "wider.csv"
    wider.write_text("role,view,reveal\nhotline,rows,name;phone\n", encoding="utf-8")
    out = tmp_path / "calls.xlsx"
    assert main(_argv(county, out, tmp_path / "a.duckdb", "--reveal", "--credential",
                      str(credential), "--roles", str(wider))) == 0
    frame = _frame(out)
    assert frame["姓名"].dropna().str.contains(r"\*").all()  # sealed: phone only
    assert not frame["电话"].dropna().str.contains(r"\*").any()
    assert main(["roles", "issue", "analyst", "--roles", str(tmp_path / "bad.csv"),
                 "--out", str(tmp_path / "y.json")]) == 2
    (tmp_path / "bad.csv").write_text("role,view,reveal\nanalyst,rows,name\n")
    assert main(["roles", "issue", "analyst", "--roles", str(tmp_path / "bad.csv"),
                 "--out", str(tmp_path / "y.json")]) == 2  # built-ins cannot be redefined


def test_roles_list_issue_check(tmp_path, capsys, monkeypatch):
    assert main(["roles", "list"]) == 0
    listed = capsys.readouterr().out
    assert "fieldteam（流调现场组）" in listed and "manager" in listed
    out = tmp_path / "c" / "fieldteam.json"
    audit = tmp_path / "ops.duckdb"
    assert main(["roles", "issue", "fieldteam", "--out", str(out), "--days", "3",
                 "--audit", str(audit), "--who", "chief", "--lang", "en"]) == 0
    credential = json.loads(out.read_text())
    assert KEY not in out.read_text() and len(credential["seal"]) == 64
    assert (pd.Timestamp(credential["expires_at"]) - pd.Timestamp(credential["issued_at"])
            == pd.Timedelta(days=3))
    assert out.stat().st_mode & 0o077 == 0
    log = read_audit(audit)
    assert log["purpose"].tolist() == ["ops:role-credential"]
    assert log["query"].iloc[0].startswith("roles issue role=fieldteam")
    assert main(["roles", "check", str(out)]) == 0
    assert "有效：角色 fieldteam" in capsys.readouterr().out
    monkeypatch.setenv("TRACELAB_KEY", OTHER_KEY)
    assert main(["roles", "check", str(out)]) == 2
    assert "另一把密钥" in capsys.readouterr().err
    assert main(["roles", "issue", "fieldteam", "--out", str(out), "--days", "400"]) == 2
    assert main(["roles", "issue", "nobody", "--out", str(tmp_path / "n.json")]) == 2
    assert not (tmp_path / "n.json").exists()
    monkeypatch.delenv("TRACELAB_KEY")
    assert main(["roles", "issue", "fieldteam", "--out", str(tmp_path / "k.json")]) == 2
    assert not (tmp_path / "k.json").exists()


def test_entry_is_appended_only_after_the_file_is_in_place(county, credentials, tmp_path,
                                                           monkeypatch):
    import tracelab.privacy.audit as audit_module

    out, audit = tmp_path / "calls.xlsx", tmp_path / "audit.duckdb"
    original = audit_module.record_query
    seen = []

    def watching(*args, **kwargs):
        seen.append(out.exists())
        return original(*args, **kwargs)

    monkeypatch.setattr(audit_module, "record_query", watching)
    assert main(_argv(county, out, audit, "--reveal", "--credential",
                      str(credentials["fieldteam"]))) == 0
    assert seen == [True]

    def failing(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit_module, "record_query", failing)
    out2 = tmp_path / "calls2.xlsx"
    assert main(_argv(county, out2, audit, "--reveal", "--credential",
                      str(credentials["fieldteam"]))) == 3
    assert not out2.exists()  # a list nobody logged does not stay
    assert len(read_audit(audit)) == 1
