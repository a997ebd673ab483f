"""The event bus: the last events of `session.*` writes, answered as SSE text or JSON.

Like AxonServer's bus (`event_bus.rs`): a ring of the last 200 events, each with
its wall-clock second; a topic filter is an exact topic, `*`, or a prefix
`x.*` (matched as Axon's `recent_events` does: the topic starts with `x`);
answers list the newest first, at most `limit`, and the stream's `since` is
applied after the limit, strictly (`timestamp > since`, 0 meaning everything).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: How many events are kept (Axon's history ring).
HISTORY = 200
#: `limit` when none is given.
DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    payload: dict[str, Any]
    source: str
    timestamp: int

    def as_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "source": self.source,
            "timestamp": self.timestamp,
            "payload": self.payload,
        }


def topic_matches(topic: str, wanted: str | None) -> bool:
    """Axon's filter: no filter, `*`, the exact topic, or `prefix.*` (a plain prefix test)."""
    if wanted is None or wanted in (topic, "*"):
        return True
    return wanted.endswith(".*") and topic.startswith(wanted[:-2])


class EventBus:
    """The last `HISTORY` events; thread-safe (writes run in worker threads)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._events: deque[Event] = deque(maxlen=HISTORY)

    def publish(self, topic: str, payload: dict[str, Any], source: str = "server") -> Event:
        event = Event(topic, payload, source, int(self._clock()))
        with self._lock:
            self._events.append(event)
        return event

    def recent(self, limit: int, topic: str | None) -> list[Event]:
        """Newest first, at most `limit`, matching `topic`."""
        with self._lock:
            events = list(self._events)
        found: list[Event] = []
        for event in reversed(events):
            if len(found) >= limit:
                break
            if topic_matches(event.topic, topic):
                found.append(event)
        return found

    def history(self, limit: int, topic: str | None) -> dict[str, Any]:
        """`GET /v1/events/history`: `{"count", "topic_filter", "events"}`."""
        events = [event.as_json() for event in self.recent(limit, topic)]
        return {"count": len(events), "topic_filter": topic, "events": events}

    def stream(self, since: int, limit: int, topic: str | None) -> str:
        """`GET /v1/events/stream`: SSE blocks, or the comment `:` when nothing is new.

        Each id is the event's second times 1000 plus its place in the answer, as Axon
        makes it (unique within one answer only).
        """
        events = [
            event for event in self.recent(limit, topic) if since == 0 or event.timestamp > since
        ]
        parts = []
        for index, event in enumerate(events):
            data = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
            parts.append(
                f"id: {event.timestamp * 1000 + index}\nevent: {event.topic}\ndata: {data}\n\n"
            )
        return "".join(parts) or ":\n\n"
