"""Checked writes: each key must still hold what the caller saw before it changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import ne

from .entry import Layer, MemoryEntry
from .errors import InvalidEntryError, ValueTooLargeError, WriteConflictError

Lookup = Callable[[str], MemoryEntry | None]


@dataclass(frozen=True, slots=True)
class Change:
    """One key's checked write: it must hold `expected` (None: absent), then holds `entry`.

    `entry` None purges the key. The whole entry is compared (value, timestamp and
    source step), so a rewrite of the same value by someone else is still a change.
    """

    key: str
    expected: MemoryEntry | None
    entry: MemoryEntry | None
    layer: Layer = "store"


def raise_conflicts(scope: str, layer: str, changes: Iterable[Change], current: Lookup) -> None:
    """Raise `WriteConflictError` naming every change whose key no longer holds `expected`."""
    found = tuple(
        (c.key, c.expected, actual) for c in changes if (actual := current(c.key)) != c.expected
    )
    if found:
        key, expected, actual = found[0]
        raise WriteConflictError(scope, key, expected, actual, layer=layer, conflicts=found)


def apply(entries: dict[str, MemoryEntry], changes: Iterable[Change]) -> None:
    """Put the checked changes into `entries` (one layer's map)."""
    for change in changes:
        if change.entry is None:
            entries.pop(change.key, None)
        else:
            entries[change.key] = change.entry


def by_layer(changes: Iterable[Change]) -> Mapping[str, list[Change]]:
    """The changes split by layer; a key twice in one layer is refused (which one wins?)."""
    layers: dict[str, list[Change]] = {"memory": [], "store": []}
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if change.layer not in layers:
            raise ValueError(f"unknown layer {change.layer!r}: expected 'memory' or 'store'")
        if (change.layer, change.key) in seen:
            raise ValueError(f"key {change.key!r} is changed twice in the {change.layer} layer")
        if change.entry is not None and change.entry.key != change.key:
            raise ValueError(f"entry for key {change.key!r} has key {change.entry.key!r}")
        seen.add((change.layer, change.key))
        layers[change.layer].append(change)
    return layers


def _check_text(field: str, text: object) -> bytes:
    if not isinstance(text, str):
        raise InvalidEntryError(f"{field} must be a string, not {type(text).__name__}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEntryError(
            f"{field} contains a lone surrogate (U+{ord(text[exc.start]):04X} at index "
            f"{exc.start}) that cannot be written as UTF-8"
        ) from None


def check_entry(entry: MemoryEntry, max_value_bytes: int) -> None:
    """Refuse what Axon's strict loader could not read back, and values over the limit."""
    _check_text("key", entry.key)
    size = len(_check_text("value", entry.value))
    _check_text("source_step", entry.source_step)
    if size > max_value_bytes:
        raise ValueTooLargeError(entry.key, size, max_value_bytes)


def count_changes(
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
