"""A :class:`~tracelab.index.graph.VisitGraph` as files: ``.npy`` arrays opened memory-mapped.

:func:`save_graph` writes the graph's sorted arrays, one ``.npy`` file each, into a folder
and returns what is not an array (dwell, zone, the seek index's parameters, the time
range) as a small dict for the caller's manifest. :func:`open_graph` maps them back with
``np.load(mmap_mode="r")``: opening costs a few file opens, whatever the county's size,
and a query touches only the pages of the venues and people it asks about, so a command
that traces one case reads kilobytes of a gigabyte index. Every array a query needs is
saved, including those the constructor would otherwise derive by a pass over all visits
(the longest stay per segment, each row's venue): a trace touches the pages it needs and
computes nothing at open. Visit ids are derived on first use instead, when they are the
person order (only a visits export asks for them).

Person ids are integer codes inside the arrays; the code -> pseudonym array sits beside
them once for all dwell assumptions (:func:`save_ids`), as fixed-width text so that it
maps too, with a byte twin from which the answers' Arrow string column is built without
one Python object per person.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracelab._i18n import msg
from tracelab.index import kernels as ix
from tracelab.index.graph import VisitGraph

__all__ = ["ARRAYS", "OPTIONAL", "save_graph", "open_graph", "save_array", "load_array", "save_ids",
           "open_ids", "fixed_width_strings", "mapped_file"]

#: The arrays of a saved graph, each ``<name>.npy``.
ARRAYS = ("segment_offsets", "v_person", "v_t_in", "v_t_out", "v_source", "person_offsets",
          "p_pos", "segment_max_stay")
#: Arrays a graph derives when a store lacks them: each row's venue (saved, so that a
#: trace need not derive it), visit ids (saved only when they are not the person order,
#: :attr:`VisitGraph.v_visit_id`).
OPTIONAL = ("v_venue_code", "v_visit_id")
_SEEK = "seek_keys"


def save_array(path: Path, array: np.ndarray) -> None:
    """Write `array` as ``.npy`` at `path` and flush it to disk.

    The file is not atomic by itself: it is written inside a generation folder that is
    renamed into place whole (:mod:`tracelab.io.county_store`). An array that is the
    whole of a ``.npy`` file already (memory-mapped: a previous generation's, which is
    never changed, or one saved a moment ago, :func:`mapped_file`) is hard-linked instead of
    written again.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> save_array(folder / "a.npy", np.arange(3))
    >>> mapped = load_array(folder / "a.npy")
    >>> save_array(folder / "b.npy", mapped)  # the same file under a second name
    >>> os.path.samefile(folder / "a.npy", folder / "b.npy"), load_array(folder / "b.npy").tolist()
    (True, [0, 1, 2])
    """
    source = mapped_file(array)
    if source is not None and _linked(source, path):
        _fsync_file(path)
        return
    # A new file, never one written in place: an old name may be a link to a generation's.
    path.unlink(missing_ok=True)
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _linked(source: Path, path: Path) -> bool:
    """Whether `path` is now `source`'s file (False: another file system, say)."""
    if path.exists():
        return os.path.samefile(source, path)
    try:
        os.link(source, path)
    except OSError:
        return False
    return True


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def mapped_file(array: Any) -> Path | None:
    """The ``.npy`` file whose whole data `array` is, memory-mapped; None for any other array.

    A slice or another view of a mapped file is not the file, nor is a map of part of
    one: the array must start at the file's data and end at its end, with its dtype.
    """
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous:
        return None
    top: Any = array
    while not isinstance(top, np.memmap) or not isinstance(top.base, mmap.mmap):
        if not isinstance(top.base, np.ndarray):
            return None
        top = top.base
    if (top.filename is None or array.ctypes.data != top.ctypes.data
            or array.dtype != top.dtype or array.shape != top.shape
            or not str(top.filename).endswith(".npy")):
        return None
    try:
        if os.path.getsize(top.filename) != top.offset + top.nbytes:
            return None
    except OSError:
        return None
    top.flush()  # a writable map's pages reach the file first
    return Path(top.filename)


