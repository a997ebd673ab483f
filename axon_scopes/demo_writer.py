"""The demo's background writer: another process changing the store while you watch.

Some scopes are flushed atomically through `core`; for files, `daemon:scheduler` is
written in place, in small chunks, the way AxonServer writes (truncate, then write),
so the app has to cope with half-written files; a scope appears now and then and
another one disappears.

Run as `python -m axon_scopes.demo_writer BASE` (a base path or a `redis://` URL); it
stops on SIGTERM, or by itself when its parent process goes away.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

from axon_scopes.core import Change, MemoryEntry, ScopedSessionManager, ScopeError
from axon_scopes.core.files.codec import DecodeFailure, decode_entries, encode_entries

TICK_S = 0.8


def write_in_place(path: Path, entries: list[MemoryEntry], chunk: int = 96) -> None:
    """Axon's flush: truncate the live file, then write it, with pauses between chunks."""
    data = encode_entries(sorted(entries, key=lambda e: e.key))
    with open(path, "wb") as handle:
        for start in range(0, len(data), chunk):
            handle.write(data[start : start + chunk])
            handle.flush()
            time.sleep(0.002)


def on_disk(path: Path) -> list[MemoryEntry]:
    """What the file holds now; nothing when it is missing or caught mid-write."""
    try:
        return decode_entries(path.read_bytes())
    except (OSError, DecodeFailure):
        return []


class DemoWriter:
    def __init__(self, base: str, seed: int = 11) -> None:
        self.base = base
        self.rng = random.Random(seed)
        self.mgr = ScopedSessionManager(base, publish_memory=True)
        #: Axon's files (written in place, deleted) rather than a server.
        self.files = "://" not in base
        self.tick = 0
        self.bursts: list[str] = []

    def step(self) -> None:
        self.tick += 1
        rng, mgr, now = self.rng, self.mgr, int(time.time())
        mgr.persist("flow:analyze", "progress", f"{min(100, self.tick * 3 % 101)}%", "embed")
        if self.tick % 3 == 0:
            mgr.persist(
                "flow:analyze",
                f"chunk.{self.tick:04d}",
                json.dumps({"tokens": rng.randint(200, 900), "score": round(rng.random(), 3)}),
                "embed",
            )
        mgr.persist("daemon:worker", "queue.depth", str(rng.randint(0, 40)), "poll")
        mgr.persist("daemon:worker", "heartbeat", time.strftime("%H:%M:%S"), "poll")
        mgr.remember(
            "daemon:worker",
            "inflight",
            json.dumps([f"job-{self.tick + i}" for i in range(3)]),
            "poll",
        )
        if self.tick % 5 == 0:
            mgr.persist(
                "flow:ingest",
                f"batch.{40 + self.tick // 5:04d}",
                json.dumps({"rows": rng.randint(500, 5000), "ok": True}),
                "load",
            )
        for scope, error in mgr.flush_all():
            if error is not None:
                print(f"demo writer: {scope}: {error}", file=sys.stderr)

        # The in-place writer, as AxonServer flushes. It re-stamps only what it changes,
        # so an operator's edit of another key (`cron`) stays, and an edit of its own
        # keys is overwritten on the next tick, as a running server would do.
        stamped = {
            "next_run": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 900)),
            "ticks": str(self.tick),
        }
        if self.files:
            path = mgr.store_path("daemon:scheduler")
            entries = {e.key: e for e in on_disk(path)}
            entries.setdefault("cron", MemoryEntry("cron", "*/15 * * * *", now, "init"))
            for key, value in stamped.items():
                entries[key] = MemoryEntry(key, value, now, "tick")
            write_in_place(path, list(entries.values()))
        else:
            if self.tick == 1 and mgr.retrieve("daemon:scheduler", "cron") is None:
                mgr.persist("daemon:scheduler", "cron", "*/15 * * * *", "init")
            for key, value in stamped.items():
                mgr.persist("daemon:scheduler", key, value, "tick")
            mgr.flush("daemon:scheduler")

        # A scope appears now and then; the oldest burst goes away again.
        if self.tick % 12 == 0:
            scope = f"flow:burst-{self.tick // 12}"
            mgr.persist(scope, "started", time.strftime("%H:%M:%S"), "spawn")
            mgr.flush(scope)
            self.bursts.append(scope)
        if len(self.bursts) > 2:
            gone = self.bursts.pop(0)
            if self.files:
                mgr.store_path(gone).unlink(missing_ok=True)
                mgr.forget_scope(gone)
            else:
                mgr.commit(gone, [Change(e.key, e, None) for e in mgr.store(gone).store_entries()])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m axon_scopes.demo_writer BASE", file=sys.stderr)
        return 2
    parent = os.getppid()
    running = True

    def stop(_signum: int, _frame: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    writer = DemoWriter(args[0])
    while running and os.getppid() == parent:
        try:
            writer.step()
        except (OSError, ScopeError) as exc:
            print(f"demo writer: {exc}", file=sys.stderr)
        time.sleep(TICK_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
