"""The app attached to a real `axon-scopes serve` process over real HTTP (loopback)."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

from textual.widgets import Input, TextArea

from axon_scopes.core import ScopedSessionManager, SourceOptions, open_source
from axon_scopes.tui.app import ScopesApp
from axon_scopes.tui.dialogs import AddDialog, ConflictDialog, PurgeDialog
from axon_scopes.tui.widgets.header import StoreHeader
from tests.http_servers import ServeProcess

from .conftest import SIZE, clock, open_app, settle, until
from .outages import TYPED, a_save_rides_out_an_outage
from .test_app import select


def post(url: str, path: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(
        url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


async def test_both_layers_writes_and_another_clients_change_over_real_http(
    tmp_path: Path,
) -> None:
    base = tmp_path / "axon-server"
    seed = ScopedSessionManager(base)
    seed.persist("global", "motd", "hello", "boot")
    seed.flush("global")
    seed.close()
    server = ServeProcess(str(tmp_path), cwd=tmp_path)
    try:
        assert post(server.url, "/v1/session/remember",
                    {"scope": "global", "key": "plan", "value": "draft"}) == 200  # fmt: skip
        source = open_source(server.url, SourceOptions(clock=clock, extra={"poll_s": 0.1}))
        app = open_app(source, watch=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            rows = {(r.layer, r.key) for r in app.browser.table.rows}
            assert rows == {("memory", "plan"), ("store", "motd")}
            # A store edit: the server flushes its own file.
            assert app.browser.table.move_cursor_to_key(("store", "motd"))
            await pilot.press("e")
            app.screen.query_one("#value", TextArea).text = "edited over http"
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            check = ScopedSessionManager(base)
            assert check.retrieve("global", "motd").value == "edited over http"  # type: ignore[union-attr]
            check.close()
            # Another client's write through the server reaches the screen.
            post(server.url, "/v1/session/persist",
                 {"scope": "global", "key": "motd", "value": "from another client"})  # fmt: skip
            assert await until(
                pilot,
                lambda: any(r.value == "from another client" for r in app.browser.table.rows),
            )
        source.close()
        code, _out, err = server.stop(signal.SIGTERM)
        assert code == 0 and "Traceback" not in err
    finally:
        server.kill()


def get(url: str, path: str) -> dict[str, object]:
    with urllib.request.urlopen(url + path, timeout=10) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


async def test_every_write_kind_a_conflict_and_a_killed_server_over_real_http(
    tmp_path: Path,
) -> None:
    """Store and memory adds and edits, a purge, a 409 from `serve`, then `kill -9` and a
    restart on the same port."""
    base = tmp_path / "axon-server"
    seed = ScopedSessionManager(base)
    seed.persist("global", "motd", "hello", "boot")
    seed.persist("global", "stale", "old", "boot")
    seed.flush("global")
    seed.close()
    server = ServeProcess(str(tmp_path), cwd=tmp_path)
    source = open_source(server.url, SourceOptions(clock=clock, extra={"poll_s": 0.1}))
    try:
        app = open_app(source, watch=True)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(app, pilot)
            header = app.browser.query_one(StoreHeader)
            # A store entry added in the app: the server persists and flushes it.
            await pilot.press("a")
            app.screen.query_one("#key", Input).value = "added"
            app.screen.query_one("#value", TextArea).text = "fresh"
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert on_disk(base)["added"] == "fresh"
            # A memory entry added in the app lands in the server's memory layer.
            await pilot.press("a")
            assert isinstance(app.screen, AddDialog)
            app.screen.query_one("#key", Input).value = "scratch"
            app.screen.query_one("#value", TextArea).text = "in memory"
            await pilot.click("#layer-memory")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            recalled = get(server.url, "/v1/session/recall/scratch?scope=global")
            assert recalled["value"] == "in memory"
            assert ("memory", "scratch") in shown(app)
            # ... and edited there.
            assert app.browser.table.move_cursor_to_key(("memory", "scratch"))
            await pilot.press("e")
            app.screen.query_one("#value", TextArea).text = "thought again"
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            recalled = get(server.url, "/v1/session/recall/scratch?scope=global")
            assert recalled["value"] == "thought again"
            assert "scratch" not in on_disk(base)
            # A purge: the server deletes the key and flushes its file.
            assert app.browser.table.move_cursor_to_key(("store", "stale"))
            await pilot.press("d")
            assert isinstance(app.screen, PurgeDialog)
            await pilot.click("#purge")
            await settle(app, pilot)
            assert on_disk(base) == {"motd": "hello", "added": "fresh"}
            assert ("store", "stale") not in shown(app)
            # Another client writes while the editor is open: the server answers 409.
            assert app.browser.table.move_cursor_to_key(("store", "motd"))
            await pilot.press("e")
            app.screen.query_one("#value", TextArea).text = "mine"
            post(server.url, "/v1/session/persist",
                 {"scope": "global", "key": "motd", "value": "theirs"})  # fmt: skip
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert isinstance(app.screen, ConflictDialog)
            assert app.screen.on_disk == "theirs" and app.screen.mine == "mine"
            await pilot.click("#theirs")
            await settle(app, pilot)
            assert on_disk(base)["motd"] == "theirs"
            # The server dies: the app says so, keeps its rows and the typed text.
            assert await until(pilot, lambda: "last poll" in str(header.render()))
            # The server dies outright and comes back on its port; the memory layer died
            # with the process, as an AxonServer's does.
            running = [server]

            def restart() -> None:
                running.append(ServeProcess(str(tmp_path), cwd=tmp_path, port=server.port))

            await a_save_rides_out_an_outage(
                app,
                pilot,
                stop=lambda: server.stop(signal.SIGKILL),
                start=restart,
                refused="cannot connect",
                row=("store", "motd"),
            )
            server = running[-1]
            assert await until(pilot, lambda: ("memory", "scratch") not in shown(app))
            assert on_disk(base)["motd"] == TYPED
        code, _out, err = server.stop(signal.SIGTERM)
        assert code == 0 and "Traceback" not in err
    finally:
        source.close()
        server.kill()


def shown(app: ScopesApp) -> set[tuple[str, str]]:
    return {r.row_key for r in app.browser.table.rows}


def on_disk(base: Path) -> dict[str, object]:
    """The global scope's store as the served file holds it, read by a fresh manager."""
    check = ScopedSessionManager(base)
    try:
        return {e.key: e.value for e in check.query("global", "")}
    finally:
        check.close()


