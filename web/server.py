"""textual-serve's server, with what a server of writable stores needs on top.

textual-serve (pinned to 1.1 in pyproject.toml) serves a page and runs one app
process per websocket. Its defaults do not fit here, so this subclass overrides its
public handlers (its routes call `self.handle_index`, `self.handle_websocket`):

- No authentication, and a websocket does not obey the same-origin rule: any page
  the operator visits could open `ws://127.0.0.1:8000/ws` and type into the app.
  A websocket whose `Origin` is another site is refused, and a loopback server
  answers only to loopback host names (so DNS rebinding cannot reach it).
- Its page takes every URL from the address it was started on, which breaks
  behind an SSH tunnel on another port and on `0.0.0.0`: ours uses the page's own.
- On SIGINT/SIGTERM it waits up to a minute for open connections and never ends an
  app process: ours closes every session (each app is asked to quit, as when a tab
  closes) and ends, after a grace period, any app process still running.
- Its page title is the command line (a source path in HTML, unescaped): ours is fixed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

from . import processes
from .hosts import host_name, is_loopback

#: How long the app processes get to quit by themselves when the server stops.
QUIT_GRACE_S = 3.0
#: A `Host` header we put in the page: a name or an address and a port, nothing else.
_HOST = re.compile(r"[A-Za-z0-9._\-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?")
#: The page may not be framed by another site (keys typed into a hidden frame).
PAGE_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class ScopesServer(Server):
    """Serves `command` (one app process per connection) on `host`:`port`."""

    def __init__(self, command: str, host: str, port: int, *, banner: str) -> None:
        super().__init__(command, host=host, port=port, title="axon-scopes")
        self.banner = banner
        self.local_only = is_loopback(host)
        self._sessions: set[asyncio.Task[Any]] = set()

    def initialize_logging(self) -> None:
        """Only problems, on stderr, one line each (the default logs every request)."""
        logging.basicConfig(
            level=logging.WARNING, format="axon-scopes web: %(message)s", stream=sys.stderr
        )

    def refusal(self, request: web.Request) -> str | None:
        """Why `request` may not reach the app, or None."""
        host = request.host
        if not _HOST.fullmatch(host):
            return "bad Host header"
        if self.local_only and not is_loopback(host_name(host)):
            return "this server answers only on this machine's loopback names"
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return "a page of another site may not open this app"
        return None

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        """The page, its URLs taken from the address the browser used."""
        if (reason := self.refusal(request)) is not None:
            raise web.HTTPForbidden(text=reason)
        router = request.app.router
        here = f"{request.scheme}://{request.host}"
        socket = f"{'wss' if request.secure else 'ws'}://{request.host}"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{socket}{router['websocket'].url_for()}",
            "config": {"static": {"url": f"{here}{router['static'].url_for(filename='/')}"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers.update(PAGE_HEADERS)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One app process for this connection, ended when the connection ends."""
        if (reason := self.refusal(request)) is not None:
            raise web.HTTPForbidden(text=reason)
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(task)

    async def on_startup(self, app: web.Application) -> None:
        print(self.banner, flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every session as a closed tab would, then end what is still running."""
        sessions = [task for task in self._sessions if not task.done()]
        for task in sessions:
            task.cancel()  # Its app is asked to quit, then the browser told.
        if sessions:
            _done, stuck = await asyncio.wait(sessions, timeout=QUIT_GRACE_S)
            for task in stuck:  # A browser that does not answer the close.
                task.cancel()
            if stuck:
                await asyncio.wait(stuck, timeout=0.5)
        if left := processes.children():
            await asyncio.to_thread(processes.end, left)

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM; every app process started has ended on return."""
        self.serve()
        if left := processes.children():  # A connection that came in while stopping.
            processes.end(left)
