"""Big scopes: 100k entries load in seconds, and a change feed naming keys moves only those."""

from __future__ import annotations

import time

import pytest

from axon_scopes.core import ScopedSessionManager
from axon_scopes.core.redis import RedisBackend


def fill(url: str, count: int, *, batch: int = 50_000) -> ScopedSessionManager:
    writer = ScopedSessionManager(url)
    for start in range(0, count, batch):
        for i in range(start, min(count, start + batch)):
            writer.persist("global", f"key-{i:07d}", f"value {i} " + "v" * 80, "step")
        writer.flush("global")
    return writer


def counted_loads(backend: RedisBackend) -> list[int]:
    """Count whole-scope loads of one backend (its own method, wrapped)."""
    calls: list[int] = []
    original = backend.load

    def load():  # type: ignore[no-untyped-def]
        calls.append(1)
        return original()

    backend.load = load  # type: ignore[method-assign]
    return calls


def check_big_scope(url: str, count: int, limit_s: float) -> None:
    writer = fill(url, count)
    started = time.perf_counter()
    reader = ScopedSessionManager(url)
    took = time.perf_counter() - started
    assert reader.store_count("global") == count
    assert took < limit_s, f"loading {count:,} entries took {took:.1f} s"
    backend = reader.store("global").backend
    assert isinstance(backend, RedisBackend)
    loads = counted_loads(backend)
    writer.persist("global", "key-0000007", "changed", "s")
    writer.purge("global", "key-0000008")
    writer.persist("global", "brand-new", "x", "s")
    writer.flush("global")
    started = time.perf_counter()
    [change] = reader.refresh("global", keys=["key-0000007", "key-0000008", "brand-new"])
    assert time.perf_counter() - started < 0.5
    assert (change.added, change.changed, change.removed) == (1, 1, 1) and loads == []
    assert reader.retrieve("global", "key-0000007").value == "changed"  # type: ignore[union-attr]
    # Keys the feed did not name but the scope's log did are caught up too.
    writer.persist("global", "key-0000009", "also", "s")
    writer.flush("global")
    other = ScopedSessionManager(url, discover=False)
    other.persist("global", "key-0000010", "too", "s")
    other.flush("global")
    [change] = reader.refresh("global", keys=["key-0000010"])
    assert change.changed == 2 and loads == []
    assert reader.retrieve("global", "key-0000009").value == "also"  # type: ignore[union-attr]
    # A commit over a big scope moves only what others changed meanwhile.
    reader.persist("global", "mine", "1", "s")
    reader.flush("global")
    assert loads == [] and reader.store_count("global") == count + 1
    # Its version is exact: a refresh right after its own commit reads nothing.
    assert reader.refresh("global") == [] and loads == []


def test_a_hundred_thousand_entries(redis_url: str) -> None:
    check_big_scope(redis_url, 100_000, limit_s=10.0)


@pytest.mark.stress
def test_a_million_entries(redis_url: str) -> None:
    check_big_scope(redis_url, 1_000_000, limit_s=60.0)
