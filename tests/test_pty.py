"""The real app in a pseudo-terminal: hostile values and a live writer never reach the terminal.

Textual writes plenty of escape sequences of its own, so the test looks for the
exact sequences the data holds (an OSC title, an SGR colour, a bidi override):
none of them may appear in what the app sends to the terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from axon_scopes.core import ScopedSessionManager

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = {
    "osc.title": "\x1b]0;PWNED-TITLE\x07",
    "sgr.red": "\x1b[31mRED-FROM-DATA\x1b[0m",
    "markup.click": "[@click=app.quit]click[/]",
    "markup.bold": "[bold]x",
    "bidi": "abc\u202edef",
    "huge": "H" * 1_000_000,
}
#: Byte strings from the data that must never be written to the terminal.
FORBIDDEN = [b"\x1b]0;PWNED-TITLE", b"\x1b[31mRED-FROM-DATA", "\u202e".encode(), b"\x1b]0;LIVE"]

LIVE_WRITER = """
import sys, time
from axon_scopes.core import ScopedSessionManager
mgr = ScopedSessionManager(sys.argv[1])
for i in range(40):
    mgr.persist("global", "live.counter", str(i), "writer")
    mgr.persist("global", "live.hostile", "\\x1b]0;LIVE-TITLE\\x07 #%d" % i, "writer")
    mgr.flush("global")
    time.sleep(0.05)
"""


def read_available(fd: int, sink: bytearray, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            sink.extend(chunk)


def test_real_app_in_a_pty_with_hostile_values_and_a_live_writer(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    for key, value in HOSTILE.items():
        mgr.persist("global", key, value, "[red]seed")
    mgr.flush("global")

    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "36"}
    env.pop("TEXTUAL", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the app
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "axon_scopes", str(base)], env)
    output = bytearray()
    writer = None
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
        read_available(fd, output, 3.0)
        writer = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(base)], cwd=ROOT)
        read_available(fd, output, 3.0)
        assert writer.wait(timeout=30) == 0
        read_available(fd, output, 1.0)
        os.write(fd, b"q")
        read_available(fd, output, 3.0)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        if writer is not None and writer.poll() is None:
            writer.kill()
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode("utf-8", errors="replace")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, text[-2000:]
    assert "Traceback" not in text
    # The row was drawn, its controls as visible stand-ins (styled apart from the text).
    assert "]0;PWNED-TITLE" in text and "␛" in text and "␇" in text
    assert "live.counter" in text
    for forbidden in FORBIDDEN:
        assert forbidden not in output, forbidden
