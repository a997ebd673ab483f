"""Editable widgets that never send a stored control character to the terminal.

Textual's `Input` and `TextArea` write their text to the terminal as it is: an ESC
in a value would start an escape sequence there, a bidi override would reorder the
screen. The characters that `display.safe` replaces all take zero cells (a lone
surrogate takes one), so removing them from each rendered line keeps every cursor
position right while the text being edited stays exactly as it was.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rich.cells import get_character_cell_size
from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Input

from ..display import safe


@lru_cache(maxsize=4096)
def _is_hidden(char: str) -> bool:
    """The display rules decide: a character `safe` would replace is never written raw."""
    return safe(char).plain != char


@lru_cache(maxsize=4096)
def _terminal_form(char: str) -> str:
    """What reaches the terminal for one character: nothing, or U+FFFD per cell it takes."""
    return "\ufffd" * get_character_cell_size(char) if _is_hidden(char) else char


def scrub(text: str) -> str:
    """The text with every hidden character removed (or blanked to keep its width)."""
    if text.isprintable():
        return text
    return "".join(_terminal_form(char) for char in text)


def hidden_characters(text: str) -> list[str]:
    """The distinct characters of `text` that an editor cannot show, in order of first use."""
    if text.isprintable():
        return []
    seen: dict[str, None] = {}
    for char in text:
        if char not in seen and char not in "\n\t" and _is_hidden(char):
            seen[char] = None
    return list(seen)


def scrub_strip(strip: Strip) -> Strip:
    """A rendered line with hidden characters removed; the same strip when there are none."""
    segments = list(strip)
    if all(segment.text.isprintable() for segment in segments):
        return strip
    return Strip(
        [Segment(scrub(text), style, control) for text, style, control in segments],
        strip.cell_length,
    )


class SafeInput(Input):
    """An `Input` whose rendering cannot carry control characters to the terminal."""

    def __init__(self, *args: Any, cursor_blink: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_reactive(Input.cursor_blink, cursor_blink)

    def render_line(self, y: int) -> Strip:
        return scrub_strip(super().render_line(y))
