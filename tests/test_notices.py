"""Quiet live updates: a status line, marks in the tree and a change log instead of toasts;
no toast over a dialog; a mute that does not pause anything."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList, TextArea

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.dialogs import EditDialog, HelpScreen
from axon_scopes.tui.dialogs.change_log import ChangeLogScreen
from axon_scopes.tui.widgets.scope_tree import CHANGED_MARK

from .conftest import SIZE, AppFactory, logged, notices, settle, status_line


def write_elsewhere(base: Path, scope: str, key: str, value: str) -> None:
    other = ScopedSessionManager(base)
    other.persist(scope, key, value, "other")
    other.flush(scope)


def shown_over(app: object) -> list[str]:
    """The toasts drawn on the screen on top now (none while their rack is hidden)."""
    screen = app.screen  # type: ignore[attr-defined]
    rack = screen.query_one("#textual-toastrack")
    if not rack.display or rack.region.area == 0:
        return []
    return [str(toast.render()) for toast in screen.query("Toast") if toast.region.area]


def tree_label(app: object, scope: str) -> str:
    browser = app.browser  # type: ignore[attr-defined]
    node = browser.tree.node_for(browser.ref_for(scope))
    return str(node.label)


async def test_changes_elsewhere_are_summed_up_quietly_and_logged(
    demo_base: Path, app_for: AppFactory
) -> None:
    """No toast: the status line says what changed, the tree marks it, `l` lists it."""
    app = app_for(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert "no changes" in status_line(app) or "not following" in status_line(app)
        write_elsewhere(demo_base, "daemon:worker", "queue.depth", "99")
        write_elsewhere(demo_base, "global", "motd", "changed elsewhere")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert notices(app) == []
        line = status_line(app)
        assert "daemon:worker ~1" in line and "global ~1" in line
        assert "2 changes in 2 scopes" in line
        # The scope on screen flashes; the other is marked until it is looked at.
        assert tree_label(app, "daemon:worker").endswith(CHANGED_MARK)
        assert not tree_label(app, "global").endswith(CHANGED_MARK)
        await pilot.press("l")
        assert isinstance(app.screen, ChangeLogScreen)
        assert any("daemon:worker  ~1" in text for text in logged(app))
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2
        # Newest first; the two came in one batch, in the source's order. Open daemon:worker.
        at = next(
            i
            for i, r in enumerate(app.browser.change_log.newest_first())
            if r.ref.scope == "daemon:worker"
        )
        options.highlighted = at
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is app.browser
        assert app.browser.current is not None and app.browser.current.scope == "daemon:worker"
        assert not tree_label(app, "daemon:worker").endswith(CHANGED_MARK)


async def test_no_toast_covers_a_dialog(demo_base: Path, app_for: AppFactory) -> None:
    """Notices raised while a dialog is up wait until it closes."""
    app = app_for(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "motd"))
        await pilot.press("e")
        assert isinstance(app.screen, EditDialog)
        app.notify("raised while the editor is open")
        await pilot.pause()
        assert notices(app) == [] and not shown_over(app)
        app.screen.query_one("#value", TextArea).text = "saved text"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is app.browser
        shown = notices(app)
        assert any("raised while the editor is open" in m for m in shown)
        assert any("saved" in m for m in shown)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        app.notify("raised over help")
        await pilot.pause()
        assert not shown_over(app)
        await pilot.press("escape")
        await pilot.pause()
        assert any("raised over help" in m for m in notices(app))


async def test_sorting_says_nothing_in_a_toast(demo_base: Path, app_for: AppFactory) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("s", "s", "s")
        await settle(app, pilot)
        assert notices(app) == []


async def test_mute_silences_confirmations_and_flashes_but_not_updates(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        assert app.browser.muted
        assert "muted" in status_line(app)
        await pilot.press("c")  # Copy: a confirmation, muted.
        await pilot.pause()
        assert notices(app) == []
        write_elsewhere(demo_base, "global", "motd", "changed while muted")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        values = {row.key: row.value for row in app.browser.table.visible_rows}
        assert values["motd"] == "changed while muted"  # Updates still come…
        assert not app.browser.table.flashing  # …without a flash…
        assert "global ~1" in status_line(app)  # …and are still summed up.
        assert not app.browser.paused
        await pilot.press("m")
        assert not app.browser.muted and "muted" not in status_line(app)