def load_array(path: Path, *, mmap: bool = True) -> np.ndarray:
    """The array of a ``.npy`` file, memory-mapped read-only unless `mmap` is False."""
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


def save_graph(graph: VisitGraph, folder: Path) -> dict[str, Any]:
    """Write `graph`'s arrays into `folder` (created); return its non-array parameters.

    Ids and the venue table are not written here: they are shared by the graphs of every
    dwell assumption (:func:`save_ids`; the caller keeps the venue table).

    Examples
    --------
    >>> import tempfile
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:15"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["p_1", "p_2"], "venue_id": ["V1", "V1"],
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> folder = Path(tempfile.mkdtemp())
    >>> meta = save_graph(g, folder / "estimated_dwell")
    >>> meta["dwell"], meta["visits"], sorted(meta["time_range"]) == sorted(g.time_range())
    ('estimated_dwell', 2, True)
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in ARRAYS:
        save_array(folder / f"{name}.npy", getattr(graph, name))
    save_array(folder / "v_venue_code.npy", graph._venue_of())
    if not _person_numbered(graph):
        save_array(folder / "v_visit_id.npy", graph.v_visit_id)
    seek = graph._seek
    if seek is not None:
        save_array(folder / f"{_SEEK}.npy", seek.keys)
    return {"dwell": graph.dwell, "zone": graph.zone, "visits": graph.n_visits,
            "time_range": list(graph.time_range()),
            "seek": None if seek is None else {"t0": seek.t0, "unit": seek.unit,
                                                 "bits_t": seek.bits_t}}


def _person_numbered(graph: VisitGraph) -> bool:
    """Whether visit ids are the person order (as ``from_codes`` of person-ordered visits)."""
    ids = graph._v_visit_id
    if ids is None:
        return True
    at = np.asarray(graph.p_pos)
    return bool(np.array_equal(np.asarray(ids)[at], np.arange(len(at))))


def save_ids(folder: Path, person_ids: np.ndarray, venue_ids: np.ndarray) -> None:
    """Write the sorted person and venue ids (code -> id) as fixed-width text arrays.

    Person ids get a byte twin (``people_bytes.npy``) when they are ASCII, so
    :func:`open_ids` can hand the engine an Arrow string column built on its buffer.
    """
    people = np.asarray(person_ids, dtype=str)
    save_array(folder / "people.npy", people)
    source = mapped_file(people)
    if source is not None and (source.parent / "people_bytes.npy").is_file():
        # A previous generation's people: their twin is beside them, unchanged too.
        save_array(folder / "people_bytes.npy",
                   load_array(source.parent / "people_bytes.npy"))
        twin = None
    else:
        try:
            twin = people.astype("S")
        except UnicodeEncodeError:
            twin = None
    if twin is not None:
        save_array(folder / "people_bytes.npy", twin)
    save_array(folder / "venue_ids.npy", np.asarray(venue_ids, dtype=str))


def fixed_width_strings(values: np.ndarray) -> Any:
    """A pandas ``str`` array over a fixed-width byte array (``S<n>``), zero-copy when full.

    When every value fills its width (pseudonyms all do), the Arrow string array is built
    on the bytes themselves with offsets every ``n`` bytes; otherwise the values are
    decoded one by one.

    Examples
    --------
    >>> fixed_width_strings(np.array([b"p_01", b"p_02"])).tolist()
    ['p_01', 'p_02']
    >>> fixed_width_strings(np.array([b"ab", b"c"])).tolist()
    ['ab', 'c']
    """
    import pyarrow as pa

    n, width = len(values), values.dtype.itemsize
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(n, width) if n else None
    if raw is None or width == 0 or not raw[:, -1].all():
        return pd.array(np.char.decode(values, "ascii").astype(object), dtype="str")
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    arrow = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets),
                                             pa.py_buffer(raw.reshape(-1)))
    return pd.array(arrow, dtype="str")


def open_ids(folder: Path, *, mmap: bool = True) -> tuple[np.ndarray, np.ndarray, Any]:
    """Person ids, venue ids and the person ids' ``str`` array saved by :func:`save_ids`."""
    people = load_array(folder / "people.npy", mmap=mmap)
    twin = folder / "people_bytes.npy"
    take = (fixed_width_strings(load_array(twin, mmap=mmap)) if twin.is_file()
            else pd.array(np.asarray(people, dtype=object), dtype="str"))
    venue_ids = np.asarray(load_array(folder / "venue_ids.npy", mmap=False), dtype=object)
    return people, venue_ids, take


