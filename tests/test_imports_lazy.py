"""What an import costs: ``import tracelab`` and a query of a county store load only what they use.

``import tracelab`` resolves its public names on first use (``tracelab._PUBLIC``), and so do
the namespaces of the layers below it, so that neither a notebook's first line nor the
command line pays for the map, chain and replay libraries before it needs them (issue 22:
a ``trace --store`` of a county is a one-second command). The checks run in fresh
interpreters and look at ``sys.modules``; nothing here is timed.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tracelab
from tracelab.index.county_build import ingest_county
from tracelab.model import schema as s

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
NOW = "2022-12-31T00:00:00+08:00"
KEY = "lazy-import-key-7c3f0a9e51d2b846"
#: Libraries of the maps, chains, areas, replay and Spark: a store query draws on none.
HEAVY = ("folium", "branca", "geopandas", "shapely", "networkx", "matplotlib", "pyspark",
         "openpyxl", "pyproj")
#: The namespaces whose public names are imported on first use.
LAZY = ("tracelab", "tracelab.io", "tracelab.index", "tracelab.privacy", "tracelab.tracing")


def loaded_after(code: str, **env: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running `code`."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env}, check=True)
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def type_checking_names(module: str) -> dict[str, str]:
    """Name -> module of the ``if TYPE_CHECKING:`` imports of package `module`'s ``__init__``."""
    path = Path(importlib.import_module(module).__file__ or "")
    names: dict[str, str] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom) and imp.module:
                    names.update({a.asname or a.name: imp.module for a in imp.names})
    return names


def test_import_tracelab_loads_no_data_library():
    loaded = loaded_after("import tracelab")
    assert not loaded & {*HEAVY, "pandas", "numpy", "pyarrow", "duckdb", "pyproj"}, loaded


def test_a_public_name_loads_its_own_layer_only():
    loaded = loaded_after("from tracelab import open_store, trace")
    assert "pandas" in loaded and "duckdb" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


@pytest.mark.parametrize("module", LAZY)
def test_every_public_name_resolves_to_what_type_checkers_see(module):
    package = importlib.import_module(module)
    seen = type_checking_names(module)
    public = set(package.__all__) - {"show_versions"}
    assert set(seen) == public, "the TYPE_CHECKING imports name every public name"
    for name in sorted(public):
        value = getattr(package, name)
        assert value is getattr(importlib.import_module(seen[name]), name), name
        assert name in dir(package)
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018


def test_the_top_level_keeps_its_namespaces_version_and_verbs():
    assert tracelab.__version__
    assert "replay" in dir(tracelab) and "__version__" in dir(tracelab)
    assert tracelab.tracing.trace is tracelab.trace
    assert callable(tracelab.show_versions)
    from tracelab import policy, trace  # from-imports resolve too

    assert trace is tracelab.trace and policy is tracelab.policy


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lazy") / "county"
    ingest_county(SAMPLE, path, key=KEY.encode(), now=NOW)
    return path


@pytest.mark.parametrize("verb", ["trace", "sources"])
def test_a_store_query_on_the_command_line_loads_no_map_or_graph_library(store, tmp_path,
                                                                         verb):
    case = str(pd.read_parquet(SAMPLE / "cases.parquet")[s.PERSON_ID].iloc[0])
    argv = [verb, "--store", str(store), "--case", case, "--purpose", "inv:LAZY-1",
            "--out", str(tmp_path / "out.csv"), "--lang", "en"]
    loaded = loaded_after(f"from tracelab.cli import main\nassert main({argv!r}) == 0",
                          TRACELAB_KEY=KEY)
    assert (tmp_path / "out.csv").is_file()
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
