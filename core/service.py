"""The scope service: what the app and a command line code against, wherever the scopes live.

`ScopedSessionManager` implements it in-process over files; a remote service (a
live AxonServer over HTTP) can implement it too. Optional features are
advertised by `capabilities`, which callers read instead of guessing.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass

from .backend import PublishedMemory
from .commit import Change
from .entry import Layer, MemoryEntry, ScopedEntry
from .export import NEW_FILE_MODE, export_csv, export_json


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a service can do; a UI hides or refuses what is not there."""

    #: The memory layer can be written (a remote server may only show it).
    can_write_memory: bool
    #: `compare_and_set`, `purge_if` and `commit` check under the storage's lock.
    has_compare_and_set: bool
    #: Every write is refused.
    read_only: bool
    #: A memory entry can be deleted (AxonServer has no endpoint for it).
    can_delete_memory: bool = True
    #: How checked writes are checked: "atomic" (where the write happens, under a lock) or
    #: "reread" (the entry is re-read right before writing: that narrows the race with
    #: another writer, it does not close it).
    checked_writes: str = "atomic"
    #: Why writes are refused, in words, when `read_only` came from the service ("" if not).
    read_only_reason: str = ""


@dataclass(frozen=True, slots=True)
class ScopeStatus:
    """One scope in a listing: its counts, and why it is unreadable if it is."""

    scope: str
    memory_count: int
    store_count: int
    #: Why the scope's stored data cannot be read (writes are refused), or None.
    error: str | None = None
    #: Another process published its memory layer for this scope.
    published: bool = False


@dataclass(frozen=True, slots=True)
class ScopeSnapshot:
    """One scope as it is now: both layers, published memory, and why it is unreadable."""

    memory: list[MemoryEntry]
    store: list[MemoryEntry]
    published: PublishedMemory | None = None
    #: Why the stored data cannot be read (the last good entries are shown), or None.
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """Something in a scope changed: by this service's own write, or seen on a refresh."""

    scope: str
    #: `"write"` (a write through this service) or `"refresh"` (found by `refresh`).
    cause: str = "write"
    #: Store entries added, changed and removed (counted on a refresh; 0 when unknown).
    added: int = 0
    changed: int = 0
    removed: int = 0
    #: The store keys touched, when known (a change feed names them); None: unknown.
    keys: frozenset[str] | None = None
    #: The published memory appeared, went or changed.
    published: bool = False
    #: The scope's own memory layer changed (a server's, read over HTTP).
    memory_changed: bool = False
    #: The scope turned unreadable (why), or None.
    error: str | None = None
    #: The scope was found (new) or its data is gone and the scope dropped (gone).
    new: bool = False
    gone: bool = False

    @property
    def counted(self) -> bool:
        """Whether the store counts say anything (some entries moved)."""
        return bool(self.added or self.changed or self.removed)


Subscriber = Callable[[ScopeChange], None]


class Subscribers:
    """The callbacks of `ScopeService.subscribe`, for an implementation to hold; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock, suppress(ValueError):
                self._callbacks.remove(callback)

        return unsubscribe

    def notify(self, change: ScopeChange) -> None:
        """Call every callback (outside the lock, so one may unsubscribe)."""
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback(change)


class ScopeService(ABC):
    """Scopes with two layers each: `memory` (ephemeral) and `store` (persistent).

    Every method may raise `ScopeError` subclasses: `InvalidScopeNameError`,
    `InvalidEntryError`/`ValueTooLargeError` (bad input, nothing written),
    `ScopeReadOnlyError` (unreadable scope), `FlushError` (nothing stored) and
    `WriteConflictError` (a checked write found something else).
    """

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What this service supports (see `Capabilities`)."""

    @abstractmethod
    def scopes(self) -> list[ScopeStatus]:
        """Every known scope, by name, with counts and status."""

    @abstractmethod
    def entries(self, scope: str) -> list[ScopedEntry]:
        """Both layers of a scope: memory entries, then store entries, each by key."""

    @abstractmethod
    def snapshot(self, scope: str) -> ScopeSnapshot:
        """Everything a view of one scope shows, read at one moment."""

    @abstractmethod
    def published_memory(self, scope: str) -> PublishedMemory | None:
        """The memory layer another process published for `scope`, if any."""

    @abstractmethod
    def get(self, scope: str, key: str, *, layer: Layer = "store") -> MemoryEntry | None:
        """One entry of one layer, or None."""

    @abstractmethod
    def put(
        self, scope: str, key: str, value: str, source_step: str, *, layer: Layer = "store"
    ) -> MemoryEntry:
        """Write one entry unconditionally (last writer wins); a store write is stored at once."""

    @abstractmethod
    def delete(self, scope: str, key: str, *, layer: Layer = "store") -> bool:
        """Remove one entry unconditionally; False if it was not there. Stored at once."""

    @abstractmethod
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
        """Write only if `key` holds `expected` (None: absent), checked where the write happens.

        Raises `WriteConflictError` (with the actual entry) and writes nothing otherwise.
        """

    @abstractmethod
    def purge_if(
        self, scope: str, key: str, expected: MemoryEntry | None, *, layer: Layer = "store"
    ) -> None:
        """Remove `key` only if it holds `expected`; see `compare_and_set`."""

    @abstractmethod
    def commit(self, scope: str, changes: Iterable[Change]) -> None:
        """Apply several checked changes to one scope, all of them or none."""

    @abstractmethod
    def refresh(
        self, scope: str | None = None, *, keys: Iterable[str] | None = None
    ) -> list[ScopeChange]:
        """Re-read one scope (or all, finding new ones and dropping gone ones).

        `keys` names the store keys known to have changed (a change feed's), so a
        storage that can may re-read only those. Every change found is also sent
        to the subscribers. Never raises for one unreadable scope: its change
        carries the reason.
        """

    @abstractmethod
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` with each `ScopeChange`; returns the function that unsubscribes.

        Callbacks run on the thread that made or found the change; they must not block.
        """

    def status(self, scope: str) -> ScopeStatus | None:
        """One scope's counts and status (None: unknown scope)."""
        return next((s for s in self.scopes() if s.scope == scope), None)

    def where(self, scope: str) -> str:
        """Where a scope's data lives, for people (a file path, a key); never a password."""
        return scope

    def export_mode(self, scope: str) -> int:
        """Permission bits for an export of `scope`: its file's, or private."""
        return NEW_FILE_MODE

    def export_json(self, scope: str) -> str:
        """AxonServer's export shape: `{"scope", "count", "entries": [...]}`."""
        return export_json(scope, self.entries(scope))

    def export_csv(self, scope: str, *, neutralize_formulas: bool = False) -> str:
        """CSV with AxonServer's header (see `export.export_csv`)."""
        return export_csv(self.entries(scope), neutralize_formulas=neutralize_formulas)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads; the service is not used again."""
