"""The real app as its own process in a pseudo-terminal, for tests that read what it sends.

Everything the app writes is kept in `output`, so a test can look for byte sequences
that must never reach a terminal, as well as for what must be on screen.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


#: The terminal's cursor and style sequences, left out of what the screen shows.
CSI = re.compile(r"\x1b\[[0-9;?<>=$]*[a-zA-Z~]")


def screen_text(output: bytes) -> str:
    """What the app drew, as the operator reads it: the text without CSI sequences."""
    return CSI.sub("", output.decode("utf-8", errors="replace"))


class AppInPty:
    """`python -m axon_scopes ARGS` in a pty of the given size; `quit()` ends it."""

    def __init__(self, *args: str, columns: int = 120, lines: int = 36) -> None:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)}
        env.pop("TEXTUAL", None)
        self.output = bytearray()
        self.status: int | None = None
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the app
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "axon_scopes", *args], env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def read(self, seconds: float) -> None:
        """Collect what the app writes for `seconds` (less if it closes the terminal)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.output.extend(chunk)

    def read_until(self, seen: Callable[[bytes], bool], seconds: float) -> bool:
        """Read until `seen(output)` holds or `seconds` pass; whether it held."""
        deadline = time.monotonic() + seconds
        while not seen(bytes(self.output)) and time.monotonic() < deadline:
            self.read(0.2)
        return seen(bytes(self.output))

    def drawn_since_now(self, *texts: str) -> Callable[[bytes], bool]:
        """For `read_until`: whether every one of `texts` was drawn after this call.

        Waiting for what the screen shows once a step is done, not for a fixed time.
        """
        mark = len(self.output)
        return lambda output: all(text in screen_text(output[mark:]) for text in texts)

    def quit(self, seconds: float = 10.0) -> int | None:
        """Press q and wait for the exit; the wait status, or None if it did not end."""
        os.write(self.fd, b"q")
        deadline = time.monotonic() + seconds
        while self.status is None and time.monotonic() < deadline:
            self.read(0.2)
            done, raw = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = raw
        return self.status

    def close(self) -> None:
        """Kill the app if it is still running, and close the terminal."""
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)

    def exited_cleanly(self) -> bool:
        return self.status is not None and os.WIFEXITED(self.status) and not os.WEXITSTATUS(
            self.status
        )
