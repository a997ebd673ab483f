"""Atomic file replacement: a reader sees the old bytes or the new ones, never a mix."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o600
TEMP_SUFFIX = ".tmp"

FileSignature = tuple[int, int, int]
"""(inode, size, mtime_ns): cheap evidence that a file is the one we last saw."""


def signature(st: os.stat_result) -> FileSignature:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def temp_prefix(path: Path) -> str:
    return f"{path.name}."


def atomic_write(path: Path, data: bytes) -> FileSignature:
    """Write `data` to `path` through a temp file, fsync, `os.replace`, fsync the directory.

    On any failure the temp file is removed and the live file is untouched. New files
    get mode 0600; an existing file keeps its mode.
    """
    try:
        existing_mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        existing_mode = None
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        try:
            os.fchmod(fd, NEW_FILE_MODE if existing_mode is None else existing_mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(path.parent)
    return signature(st)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; best effort, since the new file is already in place."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: Random characters `tempfile.mkstemp` puts between the prefix and the suffix.
TEMP_RANDOM_CHARS = 8


def temp_name_bytes(path: Path) -> int:
    """Length in bytes of the temp file names `atomic_write(path, ...)` creates."""
    return len(temp_prefix(path).encode("utf-8")) + TEMP_RANDOM_CHARS + len(TEMP_SUFFIX)


def sweep_stale_temps(path: Path) -> int:
    """Remove temp files a killed writer left behind; call only while holding the lock.

    Used for the store file and for its published-memory sidecar alike: both are
    written under the store's lock, so no live writer can be filling a temp swept here.
    """
    removed = 0
    pattern = re.compile(
        re.escape(temp_prefix(path)) + f"[a-z0-9_]{{{TEMP_RANDOM_CHARS}}}" + re.escape(TEMP_SUFFIX)
    )
    try:
        names = os.listdir(path.parent)
    except OSError:
        return 0
    for name in names:
        if pattern.fullmatch(name):
            with contextlib.suppress(OSError):
                os.unlink(path.parent / name)
                removed += 1
    return removed
