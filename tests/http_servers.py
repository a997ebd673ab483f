"""Real `axon-scopes serve` servers for the tests, on free loopback ports.

`served(target, ...)` runs the server's aiohttp application in the test's own
event loop over a real source (a file base, a Redis URL) and hands back a real
HTTP client; `ServeProcess` runs the `axon-scopes serve` console script as a
subprocess and reads its listening line. Both stop what they started.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from axon_scopes.core import ScopeSource, SourceOptions, open_source
from axon_scopes.server.app import MAX_BODY_BYTES, make_app
from axon_scopes.server.auth import Keys
from axon_scopes.server.run import build_session
from axon_scopes.server.session import Session

JSON = {"Content-Type": "application/json"}


@dataclass
class Served:
    """A running server: its URL, a client, and the source and session behind it."""

    url: str
    client: aiohttp.ClientSession
    source: ScopeSource
    session: Session

    async def get(self, path: str, *, raw: bool = False, **kwargs: Any) -> tuple[int, Any]:
        """(status, the JSON answer decoded, or the text when `raw` or not JSON)."""
        async with self.client.get(path, **kwargs) as response:
            if raw:
                return response.status, await response.text()
            return response.status, await _answer(response)

    async def post(self, path: str, body: object, **kwargs: Any) -> tuple[int, Any]:
        async with self.client.post(path, json=body, **kwargs) as response:
            return response.status, await _answer(response)

    async def events(self, **params: str | int) -> str:
        async with self.client.get("/v1/events/stream", params=params) as response:
            assert response.status == 200
            assert response.content_type == "text/event-stream"
            return await response.text()

    async def wait_for_event(
        self, topic: str, payload: dict[str, Any], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Poll the history until an event with this topic and payload appears."""
        deadline = time.monotonic() + timeout
        while True:
            _, history = await self.get("/v1/events/history", params={"limit": "200"})
            for event in history["events"]:
                if event["topic"] == topic and event["payload"] == payload:
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no {topic} {payload} in {history['events']}")
            await asyncio.sleep(0.02)


async def _answer(response: aiohttp.ClientResponse) -> Any:
    if response.content_type == "application/json":
        return await response.json()
    return await response.text()


@asynccontextmanager
async def served(
    target: str | os.PathLike[str],
    *,
    keys: Keys | None = None,
    read_only: bool = False,
    max_value_bytes: int | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    watch: bool = True,
    token: str | None = None,
) -> AsyncIterator[Served]:
    """Serve the one base of `target` on a free loopback port while the block runs."""
    options = SourceOptions(read_only=read_only, max_value_bytes=max_value_bytes)
    source = open_source(os.fspath(target), options)
    source.discover()
    (base,) = source.services()
    session = build_session(source, base)
    app = make_app(session, keys or Keys(), max_body_bytes=max_body_bytes, watch=watch)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        headers = {"Authorization": f"Bearer {token}"} if token else None
        async with aiohttp.ClientSession(base_url=url, headers=headers) as client:
            yield Served(url, client, source, session)
    finally:
        await runner.cleanup()
        source.close()


def console_script() -> str:
    return str(Path(sys.executable).with_name("axon-scopes"))


LISTENING = re.compile(r"^serving .* on (http://\S+)$")


class ServeProcess:
    """`axon-scopes serve ARGS --port PORT` as a subprocess (any free port by default);
    `url` once it listens, `port` the one it took."""

    def __init__(
        self, *args: str, cwd: Path, env: dict[str, str] | None = None, port: int = 0
    ) -> None:
        self.process = subprocess.Popen(
            [console_script(), "serve", *args, "--port", str(port)],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        self.first_line = self.process.stderr.readline()
        match = LISTENING.match(self.first_line.strip())
        if match is None:
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise AssertionError(f"not listening: {self.first_line}{err}")
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self, signal_number: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send the signal; (exit code, stdout, the rest of stderr)."""
        self.process.send_signal(signal_number)
        out, err = self.process.communicate(timeout=15)
        return self.process.returncode, out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)
