"""Axon's own `ScopedSessionManager` calls, by scope name, each delegated to the scope's store."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .entry import MemoryEntry, ScopedEntry, ScopeSummary
from .errors import ScopeError
from .store import PublishedMemory, SessionStore


class AxonCalls:
    """The seed's API (remember, recall, persist, retrieve, query, mutate, purge, flush, ...).

    Mixed into `ScopedSessionManager`, which supplies how a scope's store is found.
    """

    if TYPE_CHECKING:
        _mutex: threading.RLock
        _known: set[str]
        _scopes: dict[str, SessionStore]

        def _ensure(self, scope: str) -> SessionStore: ...
        def _existing(self, scope: str) -> SessionStore | None: ...
        def _writable(self, scope: str) -> SessionStore: ...

    def remember(self, scope: str, key: str, value: str, source_step: str) -> None:
        self._writable(scope).remember(key, value, source_step)

    def recall(self, scope: str, key: str) -> MemoryEntry | None:
        return self._ensure(scope).recall(key)

    def forget(self, scope: str, key: str) -> bool:
        """Drop a memory entry; False if it was not there."""
        store = self._existing(scope)
        return self._writable(scope).forget(key) if store is not None else False

    def persist(self, scope: str, key: str, value: str, source_step: str) -> None:
        self._writable(scope).persist(key, value, source_step)

    def retrieve(self, scope: str, key: str) -> MemoryEntry | None:
        return self._ensure(scope).retrieve(key)

    def query(self, scope: str, query: str) -> list[MemoryEntry]:
        return self._ensure(scope).retrieve_query(query)

    def mutate(self, scope: str, key: str, new_value: str, source_step: str) -> bool:
        return self._writable(scope).mutate(key, new_value, source_step)

    def purge(self, scope: str, key: str) -> bool:
        return self._writable(scope).purge(key)

    def purge_query(self, scope: str, query: str) -> int:
        return self._writable(scope).purge_query(query)

    def flush_all(self) -> list[tuple[str, ScopeError | None]]:
        """Flush every open scope, carrying on past failures."""
        with self._mutex:
            stores = sorted(self._scopes.items())
        results: list[tuple[str, ScopeError | None]] = []
        for name, store in stores:
            try:
                store.flush()
            except ScopeError as exc:
                results.append((name, exc))
            else:
                results.append((name, None))
        return results

    def reload(self, scope: str) -> bool:
        """Re-read a scope from disk, keeping unflushed changes; True if the store changed."""
        return self._ensure(scope).reload()

    def published_memory(self, scope: str) -> PublishedMemory | None:
        """Memory that another process published for this scope (see `publish_memory`)."""
        store = self._existing(scope)
        return store.read_published_memory() if store is not None else None

    def list_scopes(self) -> list[str]:
        with self._mutex:
            return sorted(self._known)

    def scope_count(self) -> int:
        with self._mutex:
            return len(self._known)

    def memory_count(self, scope: str) -> int:
        store = self._scopes.get(scope)
        return store.memory_count() if store is not None else 0

    def store_count(self, scope: str) -> int:
        store = self._existing(scope)
        return store.store_count() if store is not None else 0

    def _all_stores(self) -> list[SessionStore]:
        with self._mutex:
            return [self._ensure(name) for name in sorted(self._known)]

    def total_memory_count(self) -> int:
        return sum(store.memory_count() for store in self._all_stores())

    def total_store_count(self) -> int:
        return sum(store.store_count() for store in self._all_stores())

    def list_entries(self, scope: str) -> list[ScopedEntry]:
        """Both layers of a scope: memory entries, then store entries, each by key."""
        store = self._ensure(scope)
        entries: list[ScopedEntry] = []
        for layer, items in (("memory", store.memory_entries()), ("store", store.store_entries())):
            for e in sorted(items, key=lambda e: e.key):
                entries.append(
                    ScopedEntry(scope, layer, e.key, e.value, e.timestamp, e.source_step)  # type: ignore[arg-type]
                )
        return entries

    def summary(self) -> list[ScopeSummary]:
        return [
            ScopeSummary(store.name, store.memory_count(), store.store_count())
            for store in self._all_stores()
        ]
