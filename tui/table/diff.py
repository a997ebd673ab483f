"""Lining a reload up with the rows before it.

A reload mostly keeps every row where it was, so long aligned stretches carry their
haystack and sort places over by slices, and only the few rows in between are
matched by key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress, count, islice, repeat
from operator import ne

#: Gaps between aligned stretches of a reload, and how far to look past each one.
_MAX_GAPS = 16
_LOOK_AHEAD = 64


@dataclass(frozen=True, slots=True)
class RowDiff:
    """How new rows differ from the previous ones, matched by `row_key`."""

    added: int = 0
    changed: int = 0
    removed: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def _common_run(
    old_keys: list[str],
    old_layers: list[str],
    new_keys: list[str],
    new_layers: list[str],
    i: int,
    j: int,
    limit: int,
) -> int:
    """How many rows from old `i` and new `j` on have the same (layer, key), at most `limit`."""

    def first_difference(a: list[str], b: list[str]) -> int:
        differs = map(ne, islice(a, i, i + limit), islice(b, j, j + limit))
        return next(compress(count(), differs), limit)

    return min(first_difference(old_keys, new_keys), first_difference(old_layers, new_layers))


def _find(keys: list[str], layers: list[str], key: str, layer: str, start: int, stop: int) -> int:
    """Index of (layer, key) in keys[start:stop], or -1."""
    while start < stop:
        try:
            start = keys.index(key, start, stop)
        except ValueError:
            return -1
        if layers[start] == layer:
            return start
        start += 1
    return -1


def align(
    old_keys: list[str], old_layers: list[str], new_keys: list[str], new_layers: list[str]
) -> list[tuple[int, int, int]]:
    """Stretches of rows that are the same (layer, key) in the same order in both lists.

    Each item is (old start, new start, length). A reload usually keeps almost every
    row in place, with a few inserted or removed: those show up as short gaps that
    a look-ahead steps over. Past a few gaps the rest is left to matching by key.
    """
    old_n, new_n = len(old_keys), len(new_keys)
    tail = (
        _common_run(
            old_keys[::-1],
            old_layers[::-1],
            new_keys[::-1],
            new_layers[::-1],
            0,
            0,
            min(old_n, new_n),
        )
        if old_n and new_n and old_keys[-1] == new_keys[-1]
        else 0
    )
    old_end, new_end = old_n - tail, new_n - tail
    runs: list[tuple[int, int, int]] = []
    i = j = gaps = 0
    while i < old_end and j < new_end:
        length = _common_run(
            old_keys, old_layers, new_keys, new_layers, i, j, min(old_end - i, new_end - j)
        )
        if length:
            runs.append((i, j, length))
            i, j = i + length, j + length
            continue
        gaps += 1
        if gaps > _MAX_GAPS:
            break
        # Rows removed (the new row shows up a little later in the old list) or
        # inserted (the old row shows up a little later in the new list)?
        removed = _find(
            old_keys,
            old_layers,
            new_keys[j],
            new_layers[j],
            i + 1,
            min(old_end, i + 1 + _LOOK_AHEAD),
        )
        inserted = _find(
            new_keys,
            new_layers,
            old_keys[i],
            old_layers[i],
            j + 1,
            min(new_end, j + 1 + _LOOK_AHEAD),
        )
        if removed >= 0 and (inserted < 0 or removed - i <= inserted - j):
            i = removed
        elif inserted >= 0:
            j = inserted
        else:
            i, j = i + 1, j + 1  # Replaced: both go to matching by key.
    if tail:
        runs.append((old_end, new_end, tail))
    return runs


def match_keys(
    old_keys: Iterable[str],
    old_layers: Iterable[str],
    old_indexes: list[int],
    new_keys: list[str],
    new_layers: list[str],
) -> list[int]:
    """For each new (layer, key): the old index with the same pair, or -1.

    One dict of plain keys per layer (no tuples: a million of them would keep the
    garbage collector busy), built and read by C loops only.
    """
    old_keys, old_layers = list(old_keys), list(old_layers)
    known: dict[str, dict[str, int]] = {}
    for layer in set(old_layers):
        here = list(map(layer.__eq__, old_layers))
        pairs = zip(compress(old_keys, here), compress(old_indexes, here), strict=True)
        known[layer] = dict(pairs)
    tables = map(known.get, new_layers, repeat({}))
    return list(map(dict.get, tables, new_keys, repeat(-1)))
