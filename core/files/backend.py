"""`FileBackend`: a scope's store layer in Axon's JSON file, written atomically under a lock."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..backend import Loaded, PublishedMemory, StoreBackend, Version
from ..commit import Change, apply, raise_conflicts
from ..entry import MemoryEntry
from ..errors import FlushError, StoreUnreadableError
from .atomic import FileSignature, atomic_write, settled, signature, sweep_stale_temps
from .codec import EncodedImage, encode_entries, entries_by_key
from .locking import DEFAULT_LOCK_TIMEOUT, LockTimeout, locked
from .naming import memory_path_for
from .reading import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_RETRY_BUDGET,
    read_entries_file,
    read_regular,
)

#: What a flush that fails leaves behind; true of every path through `atomic_write`.
NOTHING_WRITTEN = "nothing was written and the changes wait for the next flush"


class FileBackend(StoreBackend):
    """Axon's `.<stem>.session.json`, plus a `.<stem>.memory.json` sidecar for published memory.

    Versions are file signatures (inode, size, mtime) taken by the "racy git" rule:
    one modified shortly before it was read proves nothing, since a rewrite within
    the same timestamp tick keeps all three. Commits hold an `flock` on a permanent
    `.lock` sidecar and re-read the file, unless it holds, byte for byte, what this
    backend wrote last: then only the changed entries are encoded (`EncodedImage`).
    """

    def __init__(
        self,
        path: Path,
        *,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ) -> None:
        if max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be at least 1, not {max_file_bytes}")
        self.path = Path(path)
        self.memory_path = memory_path_for(self.path)
        self._retry_budget = retry_budget
        self._lock_timeout = lock_timeout
        self._max_file_bytes = max_file_bytes
        #: The file as last written, kept in step so the next commit only encodes changes.
        self._image: EncodedImage | None = None

    @property
    def location(self) -> str:
        return str(self.path)

    # ── reading ────────────────────────────────────────────────────────────

    def load(self) -> Loaded:
        self._image = None
        started = time.time_ns()
        try:
            result = read_entries_file(self.path, self._retry_budget, self._max_file_bytes)
        except StoreUnreadableError as exc:
            exc.version = settled(self.version(), started)
            raise
        if result is None:
            return Loaded({}, None)
        entries, sig = result
        return Loaded(entries_by_key(entries), settled(sig, started))

    def version(self) -> FileSignature | None:
        try:
            return signature(os.stat(self.path))
        except OSError:
            return None

    # ── committing ─────────────────────────────────────────────────────────

    def _holds(self, image: EncodedImage) -> bool:
        """Whether the file holds exactly `image`'s bytes; call under the lock.

        Metadata never decides this: on a filesystem with coarse timestamps another
        writer's same-size rewrite keeps the mtime, and a freed inode number comes
        back for the next temp file. Comparing bytes costs a read and a memcmp,
        far less than the decode and merge it saves.
        """
        expected = image.data()
        try:
            # Bigger than what we wrote is refused unread; anything else that differs is
            # read and compared, and the caller's full read says what is wrong with it.
            found = read_regular(self.path, len(expected))
        except StoreUnreadableError:
            return False
        return found is not None and found[0] == expected

    @contextmanager
    def _writing(self, path: Path, what: str) -> Iterator[None]:
        """Hold the lock; turn a lock timeout or an OS error into `FlushError`."""
        try:
            with locked(self.path, self._lock_timeout):
                yield
        except LockTimeout:
            raise FlushError(
                path,
                f"could not take the lock within {self._lock_timeout:g} s (other processes"
                f" kept it); {what}",
                errno.ETIMEDOUT,
            ) from None
        except OSError as exc:
            if isinstance(exc, FlushError):
                raise
            reason = exc.strerror or str(exc)
            raise FlushError(path, f"{reason}; {NOTHING_WRITTEN}", exc.errno) from None

    def commit(
        self,
        view: Mapping[str, MemoryEntry],
        sets: Mapping[str, MemoryEntry],
        purges: Collection[str],
        checked: Sequence[Change],
    ) -> dict[str, MemoryEntry] | None:
        merged: dict[str, MemoryEntry] | None = None
        with self._writing(self.path, NOTHING_WRITTEN):
            image = self._image
            if image is not None and self._holds(image):
                # The file is our last write, byte for byte: patch the image.
                raise_conflicts("", "store", checked, view.get)
                for entry in sets.values():
                    image.set(entry)
                for key in purges:
                    image.remove(key)
                for change in checked:
                    if change.entry is None:
                        image.remove(change.key)
                    else:
                        image.set(change.entry)
            else:
                self._image = None
                found = read_entries_file(self.path, self._retry_budget, self._max_file_bytes)
                merged = entries_by_key(found[0]) if found is not None else {}
                merged.update(sets)
                for key in purges:
                    merged.pop(key, None)
                raise_conflicts("", "store", checked, merged.get)
                apply(merged, checked)
                image = EncodedImage(merged)
                merged = {key: merged[key] for key in image.keys}  # file order
            sweep_stale_temps(self.path)
            atomic_write(self.path, image.data())
        self._image = image
        return merged

    # ── published memory ───────────────────────────────────────────────────

    def publish_memory(self, entries: Sequence[MemoryEntry]) -> None:
        """Under the store's lock, so that sweeping stale temp files is safe."""
        data = encode_entries(sorted(entries, key=lambda e: e.key))
        with self._writing(self.memory_path, "the memory layer was not published"):
            sweep_stale_temps(self.memory_path)
            atomic_write(self.memory_path, data)

    def published_memory_version(self) -> Version | None:
        """The sidecar's signature, by the racy rule (`atomic.settled`); "absent" if none."""
        started = time.time_ns()
        try:
            st = os.stat(self.memory_path)
        except FileNotFoundError:
            return "absent"
        except OSError:
            return None
        return settled(signature(st), started)

    def has_published_memory(self) -> bool:
        return os.path.lexists(self.memory_path)

    def read_published_memory(self) -> PublishedMemory | None:
        path = self.memory_path
        result = read_entries_file(path, self._retry_budget, self._max_file_bytes)
        if result is None:
            return None
        entries, _sig = result
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            return None
        return PublishedMemory(sorted(entries_by_key(entries).values(), key=lambda e: e.key), mtime)
