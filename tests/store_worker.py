"""Writer and reader processes for the multi-process store tests.

`python -m tests.store_worker write BASE PREFIX COUNT`: persist + flush COUNT keys.
`python -m tests.store_worker read PATH STOPFILE`: parse PATH in a loop until STOPFILE
exists; print `reads bad` (bad = reads that were not a whole, valid store file).
`python -m tests.store_worker big BASE N`: persist N entries and flush forever.
`python -m tests.store_worker atomic BASE SCOPE COUNT GAP`: COUNT atomic flushes.
`python -m tests.store_worker inplace PATH COUNT GAP`: COUNT Axon-style in-place writes.
"""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path

from axon_scopes.core import FlushError, ScopedSessionManager


def write(base: str, prefix: str, count: int) -> None:
    """A flush that times out on the lock keeps its changes: a writer retries, as a server would."""
    mgr = ScopedSessionManager(base)
    for i in range(count):
        mgr.persist("flow:shared", f"{prefix}.{i:04d}", f"value {prefix} {i}", prefix)
        while True:
            try:
                mgr.flush("flow:shared")
                break
            except FlushError as exc:
                if exc.errno != errno.ETIMEDOUT:
                    raise
                print(f"{prefix}: {exc}", file=sys.stderr, flush=True)


def read(path: Path, stop: Path) -> None:
    reads = bad = 0
    while not stop.exists():
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue
        reads += 1
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, list):
                bad += 1
        except ValueError:
            bad += 1
    print(reads, bad)


def big(base: str, n: int) -> None:
    mgr = ScopedSessionManager(base)
    round_ = 0
    while True:
        round_ += 1
        for i in range(n):
            mgr.persist("global", f"k{i:06d}", f"round {round_} " + "x" * 60, "s")
        print("flushing", round_, flush=True)
        mgr.flush("global")


def atomic_burst(base: str, scope: str, count: int, gap: float) -> None:
    """COUNT atomic flushes through core, each adding one key."""
    import time

    mgr = ScopedSessionManager(base)
    for i in range(count):
        mgr.persist(scope, f"live.{i:04d}", f"value {i}", "burst")
        mgr.flush(scope)
        time.sleep(gap)


def inplace_burst(path: str, count: int, gap: float) -> None:
    """COUNT Axon-style flushes: truncate the live file, then write it in small chunks."""
    import time

    from axon_scopes.core import MemoryEntry
    from axon_scopes.core.files.codec import encode_entries

    entries = [MemoryEntry("base", "always here", 1, "seed")]
    for i in range(count):
        entries.append(MemoryEntry(f"live.{i:04d}", f"value {i}", 1, "inplace"))
        data = encode_entries(entries)
        with open(path, "wb") as handle:
            for start in range(0, len(data), 64):
                handle.write(data[start : start + 64])
                handle.flush()
                time.sleep(0.001)
        time.sleep(gap)


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    if verb == "write":
        write(args[0], args[1], int(args[2]))
    elif verb == "read":
        read(Path(args[0]), Path(args[1]))
    elif verb == "big":
        big(args[0], int(args[1]))
    elif verb == "atomic":
        atomic_burst(args[0], args[1], int(args[2]), float(args[3]))
    elif verb == "inplace":
        inplace_burst(args[0], int(args[1]), float(args[2]))
