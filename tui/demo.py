"""The demo store: realistic scopes to explore, written through `core` like a server would."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from axon_scopes.core import ScopedSessionManager

#: Fixed epoch for reproducible demo data (2025-11-23 12:13:20 UTC).
DEMO_EPOCH = 1_763_900_000
DEMO_BASE = "axon-server"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def populate(
    base_path: str | Path, *, now: int = DEMO_EPOCH, seed: int = 7, live_clock: bool = False
) -> ScopedSessionManager:
    """Write the demo scopes under `base_path` and return the manager (memory layers included).

    Timestamps step through the three days before `now`; with `live_clock` the
    manager switches to the real clock afterwards, so later edits get real times.
    """
    rng = random.Random(seed)
    clock_value = [now - 86_400 * 3]
    populated = [False]

    def clock() -> float:
        if populated[0]:
            return time.time()
        clock_value[0] += rng.randint(20, 900)
        return min(clock_value[0], now)

    mgr = ScopedSessionManager(base_path, clock=clock)

    mgr.persist("global", "server.version", "0.9.4", "boot")
    mgr.persist(
        "global",
        "server.config",
        _json({"port": 8420, "workers": 4, "log_level": "info", "flush_interval_s": 5}),
        "boot",
    )
    mgr.persist("global", "tenants", _json(["acme", "globex", "initech"]), "boot")
    motd = "Welcome to the Axon demo server. Bienvenue · ようこそ · 🚀"
    mgr.persist("global", "motd", motd, "boot")
    mgr.remember("global", "uptime_s", "18342", "heartbeat")
    mgr.remember("global", "active_flows", "3", "scheduler")

    mgr.persist("flow:analyze", "input.url", "https://example.com/reports/q3.pdf", "fetch")
    mgr.persist(
        "flow:analyze",
        "result",
        _json(
            {
                "summary": "Revenue up 12% quarter over quarter; churn flat.",
                "confidence": 0.87,
                "entities": ["ACME Corp", "Q3", "EMEA"],
                "metrics": {"revenue": 1_204_332, "churn": 0.031},
            }
        ),
        "summarize",
    )
    mgr.persist("flow:analyze", "status", "complete", "finish")
    long_text = " ".join(
        rng.choice(["alpha", "beta", "gamma", "delta", "token", "vector", "flow", "daemon"])
        for _ in range(220)
    )
    mgr.persist("flow:analyze", "transcript", long_text, "transcribe")
    mgr.remember("flow:analyze", "scratch", "chunk 7/12 embedded", "embed")
    mgr.remember("flow:analyze", "status", "running", "finish")

    mgr.persist("flow:report", "template", "quarterly-v2", "select")
    mgr.persist("flow:report", "recipients", _json(["ops@example.com", "cfo@example.com"]), "plan")
    draft = "Résumé: ventes ↑ 12 %, coûts ↓ 3 %.\nNext: review."
    mgr.persist("flow:report", "draft", draft, "write")
    for i in range(1, 41):
        mgr.persist(
            "flow:ingest",
            f"batch.{i:04d}",
            _json({"rows": rng.randint(500, 5000), "ok": rng.random() > 0.1}),
            "load",
        )
    mgr.persist("flow:ingest", "cursor", "s3://bucket/landing/2025/11/23/part-0040", "load")

    mgr.persist("daemon:worker", "config", "max_retries=3", "init")
    mgr.persist("daemon:worker", "queue.depth", "17", "poll")
    mgr.persist("daemon:worker", "last_error", "TimeoutError: upstream took 30.0s", "poll")
    mgr.remember("daemon:worker", "inflight", _json(["job-881", "job-882"]), "poll")

    mgr.persist("daemon:scheduler", "next_run", "2025-11-23T13:00:00Z", "tick")
    mgr.persist("daemon:scheduler", "cron", "*/15 * * * *", "init")

    mgr.persist("tenant-acme", "plan", "enterprise", "billing")
    mgr.persist("tenant-acme", "quota", _json({"tokens": 5_000_000, "used": 1_234_567}), "billing")
    mgr.persist("tenant-acme", "note", "Markup stays literal here: [bold]not bold[/bold]", "ops")
    mgr.flush_all()
    populated[0] = live_clock
    return mgr


def run_demo(
    *,
    read_only: bool = False,
    theme: str | None = None,
    watch: bool = True,
    writer: bool = True,
    redis: bool = False,
    settings_path: str | os.PathLike[str] | None = None,
) -> int:
    """Create a demo store, start a live writer, open the app on it.

    The store is Axon's files in a temporary directory, or with `redis` a Redis
    server of its own started there (stopped, with its data, when the app quits).
    """
    from axon_scopes.local_redis import LocalRedisError, start_local_redis

    from .app import make_app

    with tempfile.TemporaryDirectory(prefix="axon-scopes-demo-") as tmp:
        server: subprocess.Popen[bytes] | None = None
        if redis:
            try:
                url, server = start_local_redis(Path(tmp))
            except LocalRedisError as exc:
                print(f"axon-scopes demo: {exc}", file=sys.stderr)
                return 1
            base = url
        else:
            base = str(Path(tmp) / DEMO_BASE)
        manager = populate(base, now=int(time.time()), live_clock=True)
        processes = [p for p in (server,) if p is not None]
        if writer:
            processes.insert(
                0,
                subprocess.Popen(
                    [sys.executable, "-m", "axon_scopes.demo_writer", base],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )
        try:
            app = make_app(
                manager,
                read_only=read_only,
                watch=watch,
                theme=theme,
                settings_path=settings_path,
            )
            app.freeze_gc = True
            app.run()
        finally:
            manager.close()
            for process in processes:  # The writer first: it writes to the server.
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
        return app.return_code or 0
