"""Rows of the entry table: pure data, no widgets, so it is cheap to test and to diff."""

from __future__ import annotations

import heapq
import threading
from array import array
from bisect import bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import accumulate, chain, compress, count, filterfalse, islice, repeat
from operator import attrgetter, contains, is_, itemgetter, ne, not_
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


# ── indexing, filtering, sorting and diffing for big tables ──────────────────
#
# A scope can hold a million entries. The code below works on whole columns at
# once (map, compress, itemgetter, sorted with list.__getitem__ keys) so the loops
# run in C, and it keeps integer row indexes, never copies of rows. An update is
# lined up with the previous rows first: a reload mostly keeps every row where it
# was, so long aligned stretches carry their haystack and sort places over by
# slices, and only the few rows in between are matched by key.

SortColumn = Literal["key", "time", "layer", "source_step"]
SORT_COLUMNS: tuple[SortColumn, ...] = ("key", "time", "layer", "source_step")
#: Default order of the layers: the live one first, then what others published, then disk.
LAYERS: tuple[RowLayer, ...] = ("memory", "published", "store")
LAYER_RANK: dict[str, int] = {layer: rank for rank, layer in enumerate(LAYERS)}
#: Joins key and value in the lowercase haystack; a typed query never contains it.
HAYSTACK_SEPARATOR = "\x00"
#: Above this many rows to (re)place, a sort order is rebuilt instead of patched.
PATCH_LIMIT = 512
#: Filter results smaller than this are kept as a list of rows rather than as `Hits`.
LIST_BELOW = 4096
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


def row_matches(row: Item, query: str) -> bool:
    """Axon's `query` for one row: case-insensitive substring of the key or the value."""
    needle = query.lower()
    return needle in row.key.lower() or needle in row.value.lower()


def _hay(row: Item) -> str:
    return f"{row.key.lower()}{HAYSTACK_SEPARATOR}{row.value.lower()}"


def _layers(items: list[Item]) -> list[str]:
    """Each item's layer. Most items of a big scope are bare store entries: the few
    `Row`s among them are found in C, and only those are read one by one."""
    layers = ["store"] * len(items)
    for i in compress(count(), map(is_, map(type, items), repeat(Row))):
        layers[i] = items[i].layer  # type: ignore[union-attr]
    return layers


def _rank(layer: str) -> int:
    return LAYER_RANK.get(layer, len(LAYERS))


def _layer_then_key(keys: list[str], layers: list[str]) -> list[int]:
    """All indexes sorted by layer (memory, published, store, others) and then by key."""
    everything = range(len(keys))
    if not keys or layers.count(layers[0]) == len(layers):
        return sorted(everything, key=keys.__getitem__)
    order: list[int] = []
    for layer in LAYERS:
        order += sorted(compress(everything, map(layer.__eq__, layers)), key=keys.__getitem__)
    if len(order) < len(keys):
        others = compress(everything, map(not_, map(LAYER_RANK.__contains__, layers)))
        order += sorted(others, key=lambda i: (layers[i], keys[i]))
    return order


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


