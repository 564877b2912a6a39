"""What the README and docs show works: their Python examples run, their import paths resolve."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "data" / "README.md",
        ROOT / "benchmarks" / "README.md"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
# A dotted name starting at tracelab; a trailing file suffix (tracelab.duckdb) is no path.
_DOTTED = re.compile(r"(?<![\w/.-])tracelab(?:\.[A-Za-z_]\w*)+")
_FILES = (".duckdb", ".parquet", ".csv", ".json", ".html", ".py", ".md")
# A file of the package named by its path, e.g. `tracelab/index/graph.py`.
_FILE = re.compile(r"(?<![\w/.-])tracelab/[\w/]+\.py")


def test_readme_python_examples_run(tmp_path, monkeypatch):
    blocks = _BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:  # in order, in one namespace: later blocks use earlier names
            exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "tracelab.duckdb").is_file()
    printed = out.getvalue()
    assert "contact_id" in printed and "p_" in printed  # pseudonyms, never raw ids
    again: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):  # and it runs again on the same store
        for block in blocks:
            exec(compile(block, "README.md", "exec"), again)


def _resolve(dotted: str) -> object | None:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return None
            obj = getattr(obj, attr)
        return obj
    return None


def _paths(text: str) -> set[str]:
    return {m for m in _DOTTED.findall(text) if not m.endswith(_FILES)}


@pytest.mark.parametrize("path", DOCS + NOTEBOOKS, ids=lambda p: p.name)
def test_every_tracelab_path_the_docs_show_resolves(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    if "spark" in text and os.environ.get("CI") != "true":
        pytest.importorskip("pyspark")
    broken = sorted(p for p in _paths(text) if _resolve(p) is None)
    assert not broken, f"{path.name} names paths that do not exist: {broken}"
    # A module shown as called, e.g. `tracelab.spark.sessions(...)`, is a stale name.
    called = sorted({m.group(1) for m in re.finditer(r"(tracelab(?:\.\w+)+)\(", text)
                     if isinstance(_resolve(m.group(1)), types.ModuleType)})
    assert not called, f"{path.name} calls modules: {called}"
    missing = sorted(f for f in set(_FILE.findall(text)) if not (ROOT / f).is_file())
    assert not missing, f"{path.name} names files that do not exist: {missing}"
