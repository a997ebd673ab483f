"""Entries as Redis values: each one Axon's JSON object, compact (UTF-8, deterministic).

Any string an entry can hold round-trips (entries are checked to be valid UTF-8
before they are stored; Axon's format cannot hold lone surrogates either). A
whole hash decodes in one call by joining its values into one JSON array.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

import msgspec

from ..entry import MemoryEntry

_encoder = msgspec.json.Encoder()
_one = msgspec.json.Decoder(MemoryEntry)
_many = msgspec.json.Decoder(list[MemoryEntry])
_keys = msgspec.json.Decoder(list[str])
_key_of = attrgetter("key")


class BadEntry(Exception):
    """Internal: a stored value that is not an entry, or not the entry of its field."""


def encode_entry(entry: MemoryEntry) -> bytes:
    return _encoder.encode(entry)


def encode_entries(entries: Sequence[MemoryEntry]) -> bytes:
    return _encoder.encode(list(entries))


def decode_entry(field: bytes, data: bytes) -> MemoryEntry:
    try:
        entry = _one.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise BadEntry(f"the value of field {_shown(field)} is not an entry: {exc}") from None
    if entry.key.encode("utf-8") != field:
        raise BadEntry(f"field {_shown(field)} holds the entry of key {entry.key!r}")
    return entry


def decode_memory(data: bytes) -> list[MemoryEntry]:
    try:
        return _many.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise BadEntry(f"not a list of entries: {exc}") from None


def decode_keys(data: bytes) -> list[str]:
    return _keys.decode(data)


def decode_fields(fields: list[bytes], values: list[bytes]) -> dict[str, MemoryEntry]:
    """Every field's entry, by key, in one decode; each must be the entry of its own field."""
    if not fields:
        return {}
    try:
        entries = _many.decode(b"[" + b",".join(values) + b"]")
    except (msgspec.DecodeError, UnicodeDecodeError):
        entries = None
    if entries is not None and len(entries) == len(fields):
        keys = list(map(_key_of, entries))
        try:
            names = list(map(bytes.decode, fields))
        except UnicodeDecodeError:
            names = None
        if names == keys:
            return dict(zip(keys, entries, strict=True))
    # Something is wrong: find the first field that is, for the message.
    for field, value in zip(fields, values, strict=True):
        decode_entry(field, value)
    raise BadEntry("the stored entries do not decode as one list")


def _shown(field: bytes) -> str:
    text = field.decode("utf-8", "backslashreplace")
    return repr(text if len(text) <= 60 else text[:57] + "...")
