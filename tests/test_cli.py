"""The command line: help that explains PATH, and clear errors for bad options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "axon_scopes", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_help_explains_path_with_examples() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for text in ("axon-scopes srv/axon-server", "--read-only", "--no-watch", "--theme", "demo"):
        assert text in result.stdout


def test_unknown_theme_is_a_clear_error() -> None:
    result = cli("--theme", "no-such-theme")
    assert result.returncode == 2
    assert "unknown theme 'no-such-theme'" in result.stderr and "textual-light" in result.stderr
    assert "Traceback" not in result.stderr
