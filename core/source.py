"""Sources: where the services come from, and how changes made elsewhere reach a viewer.

A source is what the user points the app or the command line at: a directory of
Axon's files, one base path, a Redis URL. It holds one `ScopeService` per base
(a directory can hold the stores of several servers), finds new bases, and,
once `watch` is called, reports every change made by other processes as a
`SourceChange` (a file watcher, a Redis stream), with a periodic full re-check
that catches whatever a notification missed.

`open_source` turns the single source string users type into a source.
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .service import ScopeChange, ScopeService


@dataclass(frozen=True, slots=True)
class SourceChange:
    """A change in one base's scope (`change.new` for a base that just appeared)."""

    base: str
    change: ScopeChange


@dataclass(frozen=True, slots=True)
class SourceState:
    """Whether the source can be reached, for a status line; `detail` says why not."""

    connected: bool = True
    detail: str = ""
    #: How changes are found: "watching files", "stream", "polling every 1 s", "off".
    live: str = "off"
    #: Not connected because the source wants a (new) token: a viewer may ask for one.
    needs_token: bool = False


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What every source honours; extras are a source's own (see its documentation)."""

    read_only: bool = False
    max_value_bytes: int | None = None
    max_file_bytes: int | None = None
    lock_timeout: float | None = None
    clock: Callable[[], float] | None = None
    #: Not in the repr: it may hold a server's token.
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


SourceListener = Callable[[SourceChange], None]
#: What a Redis source string starts with.
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
#: What an AxonServer source string starts with (its HTTP API).
HTTP_SCHEMES = ("http://", "https://")
StateListener = Callable[[SourceState], None]


class ScopeSource(ABC):
    """Bases of scopes in one place, each a `ScopeService`; thread-safe."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where it is, as the user gave it; never holds a password."""

    @property
    def where(self) -> str:
        """Where `location` is, for people (a directory in absolute terms, a host)."""
        return self.location

    @property
    @abstractmethod
    def kind(self) -> str:
        """A word for messages: "files", "redis", "server"."""

    @abstractmethod
    def describe_empty(self) -> str:
        """What to tell a user who sees no scopes: where we looked, what we look for."""

    def discover(self) -> list[str]:
        """Open services for bases that appeared; returns the new bases.

        May read (a big global scope takes seconds): call it off the UI thread.
        An unreachable source raises `SourceUnavailableError`. One runs at a time: a
        caller waits for one under way (`prefetch`) and then finds its bases open,
        rather than reading them a second time.
        """
        with _discovery_lock(self):
            return self._discover()

    @abstractmethod
    def _discover(self) -> list[str]:
        """`discover` itself, one call at a time."""

    def prefetch(self) -> None:
        """Start discovering now, on a thread of its own.

        Opening a big base reads its global scope, and much of that is waiting for a
        server or a disk: a command about to load a UI overlaps the two, and its own
        `discover` then waits for this one. A failure is left for that call to report.
        """

        def run() -> None:
            with contextlib.suppress(Exception):
                self.discover()

        threading.Thread(target=run, name="source-prefetch", daemon=True).start()

    @abstractmethod
    def services(self) -> dict[str, ScopeService]:
        """The bases opened so far, by base id, in display order (a new dict each time)."""

    def service(self, base: str) -> ScopeService:
        return self.services()[base]

    @abstractmethod
    def label(self, base: str) -> str:
        """A base's name for people (the tree's top level)."""

    def has_data(self) -> bool:
        """Whether anything is stored (or held in memory) in any base."""
        for service in self.services().values():
            for status in service.scopes():
                if status.store_count or status.memory_count or status.published:
                    return True
        return False

    @abstractmethod
    def watch(
        self,
        on_change: SourceListener,
        *,
        reconcile_s: float = 10.0,
        on_state: StateListener | None = None,
    ) -> Callable[[], None]:
        """Start reporting changes made elsewhere; returns the function that stops it.

        `on_change` runs on the source's own thread, never blocks, and may be
        called for a change the caller made itself. Every `reconcile_s` seconds
        every scope is re-read, for what a notification missed. `on_state` hears
        of losing and regaining the connection (and of how changes are found).
        """

    def refresh_all(self) -> list[SourceChange]:
        """Re-read every base now (what the periodic re-check does); off the UI thread."""
        self.discover()
        found: list[SourceChange] = []
        for base, service in self.services().items():
            found.extend(SourceChange(base, change) for change in service.refresh())
        return found

    def focus(self, base: str, scope: str | None) -> None:  # noqa: B027 - optional hook
        """The scope a viewer shows now (None: none). A source that polls re-reads it more
        often (a server's internal writes tell no one); the others ignore it."""

    def set_token(self, token: str | None) -> None:  # noqa: B027 - optional hook
        """Use this bearer token from now on (a server that answered 401); others ignore it."""

    def check(self) -> None:  # noqa: B027 - optional hook
        """Raise `SourceUnavailableError` if what was given cannot be a source at all.

        Cheap and reads no data: a missing directory, a path through a file. A source
        that can only tell by connecting leaves this to `discover`.
        """

    def close(self) -> None:
        """Stop watching and close every service."""
        for service in self.services().values():
            service.close()


_LOCKS_GUARD = threading.Lock()


def _discovery_lock(source: ScopeSource) -> threading.RLock:
    """The source's own lock for `discover` (re-entrant: a re-check may discover)."""
    lock = source.__dict__.get("_discovery_lock")
    if lock is None:
        with _LOCKS_GUARD:
            lock = source.__dict__.setdefault("_discovery_lock", threading.RLock())
    return lock  # type: ignore[no-any-return]


def start_thread(
    run: Callable[[], None], stop: threading.Event, name: str, join_s: float
) -> Callable[[], None]:
    """Run a source's watcher on a daemon thread; the function that stops it and waits."""
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=join_s)

    return stopper


def open_source(target: object = None, options: SourceOptions | None = None) -> ScopeSource:
    """The source behind what a user typed: a server or Redis URL, a directory or a base path.

    `target` may also be a `ScopedSessionManager` (an app embedded in an agent). What
    cannot be a source (a missing directory, a path through a file) raises
    `SourceUnavailableError` here, before anything is opened or written.
    """
    options = options or SourceOptions()
    location = getattr(target, "location", target)  # A manager: where its base lives.
    if isinstance(location, str) and location.lower().startswith(HTTP_SCHEMES):
        from .http.source import HttpSource

        source = HttpSource(location, options)
    elif isinstance(location, str) and location.startswith(REDIS_SCHEMES):
        from .manager import ScopedSessionManager
        from .redis.source import RedisSource

        if isinstance(target, ScopedSessionManager):
            source: ScopeSource = RedisSource.around(target, options)
        else:
            source = RedisSource(location, options)
    else:
        from .files.source import FileSource

        source = FileSource(target, options)  # type: ignore[arg-type]
    source.check()
    return source
