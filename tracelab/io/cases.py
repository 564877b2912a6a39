"""``read_cases``: positive cases as the health department reports them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from tracelab._time import now_utc
from tracelab.io.checks import Loaded, check_profile, open_raw
from tracelab.io.files import ColumnMap
from tracelab.io.parse import (
    blank,
    parse_bools,
    parse_times,
)
from tracelab.model import regions
from tracelab.model import schema as s
from tracelab.model.regions import Region

__all__ = ["read_cases"]

REQUIRED = (s.PERSON_ID, s.KIND, s.SAMPLED_AT, s.CONFIRMED_AT)
#: ``research`` profile: a person and any one of onset, sampling or confirmation.
REQUIRED_RESEARCH = (s.PERSON_ID,)
_ANCHORS = (s.ONSET_AT, s.SAMPLED_AT, s.CONFIRMED_AT)
_TIMES = (s.ONSET_AT, s.SAMPLED_AT, s.CONFIRMED_AT, s.ISOLATED_AT, s.LAST_NEGATIVE_AT)
_KIND_WORDS = {
    "confirmed": s.CONFIRMED, "确诊": s.CONFIRMED, "确诊病例": s.CONFIRMED,
    "asymptomatic": s.ASYMPTOMATIC, "无症状": s.ASYMPTOMATIC, "无症状感染者": s.ASYMPTOMATIC,
}


def read_cases(
    path: str | Path,
    *,
    now: pd.Timestamp | str | None = None,
    encoding: str | None = None,
    zone: str | None = None,
    region: Region | str | None = None,
    profile: str = "strict",
    columns: ColumnMap | None = None,
) -> Loaded:
    """Read and check positive cases.

    Each case needs a person id, a kind (confirmed/确诊 or asymptomatic/无症状), the first
    positive sampling time and the confirmation time; a confirmed case needs its onset; a
    case found by serial screening needs its last negative sampling time (its window starts
    there, DOMAIN.md section 2.1). Times must be in order: last negative < sampled <=
    confirmed, and none in the future. A person listed twice is rejected the second time.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8/GBK/GB18030), XLSX or Parquet, English or Chinese headers.
    now : Timestamp or str, optional
        Reference time for "in the future" (default: the current time).
    encoding : str, optional
        Override CSV encoding detection.
    zone : str, optional
        Zone of times that carry none; default the region's, else Asia/Shanghai.
    region : Region or str, optional
        The region the cases belong to (its zone).
    profile : {"strict", "research"}
        ``research`` asks a person id and any one of onset, sampling or confirmation
        time (the window counts back from the earliest kind there is); a missing kind is
        taken as confirmed.
    columns : mapping, optional
        Column mapping for other headers (:func:`tracelab.io.files.map_columns`).

    Returns
    -------
    Loaded
        ``accepted`` with ``schema.CASE_COLUMNS``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cases.csv"
    >>> _ = p.write_text("人员编号,病例类型,发病时间,采样时间,确诊时间\\n"
    ...     "P1,确诊,2022-11-20 09:00,2022-11-21 10:00,2022-11-22 08:00\\n"
    ...     "P2,确诊,,2022-11-21 10:00,2022-11-20 08:00\\n")
    >>> cases, rejected = read_cases(p, now="2022-12-01T00:00Z")
    >>> cases["kind"].tolist(), rejected["reason"].tolist()
    (['confirmed'], ['missing_value'])
    """
    zone = zone or (regions.region(region).zone if region is not None else s.DEFAULT_ZONE)
    research = check_profile(profile) == "research"
    chk, done = open_raw(path, encoding, "case", REQUIRED_RESEARCH if research else REQUIRED,
                         columns=columns)
    if done is not None:
        return replace(done, accepted=empty_cases())
    f = chk.frame
    chk.reject_scientific((s.PERSON_ID,))
    chk.limit_lengths((s.PERSON_ID,), limit=64)
    person = f[s.PERSON_ID].astype(str).str.strip()
    if s.KIND in f.columns:
        kind = f[s.KIND].astype(str).str.strip().str.casefold().map(_KIND_WORDS)
        if research:
            kind = kind.where(~pd.Series(blank(f[s.KIND]), index=f.index), s.CONFIRMED)
    else:
        kind = pd.Series(s.CONFIRMED, index=f.index, dtype=object)
    chk.reject(kind.isna().to_numpy(), s.KIND, "bad_case_kind",
               "kind {value} is not confirmed or asymptomatic (确诊/无症状)")

    times = {}
    now_at = now_utc(now)
    for col in _TIMES:
        if col not in f.columns:
            times[col] = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]")
            continue
        empty = blank(f[col])
        times[col] = parse_times(f[col], zone)
        chk.reject_far_times(col, times[col].where(~empty, pd.Timestamp(0, tz="UTC")))
        chk.reject(times[col].isna().to_numpy() & ~empty, col, "bad_time",
                   f"{col} {{value}} is not a time (use 2022-11-18 08:05:03 or similar)")
        chk.reject((times[col] > now_at).to_numpy(), col, "future_time",
                   f"{col} {{value}} is after the load time {now_at:%Y-%m-%d %H:%M} UTC")
    if research:
        none = np.logical_and.reduce([times[c].isna().to_numpy() for c in _ANCHORS])
        chk.reject(none, s.ONSET_AT, "missing_value",
                   "onset_at, sampled_at and confirmed_at are all empty; a case needs one")
    else:
        chk.reject(((kind == s.CONFIRMED) & times[s.ONSET_AT].isna()).to_numpy(), s.ONSET_AT,
                   "missing_value",
                   "onset_at is empty; a confirmed (symptomatic) case needs its onset")
    screening = pd.Series(False, index=f.index, dtype=object)
    if s.FOUND_BY_SCREENING in f.columns:
        empty = blank(f[s.FOUND_BY_SCREENING])
        screening = parse_bools(f[s.FOUND_BY_SCREENING]).where(~pd.Series(empty, index=f.index), False)
        chk.reject(screening.isna().to_numpy(), s.FOUND_BY_SCREENING, "bad_bool",
                   "found_by_screening {value} is not yes/no (是/否, true/false, 1/0)")
    chk.reject((screening.fillna(False).astype(bool) & times[s.LAST_NEGATIVE_AT].isna()).to_numpy(),
               s.LAST_NEGATIVE_AT, "missing_value",
               "last_negative_at is empty; a case found by serial screening needs it")
    order = ((times[s.CONFIRMED_AT] < times[s.SAMPLED_AT])
             | (times[s.LAST_NEGATIVE_AT] >= times[s.SAMPLED_AT]))
    chk.reject(order.to_numpy(), s.CONFIRMED_AT, "bad_time_order",
               "times out of order: need last_negative_at < sampled_at <= confirmed_at")
    chk.reject(person.where(chk.good).duplicated().to_numpy() & chk.good, s.PERSON_ID,
               "duplicate_case", "person_id {value} is already listed as a case")

    keep = chk.good
    accepted = pd.DataFrame({
        s.PERSON_ID: person[keep], s.KIND: kind[keep],
        **{col: times[col][keep] for col in _TIMES},
        s.FOUND_BY_SCREENING: screening[keep].astype(bool),
    }).reset_index(drop=True)
    return chk.finish(accepted.loc[:, list(s.CASE_COLUMNS)])


def empty_cases() -> pd.DataFrame:
    """A case table with no rows and typed columns."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in s.CASE_COLUMNS})
    return frame.astype({**dict.fromkeys(_TIMES, "datetime64[ns, UTC]"),
                         s.FOUND_BY_SCREENING: bool})
