"""Compare-and-set and purge-if: checked where the write happens, against real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from axon_scopes.core import MemoryEntry, ScopedSessionManager, WriteConflictError

ROOT = Path(__file__).resolve().parent.parent
SCOPE = "flow:shared"


def other_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cas_worker", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def other_writes(base: str, key: str, value: str) -> MemoryEntry:
    proc = other_process("write", base, SCOPE, key, value)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    return MemoryEntry(*json.loads(out))


@pytest.fixture
def manager(tmp_path: Path) -> ScopedSessionManager:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.persist(SCOPE, "k", "base", "seed")
    mgr.persist(SCOPE, "other", "kept", "seed")
    mgr.flush(SCOPE)
    return mgr


def test_compare_and_set_writes_when_the_entry_is_what_was_seen(
    manager: ScopedSessionManager,
) -> None:
    seen = manager.retrieve(SCOPE, "k")
    written = manager.compare_and_set(SCOPE, "k", seen, "mine", "tui")
    data = json.loads(manager.store_path(SCOPE).read_text(encoding="utf-8"))
    assert {e["key"]: e["value"] for e in data} == {"k": "mine", "other": "kept"}
    assert manager.retrieve(SCOPE, "k") == written
    assert not manager.store(SCOPE).dirty


def test_a_write_by_another_process_after_the_read_is_a_conflict(
    manager: ScopedSessionManager, tmp_path: Path
) -> None:
    seen = manager.retrieve(SCOPE, "k")
    theirs = other_writes(str(tmp_path / "axon-server"), "k", "theirs")
    before = manager.store_path(SCOPE).read_bytes()
    with pytest.raises(WriteConflictError) as caught:
        manager.compare_and_set(SCOPE, "k", seen, "mine", "tui")
    assert caught.value.expected == seen
    assert caught.value.actual == theirs
    assert caught.value.scope == SCOPE and caught.value.key == "k"
    assert manager.store_path(SCOPE).read_bytes() == before
    assert not manager.store(SCOPE).dirty
    assert manager.retrieve(SCOPE, "k") == theirs


def test_the_check_is_made_under_the_lock_after_the_other_write(
    manager: ScopedSessionManager, tmp_path: Path
) -> None:
    """The other process holds the lock while our write waits, and writes just before it lets go."""
    seen = manager.retrieve(SCOPE, "k")
    holder = other_process("hold", str(tmp_path / "axon-server"), SCOPE, "k", "theirs")
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "locked"
    outcome: list[BaseException | None] = []

    def ours() -> None:
        try:
            manager.compare_and_set(SCOPE, "k", seen, "mine", "tui")
        except BaseException as exc:  # Handed to the test thread.
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=ours)
    thread.start()
    time.sleep(0.3)  # Ours is now waiting for the lock (ordering only, nothing timed).
    assert not outcome
    holder.stdin.write("go\n")
    holder.stdin.flush()
    theirs = MemoryEntry(*json.loads(holder.stdout.readline()))
    assert holder.wait(timeout=30) == 0
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], WriteConflictError)
    assert outcome[0].actual == theirs
    data = json.loads(manager.store_path(SCOPE).read_text(encoding="utf-8"))
    assert {e["key"]: e["value"] for e in data} == {"k": "theirs", "other": "kept"}


def test_expected_none_means_the_key_must_be_absent(
    manager: ScopedSessionManager, tmp_path: Path
) -> None:
    theirs = other_writes(str(tmp_path / "axon-server"), "new", "theirs")
    with pytest.raises(WriteConflictError) as caught:
        manager.compare_and_set(SCOPE, "new", None, "mine", "tui")
    assert caught.value.expected is None and caught.value.actual == theirs
    written = manager.compare_and_set(SCOPE, "fresh", None, "mine", "tui")
    assert manager.retrieve(SCOPE, "fresh") == written


def test_purge_if_removes_only_what_was_seen(
    manager: ScopedSessionManager, tmp_path: Path
) -> None:
    seen = manager.retrieve(SCOPE, "k")
    theirs = other_writes(str(tmp_path / "axon-server"), "k", "theirs")
    before = manager.store_path(SCOPE).read_bytes()
    with pytest.raises(WriteConflictError) as caught:
        manager.purge_if(SCOPE, "k", seen)
    assert caught.value.actual == theirs
    assert manager.store_path(SCOPE).read_bytes() == before
    manager.purge_if(SCOPE, "k", theirs)
    data = json.loads(manager.store_path(SCOPE).read_text(encoding="utf-8"))
    assert [e["key"] for e in data] == ["other"]


def test_a_conflict_leaves_earlier_changes_pending_and_adds_none(
    manager: ScopedSessionManager, tmp_path: Path
) -> None:
    seen = manager.retrieve(SCOPE, "k")
    other_writes(str(tmp_path / "axon-server"), "k", "theirs")
    manager.persist(SCOPE, "mine-earlier", "v", "tui")
    with pytest.raises(WriteConflictError):
        manager.compare_and_set(SCOPE, "k", seen, "mine", "tui")
    assert manager.store(SCOPE).dirty
    manager.flush(SCOPE)
    data = json.loads(manager.store_path(SCOPE).read_text(encoding="utf-8"))
    assert {e["key"]: e["value"] for e in data} == {
        "k": "theirs",
        "other": "kept",
        "mine-earlier": "v",
    }


def test_restore_if_keeps_the_original_timestamp_and_step(
    manager: ScopedSessionManager, tmp_path: Path
) -> None:
    original = manager.retrieve(SCOPE, "k")
    assert original is not None
    written = manager.compare_and_set(SCOPE, "k", original, "mine", "tui")
    manager.restore_if(SCOPE, "k", written, original)
    data = json.loads(manager.store_path(SCOPE).read_text(encoding="utf-8"))
    assert MemoryEntry(**next(e for e in data if e["key"] == "k")) == original
    theirs = other_writes(str(tmp_path / "axon-server"), "k", "theirs")
    with pytest.raises(WriteConflictError) as caught:
        manager.restore_if(SCOPE, "k", original, None)
    assert caught.value.actual == theirs


def test_memory_layer_is_checked_too(manager: ScopedSessionManager) -> None:
    manager.remember(SCOPE, "m", "one", "seed")
    seen = manager.recall(SCOPE, "m")
    manager.remember(SCOPE, "m", "two", "elsewhere")
    changed = manager.recall(SCOPE, "m")
    with pytest.raises(WriteConflictError) as caught:
        manager.compare_and_set(SCOPE, "m", seen, "mine", "tui", layer="memory")
    assert caught.value.actual == changed and caught.value.layer == "memory"
    manager.purge_if(SCOPE, "m", changed, layer="memory")
    assert manager.recall(SCOPE, "m") is None
