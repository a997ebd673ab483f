"""What changed elsewhere, kept as a log: the status line, the tree's marks and `l` read it.

Live changes are not told one toast at a time: each one the source reports becomes a
`ChangeRecord` here, the status line shows the latest, the tree marks the scopes
changed since the operator last looked at them, and the change log lists them all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from axon_scopes.core import ScopeChange

from .refs import ScopeRef

#: The log keeps this many records; older ones are dropped (their count is kept).
LOG_SIZE = 500
#: A record names at most this many keys.
KEYS_KEPT = 20


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One scope's change, as found at `at` (the app's clock)."""

    at: float
    ref: ScopeRef
    added: int = 0
    changed: int = 0
    removed: int = 0
    #: The store keys touched, when the source named them (at most KEYS_KEPT).
    keys: tuple[str, ...] = ()
    #: Events in words: "new scope", "file removed", "memory published".
    events: tuple[str, ...] = ()
    #: Why the scope turned unreadable, or "".
    error: str = ""
    #: Said by the app, not found by the source: another writer undid an edit of this
    #: app's (the key, and whether it removed the entry rather than replaced it).
    reverted: tuple[str, bool] | None = None

    @property
    def counts(self) -> str:
        """`+1 ~2 -0` style, only the parts that are not zero."""
        parts = [
            f"{sign}{count:,}"
            for sign, count in (("+", self.added), ("~", self.changed), ("-", self.removed))
            if count
        ]
        return " ".join(parts)

    def summary(self) -> str:
        """Counts and events in a few words (plain text; the caller makes it safe)."""
        if self.reverted is not None:
            key, removed = self.reverted
            return f"your edit of {key!r} was {'removed' if removed else 'replaced'} elsewhere"
        parts = [self.counts] if self.counts else []
        parts.extend(self.events)
        if self.error:
            parts.append(f"unreadable: {self.error}")
        return ", ".join(parts) or "changed"


def record_of(ref: ScopeRef, change: ScopeChange, at: float, *, files: bool) -> ChangeRecord | None:
    """The record of a change a source reported, or None when it says nothing."""
    events: list[str] = []
    if change.new:
        events.append("new scope")
    if change.gone:
        events.append("file removed" if files else "removed")
    if change.published and not (change.new or change.gone):
        events.append("memory published")
    keys = tuple(sorted(change.keys)[:KEYS_KEPT]) if change.keys else ()
    if not (change.counted or events or change.error):
        return None
    return ChangeRecord(
        at,
        ref,
        change.added,
        change.changed,
        change.removed,
        keys,
        tuple(events),
        change.error or "",
    )


class ChangeLog:
    """Every change found elsewhere since the app started, newest last."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.records: deque[ChangeRecord] = deque(maxlen=LOG_SIZE)
        #: Every record ever added (the deque forgets the oldest).
        self.total = 0
        self.scopes: set[ScopeRef] = set()
        #: The records of the latest burst (one batch the source reported together).
        self.latest: tuple[ChangeRecord, ...] = ()

    def add(self, records: Iterable[ChangeRecord]) -> tuple[ChangeRecord, ...]:
        batch = tuple(records)
        if batch:
            self.records.extend(batch)
            self.total += len(batch)
            self.scopes.update(r.ref for r in batch)
            self.latest = batch
        return batch

    def newest_first(self) -> list[ChangeRecord]:
        return list(reversed(self.records))


def clock_time(at: float) -> str:
    """`14:02:11`, UTC like every absolute time the app shows."""
    try:
        return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return "--:--:--"
