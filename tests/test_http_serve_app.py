"""The app attached to a real `axon-scopes serve` process over real HTTP (loopback)."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

from textual.widgets import TextArea

from axon_scopes.core import ScopedSessionManager, SourceOptions, open_source
from tests.http_servers import ServeProcess

from .conftest import SIZE, clock, open_app, settle
from .test_http_app import until


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
