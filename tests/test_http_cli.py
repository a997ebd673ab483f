"""The installed command on an AxonServer (a replay server): every scripting command, the token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from tests.axon_replay import AxonReplay

from .test_cli_support import AXON, one_line_error, run, shell
from .test_cli_tail import first_line_after_writes, lines_of

TOKEN = "cli-token-never-shown"


def test_ls_get_set_rm_entries_and_export_over_http(axon: AxonReplay) -> None:
    url = axon.url
    axon.put("global", "memory", "plan", "draft", "think")
    assert run("set", url, "flow:a", "k", "hello").returncode == 0
    assert axon.scopes["flow:a"].store["k"]["value"] == "hello"
    got = run("get", url, "flow:a", "k")
    assert (got.returncode, got.stdout) == (0, "hello")
    assert run("get", url, "global", "plan", "--layer", "memory").stdout == "draft"
    assert run("get", url, "flow:ghost", "k").returncode == 3
    assert "flow:ghost" not in axon.scopes  # Never read: it would have been created.
    refused = run("set", url, "flow:a", "k", "x", "--expect", "wrong")
    assert refused.returncode == 4 and "nothing was written" in one_line_error(refused)
    assert run("set", url, "flow:a", "k", "again", "--expect", "hello").returncode == 0
    listed = {
        s["scope"]: (s["memory"], s["store"]) for s in json.loads(run("ls", url, "--json").stdout)
    }
    assert listed == {"flow:a": (0, 1), "global": (1, 0)}
    entries = json.loads(run("entries", url, "global", "--json").stdout)
    assert [(e["layer"], e["key"]) for e in entries["entries"]] == [("memory", "plan")]
    exported = json.loads(run("export", url, "flow:a").stdout)
    assert [e["value"] for e in exported["entries"]] == ["again"]
    memory_rm = run("rm", url, "global", "plan", "--layer", "memory")
    assert memory_rm.returncode == 2
    assert "no endpoint to delete a memory entry" in one_line_error(memory_rm)
    assert run("rm", url, "flow:a", "k").returncode == 0
    assert axon.scopes["flow:a"].store == {}


def test_copy_from_an_axonserver_into_files(axon: AxonReplay, tmp_path: Path) -> None:
    for i in range(5):
        axon.put("global", "store", f"k{i}", f"v{i}")
    copied = run("copy", axon.url, tmp_path / "axon-server")
    assert copied.returncode == 0, copied.stderr
    piped = shell(f"axon-scopes export '{axon.url}' global --format axon | wc -c", tmp_path)
    assert piped.returncode == 0 and int(piped.stdout) > 0
    files = json.loads((tmp_path / ".axon-server__global.session.json").read_text())
    assert sorted(e["key"] for e in files) == [f"k{i}" for i in range(5)]


def test_a_token_is_asked_for_taken_from_the_option_or_the_environment_and_never_shown(
    axon: AxonReplay,
) -> None:
    axon.keys = {TOKEN: "write"}
    wanted = run("ls", axon.url)
    assert wanted.returncode == 6
    line = one_line_error(wanted)
    assert "needs a token: pass --token or set AXON_TOKEN" in line
    assert run("ls", axon.url, "--token", TOKEN).returncode == 0
    env = {**os.environ, "AXON_TOKEN": TOKEN}
    listed = subprocess.run([AXON, "ls", axon.url], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    wrong = run("set", axon.url, "global", "k", "v", "--token", "not-it")
    assert wrong.returncode == 6 and "not-it" not in wrong.stderr
    outputs = wanted.stderr + listed.stdout + listed.stderr
    assert TOKEN not in outputs
    assert {a for *_x, a in axon.requests} >= {None, f"Bearer {TOKEN}"}


def test_tail_follows_a_write_made_through_the_server(axon: AxonReplay) -> None:
    axon.put("global", "store", "status", "idle")
    process = subprocess.Popen(
        [AXON, "tail", axon.url, "global"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        found = lines_of(process)

        def write(n: int) -> None:
            axon.put("global", "store", "status", f"busy {n}")
            axon.publish("session.persist", {"key": "status", "scope": "global"})

        change = first_line_after_writes(found, write)
        assert change["key"] == "status" and str(change["new"]).startswith("busy")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()


def test_the_app_takes_a_token_and_a_poll_interval_before_or_after_the_url() -> None:
    from axon_scopes.tui.cli import build_parser

    url = "http://127.0.0.1:8420"
    for args in (["--token", "k", "--poll", "2.5", url], [url, "--poll", "2.5", "--token", "k"]):
        parsed = build_parser().parse_args(args)
        assert (parsed.path, parsed.poll) == (url, 2.5)
