"""`HttpSource`: a running AxonServer, attached over its HTTP API, polled for changes.

One base: the server (labelled `host:port`). Its watch thread polls the listing
and the `session.*` event stream every `poll_s`: a scope whose counts moved, or that
an event names, is re-read and reported; new and gone scopes are reported too. The
scope a viewer shows (`focus`) is re-read every `shown_poll_s` as well, since the
writes a flow makes inside the server publish no event. Lost connection: the state
says "disconnected, retrying" and polls back off; found again, everything is
re-read once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import ScopeError, SourceUnavailableError, TokenRequiredError
from ..service import ScopeService
from ..source import (
    ScopeSource,
    SourceChange,
    SourceListener,
    SourceOptions,
    SourceState,
    StateListener,
    start_thread,
)
from ..store import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_VALUE_BYTES
from .client import RateLimitedError, split_url
from .events import EventCursor, parse_stream

if TYPE_CHECKING:
    from .client import HttpClient
    from .service import HttpService

#: Reconnection waits: doubled from the first to the last after each failure.
BACKOFF_S = (0.2, 5.0)


class HttpSource(ScopeSource):
    """`http://HOST:PORT` or `https://…`: one AxonServer.

    `SourceOptions.extra` may hold:
    - `token`: the bearer key (else the URL's password, if any); never shown or logged;
    - `poll_s`: seconds between two polls of the listing and the events (default 1);
    - `shown_poll_s`: seconds between two re-reads of the shown scope (default 5);
    - `timeout_s`: seconds a request may take (default 10).
    `max_file_bytes` caps every answer's body (default 1 GiB); `max_value_bytes` every
    value written; `clock` gives the time the state's "last poll" says.
    """

    def __init__(self, url: str, options: SourceOptions | None = None) -> None:
        self._options = options or SourceOptions()
        extra = self._options.extra
        self._url, self._url_token = split_url(url)
        self._token: str | None = extra.get("token") or self._url_token
        self.poll_s = float(extra.get("poll_s", 1.0))
        self.shown_poll_s = float(extra.get("shown_poll_s", 5.0))
        if self.poll_s <= 0 or self.shown_poll_s <= 0:
            raise ValueError("poll_s and shown_poll_s must be positive")
        self._timeout_s = float(extra.get("timeout_s", 10.0))
        self._mutex = threading.RLock()
        self._client: HttpClient | None = None
        self._service: HttpService | None = None
        self._shown: str | None = None
        self._stoppers: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"<HttpSource {self.location}>"

    # ── what it is ─────────────────────────────────────────────────────────

    @property
    def location(self) -> str:
        return self._url

    @property
    def kind(self) -> str:
        return "server"

    def label(self, base: str) -> str:
        return urlsplit(base).netloc or base

    def describe_empty(self) -> str:
        return f"No scopes on {self.label(self._url)}: GET /v1/session lists none."

    @property
    def live(self) -> str:
        return f"polling every {self.poll_s:g} s"

    def set_token(self, token: str | None) -> None:
        """Use another bearer token from now on (asked for after a 401)."""
        with self._mutex:
            self._token = token or None
            if self._client is not None:
                self._client.set_token(self._token)

    # ── the one base ───────────────────────────────────────────────────────

    def _open(self) -> HttpService:
        from .client import HttpClient
        from .service import HttpService

        with self._mutex:
            if self._service is None:
                options = self._options
                self._client = HttpClient(
                    self._url,
                    self._token,
                    max_body_bytes=options.max_file_bytes or DEFAULT_MAX_FILE_BYTES,
                    timeout=(min(2.0, self._timeout_s), self._timeout_s),
                )
                self._service = HttpService(
                    self._client,
                    read_only=options.read_only,
                    max_value_bytes=options.max_value_bytes or DEFAULT_MAX_VALUE_BYTES,
                )
            return self._service

    def _discover(self) -> list[str]:
        with self._mutex:
            known = self._service is not None and self._service.listed_once
        service = self._open()
        service.summary()  # Unreachable, a token wanted, not an AxonServer: raised here.
        return [] if known else [self._url]

    def services(self) -> dict[str, ScopeService]:
        with self._mutex:
            service = self._service
            return {self._url: service} if service is not None and service.listed_once else {}

    def focus(self, base: str, scope: str | None) -> None:
        with self._mutex:
            self._shown = scope if base == self._url else None

    @property
    def shown(self) -> str | None:
        with self._mutex:
            return self._shown

    # ── watching ───────────────────────────────────────────────────────────

    def watch(
        self,
        on_change: SourceListener,
        *,
        reconcile_s: float = 10.0,
        on_state: StateListener | None = None,
    ) -> Callable[[], None]:
        stop = threading.Event()
        poller = _Poller(self, on_change, on_state, reconcile_s, stop)
        stopper = start_thread(poller.run, stop, "axon-scopes http poll", self._timeout_s + 1)
        with self._mutex:
            self._stoppers.append(stopper)
        return stopper

    def close(self) -> None:
        with self._mutex:
            stoppers, self._stoppers = self._stoppers, []
        for stopper in stoppers:
            stopper()
        with self._mutex:
            client, self._client, self._service = self._client, None, None
        if client is not None:
            client.close()

    def now(self) -> float:
        return (self._options.clock or time.time)()


class _Poller:
    """The watch thread: listing and events every `poll_s`, the shown scope every
    `shown_poll_s`, everything every `reconcile_s`; backs off while unreachable."""

    def __init__(
        self,
        source: HttpSource,
        on_change: SourceListener,
        on_state: StateListener | None,
        reconcile_s: float,
        stop: threading.Event,
    ) -> None:
        self.source = source
        self.on_change = on_change
        self.on_state = on_state
        self.reconcile_s = reconcile_s
        self.stop = stop
        self.cursor = EventCursor()
        self.counts: dict[str, tuple[int, int]] | None = None
        #: When the last round succeeded (the source's clock), None before the first.
        self.last_ok: float | None = None

    def emit(self, changes: list[SourceChange]) -> None:
        for change in changes:
            with suppress(Exception):  # A listener's failure must not end the watch.
                self.on_change(change)

    def state(self, state: SourceState) -> None:
        if self.on_state is not None:
            with suppress(Exception):
                self.on_state(state)

    def live(self) -> str:
        """How changes are found, and when the last poll succeeded (UTC, as the app's times)."""
        if self.last_ok is None:
            return self.source.live
        at = datetime.fromtimestamp(self.last_ok, UTC).strftime("%H:%M:%S")
        return f"{self.source.live} · last poll {at}"

    def run(self) -> None:
        connected: bool | None = None
        backoff = BACKOFF_S[0]
        now = time.monotonic()
        next_check, next_shown = now + self.reconcile_s, now  # The shown scope at once.
        while not self.stop.is_set():
            try:
                service = self.source._open()
                if connected is False:
                    self.cursor = EventCursor()
                    self.counts = None
                    self.emit(self.source.refresh_all())
                self.poll(service, time.monotonic() >= next_shown)
                if time.monotonic() >= next_shown:
                    next_shown = time.monotonic() + self.source.shown_poll_s
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + self.reconcile_s
                    self.emit(self.source.refresh_all())
                connected, backoff = True, BACKOFF_S[0]
                self.last_ok = self.source.now()
                self.state(SourceState(True, "", self.live()))
                self.stop.wait(self.source.poll_s)
            except RateLimitedError as exc:  # Still there: asked to come back later.
                self.state(SourceState(True, exc.reason, self.live()))
                self.stop.wait(max(exc.retry_after, self.source.poll_s))
            except SourceUnavailableError as exc:
                connected = False
                wait = backoff
                needs = isinstance(exc, TokenRequiredError)
                detail = exc.reason if needs else f"disconnected, retrying: {exc.reason}"
                self.state(SourceState(False, detail, self.live(), needs_token=needs))
                self.stop.wait(max(wait, self.source.poll_s if needs else 0))
                backoff = min(backoff * 2, BACKOFF_S[1])
            except ScopeError:
                self.stop.wait(backoff)

    def poll(self, service: HttpService, shown_due: bool) -> None:
        """One round: which scopes moved (counts, events, the shown one's turn)? Re-read them."""
        counts = service.summary()
        before, self.counts = self.counts, counts
        answer = service.client.get("/v1/events/stream", self.cursor.params())
        text = answer.body.decode("utf-8", "replace")
        events, missed = self.cursor.take(parse_stream(text, service.location))
        if missed:
            self.emit(self.source.refresh_all())
            return
        before = counts if before is None else before
        moved = counts.keys() | before.keys()
        targets = {name for name in moved if before.get(name) != counts.get(name)}
        hinted = {e.scope for e in events if e.scope is not None}
        if any(e.scope is None for e in events):
            hinted |= set(counts)
        targets |= hinted
        shown = self.source.shown
        if shown_due and shown is not None:
            targets.add(shown)
        base = self.source.location
        changes = service.refresh_scopes(sorted(targets), counts, frozenset(hinted))
        self.emit([SourceChange(base, change) for change in changes])
