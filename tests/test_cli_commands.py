"""The scripting commands, run as the installed `axon-scopes` against real store files."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from axon_scopes.core import ScopedSessionManager
from tests.test_cli_support import one_line_error, run, run_bytes, shell, stored

NOT_FOUND, CONFLICT, UNREADABLE, USAGE = 3, 4, 5, 2


@pytest.fixture
def srv(tmp_path: Path) -> Path:
    """A server directory with two scopes, written by the core as a server would."""
    directory = tmp_path / "srv"
    directory.mkdir()
    manager = ScopedSessionManager(str(directory / "axon-server"))
    manager.put("global", "greeting", "hello", "boot")
    manager.put("global", "multi", "line one\nline two\n", "boot")
    manager.put("flow:analyze", "result", "42", "step1")
    manager.put("flow:analyze", "note", "Result is final", "step2")
    return directory


def test_set_then_get_prints_the_exact_value_or_the_entry(srv: Path) -> None:
    base = srv / "axon-server"
    assert run("set", base, "global", "city", "Zürich", "--step", "ops").returncode == 0
    assert stored(srv, "global")["city"]["value"] == "Zürich"
    assert stored(srv, "global")["city"]["source_step"] == "ops"
    # Piped, the value comes out exactly: no newline added, its own kept.
    assert run_bytes("get", base, "global", "multi").stdout == b"line one\nline two\n"
    assert run("get", base, "global", "city").stdout == "Zürich"
    entry = json.loads(run("get", base, "global", "city", "--json").stdout)
    assert entry["key"] == "city" and entry["layer"] == "store" and entry["scope"] == "global"
    assert entry["source_step"] == "ops" and isinstance(entry["timestamp"], int)
    # A new scope is created by its first write; a value may come from stdin.
    assert run("set", base, "daemon:worker", "blob", "-", stdin="a\nb").returncode == 0
    assert stored(srv, "daemon_worker")["blob"]["value"] == "a\nb"


def test_a_set_that_starts_a_new_store_says_so(srv: Path, tmp_path: Path) -> None:
    """Arguments in the wrong order (`set SCOPE KEY VALUE SOURCE`) make SCOPE a new base in
    the current directory: written, as asked, and said on stderr so that it is noticed."""
    stray = run("set", "flow:x", "k", "v", "http://elsewhere", cwd=tmp_path)
    assert stray.returncode == 0 and stray.stdout == ""
    assert stray.stderr == (
        "axon-scopes: started a new store: ./.flow:x__*.session.json (the current directory)\n"
    )
    assert stored(tmp_path, "k", base="flow:x")["v"]["value"] == "http://elsewhere"
    # Into a store that holds something: nothing said.
    again = run("set", srv / "axon-server", "flow:new", "k", "v")
    assert again.returncode == 0 and again.stderr == ""


def test_get_of_a_missing_scope_or_key_exits_3(srv: Path) -> None:
    base = srv / "axon-server"
    missing_key = run("get", base, "global", "nope")
    assert missing_key.returncode == NOT_FOUND and missing_key.stdout == ""
    assert "'nope'" in one_line_error(missing_key)
    assert run("get", base, "flow:none", "x").returncode == NOT_FOUND


def test_expect_and_absent_are_checked_writes(srv: Path) -> None:
    base = srv / "axon-server"
    before = (srv / ".axon-server__global.session.json").read_bytes()
    wrong = run("set", base, "global", "greeting", "hi", "--expect", "bonjour")
    assert wrong.returncode == CONFLICT
    assert "'hello'" in one_line_error(wrong) and "nothing was written" in wrong.stderr
    taken = run("set", base, "global", "greeting", "hi", "--absent")
    assert taken.returncode == CONFLICT
    assert (srv / ".axon-server__global.session.json").read_bytes() == before
    assert run("set", base, "global", "greeting", "hi", "--expect", "hello").returncode == 0
    assert run("set", base, "global", "fresh", "1", "--absent").returncode == 0
    assert stored(srv, "global")["greeting"]["value"] == "hi"
    assert stored(srv, "global")["fresh"]["value"] == "1"
    both = run("set", base, "global", "k", "v", "--absent", "--expect", "x")
    assert both.returncode == USAGE


def test_ls_lists_scopes_with_counts_and_status_in_every_format(srv: Path) -> None:
    table = run("ls", srv)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["scope", "memory", "store", "status"]
    assert lines[1].split() == ["flow:analyze", "0", "2", "ok"]
    assert lines[2].split() == ["global", "0", "2", "ok"]
    listed = json.loads(run("ls", srv, "--json").stdout)
    assert [(s["scope"], s["store"], s["status"]) for s in listed] == [
        ("flow:analyze", 2, "ok"),
        ("global", 2, "ok"),
    ]
    jsonl = [json.loads(line) for line in run("ls", srv, "--jsonl").stdout.splitlines()]
    assert jsonl == listed
    rows = list(csv.DictReader(io.StringIO(run("ls", srv, "--csv").stdout)))
    assert [r["scope"] for r in rows] == ["flow:analyze", "global"]
    # An unreadable scope is listed with its reason, and the listing exits 5.
    (srv / ".axon-server__broken.session.json").write_text('["not an entry"]')
    broken = run("ls", srv, "--json")
    assert broken.returncode == UNREADABLE
    entry = next(s for s in json.loads(broken.stdout) if s["scope"] == "broken")
    assert entry["status"] == "unreadable" and "wrong shape" in entry["error"]


def test_rm_removes_exactly_what_it_shows_all_or_none(srv: Path) -> None:
    base = srv / "axon-server"
    dry = run("rm", base, "flow:analyze", "--query", "RESULT", "--dry-run", "--json")
    assert dry.returncode == 0
    assert sorted(e["key"] for e in json.loads(dry.stdout)["removed"]) == ["note", "result"]
    assert len(stored(srv, "flow_analyze")) == 2
    missing = run("rm", base, "global", "greeting", "nope")
    assert missing.returncode == NOT_FOUND and "greeting" in stored(srv, "global")
    wrong = run("rm", base, "global", "greeting", "--expect", "bye")
    assert wrong.returncode == CONFLICT and "greeting" in stored(srv, "global")
    assert run("rm", base, "global", "greeting", "nope", "--missing-ok").returncode == 0
    assert "greeting" not in stored(srv, "global")
    gone = run("rm", base, "flow:analyze", "-q", "result")
    assert gone.returncode == 0 and stored(srv, "flow_analyze") == {}
    assert "removed 2 store entries" in gone.stderr
    assert run("rm", base, "global").returncode == USAGE


def test_entries_shows_both_layers_in_every_format(srv: Path) -> None:
    base = srv / "axon-server"
    document = json.loads(run("entries", base, "global", "--json").stdout)
    assert document["scope"] == "global" and document["count"] == 2
    assert [e["key"] for e in document["entries"]] == ["greeting", "multi"]
    lines = run("entries", base, "global", "--jsonl", "-q", "HELLO").stdout.splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["greeting"]
    rows = list(csv.reader(io.StringIO(run("entries", base, "global", "--csv").stdout)))
    assert rows[0] == ["scope", "layer", "key", "value", "timestamp", "source_step"]
    assert rows[2][3] == "line one\nline two\n"
    table = run("entries", base, "global").stdout
    # A table shows control characters as codes, never raw.
    assert "line one\\nline two\\n" in table and table.splitlines()[0].startswith("layer")


def test_a_table_never_passes_terminal_escapes_through(srv: Path) -> None:
    base = srv / "axon-server"
    assert run("set", base, "global", "evil", "\x1b]52;c;owned\x07\u202e").returncode == 0
    table = run("entries", base, "global").stdout
    assert "\x1b" not in table and "\u202e" not in table
    assert "\\e]52;c;owned\\x07" not in table and "<U+202E>" in table


def test_export_formats_and_axon_bytes(srv: Path) -> None:
    base = srv / "axon-server"
    document = json.loads(run("export", base, "flow:analyze").stdout)
    assert document["scope"] == "flow:analyze" and document["count"] == 2
    assert {e["key"] for e in document["entries"]} == {"note", "result"}
    exported = run("export", base, "flow:analyze", "--format", "csv").stdout
    assert exported.splitlines()[0] == "scope,layer,key,value,timestamp,source_step"
    axon = run_bytes("export", base, "flow:analyze", "--format", "axon").stdout
    # Axon's own layout, the very bytes of the store file we flushed.
    assert axon == (srv / ".axon-server__flow_analyze.session.json").read_bytes()
    assert not axon.endswith(b"\n") and axon.startswith(b"[\n  {\n")
    out = srv.parent / "export.json"
    assert run("export", base, "global", "-o", out).returncode == 0
    assert json.loads(out.read_text())["count"] == 2
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o600)
    assert run("export", base, "flow:gone").returncode == NOT_FOUND


@pytest.mark.parametrize("fmt", ["json", "csv", "axon"])
def test_export_piped_into_import_copies_a_scope(srv: Path, fmt: str) -> None:
    result = shell(
        f"axon-scopes export srv/axon-server flow:analyze --format {fmt} "
        "| axon-scopes import srv/axon-server flow:copy -",
        cwd=srv.parent,
    )
    assert result.returncode == 0, result.stderr
    assert stored(srv, "flow_copy") == stored(srv, "flow_analyze")
    assert "2 added" in result.stderr


def test_import_merges_or_replaces_and_dry_run_writes_nothing(srv: Path) -> None:
    base = srv / "axon-server"
    export = srv.parent / "analyze.json"
    export.write_text(run("export", base, "flow:analyze").stdout)
    assert run("set", base, "flow:target", "own", "mine").returncode == 0
    dry = run("import", base, "flow:target", export, "--replace", "--dry-run", "--json")
    assert json.loads(dry.stdout)["scopes"][0] | {"scope": None} == {
        "scope": None,
        "added": 2,
        "changed": 0,
        "removed": 1,
        "unchanged": 0,
        "skipped": 0,
    }
    assert set(stored(srv, "flow_target")) == {"own"}
    assert run("import", base, "flow:target", export).returncode == 0
    assert set(stored(srv, "flow_target")) == {"own", "note", "result"}
    # Timestamps and source steps come along unchanged.
    assert stored(srv, "flow_target")["result"] == stored(srv, "flow_analyze")["result"]
    again = run("import", base, "flow:target", export, "--replace", "--json")
    assert json.loads(again.stdout)["scopes"][0]["unchanged"] == 2
    assert set(stored(srv, "flow_target")) == {"note", "result"}


def test_a_bad_import_writes_nothing(srv: Path) -> None:
    base = srv / "axon-server"
    before = stored(srv, "global")
    garbage = run("import", base, "global", "-", stdin="{not json")
    assert garbage.returncode == USAGE and "not valid JSON" in one_line_error(garbage)
    no_header = run("import", base, "global", "-", stdin="a,b\n1,2\n")
    assert no_header.returncode == USAGE
    huge = json.dumps(
        {
            "entries": [
                {"key": "ok", "value": "fine", "timestamp": 1, "source_step": "s"},
                {"key": "big", "value": "x" * (5 << 20), "timestamp": 1, "source_step": "s"},
            ]
        }
    )
    too_big = run("import", base, "global", "-", stdin=huge)
    assert too_big.returncode == USAGE and "over the limit" in one_line_error(too_big)
    assert stored(srv, "global") == before


def test_copy_merges_every_scope_per_key(srv: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    target = other / "axon-server"
    assert run("set", target, "global", "greeting", "old").returncode == 0
    assert run("set", target, "global", "local", "kept").returncode == 0
    result = run("copy", srv, target, "--json")
    assert result.returncode == 0, result.stderr
    summary = {s["scope"]: s for s in json.loads(result.stdout)["scopes"]}
    assert summary["global"]["changed"] == 1 and summary["global"]["added"] == 1
    assert summary["flow:analyze"]["added"] == 2
    assert stored(other, "global")["greeting"] == stored(srv, "global")["greeting"]
    assert stored(other, "global")["local"]["value"] == "kept"
    assert stored(other, "flow_analyze") == stored(srv, "flow_analyze")
    # Only the scopes named; a second copy writes nothing.
    again = run("copy", srv, target, "--scope", "global")
    assert again.returncode == 0 and "wrote 0 changes" in again.stderr


def test_copy_of_an_unreadable_scope_writes_nothing(srv: Path, tmp_path: Path) -> None:
    (srv / ".axon-server__broken.session.json").write_text('{"not": "a list"}')
    other = tmp_path / "other"
    other.mkdir()
    result = run("copy", srv / "axon-server", other / "axon-server")
    assert result.returncode == UNREADABLE and "broken" in one_line_error(result)
    assert list(other.iterdir()) == []


def test_read_only_refuses_every_write(srv: Path) -> None:
    base = srv / "axon-server"
    refused = run("set", base, "global", "k", "v", "--read-only")
    assert refused.returncode == USAGE and "read-only" in one_line_error(refused)
    assert run("rm", base, "global", "greeting", "--read-only").returncode == USAGE
    assert "k" not in stored(srv, "global") and "greeting" in stored(srv, "global")


def test_the_memory_layer_of_files_cannot_be_written_from_a_command(srv: Path) -> None:
    refused = run("set", srv / "axon-server", "global", "k", "v", "--layer", "memory")
    assert refused.returncode == USAGE and "memory layer" in one_line_error(refused)


def test_a_published_memory_layer_is_read_as_the_memory_layer(tmp_path: Path) -> None:
    server = ScopedSessionManager(str(tmp_path / "axon-server"), publish_memory=True)
    server.remember("global", "draft", "in memory", "step")
    server.put("global", "kept", "stored", "step")
    server.flush("global")
    assert run("get", tmp_path / "axon-server", "global", "draft", "--layer", "memory").stdout == (
        "in memory"
    )
    document = json.loads(run("entries", tmp_path / "axon-server", "global", "--json").stdout)
    assert [(e["layer"], e["key"]) for e in document["entries"]] == [
        ("memory", "draft"),
        ("store", "kept"),
    ]


def test_a_large_copy_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import pty
    import subprocess

    from tests.test_cli_support import AXON

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    entries = [
        {"key": f"k{i:05d}", "value": f"v{i}", "timestamp": 1_763_900_000 + i, "source_step": "s"}
        for i in range(10_000)
    ]
    (tmp_path / "a" / ".axon-server__global.session.json").write_text(json.dumps(entries))
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [AXON, "copy", tmp_path / "a" / "axon-server", tmp_path / "b" / "axon-server"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # The terminal closed with the process.
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=30) == 0
    os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert "copying" in text and "10000/10000" in text
    assert "global: 10000 added" in text
    assert len(stored(tmp_path / "b", "global")) == 10_000
