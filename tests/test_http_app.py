"""The app attached to an AxonServer (a replay server): both layers, edits, conflicts, what the
server cannot do, a token asked for, a stopped server; hostile values through the display path."""

from __future__ import annotations

import re

from textual.widgets import Input, Static, TextArea

from axon_scopes.core import SourceOptions, open_source
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.dialogs import BulkPurgeDialog, ConflictDialog, PurgeDialog
from axon_scopes.tui.dialogs.token import TokenDialog
from axon_scopes.tui.widgets.header import StoreHeader
from tests.axon_replay import AxonReplay

from .conftest import SIZE, clock, notices, open_app, settle, static_text, until
from .outages import TYPED, a_save_rides_out_an_outage
from .pty_app import AppInPty
from .test_trust_terminal import FORBIDDEN, HOSTILE_SCOPES

TOKEN = "app-token-never-shown"


def seeded(axon: AxonReplay) -> None:
    axon.put("global", "memory", "plan", "draft", "think")
    axon.put("global", "store", "motd", "hello", "boot")
    axon.put("flow:analyze", "store", "result", "42", "step2")


def app_on(axon: AxonReplay, *, watch: bool = False, **extra: object) -> ScopesApp:
    extra.setdefault("poll_s", 0.1)
    source = open_source(axon.url, SourceOptions(clock=clock, extra=extra))
    app = open_app(source, watch=watch)
    app.NOTIFICATION_TIMEOUT = 60.0
    return app


async def test_both_layers_show_and_an_edit_round_trips(axon: AxonReplay) -> None:
    seeded(axon)
    async with (app := app_on(axon)).run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = {(r.layer, r.key) for r in app.browser.table.rows}
        assert rows == {("memory", "plan"), ("store", "motd")}
        assert axon.url in str(app.browser.query_one(StoreHeader).render())
        assert app.browser.table.move_cursor_to_key(("store", "motd"))
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "edited in the app"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert axon.scopes["global"].store["motd"]["value"] == "edited in the app"
        assert app.browser.table.move_cursor_to_key(("memory", "plan"))
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "a memory edit"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert axon.scopes["global"].memory["plan"]["value"] == "a memory edit"


async def test_an_entry_changed_on_the_server_opens_the_conflict_dialog(axon: AxonReplay) -> None:
    seeded(axon)
    async with (app := app_on(axon)).run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "motd"))
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "mine"
        axon.put("global", "store", "motd", "theirs", "agent")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert axon.scopes["global"].store["motd"]["value"] == "theirs"


async def test_a_memory_row_cannot_be_deleted_and_says_why_before_any_dialog(
    axon: AxonReplay,
) -> None:
    seeded(axon)
    async with (app := app_on(axon)).run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("memory", "plan"))
        await settle(app, pilot)
        assert app.browser.check_action("purge", ()) is None  # Dimmed in the footer.
        await pilot.press("d")
        await settle(app, pilot)
        assert not isinstance(app.screen, PurgeDialog)
        assert any("no endpoint to delete a memory entry" in n for n in notices(app))
        assert "plan" in axon.scopes["global"].memory
        app.clear_notifications()
        await pilot.press("slash", "d")  # A d typed into the filter is only text.
        await settle(app, pilot)
        assert not any("no endpoint" in n for n in notices(app))
        await pilot.press("escape")
        assert app.browser.table.move_cursor_to_key(("store", "motd"))
        await settle(app, pilot)
        assert app.browser.check_action("purge", ()) is True
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, PurgeDialog)


async def test_a_bulk_purge_over_a_server_leaves_memory_rows_out(axon: AxonReplay) -> None:
    axon.put("global", "memory", "job.plan", "m", "think")
    axon.put("global", "store", "job.result", "s", "step")
    async with (app := app_on(axon)).run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("D")
        await settle(app, pilot)
        assert isinstance(app.screen, BulkPurgeDialog)
        await pilot.press(*"job", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, BulkPurgeDialog)
        assert [(r.layer, r.key) for r in app.screen.previewed] == [("store", "job.result")]


