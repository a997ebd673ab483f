"""Reading scopes for the main view: the scope scan and a scope's rows, in thread workers.

A mixin of the browser screen, so its workers belong to the screen and end with it.
Results go up as messages (`ScopesScanned`, `ScopeRowsLoaded`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from axon_scopes.core import (
    MemoryEntry,
    ScopeChange,
    ScopeService,
    ScopeSnapshot,
    ScopeSource,
    SourceChange,
    SourceState,
    SourceUnavailableError,
)
from axon_scopes.core.errors import TokenRequiredError

from ..messages import ScopeRowsLoaded, ScopesScanned, SourceStateChanged
from ..refs import ScopeRef
from ..table.index import RowIndex
from ..table.rows import Item, Row, SortColumn, build_rows, preview_rows, row_items
from ..widgets.scope_tree import ScopeInfo

if TYPE_CHECKING:
    from ..app import ScopesApp
    from ..widgets.entry_table import EntryTable

#: A change naming more keys than this re-reads the shown scope whole.
PATCH_KEYS = 64


class ScopeLoading:
    """Scan the source and load a scope's rows off the UI thread."""

    if TYPE_CHECKING:
        source: ScopeSource
        config: ScopesApp
        table: EntryTable
        _shown_ref: ScopeRef | None
        _load_seq: int
        #: The source has been read once.
        _scanned: bool
        #: Live updates are held (then no rows are built ahead).
        paused: bool
        #: When the shown scope's memory layer was published (kept by a patch).
        _published_at: float | None
        post_message: Callable[..., bool]

    def service(self, ref: ScopeRef) -> ScopeService:
        return self.source.service(ref.base)

    @work(thread=True, exclusive=True, group="scan")
    def scan_scopes(self) -> None:
        """Discover bases and scopes and count them; reads stored data, so off the UI thread.

        A source that cannot be reached is said as the watcher says it (a token wanted,
        or disconnected); the tree keeps what it showed.
        """
        try:
            scanned = self._scan()
        except SourceUnavailableError as exc:
            needs = isinstance(exc, TokenRequiredError)
            detail = exc.reason if needs else f"disconnected, retrying: {exc.reason}"
            self.post_message(SourceStateChanged(SourceState(False, detail, needs_token=needs)))
            if not self._scanned:
                self.post_message(ScopesScanned([], {}, False))
            return
        self.post_message(scanned)

    def _scan(self) -> ScopesScanned:
        self.source.discover()
        infos: list[ScopeInfo] = []
        services = self.source.services()
        for base, service in services.items():
            for status in service.scopes():
                infos.append(
                    ScopeInfo(
                        ScopeRef(base, status.scope),
                        status.memory_count,
                        status.store_count,
                        unreadable=status.error is not None,
                        published=status.published,
                    )
                )
        labels = {base: self.source.label(base) for base in services}
        return ScopesScanned(infos, labels, self.source.has_data())

    def load_scope(self, ref: ScopeRef, external: bool = False, reload: bool = False) -> None:
        """Read a scope off the UI thread; what the worker needs of the table goes with it."""
        self.source.focus(ref.base, ref.scope)  # A polling source re-reads it more often.
        table = self.table
        same = ref == self._shown_ref and not table.in_preview
        preview = not same and table.sort_column == "layer" and not table.sort_reverse
        self._load_seq += 1
        previous = table.index if same else None
        self._load_rows(self._load_seq, ref, external, reload, previous, table.sort_column, preview)

    def _read_rows(
        self,
        seq: int,
        ref: ScopeRef,
        external: bool,
        reload: bool,
        previous: RowIndex | None,
        column: SortColumn,
        preview: bool,
    ) -> None:
        """Read a scope and send its rows up (on the calling worker's thread)."""
        if reload:
            # Never raises for an unreadable scope: the snapshot then carries the reason.
            self.service(ref).refresh(ref.scope)
        snapshot = self.service(ref).snapshot(ref.scope)
        tuning = self.config.tuning
        if preview:
            total = _total(snapshot)
            if total > tuning.preview_above:
                # A big scope shows its first screenful now and the rest once it is indexed.
                first = preview_rows(*_layers(snapshot), lookup=self._lookup(ref))
                painted = threading.Event()
                self.post_message(
                    ScopeRowsLoaded(
                        seq,
                        ref,
                        RowIndex(first),
                        snapshot.error,
                        external,
                        _published_at(snapshot),
                        total,
                        painted,
                    )
                )
                # Building the full index holds the GIL for long stretches: let the
                # first screenful reach the terminal before starting on it.
                if painted.wait(tuning.preview_paint_wait_s):
                    time.sleep(tuning.preview_write_s)
        index = self._index_rows(snapshot, previous, column)
        self.post_message(
            ScopeRowsLoaded(seq, ref, index, snapshot.error, external, _published_at(snapshot))
        )
        if not get_current_worker().is_cancelled:
            index.haystack  # noqa: B018 - built here so the first filter keystroke is quick

    #: The same, as a worker of the screen's (ends with it; a newer load cancels it).
    _load_rows = work(thread=True, exclusive=True, group="load")(_read_rows)

    def rows_for(self, change: SourceChange, table: EntryTable) -> ScopeRowsLoaded | None:
        """The shown scope's new rows, built on the source's thread as it reports the change.

        One pass, no trip through the UI thread and a worker in between: what keeps a
        small scope's change on screen within a frame or two. None when the change is
        not to the shown scope's entries, or the view is not a plain one to update.
        """
        ref = self._shown_ref
        moved = change.change
        if ref is None or ref != ScopeRef(change.base, moved.scope) or table.in_preview:
            return None
        if moved.new or moved.gone or moved.error or self.paused:
            return None
        previous, column = table.index, table.sort_column
        keys = named_keys([moved])
        if keys is not None:
            index = self._patched(ref, keys, previous, column)
            if index is not None:
                return ScopeRowsLoaded(0, ref, index, None, True, self._published_at)
        snapshot = self.service(ref).snapshot(ref.scope)
        index = self._index_rows(snapshot, previous, column)
        return ScopeRowsLoaded(0, ref, index, snapshot.error, True, _published_at(snapshot))

    def patch_rows(self, ref: ScopeRef, keys: frozenset[str]) -> None:
        """Re-read only `keys` of the shown scope (a change feed named them); else all of it."""
        table = self.table
        if ref != self._shown_ref or table.in_preview:
            self.load_scope(ref, external=True)
            return
        self._load_seq += 1
        self._patch_rows(self._load_seq, ref, keys, table.index, table.sort_column)

    @work(thread=True, exclusive=True, group="load")
    def _patch_rows(
        self,
        seq: int,
        ref: ScopeRef,
        keys: frozenset[str],
        previous: RowIndex,
        column: SortColumn,
    ) -> None:
        index = self._patched(ref, keys, previous, column)
        if index is None:  # Not a plain change of store rows: read the scope whole.
            self._read_rows(seq, ref, True, False, previous, column, False)
            return
        self.post_message(ScopeRowsLoaded(seq, ref, index, None, True, self._published_at))

    def _patched(
        self, ref: ScopeRef, keys: frozenset[str], previous: RowIndex, column: SortColumn
    ) -> RowIndex | None:
        """`previous` with the store rows of `keys` as stored now; None if no plain patch."""
        service = self.service(ref)
        patch = patched_items(previous, keys, lambda key: service.get(ref.scope, key))
        if patch is None:
            return None
        index = RowIndex.patched(previous, *patch)
        index.prepare(column)
        return index

    def _index_rows(
        self, snapshot: ScopeSnapshot, previous: RowIndex | None, column: SortColumn
    ) -> RowIndex:
        """A scope's rows indexed (diffed against `previous`) and sorted by `column`."""
        # Rows in key order make filtering a big scope one straight pass (no gathering
        # of hits into sort order), but re-reading it then walks memory out of order:
        # past this size the filter matters more; below it, live reloads do.
        big = _total(snapshot) > self.config.tuning.sort_rows_above
        index = RowIndex(row_items(*_layers(snapshot), sort=big), previous, ordered=big)
        index.prepare(column)
        return index

    def _lookup(self, ref: ScopeRef) -> Callable[[str], MemoryEntry | None]:
        service = self.service(ref)
        return lambda key: service.get(ref.scope, key)

    def _scope_rows(self, ref: ScopeRef) -> list[Row]:
        return build_rows(*_layers(self.service(ref).snapshot(ref.scope)))


