"""axon-scopes core: a safe, faithful port of Axon's scoped session store.

Pure Python; importing it never imports Textual.
"""

from .commit import Change
from .entry import MemoryEntry, ScopedEntry, ScopeSummary
from .errors import (
    FlushError,
    InvalidEntryError,
    InvalidScopeNameError,
    ScopeCollisionError,
    ScopeError,
    ScopeReadOnlyError,
    StoreUnreadableError,
    ValueTooLargeError,
    WriteConflictError,
)
from .files.naming import (
    DEFAULT_SCOPE,
    daemon_scope,
    flow_scope,
    scope_from_file_name,
    store_path_for,
    validate_scope_name,
)
from .manager import EXPORT_FIELDS, ScopedSessionManager
from .store import DEFAULT_MAX_VALUE_BYTES, PublishedMemory, SessionStore

__all__ = [
    "DEFAULT_MAX_VALUE_BYTES",
    "DEFAULT_SCOPE",
    "EXPORT_FIELDS",
    "Change",
    "FlushError",
    "InvalidEntryError",
    "InvalidScopeNameError",
    "MemoryEntry",
    "PublishedMemory",
    "ScopeCollisionError",
    "ScopeError",
    "ScopeReadOnlyError",
    "ScopeSummary",
    "ScopedEntry",
    "ScopedSessionManager",
    "SessionStore",
    "StoreUnreadableError",
    "ValueTooLargeError",
    "WriteConflictError",
    "daemon_scope",
    "flow_scope",
    "scope_from_file_name",
    "store_path_for",
    "validate_scope_name",
]
