"""`SessionStore`: Axon's per-scope store, with safe flushing and torn-read tolerance."""

from __future__ import annotations

import errno
import os
import random
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .atomic import (
    FileSignature,
    atomic_write,
    directory_gone,
    settled,
    signature,
    sweep_stale_temps,
)
from .codec import (
    DecodeFailure,
    EncodedImage,
    cut_short,
    decode_entries,
    encode_entries,
    entries_by_key,
    share_source_steps,
)
from .commit import Change, apply, by_layer, raise_conflicts
from .entry import Layer, MemoryEntry
from .errors import (
    FlushError,
    InvalidEntryError,
    ScopeReadOnlyError,
    StoreUnreadableError,
    ValueTooLargeError,
    WriteConflictError,
)
from .naming import lock_path_for, memory_path_for, store_path_for

Clock = Callable[[], float]

#: Values above this are refused: a viewer must never be handed something it cannot show.
DEFAULT_MAX_VALUE_BYTES = 4 * 1024 * 1024
#: How long an empty or unparsable file is re-read before it is declared unreadable.
DEFAULT_RETRY_BUDGET = 1.0
#: How long a flush waits for another process's flush of the same scope.
DEFAULT_LOCK_TIMEOUT = 30.0
#: Files bigger than this are refused unread: far above any real scope (a million
#: entries take about 190 MB), far below what would exhaust memory.
DEFAULT_MAX_FILE_BYTES = 1 << 30

_SIZE_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
#: What a flush that fails leaves behind; true of every path through `atomic_write`.
NOTHING_WRITTEN = "nothing was written and the changes wait for the next flush"


def _check_text(field: str, text: object) -> bytes:
    if not isinstance(text, str):
        raise InvalidEntryError(f"{field} must be a string, not {type(text).__name__}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEntryError(
            f"{field} contains a lone surrogate (U+{ord(text[exc.start]):04X} at index "
            f"{exc.start}) that cannot be written as UTF-8"
        ) from None


