"""Rows plus what a big table needs to filter and sort them fast."""

from __future__ import annotations

import threading
from array import array
from bisect import insort
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from itertools import chain, compress, count, filterfalse, islice, repeat
from operator import attrgetter, contains, itemgetter, ne

from .diff import RowDiff, align, match_keys
from .hits import Hits
from .order import layer_then_key as _layer_then_key
from .order import layers_of as _layers
from .order import rank as _rank
from .rows import (
    HAYSTACK_SEPARATOR,
    Item,
    Row,
    RowKey,
    SortColumn,
    VisibleRows,
    row_matches,
)

#: Above this many rows to (re)place, a sort order is rebuilt instead of patched.
PATCH_LIMIT = 512
#: Filter results smaller than this are kept as a list of rows rather than as `Hits`.
LIST_BELOW = 4096


def _hay(row: Item) -> str:
    return f"{row.key.lower()}{HAYSTACK_SEPARATOR}{row.value.lower()}"


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

    @classmethod
    def patched(
        cls, previous: RowIndex, replaced: dict[int, Item], appended: Sequence[Item]
    ) -> RowIndex:
        """`previous` with some rows replaced in place (same layer and key) and some appended.

        What a change feed naming its keys gives: nothing to align or compare, so a
        big scope's update costs a few list copies instead of a walk over every row.
        """
        index = cls([], None, ordered=previous.ordered and not appended)
        old_n = len(previous.items)
        items = previous.items.copy()
        for at, item in replaced.items():
            items[at] = item
        items += appended
        index.items = items
        index.rows = VisibleRows(items, range(len(items)))
        # Replaced rows keep their key and layer: those lists are shared, not copied
        # (each new list of a big scope costs the garbage collector a walk over it).
        if appended:
            index.keys = previous.keys + [item.key for item in appended]
            index.layers = previous.layers + _layers(list(appended))
        else:
            index.keys, index.layers = previous.keys, previous.layers
        index.base = previous
        index.added = range(old_n, len(items))
        index.changed = sorted(at for at, item in replaced.items() if previous.items[at] != item)
        index.diff = RowDiff(added=len(appended), changed=len(index.changed))
        index._moved = None
        hay = previous._hay
        if hay is not None:
            hay = hay.copy()
            for at in index.changed:
                hay[at] = _hay(items[at])
            hay += map(_hay, appended)
        index._hay = hay
        index._inherited = dict(previous._orders)
        index._patch = (None, list(index.added), index.changed, 0)
        touched = [items[i] for i in chain(index.added, index.changed)]
        for width, field in (("key_width", "key"), ("step_width", "source_step")):
            if width in previous.__dict__:
                widest = max((len(getattr(r, field)) for r in touched), default=0)
                index.__dict__[width] = max(previous.__dict__[width], widest)
        return index

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
            runs = align(previous.keys, previous.layers, self.keys, self.layers)
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
            found = match_keys(
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
        if place and (order is inherited or not isinstance(order, list)):
            order = list(order)  # Never insert into the previous index's own list.
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
            return lambda i: (rows[i].timestamp, keys[i], _rank(layers[i]))
        return lambda i: (rows[i].source_step, keys[i], _rank(layers[i]))

    def order(self, column: SortColumn) -> Sequence[int]:
        """Indexes of all rows, ascending by `column` (cached: do not change the list).

        Ties break by key and layer. `time` ascending is the oldest entry first.
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
            # A stable sort keeps equal stamps in key order: oldest first, then by key.
            return sorted(self.order("key"), key=stamps.__getitem__)
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
