"""Scans to presence intervals, as integer arrays: the core of :func:`tracelab.index.presence.visits`.

:func:`sort_scans` does what every dwell assumption shares: it codes person and venue ids
(codes in id order), sorts the scans by person, entry, venue and exit, and finds each
scan's next later scan of the same person and its venue type's dwell. :func:`presence`
then gives one rule's intervals from that. ``visits`` builds its frame from the two; a
store's ingest (:mod:`tracelab.index.county_build`) sorts once and indexes every dwell
assumption from the codes, without a column of strings per assumption.

The sorts are of integers: pseudonyms (``p_`` and 16 hex digits) are read as 64-bit
numbers that sort as the text does (:func:`_hex_keys`), and the keys of a lexicographic
order are packed into one int64 with the row number where they fit (:func:`_lexorder`),
so one vectorised sort of values replaces a stable sort per key. The results are those
of ``pd.factorize(..., sort=True)`` and ``np.lexsort``, ties included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab._time import NS_PER_DAY, NS_PER_MIN, NS_PER_S, to_ns
from tracelab._validate import require_columns
from tracelab.model import schema as s
from tracelab.model.rules import Rule

__all__ = ["SortedScans", "Presence", "sort_scans", "presence", "SOURCE_CODES"]

#: Code of each ``t_out_source`` (its position in ``schema.T_OUT_SOURCES``).
SOURCE_CODES = {name: i for i, name in enumerate(s.T_OUT_SOURCES)}
_EXIT, _NEXT, _MODEL, _DAY_END = (SOURCE_CODES[k] for k in (s.EXIT_SCAN, s.NEXT_SCAN,
                                                             s.DWELL_MODEL, s.DAY_END))
_NEVER = np.iinfo(np.int64).max


def _midnights(ns: np.ndarray, zone: str, days: tuple[int, ...]) -> list[np.ndarray]:
    """For each of `days`, the local midnight that many days after each instant's day starts.

    As UTC ns. Calendar days in ``zone``: across a clock change a day is 23 or 25 hours
    long. The midnight depends on the local date only, so it is found once per date.
    """
    local = pd.DatetimeIndex(ns.view("datetime64[ns]"), tz="UTC").tz_convert(zone)
    wall = local.tz_localize(None)
    date = np.floor_divide(wall.asi8, NS_PER_DAY)
    first = int(date.min()) if len(date) else 0
    span = int(date.max()) - first + 1 if len(date) else 0
    each = not len(ns) or span > len(ns) or bool(wall.isna().any())
    found = []
    for step in days:
        when = (wall.normalize() if each else
                pd.DatetimeIndex(((np.arange(span) + first) * NS_PER_DAY).view("datetime64[ns]")))
        midnight = (when + pd.Timedelta(days=step)).tz_localize(
            zone, ambiguous="NaT", nonexistent="shift_forward"
        ).tz_convert("UTC").as_unit("ns").asi8
        found.append(midnight if each else midnight[date - first])
    return found


def _midnight(ns: np.ndarray, zone: str, days: int) -> np.ndarray:
    """The local midnight ``days`` after the start of each instant's local day, as UTC ns."""
    return _midnights(ns, zone, (days,))[0]


def _char_matrix(values: object) -> np.ndarray | None:
    """The characters of equal-length ids as an (n, width) integer matrix, else None.

    Takes a numpy ``U`` array (code points) or an Arrow-backed string column (UTF-8
    bytes, read in place); any other column, a missing id or unequal lengths give None.
    """
    if isinstance(values, np.ndarray):
        if values.dtype.kind != "U" or not values.dtype.itemsize or values.ndim != 1:
            return None
        width = values.dtype.itemsize // 4
        return np.ascontiguousarray(values).view(np.uint32).reshape(len(values), width)
    array = getattr(values, "array", values)
    if getattr(getattr(array, "dtype", None), "storage", None) != "pyarrow":
        return None
    import pyarrow as pa

    found = pa.array(array)
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks()
    if not (pa.types.is_string(found.type) or pa.types.is_large_string(found.type)):
        return None  # string views keep no offsets
    if found.null_count or not len(found):
        return None
    _, offsets_buf, data_buf = found.buffers()
    itype = np.int64 if pa.types.is_large_string(found.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=itype)[found.offset:found.offset + len(found) + 1]
    width = int(offsets[1] - offsets[0])
    if not width or np.any(np.diff(offsets) != width):
        return None
    data = np.frombuffer(data_buf, dtype=np.uint8)
    return data[int(offsets[0]):int(offsets[0]) + width * len(found)].reshape(-1, width)


_ONES = np.uint64(0x0101010101010101)
_BLOCK = 1 << 15  # rows a step: the step's temporaries stay in the cache


