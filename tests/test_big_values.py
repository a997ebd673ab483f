"""Big values stay editable: the in-app editor keeps keystrokes quick, ctrl+e hands the value
to $EDITOR and reads it back, and the editor's keys are said in the dialog."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from textual.widgets import TextArea

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.dialogs import EditDialog

from .conftest import SIZE, AppFactory, settle, static_text
from .pty_app import AppInPty

LIMIT = 4 * 1024 * 1024


def store_with(tmp_path: Path, **values: str) -> Path:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    for key, value in values.items():
        mgr.persist("global", key, value, "s")
    mgr.flush("global")
    return base


async def test_a_value_at_the_size_limit_keeps_keystrokes_quick(
    tmp_path: Path, app_for: AppFactory
) -> None:
    lines = ("word " * 15 + "\n") * (LIMIT // 80 - 1)
    base = store_with(tmp_path, lines=lines, one_line="x" * (LIMIT - 16))
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "lines"))
        await pilot.press("e")
        await pilot.pause()
        area = app.screen.query_one("#value", TextArea)
        assert not area.soft_wrap  # Rewrapping megabytes on every keystroke took seconds.
        started = time.perf_counter()
        await pilot.press("x", "y", "z")
        await pilot.pause()
        assert (time.perf_counter() - started) / 3 < 1.0  # It was 5.5 s a keystroke.
        assert area.text.startswith("xyzword")
        await pilot.press("ctrl+a")
        assert area.selected_text == area.text
        assert "ctrl+e your $EDITOR" in static_text(app.screen)
        assert "ctrl+a select all" in static_text(app.screen)
        app.screen.dismiss(None)
        await pilot.pause()
        # One line of megabytes: drawn here, each keystroke would lag: $EDITOR it is.
        assert app.browser.table.move_cursor_to_key(("store", "one_line"))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditDialog)
        assert app.screen.query_one("#value", TextArea).read_only
        assert "too long to edit here" in static_text(app.screen)


async def test_an_editor_that_cannot_run_keeps_the_text(
    tmp_path: Path, app_for: AppFactory
) -> None:
    app = app_for(store_with(tmp_path, k="value"))
    async with app.run_test(size=SIZE) as pilot:  # Headless: nothing to hand over to.
        await settle(app, pilot)
        await pilot.press("e")
        area = app.screen.query_one("#value", TextArea)
        area.text = "typed here"
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, EditDialog) and area.text == "typed here"
        assert "The editor did not run" in static_text(app.screen)


def test_ctrl_e_edits_the_value_in_the_editor_and_reads_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a real terminal, with an "editor" that rewrites the file it is given."""
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "from the editor\\n" > "$1"\n', encoding="utf-8")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    base = store_with(tmp_path, k="before")
    app = AppInPty(str(base), "--no-watch")
    try:
        assert app.read_until(lambda out: b"before" in out, 10.0)
        os.write(app.fd, b"e")
        assert app.read_until(lambda out: b"Edit entry" in out, 5.0)
        os.write(app.fd, b"\x05")  # ctrl+e
        assert app.read_until(lambda out: b"from the editor" in out, 5.0)
        os.write(app.fd, b"\x13")  # ctrl+s
        assert app.read_until(lambda out: b"saved" in out, 5.0)
        app.quit()
    finally:
        app.close()
    entry = ScopedSessionManager(base).retrieve("global", "k")
    assert entry is not None and entry.value == "from the editor"  # Its newline dropped.
