"""`SessionStore` over any `StoreBackend`: the layers, merging and checks do not depend on files."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence

import pytest

from axon_scopes.core import MemoryEntry, SessionStore, WriteConflictError
from axon_scopes.core.backend import Loaded, PublishedMemory, StoreBackend
from axon_scopes.core.commit import Change, apply, raise_conflicts
from axon_scopes.core.files import FileBackend


class SharedTable:
    """Storage shared by several stores, as a server's table would be shared by its clients."""

    def __init__(self) -> None:
        self.entries: dict[str, MemoryEntry] = {}
        self.version = 0
        self.lock = threading.Lock()
        self.memory: PublishedMemory | None = None


class TableBackend(StoreBackend):
    """A complete, if small, second backend: a shared in-memory table with a version counter."""

    def __init__(self, table: SharedTable) -> None:
        self.table = table
        self.loads = 0

    @property
    def location(self) -> str:
        return "table://global"

    def load(self) -> Loaded:
        self.loads += 1
        with self.table.lock:
            return Loaded(dict(self.table.entries), self.table.version)

    def version(self) -> int:
        return self.table.version

    def commit(
        self,
        view: Mapping[str, MemoryEntry],
        sets: Mapping[str, MemoryEntry],
        purges: Collection[str],
        checked: Sequence[Change],
    ) -> dict[str, MemoryEntry]:
        with self.table.lock:
            merged = dict(self.table.entries)
            merged.update(sets)
            for key in purges:
                merged.pop(key, None)
            raise_conflicts("", "store", checked, merged.get)
            apply(merged, checked)
            self.table.entries = merged
            self.table.version += 1
            return dict(merged)

    def publish_memory(self, entries: Sequence[MemoryEntry]) -> None:
        self.table.memory = PublishedMemory(sorted(entries, key=lambda e: e.key), 0.0)

    def read_published_memory(self) -> PublishedMemory | None:
        return self.table.memory


def two_clients() -> tuple[SessionStore, SessionStore, SharedTable]:
    table = SharedTable()
    clock = iter(range(1_000, 2_000)).__next__
    first = SessionStore(name="global", backend=TableBackend(table), clock=clock)
    second = SessionStore(name="global", backend=TableBackend(table), clock=clock)
    return first, second, table


def test_flushes_merge_per_key_through_any_backend() -> None:
    first, second, table = two_clients()
    first.persist("a", "1", "s")
    second.persist("b", "2", "s")
    first.flush()
    second.flush()
    assert {k: e.value for k, e in table.entries.items()} == {"a": "1", "b": "2"}
    assert second.retrieve("a") is not None and second.retrieve("a").value == "1"


def test_checked_writes_are_checked_by_the_backend() -> None:
    first, second, table = two_clients()
    first.persist("k", "base", "s")
    first.flush()
    assert second.reload()
    seen = second.retrieve("k")
    theirs = first.compare_and_set("k", seen, "theirs", "s")
    with pytest.raises(WriteConflictError) as caught:
        second.compare_and_set("k", seen, "mine", "s")
    assert caught.value.scope == "global" and caught.value.actual == theirs
    assert table.entries["k"] == theirs and not second.dirty
    assert second.retrieve("k") == theirs  # The store shows what is stored now.
    second.purge_if("k", theirs)
    assert "k" not in table.entries


def test_reload_asks_the_backend_for_its_version_before_loading() -> None:
    first, second, _table = two_clients()
    backend = second.backend
    assert isinstance(backend, TableBackend)
    loads = backend.loads
    assert second.reload() is False
    assert backend.loads == loads
    first.persist("k", "v", "s")
    first.flush()
    assert second.reload() is True
    assert backend.loads == loads + 1


def test_published_memory_goes_through_the_backend() -> None:
    table = SharedTable()
    store = SessionStore(name="global", backend=TableBackend(table), publish_memory=True)
    store.remember("m", "v", "s")
    store.flush()
    published = SessionStore(name="global", backend=TableBackend(table)).read_published_memory()
    assert published is not None and [e.key for e in published.entries] == ["m"]


def test_the_file_store_is_a_backend_like_any_other(tmp_path: object) -> None:
    store = SessionStore(f"{tmp_path}/prog.axon")
    assert isinstance(store.backend, FileBackend) and isinstance(store.backend, StoreBackend)
    assert store.backend.path == tmp_path / ".prog.session.json"  # type: ignore[operator]
