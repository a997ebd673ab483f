"""The `?` screen: every key, grouped, so nothing is only discoverable by accident."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from ._base import DialogScreen, title

Section = tuple[str, list[tuple[str, str]]]


def help_row(keys: str, text: str, width: int) -> Horizontal:
    """`keys` in a column `width` wide, the description beside it: a long one wraps in
    its own column instead of under the keys."""
    cell = Static(Content.styled(keys, "bold $text-primary"), classes="help-keys")
    cell.styles.width = width
    return Horizontal(cell, Static(Content(text), classes="help-text"), classes="help-row")


class HelpScreen(DialogScreen[None]):
    """Titled sections of key bindings; escape, q or ? closes."""

    AUTO_FOCUS = "#help-body"
    BINDINGS = [Binding("escape,q,question_mark", "cancel", "Close")]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help") as panel:
            panel.border_title = title("Keys")
            panel.border_subtitle = "esc / q / ? close"
            # One key column for all sections, so descriptions line up down the screen.
            width = max((len(keys) for _, rows in self.sections for keys, _ in rows), default=0)
            with VerticalScroll(id="help-body", classes="dialog-body"):
                for heading, rows in self.sections:
                    with Vertical(classes="help-section"):
                        yield Static(Content.styled(heading, "bold $text-accent"))
                        for keys, text in rows:
                            yield help_row(keys, text, width + 4)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
