"""`ScopedSessionManager` as the in-process `ScopeService`: what the app and a command line use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from axon_scopes.core import (
    Capabilities,
    MemoryEntry,
    ReadOnlyServiceError,
    ScopeChange,
    ScopedSessionManager,
    ScopeService,
    ScopeStatus,
    WriteConflictError,
)

ROOT = Path(__file__).resolve().parent.parent


def other_process_writes(base: Path, scope: str, key: str, value: str) -> MemoryEntry:
    out = subprocess.run(
        [sys.executable, "-m", "tests.cas_worker", "write", str(base), scope, key, value],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    return MemoryEntry(*json.loads(out))


def test_the_manager_is_a_scope_service_with_its_capabilities(tmp_path: Path) -> None:
    service: ScopeService = ScopedSessionManager(tmp_path / "axon-server")
    assert service.capabilities == Capabilities(
        can_write_memory=True, has_compare_and_set=True, read_only=False
    )
    read_only = ScopedSessionManager(tmp_path / "axon-server", read_only=True)
    assert read_only.capabilities.read_only


def test_get_put_delete_by_layer_store_at_once(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    service = ScopedSessionManager(base)
    stored = service.put("flow:a", "k", "v", "step")
    noted = service.put("flow:a", "k", "in memory", "step", layer="memory")
    assert service.get("flow:a", "k") == stored
    assert service.get("flow:a", "k", layer="memory") == noted
    assert ScopedSessionManager(base).get("flow:a", "k") == stored  # On disk already.
    assert [(e.layer, e.value) for e in service.entries("flow:a")] == [
        ("memory", "in memory"),
        ("store", "v"),
    ]
    assert service.delete("flow:a", "k") is True
    assert service.delete("flow:a", "k") is False
    assert ScopedSessionManager(base).get("flow:a", "k") is None
    assert service.delete("flow:a", "k", layer="memory") is True


def test_scopes_carry_counts_and_why_one_is_unreadable(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    (tmp_path / ".axon-server__flow_bad.session.json").write_text("[{", encoding="utf-8")
    service = ScopedSessionManager(base, retry_budget=0.05)
    service.put("global", "k", "v", "s")
    service.put("global", "m", "v", "s", layer="memory")
    statuses = {s.scope: s for s in service.scopes()}
    assert statuses["global"] == ScopeStatus("global", 1, 1, None)
    bad = statuses["flow:bad"]
    assert bad.store_count == 0 and bad.error is not None


def test_a_read_only_service_refuses_every_write_and_writes_nothing(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    ScopedSessionManager(base).put("global", "k", "v", "s")
    before = (tmp_path / ".axon-server__global.session.json").read_bytes()
    service = ScopedSessionManager(base, read_only=True)
    seen = service.get("global", "k")
    writes = [
        lambda: service.put("global", "k", "x", "s"),
        lambda: service.put("global", "m", "x", "s", layer="memory"),
        lambda: service.delete("global", "k"),
        lambda: service.compare_and_set("global", "k", seen, "x", "s"),
        lambda: service.purge_if("global", "k", seen),
        lambda: service.persist("global", "k", "x", "s"),
        lambda: service.flush("global"),
    ]
    for write in writes:
        with pytest.raises(ReadOnlyServiceError, match="read-only"):
            write()
    assert (tmp_path / ".axon-server__global.session.json").read_bytes() == before


def test_subscribers_hear_of_own_writes_and_of_changes_found_by_refresh(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    service = ScopedSessionManager(base)
    heard: list[ScopeChange] = []
    stop = service.subscribe(heard.append)
    first = service.put("global", "k", "v", "s")
    assert heard == [ScopeChange("global", "write")]
    assert service.refresh() == []
    theirs = other_process_writes(base, "global", "k", "theirs")
    other_process_writes(base, "flow:new", "k", "v")
    found = service.refresh()
    assert found == [
        ScopeChange("flow:new", "refresh", new=True),
        ScopeChange("global", "refresh", changed=1),
    ]
    assert heard[1:] == found
    assert service.get("global", "k") == theirs
    with pytest.raises(WriteConflictError):
        service.compare_and_set("global", "k", first, "mine", "s")
    stop()
    service.put("global", "k2", "v", "s")
    assert len(heard) == 3
