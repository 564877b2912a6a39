"""Argument checks shared by every layer: required columns and the ``on_invalid`` choice.

Each check raises with one message that names the argument, shows what is wrong (all of
it: every missing column at once) and says what is allowed (STYLE rule 5).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from tracelab._i18n import msg

__all__ = ["ON_INVALID", "check_on_invalid", "require_columns"]

#: What a step does with an invalid row: raise (the default) or return it as a rejection.
ON_INVALID = ("raise", "reject")
OnInvalid = Literal["raise", "reject"]


def require_columns(frame: Any, columns: Iterable[str], what: str, *, hint: str = "",
                    error: type[Exception] = ValueError) -> None:
    """Raise ``error`` naming every column of `columns` that `frame` lacks.

    Parameters
    ----------
    frame : pandas.DataFrame or any object with ``columns``
        The table to check (a Spark frame works too).
    columns : iterable of str
        The columns the caller needs.
    what : str
        The argument's name, as the message starts with it.
    hint : str, optional
        What to pass instead, appended to the message.
    error : type of Exception, default ValueError
        The exception to raise (``SchemaError`` at the loaders and the store).

    Raises
    ------
    ValueError
        (or `error`) if a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], "scans")
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b", "c"], "scans", hint="load it first")
    Traceback (most recent call last):
    ...
    ValueError: scans lacks column(s) ['b', 'c']; it has ['a']; load it first
    """
    have = list(frame.columns)
    missing = [c for c in columns if c not in have]
    if missing:
        shown = have if len(have) <= 30 else [*have[:30], "..."]
        if hint:
            raise error(msg("{what} lacks column(s) {missing}; it has {shown}; {hint}",
                            what=what, missing=missing, shown=shown, hint=hint))
        raise error(msg("{what} lacks column(s) {missing}; it has {shown}", what=what,
                        missing=missing, shown=shown))


def check_on_invalid(on_invalid: object) -> OnInvalid:
    """Return `on_invalid` if it is ``"raise"`` or ``"reject"``, else raise.

    Examples
    --------
    >>> check_on_invalid("reject")
    'reject'
    >>> check_on_invalid("drop")
    Traceback (most recent call last):
    ...
    ValueError: on_invalid='drop'; allowed: raise, reject (there is no silent drop)
    """
    if on_invalid not in ON_INVALID:
        raise ValueError(msg("on_invalid={on_invalid!r}; allowed: raise, reject (there is no "
                             "silent drop)", on_invalid=on_invalid))
    return on_invalid  # type: ignore[return-value]