def size_text(size: int) -> str:
    """`1.5 TiB`, `1 GiB`, `150 bytes`: sizes in reasons people read."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in _SIZE_UNITS:
        value /= 1024
        if value < 1024 or unit == _SIZE_UNITS[-1]:
            break
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def _check_regular(path: Path, st: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _NOT_REGULAR if test(st.st_mode)), "something")
        raise StoreUnreadableError(path, f"{kind}, not a regular file")
    if st.st_size > max_bytes:
        raise StoreUnreadableError(
            path, f"{size_text(st.st_size)}, over the {size_text(max_bytes)} limit"
        )


def _read_regular(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result] | None:
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
        found = _read_regular(path, max_bytes)
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


@dataclass(frozen=True, slots=True)
class PublishedMemory:
    """A memory layer that another process published, and when it did."""

    entries: list[MemoryEntry]
    mtime: float


class _LockTimeout(Exception):
    """Internal: the store lock stayed taken for the whole `lock_timeout`."""


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


class SessionStore:
    """One scope: an ephemeral memory layer and a file-backed store layer.

    Unlike Axon's, an unparsable file never loads as empty (the scope turns
    read-only instead), flushes are atomic and locked, and a flush re-reads the
    file so that only this process's own changes are applied: last writer wins
    per key, never per file. A flush keeps the file's owner, group and mode, and
    refuses (nothing written, changes kept) what it cannot replace faithfully: a
    read-only file, another account's file it cannot chown, a deleted directory,
    and a symbolic link at the store path, which is read through but never
    replaced by a copy.
    """

    def __init__(
        self,
        source_file: str | os.PathLike[str],
        *,
        clock: Clock = time.time,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        publish_memory: bool = False,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        name: str | None = None,
        path: Path | None = None,
    ) -> None:
        if max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be at least 1, not {max_file_bytes}")
        self._path = Path(path) if path is not None else store_path_for(source_file)
        self._name = name if name is not None else self._path.name
        self._clock = clock
        self._max_value_bytes = max_value_bytes
        self._publish_memory = publish_memory
        self._retry_budget = retry_budget
        self._lock_timeout = lock_timeout
        self._max_file_bytes = max_file_bytes
        self._mutex = threading.RLock()
        self._memory: dict[str, MemoryEntry] = {}
        self._store: dict[str, MemoryEntry] = {}
        #: The store layer's source steps are shared (a reload or a flush swaps in new entries).
        self._steps_shared = False
        self._set_keys: set[str] = set()
        self._purged_keys: set[str] = set()
        self._memory_dirty = False
        self._error: StoreUnreadableError | None = None
        self._disk_sig: FileSignature | None = None
        #: The file as last written, kept in step so the next flush only encodes changes.
        self._image: EncodedImage | None = None
        #: The file as it was when it failed to read: unchanged, it is not read again.
        self._error_sig: FileSignature | None = None
        #: When the last read of the file began (`time.time_ns`), for the racy rule.
        self._read_started_ns = 0
        try:
            self._adopt(self._read_disk())
        except StoreUnreadableError as exc:
            self._mark_unreadable(exc)

    # ── state ──────────────────────────────────────────────────────────────

    @property
    def name(self) -> str:
        return self._name

    @property
    def dirty(self) -> bool:
        """True while this process has store changes that are not on disk."""
        return bool(self._set_keys or self._purged_keys)

    @property
    def error(self) -> StoreUnreadableError | None:
        """Why the file is unreadable, or None; while set, writes are refused."""
        return self._error

    def store_path(self) -> Path:
        return self._path

    def memory_path(self) -> Path:
        return memory_path_for(self._path)

    def _now(self) -> int:
        return int(self._clock())

    def _entry(self, key: str, value: str, source_step: str) -> MemoryEntry:
        entry = MemoryEntry(key, value, self._now(), source_step)
        self._check_entry(entry)
        return entry

    def _check_writable(self) -> None:
        if self._error is not None:
            raise ScopeReadOnlyError(self._name, self._error)

    # ── memory layer ───────────────────────────────────────────────────────

    def remember(self, key: str, value: str, source_step: str) -> None:
        entry = self._entry(key, value, source_step)
        with self._mutex:
            self._memory[key] = entry
            self._memory_dirty = True

    def recall(self, key: str) -> MemoryEntry | None:
        return self._memory.get(key)

    def forget(self, key: str) -> bool:
        """Drop a memory entry (Axon has no such call; the browser's undo needs it)."""
        with self._mutex:
            existed = self._memory.pop(key, None) is not None
            self._memory_dirty |= existed
            return existed

    def memory_entries(self) -> list[MemoryEntry]:
        with self._mutex:
            return list(self._memory.values())

    def memory_count(self) -> int:
        return len(self._memory)

    # ── store layer ────────────────────────────────────────────────────────

    def persist(self, key: str, value: str, source_step: str) -> None:
        entry = self._entry(key, value, source_step)
        with self._mutex:
            self._check_writable()
            self._store[key] = entry
            self._set_keys.add(key)
            self._purged_keys.discard(key)

    def retrieve(self, key: str) -> MemoryEntry | None:
        return self._store.get(key)

    def retrieve_query(self, query: str) -> list[MemoryEntry]:
        """Store entries whose key or value contains `query`, case-insensitively."""
        needle = query.lower()
        with self._mutex:
            entries = list(self._store.values())
        return [e for e in entries if needle in e.key.lower() or needle in e.value.lower()]

    def store_entries(self) -> list[MemoryEntry]:
        with self._mutex:
            return list(self._store.values())

    def share_source_steps(self) -> int:
        """Deduplicate the `source_step` strings of both layers (see `codec.share_source_steps`).

        Worth it for big scopes only, and before building anything that holds the
        strings, or the copies stay alive there. Returns how many distinct steps
        there are, or -1 when the layer was shared already and not reloaded since.
        """
        with self._mutex:
            if self._steps_shared:
                return -1
            self._steps_shared = True
            entries = [*self._memory.values(), *self._store.values()]
        return share_source_steps(entries)

    def store_snapshot(self) -> Mapping[str, MemoryEntry]:
        """The store layer by key, read-only and without a copy.

        `reload` swaps in a new mapping rather than changing this one, so a caller
        can hold it across a reload to see what changed (own writes do change it).
        """
        return MappingProxyType(self._store)

    def mutate(self, key: str, new_value: str, source_step: str) -> bool:
        with self._mutex:
            self._check_writable()
            if key not in self._store:
                return False
            self.persist(key, new_value, source_step)
            return True

    def purge(self, key: str) -> bool:
        with self._mutex:
            self._check_writable()
            if self._store.pop(key, None) is None:
                return False
            self._purged_keys.add(key)
            self._set_keys.discard(key)
            return True

    def purge_query(self, query: str) -> int:
        with self._mutex:
            self._check_writable()
            keys = [e.key for e in self.retrieve_query(query)]
            for key in keys:
                self.purge(key)
            return len(keys)

    def store_count(self) -> int:
        return len(self._store)

    # ── checked writes ─────────────────────────────────────────────────────

    def commit(self, changes: Iterable[Change]) -> None:
        """Apply checked changes to both layers, all of them or none.

        Each key must hold its `expected` entry: the store layer's are compared under
        the file lock after the file is re-read (or proven unchanged byte for byte),
        so a write another process made a moment ago is seen; the memory layer's
        under this store's mutex. On any mismatch `WriteConflictError` is raised,
        nothing is written and no change is left pending. Store changes are flushed
        by this call, together with any earlier unflushed changes of this process:
        the check only means something when it is made at the moment of writing.
        """
        layers = by_layer(changes)
        for change in (*layers["memory"], *layers["store"]):
            if change.entry is not None:
                self._check_entry(change.entry)
        with self._mutex:
            raise_conflicts(self._name, "memory", layers["memory"], self._memory.get)
            if layers["store"]:
                self._check_writable()
                self._flush_store(layers["store"])
            if layers["memory"]:
                apply(self._memory, layers["memory"])
                self._memory_dirty = True

    def compare_and_set(
        self,
        key: str,
        expected: MemoryEntry | None,
        value: str,
        source_step: str,
        *,
        layer: Layer = "store",
    ) -> MemoryEntry:
        """Write `key` only if it holds `expected` (None: absent); returns the new entry.

        See `commit`: checked at the moment of writing, store layer flushed at once.
        """
        entry = self._entry(key, value, source_step)
        self.commit([Change(key, expected, entry, layer)])
        return entry

    def purge_if(self, key: str, expected: MemoryEntry | None, *, layer: Layer = "store") -> None:
        """Remove `key` only if it holds `expected` (None: it must be absent); see `commit`."""
        self.commit([Change(key, expected, None, layer)])

    def restore_if(
        self,
        key: str,
        expected: MemoryEntry | None,
        entry: MemoryEntry | None,
        *,
        layer: Layer = "store",
    ) -> None:
        """Put back `entry` as it was (its timestamp and source step kept), or remove `key`.

        For undo: checked against `expected`, what this process wrote, like `commit`.
        """
        self.commit([Change(key, expected, entry, layer)])

    def _check_entry(self, entry: MemoryEntry) -> None:
        _check_text("key", entry.key)
        size = len(_check_text("value", entry.value))
        _check_text("source_step", entry.source_step)
        if size > self._max_value_bytes:
            raise ValueTooLargeError(entry.key, size, self._max_value_bytes)

    # ── disk ───────────────────────────────────────────────────────────────

    def _read_disk(self) -> tuple[dict[str, MemoryEntry], FileSignature | None]:
        """The file's entries, and a signature only when it can later prove "unchanged".

        The "racy git" rule (`atomic.settled`): a file modified shortly before the read
        can still change within the same timestamp tick, keeping inode, size and
        mtime; its signature is dropped, so the next `reload` reads it again.
        """
        self._read_started_ns = time.time_ns()
        result = read_entries_file(self._path, self._retry_budget, self._max_file_bytes)
        if result is None:
            return {}, None
        entries, sig = result
        return entries_by_key(entries), settled(sig, self._read_started_ns)

    def _adopt(self, disk: tuple[dict[str, MemoryEntry], FileSignature | None]) -> None:
        """Take the disk's entries with this process's unflushed changes on top."""
        entries, sig = disk
        for key in self._set_keys:
            entries[key] = self._store[key]
        for key in self._purged_keys:
            entries.pop(key, None)
        self._store = entries
        self._steps_shared = False
        self._image = None
        self._disk_sig = sig

    def _current_sig(self) -> FileSignature | None:
        try:
            return signature(os.stat(self._path))
        except OSError:
            return None

    def _disk_unchanged(self) -> bool:
        return self._disk_sig is not None and self._current_sig() == self._disk_sig

    def _mark_unreadable(self, exc: StoreUnreadableError) -> None:
        self._error = exc
        self._error_sig = settled(self._current_sig(), self._read_started_ns)

    def reload(self) -> bool:
        """Re-read the file, keeping unflushed changes on top; True if the store changed.

        Skipped only when the file's signature is unchanged and was taken safely
        (see `_read_disk`): a recently modified file is always read again.

        An unreadable file keeps the last good entries in memory, marks the scope
        unreadable (writes refused) and raises; a later successful reload clears it.
        """
        with self._mutex:
            if self._error is None and self._disk_unchanged():
                return False
            same_bad_bytes = self._error_sig is not None and self._current_sig() == self._error_sig
            if self._error is not None and same_bad_bytes:
                raise self._error
            try:
                disk = self._read_disk()
            except StoreUnreadableError as exc:
                self._mark_unreadable(exc)
                raise
            self._error = None
            self._error_sig = None
            before = self._store
            self._adopt(disk)
            return before != self._store

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the store's lock (`_open_lock_file`), waiting with growing, jittered sleeps.

        With dozens of writers waiting, polls every few milliseconds starve the one
        holding the lock of CPU. Backing off from 1 ms to 50 ms keeps a free lock
        instant to take and the waiters nearly idle. The lock is a `flock` on the
        sidecar, so `filelock.FileLock` on the same file excludes it too. Raises
        `_LockTimeout` after `lock_timeout`.
        """
        lock = lock_path_for(self._path)
        deadline = time.monotonic() + self._lock_timeout
        delay = 0.001
        while True:
            fd = _open_lock_file(lock, self._path)
            try:
                while not _try_flock(fd):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise _LockTimeout
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

    def flush(self) -> bool:
        """Write this process's store changes (and, if enabled, publish memory).

        Returns whether anything was written. Raises `FlushError` (file unchanged,
        store still dirty) or `ScopeReadOnlyError` (file unreadable, untouched).
        """
        with self._mutex:
            self._check_writable()
            wrote = False
            if self.dirty:
                self._flush_store()
                wrote = True
            if self._publish_memory and self._memory_dirty:
                self._flush_memory()
                wrote = True
            return wrote

    def _disk_holds(self, image: EncodedImage) -> bool:
        """Whether the file holds exactly `image`'s bytes; call under the lock.

        Metadata never decides this: on a filesystem with coarse timestamps another
        writer's same-size rewrite keeps the mtime, and a freed inode number comes
        back for the next temp file. Comparing bytes costs a read and a memcmp,
        far less than the decode and merge it saves.
        """
        expected = image.data()
        try:
            fd = os.open(self._path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return False
        with open(fd, "rb") as handle:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size != len(expected):
                return False
            data = handle.read(len(expected) + 1)
        return data == expected

    def _flush_store(self, checked: list[Change] | None = None) -> None:
        """Write the pending changes and `checked` (see `commit`) under the lock."""
        checked = checked or []
        try:
            with self._locked():
                image = self._image
                fast = image is not None and self._disk_holds(image)
                if fast:
                    # The file is our last write, byte for byte: patch the image.
                    merged = self._store
                else:
                    self._image = None
                    merged, _sig = self._read_disk()
                    for key in self._set_keys:
                        merged[key] = self._store[key]
                    for key in self._purged_keys:
                        merged.pop(key, None)
                if checked:
                    self._check_on_disk(checked, merged, fresh=not fast)
                if image is not None and fast:
                    for key in self._set_keys:
                        image.set(merged[key])
                    for key in self._purged_keys:
                        image.remove(key)
                    for change in checked:
                        if change.entry is None:
                            image.remove(change.key)
                        else:
                            image.set(change.entry)
                else:
                    apply(merged, checked)
                    image = EncodedImage(merged)
                    merged = {key: merged[key] for key in image.keys}  # file order
                sweep_stale_temps(self._path)
                atomic_write(self._path, image.data())
        except StoreUnreadableError as exc:
            self._mark_unreadable(exc)
            raise ScopeReadOnlyError(self._name, exc) from None
        except _LockTimeout:
            raise FlushError(
                self._path,
                f"could not take the lock within {self._lock_timeout:g} s (other processes"
                f" kept it); {NOTHING_WRITTEN}",
                errno.ETIMEDOUT,
            ) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise FlushError(self._path, f"{reason}; {NOTHING_WRITTEN}", exc.errno) from None
        if fast:
            apply(merged, checked)  # Only now: a failed write must not show them.
        self._store = merged
        self._steps_shared = False
        self._image = image
        self._set_keys.clear()
        self._purged_keys.clear()
        # Just written, so within the filesystem's tick: a signature would prove nothing.
        self._disk_sig = None

    def _check_on_disk(
        self, checked: list[Change], merged: dict[str, MemoryEntry], *, fresh: bool
    ) -> None:
        """Raise on a conflict, first taking the file just read so callers see the actual entry."""
        try:
            raise_conflicts(self._name, "store", checked, merged.get)
        except WriteConflictError:
            if fresh:
                self._store = merged
                self._steps_shared = False
                self._disk_sig = None
            raise

    def _flush_memory(self) -> None:
        """Publish the memory layer, under the store's lock so that its sweep is safe."""
        path = self.memory_path()
        entries = sorted(self._memory.values(), key=lambda e: e.key)
        try:
            with self._locked():
                sweep_stale_temps(path)
                atomic_write(path, encode_entries(entries))
        except _LockTimeout:
            raise FlushError(
                path,
                f"could not take the lock within {self._lock_timeout:g} s (other processes"
                " kept it); the memory layer was not published",
                errno.ETIMEDOUT,
            ) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise FlushError(path, f"{reason}; {NOTHING_WRITTEN}", exc.errno) from None
        self._memory_dirty = False

    def read_published_memory(self) -> PublishedMemory | None:
        """The memory layer another process published for this scope, if any."""
        path = self.memory_path()
        result = read_entries_file(path, self._retry_budget, self._max_file_bytes)
        if result is None:
            return None
        entries, _sig = result
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            return None
        return PublishedMemory(sorted(entries_by_key(entries).values(), key=lambda e: e.key), mtime)