def _align(
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


def _match(
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


class Hits(Sequence[int]):
    """The rows a filter let through, kept as one flag byte per row, not a list of indexes.

    Listing the hits of a query that matches most of a million rows costs more than
    finding them, and the table never needs the list: it asks for a count, a
    screenful and where one row is. Per-block counts answer those at once.

    A `Hits` is either a root, over the rows of a `RowIndex` (`head`: rows before
    `start`, already in view order; then row `start + j` wherever `flags[j]`), or
    the narrowing of a `parent`, with one flag per position of the parent. Narrowing
    reads the haystacks of the rows through the chain of flags (`haystacks`), in C
    and without listing anything; `reach` says how much that reads. `reverse`
    shows the same rows bottom-up.
    """

    __slots__ = (
        "_before",
        "_blocks",
        "_head",
        "_len",
        "_parent",
        "_start",
        "flags",
        "reach",
        "reverse",
    )

    #: Flags per block of the count directory: a block is listed when a row in it is shown.
    BLOCK = 4096

    flags: bytes
    reverse: bool
    _parent: Hits | None
    _start: int
    _head: Sequence[int]
    _before: list[int]
    _len: int
    _blocks: dict[int, list[int]]
    #: How many flags and head rows reading `haystacks` goes through.
    reach: int

    def __init__(
        self,
        flags: bytes,
        *,
        start: int = 0,
        head: Sequence[int] = (),
        parent: Hits | None = None,
        reverse: bool = False,
    ) -> None:
        self.flags = flags
        self.reverse = reverse
        self._parent = parent.forward() if parent is not None else None
        self._start = start
        self._head = head
        block, size = self.BLOCK, len(flags)
        lows = range(0, size, block)
        counts = map(flags.count, repeat(1), lows, range(block, size + block, block))
        self._before = list(accumulate(counts, initial=0))
        self._len = len(head) + self._before[-1]
        #: Rows of the blocks of flags listed lately (shared with the reversed twin).
        self._blocks = {}
        self.reach = len(head) + size + (parent.reach if parent is not None else 0)

    def _twin(self, reverse: bool) -> Hits:
        twin = copy(self)  # Shallow: the flags, counts and listed blocks are shared.
        twin.reverse = reverse
        return twin

    def forward(self) -> Hits:
        """The same rows top-down (shares everything with this one)."""
        return self._twin(False) if self.reverse else self

    def reversed(self) -> Hits:
        """The same rows in the opposite order (shares everything with this one)."""
        return self._twin(not self.reverse)

    def narrow(self, flags: bytes) -> Hits:
        """Keep the rows whose flag is set: one flag per row here, in `haystacks` order."""
        return Hits(flags, parent=self, reverse=self.reverse)

    def listed(self) -> array[int]:
        """The rows as a list, in view order: once they are few, quicker to narrow."""
        if self._parent is None:
            rows = array("i", self._head)
            find, start = self.flags.find, self._start
            at = find(1)
            while at >= 0:
                rows.append(start + at)
                at = find(1, at + 1)
        else:
            rows = array("i", map(self._row, range(self._len)))  # Few: one lookup each.
        return rows[::-1] if self.reverse else rows

    def haystacks(self, hay: list[str]) -> Iterator[str]:
        """`hay[row]` for the rows here, top-down: the chain of flags, read in C."""
        if self._parent is not None:
            return compress(self._parent.haystacks(hay), self.flags)
        tail = hay if self._start == 0 else islice(hay, self._start, None)
        return chain(map(hay.__getitem__, self._head), compress(tail, self.flags))

    # ── positions ──────────────────────────────────────────────────────────

    def _local(self, position: int) -> int:
        """Where the flag of the `position`-th hit (past the head) is."""
        block = bisect_right(self._before, position) - 1
        blocks = self._blocks
        rows = blocks.get(block)
        if rows is None:
            if len(blocks) >= 16:
                blocks.clear()
            low = block * self.BLOCK
            high = low + self.BLOCK
            rows = blocks[block] = list(compress(range(low, high), self.flags[low:high]))
        return rows[position - self._before[block]]

    def _row(self, position: int) -> int:
        if self._parent is not None:
            return self._parent._row(self._local(position))
        if position < len(self._head):
            return self._head[position]
        return self._start + self._local(position - len(self._head))

    def _position(self, row: int) -> int:
        """Where `row` is, top-down; ValueError if it is not here."""
        if self._parent is not None:
            at = self._parent._position(row)
            offset = 0
        elif row < self._start:
            return self._head.index(row)
        else:
            at = row - self._start
            offset = len(self._head)
        if not 0 <= at < len(self.flags) or not self.flags[at]:
            return _absent(row)
        block = at // self.BLOCK
        return offset + self._before[block] + self.flags.count(1, block * self.BLOCK, at)

    # ── the sequence ───────────────────────────────────────────────────────

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, item: int) -> int: ...

    @overload
    def __getitem__(self, item: slice) -> list[int]: ...

    def __getitem__(self, item: int | slice) -> int | list[int]:
        if isinstance(item, slice):
            return list(map(self.__getitem__, range(self._len)[item]))
        position = item + self._len if item < 0 else item
        if not 0 <= position < self._len:
            raise IndexError("hit index out of range")
        return self._row(self._len - 1 - position if self.reverse else position)

    def index(self, value: int, start: int = 0, stop: int | None = None) -> int:
        position = self._position(value)
        if self.reverse:
            position = self._len - 1 - position
        if position < start or (stop is not None and position >= stop):
            return _absent(value)
        return position

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        try:
            self._position(value)
        except ValueError:
            return False
        return True

    def _rows(self) -> Iterator[int]:
        if self._parent is not None:
            return compress(self._parent._rows(), self.flags)
        tail = range(self._start, self._start + len(self.flags))
        return chain(self._head, compress(tail, self.flags))

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._rows())[::-1]) if self.reverse else self._rows()

    def __reversed__(self) -> Iterator[int]:
        return self.reversed().__iter__()


