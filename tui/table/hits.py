"""A filter's result over a big table, as one flag byte per row."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from copy import copy
from itertools import accumulate, chain, compress, islice, repeat
from typing import overload


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