def _hex_words(words: np.ndarray) -> np.ndarray | None:
    """The numbers that pairs of words of eight lower-case hex digits each write, else None.

    Each byte's digit at once (SWAR): '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66.
    """
    keys = np.empty(len(words), dtype=np.uint64)
    for at in range(0, len(words), _BLOCK):
        word = words[at:at + _BLOCK]
        digit = word & np.uint64(0x0F0F0F0F0F0F0F0F)
        scratch = word >> np.uint64(6)
        scratch &= _ONES
        scratch *= np.uint64(9)
        digit += scratch
        # A digit, if written back, gives the byte read: else the id is not lower-case hex.
        np.add(digit, _ONES * np.uint64(0x76), out=scratch)
        scratch &= _ONES * np.uint64(0x80)
        scratch >>= np.uint64(7)
        scratch *= np.uint64(0x27)
        scratch += digit
        scratch += _ONES * np.uint64(0x30)
        if not np.array_equal(scratch, word):
            return None
        np.add(digit, _ONES * np.uint64(0x70), out=scratch)
        scratch &= _ONES * np.uint64(0x80)
        if scratch.any():  # 'g'-'o' read as 16-24
            return None
        digit.byteswap(inplace=True)  # the first digit in the high byte: pack them pairwise
        for shift, mask in ((4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF), (16, 0xFFFFFFFF)):
            np.right_shift(digit, np.uint64(shift), out=scratch)
            digit |= scratch
            digit &= np.uint64(mask)
        out = keys[at:at + _BLOCK]
        np.left_shift(digit[:, 0], np.uint64(32), out=out)
        out |= digit[:, 1]
    return keys


def _hex_keys(values: object) -> tuple[np.ndarray, tuple[int, bytes]] | None:
    """uint64 keys that sort and compare as the ids do, and the ids' shape; else None.

    For ids of one length made of a common prefix and up to 16 lower-case hex digits
    (pseudonyms ``p_`` + 16 hex digits, venue codes of decimal digits): the digits read
    as a number sort as the text does, and integers hash and sort many times faster
    than strings. Keys of two columns compare only if their shapes are equal.
    """
    chars = _char_matrix(values)
    if chars is None or not len(chars):
        return None
    lead = max(chars.shape[1] - 16, 0)
    prefix = chars[0, :lead]
    if lead and (prefix.max() > 127 or not (chars[:, :lead] == prefix).all()):
        return None  # an ASCII prefix: its bytes and its characters are one
    digits = np.full((len(chars), 16), ord("0"), dtype=np.uint8)  # leading zeros
    tail = chars[:, lead:]
    if tail.dtype != np.uint8 and tail.max() > 127:
        return None
    digits[:, 16 - tail.shape[1]:] = tail
    keys = _hex_words(digits.view("<u8"))
    if keys is None:
        return None
    return keys, (chars.shape[1], prefix.astype(np.uint32).tobytes())


def _coded_ids(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values.astype(str), sort=True)``, the ids as an object array.

    Pseudonym-like ids (:func:`_hex_keys`) are coded through their integer keys.
    """
    found = _hex_keys(values)
    if found is None:
        code, uniq = pd.factorize(values.astype(str), sort=True)
        return code, np.asarray(uniq, dtype=object)
    keys = found[0]
    by_key = np.argsort(keys)  # vectorised; equal keys are one id, whatever their order
    ordered = keys[by_key]
    fresh = np.ones(len(keys), dtype=bool)
    fresh[1:] = ordered[1:] != ordered[:-1]
    code = np.empty(len(keys), dtype=np.intp)
    code[by_key] = np.cumsum(fresh) - 1
    uniq = pd.Series(values.array.take(by_key[fresh]))
    return code, uniq.to_numpy(dtype=object)


def _fields(keys: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
    """The leading `keys` (primary first) that fit in 63 bits together: (key, bits) each.

    Each key is shifted to start at 0; a key of whole seconds in ns (entry times) is
    divided by a second first, so that a person, an entry and a venue fit.
    """
    found: list[tuple[np.ndarray, int]] = []
    used = 0
    for key in keys:
        lo, hi = int(key.min()), int(key.max())
        span = hi - lo
        if span >= 2**62:  # a missing time (NaT): leave it to the tie-break
            break
        shifted = key.astype(np.int64) - lo
        if used + span.bit_length() > 63 and span >= NS_PER_S and not np.any(shifted % NS_PER_S):
            shifted //= NS_PER_S
            span //= NS_PER_S
        if used + span.bit_length() > 63:
            break
        found.append((shifted, span.bit_length()))
        used += span.bit_length()
    return found


def _pack(fields: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 of `fields`, the first one in the high bits: it sorts as they do."""
    packed = fields[0][0].copy()
    for key, bits in fields[1:]:
        packed <<= bits
        packed |= key
    return packed


