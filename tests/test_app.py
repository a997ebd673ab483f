"""The app driven with Pilot over real store files: every action, undo, read-only, safety."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.config import Tuning
from axon_scopes.tui.dialogs import (
    AddDialog,
    BulkPurgeDialog,
    ConfirmDialog,
    ConflictDialog,
    EditDialog,
    ExportDialog,
    HelpScreen,
    MessageDialog,
    PurgeDialog,
)
from axon_scopes.tui.dialogs.viewer import ValueViewer
from axon_scopes.tui.widgets.detail import DetailPane
from axon_scopes.tui.widgets.entry_table import EntryTable

from .conftest import SIZE, AppFactory, demo_store, notices, open_app, settle

HOSTILE = {
    "markup.bold": "[bold]x",
    "markup.close": "[/bold]",
    "markup.link": "[link=https://evil]x[/link]",
    "markup.click": "[@click=app.quit]x[/]",
    "osc.title": "\x1b]0;TITLE\x07",
    "bidi": "abc\u202edef",
}


def disk(base: Path, scope: str) -> dict[str, str]:
    """What the store file holds now, read independently of the app."""
    name = f".{base.name}__{scope.replace(':', '_')}.session.json"
    entries = json.loads((base.parent / name).read_text(encoding="utf-8"))
    return {e["key"]: e["value"] for e in entries}


async def select(app: ScopesApp, pilot: object, scope: str) -> None:
    ref = app.browser.ref_for(scope)
    app.browser.select_scope(ref)
    await settle(app, pilot)


async def refuses_writes_and_explains(app: ScopesApp, pilot: Pilot[ScopesApp]) -> None:
    """On an unreadable scope: add, edit and purge open no dialog; `i` explains."""
    for key in ("a", "e", "d"):
        await pilot.press(key)
        await settle(app, pilot)
        assert not isinstance(app.screen, (AddDialog, EditDialog, PurgeDialog))
    app.browser.tree.focus()
    await pilot.press("i")
    await settle(app, pilot)
    assert isinstance(app.screen, MessageDialog)


async def cursor_to(app: ScopesApp, pilot: object, key: str, layer: str = "store") -> None:
    assert app.browser.table.move_cursor_to_key((layer, key))
    await settle(app, pilot)


async def test_start_shows_global_and_tree(demo_base: Path, app_for: AppFactory) -> None:
    base = demo_base
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.current is not None and app.browser.current.scope == "global"
        keys = {row.key for row in app.browser.table.visible_rows}
        assert keys == {"motd", "server.config", "server.version", "tenants"}
        labels = [str(node.label) for node in app.browser.tree.root.children[0].children]
        assert labels[0].startswith("global")
        assert [label for label in labels[1:]] == ["flows", "daemons", "custom"]


async def test_slash_again_refines_the_filter(demo_base: Path, app_for: AppFactory) -> None:
    """Back in the filter box, the next letters extend the query rather than replace it."""
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"server", "enter")
        await settle(app, pilot)
        assert app.focused is app.browser.table
        await pilot.press("slash", *".v")
        await settle(app, pilot)
        assert app.query_one("#filter", Input).value == "server.v"
        assert {r.key for r in app.browser.table.visible_rows} == {"server.version"}


async def test_filter_and_sort(demo_base: Path, app_for: AppFactory) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"SERVER")
        await settle(app, pilot)
        # Key or value, case-insensitive: motd's value mentions the server too.
        assert {r.key for r in app.browser.table.visible_rows} == {
            "motd",
            "server.config",
            "server.version",
        }
        await pilot.press(*".v")
        await settle(app, pilot)
        assert {r.key for r in app.browser.table.visible_rows} == {"server.version"}
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.browser.table.row_count == 4
        # After enter took the cursor to the rows, escape still clears the filter.
        await pilot.press("slash", *"tenants", "enter")
        await settle(app, pilot)
        assert app.focused is app.browser.table and app.browser.table.row_count == 1
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.browser.table.row_count == 4 and app.browser.table.filter_query == ""
        assert not app.browser.filter_box.display
        # Default: by layer. `s`: the next column as the table shows them, ascending;
        # `S`: the other way round.
        seen = []
        for key in ("s", "s", "S"):
            await pilot.press(key)
            seen.append((app.browser.table.sort_column, app.browser.table.sort_reverse))
        assert seen == [("key", False), ("source_step", False), ("source_step", True)]
        await pilot.press("s", "s", "s", "S")  # time, layer, key, then key reversed.
        assert (app.browser.table.sort_column, app.browser.table.sort_reverse) == ("key", True)
        assert app.browser.table.visible_rows[0].key == "tenants"


async def test_edit_store_entry_flushes_and_undo_restores(
    demo_base: Path, app_for: AppFactory
) -> None:
    base = demo_base
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "server.version")
        await pilot.press("e")
        assert isinstance(app.screen, EditDialog)
        app.screen.query_one("#value", TextArea).text = "1.0.0"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert disk(base, "global")["server.version"] == "1.0.0"
        assert (
            app.browser.table.cursor_row is not None
            and app.browser.table.cursor_row.value == "1.0.0"
        )
        await pilot.press("u")
        await settle(app, pilot)
        assert disk(base, "global")["server.version"] == "0.9.4"


async def test_escape_cancels_edit(demo_base: Path, app_for: AppFactory) -> None:
    base = demo_base
    before = disk(base, "global")
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, EditDialog)
        app.screen.query_one("#value", TextArea).text = "changed"
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)  # A changed value: discard it?
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert not isinstance(app.screen, (EditDialog, ConfirmDialog))
    assert disk(base, "global") == before


async def test_add_to_store_and_memory_then_undo(demo_base: Path, app_for: AppFactory) -> None:
    base = demo_base
    manager = ScopedSessionManager(base)
    app = app_for(manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, AddDialog)
        app.screen.query_one("#key", Input).value = "added.key"
        app.screen.query_one("#value", TextArea).text = "fresh"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert disk(base, "global")["added.key"] == "fresh"

        await pilot.press("a")
        app.screen.query_one("#key", Input).value = "scratch"
        app.screen.query_one("#value", TextArea).text = "in memory"
        await pilot.click("#layer-memory")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        entry = manager.recall("global", "scratch")
        assert entry is not None and entry.value == "in memory"
        assert ("memory", "scratch") in {r.row_key for r in app.browser.table.visible_rows}
        assert "scratch" not in disk(base, "global")

        await pilot.press("u")
        await settle(app, pilot)
        assert manager.recall("global", "scratch") is None
        await pilot.press("u")
        await settle(app, pilot)
        assert "added.key" not in disk(base, "global")


async def test_purge_cancel_is_default_then_purge_and_undo(
    demo_base: Path, app_for: AppFactory
) -> None:
    base = demo_base
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "tenants")
        await pilot.press("d")
        assert isinstance(app.screen, PurgeDialog)
        await pilot.press("enter")  # Cancel has the focus
        await settle(app, pilot)
        assert "tenants" in disk(base, "global")

        await pilot.press("delete")
        assert isinstance(app.screen, PurgeDialog)
        await pilot.click("#purge")
        await settle(app, pilot)
        assert "tenants" not in disk(base, "global")
        assert ("store", "tenants") not in {r.row_key for r in app.browser.table.visible_rows}

        await pilot.press("u")
        await settle(app, pilot)
        assert disk(base, "global")["tenants"] == '["acme", "globex", "initech"]'


async def test_bulk_purge_deletes_exactly_the_previewed_entries(
    demo_base: Path, app_for: AppFactory
) -> None:
    base = demo_base
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await select(app, pilot, "flow:ingest")
        await pilot.press("D")
        assert isinstance(app.screen, BulkPurgeDialog)
        app.screen.query_one("#query", Input).value = "batch.000"
        await pilot.press("enter")
        await settle(app, pilot)
        # Another process adds a matching key after the preview.
        other = ScopedSessionManager(base)
        other.persist("flow:ingest", "batch.0000-late", "{}", "load")
        other.flush("flow:ingest")
        await pilot.click("#purge")
        await settle(app, pilot)
        left = disk(base, "flow:ingest")
        assert [k for k in left if k.startswith("batch.000")] == ["batch.0000-late"]
        assert "batch.0010" in left and "cursor" in left

        await pilot.press("u")
        await settle(app, pilot)
        restored = disk(base, "flow:ingest")
        assert all(f"batch.{i:04d}" in restored for i in range(1, 10))


async def test_read_only_refuses_every_write_and_says_why(
    demo_base: Path, app_for: AppFactory
) -> None:
    base = demo_base
    before = (base.parent / ".axon-server__global.session.json").read_bytes()
    app = app_for(base, read_only=True)
    app.NOTIFICATION_TIMEOUT = 60.0  # Every notice stays on screen until read.
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        for key in ("e", "a", "d", "D", "u"):
            await pilot.press(key)
            await settle(app, pilot)
            assert not isinstance(app.screen, (EditDialog, AddDialog, PurgeDialog))
        shown = notices(app)
        assert len(shown) == 5 and all("read-only" in m for m in shown)
        await pilot.press("enter")  # Enter shows the value instead.
        assert isinstance(app.screen, ValueViewer)
    assert (base.parent / ".axon-server__global.session.json").read_bytes() == before


async def test_hostile_values_show_literally_and_never_act(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    writer = ScopedSessionManager(base)
    for key, value in HOSTILE.items():
        writer.persist("global", key, value, "[red]step")
    writer.flush("global")
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.query_one(EntryTable)
        lines = [
            "".join(seg.text for seg in table.render_line(y)) for y in range(table.size.height)
        ]
        screen_text = "\n".join(lines)
        assert "[bold]x" in screen_text and "[@click=app.quit]x[/]" in screen_text
        assert "␛]0;TITLE␇" in screen_text and "<U+202E>" in screen_text
        assert "\x1b" not in screen_text and "\u202e" not in screen_text
        # Click every row: a [@click=...] value must not run its action.
        for y in range(1, len(HOSTILE) + 1):
            await pilot.click(EntryTable, offset=(30, y))
            await settle(app, pilot)
        assert app.is_running
        await cursor_to(app, pilot, "osc.title")
        detail = app.query_one(DetailPane)
        shown = "\n".join(str(s.render()) for s in detail.query("Static"))
        assert "\x1b" not in shown and "␛]0;TITLE␇" in shown


async def test_unreadable_scope_is_marked_explained_and_untouched(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    bad = tmp_path / ".axon-server__flow_broken.session.json"
    bad.write_bytes(b'[{"key": "a", "value": 1, "timestamp": 1, "source_step": "s"}]')
    before = bad.read_bytes()
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ref = app.browser.ref_for("flow:broken")
        assert "unreadable" in str(app.browser.tree.node_for(ref).label)
        await select(app, pilot, "flow:broken")
        banner = app.query_one("#scope-banner")
        assert banner.display and "$[0].value" in str(banner.render())
        await refuses_writes_and_explains(app, pilot)
    assert bad.read_bytes() == before


async def test_empty_state_says_where_it_looked(tmp_path: Path) -> None:
    app = open_app(tmp_path / "axon-server")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        empty = app.query_one("#empty")
        assert empty.display
        text = str(empty.render())
        assert f"{tmp_path}/.axon-server__*.session.json" in text


async def test_directory_mode_has_one_root_per_base(tmp_path: Path) -> None:
    ScopedSessionManager(tmp_path / "alpha").persist("global", "a", "1", "s")
    ScopedSessionManager(tmp_path / "beta").persist("flow:x", "b", "2", "s")
    for name in ("alpha", "beta"):
        m = ScopedSessionManager(tmp_path / name)
        m.persist("global", "k", name, "s")
        m.flush_all()
    app = open_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        roots = [str(n.label) for n in app.browser.tree.root.children]
        assert roots == ["alpha", "beta"]


async def test_live_manager_memory_layer_is_editable(tmp_path: Path) -> None:
    manager = ScopedSessionManager(tmp_path / "axon-server")
    manager.remember("global", "note", "before", "flow")
    app = open_app(manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "note", layer="memory")
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "after"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        entry = manager.recall("global", "note")
        assert entry is not None and entry.value == "after" and entry.source_step == "tui"


async def test_copy_and_export(tmp_path: Path) -> None:
    base = demo_store(tmp_path)
    app = open_app(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "server.config")
        await pilot.press("c")
        assert app.clipboard == disk(base, "global")["server.config"]
        await pilot.press("x")
        assert isinstance(app.screen, ExportDialog)
        target = tmp_path / "out.json"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        exported = json.loads(target.read_text(encoding="utf-8"))
        assert exported["scope"] == "global" and exported["count"] == 4


async def test_edit_conflict_never_overwrites_silently(
    demo_base: Path, app_for: AppFactory
) -> None:
    base = demo_base
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "motd")
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "mine"
        other = ScopedSessionManager(base)
        other.persist("global", "motd", "theirs", "ext")
        other.flush("global")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.click("#theirs")
        await settle(app, pilot)
        assert disk(base, "global")["motd"] == "theirs"

        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "mine again"
        other.persist("global", "motd", "theirs 2", "ext")
        other.flush("global")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.click("#mine")
        await settle(app, pilot)
        assert disk(base, "global")["motd"] == "mine again"


async def test_purge_asks_again_when_the_entry_changed(
    demo_base: Path, app_for: AppFactory
) -> None:
    base = demo_base
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await cursor_to(app, pilot, "tenants")
        await pilot.press("d")
        other = ScopedSessionManager(base)
        other.persist("global", "tenants", "[]", "ext")
        other.flush("global")
        await pilot.click("#purge")
        await settle(app, pilot)
        assert isinstance(app.screen, PurgeDialog)
        assert app.screen.row.value == "[]"
        assert "tenants" in disk(base, "global")
        await pilot.click("#purge")
        await settle(app, pilot)
        assert "tenants" not in disk(base, "global")


async def test_every_action_is_in_the_palette_and_help(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in (
            "Filter entries",
            "Edit entry",
            "Add entry",
            "Purge entry",
            "Bulk purge",
            "Copy value",
            "Export scope",
            "Undo",
            "Reload",
            "Help",
        ):
            assert title in titles
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keyboard_moves_between_tree_and_table(demo_base: Path, app_for: AppFactory) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.focused is app.browser.table
        assert (
            app.browser.tree.cursor_ref is not None
            and app.browser.tree.cursor_ref.scope == "global"
        )
        await pilot.press("tab")  # The detail pane, then round to the tree.
        assert app.focused is app.browser.query_one(DetailPane)
        await pilot.press("tab")
        assert app.focused is app.browser.tree
        await pilot.press("down", "down")  # the "flows" group, then its first flow
        await settle(app, pilot)
        assert app.browser.current is not None and app.browser.current.scope == "flow:analyze"
        assert {r.key for r in app.browser.table.visible_rows} >= {"result", "status"}
        await pilot.press("tab")
        assert app.focused is app.browser.table


async def test_big_scope_previews_then_shows_all_and_ignores_stale_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First screenful first; the full index replaces it; an older load's rows never win."""
    from axon_scopes.tui.messages import ScopeRowsLoaded
    from axon_scopes.tui.table.index import RowIndex
    from axon_scopes.tui.table.rows import Row

    # Rows past 50 are held in key order.
    tuning = Tuning(preview_above=20, sort_rows_above=50)
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    for i in range(300):
        mgr.persist("global", f"k{i:04d}", f"v{i}", "seed")
    mgr.remember("global", "k0007", "in memory", "seed")
    mgr.flush("global")
    loads: list[ScopeRowsLoaded] = []
    #: What the table showed when the full rows arrived: (in preview, total, rows held).
    before_full: list[tuple[bool, int, int]] = []

    def record(message: object) -> None:
        if isinstance(message, ScopeRowsLoaded):
            if message.preview_total is None and loads:
                table = app.browser.table
                before_full.append((table.in_preview, table.total_count, len(table.rows)))
            loads.append(message)

    app = open_app(mgr, tuning=tuning)
    async with app.run_test(size=SIZE, message_hook=record) as pilot:
        await settle(app, pilot)
        previews = [m.preview_total for m in loads if m.preview_total is not None]
        assert previews == [301]
        assert before_full[0][:2] == (True, 301) and before_full[0][2] < 301
        table = app.browser.table
        assert not table.in_preview and table.total_count == table.row_count == 301
        assert table.visible_rows[0].row_key == ("memory", "k0007")
        assert table.visible_rows[0].conflict
        assert table.index.ordered
        await pilot.press("slash", *"k02")
        assert [r.key for r in table.visible_rows][:3] == ["k0200", "k0201", "k0202"]
        assert table.row_count == 100
        await pilot.press("escape")
        stale = RowIndex([Row("store", "stale", "x", 1, "s")])
        app.post_message(ScopeRowsLoaded(loads[-1].seq - 1, loads[-1].ref, stale))
        await settle(app, pilot)
        assert table.total_count == 301


