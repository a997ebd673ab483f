"""`RedisSource`: every base in one Redis database, each a `ScopedSessionManager`, kept live.

Live changes come from the database's change feed (the stream `axon-scopes:feed`):
each commit and each publish of a memory layer adds an entry naming its base,
scope and keys, so the watcher re-reads only those keys (`refresh(scope, keys=…)`).
It reads the feed from the last entry it saw, so after a lost connection it
catches up on what it missed, then re-reads everything once. Where the feed
cannot be read (an ACL that refuses streams, or `?live=poll`), it polls the
scopes' versions instead and says so in `SourceState.live`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress

import redis.exceptions as rex

from ..errors import ScopeError, SourceUnavailableError
from ..manager import ScopedSessionManager
from ..service import ScopeChange, ScopeService
from ..source import (
    ScopeSource,
    SourceChange,
    SourceListener,
    SourceOptions,
    SourceState,
    start_thread,
)
from ..store import DEFAULT_MAX_VALUE_BYTES
from .codec import decode_keys
from .connection import DEFAULT_BASE, SERVER_ERRORS, connect
from .layout import BASES_KEY, FEED_KEY
from .storage import RedisStorage

#: How long one read of the feed waits for news (also how soon `stop` takes effect).
BLOCK_MS = 500
#: Reconnection waits: doubled from the first to the last after each failure.
BACKOFF_S = (0.1, 5.0)

StateListener = Callable[[SourceState], None]


class RedisSource(ScopeSource):
    """`redis://host:port/db` (every base there) or `…?base=NAME` (that base only).

    `SourceOptions.extra` may hold `live` ("stream" or "poll") and `poll_s`,
    which win over the URL's `?live=` and `?poll=`.
    """

    def __init__(self, url: str, options: SourceOptions | None = None) -> None:
        self._options = options or SourceOptions()
        self.connection = connect(url)
        extra = self._options.extra
        self.mode = str(extra.get("live", self.connection.options.live))
        if self.mode not in {"stream", "poll"}:
            raise ValueError(f"live={self.mode!r}: expected stream or poll")
        self.poll_s = float(extra.get("poll_s", self.connection.options.poll))
        self._only = self.connection.options.base
        self._mutex = threading.RLock()
        self._services: dict[str, ScopedSessionManager] = {}
        self._stoppers: list[Callable[[], None]] = []

    @classmethod
    def around(
        cls, manager: ScopedSessionManager, options: SourceOptions | None = None
    ) -> RedisSource:
        """A source showing a live manager's base (an app embedded in an agent)."""
        source = cls(manager.location, options)
        source._services[manager.base_name] = manager
        return source

    def __repr__(self) -> str:
        return f"<RedisSource {self.location}>"

    @property
    def location(self) -> str:
        return self.connection.location

    @property
    def kind(self) -> str:
        return "redis"

    @property
    def live(self) -> str:
        """How changes are found now, in words (as `SourceState.live` says it)."""
        return "stream" if self.mode == "stream" else f"polling every {self.poll_s:g} s"

    def describe_empty(self) -> str:
        where = f"base {self._only!r}" if self._only else f"the bases listed in {BASES_KEY}"
        return f"No scopes in {self.location}: looked for {where} (one hash per scope)."

    # ── bases ──────────────────────────────────────────────────────────────

    def _bases(self) -> list[str]:
        if self._only:
            return [self._only]
        found = RedisStorage.bases(self.connection)
        return found or [DEFAULT_BASE]

    def _open(self, base: str) -> ScopedSessionManager:
        options = self._options
        kwargs: dict[str, object] = {
            "read_only": options.read_only,
            "max_value_bytes": options.max_value_bytes or DEFAULT_MAX_VALUE_BYTES,
        }
        if options.clock is not None:
            kwargs["clock"] = options.clock
        storage = RedisStorage(self.connection, base, owns=False)
        return ScopedSessionManager(storage, **kwargs)  # type: ignore[arg-type]

    def _discover(self) -> list[str]:
        new: list[str] = []
        for base in self._bases():
            with self._mutex:
                if base in self._services:
                    continue
            service = self._open(base)
            with self._mutex:
                taken = base not in self._services
                if taken:
                    self._services[base] = service
                    new.append(base)
            if not taken:
                service.close()  # Another thread opened it meanwhile.
        return new

    def services(self) -> dict[str, ScopeService]:
        with self._mutex:
            return {base: self._services[base] for base in sorted(self._services)}

    def label(self, base: str) -> str:
        return base

    # ── watching ───────────────────────────────────────────────────────────

    def watch(
        self,
        on_change: SourceListener,
        *,
        reconcile_s: float = 10.0,
        on_state: StateListener | None = None,
    ) -> Callable[[], None]:
        stop = threading.Event()
        watcher = _Watcher(self, on_change, on_state, reconcile_s, stop)
        stopper = start_thread(watcher.run, stop, "axon-scopes redis watch", 5)
        with self._mutex:
            self._stoppers.append(stopper)
        return stopper

    def refresh_scope(
        self, base: str, scope: str, keys: frozenset[str] | None
    ) -> list[SourceChange]:
        """Re-read one scope the feed named (opening its base if it is new)."""
        with self._mutex:
            service = self._services.get(base)
        if service is None:
            if self._only and base != self._only:
                return []
            if base not in self.discover():
                return []
            with self._mutex:
                service = self._services[base]
            return [
                SourceChange(base, ScopeChange(name, "refresh", new=True))
                for name in service.list_scopes()
            ]
        return [SourceChange(base, change) for change in service.refresh(scope, keys=keys)]

    def close(self) -> None:
        with self._mutex:
            stoppers, self._stoppers = self._stoppers, []
        for stopper in stoppers:
            stopper()
        super().close()
        self.connection.close()


