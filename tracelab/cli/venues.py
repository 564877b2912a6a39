"""``tracelab venues report|regulator|compliance``: aggregates for managers and regulators.

Each reads a data folder (``--data``) or a county store (``--store``, built by ``tracelab
ingest``), whose tables come from its database instead of being loaded and checked again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from tracelab.cli.options import add_lang_option, add_region_option, output, say
from tracelab.governance.aggregates import (
    BUCKET,
    MEASURE,
    SECTION,
    SHOWN,
    regulator_report,
    venue_report,
)
from tracelab.io import DataDir, read_dir
from tracelab.io.exports import write_csv, write_table
from tracelab.model import schema as s

__all__ = ["register", "run_report", "run_regulator", "run_compliance"]

#: Rows of each list printed by ``tracelab venues compliance``.
TOP = 5

#: What venues prints, Chinese and English; list names and sections stay as they are.
_LINES = {
    "written": ("已写入：{out}", "written: {out}"),
    "report": ("场所 {venue}：仅汇总数据；'<5' 表示少于 5，'c' 表示为保护小计数而隐藏",
               "venue {venue}: aggregates only; '<5' = fewer than 5, 'c' = hidden to "
               "protect a small count"),
    "unknown": ("--venue {venue!r} 不是 {data} 中场所登记表里的场所",
                "--venue {venue!r} is not a venue of the registry in {data}"),
    "far": ("{n} 条扫码离场所较远（转发的场所码图片？）",
            "{n} scans far from the venue (forwarded code image?)"),
    "bursts": ("{n} 次同一编号的集中扫码（3 条以上）", "{n} bursts of 3+ scans under one person id"),
    "duplicates": ("因申请人电话已持有场所码而拒收的场所：{n}",
                   "venues rejected for an applicant phone that already holds a code: {n}"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``venues`` sub-command with its ``report`` and ``regulator`` actions."""
    p = subparsers.add_parser(
        "venues", help="aggregate views for venue managers and sector regulators",
        description="Aggregates only, counts below 5 suppressed; never a person-level row.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    report = actions.add_parser(
        "report", help="one venue: entries per day and hour, colour mix, proxy share")
    report.add_argument("--venue", required=True, help="the venue's id (place code)")
    report.set_defaults(func=run_report)
    regulator = actions.add_parser(
        "regulator", help="entries and abnormal-code rates by venue type and township")
    regulator.add_argument("--by", default=f"{s.VENUE_TYPE},{s.TOWNSHIP}",
                           help="venue columns to group by, comma-separated "
                           f"(default {s.VENUE_TYPE},{s.TOWNSHIP})")
    regulator.set_defaults(func=run_regulator)
    checks = actions.add_parser(
        "compliance", help="venue-level compliance lists: silent codes, low volumes, abnormal "
        "admissions, forwarded-code and group scans per venue, unregistered venues")
    checks.set_defaults(func=run_compliance)
    for sub in (report, regulator, checks):
        where = sub.add_mutually_exclusive_group(required=True)
        where.add_argument("--data", type=Path, default=None,
                           help="data folder with venues.* and scans.*")
        where.add_argument("--store", type=Path, default=None, metavar="PATH",
                           help="county store built by `tracelab ingest`: its tables were "
                           "checked on ingest (--region and the load time of --now do not "
                           "apply)")
    for sub in (report, regulator):
        sub.add_argument("--out", type=Path, default=None,
                         help="write the table to this .csv or .xlsx file")
        sub.add_argument("--now", default=None,
                         help="reference time for 'in the future', with zone (default: now)")
        add_region_option(sub)
    checks.add_argument("--out", type=Path, default=None,
                        help="folder to write one CSV per list into")
    checks.add_argument("--now", default=None,
                        help="end of the observed period, with zone (default: the last scan)")
    add_region_option(checks)
    for sub in (report, regulator, checks):
        add_lang_option(sub)


def _tables(args: argparse.Namespace) -> DataDir:
    """The tables of ``--data`` (loaded and checked) or of ``--store`` (from its database)."""
    if args.store is not None:
        from tracelab.io.county_tables import read_store_tables

        return read_store_tables(args.store)
    return read_dir(args.data, now=args.now, region=args.region)


def _write(frame: pd.DataFrame, out: Path | None, lang: str = "en") -> None:
    if out is None:
        return
    write_table(frame, output(out, formats=(".csv", ".xlsx"), lang=lang))
    print(say(_LINES, "written", lang, out=out))


def run_report(args: argparse.Namespace) -> int:
    """Print (and optionally write) one venue's manager report; return 0."""
    data = _tables(args)
    if args.venue not in set(data.venues[s.VENUE_ID].astype("str")):
        raise ValueError(say(_LINES, "unknown", args.lang, venue=args.venue,
                             data=args.store or args.data))
    report = venue_report(data.scans, args.venue)
    print(say(_LINES, "report", args.lang, venue=args.venue))
    for section, rows in report.groupby(SECTION, sort=False):
        print(f"  {section}: " + ", ".join(f"{b} {v}" for b, v in
                                           zip(rows[BUCKET], rows[SHOWN], strict=True)))
    _write(report, args.out, args.lang)
    return 0


def run_regulator(args: argparse.Namespace) -> int:
    """Print (and optionally write) the regulator table; return 0."""
    data = _tables(args)
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    report = regulator_report(data.scans, data.venues, by)
    wide = report.pivot(index=by, columns=MEASURE, values=SHOWN)
    order = list(dict.fromkeys(report[MEASURE]))  # entries, colours, abnormal, methods
    wide = wide[order].fillna("")
    print(wide.to_string())
    _write(report, args.out, args.lang)
    return 0


def _per_venue(frame: pd.DataFrame, what: str, lang: str = "en") -> pd.DataFrame:
    """Count person-level findings per venue, so the list holds no person data."""
    from tracelab.governance.compliance import SCORE

    counts = frame.groupby(s.VENUE_ID).size().sort_values(ascending=False)
    return pd.DataFrame({s.VENUE_ID: counts.index, SCORE: counts.to_numpy().astype(float),
                         s.WHY: [say(_LINES, what, lang, n=n) for n in counts]})


def run_compliance(args: argparse.Namespace) -> int:
    """Print the top of every venue-level compliance list; return 0."""
    from tracelab.governance import compliance as c

    data = _tables(args)
    now = pd.Timestamp(args.now).tz_convert("UTC") if args.now else None
    lists = {
        "silent_venues": c.silent_venues(data.scans, data.venues, now=now),
        "low_volume_venues": c.low_volume_venues(data.scans, data.venues, now=now),
        "abnormal_admissions": c.abnormal_admissions(data.scans),
        "forwarded_code_scans": _per_venue(c.far_scans(data.scans, data.venues), "far",
                                           args.lang),
        "group_bursts": _per_venue(c.group_bursts(data.scans, min_scans=3), "bursts",
                                   args.lang),
        "unregistered_venues": c.unregistered_venues(None, rejections=data.rejections),
    }
    duplicates = int((data.rejections[s.REASON] == "duplicate_applicant_phone").sum())
    for name, frame in lists.items():
        print(f"{name}: {len(frame)}")
        for row in frame.head(TOP).itertuples(index=False):
            print(f"  {getattr(row, s.VENUE_ID)}  {getattr(row, s.WHY)}")
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            write_csv(frame, args.out / f"{name}.csv")
    print(say(_LINES, "duplicates", args.lang, n=duplicates))
    return 0
