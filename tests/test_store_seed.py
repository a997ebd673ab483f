"""The seed's own tests (session_scope.rs), ported one for one, over real files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from axon_scopes.core import (
    ScopedEntry,
    ScopedSessionManager,
    ScopeSummary,
    daemon_scope,
    flow_scope,
)


@pytest.fixture
def mgr(tmp_path: Path) -> ScopedSessionManager:
    return ScopedSessionManager(tmp_path / "axon_scope_test")


def test_default_scope_created(mgr: ScopedSessionManager) -> None:
    assert "global" in mgr.list_scopes()
    assert mgr.scope_count() == 1


def test_remember_recall_in_scope(mgr: ScopedSessionManager) -> None:
    mgr.remember("flow:analyze", "result", "42", "step1")
    entry = mgr.recall("flow:analyze", "result")
    assert entry is not None and entry.value == "42"
    assert mgr.recall("global", "result") is None
    assert mgr.recall("flow:other", "result") is None


def test_persist_retrieve_in_scope(mgr: ScopedSessionManager) -> None:
    mgr.persist("daemon:worker", "config", "max_retries=3", "init")
    entry = mgr.retrieve("daemon:worker", "config")
    assert entry is not None and entry.value == "max_retries=3"
    assert mgr.retrieve("global", "config") is None


def test_mutate_in_scope(mgr: ScopedSessionManager) -> None:
    mgr.persist("flow:a", "key", "old", "s1")
    assert mgr.mutate("flow:a", "key", "new", "s2")
    entry = mgr.retrieve("flow:a", "key")
    assert entry is not None and entry.value == "new" and entry.source_step == "s2"
    assert not mgr.mutate("flow:b", "key", "val", "s3")


def test_purge_in_scope(mgr: ScopedSessionManager) -> None:
    mgr.persist("flow:x", "temp", "data", "s1")
    assert mgr.purge("flow:x", "temp")
    assert mgr.retrieve("flow:x", "temp") is None
    mgr.persist("flow:y", "keep", "data", "s1")
    assert not mgr.purge("flow:z", "keep")
    assert mgr.retrieve("flow:y", "keep") is not None


def test_query_in_scope(mgr: ScopedSessionManager) -> None:
    mgr.persist("flow:a", "analysis_1", "result1", "s1")
    mgr.persist("flow:a", "analysis_2", "result2", "s2")
    mgr.persist("flow:b", "analysis_3", "result3", "s3")
    assert len(mgr.query("flow:a", "analysis")) == 2
    assert len(mgr.query("flow:b", "analysis")) == 1


def test_scope_counts(mgr: ScopedSessionManager) -> None:
    mgr.remember("global", "a", "1", "s")
    mgr.remember("global", "b", "2", "s")
    mgr.persist("flow:x", "c", "3", "s")
    assert mgr.memory_count("global") == 2
    assert mgr.store_count("flow:x") == 1
    assert mgr.total_memory_count() == 2
    assert mgr.total_store_count() == 1


def test_list_scopes_sorted(mgr: ScopedSessionManager) -> None:
    mgr.remember("flow:z", "k", "v", "s")
    mgr.remember("daemon:a", "k", "v", "s")
    scopes = mgr.list_scopes()
    assert len(scopes) >= 3
    assert scopes == sorted(scopes)


def test_summary_includes_all_scopes(mgr: ScopedSessionManager) -> None:
    mgr.remember("global", "a", "1", "s")
    mgr.persist("flow:report", "b", "2", "s")
    summary = {s.scope: s for s in mgr.summary()}
    assert len(summary) >= 2
    assert summary["global"].memory_count == 1
    assert summary["flow:report"].store_count == 1


def test_flow_scope_and_daemon_scope_helpers() -> None:
    assert flow_scope("analyze") == "flow:analyze"
    assert daemon_scope("worker") == "daemon:worker"


def test_isolated_scopes_no_leakage(mgr: ScopedSessionManager) -> None:
    mgr.remember("global", "status", "global_val", "s")
    mgr.remember("flow:a", "status", "flow_a_val", "s")
    mgr.remember("daemon:d", "status", "daemon_val", "s")
    values = [mgr.recall(s, "status") for s in ("global", "flow:a", "daemon:d")]
    assert [e.value for e in values if e] == ["global_val", "flow_a_val", "daemon_val"]


def test_nonexistent_scope_returns_zero_counts(mgr: ScopedSessionManager) -> None:
    assert mgr.memory_count("flow:phantom") == 0
    assert mgr.store_count("daemon:ghost") == 0


def test_scoped_entry_serializes() -> None:
    entry = ScopedEntry("flow:test", "memory", "k", "v", 12345, "s1")
    text = json.dumps(dataclasses.asdict(entry))
    assert '"scope": "flow:test"' in text and '"layer": "memory"' in text


def test_scope_summary_serializes() -> None:
    text = json.dumps(dataclasses.asdict(ScopeSummary("global", 3, 1)))
    assert '"scope": "global"' in text and '"memory_count": 3' in text
