"""`axon-scopes web`: what it refuses, the command each tab runs, and the server's checks.

Real `axon-scopes web` processes on free loopback ports; the browser itself is in
`test_web.py`. `WebServer` is shared with it.
"""

from __future__ import annotations

import base64
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from axon_scopes.web import SOURCE_ENV, app_command, is_loopback
from axon_scopes.web.hosts import host_name
from axon_scopes.web.processes import children
from tests.redis_servers import RedisServer

HOSTILE = "a b;$(touch x)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_store(parent: Path, name: str = HOSTILE, *, demo: bool = False) -> Path:
    """A directory called `name` holding one base with a known row (global: greeting);
    with `demo`, in the demo's scopes (a fuller picture for the README)."""
    from axon_scopes.core import SessionStore

    folder = parent / name
    folder.mkdir()
    if demo:
        from axon_scopes.tui.demo import populate

        populate(folder / "axon-server")
    store = SessionStore("", path=folder / ".axon-server__global.session.json")
    store.persist("greeting", "hello from the store", "setup")
    if not demo:  # The demo has it already.
        store.persist("server.version", "0.9.4", "boot")
    store.flush()
    return folder


class WebServer:
    """One `axon-scopes web` process; `stop` sends SIGTERM and returns its exit code."""

    def __init__(
        self, source: str, *args: str, cwd: Path, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        command = [sys.executable, "-m", "axon_scopes", "web", *args, "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--", source] if source else command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.banner = self.process.stdout.readline() if self.process.stdout else ""
        deadline = time.monotonic() + 10
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"web did not start: {self.banner}{self.stderr()}")
            time.sleep(0.02)

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def apps(self) -> list[int]:
        """The app processes it runs now."""
        return children(self.process.pid)

    def wait_apps(self, count: int, timeout: float = 10) -> list[int]:
        deadline = time.monotonic() + timeout
        while len(apps := self.apps()) != count:
            assert time.monotonic() < deadline, f"{len(apps)} app processes, not {count}"
            time.sleep(0.02)
        return apps

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def run_web(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "axon_scopes", "web", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def gone(pid: int) -> bool:
    """Ended: no such process, or a zombie no one has reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2] in "ZX"


def handshake(port: int, *, host: str | None = None, origin: str | None = None) -> int:
    """The status of a websocket handshake on /ws (101: an app was started for it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
        "Host": host or f"127.0.0.1:{port}",
    }
    if origin is not None:
        headers["Origin"] = origin
    connection.request("GET", "/ws?width=80&height=24", headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


# The command each tab runs.


def test_a_hostile_path_is_one_argument_after_the_options() -> None:
    command = app_command(HOSTILE, read_only=True, theme="nord", max_file_size=1024, watch=False)
    assert command.shell.startswith("exec ")
    assert command.argv[-2:] == ["--", HOSTILE]
    assert command.argv[1:] == [
        "-m", "axon_scopes", "open", "--read-only", "--theme", "nord",
        "--max-file-size", "1024", "--no-watch", "--", HOSTILE,
    ]  # fmt: skip
    assert command.env == {}


def test_a_url_source_goes_to_the_app_in_its_environment_not_its_command_line() -> None:
    url = "redis://:s3cret@127.0.0.1:6390/0?base=axon-server"
    command = app_command(url)
    assert "s3cret" not in command.shell and "redis" not in command.shell
    assert command.env == {SOURCE_ENV: url}


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.com", ""))
    assert host_name("[::1]:8000") == "::1" and host_name("localhost:80") == "localhost"
    assert host_name("127.0.0.1") == "127.0.0.1"


# Refusals: one line, a documented exit code, nothing served.


def test_any_address_without_read_only_is_refused_and_says_why(tmp_path: Path) -> None:
    store = make_store(tmp_path, "srv")
    result = run_web(str(store), "--host", "0.0.0.0", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "refusing to serve writes on 0.0.0.0" in message
    assert "no authentication" in message and "--read-only" in message
    assert "--public-writable" in message and "SSH tunnel" in message
    assert result.stdout == ""


@pytest.mark.parametrize("flag", ["--read-only", "--public-writable"])
def test_any_address_with_read_only_or_the_explicit_flag_is_served(
    tmp_path: Path, flag: str
) -> None:
    store = make_store(tmp_path, "srv")
    server = WebServer(str(store), "--host", "0.0.0.0", flag, cwd=tmp_path)
    try:
        mode = "read-only" if flag == "--read-only" else "writable"
        assert f"({mode}) at http://" in server.banner
        # Reached through another address of the machine than the one it names.
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("GET", "/", headers={"Host": f"some-host:{server.port}"})
        page = connection.getresponse().read().decode()
        assert f"ws://some-host:{server.port}/ws" in page
    finally:
        assert server.stop() == 0


def test_a_missing_source_is_one_line_before_anything_is_served(tmp_path: Path) -> None:
    result = run_web(str(tmp_path / "nowhere") + "/", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 6, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    store = make_store(tmp_path, "srv")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_web(str(store), "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr
        == f"axon-scopes: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    )


def test_an_unknown_theme_is_refused_before_serving(tmp_path: Path) -> None:
    store = make_store(tmp_path, "srv")
    result = run_web(str(store), "--theme", "no-such", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2 and "unknown theme 'no-such'" in result.stderr


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


def test_help_shows_the_tunnel(tmp_path: Path) -> None:
    result = run_web("--help", cwd=tmp_path)
    assert "ssh -N -L 8000:127.0.0.1:8000" in result.stdout
    assert shlex.quote("--public-writable") in result.stdout


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


def test_open_and_web_take_the_source_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from axon_scopes.cli.main import cli, open_command

    monkeypatch.setenv(SOURCE_ENV, "redis://:pw@127.0.0.1:1/0")
    assert open_command.make_context("open", []).params["source"] == "redis://:pw@127.0.0.1:1/0"
    assert open_command.make_context("open", ["srv/"]).params["source"] == "srv/"
    web = cli.get_command(click_context(), "web")
    assert web is not None
    assert web.make_context("web", []).params["source"] == "redis://:pw@127.0.0.1:1/0"


def click_context() -> object:
    import click

    from axon_scopes.cli.main import cli

    return click.Context(cli)
