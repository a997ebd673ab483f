"""Many real processes on one scope: nothing lost, nothing resurrected, no half-applied flush."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

import pytest

from axon_scopes.core import ScopedSessionManager, WriteConflictError
from axon_scopes.core.redis.layout import ScopeKeys
from tests.redis_servers import RedisServer


def writer(url: str, me: str, ops: int, go: Event, results: Queue[tuple[str, int]]) -> None:
    """One writer process: `ops` operations on its own keys and on a shared counter.

    Op j (j % 4): 0 persist k<j> + flush; 1 compare_and_set k<j-1>; 2 purge k<j-2> + flush
    when j % 8 == 2 (else persist + flush again); 3 add one to `counter` by compare_and_set
    when j % 20 == 3, else re-read the scope.
    """
    m = ScopedSessionManager(url, discover=False)
    go.wait(timeout=60)  # All at once, for as much contention as the machine allows.
    conflicts = 0
    for j in range(ops):
        kind = j % 4
        if kind == 0:
            m.persist("global", f"{me}:k{j}", "v", me)
            m.flush("global")
        elif kind == 1:
            key = f"{me}:k{j - 1}"
            m.compare_and_set("global", key, m.retrieve("global", key), "cas", me)
        elif kind == 2:
            key = f"{me}:k{j - 2}"
            if j % 8 == 2:
                assert m.purge("global", key)
            else:
                m.persist("global", key, "again", me)
            m.flush("global")
        elif j % 20 != 3:
            m.refresh("global")
        else:
            while True:
                seen = m.retrieve("global", "counter")
                value = str(int(seen.value) + 1 if seen else 1)
                try:
                    m.compare_and_set("global", "counter", seen, value, me)
                    break
                except WriteConflictError:
                    conflicts += 1
    results.put((me, conflicts))


def expected_keys(me: str, ops: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for j in range(0, ops, 4):
        if j + 2 < ops and (j + 2) % 8 == 2:
            continue  # purged
        out[f"{me}:k{j}"] = "again" if j + 2 < ops else ("cas" if j + 1 < ops else "v")
    return out


def check_writers(url: str, writers: int, ops: int) -> None:
    """Run the writers as forked processes (each its own interpreter state and connection;
    forked so that fifty of them do not each spend half a second importing)."""
    context = multiprocessing.get_context("fork")
    results: Queue[tuple[str, int]] = context.Queue()
    go = context.Event()
    procs = [
        context.Process(target=writer, args=(url, f"w{i}", ops, go, results))
        for i in range(writers)
    ]
    try:
        for proc in procs:
            proc.start()
        go.set()
        conflicts = sum(results.get(timeout=300)[1] for _ in procs)
        for proc in procs:
            proc.join(timeout=30)
            assert proc.exitcode == 0
    finally:
        for proc in procs:  # A failed run leaves no writer behind to touch the next test.
            if proc.is_alive():
                proc.kill()
                proc.join()
    print(f"{conflicts} conflicts retried")
    stored = {e.key: e.value for e in ScopedSessionManager(url).store("global").store_entries()}
    want: dict[str, str] = {"counter": str(writers * len(range(3, ops, 20)))}
    for i in range(writers):
        want.update(expected_keys(f"w{i}", ops))
    lost = sorted(set(want) - set(stored))
    resurrected = sorted(set(stored) - set(want))
    wrong = sorted(k for k in want if k in stored and stored[k] != want[k])
    assert (lost, resurrected, wrong) == ([], [], [])


def test_fifty_processes_of_200_operations_lose_and_resurrect_nothing(redis_url: str) -> None:
    check_writers(redis_url, writers=50, ops=200)


@pytest.mark.stress
def test_a_hundred_processes_of_400_operations_lose_and_resurrect_nothing(redis_url: str) -> None:
    check_writers(redis_url, writers=100, ops=400)


#: A writer that flushes batches of 300 keys, every key of a batch holding the batch's number.
BATCHER = r"""
import sys
from axon_scopes.core import ScopedSessionManager, WriteConflictError
url, me = sys.argv[1], sys.argv[2]
m = ScopedSessionManager(url, discover=False)
print("ready", flush=True)
batch = 0
while True:
    batch += 1
    for n in range(300):
        m.persist("global", f"{me}:{n}", f"batch {batch} " + "x" * 2000, me)
    m.flush("global")
"""


def commits(version: bytes | None) -> int:
    """The commit count of a stored version (`<commits>:<incarnation>`)."""
    return int(version.split(b":")[0]) if version else 0


def test_writers_killed_mid_flush_leave_no_half_applied_flush(own_redis: RedisServer) -> None:
    url = own_redis.url
    procs = [
        subprocess.Popen([sys.executable, "-c", BATCHER, url, f"w{i}"], stdout=subprocess.PIPE)
        for i in range(6)
    ]
    rng = random.Random(7)
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        deadline = time.monotonic() + 20
        client = own_redis.client()
        version = ScopeKeys("axon-server", "global").version
        while commits(client.get(version)) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        for proc in procs:
            time.sleep(rng.uniform(0.0, 0.08))
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    entries = ScopedSessionManager(url).store("global").store_entries()
    by_writer: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for entry in entries:
        me = entry.key.split(":")[0]
        by_writer.setdefault(me, set()).add(entry.value.split(" x")[0].split(" ")[1])
        counts[me] = counts.get(me, 0) + 1
    assert commits(own_redis.client().get(version)) >= 30
    for me, batches in by_writer.items():
        assert len(batches) == 1, f"{me} holds keys of batches {sorted(batches)}"
        assert counts[me] == 300
