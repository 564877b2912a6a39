"""The notebooks: committed stripped and thin, and each runs top to bottom (house rule F).

The static checks (no stored outputs, no long function definitions, ``show_versions()``
first, nothing written into ``data/``) are fast and always run. Executing a notebook takes
tens of seconds; those tests are marked ``notebook`` and run in ``make test`` and CI like
the rest (``pytest -m "not notebook"`` leaves them out), through nbmake's runner, as
``pytest --nbmake notebooks/`` does.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
DATA_DIR = NOTEBOOKS_DIR.parent / "data"
#: The notebooks the project promises (issue: flow tracing, HQ briefing, scenario replay).
EXPECTED = ("01_flow_tracing.ipynb", "02_hq_briefing.ipynb", "03_scenario_replay.ipynb",
            "04_real_data.ipynb")
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: A notebook may define a helper of at most this many lines; longer logic goes to tracelab.
MAX_DEF_LINES = 3
#: Seconds one cell may run: a cell this slow has broken the budget of 3 minutes a notebook.
TIMEOUT_S = 180

_MAGIC = re.compile(r"^\s*[%!]", re.MULTILINE)


def _read(path: Path) -> dict:
    """The notebook JSON, each cell's source joined into one string (plain json, so that
    these checks need no Jupyter package)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return nb


def _cells(path: Path, kind: str) -> list[dict]:
    return [c for c in _read(path)["cells"] if c["cell_type"] == kind]


def _code(cell: dict) -> str:
    # IPython magics and shell escapes are not Python; blank them for ast.
    return _MAGIC.sub("pass  # ", cell["source"])


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def long_definitions(source: str, max_lines: int = MAX_DEF_LINES) -> list[str]:
    """Functions longer than ``max_lines`` lines, and every class, defined in ``source``.

    Classes count whatever their length: a notebook has no business defining one.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            found.append(f"class {node.name}")
        elif (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
              and node.end_lineno - node.lineno + 1 > max_lines):
                found.append(f"def {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    return found


def test_long_definitions_finds_functions_and_classes() -> None:
    short = "def f(x):\n    return x + 1\n"
    long = "def g(x):\n    y = x\n    y += 1\n    y *= 2\n    return y\n"
    assert long_definitions(short) == []
    assert long_definitions(long) == ["def g (5 lines)"]
    assert long_definitions("class A:\n    pass\n") == ["class A"]


def test_the_promised_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS if p.name in EXPECTED] == list(EXPECTED)
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d{2}_[a-z0-9_]+\.ipynb", path.name), (
            f"{path.name}: notebooks are numbered by reading order, e.g. 04_maps.ipynb")


def stored_outputs(path: Path) -> list[int]:
    """Indices of the code cells of notebook ``path`` that hold outputs or an execution count."""
    return [i for i, c in enumerate(_cells(path, "code"))
            if c.get("outputs") or c.get("execution_count") is not None]


def test_stored_outputs_finds_dirty_cells(tmp_path: Path) -> None:
    cell = {"cell_type": "code", "metadata": {}, "source": ["1 + 1"]}
    nb = {"cells": [{**cell, "outputs": [], "execution_count": None},
                    {**cell, "outputs": [{"output_type": "execute_result"}], "execution_count": 2},
                    {**cell, "outputs": [], "execution_count": 3}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "dirty.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert stored_outputs(path) == [1, 2]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path: Path) -> None:
    dirty = stored_outputs(path)
    assert not dirty, (f"{path.name}: code cells {dirty} hold outputs or execution counts; "
                       "strip them (jupyter nbconvert --clear-output --inplace) before committing")
    assert "widgets" not in _read(path)["metadata"], f"{path.name}: stored widget state; strip it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_thin_cells(path: Path) -> None:
    for i, cell in enumerate(_cells(path, "code")):
        long = long_definitions(_code(cell))
        assert not long, (f"{path.name}, code cell {i}: {long}; move the logic into tracelab "
                          f"with a test (a notebook helper may have {MAX_DEF_LINES} lines)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_opens_with_purpose_and_versions(path: Path) -> None:
    first = _read(path)["cells"][0]
    assert first["cell_type"] == "markdown" and "Purpose" in first["source"], (
        f"{path.name}: the first cell says what the notebook is for")
    assert "Parameters" in first["source"], f"{path.name}: the first cell names the parameters"
    assert "tracelab.show_versions()" in _cells(path, "code")[0]["source"], (
        f"{path.name}: the first code cell calls tracelab.show_versions()")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_names_an_output_folder_outside_data(path: Path) -> None:
    source = "\n".join(c["source"] for c in _cells(path, "code"))
    outs = re.findall(r"^OUT\s*=\s*(.+)$", source, re.MULTILINE)
    assert outs, f"{path.name}: name the output folder OUT (a git-ignored out/ or a temp dir)"
    assert all('"data"' not in line for line in outs), f"{path.name}: OUT points into data/"


def _data_state() -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(DATA_DIR)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(DATA_DIR.rglob("*")) if p.is_file()}


def _runner() -> type:
    try:
        from nbmake.nb_run import NotebookRun
    except ImportError:
        message = "nbmake is not installed: pip install -e '.[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return NotebookRun


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_runs_top_to_bottom(path: Path) -> None:
    # nbmake's runner, as `pytest --nbmake notebooks/` uses it: a fresh kernel working in
    # notebooks/ (as in JupyterLab), every cell, no error allowed.
    before = _data_state()
    result = _runner()(path, TIMEOUT_S).execute()
    if result.error is not None:
        pytest.fail(f"{path.name}, cell {result.error.failing_cell_index}: "
                    f"{result.error.summary}\n{result.error.trace}", pytrace=False)
    assert _data_state() == before, f"{path.name} changed files in data/; write into OUT"
