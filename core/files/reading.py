"""Reading a store-format file: only regular files, within a size ceiling, torn reads retried."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from ..entry import MemoryEntry
from ..errors import StoreUnreadableError
from ..sizes import DEFAULT_MAX_FILE_BYTES, size_text
from .atomic import FileSignature, signature
from .codec import DecodeFailure, cut_short, decode_entries

#: How long an empty or unparsable file is re-read before it is declared unreadable.
DEFAULT_RETRY_BUDGET = 1.0
#: Files bigger than this are refused unread: far above any real scope (a million
#: entries take about 190 MB), far below what would exhaust memory.

_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(path: Path, st: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _NOT_REGULAR if test(st.st_mode)), "something")
        raise StoreUnreadableError(path, f"{kind}, not a regular file")
    if st.st_size > max_bytes:
        raise StoreUnreadableError(
            path, f"{size_text(st.st_size)}, over the {size_text(max_bytes)} limit"
        )


def read_regular(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result] | None:
    """The bytes of a regular file of at most `max_bytes`; None if there is no file.

    Anything else is refused before a byte is read: opening a FIFO blocks until a
    writer comes, a device can stream forever (or act on being opened), and a sparse
    file can claim terabytes. The path is checked before the open and the open file
    again after it, in case it was swapped in between; the open itself cannot block.
    """
    try:
        _check_regular(path, os.stat(path), max_bytes)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreUnreadableError(path, exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        _check_regular(path, st, max_bytes)
        chunks: list[bytes] = []
        total = 0
        want = st.st_size + 1  # One read for a file that stays as it was; more if it grows.
        while chunk := os.read(fd, min(want, max_bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise StoreUnreadableError(
                    path, f"grew past the {size_text(max_bytes)} limit while it was read"
                )
            want = 1 << 20
    except OSError as exc:
        raise StoreUnreadableError(path, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), st


def read_entries_file(
    path: Path, retry_budget: float, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> tuple[list[MemoryEntry], FileSignature | None] | None:
    """Read and decode a store-format file, re-reading a torn one for up to `retry_budget`.

    Returns None if the file does not exist. Only a file that looks caught mid-write
    (empty, or cut short) is read again; a whole file that does not decode, or one
    that is not a regular file of at most `max_bytes`, fails at once. The signature
    is None when the file changed while it was read, so nobody trusts it later.
    """
    deadline = time.monotonic() + retry_budget
    delay = 0.005
    while True:
        found = read_regular(path, max_bytes)
        if found is None:
            return None
        data, st = found
        # A file caught mid-write is known from its ends: decoding it would only
        # find the cut after decoding everything before it. The last try decodes
        # anyway, so a file that stays this way gets the decoder's reason.
        if deadline <= time.monotonic() or not cut_short(data):
            try:
                entries = decode_entries(data)
            except DecodeFailure as exc:
                if not exc.torn or deadline <= time.monotonic():
                    raise StoreUnreadableError(path, exc.reason) from None
            else:
                sig = signature(st) if st.st_size == len(data) else None
                return entries, sig
        time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
        delay *= 2

