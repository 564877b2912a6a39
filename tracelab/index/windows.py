"""Infectious windows: each case's ``[start, end)`` as a table and as engine arrays.

:func:`case_windows` is the table (DOMAIN §2.1); :func:`window_arrays` gives the same
windows as int64 nanoseconds, the form every engine searches with (forward and backward
tracing, companions, the local pull and the Spark jobs).
"""

from __future__ import annotations

from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NAT, NS_PER_DAY, from_ns, timestamp_ns, to_ns
from tracelab._validate import check_on_invalid, require_columns
from tracelab.model import schema as s
from tracelab.model.ids import mask_id
from tracelab.model.rules import Rule, as_rule
from tracelab.model.schema import (
    WINDOW_BASIS,
    WINDOW_END,
    WINDOW_START,
)

__all__ = ["BASES", "WINDOW_BASIS", "WINDOW_END", "WINDOW_START", "case_windows",
           "check_windows", "window_arrays", "window_rejections"]

#: What a window starts from, by the basis code of :func:`window_arrays`.
BASES = np.array(["", "onset", "sampling", "last_negative", "confirmation"], dtype=object)


@overload
def case_windows(cases: pd.DataFrame, rule: str | Rule = ..., *, as_of: Any = ...,
                 on_invalid: Literal["raise"] = ...) -> pd.DataFrame: ...
@overload
def case_windows(cases: pd.DataFrame, rule: str | Rule = ..., *, as_of: Any = ...,
                 on_invalid: Literal["reject"]) -> tuple[pd.DataFrame, pd.DataFrame]: ...
def case_windows(cases: pd.DataFrame, rule: str | Rule = "twenty", *,
                 as_of: Any = None, on_invalid: Literal["raise", "reject"] = "raise"
                 ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Each case's infectious window ``[window_start, window_end)`` (DOMAIN §2.1).

    Start: the last negative sampling for a case found by serial screening (when the rule
    says so), else ``lookback_days_symptomatic`` before onset, else
    ``lookback_days_asymptomatic`` before the first positive sampling. End: isolation
    (``end_at_isolation``), else ``as_of``; never after ``as_of``. A case isolated before
    its window opens (quarantined as a contact before onset) gets an empty window.

    Parameters
    ----------
    cases : pandas.DataFrame
        ``schema.CASE_COLUMNS``; missing optional columns count as empty.
    rule : str or Rule
    as_of : tz-aware time, optional
        Trace time; None leaves windows without isolation open (``NaT`` end).
    on_invalid : {"raise", "reject"}
        A case with neither onset nor sampling raises; ``"reject"`` returns
        ``(windows, rejections)`` instead.

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``window_start``, ``window_end``, ``window_basis``.

    Raises
    ------
    ValueError
        On a duplicated case, or (``on_invalid="raise"``) an invalid window.

    Examples
    --------
    >>> cases = pd.DataFrame({"person_id": ["C1"], "kind": ["confirmed"],
    ...     "onset_at": pd.to_datetime(["2022-11-20 02:00"], utc=True),
    ...     "isolated_at": pd.to_datetime(["2022-11-21 02:00"], utc=True)})
    >>> w = case_windows(cases).iloc[0]
    >>> str(w["window_start"]), str(w["window_end"]), w["window_basis"]
    ('2022-11-18 02:00:00+00:00', '2022-11-21 02:00:00+00:00', 'onset')
    """
    r = as_rule(rule)
    limit = timestamp_ns(as_of) if as_of is not None else None
    ids, start, end, basis, bad = window_arrays(cases, r, limit)
    nat = np.iinfo(np.int64).min
    out = pd.DataFrame({
        s.PERSON_ID: ids,
        WINDOW_START: pd.DatetimeIndex(from_ns(start)).where(start != nat),
        WINDOW_END: pd.DatetimeIndex(from_ns(end)).where(end != nat),
        WINDOW_BASIS: pd.array(BASES[basis].astype(str), dtype="str"),
    })
    check_on_invalid(on_invalid)
    if on_invalid == "reject":
        return out[~bad].reset_index(drop=True), window_rejections(ids, bad)
    check_windows(ids, bad)
    return out


def window_arrays(cases: pd.DataFrame, r: Rule, limit: int | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ids, window start and end (int64 ns, NaT as int64 min), basis code, invalid mask."""
    require_columns(cases, (s.PERSON_ID,), "cases")
    ids = cases[s.PERSON_ID].to_numpy()
    if ids.dtype.kind in "iu":
        ordered = np.sort(ids)
        twice = bool((ordered[1:] == ordered[:-1]).any())
    else:
        twice = len(pd.unique(ids)) != len(ids)
    if twice:
        dup = pd.unique(ids[pd.Series(ids).duplicated().to_numpy()])
        raise ValueError(msg("cases: person_id listed twice ({examples}); give each case once",
                             examples=[mask_id(str(d)) for d in dup[:3]]))
    nat = NAT

    def col(name: str) -> np.ndarray:
        return to_ns(cases[name]) if name in cases else np.full(len(cases), nat)

    onset, sampled, confirmed = col(s.ONSET_AT), col(s.SAMPLED_AT), col(s.CONFIRMED_AT)
    isolated, last_neg = col(s.ISOLATED_AT), col(s.LAST_NEGATIVE_AT)
    screened = (cases[s.FOUND_BY_SCREENING].to_numpy(bool, na_value=False)
                if s.FOUND_BY_SCREENING in cases else np.zeros(len(cases), bool))
    sym = int(round(r.lookback_days_symptomatic * NS_PER_DAY))
    asym = int(round(r.lookback_days_asymptomatic * NS_PER_DAY))
    has_onset, has_sampled, has_confirmed = onset != nat, sampled != nat, confirmed != nat
    # Sources without onset or sampling (public case lists) date a case by its
    # confirmation: the window counts back from it as from a sampling, a later anchor.
    start = np.where(has_onset, onset - sym, np.where(
        has_sampled, sampled - asym, np.where(has_confirmed, confirmed - asym, nat)))
    basis = np.where(has_onset, 1, np.where(has_sampled, 2, np.where(has_confirmed, 4, 0)))
    serial = screened & (last_neg != nat) & r.serial_testing_lookback
    if serial.any():
        start, basis = np.where(serial, last_neg, start), np.where(serial, 3, basis)
    end = np.where((isolated != nat) & r.end_at_isolation, isolated, nat)
    if limit is not None:
        end = np.where(end == nat, limit, np.minimum(end, limit))
    bad = start == nat
    # Isolated before the window opens (quarantined as a contact, then onset): an empty
    # window, not an error.
    end = np.where((end != nat) & (end < start) & ~bad, start, end)
    return ids, start, end, basis, bad


def check_windows(ids: np.ndarray, bad: np.ndarray) -> None:
    if bad.any():
        raise ValueError(
            msg("cases: {n} case(s) without a usable window (neither onset_at nor sampled_at), "
                "e.g. {examples}; fix them or pass on_invalid='reject'", n=int(bad.sum()),
                examples=[mask_id(str(i)) for i in ids[bad][:3]])
        )


def window_rejections(ids: np.ndarray, bad: np.ndarray) -> pd.DataFrame:
    rows = np.flatnonzero(bad)
    return pd.DataFrame({
        s.SOURCE: "case_windows",
        s.ROW: (rows + 1).astype(np.int64),
        s.COLUMN: s.ONSET_AT,
        s.VALUE: [mask_id(str(i)) for i in ids[rows]],
        s.REASON: "missing_value",
        s.MESSAGE: "case has neither onset_at nor sampled_at",
    }, columns=list(s.REJECTION_COLUMNS))
