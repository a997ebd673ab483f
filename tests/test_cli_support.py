"""The installed `axon-scopes` command run against real files: helpers for the test_cli files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: The console script pip installed into this environment, next to its interpreter.
AXON = str(Path(sys.executable).with_name("axon-scopes"))


def run(
    *args: object, cwd: Path | None = None, stdin: str | bytes | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run `axon-scopes ARGS` and capture its output (text; see `run_bytes` for bytes)."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    result = subprocess.run(
        [AXON, *map(str, args)], cwd=cwd, input=data, capture_output=True, timeout=timeout
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8"),
        result.stderr.decode("utf-8"),
    )


def run_bytes(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([AXON, *map(str, args)], cwd=cwd, capture_output=True, timeout=30)


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A shell pipeline with `axon-scopes` meaning the installed command."""
    env = {**os.environ, "PATH": f"{Path(AXON).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def stored(directory: Path, scope: str, base: str = "axon-server") -> dict[str, dict]:
    """What a scope's file holds, by key, read as Axon would."""
    path = directory / f".{base}__{scope.replace(':', '_')}.session.json"
    return {e["key"]: e for e in json.loads(path.read_text(encoding="utf-8"))}


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The error a failed command printed: exactly one line, no traceback."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("axon-scopes: ")
    return lines[0]
