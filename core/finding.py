"""What a refresh finds: new scopes, gone ones, moved entries, published memory that changed."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field

from .errors import ScopeError, StoreUnreadableError
from .service import ScopeChange
from .store import SessionStore

#: Stored data must stay gone this long to count as deleted (delete-then-recreate is common).
DELETE_GRACE_S = 0.25


@dataclass
class Seen:
    """What one manager's refreshes saw last, per scope."""

    #: Scopes a refresh need not report as new: opened here, or reported already.
    announced: set[str] = field(default_factory=set)
    #: Scopes whose data was stored when last looked at: only those can be "gone".
    stored: set[str] = field(default_factory=set)
    #: Each scope's published memory as last seen: (version, entries or error).
    memory: dict[str, tuple[Hashable | None, object]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def forget(self, scope: str) -> None:
        with self.lock:
            self.announced.discard(scope)
            self.stored.discard(scope)
            self.memory.pop(scope, None)

    def data_gone(self, scope: str, store: SessionStore) -> bool:
        """Whether a scope's stored data went away, and stayed away for `DELETE_GRACE_S`."""
        if store.backend.version() is not None:
            with self.lock:
                self.stored.add(scope)
            return False
        if scope not in self.stored:
            return False
        time.sleep(DELETE_GRACE_S)
        if store.backend.version() is not None:
            return False
        with self.lock:
            self.stored.discard(scope)
        return True

    def memory_moved(self, scope: str, store: SessionStore) -> bool:
        """Whether the published memory appeared, went or changed since last asked.

        A version that proves it unchanged saves a read; otherwise it is read and
        compared (a file rewritten within one tick keeps its signature).
        """
        version = store.published_memory_version()
        seen = self.memory.get(scope)
        if seen is not None and version is not None and seen[0] == version:
            return False
        content: object
        try:
            published = store.read_published_memory()
            content = None if published is None else published.entries
        except ScopeError as exc:
            content = str(exc)
        self.memory[scope] = (version, content)
        return seen is not None and seen[1] != content

    def reread(
        self, scope: str, store: SessionStore, new: bool, keys: frozenset[str] | None
    ) -> ScopeChange | None:
        """Re-read one scope; the change found, or None when nothing moved.

        Turning unreadable is a change with its reason (once); turning readable
        again is a change too.
        """
        was_bad = store.error is not None
        try:
            counts = store.refresh(keys)
        except StoreUnreadableError as exc:
            if was_bad and not new:
                return None
            return ScopeChange(scope, "refresh", error=exc.reason, new=new)
        published = self.memory_moved(scope, store)
        if counts is None and not (published or was_bad or new):
            return None
        added, changed, removed = counts or (0, 0, 0)
        return ScopeChange(scope, "refresh", added, changed, removed, keys, published, new=new)
