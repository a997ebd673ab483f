"""A second storage for the seams: scopes in shared in-memory tables, as a server's would be.

Small but complete (versions, checked commits, published memory, several scopes),
so that the core and the app can be run over something that is not a file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence

from axon_scopes.core import ScopedSessionManager, ScopeService, ScopeSource, SourceState
from axon_scopes.core.backend import (
    BackendOptions,
    Loaded,
    PublishedMemory,
    ScopeStorage,
    StoreBackend,
)
from axon_scopes.core.commit import Change, apply, raise_conflicts
from axon_scopes.core.entry import MemoryEntry
from axon_scopes.core.source import SourceChange, SourceListener


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
        return "table://scope"

    def load(self) -> Loaded:
        self.loads += 1
        with self.table.lock:
            return Loaded(dict(self.table.entries), self.table.version)

    def version(self) -> int | None:
        return self.table.version or None  # 0: nothing was ever stored

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



class TableStorage(ScopeStorage):
    """Scopes by name, each a `SharedTable`; several managers over one `tables` share them."""

    def __init__(self, tables: dict[str, SharedTable]) -> None:
        self.tables = tables
        self.lock = threading.Lock()

    @property
    def location(self) -> str:
        return "table://tables"

    @property
    def base_name(self) -> str:
        return "tables"

    def discover(self) -> list[str]:
        with self.lock:
            return sorted(name for name, table in self.tables.items() if table.version)

    def backend(self, scope: str, options: BackendOptions) -> StoreBackend:
        with self.lock:
            table = self.tables.setdefault(scope, SharedTable())
        return TableBackend(table)


class TableSource(ScopeSource):
    """One base of tables, watched by polling every scope's version."""

    def __init__(self, manager: ScopedSessionManager, poll_s: float = 0.02) -> None:
        self.manager = manager
        self.poll_s = poll_s
        #: Cleared to play an outage: the watch reports it, then the recovery.
        self.reachable = threading.Event()
        self.reachable.set()

    @property
    def location(self) -> str:
        return "table://tables"

    @property
    def kind(self) -> str:
        return "tables"

    def describe_empty(self) -> str:
        return "No tables."

    def _discover(self) -> list[str]:
        self.manager.discover()
        return []

    def services(self) -> dict[str, ScopeService]:
        return {"tables": self.manager}

    def label(self, base: str) -> str:
        return base

    def watch(
        self,
        on_change: SourceListener,
        *,
        reconcile_s: float = 10.0,
        on_state: Callable[[SourceState], None] | None = None,
    ) -> Callable[[], None]:
        stopping = threading.Event()

        def run() -> None:
            connected = True
            while not stopping.wait(self.poll_s):
                if self.reachable.is_set() != connected:
                    connected = not connected
                    if on_state is not None:
                        detail = "" if connected else "disconnected, retrying: tables away"
                        on_state(SourceState(connected=connected, detail=detail))
                if connected:
                    for change in self.manager.refresh():
                        on_change(SourceChange("tables", change))

        thread = threading.Thread(target=run, name="table-poll", daemon=True)
        thread.start()
        if on_state is not None:
            on_state(SourceState(connected=True, live=f"polling every {self.poll_s:g} s"))

        def stop() -> None:
            stopping.set()
            thread.join(timeout=2)

        return stop
