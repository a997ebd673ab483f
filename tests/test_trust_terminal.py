"""The real app in a pseudo-terminal while hostile scope files appear and break.

A file name may hold ESC, so a scope name can be an OSC sequence that sets the
window title or overwrites the clipboard (OSC 52). The names reach the screen in
the status line and the change log ("new scope", "unreadable"), the tree and the header (the
directory is hostile too). None of their bytes may reach the terminal as they are,
and markup in a name must neither crash the app nor be interpreted.
"""

from __future__ import annotations

import os
from pathlib import Path

from axon_scopes.core import ScopedSessionManager

from .pty_app import AppInPty, screen_text

DIRECTORY = "dir\x1b]2;DIR-TITLE\x07[reverse]d"
#: Scope names as they are in the file names (`.axon-server__<name>.session.json`).
HOSTILE_SCOPES = [
    "\x1b]2;PWNED\x1b\\t",
    "\x1b]52;c;UFdORUQ=\x1b\\",
    "[a=b=c]",
    "[@click=app.quit]Q",
    "approve\U000e0069\U000e0067",
    "line\u2028sep",
]
FORBIDDEN = [
    b"\x1b]2;PWNED",
    b"\x1b]52;",
    b"\x1b]2;DIR-TITLE",
    "\U000e0069".encode(),
    "\u2028".encode(),
]
ENTRY = b'[{"key": "k", "value": "v", "timestamp": 1763900000, "source_step": "s"}]'


#: How the tree and the status line show each name: controls as visible stand-ins.
TREE_NAMES = {
    HOSTILE_SCOPES[0]: "␛]2;PWNED␛\\t",
    HOSTILE_SCOPES[1]: "␛]52;c;UFdORUQ=␛\\",
    HOSTILE_SCOPES[2]: "[a=b=c]",
    HOSTILE_SCOPES[3]: "[@click=app.quit]Q",
    HOSTILE_SCOPES[4]: "approve<U+E0069><U+E0067>",
    HOSTILE_SCOPES[5]: "line<U+2028>sep",
}
#: The tree marks the first three once they break (the two long names are cut short there).
BROKEN_ROWS = ["⚠ ␛]2;", "⚠ ␛]52", "⚠ [a=b=c] unreadable"]
def scope_file(base: Path, name: str) -> Path:
    return base.parent / f".{base.name}__{name}.session.json"


def test_hostile_scope_files_appearing_while_the_app_runs(tmp_path: Path) -> None:
    directory = tmp_path / DIRECTORY
    directory.mkdir()
    base = directory / "axon-server"
    mgr = ScopedSessionManager(base)
    mgr.persist("global", "seed", "x", "s")
    mgr.flush("global")

    app = AppInPty(str(base))
    try:
        watching = app.drawn_since_now("no changes on disk since")
        assert app.read_until(watching, 20.0), app.text[-2000:]
        seen = app.drawn_since_now("new scope", *(TREE_NAMES[name] for name in HOSTILE_SCOPES))
        for name in HOSTILE_SCOPES:
            scope_file(base, name).write_bytes(ENTRY)
        assert app.read_until(seen, 20.0), app.text[-3000:]
        seen = app.drawn_since_now(*BROKEN_ROWS)
        for name in HOSTILE_SCOPES[:3]:
            # Whole but not JSON: said at once (a file cut short is re-read for a second first).
            scope_file(base, name).write_bytes(b"[{not json}]")
        assert app.read_until(seen, 20.0), app.text[-3000:]
        seen = app.drawn_since_now("Changes made elsewhere")
        os.write(app.fd, b"l")  # The change log lists every one of them.
        assert app.read_until(seen, 10.0), app.text[-3000:]
        seen = app.drawn_since_now("store (persisted)")  # The browser, drawn again.
        os.write(app.fd, b"\x1b")
        assert app.read_until(seen, 10.0), app.text[-3000:]
        app.quit()
    finally:
        app.close()
    output = app.output
    # What the screen shows: the text with the terminal's cursor and style sequences left out.
    text = screen_text(bytes(output))
    assert app.exited_cleanly(), text[-3000:]
    assert "Traceback" not in text and "MarkupError" not in text
    # The changes were told, and showed the names as text.
    assert "new scope" in text and "unreadable" in text
    assert "[a=b=c]" in text and "␛]2;PWNED␛" in text and "<U+E0069>" in text
    for forbidden in FORBIDDEN:
        assert forbidden not in output, forbidden


def test_a_scope_file_axon_wrote_with_a_backslash_is_found_by_a_refresh(tmp_path: Path) -> None:
    """Axon writes such names; a refresh of that one scope finds it as the listing does."""
    base = tmp_path / "axon-server"
    viewer = ScopedSessionManager(base)
    path = scope_file(base, HOSTILE_SCOPES[0])
    path.write_bytes(ENTRY)
    hit = viewer.storage.scope_for_path(path)  # type: ignore[attr-defined]
    assert hit is not None
    (change,) = viewer.refresh(hit[0])
    assert change.new and hit[0] in viewer.list_scopes()
