"""Axon's session calls over one `ScopeService`, blocking (the app runs them in threads).

Reads never write and never add a scope: a scope the service does not know is
looked for once more in the store (another process may have just made it), and
otherwise answered as empty, after its name is checked by the store's rule. The
memory layer is this process's own, as in AxonServer. Store writes are checked
writes (`compare_and_set`, `purge_if`) even without `expected`: the current entry
is the expectation, retried when another process wins, so a write either lands
whole under the store's lock or leaves nothing pending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from axon_scopes.core import (
    MemoryEntry,
    ScopeService,
    ScopeSource,
    StoreUnreadableError,
    WriteConflictError,
)
from axon_scopes.core.export import export_json

from . import shapes
from .events import EventBus
from .shapes import MISSING, PurgeRequest, QueryRequest, WriteRequest
from .tracking import Tracker

#: How often an unconditional write retries when other writers keep winning.
RETRIES = 50


class Conflict(Exception):
    """A compare-and-set found `actual`; nothing was written."""

    def __init__(self, scope: str, key: str, actual: MemoryEntry | None) -> None:
        super().__init__(f"{key!r} in {scope!r} is not what was expected")
        self.answer = shapes.conflict(scope, key, actual)


class Unreadable(Exception):
    """The scope's stored data cannot be read: its reason, for a 503."""


class Busy(Exception):
    """Other writers kept changing the key for every retry."""


