"""The app's dialogs, one per file; each is a ModalScreen whose escape answers None."""

from __future__ import annotations

from pathlib import Path

from ._base import DialogScreen
from .add import AddDialog, AddResult
from .bulk_purge import BulkPurgeDialog
from .confirm import ConfirmDialog, MessageDialog
from .conflict import ConflictChoice, ConflictDialog
from .edit import EditDialog, EditResult
from .export import ExportDialog, ExportResult
from .help import HelpScreen
from .purge import PurgeDialog

#: The dialogs' stylesheet (each dialog loads it; hosts in tests may list it too).
DIALOGS_CSS_PATH = Path(__file__).with_name("dialogs.tcss")

__all__ = [
    "DIALOGS_CSS_PATH",
    "AddDialog",
    "AddResult",
    "BulkPurgeDialog",
    "ConfirmDialog",
    "ConflictChoice",
    "ConflictDialog",
    "DialogScreen",
    "EditDialog",
    "EditResult",
    "ExportDialog",
    "ExportResult",
    "HelpScreen",
    "MessageDialog",
    "PurgeDialog",
]
