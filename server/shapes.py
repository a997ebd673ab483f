"""Entries to and from AxonServer's JSON, and request bodies read strictly.

Bodies are read as Axon's axum handlers read them: a body that is not JSON is
400, JSON of the wrong shape (a missing `key`, a number for `value`) is 422, a
body without a JSON content type is 415; unknown fields are ignored, `scope`
defaults to `"global"` and `source_step` to `"api"`. Stricter than serde only
where Python's parser is laxer: duplicate fields, `NaN` and bytes that are not
UTF-8 are refused too. The optional `expected` (compare-and-set) is ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from axon_scopes.core import MemoryEntry, ScopedEntry

DEFAULT_SCOPE = "global"
DEFAULT_STEP = "api"


class Missing:
    """`expected` not given: an unconditional write, as in Axon."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()
Expected = MemoryEntry | None | Missing


class BadRequest(Exception):
    """A request refused before anything is done; `status` and a code for the answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class WriteRequest:
    scope: str
    key: str
    value: str
    source_step: str
    expected: Expected = MISSING


@dataclass(frozen=True, slots=True)
class PurgeRequest:
    scope: str
    key: str
    expected: Expected = MISSING


@dataclass(frozen=True, slots=True)
class QueryRequest:
    scope: str
    query: str


# ── reading bodies ─────────────────────────────────────────────────────────


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise BadRequest(400, "invalid_json", f"field {name!r} is given twice")
        found[name] = value
    return found


def _no_constant(name: str) -> Any:
    raise BadRequest(400, "invalid_json", f"{name} is not a JSON number")


def parse_object(body: bytes, content_type: str) -> dict[str, Any]:
    """The body as a JSON object, or `BadRequest`."""
    if content_type != "application/json" and not (
        content_type.startswith("application/") and content_type.endswith("+json")
    ):
        raise BadRequest(415, "unsupported_media_type", "send the body as application/json")
    try:
        text = body.decode("utf-8")
        document = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise BadRequest(400, "invalid_json", f"the body is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        message = f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise BadRequest(400, "invalid_json", message) from None
    if not isinstance(document, dict):
        raise BadRequest(422, "invalid_body", "the body must be a JSON object")
    return document


def _text(document: dict[str, Any], name: str, default: str | None = None) -> str:
    if name not in document:
        if default is None:
            raise BadRequest(422, "invalid_body", f"missing field {name!r}")
        return default
    value = document[name]
    if not isinstance(value, str):
        kind = "null" if value is None else type(value).__name__
        raise BadRequest(422, "invalid_body", f"field {name!r} must be a string, not {kind}")
    return value


def _expected(document: dict[str, Any]) -> Expected:
    if "expected" not in document:
        return MISSING
    given = document["expected"]
    if given is None:
        return None
    if not isinstance(given, dict):
        raise BadRequest(422, "invalid_body", "field 'expected' must be null or an object")
    value = _text(given, "value")
    source_step = _text(given, "source_step")
    timestamp = given.get("timestamp")
    if (
        isinstance(timestamp, bool)
        or not isinstance(timestamp, int)
        or not (0 <= timestamp < 2**63)
    ):
        raise BadRequest(
            422, "invalid_body", "field 'expected.timestamp' must be a whole number of seconds"
        )
    return MemoryEntry(_text(document, "key"), value, timestamp, source_step)


def write_request(body: bytes, content_type: str) -> WriteRequest:
    document = parse_object(body, content_type)
    return WriteRequest(
        scope=_text(document, "scope", DEFAULT_SCOPE),
        key=_text(document, "key"),
        value=_text(document, "value"),
        source_step=_text(document, "source_step", DEFAULT_STEP),
        expected=_expected(document),
    )


def purge_request(body: bytes, content_type: str) -> PurgeRequest:
    document = parse_object(body, content_type)
    return PurgeRequest(
        scope=_text(document, "scope", DEFAULT_SCOPE),
        key=_text(document, "key"),
        expected=_expected(document),
    )


def query_request(body: bytes, content_type: str) -> QueryRequest:
    document = parse_object(body, content_type)
    return QueryRequest(
        scope=_text(document, "scope", DEFAULT_SCOPE), query=_text(document, "query")
    )


# ── answers ────────────────────────────────────────────────────────────────


def entry_json(entry: MemoryEntry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "value": entry.value,
        "timestamp": entry.timestamp,
        "source_step": entry.source_step,
    }


def lookup(scope: str, key: str, entry: MemoryEntry | None) -> dict[str, Any]:
    """`recall` / `retrieve`: the entry with `found: true`, or `found: false`."""
    if entry is None:
        return {"found": False, "key": key, "scope": scope}
    return {"found": True, **entry_json(entry), "scope": scope}


def query_answer(query: str, scope: str, entries: list[MemoryEntry]) -> dict[str, Any]:
    rows = [entry_json(entry) for entry in entries]
    return {"query": query, "scope": scope, "count": len(rows), "entries": rows}


def matching(entries: Iterable[MemoryEntry], query: str) -> list[MemoryEntry]:
    """Axon's `retrieve_query`: key or value contains `query`, ignoring case; by key."""
    needle = query.lower()
    found = [e for e in entries if needle in e.key.lower() or needle in e.value.lower()]
    return sorted(found, key=lambda e: e.key)


def conflict(scope: str, key: str, actual: MemoryEntry | None) -> dict[str, Any]:
    """The 409 answer of a compare-and-set that found something else."""
    return {
        "success": False,
        "error": "conflict",
        "key": key,
        "scope": scope,
        "actual": entry_json(actual) if actual is not None else None,
    }


def scoped(scope: str, entries: Iterable[MemoryEntry], layer: str = "memory") -> list[ScopedEntry]:
    return [
        ScopedEntry(scope, layer, e.key, e.value, e.timestamp, e.source_step)  # type: ignore[arg-type]
        for e in sorted(entries, key=lambda e: e.key)
    ]


def export_csv(entries: list[ScopedEntry]) -> str:
    """Axon's CSV exactly: only the value is quoted (its `"` doubled), other fields as they are."""
    lines = ["scope,layer,key,value,timestamp,source_step\n"]
    for e in entries:
        value = e.value.replace('"', '""')
        lines.append(f'{e.scope},{e.layer},{e.key},"{value}",{e.timestamp},{e.source_step}\n')
    return "".join(lines)


def error(code: str, message: str) -> dict[str, Any]:
    """The error shape Axon's JSON errors use: `{"success": false, "error", "message"}`."""
    return {"success": False, "error": code, "message": message}
