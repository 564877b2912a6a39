"""A county store under crashes and concurrency: old or new generation, whole; every query logged.

An append is killed (SIGKILL, :func:`tracelab._atomic.fault_point`) at fault points spread
over its work, in a child forked from a forkserver that imported tracelab once, as
tests/test_faults.py does for the other commands. After each kill a reader opens the
store and finds the generation before the append or the one after it, whole: every
array fits, and a trace answers what that generation answered. The next writer brings
the store to a whole state and its append then equals a clean one. A reader that opened
the store before an append keeps answering from its generation after the switch. Eight
``trace --store`` processes at once all finish and leave eight audit entries.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tracelab._atomic import FAULT_ENV
from tracelab.index import layers
from tracelab.index.county import open_county
from tracelab.index.county_update import append_day
from tracelab.index.layers import LayeredGraph
from tracelab.model import schema as s
from tracelab.privacy.audit import audit_problem, read_audit
from tracelab.tracing.forward import trace

from .test_store_append import assert_same_store, store_and_last_day

KEY = "store-faults-key-61c2e09a7d4b3f85"
NOW = "2022-12-31T00:00:00+08:00"
KILLS = 8


def _append_child(store: str, day: str, env: dict[str, str], share: float | None) -> None:
    """Append `day` to `store` in a forked child and exit (forkserver target)."""
    os.environ.update(env)
    if share is not None:
        layers.COMPACT_SHARE = share
    append_day(store, day, key=KEY.encode(), now=NOW)
    os._exit(0)


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A county cut into its first days and its last day; a store of the first days."""
    return store_and_last_day(tmp_path_factory.mktemp("faults"), population=200, seed=8,
                              key=KEY.encode())


def _answer(store: Path) -> tuple[int, tuple[int, int], pd.DataFrame]:
    """The generation a reader finds, its graph's size and span, and a trace of its cases."""
    county = open_county(store)
    graph = county.graph("twenty")
    return (county.generation, (graph.n_visits, graph.time_range()[1]),
            trace(graph, county.cases, "twenty"))


# The small county's day outgrows half its base: the append writes one graph. With a
# higher share it grows the layer, and the kills fall among the layer's files too.
@pytest.mark.parametrize("share", [None, 100.0])
def test_a_kill_anywhere_in_an_append_leaves_one_whole_generation(parts, tmp_path, share):
    store, day, _ = parts
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tracelab.index.county_update", "tests.test_store_faults"])
    before = _answer(store)
    clean = tmp_path / "clean"
    shutil.copytree(store, clean)
    stages = tmp_path / "stages.txt"
    child = ctx.Process(target=_append_child,
                        args=(str(clean), str(day), {FAULT_ENV: f"count:{stages}"}, share))
    child.start()
    child.join(300)
    assert child.exitcode == 0
    after = _answer(clean)
    assert after[0] == before[0] + 1 and after[1] > before[1]
    assert isinstance(open_county(clean).graph("twenty"), LayeredGraph) == (share is not None)
    passed = stages.read_text(encoding="utf-8").splitlines()
    assert {"store:generation-written", "store:committed", "store:switched"} <= set(passed)
    points = sorted({1 + round(i * (len(passed) - 1) / (KILLS - 1)) for i in range(KILLS)}
                    | {passed.index("store:committed") + 1})
    for k in points:
        work = tmp_path / f"kill{k}"
        shutil.copytree(store, work)
        child = ctx.Process(target=_append_child,
                            args=(str(work), str(day), {FAULT_ENV: f"@{k}"}, share))
        child.start()
        child.join(300)
        assert child.exitcode == -9, (k, passed[k - 1], child.exitcode)
        generation, size, exposures = _answer(work)  # a reader, right after the crash
        want = before if generation == before[0] else after
        assert generation in (before[0], after[0]), passed[k - 1]
        assert size == want[1], passed[k - 1]
        pd.testing.assert_frame_equal(exposures, want[2], obj=passed[k - 1])
        # The operator runs the append again: the writer recovers first, and a day that
        # landed before the crash is refused rather than added twice.
        try:
            with pytest.MonkeyPatch.context() as mp:
                if share is not None:
                    mp.setattr(layers, "COMPACT_SHARE", share)
                append_day(work, day, key=KEY.encode(), now=NOW)
            again = True
        except ValueError as refused:
            assert "appended already" in str(refused)
            again = False
        assert not (again and generation == after[0]), passed[k - 1]
        assert_same_store(work, clean)
        assert audit_problem(work / "tracelab.duckdb") is None


def test_a_reader_keeps_its_generation_while_an_append_switches(parts, tmp_path):
    store, day, _ = parts
    work = tmp_path / "store"
    shutil.copytree(store, work)
    reader = open_county(work)
    graph = reader.graph("nhs")
    old = trace(graph, reader.cases, "nhs")
    append_day(work, day, key=KEY.encode(), now=NOW)
    assert not (work / f"gen-{reader.generation:06d}").exists()  # removed after the switch
    pd.testing.assert_frame_equal(trace(graph, reader.cases, "nhs"), old)  # still mapped
    assert open_county(work).generation == reader.generation + 1


def test_eight_traces_from_one_store_at_once_all_land(parts, tmp_path):
    store, _, county = parts
    work = tmp_path / "store"
    shutil.copytree(store, work)
    case = str(pd.read_parquet(county / "cases.parquet")[s.PERSON_ID].iloc[0])
    env = {"PATH": "/usr/bin:/bin", "TRACELAB_KEY": KEY}
    runs = [subprocess.Popen(
        [sys.executable, "-m", "tracelab.cli", "trace", "--store", str(work), "--case", case,
         "--purpose", f"inv:PAR-{k}", "--out", str(tmp_path / f"exposures{k}.csv")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        for k in range(8)]
    errors = [(run.wait(), run.stderr.read() if run.stderr else "") for run in runs]
    for run in runs:
        if run.stderr:
            run.stderr.close()
    assert [code for code, _ in errors] == [0] * 8, errors
    log = read_audit(work / "tracelab.duckdb")
    assert sorted(log["purpose"]) == [f"inv:PAR-{k}" for k in range(8)]
    assert audit_problem(work / "tracelab.duckdb") is None
    texts = {(tmp_path / f"exposures{k}.csv").read_bytes() for k in range(8)}
    assert len(texts) == 1
