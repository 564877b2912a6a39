"""``tracelab trace`` and ``tracelab sources``: forward and backward tracing of a data folder or a store.

With ``--data DIR`` the folder is loaded and person identifiers are pseudonymised right
after loading (:func:`read_pseudonymised`); with ``--store PATH`` the county store built
by ``tracelab ingest`` answers from its memory-mapped index (docs/store.md), the same
exposures and sources in a fraction of the time, its database logging the query. Either
way the exposures, the sources and the audit log hold pseudonyms only; ``--case`` takes
either the raw id, pseudonymised with the same key before the lookup, or the pseudonym.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tracelab.cli.options import (
    add_audit_options,
    add_lang_option,
    add_log_options,
    add_region_option,
    log_kwargs,
    output,
    say,
    zoned,
)
from tracelab.index.county import County, open_county
from tracelab.index.graph import VisitGraph, VisitSource
from tracelab.index.windows import WINDOW_END, WINDOW_START, case_windows
from tracelab.io.exports import write_table
from tracelab.model import schema as s
from tracelab.model.ids import mask_id, mask_name
from tracelab.model.rules import PRESETS, Rule, as_rule
from tracelab.privacy import pseudonyms as privacy
from tracelab.privacy.audit import require_purpose
from tracelab.tracing.audited_verbs import sources, trace
from tracelab.tracing.backward import HOUSEHOLD_ID, SOURCE_KIND

if TYPE_CHECKING:
    from tracelab.io import DataDir

# The folder loaders (tracelab.io.folders, with the regions' pyproj and shapely) are
# imported where --data needs them: a query of a store (--store) never loads a folder.

__all__ = ["register", "run_trace", "run_sources", "add_key_option", "cli_key",
           "read_pseudonymised", "case_pseudonyms", "households", "require_scans",
           "require_store_scans", "set_aside_lines", "purpose_for"]


#: What trace and sources print, Chinese and English.
_LINES = {
    "trace": ("{n:,} 条暴露记录，涉及 {cases} 名病例：{people:,} 人、{venues:,} 个场所"
              "（规则 {rule}）-> {out}",
              "{n:,} exposure row(s) of {cases} case(s): {people:,} people at {venues:,} "
              "venue(s) under rule {rule} -> {out}"),
    "sources": ("已排序 {cases} 个可能的传染源病例和 {venues} 个场所（规则 {rule}）-> {out}",
                "{cases} candidate case(s) and {venues} venue(s) ranked under rule {rule} "
                "-> {out}"),
    "set_aside": ("病例 {case}：其 {n} 条扫码记录被搁置（{why}；{source} 第 {rows} 行）",
                  "case {case}: {n} of its scans set aside ({why}; {source} rows {rows})"),
    "no_key": ("没有假名化密钥：请设置环境变量 {env} 或用 --key-file FILE 指定（至少 16 字节，"
               "例如 `openssl rand -hex 32` 生成）；只有 `tracelab demo` 无需密钥，使用公开的"
               "演示密钥",
               "no pseudonymisation key: set the environment variable {env} or pass "
               "--key-file FILE (at least 16 bytes, e.g. from `openssl rand -hex 32`); only "
               "`tracelab demo` runs without one, on a public demo key"),
    "no_scan": ("{path}：没有可用的扫码记录（读取 {read:,} 行，拒收 {rejected:,}）；无从追踪："
                "请先对该文件夹运行 `tracelab validate`",
                "{path}: no accepted scan (read {read:,}, rejected {rejected:,}); nothing to "
                "trace: run `tracelab validate` on the folder"),
    "no_scan_in": ("{path}：{span}（{zone}）没有扫码记录；扫码记录的时间为 {first} 至 {last}："
                   "请检查 --as-of 和病例的日期",
                   "{path}: no scan from {span} ({zone}); the scans run from {first} to "
                   "{last}: check --as-of and the cases' dates"),
    "to": (" 至 ", " to "),
    "unknown_case": ("{folder}：病例 {missing} 不在 cases.* 中；请给出病例表中的 person_id"
                     "（原始值，或用同一密钥假名化后的值）",
                     "{folder}: case(s) {missing} not in cases.*; give person_id values from "
                     "the cases table (raw, or pseudonymised with the same key)"),
    "no_layout": ("--data {data}：不是 Parquet 布局（没有 scans.parquet/ 文件夹）；请用 "
                  "`tracelab layout --data DIR --out LAYOUT` 生成",
                  "--data {data}: not a Parquet layout (no scans.parquet/ folder); write one "
                  "with `tracelab layout --data DIR --out LAYOUT`"),
    "no_cases": ("--data {data}：没有病例表（cases.parquet）",
                 "--data {data}: no cases table (cases.parquet)"),
    "other_key": ("--store {store}：所给密钥不是建库时的密钥（假名对不上）；请用建库时的 "
                  "--key-file 或 TRACELAB_KEY",
                  "--store {store}: the key given is not the one the store was built with "
                  "(its pseudonyms would not match); use the key of `tracelab ingest`"),
    "purpose_names_case": ("--purpose 含有 --case 所给的人员编号；审计日志不记录被查询的人：请用病例或"
                           "调查编号（如 case:C-031），或该人的假名",
                           "--purpose holds the person id given to --case; the audit log names "
                           "no one who was looked up: use the case or investigation number "
                           "(e.g. case:C-031) or the person's pseudonym"),
    "store_spark": ("--store 由内嵌引擎查询；--engine spark 需要 --data LAYOUT",
                    "--store is queried by the embedded engine; --engine spark needs "
                    "--data LAYOUT"),
    "raw_ids": ("--data {data}：布局中有 {n} 个未假名化的 person_id，例如 {example!r}；请用 "
                "`tracelab layout` 生成布局，它在读取时即假名化",
                "--data {data}: the layout holds {n} raw person id(s), e.g. {example!r}; "
                "write it with `tracelab layout`, which pseudonymises on load"),
}


def add_key_option(p: argparse.ArgumentParser) -> None:
    """Add ``--key-file``, the pseudonymisation key (default: environment TRACELAB_KEY)."""
    p.add_argument("--key-file", type=Path, default=None, metavar="FILE",
                   help="file holding the pseudonymisation key (default: the environment "
                   "variable TRACELAB_KEY); person ids are replaced by keyed pseudonyms on load")


def cli_key(key_file: Path | None, *, demo: bool = False, lang: str = "en") -> bytes:
    """The pseudonymisation key of ``--key-file``, else of ``TRACELAB_KEY``.

    Read before any data, so that a missing key fails before minutes of loading; the
    message of a missing key is in `lang`.

    Raises
    ------
    tracelab.privacy.pseudonyms.MissingKeyError
        If neither gives a key (outside demo mode), or the key is too short.
    """
    if key_file is None and not os.environ.get(privacy.KEY_ENV, "").strip() and not demo:
        raise privacy.MissingKeyError(say(_LINES, "no_key", lang, env=privacy.KEY_ENV))
    return privacy.load_key(key_file, demo=demo)


def read_pseudonymised(folder: Path, key: bytes, *, now: object = None,
                       region: str | None = None, **how: Any) -> DataDir:
    """:func:`tracelab.io.read_dir` of `folder` with person ids pseudonymised under `key`.

    ``how`` passes ``profile``, ``columns`` and ``zone`` on.
    """
    from tracelab.io import pseudonymise_data, read_dir

    return pseudonymise_data(read_dir(folder, now=now, region=region, **how), key)


def require_scans(data: DataDir, since: pd.Timestamp | None = None,
                  until: pd.Timestamp | None = None, lang: str = "en") -> None:
    """Stop with a clear message (in `lang`) when there is no scan to trace (in the period).

    A trace or briefing of an empty log would report zero people exposed with confidence.
    """
    loaded = data.loads.get("scans")
    source = loaded.source if loaded is not None else "scans"
    if not len(data.scans):
        read = loaded.read if loaded is not None else 0
        raise ValueError(say(_LINES, "no_scan", lang, path=data.path / source, read=read,
                             rejected=loaded.rejected_count if loaded is not None else 0))
    times = data.scans[s.SCANNED_AT]
    inside = times.notna()
    if since is not None:
        inside &= times >= since
    if until is not None:
        inside &= times <= until
    if not inside.any():
        zone = data.region.zone if data.region is not None else s.DEFAULT_ZONE
        raise _none_in(data.path / source, since, until, zone, times.min(), times.max(), lang)


def _none_in(path: Path, since: pd.Timestamp | None, until: pd.Timestamp | None, zone: str,
             first: pd.Timestamp, last: pd.Timestamp, lang: str) -> ValueError:
    """The error of a period without scans, naming the period the scans cover."""
    fmt = "%Y-%m-%d %H:%M"
    span = (f"{since.tz_convert(zone):{fmt}}" if since is not None else "…") + say(
        _LINES, "to", lang) + (f"{until.tz_convert(zone):{fmt}}" if until is not None else "…")
    return ValueError(say(_LINES, "no_scan_in", lang, path=path, span=span, zone=zone,
                          first=f"{first.tz_convert(zone):{fmt}}",
                          last=f"{last.tz_convert(zone):{fmt}}"))


def require_store_scans(county: County, since: pd.Timestamp | None = None,
                        until: pd.Timestamp | None = None, lang: str = "en") -> None:
    """:func:`require_scans` for a store: its scans counted on its index, never loaded."""
    info = county.meta.get("loads", {}).get("scans", {})
    span = county.scan_span()
    if span is None:
        raise ValueError(say(_LINES, "no_scan", lang, path=county.path,
                             read=int(info.get("read", 0)),
                             rejected=int(info.get("rejected", 0))))
    ns = [None if t is None else int(t.value) for t in (since, until)]
    if not county.scans_between(ns[0], ns[1]):
        first, last = (pd.Timestamp(t, tz="UTC") for t in span)
        raise _none_in(county.path, since, until, county.zone, first, last, lang)


def set_aside_lines(data: DataDir, cases: list[str], lang: str = "en") -> list[str]:
    """One line per case whose own scans were rejected: how many, and why (in `lang`).

    Reason codes, the file's name and its row numbers are kept as they are.

    Examples
    --------
    >>> from tracelab.io import DataDir, Loaded, empty_rejections
    >>> aside = pd.DataFrame({"person_id": ["p_1", "p_1"], "venue_id": ["V", "W"],
    ...                       "row": [3, 9], "reason": ["venue_rejected", "bad_time"]})
    >>> scans = Loaded(pd.DataFrame(), empty_rejections(), 2, "scans.csv", set_aside=aside)
    >>> data = DataDir(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), empty_rejections(),
    ...                {"scans": scans}, Path("."))
    >>> set_aside_lines(data, ["p_1", "p_2"])
    ['case p_1: 2 of its scans set aside (bad_time 1, venue_rejected 1; scans.csv rows 3, 9)']
    >>> set_aside_lines(data, ["p_1"], "zh")
    ['病例 p_1：其 2 条扫码记录被搁置（bad_time 1, venue_rejected 1；scans.csv 第 3, 9 行）']
    """
    source = data.loads["scans"].source if "scans" in data.loads else "scans"
    return _set_aside_lines(data.set_aside, source, cases, lang)


def _set_aside_lines(aside: pd.DataFrame, source: str, cases: list[str], lang: str
                     ) -> list[str]:
    """:func:`set_aside_lines` of the set-aside scans `aside`, read from file `source`."""
    lines = []
    for case in cases:
        mine = aside[aside[s.PERSON_ID] == case]
        if not len(mine):
            continue
        why = ", ".join(f"{r} {n}" for r, n in sorted(mine[s.REASON].value_counts().items()))
        rows = ", ".join(str(r) for r in mine[s.ROW].head(10)) + (
            ", …" if len(mine) > 10 else "")
        lines.append(say(_LINES, "set_aside", lang, case=case, n=len(mine), why=why,
                         source=source, rows=rows))
    return lines


def purpose_for(purpose: str | None, cases: list[str], lang: str = "en") -> str:
    """`purpose` checked (:func:`require_purpose`), refused when it holds a raw id of `cases`.

    A purpose such as ``case:P0002731`` would write the person's own id into the audit log.

    Examples
    --------
    >>> purpose_for("case:C-031", ["P0002731"])
    'case:C-031'
    >>> purpose_for("case:P0002731", ["P0002731"])
    Traceback (most recent call last):
    ...
    ValueError: --purpose holds the person id given to --case; ...
    """
    checked = require_purpose(purpose)
    text = checked.casefold()
    raw = [c.strip().casefold() for c in cases if not privacy.is_pseudonym(c.strip())]
    if any(len(c) >= 3 and c in text for c in raw):
        raise ValueError(say(_LINES, "purpose_names_case", lang))
    return checked


def case_pseudonyms(wanted: list[str], key: bytes) -> list[str]:
    """Pseudonyms of ``--case`` values: raw ids are pseudonymised, pseudonyms kept.

    Notes
    -----
    A raw id that happens to look like a pseudonym (``p_`` + 16 hex digits) is taken as
    one.
    """
    return [w.strip() if privacy.is_pseudonym(w.strip()) else privacy.pseudonym(w, key)
            for w in wanted]


def _common(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, default=None,
                       help="data folder with venues.*, scans.*, cases.*")
    where.add_argument("--store", type=Path, default=None, metavar="PATH",
                       help="county store built by `tracelab ingest` (docs/store.md): answers "
                       "from its index without loading a folder; the query is logged in its "
                       "database; --now, --profile, --columns and --region do not apply")
    p.add_argument("--regime", "--rule", dest="regime", default="twenty",
                   help=f"rule preset ({', '.join(PRESETS)}) or a rule id such as "
                   "'twenty(lingering_minutes=30)' (default twenty)")
    p.add_argument("--as-of", default=None,
                   help="trace time with zone, e.g. '2022-11-20T08:00+08:00' "
                   "(default: the last exit in the data)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future' checks on load (default: now)")
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    add_audit_options(p, "the case or investigation this query serves, e.g. case:LX-017 or "
                      "inv:2022-11-cluster-3; logged with the query (DOMAIN.md section 10)")
    p.add_argument("--engine", choices=("embedded", "spark"), default="embedded",
                   help="embedded (default): load DIR and index it in memory; spark: DIR is a "
                   "Parquet layout written by `tracelab layout`, queried through PySpark "
                   "(docs/spark.md)")
    p.add_argument("--spark-master", default="local[*]",
                   help="Spark master for --engine spark (default local[*]; under spark-submit "
                   "pass '' to keep the submitted one)")
    add_key_option(p)
    add_region_option(p)
    add_log_options(p)
    add_lang_option(p)


#: The exposures file's row order: a total order, so both engines write the same bytes.
_ROW_ORDER = (s.CASE_ID, s.HOP, s.VENUE_ID, s.CASE_T_IN, s.CONTACT_T_IN, s.CONTACT_ID,
              s.CONTACT_T_OUT, s.OVERLAP_START, s.OVERLAP_END)


def _audit_kwargs(args: argparse.Namespace) -> dict[str, object]:
    """Purpose, store and analyst for the audited query."""
    home = args.store if args.store is not None else args.data
    return {"purpose": args.purpose, "audit": args.audit or home / "tracelab.duckdb",
            "who": args.who}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``trace`` and ``sources`` sub-commands."""
    p = subparsers.add_parser(
        "trace", help="who shared a venue with the cases while they were infectious",
        description="Load DIR, pseudonymise person ids with the key, build the visit graph "
        "under the rule's dwell assumption and write the exposures table (DESIGN.md "
        "section 4) of the given cases; or answer from the index of a store built by "
        "`tracelab ingest` (--store, docs/store.md). The query is logged in the audit table.")
    _common(p)
    p.add_argument("--case", action="append", required=True, metavar="ID",
                   help="person_id of a case in cases.*, raw or pseudonymised; repeat for "
                   "several")
    p.add_argument("--hops", type=int, choices=(1, 2), default=None,
                   help="2 also traces hop-1 contacts (default: 2 under ninth, else 1)")
    p.set_defaults(func=run_trace)
    q = subparsers.add_parser(
        "sources", help="where a case could have been infected (backward tracing)",
        description="Rank the known cases and venues a case could have been infected from, "
        "inside its incubation window, from a data folder or a store (--store); ids "
        "pseudonymised, the query logged.")
    _common(q)
    q.add_argument("--case", required=True, metavar="ID",
                   help="person_id of the case, raw or pseudonymised")
    q.set_defaults(func=run_sources)