def _absent(row: int) -> int:
    raise ValueError(f"{row} is not among the hits")


class RowIndex:
    """Rows plus what a big table needs to filter and sort them fast.

    Built once per data change. Given the `previous` index it also works out the
    `diff` and reuses the previous lowercase haystack and sort orders for every
    row that kept its place, so a reload costs a compare rather than a rebuild.
    """

    def __init__(
        self, rows: Iterable[Item], previous: RowIndex | None = None, *, ordered: bool = False
    ) -> None:
        #: Per row: a `Row`, or a store entry standing for its own (see `Item`).
        self.items: list[Item] = list(rows)
        #: The same, each as a `Row`.
        self.rows: Sequence[Row] = VisibleRows(self.items, range(len(self.items)))
        #: The rows are in the default order already (as `row_items` returns them).
        self.ordered = ordered
        self.keys: list[str] = list(map(attrgetter("key"), self.items))
        self.layers: list[str] = _layers(self.items)
        self._orders: dict[SortColumn, list[int]] = {}
        self._gathers: dict[SortColumn, tuple[int, Callable[[bytes], Sequence[int]]]] = {}
        #: For each row of `previous`, its index here or -1 if it is gone (None: the same).
        self._moved: list[int] | None = []
        #: Sort orders of `previous`, patched into `_orders` when first asked for.
        self._inherited: dict[SortColumn, list[int]] = {}
        self._patch: tuple[list[int] | None, list[int], list[int], int] = (None, [], [], 0)
        #: Per row: its lowercase key and value, for the filter (built when first needed).
        self._hay: list[str] | None = None
        self._hay_lock = threading.Lock()
        #: The index this one was diffed against, until the table has taken it over.
        self.base: RowIndex | None = previous
        #: How these rows differ from `previous`, and which rows were added and changed.
        self.diff: RowDiff
        self.added: Sequence[int] = ()
        self.changed: Sequence[int] = ()
        if previous is None or not previous.items:
            self.diff = RowDiff(added=len(self.items))
            self.added = range(len(self.items))
        else:
            self._update_from(previous)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def haystack(self) -> list[str]:
        """Per row: lowercase key and value. Built once, by whichever thread asks first."""
        hay = self._hay
        if hay is None:
            with self._hay_lock:
                hay = self._hay
                if hay is None:
                    hay = self._hay = list(map(_hay, self.items))
        return hay

    def prepare(self, column: SortColumn) -> None:
        """Do the slow parts now, off the UI thread: the sort order, the column widths."""
        self.order(column)
        self.key_width  # noqa: B018
        self.step_width  # noqa: B018

    @cached_property
    def key_width(self) -> int:
        """The longest key, in characters, so the key column can fit the data."""
        return max(map(len, self.keys), default=0)

    @cached_property
    def step_width(self) -> int:
        """The longest source_step, in characters."""
        return max(map(len, map(attrgetter("source_step"), self.items)), default=0)

    # ── updates ────────────────────────────────────────────────────────────

    def _update_from(self, previous: RowIndex) -> None:
        rows, old_rows, old_hay = self.items, previous.items, previous._hay
        new_n, old_n = len(rows), len(old_rows)
        if old_n == new_n and previous.keys == self.keys and previous.layers == self.layers:
            runs = [(0, 0, new_n)]  # Every row kept its place (a list compare runs in C).
        else:
            runs = _align(previous.keys, previous.layers, self.keys, self.layers)
        in_place = runs == [(0, 0, new_n)] and old_n == new_n

        # Aligned stretches carry over by slices and are compared in C, stretch by
        # stretch; the rows left over between them are matched by key.
        moved = None if in_place else [-1] * old_n  # old index -> new index, -1: gone
        hay = old_hay if in_place or old_hay is None else [""] * new_n
        changed: list[int] = []
        left_old: list[int] = []
        left_new: list[int] = []
        kept = old_at = new_at = 0
        for old_start, new_start, length in runs:
            left_old += range(old_at, old_start)
            left_new += range(new_at, new_start)
            old_at, new_at = old_start + length, new_start + length
            if moved is not None:
                moved[old_start:old_at] = range(new_start, new_at)
                if hay is not None and old_hay is not None:
                    hay[new_start:new_at] = old_hay[old_start:old_at]
            # Same (layer, key) along a stretch, so whole rows compare (in C, no tuples).
            before = islice(old_rows, old_start, old_at)
            after = islice(rows, new_start, new_at)
            changed += compress(range(new_start, new_at), map(ne, before, after))
            kept += length
        left_old += range(old_at, old_n)
        left_new += range(new_at, new_n)
        added: list[int] = []
        if left_new and moved is not None:
            found = _match(
                map(previous.keys.__getitem__, left_old),
                map(previous.layers.__getitem__, left_old),
                left_old,
                list(map(self.keys.__getitem__, left_new)),
                list(map(self.layers.__getitem__, left_new)),
            )
            for new_index, old_index in zip(left_new, found, strict=True):
                if old_index < 0:
                    added.append(new_index)
                    continue
                kept += 1
                moved[old_index] = new_index
                if hay is not None and old_hay is not None:
                    hay[new_index] = old_hay[old_index]
                # Same row_key: compare rows. (A row that turned into its entry, or back,
                # compares unequal: its conflict flag changed.)
                if old_rows[old_index] != rows[new_index]:
                    changed.append(new_index)
        self._moved = moved
        removed = old_n - kept
        self.diff = RowDiff(added=len(added), changed=len(changed), removed=removed)
        self.added, self.changed = added, changed
        if hay is not None:  # Only when the previous one had been built: keep it warm.
            if changed and hay is old_hay:
                hay = list(hay)
            for i in chain(added, changed):
                hay[i] = _hay(rows[i])
        self._hay = hay

        # Sort orders: the previous ones, renumbered and patched when first asked for.
        self._inherited = dict(previous._orders)
        if in_place and not changed:
            self._gathers = dict(previous._gathers)
        self._patch = (moved, added, changed, removed)

        # Column widths: with nothing removed, the widest rows are all still here,
        # so the old widths hold and only the touched rows can widen them. (A changed
        # source_step that got shorter may leave its column a little wide until the
        # next full load: cheaper than measuring every row again.)
        if not removed:
            touched = [rows[i] for i in chain(added, changed)]
            if "key_width" in previous.__dict__:
                widest = max((len(r.key) for r in touched), default=0)
                self.__dict__["key_width"] = max(previous.key_width, widest)
            if "step_width" in previous.__dict__:
                widest = max((len(r.source_step) for r in touched), default=0)
                self.__dict__["step_width"] = max(previous.step_width, widest)

    def _patched_order(self, column: SortColumn) -> Sequence[int] | None:
        """The previous index's order for `column`, brought up to date; None if not worth it."""
        inherited = self._inherited.pop(column, None)
        if inherited is None:
            return None
        order: Sequence[int] = inherited
        moved, added, changed, removed = self._patch
        keyed = column in ("layer", "key")  # Orders that depend on layer and key only.
        place = added if keyed else [*added, *changed]
        if len(place) > PATCH_LIMIT:
            return None
        if not place and moved is None:
            return order  # Same rows in the same places, nothing to move: the same order.
        if moved is not None:
            order = list(map(moved.__getitem__, order))
            if removed:
                order = list(filter((-1).__ne__, order))
        if not keyed and changed:
            order = list(filterfalse(set(changed).__contains__, order))
        sort_key = self._sort_key(column)
        if place and not isinstance(order, list):
            order = list(order)
        for i in place:
            insort(order, i, key=sort_key)  # type: ignore[arg-type]
        return order

    def touched(self) -> set[RowKey]:
        """Keys of the rows added or changed since `previous`."""
        return {(self.layers[i], self.keys[i]) for i in chain(self.added, self.changed)}

    def new_index_of(self, old_index: int) -> int | None:
        """Where the row at `old_index` of the previous index is now (None if it is gone)."""
        if self._moved is None:
            return old_index if 0 <= old_index < len(self.items) else None
        if not 0 <= old_index < len(self._moved):
            return None
        found = self._moved[old_index]
        return None if found < 0 else found

    def find(self, row_key: RowKey) -> int | None:
        """Index of the row with this `row_key`: a search in C, fine once per user action."""
        layer, key = row_key
        start = 0
        while True:
            try:
                found = self.keys.index(key, start)
            except ValueError:
                return None
            if self.layers[found] == layer:
                return found
            start = found + 1

    # ── sorting ────────────────────────────────────────────────────────────

    def _sort_key(self, column: SortColumn) -> Callable[[int], tuple[object, ...]]:
        """One row's complete sort key for `column`: what `order` sorts by, ties included."""
        rows, keys, layers = self.items, self.keys, self.layers
        if column == "layer":
            return lambda i: (_rank(layers[i]), keys[i])
        if column == "key":
            return lambda i: (keys[i], _rank(layers[i]))
        if column == "time":
            return lambda i: (-rows[i].timestamp, keys[i], _rank(layers[i]))
        return lambda i: (rows[i].source_step, keys[i], _rank(layers[i]))

    def order(self, column: SortColumn) -> Sequence[int]:
        """Indexes of all rows, ascending by `column` (cached: do not change the list).

        Ties break by key and layer. `time` sorts by age: the youngest entry first.
        Rows that came `ordered` give `range(len)` for the default order: no list of
        a million ints to build, hold, or hop through.
        """
        order = self._orders.get(column)
        if order is None and self.ordered and column == "layer":
            order = self._orders[column] = range(len(self.items))
        if order is None:
            order = self._patched_order(column)
            if order is None:
                order = self._sorted(column)
            self._orders[column] = order
        return order

    def _sorted(self, column: SortColumn) -> Sequence[int]:
        if column == "layer":
            return _layer_then_key(self.keys, self.layers)
        if column == "key":
            # The layer order is one sorted run per layer: a stable sort merges them.
            return sorted(self.order("layer"), key=self.keys.__getitem__)
        if column == "time":
            stamps = list(map(attrgetter("timestamp"), self.items))
            # reverse=True keeps equal stamps in key order: youngest first, then by key.
            return sorted(self.order("key"), key=stamps.__getitem__, reverse=True)
        if column == "source_step":
            steps = list(map(attrgetter("source_step"), self.items))
            return sorted(self.order("key"), key=steps.__getitem__)
        raise ValueError(f"unknown sort column: {column!r}")

    # ── filtering ──────────────────────────────────────────────────────────

    def filter(
        self,
        needle: str,
        candidates: Sequence[int] | None = None,
        *,
        column: SortColumn = "layer",
    ) -> Sequence[int]:
        """Indexes of the rows whose key or value contains `needle` (already lowercase).

        Only `candidates` are tried, in their order, when given. Otherwise every row
        is, and the result comes in `order(column)`: the haystack is then read
        straight through (far faster than hopping about in it). Rows where the sort
        order is the row order (all of them, for rows that came sorted) are kept as
        `Hits` flags; only the others are gathered into a list. Narrowing `Hits`
        gives `Hits` again.
        """
        hay = self.haystack
        if HAYSTACK_SEPARATOR in needle:  # Could match across key and value: check each.
            rows = self.items
            pool = self.order(column) if candidates is None else candidates
            return [i for i in pool if row_matches(rows[i], needle)]
        if isinstance(candidates, Hits):
            tried = map(contains, candidates.haystacks(hay), repeat(needle))
            narrowed = candidates.narrow(bytes(tried))
            return narrowed.listed() if len(narrowed) < LIST_BELOW else narrowed
        if candidates is not None:
            tried = map(contains, map(hay.__getitem__, candidates), repeat(needle))
            return array("i", compress(candidates, tried))
        hits = bytes(map(contains, hay, repeat(needle)))
        start, gather = self._gather(column)
        head = array("i", compress(self.order(column)[:start], gather(hits)) if start else ())
        if start == len(hits):
            return head
        # Past `start` the sort order is the row order: the flags say it all.
        found = Hits(hits[start:] if start else hits, start=start, head=head)
        # Few hits are listed (a find per hit): narrowing them then reads just those.
        return found.listed() if len(found) < max(LIST_BELOW, len(hits) // 16) else found

    def _gather(self, column: SortColumn) -> tuple[int, Callable[[bytes], Sequence[int]]]:
        """How to put per-row flags into `order(column)`.

        Returns `start`, where the order turns into plain row order (scopes come
        from core sorted by key, so for the default order that is nearly at once),
        and a function picking the flags of the rows before it, in sort order.
        """
        cached = self._gathers.get(column)
        if cached is None and isinstance(self.order(column), range):
            cached = self._gathers[column] = 0, lambda flags: ()
        if cached is None:
            order = self.order(column)
            total = len(order)
            in_place = map(ne, reversed(order), reversed(range(total)))
            start = total - next(compress(count(), in_place), total)
            head = order[:start]
            if start == 1:
                index = head[0]
                cached = start, lambda flags: (flags[index],)
            else:
                cached = start, itemgetter(*head) if head else (lambda flags: ())
            self._gathers[column] = cached
        return cached


class RowView:
    """The visible rows of a `RowIndex`: filtered by a query, in one sort order.

    A query that extends an earlier one narrows that earlier result instead of
    scanning every row; recent results are kept, so backspace is instant too.
    """

    #: How many recent filter results to keep.
    CACHE_SIZE = 8

    def __init__(
        self,
        index: RowIndex | None = None,
        *,
        column: SortColumn = "layer",
        reverse: bool = False,
        query: str = "",
    ) -> None:
        self.index = index if index is not None else RowIndex(())
        self.column: SortColumn = column
        self.reverse = reverse
        self.query = query
        self._recent: list[tuple[str, Sequence[int]]] = []
        #: Indexes into `index.rows` of the rows shown, top to bottom.
        self.visible: Sequence[int] = []
        self._refresh()

    def _refresh(self) -> None:
        self._recent.clear()
        self.visible = self._filtered(self.query)

    def _filtered(self, query: str) -> Sequence[int]:
        needle = query.lower()
        if not needle:
            order = self.index.order(self.column)
            return order[::-1] if self.reverse else order
        for cached, result in self._recent:
            if cached == needle:
                return result
        # The smallest earlier result that holds every match of this query.
        base: Sequence[int] | None = None
        for cached, result in self._recent:
            if cached in needle and (base is None or len(result) < len(base)):
                base = result
        # Narrowing reads only the earlier hits. A list of them is read in view order:
        # when that is the haystack's own order (rows that came sorted, default sort)
        # it reads straight through and wins until nearly every row matched;
        # otherwise it hops about, and a full scan is faster once a third of the rows
        # are candidates. `Hits` are read through their chain of flags: cheap per
        # flag, but the chain grows with each narrowing, so it is worth it while the
        # flags read stay within a few times the rows the earlier result ruled out.
        total = len(self.index)
        if isinstance(base, Hits):
            if base.reach >= 4 * (total - len(base)):
                base = None
        elif base is not None:
            straight = self.index.ordered and self.column == "layer" and not self.reverse
            if len(base) > total * (0.9 if straight else 1 / 3):
                base = None
        result: Sequence[int]
        if base is None:
            result = self.index.filter(needle, column=self.column)
            if self.reverse:
                result = result.reversed() if isinstance(result, Hits) else result[::-1]
        else:
            result = self.index.filter(needle, base)
        self._recent.append((needle, result))
        del self._recent[: -self.CACHE_SIZE]
        return result

    def set_index(self, index: RowIndex) -> None:
        """New data; the query and the sort stay."""
        self.index = index
        self._refresh()

    def set_query(self, query: str) -> None:
        self.query = query
        self.visible = self._filtered(query)

    def set_sort(self, column: SortColumn, reverse: bool = False) -> None:
        if column not in SORT_COLUMNS:
            raise ValueError(f"unknown sort column: {column!r}")
        self.column = column
        self.reverse = reverse
        self._refresh()

    def __len__(self) -> int:
        return len(self.visible)

    def row(self, position: int) -> Row:
        return self.index.rows[self.visible[position]]

    def newest(self) -> Row | None:
        """The visible row written last (the topmost of those, on a tie)."""
        items = self.index.items
        stamps = list(map(attrgetter("timestamp"), map(items.__getitem__, self.visible)))
        return self.row(stamps.index(max(stamps))) if stamps else None

    def matches(self, index: int) -> bool:
        """Whether row `index` passes the current query."""
        needle = self.query.lower()
        if HAYSTACK_SEPARATOR in needle:
            return row_matches(self.index.items[index], needle)
        return needle in self.index.haystack[index]

    def position_of(self, index: int | None) -> int | None:
        """Where row `index` is among the visible rows (None if filtered out or absent)."""
        if index is None or not self.matches(index):
            return None
        try:
            return self.visible.index(index)
        except ValueError:
            return None


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
