"""The edit and add dialogs stay open until the write succeeds, keeping what was typed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input, Static, TextArea

from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.dialogs import AddDialog, ConfirmDialog, ConflictDialog, EditDialog

from .conftest import SIZE, demo_store, open_app, settle
from .test_app_checked_writes import cursor_to, holding_the_lock, on_disk, other_writes


def problem(app: ScopesApp) -> str:
    """The reason the open dialog shows for a failed save ('' when it shows none)."""
    line = app.screen.query_one("#problem", Static)
    return str(line.render()) if line.display else ""


def dialog_text(app: ScopesApp) -> str:
    return " ".join(str(s.render()) for s in app.screen.query(Static))


async def start_edit(app: ScopesApp, pilot: object, key: str, text: str) -> None:
    await cursor_to(app, pilot, key)
    await pilot.press("e")  # type: ignore[attr-defined]
    assert isinstance(app.screen, EditDialog)
    app.screen.query_one("#value", TextArea).text = text


async def test_an_edit_of_a_file_that_became_unreadable_stays_open(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await start_edit(app, pilot, "motd", "mine")
        store = base.parent / f".{base.name}__global.session.json"
        store.write_bytes(b"{broken")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, EditDialog)
        assert "unreadable" in problem(app)
        assert app.screen.query_one("#value", TextArea).text == "mine"
        assert store.read_bytes() == b"{broken"


async def test_an_edit_over_the_size_limit_says_so_before_and_after_saving(
    tmp_path: Path,
) -> None:
    base = demo_store(tmp_path)
    app = open_app(base, max_value_bytes=100)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await start_edit(app, pilot, "motd", "x" * 150)
        assert "100 bytes" in dialog_text(app)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, EditDialog)
        assert "over the limit of 100 bytes" in problem(app)
        assert app.screen.query_one("#value", TextArea).text == "x" * 150
        assert on_disk(base, "global")["motd"].value != "x" * 150


async def test_an_edit_that_cannot_take_the_lock_stays_open(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base, lock_timeout=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await start_edit(app, pilot, "motd", "mine")
        with holding_the_lock(base, "global", "other.key", "theirs"):
            await pilot.press("ctrl+s")
            await asyncio.sleep(0.6)
            await settle(app, pilot)
            assert isinstance(app.screen, EditDialog)
            assert "could not take the lock" in problem(app)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, EditDialog)
        assert on_disk(base, "global")["motd"].value == "mine"


async def test_edit_again_after_a_conflict_returns_to_the_editor_with_the_text(
    tmp_path: Path,
) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await start_edit(app, pilot, "motd", "mine")
        editor = app.screen
        other_writes(base, "global", "motd", "theirs")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.click("#edit")
        await settle(app, pilot)
        assert app.screen is editor
        assert app.screen.query_one("#value", TextArea).text == "mine"
        assert "changed on disk" in problem(app)
        assert on_disk(base, "global")["motd"].value == "theirs"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, EditDialog)
        assert on_disk(base, "global")["motd"].value == "mine"


async def test_escape_on_a_changed_value_asks_before_discarding(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    before = on_disk(base, "global")
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await start_edit(app, pilot, "motd", "mine")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#cancel")
        assert isinstance(app.screen, EditDialog)
        assert app.screen.query_one("#value", TextArea).text == "mine"
        await pilot.press("escape")
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert not isinstance(app.screen, (EditDialog, ConfirmDialog))
        await pilot.press("e")
        await pilot.press("escape")  # Unchanged: closes at once.
        assert not isinstance(app.screen, (EditDialog, ConfirmDialog))
    assert on_disk(base, "global") == before


async def test_an_add_over_the_size_limit_stays_open_with_what_was_typed(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base, max_value_bytes=100)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, AddDialog)
        assert "100 bytes" in dialog_text(app)
        app.screen.query_one("#key", Input).value = "fresh"
        app.screen.query_one("#value", TextArea).text = "y" * 150
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, AddDialog)
        assert "over the limit of 100 bytes" in problem(app)
        assert app.screen.query_one("#key", Input).value == "fresh"
        assert app.screen.query_one("#value", TextArea).text == "y" * 150
        assert "fresh" not in on_disk(base, "global")
