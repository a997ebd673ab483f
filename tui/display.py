"""The one way stored strings reach the screen.

Stored keys and values come from other processes and from people: they may hold
Rich/Textual markup, ANSI or OSC escapes, bidi overrides. Everything here builds
`Content` objects (never markup), and every control character becomes a visible,
dimmed stand-in, so nothing in the data can style, click, or talk to the terminal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.text import Text
from textual.content import Content, Span

#: Style of the visible stand-ins, so a real "␛" in the data is told apart from ESC.
CONTROL_STYLE = "$text-warning italic"

_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_INVISIBLE = frozenset([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])
#: One line cells never need more than this many characters of a value.
CELL_CHARS = 400


def _stand_in(code: int, keep_layout: bool) -> str | None:
    """The visible form of a character, or None when it may be shown as it is."""
    if code < 0x20:
        if keep_layout and code in (0x09, 0x0A):
            return None
        return chr(0x2400 + code)  # ␀ … ␟ (control pictures)
    if code == 0x7F:
        return "␡"
    if 0x80 <= code <= 0x9F or code in _BIDI or code in _INVISIBLE:
        return f"<U+{code:04X}>"
    if 0xD800 <= code <= 0xDFFF:
        return f"<U+{code:04X}>"
    return None


def _needs_work(text: str) -> bool:
    return any(
        (c := ord(ch)) < 0x20
        or 0x7F <= c <= 0x9F
        or c in _BIDI
        or c in _INVISIBLE
        or 0xD800 <= c <= 0xDFFF
        for ch in text
    )


def safe(text: str, *, keep_layout: bool = False, style: str = "") -> Content:
    """Plain content for any stored string, control characters made visible.

    `keep_layout` keeps newlines and tabs (the detail view); otherwise they too
    are shown as stand-ins, so one entry is always one line.
    """
    if not _needs_work(text):
        content = Content(text, strip_control_codes=False)
        return content.stylize(style) if style else content
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    for ch in text:
        shown = _stand_in(ord(ch), keep_layout)
        if shown is None:
            parts.append(ch)
            length += 1
        else:
            parts.append(shown)
            spans.append(Span(length, length + len(shown), CONTROL_STYLE))
            length += len(shown)
    content = Content("".join(parts), spans=spans, strip_control_codes=False)
    if keep_layout:
        content = content.expand_tabs(4)
    return content.stylize_before(style) if style else content


def one_line(text: str, limit: int = CELL_CHARS) -> Content:
    """A cell's worth of a value: at most `limit` characters, then visible-control form."""
    cut = len(text) > limit
    content = safe(text[:limit] if cut else text)
    return content.append(Content("…", spans=[Span(0, 1, "$text-muted")])) if cut else content


def as_json(text: str) -> Content | None:
    """Pretty, highlighted JSON for values that are a JSON object or array, else None."""
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    try:
        pretty = json.dumps(parsed, indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return None
    # json.dumps escapes C0 but not C1, bidi or zero-width characters: escape those too.
    pretty = "".join(
        ch if _stand_in(ord(ch), True) is None else f"\\u{ord(ch):04x}" for ch in pretty
    )
    from textual.highlight import highlight  # Pygments: loaded when a JSON value is shown.

    return highlight(pretty, language="json")


def looks_like_json(text: str) -> bool:
    """Starts like a JSON object or array: worth a warning if it does not parse."""
    stripped = text.strip()
    return bool(stripped) and stripped[0] in "[{" and stripped[-1] in "]}"


def format_age(seconds: float) -> str:
    """Compact relative age: `now`, `42s`, `5m`, `3h`, `2d`, `7w`, `3y`."""
    if seconds < 0:
        return "future"
    if seconds < 1:
        return "now"
    for size, unit in ((31_536_000, "y"), (604_800, "w"), (86_400, "d"), (3_600, "h"), (60, "m")):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def format_timestamp(timestamp: int) -> str:
    """Absolute UTC time; huge values (possible in a u64 file) do not crash."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{timestamp} (out of range)"


def safe_rich(text: str, style: str = "") -> Text:
    """A Rich `Text` for widgets that take one (the Tree): built directly, never parsed."""
    content = safe(text)
    rich_text = Text(content.plain, style=style, end="", no_wrap=True)
    for span in content.spans:
        rich_text.stylize("italic dim", span.start, span.end)
    return rich_text
