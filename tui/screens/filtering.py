"""The main view's filter box and sort: what the table shows, not what the scope holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.actions import SkipAction
from textual.widgets import Input

from ..table.rows import SortColumn

if TYPE_CHECKING:
    from textual.widget import Widget

    from ..refs import ScopeRef
    from ..widgets.entry_table import EntryTable
    from ..widgets.scope_tree import ScopeTree


class FilterSort:
    """`/` filters as you type, escape clears; `s` sorts. A mixin of the browser screen."""

    #: The filter box filters the tree by scope name (opened from the tree), not the rows.
    filtering_scopes = False

    if TYPE_CHECKING:
        tree: ScopeTree
        table: EntryTable
        current: ScopeRef | None
        call_after_refresh: Callable[..., bool]
        query_one: Callable[..., Widget]
        set_focus: Callable[..., None]

        def _update_detail(self) -> None: ...

    @property
    def filter_box(self) -> Input:
        return self.query_one("#filter", Input)  # type: ignore[return-value]

    def action_filter(self) -> None:
        """Open the filter box and focus it at once: letters typed right after `/` (typed
        fast, or pasted) go into the box, not to the table's keys.

        From the scope tree, the box filters the tree by scope name instead.
        """
        field = self.filter_box
        if field.has_focus:
            raise SkipAction()  # A `/` typed into the filter is part of the query.
        scopes = self.tree.has_focus
        if scopes != self.filtering_scopes:
            field.value = ""
            self.filtering_scopes = scopes
        field.placeholder = (
            "filter scopes: name contains…" if scopes else "filter: key or value contains…"
        )
        field.display = True
        self.set_focus(field)
        self._show_match_count()

    # Named handlers: `@on` is only read from the screen class itself, not from mixins.
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        if self.filtering_scopes:
            self.tree.filter_names(event.value)
            if self.current is not None:
                self.call_after_refresh(self.tree.select_ref, self.current)
            self._show_match_count()
            return
        self.table.set_filter(event.value)
        self._show_match_count()
        self._update_detail()

    def _show_match_count(self) -> None:
        """How many rows the filter lets through, under the filter box."""
        field = self.filter_box
        if field.display and self.filtering_scopes:
            shown, every = len(self.tree._infos), len(self.tree._all)
            field.border_subtitle = f"{shown:,} of {every:,} scopes"
        elif field.display:
            table = self.table
            field.border_subtitle = f"{table.row_count:,} of {table.total_count:,}"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            (self.tree if self.filtering_scopes else self.table).focus()

    def key_escape(self) -> None:
        """Escape clears the filter: while typing it, and after enter took you to the rows."""
        field = self.filter_box
        if self.filtering_scopes:
            self.clear_scope_filter()
            self.tree.focus()
            return
        if field.has_focus or field.display or self.table.filter_query:
            field.value = ""
            self.table.set_filter("")
            field.display = False
            self.table.focus()
            self._update_detail()

    def clear_scope_filter(self) -> None:
        """Every scope in the tree again."""
        if self.filtering_scopes:
            self.filtering_scopes = False
            self.filter_box.value = ""
            self.filter_box.display = False
        self.tree.filter_names("")
        if self.current is not None:
            self.call_after_refresh(self.tree.select_ref, self.current)

    def action_sort(self, column: SortColumn | None = None) -> None:
        """No column: the next column, ascending; a column: sort by it, again to reverse.

        The column header shows the sort (its arrow): nothing else needs saying.
        """
        if column is None:
            self.table.next_sort_column()
        else:
            self.table.sort_by(column)

    def action_sort_reverse(self) -> None:
        """The same column, the other way round."""
        self.table.reverse_sort()
