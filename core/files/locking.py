"""The store's lock: an `flock` on a permanent sidecar, which other accounts can share."""

from __future__ import annotations

import errno
import os
import random
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .atomic import directory_gone
from .naming import lock_path_for

#: How long a flush waits for another process's flush of the same scope.
DEFAULT_LOCK_TIMEOUT = 30.0


class LockTimeout(Exception):
    """The store lock stayed taken for the whole `lock_timeout`."""


def _open_lock_file(lock: Path, store: Path) -> int:
    """Open (creating if need be) the sidecar lock file, as another account can share it.

    Never creates the directory (a deleted store directory fails the flush instead
    of coming back empty), never follows a symbolic link and never truncates. A
    lock file that another account created is made the store file's (owner, group
    and mode), where this process may: root flushing first must not lock the
    server out. A lock file this process may only read still locks: flock needs
    no write access.
    """
    flags = os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(lock, flags | os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        raise directory_gone(lock.parent) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(exc.errno, f"its lock file {lock} is a symbolic link") from None
        fd = -1
        if isinstance(exc, PermissionError):
            with suppress(OSError):
                fd = os.open(lock, flags | os.O_RDONLY)
        if fd < 0:
            reason = f"cannot open its lock file {lock}: {exc.strerror}"
            raise OSError(exc.errno, reason) from None
    try:
        owner = os.stat(store)
    except OSError:
        return fd
    mine = os.fstat(fd)
    with suppress(OSError):
        if (mine.st_uid, mine.st_gid) != (owner.st_uid, owner.st_gid):
            os.fchown(fd, owner.st_uid, owner.st_gid)
        if stat.S_IMODE(mine.st_mode) != stat.S_IMODE(owner.st_mode) & 0o666:
            os.fchmod(fd, stat.S_IMODE(owner.st_mode) & 0o666)
    return fd


def _try_flock(fd: int) -> bool:
    """One non-blocking try; False while another process holds the lock."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
            return False
        raise
    return True



@contextmanager
def locked(path: Path, timeout: float) -> Iterator[None]:
    """Hold the lock of the store at `path` (`_open_lock_file`), waiting with jittered sleeps.

    With dozens of writers waiting, polls every few milliseconds starve the one
    holding the lock of CPU. Backing off from 1 ms to 50 ms keeps a free lock
    instant to take and the waiters nearly idle. The lock is a `flock` on the
    sidecar, so `filelock.FileLock` on the same file excludes it too. Raises
    `LockTimeout` after `timeout` seconds.
    """
    lock = lock_path_for(path)
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        fd = _open_lock_file(lock, path)
        try:
            while not _try_flock(fd):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LockTimeout
                time.sleep(min(delay * (0.5 + random.random() / 2), remaining))
                delay = min(delay * 2, 0.05)
            if os.fstat(fd).st_nlink:
                break
            # Deleted while we waited: its next taker opens a new file, so lock that one.
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)  # Closing the only descriptor releases the flock.
