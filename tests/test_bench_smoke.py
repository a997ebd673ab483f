"""The benchmark harness keeps working (at a tiny size; its figures are not checked)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_every_measure_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "200",
            "--runs",
            "1",
            "--markdown-out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = out.read_text(encoding="utf-8")
    assert report.strip() in result.stdout
    rows = {
        cells[0]: cells[2]
        for line in report.splitlines()
        if line.startswith("| ") and "| 200 |" in line
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert list(rows) == [
        "first frame with rows, terminal",
        "first frame with rows, headless (VisiData: `vd -b`)",
        "peak RSS at first frame",
        "external flush → shown (atomic writer)",
        "external flush → shown (in place writer)",
        "cursor key (↓)",
        "filter keystroke (type and erase)",
        "peak RSS after browsing and filtering",
        "idle CPU while watching",
        "decode + validate",
        "open a scope (read, decode, index)",
        "persist + flush one key",  # The core's, then Redis against files.
        "another process's write → shown",
        "first frame with rows",  # An AxonServer's API (a real `serve`) against files.
        "a write → shown in another app (polling every 0.25 s)",
    ]
    # Our own column always holds a measurement, never a skip or a failure note.
    for measure, ours in rows.items():
        assert re.match(r"^\d[\d,.]* (ms|s|MB|%)", ours), (measure, ours)
    assert "cursor kept" in rows["external flush → shown (atomic writer)"]
