"""Live updates of the main view: watch the store files, re-check what changed, sum it up.

A mixin of the browser screen, so the watcher and the re-check workers belong to the
screen and end with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.timer import Timer
from textual.worker import get_current_worker

from axon_scopes.core.files.watching import StoreWatcher

from ..catalog import ScopeRef
from ..display import plain
from ..live import LiveReader
from ..messages import ScopeRowsLoaded, ScopesRechecked, StoreFilesChanged
from ..table.index import RowIndex
from ..table.rows import SortColumn

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from ..app import ScopesApp
    from ..widgets.entry_table import EntryTable


class LiveUpdates:
    """Watcher, periodic re-check, pause and follow; the screen supplies rows and tables."""

    if TYPE_CHECKING:
        app: App[None]
        config: ScopesApp
        current: ScopeRef | None
        table: EntryTable
        _shown_ref: ScopeRef | None
        _load_seq: int
        _scanned: bool
        #: Reactive on the screen, bound to the header: live updates are held.
        paused: bool
        #: Reactive on the screen, bound to the header: changed files waiting while paused.
        pending: int
        query_one: Callable[..., Widget]
        post_message: Callable[..., bool]
        set_interval: Callable[..., Timer]
        set_timer: Callable[..., Timer]

        def scan_catalog(self) -> None: ...
        def load_scope(
            self, ref: ScopeRef, external: bool = False, reload: bool = False
        ) -> None: ...
        def _index_rows(
            self, ref: ScopeRef, previous: RowIndex | None, column: SortColumn
        ) -> tuple[RowIndex, str | None, float | None]: ...
        def _show_rows(self, message: ScopeRowsLoaded) -> None: ...

    def init_live(self, live: LiveReader) -> None:
        self.live = live
        self.paused = False
        self.pending = 0
        self.follow = False
        self._pending: set[Path] = set()
        self._pending_all = False
        self._watcher: StoreWatcher | None = None
        self._notice: dict[str, list[int]] = {}
        self._notice_extra: list[str] = []
        self._notice_timer: Timer | None = None
        self._last_notice = float("-inf")

    def _start_watching(self) -> None:
        """Watch the store directory and reconcile now and then, once the first rows are up.

        Started with the app, the watcher's import and its polling thread would
        compete with the first frame for the GIL (some 60 ms at 100k entries).
        What changes in between is caught up with by one re-check, as soon as the
        catalog has been read (a re-check before that would read it all again).
        """
        if self._watcher is not None or not self.config.watching:
            return
        self._watcher = StoreWatcher(
            self.config.catalog.directory,
            lambda paths: self.post_message(StoreFilesChanged(set(paths))),
            base_names=self.catalog.base_names,
        )
        self._watcher.start()
        self.set_interval(self.config.RECONCILE_S, self._reconcile)
        if self._scanned:
            self._reconcile()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _reconcile(self) -> None:
        if self.paused:
            self._pending_all = True
        else:
            self.recheck(None)

    def on_store_files_changed(self, message: StoreFilesChanged) -> None:
        if self.paused:
            self._pending |= message.paths
            self.pending = len(self._pending)
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

    def on_scopes_rechecked(self, message: ScopesRechecked) -> None:
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
                self.app.notify(
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
        wait = self._last_notice + self.config.NOTICE_S - time.monotonic()
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
            self.app.notify("\n".join(lines[:8]) + more, title="Changed on disk", timeout=3)
            self._last_notice = time.monotonic()

    def action_pause(self) -> None:
        """Hold live updates (counting them); pressing again applies them."""
        self.paused = not self.paused
        if not self.paused:
            pending, self._pending = self._pending, set()
            self.pending = 0
            if self._pending_all:
                self._pending_all = False
                self.recheck(None)
            elif pending:
                self.recheck(pending)
        self.app.notify(
            "Live updates paused" if self.paused else "Live updates resumed", timeout=1.5
        )

    def action_follow(self) -> None:
        """Keep the cursor on the most recently written entry."""
        self.follow = not self.follow
        self.app.notify("Follow mode on" if self.follow else "Follow mode off", timeout=1.5)
        if self.follow:
            self._follow_newest()

    def _follow_newest(self) -> None:
        newest = self.table.newest_row
        if newest is not None:
            self.table.move_cursor_to_key(newest.row_key)
