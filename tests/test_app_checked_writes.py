"""The app's writes are checked where they happen: a real process writing inside the window."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from textual.widgets import Button, Input, TextArea

from axon_scopes.core import MemoryEntry, ScopedSessionManager
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.dialogs import AddDialog, BulkPurgeDialog, ConflictDialog, PurgeDialog

from .conftest import SIZE, demo_store, open_app, settle, static_text

ROOT = Path(__file__).resolve().parent.parent


def on_disk(base: Path, scope: str) -> dict[str, MemoryEntry]:
    name = f".{base.name}__{scope.replace(':', '_')}.session.json"
    entries = json.loads((base.parent / name).read_text(encoding="utf-8"))
    return {e["key"]: MemoryEntry(**e) for e in entries}


def other_writes(base: Path, scope: str, key: str, value: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tests.cas_worker", "write", str(base), scope, key, value],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=30,
    )


async def add_entry(
    app: ScopesApp, pilot: Any, key: str, value: str, *, memory: bool = False
) -> None:
    """Add an entry through the add dialog, as the operator would."""
    await pilot.press("a")
    app.screen.query_one("#key", Input).value = key
    app.screen.query_one("#value", TextArea).text = value
    if memory:
        await pilot.click("#layer-memory")
    await pilot.press("ctrl+s")
    await settle(app, pilot)


@contextmanager
def holding_the_lock(base: Path, scope: str, key: str, value: str) -> Iterator[None]:
    """Another process holds the scope's lock; on leaving, it writes `key` and lets go.

    The app's write starts while the lock is held, so it is caught between reading what
    it expects and writing: exactly the window a check made before the lock misses.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.cas_worker", "hold", str(base), scope, key, value],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    try:
        yield
    finally:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        proc.stdout.readline()
        assert proc.wait(timeout=30) == 0


async def write_inside_the_window(
    app: ScopesApp, pilot: object, base: Path, scope: str, key: str, value: str, *keys: str
) -> None:
    """Press `keys` (which start a write) while another process writes `key` under the lock."""
    with holding_the_lock(base, scope, key, value):
        for k in keys:
            if k.startswith("#"):
                await pilot.click(k)  # type: ignore[attr-defined]
            else:
                await pilot.press(k)  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)  # The write is now waiting for the lock (ordering only).
    await settle(app, pilot)


async def cursor_to(app: ScopesApp, pilot: object, key: str) -> None:
    assert app.browser.table.move_cursor_to_key(("store", key))
    await settle(app, pilot)


async def edit_then_purge_in_global(app: ScopesApp, pilot: Any) -> None:
    """Set `server.version` to 1.0.0, then open the purge dialog on `tenants`."""
    await settle(app, pilot)
    await cursor_to(app, pilot, "server.version")
    await pilot.press("e")
    app.screen.query_one("#value", TextArea).text = "1.0.0"
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    await cursor_to(app, pilot, "tenants")
    await pilot.press("d")


async def test_an_edit_never_overwrites_a_write_made_while_it_waited(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "motd")
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "mine"
        await write_inside_the_window(app, pilot, base, "global", "motd", "theirs", "ctrl+s")
        assert isinstance(app.screen, ConflictDialog)
        assert app.screen.on_disk == "theirs" and app.screen.mine == "mine"
        assert on_disk(base, "global")["motd"].value == "theirs"
        await pilot.click("#mine")
        await settle(app, pilot)
        assert on_disk(base, "global")["motd"].value == "mine"


async def test_an_add_never_overwrites_a_key_another_process_created(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, AddDialog)
        app.screen.query_one("#key", Input).value = "fresh"
        app.screen.query_one("#value", TextArea).text = "mine"
        await write_inside_the_window(app, pilot, base, "global", "fresh", "theirs", "ctrl+s")
        assert isinstance(app.screen, ConflictDialog)
        assert app.screen.opened is None and app.screen.on_disk == "theirs"
        assert "while you were adding it" in static_text(app.screen)
        await pilot.click("#theirs")
        await settle(app, pilot)
        assert on_disk(base, "global")["fresh"].value == "theirs"


