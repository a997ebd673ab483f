"""The detail pane: every field of the selected entry and its whole value."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ..display import as_json, format_ago, format_timestamp, safe
from ..table.rows import Row

#: A value longer than this is shown cut (copy it with `c` to get all of it).
DETAIL_CHARS = 64 * 1024

LAYER_NAMES = {
    "memory": "memory (ephemeral)",
    "store": "store (persisted)",
    "published": "memory published by another process (read-only)",
}


def layer_name(row: Row, now: float, published_at: float | None) -> str:
    if row.layer == "published" and published_at is not None:
        ago = format_ago(now - published_at)
        return f"memory published by another process {ago} (read-only)"
    return LAYER_NAMES[row.layer]


def unwrapped_height(content: Content, width: int) -> int | None:
    """Lines `content` takes at `width` when none of them wraps; None if one would."""
    lines = content.split("\n")
    if width <= 0 or any(line.cell_length > width for line in lines):
        return None
    return len(lines)


class DetailPane(VerticalScroll):
    """Shows one row; cheap to update because it only ever renders one value."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: Height each part had when last shown, if known without a layout pass.
        self._heights: dict[str, int | None] = {}
        #: What `show_row` last drew: drawn again only when something in it differs.
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-fields")
        yield Static(id="detail-value")

    def _put(self, part: Static, content: Content) -> None:
        """Update one part; skip the screen-wide layout pass when its height stays the same.

        Moving the cursor updates this pane on every keystroke, and a layout pass
        re-arranges every widget on screen: most rows are short, one line each.
        """
        height = unwrapped_height(content, part.size.width)
        key = part.id or ""
        same = height is not None and self._heights.get(key) == height
        self._heights[key] = height
        part.update(content, layout=not same)

    def show_message(self, message: Content) -> None:
        self._shown = None
        self._put(self.query_one("#detail-fields", Static), message)
        self._put(self.query_one("#detail-value", Static), Content(""))

    def show_row(
        self,
        scope: str,
        row: Row | None,
        now: float,
        *,
        published_at: float | None = None,
        note: str | None = None,
    ) -> None:
        """Every field of `row`; `note` (plain text, made safe here) is said above its value."""
        fields = self.query_one("#detail-fields", Static)
        value = self.query_one("#detail-value", Static)
        if row is None:
            self.show_message(Content("No entry selected.").stylize("$text-muted"))
            return
        # A write elsewhere in a big scope re-shows the same row: leave it (and the
        # operator's scroll position in a long value) as it is.
        ago = format_ago(now - row.timestamp)
        shown = (scope, row, layer_name(row, now, published_at), note, ago)
        if shown == self._shown:
            return
        self._shown = shown
        label = Content.styled
        lines = [
            Content.assemble(label("scope       ", "$text-muted"), safe(scope)),
            Content.assemble(
                label("layer       ", "$text-muted"), layer_name(row, now, published_at)
            ),
            Content.assemble(label("key         ", "$text-muted"), safe(row.key, style="bold")),
            Content.assemble(label("source_step ", "$text-muted"), safe(row.source_step)),
            Content.assemble(
                label("timestamp   ", "$text-muted"),
                f"{format_timestamp(row.timestamp)}  ({format_ago(now - row.timestamp)})",
                label(f"  {row.timestamp}", "$text-muted"),
            ),
        ]
        if note:
            lines.append(
                Content.assemble(
                    Content.styled("↺ ", "bold $text-error"),
                    safe(note, keep_layout=True, style="$text-error"),
                )
            )
        if row.conflict:
            lines.append(
                label("≠ this key has a different value in the other layer", "$text-warning")
            )
        size = len(row.value.encode("utf-8", "surrogatepass"))
        cut = len(row.value) > DETAIL_CHARS
        lines.append(
            label(
                f"value       {size:,} bytes"
                + (f", first {DETAIL_CHARS // 1024} KiB shown (c copies all)" if cut else ""),
                "$text-muted",
            )
        )
        self._put(fields, Content("\n").join(lines))
        text = row.value[:DETAIL_CHARS] if cut else row.value
        self._put(value, (None if cut else as_json(text)) or safe(text, keep_layout=True))
        if self.scroll_offset.y:
            self.scroll_home(animate=False)
