"""What a row of the entry table is, and how a scope's layers become rows."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from operator import attrgetter
from typing import Literal, overload

import msgspec

from axon_scopes.core import MemoryEntry

RowLayer = Literal["memory", "store", "published"]
"""`published`: a memory layer another process published; shown read-only."""

RowKey = tuple[str, str]


class Row(msgspec.Struct, frozen=True, gc=False):
    """One entry as shown: identity is `(layer, key)`, never the row number.

    A Struct rather than a dataclass: a million of these are built per load, and
    this is several times faster to create, smaller, and not tracked by the GC
    (it holds only strings, ints and bools, so it can never be part of a cycle).
    """

    layer: RowLayer
    key: str
    value: str
    timestamp: int
    source_step: str
    #: The key is in both layers with different values.
    conflict: bool = False

    @property
    def row_key(self) -> RowKey:
        return (self.layer, self.key)

    @property
    def writable(self) -> bool:
        return self.layer != "published"


#: What a `RowIndex` holds per row. A store entry that no other layer disagrees
#: with stands for its own row: a big scope's rows then cost no memory beyond the
#: core's entries (a million `Row`s would take some 64 MB more).
Item = Row | MemoryEntry


def as_row(item: Item) -> Row:
    """The row an item stands for."""
    if type(item) is Row:
        return item
    return Row("store", item.key, item.value, item.timestamp, item.source_step)


def row_items(
    memory: Iterable[MemoryEntry],
    store: Iterable[MemoryEntry],
    published: Iterable[MemoryEntry] = (),
    *,
    sort: bool = True,
) -> list[Item]:
    """Both layers of a scope as the items of a `RowIndex`, flagging keys whose layers disagree.

    Grouped by layer (memory, published, store). With `sort`, each layer is in key
    order too: the table's default order, which `RowIndex(..., ordered=True)` then
    has for free. Without, entries keep the order they came in (the file's).
    """
    by_key = attrgetter("key")

    def ordered(entries: Iterable[MemoryEntry]) -> Iterable[MemoryEntry]:
        return sorted(entries, key=by_key) if sort else entries

    mem = {e.key: e for e in memory}
    pub = {e.key: e for e in published}
    if not mem and not pub:  # The usual big scope: the entries are the rows.
        return list(ordered(store))
    sto = {e.key: e for e in store}
    items: list[Item] = []
    for layer, entries, others in (
        ("memory", mem, (sto,)),
        ("published", pub, (sto,)),
        ("store", sto, (mem, pub)),
    ):
        for e in ordered(entries.values()):
            conflict = any(e.key in o and o[e.key].value != e.value for o in others)
            if layer == "store" and not conflict:
                items.append(e)
            else:
                items.append(Row(layer, e.key, e.value, e.timestamp, e.source_step, conflict))  # type: ignore[arg-type]
    return items


def build_rows(
    memory: Iterable[MemoryEntry],
    store: Iterable[MemoryEntry],
    published: Iterable[MemoryEntry] = (),
    *,
    sort: bool = True,
) -> list[Row]:
    """`row_items` as rows, for callers that want every row at hand."""
    return list(map(as_row, row_items(memory, store, published, sort=sort)))


def preview_rows(
    memory: Sequence[MemoryEntry],
    store: Sequence[MemoryEntry],
    published: Sequence[MemoryEntry] = (),
    count: int = 200,
    lookup: Callable[[str], MemoryEntry | None] | None = None,
) -> list[Row]:
    """The first `count` rows in the default order (layer, then key), without building the rest.

    What a big scope shows while its full index is built: picking the smallest
    keys is one pass in C, where sorting a million keys takes half a second.
    `lookup` finds a store entry by key (the store's own dict), for conflicts.
    """
    smallest = partial(heapq.nsmallest, key=attrgetter("key"))
    mem = {e.key: e for e in memory}
    pub = {e.key: e for e in published}
    if lookup is None and (mem or pub):
        lookup = {e.key: e for e in store}.get
    rows: list[Row] = []
    for layer, entries in (("memory", memory), ("published", published), ("store", store)):
        left = count - len(rows)
        if left <= 0:
            break
        for e in smallest(left, entries):
            if layer == "store":
                others = (mem.get(e.key), pub.get(e.key))
            else:
                others = (lookup(e.key) if lookup is not None else None,)
            conflict = any(o is not None and o.value != e.value for o in others)
            rows.append(Row(layer, e.key, e.value, e.timestamp, e.source_step, conflict))  # type: ignore[arg-type]
    return rows


SortColumn = Literal["key", "time", "layer", "source_step"]
SORT_COLUMNS: tuple[SortColumn, ...] = ("key", "time", "layer", "source_step")
#: Default order of the layers: the live one first, then what others published, then disk.
LAYERS: tuple[RowLayer, ...] = ("memory", "published", "store")
LAYER_RANK: dict[str, int] = {layer: rank for rank, layer in enumerate(LAYERS)}
#: Joins key and value in the lowercase haystack; a typed query never contains it.
HAYSTACK_SEPARATOR = "\x00"


def row_matches(row: Item, query: str) -> bool:
    """Axon's `query` for one row: case-insensitive substring of the key or the value."""
    needle = query.lower()
    return needle in row.key.lower() or needle in row.value.lower()


class VisibleRows(Sequence[Row]):
    """The items at `indexes`, read as rows (a bare entry becomes a `Row` when read).

    A view: nothing is copied, so it serves for a million rows as for a screenful.
    """

    __slots__ = ("_indexes", "_items")

    def __init__(self, items: Sequence[Item], indexes: Sequence[int]) -> None:
        self._items = items
        self._indexes = indexes

    def __len__(self) -> int:
        return len(self._indexes)

    def __iter__(self) -> Iterator[Row]:
        return map(as_row, map(self._items.__getitem__, self._indexes))

    @overload
    def __getitem__(self, item: int) -> Row: ...

    @overload
    def __getitem__(self, item: slice) -> list[Row]: ...

    def __getitem__(self, item: int | slice) -> Row | list[Row]:
        if isinstance(item, slice):
            return list(map(as_row, map(self._items.__getitem__, self._indexes[item])))
        return as_row(self._items[self._indexes[item]])
