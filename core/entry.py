"""The four-field entry of Axon's store, and the dataclasses the manager reports with."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import Annotated, Literal

import msgspec
from msgspec.structs import force_setattr

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


def share_source_steps(entries: Iterable[MemoryEntry]) -> int:
    """Make equal `source_step` strings one object; returns how many distinct steps there are.

    Decoding gives every entry its own copy, yet a big scope names a handful of
    steps: at a million entries the copies cost some 60 MB. Each field keeps an
    equal value, so the entries stay immutable as far as any reader can tell.
    """
    entries = list(entries)
    steps = list(map(attrgetter("source_step"), entries))
    canonical: dict[str, str] = {}
    shared = map(canonical.setdefault, steps, steps)  # One pass in C, no Python loop.
    deque(map(force_setattr, entries, repeat("source_step"), shared), maxlen=0)
    return len(canonical)
