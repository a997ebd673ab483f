"""Every message the workers and the watcher send to the screen that owns them, in one place.

None bubbles: each is for the screen whose worker sent it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from .catalog import ScopeRef
from .live import Recheck
from .table.index import RowIndex
from .widgets.scope_tree import ScopeInfo


@dataclass
class CatalogScanned(Message, bubble=False):
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
class StoreFilesChanged(Message, bubble=False):
    """The watcher saw these store files change; bursts collapse into one message."""

    paths: set[Path] = field(default_factory=set)

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, StoreFilesChanged):
            self.paths |= message.paths
            return True
        return False


@dataclass
class ScopesRechecked(Message, bubble=False):
    """What a re-check of changed files found."""

    result: Recheck
    #: The shown scope's new rows, when it was among the changed ones.
    rows: ScopeRowsLoaded | None = None
