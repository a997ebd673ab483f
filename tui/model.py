"""Rows of the entry table: pure data, no widgets, so it is cheap to test and to diff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from core import MemoryEntry

RowLayer = Literal["memory", "store", "published"]
"""`published`: a memory layer another process published; shown read-only."""

RowKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Row:
    """One entry as shown: identity is `(layer, key)`, never the row number."""

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


def build_rows(
    memory: Iterable[MemoryEntry],
    store: Iterable[MemoryEntry],
    published: Iterable[MemoryEntry] = (),
) -> list[Row]:
    """Both layers of a scope as rows, flagging keys whose layers disagree."""
    mem = {e.key: e for e in memory}
    sto = {e.key: e for e in store}
    pub = {e.key: e for e in published}
    rows: list[Row] = []
    for layer, entries, others in (
        ("memory", mem, (sto,)),
        ("published", pub, (sto,)),
        ("store", sto, (mem, pub)),
    ):
        for e in entries.values():
            conflict = any(e.key in o and o[e.key].value != e.value for o in others)
            rows.append(Row(layer, e.key, e.value, e.timestamp, e.source_step, conflict))  # type: ignore[arg-type]
    return rows
