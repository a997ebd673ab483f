"""A program in a pseudo-terminal, with the screen it draws kept by a terminal emulator.

The harness times what a user sees: bytes the program writes go through `pyte`
(a VT100/xterm emulator), and a measure ends when the emulated screen shows what
it waits for. Reading is driven by `select` on the pty, so a frame is noticed
as soon as its bytes arrive rather than at the next poll.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyte

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Timeout(Exception):
    """What the harness waited for did not show up in time."""


class Terminal:
    """One program in a `cols`×`rows` pty; `start` is when it was launched (perf_counter)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 120,
        rows: int = 36,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": str(cols),
            "LINES": str(rows),
        }
        full_env.pop("TEXTUAL", None)
        full_env.update(env or {})
        self.start = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=full_env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        os.set_blocking(master, False)
        self.fd = master
        self.closed = False

    # ── reading the screen ──────────────────────────────────────────────────

    def _pump(self, timeout: float) -> bool:
        """Feed whatever the program wrote within `timeout` into the emulator."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        got = False
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                self.closed = True
                break
            self.stream.feed(chunk)
            got = True
            if not select.select([self.fd], [], [], 0)[0]:
                break
        return got

    def text(self) -> list[str]:
        return self.screen.display

    def wait_for(self, done: Callable[[list[str]], bool], timeout: float) -> float:
        """Read until `done(screen lines)` holds; returns when (perf_counter) it first did.

        The time is when the byte that completed the picture arrived, not when the
        emulator got round to it: a burst of output is read in full (until the
        program pauses for `GAP` seconds) with each chunk's arrival time, and only
        then fed to the emulator chunk by chunk. The emulator's own speed (it is
        pure Python) is thus kept out of the measurement.
        """
        deadline = time.perf_counter() + timeout
        if done(self.screen.display):
            return time.perf_counter()
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or self.closed:
                raise Timeout(f"not on screen after {timeout:.0f} s:\n" + "\n".join(self.text()))
            chunks = self._read_burst(min(left, 0.5), deadline)
            met: float | None = None
            for arrived, chunk in chunks:
                self.stream.feed(chunk)
                if met is None and done(self.screen.display):
                    met = arrived
            if met is not None:
                return met

    #: A pause in the program's output this long ends a burst.
    GAP = 0.004

    def _read_burst(self, wait: float, deadline: float) -> list[tuple[float, bytes]]:
        """Chunks (arrival time, bytes) of the next burst of output; [] if none came."""
        chunks: list[tuple[float, bytes]] = []
        if not select.select([self.fd], [], [], max(0.0, wait))[0]:
            return chunks
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                chunk = b""
            except OSError:
                self.closed = True
                break
            if chunk:
                chunks.append((time.perf_counter(), chunk))
            elif not chunks or self.closed:
                self.closed = not chunks
                break
            if time.perf_counter() > deadline or not select.select([self.fd], [], [], self.GAP)[0]:
                break
        return chunks

    def wait_for_change(self, timeout: float) -> float:
        """Read until any cell changes, colours included (for peers with no text to wait for)."""
        before = self._cells()
        return self.wait_for(lambda _lines: self._cells() != before, timeout)

    def _cells(self) -> list[tuple[str, str, str, bool]]:
        return [
            (c.data, c.fg, c.bg, c.reverse)
            for line in self.screen.buffer.values()
            for c in line.values()
        ]

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Read until the program has written nothing for `quiet` seconds."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and self._pump(quiet):
            pass

    def wait_idle(self, window: float = 0.3, share: float = 0.05, timeout: float = 60.0) -> None:
        """Read until the program uses under `share` of a core over `window` seconds.

        A program can be busy without drawing (indexing a big scope in a thread):
        a keystroke measured then would time that work, not the keystroke.
        """
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            before = self.cpu_seconds()
            self.settle(quiet=window, timeout=window * 4)
            if self.cpu_seconds() - before < share * window:
                return

    # ── input and process facts ─────────────────────────────────────────────

    def send(self, data: bytes | str) -> float:
        """Type `data`; returns when it was written (perf_counter)."""
        os.write(self.fd, data.encode() if isinstance(data, str) else data)
        return time.perf_counter()

    def peak_rss_mb(self) -> float:
        """The process's peak resident set (VmHWM), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return kb / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU the process has used so far, all its threads."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
