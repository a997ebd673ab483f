"""Memory writes in a file-backed browser live only in this process: said where the layer is
chosen, and before quitting loses them."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import RadioButton, TextArea

from axon_scopes.tui.dialogs import AddDialog, ConfirmDialog

from .conftest import SIZE, AppFactory, settle, static_text


async def test_choosing_memory_says_it_is_not_shared_and_quitting_asks(
    demo_base: Path, app_for: AppFactory
) -> None:
    app = app_for(demo_base)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, AddDialog)
        assert "only in this app's process" not in static_text(dialog)
        dialog.query_one("#layer-memory", RadioButton).value = True
        await pilot.pause()
        assert "only in this app's process" in static_text(dialog)
        await pilot.press(*"scratch.note")
        dialog.query_one("#value", TextArea).text = "gone on quit"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is app.browser
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmDialog) and app.is_running
        assert "1 memory entry written here lives only" in static_text(app.screen)
        await pilot.press("escape")  # Stay.
        assert app.screen is app.browser and app.is_running
        await pilot.press("u")  # Undone: nothing would be lost now.
        await settle(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
