"""An AxonServer's HTTP API against files, in the same run: the same scope, measured alike.

The server is `axon-scopes serve` over a file base (loopback, its own process); the
app attaches to it with `axon-scopes http://…`, in a real terminal like every other
contender. Files are the same scope opened directly.

- first frame with rows (10k entries: both layers come over the wire, as JSON);
- a write → shown in another attached app: the writer posts `persist` to the server,
  the figure runs from its answer to the value on screen. Over HTTP a change is
  found by polling, so the figure is about the poll interval (stated in the row),
  not the time to move the data. The files row is a flush by another process.
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from axon_scopes.core import ScopedSessionManager

from .app_bench import MARK, ROOT, TARGET_KEY, load_entries, scope_file, shows_rows
from .redis_bench import Pair
from .term import Terminal

Log = Callable[[str], None]
SIZE = 10_000
#: How often the attached app polls the server here, in seconds.
POLL_S = 0.25
LISTENING = re.compile(r"on (http://\S+)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(size: int) -> Iterator[tuple[str, Path]]:
    """The generated scope in a file base, and `axon-scopes serve` over it: (url, base)."""
    entries = load_entries(scope_file(size))
    entries.insert(len(entries) // 2, {"key": TARGET_KEY, "value": MARK.format(0),
                                        "timestamp": 1, "source_step": "bench"})  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="axon-bench-http-") as tmp:
        base = Path(tmp) / "axon-server"
        manager = ScopedSessionManager(base)
        store = manager.store("global")
        for e in entries:
            store.persist(str(e["key"]), str(e["value"]), str(e["source_step"]))
        manager.flush("global")
        manager.close()
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "axon_scopes", "serve", tmp, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stderr is not None
            line = server.stderr.readline()
            found = LISTENING.search(line)
            if found is None:
                raise RuntimeError(f"axon-scopes serve did not start: {line.strip()}")
            yield found.group(1), base
        finally:
            server.terminate()
            server.wait(timeout=10)


def _app(target: str) -> list[str]:
    command = [sys.executable, "-m", "axon_scopes", target]
    if target.startswith("http"):
        command += ["--poll", str(POLL_S)]
    return command


def _persist(url: str, value: str) -> None:
    body = json.dumps({"scope": "global", "key": TARGET_KEY, "value": value}).encode()
    request = urllib.request.Request(
        f"{url}/v1/session/persist", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def bench_shown(target: str, write: Callable[[str], None], samples: int) -> list[float]:
    """A write by someone else → the new value on screen, `samples` times."""
    out: list[float] = []
    with Terminal(_app(target), cwd=ROOT) as term:
        term.wait_for(shows_rows, 120)
        term.wait_idle()
        for n in range(1, samples + 1):
            marker = MARK.format(n)
            write(marker)
            written = time.perf_counter()
            shown = term.wait_for(lambda lines, m=marker: any(m in x for x in lines), 30)
            out.append(shown - written)
            term.settle(0.15)
    return out


def bench_first_frame(target: str) -> float:
    with Terminal(_app(target), cwd=ROOT) as term:
        shown = term.wait_for(shows_rows, 120)
        term.settle(quiet=0.3, timeout=60)
        return shown - term.start


def run(runs: int, log: Log = print, size: int = SIZE) -> str:
    """The AxonServer table for the README."""
    with served(size) as (url, base):
        frames: dict[str, list[float]] = {"http": [], "files": []}
        for _ in range(max(1, runs)):
            for name, target in (("http", url), ("files", str(base))):
                frames[name].append(bench_first_frame(target))
        log(f"  http first frame {size:>7,}  {statistics.median(frames['http']) * 1000:.0f} ms")
        writer = ScopedSessionManager(base)

        def flush(value: str) -> None:
            writer.persist("global", TARGET_KEY, value, "bench")
            writer.flush("global")

        samples = max(runs * 2, 6)
        shown_h = bench_shown(url, lambda value: _persist(url, value), samples)
        shown_f = bench_shown(str(base), flush, samples)
        writer.close()
        log(f"  http shown       {size:>7,}  {statistics.median(shown_h) * 1000:.0f} ms")
    shown_name = f"a write → shown in another app (polling every {POLL_S:g} s)"
    pairs = [
        Pair("first frame with rows", size, frames["http"], frames["files"], paired=True),
        Pair(shown_name, size, shown_h, shown_f),
    ]
    head = (
        "| measure | entries | AxonServer API (loopback) | files | HTTP ÷ files | goal |\n"
        "|---|---:|---:|---:|---:|---|"
    )
    return "\n".join([head, *(p.row() for p in pairs)]) + (
        "\n\nMedian (min–max); first frames alternate, HTTP then files, and their ratio is "
        "the median of the pairs' ratios. The server is `axon-scopes serve` over the same "
        "file base, in its own process; the app attaches with `axon-scopes http://…`."
    )