async def test_a_server_wanting_a_token_asks_for_it_and_the_tree_appears(
    axon: AxonReplay,
) -> None:
    seeded(axon)
    axon.keys = {TOKEN: "write"}
    async with (app := app_on(axon)).run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert await until(pilot, lambda: isinstance(app.screen, TokenDialog))
        field = app.screen.query_one("#token", Input)
        assert field.password
        await pilot.press(*TOKEN)
        await pilot.press("enter")
        await settle(app, pilot)
        assert await until(pilot, lambda: len(app.browser.table.rows) == 2)
        assert TOKEN not in static_text(app.screen) + " ".join(notices(app))
    assert {None, f"Bearer {TOKEN}"} <= {a for *_x, a in axon.requests}


async def test_a_cancelled_token_is_not_asked_again_until_asked_for(axon: AxonReplay) -> None:
    """Cancelled, the dialog stays away while the watcher keeps meeting 401s; the empty view
    says the scopes could not be listed (not that there are none) and how to go on."""
    seeded(axon)
    axon.keys = {TOKEN: "write"}
    async with (app := app_on(axon, watch=True)).run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert await until(pilot, lambda: isinstance(app.screen, TokenDialog))
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.pause(0.6)  # Several polls, each answered 401.
        assert not isinstance(app.screen, TokenDialog)
        empty = str(app.browser.query_one("#empty", Static).render())
        assert "could not be listed" in empty and "No scopes found" not in empty
        assert "needs a token" in empty and "ctrl+r to enter a token" in empty
        await pilot.press("ctrl+r")
        assert await until(pilot, lambda: isinstance(app.screen, TokenDialog))
        await pilot.press(*TOKEN)
        await pilot.press("enter")
        assert await until(pilot, lambda: len(app.browser.table.rows) == 2)


async def test_a_refused_write_turns_the_app_read_only_and_says_why(axon: AxonReplay) -> None:
    seeded(axon)
    axon.keys = {"reader": "read"}
    async with (app := app_on(axon, token="reader")).run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.browser.table.move_cursor_to_key(("store", "motd"))
        await pilot.press("e")
        app.screen.query_one("#value", TextArea).text = "mine"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "refused a write with this token (403)" in static_text(app.screen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert "READ-ONLY" in str(app.browser.query_one(StoreHeader).render())
        refusal = app.browser.write_refusal()
        assert refusal is not None and "403" in refusal[0]


async def test_a_stopped_server_is_said_keeps_the_data_and_the_editor_text(
    axon: AxonReplay,
) -> None:
    seeded(axon)
    async with (app := app_on(axon, watch=True)).run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        header = app.browser.query_one(StoreHeader)
        assert await until(pilot, lambda: "last poll" in str(header.render()))

        def still_says_when_it_last_answered() -> None:
            assert "disconnected, retrying" in str(header.render())
            assert "last poll" in str(header.render())

        await a_save_rides_out_an_outage(
            app,
            pilot,
            stop=axon.stop,
            start=axon.start,
            refused="cannot connect",
            row=("store", "motd"),
            while_down=still_says_when_it_last_answered,
        )
        assert axon.scopes["global"].store["motd"]["value"] == TYPED


def test_hostile_values_from_the_server_reach_the_terminal_only_as_text(
    axon: AxonReplay,
) -> None:
    """Scope names, keys and values with OSC, markup and invisible characters, in a real pty."""
    for name in HOSTILE_SCOPES:
        axon.put(name, "store", name, name, name)
    axon.put("global", "store", "big", "x" * 200_000 + "\x1b]2;PWNED\x07")
    axon.put("global", "memory", "\x1b]52;c;UFdORUQ=\x1b\\", "[@click=app.quit]Q")
    app = AppInPty(axon.url)
    try:
        shown = app.read_until(lambda out: b"a=b=c" in out and b"big" in out, 10.0)
        app.read(0.3)
        assert shown, app.text[-3000:]
        app.quit()
    finally:
        app.close()
    text = re.sub(r"\x1b\[[0-9;?<>=$]*[a-zA-Z~]", "", app.text)
    assert app.exited_cleanly(), text[-3000:]
    assert "Traceback" not in text and "MarkupError" not in text
    assert "[a=b=c]" in text and "␛]2;PWNED␛" in text
    for forbidden in FORBIDDEN[:2] + FORBIDDEN[3:]:
        assert forbidden not in app.output, forbidden
