"""Live updates of the main view: changes the source reports, applied or held, summed up.

A mixin of the browser screen: the source's watch starts and stops with the screen,
and changes arrive as `SourceChanged` messages from the source's own thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.timer import Timer

from axon_scopes.core import ScopeSource, SourceChange

from ..display import plain
from ..messages import SourceChanged, SourceStateChanged
from ..refs import ScopeRef

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from ..app import ScopesApp
    from ..widgets.entry_table import EntryTable


class LiveUpdates:
    """Watch, pause and follow; the screen supplies rows and tables."""

    if TYPE_CHECKING:
        app: App[None]
        config: ScopesApp
        source: ScopeSource
        current: ScopeRef | None
        table: EntryTable
        _scanned: bool
        #: Reactive on the screen, bound to the header: live updates are held.
        paused: bool
        #: Reactive on the screen, bound to the header: changes waiting while paused.
        pending: int
        #: Reactive on the screen, bound to the header: why the source is unreachable.
        offline: str
        query_one: Callable[..., Widget]
        post_message: Callable[..., bool]
        set_timer: Callable[..., Timer]

        def scan_scopes(self) -> None: ...
        def patch_rows(self, ref: ScopeRef, keys: frozenset[str]) -> None: ...
        def load_scope(
            self, ref: ScopeRef, external: bool = False, reload: bool = False
        ) -> None: ...

    def init_live(self) -> None:
        self.paused = False
        self.pending = 0
        self.follow = False
        self._held: list[SourceChange] = []
        self._stop_watching: Callable[[], None] | None = None
        self._notice: dict[str, list[int]] = {}
        self._notice_extra: list[str] = []
        self._notice_timer: Timer | None = None
        self._last_notice = float("-inf")

    def _start_watching(self) -> None:
        """Follow the source's changes, once the first rows are up.

        Started with the app, the watcher's import and its thread would compete with
        the first frame for the GIL (some 60 ms at 100k entries). What changes in
        between is caught up with by the source's first re-check.
        """
        if self._stop_watching is not None or not self.config.watching:
            return
        self._stop_watching = self.source.watch(
            lambda change: self.post_message(SourceChanged([change])),
            reconcile_s=self.config.tuning.reconcile_s,
            on_state=lambda state: self.post_message(SourceStateChanged(state)),
        )

    def on_unmount(self) -> None:
        if self._stop_watching is not None:
            self._stop_watching()
            self._stop_watching = None

    def on_source_changed(self, message: SourceChanged) -> None:
        if self.paused:
            self._held.extend(message.changes)
            self.pending = len({(c.base, c.change.scope) for c in self._held})
            return
        self.apply_changes(message.changes)

    def on_source_state_changed(self, message: SourceStateChanged) -> None:
        """Lost: say so once and keep saying it in the header; found again: catch up."""
        state = message.state
        was = self.offline
        self.offline = "" if state.connected else (state.detail or "disconnected, retrying")
        if self.offline and not was:
            self.app.notify(
                self.offline,
                title=f"{self.source.location}: showing the last good data",
                severity="error",
                timeout=6,
            )
        elif was and not self.offline:
            self.app.notify(f"{self.source.location}: connected again", timeout=3)
            self.scan_scopes()
            if self.current is not None:
                self.load_scope(self.current, external=True)

    def apply_changes(self, found: list[SourceChange]) -> None:
        """Sum changes up, refresh the tree when scopes or counts moved, reload the shown scope."""
        rescan = False
        touched: set[ScopeRef] = set()
        for item in found:
            change = item.change
            ref = ScopeRef(item.base, change.scope)
            touched.add(ref)
            if change.counted:
                counts = self._notice.setdefault(change.scope, [0, 0, 0])
                counts[0] += change.added
                counts[1] += change.changed
                counts[2] += change.removed
            if change.new:
                self._notice_extra.append(f"{plain(change.scope)}: new scope")
            if change.gone:
                gone = "file removed" if self.source.kind == "files" else "removed"
                self._notice_extra.append(f"{plain(change.scope)}: {gone}")
            if change.error:
                self.app.notify(
                    f"{plain(change.scope)}: {change.error}",
                    title="Unreadable; showing the last good data",
                    severity="error",
                    timeout=6,
                )
            rescan |= bool(change.new or change.gone or change.added or change.removed)
            rescan |= bool(change.error or change.published)
        self._schedule_notice()
        if rescan:
            self.scan_scopes()
        if self.current is not None and self.current in touched:
            self._reload_shown(self.current, found)

    def _reload_shown(self, ref: ScopeRef, found: list[SourceChange]) -> None:
        """Only the keys a change feed named, when it named them all; else the whole scope."""
        mine = [c.change for c in found if ScopeRef(c.base, c.change.scope) == ref]
        plain = all(
            c.keys is not None and not (c.new or c.gone or c.error or c.published) for c in mine
        )
        if plain:
            self.patch_rows(ref, frozenset().union(*(c.keys or () for c in mine)))
        else:
            self.load_scope(ref, external=True)

    def _schedule_notice(self) -> None:
        """One "changed on disk" notice at most every NOTICE_S, summing what came between."""
        if not (self._notice or self._notice_extra) or self._notice_timer is not None:
            return
        wait = self._last_notice + self.config.tuning.notice_s - time.monotonic()
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
            title = "Changed on disk" if self.source.kind == "files" else "Changed elsewhere"
            self.app.notify("\n".join(lines[:8]) + more, title=title, timeout=3)
            self._last_notice = time.monotonic()

    def action_pause(self) -> None:
        """Hold live updates (counting them); pressing again applies them."""
        self.paused = not self.paused
        if not self.paused:
            held, self._held = self._held, []
            self.pending = 0
            if held:
                self.apply_changes(held)
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
