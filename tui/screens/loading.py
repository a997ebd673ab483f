"""Reading scopes for the main view: the catalog scan and a scope's rows, in thread workers.

A mixin of the browser screen, so its workers belong to the screen and end with it.
Results go up as messages (`CatalogScanned`, `ScopeRowsLoaded`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from axon_scopes.core import MemoryEntry, ScopedSessionManager, ScopeError

from ..catalog import Catalog, ScopeRef
from ..live import LiveReader
from ..messages import CatalogScanned, ScopeRowsLoaded
from ..table.index import RowIndex
from ..table.rows import Row, SortColumn, build_rows, preview_rows, row_items
from ..widgets.scope_tree import ScopeInfo

if TYPE_CHECKING:
    from ..widgets.entry_table import EntryTable

#: Scopes with more rows than this show their first screenful before the full index.
PREVIEW_ABOVE = 20_000
#: At most this long the full index waits for the preview to be on screen.
PREVIEW_PAINT_WAIT_S = 0.5
#: Scopes with more rows than this keep them in key order (see `_index_rows`).
SORT_ROWS_ABOVE = 300_000
#: Above this many entries a scope's equal source_step strings are made one object first.
SHARE_STEPS_ABOVE = 200_000


class ScopeLoading:
    """Scan the catalog and load a scope's rows off the UI thread."""

    if TYPE_CHECKING:
        catalog: Catalog
        live: LiveReader
        table: EntryTable
        _shown_ref: ScopeRef | None
        _load_seq: int
        post_message: Callable[..., bool]

    def manager(self, ref: ScopeRef) -> ScopedSessionManager:
        return self.catalog.manager(ref.base)

    @work(thread=True, exclusive=True, group="scan")
    def scan_catalog(self) -> None:
        """Discover stores and scopes and count them; loads files, so off the UI thread."""
        self.post_message(self._scan())

    def _scan(self) -> CatalogScanned:
        self.catalog.discover()
        infos: list[ScopeInfo] = []
        for base, manager in self.catalog.managers.items():
            manager.discover()
            for scope in manager.list_scopes():
                store = manager.store(scope)
                infos.append(
                    ScopeInfo(
                        ScopeRef(base, scope),
                        store.memory_count(),
                        store.store_count(),
                        unreadable=store.error is not None,
                        published=store.memory_path().exists(),
                    )
                )
        self.live.remember_files()
        labels = {base: self.catalog.label(base) for base in self.catalog.managers}
        return CatalogScanned(infos, labels, self.catalog.has_files())

    def load_scope(self, ref: ScopeRef, external: bool = False, reload: bool = False) -> None:
        """Read a scope off the UI thread; what the worker needs of the table goes with it."""
        table = self.table
        same = ref == self._shown_ref and not table.in_preview
        preview = not same and table.sort_column == "layer" and not table.sort_reverse
        self._load_seq += 1
        previous = table.index if same else None
        self._load_rows(self._load_seq, ref, external, reload, previous, table.sort_column, preview)

    @work(thread=True, exclusive=True, group="load")
    def _load_rows(
        self,
        seq: int,
        ref: ScopeRef,
        external: bool,
        reload: bool,
        previous: RowIndex | None,
        column: SortColumn,
        preview: bool,
    ) -> None:
        if reload:
            # An unreadable file marks the scope; the rows message then carries the reason.
            with contextlib.suppress(ScopeError):
                self.manager(ref).reload(ref.scope)
        if preview:
            memory, store, published, error, published_at = self._scope_entries(ref)
            total = len(memory) + len(store) + len(published)
            if total > PREVIEW_ABOVE:
                # A big scope shows its first screenful now and the rest once it is indexed.
                first = preview_rows(memory, store, published, lookup=self._lookup(ref))
                painted = threading.Event()
                self.post_message(
                    ScopeRowsLoaded(
                        seq, ref, RowIndex(first), error, external, published_at, total, painted
                    )
                )
                # Building the full index holds the GIL for long stretches: let the
                # first screenful reach the terminal before starting on it.
                painted.wait(PREVIEW_PAINT_WAIT_S)
        index, error, published_at = self._index_rows(ref, previous, column)
        self.post_message(ScopeRowsLoaded(seq, ref, index, error, external, published_at))
        if not get_current_worker().is_cancelled:
            index.haystack  # noqa: B018 - built here so the first filter keystroke is quick

    def _index_rows(
        self, ref: ScopeRef, previous: RowIndex | None, column: SortColumn
    ) -> tuple[RowIndex, str | None, float | None]:
        """A scope's rows indexed (diffed against `previous`) and sorted by `column`."""
        manager = self.manager(ref)
        if manager.store_count(ref.scope) > SHARE_STEPS_ABOVE:
            manager.store(ref.scope).share_source_steps()  # Before the rows take the copies.
        memory, store, published, error, published_at = self._scope_entries(ref)
        # Rows in key order make filtering a big scope one straight pass (no gathering
        # of hits into sort order), but re-reading it then walks memory out of order:
        # past this size the filter matters more; below it, live reloads do.
        big = len(memory) + len(store) + len(published) > SORT_ROWS_ABOVE
        index = RowIndex(row_items(memory, store, published, sort=big), previous, ordered=big)
        index.prepare(column)
        return index, error, published_at

    def _lookup(self, ref: ScopeRef) -> Callable[[str], MemoryEntry | None]:
        return self.manager(ref).store(ref.scope).retrieve

    def _scope_entries(
        self, ref: ScopeRef
    ) -> tuple[list[MemoryEntry], list[MemoryEntry], list[MemoryEntry], str | None, float | None]:
        """Both layers, published memory, why the file is unreadable, when memory was published."""
        manager = self.manager(ref)
        store = manager.store(ref.scope)
        error = store.error.reason if store.error is not None else None
        try:
            memory = manager.published_memory(ref.scope)
        except ScopeError:
            memory = None
        published = memory.entries if memory is not None else []
        published_at = memory.mtime if memory is not None else None
        return store.memory_entries(), store.store_entries(), published, error, published_at

    def _scope_rows(self, ref: ScopeRef) -> list[Row]:
        memory, store, published, _error, _at = self._scope_entries(ref)
        return build_rows(memory, store, published)
