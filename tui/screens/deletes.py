"""Deletes a service cannot make (an AxonServer's memory entries): refused before any dialog.

A mixin of the write flows (so of the browser screen). The delete keys are dimmed in the
footer on such a row (`check_action` answers None), and pressing one still says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events

from axon_scopes.core import Capabilities, ScopeService, ScopeSource

from ..keys import KEYS
from ..refs import ScopeRef
from ..table.rows import Row

if TYPE_CHECKING:
    from ..widgets.entry_table import EntryTable

NO_MEMORY_DELETE = "AxonServer has no endpoint to delete a memory entry"
#: The keys bound to delete.
PURGE_KEYS = frozenset(
    key for k in KEYS if k.action == "purge" and k.bind for key in k.bind.split(",")
)


def delete_refusal(capabilities: Capabilities, row: Row | None) -> str | None:
    """Why `row` cannot be deleted although it may be edited (None: it can)."""
    if row is not None and row.layer == "memory" and not capabilities.can_delete_memory:
        return NO_MEMORY_DELETE
    return None


class DeleteRefusals:
    """`check_action` and the delete keys of the main view, from the service's capabilities."""

    if TYPE_CHECKING:
        current: ScopeRef | None
        source: ScopeSource
        table: EntryTable
        is_mounted: bool
        notify: Callable[..., None]
        refresh_bindings: Callable[[], None]

        def service(self, ref: ScopeRef) -> ScopeService: ...

    def purge_refusal(self, row: Row | None) -> str | None:
        """Why `row` cannot be deleted here (asked before any dialog opens)."""
        if self.current is None:
            return None
        try:
            capabilities = self.service(self.current).capabilities
        except KeyError:  # The base is not open (yet).
            return None
        return delete_refusal(capabilities, row)

    def delete_refused(self, row: Row) -> bool:
        """Say why `row` cannot be deleted, if it cannot (then no dialog opens)."""
        refusal = self.purge_refusal(row)
        if refusal is not None:
            self.notify(refusal, severity="warning")
        return refusal is not None

    def cursor_moved_for_deletes(self) -> None:
        """Dim or light the delete key for the row now under the cursor."""
        if self.current is not None and self.source.kind == "server":
            self.refresh_bindings()

    def action_state(self, action: str) -> bool | None:
        """For the screen's `check_action`: delete on a row the service cannot delete is
        shown dimmed and not run (None); everything else runs."""
        refused = (
            action == "purge" and self.is_mounted and self.purge_refusal(self.table.cursor_row)
        )
        return None if refused else True

    def on_key(self, event: events.Key) -> None:
        """A dimmed delete key still says why it does nothing."""
        if event.key not in PURGE_KEYS:
            return
        row = self.table.cursor_row
        if row is not None and self.delete_refused(row):
            event.stop()
