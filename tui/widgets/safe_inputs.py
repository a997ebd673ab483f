"""Editable widgets that never send a stored control character to the terminal.

Textual's `Input` and `TextArea` write their text to the terminal as it is: an ESC
in a value would start an escape sequence there, a bidi override would reorder the
screen, a tag character would hide text. The characters that `display.safe`
replaces mostly take zero cells; the few that take some (a Hangul filler, the
braille blank, a lone surrogate) become one U+FFFD per cell. So each rendered line
keeps every cursor position right while the text being edited stays exactly as it
was.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rich.cells import get_character_cell_size
from rich.segment import Segment
from textual import events
from textual.strip import Strip
from textual.widgets import Input

from ..display import hidden_matches, needs_work


@lru_cache(maxsize=4096)
def _terminal_form(char: str) -> str:
    """What reaches the terminal for one hidden character: U+FFFD per cell it takes."""
    return "\ufffd" * get_character_cell_size(char)


def scrub(text: str) -> str:
    """The text with every hidden character removed (or blanked to keep its width).

    The display rules decide: a character `safe` would replace is never written raw.
    """
    parts: list[str] = []
    done = 0
    for match in hidden_matches(text):
        parts.append(text[done : match.start()])
        parts.append(_terminal_form(match.group()))
        done = match.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def hidden_characters(text: str) -> list[str]:
    """The distinct characters of `text` that an editor cannot show, in order of first use."""
    seen: dict[str, None] = {}
    for match in hidden_matches(text, keep_layout=True):
        seen.setdefault(match.group(), None)
    return list(seen)


def scrub_strip(strip: Strip) -> Strip:
    """A rendered line with hidden characters removed; the same strip when there are none."""
    segments = list(strip)
    if not any(needs_work(segment.text) for segment in segments):
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


class LeadInput(SafeInput):
    """A one-line field whose enter leads on to a multi-line one (Add's key, then value).

    Keys typed fast reach the focused widget before enter has moved the focus on, and
    a paste of `key⏎value` arrives at once: after an enter, what follows goes to
    `follow` (the value), never into this line.
    """

    def __init__(self, *args: Any, follow: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.follow = follow
        self._entered = False

    # Textual runs each class's `_on_*` handler in turn (Input's after these) unless
    # `prevent_default` is called: so these never call the base class themselves.
    def _on_key(self, event: events.Key) -> None:
        if self._entered and (event.is_printable or event.key in ("enter", "tab")):
            event.stop()
            event.prevent_default()
            self.follow({"enter": "\n", "tab": "\t"}.get(event.key, event.character or ""))
        elif event.key == "enter":
            self._entered = True

    def _on_paste(self, event: events.Paste) -> None:
        first, newline, rest = event.text.partition("\n")
        if not newline:
            return  # One line: Input's own handler inserts it.
        event.stop()
        event.prevent_default()
        if self._entered:
            self.follow(event.text)
            return
        self.insert_text_at_cursor(first.rstrip("\r"))
        self._entered = True
        self.post_message(self.Submitted(self, self.value))
        if rest:
            self.follow(rest)

    def _on_blur(self, event: events.Blur) -> None:
        self._entered = False
