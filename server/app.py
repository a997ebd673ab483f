"""The aiohttp application: AxonServer's session routes over one `Session`.

Every core call runs in a worker thread (file locks and big scopes block), so one
slow scope never stalls the others. Every answer carries `Axon-Scopes-Features`;
every error is Axon's JSON error shape (`shapes.error`), with Axon's status codes
where Axon has one and 400/413/503 where it has none.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from axon_scopes.core import (
    DEFAULT_MAX_VALUE_BYTES,
    FlushError,
    InvalidEntryError,
    InvalidScopeNameError,
    ReadOnlyServiceError,
    ScopeError,
    ScopeReadOnlyError,
    SourceUnavailableError,
    ValueTooLargeError,
)

from . import shapes
from .auth import Denied, Keys, Role
from .events import DEFAULT_LIMIT
from .session import Busy, Conflict, Session, Unreadable
from .shapes import BadRequest
from .tracking import Follower

#: What our server adds to Axon's API; a client uses each only when it is listed.
FEATURES = "compare-and-set, entry"
FEATURES_HEADER = "Axon-Scopes-Features"
#: Room for the JSON around a value at the limit (escapes can make a value longer).
BODY_OVERHEAD = 64 * 1024

log = logging.getLogger("axon_scopes.server")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION_KEY = web.AppKey("session", Session)
KEYS_KEY = web.AppKey("keys", Keys)
LIMIT_KEY = web.AppKey("max_body_bytes", int)
#: The default body limit: twice the core's value limit, and the JSON around it.
MAX_BODY_BYTES = 2 * DEFAULT_MAX_VALUE_BYTES + BODY_OVERHEAD


def _failure(exc: BaseException) -> tuple[int, str, str] | None:
    """(status, code, message) for an error a request may meet; None if unexpected."""
    if isinstance(exc, BadRequest | Denied):
        return exc.status, exc.code, exc.message
    if isinstance(exc, Unreadable):
        return 503, "store_unreadable", str(exc)
    if isinstance(exc, Busy):
        return 503, "busy", str(exc)
    if isinstance(exc, InvalidScopeNameError):
        return 400, "invalid_scope", str(exc)
    if isinstance(exc, ValueTooLargeError):
        return 413, "value_too_large", str(exc)
    if isinstance(exc, InvalidEntryError):
        return 400, "invalid_entry", str(exc)
    if isinstance(exc, ReadOnlyServiceError):
        return 403, "read_only", "this server is read-only: nothing can be changed"
    if isinstance(exc, ScopeReadOnlyError):
        return 503, "store_unreadable", str(exc)
    if isinstance(exc, FlushError):
        return 503, "store_unwritable", str(exc)
    if isinstance(exc, SourceUnavailableError | ConnectionError):
        return 503, "store_unavailable", str(exc)
    if isinstance(exc, ScopeError | OSError):
        return 503, "store_error", str(exc)
    return None


def _json(document: Any, status: int = 200) -> web.Response:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))  # As serde writes.
    return web.Response(text=text, status=status, content_type="application/json")


@web.middleware
async def errors_and_features(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every refusal into Axon's error shape and advertise our extensions."""
    try:
        response = await handler(request)
    except Conflict as exc:
        response = _json(exc.answer, 409)
    except web.HTTPException as exc:  # No such route, wrong method, a body over the limit.
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        response = _json(shapes.error(code, exc.reason), exc.status)
        if "Allow" in exc.headers:  # 405 says which methods would do.
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception as exc:
        failure = _failure(exc)
        if failure is None:
            log.exception("unexpected error answering %s %s", request.method, request.path)
            failure = (500, "internal_error", f"internal error ({type(exc).__name__})")
        status, code, message = failure
        response = _json(shapes.error(code, message), status)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
    response.headers[FEATURES_HEADER] = FEATURES
    return response


# ── helpers ────────────────────────────────────────────────────────────────


def _allow(request: web.Request, need: Role) -> Session:
    request.app[KEYS_KEY].check(request.headers.get("Authorization"), need)
    return request.app[SESSION_KEY]


async def _body(request: web.Request) -> tuple[bytes, str]:
    limit = request.app[LIMIT_KEY]
    if request.content_length is not None and request.content_length > limit:
        raise BadRequest(413, "body_too_large", f"the body is over the limit of {limit} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BadRequest(
            413, "body_too_large", f"the body is over the limit of {limit} bytes"
        ) from None
    return body, request.content_type


