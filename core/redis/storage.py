"""`RedisStorage`: one base's scopes in one Redis database (a single server or a cluster)."""

from __future__ import annotations

import threading
import weakref
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis.exceptions as rex

from ..backend import BackendOptions, ScopeStorage, StoreBackend
from ..errors import ScopeError, SourceUnavailableError
from . import scripts
from .backend import RedisBackend
from .connection import DEFAULT_BASE, Connection, connect
from .layout import BASES_KEY, ScopeKeys, scopes_key, validate_scope_name


def with_base(location: str, base: str) -> str:
    """A location that names its base (`?base=`), so that two bases never read alike."""
    parts = urlsplit(location)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "base"]
    query.insert(0, ("base", base))
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


class RedisStorage(ScopeStorage):
    """A base's scopes as hashes (see `layout`), found through the base's registry set.

    Discovery reads the registry (`SMEMBERS`) and checks each scope's keys in one
    pipeline, never `KEYS` or `SCAN`: its cost follows the number of scopes, not the
    size of the database. Published memory layers are kept alive by one thread
    while the process lives, and expire `memory_ttl` seconds after it dies.
    """

    def __init__(self, connection: Connection, base: str | None = None, *, owns: bool = True):
        self.connection = connection
        self._base = base or connection.options.base or DEFAULT_BASE
        self._owns = owns
        self._location = with_base(connection.location, self._base)
        self._mutex = threading.Lock()
        self._registered: set[str] = set()
        self._publishing: weakref.WeakSet[RedisBackend] = weakref.WeakSet()
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    @classmethod
    def from_url(cls, url: str) -> RedisStorage:
        """`redis://[user:password@]host[:port][/db][?base=NAME&cluster=1&memory_ttl=30]`,
        `rediss://…` (TLS) or `unix:///path/redis.sock?db=0`; raises `SourceUnavailableError`."""
        return cls(connect(url))

    @staticmethod
    def bases(connection: Connection) -> list[str]:
        """The bases stored in a database (its registry of bases), sorted."""
        names = connection.run(lambda: connection.client.smembers(BASES_KEY))
        return sorted(name.decode("utf-8", "replace") for name in names)

    def __repr__(self) -> str:
        return f"<RedisStorage {self._location}>"

    @property
    def location(self) -> str:
        return self._location

    @property
    def base_name(self) -> str:
        return self._base

    def discover(self) -> list[str]:
        try:
            return self.stored_scopes()
        except SourceUnavailableError:
            return []

    def stored_scopes(self) -> list[str]:
        """The registered scopes whose data exists; raises `SourceUnavailableError`.

        A scope is registered before its first commit, so a registered name with
        neither key is one that never held data. Either key counts: a hash whose
        version key is gone (evicted, or restored without it) still holds entries,
        and a store key of another type must be shown as such, not hidden.
        """
        client = self.connection.client

        def read() -> list[str]:
            members = sorted(client.smembers(scopes_key(self._base)))
            names = [m.decode("utf-8", "surrogateescape") for m in members]
            pipe = client.pipeline(transaction=False)
            for name in names:
                keys = ScopeKeys(self._base, name)
                pipe.exists(keys.version, keys.store)  # One slot: the scope's hash tag.
            found = pipe.execute() if names else []
            return [name for name, there in zip(names, found, strict=True) if there]

        return self.connection.run(read)

    def published_among(self, scopes: list[str]) -> set[str] | None:
        """One pipelined round trip for every scope (a cluster's slots differ: None)."""
        if self.connection.cluster:
            return None
        client = self.connection.client
        script = self.connection.script(scripts.MEMORY_STATE)

        def read() -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for scope in scopes:
                k = ScopeKeys(self._base, scope)
                script(keys=[k.publishers, k.memory_version], client=pipe)
            return pipe.execute(raise_on_error=False)

        try:
            replies = self.connection.run(read)
        except (SourceUnavailableError, rex.RedisError):
            return None  # Each backend answers, with what it last knew.
        if any(isinstance(reply, Exception) for reply in replies):
            return None  # A key of the wrong type: the backend names the scope.
        return {scope for scope, reply in zip(scopes, replies, strict=True) if len(reply) > 1}

    def register(self, scope: str) -> None:
        """Add a scope (and its base) to the registries, once per process."""
        with self._mutex:
            if scope in self._registered:
                return
        client = self.connection.client

        def write() -> None:
            pipe = client.pipeline(transaction=False)
            pipe.sadd(BASES_KEY, self._base)
            pipe.sadd(scopes_key(self._base), scope)
            pipe.execute()

        self.connection.run(write)
        with self._mutex:
            self._registered.add(scope)

    def backend(self, scope: str, options: BackendOptions) -> StoreBackend:
        """The size limit applies to what a scope holds; commits take no lock, so no timeout."""
        validate_scope_name(scope)
        return RedisBackend(self, scope, options.max_file_bytes)

    def release(self, scope: str) -> None:
        with self._mutex:
            self._registered.discard(scope)

    # ── keeping published memory alive ────────────────────────────────────

    def keep_alive(self, backend: RedisBackend) -> None:
        """Keep `backend`'s publication alive from now on (one thread for the storage)."""
        with self._mutex:
            self._publishing.add(backend)
            if self._keeper is None and not self._stop.is_set():
                self._keeper = threading.Thread(
                    target=self._keep, name="axon-scopes redis keep-alive", daemon=True
                )
                self._keeper.start()

    def _keep(self) -> None:
        interval = max(0.05, self.connection.options.memory_ttl / 3)
        while not self._stop.wait(interval):
            with self._mutex:
                backends = list(self._publishing)
            for backend in backends:
                # The server may be away: the next round tries again.
                with suppress(ScopeError, rex.RedisError, OSError):
                    backend.keep_publication_alive()

    def close(self) -> None:
        """Stop the keep-alive, withdraw this process's publications, close the connection."""
        self._stop.set()
        keeper = self._keeper
        if keeper is not None:
            keeper.join(timeout=5)
        with self._mutex:
            backends = list(self._publishing)
            self._publishing = weakref.WeakSet()
        for backend in backends:
            with suppress(ScopeError, rex.RedisError, OSError):
                backend.withdraw()
        if self._owns:
            self.connection.close()
