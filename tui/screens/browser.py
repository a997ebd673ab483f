"""The main screen: scope tree, two-layer entry table, detail pane; it owns what it shows.

The state of the view (the scope shown, its errors, the undo stack, live-update
state) lives here, and so do the workers that read and write it: they end with
the screen. The parts are mixins, one module each: reading (`loading`), live
updates (`live_updates`), writes (`writes`) and the other actions (`actions`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, Tree

from axon_scopes.core import ScopeSource

from .. import changes
from ..display import safe
from ..keys import WRITE_ACTIONS, bindings
from ..messages import ScopeRowsLoaded, ScopesScanned
from ..refs import ScopeRef
from ..table.rows import Row
from ..widgets.detail import DetailPane
from ..widgets.empty import empty_message
from ..widgets.entry_table import EntryTable
from ..widgets.header import StoreHeader
from ..widgets.safe_inputs import SafeInput
from ..widgets.scope_tree import ScopeInfo, ScopeTree
from ..widgets.status_line import ChangeStatus
from .actions import ViewActions
from .deletes import delete_refusal
from .filtering import FilterSort
from .live_updates import LiveUpdates
from .loading import ScopeLoading
from .reverts import RevertWatch
from .writes import READ_ONLY_REASON, WriteFlows, service_refusal

if TYPE_CHECKING:
    from ..app import Clock, ScopesApp


class BrowserScreen(
    Screen[None], ScopeLoading, LiveUpdates, WriteFlows, ViewActions, FilterSort, RevertWatch
):
    """Browse and edit the scopes of a source."""

    BINDINGS = bindings()

    #: Live updates are held (`p`); bound to the header, which shows it.
    paused: var[bool] = var(False)
    #: Changed scopes waiting while paused; bound to the header.
    pending: var[int] = var(0)
    #: Why the source cannot be reached now ("" when it can); bound to the header.
    offline: var[str] = var("")
    #: How the source finds changes, when it polls; bound to the header.
    live_mode: var[str] = var("")
    #: Confirmations and row flashes are off; updates still come. Bound to the status line.
    muted: var[bool] = var(False)

    def __init__(
        self,
        source: ScopeSource,
        *,
        read_only: bool,
        clock: Clock,
        cursor_blink: bool,
        age_refresh: float | None,
        max_value_bytes: int | None,
    ) -> None:
        super().__init__()
        self.source = source
        self.read_only = read_only
        self.clock = clock
        self.cursor_blink = cursor_blink
        self.age_refresh = age_refresh
        self.max_value_bytes = max_value_bytes
        self.current: ScopeRef | None = None
        #: The scope whose rows the table holds (switching scopes resets the cursor).
        self._shown_ref: ScopeRef | None = None
        #: When the shown scope's published memory layer was written (file mtime).
        self._published_at: float | None = None
        #: Counts scope loads; only the latest one's rows are shown.
        self._load_seq = 0
        self._infos: dict[ScopeRef, ScopeInfo] = {}
        #: The source has been read once (the first rows can come).
        self._scanned = False
        self.errors: dict[ScopeRef, str] = {}
        #: The row to put the cursor on once the scope being loaded is shown (after `F`).
        self.jump_to: tuple[str, str] | None = None
        self.init_live()
        self.init_writes()
        self.init_reverts()

    # ── layout ─────────────────────────────────────────────────────────────

    def compose(self) -> ComposeResult:
        yield StoreHeader(id="header").data_bind(
            BrowserScreen.paused,
            BrowserScreen.pending,
            BrowserScreen.offline,
            BrowserScreen.live_mode,
        )
        with Horizontal(id="body"):
            yield ScopeTree(id="scopes")
            with Vertical(id="main"):
                yield SafeInput(
                    placeholder="filter: key or value contains…",
                    id="filter",
                    cursor_blink=self.cursor_blink,
                    select_on_focus=False,  # `/` again refines the query, not replaces it.
                )
                yield Static(id="scope-banner")
                yield EntryTable(id="entries", clock=self.clock, age_refresh=self.age_refresh)
                yield DetailPane(id="detail")
                yield Static(id="empty")
        yield ChangeStatus(id="changes").data_bind(BrowserScreen.muted)
        # The key bar is mounted right after the first frame: it costs ~30 ms to
        # build, and this slot holds its line so nothing moves when it comes.
        yield Static(id="footer-slot")

    def _hide_write_keys(self) -> None:
        """In `--read-only` the footer offers no write (the keys still say why they refuse)."""
        keys = self._bindings.key_to_bindings
        for key, listed in list(keys.items()):
            keys[key] = [
                replace(b, show=False) if b.action in WRITE_ACTIONS else b for b in listed
            ]

    def on_mount(self) -> None:
        if self.read_only:
            self._hide_write_keys()
        kept = self.config.settings_file.settings
        self.muted = kept.muted
        self.tree.display = not kept.tree_hidden
        header = self.query_one(StoreHeader)
        header.location = self.source.location
        header.read_only = self.read_only
        header.reading = self.table.reading = True
        self.query_one("#filter", Input).display = False
        self.query_one("#scope-banner", Static).display = False
        self.query_one("#empty", Static).display = False
        self.table.focus()
        self.set_timer(0.3, self._mount_footer)  # Also when no rows ever come.
        # The detail pane follows the cursor in the same frame, not one message later.
        self.table.cursor_signal.subscribe(self, lambda _row: self._cursor_moved(), immediate=True)
        self.scan_scopes()
        status = self.query_one(ChangeStatus)
        status.since = self.change_log.started
        status.elsewhere = self.elsewhere
        if self.config.watching:
            header.watching = status.watching = True
            self.set_timer(max(self.config.tuning.watch_after_s, 0.001), self._start_watching)

    @property
    def table(self) -> EntryTable:
        return self.query_one(EntryTable)

    @property
    def tree(self) -> ScopeTree:
        return self.query_one(ScopeTree)

    @property
    def config(self) -> ScopesApp:
        """The app, which holds the configuration (intervals, the collector switch)."""
        return cast("ScopesApp", self.app)

    def action_quit(self) -> None:
        """Quit; first ask if memory entries written here would go with the app."""
        from ..dialogs.confirm import ConfirmDialog

        count = len(self.memory_written)
        if not count or self.memory_note is None:
            self.app.exit()
            return
        self.app.push_screen(
            ConfirmDialog(
                "Quit and lose memory entries?",
                f"{count} memory entr{'ies' if count != 1 else 'y'} written here "
                f"live{'' if count != 1 else 's'} only in this app's process (files share only "
                f"the store layer): quitting loses {'them' if count != 1 else 'it'}.",
                confirm_label="Quit",
                destructive=True,
            ),
            lambda quit_now: self.app.exit() if quit_now else None,
        )

    def on_screen_resume(self) -> None:
        """Back from a dialog: the notices held while it was up are shown now."""
        self.config.release_notices()

    @on(ScopesScanned)
    def _scopes_scanned(self, message: ScopesScanned) -> None:
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
                empty_message(self.source, self.offline, token_wanted=bool(self.token_wanted))
            )

    def watch_offline(self) -> None:
        """The empty view says why nothing is listed while the source cannot be read."""
        if self.is_mounted and self._scanned:
            empty = self.query_one("#empty", Static)
            if empty.display:
                self._show_empty(True)

    @property
    def elsewhere(self) -> str:
        """Where other processes' writes land, for messages: "on disk", "in Redis"."""
        kind = self.source.kind
        places = {"files": "on disk", "redis": "in Redis", "server": "on the server"}
        return places.get(kind, f"in {kind}")

    def known_refs(self) -> Iterable[ScopeRef]:
        """Every scope the tree shows."""
        return self._infos.keys()

    def ref_for(self, scope: str) -> ScopeRef:
        """The tree's scope of that name (the first base's, when several bases hold it)."""
        return next(ref for ref in self._infos if ref.scope == scope)

    def select_scope(self, ref: ScopeRef) -> None:
        self.current = ref
        self.tree.mark({ref}, on=False)
        # After a refresh: nodes added just now have no line in the tree yet.
        self.call_after_refresh(self.tree.select_ref, ref)
        self.load_scope(ref)

    @on(ScopeRowsLoaded)
    def _rows_loaded(self, message: ScopeRowsLoaded) -> None:
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
        flash = message.external and not switched and not self.muted
        if message.preview_total is not None:
            self.table.show_preview(message.index, message.preview_total)
            if message.painted is not None:
                self.call_after_refresh(message.painted.set)
        else:
            self.table.set_index(message.index, flash_changes=flash, keep_position=not switched)
            if self.config.freeze_gc:
                self.config.freeze_gc = False
                self.call_after_refresh(gc.freeze)
        self._show_match_count()
        if self.jump_to is not None and message.preview_total is None:
            self.table.move_cursor_to_key(self.jump_to)
            self.jump_to = None
        if message.external and self.follow:
            self._follow_newest()
        self._published_at = message.published_at
        banner = self.query_one("#scope-banner", Static)
        if message.error:
            self.errors[message.ref] = message.error
            banner.update(
                Content.assemble(
                    Content.styled("⚠ unreadable: ", "bold"),
                    safe(message.error),
                    Content.styled("   (i: details; writes are refused)", "italic"),
                )
            )
        else:
            self.errors.pop(message.ref, None)
        banner.display = bool(message.error)
        if switched:
            self.mark_reverted_rows()
        self._update_detail()

    # ── tree and table events ──────────────────────────────────────────────

    @on(Tree.NodeHighlighted, "#scopes")
    def _scope_highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        if isinstance(data, ScopeRef) and data != self.current:
            self.current = data
            self.tree.mark({data}, on=False)
            self.load_scope(data)

    @on(EntryTable.RowActivated)
    def _row_activated(self, event: EntryTable.RowActivated) -> None:
        """Enter edits what may be changed, and shows the value of what may not."""
        if self.write_refusal(event.row) is None:
            self.action_edit()
        else:
            self.action_view()

    def _cursor_moved(self) -> None:
        self._update_detail()
        self.cursor_moved_for_deletes()  # Delete is dimmed on a row that cannot be deleted.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.action_state(action)

    def _update_detail(self) -> None:
        detail = self.query_one(DetailPane)
        row = self.table.cursor_row
        if row is None and self.current in self.errors:
            if self.source.kind == "files":
                text = (
                    "Nothing from this scope's file can be shown: it could not be read.\n"
                    "The file is left untouched. Press i for the file and the reason."
                )
            else:
                text = (
                    f"Nothing from this scope can be shown: what is kept {self.elsewhere}"
                    " could not be read.\nIt is left untouched. Press i for the reason."
                )
            detail.show_message(Content.styled(text, "$text-error"))
            return
        scope = self.current.scope if self.current else ""
        revert = None if row is None else self.revert_of(row.layer, row.key)
        note = None if revert is None else revert.sentence(self.elsewhere)
        detail.show_row(scope, row, self.clock(), published_at=self._published_at, note=note)

    # ── writes ─────────────────────────────────────────────────────────────

    def _writable_row(self) -> Row | None:
        """The row under the cursor if it may be changed; otherwise say why not."""
        row = self.table.cursor_row
        if self._refused():
            return None
        if row is None:
            self.notify("No entry selected.", severity="warning")
            return None
        return None if self._refused(row) else row

    def _can_write(self) -> bool:
        return not self._refused()

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
        if row is not None and self.current is not None and not self.delete_refused(row):
            self.purge_flow(self.current, row)

    def action_bulk_purge(self) -> None:
        if not self._can_write() or self.current is None:
            return
        ref = self.current
        caps = self.service(ref).capabilities

        def find(query: str) -> list[Row]:
            needle = query.lower()
            matches = [
                row
                for row in self._scope_rows(ref)
                if row.writable and delete_refusal(caps, row) is None
                if needle in row.key.lower() or needle in row.value.lower()
            ]
            return sorted(matches, key=lambda row: (row.layer, row.key))

        self.bulk_purge_flow(ref, find, self.table.filter_query)

    def action_undo(self) -> None:
        if self.read_only:
            self.notify(READ_ONLY_REASON, severity="warning")
            return
        if self.current is not None:
            refusal = service_refusal(self.service(self.current).capabilities)
            if refusal is not None:
                self.notify(refusal, severity="warning")
                return
        self.undo_flow()
