"""``tracelab demo``: the sample county end to end, into ``out/`` of the current folder.

The demo runs in demo mode: person ids are pseudonymised with the public
:data:`tracelab.privacy.pseudonyms.DEMO_KEY`, harmless on synthetic data and never for real scan logs
(``tracelab trace``, ``sources`` and ``brief`` need ``--key-file`` or ``TRACELAB_KEY``).
The demo's trace is a person-level query like any other: it names a purpose and is logged
in ``OUT/tracelab.duckdb``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "run", "SAMPLE", "DEMO_PURPOSE"]

#: Parameters of the committed sample county (``make sample`` uses the same).
SAMPLE = {"population": 5000, "days": 14, "seed": 1}
#: Purpose logged for the demo's trace of every case.
DEMO_PURPOSE = "inv:DEMO-sample-county"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` sub-command."""
    p = subparsers.add_parser(
        "demo", help="sample county -> validate -> trace -> brief, into out/",
        description="Generate the sample county, load and check it, pseudonymise person ids "
        "with the public demo key (demo mode), trace every reported case (logged in "
        "OUT/tracelab.duckdb), write the results and the command-HQ briefing into OUT "
        "(default ./out). Prints where the files went.")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo pipeline; return 0."""
    import pandas as pd

    from tracelab.analysis.ranking import rank_contacts
    from tracelab.governance.call_lists import write_call_list
    from tracelab.index.graph import VisitGraph
    from tracelab.io import pseudonymise_data, read_dir
    from tracelab.io.exports import write_csv
    from tracelab.model import schema as s
    from tracelab.privacy import pseudonyms as privacy
    from tracelab.synth import generate
    from tracelab.tracing.audited_verbs import trace

    out: Path = args.out
    data_dir = out / "data"
    print(f"1/5 synth: sample county {SAMPLE} -> {data_dir}")
    county = generate(SAMPLE["population"], days=SAMPLE["days"], seed=SAMPLE["seed"],
                      progress=False)
    county.write(data_dir)

    # Times are checked against the end of the simulated period, not the wall clock, so
    # that the demo gives the same files whenever it runs.
    now = (pd.Timestamp(county.manifest["start"], tz=s.DEFAULT_ZONE)
           + pd.Timedelta(days=SAMPLE["days"])).tz_convert("UTC")
    key = privacy.DEMO_KEY  # demo mode, always: the same pseudonyms on every run
    raw = read_dir(data_dir, now=now)
    data = pseudonymise_data(raw, key)
    write_csv(data.rejections, out / "rejections.csv")
    print(f"2/5 validate: {len(data.venues)} venues, {len(data.scans):,} scans, "
          f"{len(data.cases)} cases; {len(data.rejections)} rows rejected "
          f"(the faults the generator injected) -> {out / 'rejections.csv'}; demo mode: "
          "person ids pseudonymised with the public demo key (synthetic data only)")

    graph = VisitGraph.from_scans(data.scans, data.venues)
    audit = out / "tracelab.duckdb"
    path = out / "exposures.csv"
    exposures = trace(graph, data.cases, "twenty", purpose=DEMO_PURPOSE, audit=audit,
                      deliver=lambda ex: write_csv(ex, path))
    print(f"3/5 trace (rule twenty): {exposures[s.CONTACT_ID].nunique():,} people exposed to "
          f"{exposures[s.CASE_ID].nunique()} cases at {exposures[s.VENUE_ID].nunique()} venues "
          f"-> {path}; logged for {DEMO_PURPOSE} in {audit}")
    ranked = rank_contacts(exposures, data.cases, data.scans, data.venues, calls_per_day=200)
    calls = write_call_list(ranked, exposures, raw, out / "calls.xlsx", key=key,
                            purpose=DEMO_PURPOSE, audit=audit, role="fieldteam",
                            calls_per_day=200)
    print(f"4/5 call list: {calls.contacts:,} contacts by township and priority, masked "
          f"(reveal needs a field-team credential) -> {out / 'calls.xlsx'}")
    from tracelab.briefing import build_briefing, folder_extras, write_briefing

    extras = folder_extras(data_dir)
    if extras["persons"] is not None:
        extras["persons"] = privacy.pseudonymise(extras["persons"], None, key)
    briefing = build_briefing(data, rule="twenty", **extras)
    paths = write_briefing(briefing, out / "briefing.html")
    h = briefing.headline
    print(f"5/5 brief: {h['cases']} cases, {h['contacts']:,} people exposed, "
          f"{h['areas']['high'] + h['areas']['medium']} high/medium risk areas "
          f"-> {paths['html']}")
    print(f"done: files in {out.resolve()}")
    return 0
