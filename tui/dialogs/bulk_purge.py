"""Bulk purge: a query, the entries it matches, and a purge of exactly those entries.

The rows are captured when they are previewed. Purging returns that list, never a
fresh query, so an entry that starts matching later (another process writing) is
never deleted unseen. Editing the query disables Purge until it is previewed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual
from textual.widgets import Button, Input, Static

from ..display import one_line, safe
from ..table.rows import Row
from ..widgets.safe_inputs import SafeInput
from ._base import DialogScreen, field_line, title

#: Widest key column in the preview; longer keys are cut.
KEY_COLUMN = 30
LAYER_COLUMN = 9


def key_column_width(rows: Sequence[Row]) -> int:
    """As wide as the widest shown key, at most KEY_COLUMN; cheap enough for 100k rows."""
    widest = 0
    for row in rows:
        if cell_len(row.key) > widest or not row.key.isprintable():
            widest = cell_len(one_line(row.key, KEY_COLUMN + 1).plain)
            if widest >= KEY_COLUMN:
                return KEY_COLUMN
    return widest


class RowPreview(ScrollView, can_focus=True):
    """Read-only list of rows that renders only the visible lines, so 100k rows cost nothing."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: Sequence[Row] = ()
        self._key_width = 0

    @property
    def rows(self) -> Sequence[Row]:
        return self._rows

    def set_rows(self, rows: Sequence[Row]) -> None:
        self._rows = rows
        self._key_width = key_column_width(rows)
        self.virtual_size = Size(1, len(rows))
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def line_content(self, row: Row, width: int) -> Content:
        """One row as `layer  key  value`, cut to the width."""
        key = one_line(row.key, KEY_COLUMN + 1).truncate(self._key_width, ellipsis=True, pad=True)
        value_width = max(0, width - LAYER_COLUMN - self._key_width - 4)
        value = one_line(row.value, max(value_width, 1) + 1).truncate(value_width, ellipsis=True)
        return Content.assemble(
            Content.styled(row.layer.ljust(LAYER_COLUMN), "$text-muted"),
            "  ",
            key.stylize("bold"),
            "  ",
            value,
        )

    def render_line(self, y: int) -> Strip:
        _scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        content = self.line_content(self._rows[index], width).truncate(width)
        strips = Visual.to_strips(self, content, width, 1, self.visual_style, pad=True)
        return strips[0] if strips else Strip.blank(width, self.rich_style)


def count_line(count: int, query: str, skipped: int) -> Content:
    """`12 entries match 'tmp'`, with the query shown literally."""
    if count == 0:
        lead = Content.styled("No entries match ", "bold")
    else:
        noun = "entry matches" if count == 1 else "entries match"
        lead = Content.styled(f"{count:,} {noun} ", "bold")
    line = Content.assemble(lead, "'", safe(query), "'")
    if skipped:
        line = line + Content.styled(
            f"  ({skipped:,} read-only published entr{'y' if skipped == 1 else 'ies'} left out)",
            "$text-muted",
        )
    return line


class BulkPurgeDialog(DialogScreen[list[Row] | None]):
    """Preview with enter, then Purge dismisses with exactly the previewed rows."""

    def __init__(
        self, scope: str, *, find: Callable[[str], list[Row]], initial_query: str = ""
    ) -> None:
        super().__init__()
        self.scope = scope
        self.find = find
        self.initial_query = initial_query
        self._preview: tuple[Row, ...] = ()
        self._previewed_query: str | None = None
        self._preview_status = Content("")

    @property
    def previewed(self) -> tuple[Row, ...]:
        """The rows Purge would return now (empty while nothing valid is previewed)."""
        return self._preview if self._is_current() else ()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -destructive") as panel:
            panel.border_title = title("Bulk purge")
            panel.border_subtitle = "enter preview · esc cancel"
            yield Static(field_line("scope", safe(self.scope)), classes="fields")
            with Horizontal(classes="form-row"):
                yield Static(Content("query"), classes="label")
                yield SafeInput(
                    self.initial_query,
                    placeholder="key or value contains… (enter to preview)",
                    cursor_blink=self.cursor_blink,
                    id="query",
                )
            yield Static(id="status")
            yield RowPreview(id="preview")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Purge", variant="error", id="purge", disabled=True)

    def on_mount(self) -> None:
        if self.initial_query:
            self.preview(self.initial_query)
            self.query_one("#cancel", Button).focus()
        else:
            self._show_status(Content.styled("Type a query and press enter.", "$text-muted"))
            self.query_one("#query", Input).focus()

    def preview(self, query: str) -> None:
        """Run the query once and keep its rows: these, and only these, may be purged."""
        preview = self.query_one(RowPreview)
        if not query:
            self._set_preview((), None)
            preview.set_rows(())
            self._show_status(Content.styled("Type a query and press enter.", "$text-muted"))
            return
        try:
            found = self.find(query)
        except Exception as error:  # a failing query must not take the dialog down
            self._set_preview((), None)
            preview.set_rows(())
            self._show_status(
                Content.assemble(
                    Content.styled("✗ The query failed: ", "$text-error bold"), safe(str(error))
                )
            )
            return
        rows = tuple(row for row in found if row.writable)
        self._set_preview(rows, query)
        preview.set_rows(rows)
        self._preview_status = count_line(len(rows), query, len(found) - len(rows))
        self._show_status(self._preview_status)

    def _set_preview(self, rows: tuple[Row, ...], query: str | None) -> None:
        self._preview = rows
        self._previewed_query = query
        self._update_purge_button()

    def _is_current(self) -> bool:
        query = self.query_one("#query", Input).value
        return bool(self._preview) and self._previewed_query == query

    def _update_purge_button(self) -> None:
        button = self.query_one("#purge", Button)
        current = self._is_current()
        button.disabled = not current
        button.label = f"Purge {len(self._preview):,}" if current else "Purge"
        self.query_one(RowPreview).set_class(not current and bool(self._preview), "-stale")

    def _show_status(self, message: Content) -> None:
        self.query_one("#status", Static).update(message)

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._update_purge_button()
        if self._previewed_query is not None and event.value != self._previewed_query:
            self._show_status(
                Content.styled(
                    "Query changed: press enter to preview again before purging.",
                    "$text-warning",
                )
            )
        elif self._previewed_query is not None:
            self._show_status(self._preview_status)

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        self.preview(event.value)

    @on(Button.Pressed, "#purge")
    def _purge(self) -> None:
        if self._is_current():
            self.dismiss(list(self._preview))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
