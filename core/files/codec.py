"""Decode and encode Axon's store file: a JSON array of four-field objects."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import msgspec

from ..entry import MemoryEntry

_decoder = msgspec.json.Decoder(list[MemoryEntry])
_encoder = msgspec.json.Encoder()


class DecodeFailure(Exception):
    """Internal: `torn` tells a file caught mid-write (worth a retry) from a broken one."""

    def __init__(self, reason: str, *, torn: bool) -> None:
        self.reason = reason
        self.torn = torn
        super().__init__(reason)


def decode_entries(data: bytes) -> list[MemoryEntry]:
    """Decode strictly as Axon's loader does; every failure becomes a `DecodeFailure`.

    Only an empty file or one that ends too soon is `torn`: a writer may still be
    filling it. A whole file that is malformed stays so, and re-reading it only waits.
    """
    if not data.strip():
        raise DecodeFailure("the file is empty", torn=True)
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise DecodeFailure(f"wrong shape: {exc}", torn=False) from None
    except msgspec.DecodeError as exc:
        raise DecodeFailure(f"not valid JSON: {exc}", torn="truncated" in str(exc)) from None
    except UnicodeDecodeError as exc:
        raise DecodeFailure(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}", torn=False
        ) from None
    except RecursionError:
        raise DecodeFailure("nesting too deep to decode", torn=False) from None


def cut_short(data: bytes) -> bool:
    """Whether `data` opens a JSON array but does not close one: a file caught mid-write.

    Looks at both ends only, so it is free next to a decode. A file that passes may
    still be broken; one that fails is broken for sure, and decoding it would only
    say where.
    """
    head = data[:64].lstrip() or data.lstrip()
    if head[:1] != b"[":
        return False
    tail = data[-64:].rstrip() or data.rstrip()
    return tail[-1:] != b"]"


def entries_by_key(entries: Iterable[MemoryEntry]) -> dict[str, MemoryEntry]:
    """Index by key; a later duplicate wins, as in Axon's loader."""
    return {entry.key: entry for entry in entries}


def encode_entries(entries: list[MemoryEntry]) -> bytes:
    """Axon's pretty layout: two-space indent, UTF-8 unescaped, no trailing newline."""
    return msgspec.json.format(_encoder.encode(entries), indent=2)


_OPEN, _SEP, _CLOSE = b"[\n", b",\n", b"\n]"
#: Between two entries of the pretty layout. A raw newline cannot occur inside a JSON
#: string, so this sequence only ever appears at entry boundaries.
_BOUNDARY = b"\n  },\n  {\n"


def _encode_one(entry: MemoryEntry) -> bytes:
    """One entry exactly as it appears inside the pretty array ("  {\\n ...\\n  }")."""
    return encode_entries([entry])[len(_OPEN) : -len(_CLOSE)]


def _split(data: bytes, count: int) -> list[bytes]:
    body = data[len(_OPEN) : -len(_CLOSE)]
    parts = body.split(_BOUNDARY)
    if len(parts) != count:
        raise AssertionError("pretty layout did not split into one part per entry")
    last = len(parts) - 1
    return [
        (b"" if i == 0 else b"  {\n") + part + (b"" if i == last else b"\n  }")
        for i, part in enumerate(parts)
    ]


class EncodedImage:
    """The store file as sorted keys and each entry's encoded bytes, kept between flushes.

    Flushing one changed key into a big scope then encodes that one entry and
    joins the rest: no sort, no re-encode, no pass over the entries in Python.
    """

    def __init__(self, entries: dict[str, MemoryEntry]) -> None:
        self.keys = sorted(entries)
        ordered = [entries[key] for key in self.keys]
        self.chunks = _split(encode_entries(ordered), len(ordered)) if ordered else []

    def set(self, entry: MemoryEntry) -> None:
        index = bisect.bisect_left(self.keys, entry.key)
        chunk = _encode_one(entry)
        if index < len(self.keys) and self.keys[index] == entry.key:
            self.chunks[index] = chunk
        else:
            self.keys.insert(index, entry.key)
            self.chunks.insert(index, chunk)

    def remove(self, key: str) -> None:
        index = bisect.bisect_left(self.keys, key)
        if index < len(self.keys) and self.keys[index] == key:
            del self.keys[index]
            del self.chunks[index]

    def data(self) -> bytes:
        if not self.chunks:
            return b"[]"
        return _OPEN + _SEP.join(self.chunks) + _CLOSE
