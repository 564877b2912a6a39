"""``tracelab demo``: the sample county end to end, into ``out/`` of the current folder.

The demo runs in demo mode: person ids are pseudonymised with the public
:data:`tracelab.privacy.pseudonyms.DEMO_KEY`, harmless on synthetic data and never for real scan logs
(``tracelab trace``, ``sources`` and ``brief`` need ``--key-file`` or ``TRACELAB_KEY``).
The demo builds the county store as a real county would (``tracelab ingest``, in
``OUT/store``, docs/store.md) and traces from its memory-mapped index; the trace is a
person-level query like any other: it names a purpose and is logged in the store's audit
table (``OUT/store/tracelab.duckdb``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab.cli.options import add_lang_option, say

__all__ = ["register", "run", "SAMPLE", "DEMO_PURPOSE"]

#: Parameters of the committed sample county (``make sample`` uses the same).
SAMPLE = {"population": 5000, "days": 14, "seed": 1}
#: Purpose logged for the demo's trace of every case.
DEMO_PURPOSE = "inv:DEMO-sample-county"

#: The demo's numbered lines, Chinese and English.
_LINES = {
    "synth": ("1/6 生成：示例县 {sample} -> {out}", "1/6 synth: sample county {sample} -> {out}"),
    "validate": ("2/6 校验：{venues} 个场所，{scans:,} 条扫码记录，{cases} 名病例；拒收 {rejected} 行"
                 "（生成器故意加入的错误）-> {out}；演示模式：person_id 用公开的演示密钥假名化"
                 "（仅限合成数据）",
                 "2/6 validate: {venues} venues, {scans:,} scans, {cases} cases; {rejected} rows "
                 "rejected (the faults the generator injected) -> {out}; demo mode: person ids "
                 "pseudonymised with the public demo key (synthetic data only)"),
    "ingest": ("3/6 建库（tracelab ingest）：第 {generation} 代，{visits:,} 次到访，{keys} 种停留"
               "假设已建索引，库中只有假名 -> {out}",
               "3/6 ingest: generation {generation}, {visits:,} visits, {keys} dwell "
               "assumptions indexed, pseudonyms only -> {out}"),
    "trace": ("4/6 追踪（规则 twenty，查询库的索引）：{people:,} 人与 {cases} 名病例在 {venues} 个"
              "场所有暴露 -> {out}；已按 {purpose} 记入审计日志 {audit}",
              "4/6 trace (rule twenty, from the store's index): {people:,} people exposed to "
              "{cases} cases at {venues} venues -> {out}; logged for {purpose} in {audit}"),
    "calls": ("5/6 电话名单：{contacts:,} 名接触者，按乡镇和优先级排列，已遮蔽（查看原文需流调队"
              "凭证）-> {out}",
              "5/6 call list: {contacts:,} contacts by township and priority, masked (reveal "
              "needs a field-team credential) -> {out}"),
    "brief": ("6/6 简报：{cases} 名病例，{contacts:,} 人暴露，高/中风险区 {areas} 个 -> {out}",
              "6/6 brief: {cases} cases, {contacts:,} people exposed, {areas} high/medium risk "
              "areas -> {out}"),
    "done": ("完成：文件在 {out}", "done: files in {out}"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` sub-command."""
    p = subparsers.add_parser(
        "demo", help="sample county -> validate -> store -> trace -> brief, into out/",
        description="Generate the sample county, load and check it, pseudonymise person ids "
        "with the public demo key (demo mode), build its county store (OUT/store, as "
        "`tracelab ingest` does), trace every reported case from the store's index (logged "
        "in the store's audit table), write the results, the call list and the command-HQ "
        "briefing into OUT (default ./out). Prints where the files went.")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out/)")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo pipeline; return 0."""
    import pandas as pd

    from tracelab.analysis.ranking import capacity, rank_contacts
    from tracelab.governance.call_lists import write_call_list
    from tracelab.index.county import open_county
    from tracelab.index.county_build import ingest_county
    from tracelab.io import pseudonymise_data, read_dir
    from tracelab.io.exports import write_csv
    from tracelab.model import schema as s
    from tracelab.privacy import pseudonyms as privacy
    from tracelab.synth import generate
    from tracelab.tracing.audited_verbs import trace

    out: Path = args.out
    lang = args.lang
    out.mkdir(parents=True, exist_ok=True)  # a bad --out fails now, not after the synthesis
    data_dir = out / "data"
    print(say(_LINES, "synth", lang, sample=SAMPLE, out=data_dir))
    synthetic = generate(SAMPLE["population"], days=SAMPLE["days"], seed=SAMPLE["seed"],
                         progress=False)
    synthetic.write(data_dir)

    # Times are checked against the end of the simulated period, not the wall clock, so
    # that the demo gives the same files whenever it runs.
    now = (pd.Timestamp(synthetic.manifest["start"], tz=s.DEFAULT_ZONE)
           + pd.Timedelta(days=SAMPLE["days"])).tz_convert("UTC")
    key = privacy.DEMO_KEY  # demo mode, always: the same pseudonyms on every run
    raw = read_dir(data_dir, now=now)
    data = pseudonymise_data(raw, key)
    write_csv(data.rejections, out / "rejections.csv")
    print(say(_LINES, "validate", lang, venues=len(data.venues), scans=len(data.scans),
              cases=len(data.cases), rejected=len(data.rejections),
              out=out / "rejections.csv"))

    store = out / "store"
    gen = ingest_county(data_dir, store, key=key, now=now)
    county = open_county(store)
    graph = county.graph("twenty")
    print(say(_LINES, "ingest", lang, generation=gen.number, visits=graph.n_visits,
              keys=len(county.meta["graphs"]), out=store))
    audit = county.database
    path = out / "exposures.csv"
    exposures = trace(graph, county.cases, "twenty", purpose=DEMO_PURPOSE, audit=audit,
                      deliver=lambda ex: write_csv(ex, path))
    print(say(_LINES, "trace", lang, people=exposures[s.CONTACT_ID].nunique(),
              cases=exposures[s.CASE_ID].nunique(), venues=exposures[s.VENUE_ID].nunique(),
              out=path, purpose=DEMO_PURPOSE, audit=audit))
    ranked = rank_contacts(exposures, data.cases, data.scans, data.venues, rule="twenty")
    calls = write_call_list(ranked, exposures, raw, out / "calls.xlsx", key=key,
                            purpose=DEMO_PURPOSE, audit=audit, role="fieldteam",
                            calls_per_day=capacity("twenty"))
    print(say(_LINES, "calls", lang, contacts=calls.contacts, out=out / "calls.xlsx"))
    from tracelab.briefing import build_briefing, folder_extras, write_briefing

    extras = folder_extras(data_dir)
    if extras["persons"] is not None:
        extras["persons"] = privacy.pseudonymise(extras["persons"], None, key)
    briefing = build_briefing(data, rule="twenty", **extras)
    paths = write_briefing(briefing, out / "briefing.html")
    h = briefing.headline
    print(say(_LINES, "brief", lang, cases=h["cases"], contacts=h["contacts"],
              areas=h["areas"]["high"] + h["areas"]["medium"], out=paths["html"]))
    print(say(_LINES, "done", lang, out=out.resolve()))
    return 0
