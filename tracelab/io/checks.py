"""The row checker: runs checks in order, records each row's first failure, reconciles counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tracelab._atomic import fault_point
from tracelab._i18n import msg
from tracelab.io.files import ColumnMap, RawTable, UnreadableFile, read_raw
from tracelab.io.parse import (
    FIRST_YEAR,
    LAST_YEAR,
    Coded,
    blank,
    clean_ids,
    in_scientific_notation,
    is_text,
    time_out_of_range,
)
from tracelab.model import ids
from tracelab.model import schema as s
from tracelab.privacy.pseudonyms import scrub_shapes

__all__ = ["Loaded", "RowChecker", "empty_rejections", "mask_value", "open_raw", "PROFILES",
           "check_profile", "ID_COLUMNS"]

#: Load profiles: ``strict``, the 赣通码 registry's rules (the default for registries);
#: ``research``, only what tracing needs (person, venue, time; the rest optional).
PROFILES = ("strict", "research")


def check_profile(profile: str) -> str:
    """``profile`` if it is one of :data:`PROFILES`, else a ValueError saying which are.

    Examples
    --------
    >>> check_profile("research")
    'research'
    """
    if profile not in PROFILES:
        raise ValueError(msg("profile={profile!r}; allowed: {names}", profile=profile,
                             names=", ".join(PROFILES)))
    return profile

#: Longest text kept for one field; longer ones are rejected (a huge field is an attack or a
#: broken export, and would blow up maps and spreadsheets).
MAX_FIELD_CHARS = 500
#: Longest value echoed in a rejection row.
_ECHO_CHARS = 60

#: Id columns compared across files: cleaned on load (:func:`tracelab.model.ids.clean_identifier`).
ID_COLUMNS = (s.PERSON_ID, s.VENUE_ID, s.PARENT_VENUE_ID)

_MASKS: dict[str, Callable[[object], str]] = {
    s.PERSON_ID: ids.mask_id,
    s.OWNER_ID: ids.mask_id,
    s.APPLICANT_PHONE: ids.mask_phone,
    s.OWNER_NAME: ids.mask_name,
}


def mask_value(column: str, value: object) -> str:
    """The value as a rejection row may show it: personal columns masked, long text cut.

    Whatever the column, anything shaped like a phone or an ID number is masked too
    (:func:`tracelab.privacy.pseudonyms.scrub_shapes`): a phone number typed into the time
    or the colour column is as personal there.

    Examples
    --------
    >>> mask_value("applicant_phone", "13123456789")
    '131*****789'
    >>> mask_value("venue_id", "V1"), mask_value("scanned_at", "+86 131-2345-6789")
    ('V1', '131*****789')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    masker = _MASKS.get(column)
    text = masker(str(value)) if masker else str(value)
    # Cut before scrubbing would leave a cut number unmasked; scrub the whole, then cut.
    text = str(scrub_shapes(text))
    return text if len(text) <= _ECHO_CHARS else text[: _ECHO_CHARS - 1] + "…"


_EMPTY_REJECTIONS = pd.DataFrame({c: pd.Series(dtype="int64" if c == s.ROW else object)
                                  for c in s.REJECTION_COLUMNS})


def empty_rejections() -> pd.DataFrame:
    """A rejection table with no rows and the columns of ``schema.REJECTION_COLUMNS``."""
    # A copy of one built frame: every load asks for several, and building six typed
    # Series each time cost more than reading a small file.
    return _EMPTY_REJECTIONS.copy()


