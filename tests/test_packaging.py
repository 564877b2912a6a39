"""The set-up promises of the README: two commands, a consistent conda environment, CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: pip name -> conda-forge name where they differ.
CONDA_NAMES = {"duckdb": "python-duckdb"}
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


def _split(requirement: str) -> tuple[str, str]:
    match = _REQ.match(requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # The spark extra stays out of the conda file: PySpark is optional and heavy.
    reqs = list(meta["dependencies"]) + list(meta["optional-dependencies"]["dev"])
    return dict(_split(r) for r in reqs)


def _conda_requirements() -> dict[str, str]:
    deps: dict[str, str] = {}
    section, in_pip = "", False
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if re.match(r"^\w+:", stripped):
            section = stripped.split(":", 1)[0]
        if stripped.strip() == "- pip:":
            in_pip = True
            continue
        item = re.match(r"^  - (\S.*)$", stripped)
        if item and section == "dependencies" and not in_pip:
            name, spec = _split(item.group(1))
            if name not in ("python", "pip"):
                deps[name] = spec
    return deps


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    expected = {CONDA_NAMES.get(n, n): spec for n, spec in _pyproject_requirements().items()}
    assert _conda_requirements() == expected


def test_python_version_agrees():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert f"python{meta['requires-python']}" in env.replace(" ", "")


def test_readme_quick_start_is_exactly_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", quick, re.S)
    assert block, "the quick start has a code block"
    commands = [ln for ln in block.group(1).splitlines() if ln.strip()]
    assert commands == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)


def test_public_namespace_is_curated():
    import tracelab

    assert sorted(tracelab.__all__) == tracelab.__all__
    for name in tracelab.__all__:
        assert getattr(tracelab, name) is not None
    for verb in ("read_venues", "read_scans", "read_cases", "VisitGraph", "trace", "sources",
                 "companions", "rank_contacts", "rank_venues", "clusters", "risk_areas",
                 "compare", "show_versions"):
        assert verb in tracelab.__all__
    # tracelab.replay is the subpackage (its verb is tracelab.replay.replay), and the
    # audited verbs, not the plain implementations, are what users get.
    assert callable(tracelab.replay.replay)
    assert tracelab.tracing.trace is tracelab.trace
    assert tracelab.trace.__wrapped__ is not tracelab.trace


def test_make_lab_starts_jupyterlab_also_as_root(tmp_path):
    """The README's `make lab` serves the notebooks, whoever runs it (root needs a flag)."""
    import os
    import signal
    import subprocess
    import time

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "run"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    lab = subprocess.Popen(["make", "-s", "lab"], cwd=root, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    try:
        deadline = time.monotonic() + 90
        assert lab.stdout is not None
        while time.monotonic() < deadline:
            line = lab.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "http://127.0.0.1" in line:
                break
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.communicate(timeout=30)
    assert any("http://127.0.0.1" in line for line in seen), "".join(seen)[-2000:]
