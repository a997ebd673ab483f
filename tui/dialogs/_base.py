"""What every dialog shares: escape always answers None, one frame, safe field lines."""

from __future__ import annotations

from typing import TypeVar

from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..display import one_line

ResultT = TypeVar("ResultT")

#: Width of the label column in field lines ("scope", "layer", "key", …).
LABEL_WIDTH = 13
#: A value preview shows at most this many lines, each cut to PREVIEW_LINE_CHARS.
PREVIEW_LINES = 5
PREVIEW_LINE_CHARS = 300


class DialogScreen(ModalScreen[ResultT]):
    """Base of all dialogs: escape dismisses with None, so the caller's callback always runs."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    #: Read when the first dialog opens, so start-up does not parse it.
    CSS_PATH = "dialogs.tcss"

    def action_cancel(self) -> None:
        self.dismiss(None)

    @property
    def cursor_blink(self) -> bool:
        """False when the app sets `CURSOR_BLINK = False`: steady cursors for tests and pictures."""
        return bool(getattr(self.app, "CURSOR_BLINK", True))


def field_line(label: str, value: Content) -> Content:
    """`label   value` with the label in a fixed, muted column."""
    return Content.assemble(Content.styled(label.ljust(LABEL_WIDTH), "$text-muted"), value)


def title(*parts: str | Content) -> Content:
    """A border title: literal text parts (never markup) and already-safe Content."""
    return Content.assemble(*parts)


def value_preview(
    value: str, *, lines: int = PREVIEW_LINES, line_chars: int = PREVIEW_LINE_CHARS
) -> Content:
    """The first lines of a value, each cut, then how much was left out.

    Every line goes through `one_line`, so control characters stay visible.
    """
    if value == "":
        return Content.styled("(empty)", "$text-muted italic")
    all_lines = value.split("\n")
    shown = [one_line(line, line_chars) for line in all_lines[:lines]]
    preview = Content("\n").join(shown)
    hidden = len(all_lines) - len(shown)
    if hidden > 0:
        more = f"\n… {hidden:,} more line{'s' if hidden != 1 else ''} ({len(value):,} characters)"
        preview = preview + Content.styled(more, "$text-muted italic")
    return preview


def message_line(widget: Static, message: Content | None) -> None:
    """Show a one-line message under a field, or hide the line when there is none."""
    if message is None:
        widget.update(Content(""))
        widget.display = False
    else:
        widget.update(message)
        widget.display = True
