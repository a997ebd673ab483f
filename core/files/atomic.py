"""Atomic file replacement: a reader sees the old bytes or the new ones, never a mix."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o600
TEMP_SUFFIX = ".tmp"

FileSignature = tuple[int, int, int]
"""(inode, size, mtime_ns): cheap evidence that a file is the one we last saw."""


#: The coarsest file timestamps in use (FAT's 2 s; ext2/ext3 and, before Linux 6.13,
#: ext4 and xfs tick once a second or once a jiffy). A file modified less than this
#: before it was read can be rewritten, size and all, without its mtime moving.
RACY_WINDOW_NS = 2_000_000_000


def signature(st: os.stat_result) -> FileSignature:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def settled(sig: FileSignature | None, read_started_ns: int) -> FileSignature | None:
    """`sig` if it can later prove "unchanged", else None (the "racy git" rule).

    A file modified within `RACY_WINDOW_NS` before the read began can still change
    within the same timestamp tick, keeping inode, size and mtime.
    """
    if sig is None or read_started_ns - sig[2] <= RACY_WINDOW_NS:
        return None
    return sig


def temp_prefix(path: Path) -> str:
    return f"{path.name}."


def directory_gone(directory: Path) -> FileNotFoundError:
    """The error for a write into a directory that was deleted or moved away."""
    return FileNotFoundError(
        errno.ENOENT, f"the directory {directory} is gone (deleted or moved away)"
    )


def _refusal(path: Path, st: os.stat_result) -> OSError | None:
    """Why an existing `path` must not be replaced at all, or None."""
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return OSError(
            errno.ELOOP,
            f"it is a symbolic link to {target}; replacing it would put a copy in place of"
            " the link, so write to the target itself",
        )
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISREG(st.st_mode) and not mode & 0o222:
        return PermissionError(errno.EACCES, f"the file is read-only (mode {mode:04o})")
    return None


def _give_owner(fd: int, st: os.stat_result) -> None:
    """Give the temp file `st`'s owner and group, or refuse: a flush never takes a file over."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) == (st.st_uid, st.st_gid):
        return
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except PermissionError:
        raise PermissionError(
            errno.EPERM,
            f"it belongs to uid {st.st_uid}, gid {st.st_gid}, and this process (uid"
            f" {os.geteuid()}) cannot give a replacement that owner",
        ) from None


def atomic_write(path: Path, data: bytes) -> FileSignature:
    """Write `data` to `path` through a temp file, fsync, `os.replace`, fsync the directory.

    On any failure the temp file is removed and the live file is untouched. New files
    get mode 0600; an existing file keeps its mode, owner and group. Refused, with
    nothing written: a symbolic link at `path` (the rename would replace the link
    with a copy), a file without any write bit, and a file whose owner or group this
    process cannot give the replacement (another account's file, written by non-root).
    """
    try:
        existing: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None:
        refusal = _refusal(path, existing)
        if refusal is not None:
            raise refusal
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    except FileNotFoundError:
        raise directory_gone(path.parent) from None
    try:
        try:
            if existing is not None:
                _give_owner(fd, existing)
            # After the chown, which may clear set-id bits.
            os.fchmod(fd, NEW_FILE_MODE if existing is None else stat.S_IMODE(existing.st_mode))
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
