"""Axon's file format and naming, the seed's gaps fixed, export, sidecars, modes."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import threading
import time
from pathlib import Path

from axon_scopes.core import MemoryEntry, ScopedSessionManager, SessionStore, store_path_for
from axon_scopes.core.files.naming import scope_from_file_name

T = 1_763_900_000


def fixed(t: int = T):
    return lambda: t


def store_file(tmp_path: Path, scope: str, base: str = "axon-server") -> Path:
    return tmp_path / f".{base}__{scope.replace(':', '_')}.session.json"


def axon_style(entries: list[dict[str, object]]) -> bytes:
    """What AxonServer writes: pretty, two spaces, hash-map order, no trailing newline."""
    return json.dumps(entries, indent=2, ensure_ascii=False).encode()


# ── naming ────────────────────────────────────────────────────────────────


def test_store_path_follows_rusts_file_stem(tmp_path: Path) -> None:
    assert store_path_for(tmp_path / "prog.axon") == tmp_path / ".prog.session.json"
    assert store_path_for(tmp_path / "base__flow_v1.2") == tmp_path / ".base__flow_v1.session.json"
    assert store_path_for(tmp_path / ".hidden") == tmp_path / "..hidden.session.json"
    assert store_path_for("axon-server__global") == Path(".axon-server__global.session.json")


def test_scope_files_are_named_like_axons(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    for scope in ("global", "flow:analyze", "daemon:worker", "tenant-acme"):
        mgr.persist(scope, "k", "v", "s")
        mgr.flush(scope)
        assert store_file(tmp_path, scope).is_file()


def test_discovery_maps_file_names_back_to_scopes(tmp_path: Path) -> None:
    for name in ("global", "flow_analyze", "daemon_worker", "custom_thing", "flow_v1"):
        (tmp_path / f".axon-server__{name}.session.json").write_text("[]")
    (tmp_path / ".axon-server__flow_x.session.json.lock").write_text("")
    (tmp_path / ".axon-server__flow_x.memory.json").write_text("[]")
    (tmp_path / ".other__flow_y.session.json").write_text("[]")
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    assert mgr.list_scopes() == [
        "custom_thing",
        "daemon:worker",
        "flow:analyze",
        "flow:v1",
        "global",
    ]
    assert scope_from_file_name("b", ".b__flow_.session.json") == "flow_"


# ── Axon's files open here; ours load there ───────────────────────────────


def test_a_file_written_by_axon_opens_unchanged(tmp_path: Path) -> None:
    path = store_file(tmp_path, "flow:analyze")
    raw = axon_style(
        [
            {"key": "z", "value": "last", "timestamp": T, "source_step": "s3"},
            {"key": "a", "value": "ünïcode ✓", "timestamp": T - 5, "source_step": "s1"},
            {"key": "dup", "value": "first", "timestamp": 1, "source_step": "s"},
            {"key": "dup", "value": "second", "timestamp": 2, "source_step": "s"},
            {"key": "x", "value": "1", "timestamp": 3, "source_step": "s", "extra": [1, 2]},
        ]
    )
    path.write_bytes(raw)
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    assert "flow:analyze" in mgr.list_scopes()
    assert mgr.retrieve("flow:analyze", "a") == MemoryEntry("a", "ünïcode ✓", T - 5, "s1")
    dup = mgr.retrieve("flow:analyze", "dup")
    assert dup is not None and dup.value == "second"  # the later duplicate wins
    assert mgr.store_count("flow:analyze") == 4
    assert path.read_bytes() == raw  # opening never rewrites


def test_what_we_write_is_axons_strict_format(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server", clock=fixed())
    mgr.persist("global", "b", "naïve \x1b \u202e", "s")
    mgr.persist("global", "a", "1", "s")
    mgr.flush("global")
    raw = store_file(tmp_path, "global").read_bytes()
    text = raw.decode("utf-8", errors="strict")
    assert not text.endswith("\n")
    assert "naïve" in text and "\\u001b" in text  # UTF-8 unescaped; controls escaped
    data = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert [e["key"] for e in data] == ["a", "b"]  # sorted by key
    assert all(list(e) == ["key", "value", "timestamp", "source_step"] for e in data)
    assert all(type(e["timestamp"]) is int for e in data)
    assert text.startswith('[\n  {\n    "key": "a",\n    "value": "1",')


def test_empty_scope_writes_an_empty_array(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.persist("global", "k", "v", "s")
    mgr.flush("global")
    mgr.purge("global", "k")
    mgr.flush("global")
    assert store_file(tmp_path, "global").read_bytes() == b"[]"


# ── store behaviours ──────────────────────────────────────────────────────


def test_query_is_case_insensitive_on_key_or_value(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.persist("global", "Alpha", "one", "s")
    mgr.persist("global", "beta", "contains ALPHA", "s")
    mgr.persist("global", "gamma", "none", "s")
    assert {e.key for e in mgr.query("global", "alpha")} == {"Alpha", "beta"}
    assert mgr.purge_query("global", "ALP") == 2
    assert [e.key for e in mgr.query("global", "")] == ["gamma"]


def test_memory_is_never_flushed(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.remember("global", "secret", "ephemeral", "s")
    mgr.persist("global", "kept", "v", "s")
    mgr.flush("global")
    assert b"secret" not in store_file(tmp_path, "global").read_bytes()
    assert ScopedSessionManager(tmp_path / "axon-server").recall("global", "secret") is None


def test_list_entries_returns_both_layers(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server", clock=fixed())
    mgr.remember("flow:a", "m", "1", "s")
    mgr.persist("flow:a", "p", "2", "s")
    layers = [(e.layer, e.key) for e in mgr.list_entries("flow:a")]
    assert layers == [("memory", "m"), ("store", "p")]


def test_counting_a_missing_scope_creates_nothing(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    assert mgr.memory_count("flow:phantom") == 0
    assert mgr.store_count("flow:phantom") == 0
    assert "flow:phantom" not in mgr.list_scopes()
    mgr.flush_all()
    assert list(tmp_path.iterdir()) == []


def test_dirty_clears_and_a_clean_flush_writes_nothing(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    store = mgr.store("global")
    mgr.persist("global", "k", "v", "s")
    assert store.dirty
    assert mgr.flush("global") is True
    assert not store.dirty
    before = os.stat(store_file(tmp_path, "global"))
    time.sleep(0.01)
    assert mgr.flush("global") is False
    after = os.stat(store_file(tmp_path, "global"))
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_reload_keeps_unflushed_changes_on_top(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    ours = ScopedSessionManager(base)
    ours.persist("global", "shared", "old", "s")
    ours.persist("global", "gone", "x", "s")
    ours.flush("global")
    theirs = ScopedSessionManager(base)
    theirs.persist("global", "shared", "theirs", "t")
    theirs.persist("global", "new", "n", "t")
    theirs.flush("global")
    ours.persist("global", "mine", "unflushed", "s")
    ours.purge("global", "gone")
    assert ours.reload("global") is True
    values = {e.key: e.value for e in ours.store("global").store_entries()}
    assert values == {"shared": "theirs", "new": "n", "mine": "unflushed"}
    assert ours.store("global").dirty


def test_discovery_sees_files_other_processes_write_later(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    mgr = ScopedSessionManager(base)
    other = ScopedSessionManager(base)
    other.persist("daemon:late", "k", "v", "s")
    other.flush("daemon:late")
    assert mgr.discover() == ["daemon:late"]
    assert mgr.retrieve("daemon:late", "k") is not None
    assert "daemon:late" in [s.scope for s in mgr.summary()]


def test_export_json_and_quoted_csv(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server", clock=fixed())
    tricky = 'comma, "quote"\nnewline'
    mgr.remember("flow:x", "m", tricky, "s,1")
    mgr.persist("flow:x", "p", "plain", "s")
    doc = json.loads(mgr.export_json("flow:x"))
    assert doc["scope"] == "flow:x" and doc["count"] == 2
    assert doc["entries"][0] == {
        "scope": "flow:x",
        "layer": "memory",
        "key": "m",
        "value": tricky,
        "timestamp": T,
        "source_step": "s,1",
    }
    rows = list(csv.reader(io.StringIO(mgr.export_csv("flow:x"))))
    assert rows[0] == ["scope", "layer", "key", "value", "timestamp", "source_step"]
    assert rows[1] == ["flow:x", "memory", "m", tricky, str(T), "s,1"]
    assert len(rows) == 3


def test_memory_is_published_only_when_asked(tmp_path: Path) -> None:
    base = tmp_path / "axon-server"
    quiet = ScopedSessionManager(base)
    quiet.remember("flow:a", "m", "1", "s")
    quiet.persist("flow:a", "p", "1", "s")
    quiet.flush("flow:a")
    sidecar = tmp_path / ".axon-server__flow_a.memory.json"
    assert not sidecar.exists()
    loud = ScopedSessionManager(base, publish_memory=True, clock=fixed())
    loud.remember("flow:a", "thinking", "step 3", "plan")
    assert loud.flush("flow:a") is True
    reader = ScopedSessionManager(base)
    published = reader.published_memory("flow:a")
    assert published is not None
    assert published.entries == [MemoryEntry("thinking", "step 3", T, "plan")]
    assert reader.list_scopes().count("flow:a") == 1  # the sidecar is not a scope


def test_injected_clock_sets_timestamps(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server", clock=lambda: 1234.9)
    mgr.persist("global", "k", "v", "s")
    entry = mgr.retrieve("global", "k")
    assert entry is not None and entry.timestamp == 1234


def test_new_files_are_0600_and_existing_modes_are_kept(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.persist("global", "k", "v", "s")
    mgr.flush("global")
    path = store_file(tmp_path, "global")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    mgr.persist("global", "k2", "v", "s")
    mgr.flush("global")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert (tmp_path / ".axon-server__global.session.json.lock").exists()  # permanent lock


def test_session_store_alone_behaves_like_axons(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "prog.axon", clock=fixed())
    assert store.backend.path == tmp_path / ".prog.session.json"
    assert not store.mutate("k", "v", "s")
    store.persist("k", "v", "s")
    assert store.mutate("k", "v2", "s2")
    assert store.retrieve_query("V2")[0].value == "v2"
    store.remember("m", "1", "s")
    assert store.recall("m") is not None and store.memory_count() == 1
    assert store.purge("k") and not store.purge("k")
    store.flush()
    assert json.loads((tmp_path / ".prog.session.json").read_text()) == []


def test_two_threads_flushing_one_store_lose_nothing(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")

    def work(prefix: str) -> None:
        for i in range(50):
            mgr.persist("global", f"{prefix}{i}", "v", "s")
            mgr.flush("global")

    threads = [threading.Thread(target=work, args=(p,)) for p in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(json.loads(store_file(tmp_path, "global").read_text())) == 100


def test_sharing_source_steps_keeps_every_entry_equal(tmp_path: Path) -> None:
    """Equal steps become one object; nothing a reader can see changes, a reload re-shares."""
    path = store_file(tmp_path, "global")
    rows = [
        {"key": f"k{i}", "value": f"v{i}", "timestamp": T + i, "source_step": f"step{i % 3}"}
        for i in range(30)
    ]
    path.write_bytes(axon_style(rows))
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    store = mgr.store("global")
    store.remember("m", "mem", "step1")
    before = sorted(store.store_entries() + store.memory_entries(), key=lambda e: e.key)
    assert len({id(e.source_step) for e in before}) > 3  # Decoding copies every one.

    assert store.share_source_steps() == 3
    after = sorted(store.store_entries() + store.memory_entries(), key=lambda e: e.key)
    assert after == before
    assert [e.key for e in after] == [e.key for e in before]
    assert len({id(e.source_step) for e in after}) == 3
    assert store.share_source_steps() == -1  # Nothing reloaded since.

    on_disk = [tuple(r.values()) for r in rows]
    fields = [(e.key, e.value, e.timestamp, e.source_step) for e in store.store_entries()]
    assert sorted(fields) == sorted(on_disk)
    path.write_bytes(axon_style([{**rows[0], "source_step": "later"}]))
    store.reload()
    assert store.share_source_steps() == 2  # A reload brings new copies to share.
    store.persist("k0", "new", "later")
    store.flush()
    assert store.share_source_steps() == 2  # So does a flush, which may re-read the file.
