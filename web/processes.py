"""The app processes a server started: found by parent id, ended when the server stops.

textual-serve keeps no list of its app processes we could use, and only asks each
one to quit when its browser connection ends. Every app is started by `exec`, so
each is a direct child of the server: listing the server's children finds them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def children(pid: int | None = None) -> list[int]:
    """The ids of the live (not zombie) direct children of `pid` (default: this process).

    Read from /proc (Linux); elsewhere there is nothing to read and the list is empty.
    """
    parent = os.getpid() if pid is None else pid
    found = []
    try:
        entries = list(PROC.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # Ended while we looked.
        # `pid (comm) state ppid …`: comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(parent) and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def end(pids: list[int], *, grace: float = 3.0) -> list[int]:
    """SIGTERM each (the app quits cleanly), SIGKILL what is left after `grace` seconds.

    Returns the ids that had to be killed.
    """
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = [pid for pid in pids if _alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = [pid for pid in left if _alive(pid)]
    for pid in left:
        _signal(pid, signal.SIGKILL)
    return left


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _alive(pid: int) -> bool:
    """Whether `pid` still runs. An ended child stays a zombie until asyncio's child
    watcher reaps it; reaping it here would leave that watcher without its exit code."""
    return _state(pid) not in {"Z", "X", ""}


def _state(pid: int) -> str:
    try:
        stat = PROC.joinpath(str(pid), "stat").read_text()
    except OSError:
        return ""
    return stat[stat.rfind(")") + 2 :].split()[0]
