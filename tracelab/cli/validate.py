"""``tracelab validate DIR``: check a data folder, report rejections, exit 1 if any."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracelab.io import read_dir
from tracelab.model import schema as s

__all__ = ["register", "run"]

TOP_REASONS = 5


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` sub-command."""
    p = subparsers.add_parser(
        "validate", help="check venues, scans and cases of a folder; write the rejection table",
        description="Load every table of DIR, print accepted and rejected counts per file with "
        "the top reasons, and write the rejection table beside the data. Exit status 1 when "
        "anything was rejected.")
    p.add_argument("dir", type=Path, help="data folder with venues.*, scans.*, cases.*")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the rejection table (default DIR/rejections.csv)")
    p.add_argument("--now", default=None,
                   help="reference time for 'in the future', with zone (default: now)")
    p.add_argument("--venue-crs", default=None,
                   help="frame of venue positions: GCJ-02, WGS-84, EPSG:4490 "
                   "(default: manifest.json, else GCJ-02)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate ``args.dir``; return 1 when anything was rejected, else 0."""
    data = read_dir(args.dir, now=args.now, venue_crs=args.venue_crs)
    rejected_total = 0
    for loaded in data.loads.values():
        print(f"{loaded.source}: read {loaded.read:,}, accepted {loaded.accepted_count:,}, "
              f"rejected {loaded.rejected_count:,}"
              + (f" (encoding {loaded.encoding})" if loaded.encoding else ""))
        if loaded.ignored_columns:
            print(f"  ignored columns: {', '.join(loaded.ignored_columns)}")
        counts = loaded.rejected[s.REASON].value_counts().head(TOP_REASONS)
        for reason, n in counts.items():
            print(f"  {n:>8,}  {reason}: {s.REASONS.get(str(reason), '')}")
        rejected_total += len(loaded.rejected)
    out = args.out or args.dir / "rejections.csv"
    data.rejections.to_csv(out, index=False, encoding="utf-8")
    print(f"rejection table: {out} ({len(data.rejections):,} rows)")
    return 1 if rejected_total else 0
