"""The smaller things a new operator tripped over."""

from __future__ import annotations

import os
from pathlib import Path

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.dialogs import ConfirmDialog, MessageDialog
from axon_scopes.tui.dialogs.edit import json_problem
from axon_scopes.tui.keys import WRITE_ACTIONS

from .conftest import NOW, SIZE, AppFactory, notices, settle, static_text
from .pty_app import AppInPty


async def test_the_detail_pane_says_just_now_and_in_the_future(
    tmp_path: Path, app_for: AppFactory
) -> None:
    base = tmp_path / "axon-server"
    now = ScopedSessionManager(base, clock=lambda: NOW)
    now.persist("global", "now", "v", "s")
    now.flush_all()
    later = ScopedSessionManager(base, clock=lambda: NOW + 3_600)
    later.persist("global", "later", "v", "s")
    later.flush_all()
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key, words in (("now", "(just now)"), ("later", "(in the future)")):
            assert app.browser.table.move_cursor_to_key(("store", key))
            await pilot.pause()
            text = static_text(app.browser)
            assert words in text and " ago)" not in text.split("timestamp")[1].split("\n")[0]


def test_a_value_missing_its_closing_brace_is_warned_about() -> None:
    assert json_problem('{"a": 1, "b": [2, 3]') is not None
    assert json_problem("[1, 2") is not None
    assert json_problem("[INFO] started") is None
    assert json_problem('{"a": 1}') is None


async def test_read_only_footer_offers_no_write(demo_base: Path, app_for: AppFactory) -> None:
    app = app_for(demo_base, read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        shown = {a.binding.action for a in app.screen.active_bindings.values() if a.binding.show}
        assert not shown & WRITE_ACTIONS and "view" in shown
        await pilot.press("a")  # Still says why, when pressed.
        await pilot.pause()
        assert any("read-only" in m for m in notices(app))
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        shown = {a.binding.action for a in app.screen.active_bindings.values() if a.binding.show}
        assert {"add", "purge", "undo"} <= shown


async def test_copy_says_the_value_was_sent_to_the_terminal(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        (message,) = notices(app)
        assert "Sent the value" in message and "OSC 52" in message and "Copied" not in message


async def test_questions_and_messages_are_as_tall_as_their_text(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for dialog in (
            ConfirmDialog("Discard?", "Discard your changes?"),
            MessageDialog("Scope file", "Scope global\nFile x\n\nThe file is readable."),
        ):
            app.push_screen(dialog)
            await pilot.pause()
            assert app.screen.query_one(".dialog").region.height <= 12
            app.pop_screen()


def test_key_enter_value_typed_fast_or_pasted_in_add(tmp_path: Path) -> None:
    """In a real terminal: the value's characters never end up in the key."""
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    mgr.persist("global", "seed", "v", "s")
    mgr.flush("global")
    app = AppInPty(str(base), "--no-watch")
    try:
        assert app.read_until(lambda out: b"seed" in out, 10.0)
        os.write(app.fd, b"a")
        assert app.read_until(lambda out: b"Add entry" in out, 5.0)
        seen = app.drawn_since_now("typed value")
        os.write(app.fd, b"typed.key\rtyped value")  # One burst: typed fast.
        assert app.read_until(seen, 5.0), app.text[-3000:]
        os.write(app.fd, b"\x13")  # ctrl+s
        assert app.read_until(lambda out: b"saved" in out, 5.0)
        seen = app.drawn_since_now("Add entry")
        os.write(app.fd, b"a")
        assert app.read_until(seen, 5.0), app.text[-3000:]
        seen = app.drawn_since_now("pasted value")
        os.write(app.fd, b"\x1b[200~pasted.key\npasted value\x1b[201~")  # A bracketed paste.
        assert app.read_until(seen, 5.0), app.text[-3000:]
        seen = app.drawn_since_now("saved")
        os.write(app.fd, b"\x13")
        assert app.read_until(seen, 5.0), app.text[-3000:]
        app.quit()
    finally:
        app.close()
    stored = ScopedSessionManager(base)
    typed = stored.retrieve("global", "typed.key")
    pasted = stored.retrieve("global", "pasted.key")
    assert typed is not None and typed.value == "typed value"
    assert pasted is not None, ([e.key for e in stored.list_entries("global")], app.text[-3000:])
    assert pasted is not None and pasted.value == "pasted value"
