"""Shared start-up for the app tests: demo data in tmp_path, a fixed clock, a pinned size,
and the app built through `make_app`, as the command line builds it.

Fixtures for tests; the same pieces as plain names for modules that run outside pytest
(`tests/scenes.py`, which `make screenshots` plays too).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.app import ScopesApp, make_app
from axon_scopes.tui.demo import DEMO_EPOCH, populate
from axon_scopes.tui.dialogs.saving import ASKING

pytest_plugins = ["tests.redis_servers", "tests.axon_replay"]

#: "Now" for every app test: one hour after the demo data's newest timestamp.
NOW = DEMO_EPOCH + 3_600
#: The terminal size every app test and snapshot runs at.
SIZE = (120, 36)

AppFactory = Callable[..., ScopesApp]


def clock() -> float:
    return NOW


def demo_store(tmp_path: Path) -> Path:
    """Write the demo store into tmp_path; returns its base path."""
    base = tmp_path / "axon-server"
    populate(base)
    return base


def open_app(target: Path | str | ScopedSessionManager, **options: object) -> ScopesApp:
    """`make_app` with the test defaults: no watcher, no blinking, no age ticks, fixed clock."""
    options.setdefault("watch", False)
    options.setdefault("cursor_blink", False)
    options.setdefault("age_refresh", None)
    options.setdefault("clock", clock)
    return make_app(target, **options)  # type: ignore[arg-type]


async def settle(app: ScopesApp, pilot: object) -> None:
    """Wait until workers are done and their messages are handled.

    Workers that wait for the operator's answer to a dialog (group `ASKING`) are not
    waited for: the test is the operator.
    """
    for _ in range(3):
        busy = [worker for worker in app.workers if worker.group != ASKING]
        if busy:
            await app.workers.wait_for_complete(busy)
        await pilot.pause()  # type: ignore[attr-defined]


async def until(
    pilot: object,
    condition: Callable[[], bool],
    timeout: float = 5.0,
    *,
    sample: Callable[[], None] | None = None,
) -> bool:
    """Let the app run until `condition` holds (checked every 20 ms), at most `timeout` s;
    `sample` runs before each check (to record what the screen went through)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sample is not None:
            sample()
        if condition():
            return True
        await pilot.pause(0.02)  # type: ignore[attr-defined]
    return condition()


def notices(app: ScopesApp) -> list[str]:
    """The notifications on screen now, as the user reads them: title, then message.

    Textual shows them only in apps run with `run_test(..., notifications=True)`.
    """
    return [str(toast.render()) for toast in app.screen.query("Toast")]


def status_line(app: ScopesApp) -> str:
    """The status line under the view, as the operator reads it."""
    return str(app.browser.query_one("#changes").render())


def logged(app: ScopesApp) -> list[str]:
    """The change log's lines, newest first, as `l` shows them."""
    from axon_scopes.tui.dialogs.change_log import record_line

    return [record_line(record).plain for record in app.browser.change_log.newest_first()]


def watched(directory: Path) -> bool:
    """Whether this process has an inotify watch on `directory` (read from /proc)."""
    inode = f" ino:{directory.stat().st_ino:x} "
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            info = Path(f"/proc/self/fdinfo/{fd}").read_text(encoding="ascii")
        except OSError:  # Closed meanwhile.
            continue
        if any(line.startswith("inotify") and inode in line for line in info.splitlines()):
            return True
    return False


@pytest.fixture
def demo_base(tmp_path: Path) -> Path:
    """The demo store, written fresh into this test's tmp_path."""
    return demo_store(tmp_path)


@pytest.fixture
def app_for() -> AppFactory:
    """Builds the app for a target through `make_app`, with the test defaults."""
    return open_app


def static_text(screen: Screen[Any]) -> str:
    """All text shown by Static widgets of the screen (plain, as the operator reads it)."""
    parts = []
    for static in screen.query(Static):
        visual = static.visual
        parts.append(visual.plain if isinstance(visual, Content) else str(visual))
    return "\n".join(parts)