def _shown(case: str) -> str:
    """A ``--case`` value fit for an error message: as given, unless it is personal.

    A phone or ID number (by its shape, separators included) is masked, keeping 3 + 3 or
    2 + 2 characters; a value holding Chinese characters is a name and keeps its surname.
    """
    text = case.strip()
    scrubbed = str(privacy.scrub_shapes(privacy.scrub_text(text)))
    if scrubbed != text:
        return scrubbed
    if re.search(r"[\u4e00-\u9fff]", text):
        return mask_name(text)
    return text


def _cases(cases: pd.DataFrame, wanted: list[str], key: bytes, folder: Path,
           lang: str = "en") -> pd.DataFrame:
    ids = set(cases[s.PERSON_ID].astype(str))
    wanted = list(dict.fromkeys(wanted))
    chosen = case_pseudonyms(wanted, key)
    missing = [_shown(w) for w, p in zip(wanted, chosen, strict=True) if p not in ids]
    if missing:
        raise ValueError(say(_LINES, "unknown_case", lang, folder=folder, missing=missing))
    return cases[cases[s.PERSON_ID].astype(str).isin(set(chosen))].reset_index(drop=True)


def _source(args: argparse.Namespace, r: Rule, key: bytes
            ) -> tuple[VisitSource, pd.DataFrame, DataDir | County | None]:
    """The visit source of ``--engine``, the (pseudonymised) cases and the loaded folder.

    With ``--store`` the graph is the store's, memory-mapped, and the third item the
    opened store.
    """
    if args.store is not None:
        if args.engine != "embedded":
            raise ValueError(say(_LINES, "store_spark", args.lang))
        county = open_county(args.store)
        if not county.key_matches(key):
            raise ValueError(say(_LINES, "other_key", args.lang, store=args.store))
        return county.graph(r, zone=args.zone), county.cases, county
    if args.engine == "embedded":
        data = read_pseudonymised(args.data, key, now=args.now, region=args.region,
                                  **log_kwargs(args))
        require_scans(data, lang=args.lang)
        zone = args.zone or (data.region.zone if data.region is not None else s.DEFAULT_ZONE)
        return VisitGraph.from_scans(data.scans, data.venues, r, zone=zone), data.cases, data
    from tracelab.io import find_table, read_cases
    from tracelab.spark import SparkSource, session

    found = find_table(args.data, "cases")
    if not (args.data / "visits.parquet").is_dir() and not (args.data / "scans.parquet").is_dir():
        raise ValueError(say(_LINES, "no_layout", args.lang, data=args.data))
    if found is None:
        raise ValueError(say(_LINES, "no_cases", args.lang, data=args.data))
    cases = read_cases(found, now=args.now).accepted
    raw = [p for p in cases[s.PERSON_ID].astype(str) if not privacy.is_pseudonym(p)]
    if raw:
        raise ValueError(say(_LINES, "raw_ids", args.lang, data=args.data, n=len(raw),
                             example=mask_id(raw[0])))  # an id from the data: masked
    spark = session(args.spark_master)
    return SparkSource(spark, args.data, r, build=True), cases, None


