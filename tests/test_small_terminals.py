"""Small and resized terminals: columns reflow, the tree can be hidden, names stay apart,
dialogs fit 60×20 (the pictures at 80×24 and 60×20 are in tests/scenes.py)."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Button

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.dialogs import ConflictDialog
from axon_scopes.tui.widgets.scope_tree import middle_cut

from .conftest import AppFactory, settle


def screen_text(app: object) -> list[str]:
    """What the terminal shows now, line by line (from the app's own screenshot)."""
    svg = app.export_screenshot()  # type: ignore[attr-defined]
    text = re.sub(r"<[^>]+>", "", svg).replace("&#160;", " ")
    return text.splitlines()


async def test_columns_reflow_when_the_terminal_shrinks(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        (header,) = [line for line in screen_text(app) if "LAYER" in line]
        # Fitted to 80 columns: the time column is there, not cut off by the old layout.
        assert header.rstrip().endswith("TIME") and "…" not in header
        await pilot.resize_terminal(160, 45)
        await settle(app, pilot)
        (header,) = [line for line in screen_text(app) if "LAYER" in line]
        assert "STEP" in header and header.rstrip().endswith("TIME")


async def test_the_tree_can_be_hidden_and_is_narrower_on_small_terminals(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        tree, table = app.browser.tree, app.browser.table
        assert tree.size.width <= 22
        await pilot.press("tab", "tab")  # To the tree: hiding it moves the focus on.
        assert app.focused is tree
        width = table.size.width
        await pilot.press("t")
        await settle(app, pilot)
        assert not tree.display and app.focused is table and table.size.width > width
        await pilot.press("t")
        await settle(app, pilot)
        assert tree.display


def test_long_names_are_cut_in_the_middle_and_stay_apart() -> None:
    a = middle_cut("customer-onboarding-pipeline-eu-west-1", 16)
    b = middle_cut("customer-onboarding-pipeline-eu-west-2", 16)
    assert a != b and len(a) == len(b) == 16 and "…" in a
    assert middle_cut("short", 16) == "short"


async def test_long_scope_names_stay_apart_in_a_narrow_tree(
    tmp_path: Path, app_for: AppFactory
) -> None:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    names = [f"flow:customer-onboarding-pipeline-eu-west-{i}" for i in (1, 2)]
    for name in names:
        mgr.persist(name, "k", "v", "s")
    mgr.flush_all()
    app = app_for(base)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        labels = [str(app.browser.tree.node_for(app.browser.ref_for(n)).label) for n in names]
        assert labels[0] != labels[1] and all("…" in label for label in labels)


async def test_the_conflict_dialog_fits_60_by_20(demo_base: Path, app_for: AppFactory) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        app.push_screen(
            ConflictDialog("global", "motd", opened="a", on_disk="b", mine="c")
        )
        await pilot.pause()
        screen = app.screen
        body = screen.query_one(".dialog-body").region  # Seen without scrolling.
        for box in screen.query(".version"):
            assert box.region.height > 0 and body.contains_region(box.region)
        for button in screen.query(Button):
            region = button.region
            assert region.height > 0 and screen.region.contains_region(region), button.id