async def test_a_purge_never_removes_a_value_written_while_it_waited(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "tenants")
        await pilot.press("d")
        assert isinstance(app.screen, PurgeDialog)
        await write_inside_the_window(app, pilot, base, "global", "tenants", "[]", "#purge")
        assert isinstance(app.screen, PurgeDialog)
        assert app.screen.row.value == "[]"
        assert on_disk(base, "global")["tenants"].value == "[]"
        await pilot.click("#purge")
        await settle(app, pilot)
        assert "tenants" not in on_disk(base, "global")


async def test_a_bulk_purge_skips_an_entry_written_while_it_waited(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ref = app.browser.ref_for("flow:ingest")
        app.browser.select_scope(ref)
        await settle(app, pilot)
        await pilot.press("D")
        assert isinstance(app.screen, BulkPurgeDialog)
        app.screen.query_one("#query", Input).value = "batch.000"
        await pilot.press("enter")
        await settle(app, pilot)
        await write_inside_the_window(
            app, pilot, base, "flow:ingest", "batch.0003", "rewritten", "#purge"
        )
        left = on_disk(base, "flow:ingest")
        assert [k for k in left if k.startswith("batch.000")] == ["batch.0003"]
        assert left["batch.0003"].value == "rewritten"


async def test_undo_restores_the_original_timestamp_and_source_step(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    original = on_disk(base, "global")
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_purge_in_global(app, pilot)
        await pilot.click("#purge")
        await settle(app, pilot)
        assert on_disk(base, "global") != original
        await pilot.press("u")
        await settle(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        assert on_disk(base, "global") == original


async def test_undo_after_another_process_changed_the_entry_asks_first(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    original = on_disk(base, "global")["motd"]
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "motd")
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "mine"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        other_writes(base, "global", "motd", "theirs")
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert app.screen.on_disk == "theirs" and app.screen.mine == original.value
        text = static_text(app.screen)
        assert "after your change" in text and "while you were editing" not in text
        assert str(app.screen.query_one("#mine", Button).label) == "Undo anyway"
        assert on_disk(base, "global")["motd"].value == "theirs"
        await pilot.click("#theirs")
        await settle(app, pilot)
        assert on_disk(base, "global")["motd"].value == "theirs"

        # Asked again, the operator chooses to undo anyway: the entry comes back whole.
        before = on_disk(base, "global")["motd"]
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "mine 2"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        other_writes(base, "global", "motd", "theirs 2")
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.click("#mine")
        await settle(app, pilot)
        assert on_disk(base, "global")["motd"] == before


async def test_undo_of_a_memory_write_changed_since_asks_first(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    manager = ScopedSessionManager(base)
    app = open_app(manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await add_entry(app, pilot, "scratch", "mine", memory=True)
        manager.remember("global", "scratch", "changed", "elsewhere")
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictDialog)
        entry = manager.recall("global", "scratch")
        assert entry is not None and entry.value == "changed"


async def test_undo_pressed_while_a_purge_waits_for_the_lock_undoes_that_purge(
    tmp_path: Path,
) -> None:
    base = demo_store(tmp_path)
    original = on_disk(base, "global")
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_purge_in_global(app, pilot)
        with holding_the_lock(base, "global", "other.key", "x"):
            await pilot.click("#purge")
            await asyncio.sleep(0.2)  # The purge now waits for the lock.
            await pilot.press("u")
            await asyncio.sleep(0.2)
        await settle(app, pilot)
        now = on_disk(base, "global")
        assert now["tenants"] == original["tenants"]
        assert now["server.version"].value == "1.0.0"


async def test_undo_of_an_add_that_someone_changed_says_the_entry_would_go(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await add_entry(app, pilot, "fresh", "mine")
        other_writes(base, "global", "fresh", "theirs")
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert app.screen.mine is None
        assert "(undo removes the entry)" in static_text(app.screen)
        await pilot.click("#theirs")
        await settle(app, pilot)
        assert on_disk(base, "global")["fresh"].value == "theirs"

