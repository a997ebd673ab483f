"""The http:// source's watch: events and counts become changes, the shown scope is re-read,
a stopped server is said and a restarted one caught up with; SSE text as AxonServer writes it."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from axon_scopes.core import SourceChange, SourceOptions, SourceState, open_source
from axon_scopes.core.http.events import EventCursor, parse_stream
from axon_scopes.core.http.source import HttpSource
from tests.axon_replay import AxonReplay

FIXED = 1_790_000_000.0


class Watch:
    """A source watched with short intervals; changes and states collected for the test."""

    def __init__(self, axon: AxonReplay, **extra: object) -> None:
        extra.setdefault("poll_s", 0.05)
        extra.setdefault("shown_poll_s", 60.0)
        options = SourceOptions(clock=lambda: FIXED, extra=extra)
        source = open_source(axon.url, options)
        assert isinstance(source, HttpSource)
        self.source = source
        source.discover()
        self.service = source.service(axon.url)
        self.changes: queue.Queue[SourceChange] = queue.Queue()
        self.states: queue.Queue[SourceState] = queue.Queue()
        self.stop = source.watch(self.changes.put, reconcile_s=60.0, on_state=self.states.put)
        self.state_where(lambda s: s.connected)  # The first round is done.

    def change_where(
        self, test: Callable[[SourceChange], bool], timeout: float = 5.0
    ) -> SourceChange:
        deadline = time.monotonic() + timeout
        while True:
            change = self.changes.get(timeout=max(0.01, deadline - time.monotonic()))
            if test(change):
                return change

    def state_where(self, test: Callable[[SourceState], bool], timeout: float = 5.0) -> SourceState:
        deadline = time.monotonic() + timeout
        while True:
            state = self.states.get(timeout=max(0.01, deadline - time.monotonic()))
            if test(state):
                return state

    def drain(self) -> list[SourceChange]:
        found = []
        while not self.changes.empty():
            found.append(self.changes.get_nowait())
        return found

    def close(self) -> None:
        self.stop()
        self.source.close()


def test_an_event_naming_a_scope_makes_it_re_read(axon: AxonReplay) -> None:
    axon.put("global", "store", "k", "one")
    axon.put("flow:a", "store", "x", "1")
    watch = Watch(axon)
    watch.service.snapshot("global")  # What a viewer saw.
    axon.put("global", "store", "k", "two")  # Same counts: only the event tells.
    axon.publish("session.persist", {"key": "k", "scope": "global"})
    change = watch.change_where(lambda c: c.change.scope == "global").change
    assert (change.changed, change.keys) == (1, frozenset({"k"}))
    watch.close()


def test_moved_counts_new_scopes_and_memory_changes_are_reported(axon: AxonReplay) -> None:
    axon.put("global", "store", "k", "one")
    watch = Watch(axon)
    watch.service.snapshot("global")
    axon.put("global", "store", "added", "x")  # No event: a flow's own write.
    change = watch.change_where(lambda c: c.change.scope == "global").change
    assert change.added == 1 and change.keys == frozenset({"added"})
    axon.put("flow:new", "store", "first", "x")
    assert watch.change_where(lambda c: c.change.scope == "flow:new").change.new
    watch.service.snapshot("global")
    axon.put("global", "memory", "thought", "m")
    change = watch.change_where(lambda c: c.change.scope == "global").change
    assert change.memory_changed and change.keys is None
    watch.close()


def test_a_scope_never_read_is_told_by_its_event_or_its_counts(axon: AxonReplay) -> None:
    """Nothing to compare with: an event makes it an unknown change, counts make it counted."""
    axon.put("flow:a", "store", "x", "1")
    axon.put("flow:b", "store", "y", "1")
    watch = Watch(axon)
    assert watch.service.refresh() == []  # A first read for no reason tells nothing.
    watch.service._seen.clear()  # As if never read (a viewer opened no scope).
    axon.put("flow:a", "store", "x", "2")
    axon.publish("session.persist", {"key": "x", "scope": "flow:a"})
    change = watch.change_where(lambda c: c.change.scope == "flow:a").change
    assert (change.keys, change.counted, change.new) == (None, False, False)
    watch.service._seen.pop("flow:b", None)
    axon.put("flow:b", "store", "z", "1")  # No event: only the count moves.
    change = watch.change_where(lambda c: c.change.scope == "flow:b").change
    assert change.added == 1
    watch.close()


def test_the_shown_scope_is_re_read_on_a_slow_timer_and_catches_a_silent_change(
    axon: AxonReplay,
) -> None:
    axon.put("global", "store", "k", "one")
    axon.put("flow:a", "store", "x", "1")
    watch = Watch(axon, shown_poll_s=0.2)
    watch.source.focus(axon.url, "global")
    watch.service.snapshot("global")
    watch.service.snapshot("flow:a")
    axon.put("flow:a", "store", "x", "2")  # Not shown: same counts, no event.
    axon.put("global", "store", "k", "two")  # Shown: same counts, no event.
    change = watch.change_where(lambda c: c.change.scope == "global").change
    assert change.changed == 1
    time.sleep(0.3)
    assert all(c.change.scope != "flow:a" for c in watch.drain())
    watch.close()


def test_a_stopped_server_is_said_and_a_restarted_one_caught_up_with(axon: AxonReplay) -> None:
    axon.put("global", "memory", "thought", "m")
    axon.put("global", "store", "k", "one")
    watch = Watch(axon)
    watch.service.snapshot("global")
    last = watch.source.live
    assert last.startswith("polling every 0.05 s")
    assert "last poll" in watch.state_where(lambda s: s.connected).live
    axon.stop()
    down = watch.state_where(lambda s: not s.connected)
    assert down.detail.startswith("disconnected, retrying")
    axon.restart()  # The memory layer is gone with the old process.
    up = watch.state_where(lambda s: s.connected, timeout=10)
    assert up.live.endswith("last poll " + time.strftime("%H:%M:%S", time.gmtime(FIXED)))
    change = watch.change_where(lambda c: c.change.scope == "global", timeout=10).change
    assert change.memory_changed
    assert watch.service.snapshot("global").memory == []
    watch.close()


def test_429_while_watching_backs_off_and_stays_connected(axon: AxonReplay) -> None:
    watch = Watch(axon)
    axon.retry_after = "0.01"
    axon.limit_next = 8
    limited = watch.state_where(lambda s: "rate limited" in s.detail)
    assert limited.connected
    assert watch.state_where(lambda s: s.connected and not s.detail)
    assert axon.limit_next == 0
    watch.close()


def test_a_401_while_watching_asks_for_a_token(axon: AxonReplay) -> None:
    watch = Watch(axon)
    axon.keys = {"key": "read"}
    state = watch.state_where(lambda s: not s.connected)
    assert state.needs_token and "needs a token" in state.detail
    watch.source.set_token("key")
    watch.state_where(lambda s: s.connected)
    watch.close()


def test_sse_text_is_read_as_axonserver_writes_it(axon: AxonReplay) -> None:
    """Comments, newest first, strict whole-second `since`, ids that are not stable."""
    assert parse_stream(":\n\n", axon.url) == []
    axon.clock = lambda: FIXED
    cursor = EventCursor(limit=50)
    watch_source = open_source(axon.url)
    watch_source.discover()
    client = watch_source.service(axon.url).client  # type: ignore[attr-defined]

    def poll() -> list[str]:
        text = client.get("/v1/events/stream", cursor.params()).body.decode()
        events, missed = cursor.take(parse_stream(text, axon.url))
        assert not missed
        return [f"{e.topic} {e.scope} {e.key}" for e in events]

    axon.publish("session.persist", {"key": "a", "scope": "global"})
    assert poll() == []  # The first answer sets the position.
    axon.publish("session.persist", {"key": "b", "scope": "global"})
    axon.publish("session.purge", {"key": "c", "scope": "flow:x"})
    # Same second, so the ids of the earlier event moved: it is still known.
    assert poll() == ["session.purge flow:x c", "session.persist global b"]
    assert poll() == []
    axon.publish("session.persist", {"key": "b", "scope": "global"})  # The same again.
    assert poll() == ["session.persist global b"]
    assert cursor.params()["since"] == int(FIXED) - 1
    watch_source.close()


def test_a_full_answer_means_some_events_may_be_missed() -> None:
    cursor = EventCursor(limit=2)
    block = 'data: {"topic":"session.persist","timestamp":5,"payload":{"scope":"g","key":"%s"}}\n\n'
    cursor.take([])
    events, missed = cursor.take(parse_stream(block % "a" + block % "b", "x"))
    assert len(events) == 2 and missed
