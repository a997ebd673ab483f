"""Writes the app makes through core, each checked against what the operator saw, and their undo."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from axon_scopes.core import Change, MemoryEntry, ScopeService, WriteConflictError

from .refs import ScopeRef
from .table.rows import Row


@dataclass(frozen=True, slots=True)
class Previous:
    """One key's change: `entry` is what it was, `written` what this app made of it.

    None means absent. Undo checks that the key still holds `written` before it puts
    `entry` back, timestamp and source step included.
    """

    layer: str
    key: str
    entry: MemoryEntry | None
    written: MemoryEntry | None = None


@dataclass(frozen=True, slots=True)
class UndoStep:
    """Restores every key a change touched to what it was."""

    ref: ScopeRef
    description: str
    previous: tuple[Previous, ...]


def seen(row: Row) -> MemoryEntry:
    """The entry as the operator saw it in the table: what a checked write expects."""
    return MemoryEntry(row.key, row.value, row.timestamp, row.source_step)


def put(
    service: ScopeService,
    scope: str,
    layer: str,
    key: str,
    value: str,
    step: str,
    expected: MemoryEntry | None,
) -> Previous:
    """Write one entry if it still holds `expected` (store: flushed at once)."""
    written = service.compare_and_set(scope, key, expected, value, step, layer=layer)  # type: ignore[arg-type]
    return Previous(layer, key, expected, written)


def remove(service: ScopeService, scope: str, rows: Sequence[Row]) -> tuple[Previous, ...]:
    """Remove exactly the entries shown in `rows`, all or none."""
    service.commit(scope, [Change(r.key, seen(r), None, r.layer) for r in rows])  # type: ignore[arg-type]
    return tuple(Previous(r.layer, r.key, seen(r), None) for r in rows)


def remove_unchanged(
    service: ScopeService, scope: str, rows: Sequence[Row]
) -> tuple[tuple[Previous, ...], int]:
    """Remove the entries of `rows` that are still as shown; returns them and how many were not."""
    left = list(rows)
    while left:
        try:
            return remove(service, scope, left), len(rows) - len(left)
        except WriteConflictError as exc:
            changed = {(exc.layer, key) for key, _expected, _actual in exc.conflicts}
            left = [r for r in left if (r.layer, r.key) not in changed]
    return (), len(rows)


def restore(service: ScopeService, step: UndoStep) -> UndoStep:
    """Apply an undo step, all or none, if every key still holds what this app wrote.

    Raises `WriteConflictError` when another writer changed one since. Returns the
    step that would redo it.
    """
    changes = [Change(p.key, p.written, p.entry, p.layer) for p in step.previous]  # type: ignore[arg-type]
    service.commit(step.ref.scope, changes)
    redo = tuple(Previous(p.layer, p.key, p.written, p.entry) for p in step.previous)
    return UndoStep(step.ref, step.description, redo)


def overriding(
    step: UndoStep, layer: str, conflicts: Iterable[tuple[str, MemoryEntry | None]]
) -> UndoStep:
    """The same undo, now expecting what another writer left: the operator chose to undo anyway.

    Still checked: if the keys change yet again before it runs, it asks again.
    """
    actual = dict(conflicts)
    previous = tuple(
        Previous(p.layer, p.key, p.entry, actual[p.key])
        if p.layer == layer and p.key in actual
        else p
        for p in step.previous
    )
    return UndoStep(step.ref, step.description, previous)
