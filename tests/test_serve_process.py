"""The `axon-scopes serve` console script: listens, answers, stops cleanly, refuses clearly."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from axon_scopes.cli.errors import CliError
from axon_scopes.cli.serve import choose_base, with_base
from axon_scopes.core import ScopedSessionManager
from tests.http_servers import ServeProcess, console_script


def request(url: str, path: str, body: object = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    with urllib.request.urlopen(
        urllib.request.Request(url + path, data=data, headers=headers), timeout=10
    ) as response:
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_a_signal_then_exits_0_quietly(tmp_path: Path, signal_number: int) -> None:
    server = ServeProcess("./axon-server", cwd=tmp_path)
    try:
        assert server.first_line == f"serving ./axon-server (base axon-server) on {server.url}\n"
        assert server.url.startswith("http://127.0.0.1:")
        status, body = request(server.url, "/v1/session/persist", {"key": "k", "value": "v"})
        assert (status, body["success"]) == (200, True)
        assert request(server.url, "/v1/session")[1]["total_store_count"] == 1
    finally:
        code, out, err = server.stop(signal_number)
    assert (code, out, err) == (0, "", "")
    assert ScopedSessionManager(tmp_path / "axon-server").retrieve("global", "k") is not None


def run_serve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), "serve", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_a_public_address_without_keys_is_refused(tmp_path: Path) -> None:
    done = run_serve("./axon-server", "--host", "0.0.0.0", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("axon-scopes: refusing to serve on 0.0.0.0 without keys")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_taken_port_is_said(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_serve("./axon-server", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"axon-scopes: port {port} on 127.0.0.1 is taken by another program\n"


def test_a_directory_of_several_bases_needs_base(tmp_path: Path) -> None:
    for name in ("axon-server", "other"):
        manager = ScopedSessionManager(tmp_path / name)
        manager.persist("global", "k", name, "seed")
        manager.flush_all()
    with pytest.raises(CliError, match=r"several bases \(axon-server, other\).*--base NAME"):
        choose_base(str(tmp_path), None, False, None)
    source, base = choose_base(str(tmp_path), "other", False, None)
    try:
        assert list(source.services()) == [base]
        assert source.services()[base].get("global", "k").value == "other"  # type: ignore[union-attr]
    finally:
        source.close()
    with pytest.raises(CliError, match="not a base name"):
        choose_base(str(tmp_path), "../x", False, None)
    source, base = choose_base(str(tmp_path / "axon-server"), "axon-server", False, None)
    source.close()
    with pytest.raises(CliError, match="is the base axon-server, not 'other'"):
        choose_base(str(tmp_path / "axon-server"), "other", False, None)


def test_an_empty_directory_serves_axons_own_base(tmp_path: Path) -> None:
    source, base = choose_base(str(tmp_path), None, False, None)
    try:
        assert source.label(base) == "axon-server"
        source.services()[base].put("global", "k", "v", "api")
    finally:
        source.close()
    assert (tmp_path / ".axon-server__global.session.json").exists()


def test_a_redis_url_is_narrowed_to_the_base() -> None:
    url = "redis://:secret@127.0.0.1:6379/2?live=poll&base=old"
    assert with_base(url, "new") == "redis://:secret@127.0.0.1:6379/2?live=poll&base=new"


async def test_read_only_refuses_writes_with_403(tmp_path: Path) -> None:
    from tests.http_servers import served

    async with served(tmp_path / "axon-server", read_only=True) as server:
        status, body = await server.post("/v1/session/persist", {"key": "k", "value": "v"})
        assert (status, body["error"]) == (403, "read_only")
        assert (await server.get("/v1/session"))[0] == 200
    assert list(tmp_path.iterdir()) == []


def test_the_server_imports_no_textual_and_other_commands_no_aiohttp() -> None:
    code = (
        "import sys; import axon_scopes.cli.main;"
        " print('aiohttp' in sys.modules);"
        " import axon_scopes.server.run, axon_scopes.cli.serve;"
        " print('aiohttp' in sys.modules, 'textual' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "True", "False"]
