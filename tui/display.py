"""The one way stored strings reach the screen.

Stored keys and values, scope names, file paths and error reasons come from other
processes and from people: they may hold Rich/Textual markup, ANSI or OSC escapes,
bidi overrides, or characters a reader cannot see but a program (an AI agent
reading the same store) can. Everything here builds `Content` objects (never
markup), and every character below becomes a visible, dimmed stand-in, so nothing
in the data can style, click, talk to the terminal or hide text:

* C0 controls as control pictures (`␛`, `␊`, …; `keep_layout` keeps newline and
  tab), DEL as `␡`, and as `<U+XXXX>`:
* C1 controls and every other character of category Cc, Cf (format: bidi
  controls, zero-width characters, U+2061–2064 invisible operators, the soft
  hyphen, tag characters U+E0000–E007F, …), Zl and Zp (U+2028, U+2029), Cs (lone
  surrogates);
* Unicode's Default_Ignorable_Code_Point characters that are not format
  characters: the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the combining
  grapheme joiner U+034F, the Khmer inherent vowels U+17B4–17B5, the Mongolian
  free variation selectors U+180B–180F, the variation selectors U+FE00–FE0F and
  U+E0100–E01EF, and the reserved ignorable ranges U+2065, U+FFF0–FFF8 and
  U+E0000–E0FFF;
* the braille blank U+2800 (it looks exactly like a space);
* the 66 noncharacters (U+FDD0–FDEF and the last two code points of each plane).

One exception keeps emoji readable: a single U+FE0E or U+FE0F right after a
character that is shown as it is (`❤️`) selects its presentation and stays; a
selector at the start, after another selector or before one is shown, since runs
of selectors are how bytes are smuggled inside an emoji.

Private-use characters and unassigned code points are shown as they are: fonts
draw the former (icon fonts) and terminals draw the latter as a visible box, and
this Python's Unicode database is older than the terminals' (newer emoji would
turn into codes). Spaces other than U+0020 (no-break, ideographic) stay spaces.

Whether a string needs any of this is one search of a precompiled character
class, so clean text (nearly all of it) costs one pass in C.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from rich.text import Text
from textual.content import Content, Span

#: Style of the visible stand-ins, so a real "␛" in the data is told apart from ESC.
CONTROL_STYLE = "$text-warning italic"
#: One line cells never need more than this many characters of a value.
CELL_CHARS = 400

#: Code point ranges that are always shown as a stand-in (see the module docstring).
#: The test suite checks Cc, Cf, Cs, Zl and Zp against the running Python's database.
_SHOWN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),  # C0 (newline and tab kept with keep_layout)
    (0x007F, 0x009F),  # DEL, C1
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors, vowel separator
    (0x200B, 0x200F),  # zero-width space, joiners, marks
    (0x2028, 0x202E),  # line and paragraph separators, bidi embeddings
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated
    (0x2800, 0x2800),  # braille blank
    (0x3164, 0x3164),  # Hangul filler
    (0xD800, 0xDFFF),  # surrogates
    (0xFDD0, 0xFDEF),  # noncharacters
    (0xFE00, 0xFE0D),  # variation selectors (FE0E and FE0F: see `_kept_selector`)
    (0xFEFF, 0xFEFF),  # byte order mark, zero-width no-break space
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFFB),  # reserved ignorables, interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags and variation selectors supplement, reserved ignorables
    *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)),
)


def _char_class(ranges: tuple[tuple[int, int], ...], skip: str = "") -> str:
    parts = []
    for first, last in ranges:
        for a, b in _without(first, last, skip):
            low, high = re.escape(chr(a)), re.escape(chr(b))
            parts.append(low if a == b else f"{low}-{high}")
    return "[" + "".join(parts) + "]"


def _without(first: int, last: int, skip: str) -> list[tuple[int, int]]:
    """`first..last` with the code points of `skip` cut out."""
    pieces = [(first, last)]
    for code in sorted(map(ord, skip)):
        pieces = [
            piece
            for a, b in pieces
            for piece in (((a, code - 1), (code + 1, b)) if a <= code <= b else ((a, b),))
            if piece[0] <= piece[1]
        ]
    return pieces


def _pattern(skip: str) -> re.Pattern[str]:
    # One character class: a search for it runs in C, with no per-position branching.
    return re.compile(_char_class((*_SHOWN_RANGES, _PRESENTATION), skip))


#: Text and emoji presentation selectors (see `_kept_selector`).
_PRESENTATION = (0xFE0E, 0xFE0F)
_SELECTORS = re.compile(_char_class(((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))))
#: Finds every character `safe` may show as a stand-in (one-line form).
HIDDEN = _pattern("")
#: The same, for the `keep_layout` form: newlines and tabs are left alone.
HIDDEN_KEEP_LAYOUT = _pattern("\n\t")
_ALWAYS_SHOWN = re.compile(_char_class(_SHOWN_RANGES))


def _printable_ranges() -> tuple[tuple[int, int], ...]:
    """The few shown characters that `str.isprintable` accepts (selectors, fillers, …)."""
    codes = [
        code
        for first, last in (*_SHOWN_RANGES, _PRESENTATION)
        for code in range(first, last + 1)
        if chr(code).isprintable()
    ]
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return tuple(ranges)


#: Clean text is printable (in C) and holds none of these (a small class, so a quick
#: search): every other shown character is one that `str.isprintable` rejects.
_PRINTABLE_SHOWN = re.compile(_char_class(_printable_ranges()))


def _is_clean(text: str) -> bool:
    if text.isascii():
        return text.isprintable()
    return text.isprintable() and _PRINTABLE_SHOWN.search(text) is None


def _kept_selector(text: str, at: int) -> bool:
    """A lone U+FE0E/FE0F right after a character shown as it is: an emoji's presentation."""
    if at == 0 or _ALWAYS_SHOWN.match(text, at - 1) or _SELECTORS.match(text, at - 1):
        return False
    return _SELECTORS.match(text, at + 1) is None


