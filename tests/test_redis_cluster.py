"""A real three-master Redis Cluster on loopback: the same API, commits still one atomic step."""

from __future__ import annotations

import queue
import time

import pytest
from redis.crc import key_slot

from axon_scopes.core import ScopedSessionManager, SourceChange, WriteConflictError, open_source
from axon_scopes.core.redis import RedisStorage
from axon_scopes.core.redis.layout import ScopeKeys
from tests.redis_servers import RedisCluster, unique_base

SCOPES = ["global", "flow:analyze", "daemon:worker", "tenant-acme", "flow:{x}", "a|b"]


def slot_owner(cluster: RedisCluster, key: str) -> int:
    """The port of the master that serves `key`'s slot."""
    slot = key_slot(key.encode())
    for start, end, master, *_replicas in cluster.nodes[0].client().execute_command(
        "CLUSTER SLOTS"
    ):
        if start <= slot <= end:
            return int(master[1])
    raise AssertionError(f"slot {slot} has no owner")


def test_the_manager_works_on_a_cluster(redis_cluster: RedisCluster) -> None:
    base = unique_base()
    url = f"{redis_cluster.url}?base={base}"
    storage = RedisStorage.from_url(url)
    assert storage.connection.cluster  # Found by asking the server.
    first = ScopedSessionManager(storage)
    for scope in SCOPES:
        first.persist(scope, "k", scope, "s")
        first.flush(scope)
    owners = {slot_owner(redis_cluster, ScopeKeys(base, s).store) for s in SCOPES}
    assert len(owners) > 1  # The scopes are spread over the masters.
    second = ScopedSessionManager(f"{url}&cluster=1")
    assert second.list_scopes() == sorted(SCOPES)
    assert second.retrieve("flow:{x}", "k").value == "flow:{x}"  # type: ignore[union-attr]
    seen = second.retrieve("global", "k")
    theirs = first.compare_and_set("global", "k", seen, "first", "s")
    with pytest.raises(WriteConflictError) as caught:
        second.compare_and_set("global", "k", seen, "second", "s")
    assert caught.value.actual == theirs
    second.persist("global", "other", "2", "s")
    second.flush("global")
    assert first.refresh("global", keys=["other"])[0].added == 1
    first.close()
    second.close()


def test_the_change_feed_works_on_a_cluster(redis_cluster: RedisCluster) -> None:
    base = unique_base()
    url = f"{redis_cluster.url}?base={base}"
    writer = ScopedSessionManager(url)
    writer.persist("global", "a", "1", "s")
    writer.flush("global")
    source = open_source(url)
    source.discover()
    changes: queue.Queue[SourceChange] = queue.Queue()
    states: list[object] = []
    stop = source.watch(changes.put, on_state=states.append)
    try:
        deadline = time.monotonic() + 10
        while not states and time.monotonic() < deadline:
            time.sleep(0.05)
        writer.persist("flow:new", "b", "2", "s")
        writer.flush("flow:new")
        writer.persist("global", "a", "3", "s")
        writer.flush("global")
        found: dict[str, SourceChange] = {}
        while len(found) < 2 and time.monotonic() < deadline:
            try:
                change = changes.get(timeout=0.1)
            except queue.Empty:
                continue
            found[change.change.scope] = change
        assert found["flow:new"].change.new
        assert found["global"].change.keys == frozenset({"a"})
        service = source.service(base)
        assert service.get("global", "a").value == "3"  # type: ignore[union-attr]
    finally:
        stop()
        source.close()
        writer.close()
