"""`ScopedSessionManager`: Axon's scope manager, one `SessionStore` per scope."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .commit import Change
from .entry import Layer, MemoryEntry, ScopedEntry, ScopeSummary
from .errors import ReadOnlyServiceError, ScopeCollisionError, ScopeError, StoreUnreadableError
from .export import export_csv, export_json
from .files.naming import (
    DEFAULT_SCOPE,
    SESSION_SUFFIX,
    base_names_in,
    parse_scope_file,
    source_file_for,
    store_path_for,
    validate_scope_name,
)
from .service import Capabilities, ScopeService, ScopeStatus, Subscriber, Subscribers
from .store import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_VALUE_BYTES,
    DEFAULT_RETRY_BUDGET,
    Clock,
    PublishedMemory,
    SessionStore,
)


class ScopedSessionManager(ScopeService):
    """Scopes `global`, `flow:<name>`, `daemon:<name>` or any custom name over one base path.

    Files are Axon's (`<dir>/.<base>__<scope>.session.json`). Unlike Axon's
    manager, scope files that other processes wrote are discovered (only names
    Axon's rule can produce), names that could escape the directory are refused,
    and only regular files of at most `max_file_bytes` are read. Thread-safe.
    It is the in-process `ScopeService`; `read_only=True` refuses every write
    (`ReadOnlyServiceError`).
    """

    def __init__(
        self,
        base_path: str | os.PathLike[str],
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
        self._base_path = os.fspath(base_path)
        self._directory = Path(os.path.dirname(self._base_path) or ".")
        self._base_name = os.path.basename(self._base_path)
        self._store_options = {
            "clock": clock,
            "max_value_bytes": max_value_bytes,
            "publish_memory": publish_memory,
            "retry_budget": retry_budget,
            "lock_timeout": lock_timeout,
            "max_file_bytes": max_file_bytes,
        }
        self._mutex = threading.RLock()
        self._scopes: dict[str, SessionStore] = {}
        self._paths: dict[str, Path] = {}
        self._owners: dict[Path, str] = {}
        self._read_only = read_only
        self._subscribers = Subscribers()
        if discover:
            self.discover()
        self._ensure(DEFAULT_SCOPE)

    # ── scopes and files ───────────────────────────────────────────────────

    @property
    def base_path(self) -> str:
        return self._base_path

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def base_name(self) -> str:
        return self._base_name

    def _register(self, scope: str, path: Path) -> None:
        owner = self._owners.get(path)
        if owner is not None and owner != scope:
            raise ScopeCollisionError(
                scope,
                f"Axon stores it in {path.name}, which already holds scope {owner!r}",
            )
        self._paths[scope] = path
        self._owners[path] = scope

    @staticmethod
    def bases_in(directory: str | os.PathLike[str]) -> list[str]:
        """Base names of the stores in a directory (`.<base>__<scope>.session.json`)."""
        return base_names_in(Path(directory))

    @staticmethod
    def file_pattern(base_name: str | None = None) -> str:
        """The glob of a base's store files (of any base's when None), to show where we look."""
        return f".{base_name or '*'}__*{SESSION_SUFFIX}"

    def scope_for_path(self, path: str | os.PathLike[str]) -> tuple[str, bool] | None:
        """(scope, whether it is the published-memory sidecar) for a file of this store."""
        parsed = parse_scope_file(Path(path).name, self._base_name)
        if parsed is None:
            return None
        with self._mutex:
            for scope, known in self._paths.items():
                if known.name == parsed.store_name:
                    return scope, parsed.memory
        return None

    def discover(self) -> list[str]:
        """Register scope files that appeared on disk; returns the new scope names."""
        try:
            names = sorted(os.listdir(self._directory))
        except FileNotFoundError:
            return []
        found: list[str] = []
        with self._mutex:
            for file_name in names:
                parsed = parse_scope_file(file_name, self._base_name)
                if parsed is None or parsed.memory or parsed.scope in self._paths:
                    continue
                scope = parsed.scope
                path = self._directory / file_name
                if path in self._owners:
                    continue
                self._register(scope, path)
                found.append(scope)
        return found

    def _path_for(self, scope: str) -> Path:
        path = self._paths.get(scope)
        if path is None:
            validate_scope_name(scope, self._base_path)
            path = store_path_for(source_file_for(self._base_path, scope))
            self._register(scope, path)
        return path

    def _ensure(self, scope: str) -> SessionStore:
        """Get or open a scope's store (creating no file)."""
        with self._mutex:
            store = self._scopes.get(scope)
            if store is None:
                path = self._path_for(scope)
                store = SessionStore(
                    source_file_for(self._base_path, scope),
                    name=scope,
                    path=path,
                    **self._store_options,  # type: ignore[arg-type]
                )
                self._scopes[scope] = store
            return store

    def _existing(self, scope: str) -> SessionStore | None:
        """The store of a known scope (opening a discovered one); None for unknown names."""
        with self._mutex:
            if scope in self._scopes:
                return self._scopes[scope]
            if scope in self._paths:
                return self._ensure(scope)
            return None

    def store(self, scope: str) -> SessionStore:
        """The `SessionStore` behind a scope (opened or created on demand)."""
        return self._ensure(scope)

    def has_scope(self, scope: str) -> bool:
        with self._mutex:
            return scope in self._paths

    def store_path(self, scope: str) -> Path:
        with self._mutex:
            return self._path_for(scope)

    def scope_error(self, scope: str) -> StoreUnreadableError | None:
        """Why a scope's file is unreadable, or None."""
        store = self._existing(scope)
        return store.error if store is not None else None

    def forget_scope(self, scope: str) -> bool:
        """Drop a scope whose file is gone, unless this process has unflushed changes in it."""
        with self._mutex:
            store = self._scopes.get(scope)
            busy = store is not None and (store.dirty or store.memory_count() > 0)
            if scope == DEFAULT_SCOPE or busy:
                return False
            path = self._paths.pop(scope, None)
            if path is None:
                return False
            self._owners.pop(path, None)
            self._scopes.pop(scope, None)
            return True

    # ── delegated operations (the seed's) ──────────────────────────────────

    def _writable(self, scope: str) -> SessionStore:
        if self._read_only:
            raise ReadOnlyServiceError(scope)
        return self._ensure(scope)

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

    # ── checked writes (see `SessionStore.commit`) ─────────────────────────

    def commit(self, scope: str, changes: Iterable[Change]) -> None:
        """Apply checked changes to one scope, all or none; store changes are flushed."""
        self._writable(scope).commit(changes)
        self._subscribers.notify(scope)

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
        self._subscribers.notify(scope)
        return entry

    def purge_if(
        self, scope: str, key: str, expected: MemoryEntry | None, *, layer: Layer = "store"
    ) -> None:
        """Remove `key` only if it holds `expected`, checked under the lock; flushed."""
        self._writable(scope).purge_if(key, expected, layer=layer)
        self._subscribers.notify(scope)

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
        self._subscribers.notify(scope)

    def flush(self, scope: str) -> bool:
        """Flush one scope; raises `FlushError` or `ScopeReadOnlyError` on failure."""
        wrote = self._writable(scope).flush()
        if wrote:
            self._subscribers.notify(scope)
        return wrote

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

    # ── introspection ──────────────────────────────────────────────────────

    def list_scopes(self) -> list[str]:
        with self._mutex:
            return sorted(self._paths)

    def scope_count(self) -> int:
        with self._mutex:
            return len(self._paths)

    def memory_count(self, scope: str) -> int:
        store = self._scopes.get(scope)
        return store.memory_count() if store is not None else 0

    def store_count(self, scope: str) -> int:
        store = self._existing(scope)
        return store.store_count() if store is not None else 0

    def _all_stores(self) -> list[SessionStore]:
        with self._mutex:
            return [self._ensure(name) for name in sorted(self._paths)]

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

    # ── the scope service (see `service.ScopeService`) ──────────────────────

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            can_write_memory=True, has_compare_and_set=True, read_only=self._read_only
        )

    def scopes(self) -> list[ScopeStatus]:
        return [
            ScopeStatus(
                s.name,
                s.memory_count(),
                s.store_count(),
                None if s.error is None else s.error.reason,
            )
            for s in self._all_stores()
        ]

    def entries(self, scope: str) -> list[ScopedEntry]:
        return self.list_entries(scope)

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
        self._subscribers.notify(scope)
        return entry

    def delete(self, scope: str, key: str, *, layer: Layer = "store") -> bool:
        store = self._writable(scope)
        existed = store.forget(key) if layer == "memory" else store.purge(key)
        if existed and layer == "store":
            store.flush()
        if existed:
            self._subscribers.notify(scope)
        return existed

    def refresh(self, scope: str | None = None) -> list[str]:
        """Re-read scopes (all of them, discovering new files, when `scope` is None).

        An unreadable scope counts as changed when it turns unreadable or readable
        again; `scopes()` says why. Never raises for one bad file.
        """
        changed = set() if scope is not None else set(self.discover())
        stores = [self._ensure(scope)] if scope is not None else self._all_stores()
        for store in stores:
            was_bad = store.error is not None
            try:
                if store.reload() or was_bad:
                    changed.add(store.name)
            except StoreUnreadableError:
                if not was_bad:
                    changed.add(store.name)
        for name in sorted(changed):
            self._subscribers.notify(name, "refresh")
        return sorted(changed)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        return self._subscribers.subscribe(callback)

    # ── export ─────────────────────────────────────────────────────────────

    def export_json(self, scope: str) -> str:
        """AxonServer's export shape: `{"scope", "count", "entries": [...]}`."""
        return export_json(scope, self.list_entries(scope))

    def export_csv(self, scope: str, *, neutralize_formulas: bool = False) -> str:
        """CSV with AxonServer's header (see `export.export_csv`)."""
        return export_csv(self.list_entries(scope), neutralize_formulas=neutralize_formulas)
