"""The command line against `jq`: one key's value from a 100k-entry scope, in the same run.

Both read the same store file from scratch in a new process, as a script would:
`axon-scopes get DIR/axon-server global KEY` and `jq -r --arg k KEY '.[] | select(.key
== $k) | .value' FILE`. Runs are interleaved so the machine's noise hits both alike.
Two more rows say what bounds ours: the interpreter starting, and it starting and
importing the command line (click and the core), with nothing read.
"""

from __future__ import annotations

import compileall
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .data import write_scope

ROOT = Path(__file__).resolve().parent.parent
#: The size the goal names.
SIZE = 100_000
#: Ours ÷ jq's time must be at most this.
GOAL = 0.4
AXON = Path(sys.executable).with_name("axon-scopes")
JQ_PROGRAM = ".[] | select(.key == $k) | .value"


def byte_compile() -> None:
    """Compile our modules as pip compiles an installed package's (see `app_bench`)."""
    for package in ("axon_scopes", "core", "cli"):
        compileall.compile_dir(ROOT / package, quiet=1)


def timed(command: list[str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - started, result.stdout


def fmt(samples: list[float]) -> str:
    median = statistics.median(samples) * 1000
    return f"{median:,.0f} ms ({min(samples) * 1000:,.0f}–{max(samples) * 1000:,.0f})"


def run(runs: int = 5, size: int = SIZE) -> str:
    """The "Command line" table (markdown)."""
    byte_compile()
    jq = shutil.which("jq")
    with tempfile.TemporaryDirectory(prefix="axon-cli-bench-") as tmp:
        directory = Path(tmp)
        path = write_scope(directory, size)
        import json

        entries = json.loads(path.read_text(encoding="utf-8"))
        key = entries[len(entries) // 2]["key"]
        value = entries[len(entries) // 2]["value"]
        ours = [str(AXON), "get", str(directory / "axon-server"), "global", key]
        theirs = [jq, "-r", "--arg", "k", key, JQ_PROGRAM, str(path)] if jq else None
        floor = [sys.executable, "-c", "pass"]
        imports = [sys.executable, "-c", "import axon_scopes.cli.main, axon_scopes.core"]
        samples: dict[str, list[float]] = {"ours": [], "jq": [], "floor": [], "imports": []}
        for command in (ours, theirs, imports):  # Warm the page cache and the bytecode.
            if command:
                timed(command)
        for _ in range(runs):
            elapsed, out = timed(ours)
            assert out.decode("utf-8") == value, "axon-scopes get printed something else"
            samples["ours"].append(elapsed)
            if theirs:
                elapsed, out = timed(theirs)
                assert out.decode("utf-8").rstrip("\n") == value, "jq printed something else"
                samples["jq"].append(elapsed)
            samples["floor"].append(timed(floor)[0])
            samples["imports"].append(timed(imports)[0])
    rows = [
        "| measure | entries | axon-scopes | jq | ours ÷ jq | goal |",
        "|---|---:|---:|---:|---:|---|",
    ]
    if samples["jq"]:
        ratio = statistics.median(samples["ours"]) / statistics.median(samples["jq"])
        mark = "✓" if ratio <= GOAL else "✗"
        jq_cell, ratio_cell, goal = fmt(samples["jq"]), f"{ratio:.2f}×", f"≤ {GOAL}× {mark}"
    else:
        jq_cell, ratio_cell, goal = "jq not installed (skipped)", "", f"≤ {GOAL}×"
    rows.append(
        f"| `get` one key | {size:,} | {fmt(samples['ours'])} | {jq_cell} | {ratio_cell} | {goal} |"
    )
    rows.append(f"| of which: interpreter start-up | — | {fmt(samples['floor'])} | | | |")
    rows.append(
        f"| of which: start-up + imports (click, core) | — | {fmt(samples['imports'])} | | | |"
    )
    fastest = ""
    if samples["jq"]:
        best = min(samples["ours"]) / min(samples["jq"])
        ours_ms, jq_ms = min(samples["ours"]) * 1000, min(samples["jq"]) * 1000
        fastest = (
            f" Fastest runs, which a busy machine disturbs least: {ours_ms:,.0f} ms against"
            f" {jq_ms:,.0f} ms ({best:.2f}×)."
        )
    version = ""
    if jq:
        version = subprocess.run([jq, "--version"], capture_output=True, text=True).stdout
    return (
        "\n".join(rows)
        + f"\n\nMedian of {runs} interleaved runs (min–max), each a new process reading the "
        f"file from the page cache.{fastest} jq: {version.strip() or 'not installed'}."
    )


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
