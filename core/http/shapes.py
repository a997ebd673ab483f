"""AxonServer's answers, parsed strictly: what does not have the expected shape is refused.

Each parser takes the body of one answer and returns plain values, or raises
`SourceUnavailableError("… is not an AxonServer: …")` so that nothing is applied.
Unknown fields are ignored (a newer server may add some); missing or mistyped ones
are not. Shapes are AxonServer's (`axon_server.rs`), plus our server's `entry` in a
write answer and `actual` in a 409.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from ..entry import MemoryEntry, Timestamp
from ..errors import SourceUnavailableError


class ScopeCount(msgspec.Struct, frozen=True):
    scope: str
    memory_count: int
    store_count: int
    #: Why the scope's stored data cannot be read: our server says so; AxonServer never does.
    unreadable: str | None = None


class Summary(msgspec.Struct, frozen=True):
    """`GET /v1/session`."""

    scope_count: int
    total_memory_count: int
    total_store_count: int
    scopes: list[ScopeCount]


class ExportEntry(msgspec.Struct, frozen=True):
    scope: str
    layer: str
    key: str
    value: str
    timestamp: Timestamp
    source_step: str


class Export(msgspec.Struct, frozen=True):
    """`GET /v1/session/{scope}/export`: Axon lists the memory layer only."""

    scope: str
    count: int
    entries: list[ExportEntry]


class Query(msgspec.Struct, frozen=True):
    """`POST /v1/session/query`: store entries matching the query (all for "")."""

    query: str
    scope: str
    count: int
    entries: list[MemoryEntry]


class Lookup(msgspec.Struct, frozen=True):
    """`GET /v1/session/recall|retrieve/{key}`."""

    found: bool
    key: str
    scope: str
    value: str | None = None
    timestamp: Timestamp | None = None
    source_step: str | None = None


class Written(msgspec.Struct, frozen=True):
    """A write's answer; `entry` only from a server that advertises it."""

    success: bool
    key: str
    scope: str
    flushed: bool | None = None
    entry: MemoryEntry | None = None


class Conflict(msgspec.Struct, frozen=True):
    """A 409 from a server with compare-and-set: what the key holds now."""

    key: str
    scope: str
    actual: MemoryEntry | None = None


class Failure(msgspec.Struct, frozen=True):
    error: str
    message: str = ""


class EventData(msgspec.Struct, frozen=True):
    """The `data:` of one `session.*` event."""

    topic: str
    timestamp: int
    payload: dict[str, Any] = {}
    source: str = ""


T = TypeVar("T")


def parse(body: bytes, kind: type[T], location: str, what: str) -> T:
    """`body` as `kind`, or `SourceUnavailableError` saying this is not an AxonServer."""
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        start = body[:64].lstrip().lower()
        if start.startswith((b"<!doctype", b"<html", b"<")):
            reason = f"{what} answered an HTML page, not JSON"
        else:
            reason = f"{what} answered {_first_line(str(exc))}"
        raise SourceUnavailableError(location, f"is not an AxonServer: {reason}") from None


def lookup_entry(lookup: Lookup, location: str, what: str) -> MemoryEntry | None:
    """A found lookup's entry (all three fields present), None when not found."""
    if not lookup.found:
        return None
    if lookup.value is None or lookup.timestamp is None or lookup.source_step is None:
        raise SourceUnavailableError(
            location, f"is not an AxonServer: {what} says found without the entry"
        )
    return MemoryEntry(lookup.key, lookup.value, lookup.timestamp, lookup.source_step)


def failure_of(body: bytes) -> Failure | None:
    """A JSON error answer (Axon sends an empty body for 401/403/429), else None."""
    try:
        return msgspec.json.decode(body, type=Failure)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def error_reason(failure: Failure | None) -> str:
    """The `error` of a JSON error answer, or ""."""
    return "" if failure is None else _first_line(failure.error)[:300]


def unreadable_reason(failure: Failure | None) -> str | None:
    """Why a scope cannot be read, when the answer is our server's `store_unreadable`."""
    if failure is None or failure.error != "store_unreadable":
        return None
    return _first_line(failure.message)[:300] if failure.message.strip() else "unreadable"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "nothing"