def hidden_matches(text: str, *, keep_layout: bool = False) -> Iterator[re.Match[str]]:
    """Every character of `text` that `safe` shows as a stand-in, in order."""
    if _is_clean(text):
        return  # Nearly all text.
    pattern = HIDDEN_KEEP_LAYOUT if keep_layout else HIDDEN
    for match in pattern.finditer(text):
        if match.group() in "\ufe0e\ufe0f" and _kept_selector(text, match.start()):
            continue
        yield match


def stand_in(char: str) -> str:
    """The visible form of one character that `hidden_matches` found."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (control pictures)
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


def needs_work(text: str, *, keep_layout: bool = False) -> bool:
    """True when `safe` would change anything in `text`."""
    return next(hidden_matches(text, keep_layout=keep_layout), None) is not None


def safe(text: str, *, keep_layout: bool = False, style: str = "") -> Content:
    """Plain content for any stored string, hidden and control characters made visible.

    `keep_layout` keeps newlines and tabs (the detail view); otherwise they too
    are shown as stand-ins, so one entry is always one line.
    """
    if _is_clean(text):
        return _plain_content(text, keep_layout, style)  # The fast path: nothing to do.
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    done = 0
    for match in hidden_matches(text, keep_layout=keep_layout):
        start = match.start()
        if start > done:
            parts.append(text[done:start])
            length += start - done
        shown = stand_in(match.group())
        parts.append(shown)
        spans.append(Span(length, length + len(shown), CONTROL_STYLE))
        length += len(shown)
        done = match.end()
    if not spans:  # Only emoji presentation selectors, kept.
        return _plain_content(text, keep_layout, style)
    parts.append(text[done:])
    content = Content("".join(parts), spans=spans, strip_control_codes=False)
    if keep_layout:
        content = content.expand_tabs(4)
    return content.stylize_before(style) if style else content


def _plain_content(text: str, keep_layout: bool, style: str) -> Content:
    content = Content(text, strip_control_codes=False)
    if keep_layout and "\t" in text:
        content = content.expand_tabs(4)
    return content.stylize(style) if style else content


def plain(text: str, *, keep_layout: bool = False) -> str:
    """`safe` as a plain string, for the few places that only take one (notifications)."""
    return safe(text, keep_layout=keep_layout).plain


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
    # json.dumps escapes C0 but not C1, format or invisible characters: escape those too.
    shown = list(hidden_matches(pretty, keep_layout=True))
    for match in reversed(shown):
        pretty = pretty[: match.start()] + _json_escape(match) + pretty[match.end() :]
    from textual.highlight import highlight  # Pygments: loaded when a JSON value is shown.

    return highlight(pretty, language="json")


def _json_escape(match: re.Match[str]) -> str:
    """A JSON `\\u` escape (a surrogate pair above the BMP): still the same JSON value."""
    return json.dumps(match.group())[1:-1]


#: What follows `{` or `[` in JSON (after spaces): a key or `}`; a value or `]`.
_JSON_OPENINGS = re.compile(r'\{\s*["}]|\[\s*[\[{"\]\d\-]|\[\s*(true|false|null)\b|\[\s*$|\{\s*$')


def looks_like_json(text: str) -> bool:
    """Meant as a JSON object or array: worth a warning if it does not parse.

    It starts and ends like one, or it starts like one (`{"…`, `[1…`, `[{…`) and
    lacks its end: a value missing its closing `}` is warned about, `[INFO] started`
    is not.
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return False
    return stripped[-1] in "]}" or _JSON_OPENINGS.match(stripped) is not None


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


def format_ago(seconds: float) -> str:
    """An age in a sentence: `just now`, `42s ago`, `in the future` (a clock ahead of ours)."""
    age = format_age(seconds)
    return {"now": "just now", "future": "in the future"}.get(age, f"{age} ago")


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
