"""`axon-scopes web` processes for the tests: started on free loopback ports, stopped with a
signal, their app processes listed (`tests/test_web*.py`).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from axon_scopes.web.processes import children

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
        # `free_port` cannot hold the port it found: another process (a parallel test
        # worker's server) may bind it first. Then ours says so and exits; take another.
        for _ in range(5):
            if self._start(source, args, cwd, env):
                return
        raise AssertionError(f"web found no free port: {self.banner}")

    def _start(
        self, source: str, args: tuple[str, ...], cwd: Path, env: dict[str, str] | None
    ) -> bool:
        """True once it listens; False when the port was taken before it bound it."""
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
                if self.process.poll() is None:
                    self.process.kill()
                self.process.wait(5)
                stderr = self.stderr()
                if f"port {self.port} on 127.0.0.1 is in use" in stderr:
                    return False
                raise AssertionError(f"web did not start: {self.banner}{stderr}")
            time.sleep(0.02)
        return True

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
        """Its exit code; a server that does not end is killed with its apps, so that a
        failing test leaves nothing running."""
        apps = self.apps() if self.process.poll() is None else []
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                apps += self.apps()
                self.process.kill()
                for pid in apps:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


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
