"""The benchmark harness keeps working (at a tiny size; its figures are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_core_bench_prints_its_table(tmp_path: Path) -> None:
    out = tmp_path / "table.md"
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
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    table = out.read_text(encoding="utf-8")
    assert table.strip() in result.stdout
    rows = [line for line in table.splitlines() if line.startswith("| ") and "200" in line]
    assert [r.split("|")[1].strip() for r in rows] == [
        "decode + validate",
        "open a scope (read, decode, index)",
        "persist + flush one key",
    ]
