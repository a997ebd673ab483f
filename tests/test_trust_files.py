"""Hostile files at scope paths, and only the file names Axon itself writes.

Anything that could block or exhaust memory runs in a subprocess with a timeout and an
address-space limit, so a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from axon_scopes.core import InvalidScopeNameError, ScopedSessionManager, StoreUnreadableError
from axon_scopes.core.files.atomic import TEMP_SUFFIX, temp_prefix
from axon_scopes.core.files.naming import MAX_FILE_NAME_BYTES, base_names_in
from axon_scopes.core.files.source import FileSource
from axon_scopes.core.files.watching import is_store_file

from .pty_app import AppInPty

ROOT = Path(__file__).resolve().parent.parent
GOOD = b'[{"key": "k", "value": "v", "timestamp": 1, "source_step": "s"}]'

#: Opens a store in a fresh interpreter and reports what every scope looks like.
PROBE = """
import json, sys
from axon_scopes.core import ScopedSessionManager
options = json.loads(sys.argv[2])
mgr = ScopedSessionManager(sys.argv[1], **options)
summary = [[s.scope, s.memory_count, s.store_count] for s in mgr.summary()]
errors = {}
memory = {}
for scope in mgr.list_scopes():
    error = mgr.scope_error(scope)
    errors[scope] = None if error is None else error.reason
    try:
        mgr.published_memory(scope)
        memory[scope] = None
    except Exception as exc:
        memory[scope] = type(exc).__name__ + ": " + getattr(exc, "reason", str(exc))
print(json.dumps({"summary": summary, "errors": errors, "memory": memory}))
"""


def _limit_memory() -> None:
    """1 GiB of address space: reading /dev/zero must fail fast, not eat the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def probe(base: Path, timeout: float = 20.0, **options: Any) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(base), json.dumps(options)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"opening {base} did not finish within {timeout:g} s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


# ── 6: only regular files are read, up to a size ceiling ─────────────────


def test_a_fifo_at_a_scope_path_is_unreadable_and_nothing_blocks(tmp_path: Path) -> None:
    (tmp_path / ".axon-server__global.session.json").write_bytes(GOOD)
    os.mkfifo(tmp_path / ".axon-server__flow_pipe.session.json")
    os.mkfifo(tmp_path / ".axon-server__global.memory.json")
    report = probe(tmp_path / "axon-server")
    assert report["summary"] == [["flow:pipe", 0, 0], ["global", 0, 1]]
    assert report["errors"]["flow:pipe"] == "a FIFO, not a regular file"
    assert report["errors"]["global"] is None
    assert report["memory"]["global"] == "StoreUnreadableError: a FIFO, not a regular file"


def test_a_symlink_to_dev_zero_is_unreadable_and_reads_nothing(tmp_path: Path) -> None:
    os.symlink("/dev/zero", tmp_path / ".axon-server__flow_zero.session.json")
    os.symlink("/dev/zero", tmp_path / ".axon-server__flow_zero.memory.json")
    report = probe(tmp_path / "axon-server")
    assert report["summary"] == [["flow:zero", 0, 0], ["global", 0, 0]]
    assert report["errors"]["flow:zero"] == "a character device, not a regular file"
    assert report["memory"]["flow:zero"] == (
        "StoreUnreadableError: a character device, not a regular file"
    )


def test_a_huge_sparse_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / ".axon-server__flow_huge.session.json"
    with open(path, "wb") as handle:
        handle.write(b"[")
    try:
        os.truncate(path, 3 * 2**39)  # 1.5 TiB, almost all of it a hole
    except OSError as exc:
        pytest.skip(f"this filesystem cannot hold a 1.5 TiB sparse file: {exc}")
    report = probe(tmp_path / "axon-server")
    assert report["summary"] == [["flow:huge", 0, 0], ["global", 0, 0]]
    assert report["errors"]["flow:huge"] == "1.5 TiB, over the 1 GiB limit"


