"""`axon-scopes web`'s server: who gets an app, what reaches a command line, how it stops.

Real `axon-scopes web` processes on free loopback ports, spoken to over HTTP and
websockets; the browser itself is in `test_web.py`.
"""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from axon_scopes.web import SOURCE_ENV
from axon_scopes.web.processes import children
from tests.redis_servers import RedisServer
from tests.web_servers import WebServer, gone, handshake, make_store

# The server's own checks: no app for another site's page or another host name.


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    where = tmp_path_factory.mktemp("web-command")
    server = WebServer(str(make_store(where, "srv")), "--read-only", cwd=where)
    yield server
    assert server.stop() == 0


def test_a_websocket_from_another_site_gets_no_app(served: WebServer) -> None:
    assert handshake(served.port, origin="http://evil.example") == 403
    assert handshake(served.port, origin=f"http://localhost:{served.port}") == 403
    assert served.apps() == []


def test_another_host_name_gets_nothing_from_a_loopback_server(served: WebServer) -> None:
    """DNS rebinding: a name the attacker controls that points at 127.0.0.1."""
    assert handshake(served.port, host=f"evil.example:{served.port}") == 403
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
    connection.request("GET", "/", headers={"Host": f"evil.example:{served.port}"})
    assert connection.getresponse().status == 403
    assert served.apps() == []


def test_the_page_may_not_be_framed_and_names_no_path(served: WebServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
    connection.request("GET", "/", headers={"Host": f"localhost:{served.port}"})
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200
    assert response.getheader("Content-Security-Policy") == "frame-ancestors 'none'"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert f"ws://localhost:{served.port}/ws" in page  # The address the browser used.
    connection.request("GET", "/", headers={"Host": "127.0.0.1:9999"})  # An SSH tunnel's.
    assert (
        'data-session-websocket-url="ws://127.0.0.1:9999/ws"'
        in connection.getresponse().read().decode()
    )
    assert "srv" not in page and "axon_scopes open" not in page


def test_a_same_origin_websocket_gets_an_app_that_ends_with_it(served: WebServer) -> None:
    assert handshake(served.port, origin=f"http://127.0.0.1:{served.port}") == 101
    # The handshake's connection is closed: its app is started, then asked to quit.
    served.wait_apps(0)


# Secrets stay off command lines.


def test_a_redis_password_never_reaches_a_command_line(tmp_path: Path) -> None:
    redis = RedisServer(password="pw-" + os.urandom(4).hex()).start()
    try:
        url = redis.url  # redis://:pw-…@127.0.0.1:PORT/0
        server = WebServer("", "--read-only", cwd=tmp_path, env={SOURCE_ENV: url})
        try:
            connection = socket.create_connection(("127.0.0.1", server.port))
            key = base64.b64encode(os.urandom(16)).decode()
            connection.sendall(
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            assert connection.recv(100).startswith(b"HTTP/1.1 101")
            (app,) = server.wait_apps(1)
            for pid in (server.process.pid, app):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                assert redis.password.encode() not in b" ".join(argv)
            assert b"axon_scopes\0open" in Path(f"/proc/{app}/cmdline").read_bytes()
            environ = Path(f"/proc/{app}/environ").read_bytes().split(b"\0")
            assert f"{SOURCE_ENV}={url}".encode() in environ
            assert redis.password not in server.banner  # The location shown has none.
            connection.close()
        finally:
            assert server.stop() == 0
    finally:
        redis.close()


# Stopping: every app process ends, whatever the browsers do.


def test_sigint_ends_every_app_and_exits_0(tmp_path: Path) -> None:
    import asyncio

    import aiohttp

    server = WebServer(str(make_store(tmp_path, "srv")), cwd=tmp_path)

    async def two_tabs() -> list[int]:
        async with aiohttp.ClientSession() as session:
            url = f"ws://127.0.0.1:{server.port}/ws"
            async with session.ws_connect(url) as one, session.ws_connect(url) as two:
                apps = await asyncio.to_thread(server.wait_apps, 2)
                stopped = asyncio.create_task(asyncio.to_thread(server.stop, signal.SIGINT))
                for tab in (one, two):  # Each is told, as a browser would be, and answers.
                    async for _message in tab:
                        pass
                assert await stopped == 0
                return apps

    apps = asyncio.run(two_tabs())
    assert all(gone(pid) for pid in apps)
    assert "Traceback" not in server.stderr()


def test_an_app_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    from axon_scopes.web.processes import end

    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys, time\n"
         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint(flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline() == b"\n"
        assert stubborn.pid in children()
        assert end([stubborn.pid], grace=0.2) == [stubborn.pid]
        assert stubborn.wait(timeout=5) == -signal.SIGKILL
    finally:
        stubborn.kill()


def test_a_server_killed_outright_takes_its_apps_with_it(tmp_path: Path) -> None:
    """SIGKILL leaves the server no time to end its apps: each app ends with its parent."""
    import asyncio

    import aiohttp

    server = WebServer(str(make_store(tmp_path, "srv")), cwd=tmp_path)

    async def killed_while_drawing() -> int:
        async with aiohttp.ClientSession() as session:
            url = f"ws://127.0.0.1:{server.port}/ws"
            async with session.ws_connect(url) as tab:
                await tab.receive(timeout=20)  # The app is up and drawing.
                (app,) = await asyncio.to_thread(server.wait_apps, 1)
                server.process.kill()
                return app

    app = asyncio.run(killed_while_drawing())
    try:
        deadline = time.monotonic() + 10
        while not gone(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(app), "the app outlived its server"
    finally:
        if not gone(app):
            os.kill(app, signal.SIGKILL)
        server.stop()
