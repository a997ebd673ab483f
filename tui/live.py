"""Re-checking store files that changed on disk; runs on worker threads, never the UI's."""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import ne
from pathlib import Path

from axon_scopes.core import MemoryEntry, ScopeError, SessionStore

from .catalog import Catalog, ScopeRef

#: A file must stay missing this long to count as deleted (delete-then-recreate is common).
DELETE_GRACE_S = 0.25


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """What one re-check found in one scope."""

    ref: ScopeRef
    added: int = 0
    changed: int = 0
    removed: int = 0
    published: bool = False
    error: str | None = None
    #: Re-read and different, not counted here: the caller diffs its rows instead.
    reloaded: bool = False

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.published or self.reloaded)

    def summary(self) -> str:
        return f"{self.ref.scope}: +{self.added} ~{self.changed} -{self.removed}"


@dataclass
class Recheck:
    """The outcome of re-checking a set of files."""

    changes: list[ScopeChange] = field(default_factory=list)
    new_scopes: list[ScopeRef] = field(default_factory=list)
    gone_scopes: list[ScopeRef] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(
            self.new_scopes or self.gone_scopes or any(c.any or c.error for c in self.changes)
        )


class LiveReader:
    """Maps changed paths to scopes and re-reads them with core's torn-read tolerance."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        #: Scopes whose file existed when last looked at: only those can be deleted.
        self._had_file: set[ScopeRef] = set()
        #: Each scope's published memory as last read: its version (None when that
        #: proves nothing, see `SessionStore.published_memory_version`) and its
        #: entries (or the error).
        self._memory_seen: dict[ScopeRef, tuple[Hashable | None, object]] = {}

    def _memory_moved(self, ref: ScopeRef, store: SessionStore) -> bool:
        """Whether a scope's published memory appeared, went or changed since last asked.

        A version that proves it unchanged saves a read. Otherwise the entries are
        read and compared: a file rewritten within one timestamp tick, size and
        all, keeps its inode, size and mtime.
        """
        version = store.published_memory_version()
        seen = self._memory_seen.get(ref)
        if seen is not None and version is not None and seen[0] == version:
            return False
        content: object
        try:
            published = store.read_published_memory()
            content = None if published is None else published.entries
        except ScopeError as exc:
            content = str(exc)
        self._memory_seen[ref] = (version, content)
        return seen is None or seen[1] != content

    def remember_files(self) -> None:
        """Note which scopes have files now (after a scan read them)."""
        for ref in self.catalog.refs():
            store = self.catalog.manager(ref.base).store(ref.scope)
            if store.store_path().exists():
                self._had_file.add(ref)
            if ref not in self._memory_seen:
                self._memory_moved(ref, store)

    def _ref_for(self, path: Path) -> tuple[ScopeRef, bool] | None:
        """(scope, is_memory_sidecar) for a store file path."""
        for base, manager in self.catalog.managers.items():
            found = manager.scope_for_path(path)
            if found is not None:
                scope, is_memory = found
                return ScopeRef(base, scope), is_memory
        return None

    def recheck(self, paths: Iterable[Path] | None, uncounted: ScopeRef | None = None) -> Recheck:
        """Re-read the scopes behind `paths` (None: every scope, the periodic reconcile).

        `uncounted` is the scope on screen: its rows get diffed anyway, so counting
        its changes here would be the same work twice.
        """
        result = Recheck()
        self.catalog.discover()
        for base, manager in self.catalog.managers.items():
            result.new_scopes.extend(ScopeRef(base, s) for s in manager.discover())
        targets: dict[ScopeRef, bool] = {}
        if paths is None:
            for base, manager in self.catalog.managers.items():
                for scope in manager.list_scopes():
                    targets[ScopeRef(base, scope)] = True
        else:
            for path in paths:
                found = self._ref_for(path)
                if found is not None:
                    ref, is_memory = found
                    targets[ref] = targets.get(ref, False) or is_memory
        for ref, check_memory in targets.items():
            change = self._recheck_scope(ref, check_memory, count=ref != uncounted)
            if change is None:
                result.gone_scopes.append(ref)
            elif change.any or change.error:
                result.changes.append(change)
        return result

    def _recheck_scope(
        self, ref: ScopeRef, check_memory: bool, count: bool = True
    ) -> ScopeChange | None:
        """Re-read one scope; None when its file is gone for good and the scope was dropped."""
        manager = self.catalog.manager(ref.base)
        store = manager.store(ref.scope)
        path = store.store_path()
        if path.exists():
            self._had_file.add(ref)
        elif ref in self._had_file:
            time.sleep(DELETE_GRACE_S)
            if not path.exists():
                self._had_file.discard(ref)
                if manager.forget_scope(ref.scope):
                    return None
        before = store.store_snapshot()  # No copy: a reload replaces it (scopes can be big).
        had_error = store.error is not None
        try:
            changed = store.reload()
        except ScopeError as exc:
            if had_error:
                return ScopeChange(ref)
            return ScopeChange(ref, error=getattr(exc, "reason", str(exc)))
        published = (check_memory and self._memory_moved(ref, store)) or had_error
        if not changed:
            return ScopeChange(ref, published=published)
        if not count:
            return ScopeChange(ref, published=published, reloaded=True)
        added, modified, removed = _count_changes(before, store.store_snapshot())
        return ScopeChange(ref, added, modified, removed, published)


def _count_changes(
    before: Mapping[str, MemoryEntry], after: Mapping[str, MemoryEntry]
) -> tuple[int, int, int]:
    """(added, modified, removed) between two versions of a store layer.

    A file rewritten by a writer mostly keeps its keys in the same order, so the
    entries are first compared pairwise in order (a C loop); otherwise by key, in
    `after`'s order (hopping about a big set is several times slower).
    """
    if list(before) == list(after):
        return 0, sum(map(ne, before.values(), after.values())), 0
    kept = [key for key in after if key in before]
    modified = sum(map(ne, map(before.__getitem__, kept), map(after.__getitem__, kept)))
    return len(after) - len(kept), modified, len(before) - len(kept)
