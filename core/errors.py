"""Typed errors: callers (and the TUI) branch on the kind, users read the message."""

from __future__ import annotations

from pathlib import Path

from .entry import MemoryEntry


def _place(where: Path | str) -> Path | str:
    """A file's path as a `Path`; a URL (`redis://…`) stays as it is."""
    return where if isinstance(where, str) and "://" in where else Path(where)


class ScopeError(Exception):
    """Base class of every error `core` raises on purpose."""


class InvalidScopeNameError(ScopeError, ValueError):
    """A scope name that could escape the base directory or cannot be a file name."""

    def __init__(self, scope: str, reason: str) -> None:
        self.scope = scope
        self.reason = reason
        super().__init__(f"invalid scope name {scope!r}: {reason}")


class ScopeCollisionError(InvalidScopeNameError):
    """Two scope names that Axon's naming rule maps onto the same file."""


class InvalidEntryError(ScopeError, ValueError):
    """A key, value or source_step that Axon's strict loader could not read back."""


class ValueTooLargeError(InvalidEntryError):
    """A value over the configured size limit: refused before it can freeze a viewer."""

    def __init__(self, key: str, size: int, limit: int) -> None:
        self.key = key
        self.size = size
        self.limit = limit
        super().__init__(
            f"value for key {key!r} is {size:,} bytes, over the limit of {limit:,} bytes"
        )


class StoreUnreadableError(ScopeError):
    """A store file that exists but cannot be decoded; its bytes are left untouched."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = _place(path)
        self.reason = reason
        #: The storage's version of what was refused (see `StoreBackend.load`), if known.
        self.version: object | None = None
        super().__init__(f"cannot read {self.path}: {reason}")


class ScopeReadOnlyError(ScopeError):
    """A write to a scope whose stored data is unreadable: writing would destroy it."""

    def __init__(self, scope: str, cause: StoreUnreadableError) -> None:
        self.scope = scope
        self.cause = cause
        super().__init__(
            f"scope {scope!r} is not writable because its stored data is unreadable "
            f"({cause.reason}); fix or move {cause.path} and reload"
        )


class ReadOnlyServiceError(ScopeError):
    """A write to a service opened read-only: nothing is ever written through it."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(f"scope {scope!r} was opened read-only, so nothing can be changed")


class SourceUnavailableError(ScopeError, ConnectionError):
    """The source cannot be reached or refused us (down, wrong password, not what it claims).

    The message is for people and never holds a password; nothing was written.
    """

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"{location}: {reason}")


class TokenRequiredError(SourceUnavailableError):
    """A server that wants a bearer token (401), or refused the one given for reading (403).

    The message never holds the token; a caller may ask for one and open the source again.
    """


class WriteForbiddenError(ReadOnlyServiceError):
    """A server refused a write with this token (403): the service is read-only from now on."""

    def __init__(self, scope: str, reason: str) -> None:
        self.scope = scope
        self.reason = reason
        ScopeError.__init__(self, reason)


class UnsupportedWriteError(ScopeError):
    """A write the source has no way to make (AxonServer cannot delete a memory entry)."""


class FlushError(ScopeError, OSError):
    """A flush that failed; the file on disk is unchanged and the store stays dirty."""

    def __init__(self, path: Path | str, reason: str, errno_: int | None = None) -> None:
        self.path = _place(path)
        self.reason = reason
        super().__init__(errno_, f"cannot write {self.path}: {reason}")

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


def _shown(entry: MemoryEntry | None) -> str:
    if entry is None:
        return "no entry"
    value = entry.value if len(entry.value) <= 60 else entry.value[:57] + "..."
    return f"{value!r} (t={entry.timestamp}, step {entry.source_step!r})"


class WriteConflictError(ScopeError):
    """A checked write whose key no longer holds what the caller saw; nothing was written.

    `expected` and `actual` are the first conflicting key's entries (None: absent);
    `conflicts` lists every conflicting key of the write as `(key, expected, actual)`.
    """

    def __init__(
        self,
        scope: str,
        key: str,
        expected: MemoryEntry | None,
        actual: MemoryEntry | None,
        *,
        layer: str = "store",
        conflicts: tuple[tuple[str, MemoryEntry | None, MemoryEntry | None], ...] = (),
    ) -> None:
        self.scope = scope
        self.key = key
        self.expected = expected
        self.actual = actual
        self.layer = layer
        self.conflicts = conflicts or ((key, expected, actual),)
        more = len(self.conflicts) - 1
        extra = f" (and {more} more key{'s' if more > 1 else ''})" if more else ""
        super().__init__(
            f"{layer} entry {key!r} in scope {scope!r} changed since it was read{extra}: "
            f"expected {_shown(expected)}, found {_shown(actual)}; nothing was written"
        )
