"""Sizes as people write and read them: `64MiB` in, `1.5 TiB` out (powers of 1024)."""

from __future__ import annotations

import re

#: The most a scope may hold (a file's size, a Redis hash's keys and values) to be read.
DEFAULT_MAX_FILE_BYTES = 1 << 30

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*", re.IGNORECASE)


def size_text(size: int) -> str:
    """`1.5 TiB`, `1 GiB`, `150 bytes`: sizes in reasons people read."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            break
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def parse_size(text: str) -> int:
    """`1500`, `64MiB`, `1.5 GiB`, `2g`: a size in bytes (units are powers of 1024)."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (try 512MiB or 2GiB)")
    number, unit = match.groups()
    size = int(float(number) * 1024 ** " kmgtp".index(unit.lower() or " "))
    if size < 1:
        raise ValueError(f"the size must be at least 1 byte, not {text!r}")
    return size
