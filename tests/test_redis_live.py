"""`RedisSource`: bases found in the registry, changes from the feed naming their keys,
polling where the feed is not used, and reconnecting after the server went away."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

import pytest

from axon_scopes.core import (
    ReadOnlyServiceError,
    ScopedSessionManager,
    SourceChange,
    SourceOptions,
    SourceState,
    open_source,
)
from axon_scopes.core.redis.source import RedisSource
from tests.redis_servers import RedisServer


class Recorder:
    """Collects what a watch reports, and waits for what a test expects."""

    def __init__(self) -> None:
        self.changes: queue.Queue[SourceChange] = queue.Queue()
        self.states: list[SourceState] = []

    def wait_for(
        self, match: Callable[[SourceChange], bool], timeout: float = 10.0
    ) -> SourceChange:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                change = self.changes.get(timeout=0.05)
            except queue.Empty:
                continue
            seen.append(change)
            if match(change):
                return change
        raise AssertionError(f"no matching change within {timeout} s; saw {seen}")

    def wait_state(self, match: Callable[[SourceState], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(match(state) for state in self.states):
                return
            time.sleep(0.05)
        raise AssertionError(f"no matching state within {timeout} s; saw {self.states}")


def watched(source: RedisSource, **kwargs: object) -> tuple[Recorder, Callable[[], None]]:
    recorder = Recorder()
    stop = source.watch(
        recorder.changes.put,
        on_state=recorder.states.append,
        **kwargs,  # type: ignore[arg-type]
    )
    recorder.wait_state(lambda s: s.connected)
    return recorder, stop


def test_open_source_routes_redis_urls_and_finds_every_base(redis_url: str) -> None:
    for base in ("axon-server", "other"):
        writer = ScopedSessionManager(f"{redis_url}?base={base}")
        writer.persist("flow:a", "k", base, "s")
        writer.flush("flow:a")
        writer.close()
    source = open_source(redis_url)
    try:
        assert isinstance(source, RedisSource) and source.kind == "redis"
        assert source.discover() == ["axon-server", "other"]
        assert list(source.services()) == ["axon-server", "other"]
        assert source.service("other").get("flow:a", "k").value == "other"  # type: ignore[union-attr]
        assert source.has_data()
    finally:
        source.close()
    only = open_source(f"{redis_url}?base=other")
    try:
        assert only.discover() == ["other"] and "base=other" in only.location
    finally:
        only.close()


def test_an_empty_database_says_where_it_looked(redis_url: str) -> None:
    source = open_source(redis_url)
    try:
        source.discover()
        assert not source.has_data()
        assert "axon-scopes:bases" in source.describe_empty()
    finally:
        source.close()


def test_the_feed_names_the_keys_and_only_they_are_read(redis_url: str) -> None:
    writer = ScopedSessionManager(redis_url)
    for i in range(50):
        writer.persist("global", f"k{i}", "v", "s")
    writer.flush("global")
    source = open_source(redis_url)
    source.discover()
    recorder, stop = watched(source)
    try:
        assert recorder.states[-1].live == "stream"
        writer.persist("global", "k3", "changed", "s")
        writer.purge("global", "k4")
        writer.flush("global")
        change = recorder.wait_for(lambda c: c.change.scope == "global")
        assert change.base == "axon-server"
        assert change.change.keys == frozenset({"k3", "k4"})
        assert (change.change.changed, change.change.removed) == (1, 1)
        service = source.service("axon-server")
        assert service.get("global", "k3").value == "changed"  # type: ignore[union-attr]
        # A new scope, and a new base, are reported as new.
        writer.persist("daemon:w", "x", "1", "s")
        writer.flush("daemon:w")
        change = recorder.wait_for(lambda c: c.change.scope == "daemon:w")
        assert change.change.new
        other = ScopedSessionManager(f"{redis_url}?base=second")
        other.persist("global", "y", "2", "s")
        other.flush("global")
        change = recorder.wait_for(lambda c: c.base == "second")
        assert change.change.new and "second" in source.services()
        other.close()
        # A memory layer published elsewhere shows up live.
        publisher = ScopedSessionManager(redis_url, publish_memory=True)
        publisher.remember("global", "m", "1", "s")
        publisher.flush("global")
        change = recorder.wait_for(lambda c: c.change.scope == "global" and c.change.published)
        assert source.service("axon-server").published_memory("global") is not None
        publisher.close()
    finally:
        stop()
        source.close()
        writer.close()


def test_polling_finds_changes_where_the_feed_is_not_used(redis_url: str) -> None:
    writer = ScopedSessionManager(redis_url)
    writer.persist("global", "a", "1", "s")
    writer.flush("global")
    source = open_source(redis_url, SourceOptions(extra={"live": "poll", "poll_s": 0.2}))
    source.discover()
    recorder, stop = watched(source)
    try:
        assert recorder.states[-1].live == "polling every 0.2 s"
        writer.persist("global", "a", "2", "s")
        writer.flush("global")
        change = recorder.wait_for(lambda c: c.change.scope == "global")
        assert change.change.changed == 1
    finally:
        stop()
        source.close()
        writer.close()
    assert open_source(redis_url + "?live=poll&poll=0.5").live == "polling every 0.5 s"  # type: ignore[attr-defined]


def test_the_watch_reconnects_with_backoff_and_reads_everything_again(
    own_redis: RedisServer,
) -> None:
    writer = ScopedSessionManager(own_redis.url)
    writer.persist("global", "a", "1", "s")
    writer.flush("global")
    source = open_source(own_redis.url)
    source.discover()
    recorder, stop = watched(source, reconcile_s=60.0)
    try:
        own_redis.stop()
        recorder.wait_state(lambda s: not s.connected)
        down = next(s for s in recorder.states if not s.connected)
        assert down.detail.startswith("disconnected, retrying: cannot reach the server")
        # Reads keep the last good data while it is away.
        assert source.service("axon-server").get("global", "a").value == "1"  # type: ignore[union-attr]
        own_redis.start()
        # Written while the watcher may not be reading yet: the full re-read finds it.
        other = ScopedSessionManager(own_redis.url)
        other.persist("global", "a", "2", "s")
        other.flush("global")
        other.close()
        recorder.wait_state(lambda s: len(recorder.states) >= 3 and recorder.states[-1].connected)
        recorder.wait_for(lambda c: c.change.scope == "global" and c.change.changed == 1)
        service = source.service("axon-server")
        assert service.get("global", "a").value == "2"  # type: ignore[union-attr]
    finally:
        stop()
        source.close()
        writer.close()


def test_a_source_that_cannot_connect_raises_a_clear_error(own_redis: RedisServer) -> None:
    url = own_redis.url
    own_redis.stop()
    with pytest.raises(ConnectionError, match="cannot reach the server"):
        open_source(url)


def test_a_user_refused_the_feed_polls_and_says_so(
    redis_url: str, redis_server: RedisServer
) -> None:
    redis_server.client().acl_setuser(
        "viewer",
        enabled=True,
        passwords=["+viewer-pass"],
        keys=["*"],
        commands=["+@all", "-xread", "-xrevrange"],
    )
    try:
        writer = ScopedSessionManager(redis_url)
        writer.persist("global", "a", "1", "s")
        writer.flush("global")
        url = redis_url.replace("redis://", "redis://viewer:viewer-pass@") + "?poll=0.2"
        source = open_source(url)
        source.discover()
        recorder, stop = watched(source)
        try:
            recorder.wait_state(lambda s: s.live == "polling every 0.2 s")
            assert "change feed unavailable" in recorder.states[-1].detail
            assert "viewer-pass" not in repr(recorder.states)
            writer.persist("global", "a", "2", "s")
            writer.flush("global")
            change = recorder.wait_for(lambda c: c.change.scope == "global")
            assert change.change.changed == 1
        finally:
            stop()
            source.close()
            writer.close()
    finally:
        redis_server.client().acl_deluser("viewer")


def test_a_read_only_source_refuses_every_write(redis_url: str) -> None:
    writer = ScopedSessionManager(redis_url)
    writer.persist("global", "k", "v", "s")
    writer.flush("global")
    source = open_source(redis_url, SourceOptions(read_only=True))
    try:
        source.discover()
        service = source.service("axon-server")
        assert service.capabilities.read_only
        with pytest.raises(ReadOnlyServiceError):
            service.put("global", "k", "changed", "s")
        assert ScopedSessionManager(redis_url).retrieve("global", "k").value == "v"  # type: ignore[union-attr]
    finally:
        source.close()
        writer.close()
