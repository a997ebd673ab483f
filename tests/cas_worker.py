"""Another process writing one key while this one is about to write it too.

`python -m tests.cas_worker write BASE SCOPE KEY VALUE`: persist KEY and flush, as a
server would; prints the written entry as JSON.
`python -m tests.cas_worker hold BASE SCOPE KEY VALUE`: take SCOPE's lock, print
`locked`, wait for a line on stdin, then write KEY into the file (read, change,
atomic replace) before letting the lock go; prints the written entry as JSON.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time

from axon_scopes.core import ScopedSessionManager
from axon_scopes.core.files.atomic import atomic_write
from axon_scopes.core.files.naming import lock_path_for


def write(base: str, scope: str, key: str, value: str) -> None:
    manager = ScopedSessionManager(base)
    manager.persist(scope, key, value, "other-process")
    manager.flush(scope)
    entry = manager.retrieve(scope, key)
    assert entry is not None
    print(json.dumps([entry.key, entry.value, entry.timestamp, entry.source_step]), flush=True)


def hold(base: str, scope: str, key: str, value: str) -> None:
    path = ScopedSessionManager(base).store_path(scope)
    fd = os.open(lock_path_for(path), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("locked", flush=True)
    sys.stdin.readline()
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    entries = [e for e in entries if e["key"] != key]
    entry = {"key": key, "value": value, "timestamp": int(time.time()), "source_step": "held"}
    entries.append(entry)
    atomic_write(path, json.dumps(entries, indent=2).encode("utf-8"))
    print(json.dumps([key, value, entry["timestamp"], "held"]), flush=True)
    os.close(fd)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"write": write, "hold": hold}[command](*args)
