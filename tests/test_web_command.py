"""`axon-scopes web`: the command each tab runs, and what is refused before serving."""

from __future__ import annotations

import http.client
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from axon_scopes.web import SOURCE_ENV, app_command, is_loopback
from axon_scopes.web.command import PARENT_ENV
from axon_scopes.web.hosts import host_name
from tests.web_servers import HOSTILE, WebServer, free_port, make_store, run_web

# The command each tab runs.


def test_a_hostile_path_is_one_argument_after_the_options() -> None:
    command = app_command(HOSTILE, read_only=True, theme="nord", max_file_size=1024, watch=False)
    assert command.shell.startswith("exec ")
    assert command.argv[-2:] == ["--", HOSTILE]
    assert command.argv[1:] == [
        "-m", "axon_scopes", "open", "--read-only", "--theme", "nord",
        "--max-file-size", "1024", "--no-watch", "--", HOSTILE,
    ]  # fmt: skip
    assert command.env == {PARENT_ENV: str(os.getpid())}  # The app ends with the server.


def test_a_url_source_goes_to_the_app_in_its_environment_not_its_command_line() -> None:
    url = "redis://:s3cret@127.0.0.1:6390/0?base=axon-server"
    command = app_command(url)
    assert "s3cret" not in command.shell and "redis" not in command.shell
    assert command.env == {SOURCE_ENV: url, PARENT_ENV: str(os.getpid())}


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.com", ""))
    assert host_name("[::1]:8000") == "::1" and host_name("localhost:80") == "localhost"
    assert host_name("127.0.0.1") == "127.0.0.1"


# Refusals: one line, a documented exit code, nothing served.


def test_any_address_without_read_only_is_refused_and_says_why(tmp_path: Path) -> None:
    store = make_store(tmp_path, "srv")
    result = run_web(str(store), "--host", "0.0.0.0", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "refusing to serve writes on 0.0.0.0" in message
    assert "no authentication" in message and "--read-only" in message
    assert "--public-writable" in message and "SSH tunnel" in message
    assert result.stdout == ""


@pytest.mark.parametrize("flag", ["--read-only", "--public-writable"])
def test_any_address_with_read_only_or_the_explicit_flag_is_served(
    tmp_path: Path, flag: str
) -> None:
    store = make_store(tmp_path, "srv")
    server = WebServer(str(store), "--host", "0.0.0.0", flag, cwd=tmp_path)
    try:
        mode = "read-only" if flag == "--read-only" else "writable"
        assert f"({mode}) at http://" in server.banner
        # Reached through another address of the machine than the one it names.
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("GET", "/", headers={"Host": f"some-host:{server.port}"})
        page = connection.getresponse().read().decode()
        assert f"ws://some-host:{server.port}/ws" in page
    finally:
        assert server.stop() == 0


def test_a_missing_source_is_one_line_before_anything_is_served(tmp_path: Path) -> None:
    result = run_web(str(tmp_path / "nowhere") + "/", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 6, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    store = make_store(tmp_path, "srv")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_web(str(store), "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr
        == f"axon-scopes: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    )


def test_an_unknown_theme_is_refused_before_serving(tmp_path: Path) -> None:
    store = make_store(tmp_path, "srv")
    result = run_web(str(store), "--theme", "no-such", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2 and "unknown theme 'no-such'" in result.stderr


def test_help_shows_the_tunnel(tmp_path: Path) -> None:
    result = run_web("--help", cwd=tmp_path)
    assert "ssh -N -L 8000:127.0.0.1:8000" in result.stdout
    assert shlex.quote("--public-writable") in result.stdout


def test_open_and_web_take_the_source_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from axon_scopes.cli.main import cli, open_command

    monkeypatch.setenv(SOURCE_ENV, "redis://:pw@127.0.0.1:1/0")
    assert open_command.make_context("open", []).params["source"] == "redis://:pw@127.0.0.1:1/0"
    assert open_command.make_context("open", ["srv/"]).params["source"] == "srv/"
    web = cli.get_command(click_context(), "web")
    assert web is not None
    assert web.make_context("web", []).params["source"] == "redis://:pw@127.0.0.1:1/0"


def click_context() -> object:
    import click

    from axon_scopes.cli.main import cli

    return click.Context(cli)


def test_loading_the_command_imports_neither_textual_nor_textual_serve() -> None:
    code = (
        "import sys, click\n"
        "from axon_scopes.cli.main import cli\n"
        "assert cli.get_command(click.Context(cli), 'web') is not None\n"
        "import axon_scopes.web\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'textual', 'textual_serve'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def test_a_server_source_and_its_poll_reach_each_app_and_no_token_does() -> None:
    url = "http://user:s3cret@127.0.0.1:8420"
    command = app_command(url, poll=0.5)
    assert "s3cret" not in command.shell and command.argv[-2:] == ["--poll", "0.5"]
    assert command.env[SOURCE_ENV] == url
