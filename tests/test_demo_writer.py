"""The demo's writer keeps an operator's edits of keys it does not own, over files and Redis."""

from __future__ import annotations

from pathlib import Path

from axon_scopes.core import ScopedSessionManager
from axon_scopes.demo_writer import DemoWriter


def edit_cron_between_ticks(base: str) -> tuple[str, str]:
    """Run the writer, edit `cron` as an operator would, run it on; what `cron` and `ticks` hold."""
    writer = DemoWriter(base)
    operator = ScopedSessionManager(base)
    try:
        writer.step()
        operator.persist("daemon:scheduler", "cron", "0 * * * *", "operator")
        operator.flush("daemon:scheduler")
        for _ in range(3):
            writer.step()
        reader = ScopedSessionManager(base)
        cron = reader.retrieve("daemon:scheduler", "cron")
        ticks = reader.retrieve("daemon:scheduler", "ticks")
        reader.close()
    finally:
        operator.close()
        writer.mgr.close()
    assert cron is not None and ticks is not None
    return cron.value, ticks.value


def test_an_operators_edit_survives_the_in_place_writer(tmp_path: Path) -> None:
    assert edit_cron_between_ticks(str(tmp_path / "demo")) == ("0 * * * *", "4")


def test_an_operators_edit_survives_the_writer_over_redis(redis_url: str) -> None:
    assert edit_cron_between_ticks(redis_url) == ("0 * * * *", "4")
