"""Real processes against one store: no lost update, no torn read, no broken file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from axon_scopes.core import FlushError, ScopedSessionManager
from axon_scopes.core.files.naming import lock_path_for

ROOT = Path(__file__).resolve().parent.parent


def worker(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_writers(tmp_path: Path, writers: int, keys: int) -> None:
    base = str(tmp_path / "axon-server")
    path = tmp_path / ".axon-server__flow_shared.session.json"
    stop = tmp_path / "stop"
    reader = worker("read", str(path), str(stop))
    procs = [worker("write", base, f"w{n:02d}", str(keys)) for n in range(writers)]
    # Flushes take the lock one at a time: allow for a slow disk's fsyncs, ten per second.
    deadline = time.monotonic() + 60 + writers * keys / 10
    for proc in procs:
        assert proc.wait(timeout=max(1.0, deadline - time.monotonic())) == 0
    stop.touch()
    out, _ = reader.communicate(timeout=30)
    reads, bad = map(int, out.split())
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data) == writers * keys
    assert {e["key"] for e in data} == {
        f"w{n:02d}.{i:04d}" for n in range(writers) for i in range(keys)
    }
    assert reads > 0 and bad == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_eight_processes_lose_no_update_and_readers_never_see_a_torn_file(
    tmp_path: Path,
) -> None:
    run_writers(tmp_path, writers=8, keys=100)


@pytest.mark.stress
def test_fifty_processes(tmp_path: Path) -> None:
    run_writers(tmp_path, writers=50, keys=200)


#: Holds a store's lock (as another flushing process would) until its stdin closes.
HOLD_LOCK = """
import sys, filelock
with filelock.FileLock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_flush_that_cannot_take_the_lock_writes_nothing_and_keeps_the_changes(
    tmp_path: Path,
) -> None:
    base = tmp_path / "axon-server"
    path = tmp_path / ".axon-server__global.session.json"
    mgr = ScopedSessionManager(base, lock_timeout=0.2)
    mgr.persist("global", "k", "before", "s")
    mgr.flush("global")
    on_disk = path.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_path_for(path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        mgr.persist("global", "k", "after", "s")
        with pytest.raises(FlushError, match=r"lock within 0\.2 s.*nothing was written"):
            mgr.flush("global")
        assert path.read_bytes() == on_disk
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    assert mgr.flush("global")  # The change waited, and goes out now.
    entry = ScopedSessionManager(base).retrieve("global", "k")
    assert entry is not None and entry.value == "after"


def test_two_managers_merge_per_key_and_purges_stick(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    first = ScopedSessionManager(base)
    first.persist("global", "a", "1", "s")
    first.persist("global", "doomed", "x", "s")
    first.flush("global")
    second = ScopedSessionManager(base)
    first.persist("global", "b", "2", "s")
    first.purge("global", "doomed")
    first.flush("global")
    second.persist("global", "c", "3", "s")  # never saw the purge
    second.flush("global")
    path = tmp_path / ".axon-server__global.session.json"
    keys = {e["key"] for e in json.loads(path.read_text())}
    assert keys == {"a", "b", "c"}


def test_kill_nine_mid_flush_never_leaves_a_broken_file(tmp_path: Path) -> None:
    base = str(tmp_path / "axon-server")
    path = tmp_path / ".axon-server__global.session.json"
    for attempt in range(12):
        proc = worker("big", base, "20000")
        assert proc.stdout is not None
        # Kill it during its second flush or later: the first one put a whole file there.
        while proc.stdout.readline().split() != ["flushing", "2"]:
            pass
        time.sleep(0.005 * (attempt % 6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        data = json.loads(path.read_text(encoding="utf-8"))
        assert len(data) == 20000
        rounds = {e["value"].split()[1] for e in data}
        assert len(rounds) == 1  # one whole flush, never a mix
    survivor = ScopedSessionManager(base)
    survivor.persist("global", "after", "ok", "s")
    survivor.flush("global")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert survivor.store_count("global") == 20001
