"""Published memory layers in Redis: one key per process, with an expiry, merged to read.

A mixin of `RedisBackend`: each process publishes its memory layer under a key of
its own that expires unless kept alive, so a browser shows every live agent's
memory and a process that died stops showing once its key expires.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import redis.exceptions as rex

from ..backend import PublishedMemory, Version
from ..entry import MemoryEntry
from ..errors import FlushError, SourceUnavailableError, StoreUnreadableError
from . import scripts
from .codec import BadEntry, decode_memory, encode_entries
from .layout import FEED_CAP, FEED_KEY, ScopeKeys

if TYPE_CHECKING:
    from .connection import Connection
    from .storage import RedisStorage


class Publishing:
    """Publish, keep alive, withdraw and read the memory layers of one scope."""

    if TYPE_CHECKING:
        _storage: RedisStorage
        _conn: Connection
        scope: str
        keys: ScopeKeys
        publisher: str
        published: bytes | None
        _last_live: bool
        location: str

        def _register(self) -> None: ...
        def _run(self, call: Callable[[], Any]) -> Any: ...
        def _unreadable(self, reason: str) -> StoreUnreadableError: ...
        def _flush_error(self, exc: BaseException, what: str = ...) -> FlushError: ...

    def _memory_keys(self, with_feed: bool) -> list[str]:
        k = self.keys
        keys = [k.publishers, k.memory(self.publisher), k.memory_version]
        if with_feed and not self._conn.cluster:
            keys.append(FEED_KEY)
        return keys

    def publish_memory(self, entries: Sequence[MemoryEntry]) -> None:
        payload = encode_entries(sorted(entries, key=lambda e: e.key)) if entries else b""
        self._publish(payload)
        self.published = payload or None
        self._storage.keep_alive(self)

    def _publish(self, payload: bytes) -> None:
        ttl_ms = int(self._conn.options.memory_ttl * 1000)
        args = [self.publisher, ttl_ms, payload, self._storage.base_name, self.scope, FEED_CAP]
        what = "the memory layer was not published"
        try:
            self._conn.run(self._register)
            version = self._conn.run(
                lambda: self._conn.script(scripts.PUBLISH)(keys=self._memory_keys(True), args=args)
            )
        except SourceUnavailableError as exc:
            raise FlushError(self.location, f"{exc.reason}; {what}") from None
        except rex.RedisError as exc:
            raise self._flush_error(exc, what) from None
        if self._conn.cluster:
            fields = {"base": self._storage.base_name, "scope": self.scope, "memory": version}
            with contextlib.suppress(rex.RedisError):
                self._conn.client.xadd(FEED_KEY, fields, maxlen=FEED_CAP, approximate=True)

    def keep_publication_alive(self) -> None:
        """Extend this process's publication; publish it again if it expired meanwhile."""
        payload = self.published
        if payload is None:
            return
        ttl_ms = int(self._conn.options.memory_ttl * 1000)
        k = self.keys
        alive = self._conn.run(
            lambda: self._conn.script(scripts.KEEP_ALIVE)(
                keys=[k.publishers, k.memory(self.publisher)], args=[self.publisher, ttl_ms]
            )
        )
        if not alive:
            self._publish(payload)

    def withdraw(self) -> None:
        """Take this process's publication down now (a clean exit)."""
        if self.published is not None:
            self.published = None
            self._publish(b"")

    def _memory_state(self) -> tuple[int, list[bytes]]:
        k = self.keys
        reply = self._run(
            lambda: self._conn.script(scripts.MEMORY_STATE)(keys=[k.publishers, k.memory_version])
        )
        return int(reply[0]), sorted(reply[1:])

    def published_memory_version(self) -> Version | None:
        try:
            version, ids = self._memory_state()
        except (SourceUnavailableError, StoreUnreadableError):
            return None
        self._last_live = bool(ids)
        return (version, tuple(ids))

    def has_published_memory(self) -> bool:
        """Whether a live process publishes; the last answer while the server is away."""
        try:
            _version, ids = self._memory_state()
        except SourceUnavailableError:
            return self._last_live
        except StoreUnreadableError:
            return True
        self._last_live = bool(ids)
        return self._last_live

    def read_published_memory(self) -> PublishedMemory | None:
        """Every live publisher's layer merged: per key the newest entry (then the newest
        publication) wins; `mtime` is the newest publication's time."""
        _version, ids = self._memory_state()
        self._last_live = bool(ids)
        if not ids:
            return None
        names = [self.keys.memory(i.decode()) for i in ids]
        payloads = self._run(lambda: self._conn.client.mget(names))
        layers: list[tuple[int, list[MemoryEntry]]] = []
        for payload in payloads:
            if payload is None:
                continue  # Expired between the two reads.
            stamp, _sep, data = payload.partition(b"\n")
            try:
                layers.append((int(stamp), decode_memory(data)))
            except (ValueError, BadEntry) as exc:
                raise self._unreadable(f"a published memory layer is unreadable: {exc}") from None
        if not layers:
            return None
        layers.sort(key=lambda layer: layer[0])
        best: dict[str, tuple[int, int, MemoryEntry]] = {}
        for stamp, entries in layers:
            for entry in entries:
                rank = (entry.timestamp, stamp)
                held = best.get(entry.key)
                if held is None or rank >= held[:2]:
                    best[entry.key] = (entry.timestamp, stamp, entry)
        merged = [best[key][2] for key in sorted(best)]
        return PublishedMemory(merged, layers[-1][0] / 1000)