def run_trace(args: argparse.Namespace) -> int:
    """Write the exposures of ``args.case``; return 0."""
    lang = args.lang
    purpose_for(args.purpose, args.case, lang)
    output(args.out, lang=lang)
    r = as_rule(args.regime)
    as_of = zoned(args.as_of, "--as-of", lang)
    key = cli_key(args.key_file, lang=lang)
    graph, cases, data = _source(args, r, key)
    chosen = _cases(cases, args.case, key, args.store or args.data, lang)
    if data is not None:
        windows = case_windows(chosen, r, as_of=as_of)
        lo, hi = windows[WINDOW_START].min(), windows[WINDOW_END].max()
        lo, hi = (lo if pd.notna(lo) else None), (hi if pd.notna(hi) else None)
        if isinstance(data, County):
            require_store_scans(data, lo, hi, lang)
        else:
            require_scans(data, lo, hi, lang)
    # One order whichever engine answered: Spark returns tied visits in any order.
    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(list(_ROW_ORDER), kind="stable", ignore_index=True)

    # The file is in place before the query is logged (and removed if it cannot be).
    # Sorted once, for the file: the count below needs no order.
    exposures = trace(graph, chosen, r, args.hops, as_of=as_of,
                      deliver=lambda ex: write_table(ordered(ex), args.out),
                      **_audit_kwargs(args))
    print(say(_LINES, "trace", lang, n=len(exposures), cases=len(chosen),
              people=exposures[s.CONTACT_ID].nunique(), venues=exposures[s.VENUE_ID].nunique(),
              rule=r.rule_id, out=args.out))
    for line in _aside_lines(data, chosen[s.PERSON_ID].tolist(), lang):
        print(line)
    return 0