def open_graph(folder: Path, meta: Mapping[str, Any], *, person_ids: np.ndarray,
               person_take: Any, venue_ids: np.ndarray, venues: pd.DataFrame,
               mmap: bool = True) -> VisitGraph:
    """The graph saved in `folder` by :func:`save_graph`, its arrays memory-mapped.

    Parameters
    ----------
    folder : Path
        The graph's folder.
    meta : mapping
        What :func:`save_graph` returned.
    person_ids, person_take, venue_ids
        From :func:`open_ids`.
    venues : pandas.DataFrame
        The venue table per venue code (``VisitGraph.venues`` of the saved graph).
    mmap : bool
        Map the arrays (default) or read them into memory.

    Raises
    ------
    ValueError
        If an array's length does not fit the others (a folder of another graph).

    Examples
    --------
    >>> import tempfile
    >>> t = pd.to_datetime(["2022-11-20 02:00", "2022-11-20 02:15"], utc=True)
    >>> scans = pd.DataFrame({"person_id": ["p_1", "p_2"], "venue_id": ["V1", "V1"],
    ...                       "scanned_at": t})
    >>> venues = pd.DataFrame({"venue_id": ["V1"], "venue_type": ["supermarket"]})
    >>> g = VisitGraph.from_scans(scans, venues)
    >>> folder = Path(tempfile.mkdtemp())
    >>> meta = save_graph(g, folder / "g")
    >>> save_ids(folder, g.person_ids, g.venue_ids)
    >>> people, venue_ids, take = open_ids(folder)
    >>> h = open_graph(folder / "g", meta, person_ids=people, person_take=take,
    ...                venue_ids=venue_ids, venues=g.venues)
    >>> h.visits_at(["V1"], ([t[1]], [t[1]]))["person_id"].tolist()
    ['p_1', 'p_2']
    """
    # An array a graph can derive may be absent (a store written before it was saved).
    arrays = {name: load_array(folder / f"{name}.npy", mmap=mmap)
              for name in (*ARRAYS, *OPTIONAL) if name in ARRAYS
              or (folder / f"{name}.npy").is_file()}
    n = int(meta["visits"])
    short = [name for name in ("v_person", "v_t_in", "v_t_out", "v_source", "p_pos",
                               "v_venue_code", "v_visit_id")
             if name in arrays and len(arrays[name]) != n]
    if short or len(arrays["person_offsets"]) != len(person_ids) + 1:
        raise ValueError(msg("{folder}: arrays {names} do not fit {n} visits and {people} "
                             "people; the index folder is damaged or of another store",
                             folder=folder, names=short or ["person_offsets"], n=n,
                             people=len(person_ids)))
    seek_meta = meta.get("seek")
    seek = None
    if seek_meta is not None:
        seek = ix.Seek(load_array(folder / f"{_SEEK}.npy", mmap=mmap), int(seek_meta["t0"]),
                       int(seek_meta["unit"]), int(seek_meta["bits_t"]))
    start, end = meta["time_range"]
    return VisitGraph(
        venue_ids=venue_ids, person_ids=person_ids,
        segment_offsets=arrays["segment_offsets"], v_person=arrays["v_person"],
        v_t_in=arrays["v_t_in"], v_t_out=arrays["v_t_out"],
        v_visit_id=arrays.get("v_visit_id"),
        v_source=arrays["v_source"], person_offsets=arrays["person_offsets"],
        p_pos=arrays["p_pos"], venues=venues, dwell=str(meta["dwell"]), seek=seek,
        zone=str(meta["zone"]), segment_max_stay=arrays["segment_max_stay"],
        v_venue_code=arrays.get("v_venue_code"), time_range=(int(start), int(end)),
        person_take=person_take)
