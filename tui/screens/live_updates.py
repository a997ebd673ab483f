"""Live updates of the main view: changes the source reports, applied or held, summed up.

A mixin of the browser screen: the source's watch starts and stops with the screen,
and changes arrive as `SourceChanged` messages from the source's own thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.timer import Timer

from axon_scopes.core import ScopeSource, SourceChange

from ..change_log import ChangeLog, ChangeRecord, record_of
from ..messages import ScopeRowsLoaded, SourceChanged, SourceStateChanged
from ..refs import ScopeRef
from ..widgets.status_line import ChangeStatus
from .loading import named_keys

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from ..app import Clock, ScopesApp
    from ..widgets.entry_table import EntryTable
    from ..widgets.scope_tree import ScopeInfo, ScopeTree


class LiveUpdates:
    """Watch, pause and follow; the screen supplies rows and tables."""

    if TYPE_CHECKING:
        app: App[None]
        config: ScopesApp
        source: ScopeSource
        current: ScopeRef | None
        _shown_ref: ScopeRef | None
        _load_seq: int
        table: EntryTable
        tree: ScopeTree
        clock: Clock
        _scanned: bool
        _infos: dict[ScopeRef, ScopeInfo]
        #: Reactive on the screen, bound to the status line: confirmations and flashes off.
        muted: bool
        #: Reactive on the screen, bound to the header: live updates are held.
        paused: bool
        #: Reactive on the screen, bound to the header: changes waiting while paused.
        pending: int
        #: Reactive on the screen, bound to the header: why the source is unreachable.
        offline: str
        #: Reactive on the screen, bound to the header: "polling every N s", or "".
        live_mode: str
        query_one: Callable[..., Widget]
        post_message: Callable[..., bool]
        set_timer: Callable[..., Timer]

        def scan_scopes(self) -> None: ...
        def patch_rows(self, ref: ScopeRef, keys: frozenset[str]) -> None: ...
        def rows_for(self, change: SourceChange, table: EntryTable) -> ScopeRowsLoaded | None: ...
        def _show_rows(self, message: ScopeRowsLoaded) -> None: ...
        def select_scope(self, ref: ScopeRef) -> None: ...
        def known_refs(self) -> Iterable[ScopeRef]: ...
        def check_reverts(self, refs: Iterable[ScopeRef]) -> None: ...
        def load_scope(
            self, ref: ScopeRef, external: bool = False, reload: bool = False
        ) -> None: ...

    def init_live(self) -> None:
        self.paused = False
        self.pending = 0
        self.follow = False
        self._held: list[SourceChange] = []
        self._stop_watching: Callable[[], None] | None = None
        #: The token dialog is up (a 401 seen by the scan and the watcher asks once).
        self._asking_token = False
        #: The operator cancelled the token dialog: not asked again until they ask for it.
        self._token_declined = False
        #: Why the server wants a token now ("" when it does not).
        self.token_wanted = ""
        self.change_log = ChangeLog(self.clock())

    def _start_watching(self) -> None:
        """Follow the source's changes, once the first rows are up.

        Started with the app, the watcher's import and its thread would compete with
        the first frame for the GIL (some 60 ms at 100k entries). What changes in
        between is caught up with by the source's first re-check.
        """
        if self._stop_watching is not None or not self.config.watching:
            return
        table = self.table  # Read from the source's thread: attribute reads only.

        def changed(change: SourceChange) -> None:
            self.post_message(SourceChanged([change], self.rows_for(change, table)))

        self._stop_watching = self.source.watch(
            changed,
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
        rows = message.rows
        if rows is not None and rows.ref == self.current and rows.ref == self._shown_ref:
            self._load_seq += 1  # Newer than any load still under way.
            self._show_rows(rows)
            self.apply_changes(message.changes, shown=True)
        else:
            self.apply_changes(message.changes)

    def on_source_state_changed(self, message: SourceStateChanged) -> None:
        """Lost: say so once and keep saying it in the header; found again: catch up.

        A source that wants a token gets asked for one (once at a time).
        """
        state = message.state
        # Watching files or a stream needs no words; polling does (changes come later),
        # and when it last succeeded: kept while the source is lost.
        if state.connected or not self.live_mode:
            self.live_mode = state.live if state.live.startswith("polling") else ""
        self.token_wanted = state.detail if state.needs_token else ""
        if state.needs_token and not self._token_declined:
            self.ask_token(state.detail)
        was = self.offline
        self.offline = "" if state.connected else (state.detail or "disconnected, retrying")
        if self.offline and not was and not state.needs_token:  # The dialog says that.
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

    def ask_token(self, reason: str) -> None:
        """Ask for the server's bearer token; with one, read everything again.

        Cancelled, it is not asked again by itself: the palette's "Enter server token"
        (or a reload, ctrl+r) asks again.
        """
        from ..dialogs.token import TokenDialog

        if self._asking_token:
            return
        self._asking_token = True

        def answered(token: str | None) -> None:
            self._asking_token = False
            if token is None:
                self._token_declined = True
                self.app.notify(
                    f"No token given: {self.source.location} {reason}. "
                    "ctrl+r or the palette's Enter server token asks again.",
                    severity="error",
                    timeout=8,
                )
                return
            self._token_declined = False
            self.token_wanted = ""  # Until the server refuses this one too.
            self.source.set_token(token)
            self.offline = ""
            self.scan_scopes()
            if self.current is not None:
                self.load_scope(self.current, external=True)

        self.app.push_screen(TokenDialog(self.source.location, reason), answered)

    def apply_changes(self, found: list[SourceChange], *, shown: bool = False) -> None:
        """Log changes, refresh the tree when scopes or counts moved, reload the shown scope."""
        rescan = False
        touched: set[ScopeRef] = set()
        records: list[ChangeRecord] = []
        now = self.clock()
        files = self.source.kind == "files"
        for item in found:
            change = item.change
            ref = ScopeRef(item.base, change.scope)
            touched.add(ref)
            record = record_of(ref, change, now, files=files)
            # Fixed (by cp, or an atomic mv of the same bytes): nothing may be counted, but
            # the tree still says unreadable until it is told again.
            info = self._infos.get(ref)
            fixed = info is not None and info.unreadable and not change.error and not change.gone
            if fixed:
                record = record or ChangeRecord(now, ref)
                record = replace(record, events=(*record.events, "readable again"))
            if record is not None:
                records.append(record)
            rescan |= bool(change.new or change.gone or change.added or change.removed)
            rescan |= bool(change.error or change.published or change.memory_changed or fixed)
        self.log_changes(records)
        self.check_reverts(touched)
        if rescan:
            self.scan_scopes()
        if self.current is not None and self.current in touched and not shown:
            self._reload_shown(self.current, found)

    def _reload_shown(self, ref: ScopeRef, found: list[SourceChange]) -> None:
        """Only the keys a change feed named, when it named them all; else the whole scope."""
        keys = named_keys(c.change for c in found if ScopeRef(c.base, c.change.scope) == ref)
        if keys is not None:
            self.patch_rows(ref, keys)
        else:
            self.load_scope(ref, external=True)

    def log_changes(self, records: list[ChangeRecord]) -> None:
        """Into the log, onto the status line, and a mark on each scope not on screen."""
        batch = self.change_log.add(records)
        if not batch:
            return
        status = self.query_one(ChangeStatus)
        status.latest = self.change_log.latest
        status.total = self.change_log.total
        status.scopes = len(self.change_log.scopes)
        self.tree.mark({r.ref for r in batch if r.ref != self.current and not r.error})

    def action_change_log(self) -> None:
        """Every change found elsewhere, newest first; enter on one opens its scope."""
        from ..dialogs.change_log import ChangeLogScreen

        def opened(ref: ScopeRef | None) -> None:
            if ref is not None and ref in set(self.known_refs()):
                self.select_scope(ref)

        log = self.change_log
        self.app.push_screen(
            ChangeLogScreen(log.newest_first(), total=log.total, since=log.started), opened
        )

    def action_mute(self) -> None:
        """Mute confirmations and flashes; changes keep coming and keep being logged."""
        self.muted = not self.muted
        self.config.remember(muted=self.muted)

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
