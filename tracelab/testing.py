"""Test helpers for tracelab results: order-insensitive comparisons."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from tracelab.model import schema as s

__all__ = ["assert_exposures_equal"]

_KEY = (s.HOP, s.CASE_ID, s.CONTACT_ID, s.VENUE_ID, s.CASE_T_IN, s.CONTACT_T_IN,
        s.OVERLAP_START, s.OVERLAP_END)


def assert_exposures_equal(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    ignore: Sequence[str] = (),
    rtol: float = 1e-9,
) -> None:
    """Assert two exposures tables hold the same rows, in any row order.

    Parameters
    ----------
    left, right : pandas.DataFrame
        Exposures tables (``schema.EXPOSURE_COLUMNS``); both must have the same columns.
    ignore : sequence of str
        Columns left out of the comparison, e.g. ``("why",)``.
    rtol : float
        Relative tolerance on ``overlap_minutes``.

    Raises
    ------
    AssertionError
        If the column sets, the row sets or any value differ.

    Examples
    --------
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> a = pd.DataFrame({"hop": [1, 1], "case_id": ["C", "C"], "contact_id": ["P", "Q"],
    ...                   "venue_id": ["V", "V"], "overlap_start": [t, t]})
    >>> assert_exposures_equal(a, a.iloc[::-1])
    """
    if list(left.columns) != list(right.columns):
        raise AssertionError(f"exposure columns differ: {list(left.columns)} != "
                             f"{list(right.columns)}")
    cols = [c for c in left.columns if c not in set(ignore)]
    key = [c for c in _KEY if c in cols] + [c for c in cols if c not in _KEY]
    a = left[cols].sort_values(key, kind="stable", ignore_index=True)
    b = right[cols].sort_values(key, kind="stable", ignore_index=True)
    if len(a) != len(b):
        raise AssertionError(f"exposures differ in length: {len(a)} != {len(b)}\n"
                             f"left:\n{a.head(10)}\nright:\n{b.head(10)}")
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=rtol)
