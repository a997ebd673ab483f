"""The multi-line editor of the edit and add dialogs (apart, as TextArea is slow to import)."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import TextArea

from .safe_inputs import scrub_strip


class SafeTextArea(TextArea):
    """A `TextArea` whose rendering cannot carry control characters to the terminal.

    ctrl+a selects everything, as in most editors (home goes to the line's start).
    """

    BINDINGS = [Binding("ctrl+a", "select_all", "Select all", show=False)]

    def __init__(self, *args: Any, cursor_blink: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_reactive(TextArea.cursor_blink, cursor_blink)

    def render_line(self, y: int) -> Strip:
        return scrub_strip(super().render_line(y))
