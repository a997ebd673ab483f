"""One outage as an operator lives it, for any source whose server can be stopped and started:
files have no server; Redis, an AxonServer and `axon-scopes serve` do."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import TextArea

from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.table.rows import RowKey
from axon_scopes.tui.widgets.header import StoreHeader

from .conftest import settle, static_text, until

TYPED = "typed while it was down"


async def a_save_rides_out_an_outage(
    app: ScopesApp,
    pilot: object,
    *,
    stop: Callable[[], None],
    start: Callable[[], None],
    refused: str,
    row: RowKey | None = None,
    while_down: Callable[[], None] | None = None,
    back_within: float = 15.0,
) -> None:
    """The server stops: the header says so and every row stays; an edit of `row` (the
    cursor's, if None) is refused with `refused` on screen and the editor keeps the text.
    The server comes back: the header says live, and the same save goes through.

    `while_down` runs once the app has noticed, for what a source says of its own.
    """
    header = app.browser.query_one(StoreHeader)
    rows = {r.row_key for r in app.browser.table.rows}
    stop()
    assert await until(pilot, lambda: "disconnected" in str(header.render()), timeout=10)
    assert {r.row_key for r in app.browser.table.rows} == rows  # The last good data.
    if while_down is not None:
        while_down()
    if row is not None:
        assert app.browser.table.move_cursor_to_key(row)
    await pilot.press("e")  # type: ignore[attr-defined]
    app.screen.query_one("#value", TextArea).text = TYPED
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]
    await settle(app, pilot)
    assert app.screen.query_one("#value", TextArea).text == TYPED
    assert refused in static_text(app.screen)
    start()
    assert await until(pilot, lambda: "● live" in str(header.render()), timeout=back_within)
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]
    await settle(app, pilot)
    assert not app.screen.query("#value")  # Saved: the editor closed.
