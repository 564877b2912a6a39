"""``tracelab demo``: the sample county end to end, into ``out/`` of the current folder."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "run", "SAMPLE"]

#: Parameters of the committed sample county (``make sample`` uses the same).
SAMPLE = {"population": 5000, "days": 14, "seed": 1}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` sub-command."""
    p = subparsers.add_parser(
        "demo", help="sample county -> validate -> trace -> brief, into out/",
        description="Generate the sample county, load and check it, trace every reported case, "
        "write the results and the command-HQ briefing into OUT (default ./out). Prints "
        "where the files went.")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo pipeline; return 0."""
    import pandas as pd

    from tracelab import schema as s
    from tracelab.exposure import trace
    from tracelab.graph import VisitGraph
    from tracelab.io import read_dir
    from tracelab.synth import generate

    out: Path = args.out
    data_dir = out / "data"
    print(f"1/4 synth: sample county {SAMPLE} -> {data_dir}")
    county = generate(SAMPLE["population"], days=SAMPLE["days"], seed=SAMPLE["seed"],
                      progress=False)
    county.write(data_dir)

    # Times are checked against the end of the simulated period, not the wall clock, so
    # that the demo gives the same files whenever it runs.
    now = (pd.Timestamp(county.manifest["start"], tz=s.DEFAULT_ZONE)
           + pd.Timedelta(days=SAMPLE["days"])).tz_convert("UTC")
    data = read_dir(data_dir, now=now)
    data.rejections.to_csv(out / "rejections.csv", index=False)
    print(f"2/4 validate: {len(data.venues)} venues, {len(data.scans):,} scans, "
          f"{len(data.cases)} cases; {len(data.rejections)} rows rejected "
          f"(the faults the generator injected) -> {out / 'rejections.csv'}")

    graph = VisitGraph.from_scans(data.scans, data.venues)
    exposures = trace(graph, data.cases, "twenty")
    path = out / "exposures.csv"
    exposures.to_csv(path, index=False)
    print(f"3/4 trace (rule twenty): {exposures[s.CONTACT_ID].nunique():,} people exposed to "
          f"{exposures[s.CASE_ID].nunique()} cases at {exposures[s.VENUE_ID].nunique()} venues "
          f"-> {path}")
    from tracelab.briefing import build_briefing, folder_extras, write_briefing

    briefing = build_briefing(data, regime="twenty", **folder_extras(data_dir))
    paths = write_briefing(briefing, out / "briefing.html")
    h = briefing.headline
    print(f"4/4 brief: {h['cases']} cases, {h['contacts']:,} people exposed, "
          f"{h['areas']['high'] + h['areas']['medium']} high/medium risk areas "
          f"-> {paths['html']}")
    print(f"done: files in {out.resolve()}")
    return 0