def _ordered_runs(keys: list[np.ndarray], held: int, order: np.ndarray,
                  run_key: np.ndarray) -> np.ndarray:
    """`order` (by the first `held` keys, `run_key` in that order) with ties as lexsort has them.

    Rows equal in the first keys are ordered by the other keys and their input position.
    """
    tie = run_key[1:] == run_key[:-1]
    if tie.any():
        member = np.zeros(len(order), dtype=bool)
        member[1:] = tie
        member[:-1] |= tie
        at = np.flatnonzero(member)
        run = np.cumsum(np.concatenate(([True], ~tie)))[at]  # runs stay where they are
        rows = order[at]
        rest = [k[rows] for k in keys[held:]]
        order[at] = rows[np.lexsort((rows, *rest[::-1], run))]
    return order


def _lexorder(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """``np.lexsort(keys)`` of integer keys (the last one primary, ties in input order).

    The leading keys are packed into one int64 (:func:`_fields`). Where the row
    numbers fit in its low bits too, numpy's sort of values (vectorised, an order of
    magnitude faster than the lexsort's one stable sort per key, and than an argsort
    of millions) sorts it and the rows are read off; else its argsort, not stable. Rows
    equal in the packed keys are then ordered as lexsort does (:func:`_ordered_runs`).
    """
    primary_first = [np.asarray(k) for k in keys[::-1]]
    n = len(primary_first[0]) if primary_first else 0
    fields = _fields(primary_first) if n else []
    if not fields:
        return np.lexsort(keys)
    row_bits = (n - 1).bit_length()
    used = np.cumsum([bits for _, bits in fields])
    with_rows = int(np.searchsorted(used, 63 - row_bits, side="right"))
    if with_rows:
        packed = _pack(fields[:with_rows])
        packed <<= row_bits
        packed |= np.arange(n)
        packed.sort()
        order = packed & ((1 << row_bits) - 1)
        packed >>= row_bits
        # Many ties in the keys left out (rows of one day): pack them all instead.
        if with_rows == len(fields) or np.count_nonzero(packed[1:] == packed[:-1]) < n // 16:
            return _ordered_runs(primary_first, with_rows, order, packed)
    packed = _pack(fields)
    order = np.argsort(packed)
    return _ordered_runs(primary_first, len(fields), order, packed[order])


def _next_later(person: np.ndarray, t_in: np.ndarray) -> np.ndarray:
    """Each row's next strictly later entry of the same person (rows sorted by person, time).

    Scans at one instant (a date-only log puts every scan of a date there) share the next
    later one: they never cut each other.
    """
    n = len(t_in)
    if not n:
        return np.empty(0, dtype=np.int64)
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (person[1:] != person[:-1]) | (t_in[1:] != t_in[:-1])
    starts = np.flatnonzero(new_run)
    run_of = np.cumsum(new_run) - 1
    run_person, run_t = person[starts], t_in[starts]
    nxt = np.full(len(starts), _NEVER, dtype=np.int64)
    same = run_person[1:] == run_person[:-1]
    nxt[:-1] = np.where(same, run_t[1:], _NEVER)
    return nxt[run_of]


@dataclass(frozen=True)
class SortedScans:
    """Scans sorted by person, entry, venue and exit, with what every rule's visits need.

    ``order`` maps sorted rows to input rows; ``person``/``venue`` are codes in the sorted
    ids ``person_ids``/``venue_ids``; ``table_row`` is each scan's row in the venue table.
    """

    order: np.ndarray
    person: np.ndarray
    person_ids: np.ndarray
    venue: np.ndarray
    venue_ids: np.ndarray
    table_row: np.ndarray
    t_in: np.ndarray
    next_later: np.ndarray
    dwell: np.ndarray  # minutes, float
    has_exit: np.ndarray
    exit_at: np.ndarray  # int64 ns, valid where has_exit

    def __len__(self) -> int:
        return len(self.order)


@dataclass(frozen=True)
class Presence:
    """One rule's intervals of :class:`SortedScans`, in visit order.

    ``rows`` picks, for visit ``i``, its sorted scan (the identity but under day-long
    presence, whose visits run by day start); ``start``, ``end`` and ``source``
    (:data:`SOURCE_CODES`) are per visit.
    """

    rows: np.ndarray
    start: np.ndarray
    end: np.ndarray
    source: np.ndarray


def sort_scans(scans: pd.DataFrame, table: pd.DataFrame,
               dwell_minutes: Mapping[str, float] | None = None) -> SortedScans:
    """Sort and code `scans` against the venue table `table` (indexed by ``venue_id``).

    Raises
    ------
    ValueError
        If a time column is not tz-aware, a scan names a venue not in the table, or an
        exit precedes its entry.
    """
    require_columns(scans, (s.PERSON_ID, s.VENUE_ID, s.SCANNED_AT), "scans")
    venue_ids = scans[s.VENUE_ID].astype(str)
    # Integer codes in id order sort as the ids do: a sort of codes is an order of
    # magnitude faster than one of millions of strings, and ties keep their input order.
    vcode, vuniq = pd.factorize(venue_ids, sort=True)
    at = table.index.get_indexer(pd.Index(vuniq))
    if (at < 0).any() or (vcode < 0).any():
        unknown = venue_ids[~venue_ids.isin(table.index)].unique()
        raise ValueError(
            msg("scans: {n} venue_id(s) not in venues, e.g. {unknown}; load with "
                "tracelab.io.read_dir, which rejects unknown venues", n=len(unknown),
                unknown=list(unknown[:3]))
        )
    t_in = to_ns(scans[s.SCANNED_AT], s.SCANNED_AT)
    has_exit_col = s.EXIT_AT in scans and scans[s.EXIT_AT].notna().any()
    # Ties (same person, entry and venue) are ordered by exit so the result does not
    # depend on the input's row order: only the last of them runs past the others.
    exit_key = (to_ns(scans[s.EXIT_AT], s.EXIT_AT) if has_exit_col
                else np.zeros(len(t_in), dtype=np.int64))
    pcode, puniq = _coded_ids(scans[s.PERSON_ID])
    order = _lexorder((exit_key, vcode, t_in, pcode))
    person, t_in, at = pcode[order], t_in[order], at[vcode[order]]
    dwell = table[s.DWELL_MIN].to_numpy(np.float64)
    if dwell_minutes:
        vtype = table[s.VENUE_TYPE].astype(str).to_numpy(dtype=object)
        custom = pd.Series(vtype).map(dict(dwell_minutes)).to_numpy(np.float64)
        dwell = np.where(np.isnan(custom), dwell, custom)
    dwell = dwell[at]
    has_exit = (~scans[s.EXIT_AT].isna().to_numpy()[order] if has_exit_col
                else np.zeros(len(order), dtype=bool))
    exit_ns = exit_key[order]
    bad = has_exit & (exit_ns < t_in)
    if bad.any():
        raise ValueError(
            msg("scans: {n} exit_at before scanned_at (reason exit_before_entry); reject them "
                "on load", n=int(bad.sum()))
        )
    return SortedScans(order, person, puniq, vcode[order],
                       np.asarray(vuniq, dtype=object), at, t_in,
                       _next_later(person, t_in), dwell, has_exit, exit_ns)


def presence(scans: SortedScans, r: Rule) -> Presence:
    """The intervals ``[start, end)`` of sorted scans under rule `r`'s dwell assumption.

    Precedence as documented by :func:`tracelab.index.presence.visits`.
    """
    t_in, n = scans.t_in, len(scans)
    start = t_in
    if r.dwell == "estimated_dwell":
        end = t_in + (scans.dwell * NS_PER_MIN).astype(np.int64)
        source = np.full(n, _MODEL, dtype=np.int8)
    elif r.dwell == "scan_only":
        end = t_in + np.int64(round(r.scan_instant_minutes * NS_PER_MIN))
        source = np.full(n, _MODEL, dtype=np.int8)
    elif r.dwell == "whole_day":
        start, end = _midnights(t_in, r.day_zone, (0, 1))  # the local dates found once
        source = np.full(n, _DAY_END, dtype=np.int8)
    else:
        end = _midnight(t_in, r.day_zone, 1)
        source = np.full(n, _DAY_END, dtype=np.int8)
    has_exit = scans.has_exit
    if has_exit.any():
        end = np.where(has_exit, scans.exit_at, end)
        source = np.where(has_exit, np.int8(_EXIT), source)
        start = np.where(has_exit, t_in, start)
    nxt = scans.next_later
    if r.cut_end == "next_slot" and r.rounding_minutes:
        # NHS roundUp: the slot the next check-in falls in ends the visit (15:15 -> 15:30).
        step = np.int64(r.rounding_minutes) * NS_PER_MIN
        nxt = np.where(nxt == _NEVER, nxt, nxt - np.mod(nxt, step) + step)
    cut = (nxt < end) & ~has_exit & (r.dwell != "whole_day")
    end = np.where(cut, nxt, end)
    source = np.where(cut, np.int8(_NEXT), source)
    end = np.minimum(end, start + np.int64(round(r.max_stay_hours * 60)) * NS_PER_MIN)
    rows = np.arange(n)
    if r.dwell == "whole_day":
        # Day starts keep the person order but not the time order of recorded exits.
        rows = _lexorder((scans.venue, start, scans.person))
    return Presence(rows, start[rows], end[rows], source[rows].astype(np.int8))
