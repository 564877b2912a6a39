"""Whole-population co-presence: every pair of people who shared a venue, with their overlap.

Tracing answers "who met this case"; researchers building a contact network need every
co-present pair at once. :func:`copresence` sweeps each venue's visits once, sorted by
entry, and pairs each visit with the later entries that begin before it ends, which is
what tracing every person as a case would find, without the per-case queries.
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tracelab._atomic import atomic_path
from tracelab._i18n import msg
from tracelab._time import NS_PER_MIN, timestamp_ns, to_ns
from tracelab.index.graph import VisitGraph
from tracelab.model import schema as s
from tracelab.model.rules import Rule, as_rule

__all__ = ["copresence", "copresence_chunks", "write_copresence", "copresence_graph"]

PERSON_A, PERSON_B, N_OVERLAPS, FIRST_AT = s.PERSON_A, s.PERSON_B, s.N_OVERLAPS, s.FIRST_AT
OVERLAP_MINUTES = s.OVERLAP_MIN
COLUMNS = s.COPRESENCE_COLUMNS
#: Rule parameters whose matching is not symmetric in the two people (or not a plain
#: interval overlap): a pair would depend on which of them is the case.
_ASYMMETRIC = ("lingering_minutes", "min_case_stay_minutes", "rounding_minutes")


def _check_rule(r: Rule) -> None:
    bad = [name for name in _ASYMMETRIC if getattr(r, name)]
    if r.day_split:
        bad.append("day_split")
    if r.boundary == "nz_strict_entry":
        bad.append("boundary='nz_strict_entry'")
    if bad:
        raise ValueError(
            msg("rule {rule_id}: co-presence needs a symmetric interval rule, but {names} make a "
                "pair depend on who is the case; use a rule without them (e.g. twenty or "
                "same_day) or trace the cases one by one", rule_id=r.rule_id,
                names=", ".join(bad)))


def _ids(graph: VisitGraph) -> np.ndarray:
    """The graph's person ids as text, sorted (codes of the pair keys)."""
    return np.sort(pd.Series(graph.person_ids).astype(str).to_numpy())


