"""Scope files of a given size, generated with a fixed seed and written as Axon writes them."""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "token",
    "vector",
    "flow",
    "daemon",
    "query",
    "cache",
    "batch",
    "score",
    "model",
    "prompt",
    "result",
    "embed",
    "chunk",
    "index",
    "stream",
    "shard",
]
T0 = 1_763_900_000


def entries(count: int, seed: int = 1234) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        key = f"{rng.choice(WORDS)}.{rng.choice(WORDS)}.{i:07d}"
        size = rng.randint(40, 100)
        value = " ".join(rng.choice(WORDS) for _ in range(size // 4))[:size].ljust(size, "x")
        out.append(
            {"key": key, "value": value, "timestamp": T0 + i, "source_step": rng.choice(WORDS)}
        )
    rng.shuffle(out)  # Axon writes in hash-map order
    return out


def write_scope(
    directory: Path, count: int, base: str = "axon-server", scope: str = "global"
) -> Path:
    """Write `.<base>__<scope>.session.json` pretty-printed like Axon (no trailing newline)."""
    path = directory / f".{base}__{scope.replace(':', '_')}.session.json"
    path.write_text(json.dumps(entries(count), indent=2, ensure_ascii=False), encoding="utf-8")
    return path
