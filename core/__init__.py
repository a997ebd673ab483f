"""axon-scopes core: a safe, faithful port of Axon's scoped session store.

Pure Python; importing it never imports Textual.
"""

from .commit import Change
from .entry import MemoryEntry, ScopedEntry, ScopeSummary
from .errors import (
    FlushError,
    InvalidEntryError,
    InvalidScopeNameError,
    ReadOnlyServiceError,
    ScopeCollisionError,
    ScopeError,
    ScopeReadOnlyError,
    SourceUnavailableError,
    StoreUnreadableError,
    ValueTooLargeError,
    WriteConflictError,
)
from .export import EXPORT_FIELDS
from .files.naming import (
    DEFAULT_SCOPE,
    daemon_scope,
    flow_scope,
    scope_from_file_name,
    store_path_for,
    validate_scope_name,
)
from .manager import ScopedSessionManager
from .service import Capabilities, ScopeChange, ScopeService, ScopeSnapshot, ScopeStatus
from .source import ScopeSource, SourceChange, SourceOptions, SourceState, open_source
from .store import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_VALUE_BYTES, PublishedMemory, SessionStore

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_VALUE_BYTES",
    "DEFAULT_SCOPE",
    "EXPORT_FIELDS",
    "Capabilities",
    "Change",
    "FlushError",
    "InvalidEntryError",
    "InvalidScopeNameError",
    "MemoryEntry",
    "PublishedMemory",
    "ReadOnlyServiceError",
    "ScopeChange",
    "ScopeCollisionError",
    "ScopeError",
    "ScopeReadOnlyError",
    "ScopeService",
    "ScopeSnapshot",
    "ScopeSource",
    "ScopeStatus",
    "ScopeSummary",
    "ScopedEntry",
    "ScopedSessionManager",
    "SessionStore",
    "SourceChange",
    "SourceOptions",
    "SourceState",
    "SourceUnavailableError",
    "StoreUnreadableError",
    "ValueTooLargeError",
    "WriteConflictError",
    "daemon_scope",
    "flow_scope",
    "open_source",
    "scope_from_file_name",
    "store_path_for",
    "validate_scope_name",
]