def _count(request: web.Request, name: str, default: int) -> int:
    """A whole number in the query string (Axon's u64/usize): 400 otherwise."""
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise BadRequest(400, "invalid_query", f"{name} must be a whole number, not {text!r}")
    return int(text)


def _scope_param(request: web.Request) -> str:
    return request.query.get("scope", shapes.DEFAULT_SCOPE)


# ── routes ─────────────────────────────────────────────────────────────────


async def summary(request: web.Request) -> web.Response:
    session = _allow(request, Role.READ)
    return _json(await asyncio.to_thread(session.summary))


async def export(request: web.Request) -> web.Response:
    session = _allow(request, Role.READ)
    scope = request.match_info["scope"]
    fmt = request.query.get("format", "json")
    content_type, text = await asyncio.to_thread(session.export, scope, fmt)
    return web.Response(text=text, content_type=content_type)


async def query(request: web.Request) -> web.Response:
    session = _allow(request, Role.READ)
    parsed = shapes.query_request(*await _body(request))
    return _json(await asyncio.to_thread(session.query, parsed))


async def recall(request: web.Request) -> web.Response:
    session = _allow(request, Role.READ)
    key = request.match_info["key"]
    return _json(await asyncio.to_thread(session.recall, _scope_param(request), key))


async def retrieve(request: web.Request) -> web.Response:
    session = _allow(request, Role.READ)
    key = request.match_info["key"]
    return _json(await asyncio.to_thread(session.retrieve, _scope_param(request), key))


def _writer(method: Callable[[Session, Any], dict[str, Any]], purge: bool = False) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        session = _allow(request, Role.WRITE)
        body = await _body(request)
        parsed = shapes.purge_request(*body) if purge else shapes.write_request(*body)
        return _json(await asyncio.to_thread(method, session, parsed))

    return handle


async def events_stream(request: web.Request) -> web.Response:
    session = _allow(request, Role.READ)
    since = _count(request, "since", 0)
    limit = _count(request, "limit", DEFAULT_LIMIT)
    text = session.bus.stream(since, limit, request.query.get("topic"))
    return web.Response(text=text, content_type="text/event-stream")


async def events_history(request: web.Request) -> web.Response:
    session = _allow(request, Role.READ)
    limit = _count(request, "limit", DEFAULT_LIMIT)
    return _json(session.bus.history(limit, request.query.get("topic")))


def make_app(
    session: Session,
    keys: Keys,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    watch: bool = True,
    reconcile_s: float = 10.0,
) -> web.Application:
    """The application serving `session`'s base; `watch` follows other processes' changes."""
    app = web.Application(middlewares=[errors_and_features], client_max_size=max_body_bytes)
    app[SESSION_KEY] = session
    app[KEYS_KEY] = keys
    app[LIMIT_KEY] = max_body_bytes
    routes = app.router
    routes.add_get("/v1/session", summary)
    routes.add_post("/v1/session/remember", _writer(Session.remember))
    routes.add_get("/v1/session/recall/{key}", recall)
    routes.add_post("/v1/session/persist", _writer(Session.persist))
    routes.add_get("/v1/session/retrieve/{key}", retrieve)
    routes.add_post("/v1/session/query", query)
    routes.add_post("/v1/session/mutate", _writer(Session.mutate))
    routes.add_post("/v1/session/purge", _writer(Session.purge, purge=True))
    routes.add_get("/v1/session/{scope}/export", export)
    routes.add_get("/v1/events/stream", events_stream)
    routes.add_get("/v1/events/history", events_history)
    if watch:
        _follow(app, session, reconcile_s)
    return app


def _follow(app: web.Application, session: Session, reconcile_s: float) -> None:
    """Publish other processes' changes, from the source's watcher, while the app runs."""
    follower = Follower(session.tracker)
    base = session.base
    stoppers: list[Callable[[], None]] = []

    async def start(_app: web.Application) -> None:
        await asyncio.to_thread(session.tracker.prime)
        follower.start()

        def on_change(change: Any) -> None:
            if change.base == base:
                follower.notice(change.change.scope)

        stoppers.append(session.source.watch(on_change, reconcile_s=reconcile_s))

    async def stop(_app: web.Application) -> None:
        for stopper in stoppers:
            await asyncio.to_thread(stopper)
        follower.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
