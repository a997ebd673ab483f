"""The installed command over a real Redis: the same commands, pipes and tail as on files."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from axon_scopes.core import ScopedSessionManager
from tests.redis_servers import RedisServer

from .test_cli_support import AXON, one_line_error, run, shell, stored
from .test_cli_tail import first_line_after_writes, lines_of

PASSWORD = "cli-pass-never-shown"


def test_set_get_ls_rm_and_a_checked_write_over_redis(redis_url: str) -> None:
    assert run("set", redis_url, "flow:a", "k", "hello").returncode == 0
    got = run("get", redis_url, "flow:a", "k")
    assert (got.returncode, got.stdout) == (0, "hello")
    refused = run("set", redis_url, "flow:a", "k", "x", "--expect", "wrong")
    assert refused.returncode == 4 and "nothing was written" in one_line_error(refused)
    listed = json.loads(run("ls", redis_url, "--json").stdout)
    assert {(s["scope"], s["store"]) for s in listed} >= {("flow:a", 1)}
    assert run("rm", redis_url, "flow:a", "k").returncode == 0
    assert run("get", redis_url, "flow:a", "k").returncode == 3


def test_export_from_redis_imports_into_files_and_copy_goes_back(
    redis_url: str, tmp_path: Path
) -> None:
    writer = ScopedSessionManager(redis_url)
    for i in range(50):
        writer.persist("global", f"k{i:02d}", f"v{i}", "seed")
    writer.flush("global")
    writer.close()
    piped = shell(
        f"axon-scopes export '{redis_url}' global | axon-scopes import axon-server global -",
        tmp_path,
    )
    assert piped.returncode == 0, piped.stderr
    assert len(stored(tmp_path, "global")) == 50
    assert run("set", tmp_path / "axon-server", "global", "k00", "from files").returncode == 0
    copied = run("copy", tmp_path / "axon-server", redis_url)
    assert copied.returncode == 0, copied.stderr
    assert run("get", redis_url, "global", "k00").stdout == "from files"


def test_tail_follows_another_agents_write_over_redis(redis_url: str) -> None:
    writer = ScopedSessionManager(redis_url)
    writer.put("global", "status", "idle", "boot")
    process = subprocess.Popen(
        [AXON, "tail", redis_url, "global"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        found = lines_of(process)
        change = first_line_after_writes(
            found, lambda n: writer.put("global", "status", f"busy {n}", "worker")
        )
        assert change["key"] == "status" and str(change["new"]).startswith("busy")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
        writer.close()


def test_a_wrong_password_is_one_line_and_never_shown(own_redis: RedisServer) -> None:
    own_redis.password = PASSWORD
    own_redis.stop()
    own_redis.start()
    wrong = own_redis.url.replace(PASSWORD, "not-the-password")
    result = run("ls", wrong)
    assert result.returncode == 6
    line = one_line_error(result)
    assert "not-the-password" not in line and PASSWORD not in line
    assert run("ls", own_redis.url).returncode == 0