def named_keys(changes: Iterable[ScopeChange]) -> frozenset[str] | None:
    """The store keys these changes name, if each names its keys, touches nothing else
    (new, gone, unreadable, published memory) and together they are few enough to patch."""
    keys: set[str] = set()
    for change in changes:
        if change.keys is None or change.new or change.gone or change.error or change.published:
            return None
        keys |= change.keys
    return frozenset(keys) if len(keys) <= PATCH_KEYS else None


def patched_items(
    previous: RowIndex, keys: frozenset[str], get: Callable[[str], MemoryEntry | None]
) -> tuple[dict[int, Item], list[Item]] | None:
    """The rows of `keys` as stored now: (replaced by index, appended); None if that is
    not a plain patch (other layers shown, a row removed, key order to keep)."""
    if previous.layers.count("store") != len(previous.layers):
        return None  # Memory or published rows: their conflict marks depend on the store.
    replaced: dict[int, Item] = {}
    appended: list[Item] = []
    for key in sorted(keys):
        entry = get(key)
        try:
            at = previous.keys.index(key)  # A search in C; few keys, so few searches.
        except ValueError:
            at = -1
        if entry is None:
            if at >= 0:
                return None  # A row removed: the full diff knows how to move the rest.
        elif at < 0:
            appended.append(entry)
        else:
            replaced[at] = entry
    if appended and previous.ordered:
        return None
    return replaced, appended


def _layers(
    snapshot: ScopeSnapshot,
) -> tuple[list[MemoryEntry], list[MemoryEntry], list[MemoryEntry]]:
    """Memory, store and published memory entries, as the row builders take them."""
    published = snapshot.published.entries if snapshot.published is not None else []
    return snapshot.memory, snapshot.store, published


def _total(snapshot: ScopeSnapshot) -> int:
    published = len(snapshot.published.entries) if snapshot.published is not None else 0
    return len(snapshot.memory) + len(snapshot.store) + published


def _published_at(snapshot: ScopeSnapshot) -> float | None:
    return snapshot.published.mtime if snapshot.published is not None else None
