"""Errors are for people and exit codes for scripts: one line, the file, the cause, a status."""

from __future__ import annotations

import errno
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tracelab.cli import EXIT_CODES, error_line, exit_status, main

README = Path(__file__).parents[1] / "README.md"


def test_the_readme_table_lists_every_exit_status():
    text = README.read_text(encoding="utf-8").split("| status | meaning |", 1)[1]
    table = re.findall(r"^\| (\d+) \| (.+) \|$", text.split("\n\n", 1)[0], re.M)
    assert [int(code) for code, _ in table] == list(EXIT_CODES)


def _cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracelab.cli", *argv], capture_output=True,
                          text=True, cwd=cwd, env={"PATH": "/usr/bin:/bin", "TRACELAB_KEY":
                                                   "errors-test-key-5d1e0c7b2a9f"})


def _one_line(result: subprocess.CompletedProcess, command: str) -> str:
    """The one Chinese error line of a command run without ``--lang``."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"tracelab {command}：错误：") and "Traceback" not in lines[0]
    return lines[0]


def test_audit_of_a_file_that_is_no_store_is_an_input_error(tmp_path):
    junk = tmp_path / "notes.duckdb"
    junk.write_text("not a database\n")
    result = _cli("audit", "--store", str(junk))
    assert result.returncode == 2
    assert str(junk) in _one_line(result, "audit")


def test_a_store_locked_by_another_process_is_an_environment_error(tmp_path, monkeypatch):
    import tracelab._db as db

    store = tmp_path / "tracelab.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"c = duckdb.connect({str(store)!r}); print('held', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(db, "LOCK_WAIT_SECONDS", 0.5)
        with pytest.raises(db.StoreBusyError, match=f"in use by process {holder.pid}") as err:
            db.connect(store, wait_seconds=0.5)
        assert exit_status(err.value) == 3
        assert error_line("purge", err.value).count("\n") == 0
    finally:
        holder.kill()
        holder.communicate()


def test_a_read_only_output_folder_is_an_environment_error(tmp_path):
    from tracelab.synth import generate

    county = tmp_path / "county"
    generate(population=60, days=3, seed=2, progress=False).write(county, fmt="csv")
    locked = tmp_path / "locked"
    locked.mkdir()
    # A read-only mount stops root too; elsewhere the folder's mode stops the user.
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(locked)],
                             capture_output=True).returncode == 0
    if not mounted:
        locked.chmod(0o555)
    try:
        result = _cli("validate", str(county), "--out", str(locked / "rejections.csv"))
        assert result.returncode == 3
        assert "locked" in _one_line(result, "validate")
        assert list(locked.iterdir()) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(locked)], check=False)
        else:
            locked.chmod(0o755)


def test_a_failed_rollback_keeps_the_disk_full_message():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/data/tracelab.duckdb")
        except OSError as disk:
            raise duckdb.TransactionException("TransactionContext Error: cannot rollback") \
                from disk
    except duckdb.Error as err:
        line, status = error_line("ingest", err), exit_status(err)
    assert status == 3
    assert "No space left on device" in line and "/data/tracelab.duckdb" in line


def test_a_bug_is_one_line_with_status_4(monkeypatch, capsys):
    import tracelab.cli.audit as audit_cli

    def broken(args):
        return 1 // 0

    monkeypatch.setattr(audit_cli, "run", broken)  # register() binds it on the next main()
    assert main(["audit", "--store", "x.duckdb"]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tracelab audit：错误：内部错误 ZeroDivisionError")
    assert "请设 TRACELAB_DEBUG=1 重跑并报告" in err[0]
    assert main(["audit", "--store", "x.duckdb", "--lang", "en"]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error ZeroDivisionError" in err[0]
    assert err[0].startswith("tracelab audit: error: ") and "TRACELAB_DEBUG=1" in err[0]


def test_eight_parallel_traces_on_one_audit_store_all_land(tmp_path):
    """They queue on the store's lock (tracelab._db.connect) instead of crashing."""
    from tracelab.privacy.audit import audit_problem, read_audit
    from tracelab.synth import generate

    county = generate(population=200, days=4, seed=6, progress=False)
    folder = tmp_path / "county"
    county.write(folder, fmt="csv")
    case = str(county.cases["person_id"].iloc[0])
    audit = tmp_path / "audit.duckdb"
    env = {"PATH": "/usr/bin:/bin", "TRACELAB_KEY": "errors-test-key-5d1e0c7b2a9f"}
    runs = [subprocess.Popen(
        [sys.executable, "-m", "tracelab.cli", "trace", "--data", str(folder), "--case", case,
         "--now", "2022-12-31T00:00+08:00", "--purpose", f"inv:PAR-{k}", "--audit", str(audit),
         "--out", str(tmp_path / f"exposures{k}.csv")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env) for k in range(8)]
    errors = [(run.wait(), run.stderr.read() if run.stderr else "") for run in runs]
    for run in runs:
        if run.stderr:
            run.stderr.close()
    assert [code for code, _ in errors] == [0] * 8, errors
    assert sorted(read_audit(audit)["purpose"]) == [f"inv:PAR-{k}" for k in range(8)]
    assert audit_problem(audit) is None


@pytest.fixture(scope="module")
def small_county(tmp_path_factory):
    from tracelab.synth import generate

    county = generate(population=150, days=4, seed=8, progress=False)
    folder = tmp_path_factory.mktemp("county")
    county.write(folder, fmt="csv")
    return folder, str(county.cases["person_id"].iloc[0])


NOW = "2022-12-31T00:00+08:00"


def _verbs(folder: Path, case: str, out: str) -> dict[str, list[str]]:
    """Every verb that writes a table, writing it to `out`."""
    data = ["--data", str(folder), "--now", NOW]
    return {
        "trace": ["trace", *data, "--case", case, "--purpose", "inv:E-1", "--out", out],
        "sources": ["sources", *data, "--case", case, "--purpose", "inv:E-2", "--out", out],
        "pairs": ["pairs", *data, "--purpose", "inv:E-3", "--out", out],
        "validate": ["validate", str(folder), "--now", NOW, "--out", out],
        "venues": ["venues", "regulator", *data, "--out", out],
    }


def _one_error_line(capsys, command: str, lang: str = "zh") -> str:
    err = capsys.readouterr().err.strip().splitlines()
    head = f"tracelab {command}: error: " if lang == "en" else f"tracelab {command}：错误："
    assert len(err) == 1 and err[0].startswith(head), err
    return err[0]


@pytest.mark.parametrize("verb", ["trace", "sources", "pairs", "validate", "venues"])
def test_every_table_verb_creates_its_folder_and_refuses_a_wrong_extension(
        verb, small_county, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACELAB_KEY", "errors-test-key-5d1e0c7b2a9f")
    monkeypatch.setenv("TRACELAB_AUDIT", str(tmp_path / "audit.duckdb"))
    folder, case = small_county
    suffix = ".parquet" if verb == "pairs" else ".csv"
    out = tmp_path / "not" / "yet" / f"table{suffix}"
    assert main(_verbs(folder, case, str(out))[verb]) in (0, 1)
    assert out.is_file()
    capsys.readouterr()
    wrong = tmp_path / "table.txt"
    assert main([*_verbs(folder, case, str(wrong))[verb], "--lang", "en"]) == 2
    assert "the extension decides the format" in _one_error_line(capsys, verb, "en")
    assert not wrong.exists()
    if verb != "validate":  # validate's messages are its own (tracelab/cli/validate.py)
        assert main(_verbs(folder, case, str(wrong))[verb]) == 2
        assert "输出格式由扩展名决定" in _one_error_line(capsys, verb)
        assert not wrong.exists()


@pytest.mark.parametrize("verb", ["trace", "sources", "pairs"])
def test_every_keyed_verb_without_a_key_is_one_line(verb, small_county, tmp_path, monkeypatch,
                                                    capsys):
    monkeypatch.delenv("TRACELAB_KEY", raising=False)
    folder, case = small_county
    out = tmp_path / f"x{'.parquet' if verb == 'pairs' else '.csv'}"
    assert main(_verbs(folder, case, str(out))[verb]) == 2
    assert "没有假名化密钥" in _one_error_line(capsys, verb)
    assert main([*_verbs(folder, case, str(out))[verb], "--lang", "en"]) == 2
    assert "no pseudonymisation key" in _one_error_line(capsys, verb, "en")
    assert not out.exists()


@pytest.mark.parametrize("verb", ["trace", "sources"])
@pytest.mark.parametrize(("given", "shown"), [("NOBODY-7", "NOBODY-7"),
                                               ("13912345678", "139*****678")])
def test_an_unknown_case_is_named_as_given_unless_it_is_a_number(
        verb, given, shown, small_county, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACELAB_KEY", "errors-test-key-5d1e0c7b2a9f")
    monkeypatch.setenv("TRACELAB_AUDIT", str(tmp_path / "audit.duckdb"))
    folder, _ = small_county
    out = tmp_path / "x.csv"
    assert main(_verbs(folder, given, str(out))[verb]) == 2
    line = _one_error_line(capsys, verb)
    assert shown in line and (given == shown or given not in line)
    assert not out.exists() and not (tmp_path / "audit.duckdb").exists()


def _failing(where: Path) -> dict[str, list[str]]:
    """Every sub-command (and action), run so that it fails on a missing folder or file."""
    gone, out = str(where / "missing"), str(where / "out")
    data = ["--data", gone]
    return {
        "synth": ["synth", "--population", "10", "--out", out],
        "validate": ["validate", gone],
        "trace": ["trace", *data, "--case", "X", "--purpose", "inv:E-1", "--out", out + ".csv"],
        "sources": ["sources", *data, "--case", "X", "--purpose", "inv:E-2",
                    "--out", out + ".csv"],
        "pairs": ["pairs", *data, "--purpose", "inv:E-3", "--out", out + ".parquet"],
        "calllist": ["calllist", *data, "--exposures", gone + ".csv", "--purpose", "inv:E-4",
                     "--out", out + ".xlsx"],
        "followup import": ["followup", "import", gone + ".xlsx", "--store", gone + ".duckdb"],
        "followup status": ["followup", "status", "--store", gone + ".duckdb"],
        "brief": ["brief", *data, "--out", out + ".html"],
        "replay": ["replay", *data, "--out", out],
        "venues report": ["venues", "report", *data, "--venue", "V1"],
        "venues regulator": ["venues", "regulator", *data],
        "venues compliance": ["venues", "compliance", *data],
        "roles list": ["roles", "list", "--roles", gone + ".csv"],
        "roles issue": ["roles", "issue", "fieldteam", "--roles", gone + ".csv", "--out", out],
        "roles check": ["roles", "check", gone + ".json"],
        "audit": ["audit", "--store", gone + ".duckdb"],
        "purge": ["purge", "--store", gone + ".duckdb"],
        "layout": ["layout", *data, "--out", out],
    }


def test_every_command_accepts_lang_en_and_errs_in_chinese_by_default(tmp_path, monkeypatch,
                                                                      capsys):
    import tracelab.cli as cli
    import tracelab.synth

    monkeypatch.setenv("TRACELAB_KEY", "errors-test-key-5d1e0c7b2a9f")
    monkeypatch.setenv("TRACELAB_AUDIT", str(tmp_path / "audit.duckdb"))

    def no_disk(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / "missing"))

    monkeypatch.setattr(tracelab.synth, "generate", no_disk)  # demo fails at once
    runs = _failing(tmp_path)
    runs["demo"] = ["demo", "--out", str(tmp_path / "demo")]
    commands = {name.split()[0] for name in runs}
    assert commands == set(cli._COMMANDS) | {"sources"}, "a command is not tried here"
    for name, argv in runs.items():
        command = argv[0]
        assert main(argv) in (2, 3), name
        _one_error_line(capsys, command)
        assert main([*argv, "--lang", "en"]) in (2, 3), name
        line = _one_error_line(capsys, command, "en")
        assert "Traceback" not in line and "错误" not in line, line
