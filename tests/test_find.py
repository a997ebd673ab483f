"""Finding things: the tree filtered by scope name, and a search over every scope."""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import OptionList

from axon_scopes.core import MemoryEntry
from axon_scopes.core.files.codec import encode_entries
from axon_scopes.core.files.naming import source_file_for, store_path_for
from axon_scopes.tui.dialogs.find import FindScreen
from axon_scopes.tui.search import search

from .conftest import SIZE, AppFactory, settle, until


async def test_slash_in_the_tree_filters_scope_names(demo_base: Path, app_for: AppFactory) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("tab", "tab")
        assert app.focused is app.browser.tree
        await pilot.press("slash", *"WORK")
        await settle(app, pilot)
        shown = {ref.scope for ref in app.browser.tree._infos}
        assert shown == {"daemon:worker"}
        assert app.browser.table.filter_query == ""  # The rows are not filtered.
        await pilot.press("enter", "escape")
        await settle(app, pilot)
        assert len(app.browser.tree._infos) == 7
        # Back in order: global first, then the groups.
        labels = [str(node.label) for node in app.browser.tree.root.children[0].children]
        assert labels[0].startswith("global") and labels[1:] == ["flows", "daemons", "custom"]


async def test_find_searches_every_scope_and_goes_to_the_hit(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("F")
        assert isinstance(app.screen, FindScreen)
        await pilot.press(*"s3://bucket")
        results = app.screen.query_one(OptionList)
        assert await until(pilot, lambda: results.option_count == 1)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is app.browser
        assert app.browser.current is not None and app.browser.current.scope == "flow:ingest"
        assert app.browser.table.cursor_row_key == ("store", "cursor")
        await pilot.press("F", *"ingest")
        results = app.screen.query_one(OptionList)
        assert await until(pilot, lambda: results.option_count >= 1)
        assert app.screen.hits[0].key is None and app.screen.hits[0].ref.scope == "flow:ingest"


def test_search_is_quick_on_a_hundred_scopes_of_ten_thousand(tmp_path: Path) -> None:
    # The files are written as Axon writes them, without a million `persist` calls: those
    # took twenty times as long as the search they set up.
    base = tmp_path / "axon-server"
    for s in range(100):
        scope = f"flow:f{s:03d}"
        entries = [MemoryEntry(f"key.{i:05d}", f"value {s} {i}", 1, "s") for i in range(10_000)]
        store_path_for(source_file_for(base, scope)).write_bytes(encode_entries(entries))
    from axon_scopes.core import open_source

    source = open_source(str(base))
    source.discover()
    started = time.perf_counter()
    found = search(source, "value 42 4242")
    assert time.perf_counter() - started < 10.0
    assert [(h.ref.scope, h.key) for h in found.hits] == [("flow:f042", "key.04242")]