def test_the_size_ceiling_is_an_option_of_the_manager(tmp_path: Path) -> None:
    (tmp_path / ".axon-server__global.session.json").write_bytes(GOOD)
    (tmp_path / ".axon-server__global.memory.json").write_bytes(GOOD)
    big = b"[" + b", ".join([GOOD[1:-1]] * 3) + b"]"
    (tmp_path / ".axon-server__flow_big.session.json").write_bytes(big)
    mgr = ScopedSessionManager(tmp_path / "axon-server", max_file_bytes=len(GOOD))
    assert mgr.scope_error("global") is None
    published = mgr.published_memory("global")
    assert published is not None and [e.key for e in published.entries] == ["k"]
    error = mgr.scope_error("flow:big")
    assert isinstance(error, StoreUnreadableError)
    assert error.reason == f"{len(big)} bytes, over the {len(GOOD)} bytes limit"
    assert (tmp_path / ".axon-server__flow_big.session.json").read_bytes() == big
    with pytest.raises(ValueError, match="max_file_bytes"):
        ScopedSessionManager(tmp_path / "axon-server", max_file_bytes=0)


def test_the_command_line_takes_a_size_ceiling() -> None:
    from axon_scopes.core.sizes import parse_size
    from axon_scopes.tui.cli import build_parser

    assert build_parser().parse_args(["--max-file-size", "2GiB"]).max_file_size == 2 << 30
    assert parse_size("1500") == 1500
    assert parse_size("64 MiB") == 64 << 20
    assert parse_size("1.5k") == 1536
    for bad in ("", "-3", "0", "lots", "5 parsecs"):
        with pytest.raises(ValueError):
            parse_size(bad)
    done = subprocess.run(
        [sys.executable, "-m", "axon_scopes", "--max-file-size", "lots"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--max-file-size" in done.stderr


def test_the_real_app_with_a_fifo_at_a_scope_path_still_quits(tmp_path: Path) -> None:
    (tmp_path / ".axon-server__global.session.json").write_bytes(GOOD)
    os.mkfifo(tmp_path / ".axon-server__flow_pipe.session.json")
    app = AppInPty(str(tmp_path / "axon-server"))
    try:
        # The scan counts every scope's entries, so it opens the FIFO; then the tree says so.
        app.read_until(lambda out: b"unreadable" in out, 30)
        app.read(0.5)
        status = app.quit()
    finally:
        app.close()
    text = app.text
    assert status is not None, "the app did not quit on q: " + text[-1500:]
    assert app.exited_cleanly(), text[-2000:]
    assert "Traceback" not in text
    assert "pipe" in text and "unreadable" in text


# ── 7: only names Axon produces are scopes ─────────────────────────────────


def test_a_colon_in_a_file_name_does_not_take_over_a_scope(tmp_path: Path) -> None:
    planted = tmp_path / ".axon-server__flow:a.session.json"
    planted_bytes = GOOD.replace(b'"v"', b'"planted"')
    planted.write_bytes(planted_bytes)
    real = tmp_path / ".axon-server__flow_a.session.json"
    real.write_bytes(GOOD.replace(b'"v"', b'"real"'))
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    assert mgr.list_scopes() == ["flow:a", "global"]
    assert mgr.store_path("flow:a") == real
    entry = mgr.retrieve("flow:a", "k")
    assert entry is not None and entry.value == "real"
    mgr.persist("flow:a", "k2", "v2", "s")
    mgr.flush("flow:a")
    assert b"k2" in real.read_bytes()
    assert planted.read_bytes() == planted_bytes


def test_only_a_planted_name_means_no_scope_anywhere(tmp_path: Path) -> None:
    (tmp_path / ".axon-server__flow:a.session.json").write_bytes(GOOD)
    (tmp_path / ".axon-server__daemon:w.memory.json").write_bytes(GOOD)
    assert base_names_in(tmp_path) == []
    source = FileSource(tmp_path)
    assert source.discover() == []
    assert ScopedSessionManager(tmp_path / "axon-server").list_scopes() == ["global"]


@pytest.mark.parametrize(
    ("name", "bases", "shown"),
    [
        (".axon-server__flow_a.session.json", None, True),
        (".axon-server__flow_a.memory.json", ["axon-server"], True),
        (".axon-server__flow:a.session.json", None, False),
        (".axon-server__flow:a.memory.json", ["axon-server"], False),
        (".axon-server__flow_a.session.json.lock", None, False),
        (".axon-server__flow_a.session.json.abcd1234.tmp", None, False),
        (".other__flow_a.session.json", ["axon-server"], False),
        (".axon-server__.session.json", None, False),
        # Axon could write these (a control character or a dot in a scope): shown.
        (".axon-server__flow_\x1b]0;x\x07.session.json", None, True),
        (".axon-server__flow_v1.session.json", ["axon-server"], True),
    ],
)
def test_the_watcher_follows_the_same_rule(name: str, bases: list[str] | None, shown: bool) -> None:
    assert is_store_file(name, bases) is shown


def test_a_file_name_that_is_not_utf8_is_no_scope(tmp_path: Path) -> None:
    """Axon's names are Rust strings, always UTF-8: other bytes were not written by it."""
    from axon_scopes.core.files.naming import parse_scope_file

    name = os.fsencode(tmp_path) + b"/.axon-server__flow_\xff.session.json"
    with open(name, "wb") as handle:
        handle.write(GOOD)
    assert ScopedSessionManager(tmp_path / "axon-server").list_scopes() == ["global"]
    assert parse_scope_file(os.fsdecode(name.rsplit(b"/", 1)[1])) is None


def test_the_one_parser_reads_scope_base_and_kind() -> None:
    from axon_scopes.core.files.naming import parse_scope_file

    parsed = parse_scope_file(".axon-server__daemon_worker.memory.json")
    assert parsed is not None
    assert (parsed.base, parsed.scope, parsed.memory) == ("axon-server", "daemon:worker", True)
    given = parse_scope_file(".my__base__flow_x.session.json", "my__base")
    assert given is not None and (given.base, given.scope) == ("my__base", "flow:x")
    assert parse_scope_file(".my__base__flow_x.session.json", "other") is None


# ── 8: every accepted name can flush ────────────────────────────────────────


def test_the_longest_accepted_name_flushes_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    fixed = len(".axon-server__") + len(".session.json")
    longest = "x" * (MAX_FILE_NAME_BYTES - len(".12345678.tmp") - fixed)
    mgr = ScopedSessionManager(base, publish_memory=True)
    mgr.persist(longest, "k", "v", "s")
    mgr.remember(longest, "m", "v", "s")
    assert mgr.flush(longest) is True
    store = mgr.store_path(longest)
    assert len(store.name.encode()) == MAX_FILE_NAME_BYTES - len(".12345678.tmp")
    assert store.with_name(store.name.replace(".session.", ".memory.")).exists()
    again = ScopedSessionManager(base)
    assert again.retrieve(longest, "k") is not None
    published = again.published_memory(longest)
    assert published is not None and [e.key for e in published.entries] == ["m"]
    with pytest.raises(InvalidScopeNameError, match=r"256 bytes, over the limit of 255"):
        mgr.persist(longest + "x", "k", "v", "s")
    # Multi-byte characters count in bytes.
    with pytest.raises(InvalidScopeNameError, match="temp file"):
        mgr.persist(longest[:-1] + "é", "k", "v", "s")


# ── 9: temp files of the published memory are cleaned up ───────────────────

PUBLISHER = """
import sys
from axon_scopes.core import ScopedSessionManager
mgr = ScopedSessionManager(sys.argv[1], publish_memory=True)
print("ready", flush=True)
i = 0
while True:
    i += 1
    for n in range(8):
        mgr.remember("global", f"k{n}", f"{i} " + "x" * 500_000, "s")
    mgr.flush("global")
"""


def _memory_temps(tmp_path: Path) -> list[str]:
    prefix = temp_prefix(tmp_path / ".axon-server__global.memory.json")
    return sorted(n for n in os.listdir(tmp_path) if n.startswith(prefix))


def test_a_leftover_memory_temp_is_removed_by_the_next_publish(tmp_path: Path) -> None:
    memory = tmp_path / ".axon-server__global.memory.json"
    fd, _ = tempfile.mkstemp(prefix=temp_prefix(memory), suffix=TEMP_SUFFIX, dir=tmp_path)
    os.write(fd, b'[{"key": "half')
    os.close(fd)
    assert len(_memory_temps(tmp_path)) == 1
    mgr = ScopedSessionManager(tmp_path / "axon-server", publish_memory=True)
    mgr.remember("global", "k", "v", "s")
    mgr.flush("global")
    assert _memory_temps(tmp_path) == []
    assert memory.exists()


def test_publishers_killed_mid_write_leave_nothing_behind(tmp_path: Path) -> None:
    """Kill publishers until one dies inside a write (each publish sweeps what came before)."""
    base = tmp_path / "axon-server"
    left: list[str] = []
    for attempt in range(40):
        writer = subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(base)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        time.sleep(0.1 + 0.013 * (attempt % 7))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        left = _memory_temps(tmp_path)
        if left:
            break
    if not left:
        pytest.skip("no publisher was killed inside a write in 40 tries; nothing to clean")
    mgr = ScopedSessionManager(base, publish_memory=True)
    mgr.remember("global", "k", "v", "s")
    mgr.flush("global")
    assert _memory_temps(tmp_path) == []


HOLD_LOCK = """
import sys, time, filelock
lock = filelock.FileLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(30)
"""


def test_a_temp_is_never_swept_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    memory = tmp_path / ".axon-server__global.memory.json"
    fd, temp = tempfile.mkstemp(prefix=temp_prefix(memory), suffix=TEMP_SUFFIX, dir=tmp_path)
    os.close(fd)
    lock = tmp_path / ".axon-server__global.session.json.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        mgr = ScopedSessionManager(tmp_path / "axon-server", publish_memory=True, lock_timeout=0.2)
        mgr.remember("global", "k", "v", "s")
        with pytest.raises(OSError, match="lock"):
            mgr.flush("global")
        assert Path(temp).exists()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    mgr.flush("global")
    assert not Path(temp).exists() and memory.exists()


# ── 10d: a complete but invalid file fails at once ─────────────────────────

BROKEN = {
    "trailing": GOOD + b" ]",
    "nul": b"\x00" * 64,
    "utf8": GOOD.replace(b'"v"', b'"\xff\xfe"'),
    "nan": GOOD.replace(b"1,", b"NaN,"),
    "shape": GOOD.replace(b'"v"', b"1"),
}


def test_broken_files_fail_at_once_instead_of_waiting_the_retry_budget(tmp_path: Path) -> None:
    for name, raw in BROKEN.items():
        (tmp_path / f".axon-server__flow_{name}.session.json").write_bytes(raw)
        (tmp_path / f".axon-server__flow_{name}.memory.json").write_bytes(raw)
    # Waiting the budget once would take a minute: the timeout fails the test long before.
    report = probe(tmp_path / "axon-server", timeout=20, retry_budget=60)
    for name in BROKEN:
        assert report["errors"][f"flow:{name}"], name
        assert report["memory"][f"flow:{name}"].startswith("StoreUnreadableError"), name


@pytest.mark.parametrize(
    "head",
    [
        b"",  # emptied, not yet written
        GOOD[:30],  # cut short: opens an array and does not close it
        b'[{"key": "k", "value": "a]',  # cut inside a string that holds a ']'
    ],
)
def test_a_file_caught_mid_write_is_still_retried(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / ".axon-server__global.session.json"
    path.write_bytes(head)
    whole = GOOD.replace(b'"v"', b'"a]"') if head.endswith(b"a]") else GOOD

    def finish_writing() -> None:
        time.sleep(0.3)
        path.write_bytes(whole)

    writer = threading.Thread(target=finish_writing)
    writer.start()
    mgr = ScopedSessionManager(tmp_path / "axon-server", retry_budget=10)
    writer.join()
    assert mgr.scope_error("global") is None
    entry = mgr.retrieve("global", "k")
    assert entry is not None
