"""Purge one entry, after showing exactly which one."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from ..display import one_line, safe
from ..table.rows import Row
from ._base import DialogScreen, field_line, title, value_preview


class PurgeDialog(DialogScreen[bool | None]):
    """True purges; Cancel (focused first) answers False, escape None."""

    AUTO_FOCUS = "#cancel"

    def __init__(self, scope: str, row: Row, *, note: str | Content | None = None) -> None:
        """`note`, when given, is shown first as a warning (such as "it changed on disk")."""
        super().__init__()
        self.scope = scope
        self.row = row
        self.note = note

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog -destructive") as panel:
            panel.border_title = title("Purge entry")
            panel.border_subtitle = "esc cancel"
            if self.note is not None:
                note = self.note if isinstance(self.note, Content) else safe(self.note)
                yield Static(note, classes="lead warning")
            yield Static(Content(f"This {row.layer} entry will be removed:"), classes="lead")
            yield Static(
                Content("\n").join(
                    [
                        field_line("scope", safe(self.scope)),
                        field_line("layer", Content(row.layer)),
                        field_line("key", one_line(row.key).stylize("bold")),
                        field_line("source_step", safe(row.source_step)),
                    ]
                ),
                classes="fields",
            )
            yield Static(value_preview(row.value), classes="value-preview")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Purge", variant="error", id="purge")

    @on(Button.Pressed, "#purge")
    def _purge(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
