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


class Chunk:
    """One hash reply (field, value, field, value…) joined for one decode.

    Its values become one JSON array and its fields one NUL-joined string, each in
    a single copy: wrapping a joined array in brackets afterwards would copy the
    whole reply twice more, the largest cost of reading a big scope here.
    """

    __slots__ = ("array", "fields", "names", "values")

    def __init__(self, flat: Sequence[bytes]) -> None:
        self.fields = flat[0::2]
        self.values = flat[1::2]
        parts = list(self.values)
        if parts:
            parts[0] = b"[" + parts[0]
            parts[-1] = parts[-1] + b"]"  # The same part as the first when there is one.
        self.array = b",".join(parts) if parts else b"[]"
        self.names = b"\0".join(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    @property
    def size(self) -> int:
        """Its fields' and values' bytes, counted from the joins (no pass over the parts)."""
        count = len(self.fields)
        if not count:
            return 0
        return len(self.array) - 2 - (count - 1) + len(self.names) - (count - 1)


def decode_chunk_into(entries: dict[str, MemoryEntry], chunk: Chunk) -> None:
    """Every field's entry into `entries`, by key, in one decode; each must be the entry of
    its own field."""
    if not chunk:
        return
    try:
        decoded = _many.decode(chunk.array)
    except (msgspec.DecodeError, UnicodeDecodeError):
        decoded = None
    if decoded is not None and len(decoded) == len(chunk):
        keys = list(map(_key_of, decoded))
        if _same_names(chunk, keys):
            entries.update(zip(keys, decoded, strict=True))
            return
    # Something is wrong: find the first field that is, for the message.
    for field, value in zip(chunk.fields, chunk.values, strict=True):
        decode_entry(field, value)
    raise BadEntry("the stored entries do not decode as one list")


def _same_names(chunk: Chunk, keys: list[str]) -> bool:
    """Whether each field is its key in UTF-8, compared as two joined strings (in C).

    Joined with NUL: when no field holds one, both sides split back into the same
    parts, so equal joins mean equal names one by one.
    """
    if chunk.names.count(b"\0") != len(chunk) - 1:
        return list(chunk.fields) == [key.encode("utf-8", "surrogatepass") for key in keys]
    try:
        return chunk.names == "\0".join(keys).encode("utf-8")
    except UnicodeEncodeError:  # A lone surrogate: never a field's name.
        return False


def _shown(field: bytes) -> str:
    text = field.decode("utf-8", "backslashreplace")
    return repr(text if len(text) <= 60 else text[:57] + "...")
