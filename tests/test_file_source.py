"""The file source opens each store once, however many threads ask at the same time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from axon_scopes.core import ScopedSessionManager
from axon_scopes.core.files.source import FileSource


def slow_opening(opened: list[str]):
    """A real manager that takes a while to open, as a big global scope does."""

    def factory(base: str) -> ScopedSessionManager:
        opened.append(base)
        time.sleep(0.2)
        return ScopedSessionManager(base)

    return factory


@pytest.mark.parametrize("directory_mode", [False, True])
def test_concurrent_discovery_opens_each_base_once(tmp_path: Path, directory_mode: bool) -> None:
    for base in ("axon-server", "other"):
        mgr = ScopedSessionManager(tmp_path / base)
        mgr.persist("global", "k", base, "s")
        mgr.flush("global")
    opened: list[str] = []
    target = tmp_path if directory_mode else tmp_path / "axon-server"
    source = FileSource(target, manager_factory=slow_opening(opened))
    results: list[list[str]] = []
    barrier = threading.Barrier(4)

    def scan() -> None:
        barrier.wait()
        results.append(source.discover())

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = 2 if directory_mode else 1
    assert len(opened) == len(set(opened)) == expected
    assert sorted(base for found in results for base in found) == sorted(opened)
    assert sorted(source.services()) == sorted(opened)
    for base, service in source.services().items():
        assert isinstance(service, ScopedSessionManager) and service.base_path == base
        assert service.get("global", "k") is not None
