"""Changes other processes make reach the served API as events, over files and over Redis."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from axon_scopes.core import MemoryEntry, ScopedSessionManager
from axon_scopes.server.session import Conflict
from tests.http_servers import console_script, served
from tests.redis_servers import RedisServer


def other_process_sets(target: str, scope: str, key: str, value: str) -> None:
    """`axon-scopes set`: another process writing the same store."""
    done = subprocess.run(
        [console_script(), "set", target, scope, key, value, "--step", "elsewhere"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


async def test_another_process_writing_the_files_is_an_event(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    async with served(base) as server:
        await server.post("/v1/session/persist", {"scope": "flow:x", "key": "mine", "value": "1"})
        other_process_sets(str(base), "flow:x", "theirs", "2")
        event = await server.wait_for_event("session.persist", {"key": "theirs", "scope": "flow:x"})
        assert event["source"] == "store"
        _, found = await server.post("/v1/session/query", {"scope": "flow:x", "query": "THEIRS"})
        assert [(e["key"], e["value"], e["source_step"]) for e in found["entries"]] == [
            ("theirs", "2", "elsewhere")
        ]
        other_process_sets(str(base), "flow:new", "k", "v")  # A scope that did not exist.
        await server.wait_for_event("session.persist", {"key": "k", "scope": "flow:new"})
        _, summary = await server.get("/v1/session")
        assert "flow:new" in [s["scope"] for s in summary["scopes"]]
        _, history = await server.get("/v1/events/history", params={"limit": "200"})
        mine = [e for e in history["events"] if e["payload"]["key"] == "mine"]
        assert [(e["topic"], e["source"]) for e in mine] == [("session.persist", "server")]


async def test_a_write_that_takes_in_another_processs_change_reports_it(tmp_path: Path) -> None:
    """Without the watcher: the checked write re-reads the store, and what it found is news."""
    base = tmp_path / "axon-server"
    async with served(base, watch=False) as server:
        server.session.tracker.prime()
        other_process_sets(str(base), "global", "theirs", "2")
        status, _ = await server.post("/v1/session/persist", {"key": "mine", "value": "1"})
        assert status == 200
        _, history = await server.get("/v1/events/history")
        assert [(e["payload"]["key"], e["source"]) for e in history["events"]] == [
            ("mine", "server"),
            ("theirs", "store"),
        ]
        assert (await server.get("/v1/session/retrieve/theirs"))[1]["value"] == "2"


async def test_serving_a_redis_source(redis_url: str) -> None:
    async with served(redis_url) as server:
        status, body = await server.post(
            "/v1/session/persist", {"scope": "flow:r", "key": "k", "value": "v"}
        )
        assert (status, body["flushed"]) == (200, True)
        entry = body["entry"]
        status, body = await server.post(
            "/v1/session/persist",
            {"scope": "flow:r", "key": "k", "value": "v2", "expected": {**entry, "value": "x"}},
        )
        assert (status, body["actual"]) == (409, entry)
        await server.post("/v1/session/remember", {"scope": "flow:r", "key": "m", "value": "1"})
        _, summary = await server.get("/v1/session")
        assert {"scope": "flow:r", "memory_count": 1, "store_count": 1} in summary["scopes"]
        other_process_sets(redis_url, "flow:r", "theirs", "2")
        event = await server.wait_for_event("session.persist", {"key": "theirs", "scope": "flow:r"})
        assert event["source"] == "store"
        _, found = await server.post("/v1/session/query", {"scope": "flow:r", "query": ""})
        assert [(e["key"], e["value"]) for e in found["entries"]] == [("k", "v"), ("theirs", "2")]
        status, body = await server.get("/v1/session/flow:a%2Fb/export")
        assert (status, body["count"]) == (200, 0)  # Redis can hold such a name.
    done = subprocess.run(
        [console_script(), "get", redis_url, "flow:r", "k"], capture_output=True, text=True
    )
    assert done.stdout == "v"


async def test_redis_down_is_503_and_back_up_serves_again(own_redis: RedisServer) -> None:
    async with served(own_redis.url) as server:
        assert (await server.post("/v1/session/persist", {"key": "k", "value": "v"}))[0] == 200
        own_redis.stop()
        for action, body in (
            ("persist", {"key": "k", "value": "v2"}),
            ("mutate", {"key": "k", "value": "v2"}),
            ("purge", {"key": "k"}),
        ):
            status, answer = await server.post(f"/v1/session/{action}", body)
            assert status == 503, (action, answer)
            assert answer["error"] in ("store_unavailable", "store_unwritable")
            assert "Connection refused" in answer["message"]
        own_redis.start()
        status, body = await server.post("/v1/session/persist", {"key": "k", "value": "v3"})
        assert (status, body["success"]) == (200, True)
        assert (await server.get("/v1/session/retrieve/k"))[1]["value"] == "v3"


async def test_mutate_never_brings_back_a_key_removed_meanwhile(tmp_path: Path) -> None:
    """The entry mutate saw is gone when it writes (another writer purged it): no write."""
    base = tmp_path / "axon-server"
    async with served(base, watch=False) as server:
        _, body = await server.post("/v1/session/persist", {"key": "k", "value": "v"})
        seen = MemoryEntry("k", "v", body["entry"]["timestamp"], "api")
        other = ScopedSessionManager(base)
        other.purge("global", "k")
        other.flush("global")
        with pytest.raises(Conflict):
            server.session._set("global", "k", seen, "v2", "api", retry=True, must_exist=True)
        assert ScopedSessionManager(base).retrieve("global", "k") is None
        status, body = await server.post("/v1/session/mutate", {"key": "k", "value": "v2"})
        assert (status, body["success"]) == (200, False)
        assert ScopedSessionManager(base).retrieve("global", "k") is None


async def test_a_scope_turning_unreadable_is_an_event_without_a_key(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    async with served(base) as server:
        await server.post("/v1/session/persist", {"scope": "flow:x", "key": "k", "value": "v"})
        path = tmp_path / ".axon-server__flow_x.session.json"
        path.write_bytes(b'[{"key": "k", "value": 1}]')  # Another process broke it.
        await server.wait_for_event("session.persist", {"key": None, "scope": "flow:x"})
        status, body = await server.get("/v1/session/retrieve/k", params={"scope": "flow:x"})
        assert (status, body["error"]) == (503, "store_unreadable")
        for _ in range(2):
            status, _ = await server.post(
                "/v1/session/persist", {"scope": "flow:x", "key": "k", "value": "v2"}
            )
            assert status == 503
        _, history = await server.get("/v1/events/history")
        assert [e["payload"]["key"] for e in history["events"]] == [None, "k"]  # Said once.