def _visit_arrays(graph: VisitGraph, r: Rule, since: int | None, until: int | None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Venue code, person code, entry and exit (ns) of the visits that count, by venue and entry."""
    v = graph.visits()
    if not r.share_residences:
        v = v[~v[s.VENUE_ID].isin(graph.venues.loc[graph.venue_residence, s.VENUE_ID])]
    t_in, t_out = to_ns(v[s.T_IN]), to_ns(v[s.T_OUT])
    if since is not None:
        t_in = np.maximum(t_in, since)
    if until is not None:
        t_out = np.minimum(t_out, until)
    keep = t_out > t_in if r.boundary == "half_open" else t_out >= t_in
    venue = pd.Index(graph.venue_ids).get_indexer(v[s.VENUE_ID].to_numpy())[keep]
    # People are coded by the text order of their ids, so a pair's key already has
    # person_a < person_b and the output needs no string comparison.
    person = pd.Index(_ids(graph)).get_indexer(v[s.PERSON_ID].astype(str).to_numpy())[keep]
    t_in, t_out = t_in[keep], t_out[keep]
    order = np.lexsort((t_in, venue))
    return venue[order], person[order], t_in[order], t_out[order]


_Pairs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # key, minutes, count, first


def _sorted_keys(key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys sorted and the order that sorts them.

    numpy sorts int64 values with SIMD but argsorts them an order of magnitude slower, so
    each key is packed with its position into one int64 and the packed values are sorted;
    only when key and position need more than 63 bits does it fall back to ``argsort``.
    Sums and minima per key do not depend on the order within a key.
    """
    shift = max(len(key) - 1, 1).bit_length()
    if max(n_keys - 1, 1).bit_length() + shift > 63:
        order = np.argsort(key)
        return key[order], order
    packed = np.sort((key << shift) | np.arange(len(key), dtype=np.int64))
    return packed >> shift, packed & ((1 << shift) - 1)


def _reduce(key: np.ndarray, minutes: np.ndarray, count: np.ndarray | None,
            first: np.ndarray, n_keys: int) -> _Pairs:
    """Sum minutes and counts, keep the earliest start, per pair key (``count`` None: ones)."""
    key, order = _sorted_keys(key, n_keys)
    heads = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = (np.diff(np.r_[heads, len(key)]) if count is None
              else np.add.reduceat(count[order], heads))
    return (key[heads], np.add.reduceat(minutes[order], heads), counts,
            np.minimum.reduceat(first[order], heads))


def _chunk_pairs(r: Rule, arrays: tuple[np.ndarray, ...], count: np.ndarray, a: int, b: int,
                 minimum: float, n_people: np.int64) -> _Pairs | None:
    """The reduced pairs of visits ``a:b`` (whole venues) with their later overlapping entries."""
    person, t_in, t_out = arrays
    i = np.repeat(np.arange(a, b), count[a:b])
    if not len(i):
        return None
    within = np.arange(len(i)) - np.repeat(np.cumsum(count[a:b]) - count[a:b], count[a:b])
    j = i + 1 + within
    start = t_in[j]  # entries are sorted: the later entry starts the overlap
    end = np.minimum(t_out[i], t_out[j])
    minutes = (end - start) / NS_PER_MIN
    p, q = person[i], person[j]
    ok = (p != q) & (minutes >= minimum)
    if r.boundary == "half_open":
        ok &= end > start
    if not ok.any():
        return None
    p, q = p[ok].astype(np.int64), q[ok].astype(np.int64)
    key = np.minimum(p, q) * n_people + np.maximum(p, q)
    return _reduce(key, minutes[ok], None, start[ok], int(n_people) ** 2)


def copresence_chunks(graph: VisitGraph, rule: str | Rule = "twenty", *, since: Any = None,
                      until: Any = None, min_overlap_minutes: float | None = None,
                      chunk_pairs: int = 2_000_000, workers: int = 2) -> Iterator[_Pairs]:
    """Co-present pairs of people, reduced per chunk of about ``chunk_pairs`` visit pairs.

    Each chunk covers whole venues and yields ``(key, minutes, count, first)`` arrays sorted
    by key, the key being ``code_a * n_people + code_b`` of the graph's person codes
    (``a < b``); a pair met at venues of several chunks appears in each (:func:`copresence`
    sums them). Chunks are computed by ``workers`` threads (numpy releases the GIL in its
    sorts and gathers) and yielded in order. Arguments as :func:`copresence`.
    """
    r = as_rule(rule)
    _check_rule(r)
    lo = timestamp_ns(since) if since is not None else None
    hi = timestamp_ns(until) if until is not None else None
    minimum = (r.min_overlap_minutes if min_overlap_minutes is None else min_overlap_minutes)
    venue, person, t_in, t_out = _visit_arrays(graph, r, lo, hi)
    n, n_people = len(venue), np.int64(max(len(graph.person_ids), 1))
    if not n:
        return
    starts = np.flatnonzero(np.r_[True, venue[1:] != venue[:-1]])
    ends = np.r_[starts[1:], n]
    side: Literal["left", "right"] = "left" if r.boundary == "half_open" else "right"
    # For each visit, the end of its run of later entries that begin before it ends.
    reach = np.empty(n, dtype=np.int64)
    for a, b in zip(starts, ends, strict=True):
        reach[a:b] = a + np.searchsorted(t_in[a:b], t_out[a:b], side=side)
    count = np.maximum(reach - np.arange(n) - 1, 0)
    # Chunks of whole venues, each with about chunk_pairs candidate pairs.
    cum = np.cumsum(np.add.reduceat(count, starts))
    cuts = np.searchsorted(cum, np.arange(chunk_pairs, int(cum[-1]) + chunk_pairs, chunk_pairs))
    bounds = np.unique(np.minimum(np.r_[0, cuts + 1, len(starts)], len(starts)))
    ranges = [(int(starts[f]), int(ends[t - 1])) for f, t in zip(bounds[:-1], bounds[1:],
                                                                   strict=True)]
    workers = max(workers, 1)
    pending: deque[Future[_Pairs | None]] = deque()
    with ThreadPoolExecutor(workers) as pool:
        for k, (lo_visit, hi_visit) in enumerate(ranges, start=1):
            pending.append(pool.submit(_chunk_pairs, r, (person, t_in, t_out), count,
                                       lo_visit, hi_visit, minimum, n_people))
            # At most `workers` chunks in flight: memory holds a few chunks, not all pairs.
            while pending and (len(pending) >= workers or k == len(ranges)):
                part = pending.popleft().result()
                if part is not None:
                    yield part


def _bucket_edges(n_people: int, n_buckets: int) -> np.ndarray:
    """Key boundaries of ``n_buckets`` ranges holding about equal shares of all pairs.

    Person ``a`` has ``n - 1 - a`` partners above it, so the pairs below ``a = x`` grow as
    ``x (2n - x)``: the boundaries are at ``x = n (1 - sqrt(1 - k / n_buckets))``.
    """
    n = max(n_people, 1)
    x = np.floor(n * (1 - np.sqrt(1 - np.arange(n_buckets + 1) / n_buckets))).astype(np.int64)
    edges = x * n
    edges[-1] = n * n
    return edges


def _buckets(graph: VisitGraph, rule: str | Rule, since: Any, until: Any,
             min_overlap_minutes: float | None, n_buckets: int) -> Iterator[_Pairs]:
    """Pairs summed over all chunks, one range of keys at a time (bounded memory), in order.

    Each chunk's sorted keys are cut at :func:`_bucket_edges` and appended to one raw
    temporary file per range and column; then each range is read back and reduced: no step
    holds more than one range's pairs, and the ranges come out in key order, so the whole
    output is sorted.
    """
    n_people = max(len(graph.person_ids), 1)
    edges = _bucket_edges(n_people, n_buckets)
    with tempfile.TemporaryDirectory(prefix="tracelab-pairs-") as tmp, ExitStack() as stack:
        names = [[Path(tmp) / f"{k}_{c}.bin" for c in range(4)] for k in range(n_buckets)]
        files = [[stack.enter_context(open(f, "wb")) for f in row] for row in names]
        for part in copresence_chunks(graph, rule, since=since, until=until,
                                      min_overlap_minutes=min_overlap_minutes):
            cuts = np.searchsorted(part[0], edges)
            for k in range(n_buckets):
                for column, out in zip(part, files[k], strict=True):
                    column[cuts[k]:cuts[k + 1]].tofile(out)
        stack.close()
        for k in range(n_buckets):
            key, minutes, count, first = (np.fromfile(f, dtype=d) for f, d in zip(
                names[k], (np.int64, np.float64, np.int64, np.int64), strict=True))
            for f in names[k]:
                f.unlink()  # the disk holds each pair once, not twice
            if len(key):
                yield _reduce(key, minutes, count, first, n_people ** 2)


def _named(graph: VisitGraph, pairs: _Pairs) -> pd.DataFrame:
    """The pairs as a frame sorted by (person_a, person_b): keys sort as the names do."""
    key, minutes, count, first = pairs
    n_people = np.int64(max(len(graph.person_ids), 1))
    ids = _ids(graph)
    return pd.DataFrame({
        PERSON_A: pd.array(ids[key // n_people], dtype="str"),
        PERSON_B: pd.array(ids[key % n_people], dtype="str"),
        OVERLAP_MINUTES: minutes.astype(np.float64), N_OVERLAPS: count.astype(np.int64),
        FIRST_AT: pd.DatetimeIndex(first.astype("datetime64[ns]"), tz="UTC"),
    })


def _arrow(graph: VisitGraph, pairs: _Pairs) -> Any:
    """The pairs as an Arrow table, ids dictionary-encoded (no string per row)."""
    import pyarrow as pa

    key, minutes, count, first = pairs
    n_people = np.int64(max(len(graph.person_ids), 1))
    names = pa.array(_ids(graph), type=pa.string())
    return pa.table({
        PERSON_A: pa.DictionaryArray.from_arrays(pa.array(key // n_people), names),
        PERSON_B: pa.DictionaryArray.from_arrays(pa.array(key % n_people), names),
        OVERLAP_MINUTES: pa.array(minutes, type=pa.float64()),
        N_OVERLAPS: pa.array(count, type=pa.int64()),
        FIRST_AT: pa.array(first.astype("datetime64[ns]"), type=pa.timestamp("ns", tz="UTC")),
    })


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in zip(
        COLUMNS, ("str", "str", "float64", "int64", "datetime64[ns, UTC]"), strict=True)})


def copresence(graph: VisitGraph, rule: str | Rule = "twenty", *, since: Any = None,
               until: Any = None, min_overlap_minutes: float | None = None) -> pd.DataFrame:
    """Every pair of people present at one venue at one time, with their total overlap.

    Parameters
    ----------
    graph : VisitGraph
        The visits (built under the rule's dwell assumption).
    rule : str or Rule
        A symmetric rule: no lingering, rounding, day split, minimum case stay or NZ
        boundary (those make a pair depend on who is the case: trace cases instead).
        ``boundary`` (half-open or closed), ``share_residences`` and
        ``min_overlap_minutes`` apply as in :func:`tracelab.tracing.forward.trace`.
    since, until : tz-aware time, optional
        The period; visits are clipped to it.
    min_overlap_minutes : float, optional
        Keep overlaps of at least this many minutes (each visit pair, as tracing does);
        default the rule's.

    Returns
    -------
    pandas.DataFrame
        ``person_a`` < ``person_b``, ``overlap_minutes`` (summed over venues and visits),
        ``n_overlaps`` and ``first_at``; sorted by the pair. Equal to tracing every person
        as a case over the period and summing each pair's overlaps. For populations whose
        pairs do not fit in memory, :func:`write_copresence` streams them to Parquet.

    Examples
    --------
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:20", "2022-11-20 02:40"],
    ...                    utc=True)
    >>> scans = pd.DataFrame({"person_id": ["A", "B", "C"], "venue_id": "V1",
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["restaurant"]})
    >>> copresence(VisitGraph.from_scans(scans, venues))[["person_a", "person_b",
    ...                                                    "overlap_minutes"]]
      person_a person_b  overlap_minutes
    0        A        B             40.0
    1        A        C             20.0
    2        B        C             40.0
    """
    parts = list(copresence_chunks(graph, rule, since=since, until=until,
                                   min_overlap_minutes=min_overlap_minutes))
    if not parts:
        return _empty()
    key, minutes, count, first = (np.concatenate([p[i] for p in parts]) for i in range(4))
    joined = _reduce(key, minutes, count, first, max(len(graph.person_ids), 1) ** 2)
    return _named(graph, joined)


def write_copresence(graph: VisitGraph, path: str | Path, rule: str | Rule = "twenty", *,
                     since: Any = None, until: Any = None,
                     min_overlap_minutes: float | None = None, n_buckets: int = 16) -> Path:
    """Write :func:`copresence` as a Parquet edge list, whole or absent, in bounded memory.

    Pairs are summed one bucket of keys at a time and written as row groups, so memory
    holds about one bucket (``1 / n_buckets`` of the pairs), not the whole list; the file
    is written to a temporary name and renamed. Ids are dictionary-encoded (pandas reads
    them as categoricals); rows are sorted by the pair, as :func:`copresence` returns them.

    Returns the path written.
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        _write_pairs(graph, tmp, rule, since, until, min_overlap_minutes, n_buckets)
    return target


def _write_pairs(graph: VisitGraph, tmp: Path, rule: str | Rule, since: Any, until: Any,
                 min_overlap_minutes: float | None, n_buckets: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    written: Future[None] | None = None
    try:
        # One range is written (pyarrow releases the GIL) while the next one is reduced.
        with ThreadPoolExecutor(1) as pool:
            for part in _buckets(graph, rule, since, until, min_overlap_minutes, n_buckets):
                table = _arrow(graph, part)
                writer = writer or pq.ParquetWriter(tmp, table.schema)
                if written is not None:
                    written.result()
                written = pool.submit(writer.write_table, table)
            if written is not None:
                written.result()
        if writer is None:  # no pair: an empty file with the columns
            pq.write_table(pa.Table.from_pandas(_empty(), preserve_index=False), tmp)
    finally:
        if writer is not None:
            writer.close()


def copresence_graph(edges: pd.DataFrame, people: Any = None,
                     min_overlap_minutes: float = 0.0) -> Any:
    """A networkx graph of co-presence edges, for a subpopulation small enough to hold.

    ``people`` (an iterable of ids) keeps edges whose both ends are in it; edges under
    ``min_overlap_minutes`` in total are dropped. Edge attributes: ``overlap_minutes`` and
    ``n_overlaps``.

    Examples
    --------
    >>> e = pd.DataFrame({"person_a": ["A", "A"], "person_b": ["B", "C"],
    ...                   "overlap_minutes": [40.0, 5.0], "n_overlaps": [1, 1]})
    >>> sorted(copresence_graph(e, min_overlap_minutes=10).edges)
    [('A', 'B')]
    """
    import networkx as nx

    keep = edges[OVERLAP_MINUTES] >= min_overlap_minutes
    if people is not None:
        chosen = set(people)
        keep &= edges[PERSON_A].isin(chosen) & edges[PERSON_B].isin(chosen)
    g = nx.Graph()
    for a, b, m, k in edges.loc[keep, [PERSON_A, PERSON_B, OVERLAP_MINUTES,
                                       N_OVERLAPS]].itertuples(index=False):
        g.add_edge(a, b, overlap_minutes=float(m), n_overlaps=int(k))
    return g
