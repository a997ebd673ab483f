"""Shared set-up for app tests: demo data in tmp_path, a fixed clock, a pinned size."""

from __future__ import annotations

from pathlib import Path

from axon_scopes.core import ScopedSessionManager
from axon_scopes.tui.app import ScopesApp, make_app
from axon_scopes.tui.demo import DEMO_EPOCH, populate

#: "Now" for every app test: one hour after the demo data's newest timestamp.
NOW = DEMO_EPOCH + 3_600
SIZE = (120, 36)


def clock() -> float:
    return NOW


def demo_store(tmp_path: Path) -> Path:
    """Write the demo store into tmp_path; returns its base path."""
    base = tmp_path / "axon-server"
    populate(base)
    return base


def open_app(target: Path | str | ScopedSessionManager, **options: object) -> ScopesApp:
    options.setdefault("watch", False)
    options.setdefault("cursor_blink", False)
    options.setdefault("age_refresh", None)
    return make_app(target, clock=clock, **options)  # type: ignore[arg-type]


async def settle(app: ScopesApp, pilot: object) -> None:
    """Wait until workers are done and their messages are handled."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]