@dataclass
class Session:
    service: ScopeService
    source: ScopeSource
    #: The served base's id in `source`.
    base: str
    bus: EventBus
    tracker: Tracker
    #: Raises `InvalidScopeNameError` for a name the store could never hold.
    check_name: Callable[[str], object]

    # ── scopes ─────────────────────────────────────────────────────────────

    def known(self, scope: str, *, look: bool = True) -> bool:
        """Whether the scope exists; an unknown name is checked, then looked for once more."""
        if self.service.status(scope) is not None:
            return True
        self.check_name(scope)
        if not look:
            return False
        self.source.discover()
        return self.service.status(scope) is not None

    def _readable(self, scope: str) -> None:
        status = self.service.status(scope)
        if status is not None and status.error is not None:
            raise Unreadable(f"scope {scope!r} is unreadable: {status.error}")

    def summary(self) -> dict[str, Any]:
        statuses = sorted(self.service.scopes(), key=lambda s: s.scope)
        rows: list[dict[str, Any]] = [
            {"scope": s.scope, "memory_count": s.memory_count, "store_count": s.store_count}
            for s in statuses
        ]
        for row, status in zip(rows, statuses, strict=True):
            if status.error is not None:  # Ours: an Axon client ignores a field it lacks.
                row["unreadable"] = status.error
        return {
            "scope_count": len(rows),
            "total_memory_count": sum(row["memory_count"] for row in rows),
            "total_store_count": sum(row["store_count"] for row in rows),
            "scopes": rows,
        }

    # ── reads ──────────────────────────────────────────────────────────────

    def export(self, scope: str, format: str) -> tuple[str, str]:
        """Axon's export: the memory layer only; (content type, text)."""
        entries: list[MemoryEntry] = []
        if self.known(scope, look=False):
            snapshot = self.service.snapshot(scope)
            entries = snapshot.memory
        rows = shapes.scoped(scope, entries)
        if format.lower() == "csv":
            return "text/csv", shapes.export_csv(rows)
        return "application/json", export_json(scope, rows)

    def query(self, request: QueryRequest) -> dict[str, Any]:
        found: list[MemoryEntry] = []
        if self.known(request.scope):
            snapshot = self.service.snapshot(request.scope)
            if snapshot.error is not None:
                raise Unreadable(f"scope {request.scope!r} is unreadable: {snapshot.error}")
            found = shapes.matching(snapshot.store, request.query)
        return shapes.query_answer(request.query, request.scope, found)

    def recall(self, scope: str, key: str) -> dict[str, Any]:
        entry = None
        if self.known(scope, look=False):  # Memory lives here: a new scope has none.
            entry = self.service.get(scope, key, layer="memory")
        return shapes.lookup(scope, key, entry)

    def retrieve(self, scope: str, key: str) -> dict[str, Any]:
        entry = None
        if self.known(scope):
            self._readable(scope)
            entry = self.service.get(scope, key)
        return shapes.lookup(scope, key, entry)

    # ── writes ─────────────────────────────────────────────────────────────

    def _fresh(self, scope: str, key: str) -> MemoryEntry | None:
        """The stored entry as the store holds it now (re-read), for an absence to be sure."""
        if not self.known(scope):
            return None
        self._readable(scope)
        self.service.refresh(scope, keys=[key])
        self._readable(scope)
        return self.service.get(scope, key)

    def _absent_scope(self, scope: str, key: str, expected: object) -> None:
        """An entry expected in a scope that does not exist: a conflict, and no scope made."""
        if isinstance(expected, MemoryEntry) and not self.known(scope):
            raise Conflict(scope, key, None)

    def _set(
        self,
        scope: str,
        key: str,
        expected: MemoryEntry | None,
        value: str,
        step: str,
        *,
        retry: bool,
        must_exist: bool = False,
    ) -> MemoryEntry:
        """A checked store write; with `retry`, another writer's entry becomes the expectation.

        `must_exist` (mutate): a key another writer removed meanwhile is a `Conflict`, never
        written anew.
        """
        for _ in range(RETRIES):
            try:
                return self.service.compare_and_set(scope, key, expected, value, step)
            except WriteConflictError as exc:
                if not retry or (must_exist and exc.actual is None):
                    raise Conflict(scope, key, exc.actual) from None
                expected = exc.actual
            except StoreUnreadableError as exc:
                raise Unreadable(str(exc)) from None
        raise Busy(f"{key!r} in {scope!r} kept changing; nothing was written")

    def remember(self, request: WriteRequest) -> dict[str, Any]:
        scope, key = request.scope, request.key
        self._absent_scope(scope, key, request.expected)
        if request.expected is MISSING:
            entry = self.service.put(scope, key, request.value, request.source_step, layer="memory")
        else:
            try:
                entry = self.service.compare_and_set(
                    scope, key, request.expected, request.value, request.source_step,
                    layer="memory",
                )  # fmt: skip
            except WriteConflictError as exc:
                raise Conflict(scope, key, exc.actual) from None
        self.bus.publish("session.remember", {"key": key, "scope": scope})
        answer = {"success": True, "key": key, "scope": scope, "store": "memory"}
        return {**answer, "entry": shapes.entry_json(entry)}

    def persist(self, request: WriteRequest) -> dict[str, Any]:
        scope, key = request.scope, request.key
        conditional = request.expected is not MISSING
        self._absent_scope(scope, key, request.expected)
        expected = request.expected if conditional else self.service.get(scope, key)
        try:
            entry = self._set(
                scope, key, expected, request.value, request.source_step,  # type: ignore[arg-type]
                retry=not conditional,
            )  # fmt: skip
        finally:
            self.tracker.reconcile(scope, own=key)
        self.bus.publish("session.persist", {"key": key, "scope": scope})
        answer = {"success": True, "key": key, "scope": scope, "store": "persistent"}
        return {**answer, "flushed": True, "entry": shapes.entry_json(entry)}

    def _existing_expectation(self, scope: str, key: str, expected: object) -> MemoryEntry | None:
        """What a store key must hold for mutate or purge: the `expected` given, else what it
        holds now (None: nothing to change). `expected: null` on a key that is there conflicts."""
        self._absent_scope(scope, key, expected)
        if expected is not MISSING and expected is not None:
            return expected  # type: ignore[return-value]
        current = self._fresh(scope, key)
        if expected is not MISSING and current is not None:
            raise Conflict(scope, key, current)
        return current

    def mutate(self, request: WriteRequest) -> dict[str, Any]:
        """A store write only if the key is there (`expected`: only if it holds that)."""
        scope, key = request.scope, request.key
        failed = {"success": False, "key": key, "scope": scope}
        conditional = request.expected is not MISSING
        current = self._existing_expectation(scope, key, request.expected)
        if current is None:
            return failed
        try:
            entry = self._set(
                scope, key, current, request.value, request.source_step,
                retry=not conditional, must_exist=True,
            )  # fmt: skip
        except Conflict as exc:
            if not conditional and exc.answer["actual"] is None:
                return failed  # Purged meanwhile: mutate only changes a key that is there.
            raise
        finally:
            self.tracker.reconcile(scope, own=key)
        self.bus.publish("session.mutate", {"key": key, "scope": scope})
        return {"success": True, "key": key, "scope": scope, "entry": shapes.entry_json(entry)}

    def purge(self, request: PurgeRequest) -> dict[str, Any]:
        scope, key = request.scope, request.key
        answer = {"success": False, "key": key, "scope": scope}
        conditional = request.expected is not MISSING
        current = self._existing_expectation(scope, key, request.expected)
        try:
            for _ in range(RETRIES):
                if current is None:
                    return answer
                try:
                    self.service.purge_if(scope, key, current)
                    break
                except WriteConflictError as exc:
                    if conditional:
                        raise Conflict(scope, key, exc.actual) from None
                    current = exc.actual
                except StoreUnreadableError as exc:
                    raise Unreadable(str(exc)) from None
            else:
                raise Busy(f"{key!r} in {scope!r} kept changing; nothing was removed")
        finally:
            self.tracker.reconcile(scope, own=key)
        self.bus.publish("session.purge", {"key": key, "scope": scope})
        return {**answer, "success": True}