async def test_an_unreadable_scope_on_the_server_is_marked_not_an_outage(tmp_path: Path) -> None:
    """The server says which scope it cannot read (503 `store_unreadable`, and the listing's
    `unreadable`): that scope is marked and refuses writes, the rest stays live, and the
    scope comes back by itself once its file is fixed."""
    base = tmp_path / "axon-server"
    seed = ScopedSessionManager(base)
    seed.persist("global", "motd", "hello", "boot")
    seed.flush("global")
    seed.close()
    broken = tmp_path / ".axon-server__flow_broken.session.json"
    broken.write_bytes(b'[{"key": "a", "value": 1, "timestamp": 1, "source_step": "s"}]')
    server = ServeProcess(str(tmp_path), cwd=tmp_path)
    try:
        source = open_source(server.url, SourceOptions(clock=clock, extra={"poll_s": 0.1}))
        app = open_app(source, watch=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            ref = app.browser.ref_for("flow:broken")
            assert "unreadable" in str(app.browser.tree.node_for(ref).label)
            await select(app, pilot, "flow:broken")
            banner = str(app.query_one("#scope-banner").render())
            assert "$[0].value" in banner and "scope 'flow:broken' is unreadable" not in banner
            refusal = app.browser.write_refusal(None)
            assert refusal is not None and refusal[0].startswith("This scope is unreadable")
            await pilot.press("a")
            await settle(app, pilot)
            assert not isinstance(app.screen, AddDialog)
            header = app.browser.query_one(StoreHeader)
            await pilot.pause(0.5)  # Several polls, each meeting the unreadable scope.
            assert "disconnected" not in str(header.render())
            assert "live" in str(header.render())
            # Fixed by hand: the server reads it again, and so does the app.
            broken.write_text(
                '[{"key": "a", "value": "fixed", "timestamp": 1, "source_step": "ops"}]',
                encoding="utf-8",
            )
            assert await until(
                pilot, lambda: [r.value for r in app.browser.table.rows] == ["fixed"]
            )
            assert app.browser.write_refusal(None) is None
            assert await until(
                pilot, lambda: "unreadable" not in str(app.browser.tree.node_for(ref).label)
            )
        source.close()
    finally:
        server.kill()
