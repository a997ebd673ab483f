"""The detail pane: every field of the selected entry and its whole value."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ..display import as_json, format_age, format_timestamp, safe
from ..model import Row

#: A value longer than this is shown cut (copy it with `c` to get all of it).
DETAIL_CHARS = 64 * 1024

LAYER_NAMES = {
    "memory": "memory (ephemeral)",
    "store": "store (persisted)",
    "published": "memory published by another process (read-only)",
}


def layer_name(row: Row, now: float, published_at: float | None) -> str:
    if row.layer == "published" and published_at is not None:
        age = format_age(now - published_at)
        return f"memory published by another process {age} ago (read-only)"
    return LAYER_NAMES[row.layer]


class DetailPane(VerticalScroll):
    """Shows one row; cheap to update because it only ever renders one value."""

    def compose(self) -> ComposeResult:
        yield Static(id="detail-fields")
        yield Static(id="detail-value")

    def show_message(self, message: Content) -> None:
        self.query_one("#detail-fields", Static).update(message)
        self.query_one("#detail-value", Static).update("")

    def show_row(
        self, scope: str, row: Row | None, now: float, *, published_at: float | None = None
    ) -> None:
        fields = self.query_one("#detail-fields", Static)
        value = self.query_one("#detail-value", Static)
        if row is None:
            self.show_message(Content("No entry selected.").stylize("$text-muted"))
            return
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
                f"{format_timestamp(row.timestamp)}  ({format_age(now - row.timestamp)} ago)",
                label(f"  {row.timestamp}", "$text-muted"),
            ),
        ]
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
        fields.update(Content("\n").join(lines))
        text = row.value[:DETAIL_CHARS] if cut else row.value
        value.update((None if cut else as_json(text)) or safe(text, keep_layout=True))
        self.scroll_home(animate=False)
