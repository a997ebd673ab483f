"""Any value can be read by keyboard: a focusable, scrollable viewer in every mode."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import TextArea

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.dialogs import EditDialog
from axon_scopes.tui.dialogs.viewer import ValueViewer
from axon_scopes.tui.widgets.detail import DetailPane

from .conftest import SIZE, AppFactory, settle

LONG = "\n".join(f"line {i:03d} " + "word " * 40 for i in range(300))


def long_store(tmp_path: Path) -> Path:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    mgr.persist("global", "long", LONG, "s")
    mgr.persist("global", "json", json.dumps({"a": [1, 2, {"b": "c"}], "d": "e"}), "s")
    mgr.flush("global")
    return base


async def test_enter_in_read_only_shows_the_whole_value(
    tmp_path: Path, app_for: AppFactory
) -> None:
    app = app_for(long_store(tmp_path), read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "long"))
        await pilot.press("enter")
        viewer = app.screen
        assert isinstance(viewer, ValueViewer)
        area = viewer.query_one("#viewer-value", TextArea)
        assert app.focused is area and area.text == LONG and area.read_only
        await pilot.press("pagedown", "pagedown")
        assert area.scroll_y > 0
        assert area.soft_wrap
        await pilot.press("w")
        assert not area.soft_wrap
        await pilot.press("e")  # Nothing may change: e does nothing here.
        assert app.screen is viewer
        await pilot.press("escape")
        assert app.screen is app.browser


async def test_json_is_pretty_and_can_be_seen_as_stored(
    tmp_path: Path, app_for: AppFactory
) -> None:
    app = app_for(long_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "json"))
        await pilot.press("v")
        assert isinstance(app.screen, ValueViewer)
        area = app.screen.query_one("#viewer-value", TextArea)
        assert area.text.startswith('{\n  "a": [\n')
        await pilot.press("j")
        assert area.text == json.dumps({"a": [1, 2, {"b": "c"}], "d": "e"})
        await pilot.press("e")  # Writable here: on to the editor.
        await pilot.pause()
        assert isinstance(app.screen, EditDialog)


async def test_the_detail_pane_takes_focus_and_scrolls(
    tmp_path: Path, app_for: AppFactory
) -> None:
    app = app_for(long_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "long"))
        await pilot.pause()
        detail = app.browser.query_one(DetailPane)
        for _ in range(4):
            if app.focused is detail:
                break
            await pilot.press("tab")
        assert app.focused is detail
        await pilot.press("pagedown")
        await pilot.pause()
        assert detail.scroll_y > 0


async def test_a_write_to_another_row_leaves_the_detail_pane_where_it_was_read(
    tmp_path: Path, app_for: AppFactory
) -> None:
    """Another process writes while the operator reads a long value: no jump to its top."""
    base = long_store(tmp_path)
    app = app_for(base, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "long"))
        await pilot.pause()
        detail = app.browser.query_one(DetailPane)
        detail.focus()
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        read_at = detail.scroll_y
        assert read_at > 0
        writer = ScopedSessionManager(base)
        writer.persist("global", "json", "written elsewhere", "agent")
        writer.flush("global")
        writer.close()
        for _ in range(100):
            if any(r.value == "written elsewhere" for r in app.browser.table.rows):
                break
            await pilot.pause(0.05)
        await settle(app, pilot)
        assert any(r.value == "written elsewhere" for r in app.browser.table.rows)
        assert detail.scroll_y == read_at
        writer = ScopedSessionManager(base)
        writer.persist("global", "long", "now short", "agent")
        writer.flush("global")
        writer.close()
        for _ in range(100):
            if "now short" in str(detail.query_one("#detail-value").render()):
                break
            await pilot.pause(0.05)
        assert "now short" in str(detail.query_one("#detail-value").render())