@dataclass(frozen=True)
class Loaded:
    """What a loader returns: accepted rows and the rejection table.

    Unpacks as ``accepted, rejected = read_scans(...)``. ``read`` is the number of data
    rows in the file; ``read == accepted_count + rejected_count`` always, where
    ``accepted_count`` counts scans merged into a kept row (``merged_scans``) too.
    File-level problems (empty or unreadable file) are rejection rows with ``row == 0``
    and count no data row. ``faults`` lists the rules that accepted rows fail (a venue kept
    for tracing despite a registration fault), in the rejection table's columns; a row
    may have several. ``set_aside`` holds, for rejected scans whose person id could be
    read, ``person_id``, ``venue_id``, ``row`` and ``reason``: what a case lost.
    ``repaired`` lists, in the same columns with reason ``repaired_id``, each id of an
    accepted row that was cleaned to compare equal to its twins (invisible characters,
    NUL, full-width forms, Cyrillic/Greek look-alike letters): those rows are accepted, so
    ``read == accepted_count + rejected_count`` still holds, and ``repaired_count`` says
    how many values were repaired.
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    read: int
    source: str = ""
    encoding: str | None = None
    ignored_columns: tuple[str, ...] = field(default=())
    faults: pd.DataFrame = field(default_factory=lambda: empty_rejections())
    set_aside: pd.DataFrame | None = None
    #: Venue attributes a log carries beside its scans (``research`` profile): venue_id and
    #: whichever of name, venue_type, lon, lat it has, first seen per venue.
    derived: pd.DataFrame | None = None
    #: Ids of accepted rows cleaned on load (reason ``repaired_id``), one row per value.
    repaired: pd.DataFrame = field(default_factory=lambda: empty_rejections())

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return iter((self.accepted, self.rejected))

    @property
    def accepted_count(self) -> int:
        """Data rows accepted, merged repeat scans included."""
        if s.MERGED_SCANS in self.accepted.columns:
            return int(self.accepted[s.MERGED_SCANS].sum())
        return len(self.accepted)

    @property
    def rejected_count(self) -> int:
        """Data rows rejected (file-level rows, ``row == 0``, excluded)."""
        return int((self.rejected[s.ROW] > 0).sum())

    @property
    def repaired_count(self) -> int:
        """Id values of accepted rows repaired on load (listed in ``repaired``)."""
        return len(self.repaired)


class RowChecker:
    """Collects rejections for one raw table; each row is rejected at most once.

    Checks run in the order they are called; a row that failed an earlier check is not
    tested again, so every rejected row carries exactly one, the first, reason.
    """

    def __init__(self, raw: RawTable, coded: tuple[str, ...] = ()) -> None:
        self.raw = raw
        self.frame = raw.frame
        self.bad = np.zeros(len(raw.frame), dtype=bool)
        self.flagged = np.zeros(len(raw.frame), dtype=bool)
        self._parts: list[pd.DataFrame] = []
        self._fault_parts: list[pd.DataFrame] = []
        self._repair_parts: list[pd.DataFrame] = []
        #: Columns of ``frame`` also held as codes into their distinct values (:meth:`coded`).
        self._coded: dict[str, Coded] = {}
        for column in coded:
            if column in self.frame.columns and _arrow_text(self.frame[column]):
                self._coded[column] = Coded.of(self.frame[column])
        for row, message in raw.broken_rows:
            self.file_problem("unreadable_file", message, row=row)
        for row, reason, message in raw.lost_rows:
            self.file_problem(reason, message, row=row)
        self._reject_cells()

    def _reject_cells(self) -> None:
        """Reject the rows of cells the reader blanked (bytes, nested values)."""
        n = len(self.frame)
        for problem in self.raw.bad_cells:
            mask = np.zeros(n, dtype=bool)
            mask[problem.position] = True
            self.reject(mask, problem.column, problem.reason, problem.message,
                        values=pd.Series([""] * n))

    def coded(self, column: str) -> Coded | None:
        """``frame[column]`` as codes into its distinct values, if the loader asked for it.

        A loader names the columns of few distinct values among millions of cells (ids,
        colours) when it opens the file (:func:`open_raw`); the checks then test each
        distinct value once.
        """
        return self._coded.get(column)

    def per_cell(self, column: str, func: Callable[[pd.Series], object]) -> np.ndarray:
        """``func`` of ``frame[column]`` (a result per cell, from that cell alone)."""
        coded = self._coded.get(column)
        if coded is not None:
            return coded.test(func)
        return np.asarray(func(self.frame[column]))

    @property
    def good(self) -> np.ndarray:
        """Rows not rejected so far."""
        return ~self.bad

    def reject(
        self,
        mask: np.ndarray | pd.Series,
        column: str,
        reason: str,
        message: str | Callable[[str], str] | pd.Series,
        values: pd.Series | None = None,
    ) -> None:
        """Reject rows in ``mask`` not rejected yet.

        ``message`` is a template (``{value}`` becomes the repr of the masked offending
        value), a callable receiving the masked value, or a Series of one message per row.
        """
        fault_point(f"check:{reason}")  # tests kill loads between checks
        new = np.asarray(mask, dtype=bool) & ~self.bad
        part = self._rows(new, column, reason, message, values)
        if part is not None:
            self._parts.append(part)
            self.bad |= new

    def flag(
        self,
        mask: np.ndarray | pd.Series,
        column: str,
        reason: str,
        message: str | Callable[[str], str] | pd.Series,
        values: pd.Series | None = None,
    ) -> None:
        """List a fault of rows in ``mask`` that stay accepted (not rejected so far).

        Same arguments as :meth:`reject`; a row may carry several faults, each listed.
        """
        new = np.asarray(mask, dtype=bool) & ~self.bad
        part = self._rows(new, column, reason, message, values)
        if part is not None:
            self._fault_parts.append(part)
            self.flagged |= new

    def _rows(self, new: np.ndarray, column: str, reason: str,
              message: str | Callable[[str], str] | pd.Series,
              values: pd.Series | None) -> pd.DataFrame | None:
        if reason not in s.REASONS:
            raise ValueError(msg("reason: {reason!r} is not a code of schema.REASONS",
                                 reason=reason))
        if not new.any():
            return None
        idx = np.flatnonzero(new)
        if values is None:
            values = self.frame[column] if column in self.frame.columns else pd.Series(
                [""] * len(self.frame))
        shown = [mask_value(column, v) for v in values.iloc[idx]]
        if isinstance(message, pd.Series):
            texts = [str(m) for m in message.iloc[idx]]
        else:
            render = message if callable(message) else (
                lambda v: message.format(value=repr(v)))
            texts = [render(v) for v in shown]
        # Messages built from raw values (a Series) are scrubbed like the values shown.
        texts = [str(scrub_shapes(m)) for m in texts]
        return pd.DataFrame({
            s.SOURCE: self.raw.source,
            s.ROW: self.raw.rows[idx],
            s.COLUMN: column,
            s.VALUE: shown,
            s.REASON: reason,
            s.MESSAGE: texts,
        })

    def file_problem(self, reason: str, message: str, *, row: int = 0, column: str = "") -> None:
        """Record a problem of the file or of a row the reader could not split."""
        if reason not in s.REASONS:
            raise ValueError(msg("reason: {reason!r} is not a code of schema.REASONS",
                                 reason=reason))
        self._parts.append(pd.DataFrame({
            s.SOURCE: [self.raw.source], s.ROW: [row], s.COLUMN: [column], s.VALUE: [""],
            s.REASON: [reason], s.MESSAGE: [str(scrub_shapes(message))],
        }))

    def require_columns(self, required: tuple[str, ...]) -> bool:
        """Reject every row when required columns are missing; True if all are present."""
        missing = [c for c in required if c not in self.frame.columns]
        if missing:
            hint = (f"; its first line looks like data, not a header: add a header line "
                    f"({','.join(required)})" if self.raw.headerless else "")
            self.reject(
                np.ones(len(self.frame), bool), missing[0], "missing_column",
                f"required column(s) {', '.join(missing)} absent; the file has "
                f"{', '.join(self.frame.columns) or 'no recognised columns'}{hint}",
            )
        return not missing

    def clean_ids(self, columns: tuple[str, ...] = ID_COLUMNS) -> None:
        """Clean the id ``columns`` of ``frame`` so that twins compare equal.

        Each changed id is listed as ``repaired_id`` (kept in ``Loaded.repaired`` if its
        row is accepted in the end); an id mixing Latin with Cyrillic or Greek letters
        that look like no Latin letter is rejected as ``mixed_script_id``. ``frame``
        becomes a new frame; the raw table is not changed.
        """
        fixed: dict[str, pd.Series] = {}
        for column in columns:
            if column not in self.frame.columns or not is_text(self.frame[column]):
                continue
            raw = self.frame[column]
            mixing = (f"{column} {{value}} mixes Latin letters with Cyrillic or Greek ones "
                      "that look like no Latin letter; write it in one alphabet")
            coded = self._coded.get(column)
            if coded is not None and not coded.test(_odd_ids).any():
                # No id to clean or reject, as clean_ids finds once per distinct id.
                self.reject(np.zeros(len(raw), dtype=bool), column, "mixed_script_id", mixing)
                continue
            clean, done = clean_ids(raw)
            mixed = (done == "mixed_script").to_numpy()
            self.reject(mixed, column, "mixed_script_id", mixing)
            changed = (done != "").to_numpy() & ~mixed & ~self.bad
            if changed.any():
                self._repair_parts.append(self._repairs(column, raw, clean, done, changed))
                fixed[column] = clean
        if fixed:
            self.frame = self.frame.assign(**fixed)
            for column in fixed:  # repaired (rare): checked cell by cell from here on
                self._coded.pop(column, None)

    def _repairs(self, column: str, raw: pd.Series, clean: pd.Series, done: pd.Series,
                 changed: np.ndarray) -> pd.DataFrame:
        idx = np.flatnonzero(changed)
        shown = [_visible(mask_value(column, v)) for v in raw.iloc[idx]]
        messages = [
            f"{column} {old!r} read as {mask_value(column, new)!r}: "
            + "; ".join(ids.ID_REPAIRS[d] for d in what.split(","))
            for old, new, what in zip(shown, clean.iloc[idx], done.iloc[idx], strict=True)]
        return pd.DataFrame({
            s.SOURCE: self.raw.source, s.ROW: self.raw.rows[idx], s.COLUMN: column,
            s.VALUE: shown, s.REASON: "repaired_id",
            s.MESSAGE: [str(scrub_shapes(m)) for m in messages],
        })

    def require_values(self, columns: tuple[str, ...]) -> None:
        """Reject rows with an empty required field, naming the first empty column."""
        for column in columns:
            if column in self.frame.columns:
                self.reject(self.per_cell(column, blank), column, "missing_value",
                            f"{column} is empty; it is required")

    def limit_lengths(self, columns: tuple[str, ...], limit: int = MAX_FIELD_CHARS) -> None:
        """Reject rows whose text fields exceed ``limit`` characters."""
        for column in columns:
            if column in self.frame.columns and is_text(self.frame[column]):
                longer = self.per_cell(
                    column, lambda v: v.astype(str).str.len().to_numpy() > limit)

                # A def, not a lambda: mypy cannot infer a lambda with a bound default.
                def too_long(_value: str, c: str = column) -> str:
                    return f"{c} is longer than {limit} characters"

                self.reject(longer, column, "field_too_long", too_long)

    def finish(self, accepted: pd.DataFrame) -> Loaded:
        """The loader's result: ``accepted``, this checker's rejections and faults."""
        raw = self.raw
        read = len(raw.frame) + len(raw.broken_rows) + len(raw.lost_rows)
        return Loaded(accepted, self.rejections(), read, raw.source, raw.encoding,
                      raw.ignored_columns, faults=self.faults(), repaired=self.repaired())

    def rejections(self) -> pd.DataFrame:
        """The rejection table, ordered by row."""
        return _table(self._parts)

    def faults(self) -> pd.DataFrame:
        """Faults of rows still accepted, ordered by row (a row rejected later is dropped)."""
        return self._of_kept_rows(_table(self._fault_parts))

    def repaired(self) -> pd.DataFrame:
        """Ids repaired in rows still accepted, ordered by row."""
        return self._of_kept_rows(_table(self._repair_parts))

    def _of_kept_rows(self, out: pd.DataFrame) -> pd.DataFrame:
        if not len(out):
            return out
        rows = out[s.ROW].to_numpy()
        at = np.clip(np.searchsorted(self.raw.rows, rows), 0, max(len(self.bad) - 1, 0))
        rejected = self.bad[at] & (self.raw.rows[at] == rows) if len(self.bad) else rows < 0
        return out[(rows == 0) | ~rejected].reset_index(drop=True)

    def file_fault(self, reason: str, message: str, *, column: str = "") -> None:
        """List a fault of the whole file (row 0) that does not stop its rows."""
        self._fault_parts.append(pd.DataFrame({
            s.SOURCE: [self.raw.source], s.ROW: [0], s.COLUMN: [column], s.VALUE: [""],
            s.REASON: [reason], s.MESSAGE: [message],
        }))

    def rejected_keys(self, keys: dict[str, pd.Series | Coded]) -> pd.DataFrame:
        """For each rejected data row, its ``keys`` columns (row-aligned), ``row`` and ``reason``.

        Rows whose first key is blank or was an id in scientific notation are left out:
        they name nobody; so are rows the reader could not take apart (no fields, no
        keys). Loaders keep this as ``Loaded.set_aside``.
        """
        rej = self.rejections()
        rej = rej[rej[s.ROW] > 0]
        rows = self.raw.rows
        at = np.searchsorted(rows, rej[s.ROW].to_numpy())
        # A broken or undecodable row is not in the frame: searchsorted would give the
        # next row's keys (or run past the end).
        inside = at < len(rows)
        inside[inside] = rows[at[inside]] == rej[s.ROW].to_numpy()[inside]
        rej, at = rej[inside], at[inside]
        # Only the rejected rows' keys are turned into Python objects, not whole columns.
        out = pd.DataFrame({**{name: col.at(at) if isinstance(col, Coded)
                               else col.iloc[at].to_numpy(object) for name, col in keys.items()},
                            s.ROW: rej[s.ROW].to_numpy(), s.REASON: rej[s.REASON].to_numpy()})
        first = out[next(iter(keys))].astype(str)
        readable = (first != "") & (out[s.REASON] != "id_in_scientific_notation")
        return out[readable].reset_index(drop=True)

    def reject_far_times(self, column: str, parsed: pd.Series) -> None:
        """Reject times that `parsed` left NaT because their year is out of range.

        Instants hold the years :data:`~tracelab.io.parse.FIRST_YEAR` to
        :data:`~tracelab.io.parse.LAST_YEAR`; a time outside them is a wrong year or an
        epoch in the wrong unit, not garbage (``bad_time``).
        """
        unread = parsed.isna().to_numpy()
        if unread.any():
            far = np.zeros(len(self.frame), dtype=bool)
            far[unread] = time_out_of_range(self.frame[column][unread])
            self.reject(far, column, "time_out_of_range",
                        f"{column} {{value}} is outside the years {FIRST_YEAR}-{LAST_YEAR} an "
                        "instant can hold: a wrong year, or epoch time in the wrong unit")

    def reject_scientific(self, columns: tuple[str, ...]) -> None:
        """Reject ids Excel turned into numbers such as ``3.60323E+13`` (digits are lost)."""
        for column in columns:
            if column in self.frame.columns:
                self.reject(self.per_cell(column, in_scientific_notation), column,
                            "id_in_scientific_notation",
                            f"{column} {{value}} is in scientific notation: Excel has dropped its "
                            "last digits; re-export the column formatted as text")


def _arrow_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def _odd_ids(values: pd.Series) -> np.ndarray:
    """True where :func:`~tracelab.io.parse.clean_ids` would look at an id (and maybe change it)."""
    _, done = clean_ids(values)
    return (done != "").to_numpy()


def _visible(text: str) -> str:
    r"""`text` with invisible characters written as escapes, so a repair shows what it removed.

    Examples
    --------
    >>> _visible("V\u200b1\x00")
    'V\\u200b1\\x00'
    """
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return empty_rejections()
    out = pd.concat(parts, ignore_index=True).astype({s.ROW: "int64"})
    return out.sort_values([s.ROW], kind="stable", ignore_index=True)


def open_raw(path: str | Path, encoding: str | None, what: str,
             required: tuple[str, ...], values: tuple[str, ...] | None = None,
             columns: ColumnMap | None = None,
             coded: tuple[str, ...] = ()) -> tuple[RowChecker, Loaded | None]:
    """Read a file for a loader and run the file-level checks.

    ``required`` columns must be present; the id columns (:data:`ID_COLUMNS`) are cleaned
    (:meth:`RowChecker.clean_ids`); rows with a blank cell in ``values`` (default: the
    required columns) are rejected. ``coded`` names columns of few distinct values to
    check once per value (:meth:`RowChecker.coded`). Returns the checker and, when the
    file cannot go further (unreadable, empty, or missing required columns), the finished
    :class:`Loaded` to return as it is.
    """
    try:
        raw = read_raw(path, encoding=encoding, columns=columns)
    except UnreadableFile as exc:
        raw = RawTable(Path(path).name, pd.DataFrame(), np.zeros(0, np.int64))
        chk = RowChecker(raw)
        chk.file_problem("unreadable_file", str(exc))
        return chk, chk.finish(pd.DataFrame())
    chk = RowChecker(raw, coded)
    if len(raw.frame) == 0 and not raw.broken_rows and not raw.lost_rows:
        chk.file_problem("empty_file", f"{raw.source} holds no {what} rows")
        return chk, chk.finish(pd.DataFrame())
    if not chk.require_columns(required):
        return chk, chk.finish(pd.DataFrame())
    # Before the blank test: an id of only zero-width spaces is an empty id.
    chk.clean_ids()
    chk.require_values(required if values is None else values)
    return chk, None
