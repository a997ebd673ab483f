"""`expected`: compare-and-set over HTTP, checked under the store's lock; 409 writes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from axon_scopes.core import ScopedSessionManager
from axon_scopes.core.files.locking import locked
from tests.http_servers import Served, served


@pytest.fixture
async def server(tmp_path: Path):
    async with served(tmp_path / "axon-server") as running:
        yield running


async def stored(server: Served, key: str, scope: str = "global") -> dict[str, Any]:
    status, body = await server.post("/v1/session/persist", {"scope": scope, "key": key,
                                                              "value": "v1"})  # fmt: skip
    assert status == 200
    return body["entry"]


def on_disk(tmp_path: Path, key: str, scope: str = "global"):
    return ScopedSessionManager(tmp_path / "axon-server").retrieve(scope, key)


async def test_a_matching_expectation_writes(server: Served, tmp_path: Path) -> None:
    entry = await stored(server, "k")
    status, body = await server.post(
        "/v1/session/persist", {"key": "k", "value": "v2", "expected": entry}
    )
    assert (status, body["success"], body["entry"]["value"]) == (200, True, "v2")
    assert on_disk(tmp_path, "k").value == "v2"
    status, body = await server.post(
        "/v1/session/persist", {"key": "new", "value": "n", "expected": None}
    )
    assert (status, body["success"]) == (200, True)
    assert on_disk(tmp_path, "new").value == "n"


async def test_a_mismatch_is_409_with_the_actual_entry_and_writes_nothing(
    server: Served, tmp_path: Path
) -> None:
    entry = await stored(server, "k")
    before = (tmp_path / ".axon-server__global.session.json").read_bytes()
    stale = {**entry, "value": "something else"}
    for action in ("persist", "mutate", "purge"):
        status, body = await server.post(
            f"/v1/session/{action}", {"key": "k", "value": "v3", "expected": stale}
        )
        assert status == 409, action
        assert body == {
            "success": False, "error": "conflict", "key": "k", "scope": "global", "actual": entry
        }, action  # fmt: skip
        status, body = await server.post(
            f"/v1/session/{action}", {"key": "k", "value": "v3", "expected": None}
        )
        assert (status, body["actual"]) == (409, entry), action
    assert (tmp_path / ".axon-server__global.session.json").read_bytes() == before
    _, history = await server.get("/v1/events/history")
    assert [e["topic"] for e in history["events"]] == ["session.persist"]


async def test_an_expected_entry_where_there_is_none(server: Served, tmp_path: Path) -> None:
    ghost = {"value": "v", "timestamp": 1, "source_step": "api"}
    for scope in ("global", "flow:nowhere"):
        status, body = await server.post(
            "/v1/session/persist", {"scope": scope, "key": "g", "value": "v", "expected": ghost}
        )
        assert (status, body["actual"]) == (409, None)
    _, summary = await server.get("/v1/session")
    assert [s["scope"] for s in summary["scopes"]] == ["global"]
    assert not list(tmp_path.glob("*nowhere*"))


async def test_mutate_and_purge_with_expected(server: Served, tmp_path: Path) -> None:
    entry = await stored(server, "k")
    status, body = await server.post(
        "/v1/session/mutate", {"key": "k", "value": "v2", "expected": entry}
    )
    assert (status, body["success"]) == (200, True)
    status, body = await server.post(
        "/v1/session/mutate", {"key": "absent", "value": "v", "expected": None}
    )
    assert (status, body["success"]) == (200, False)  # Absent, as expected: nothing to mutate.
    status, body = await server.post("/v1/session/purge", {"key": "k", "expected": entry})
    assert status == 409  # It holds v2 now.
    status, body = await server.post("/v1/session/purge", {"key": "k", "expected": body["actual"]})
    assert (status, body["success"]) == (200, True)
    assert on_disk(tmp_path, "k") is None


async def test_remember_checks_the_memory_layer(server: Served) -> None:
    status, body = await server.post(
        "/v1/session/remember", {"key": "m", "value": "1", "expected": None}
    )
    assert status == 200
    first = body["entry"]
    status, body = await server.post(
        "/v1/session/remember", {"key": "m", "value": "2", "expected": None}
    )
    assert (status, body["actual"]) == (409, first)
    status, body = await server.post(
        "/v1/session/remember", {"key": "m", "value": "2", "expected": first}
    )
    assert (status, body["entry"]["value"]) == (200, "2")
    assert (await server.get("/v1/session/recall/m"))[1]["value"] == "2"


async def test_racing_clients_exactly_one_wins(server: Served, tmp_path: Path) -> None:
    entry = await stored(server, "k")

    async def attempt(number: int) -> tuple[int, int]:
        async with aiohttp.ClientSession(base_url=server.url) as client:
            body = {"key": "k", "value": f"client {number}", "expected": entry}
            async with client.post("/v1/session/persist", json=body) as response:
                return number, response.status

    results = await asyncio.gather(*(attempt(number) for number in range(8)))
    winners = [number for number, status in results if status == 200]
    assert len(winners) == 1, results
    assert sorted(status for _, status in results) == [200] + [409] * 7
    assert on_disk(tmp_path, "k").value == f"client {winners[0]}"


async def test_unconditional_writers_all_land(server: Served, tmp_path: Path) -> None:
    """Without `expected` every write lands whole (last writer wins per key), none is lost."""

    async def write(number: int) -> int:
        async with aiohttp.ClientSession(base_url=server.url) as client:
            body = {"key": f"k{number}", "value": str(number)}
            async with client.post("/v1/session/persist", json=body) as response:
                return response.status

    assert await asyncio.gather(*(write(number) for number in range(8))) == [200] * 8
    manager = ScopedSessionManager(tmp_path / "axon-server")
    assert {e.key: e.value for e in manager.store("global").store_entries()} == {
        f"k{n}": str(n) for n in range(8)
    }


async def test_a_scope_waiting_for_its_lock_stalls_no_other_request(
    server: Served, tmp_path: Path
) -> None:
    await stored(server, "k", scope="flow:slow")
    path = tmp_path / ".axon-server__flow_slow.session.json"
    with locked(path, timeout=5):  # Another process holding the scope's lock.
        slow = asyncio.ensure_future(
            server.post("/v1/session/persist", {"scope": "flow:slow", "key": "k", "value": "v2"})
        )
        await asyncio.sleep(0.05)
        assert (await server.post("/v1/session/persist", {"key": "other", "value": "v"}))[0] == 200
        assert (await server.get("/v1/session"))[0] == 200
        status, body = await server.get("/v1/session/retrieve/k", params={"scope": "flow:slow"})
        assert (status, body["value"]) == (200, "v1")
        assert not slow.done()
    status, body = await slow
    assert (status, body["entry"]["value"]) == (200, "v2")
