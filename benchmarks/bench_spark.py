"""Benchmark the Spark engine against the embedded engine and DuckDB on one Parquet layout.

Usage: ``python benchmarks/bench_spark.py [--visits 1.4e6,14e6] [--days 14] [--seed 0]
[--driver-memory 4g] [--repeat 2] [--build-visits-up-to 1.4e6] [--workdir DIR]``

For each size, the heavy-tailed log of ``bench_exposure.py`` (``make_log``, ``make_cases``)
over ``--days`` days (a fortnight: 1.4M visits is a 100,000-person town, 14M the
1,000,000-person county of that benchmark) gets string ids (the Spark source keys its joins
on strings), is written as a layout
(``venues.parquet``, ``scans.parquet/day=…``, ``visits.parquet/dwell=estimated_dwell/day=…``)
and the same questions are asked of three engines reading those files, in one run:

- embedded: ``pd.read_parquet`` + ``VisitGraph.from_visits``, then ``trace``;
- DuckDB (2 threads): the SQL joins of ``bench_exposure.py`` over ``read_parquet``;
- Spark local mode, ``local[1]`` then ``local[2]``, each in a fresh JVM: ``SparkSource`` +
  ``trace``, a whole-log venue-day aggregation, and building visits from the scans
  (``tracelab.spark.visits_job``, written back as Parquet).

Building visits (pandas ``tracelab.index.presence.visits`` and the Spark job) runs only for logs
up to ``--build-visits-up-to`` scans: the Spark job is slow in local mode.

Questions: hop 1 for K = 10 cases under ``twenty``, hop 2 from the same K = 10 under
``ninth`` (both ``estimated_dwell``, so one set of visits serves both). Spark's exposures are
asserted equal to the embedded engine's, and DuckDB's row counts to both, before timing.
Prints times, the ratios Spark/embedded, Spark/DuckDB and 2 cores/1 core, and peak resident
memory of this process and of each Spark JVM. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from bench_exposure import BASE, HOP1_SQL, HOP2_SQL, case_table, make_cases, make_log

from tracelab.index.graph import VisitGraph
from tracelab.index.presence import visits as build_visits
from tracelab.io.layout import DAY, visits_path, write_partitioned, write_visits
from tracelab.model import schema as s
from tracelab.model.rules import rule
from tracelab.testing import assert_exposures_equal
from tracelab.tracing.forward import trace

DWELL = rule("twenty").dwell
assert rule("ninth").dwell == DWELL  # one set of visits serves both questions
K = 10
CORES = (1, 2)

VENUE_DAY_SQL = """
SELECT venue_id, day, count(*) AS n, sum(epoch(t_out) - epoch(t_in)) / 60 AS minutes
FROM vs GROUP BY venue_id, day
"""


def peak_gib() -> float:
    """Peak resident memory of this Python process (GiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def jvm_peak_gib(pid: int) -> float:
    """Peak resident memory (VmHWM) of the Spark driver JVM (GiB)."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 2**20
    return float("nan")


def with_string_ids(visits: pd.DataFrame) -> pd.DataFrame:
    """The generator's visits with string ids, a visit id and the stay's source.

    Ids are zero-padded so string order is the generator's (person, t_in) order.
    """
    person = visits[s.PERSON_ID].to_numpy()
    venue = visits[s.VENUE_ID].to_numpy()
    return pd.DataFrame({
        s.VISIT_ID: np.arange(len(visits), dtype=np.int64),
        s.PERSON_ID: pd.Series(np.char.add("P", np.char.zfill(person.astype("U8"), 8)),
                               dtype="str"),
        s.VENUE_ID: pd.Series(np.char.add("V", np.char.zfill(venue.astype("U5"), 5)),
                              dtype="str"),
        s.T_IN: visits[s.T_IN], s.T_OUT: visits[s.T_OUT],
        s.T_OUT_SOURCE: pd.Series([s.DWELL_MODEL] * len(visits), dtype="str"),
    })


def write_bench_layout(folder: Path, visits: pd.DataFrame, venues: pd.DataFrame) -> None:
    """venues.parquet, the visits, and scans (one per visit, at its entry) as a layout."""
    venues.to_parquet(folder / "venues.parquet", index=False)
    write_visits(folder, visits, DWELL)
    scans = pd.DataFrame({s.PERSON_ID: visits[s.PERSON_ID], s.VENUE_ID: visits[s.VENUE_ID],
                          s.SCANNED_AT: visits[s.T_IN]})
    write_partitioned(scans, folder / "scans.parquet", s.SCANNED_AT)


def cpu_now(pid: int | None = None) -> float:
    """CPU seconds used so far by this process and, if given, the JVM ``pid`` and its children.

    CPU time rather than wall time is what the province projection scales: on a shared
    machine the wall time of a 2-core job grows with everyone else's load.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if pid is None:
        return total
    try:
        import psutil  # in the dev environment (via Jupyter); not a tracelab dependency
    except ImportError:
        return float("nan")
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return total
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def measure(fn: Callable[[], Any], repeat: int = 1, pid: int | None = None
            ) -> tuple[float, float, Any]:
    """Best wall time of ``repeat`` runs, mean CPU seconds per run, and the last result."""
    best, out = float("inf"), None
    c0 = cpu_now(pid)
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, (cpu_now(pid) - c0) / repeat, out


def fresh_spark(cores: int, driver_memory: str) -> Any:
    """A new local session in a new JVM (so each core count has its own JVM peak)."""
    from tracelab.spark import session

    spark = session(f"local[{cores}]", driver_memory=driver_memory,
                    conf={"spark.driver.extraJavaOptions": "-Dlog4j.rootLogger=ERROR"})
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop_spark(spark: Any) -> None:
    """Stop the session and the JVM this process launched for it."""
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    proc = getattr(gateway, "proc", None)
    gateway.shutdown()
    if proc is not None:  # the JVM child this process started; ends when its stdin closes
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except Exception:  # noqa: BLE001 - a JVM that does not exit is stopped by its handle
            proc.terminate()
            proc.wait(timeout=30)
    SparkContext._gateway = None
    SparkContext._jvm = None


def ratio(a: float, b: float) -> str:
    return f"{a / b:7.2f}x" if b else "    nan"


def run_embedded(folder: Path, venues: pd.DataFrame, cases: pd.DataFrame,
                 as_of: pd.Timestamp, repeat: int, with_visits: bool) -> dict[str, Any]:
    cols = [s.VISIT_ID, s.PERSON_ID, s.VENUE_ID, s.T_IN, s.T_OUT, s.T_OUT_SOURCE]
    t_read, c_read, frame = measure(lambda: pd.read_parquet(visits_path(folder, DWELL),
                                                            columns=cols))
    t_build, c_build, g = measure(lambda: VisitGraph.from_visits(frame, venues, dwell=DWELL))
    t1, c1, ex1 = measure(lambda: trace(g, cases, "twenty", 1, as_of=as_of, explain=False),
                          repeat)
    t2, c2, ex2 = measure(lambda: trace(g, cases, "ninth", 2, as_of=as_of, explain=False),
                          repeat)
    t_v, c_v, n_visits = float("nan"), float("nan"), -1
    if with_visits:
        t_v, c_v, vis = measure(lambda: build_visits(
            pd.DataFrame({s.PERSON_ID: frame[s.PERSON_ID], s.VENUE_ID: frame[s.VENUE_ID],
                          s.SCANNED_AT: frame[s.T_IN]}), venues, "twenty"))
        n_visits = len(vis)
        del vis
    frame = None  # free the visits before the next engine runs
    return {"read": t_read, "build": t_build, "hop1": t1, "hop2": t2, "ex1": ex1, "ex2": ex2,
            "visits": t_v, "n_built": n_visits, "graph": g,
            "cpu": {"open": c_read + c_build, "hop1": c1, "hop2": c2, "visits": c_v,
                    "venue_day": float("nan")}}


def run_duckdb(folder: Path, cases: pd.DataFrame, as_of: pd.Timestamp, repeat: int
               ) -> dict[str, Any]:
    con = duckdb.connect()
    glob = str(visits_path(folder, DWELL) / "**" / "*.parquet")
    con.execute(f"CREATE VIEW vs AS SELECT * FROM read_parquet('{glob}', "
                "hive_partitioning = true)")
    case_table(con, cases, as_of)
    t1, c1, r1 = measure(lambda: con.execute(HOP1_SQL.format(table="vs")).fetchnumpy(),
                         repeat)
    t2, c2, r2 = measure(lambda: con.execute(
        HOP2_SQL, {"as_of": as_of.to_pydatetime()}).fetchnumpy(), repeat)
    tv, cv, rv = measure(lambda: con.execute(VENUE_DAY_SQL).fetchnumpy(), repeat)
    con.close()
    return {"hop1": t1, "hop2": t2, "n1": len(r1["case_id"]), "n2": len(r2["case_id"]),
            "venue_day": tv, "n_venue_day": len(rv[s.VENUE_ID]),
            "cpu": {"hop1": c1, "hop2": c2, "venue_day": cv, "visits": float("nan"),
                    "open": float("nan")}}


def run_spark(cores: int, folder: Path, scratch: Path, cases: pd.DataFrame,
              as_of: pd.Timestamp, emb: dict[str, Any], driver_memory: str, repeat: int,
              with_visits: bool) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from tracelab.spark import SparkSource, visits_job

    t_start, _, spark = measure(lambda: fresh_spark(cores, driver_memory))
    pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    try:
        t_open, c_open, src = measure(lambda: SparkSource(spark, folder, "twenty"), 1, pid)
        # Equal answers first (these runs also warm the JVM up), then the timed runs.
        got1 = trace(src, cases, "twenty", 1, as_of=as_of, explain=False)
        assert_exposures_equal(got1, emb["ex1"])
        t1, c1, _ = measure(lambda: trace(src, cases, "twenty", 1, as_of=as_of,
                                          explain=False), repeat, pid)
        got2 = trace(src, cases, "ninth", 2, as_of=as_of, explain=False)
        assert_exposures_equal(got2, emb["ex2"])
        t2, c2, _ = measure(lambda: trace(src, cases, "ninth", 2, as_of=as_of,
                                          explain=False), repeat, pid)
        minutes = (F.unix_micros(s.T_OUT) - F.unix_micros(s.T_IN)) / 60e6
        day_stats = src.visits_df.groupBy(s.VENUE_ID, DAY).agg(
            F.count("*").alias("n"), F.sum(minutes).alias("minutes"))
        t_vd, c_vd, vd = measure(lambda: day_stats.toPandas(), repeat, pid)
        # Building visits from the whole scan log, written back as a layout dataset.
        scans = spark.read.parquet(str(folder / "scans.parquet"))
        venues = spark.read.parquet(str(folder / "venues.parquet"))
        out = scratch / f"visits-local{cores}"

        def build() -> int:
            v = visits_job.visits(spark, scans, venues, "twenty")
            visits_job.write_visits(v, out, DWELL)
            return spark.read.parquet(str(visits_path(out, DWELL))).count()

        t_vis, c_vis = float("nan"), float("nan")
        if with_visits:
            t_vis, c_vis, n_built = measure(build, 1, pid)
            assert n_built == emb["n_built"], (n_built, emb["n_built"])
        jvm = jvm_peak_gib(pid)
    finally:
        stop_spark(spark)
    shutil.rmtree(scratch / f"visits-local{cores}", ignore_errors=True)
    return {"start": t_start, "open": t_open, "hop1": t1, "hop2": t2, "venue_day": t_vd,
            "n_venue_day": len(vd), "visits": t_vis, "jvm": jvm,
            "cpu": {"open": c_open, "hop1": c1, "hop2": c2, "venue_day": c_vd,
                    "visits": c_vis}}


def run(n_visits: int, n_days: int, seed: int, workdir: Path, driver_memory: str,
        repeat: int, build_visits_up_to: float) -> None:
    print(f"\n== {n_visits / 1e6:g}M visits ==", flush=True)
    t0 = time.perf_counter()
    raw, venues, days = make_log(n_visits, per_day=-(-n_visits // n_days), seed=seed)
    cases_int = make_cases(raw, K, days, seed + K)
    visits = with_string_ids(raw)
    del raw
    venues = venues.assign(**{s.VENUE_ID: pd.Series(
        np.char.add("V", np.char.zfill(venues[s.VENUE_ID].to_numpy().astype("U5"), 5)),
        dtype="str")})
    cases = cases_int.assign(**{s.PERSON_ID: pd.Series(np.char.add("P", np.char.zfill(
        cases_int[s.PERSON_ID].to_numpy().astype("U8"), 8)), dtype="str")})
    folder = Path(tempfile.mkdtemp(prefix="bench_spark_", dir=workdir))
    try:
        write_bench_layout(folder, visits, venues)
        def mib(path: Path) -> float:
            return sum(f.stat().st_size for f in path.rglob("*.parquet") if f.is_file()) / 2**20

        print(f"generated and wrote {len(visits):,} visits, {len(venues):,} venues, "
              f"{days} days in {time.perf_counter() - t0:.1f} s; Parquet: visits "
              f"{mib(visits_path(folder, DWELL)):,.1f} MiB, scans "
              f"{mib(folder / 'scans.parquet'):,.1f} MiB; busiest venue "
              f"{visits[s.VENUE_ID].value_counts().iloc[0]:,} visits", flush=True)
        del visits
        as_of = BASE + pd.Timedelta(days=days)
        with_visits = n_visits <= build_visits_up_to
        emb = run_embedded(folder, venues, cases, as_of, repeat, with_visits)
        n1, n2 = len(emb["ex1"]), int((emb["ex2"][s.HOP] == 2).sum())
        print(f"embedded: read {emb['read']:.1f} s, build graph {emb['build']:.1f} s, "
              f"build visits (pandas) {emb['visits']:.1f} s; hop 1 {n1:,} rows, "
              f"hop 2 {n2:,} hop-2 rows", flush=True)
        duck = run_duckdb(folder, cases, as_of, repeat)
        assert duck["n1"] == n1, (duck["n1"], n1)
        assert duck["n2"] == n2, (duck["n2"], n2)
        print(f"duckdb: counts equal to the embedded engine; peak memory so far "
              f"{peak_gib():.1f} GiB", flush=True)
        scratch = Path(tempfile.mkdtemp(prefix="scratch_", dir=folder))
        spark = {}
        for cores in CORES:
            spark[cores] = run_spark(cores, folder, scratch, cases, as_of, emb,
                                     driver_memory, repeat, with_visits)
            sp = spark[cores]
            print(f"spark local[{cores}]: start {sp['start']:.1f} s, open source "
                  f"{sp['open']:.1f} s; exposures equal to the embedded engine; "
                  f"JVM peak {sp['jvm']:.1f} GiB", flush=True)
        report(n_visits, emb, duck, spark)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(n_visits: int, emb: dict[str, Any], duck: dict[str, Any],
           spark: dict[int, dict[str, Any]]) -> None:
    a, b = spark[1], spark[2]
    print(f"\n{'question':<34}{'embedded':>10}{'duckdb':>10}{'spark 1c':>10}{'spark 2c':>10}"
          f"{'sp2/emb':>9}{'sp2/duck':>9}{'2c/1c':>8}")
    rows = [("K=10 hop 1 (twenty)", emb["hop1"], duck["hop1"], a["hop1"], b["hop1"]),
            ("K=10 hop 2 (ninth)", emb["hop2"], duck["hop2"], a["hop2"], b["hop2"]),
            ("venue-day stats, whole log", float("nan"), duck["venue_day"], a["venue_day"],
             b["venue_day"]),
            ("build visits from scans", emb["visits"], float("nan"), a["visits"],
             b["visits"])]
    for label, e, d, s1, s2 in rows:
        print(f"{label:<34}{e:9.3f}s{d:9.3f}s{s1:9.2f}s{s2:9.2f}s"
              f"{ratio(s2, e):>9}{ratio(s2, d):>9}{ratio(s2, s1):>8}")
    print(f"{'open (embedded: read + build graph)':<34}{emb['read'] + emb['build']:9.2f}s"
          f"{'':>10}{a['open']:9.2f}s{b['open']:9.2f}s")
    print("\nCPU seconds per run (this process + the Spark JVM and its Python workers)")
    print(f"{'question':<34}{'embedded':>10}{'duckdb':>10}{'spark 1c':>10}{'spark 2c':>10}"
          f"{'sp1 cpu-us/visit':>18}")
    for key, label in (("open", "open source / read + build graph"),
                       ("hop1", "K=10 hop 1 (twenty)"), ("hop2", "K=10 hop 2 (ninth)"),
                       ("venue_day", "venue-day stats, whole log"),
                       ("visits", "build visits from scans")):
        e, d, s1, s2 = (x["cpu"][key] for x in (emb, duck, a, b))
        print(f"{label:<34}{e:9.2f}s{d:9.2f}s{s1:9.2f}s{s2:9.2f}s"
              f"{s1 / n_visits * 1e6:18.2f}")
    print(f"peak resident memory: python {peak_gib():.1f} GiB; Spark JVM "
          f"local[1] {a['jvm']:.1f} GiB, local[2] {b['jvm']:.1f} GiB", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", default="1.4e6,14e6",
                        help="comma-separated sizes (visits), e.g. 1.4e6,14e6")
    parser.add_argument("--days", type=int, default=14,
                        help="days the log spans (same days at every size: density grows)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--driver-memory", default="4g",
                        help="Spark driver heap; the machine is shared, keep it small")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per query (best)")
    parser.add_argument("--build-visits-up-to", type=float, default=1.4e6,
                        help="time building visits only for logs up to this many scans")
    parser.add_argument("--workdir", default=tempfile.gettempdir(),
                        help="where the Parquet layout is written (removed at the end)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(float(v)) for v in args.visits.split(",")]
    except ValueError:
        parser.error(f"--visits {args.visits!r}: expected comma-separated numbers, "
                     "e.g. 1.4e6,14e6")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # PySpark 4 warns on every pandas conversion under pandas 3 (pyproject's filter too).
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for n in sizes:
        run(n, args.days, args.seed, Path(args.workdir), args.driver_memory, args.repeat,
            args.build_visits_up_to)
        print(f"load average now {os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
