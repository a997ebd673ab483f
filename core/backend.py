"""The storage seam below `SessionStore`: where one scope's store layer lives.

`SessionStore` keeps the two layers in memory and talks to storage only through
`StoreBackend`. The file backend (`core.files.FileBackend`) keeps Axon's JSON
files; another backend (a Redis hash, a remote server) implements the same
methods. Errors are the core's own: `StoreUnreadableError` for stored data that
cannot be read, `FlushError` for a commit that wrote nothing, `WriteConflictError`
for a checked change whose key holds something else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

from .commit import Change
from .entry import MemoryEntry
from .errors import StoreUnreadableError

#: An opaque token for one state of the stored entries; only compared for equality.
Version = Hashable


@dataclass(frozen=True, slots=True)
class Loaded:
    """A scope's stored entries by key, and the version they were read at.

    `version` is None when it could not prove "unchanged" later (for files: one
    modified too recently, see `files.atomic.settled`); the next check re-reads.
    """

    entries: dict[str, MemoryEntry]
    version: Version | None


@dataclass(frozen=True, slots=True)
class PublishedMemory:
    """A memory layer that another process published, and when it did."""

    entries: list[MemoryEntry]
    mtime: float


class StoreBackend(ABC):
    """One scope's persistent entries and its published memory layer.

    A backend is used by one `SessionStore`, under that store's mutex: it need
    not be thread-safe itself, but it must be safe against other processes.
    """

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the entries live, for messages people read (a path, a URL)."""

    @abstractmethod
    def load(self) -> Loaded:
        """Read every stored entry (none at all if nothing was ever stored).

        Raises `StoreUnreadableError` if the stored data exists but cannot be read;
        it must then be left as it is. The error's `version` is the version of what
        was refused (None if unknown), so that it is not read again unchanged.
        """

    @abstractmethod
    def version(self) -> Version | None:
        """The current version, cheaply (no read of the entries).

        Equal to a `Loaded.version` (or an error's `version`) only if the stored
        entries are provably the same; None when there is nothing stored.
        """

    @abstractmethod
    def commit(
        self,
        view: Mapping[str, MemoryEntry],
        sets: Mapping[str, MemoryEntry],
        purges: Collection[str],
        checked: Sequence[Change],
    ) -> dict[str, MemoryEntry] | None:
        """Store this process's changes atomically, merged per key over what is stored now.

        `sets` are keys written and `purges` keys removed since the last commit;
        `view` is the caller's whole store layer (what it last loaded or committed,
        with `sets` and `purges` applied). `checked` are changes that apply only if
        their key holds `expected` in what is stored now with `sets` and `purges`
        on top; they are compared under exclusive access (a lock, a transaction),
        after the stored entries are read again, and a mismatch raises
        `WriteConflictError` with nothing stored.

        Returns the entries as now stored, or None when they are exactly `view`
        with `checked` applied (nobody else wrote since: the caller need not copy).
        Raises `FlushError` (nothing stored; e.g. a lock timeout or a full disk) or
        `StoreUnreadableError` (the stored data became unreadable; left as it is).
        """

    @abstractmethod
    def publish_memory(self, entries: Sequence[MemoryEntry]) -> None:
        """Publish a memory layer so that other processes can show it.

        Replaces what was published before. Raises `FlushError` if nothing was
        published. A backend that cannot publish raises `NotImplementedError`
        and says so in `can_publish_memory`.
        """

    @abstractmethod
    def read_published_memory(self) -> PublishedMemory | None:
        """The memory layer another process published for this scope, or None.

        Raises `StoreUnreadableError` if what was published cannot be read.
        """

    def published_memory_version(self) -> Version | None:
        """A cheap version of what is published (no read of the entries), or None.

        Equal to an earlier one only if the published layer is provably the same
        (nothing published counts as a version too); None when that cannot be
        proved cheaply, and the caller reads it. The default proves nothing.
        """
        return None

    def has_published_memory(self) -> bool:
        """Whether a memory layer is published now, cheaply where the backend can tell."""
        try:
            return self.read_published_memory() is not None
        except StoreUnreadableError:
            return True

    @property
    def can_publish_memory(self) -> bool:
        """Whether `publish_memory` is implemented."""
        return True

    def committed_version(self) -> Version | None:
        """The version the last `commit` left the entries at, if that proves them unchanged.

        None (the default) when it cannot: a file rewritten within its timestamp tick.
        A backend whose versions are exact counters (Redis) returns the new one, so that a
        refresh right after a commit reads nothing.
        """
        return None

    def load_keys(self, keys: Collection[str]) -> KeysLoaded | None:
        """Read only `keys`, when the backend can do it cheaply; None when it cannot.

        Lets a reload triggered by a change feed that names its keys move only
        those keys (a Redis hash); a file must be read whole, so the default says no.
        """
        return None


@dataclass(frozen=True, slots=True)
class KeysLoaded:
    """Some keys' stored entries (None: not stored) and the scope's version read with them."""

    entries: dict[str, MemoryEntry | None]
    version: Version | None


class ScopeStorage(ABC):
    """One base's scopes in one place: finds the stored ones and gives each its backend.

    A `ScopedSessionManager` holds one. The file storage keeps Axon's files
    `<dir>/.<base>__<scope>.session.json`; a Redis storage keeps one hash per
    scope. Thread-safe.
    """

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the base lives, for messages people read; never holds a password."""

    @property
    @abstractmethod
    def base_name(self) -> str:
        """The base's name (`axon-server`): several bases can share one place."""

    @abstractmethod
    def discover(self) -> list[str]:
        """The names of the scopes stored now, sorted; an unreachable place gives none."""

    @abstractmethod
    def backend(self, scope: str, options: BackendOptions) -> StoreBackend:
        """The backend of one scope (storing nothing yet).

        Raises `InvalidScopeNameError` for a name this storage cannot hold, and
        `ScopeCollisionError` for one that would share another scope's place.
        """

    def published_among(self, scopes: list[str]) -> set[str] | None:
        """Which of `scopes` have a memory layer published now, asked all at once.

        None: this storage cannot tell in one go, and each backend is asked
        (`StoreBackend.has_published_memory`); a remote storage answers here to
        save a round trip per scope on every listing.
        """
        return None

    def release(self, scope: str) -> None:  # noqa: B027 - optional hook
        """The scope was dropped (its data is gone); forget what was kept for it."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads; the storage is not used again."""


@dataclass(frozen=True, slots=True)
class BackendOptions:
    """Limits and waits every backend honours (set on the manager)."""

    max_file_bytes: int
    retry_budget: float
    lock_timeout: float
