"""`SessionStore`: Axon's per-scope store: two layers in memory over a `StoreBackend`."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import suppress
from pathlib import Path

from .backend import KeysLoaded, Loaded, PublishedMemory, StoreBackend, Version
from .commit import Change, apply, by_layer, check_entry, count_changes, raise_conflicts
from .entry import Layer, MemoryEntry, share_source_steps
from .errors import (
    ScopeReadOnlyError,
    StoreUnreadableError,
    WriteConflictError,
)
from .files.backend import FileBackend
from .files.locking import DEFAULT_LOCK_TIMEOUT
from .files.naming import store_path_for
from .files.reading import DEFAULT_MAX_FILE_BYTES, DEFAULT_RETRY_BUDGET

Clock = Callable[[], float]

#: Values above this are refused: a viewer must never be handed something it cannot show.
DEFAULT_MAX_VALUE_BYTES = 4 * 1024 * 1024


class SessionStore:
    """One scope: an ephemeral memory layer and a persistent store layer over a `StoreBackend`.

    Unlike Axon's, unreadable stored data never loads as empty (the scope turns
    read-only instead), and a flush merges per key over what is stored now, so
    that only this process's own changes are applied: last writer wins per key,
    never per file. Without a `backend`, the store is Axon's file next to
    `source_file` (`files.FileBackend`: atomic, locked, owner and mode kept).
    """

    def __init__(
        self,
        source_file: str | os.PathLike[str] | None = None,
        *,
        clock: Clock = time.time,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        publish_memory: bool = False,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        name: str | None = None,
        path: Path | None = None,
        backend: StoreBackend | None = None,
    ) -> None:
        if backend is None:
            if path is None and source_file is None:
                raise ValueError("a SessionStore needs a source_file, a path or a backend")
            backend = FileBackend(
                Path(path) if path is not None else store_path_for(source_file or ""),
                retry_budget=retry_budget,
                lock_timeout=lock_timeout,
                max_file_bytes=max_file_bytes,
            )
        self._backend = backend
        self._name = name if name is not None else Path(backend.location).name
        self._clock = clock
        self._max_value_bytes = max_value_bytes
        self._publish_memory = publish_memory
        self._mutex = threading.RLock()
        self._memory: dict[str, MemoryEntry] = {}
        self._store: dict[str, MemoryEntry] = {}
        #: The store layer's source steps are shared (a reload or a flush swaps in new entries).
        self._steps_shared = False
        self._set_keys: set[str] = set()
        self._purged_keys: set[str] = set()
        self._memory_dirty = False
        self._error: StoreUnreadableError | None = None
        #: The version last loaded, when it can prove "unchanged" (see `Loaded`).
        self._version: Version | None = None
        #: The version that failed to load: unchanged, it is not read again.
        self._error_version: Version | None = None
        try:
            self._adopt(self._backend.load())
        except StoreUnreadableError as exc:
            self._mark_unreadable(exc)

    # ── state ──────────────────────────────────────────────────────────────

    @property
    def name(self) -> str:
        return self._name

    @property
    def backend(self) -> StoreBackend:
        return self._backend

    @property
    def dirty(self) -> bool:
        """True while this process has store changes that are not stored yet."""
        return bool(self._set_keys or self._purged_keys)

    @property
    def error(self) -> StoreUnreadableError | None:
        """Why the stored data is unreadable, or None; while set, writes are refused."""
        return self._error

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

    def remember(self, key: str, value: str, source_step: str) -> MemoryEntry:
        entry = self._entry(key, value, source_step)
        with self._mutex:
            self._memory[key] = entry
            self._memory_dirty = True
        return entry

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

    def persist(self, key: str, value: str, source_step: str) -> MemoryEntry:
        entry = self._entry(key, value, source_step)
        with self._mutex:
            self._check_writable()
            self._store[key] = entry
            self._set_keys.add(key)
            self._purged_keys.discard(key)
        return entry

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
        """Deduplicate the `source_step` strings of both layers (see `entry.share_source_steps`).

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
        check_entry(entry, self._max_value_bytes)

    # ── storage ────────────────────────────────────────────────────────────

    def _adopt(self, loaded: Loaded) -> None:
        """Take the stored entries with this process's unflushed changes on top."""
        entries = loaded.entries
        for key in self._set_keys:
            entries[key] = self._store[key]
        for key in self._purged_keys:
            entries.pop(key, None)
        self._store = entries
        self._steps_shared = False
        self._version = loaded.version

    def _unchanged(self) -> bool:
        return self._version is not None and self._backend.version() == self._version

    def _mark_unreadable(self, exc: StoreUnreadableError) -> None:
        self._error = exc
        self._error_version = exc.version

    def reload(self) -> bool:
        """Re-read the stored entries, keeping unflushed changes; True if the store changed."""
        return self.refresh() is not None

    def refresh(self, keys: Collection[str] | None = None) -> tuple[int, int, int] | None:
        """Re-read the stored entries (only `keys`, if the backend can); keeps unflushed changes.

        Returns (added, changed, removed) store entries, or None if nothing moved.
        Skipped when the backend's version proves the entries unchanged. Unreadable
        data keeps the last good entries, marks the scope unreadable (writes
        refused) and raises `StoreUnreadableError`; a later good read clears it.
        """
        with self._mutex:
            if self._error is None and self._unchanged():
                return None
            bad = self._error_version
            if self._error is not None and bad is not None and self._backend.version() == bad:
                raise self._error
            if keys is not None and self._error is None:
                partial = self._backend.load_keys(keys)
                if partial is not None:
                    return self._patch(partial)
            try:
                loaded = self._backend.load()
            except StoreUnreadableError as exc:
                self._mark_unreadable(exc)
                raise
            was_bad, self._error, self._error_version = self._error is not None, None, None
            before = self._store
            self._adopt(loaded)
            counts = count_changes(before, self._store)
            return counts if any(counts) or was_bad else None

    def _patch(self, partial: KeysLoaded) -> tuple[int, int, int] | None:
        """Take some keys' stored entries (own unflushed changes stay on top)."""
        added = changed = removed = 0
        for key, entry in partial.entries.items():
            if key in self._set_keys or key in self._purged_keys:
                continue
            old = self._store.get(key)
            if entry is None:
                removed += old is not None
                self._store.pop(key, None)
            elif old != entry:
                added += old is None
                changed += old is not None
                self._store[key] = entry
        self._version = partial.version
        return (added, changed, removed) if added or changed or removed else None

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

    def _flush_store(self, checked: list[Change] | None = None) -> None:
        """Commit the pending changes and `checked` (see `commit`) through the backend."""
        checked = checked or []
        sets = {key: self._store[key] for key in self._set_keys}
        try:
            stored = self._backend.commit(self._store, sets, self._purged_keys, checked)
        except StoreUnreadableError as exc:
            self._mark_unreadable(exc)
            raise ScopeReadOnlyError(self._name, exc) from None
        except WriteConflictError as exc:
            # Show what is stored now: the caller is about to look at it.
            self._version = None
            with suppress(StoreUnreadableError):
                self.reload()
            raise WriteConflictError(
                self._name, exc.key, exc.expected, exc.actual, conflicts=exc.conflicts
            ) from None
        if stored is None:
            apply(self._store, checked)
        else:
            self._store = stored
        self._steps_shared = False
        self._set_keys.clear()
        self._purged_keys.clear()
        # Just written: for files within the storage's tick, where a version proves nothing.
        self._version = self._backend.committed_version()

    def _flush_memory(self) -> None:
        self._backend.publish_memory(list(self._memory.values()))
        self._memory_dirty = False

    def read_published_memory(self) -> PublishedMemory | None:
        """The memory layer another process published for this scope, if any."""
        return self._backend.read_published_memory()

    def published_memory_version(self) -> Version | None:
        """A cheap version of the published memory; None when only a read can tell."""
        return self._backend.published_memory_version()
