"""The entry table: both layers of a scope, fast at a million rows.

Built on Textual's Line API: `render_line` draws only the lines on screen, so the
cost of a frame does not grow with the number of rows. Filtering, sorting and
diffing happen on whole columns in `axon_scopes.tui.table` (`RowIndex`, `RowView`).
Every stored string is drawn through `axon_scopes.tui.display`, never as markup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.signal import Signal
from textual.strip import Strip
from textual.style import Style
from textual.timer import Timer

from ..display import format_age, one_line, safe
from ..table.diff import RowDiff
from ..table.index import RowIndex
from ..table.rows import SORT_COLUMNS, Row, RowKey, SortColumn, VisibleRows
from ..table.view import RowView, next_column, toggle_sort

Clock = Callable[[], float]

#: How long added and changed rows stay highlighted after `set_index(..., flash_changes=True)`.
FLASH_SECONDS = 1.5
#: More changes than this at once (a rewritten file) are not flashed: it would light up everything.
FLASH_LIMIT = 10_000
#: Up to this many rows replaced where they stand are redrawn line by line.
IN_PLACE_LIMIT = 64

BADGES = {"memory": " MEM ", "store": " STO ", "published": " PUB "}
BADGE_WIDTH = 5
CONFLICT_MARK = "≠"
#: On a row whose edit by this app another writer undid.
REVERTED_MARK = "↺"
AGE_WIDTH = 6  # "future" is the longest age
SORT_ARROWS = {False: "▲", True: "▼"}
#: Which header title shows the sort arrow for each sort column.
SORT_TITLES: dict[SortColumn, str] = {
    "layer": "layer",
    "key": "key",
    "time": "time",
    "source_step": "step",
}

Align = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Columns:
    """Cell widths for one table width: key and value share what the fixed columns leave."""

    width: int
    key: int
    value: int
    step: int
    age: int

    @classmethod
    def fit(cls, width: int, key_width: int, step_width: int) -> Columns:
        # badge, conflict mark, space | key | space, value | space, step | space, age | pad
        fixed = BADGE_WIDTH + 2 + 1 + 1
        age = AGE_WIDTH if width >= 36 else 0
        fixed += age + 1 if age else 0
        step = min(max(step_width, 6), 16) if width >= 60 else 0
        fixed += step + 1 if step else 0
        flex = max(0, width - fixed)
        key = min(max(key_width, 8), flex // 2) if flex >= 16 else flex // 2
        return cls(width, key, flex - key, step, age)

    def cells(self) -> list[tuple[str, int, Align]]:
        """(title, width, alignment) of each column after the badge and mark."""
        cells: list[tuple[str, int, Align]] = [("key", self.key, "left")]
        cells.append(("value", self.value, "left"))
        if self.step:
            cells.append(("step", self.step, "left"))
        if self.age:
            cells.append(("time", self.age, "right"))
        return cells


def fit(content: Content, width: int, align: Align = "left") -> Content:
    """Cut or pad a cell to exactly `width` cells, with an ellipsis where it is cut."""
    if width <= 0:
        return Content("")
    length = content.cell_length
    if length > width:
        return content.truncate(width, ellipsis=True)
    if length < width:
        gap = width - length
        return content.pad_left(gap) if align == "right" else content.pad_right(gap)
    return content


class EntryTable(ScrollView, can_focus=True):
    """Rows of one scope: a layer badge, key, value, source_step and age per line.

    Rows come in one way, `set_index` (`show_preview` for the first screenful of a
    big scope); filter and sort go down with `set_filter`, `set_sort`, `sort_by`,
    `next_sort_column` and `reverse_sort`. Out come `cursor_signal` (the row under the
    cursor, published synchronously so a pane drawing it lands in the same frame) and
    `RowActivated`.
    The cursor follows its row by `row_key` through reloads, filtering and sorting.
    """

    ALLOW_SELECT = False

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-table--header",
        "entry-table--cursor",
        "entry-table--badge-memory",
        "entry-table--badge-store",
        "entry-table--badge-published",
        "entry-table--conflict",
        "entry-table--reverted",
        "entry-table--read-only",
        "entry-table--muted",
        "entry-table--flash",
        "entry-table--empty",
    }
    """
    | Class | Styles |
    | :- | :- |
    | `entry-table--header` | The column titles. |
    | `entry-table--cursor` | The row under the cursor. |
    | `entry-table--badge-memory` / `-store` / `-published` | The layer badges. |
    | `entry-table--conflict` | The ≠ flag of a key whose layers disagree. |
    | `entry-table--reverted` | The ↺ flag of a row whose edit another writer undid. |
    | `entry-table--read-only` | Key and value of a published (read-only) row. |
    | `entry-table--muted` | The source_step and age cells. |
    | `entry-table--flash` | Rows just added or changed by someone else. |
    | `entry-table--empty` | The "no entries" line. |
    """

    DEFAULT_CSS = """
    EntryTable {
        width: 1fr;
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;

        & > .entry-table--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .entry-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .entry-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .entry-table--badge-memory {
            background: $primary 20%;
            color: $text-primary;
            text-style: bold;
        }
        & > .entry-table--badge-store {
            background: $success 12%;
            color: $text-success;
            text-style: bold;
        }
        & > .entry-table--badge-published {
            background: $accent 20%;
            color: $text-accent;
            text-style: bold;
        }
        & > .entry-table--conflict {
            color: $text-warning;
            text-style: bold;
        }
        & > .entry-table--reverted {
            color: $text-error;
            text-style: bold;
        }
        & > .entry-table--read-only {
            text-style: italic;
        }
        & > .entry-table--muted {
            color: $text-muted;
        }
        & > .entry-table--flash {
            background: $warning 25%;
        }
        & > .entry-table--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "cursor_first", "First", show=False),
        Binding("end,G", "cursor_last", "Last", show=False),
        Binding("enter", "activate", "Open", show=False),
    ]

    @dataclass
    class RowActivated(Message):
        """Enter or a double click on a row."""

        row: Row
        table: EntryTable

        @property
        def control(self) -> EntryTable:
            return self.table

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        age_refresh: float | None = 15.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """`clock` gives "now" for the age column; `age_refresh` redraws ages every so
        many seconds (None: never, for tests and snapshots)."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.clock: Clock = clock
        self.age_refresh = age_refresh
        self._view = RowView(RowIndex(()))
        self._preview_total: int | None = None
        #: Set while nothing has been read yet: "reading…", not "no entries".
        self.reading = False
        #: Published when the cursor is on another row, synchronously: a subscriber that
        #: draws the row elsewhere (the detail pane) lands in the same frame as the cursor.
        self.cursor_signal: Signal[Row | None] = Signal(self, "cursor")
        self._cursor = 0
        self._announced: RowKey | None = None
        self._flash: frozenset[RowKey] = frozenset()
        self._flash_timer: Timer | None = None
        self._marked: frozenset[RowKey] = frozenset()
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._styles: dict[tuple[str, bool], Style] = {}
        self._columns: Columns | None = None

    # ── reading ────────────────────────────────────────────────────────────

    @property
    def now(self) -> float:
        return self.clock()

    @property
    def rows(self) -> Sequence[Row]:
        """Every row, in the order of the index given to `set_index`."""
        return self._view.index.rows

    @property
    def visible_rows(self) -> Sequence[Row]:
        """The rows shown, filtered and sorted, top to bottom (a view, not a copy)."""
        return VisibleRows(self._view.index.items, self._view.visible)

    @property
    def newest_row(self) -> Row | None:
        """The visible row written last (the topmost of those, on a tie)."""
        return self._view.newest()

    @property
    def row_count(self) -> int:
        """Rows shown (after the filter)."""
        return len(self._view)

    @property
    def total_count(self) -> int:
        """Rows in the table (before the filter), counting those a preview does not hold yet."""
        if self._preview_total is not None:
            return self._preview_total
        return len(self._view.index)

    @property
    def filter_query(self) -> str:
        return self._view.query

    @property
    def sort_column(self) -> SortColumn:
        return self._view.column

    @property
    def sort_reverse(self) -> bool:
        return self._view.reverse

    @property
    def cursor_index(self) -> int:
        """Position of the cursor in `visible_rows` (0 when there are none)."""
        return self._cursor

    @cursor_index.setter
    def cursor_index(self, position: int) -> None:
        self._move_cursor(position)

    @property
    def cursor_row(self) -> Row | None:
        if not self._view.visible:
            return None
        return self._view.row(self._cursor)

    @property
    def cursor_row_key(self) -> RowKey | None:
        row = self.cursor_row
        return None if row is None else row.row_key

    @property
    def flashing(self) -> frozenset[RowKey]:
        """Keys of the rows highlighted as just added or changed."""
        return self._flash

    # ── data in ────────────────────────────────────────────────────────────

    @property
    def index(self) -> RowIndex:
        """The rows and their orders; a worker diffs the next load against it."""
        return self._view.index

    @property
    def in_preview(self) -> bool:
        """Whether only a big scope's first screenful is shown, its full index to come."""
        return self._preview_total is not None

    def show_preview(self, index: RowIndex, total: int) -> None:
        """Show the first rows of a scope of `total` rows until `set_index` brings them all."""
        self.reading = False
        self._preview_total = total
        self._view.set_index(index)
        self._cursor = 0
        self._end_flash(refresh=False)
        self._data_changed(scroll_home=True)

    def set_index(
        self, index: RowIndex, *, flash_changes: bool = False, keep_position: bool = True
    ) -> RowDiff:
        """Show `index`: the one way rows come in (build it with `RowIndex(rows, table.index)`).

        Old and new rows are matched by `row_key`, diffed against `self.index` (a
        worker builds the index off the UI thread against it; one built against rows
        since replaced is diffed again). The cursor stays on its row (or, if that row
        is gone, at the same position); the scroll offset, filter and sort stay.
        `flash_changes` highlights added and changed rows for a moment.
        `keep_position=False` is for other data altogether (another scope): cursor
        and scroll go to the top and every row counts as added.
        """
        view = self._view
        old_index = view.visible[self._cursor] if view.visible else None
        old_key = self.cursor_row_key
        old_position = self._cursor
        old_visible, old_widths = view.visible, self._widths(view.index)
        from_preview = self.in_preview
        self._preview_total = None
        self.reading = False
        if from_preview or not keep_position:
            index.base = None
        elif index.base is not view.index:
            index = RowIndex(index.items, view.index)  # Diffed against rows since replaced.
        diffed, index.base = index.base is not None, None
        view.set_index(index)
        position = None
        if old_index is not None and keep_position:
            if diffed:
                position = view.position_of(index.new_index_of(old_index))
            elif old_key is not None:
                position = view.position_of(index.find(old_key))
        if position is None:
            position = old_position if keep_position else 0
        self._cursor = max(0, min(position, len(view) - 1))
        touched = len(index.added) + len(index.changed)
        in_place = (
            diffed
            and keep_position
            and not index.added
            and not index.diff.removed
            and len(index.changed) <= IN_PLACE_LIMIT
            and self._cursor == old_position
            and _same_order(old_visible, view.visible)
            and self._widths(index) == old_widths
        )
        flashed = self._flash
        if flash_changes and diffed and self.is_mounted and 0 < touched <= FLASH_LIMIT:
            self._start_flash(frozenset(index.touched()))
        else:
            self._end_flash(refresh=False)
        if in_place:
            self._rows_changed(set(index.changed), flashed | self._flash)
        else:
            self._data_changed(scroll_home=not keep_position)
        return index.diff

    def set_filter(self, query: str) -> None:
        """Show only rows whose key or value contains `query`, ignoring case."""
        if query == self._view.query:
            return
        self._reorder(lambda: self._view.set_query(query), lose_cursor_to_top=True)

    def set_sort(self, column: SortColumn, reverse: bool = False) -> None:
        """Sort by `column`: key, time (ascending: oldest first), layer or source_step."""
        if column not in SORT_COLUMNS:
            raise ValueError(f"unknown sort column: {column!r}")
        if (column, reverse) == (self._view.column, self._view.reverse):
            return
        self._reorder(lambda: self._view.set_sort(column, reverse), lose_cursor_to_top=False)

    def next_sort_column(self) -> tuple[SortColumn, bool]:
        """Sort by the next column of `SORT_ORDER`, ascending (what `s` does)."""
        self.set_sort(next_column(self._view.column))
        return self._view.column, self._view.reverse

    def reverse_sort(self) -> tuple[SortColumn, bool]:
        """The same column the other way round (what `S` does)."""
        self.set_sort(self._view.column, not self._view.reverse)
        return self._view.column, self._view.reverse

    def sort_by(self, column: SortColumn) -> tuple[SortColumn, bool]:
        """Sort by `column` ascending; if it is the sort already, reverse it (a header click)."""
        self.set_sort(*toggle_sort((self._view.column, self._view.reverse), column))
        return self._view.column, self._view.reverse

    def set_marked(self, keys: set[RowKey]) -> None:
        """Rows whose edit by this app another writer undid: they carry REVERTED_MARK."""
        marked = frozenset(keys)
        if marked != self._marked:
            self._marked = marked
            self._lines.clear()
            self.refresh()

    @property
    def marked(self) -> frozenset[RowKey]:
        return self._marked

    def move_cursor_to_key(self, row_key: RowKey) -> bool:
        """Put the cursor on a row; False if it is not shown (absent or filtered out)."""
        position = self._view.position_of(self._view.index.find(row_key))
        if position is None:
            return False
        self._move_cursor(position)
        return True

    def _reorder(self, change: Callable[[], None], *, lose_cursor_to_top: bool) -> None:
        """Apply a filter or sort change, keeping the cursor on its row if it stays."""
        view = self._view
        old_index = view.visible[self._cursor] if view.visible else None
        change()
        position = view.position_of(old_index)
        self._cursor = 0 if position is None else position
        self._data_changed(scroll_home=position is None and lose_cursor_to_top)

    def _widths(self, index: RowIndex) -> tuple[int, int] | None:
        """The data widths the columns are fitted to, when the layout has asked for them."""
        if self._columns is None:
            return None
        return index.key_width, index.step_width

    def _rows_changed(self, changed: set[int], flashed: frozenset[RowKey]) -> None:
        """Rows replaced where they stand: redraw only their lines (and any whose flash
        starts or ends), not the whole table. A write into a big scope then costs a line."""
        if changed:
            for cached in [k for k in self._lines.keys() if k[0] in changed]:  # noqa: SIM118
                self._lines.discard(cached)
        if self.is_mounted:
            self._refresh_shown(lambda index, row: index in changed or row.row_key in flashed)
        self._announce()

    def _refresh_shown(self, redraw: Callable[[int, Row], bool]) -> None:
        """Refresh the lines on screen whose row `redraw` picks (by index and row)."""
        view = self._view
        top = round(self.scroll_y)
        for position in range(top, min(top + self._page, len(view))):
            index = view.visible[position]
            if redraw(index, view.index.rows[index]):
                self._refresh_position(position)

    def _data_changed(self, *, scroll_home: bool) -> None:
        self._lines.clear()
        self._columns = None
        self.virtual_size = Size(0, len(self._view) + 1)
        if self.is_mounted:
            if scroll_home:
                self.scroll_to(y=0, animate=False)
            self._scroll_to_cursor()
            self.refresh()
        self._announce()

    # ── cursor ─────────────────────────────────────────────────────────────

    @property
    def _page(self) -> int:
        """Data rows that fit on screen below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _move_cursor(self, position: int) -> None:
        count = len(self._view)
        position = max(0, min(position, count - 1)) if count else 0
        if position != self._cursor:
            self._refresh_position(self._cursor)
            self._cursor = position
            self._refresh_position(position)
        self._scroll_to_cursor()
        self._announce()

    def _refresh_position(self, position: int) -> None:
        self.refresh_line(position + 1)  # Line 0 is the header.

    def _scroll_to_cursor(self) -> None:
        if not self.is_mounted or not self.size.height:
            return
        top, page = round(self.scroll_y), self._page
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False)

    def _announce(self) -> None:
        """Publish the cursor row when it is a different row than last said."""
        row = self.cursor_row
        key = None if row is None else row.row_key
        if key != self._announced:
            self._announced = key
            self.cursor_signal.publish(row)

    def on_mount(self) -> None:
        super().on_mount()
        self.virtual_size = Size(0, len(self._view) + 1)
        if self.age_refresh:
            self.set_interval(self.age_refresh, self.refresh)
        self._announce()

    def on_resize(self) -> None:
        self._columns = None
        self._lines.clear()
        self._scroll_to_cursor()
        self.refresh()

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self.scroll_to(y=max(0, round(self.scroll_y) - self._page), animate=False)
        self._move_cursor(self._cursor - self._page)

    def action_page_down(self) -> None:
        self.scroll_to(y=round(self.scroll_y) + self._page, animate=False)
        self._move_cursor(self._cursor + self._page)

    def action_cursor_first(self) -> None:
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        self._move_cursor(len(self._view) - 1)

    def action_activate(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowActivated(row, self))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                self.sort_by(column)
            return
        position = round(self.scroll_y) + offset.y - 1
        if position >= len(self._view):
            return
        self._move_cursor(position)
        if event.chain == 2:
            self.action_activate()

    def _column_at(self, x: int) -> SortColumn | None:
        """The sort column whose header title is at `x`."""
        columns = self._layout()
        if x < BADGE_WIDTH + 1:
            return "layer"
        x -= BADGE_WIDTH + 2
        by_title = {title: column for column, title in SORT_TITLES.items()}
        for title, width, _align in columns.cells():
            if x < width:
                return by_title.get(title)
            x -= width + 1
        return None

    # ── flashing ───────────────────────────────────────────────────────────

    def _start_flash(self, keys: frozenset[RowKey]) -> None:
        if self._flash_timer is not None:
            self._flash_timer.stop()
        self._flash = keys
        self._flash_timer = self.set_timer(FLASH_SECONDS, self._end_flash)

    def _end_flash(self, refresh: bool = True) -> None:
        if self._flash_timer is not None:
            self._flash_timer.stop()
            self._flash_timer = None
        if self._flash:
            flashed, self._flash = self._flash, frozenset()
            if refresh and self.is_mounted:
                self._refresh_shown(lambda _index, row: row.row_key in flashed)

    # ── styles ─────────────────────────────────────────────────────────────

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._lines.clear()

    def _restyle(self) -> None:
        """Focus changes the cursor's look: draw everything afresh."""
        self._styles.clear()
        self._lines.clear()
        self.refresh()

    def on_focus(self) -> None:
        self._restyle()

    def on_blur(self) -> None:
        self._restyle()

    def _style(self, name: str, partial: bool = True) -> Style:
        """A component class's style: on its own (`partial`, for text colors and
        attributes) or composed over the widget's (for backgrounds, which a partial
        style does not carry)."""
        key = (name, partial)
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = self.get_visual_style(
                f"entry-table--{name}", partial=partial
            )
        return style

    # ── rendering ──────────────────────────────────────────────────────────

    def _layout(self) -> Columns:
        """Column widths for the width the table has now (lines may be drawn before the
        resize event arrives: widths fitted to the old size would stay on screen)."""
        width = self.scrollable_content_region.width
        if self._columns is None or self._columns.width != width:
            index = self._view.index
            self._columns = Columns.fit(width, index.key_width, index.step_width)
        return self._columns

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header_line(width)
        position = round(self.scroll_y) + y - 1
        view = self._view
        if position >= len(view):
            if y == 1 and not len(view):
                return self._empty_line(width)
            return Strip.blank(width, self.visual_style.rich_style)
        index = view.visible[position]
        row = view.index.rows[index]
        cursor = position == self._cursor
        flash = bool(self._flash) and row.row_key in self._flash
        marked = bool(self._marked) and row.row_key in self._marked
        age = format_age(self.clock() - row.timestamp)
        key = (index, cursor, flash, marked, age, width)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._lines[key] = self._row_line(row, cursor, flash, age, width, marked)
        return strip

    def _row_line(
        self, row: Row, cursor: bool, flash: bool, age: str, width: int, marked: bool = False
    ) -> Strip:
        columns = self._layout()
        base = self.visual_style
        if flash:
            base = self._style("flash", partial=False)
        if cursor:
            base = self._style("cursor", partial=False)
        read_only = None if row.writable else self._style("read-only")
        muted = self._style("muted")
        key = fit(one_line(row.key, columns.key), columns.key)
        value = fit(one_line(row.value, columns.value), columns.value)
        if read_only is not None:
            key, value = key.stylize_before(read_only), value.stylize_before(read_only)
        badge = self._style(f"badge-{row.layer}", partial=False) if row.layer in BADGES else muted
        parts: list[Content | tuple[str, Style] | str] = [
            (BADGES.get(row.layer, " ??? "), badge),
            (REVERTED_MARK, self._style("reverted"))
            if marked
            else (CONFLICT_MARK, self._style("conflict"))
            if row.conflict
            else " ",
            " ",
            key,
            " ",
            value,
        ]
        if columns.step:
            step = fit(one_line(row.source_step, columns.step), columns.step)
            parts += [" ", step.stylize_before(muted)]
        if columns.age:
            parts += [" ", (age.rjust(columns.age)[-columns.age :], muted)]
        return self._strip(Content.assemble(*parts, strip_control_codes=False), base, width)

    def _header_line(self, width: int) -> Strip:
        columns = self._layout()
        column, reverse = self._view.column, self._view.reverse
        arrow = SORT_ARROWS[reverse]

        def title(name: str, size: int, align: Align) -> Content:
            text = name.upper()
            if SORT_TITLES[column] == name:
                text = f"{text} {arrow}" if len(text) + 2 <= size else f"{text}{arrow}"
            return fit(Content(text), size, align)

        parts: list[Content | str] = [title("layer", BADGE_WIDTH + 1, "left"), " "]
        for name, size, align in columns.cells():
            parts += [title(name, size, align), " "]
        base = self._style("header", partial=False)
        return self._strip(Content.assemble(*parts, strip_control_codes=False), base, width)

    def _empty_line(self, width: int) -> Strip:
        query = self._view.query
        if self.reading:
            text = Content(" reading…")
        elif query and self.total_count:
            text = Content.assemble(" no entries match '", safe(query), "'")
        else:
            text = Content(" no entries")
        base = self.visual_style + self._style("empty")
        return self._strip(text, base, width)

    def _strip(self, content: Content, base: Style, width: int) -> Strip:
        """One screen line: the content over `base`, cut or padded to `width`."""
        content = fit(content, width)
        return Strip(content.render_segments(base), width)


def _same_order(before: Sequence[int], after: Sequence[int]) -> bool:
    """Whether the same rows show in the same places: a list compare runs in C; other
    sequences (a filter's `Hits`) count as moved unless they are the same object."""
    if before is after:
        return True
    if type(before) is not type(after) or not isinstance(before, list | range):
        return False
    return before == after
