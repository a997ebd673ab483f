"""`ScopedSessionManager`: Axon's scope manager, one `SessionStore` per scope."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .axon_calls import AxonCalls
from .backend import BackendOptions, ScopeStorage
from .commit import Change
from .entry import Layer, MemoryEntry, ScopedEntry
from .errors import ReadOnlyServiceError, ScopeError, StoreUnreadableError
from .export import export_mode
from .files.naming import DEFAULT_SCOPE
from .finding import Seen
from .service import (
    Capabilities,
    ScopeChange,
    ScopeService,
    ScopeSnapshot,
    ScopeStatus,
    Subscriber,
    Subscribers,
)
from .source import REDIS_SCHEMES
from .store import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_VALUE_BYTES,
    DEFAULT_RETRY_BUDGET,
    Clock,
    SessionStore,
)


def storage_for(base: str | os.PathLike[str] | ScopeStorage) -> ScopeStorage:
    """The storage behind a base: a `ScopeStorage`, a Redis URL or a file base path."""
    if isinstance(base, ScopeStorage):
        return base
    if isinstance(base, str) and base.startswith(REDIS_SCHEMES):
        from .redis.storage import RedisStorage

        return RedisStorage.from_url(base)
    from .files.storage import FileStorage

    return FileStorage(base)


class ScopedSessionManager(AxonCalls, ScopeService):
    """Scopes `global`, `flow:<name>`, `daemon:<name>` or any custom name over one base.

    The base is Axon's file base path (`<dir>/<base>`: files
    `<dir>/.<base>__<scope>.session.json`), a Redis URL, or any `ScopeStorage`.
    Unlike Axon's manager, scopes that other processes stored are discovered,
    names that could escape their place are refused, and only regular files of
    at most `max_file_bytes` are read. Thread-safe. It is the in-process
    `ScopeService`; `read_only=True` refuses every write (`ReadOnlyServiceError`).
    """

    def __init__(
        self,
        base: str | os.PathLike[str] | ScopeStorage,
        *,
        clock: Clock = time.time,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        publish_memory: bool = False,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        discover: bool = True,
        read_only: bool = False,
    ) -> None:
        if max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be at least 1, not {max_file_bytes}")
        self._storage = storage_for(base)
        self._backend_options = BackendOptions(max_file_bytes, retry_budget, lock_timeout)
        self._store_options = {
            "clock": clock,
            "max_value_bytes": max_value_bytes,
            "publish_memory": publish_memory,
        }
        self._mutex = threading.RLock()
        self._scopes: dict[str, SessionStore] = {}
        #: Every scope known: found stored, or opened by name.
        self._known: set[str] = set()
        #: What refreshes saw last, to tell new, gone and changed scopes apart.
        self._seen = Seen()
        self._read_only = read_only
        #: Above this many entries a snapshot first makes equal source steps one object.
        self.share_steps_above = 200_000
        self._subscribers = Subscribers()
        if discover:
            self.discover()
        self._ensure(DEFAULT_SCOPE)
        self._seen.announced.update(self._known)

    # ── scopes and their storage ───────────────────────────────────────────

    @property
    def storage(self) -> ScopeStorage:
        return self._storage

    @property
    def location(self) -> str:
        return self._storage.location

    @property
    def base_name(self) -> str:
        return self._storage.base_name

    @property
    def base_path(self) -> str:
        return self._storage.location

    @property
    def directory(self) -> Path:
        """The directory of a file base."""
        return self._files().directory

    def _files(self):
        from .files.storage import FileStorage

        if not isinstance(self._storage, FileStorage):
            raise TypeError(f"{self._storage.location} is not stored in files")
        return self._storage

    def store_path(self, scope: str) -> Path:
        """A scope's file (file bases only)."""
        return self._files().path_for(scope)

    def discover(self) -> list[str]:
        """Register scopes stored since the last look; returns the new scope names."""
        names = self._storage.discover()
        with self._mutex:
            found = [name for name in names if name not in self._known]
            self._known.update(found)
            self._seen.stored.update(names)
        return found

    def _ensure(self, scope: str) -> SessionStore:
        """Get or open a scope's store (storing nothing)."""
        with self._mutex:
            store = self._scopes.get(scope)
            if store is None:
                backend = self._storage.backend(scope, self._backend_options)
                store = SessionStore(backend=backend, name=scope, **self._store_options)  # type: ignore[arg-type]
                self._scopes[scope] = store
                self._known.add(scope)
                self._seen.announced.add(scope)
            return store

    def _existing(self, scope: str) -> SessionStore | None:
        """The store of a known scope (opening a discovered one); None for unknown names."""
        with self._mutex:
            if scope in self._scopes:
                return self._scopes[scope]
            if scope in self._known:
                return self._ensure(scope)
            return None

    def store(self, scope: str) -> SessionStore:
        """The `SessionStore` behind a scope (opened or created on demand)."""
        return self._ensure(scope)

    def has_scope(self, scope: str) -> bool:
        with self._mutex:
            return scope in self._known

    def scope_error(self, scope: str) -> StoreUnreadableError | None:
        """Why a scope's stored data is unreadable, or None."""
        store = self._existing(scope)
        return store.error if store is not None else None

    def forget_scope(self, scope: str) -> bool:
        """Drop a scope whose data is gone, unless this process has unflushed changes in it."""
        with self._mutex:
            store = self._scopes.get(scope)
            busy = store is not None and (store.dirty or store.memory_count() > 0)
            if scope == DEFAULT_SCOPE or busy or scope not in self._known:
                return False
            self._known.discard(scope)
            self._seen.forget(scope)
            self._scopes.pop(scope, None)
            self._storage.release(scope)
            return True

    # ── writes (Axon's calls are in `AxonCalls`) ───────────────────────────

    def _writable(self, scope: str) -> SessionStore:
        if self._read_only:
            raise ReadOnlyServiceError(scope)
        return self._ensure(scope)

    # ── checked writes (see `SessionStore.commit`) ─────────────────────────

    def commit(self, scope: str, changes: Iterable[Change]) -> None:
        """Apply checked changes to one scope, all or none; store changes are flushed."""
        self._writable(scope).commit(changes)
        self._subscribers.notify(ScopeChange(scope))

    def compare_and_set(
        self,
        scope: str,
        key: str,
        expected: MemoryEntry | None,
        value: str,
        source_step: str,
        *,
        layer: Layer = "store",
    ) -> MemoryEntry:
        """Write only if `key` holds `expected` (None: absent), checked under the lock; flushed."""
        store = self._writable(scope)
        entry = store.compare_and_set(key, expected, value, source_step, layer=layer)
        self._subscribers.notify(ScopeChange(scope))
        return entry

    def purge_if(
        self, scope: str, key: str, expected: MemoryEntry | None, *, layer: Layer = "store"
    ) -> None:
        """Remove `key` only if it holds `expected`, checked under the lock; flushed."""
        self._writable(scope).purge_if(key, expected, layer=layer)
        self._subscribers.notify(ScopeChange(scope))

    def restore_if(
        self,
        scope: str,
        key: str,
        expected: MemoryEntry | None,
        entry: MemoryEntry | None,
        *,
        layer: Layer = "store",
    ) -> None:
        """Put `entry` back unchanged (timestamp, source step) if `key` holds `expected`."""
        self._writable(scope).restore_if(key, expected, entry, layer=layer)
        self._subscribers.notify(ScopeChange(scope))

    def flush(self, scope: str) -> bool:
        """Flush one scope; raises `FlushError` or `ScopeReadOnlyError` on failure."""
        wrote = self._writable(scope).flush()
        if wrote:
            self._subscribers.notify(ScopeChange(scope))
        return wrote

    # ── the scope service (see `service.ScopeService`) ──────────────────────

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            can_write_memory=True, has_compare_and_set=True, read_only=self._read_only
        )

    def scopes(self) -> list[ScopeStatus]:
        names = self.list_scopes()
        published = self._storage.published_among(names) if names else None
        return [status for name in names if (status := self.status(name, published))]

    def entries(self, scope: str) -> list[ScopedEntry]:
        return self.list_entries(scope)

    def snapshot(self, scope: str) -> ScopeSnapshot:
        store = self._existing(scope)
        if store is None:
            return ScopeSnapshot([], [])
        if store.store_count() > self.share_steps_above:
            store.share_source_steps()  # Before the caller's rows take the copies.
        try:
            published = store.read_published_memory()
        except ScopeError:
            published = None
        error = store.error.reason if store.error is not None else None
        return ScopeSnapshot(store.memory_entries(), store.store_entries(), published, error)

    def status(self, scope: str, published_among: set[str] | None = None) -> ScopeStatus | None:
        """`published_among`: the scopes known to publish (from a listing), else asked."""
        store = self._existing(scope)
        if store is None:
            return None
        error = None if store.error is None else store.error.reason
        if published_among is None:
            published = store.backend.has_published_memory()
        else:
            published = scope in published_among
        return ScopeStatus(scope, store.memory_count(), store.store_count(), error, published)

    def where(self, scope: str) -> str:
        return self._ensure(scope).backend.location

    def export_mode(self, scope: str) -> int:
        location = self.where(scope)
        return super().export_mode(scope) if "://" in location else export_mode(Path(location))

    def get(self, scope: str, key: str, *, layer: Layer = "store") -> MemoryEntry | None:
        return self.recall(scope, key) if layer == "memory" else self.retrieve(scope, key)

    def put(
        self, scope: str, key: str, value: str, source_step: str, *, layer: Layer = "store"
    ) -> MemoryEntry:
        store = self._writable(scope)
        if layer == "memory":
            entry = store.remember(key, value, source_step)
        else:
            entry = store.persist(key, value, source_step)
            store.flush()
        self._subscribers.notify(ScopeChange(scope))
        return entry

    def delete(self, scope: str, key: str, *, layer: Layer = "store") -> bool:
        store = self._writable(scope)
        existed = store.forget(key) if layer == "memory" else store.purge(key)
        if existed and layer == "store":
            store.flush()
        if existed:
            self._subscribers.notify(ScopeChange(scope))
        return existed

    def refresh(
        self, scope: str | None = None, *, keys: Iterable[str] | None = None
    ) -> list[ScopeChange]:
        """Re-read scopes (all of them, finding new ones, when `scope` is None).

        A scope whose stored data is gone (and stays gone a moment, see `finding`) is
        dropped unless this process holds changes in it. A scope turning unreadable
        is a change with its reason; one turning readable again is a change too.
        """
        self.discover()
        names = [scope] if scope is not None else self.list_scopes()
        with self._mutex:
            new = {name for name in names if name not in self._seen.announced}
            self._seen.announced |= new
        key_set = frozenset(keys) if keys is not None else None
        changes = [
            change
            for name in names
            if (change := self._refresh_one(name, name in new, key_set)) is not None
        ]
        for change in changes:
            self._subscribers.notify(change)
        return changes

    def _refresh_one(
        self, scope: str, new: bool, keys: frozenset[str] | None
    ) -> ScopeChange | None:
        store = self._ensure(scope)
        if self._seen.data_gone(scope, store) and self.forget_scope(scope):
            return ScopeChange(scope, "refresh", gone=True)
        return self._seen.reread(scope, store, new, keys)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        return self._subscribers.subscribe(callback)

    def close(self) -> None:
        """Release the storage's connections and threads (a Redis base withdraws its memory)."""
        self._storage.close()
