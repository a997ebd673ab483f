"""A throwaway `redis-server` on a free loopback port, for the Redis demo."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

INSTALL = "apt-get install -y redis-server"


class LocalRedisError(RuntimeError):
    """The local server could not be started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_local_redis(directory: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start a memory-only server whose files stay in `directory`; returns its URL and process."""
    program = shutil.which("redis-server")
    if program is None:
        raise LocalRedisError(f"redis-server is not installed; install it with `{INSTALL}`")
    port = free_port()
    process = subprocess.Popen(
        [
            program,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalRedisError(f"redis-server exited at start (code {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise LocalRedisError("redis-server did not answer within 10 s")
