"""Every message the workers and the source send to the screen that owns them, in one place.

None bubbles: each is for the screen whose worker sent it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from axon_scopes.core import SourceChange, SourceState

from .refs import ScopeRef
from .table.index import RowIndex
from .widgets.scope_tree import ScopeInfo

if TYPE_CHECKING:
    from .screens.reverts import Revert


@dataclass
class ScopesScanned(Message, bubble=False):
    """Fresh scope list and counts for the tree and header."""

    infos: list[ScopeInfo]
    base_labels: dict[str, str]
    has_files: bool


@dataclass
class ScopeRowsLoaded(Message, bubble=False):
    """The rows of one scope, indexed and sorted off the UI thread."""

    #: Which load this is the result of (the app shows only the latest).
    seq: int
    ref: ScopeRef
    index: RowIndex
    error: str | None = None
    #: Rows changed by someone else: flash them and sum them up.
    external: bool = False
    #: When another process last published this scope's memory layer.
    published_at: float | None = None
    #: Set for the first screenful of a big scope: how many rows the full index will hold.
    preview_total: int | None = None
    #: Set by the app once the preview is on screen (the worker waits for it).
    painted: threading.Event | None = None


@dataclass
class ExportFinished(Message, bubble=False):
    path: Path
    error: str | None = None


@dataclass
class SourceChanged(Message, bubble=False):
    """Changes the source found (other processes' writes, new and gone scopes); bursts collapse."""

    changes: list[SourceChange] = field(default_factory=list)
    #: The shown scope's new rows, built on the source's thread (no second trip).
    rows: ScopeRowsLoaded | None = None

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, SourceChanged):
            self.changes[:0] = message.changes  # Only the newest rows: older ones may be stale.
            return True
        return False


@dataclass
class SourceStateChanged(Message, bubble=False):
    """The source was lost or found again, or changed how it finds changes."""

    state: SourceState


@dataclass
class EditsReverted(Message, bubble=False):
    """Entries this app wrote lately that another writer replaced or removed since."""

    reverts: list[Revert]
