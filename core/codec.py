"""Decode and encode Axon's store file: a JSON array of four-field objects."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from .entry import MemoryEntry

_decoder = msgspec.json.Decoder(list[MemoryEntry])
_encoder = msgspec.json.Encoder()


class DecodeFailure(Exception):
    """Internal: `torn` tells a truncated/garbled file (worth a retry) from a wrong shape."""

    def __init__(self, reason: str, *, torn: bool) -> None:
        self.reason = reason
        self.torn = torn
        super().__init__(reason)


def decode_entries(data: bytes) -> list[MemoryEntry]:
    """Decode strictly as Axon's loader does; every failure becomes a `DecodeFailure`."""
    if not data.strip():
        raise DecodeFailure("the file is empty", torn=True)
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise DecodeFailure(f"wrong shape: {exc}", torn=False) from None
    except msgspec.DecodeError as exc:
        raise DecodeFailure(f"not valid JSON: {exc}", torn=True) from None
    except UnicodeDecodeError as exc:
        raise DecodeFailure(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}", torn=True
        ) from None
    except RecursionError:
        raise DecodeFailure("nesting too deep to decode", torn=False) from None


def entries_by_key(entries: Iterable[MemoryEntry]) -> dict[str, MemoryEntry]:
    """Index by key; a later duplicate wins, as in Axon's loader."""
    return {entry.key: entry for entry in entries}


def encode_entries(entries: list[MemoryEntry]) -> bytes:
    """Axon's pretty layout: two-space indent, UTF-8 unescaped, no trailing newline."""
    return msgspec.json.format(_encoder.encode(entries), indent=2)
