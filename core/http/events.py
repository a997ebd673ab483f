"""AxonServer's `session.*` events: the SSE text of `/v1/events/stream`, and what is new in it.

The stream is polled, not held open: each answer holds the newest events (at most
`limit`) whose timestamp, in whole seconds, is strictly after `since`, or just the
comment `:` when there are none. Its `id:` lines are not stable (the second's
milliseconds plus the event's place in that answer), so an event is known by its
content: asking from the second before the newest one seen, an event is new when
its (timestamp, topic, payload) comes more often than the last answer held. Events
are hints only: each one means "re-read this scope".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import msgspec

from ..errors import SourceUnavailableError
from .shapes import EventData, parse

#: At most this many events per answer (AxonServer's default is 50).
EVENT_LIMIT = 200
TOPIC = "session.*"


@dataclass(frozen=True, slots=True)
class Event:
    """One event: its topic, second, and the scope (and key) it names, if any."""

    topic: str
    timestamp: int
    scope: str | None
    key: str | None
    #: What the event is known by across answers.
    signature: tuple[int, str, str]


def parse_stream(text: str, location: str) -> list[Event]:
    """The events of one SSE answer (comments and unknown fields ignored)."""
    events: list[Event] = []
    data: list[str] = []
    saw_field = False
    for line in [*text.splitlines(), ""]:
        if not line:
            if data:
                events.append(_event("\n".join(data), location))
            data = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name in ("id", "event", "data", "retry"):
            saw_field = True
        if name == "data":
            data.append(value)
    if text.strip() and not saw_field and not text.lstrip().startswith(":"):
        raise SourceUnavailableError(
            location, "is not an AxonServer: the event stream is not server-sent events"
        )
    return events


def _event(data: str, location: str) -> Event:
    parsed = parse(data.encode("utf-8"), EventData, location, "an event")
    payload = parsed.payload
    scope = payload.get("scope")
    key = payload.get("key")
    signature = (parsed.timestamp, parsed.topic, msgspec.json.encode(payload).decode())
    return Event(
        parsed.topic,
        parsed.timestamp,
        scope if isinstance(scope, str) else None,
        key if isinstance(key, str) else None,
        signature,
    )


class EventCursor:
    """Where the next poll asks from, and which events were seen already."""

    def __init__(self, limit: int = EVENT_LIMIT) -> None:
        self.limit = limit
        #: The newest second seen (None: nothing polled yet).
        self.newest: int | None = None
        #: How often each signature came in the last answer.
        self._counts: Counter[tuple[int, str, str]] = Counter()
        self.started = False

    def params(self) -> dict[str, str | int]:
        since = max(0, (self.newest or 0) - 1)
        return {"topic": TOPIC, "since": since, "limit": self.limit}

    def take(self, events: list[Event]) -> tuple[list[Event], bool]:
        """The events not seen before, and whether some may have been missed.

        The first answer only sets the position (what happened before is read whole
        anyway). Missed: a full answer, which may have left older news out.
        """
        first = not self.started
        self.started = True
        remaining = Counter(self._counts)
        new: list[Event] = []
        for event in events:
            if remaining[event.signature] > 0:
                remaining[event.signature] -= 1
            else:
                new.append(event)
        if events:
            self.newest = max(self.newest or 0, *(event.timestamp for event in events))
        self._counts = Counter(event.signature for event in events)
        if first:
            return [], False
        return new, len(events) >= self.limit
