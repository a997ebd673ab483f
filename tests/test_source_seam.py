"""The app and the core over a source that is not files: everything goes through the seams.

The tables in `tests/tables.py` stand in for a server's storage; the app under test
is the real one, built by `make_app` from a `ScopeSource`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import TextArea

from axon_scopes.core import MemoryEntry, ScopeChange, ScopedSessionManager
from axon_scopes.tui.widgets.header import StoreHeader

from .conftest import NOW, SIZE, notices, open_app, settle, until
from .tables import SharedTable, TableSource, TableStorage


def client(tables: dict[str, SharedTable]) -> ScopedSessionManager:
    return ScopedSessionManager(TableStorage(tables), clock=lambda: NOW)


def seeded() -> dict[str, SharedTable]:
    tables: dict[str, SharedTable] = {}
    writer = client(tables)
    writer.persist("global", "motd", "hello", "seed")
    writer.persist("flow:ingest", "cursor", "41", "seed")
    writer.flush_all()
    return tables


def test_a_refresh_over_any_storage_counts_and_finds_new_and_gone_scopes() -> None:
    tables = seeded()
    viewer, writer = client(tables), client(tables)
    assert viewer.refresh() == []
    writer.persist("global", "motd", "changed", "w")
    writer.persist("global", "extra", "x", "w")
    writer.flush("global")
    writer.persist("flow:new", "k", "v", "w")
    writer.flush("flow:new")
    assert viewer.refresh() == [
        ScopeChange("flow:new", "refresh", new=True),
        ScopeChange("global", "refresh", added=1, changed=1),
    ]
    tables["flow:ingest"].version = 0  # Nothing stored any more.
    tables["flow:ingest"].entries = {}
    assert viewer.refresh("flow:ingest") == [ScopeChange("flow:ingest", "refresh", gone=True)]
    assert "flow:ingest" not in viewer.list_scopes()


async def test_the_app_browses_edits_and_follows_a_source_without_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tables = seeded()
    app = open_app(TableSource(client(tables)), watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert {r.key for r in app.browser.table.rows} == {"motd"}
        assert app.browser.ref_for("flow:ingest").base == "tables"

        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "edited"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        stored = tables["global"].entries["motd"]
        assert stored == MemoryEntry("motd", "edited", int(NOW), stored.source_step)

        other = client(tables)
        other.persist("global", "from.elsewhere", "live", "other")
        other.flush("global")
        for _ in range(100):
            await pilot.pause(0.02)
            if any(r.key == "from.elsewhere" for r in app.browser.table.rows):
                break
        assert any(r.key == "from.elsewhere" for r in app.browser.table.rows)
        await pilot.press("u")
        await settle(app, pilot)
        assert tables["global"].entries["motd"].value == "hello"
    assert os.listdir(tmp_path) == []


async def test_a_lost_source_is_said_in_the_header_and_the_view_catches_up_when_back() -> None:
    tables = seeded()
    source = TableSource(client(tables))
    app = open_app(source, watch=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        header = app.browser.query_one(StoreHeader)
        assert await until(pilot, lambda: "(polling every 0.02 s)" in str(header.render()))
        source.reachable.clear()
        assert await until(pilot, lambda: "disconnected" in str(header.render()))
        assert "● live" not in str(header.render())
        assert {r.key for r in app.browser.table.rows} == {"motd"}  # The last good data stays.
        other = client(tables)
        other.persist("global", "written.meanwhile", "v", "other")
        other.flush("global")
        source.reachable.set()
        assert await until(pilot, lambda: "● live" in str(header.render()))
        assert await until(
            pilot, lambda: any(r.key == "written.meanwhile" for r in app.browser.table.rows)
        )
        assert any("disconnected, retrying" in text for text in notices(app))


