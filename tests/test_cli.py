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


def test_a_command_name_is_a_command_and_anything_else_the_app_source() -> None:
    from axon_scopes.cli.main import cli

    route = cli.route  # type: ignore[attr-defined]
    assert route([]) == ["open"]
    assert route(["srv/"]) == ["open", "srv/"]
    assert route(["--read-only", "srv/"]) == ["open", "--read-only", "srv/"]
    assert route(["--theme", "ls", "srv/"]) == ["open", "--theme", "ls", "srv/"]
    assert route(["ls", "srv/"]) == ["ls", "srv/"]
    assert route(["--read-only", "demo"]) == ["demo", "--read-only"]
    assert route(["--", "ls"]) == ["open", "--", "ls"]
    assert route(["--help"]) == ["--help"] and route(["--version"]) == ["--version"]


def test_version_and_the_app_commands_help() -> None:
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("axon-scopes ")
    opened = cli("open", "--help")
    assert opened.returncode == 0
    for option in ("--read-only", "--theme", "--no-watch", "--max-file-size"):
        assert option in opened.stdout
