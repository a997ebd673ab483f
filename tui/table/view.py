"""The visible rows of an index: filtered by one query, in one sort order."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from .hits import Hits
from .index import RowIndex
from .rows import HAYSTACK_SEPARATOR, SORT_COLUMNS, Row, SortColumn, row_matches


class RowView:
    """The visible rows of a `RowIndex`: filtered by a query, in one sort order.

    A query that extends an earlier one narrows that earlier result instead of
    scanning every row; recent results are kept, so backspace is instant too.
    """

    #: How many recent filter results to keep.
    CACHE_SIZE = 8

    def __init__(
        self,
        index: RowIndex | None = None,
        *,
        column: SortColumn = "layer",
        reverse: bool = False,
        query: str = "",
    ) -> None:
        self.index = index if index is not None else RowIndex(())
        self.column: SortColumn = column
        self.reverse = reverse
        self.query = query
        self._recent: list[tuple[str, Sequence[int]]] = []
        #: Indexes into `index.rows` of the rows shown, top to bottom.
        self.visible: Sequence[int] = []
        self._refresh()

    def _refresh(self) -> None:
        self._recent.clear()
        self.visible = self._filtered(self.query)

    def _filtered(self, query: str) -> Sequence[int]:
        needle = query.lower()
        if not needle:
            order = self.index.order(self.column)
            return order[::-1] if self.reverse else order
        for cached, result in self._recent:
            if cached == needle:
                return result
        # The smallest earlier result that holds every match of this query.
        base: Sequence[int] | None = None
        for cached, result in self._recent:
            if cached in needle and (base is None or len(result) < len(base)):
                base = result
        # Narrowing reads only the earlier hits. A list of them is read in view order:
        # when that is the haystack's own order (rows that came sorted, default sort)
        # it reads straight through and wins until nearly every row matched;
        # otherwise it hops about, and a full scan is faster once a third of the rows
        # are candidates. `Hits` are read through their chain of flags: cheap per
        # flag, but the chain grows with each narrowing, so it is worth it while the
        # flags read stay within a few times the rows the earlier result ruled out.
        total = len(self.index)
        if isinstance(base, Hits):
            if base.reach >= 4 * (total - len(base)):
                base = None
        elif base is not None:
            straight = self.index.ordered and self.column == "layer" and not self.reverse
            if len(base) > total * (0.9 if straight else 1 / 3):
                base = None
        result: Sequence[int]
        if base is None:
            result = self.index.filter(needle, column=self.column)
            if self.reverse:
                result = result.reversed() if isinstance(result, Hits) else result[::-1]
        else:
            result = self.index.filter(needle, base)
        self._recent.append((needle, result))
        del self._recent[: -self.CACHE_SIZE]
        return result

    def set_index(self, index: RowIndex) -> None:
        """New data; the query and the sort stay."""
        self.index = index
        self._refresh()

    def set_query(self, query: str) -> None:
        self.query = query
        self.visible = self._filtered(query)

    def set_sort(self, column: SortColumn, reverse: bool = False) -> None:
        if column not in SORT_COLUMNS:
            raise ValueError(f"unknown sort column: {column!r}")
        self.column = column
        self.reverse = reverse
        self._refresh()

    def __len__(self) -> int:
        return len(self.visible)

    def row(self, position: int) -> Row:
        return self.index.rows[self.visible[position]]

    def newest(self) -> Row | None:
        """The visible row written last (the topmost of those, on a tie)."""
        items = self.index.items
        stamps = list(map(attrgetter("timestamp"), map(items.__getitem__, self.visible)))
        return self.row(stamps.index(max(stamps))) if stamps else None

    def matches(self, index: int) -> bool:
        """Whether row `index` passes the current query."""
        needle = self.query.lower()
        if not needle:
            return True  # Without a query the haystack is not needed, nor built.
        if HAYSTACK_SEPARATOR in needle:
            return row_matches(self.index.items[index], needle)
        return needle in self.index.haystack[index]

    def position_of(self, index: int | None) -> int | None:
        """Where row `index` is among the visible rows (None if filtered out or absent)."""
        if index is None or not self.matches(index):
            return None
        try:
            return self.visible.index(index)
        except ValueError:
            return None


#: The columns `s` steps through, as the table shows them left to right; each starts
#: ascending (`time`: oldest first) and `S` reverses it. The default (layer, then key) first.
SORT_ORDER: tuple[SortColumn, ...] = ("layer", "key", "source_step", "time")


def next_column(column: SortColumn) -> SortColumn:
    """The column after `column` in `SORT_ORDER`."""
    return SORT_ORDER[(SORT_ORDER.index(column) + 1) % len(SORT_ORDER)]


def toggle_sort(current: tuple[SortColumn, bool], column: SortColumn) -> tuple[SortColumn, bool]:
    """Sorting by `column` again reverses it; another column starts ascending."""
    return (column, not current[1]) if column == current[0] else (column, False)
