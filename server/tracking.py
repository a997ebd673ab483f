"""Which stored keys moved since the last look, so that every change becomes an event.

The served base's store layer changes three ways: writes through the API (which
publish their own event), other processes' writes that the source's watcher
adopts, and other processes' writes that a checked write of ours adopts along
the way (it re-reads the store under the lock). The tracker keeps the store
layer of every scope as last reported and, after each write and each change the
watcher reports, publishes a `session.persist` event (source `"store"`) for each
key that differs and that the API did not write itself. When a scope's keys
cannot be told (unreadable, or too many at once) one event says `"key": null`.
"""

from __future__ import annotations

import logging
import queue
import threading

from axon_scopes.core import MemoryEntry, ScopeError, ScopeService

from .events import EventBus

#: Above this many keys moved at once, one event with `"key": null` stands for them all.
MAX_KEYS_PER_CHANGE = 64

Layer = dict[str, MemoryEntry]
log = logging.getLogger("axon_scopes.server")


class Tracker:
    """The store layer of each scope as last reported; thread-safe."""

    def __init__(self, service: ScopeService, bus: EventBus) -> None:
        self._service = service
        self._bus = bus
        self._lock = threading.Lock()
        self._seen: dict[str, Layer] = {}
        #: Scopes last found unreadable (their keys cannot be told).
        self._broken: set[str] = set()

    def prime(self) -> None:
        """Take every scope as it is now: what comes later is news."""
        for status in self._service.scopes():
            layer = self._read(status.scope)
            if layer is not None:
                with self._lock:
                    self._seen[status.scope] = layer

    def _read(self, scope: str) -> Layer | None:
        """The scope's store layer now; None when it cannot be read."""
        try:
            snapshot = self._service.snapshot(scope)
        except (ScopeError, OSError):
            return None
        if snapshot.error is not None:
            return None
        return {entry.key: entry for entry in snapshot.store}

    def reconcile(self, scope: str, own: str | None = None) -> None:
        """Publish events for the keys of `scope` that moved, except `own` (the API's key)."""
        with self._lock:  # Read and remember as one step: a slower reader cannot go back.
            layer = self._read(scope)
            before = self._seen.get(scope)
            if layer is None:
                if scope in self._broken:
                    return  # Said once, when it turned unreadable.
                self._broken.add(scope)
                moved: list[str] | None = None
            else:
                self._broken.discard(scope)
                self._seen[scope] = layer
                old = before or {}
                moved = [key for key, entry in layer.items() if old.get(key) != entry]
                moved += [key for key in old if key not in layer]
        if moved is None:
            self._bus.publish("session.persist", {"key": None, "scope": scope}, "store")
            return
        moved = [key for key in moved if key != own]
        if len(moved) > MAX_KEYS_PER_CHANGE:
            self._bus.publish("session.persist", {"key": None, "scope": scope}, "store")
            return
        for key in sorted(moved):
            self._bus.publish("session.persist", {"key": key, "scope": scope}, "store")


class Follower:
    """Reconciles the scopes the source's watcher names, on a thread of its own.

    The watcher's callback must not block: it only queues the scope; a burst of
    changes to one scope is reconciled once.
    """

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="serve-follow", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notice(self, scope: str) -> None:
        self._queue.put(scope)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            scopes = [self._queue.get()]
            while not self._queue.empty():
                scopes.append(self._queue.get_nowait())
            for scope in dict.fromkeys(scopes):
                if scope is None:
                    return
                try:
                    self._tracker.reconcile(scope)
                except Exception:  # One failed look must not end the following.
                    log.exception("cannot compare scope %r with what was reported", scope)
