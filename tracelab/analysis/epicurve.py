"""Epidemic-curve data: cases per local day by onset or report date, overall or by township."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from tracelab._i18n import msg
from tracelab._validate import require_columns
from tracelab.model import schema as s
from tracelab.model.schema import (
    CUMULATIVE,
    DAY,
    N_ASYMPTOMATIC,
    N_CASES,
    N_SYMPTOMATIC,
)

__all__ = ["epi_curve", "DAY", "N_SYMPTOMATIC", "N_ASYMPTOMATIC", "N_CASES", "CUMULATIVE"]



def epi_curve(
    cases: pd.DataFrame,
    *,
    by: Literal["onset", "report"] = "onset",
    township: bool = False,
    persons: pd.DataFrame | None = None,
    zone: str = s.DEFAULT_ZONE,
) -> pd.DataFrame:
    """Cases per local day, every day from the first to the last (zeros included).

    Parameters
    ----------
    cases : pandas.DataFrame
        ``person_id``, ``kind``, ``onset_at``, ``sampled_at``, ``confirmed_at``
        (tz-aware); ``township_code`` when split by township without ``persons``.
    by : {"onset", "report"}
        ``onset``: symptom onset; asymptomatic cases (no onset) by first positive
        sampling, as Chinese reports list asymptomatic infections by detection.
        ``report``: ``confirmed_at``.
    township : bool, default False
        One curve per township (``township_code``).
    persons : pandas.DataFrame, optional
        ``person_id``, ``township_code``: where cases live, if ``cases`` lacks it.
    zone : str, default "Asia/Shanghai"

    Returns
    -------
    pandas.DataFrame
        ``day`` (and ``township_code``), ``n_confirmed``, ``n_asymptomatic``,
        ``n_cases``, ``cumulative``. Cases without the date asked for are left out and
        counted in ``frame.attrs["undated"]``.

    Raises
    ------
    ValueError
        On an unknown ``by``, missing columns, or naive times.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-19 17:00", "2022-11-20 01:00", "2022-11-22 03:00"],
    ...                    utc=True)
    >>> cases = pd.DataFrame({"person_id": ["A", "B", "C"],
    ...     "kind": ["confirmed", "asymptomatic", "confirmed"],
    ...     "onset_at": [t[0], pd.NaT, t[2]], "sampled_at": t, "confirmed_at": t})
    >>> epi_curve(cases)
              day  n_confirmed  n_asymptomatic  n_cases  cumulative
    0  2022-11-20            1               1        2           2
    1  2022-11-21            0               0        0           2
    2  2022-11-22            1               0        1           3
    """
    if by not in ("onset", "report"):
        raise ValueError(msg("by={by!r}; allowed: 'onset', 'report'", by=by))
    col = s.ONSET_AT if by == "onset" else s.CONFIRMED_AT
    needed = [s.PERSON_ID, col] + ([s.SAMPLED_AT] if by == "onset" else [])
    require_columns(cases, needed, "cases", hint=msg("by={by!r} needs them", by=by))
    for c in needed[1:]:
        if not isinstance(cases[c].dtype, pd.DatetimeTZDtype) and not cases[c].isna().all():
            raise ValueError(msg("cases column {col!r} has dtype {dtype}; give tz-aware times "
                                 "(load with tracelab.io.read_cases)", col=c,
                                 dtype=cases[c].dtype))
    when = pd.to_datetime(cases[col], utc=True)
    if by == "onset":
        when = when.fillna(pd.to_datetime(cases[s.SAMPLED_AT], utc=True))
    asym = (cases[s.KIND] == s.ASYMPTOMATIC) if s.KIND in cases else cases[s.ONSET_AT].isna()
    work = pd.DataFrame({"t": when.reset_index(drop=True), "asym": asym.to_numpy(bool)})
    keys = [DAY]
    if township:
        work[s.TOWNSHIP_CODE] = _townships(cases, persons).to_numpy()
        keys = [s.TOWNSHIP_CODE, DAY]
    undated = int(work["t"].isna().sum())
    work = work[work["t"].notna()]
    work[DAY] = pd.to_datetime(work["t"], utc=True).dt.tz_convert(zone).dt.date
    cols = keys + [N_SYMPTOMATIC, N_ASYMPTOMATIC, N_CASES, CUMULATIVE]
    if work.empty:
        out = pd.DataFrame(columns=cols)
        out.attrs["undated"] = undated
        return out
    days = pd.date_range(min(work[DAY]), max(work[DAY]), freq="D").date
    counts = work.groupby(keys)["asym"].agg([("a", "sum"), ("n", "size")])
    groups = sorted(work[s.TOWNSHIP_CODE].unique()) if township else [None]
    index = (pd.MultiIndex.from_product([groups, days], names=keys) if township
             else pd.Index(days, name=DAY))
    counts = counts.reindex(index, fill_value=0)
    out = pd.DataFrame({N_ASYMPTOMATIC: counts["a"].astype("int64"),
                        N_CASES: counts["n"].astype("int64")}, index=index)
    out.insert(0, N_SYMPTOMATIC, out[N_CASES] - out[N_ASYMPTOMATIC])
    out[CUMULATIVE] = (out.groupby(level=s.TOWNSHIP_CODE)[N_CASES].cumsum() if township
                       else out[N_CASES].cumsum())
    out = out.reset_index()[cols]
    out.attrs["undated"] = undated
    return out


def _townships(cases: pd.DataFrame, persons: pd.DataFrame | None) -> pd.Series:
    if persons is not None:
        require_columns(persons, (s.PERSON_ID, s.TOWNSHIP_CODE), "persons")
        where = persons.drop_duplicates(s.PERSON_ID).set_index(s.PERSON_ID)[s.TOWNSHIP_CODE]
        found = cases[s.PERSON_ID].map(where)
    elif s.TOWNSHIP_CODE in cases:
        found = cases[s.TOWNSHIP_CODE]
    else:
        raise ValueError(msg("township=True needs township_code in cases, or persons= with "
                             "person_id and township_code"))
    return found.fillna("unknown").astype("str")
