"""Hostile input to the served API: Axon's status and error shape for each, nothing applied."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from yarl import URL

from axon_scopes.core import ScopedSessionManager
from tests.http_servers import JSON, Served, served

ANSI = "\x1b[31mred\x1b[0m \x1b]52;c;cHduZWQ=\x07 [bold]not markup[/bold] \u202etxt\r\n\x00 é 🙂"


def listing(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.fixture
async def server(tmp_path: Path):
    manager = ScopedSessionManager(tmp_path / "axon-server")
    manager.persist("global", "k", "v", "seed")
    manager.flush_all()
    async with served(
        tmp_path / "axon-server", max_value_bytes=1_000, max_body_bytes=10_000
    ) as running:
        yield running


async def raw_post(server: Served, path: str, data: bytes, headers=JSON) -> tuple[int, dict]:
    async with server.client.post(path, data=data, headers=headers) as response:
        assert response.headers["Axon-Scopes-Features"] == "compare-and-set, entry"
        return response.status, await response.json()


async def test_bodies_that_are_not_what_axon_reads(server: Served, tmp_path: Path) -> None:
    before = listing(tmp_path)
    cases = [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b'{"key": "k", "value": NaN}', 400, "invalid_json"),
        (b'{"key": "k", "key": "j", "value": "v"}', 400, "invalid_json"),
        (b'{"key": "k", "value": "\xff"}', 400, "invalid_json"),
        (b'["key", "value"]', 422, "invalid_body"),
        (b'{"value": "v"}', 422, "invalid_body"),
        (b'{"key": "k"}', 422, "invalid_body"),
        (b'{"key": "k", "value": 5}', 422, "invalid_body"),
        (b'{"key": null, "value": "v"}', 422, "invalid_body"),
        (b'{"key": "k", "value": "v", "scope": ["global"]}', 422, "invalid_body"),
        (b'{"key": "k", "value": "v", "source_step": 1}', 422, "invalid_body"),
        (b'{"key": "k", "value": "v", "expected": "v"}', 422, "invalid_body"),
        (b'{"key": "k", "value": "v", "expected": {"value": "v"}}', 422, "invalid_body"),
        (b'{"key": "k", "value": "v", "expected": {"value": "v", "timestamp": true,'
         b' "source_step": "s"}}', 422, "invalid_body"),
        (b'{"key": "k", "value": "v", "expected": {"value": "v", "timestamp": -1,'
         b' "source_step": "s"}}', 422, "invalid_body"),
    ]  # fmt: skip
    for action in ("persist", "remember", "mutate"):
        for body, status, code in cases:
            answer = await raw_post(server, f"/v1/session/{action}", body)
            assert answer[0] == status, (action, body, answer)
            assert answer[1]["success"] is False and answer[1]["error"] == code
            assert answer[1]["message"]
    status, body = await raw_post(
        server, "/v1/session/persist", b'{"key": "k", "value": "v"}', {"Content-Type": "text/plain"}
    )
    assert (status, body["error"]) == (415, "unsupported_media_type")
    assert listing(tmp_path) == before
    assert (await server.get("/v1/session"))[1]["total_memory_count"] == 0


async def test_unknown_fields_are_ignored_as_axon_does(server: Served) -> None:
    status, body = await server.post(
        "/v1/session/persist", {"key": "x", "value": "v", "ttl": 5, "extra": {"a": [1]}}
    )
    assert (status, body["success"]) == (200, True)


async def test_bodies_and_values_over_the_limits(server: Served, tmp_path: Path) -> None:
    before = listing(tmp_path)
    status, body = await server.post("/v1/session/persist", {"key": "k", "value": "x" * 20_000})
    assert (status, body["error"]) == (413, "body_too_large")

    async def chunks():
        for _ in range(20):
            yield b" " * 1_000

    async with server.client.post(
        "/v1/session/persist", data=chunks(), headers=JSON
    ) as response:  # Chunked: no length given up front.
        assert response.status == 413
        assert (await response.json())["error"] == "body_too_large"
    status, body = await server.post("/v1/session/persist", {"key": "k", "value": "é" * 501})
    assert (status, body["error"]) == (413, "value_too_large")
    assert "1,002 bytes, over the limit of 1,000 bytes" in body["message"]
    status, body = await server.post("/v1/session/remember", {"key": "k", "value": "x" * 1_001})
    assert status == 413
    assert listing(tmp_path) == before


@pytest.mark.parametrize(
    "scope",
    ["flow:a/b", "..", "flow:..", "", " global", "flow:\x1b[31m", "a\\b", "flow:\u202e"],
)
async def test_invalid_scope_names_are_400_everywhere(
    server: Served, tmp_path: Path, scope: str
) -> None:
    before = listing(tmp_path)
    writes = [
        ("remember", {"scope": scope, "key": "k", "value": "v"}),
        ("persist", {"scope": scope, "key": "k", "value": "v"}),
        ("mutate", {"scope": scope, "key": "k", "value": "v"}),
        ("purge", {"scope": scope, "key": "k"}),
        ("query", {"scope": scope, "query": ""}),
    ]
    for action, body in writes:
        status, answer = await server.post(f"/v1/session/{action}", body)
        assert (status, answer["error"]) == (400, "invalid_scope"), (action, answer)
    reads = [f"/v1/session/retrieve/k?scope={quote(scope)}",
             f"/v1/session/recall/k?scope={quote(scope)}"]  # fmt: skip
    if scope:
        segment = quote(scope, safe="").replace(".", "%2E")  # Sent as is, never resolved.
        reads.append(f"/v1/session/{segment}/export")
    for path in reads:
        async with server.client.get(URL(path, encoded=True)) as response:
            assert response.status == 400, path
            assert (await response.json())["error"] == "invalid_scope"
    assert listing(tmp_path) == before


async def test_percent_encoded_scope_segments(server: Served) -> None:
    await server.post("/v1/session/remember", {"scope": "flow:a", "key": "m", "value": "v"})
    for path in ("/v1/session/flow:a/export", "/v1/session/flow%3Aa/export",
                 "/v1/session/flow%3aa/export"):  # fmt: skip
        status, body = await server.get(path)
        assert (status, body["scope"], body["count"]) == (200, "flow:a", 1), path
    status, body = await server.get("/v1/session/recall/m", params={"scope": "flow:a"})
    assert body["found"] is True
    async with server.client.get("/v1/session/recall/a%2Fb?scope=flow%3Aa") as response:
        assert (await response.json())["key"] == "a/b"
    async with server.client.get("/v1/session/flow%3Aa%2Fb/export") as response:
        assert response.status == 400  # One segment, decoded: `flow:a/b`, not a route miss.


async def test_ansi_and_markup_round_trip_byte_for_byte(server: Served, tmp_path: Path) -> None:
    key = "key \x1b[2J [red]x[/red]"
    status, body = await server.post(
        "/v1/session/persist",
        {"scope": "flow:x", "key": key, "value": ANSI, "source_step": "[link=x]s[/link]"},
    )
    assert (status, body["entry"]["value"]) == (200, ANSI)
    async with server.client.get(
        f"/v1/session/retrieve/{quote(key, safe='')}", params={"scope": "flow:x"}
    ) as response:
        answer = await response.json()
    assert (answer["key"], answer["value"], answer["source_step"]) == (
        key, ANSI, "[link=x]s[/link]"
    )  # fmt: skip
    _, found = await server.post("/v1/session/query", {"scope": "flow:x", "query": "[BOLD]"})
    assert [e["value"] for e in found["entries"]] == [ANSI]
    stored = ScopedSessionManager(tmp_path / "axon-server").retrieve("flow:x", key)
    assert stored is not None and stored.value == ANSI
    await server.post("/v1/session/remember", {"scope": "flow:x", "key": key, "value": ANSI})
    _, csv = await server.get("/v1/session/flow:x/export", params={"format": "csv"})
    assert f',"{ANSI}",' in csv
    _, document = await server.get("/v1/session/flow:x/export")
    assert document["entries"][0]["value"] == ANSI
    _, history = await server.get("/v1/events/history")
    assert history["events"][0]["payload"] == {"key": key, "scope": "flow:x"}


async def test_no_route_and_wrong_method_answer_json(server: Served) -> None:
    status, body = await server.get("/v1/nothing")
    assert (status, body["success"], body["error"]) == (404, False, "not_found")
    async with server.client.get("/v1/session/persist") as response:
        assert response.status == 405
        assert response.headers["Allow"] == "POST"
        assert response.headers["Axon-Scopes-Features"] == "compare-and-set, entry"


async def test_an_unreadable_scope_is_503_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / ".axon-server__flow_bad.session.json"
    path.write_bytes(b'[{"key": "k", "value": 1}]')
    async with served(tmp_path / "axon-server") as server:
        for action, body in (
            ("persist", {"scope": "flow:bad", "key": "k", "value": "v"}),
            ("mutate", {"scope": "flow:bad", "key": "k", "value": "v"}),
            ("purge", {"scope": "flow:bad", "key": "k"}),
            ("query", {"scope": "flow:bad", "query": ""}),
        ):
            status, answer = await server.post(f"/v1/session/{action}", body)
            assert (status, answer["error"]) == (503, "store_unreadable"), action
            assert "flow:bad" in answer["message"]
        status, answer = await server.get("/v1/session/retrieve/k", params={"scope": "flow:bad"})
        assert status == 503
    assert path.read_bytes() == b'[{"key": "k", "value": 1}]'
