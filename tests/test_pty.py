"""The real app in a pseudo-terminal: hostile values and a live writer never reach the terminal.

Textual writes plenty of escape sequences of its own, so the test looks for the
exact sequences the data holds (an OSC title, an SGR colour, a bidi override):
none of them may appear in what the app sends to the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from axon_scopes.core import ScopedSessionManager

from .pty_app import ROOT, AppInPty

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


def test_real_app_in_a_pty_with_hostile_values_and_a_live_writer(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    for key, value in HOSTILE.items():
        mgr.persist("global", key, value, "[red]seed")
    mgr.flush("global")

    app = AppInPty(str(base))
    writer = None
    try:
        assert app.read_until(lambda out: b"sgr.red" in out, 20.0), app.text[-2000:]
        writer = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(base)], cwd=ROOT)
        assert app.read_until(lambda _: writer.poll() is not None, 30.0)
        assert writer.returncode == 0
        # Until the last write is on screen.
        assert app.read_until(lambda out: b"#39" in out, 20.0), app.text[-2000:]
        app.quit()
    finally:
        if writer is not None and writer.poll() is None:
            writer.kill()
        app.close()
    text, output = app.text, app.output
    assert app.exited_cleanly(), text[-2000:]
    assert "Traceback" not in text
    # The row was drawn, its controls as visible stand-ins (styled apart from the text).
    assert "]0;PWNED-TITLE" in text and "␛" in text and "␇" in text
    assert "live.counter" in text
    for forbidden in FORBIDDEN:
        assert forbidden not in output, forbidden


def test_letters_typed_right_after_slash_go_into_the_filter(tmp_path: Path) -> None:
    """`/server` arriving in one read (typed fast, or pasted) filters; it runs no key."""
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    for key in ("server.version", "server.config", "tenants", "motd"):
        mgr.persist("global", key, "v", "seed")
    mgr.flush("global")
    app = AppInPty(str(base), "--no-watch")
    try:
        assert app.read_until(lambda out: b"tenants" in out, 10.0)
        os.write(app.fd, b"/server")
        assert app.read_until(lambda out: b"2 of 4" in out, 5.0), app.text[-2000:]
        os.write(app.fd, b"\r\x1b")  # Enter, then escape: the filter is cleared.
        assert app.read_until(lambda out: b"Edit entry" in out, 1.0) is False
        app.quit()
    finally:
        app.close()
    assert app.exited_cleanly(), app.text[-2000:]