class _Watcher:
    """The watch thread: reads the feed (or polls), re-checks every `reconcile_s`, reconnects."""

    def __init__(
        self,
        source: RedisSource,
        on_change: SourceListener,
        on_state: StateListener | None,
        reconcile_s: float,
        stop: threading.Event,
    ) -> None:
        self.source = source
        self.conn = source.connection
        self.on_change = on_change
        self.on_state = on_state
        self.reconcile_s = reconcile_s
        self.stop = stop
        self.mode = source.mode
        self.last_id: bytes | None = None
        #: Why changes are polled for although the feed was asked for ("" if they are not).
        self.detail = ""

    def emit(self, changes: list[SourceChange]) -> None:
        for change in changes:
            with suppress(Exception):  # A listener's failure must not end the watch.
                self.on_change(change)

    def state(self, state: SourceState) -> None:
        if self.on_state is not None:
            with suppress(Exception):
                self.on_state(state)

    def live(self) -> str:
        return "stream" if self.mode == "stream" else f"polling every {self.source.poll_s:g} s"

    def run(self) -> None:
        connected: bool | None = None
        backoff = BACKOFF_S[0]
        next_check = time.monotonic() + self.reconcile_s
        while not self.stop.is_set():
            try:
                if connected is not True:
                    self.conn.run(self.conn.client.ping)
                    if self.mode == "stream" and self.last_id is None:
                        self.last_id = self._feed_position()
                    if connected is False:
                        self.emit(self.source.refresh_all())
                    connected, backoff = True, BACKOFF_S[0]
                    self.state(SourceState(True, self.detail, self.live()))
                if self.mode == "stream":
                    self._read_feed()
                else:
                    self.stop.wait(self.source.poll_s)
                    self.emit(self.source.refresh_all())
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + self.reconcile_s
                    self.emit(self.source.refresh_all())
            except (SourceUnavailableError, *SERVER_ERRORS) as exc:
                reason = (
                    exc.reason
                    if isinstance(exc, SourceUnavailableError)
                    else self.conn.reason(exc)
                )
                if connected is not False:
                    connected = False
                    self.state(
                        SourceState(False, f"disconnected, retrying: {reason}", self.live())
                    )
                self.stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_S[1])
            except (ScopeError, rex.RedisError):
                self.stop.wait(backoff)

    def _feed_position(self) -> bytes:
        """The id of the feed's newest entry: news is what comes after it."""
        try:
            newest = self.conn.client.xrevrange(FEED_KEY, count=1)
        except rex.ResponseError as exc:  # Refused to this user (an ACL), or not a stream.
            self._no_feed(exc)
            return b"0-0"
        except (*SERVER_ERRORS, rex.AuthenticationError) as exc:
            raise self.conn.unavailable(exc) from None
        return newest[0][0] if newest else b"0-0"

    def _no_feed(self, exc: Exception) -> None:
        self.mode = "poll"
        self.detail = f"change feed unavailable: {self.conn.reason(exc)}"
        self.state(SourceState(True, self.detail, self.live()))

    def _read_feed(self) -> None:
        last = self.last_id or b"0-0"
        try:
            reply = self.conn.client.xread({FEED_KEY: last}, count=1_000, block=BLOCK_MS)
        except rex.ResponseError as exc:
            self._no_feed(exc)
            return
        except (*SERVER_ERRORS, rex.AuthenticationError) as exc:
            raise self.conn.unavailable(exc) from None
        if not reply:
            return
        entries = reply[0][1]
        touched: dict[tuple[str, str], set[str] | None] = {}
        for entry_id, fields in entries:
            self.last_id = entry_id
            base = fields.get(b"base", b"").decode("utf-8", "replace")
            scope = fields.get(b"scope", b"").decode("utf-8", "replace")
            listed = fields.get(b"keys")
            place = (base, scope)
            if listed is None:  # A memory layer was published: no store key moved.
                touched.setdefault(place, set())
                continue
            keys: list[str] | None
            try:
                keys = None if listed == b"*" else decode_keys(listed)
            except ValueError:
                keys = None
            held = touched.get(place, set())
            touched[place] = None if keys is None or held is None else held | set(keys)
        for (base, scope), keys in touched.items():
            frozen = None if keys is None else frozenset(keys)
            self.emit(self.source.refresh_scope(base, scope, frozen))
