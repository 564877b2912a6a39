"""Outputs whole or absent: every file tracelab writes goes through :func:`atomic_path`.

A file is written under a temporary name in its own folder, flushed to disk with
``fsync``, then renamed over the target; a crash or a full disk at any point leaves either
the previous file or the new one, never a part. The folder is fsynced after the rename so
that the new name survives a power cut too.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_bytes", "write_text", "fsync_path", "FAULT_ENV", "fault_point"]

#: Test-only hook (tests/test_faults.py), read by :func:`fault_point`:
#: ``<stage>`` kills the process with SIGKILL at that named stage, as ``kill -9`` would;
#: ``@<k>`` kills it at the k-th fault point it passes; ``enospc@<k>`` raises "No space left
#: on device" there instead; ``count:<file>`` appends each stage passed to the file.
FAULT_ENV = "TRACELAB_FAULT"
_passed = 0


def fault_point(stage: str) -> None:
    """A place where a crash is simulated in tests; does nothing unless asked (tests only).

    Stages are named ``<part>:<step>``, e.g. ``"trace:written"``. They sit through the
    real work of every command (loading, checking, indexing, writing, committing), so
    that a fault-injection test can kill a command anywhere in it and check that its
    outputs are whole or absent. Without the environment variable a call costs one
    dictionary lookup.

    Examples
    --------
    >>> fault_point("doc:example")  # TRACELAB_FAULT not set: returns
    """
    how = os.environ.get(FAULT_ENV)
    if not how:
        return
    global _passed
    _passed += 1
    if how.startswith("count:"):
        with open(how[len("count:"):], "a", encoding="utf-8") as log:
            log.write(stage + "\n")
        return
    if how == f"enospc@{_passed}":
        import errno

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"(fault point {stage})")
    if how in (stage, f"@{_passed}"):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def fsync_path(path: str | Path) -> None:
    """Flush a file or folder to disk (folders: where the OS allows it)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if Path(path).is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # some systems cannot open folders; the rename is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass  # folders on some file systems refuse fsync
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside `target`; on success it is fsynced and renamed to `target`.

    If the block raises (or the process dies), the temporary file is removed (or left as
    a hidden ``.<name>.<pid>.tmp``) and `target` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("x\\n1\\n")
    >>> out.read_text()
    'x\\n1\\n'
    """
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        fault_point("atomic:written")
        if tmp.is_file():
            fsync_path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            if tmp.is_dir():
                import shutil

                shutil.rmtree(tmp)
            else:
                tmp.unlink()
        raise
    fsync_path(target.parent)
    fault_point("atomic:renamed")


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write `data` to `target` whole or not at all; return the path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` to `target` whole or not at all; return the path."""
    return write_bytes(target, text.encode(encoding))
