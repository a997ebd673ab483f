"""`SessionStore` over any `StoreBackend`: the layers, merging and checks do not depend on files."""

from __future__ import annotations

import pytest

from axon_scopes.core import SessionStore, WriteConflictError
from axon_scopes.core.backend import StoreBackend
from axon_scopes.core.files import FileBackend

from .tables import SharedTable, TableBackend


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
    first.persist("k", "v", "s")
    first.flush()
    assert second.reload() is True
    loads = backend.loads
    assert second.reload() is False
    assert backend.loads == loads
    first.persist("k", "v2", "s")
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
