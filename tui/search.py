"""Search over every scope (`F`): which scopes are named like this, which hold this key or value.

Runs in a worker thread over each scope's snapshot; stops early once enough hits are
found or when a newer search starts (`cancelled`). Scope names match first, then
entries, each in scope order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from axon_scopes.core import MemoryEntry, ScopeError, ScopeSource

from .refs import ScopeRef

#: A search stops after this many entry hits (it says it stopped).
MAX_HITS = 500


@dataclass(frozen=True, slots=True)
class Hit:
    """A scope whose name matches (`key` None), or one entry of a scope that matches."""

    ref: ScopeRef
    layer: str | None = None
    key: str | None = None
    value: str = ""
    #: Where the query was found: "name", "key" or "value".
    where: str = "name"


@dataclass(frozen=True, slots=True)
class Found:
    hits: list[Hit]
    #: Scopes read, and whether the search stopped at MAX_HITS.
    scopes: int
    stopped: bool
    #: Scopes that could not be read, by name.
    unreadable: tuple[str, ...] = ()


def search(
    source: ScopeSource, query: str, cancelled: Callable[[], bool] = lambda: False
) -> Found:
    """Every scope whose name, and every entry whose key or value, contains `query`
    (ignoring case)."""
    needle = query.lower()
    names: list[Hit] = []
    entries: list[Hit] = []
    unreadable: list[str] = []
    read = 0
    for base, service in source.services().items():
        for status in sorted(service.scopes(), key=lambda s: s.scope):
            if cancelled():
                return Found(names + entries, read, True, tuple(unreadable))
            ref = ScopeRef(base, status.scope)
            if needle in status.scope.lower():
                names.append(Hit(ref))
            if len(entries) >= MAX_HITS:
                continue
            try:
                snapshot = service.snapshot(status.scope)
            except ScopeError:
                unreadable.append(status.scope)
                continue
            read += 1
            published = snapshot.published.entries if snapshot.published is not None else []
            layers: tuple[tuple[str, list[MemoryEntry]], ...] = (
                ("memory", snapshot.memory),
                ("store", snapshot.store),
                ("published", published),
            )
            for layer, found in layers:
                for entry in found:
                    if needle in entry.key.lower():
                        where = "key"
                    elif needle in entry.value.lower():
                        where = "value"
                    else:
                        continue
                    entries.append(Hit(ref, layer, entry.key, entry.value, where))
                    if len(entries) >= MAX_HITS:
                        break
    return Found(names + entries, read, len(entries) >= MAX_HITS, tuple(unreadable))
