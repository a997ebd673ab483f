"""A stand-in AxonServer for the tests: its session API with AxonServer's exact answers.

Shapes and behaviours follow `axon-rs/src/axon_server.rs`, `auth_middleware.rs` and
`event_bus.rs` (and `/work/shared/AXON-HTTP.md`): the export lists the memory layer
only; lookups answer `found: false`; 401/403/429 have empty bodies; the event stream
is SSE text, newest first, `since` strict in whole seconds (0: everything), ids that
are the second's milliseconds plus the place in the answer, `:` when nothing is new;
reading a scope creates it; no `Axon-Scopes-Features` header. It runs an aiohttp
server on a free loopback port in a thread of its own; `stop` and `start` keep the
port (a restart keeps the store layer and loses the memory layer, as AxonServer
does). Switches make it misbehave: an HTML page, a redirect, a huge body, 429s.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

Entry = dict[str, Any]


def answer(data: dict[str, Any]) -> web.Response:
    """JSON as serde_json writes it: compact, UTF-8 as it is (`_status`: not 200)."""
    status = data.pop("_status", 200)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="application/json")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Scope:
    memory: dict[str, Entry] = field(default_factory=dict)
    store: dict[str, Entry] = field(default_factory=dict)


@dataclass
class Event:
    topic: str
    timestamp: int
    payload: dict[str, Any]


class AxonReplay:
    """The server; tests set its data and switches directly (guarded by one lock)."""

    def __init__(
        self, clock: Callable[[], float] = time.time, tls: ssl.SSLContext | None = None
    ) -> None:
        self.clock = clock
        #: Serve https with this context (its certificate), else plain http.
        self.tls = tls
        #: 0 until the first start binds any free port; a restart keeps it.
        self.port = 0
        self.lock = threading.Lock()
        self.scopes: dict[str, Scope] = {"global": Scope()}
        self.events: list[Event] = []
        #: Bearer keys and their roles ("read" or "write"); empty: keys not enabled.
        self.keys: dict[str, str] = {}
        #: Every request: (method, path, scope named in the query or body, auth header).
        self.requests: list[tuple[str, str, str | None, str | None]] = []
        #: Answer this many requests with 429 (Retry-After: `retry_after`, if set).
        self.limit_next = 0
        self.retry_after: str | None = None
        #: Our server's extensions (`http-contract`): the features header, `expected`
        #: checked with a 409, `entry` in write answers. Off: AxonServer as it is.
        self.checked = False
        #: Misbehaviours: "html" (a 200 page), "redirect" (to another host), "huge",
        #: "malformed" (JSON of another shape), "503" (a proxy's empty 503), "unreadable"
        #: (our server's 503 `store_unreadable`, for every request: a lying server),
        #: "mixed" (a scope's reads answer with flow:analyze's data and name).
        self.mode = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # ── data, as a flow inside the server would write it (no event) ────────

    def _now(self) -> int:
        return int(self.clock())

    def ensure(self, scope: str) -> Scope:
        return self.scopes.setdefault(scope, Scope())

    def put(self, scope: str, layer: str, key: str, value: str, step: str = "flow") -> None:
        with self.lock:
            entries = getattr(self.ensure(scope), layer)
            entries[key] = {
                "key": key,
                "value": value,
                "timestamp": self._now(),
                "source_step": step,
            }

    def remove(self, scope: str, layer: str, key: str) -> None:
        with self.lock:
            getattr(self.ensure(scope), layer).pop(key, None)

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(Event(topic, self._now(), payload))

    def read_scopes(self) -> set[str]:
        """Scopes named by a read (export, query, recall, retrieve)."""
        reads = ("/export", "/v1/session/query", "/recall/", "/retrieve/")
        return {s for _m, path, s, _a in self.requests if s and any(r in path for r in reads)}

    # ── running ────────────────────────────────────────────────────────────

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the replay server did not start")

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/v1/session", self.session_list)
        app.router.add_post("/v1/session/remember", self.remember)
        app.router.add_post("/v1/session/persist", self.persist)
        app.router.add_post("/v1/session/mutate", self.mutate)
        app.router.add_post("/v1/session/purge", self.purge)
        app.router.add_post("/v1/session/query", self.query)
        app.router.add_get("/v1/session/recall/{key}", self.recall)
        app.router.add_get("/v1/session/retrieve/{key}", self.retrieve)
        app.router.add_get("/v1/session/{scope}/export", self.export)
        app.router.add_get("/v1/events/stream", self.stream)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(
            runner, "127.0.0.1", self.port, reuse_address=True, ssl_context=self.tls
        )
        loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._runner = runner
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def stop(self) -> None:
        """Gone: the port refuses connections until `start` (the store layer is kept)."""
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None

    def restart(self) -> None:
        """As AxonServer restarting: the memory layer and the events are gone."""
        self.stop()
        with self.lock:
            for scope in self.scopes.values():
                scope.memory.clear()
            self.events.clear()
        self.start()

    # ── the API ────────────────────────────────────────────────────────────

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: dict[str, Any] = {}
        if request.method == "POST":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                return web.Response(status=400, text="bad json")
        scope = request.query.get("scope") or body.get("scope") or request.match_info.get("scope")
        auth = request.headers.get("Authorization")
        with self.lock:
            self.requests.append((request.method, request.path, scope, auth))
            if self.limit_next > 0:
                self.limit_next -= 1
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return web.Response(status=429, headers=headers)
            mode = self.mode
            keys = dict(self.keys)
        if mode == "html":
            return web.Response(
                text="<!DOCTYPE html><html><body>Welcome</body></html>", content_type="text/html"
            )
        if mode == "malformed":
            return answer({"scope_count": "three", "scopes": {}})
        if mode == "503":
            return web.Response(status=503)
        if mode == "unreadable":
            said = "scope 'global' is unreadable: \x1b[2Jbroken"
            return answer(
                {"success": False, "error": "store_unreadable", "message": said, "_status": 503}
            )
        if mode == "redirect":
            raise web.HTTPFound("http://example.invalid/login")
        if mode == "huge" and request.path != "/v1/events/stream":
            return web.Response(
                body=b"[" + b" " * 4_000_000 + b"]", content_type="application/json"
            )
        if keys:  # AxonServer's `check`: no bearer 401, unknown key 403, read key writing 403.
            token = auth[7:] if auth and auth.startswith("Bearer ") else None
            if token is None:
                return web.Response(status=401)
            role = keys.get(token)
            writing = request.method == "POST" and request.path != "/v1/session/query"
            if role is None or (writing and role != "write"):
                return web.Response(status=403)
        response = await handler(request)
        if self.checked:
            response.headers["Axon-Scopes-Features"] = "compare-and-set, entry"
        return response

    def _conflict(self, body: dict[str, Any], entries: dict[str, Entry]) -> dict[str, Any] | None:
        """Our server's `expected` (only when `checked`): the 409 answer, or None to write."""
        if not self.checked or "expected" not in body:
            return None
        actual = entries.get(body["key"])
        if actual == body["expected"]:
            return None
        scope, key = body.get("scope", "global"), body["key"]
        return {
            "success": False,
            "error": "conflict",
            "key": key,
            "scope": scope,
            "actual": actual,
            "_status": 409,
        }

    async def session_list(self, request: web.Request) -> web.Response:
        with self.lock:
            summary = [
                {"scope": name, "memory_count": len(s.memory), "store_count": len(s.store)}
                for name, s in sorted(self.scopes.items())
            ]
        return answer(
            {
                "scope_count": len(summary),
                "total_memory_count": sum(s["memory_count"] for s in summary),
                "total_store_count": sum(s["store_count"] for s in summary),
                "scopes": summary,
            }
        )

    def _write(
        self, body: dict[str, Any], layer: str, topic: str, existing: bool = False
    ) -> dict[str, Any]:
        scope = body.get("scope", "global")
        key, value = body["key"], body["value"]
        step = body.get("source_step", "api")
        with self.lock:
            entries = getattr(self.ensure(scope), layer)
            conflict = self._conflict(body, entries)
            if conflict is not None:
                return conflict
            if existing and key not in entries:
                return {"success": False, "key": key, "scope": scope}
            entry = {"key": key, "value": value, "timestamp": self._now(), "source_step": step}
            entries[key] = entry
            self.events.append(Event(topic, self._now(), {"key": key, "scope": scope}))
        extra = {"entry": dict(entry)} if self.checked else {}
        return {"success": True, "key": key, "scope": scope, **extra}

    async def remember(self, request: web.Request) -> web.Response:
        written = self._write(await request.json(), "memory", "session.remember")
        return answer(written if "_status" in written else {**written, "store": "memory"})

    async def persist(self, request: web.Request) -> web.Response:
        written = self._write(await request.json(), "store", "session.persist")
        if "_status" in written:
            return answer(written)
        return answer({**written, "store": "persistent", "flushed": True})

    async def mutate(self, request: web.Request) -> web.Response:
        return answer(self._write(await request.json(), "store", "session.mutate", existing=True))

    async def purge(self, request: web.Request) -> web.Response:
        body = await request.json()
        scope, key = body.get("scope", "global"), body["key"]
        with self.lock:
            conflict = self._conflict(body, self.ensure(scope).store)
            if conflict is not None:
                return answer(conflict)
            removed = self.ensure(scope).store.pop(key, None) is not None
            if removed:
                self.events.append(
                    Event("session.purge", self._now(), {"key": key, "scope": scope})
                )
        return answer({"success": removed, "key": key, "scope": scope})

    async def query(self, request: web.Request) -> web.Response:
        body = await request.json()
        scope, needle = self._asked(body.get("scope", "global")), body["query"].lower()
        with self.lock:
            found = [
                dict(e)
                for e in self.ensure(scope).store.values()
                if needle in e["key"].lower() or needle in e["value"].lower()
            ]
        return answer(
            {"query": body["query"], "scope": scope, "count": len(found), "entries": found}
        )

    def _lookup(self, request: web.Request, layer: str) -> web.Response:
        key = request.match_info["key"]
        scope = self._asked(request.query.get("scope", "global"))
        with self.lock:
            entry = getattr(self.ensure(scope), layer).get(key)
        if entry is None:
            return answer({"found": False, "key": key, "scope": scope})
        return answer({"found": True, **entry, "scope": scope})

    async def recall(self, request: web.Request) -> web.Response:
        return self._lookup(request, "memory")

    async def retrieve(self, request: web.Request) -> web.Response:
        return self._lookup(request, "store")

    def _asked(self, scope: str) -> str:
        """The scope a read answers for: the one asked, except when `mode` mixes them up."""
        return "flow:analyze" if self.mode == "mixed" else scope

    async def export(self, request: web.Request) -> web.Response:
        scope = self._asked(request.match_info["scope"])
        with self.lock:
            entries = [
                {"scope": scope, "layer": "memory", **e} for e in self.ensure(scope).memory.values()
            ]
        text = json.dumps({"scope": scope, "count": len(entries), "entries": entries}, indent=2)
        return web.Response(text=text, content_type="application/json")

    async def stream(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        limit = int(request.query.get("limit", "50"))
        topic = request.query.get("topic")
        with self.lock:
            newest_first = [
                e
                for e in reversed(self.events)
                if topic is None
                or topic == "*"
                or e.topic == topic
                or (topic.endswith(".*") and e.topic.startswith(topic[:-2]))
            ][:limit]
        shown = [e for e in newest_first if since == 0 or e.timestamp > since]
        out = []
        for index, event in enumerate(shown):
            data = {
                "topic": event.topic,
                "source": "server",
                "timestamp": event.timestamp,
                "payload": event.payload,
            }
            out.append(
                f"id: {event.timestamp * 1000 + index}\nevent: {event.topic}\n"
                f"data: {json.dumps(data, separators=(',', ':'))}\n\n"
            )
        return web.Response(text="".join(out) or ":\n\n", content_type="text/event-stream")


@pytest.fixture
def axon() -> Iterator[AxonReplay]:
    """A replay server of the test's own, stopped at the end."""
    server = AxonReplay()
    server.start()
    try:
        yield server
    finally:
        server.stop()
