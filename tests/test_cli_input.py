"""Bad input: one line on stderr, the documented exit code, nothing written or created."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from axon_scopes.core import ScopedSessionManager, SourceUnavailableError, open_source
from axon_scopes.core.files.source import FileSource
from tests.test_cli_support import AXON, one_line_error, run, stored

USAGE, NOT_FOUND, UNREACHABLE = 2, 3, 6


@pytest.fixture
def srv(tmp_path: Path) -> Path:
    directory = tmp_path / "srv"
    directory.mkdir()
    ScopedSessionManager(str(directory / "axon-server")).put("global", "k", "v", "s")
    return directory


# ── the source, as open_source reads it ─────────────────────────────────────


def test_open_source_reads_what_users_type(srv: Path, tmp_path: Path) -> None:
    session_file = srv / ".axon-server__global.session.json"
    source = open_source(str(session_file))
    assert isinstance(source, FileSource)
    assert source.base_names == ["axon-server"] and source.scope_given == "global"
    assert source.directory == srv
    sidecar = open_source(str(srv / ".axon-server__flow_a.memory.json"))
    assert sidecar.base_names == ["axon-server"]  # type: ignore[attr-defined]
    trailing = open_source(f"{srv}/")
    assert trailing.directory_mode and trailing.base_names is None  # type: ignore[attr-defined]
    (tmp_path / "plain").write_text("x")
    cases = {
        str(tmp_path / "missing" / "axon-server"): "no such directory",
        f"{tmp_path / 'missing'}/": "no such directory",
        str(tmp_path / "plain" / "axon-server"): "is not a directory",
        str(tmp_path / "plain" / "deeper" / "axon-server"): "is a file, not a directory",
    }
    for target, reason in cases.items():
        with pytest.raises(SourceUnavailableError, match=reason):
            open_source(target)
    assert not (tmp_path / "missing").exists()


# ── the command line ────────────────────────────────────────────────────────


def test_a_path_through_a_file_is_unreachable(srv: Path) -> None:
    (srv / "notes.txt").write_text("x")
    result = run("set", srv / "notes.txt" / "axon-server", "global", "k", "v")
    assert result.returncode == UNREACHABLE
    assert "notes.txt is not a directory" in one_line_error(result)


def test_a_missing_directory_is_refused_and_never_created(tmp_path: Path) -> None:
    for target in (tmp_path / "nowhere" / "axon-server", f"{tmp_path / 'nowhere'}/"):
        result = run("set", target, "global", "k", "v")
        assert result.returncode == UNREACHABLE
        assert "no such directory" in one_line_error(result)
    assert not (tmp_path / "nowhere").exists()


def test_a_session_file_opens_the_base_it_belongs_to(srv: Path) -> None:
    session_file = srv / ".axon-server__global.session.json"
    assert run("get", session_file, "global", "k").stdout == "v"
    assert run("set", session_file, "flow:x", "a", "b").returncode == 0
    assert stored(srv, "flow_x")["a"]["value"] == "b"
    assert sorted(p.name for p in srv.iterdir() if p.name.endswith(".json")) == [
        ".axon-server__flow_x.session.json",
        ".axon-server__global.session.json",
    ]


def test_a_trailing_slash_names_the_directory(srv: Path) -> None:
    listed = json.loads(run("ls", f"{srv}/", "--json").stdout)
    assert [(s["base"], s["scope"]) for s in listed] == [("axon-server", "global")]
    assert run("set", f"{srv}/", "global", "k2", "v2").returncode == 0
    assert stored(srv, "global")["k2"]["value"] == "v2"


def test_a_directory_of_several_bases_asks_for_one(srv: Path, tmp_path: Path) -> None:
    ScopedSessionManager(str(srv / "other")).put("global", "x", "y", "s")
    result = run("get", srv, "global", "k")
    assert result.returncode == USAGE and "several bases" in one_line_error(result)
    empty = tmp_path / "empty"
    empty.mkdir()
    none = run("get", empty, "global", "k")
    assert none.returncode == NOT_FOUND and "no stores" in one_line_error(none)


def test_invalid_scope_names_are_refused(srv: Path) -> None:
    for scope in ("../etc", "flow:..", "x\x1b[31m"):
        result = run("set", srv / "axon-server", scope, "k", "v")
        assert result.returncode == USAGE, scope
        assert "invalid scope name" in one_line_error(result)
    assert sorted(p.name for p in srv.iterdir() if p.suffix == ".json") == [
        ".axon-server__global.session.json"
    ]


def test_a_value_over_the_limit_is_refused(srv: Path) -> None:
    result = run("set", srv / "axon-server", "global", "big", "-", stdin="x" * (5 << 20))
    assert result.returncode == USAGE and "over the limit" in one_line_error(result)
    assert "big" not in stored(srv, "global")


def test_bad_usage_is_exit_2_without_a_traceback(srv: Path) -> None:
    result = run("get", srv / "axon-server")
    assert result.returncode == USAGE and "Traceback" not in result.stderr
    assert run("export", srv, "global", "--format", "xml").returncode == USAGE


def test_the_app_path_refuses_a_missing_directory_before_starting(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere" / "axon-server")
    assert result.returncode == UNREACHABLE and "no such directory" in one_line_error(result)
    opened = run("open", "--read-only", f"{tmp_path / 'gone'}/")
    assert opened.returncode == UNREACHABLE


def test_the_command_line_never_imports_textual(srv: Path) -> None:
    program = (
        "import sys\n"
        "from axon_scopes.cli.main import main\n"
        f"for args in (['ls', {str(srv)!r}], ['get', {str(srv)!r}, 'global', 'k'],"
        " ['--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert Path(AXON).exists()
