"""The four-field entry of Axon's store, and the dataclasses the manager reports with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

#: Axon stores timestamps as `u64` seconds; msgspec bounds stop at int64, far past any real clock.
Timestamp = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]

Layer = Literal["memory", "store"]


class MemoryEntry(msgspec.Struct, frozen=True, gc=False):
    """One entry, immutable so that snapshots handed to a UI can never drift.

    Field order is Axon's and is also the order written to disk.
    """

    key: str
    value: str
    timestamp: Timestamp
    source_step: str


@dataclass(frozen=True, slots=True)
class ScopedEntry:
    """An entry with the scope and layer it lives in (the seed's `ScopedEntry`)."""

    scope: str
    layer: Layer
    key: str
    value: str
    timestamp: int
    source_step: str


@dataclass(frozen=True, slots=True)
class ScopeSummary:
    """Per-scope counts (the seed's `ScopeSummary`)."""

    scope: str
    memory_count: int
    store_count: int
