"""`axon-scopes serve`: AxonServer's session routes and answer shapes over a real file store.

Each test serves a store in tmp_path on a free loopback port and talks to it over
real HTTP; what a write stores is read back from Axon's file by the core.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from axon_scopes.core import MemoryEntry, ScopedSessionManager
from axon_scopes.core.files.codec import decode_entries
from tests.http_servers import Served, served


def seed(tmp_path: Path) -> Path:
    base = tmp_path / "axon-server"
    manager = ScopedSessionManager(base, clock=lambda: 1_700_000_000)
    manager.persist("global", "mode", "live", "boot")
    manager.persist("flow:b", "result", "42", "summarize")
    manager.persist("flow:b", "Note", "Hello World", "write")
    manager.persist("daemon:a", "tick", "7", "cron")
    manager.flush_all()
    return base


@pytest.fixture
async def server(tmp_path: Path):
    async with served(seed(tmp_path)) as running:
        yield running


def files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


async def test_summary_lists_scopes_by_name_with_counts_and_features(server: Served) -> None:
    await server.post("/v1/session/remember", {"scope": "flow:b", "key": "m", "value": "1"})
    async with server.client.get("/v1/session") as response:
        assert response.headers["Axon-Scopes-Features"] == "compare-and-set, entry"
        body = await response.json()
    assert body == {
        "scope_count": 3,
        "total_memory_count": 1,
        "total_store_count": 4,
        "scopes": [
            {"scope": "daemon:a", "memory_count": 0, "store_count": 1},
            {"scope": "flow:b", "memory_count": 1, "store_count": 2},
            {"scope": "global", "memory_count": 0, "store_count": 1},
        ],
    }


async def test_export_is_the_memory_layer_in_axons_json_and_csv(server: Served) -> None:
    for key, value in (("z", 'say "hi", then go'), ("a", "line1\nline2")):
        status, _ = await server.post(
            "/v1/session/remember",
            {"scope": "flow:b", "key": key, "value": value, "source_step": "s"},
        )
        assert status == 200
    status, text = await server.get("/v1/session/flow:b/export", raw=True)
    assert status == 200
    document = json.loads(text)
    assert text.startswith('{\n  "scope": "flow:b",\n  "count": 2,')
    assert [(e["layer"], e["key"]) for e in document["entries"]] == [
        ("memory", "a"),
        ("memory", "z"),
    ]
    assert set(document["entries"][0]) == {
        "scope", "layer", "key", "value", "timestamp", "source_step"
    }  # fmt: skip
    assert await server.get("/v1/session/flow:b/export", params={"format": "xml"}, raw=True) == (
        200,
        text,
    )  # Axon answers JSON for any format but csv.
    status, csv = await server.get("/v1/session/flow:b/export", params={"format": "CSV"})
    assert status == 200
    stamp = document["entries"][0]["timestamp"]
    assert csv == (
        "scope,layer,key,value,timestamp,source_step\n"
        f'flow:b,memory,a,"line1\nline2",{stamp},s\n'
        f'flow:b,memory,z,"say ""hi"", then go",{stamp},s\n'
    )


async def test_query_matches_store_keys_and_values_ignoring_case(server: Served) -> None:
    await server.post("/v1/session/remember", {"scope": "flow:b", "key": "hello", "value": "x"})
    status, body = await server.post("/v1/session/query", {"scope": "flow:b", "query": "HELLO"})
    assert status == 200
    assert body == {
        "query": "HELLO",
        "scope": "flow:b",
        "count": 1,
        "entries": [
            {"key": "Note", "value": "Hello World", "timestamp": 1_700_000_000,
             "source_step": "write"},
        ],
    }  # fmt: skip
    _, everything = await server.post("/v1/session/query", {"scope": "flow:b", "query": ""})
    assert [e["key"] for e in everything["entries"]] == ["Note", "result"]
    _, default = await server.post("/v1/session/query", {"query": "live"})
    assert default["scope"] == "global" and default["count"] == 1


async def test_recall_and_retrieve_found_and_not_found(server: Served) -> None:
    status, body = await server.get("/v1/session/retrieve/result", params={"scope": "flow:b"})
    assert status == 200
    assert body == {
        "found": True, "key": "result", "value": "42", "timestamp": 1_700_000_000,
        "source_step": "summarize", "scope": "flow:b",
    }  # fmt: skip
    assert await server.get("/v1/session/retrieve/nope", params={"scope": "flow:b"}) == (
        200,
        {"found": False, "key": "nope", "scope": "flow:b"},
    )
    assert await server.get("/v1/session/recall/result", params={"scope": "flow:b"}) == (
        200,
        {"found": False, "key": "result", "scope": "flow:b"},
    )
    await server.post("/v1/session/remember", {"key": "m", "value": "v"})
    status, body = await server.get("/v1/session/recall/m")
    assert (status, body["found"], body["scope"], body["value"]) == (200, True, "global", "v")


async def test_reads_never_write_nor_add_a_scope(server: Served, tmp_path: Path) -> None:
    before = files(tmp_path)
    _, summary = await server.get("/v1/session")
    for path in (
        "/v1/session/flow:new/export",
        "/v1/session/flow:new/export?format=csv",
        "/v1/session/retrieve/k?scope=flow:new",
        "/v1/session/recall/k?scope=flow:new",
        "/v1/events/stream",
        "/v1/events/history",
    ):
        status, _ = await server.get(path)
        assert status == 200, path
    status, body = await server.post("/v1/session/query", {"scope": "flow:new", "query": ""})
    assert (status, body["count"]) == (200, 0)
    for action in ("mutate", "purge"):
        status, body = await server.post(
            f"/v1/session/{action}", {"scope": "flow:new", "key": "k", "value": "v"}
        )
        assert (status, body["success"]) == (200, False)
    assert files(tmp_path) == before
    assert await server.get("/v1/session") == (200, summary)


async def test_persist_flushes_axons_file_and_answers_the_entry(
    server: Served, tmp_path: Path
) -> None:
    status, body = await server.post(
        "/v1/session/persist",
        {"scope": "flow:c", "key": "k", "value": "v", "source_step": "step"},
    )
    assert status == 200
    entry = body.pop("entry")
    assert body == {
        "success": True, "key": "k", "scope": "flow:c", "store": "persistent", "flushed": True
    }  # fmt: skip
    stored = ScopedSessionManager(tmp_path / "axon-server").retrieve("flow:c", "k")
    assert stored == MemoryEntry("k", "v", entry["timestamp"], "step")
    raw = (tmp_path / ".axon-server__flow_c.session.json").read_bytes()
    assert decode_entries(raw) == [stored]
    assert raw.startswith(b'[\n  {\n    "key": "k",')
    status, body = await server.post(
        "/v1/session/remember", {"scope": "flow:c", "key": "m", "value": "1"}
    )
    assert body["store"] == "memory" and body["entry"]["value"] == "1"
    assert not (tmp_path / ".axon-server__flow_c.memory.json").exists()


async def test_mutate_and_purge_change_only_keys_that_are_there(
    server: Served, tmp_path: Path
) -> None:
    base = tmp_path / "axon-server"
    missing = {"scope": "flow:b", "key": "nope", "value": "v"}
    assert await server.post("/v1/session/mutate", missing) == (
        200,
        {"success": False, "key": "nope", "scope": "flow:b"},
    )
    status, body = await server.post(
        "/v1/session/mutate", {"scope": "flow:b", "key": "result", "value": "43"}
    )
    assert (status, body["success"], body["entry"]["value"]) == (200, True, "43")
    assert ScopedSessionManager(base).retrieve("flow:b", "result").value == "43"  # type: ignore[union-attr]
    assert await server.post("/v1/session/purge", {"scope": "flow:b", "key": "nope"}) == (
        200,
        {"success": False, "key": "nope", "scope": "flow:b"},
    )
    assert await server.post("/v1/session/purge", {"scope": "flow:b", "key": "result"}) == (
        200,
        {"success": True, "key": "result", "scope": "flow:b"},
    )
    assert ScopedSessionManager(base).retrieve("flow:b", "result") is None
    _, history = await server.get("/v1/events/history")
    topics = [(e["topic"], e["payload"]["key"]) for e in history["events"]]
    assert topics == [("session.purge", "result"), ("session.mutate", "result")]


async def test_events_stream_and_history(server: Served) -> None:
    assert await server.events() == ":\n\n"
    for key in ("one", "two", "three"):
        await server.post("/v1/session/persist", {"key": key, "value": "v"})
    await server.post("/v1/session/remember", {"key": "m", "value": "v"})
    text = await server.events(topic="session.*")
    blocks = text.strip("\n").split("\n\n")
    assert len(blocks) == 4
    parsed = []
    for index, block in enumerate(blocks):
        id_line, event_line, data_line = block.split("\n")
        data = json.loads(data_line.removeprefix("data: "))
        assert id_line == f"id: {data['timestamp'] * 1000 + index}"
        assert event_line == f"event: {data['topic']}"
        assert set(data) == {"topic", "source", "timestamp", "payload"}
        parsed.append((data["topic"], data["payload"], data["timestamp"]))
    assert [(t, p) for t, p, _ in parsed] == [
        ("session.remember", {"key": "m", "scope": "global"}),
        ("session.persist", {"key": "three", "scope": "global"}),
        ("session.persist", {"key": "two", "scope": "global"}),
        ("session.persist", {"key": "one", "scope": "global"}),
    ]
    newest = parsed[0][2]
    assert await server.events(since=newest) == ":\n\n"  # Strictly newer only.
    assert await server.events(since=int(time.time()) + 60) == ":\n\n"
    assert "event: session.remember" in await server.events(since=parsed[-1][2] - 1, limit=1)
    assert (await server.events(limit=1)).count("id: ") == 1
    assert "session.persist" not in await server.events(topic="session.remember")
    _, history = await server.get(
        "/v1/events/history", params={"topic": "session.persist", "limit": "2"}
    )
    assert history["count"] == 2 and history["topic_filter"] == "session.persist"
    assert [e["payload"]["key"] for e in history["events"]] == ["three", "two"]
    assert history["events"][0]["source"] == "server"
    status, body = await server.get("/v1/events/stream", params={"since": "yesterday"})
    assert (status, body["success"], body["error"]) == (400, False, "invalid_query")
