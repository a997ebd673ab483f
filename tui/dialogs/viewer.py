"""The value viewer (`v`, and enter where nothing can be changed): any entry's whole value,
focused and scrollable by keyboard, wrapped or not, JSON pretty-printed or as stored."""

from __future__ import annotations

import contextlib
import json
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static, TextArea
from textual.widgets.text_area import LanguageDoesNotExist

from ..display import one_line, safe
from ..table.rows import Row
from ..widgets.safe_text_area import SafeTextArea
from ._base import DialogScreen, field_line, title

#: What the viewer answers: close, or go on to edit the entry.
ViewerChoice = Literal["edit"]


def pretty_json(value: str) -> str | None:
    """The value indented, if it is a JSON object or array; else None."""
    stripped = value.lstrip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return None


class ValueViewer(DialogScreen[ViewerChoice | None]):
    """The whole value in a read-only text area: arrows, pgup/pgdn, home/end scroll it.

    `w` wraps long lines or not, `j` switches between pretty JSON and the value as
    stored, `c` copies it, `e` edits it (when it may be changed), escape closes.
    """

    AUTO_FOCUS = "#viewer-value"
    BINDINGS = [
        Binding("escape,q,v", "cancel", "Close"),
        Binding("w", "wrap", "Wrap"),
        Binding("j", "json", "JSON"),
        Binding("c", "copy", "Copy"),
        Binding("e", "edit", "Edit"),
    ]

    def __init__(self, scope: str, row: Row, *, editable: bool) -> None:
        super().__init__()
        self.scope = scope
        self.row = row
        self.editable = editable
        self.pretty = pretty_json(row.value)
        self.showing_pretty = self.pretty is not None
        self.wrapped = True

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog viewer") as panel:
            panel.border_title = title("Value of ", one_line(row.key, 60))
            panel.border_subtitle = self._hints()
            size = len(row.value.encode("utf-8", "surrogatepass"))
            yield Static(
                Content("\n").join(
                    [
                        field_line("scope", safe(self.scope)),
                        field_line("layer · size", Content(f"{row.layer} · {size:,} bytes")),
                    ]
                ),
                classes="fields",
            )
            yield Static(id="viewer-mode", classes="hint")
            area = SafeTextArea(
                self._text(),
                read_only=True,
                soft_wrap=True,
                show_line_numbers=False,
                cursor_blink=False,
                id="viewer-value",
            )
            yield area
            with Horizontal(classes="dialog-buttons"):
                if self.editable:
                    yield Button("Edit", id="viewer-edit")
                yield Button("Close", variant="primary", id="viewer-close")

    def on_mount(self) -> None:
        self._show_mode()

    def _hints(self) -> str:
        parts = ["w wrap"]
        if self.pretty is not None:
            parts.append("j JSON")
        parts.append("c copy")
        if self.editable:
            parts.append("e edit")
        parts.append("esc close")
        return " · ".join(parts)

    def _text(self) -> str:
        return self.pretty if self.showing_pretty and self.pretty is not None else self.row.value

    def _show_mode(self) -> None:
        area = self.query_one("#viewer-value", TextArea)
        area.soft_wrap = self.wrapped
        if self.showing_pretty:
            with contextlib.suppress(LanguageDoesNotExist):
                area.language = "json"
        else:
            area.language = None
        shape = (
            "pretty JSON (j: as stored)"
            if self.showing_pretty
            else "as stored" + (" (j: pretty JSON)" if self.pretty is not None else "")
        )
        wrap = "wrapped (w: one line per line)" if self.wrapped else "not wrapped (w: wrap)"
        self.query_one("#viewer-mode", Static).update(
            Content.styled(f"{shape} · {wrap}", "$text-muted")
        )

    def action_wrap(self) -> None:
        self.wrapped = not self.wrapped
        self._show_mode()

    def action_json(self) -> None:
        if self.pretty is None:
            return
        self.showing_pretty = not self.showing_pretty
        area = self.query_one("#viewer-value", TextArea)
        area.load_text(self._text())
        self._show_mode()

    def action_copy(self) -> None:
        """Said in the dialog itself: no toast covers a dialog."""
        self.app.copy_to_clipboard(self.row.value)
        self.query_one("#viewer-mode", Static).update(
            Content.styled(
                f"Sent {len(self.row.value):,} characters to the terminal's clipboard (OSC 52); "
                "a terminal that does not support it ignores it.",
                "$text-success",
            )
        )

    def action_edit(self) -> None:
        if self.editable:
            self.dismiss("edit")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "viewer-edit":
            self.action_edit()
        elif event.button.id == "viewer-close":
            self.dismiss(None)