def _aside_lines(data: DataDir | County | None, cases: list[str], lang: str) -> list[str]:
    if data is None:
        return []
    if isinstance(data, County):  # the store's set-aside scans, read without a DataDir
        info = data.meta.get("loads", {}).get("scans", {})
        return _set_aside_lines(data.set_aside, str(info.get("source", "scans")), cases, lang)
    return set_aside_lines(data, cases, lang)


def households(folder: Path, key: bytes) -> pd.DataFrame | None:
    """The household roster of ``persons.*`` (pseudonymised), when the folder has one.

    Only ``person_id`` and ``household_id`` are read: names, phones and ID numbers of the
    persons table never enter the query.
    """
    from tracelab.io import find_table

    found = find_table(folder, "persons")
    wanted = [s.PERSON_ID, HOUSEHOLD_ID]
    if found is None or found.suffix not in (".parquet", ".csv"):
        return None
    if found.suffix == ".csv":
        head = pd.read_csv(found, nrows=0, encoding="utf-8-sig")
        if not set(wanted) <= set(head.columns):
            return None
        roster = pd.read_csv(found, usecols=wanted, dtype=str, encoding="utf-8-sig")
    else:
        import pyarrow.parquet as pq

        if not set(wanted) <= set(pq.read_schema(found).names):
            return None
        roster = pd.read_parquet(found, columns=wanted).astype(str)
    return privacy.pseudonymise(roster, [s.PERSON_ID], key)


def run_sources(args: argparse.Namespace) -> int:
    """Write the ranked candidate sources of ``args.case``; return 0."""
    lang = args.lang
    purpose_for(args.purpose, [args.case], lang)
    output(args.out, lang=lang)
    r = as_rule(args.regime)
    as_of = zoned(args.as_of, "--as-of", lang)
    key = cli_key(args.key_file, lang=lang)
    graph, cases, data = _source(args, r, key)
    case = _cases(cases, [args.case], key, args.store or args.data, lang)[s.PERSON_ID].iloc[0]
    roster = (data.households() if isinstance(data, County) else households(args.data, key))
    ranked = sources(graph, case, r, cases=cases, as_of=as_of, households=roster,
                     deliver=lambda frame: write_table(frame, args.out), **_audit_kwargs(args))
    n_cases = int((ranked[SOURCE_KIND] == "case").sum()) if len(ranked) else 0
    n_venues = int((ranked[SOURCE_KIND] == "venue").sum()) if len(ranked) else 0
    print(say(_LINES, "sources", lang, cases=n_cases, venues=n_venues, rule=r.rule_id,
              out=args.out))
    for line in _aside_lines(data, [case], lang):
        print(line)
    return 0
