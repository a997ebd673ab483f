"""The main view's actions that write nothing: copy, export, reload, scope info, help."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.content import Content

from axon_scopes.core import ScopeError, ScopeService, ScopeSource, SourceChange

from ..display import safe
from ..keys import help_sections
from ..messages import ExportFinished
from ..refs import ScopeRef
from ..table.rows import Row

if TYPE_CHECKING:
    from textual.app import App
    from textual.widgets import Input

    from ..app import ScopesApp
    from ..dialogs.export import ExportResult
    from ..widgets.entry_table import EntryTable
    from ..widgets.scope_tree import ScopeTree


class ViewActions:
    """Actions of the browser screen that read, and the export worker that ends with it."""

    if TYPE_CHECKING:
        app: App[None]
        config: ScopesApp
        current: ScopeRef | None
        source: ScopeSource
        table: EntryTable
        tree: ScopeTree
        post_message: Callable[..., bool]

        def service(self, ref: ScopeRef) -> ScopeService: ...
        def load_scope(
            self, ref: ScopeRef, external: bool = False, reload: bool = False
        ) -> None: ...
        def scan_scopes(self) -> None: ...
        def action_edit(self) -> None: ...
        def select_scope(self, ref: ScopeRef) -> None: ...
        def clear_scope_filter(self) -> None: ...
        jump_to: tuple[str, str] | None
        filter_box: Input
        def write_refusal(self, row: Row | None = None) -> tuple[str, str] | None: ...
        def apply_changes(self, found: list[SourceChange]) -> None: ...
        def ask_token(self, reason: str) -> None: ...
        token_wanted: str
        elsewhere: str

    def action_find(self) -> None:
        """Search every scope: names, keys and values; enter goes to the hit."""
        from ..dialogs.find import FindScreen
        from ..search import Hit, search

        def go(hit: Hit | None) -> None:
            if hit is None:
                return
            if self.tree.node_for(hit.ref) is None:
                self.clear_scope_filter()
            if hit.key is not None and hit.layer is not None:
                self.table.set_filter("")
                self.filter_box.value = ""
                self.jump_to = (hit.layer, hit.key)
            self.select_scope(hit.ref)

        source = self.source
        self.app.push_screen(FindScreen(lambda query, stop: search(source, query, stop)), go)

    def action_toggle_tree(self) -> None:
        """Hide the scope tree for the table's sake, or show it again."""
        tree = self.tree
        tree.display = not tree.display
        if not tree.display and tree.has_focus:
            self.table.focus()
        self.config.remember(tree_hidden=not tree.display)

    def action_view(self) -> None:
        """The selected entry's whole value in a scrollable viewer, in every mode."""
        from ..dialogs.viewer import ValueViewer

        row = self.table.cursor_row
        if row is None or self.current is None:
            self.app.notify("No entry selected.", severity="warning")
            return

        def done(choice: str | None) -> None:
            if choice == "edit":
                self.action_edit()

        editable = self.write_refusal(row) is None
        self.app.push_screen(ValueViewer(self.current.scope, row, editable=editable), done)

    def action_copy(self) -> None:
        row = self.table.cursor_row
        if row is None:
            self.app.notify("No entry selected.", severity="warning")
            return
        self.app.copy_to_clipboard(row.value)
        self.app.notify(
            f"Sent the value of {row.key!r} ({len(row.value):,} characters) to the "
            "terminal's clipboard (OSC 52); a terminal that does not support it ignores it."
        )

    def action_export(self) -> None:
        from ..dialogs.export import ExportDialog

        if self.current is None:
            return
        ref = self.current

        def done(result: ExportResult | None) -> None:
            if result is not None:
                self.export_scope(ref, result)

        self.app.push_screen(ExportDialog(ref.scope, default_dir=Path.cwd()), done)

    @work(thread=True, group="export")
    def export_scope(self, ref: ScopeRef, result: ExportResult) -> None:
        from axon_scopes.core.export import write_export

        service = self.service(ref)
        try:
            text = (
                service.export_json(ref.scope)
                if result.format == "json"
                else service.export_csv(ref.scope, neutralize_formulas=result.neutralize_formulas)
            )
            write_export(result.path, text, service.export_mode(ref.scope))
        except (OSError, ScopeError) as exc:
            self.post_message(ExportFinished(result.path, str(exc)))
            return
        self.post_message(ExportFinished(result.path))

    def on_export_finished(self, message: ExportFinished) -> None:
        if message.error:
            self.app.notify(message.error, title="Export failed", severity="error")
        else:
            self.app.notify(f"Exported to {message.path}")

    def action_reload(self) -> None:
        """Re-read everything now: what changed is told as a live change would be; a
        server that wants a token is asked for it first."""
        if self.token_wanted:
            self.ask_token(self.token_wanted)
            return
        self.refresh_all()

    def action_token(self) -> None:
        """Give the server a bearer key now: after a cancelled dialog, or to change it."""
        if self.source.kind != "server":
            self.app.notify("Only a server (http://…) takes a token.", severity="warning")
            return
        self.ask_token(self.token_wanted or "takes a bearer key")

    @work(thread=True, exclusive=True, group="refresh")
    def refresh_all(self) -> None:
        found = self.source.refresh_all()
        self.app.call_from_thread(self._reloaded, found)

    def _reloaded(self, found: list[SourceChange]) -> None:
        """Told even while live updates are paused: the operator asked for it."""
        self.apply_changes(found)
        if self.current is not None:
            self.load_scope(self.current, external=True)
        self.scan_scopes()

    def action_scope_info(self) -> None:
        from ..dialogs.confirm import MessageDialog

        ref = self.tree.cursor_ref or self.current
        if ref is None:
            return
        service = self.service(ref)
        status = service.status(ref.scope)
        error = status.error if status is not None else None
        where = service.where(ref.scope)
        files = self.source.kind == "files"
        label, thing = ("\nFile   ", "file") if files else ("\nKept   ", "stored data")
        if error is None:
            body = Content.assemble(
                "Scope  ",
                safe(ref.scope, style="bold"),
                label,
                safe(where),
                f"\n\nThe {thing} is readable.",
            )
        else:
            kept = (
                "Its bytes are left exactly as they are and writes to it are refused. "
                "Fix or move the file, then press ctrl+r."
                if files
                else "It is left exactly as it is and writes to it are refused. "
                f"Fix what is kept {self.elsewhere}, then press ctrl+r."
            )
            body = Content.assemble(
                "Scope  ",
                safe(ref.scope, style="bold"),
                label,
                safe(where),
                "\n\n",
                Content.styled("Why it is unreadable\n", "bold $text-error"),
                safe(error, keep_layout=True),
                "\n\n",
                kept,
            )
        self.app.push_screen(MessageDialog("Scope file" if files else "Scope", body))

    def action_help(self) -> None:
        from ..dialogs.help import HelpScreen

        self.app.push_screen(HelpScreen(help_sections()))
