"""Benchmark: do the compliance lists find the faults the synthetic county injected?

For several seeds, a county is generated with more faults than the default (silent and
lax venues 5 %, forwarded codes 0.1 % per person-day), written, loaded with ``read_dir``
and every list of ``tracelab.governance.compliance`` is scored against the generator's fault table:
precision and recall per list and seed, and the time of all lists together.
Run: ``.venv/bin/python benchmarks/bench_compliance.py [--population N] [--seeds 1 2 3]``.

Truth per list: ``silent_venues`` <- ``silent_venue``; ``low_volume_venues`` <-
``lax_venue``; ``group_bursts`` (bursts of 3+ scans) <- ``group_scan`` pairs of person and
venue; ``far_scans`` <- ``forwarded_code`` pairs; ``unregistered_venues`` <-
``unknown_venue``; ``shared_applicant_phones`` <- ``duplicate_applicant_phone`` (a listed
phone group holding the duplicate venue).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

from tracelab.governance import compliance as c
from tracelab.io import read_dir
from tracelab.model import schema as s
from tracelab.synth import LogParams, generate


def score(found: set, truth: set) -> tuple[int, int, float, float]:
    """Found, truth, precision and recall (NaN when undefined)."""
    tp = len(found & truth)
    precision = tp / len(found) if found else float("nan")
    recall = tp / len(truth) if truth else float("nan")
    return len(found), len(truth), precision, recall


def one(population: int, days: int, seed: int) -> list[dict]:
    log = LogParams(silent_venue_share=0.05, lax_venue_share=0.05, forwarded_rate=0.001)
    county = generate(population, days=days, seed=seed, progress=False, log=log)
    with tempfile.TemporaryDirectory() as folder:
        county.write(folder)
        now = (pd.Timestamp(county.manifest["start"], tz=s.DEFAULT_ZONE)
               + pd.Timedelta(days=days)).tz_convert("UTC")
        data = read_dir(folder, now=now)
    f, kind = county.faults, county.faults["kind"]

    def pairs(frame: pd.DataFrame) -> set:
        return set(zip(frame[s.PERSON_ID], frame[s.VENUE_ID], strict=True))

    start = time.perf_counter()
    silent = c.silent_venues(data.scans, data.venues, now=now)
    low = c.low_volume_venues(data.scans, data.venues, now=now)
    bursts = c.group_bursts(data.scans)
    far = c.far_scans(data.scans, data.venues)
    unknown = c.unregistered_venues(None, rejections=data.rejections)
    shared = c.shared_applicant_phones(county.venues)
    seconds = time.perf_counter() - start
    dup = set(f.loc[kind == "duplicate_applicant_phone", s.VENUE_ID])
    groups = [set(g.split(", ")) for g in shared[c.VENUE_IDS]]
    rows = {
        "silent_venues": score(set(silent[s.VENUE_ID]),
                               set(f.loc[kind == "silent_venue", s.VENUE_ID])),
        "low_volume_venues": score(set(low[s.VENUE_ID]),
                                   set(f.loc[kind == "lax_venue", s.VENUE_ID])),
        "group_bursts (3+)": score(pairs(bursts[bursts[c.BURST_SCANS] >= 3]),
                                   pairs(f[kind == "group_scan"])),
        "group_bursts (2+)": score(pairs(bursts), pairs(f[kind == "group_scan"])),
        "far_scans": score(pairs(far), pairs(f[kind == "forwarded_code"])),
        "unregistered_venues": score(set(unknown[s.VENUE_ID]),
                                     set(f.loc[kind == "unknown_venue", s.VENUE_ID])),
        "shared_applicant_phones": score({i for i, g in enumerate(groups) if g & dup},
                                         set(range(len(groups))) if dup else set())
        if groups else score(set(), dup),
    }
    return [{"seed": seed, "list": name, "found": a, "truth": b, "precision": p, "recall": r,
             "scans": len(data.scans), "seconds_all_lists": seconds}
            for name, (a, b, p, r) in rows.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=5000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    table = pd.DataFrame([r for seed in args.seeds for r in one(args.population, args.days, seed)])
    pd.set_option("display.width", 160)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    summary = table.groupby("list", sort=False)[["found", "truth"]].sum()
    means = table.groupby("list", sort=False)[["precision", "recall"]].mean()
    print("\nover seeds (sums; mean precision and recall):")
    print(summary.join(means).to_string(float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
