"""The axon-scopes app: scope tree, two-layer entry table, detail pane, dialogs."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static, Tree
from textual.worker import get_current_worker

from axon_scopes.core import (
    DEFAULT_MAX_VALUE_BYTES,
    MemoryEntry,
    ScopedSessionManager,
    ScopeError,
)
from axon_scopes.core.files.reading import DEFAULT_MAX_FILE_BYTES
from axon_scopes.core.files.watching import StoreWatcher

from . import changes
from .catalog import Catalog, ScopeRef
from .display import plain, safe
from .keys import bindings, help_sections, palette
from .live import LiveReader
from .messages import (
    CatalogScanned,
    ExportFinished,
    ScopeRowsLoaded,
    ScopesRechecked,
    StoreFilesChanged,
)
from .screens.writes import WriteFlows
from .table.index import RowIndex
from .table.rows import Row, SortColumn, build_rows, preview_rows, row_items
from .widgets.detail import DetailPane
from .widgets.entry_table import EntryTable
from .widgets.header import StoreHeader
from .widgets.safe_inputs import SafeInput
from .widgets.scope_tree import ScopeInfo, ScopeTree

if TYPE_CHECKING:
    from .dialogs.export import ExportResult

Clock = Callable[[], float]
#: Scopes with more rows than this show their first screenful before the full index.
PREVIEW_ABOVE = 20_000
#: At most this long the full index waits for the preview to be on screen.
PREVIEW_PAINT_WAIT_S = 0.5
#: Scopes with more rows than this keep them in key order (see `_index_rows`).
SORT_ROWS_ABOVE = 300_000
#: Above this many entries a scope's equal source_step strings are made one object first.
SHARE_STEPS_ABOVE = 200_000
#: A notification shows at most this many characters (a key may be a megabyte long).
NOTICE_CHARS = 2_000
READ_ONLY_REASON = "read-only: started with --read-only, so nothing can be changed"


class ScopesApp(App[None], WriteFlows):
    """Browse and edit the scopes of one or more Axon stores."""

    #: Dialogs bring their own sheet (`DialogScreen.CSS_PATH`) when first opened.
    CSS_PATH = "app.tcss"
    TITLE = "axon-scopes"
    #: Dialogs and inputs read this; tests and pictures turn it off for steady frames.
    CURSOR_BLINK = True

    BINDINGS = bindings()

    #: Set by the command line, which owns the process: once the first scope is shown,
    #: move everything alive into the collector's permanent generation. Textual keeps
    #: tens of thousands of long-lived objects, and every full collection walked them
    #: all again (20-100 ms each, which showed up as stutters during live reloads).
    freeze_gc = False

    #: Seconds between stat-based checks that catch anything the watcher missed.
    RECONCILE_S = 2.0
    #: The watcher starts once the first rows are on screen, or after this long at most.
    WATCH_AFTER_S = 3.0
    #: At most one "changed on disk" notice this often; changes in between are summed.
    NOTICE_S = 2.0

    def __init__(
        self,
        catalog: Catalog,
        *,
        read_only: bool = False,
        watch: bool = True,
        clock: Clock = time.time,
        theme: str | None = None,
        cursor_blink: bool = True,
        age_refresh: float | None = 15.0,
        max_value_bytes: int | None = None,
    ) -> None:
        super().__init__()
        self.max_value_bytes = max_value_bytes
        self.CURSOR_BLINK = cursor_blink
        self.age_refresh = age_refresh
        self.catalog = catalog
        self.read_only = read_only
        self.watch_enabled = watch
        self.clock = clock
        self.current: ScopeRef | None = None
        #: The scope whose rows the table holds (switching scopes resets the cursor).
        self._shown_ref: ScopeRef | None = None
        #: When the shown scope's published memory layer was written (file mtime).
        self._published_at: float | None = None
        self.undo_stack: list[changes.UndoStep] = []
        #: Counts scope loads; only the latest one's rows are shown.
        self._load_seq = 0
        self._infos: dict[ScopeRef, ScopeInfo] = {}
        #: The catalog has been read once (its files' signatures are known).
        self._scanned = False
        self._errors: dict[ScopeRef, str] = {}
        self.live = LiveReader(catalog)
        self.paused = False
        self.follow = False
        self._pending: set[Path] = set()
        self._pending_all = False
        self._watcher: StoreWatcher | None = None
        self._notice: dict[str, list[int]] = {}
        self._notice_extra: list[str] = []
        self._notice_timer: Timer | None = None
        self._last_notice = float("-inf")
        if theme:
            self.theme = theme

    # ── layout ─────────────────────────────────────────────────────────────

    def compose(self) -> ComposeResult:
        yield StoreHeader(id="header")
        with Horizontal(id="body"):
            yield ScopeTree(id="scopes")
            with Vertical(id="main"):
                yield SafeInput(
                    placeholder="filter: key or value contains…",
                    id="filter",
                    cursor_blink=self.CURSOR_BLINK,
                    select_on_focus=False,  # `/` again refines the query, not replaces it.
                )
                yield Static(id="scope-banner")
                yield EntryTable(id="entries", clock=self.clock, age_refresh=self.age_refresh)
                yield DetailPane(id="detail")
                yield Static(id="empty")
        # The key bar is mounted right after the first frame: it costs ~30 ms to
        # build, and this slot holds its line so nothing moves when it comes.
        yield Static(id="footer-slot")

    def on_mount(self) -> None:
        header = self.query_one(StoreHeader)
        header.location = self.catalog.location
        header.read_only = self.read_only
        header.reading = self.table.reading = True
        self.query_one("#filter", Input).display = False
        self.query_one("#scope-banner", Static).display = False
        self.query_one("#empty", Static).display = False
        self.query_one(DetailPane).can_focus = False
        self.table.focus()
        self.set_timer(0.3, self._mount_footer)  # Also when no rows ever come.
        # The detail pane follows the cursor in the same frame, not one message later.
        self.table.cursor_signal.subscribe(self, lambda _row: self._update_detail(), immediate=True)
        self.scan_catalog()
        if self.watch_enabled:
            header.watching = True
            self.set_timer(self.WATCH_AFTER_S, self._start_watching)

    # ── notifications ──────────────────────────────────────────────────────

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification, whoever raises it, is plain text through `display.plain`.

        Messages carry scope names, keys, paths and error reasons. Textual would parse
        them as markup (crashing on `[/]`, obeying `[@click=…]`) and write their
        control characters to the terminal, so `markup` is accepted and ignored.
        """
        if len(message) > NOTICE_CHARS:
            message = message[:NOTICE_CHARS] + "…"
        super().notify(
            plain(message, keep_layout=True),
            title=plain(title[:NOTICE_CHARS]),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def action_help_quit(self) -> None:
        """ctrl+c does not quit (inputs copy with it): say which key does, without markup."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app", title="Do you want to quit?")
                return

    # ── live reload ────────────────────────────────────────────────────────

    def _start_watching(self) -> None:
        """Watch the store directory and reconcile now and then, once the first rows are up.

        Started with the app, the watcher's import and its polling thread would
        compete with the first frame for the GIL (some 60 ms at 100k entries).
        What changes in between is caught up with by one re-check, as soon as the
        catalog has been read (a re-check before that would read it all again).
        """
        if self._watcher is not None or not self.watch_enabled or not self._ui_alive():
            return
        self._watcher = StoreWatcher(
            self.catalog.directory,
            lambda paths: self.post_message(StoreFilesChanged(set(paths))),
            base_names=self.catalog.base_names,
        )
        self._watcher.start()
        self.set_interval(self.RECONCILE_S, self._reconcile)
        if self._scanned:
            self._reconcile()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    def _reconcile(self) -> None:
        if self.paused:
            self._pending_all = True
        else:
            self.recheck(None)

    @on(StoreFilesChanged)
    def _files_changed(self, message: StoreFilesChanged) -> None:
        if not self._ui_alive():
            return
        if self.paused:
            self._pending |= message.paths
            self.query_one(StoreHeader).pending = len(self._pending)
            return
        self.recheck(message.paths)

    def recheck(self, paths: set[Path] | None) -> None:
        """Re-read changed files off the UI thread; the shown scope's rows come back too."""
        table = self.table
        shown = None if table.in_preview else self._shown_ref
        self._recheck_files(paths, shown, table.index, table.sort_column)

    @work(thread=True, group="live")
    def _recheck_files(
        self,
        paths: set[Path] | None,
        shown: ScopeRef | None,
        previous: RowIndex,
        column: SortColumn,
    ) -> None:
        result = self.live.recheck(paths, uncounted=shown)
        rows = None
        for i, change in enumerate(result.changes):
            if change.ref == shown and (change.reloaded or change.published or change.error):
                # Built here, in the same pass: no second trip through the UI thread.
                index, error, published_at = self._index_rows(shown, previous, column)
                rows = ScopeRowsLoaded(0, shown, index, error, True, published_at)
                diff = index.diff
                result.changes[i] = replace(
                    change, added=diff.added, changed=diff.changed, removed=diff.removed
                )
        self.post_message(ScopesRechecked(result, rows))
        if rows is not None and not get_current_worker().is_cancelled:
            rows.index.haystack  # noqa: B018 - warm for the next filter keystroke

    @on(ScopesRechecked)
    def _rechecked(self, message: ScopesRechecked) -> None:
        if not self._ui_alive():
            return
        result = message.result
        if not result.any:
            return
        for change in result.changes:
            if change.added or change.changed or change.removed:
                counts = self._notice.setdefault(change.ref.scope, [0, 0, 0])
                counts[0] += change.added
                counts[1] += change.changed
                counts[2] += change.removed
        for ref in result.new_scopes:
            self._notice_extra.append(f"{plain(ref.scope)}: new scope")
        for ref in result.gone_scopes:
            self._notice_extra.append(f"{plain(ref.scope)}: file removed")
        self._schedule_notice()
        for change in result.changes:
            if change.error:
                self.notify(
                    f"{plain(change.ref.scope)}: {change.error}",
                    title="Unreadable; showing the last good data",
                    severity="error",
                    timeout=6,
                )
        counts_moved = any(c.added or c.removed or c.error for c in result.changes)
        if result.new_scopes or result.gone_scopes or counts_moved:
            self.scan_catalog()
        rows = message.rows
        if rows is not None and rows.ref == self.current:
            self._load_seq += 1  # Newer than any load still under way.
            self._show_rows(rows)
            return
        touched = {c.ref for c in result.changes}
        if self.current is not None and self.current in touched:
            self.load_scope(self.current, external=True)

    def _schedule_notice(self) -> None:
        """One "changed on disk" notice at most every NOTICE_S, summing what came between."""
        if not (self._notice or self._notice_extra) or self._notice_timer is not None:
            return
        wait = self._last_notice + self.NOTICE_S - time.monotonic()
        if wait <= 0:
            self._show_notice()
        else:
            self._notice_timer = self.set_timer(wait, self._show_notice)

    def _show_notice(self) -> None:
        self._notice_timer = None
        lines = [f"{plain(scope)}: +{a} ~{c} -{r}" for scope, (a, c, r) in self._notice.items()]
        lines += self._notice_extra
        self._notice, self._notice_extra = {}, []
        if lines:
            more = f"\n… and {len(lines) - 8} more" if len(lines) > 8 else ""
            self.notify("\n".join(lines[:8]) + more, title="Changed on disk", timeout=3)
            self._last_notice = time.monotonic()

    def action_pause(self) -> None:
        """Hold live updates (counting them); pressing again applies them."""
        self.paused = not self.paused
        header = self.query_one(StoreHeader)
        header.paused = self.paused
        if not self.paused:
            pending, self._pending = self._pending, set()
            header.pending = 0
            if self._pending_all:
                self._pending_all = False
                self.recheck(None)
            elif pending:
                self.recheck(pending)
        self.notify("Live updates paused" if self.paused else "Live updates resumed", timeout=1.5)

    def action_follow(self) -> None:
        """Keep the cursor on the most recently written entry."""
        self.follow = not self.follow
        self.notify("Follow mode on" if self.follow else "Follow mode off", timeout=1.5)
        if self.follow:
            self._follow_newest()

    def _follow_newest(self) -> None:
        newest = self.table.newest_row
        if newest is not None:
            self.table.move_cursor_to_key(newest.row_key)

    def _ui_alive(self) -> bool:
        """False while the app shuts down: workers may still report while widgets go away.

        Shutdown clears `is_running` before it removes any widget, and then removes
        them one by one, so the table alone being there proves nothing.
        """
        return self.is_running and bool(self.query("#entries"))

    @property
    def table(self) -> EntryTable:
        return self.query_one(EntryTable)

    @property
    def tree(self) -> ScopeTree:
        return self.query_one(ScopeTree)

    def manager(self, ref: ScopeRef) -> ScopedSessionManager:
        return self.catalog.manager(ref.base)

    # ── reading (workers) ──────────────────────────────────────────────────

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

    @on(CatalogScanned)
    def _catalog_scanned(self, message: CatalogScanned) -> None:
        if not self._ui_alive():
            return
        self._infos = {info.ref: info for info in message.infos}
        self._scanned = True
        self.tree.show(message.infos, message.base_labels)
        header = self.query_one(StoreHeader)
        header.reading = False
        if not message.infos:
            self.table.reading = False
            self.table.refresh()
        header.scope_count = len(message.infos)
        header.memory_total = sum(i.memory_count for i in message.infos)
        header.store_total = sum(i.store_count for i in message.infos)
        self._show_empty(not message.has_files)
        if self.current is None or self.current not in self._infos:
            first = self._default_ref(message.infos)
            if first is not None:
                self.select_scope(first)
        if self.current is None:  # No rows to wait for.
            self._start_watching()

    def _default_ref(self, infos: Iterable[ScopeInfo]) -> ScopeRef | None:
        refs = [i.ref for i in infos]
        for ref in refs:
            if ref.scope == "global":
                return ref
        return refs[0] if refs else None

    def _show_empty(self, empty: bool) -> None:
        empty_widget = self.query_one("#empty", Static)
        empty_widget.display = empty
        self.table.display = not empty
        self.query_one(DetailPane).display = not empty
        if empty:
            empty_widget.update(
                Content.assemble(
                    Content.styled("No Axon session files found.\n\n", "bold"),
                    "Looked for  ",
                    safe(self.catalog.location, style="$text-accent"),
                    "\nin          ",
                    safe(self.catalog.where),
                    "\n\nPoint axon-scopes elsewhere:\n"
                    "  axon-scopes path/to/axon-server   (the server's base path)\n"
                    "  axon-scopes path/to/directory     (every store in it)\n\n"
                    "or press a to add the first entry here.",
                )
            )

    def select_scope(self, ref: ScopeRef) -> None:
        self.current = ref
        # After a refresh: nodes added just now have no line in the tree yet.
        self.call_after_refresh(self.tree.select_ref, ref)
        self.load_scope(ref)

    @on(ScopeRowsLoaded)
    def _rows_loaded(self, message: ScopeRowsLoaded) -> None:
        if not self._ui_alive():
            return
        if message.ref != self.current or message.seq != self._load_seq:
            return  # A newer load is under way: its rows are the ones to show.
        self._show_rows(message)

    def _mount_footer(self) -> None:
        slots = self.query("#footer-slot")
        if slots:
            slots.remove()
            self.mount(Footer())
            # A footer mounted after focus settled has heard no bindings change yet.
            self.call_after_refresh(self.refresh_bindings)

    def _show_rows(self, message: ScopeRowsLoaded) -> None:
        self.call_after_refresh(self._mount_footer)
        self.call_after_refresh(self._start_watching)
        switched = message.ref != self._shown_ref
        self._shown_ref = message.ref
        flash = message.external and not switched
        if message.preview_total is not None:
            self.table.show_preview(message.index, message.preview_total)
            if message.painted is not None:
                self.call_after_refresh(message.painted.set)
        else:
            self.table.set_index(message.index, flash_changes=flash, keep_position=not switched)
            if self.freeze_gc:
                self.freeze_gc = False
                self.call_after_refresh(gc.freeze)
        self._show_match_count()
        if message.external and self.follow:
            self._follow_newest()
        self._published_at = message.published_at
        banner = self.query_one("#scope-banner", Static)
        if message.error:
            self._errors[message.ref] = message.error
            banner.update(
                Content.assemble(
                    Content.styled("⚠ unreadable: ", "bold"),
                    safe(message.error),
                    Content.styled("   (i: details; writes are refused)", "italic"),
                )
            )
        else:
            self._errors.pop(message.ref, None)
        banner.display = bool(message.error)
        self._update_detail()

    # ── tree and table events ──────────────────────────────────────────────

    @on(Tree.NodeHighlighted, "#scopes")
    def _scope_highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        if isinstance(data, ScopeRef) and data != self.current:
            self.current = data
            self.load_scope(data)

    @on(EntryTable.RowActivated)
    def _row_activated(self, event: EntryTable.RowActivated) -> None:
        self.action_edit()

    def _update_detail(self) -> None:
        detail = self.query_one(DetailPane)
        row = self.table.cursor_row
        if row is None and self.current in self._errors:
            detail.show_message(
                Content.styled(
                    "Nothing from this scope's file can be shown: it could not be read.\n"
                    "The file is left untouched. Press i for the file and the reason.",
                    "$text-error",
                )
            )
            return
        scope = self.current.scope if self.current else ""
        detail.show_row(scope, row, self.clock(), published_at=self._published_at)

    # ── filter and sort ────────────────────────────────────────────────────

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()
        self._show_match_count()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._show_match_count()
        self._update_detail()

    def _show_match_count(self) -> None:
        """How many rows the filter lets through, under the filter box."""
        field = self.query_one("#filter", Input)
        if field.display:
            table = self.table
            field.border_subtitle = f"{table.row_count:,} of {table.total_count:,}"

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def key_escape(self) -> None:
        field = self.query_one("#filter", Input)
        if field.has_focus:
            field.value = ""
            field.display = False
            self.table.focus()

    def action_sort(self, column: SortColumn | None = None) -> None:
        """No column: the next sort of the cycle; a column: sort by it, again to reverse."""
        table = self.table
        if column is None:
            table.cycle_sort()
        else:
            table.sort_by(column)
        arrow = "descending" if table.sort_reverse else "ascending"
        self.notify(f"Sorted by {table.sort_column}, {arrow}", timeout=1.5)

    # ── writes ─────────────────────────────────────────────────────────────

    def _writable_row(self) -> Row | None:
        """The row under the cursor if it may be changed; otherwise say why not."""
        if not self._can_write():
            return None
        row = self.table.cursor_row
        if row is None:
            self.notify("No entry selected.", severity="warning")
            return None
        if not row.writable:
            self.notify(
                "This memory layer was published by another process; it is read-only here.",
                severity="warning",
            )
            return None
        return row

    def _can_write(self) -> bool:
        if self.read_only:
            self.notify(READ_ONLY_REASON, severity="warning")
            return False
        if self.current is None:
            self.notify("No scope selected.", severity="warning")
            return False
        if self.current in self._errors:
            self.notify(
                f"This scope's file is unreadable, so writes are refused: "
                f"{self._errors[self.current]}",
                severity="error",
            )
            return False
        return True

    def action_edit(self) -> None:
        row = self._writable_row()
        if row is None or self.current is None:
            return
        self.open_editor(self.current, row, changes.seen(row))

    def action_add(self) -> None:
        if self._can_write() and self.current is not None:
            self.open_adder(self.current)

    def action_purge(self) -> None:
        row = self._writable_row()
        if row is not None and self.current is not None:
            self.purge_flow(self.current, row)

    def action_bulk_purge(self) -> None:
        if not self._can_write() or self.current is None:
            return
        ref = self.current

        def find(query: str) -> list[Row]:
            needle = query.lower()
            matches = [
                row
                for row in self._scope_rows(ref)
                if row.writable and (needle in row.key.lower() or needle in row.value.lower())
            ]
            return sorted(matches, key=lambda row: (row.layer, row.key))

        self.bulk_purge_flow(ref, find, self.table.filter_query)

    def action_undo(self) -> None:
        if self.read_only:
            self.notify(READ_ONLY_REASON, severity="warning")
            return
        self.undo_flow()

    # ── other actions ──────────────────────────────────────────────────────

    def action_copy(self) -> None:
        row = self.table.cursor_row
        if row is None:
            self.notify("No entry selected.", severity="warning")
            return
        self.copy_to_clipboard(row.value)
        self.notify(f"Copied the value of {row.key!r} ({len(row.value):,} characters).")

    def action_export(self) -> None:
        from .dialogs.export import ExportDialog

        if self.current is None:
            return
        ref = self.current

        def done(result: ExportResult | None) -> None:
            if result is not None:
                self.export_scope(ref, result)

        self.push_screen(ExportDialog(ref.scope, default_dir=Path.cwd()), done)

    @work(thread=True, group="export")
    def export_scope(self, ref: ScopeRef, result: ExportResult) -> None:
        from .exporting import export_mode, write_export

        manager = self.manager(ref)
        try:
            text = (
                manager.export_json(ref.scope)
                if result.format == "json"
                else manager.export_csv(ref.scope, neutralize_formulas=result.neutralize_formulas)
            )
            write_export(result.path, text, export_mode(manager.store_path(ref.scope)))
        except (OSError, ScopeError) as exc:
            self.post_message(ExportFinished(result.path, str(exc)))
            return
        self.post_message(ExportFinished(result.path))

    @on(ExportFinished)
    def _export_finished(self, message: ExportFinished) -> None:
        if message.error:
            self.notify(message.error, title="Export failed", severity="error")
        else:
            self.notify(f"Exported to {message.path}")

    def action_reload(self) -> None:
        if self.current is not None:
            self.load_scope(self.current, external=True, reload=True)
        self.scan_catalog()

    def action_scope_info(self) -> None:
        from .dialogs.confirm import MessageDialog

        ref = self.tree.cursor_ref or self.current
        if ref is None:
            return
        manager = self.manager(ref)
        error = manager.scope_error(ref.scope)
        path = manager.store_path(ref.scope)
        if error is None:
            body = Content.assemble(
                "Scope  ",
                safe(ref.scope, style="bold"),
                "\nFile   ",
                safe(str(path)),
                "\n\nThe file is readable.",
            )
        else:
            body = Content.assemble(
                "Scope  ",
                safe(ref.scope, style="bold"),
                "\nFile   ",
                safe(str(error.path)),
                "\n\n",
                Content.styled("Why it is unreadable\n", "bold $text-error"),
                safe(error.reason, keep_layout=True),
                "\n\nIts bytes are left exactly as they are and writes to it are refused. "
                "Fix or move the file, then press ctrl+r.",
            )
        self.push_screen(MessageDialog("Scope file", body))

    def action_help(self) -> None:
        from .dialogs.help import HelpScreen

        self.push_screen(HelpScreen(help_sections()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in palette():
            yield SystemCommand(title, help_text, self._runner(action))

    def _runner(self, action: str) -> Callable[[], object]:
        return lambda: self.run_action(action)


def make_app(
    target: str | os.PathLike[str] | ScopedSessionManager | None = None,
    *,
    read_only: bool = False,
    watch: bool = True,
    clock: Clock = time.time,
    theme: str | None = None,
    cursor_blink: bool = True,
    age_refresh: float | None = 15.0,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    lock_timeout: float | None = None,
) -> ScopesApp:
    """Build the app for the command line and the tests alike.

    `target` is a base path (`dir/axon-server`), a directory of stores, or a live
    `ScopedSessionManager` (both of its layers then show and are editable).
    Tests pass a fixed `clock`, `cursor_blink=False` and `age_refresh=None`.
    """
    #: Left to the manager's default unless given (tests shorten the lock wait).
    options = {} if lock_timeout is None else {"lock_timeout": lock_timeout}
    catalog = Catalog(
        target,
        manager_factory=lambda base: ScopedSessionManager(
            base,
            clock=clock,
            max_file_bytes=max_file_bytes,
            max_value_bytes=max_value_bytes,
            **options,
        ),
    )
    return ScopesApp(
        catalog,
        read_only=read_only,
        watch=watch,
        clock=clock,
        theme=theme,
        cursor_blink=cursor_blink,
        age_refresh=age_refresh,
        max_value_bytes=max_value_bytes,
    )
