"""Writes the app makes through core, and how each one is undone."""

from __future__ import annotations

from dataclasses import dataclass

from axon_scopes.core import MemoryEntry, ScopedSessionManager

from .catalog import ScopeRef
from .table.rows import Row


@dataclass(frozen=True, slots=True)
class Previous:
    """One key's state before a change: `entry` None means it did not exist."""

    layer: str
    key: str
    entry: MemoryEntry | None


@dataclass(frozen=True, slots=True)
class UndoStep:
    """Restores every key a change touched to what it was."""

    ref: ScopeRef
    description: str
    previous: tuple[Previous, ...]


def snapshot(manager: ScopedSessionManager, scope: str, layer: str, key: str) -> Previous:
    entry = manager.recall(scope, key) if layer == "memory" else manager.retrieve(scope, key)
    return Previous(layer, key, entry)


def put(
    manager: ScopedSessionManager, scope: str, layer: str, key: str, value: str, step: str
) -> None:
    if layer == "memory":
        manager.remember(scope, key, value, step)
    else:
        manager.persist(scope, key, value, step)


def remove(manager: ScopedSessionManager, scope: str, row: Row) -> bool:
    if row.layer == "memory":
        return manager.forget(scope, row.key)
    return manager.purge(scope, row.key)


def restore(manager: ScopedSessionManager, step: UndoStep) -> UndoStep:
    """Apply an undo step and flush; returns the step that would redo it."""
    scope = step.ref.scope
    redo = tuple(snapshot(manager, scope, p.layer, p.key) for p in step.previous)
    for prev in step.previous:
        if prev.entry is None:
            if prev.layer == "memory":
                manager.forget(scope, prev.key)
            else:
                manager.purge(scope, prev.key)
        else:
            put(manager, scope, prev.layer, prev.key, prev.entry.value, prev.entry.source_step)
    if any(p.layer == "store" for p in step.previous):
        manager.flush(scope)
    return UndoStep(step.ref, step.description, redo)
