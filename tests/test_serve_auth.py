"""Bearer keys with read and write roles, as AxonServer checks them, from a file or the env."""

from __future__ import annotations

from pathlib import Path

import pytest

from axon_scopes.cli.main import main
from axon_scopes.server.auth import Keys, KeysError, Role
from axon_scopes.server.run import ServeError, check_host, is_loopback
from tests.http_servers import Served, served

READ = "r-0123456789abcdef"
WRITE = "w-fedcba9876543210"


def keys_file(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "keys"
    path.write_text(f"# operators\nread {READ}\n\nwrite {WRITE}  # the deploy robot\n")
    path.chmod(mode)
    return path


async def call(server: Served, method: str, path: str, key: str | None, body: object = None):
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with server.client.request(method, path, json=body, headers=headers) as response:
        assert response.headers["Axon-Scopes-Features"] == "compare-and-set, entry"
        return response.status, await response.json()


WRITES = [
    ("/v1/session/remember", {"key": "k", "value": "v"}),
    ("/v1/session/persist", {"key": "k", "value": "v"}),
    ("/v1/session/mutate", {"key": "k", "value": "v"}),
    ("/v1/session/purge", {"key": "k"}),
]
READS = [
    ("GET", "/v1/session", None),
    ("GET", "/v1/session/global/export", None),
    ("GET", "/v1/session/recall/k", None),
    ("GET", "/v1/session/retrieve/k", None),
    ("POST", "/v1/session/query", {"query": ""}),
    ("GET", "/v1/events/history", None),
]


async def test_roles_from_a_keys_file(tmp_path: Path) -> None:
    keys = Keys.load(keys_file(tmp_path), {})
    async with served(tmp_path / "axon-server", keys=keys) as server:
        status, body = await call(server, "GET", "/v1/session", None)
        assert (status, body["success"], body["error"]) == (401, False, "unauthorized")
        async with server.client.get("/v1/session") as response:
            assert response.headers["WWW-Authenticate"] == "Bearer"
        status, body = await call(server, "GET", "/v1/session", "not-a-key")
        assert (status, body["error"]) == (403, "forbidden")
        assert READ not in str(body) and WRITE not in str(body)
        status, _ = await call(server, "GET", "/v1/session", READ.upper())
        assert status == 403
        async with server.client.get(
            "/v1/session", headers={"Authorization": f"bearer {READ}"}
        ) as response:
            assert response.status == 401  # Axon takes "Bearer " as written.
        for method, path, body in READS:
            assert (await call(server, method, path, READ, body))[0] == 200, path
            assert (await call(server, method, path, WRITE, body))[0] == 200, path
        async with server.client.get(
            "/v1/events/stream", headers={"Authorization": f"Bearer {READ}"}
        ) as response:
            assert response.status == 200
        for path, body in WRITES:
            status, answer = await call(server, "POST", path, READ, body)
            assert (status, answer["error"]) == (403, "forbidden"), path
            assert (await call(server, "POST", path, None, body))[0] == 401, path
        assert server.session.service.get("global", "k") is None
        for path, body in WRITES:
            assert (await call(server, "POST", path, WRITE, body))[0] == 200, path


async def test_keys_from_the_environment(tmp_path: Path) -> None:
    environ = {"AXON_SCOPES_READ_KEYS": " r1 , r2,", "AXON_SCOPES_WRITE_KEYS": "w1"}
    keys = Keys.load(None, environ)
    assert [keys.role_of(k) for k in ("r1", "r2", "w1", "w2", "")] == [
        Role.READ, Role.READ, Role.WRITE, None, None
    ]  # fmt: skip
    async with served(tmp_path / "axon-server", keys=keys, token="r2") as server:
        assert (await server.get("/v1/session"))[0] == 200
        assert (await server.post("/v1/session/persist", {"key": "k", "value": "v"}))[0] == 403
        status, _ = await call(server, "POST", "/v1/session/persist", "w1", WRITES[1][1])
        assert status == 200


def test_a_keys_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = keys_file(tmp_path, 0o644)
    with pytest.raises(KeysError, match=r"may be read by others \(mode 0644\): run chmod 600"):
        Keys.load(path, {})
    path.chmod(0o640)
    with pytest.raises(KeysError, match="mode 0640"):
        Keys.load(path, {})


def test_bad_keys_files_say_where_never_what(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"admin {WRITE}\n")
    path.chmod(0o600)
    with pytest.raises(KeysError) as caught:
        Keys.load(path, {})
    assert "line 1" in str(caught.value) and WRITE not in str(caught.value)
    with pytest.raises(KeysError, match="cannot read keys file"):
        Keys.load(tmp_path / "missing", {})


def test_serve_refuses_a_readable_keys_file_and_an_open_public_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = keys_file(tmp_path, 0o604)
    assert main(["serve", str(tmp_path / "axon-server"), "--keys", str(path)]) == 2
    err = capsys.readouterr().err
    assert "may be read by others" in err and READ not in err
    monkeypatch.delenv("AXON_SCOPES_READ_KEYS", raising=False)
    monkeypatch.delenv("AXON_SCOPES_WRITE_KEYS", raising=False)
    assert main(["serve", str(tmp_path / "axon-server"), "--host", "0.0.0.0"]) == 2
    assert "refusing to serve on 0.0.0.0 without keys" in capsys.readouterr().err


async def test_no_keys_means_open_on_loopback_only(tmp_path: Path) -> None:
    async with served(tmp_path / "axon-server") as server:
        assert (await server.post("/v1/session/persist", {"key": "k", "value": "v"}))[0] == 200
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
        check_host(host, Keys())
    for host in ("0.0.0.0", "::", "10.1.2.3", "192.0.2.1"):
        assert not is_loopback(host), host
        with pytest.raises(ServeError, match="without keys"):
            check_host(host, Keys())
        check_host(host, Keys.load(None, {"AXON_SCOPES_READ_KEYS": "k"}))
