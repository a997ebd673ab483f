"""Core benchmark: load a scope file, and persist + flush one key, against stdlib json.

Both contenders run in the same process and are interleaved run by run, so the
machine's noise hits them alike. Figures are medians with the spread (min–max).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from axon_scopes.core import MemoryEntry, ScopedSessionManager, SessionStore
from axon_scopes.core.files.codec import decode_entries

from .data import write_scope


@dataclass(frozen=True)
class Measure:
    name: str
    size: int
    ours: list[float]
    baseline: list[float]

    @staticmethod
    def fmt(samples: list[float]) -> str:
        med = statistics.median(samples) * 1000
        return f"{med:.1f} ms ({min(samples) * 1000:.1f}–{max(samples) * 1000:.1f})"

    @property
    def ratio(self) -> float:
        return statistics.median(self.baseline) / statistics.median(self.ours)

    def row(self) -> str:
        return (
            f"| {self.name} | {self.size:,} | {self.fmt(self.ours)} | {self.fmt(self.baseline)}"
            f" | {self.ratio:.1f}× |"
        )


def json_decode(raw: bytes) -> list[MemoryEntry]:
    """The stdlib way, with the same strictness: four fields, right types."""
    data = json.loads(raw)
    if not isinstance(data, list):
        raise ValueError("not an array")
    out: list[MemoryEntry] = []
    for item in data:
        key, value, ts, step = item["key"], item["value"], item["timestamp"], item["source_step"]
        if not (isinstance(key, str) and isinstance(value, str) and isinstance(step, str)):
            raise ValueError("wrong type")
        if type(ts) is not int or ts < 0:
            raise ValueError("bad timestamp")
        out.append(MemoryEntry(key, value, ts, step))
    return out


def json_load(path: Path) -> dict[str, MemoryEntry]:
    return {e.key: e for e in json_decode(path.read_bytes())}


def json_flush(path: Path, entries: dict[str, MemoryEntry]) -> None:
    """Axon's flush done with stdlib json: dump everything pretty, write in place."""
    data = [
        {"key": e.key, "value": e.value, "timestamp": e.timestamp, "source_step": e.source_step}
        for e in entries.values()
    ]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2, ensure_ascii=False))


def timed(fn: Callable[[], object]) -> float:
    """Seconds `fn` took; its result is freed after the clock stops, not inside it."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def bench_size(size: int, runs: int) -> list[Measure]:
    with tempfile.TemporaryDirectory(prefix="axon-bench-") as tmp:
        directory = Path(tmp)
        path = write_scope(directory, size)
        base = str(directory / "axon-server")
        raw = path.read_bytes()
        decode_ours: list[float] = []
        decode_json: list[float] = []
        load_ours: list[float] = []
        load_json: list[float] = []
        flush_ours: list[float] = []
        flush_json: list[float] = []
        json_copy = directory / "json-baseline.json"
        json_copy.write_bytes(path.read_bytes())
        mgr = ScopedSessionManager(base)
        baseline = json_load(json_copy)
        for run in range(runs):
            decode_ours.append(timed(lambda: decode_entries(raw)))
            decode_json.append(timed(lambda: json_decode(raw)))
            load_ours.append(timed(lambda: SessionStore(base + "__global")))
            load_json.append(timed(lambda: json_load(json_copy)))

            def ours_flush(run: int = run) -> None:
                mgr.persist("global", f"bench.{run}", "one more value", "bench")
                mgr.flush("global")

            def json_baseline(run: int = run) -> None:
                baseline[f"bench.{run}"] = MemoryEntry(
                    f"bench.{run}", "one more value", int(time.time()), "bench"
                )
                json_flush(json_copy, baseline)

            flush_ours.append(timed(ours_flush))
            flush_json.append(timed(json_baseline))
        return [
            Measure("decode + validate", size, decode_ours, decode_json),
            Measure("open a scope (read, decode, index)", size, load_ours, load_json),
            Measure("persist + flush one key", size, flush_ours, flush_json),
        ]


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import platform

    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run(sizes: list[int], runs: int) -> str:
    lines = [
        "| measure | entries | axon-scopes core | stdlib json baseline | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for size in sizes:
        lines.extend(m.row() for m in bench_size(size, runs))
    lines.append("")
    lines.append(
        f"Median of {runs} runs (min–max); ratio = baseline ÷ ours, higher is better. "
        "The baseline writes in place without fsync, as Axon does; "
        "ours writes a temp file, fsyncs, renames and fsyncs the directory."
    )
    return "\n".join(lines)
