"""Smallest end-to-end check: persist, flush, and a second manager sees it."""

from pathlib import Path

from axon_scopes.core import ScopedSessionManager


def test_round_trip(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    writer = ScopedSessionManager(base, clock=lambda: 1_763_900_000)
    writer.persist("flow:analyze", "result", "42", "step1")
    writer.flush("flow:analyze")
    reader = ScopedSessionManager(base)
    assert "flow:analyze" in reader.list_scopes()
    entry = reader.retrieve("flow:analyze", "result")
    assert entry is not None and entry.value == "42" and entry.timestamp == 1_763_900_000
