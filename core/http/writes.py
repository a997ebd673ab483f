"""Writes through an AxonServer's endpoints: remember, persist, mutate, purge.

AxonServer has no compare-and-set. When the server does not advertise one, a
checked write re-reads the entry right before writing and refuses when it is not
what the caller saw: that narrows the race with another writer, it does not close
it. A store entry expected to exist is written with `mutate`, which the server
applies only if the key is still there. When the server advertises
`compare-and-set`, `expected` goes with the write and the server checks it (409).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec

from ..commit import Change, by_layer, check_entry, raise_conflicts
from ..entry import Layer, MemoryEntry
from ..errors import (
    FlushError,
    ReadOnlyServiceError,
    SourceUnavailableError,
    UnsupportedWriteError,
    WriteConflictError,
    WriteForbiddenError,
)
from .shapes import Conflict, Written, parse

if TYPE_CHECKING:
    import threading

    from .client import Answer, HttpClient

#: Why a memory entry cannot be deleted over HTTP (said before anything is asked).
NO_MEMORY_DELETE = "AxonServer has no endpoint to delete a memory entry"


class HttpWrites:
    """The write half of `HttpService` (a mixin: it holds the client and the state)."""

    if TYPE_CHECKING:
        _client: HttpClient
        _lock: threading.RLock
        _read_only: bool
        _forbidden: str
        _max_value_bytes: int

        @property
        def location(self) -> str: ...
        @property
        def checks_atomically(self) -> bool: ...
        def get(self, scope: str, key: str, *, layer: Layer = "store") -> MemoryEntry | None: ...
        def listed(self, scope: str) -> bool: ...
        def _wrote(self, scope: str, layer: Layer, key: str, entry: MemoryEntry | None) -> None: ...

    def _writable(self, scope: str) -> None:
        if self._forbidden:
            raise WriteForbiddenError(scope, self._forbidden)
        if self._read_only:
            raise ReadOnlyServiceError(scope)

    def _post(self, path: str, body: dict[str, Any]) -> Answer:
        """A write request; a 403 turns this service read-only, with the reason kept."""
        try:
            return self._client.post(path, body)
        except WriteForbiddenError as exc:
            self._forbidden = exc.reason
            raise WriteForbiddenError(str(body.get("scope", "")), exc.reason) from None

    def _written(self, answer: Answer, what: str) -> Written:
        return parse(answer.body, Written, self.location, what)

    def _write(
        self,
        scope: str,
        key: str,
        value: str,
        source_step: str,
        layer: Layer,
        *,
        expected: MemoryEntry | bool | None = False,
        existing: bool = False,
    ) -> MemoryEntry:
        """remember (memory), persist, or mutate (`existing`: only if the key is there).

        `expected` False sends no `expected`; otherwise the server checks it (409).
        """
        self._writable(scope)
        check_entry(MemoryEntry(key, value, 0, source_step), self._max_value_bytes)
        verb = "remember" if layer == "memory" else "mutate" if existing else "persist"
        body: dict[str, Any] = {"scope": scope, "key": key, "value": value}
        body["source_step"] = source_step
        if expected is not False:
            body["expected"] = None if expected is None else msgspec.to_builtins(expected)
        answer = self._post(f"/v1/session/{verb}", body)
        if answer.status == 409:
            self._conflict(answer, scope, key, expected, layer)
        written = self._written(answer, f"{verb} of {key!r}")
        entry = written.entry
        if not written.success:
            if verb != "mutate":
                raise SourceUnavailableError(self.location, f"{verb} of {key!r} failed")
            actual = self.get(scope, key, layer=layer)  # Gone meanwhile: say what is there.
            self._wrote(scope, layer, key, actual)
            raise WriteConflictError(scope, key, _seen(expected), actual, layer=layer)
        if written.flushed is False:
            self._wrote(scope, layer, key, None)
            raise FlushError(
                self.location,
                f"the server holds {key!r} in scope {scope!r} but could not write its file",
            )
        if entry is None:
            self._wrote(scope, layer, key, None)
            entry = self.get(scope, key, layer=layer)
            if entry is None:  # Removed between our write and our read.
                entry = MemoryEntry(key, value, 0, source_step)
        self._wrote(scope, layer, key, entry)
        return entry

    def _conflict(
        self,
        answer: Answer,
        scope: str,
        key: str,
        expected: MemoryEntry | bool | None,
        layer: Layer,
    ) -> None:
        conflict = parse(answer.body, Conflict, self.location, "a conflict")
        self._wrote(scope, layer, key, conflict.actual)
        raise WriteConflictError(scope, key, _seen(expected), conflict.actual, layer=layer)

    def _current(self, scope: str, key: str, layer: Layer) -> MemoryEntry | None:
        """The entry now, read right before a write (an unlisted scope holds nothing)."""
        return self.get(scope, key, layer=layer) if self.listed(scope) else None

    # ── the service's writes ───────────────────────────────────────────────

    def put(
        self, scope: str, key: str, value: str, source_step: str, *, layer: Layer = "store"
    ) -> MemoryEntry:
        return self._write(scope, key, value, source_step, layer)

    def delete(self, scope: str, key: str, *, layer: Layer = "store") -> bool:
        if layer == "memory":
            raise UnsupportedWriteError(NO_MEMORY_DELETE)
        self._writable(scope)
        if not self.listed(scope):
            return False
        answer = self._post("/v1/session/purge", {"scope": scope, "key": key})
        removed = self._written(answer, f"purge of {key!r}").success
        self._wrote(scope, layer, key, None)
        return removed

    def compare_and_set(
        self,
        scope: str,
        key: str,
        expected: MemoryEntry | None,
        value: str,
        source_step: str,
        *,
        layer: Layer = "store",
    ) -> MemoryEntry:
        """Write if `key` holds `expected`: checked by the server, or re-read right before."""
        self._writable(scope)
        if self.checks_atomically:
            return self._write(scope, key, value, source_step, layer, expected=expected)
        actual = self._current(scope, key, layer)
        if actual != expected:
            raise WriteConflictError(scope, key, expected, actual, layer=layer)
        existing = layer == "store" and expected is not None
        return self._write(scope, key, value, source_step, layer, existing=existing)

    def purge_if(
        self, scope: str, key: str, expected: MemoryEntry | None, *, layer: Layer = "store"
    ) -> None:
        if layer == "memory":
            raise UnsupportedWriteError(NO_MEMORY_DELETE)
        self._writable(scope)
        body: dict[str, Any] = {"scope": scope, "key": key}
        if self.checks_atomically:
            body["expected"] = None if expected is None else msgspec.to_builtins(expected)
        else:
            actual = self._current(scope, key, layer)
            if actual != expected:
                raise WriteConflictError(scope, key, expected, actual, layer=layer)
            if actual is None:
                return
        answer = self._post("/v1/session/purge", body)
        if answer.status == 409:
            self._conflict(answer, scope, key, expected, layer)
        self._written(answer, f"purge of {key!r}")
        self._wrote(scope, layer, key, None)

    def commit(self, scope: str, changes: Iterable[Change]) -> None:
        """Apply checked changes one by one: over HTTP this is not atomic.

        Every key is checked first (nothing is written if one differs); then each
        change is made as a checked write of its own, so a change elsewhere between
        two of them stops the rest with `WriteConflictError`. A memory entry cannot be
        removed: such a commit is refused before anything is written.
        """
        self._writable(scope)
        changes = list(changes)
        layers = by_layer(changes)
        if any(change.entry is None for change in layers["memory"]):
            raise UnsupportedWriteError(NO_MEMORY_DELETE)
        if not self.checks_atomically:
            for layer, group in layers.items():
                if group:
                    raise_conflicts(
                        scope, layer, group, lambda k, la=layer: self._current(scope, k, la)
                    )
        for change in changes:
            if change.entry is None:
                self.purge_if(scope, change.key, change.expected, layer=change.layer)
            else:
                entry = change.entry
                self.compare_and_set(
                    scope,
                    change.key,
                    change.expected,
                    entry.value,
                    entry.source_step,
                    layer=change.layer,
                )


def _seen(expected: MemoryEntry | bool | None) -> MemoryEntry | None:
    return None if expected is False or expected is True else expected  # type: ignore[return-value]
