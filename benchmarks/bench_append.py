"""Benchmark a county store's daily appends, one day after another, against one ingest.

Usage: ``python benchmarks/bench_append.py [--population 270000] [--days 14] [--seed 0]
[--base-days 7] [--cache /tmp/tracelab-bench]``

Takes the synthetic county of ``bench_county.py`` (cached), ingests its first
``--base-days`` local days, then appends each later day with ``tracelab ingest --append``
as a whole command-line process, and ingests the whole folder once. For each append it
prints the wall time, its share of the whole ingest (issue 22's target: <= 10 %), its
peak memory and the size of the index layer it leaves (``tracelab.index.layers``: the
appends since the base; an append whose layer would pass half the base writes one
graph again). The appended store is checked against the ingested one: the same exposures
for every case, under the default rule.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd
from bench_county import _cli, county, run

ZONE = "Asia/Shanghai"  # the synthetic county's


def split_days(folder: Path, base_days: int) -> tuple[Path, list[Path]]:
    """The county's first `base_days` local days as a folder, and each later day as one."""
    root = folder.with_name(f"{folder.name}-days-from-{base_days}")
    scans = pd.read_parquet(folder / "scans.parquet")
    local = scans["scanned_at"].dt.tz_convert(ZONE).dt.strftime("%Y-%m-%d")
    days = sorted(local.unique())
    base = root / "base"
    later = [root / day for day in days[base_days:]]
    if (root / "READY").is_file():
        return base, later
    shutil.rmtree(root, ignore_errors=True)
    base.mkdir(parents=True)
    for path in folder.iterdir():
        if path.is_file() and path.name != "scans.parquet":
            shutil.copyfile(path, base / path.name)
    scans[local.isin(days[:base_days])].to_parquet(base / "scans.parquet", index=False)
    for day, target in zip(days[base_days:], later, strict=True):
        target.mkdir()
        scans[local == day].to_parquet(target / "scans.parquet", index=False)
    (root / "READY").write_text("")
    return base, later


def layer_share(store: Path) -> str:
    """The visits in the default graph's layer, and their share of the store's visits."""
    manifest = json.loads((store / "manifest.json").read_text())
    meta = json.loads((store / manifest["folder"] / "meta.json").read_text())
    graph = meta["graphs"][0]
    if "layer" not in graph:
        return "one graph (compacted)"
    layer = graph["layer"]
    return f"layer {layer['visits']:,} visits = {layer['visits'] / layer['merged_visits']:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=270_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--base-days", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/tracelab-bench"))
    args = parser.parse_args()
    cli = _cli()
    folder = county(args.cache, args.population, args.days, args.seed)
    base, later = split_days(folder, args.base_days)
    work = Path(tempfile.mkdtemp(prefix="bench-append-", dir=args.cache))
    try:
        whole, appended = work / "whole", work / "appended"
        ingest, peak, _ = run([*cli, "ingest", "--data", str(folder), "--store", str(whole),
                               "--lang", "en"])
        print(f"ingest of all {args.days} days: {ingest:.2f} s, {peak:.0f} MB")
        took, peak, _ = run([*cli, "ingest", "--data", str(base), "--store", str(appended),
                             "--lang", "en"])
        print(f"ingest of the first {args.base_days} days: {took:.2f} s, {peak:.0f} MB")
        for day in later:
            took, peak, _ = run([*cli, "ingest", "--append", str(day), "--store",
                                 str(appended), "--lang", "en"])
            print(f"append {day.name}: {took:6.2f} s = {took / ingest:5.1%} of the ingest, "
                  f"{peak:5.0f} MB; {layer_share(appended)}")
        check = ("import pandas as pd, sys\n"
                 "from tracelab.index.county import open_county\n"
                 "from tracelab.tracing.forward import trace\n"
                 "a, b = open_county(sys.argv[1]), open_county(sys.argv[2])\n"
                 "for i in range(len(a.cases)):\n"
                 "    c = a.cases.iloc[[i]]\n"
                 "    pd.testing.assert_frame_equal(trace(a.graph('twenty'), c), "
                 "trace(b.graph('twenty'), c))\n"
                 "print('the same exposures for', len(a.cases), 'cases')\n")
        print(run([sys.executable, "-c", check, str(appended), str(whole)])[2].strip())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
