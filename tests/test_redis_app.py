"""The app and the demo over a real Redis: the same tree, table, dialogs and live view as files."""

from __future__ import annotations

from textual.widgets import TextArea

from axon_scopes.core import MemoryEntry, ScopedSessionManager
from axon_scopes.core.redis.layout import ScopeKeys
from axon_scopes.demo_writer import DemoWriter
from axon_scopes.tui.demo import populate
from axon_scopes.tui.screens.loading import patched_items
from axon_scopes.tui.table.index import RowIndex
from axon_scopes.tui.table.rows import row_items
from axon_scopes.tui.widgets.detail import DetailPane
from axon_scopes.tui.widgets.header import StoreHeader
from tests.redis_servers import RedisServer

from .conftest import SIZE, notices, open_app, settle, static_text, until
from .outages import TYPED, a_save_rides_out_an_outage
from .test_app import refuses_writes_and_explains, select

PASSWORD = "s3cret-pass-never-shown"


async def test_the_app_browses_edits_and_follows_redis(redis_url: str) -> None:
    populate(redis_url).close()
    app = open_app(redis_url, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.ref_for("flow:ingest").scope == "flow:ingest"
        assert any(r.key == "motd" for r in app.browser.table.rows)
        app.browser.table.move_cursor_to_key(
            next(r.row_key for r in app.browser.table.rows if r.key == "motd")
        )
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "edited in the app"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        other = ScopedSessionManager(redis_url)
        assert other.retrieve("global", "motd").value == "edited in the app"  # type: ignore[union-attr]

        other.persist("global", "from.another.agent", "hello", "agent")
        other.flush("global")
        assert await until(
            pilot, lambda: any(r.key == "from.another.agent" for r in app.browser.table.rows)
        )
        other.close()


async def test_a_stopped_server_is_said_keeps_the_data_and_the_editor_text(
    own_redis: RedisServer,
) -> None:
    own_redis.password = PASSWORD
    own_redis.stop()
    own_redis.start()
    url = own_redis.url
    populate(url).close()
    app = open_app(url, watch=True)
    app.NOTIFICATION_TIMEOUT = 60.0
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        header = app.browser.query_one(StoreHeader)
        assert PASSWORD not in str(header.render())
        await a_save_rides_out_an_outage(
            app,
            pilot,
            stop=own_redis.stop,
            start=own_redis.start,
            refused="cannot reach the server",
        )
        check = ScopedSessionManager(url)
        saved = [e for e in check.store("global").store_entries() if e.value.startswith("typed")]
        assert [e.value for e in saved] == [TYPED]
        check.close()
        shown = " ".join(notices(app)) + str(header.render())
        assert PASSWORD not in shown


def test_the_demo_writer_runs_over_redis(redis_url: str) -> None:
    populate(redis_url).close()
    writer = DemoWriter(redis_url)
    for _ in range(13):
        writer.step()
    viewer = ScopedSessionManager(redis_url)
    assert viewer.retrieve("daemon:scheduler", "ticks").value == "13"  # type: ignore[union-attr]
    assert "flow:burst-1" in viewer.list_scopes()
    viewer.close()
    writer.mgr.close()


async def test_a_live_manager_over_redis_shows_its_memory_layer_too(redis_url: str) -> None:
    """The demo's way in: the app embedded next to an agent's own manager."""
    manager = populate(redis_url)
    app = open_app(manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        layers = {r.layer for r in app.browser.table.rows}
        assert layers == {"memory", "store"}
        assert app.source.kind == "redis"
    manager.close()


def test_a_named_change_patches_the_shown_rows_and_anything_else_reads_the_scope() -> None:
    entries = {k: MemoryEntry(k, f"v-{k}", 1, "s") for k in ("a", "b", "c")}
    previous = RowIndex(list(entries.values()))
    shown_order = list(previous.order("layer"))
    stored = dict(entries)
    stored["b"] = MemoryEntry("b", "changed", 2, "s")
    stored["d"] = MemoryEntry("d", "new", 2, "s")
    patch = patched_items(previous, frozenset({"b", "d"}), stored.get)
    assert patch is not None
    index = RowIndex.patched(previous, *patch)
    assert [i.value for i in index.items] == ["v-a", "changed", "v-c", "new"]
    assert (index.diff.added, index.diff.changed, index.diff.removed) == (1, 1, 0)
    # The same as working the diff out from scratch.
    full = RowIndex(index.items, previous)
    assert (full.diff, list(full.added), list(full.changed)) == (
        index.diff,
        list(index.added),
        list(index.changed),
    )
    assert index.order("time") == full.order("time") and index.order("key") == full.order("key")
    assert list(index.order("layer")) == list(full.order("layer"))
    assert list(previous.order("layer")) == shown_order  # The shown rows are left alone.
    del stored["a"]
    assert patched_items(previous, frozenset({"a"}), stored.get) is None  # Removed: read all.
    with_memory = RowIndex(row_items([MemoryEntry("m", "1", 1, "s")], list(entries.values())))
    assert patched_items(with_memory, frozenset({"b"}), stored.get) is None


async def test_another_agents_write_to_a_big_scope_moves_one_row_and_keeps_the_cursor(
    redis_url: str,
) -> None:
    writer = ScopedSessionManager(redis_url)
    for i in range(5_000):
        writer.persist("global", f"k.{i:05d}", f"v{i}", "seed")
    writer.flush("global")
    app = open_app(redis_url, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.browser.table
        await pilot.press("down", "down", "down")
        before = table.cursor_row
        assert before is not None
        writer.persist("global", "k.02500", "changed by another agent", "agent")
        writer.flush("global")

        def shown_value() -> str | None:
            at = table.index.find(("store", "k.02500"))
            return None if at is None else table.index.rows[at].value

        assert await until(pilot, lambda: shown_value() == "changed by another agent")
        assert table.cursor_row is not None and table.cursor_row.key == before.key
        assert len(table.rows) == 5_000
    writer.close()


async def test_a_polling_redis_source_says_so_and_still_follows(redis_url: str) -> None:
    populate(redis_url).close()
    app = open_app(f"{redis_url}?live=poll&poll=0.1", watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        header = app.browser.query_one(StoreHeader)
        assert await until(pilot, lambda: "polling every 0.1 s" in str(header.render()))
        other = ScopedSessionManager(redis_url)
        other.persist("global", "seen.by.polling", "v", "agent")
        other.flush("global")
        assert await until(
            pilot, lambda: any(r.key == "seen.by.polling" for r in app.browser.table.rows)
        )
        other.close()


async def test_a_key_of_another_type_is_an_unreadable_scope_in_redis_words(
    redis_url: str, redis_server: RedisServer
) -> None:
    """Marked, explained as Redis data (not a file), no dialog opens, nothing written."""
    seed = ScopedSessionManager(redis_url)
    seed.persist("flow:broken", "k", "v", "s")
    seed.flush("flow:broken")
    seed.close()
    store = ScopeKeys("axon-server", "flow:broken").store
    client = redis_server.client()
    client.delete(store)
    client.set(store, b"not a hash")
    app = open_app(redis_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ref = app.browser.ref_for("flow:broken")
        assert "unreadable" in str(app.browser.tree.node_for(ref).label)
        await select(app, pilot, "flow:broken")
        detail = app.browser.query_one(DetailPane)
        shown = "\n".join(str(s.render()) for s in detail.query("Static"))
        assert "kept in Redis could not be read" in shown and "file" not in shown
        assert "is not a hash (it holds a string)" in str(app.query_one("#scope-banner").render())
        refusal = app.browser.write_refusal(None)
        assert refusal is not None and refusal[0].startswith("This scope is unreadable")
        await refuses_writes_and_explains(app, pilot)
        info = static_text(app.screen)
        assert "Kept" in info and "Fix what is kept in Redis" in info and "file" not in info
    assert client.get(store) == b"not a hash"
