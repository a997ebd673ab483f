"""Pictures of the app: fixture data in tmp_path, fixed clock and size, steady cursors.

Each test opens the store by a relative path from inside tmp_path, so no
temporary directory name reaches a picture.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from core import ScopedSessionManager
from tui.app import ScopesApp
from tui.demo import populate

from .tui_support import SIZE, open_app, settle

Before = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScopedSessionManager:
    """The demo store written into tmp_path, with its live manager (memory layers too)."""
    monkeypatch.chdir(tmp_path)
    return populate("axon-server")


def steps(*actions: Callable[[ScopesApp, Pilot[Any]], Awaitable[None]]) -> Before:
    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ScopesApp)
        await settle(app, pilot)
        for action in actions:
            await action(app, pilot)
            await settle(app, pilot)

    return run


def scope(name: str) -> Callable[[ScopesApp, Pilot[Any]], Awaitable[None]]:
    async def go(app: ScopesApp, pilot: Pilot[Any]) -> None:
        app.select_scope(next(r for r in app.catalog.refs() if r.scope == name))

    return go


def cursor(key: str, layer: str = "store") -> Callable[[ScopesApp, Pilot[Any]], Awaitable[None]]:
    async def go(app: ScopesApp, pilot: Pilot[Any]) -> None:
        assert app.table.move_cursor_to_key((layer, key))

    return go


def keys(*names: str) -> Callable[[ScopesApp, Pilot[Any]], Awaitable[None]]:
    async def go(app: ScopesApp, pilot: Pilot[Any]) -> None:
        await pilot.press(*names)

    return go


def test_main_screen_both_layers(snap_compare: Any, store: ScopedSessionManager) -> None:
    """flow:analyze: memory and store rows, and `status` flagged as differing."""
    app = open_app(store)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(scope("flow:analyze")))


def test_filter_active(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=steps(keys("slash", *"server"))
    )


def test_detail_of_json_value(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=steps(scope("flow:analyze"), cursor("result"))
    )


def test_edit_dialog(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=steps(cursor("server.config"), keys("e"))
    )


def test_add_dialog(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(keys("a")))


def test_purge_dialog(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=steps(cursor("tenants"), keys("d"))
    )


def test_bulk_purge_preview(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(
        app,
        terminal_size=SIZE,
        run_before=steps(scope("flow:ingest"), keys("D", *"batch.000", "enter")),
    )


def test_unreadable_scope(snap_compare: Any, store: ScopedSessionManager) -> None:
    Path(".axon-server__flow_broken.session.json").write_bytes(
        b'[{"key": "a", "value": "ok", "timestamp": 1763900000, "source_step": "s"},\n'
        b' {"key": "b", "value": 42, "timestamp": 1763900000, "source_step": "s"}]'
    )
    app = open_app("axon-server")
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(scope("flow:broken")))


def test_empty_state(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = open_app("axon-server")
    assert snap_compare(app, terminal_size=SIZE, run_before=steps())


def test_read_only(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app("axon-server", read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(keys("d")))


def test_help(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(keys("question_mark")))


def test_hostile_values(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    writer = ScopedSessionManager("axon-server", clock=lambda: 1_763_900_000)
    hostile = {
        "markup.bold": "[bold]not bold[/bold]",
        "markup.click": "[@click=app.quit]click me[/]",
        "markup.link": "[link=https://evil.example]x[/link]",
        "ansi.red": "\x1b[31mred?\x1b[0m",
        "osc.title": "\x1b]0;TITLE\x07",
        "bidi": "invoice\u202efdp.exe",
        "newline": "line one\nline two\ttabbed",
        "zero.width": "a\u200bb",
    }
    for key, value in hostile.items():
        writer.persist("global", key, value, "[red]step[/red]")
    writer.flush("global")
    app = open_app("axon-server")
    assert snap_compare(
        app, terminal_size=SIZE, run_before=steps(cursor("osc.title"))
    )


def test_conflict_dialog(snap_compare: Any, store: ScopedSessionManager) -> None:
    async def collide(app: ScopesApp, pilot: Pilot[Any]) -> None:
        from textual.widgets import TextArea

        app.screen.query_one("#value", TextArea).text = "Welcome, operators."
        other = ScopedSessionManager("axon-server", clock=lambda: 1_763_903_000)
        other.persist("global", "motd", "Maintenance at 14:00 UTC", "ops")
        other.flush("global")
        await pilot.press("ctrl+s")

    app = open_app(store)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=steps(cursor("motd"), keys("e"), collide)
    )


def test_paused(snap_compare: Any, store: ScopedSessionManager) -> None:
    app = open_app(store)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(keys("p")))