async def test_detail_pane_sizes_itself_to_each_value(demo_base: Path, app_for: AppFactory) -> None:
    """One-line values skip the layout pass; a multi-line value still gets its height."""
    from textual.widgets import Static

    base = demo_base
    app = app_for(base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        value = app.query_one("#detail-value", Static)
        for key, lines in (("motd", 1), ("server.config", None), ("server.version", 1)):
            await cursor_to(app, pilot, key)
            text = app.browser.table.cursor_row.value  # type: ignore[union-attr]
            expected = lines or len(json.dumps(json.loads(text), indent=2).splitlines())
            assert value.size.height == expected, key
            shown = [value.render_line(y).text.strip() for y in range(value.size.height)]
            assert shown[0] == (text if lines else "{"), key


async def test_a_big_scope_shares_its_source_steps_before_the_rows_are_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from a file, every entry has its own copy of its step; the rows must not keep them."""
    base = tmp_path / "axon-server"
    writer = ScopedSessionManager(base)
    for i in range(120):
        writer.persist("global", f"k{i:04d}", f"v{i}", ("plan", "act", "check")[i % 3])
    writer.flush("global")
    browser = ScopedSessionManager(base)
    browser.share_steps_above = 50
    app = open_app(browser)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = app.browser.table.index.rows
        assert len(rows) == 120
        assert len({id(r.source_step) for r in rows}) == 3
        assert [(r.key, r.source_step) for r in rows] == [
            (f"k{i:04d}", ("plan", "act", "check")[i % 3]) for i in range(120)
        ]


async def test_a_read_only_service_is_read_from_its_capabilities(demo_base: Path) -> None:
    base = demo_base
    before = (base.parent / ".axon-server__global.session.json").read_bytes()
    app = open_app(ScopedSessionManager(base, read_only=True))
    app.NOTIFICATION_TIMEOUT = 60.0  # Every notice stays on screen until read.
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        for key in ("e", "a", "d", "D", "u"):
            await pilot.press(key)
            await settle(app, pilot)
            assert not isinstance(app.screen, (EditDialog, AddDialog, PurgeDialog))
        shown = notices(app)
        assert len(shown) == 5 and all("read-only" in m for m in shown)
    assert (base.parent / ".axon-server__global.session.json").read_bytes() == before


def test_read_only_reaches_the_services_the_app_builds(demo_base: Path) -> None:
    app = open_app(demo_base, read_only=True)
    app.source.discover()
    assert [s.capabilities.read_only for s in app.source.services().values()] == [True]


async def test_a_slash_typed_in_the_filter_is_part_of_the_query(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"s3:", "slash", "slash")
        await settle(app, pilot)
        assert app.browser.filter_box.value == "s3://"
