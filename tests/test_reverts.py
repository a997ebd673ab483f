"""An edit of this app that another writer undoes soon after is said plainly, once, on its row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import TextArea

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.config import Tuning
from axon_scopes.tui.dialogs import EditDialog
from axon_scopes.tui.widgets.entry_table import REVERTED_MARK

from .conftest import NOW, SIZE, logged, notices, open_app, settle, static_text, status_line


async def edit(app: ScopesApp, pilot: Any, key: str, value: str) -> None:
    assert app.browser.table.move_cursor_to_key(("store", key))
    await pilot.press("e")
    assert isinstance(app.screen, EditDialog)
    app.screen.query_one("#value", TextArea).text = value
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert app.screen is app.browser


def other_writer(base: Path) -> ScopedSessionManager:
    return ScopedSessionManager(base, clock=lambda: NOW)


async def test_a_writer_putting_the_old_value_back_is_said_on_the_row_and_once(
    demo_base: Path,
) -> None:
    app = open_app(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await edit(app, pilot, "motd", "Maintenance tonight")
        app.clear_notifications()
        other = other_writer(demo_base)
        other.persist("global", "motd", "Welcome back", "boot")
        other.flush("global")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        (message,) = [m for m in notices(app) if "your edit" in m]
        assert "'motd'" in message and "global" in message
        assert "You wrote:  Maintenance tonight" in message
        assert "Welcome back" in message
        assert app.browser.table.marked == {("store", "motd")}
        line = app.browser.table.render_line(
            1 + [r.key for r in app.browser.table.visible_rows].index("motd")
        )
        assert REVERTED_MARK in line.text
        app.browser.table.move_cursor_to_key(("store", "motd"))
        await pilot.pause()
        assert "Another writer replaced your edit of 'motd'" in static_text(app.browser)
        assert "your edit of 'motd' was replaced" in status_line(app)
        assert any("your edit of 'motd'" in text for text in logged(app))
        # Said once: another change to the scope does not say it again.
        app.clear_notifications()
        other.persist("global", "server.version", "1.0", "boot")
        other.flush("global")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert not [m for m in notices(app) if "your edit" in m]
        # Writing the key again clears the mark.
        await edit(app, pilot, "motd", "Maintenance tonight, again")
        assert not app.browser.table.marked


async def test_a_writer_removing_an_edited_entry_is_said(demo_base: Path) -> None:
    app = open_app(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await edit(app, pilot, "tenants", '["acme"]')
        other = other_writer(demo_base)
        other.purge("global", "tenants")
        other.flush("global")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        (message,) = [m for m in notices(app) if "your edit" in m]
        assert "removed your edit of 'tenants'" in message


async def test_other_changes_and_old_edits_are_not_reverts(demo_base: Path) -> None:
    now = [NOW]
    app = open_app(demo_base, clock=lambda: now[0], tuning=Tuning(revert_window_s=60))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await edit(app, pilot, "motd", "mine")
        await edit(app, pilot, "server.version", "2.0")
        other = other_writer(demo_base)
        other.persist("global", "tenants", "[]", "boot")  # A key this app did not write.
        other.flush("global")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert not [m for m in notices(app) if "your edit" in m]
        now[0] += 61  # Past the window: a later change is an ordinary one.
        other.persist("global", "motd", "theirs", "boot")
        other.flush("global")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert not [m for m in notices(app) if "your edit" in m]
        assert not app.browser.table.marked


async def test_the_app_undoing_or_purging_its_own_edit_is_no_revert(demo_base: Path) -> None:
    app = open_app(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await edit(app, pilot, "motd", "mine")
        await pilot.press("u")
        await settle(app, pilot)
        await edit(app, pilot, "tenants", "[]")
        assert app.browser.table.move_cursor_to_key(("store", "tenants"))
        await pilot.press("d")
        await pilot.press("tab", "enter")  # Cancel has the focus; tab to Purge.
        await settle(app, pilot)
        assert "tenants" not in {r.key for r in app.browser.table.visible_rows}
        other = other_writer(demo_base)
        other.persist("global", "server.version", "1.0", "boot")
        other.flush("global")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert not [m for m in notices(app) if "your edit" in m]
