"""``tracelab validate PATH``: check a data folder or one table file, report, exit 1 if rejected."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from tracelab._i18n import msg
from tracelab.cli.options import (
    add_lang_option,
    add_log_options,
    add_region_option,
    log_kwargs,
    output,
    say,
)
from tracelab.io import Loaded, read_cases, read_dir, read_raw, read_scans, read_venues
from tracelab.io.exports import write_csv
from tracelab.model import schema as s

__all__ = ["register", "run"]

TOP_REASONS = 5
#: Columns that tell a table file's kind when its name does not.
_KIND_COLUMNS = {"venues": s.LON, "cases": s.KIND, "scans": s.SCANNED_AT}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` sub-command."""
    p = subparsers.add_parser(
        "validate", help="check venues, scans and cases; write the rejection and registry-fault "
        "tables",
        description="Load every table of a data folder, or one table file, print read, "
        "accepted and rejected counts per file with the top reasons and the registry faults "
        "of kept venues, and write the rejection table (and registry faults) beside the data. "
        "Exit status 1 when anything was rejected, 2 on an error.")
    p.add_argument("dir", type=Path, metavar="PATH",
                   help="data folder with venues.*, scans.*, cases.*; or one table file "
                   "(its kind from its name, else its columns; a scans file alone is checked "
                   "without the venue registry)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the rejection table (default rejections.csv beside "
                   "the data)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future', with zone (default: now)")
    p.add_argument("--venue-crs", default=None,
                   help="frame of venue positions: GCJ-02, WGS-84, EPSG:4490 "
                   "(default: manifest.json, else the region's, GCJ-02)")
    add_lang_option(p, help="language of the summary and of the reasons' meanings (default zh)")
    add_region_option(p)
    add_log_options(p)
    p.set_defaults(func=run)


#: The summary's lines, Chinese and English.
_LINES = {
    "region": ("地区：{label}，时区 {zone}，文件坐标系 {crs}",
               "region: {label}, {zone}, files in {crs}"),
    "counts": ("{source}：读取 {read:,} 行，接受 {accepted:,}，拒收 {rejected:,}",
               "{source}: read {read:,}, accepted {accepted:,}, rejected {rejected:,}"),
    "encoding": ("（编码 {encoding}）", " (encoding {encoding})"),
    "ignored": ("  忽略的列：{columns}", "  ignored columns: {columns}"),
    "repaired": ("  已修复并保留：{n:,} 个编号（不可见字符、全角字符或形似字母）",
                 "  repaired and kept: {n:,} id value(s) (invisible characters, full-width "
                 "forms or look-alike letters)"),
    "faulted": ("  因登记问题标记但保留：{n:,} 个场所", "  kept with registry faults: {n:,} venue(s)"),
    "table": ("拒收表：{path}（{n:,} 行）", "rejection table: {path} ({n:,} rows)"),
    "faults": ("登记问题：{path}（{n:,} 行）", "registry faults: {path} ({n:,} rows)"),
    "repairs": ("已修复编号：{path}（{n:,} 行）", "repaired ids: {path} ({n:,} rows)"),
    "no_registry": ("{name}：未对照场所登记表检查，查不出未知场所",
                    "{name}: checked without the venue registry: unknown venues are not found"),
}


def _say(key: str, lang: str, **fields: object) -> str:
    return say(_LINES, key, lang, **fields)


def _meaning(reason: object, lang: str) -> str:
    return (s.REASONS_ZH if lang == "zh" else s.REASONS).get(str(reason), "")


def _for_people(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The table with each reason's meaning beside its code, in the reader's language."""
    return table.assign(**{s.REASON_TEXT: table[s.REASON].map(lambda r: _meaning(r, lang))})


def _file_kind(path: Path) -> str:
    stem = path.name.split(".")[0].casefold()
    for kind in ("venues", "scans", "cases"):
        if stem.startswith(kind):
            return kind
    columns = set(read_raw(path).frame.columns)
    for kind, column in _KIND_COLUMNS.items():
        if column in columns:
            return kind
    raise ValueError(msg("{path}: cannot tell whether this is a venues, scans or cases table "
                         "(name it venues.*, scans.* or cases.*)", path=path))


def _load_file(path: Path, args: argparse.Namespace) -> dict[str, Loaded]:
    kind = _file_kind(path)
    how = log_kwargs(args)
    if kind == "venues":
        return {kind: read_venues(path, region=args.region, crs=args.venue_crs, now=args.now,
                                  **how)}
    if kind == "scans":
        print(_say("no_registry", args.lang, name=path.name))
        return {kind: read_scans(path, None, now=args.now, **how)}
    return {kind: read_cases(path, now=args.now, **how)}


def run(args: argparse.Namespace) -> int:
    """Validate ``args.dir``; return 1 when anything was rejected, else 0."""
    lang = args.lang
    if args.out is not None:
        output(args.out, formats=(".csv",), lang=lang)
    if args.dir.is_file():
        loads = _load_file(args.dir, args)
        where = args.dir.parent
    else:
        data = read_dir(args.dir, region=args.region, now=args.now, venue_crs=args.venue_crs,
                        **log_kwargs(args))
        loads, where = data.loads, args.dir
        if data.region is not None:
            print(_say("region", lang, label=data.region.label, zone=data.region.zone,
                       crs=data.region.file_crs))
    rejected_total = 0
    for loaded in loads.values():
        print(_say("counts", lang, source=loaded.source, read=loaded.read,
                   accepted=loaded.accepted_count, rejected=loaded.rejected_count)
              + (_say("encoding", lang, encoding=loaded.encoding) if loaded.encoding else ""))
        if loaded.ignored_columns:
            print(_say("ignored", lang,
                       columns=", ".join(_shown(c) for c in loaded.ignored_columns)))
        if loaded.repaired_count:
            print(_say("repaired", lang, n=loaded.repaired_count))
        counts = loaded.rejected[s.REASON].value_counts().head(TOP_REASONS)
        for reason, n in counts.items():
            print(f"  {n:>8,}  {reason}: {_meaning(reason, lang)}")
        if len(loaded.faults):
            kept = loaded.faults[loaded.faults[s.ROW] > 0][s.ROW].nunique()
            print(_say("faulted", lang, n=kept))
            for reason, n in loaded.faults[s.REASON].value_counts().head(TOP_REASONS).items():
                print(f"  {n:>8,}  {reason}: {_meaning(reason, lang)}")
        rejected_total += len(loaded.rejected)
    rejections = pd.concat([ld.rejected for ld in loads.values()], ignore_index=True)
    out = args.out or where / "rejections.csv"
    write_csv(_for_people(rejections, lang), out)
    print(_say("table", lang, path=out, n=len(rejections)))
    faults = loads["venues"].faults if "venues" in loads else None
    if faults is not None and len(faults):
        fault_path = out.with_name("registry_faults.csv")
        write_csv(_for_people(faults, lang), fault_path)
        print(_say("faults", lang, path=fault_path, n=len(faults)))
    repaired = pd.concat([ld.repaired for ld in loads.values()], ignore_index=True)
    if len(repaired):
        repaired_path = out.with_name("repaired_ids.csv")
        write_csv(_for_people(repaired, lang), repaired_path)
        print(_say("repairs", lang, path=repaired_path, n=len(repaired)))
    return 1 if rejected_total else 0


def _shown(column: str) -> str:
    """A header as printed: a headerless file's first row may hold personal data."""
    from tracelab.privacy.pseudonyms import scrub_text

    return str(scrub_text(column))
