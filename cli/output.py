"""Output: human tables on a terminal; `--json`, `--jsonl` and `--csv` for pipes.

A table shows stored text safely: control and invisible characters (escapes that
would talk to the terminal, bidi overrides, zero-width characters) are shown as
codes, and long cells are cut to the terminal's width. Machine formats carry
the exact text.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: C0/C1 controls, DEL, format characters (bidi, zero-width, tags), line and paragraph
#: separators, lone surrogates, the braille blank and the variation selectors.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\ud800-\udfff\U000e0000-\U000e0fff]"
)
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e"}


def safe(text: object) -> str:
    """Text for a terminal: what could steer it or hide itself is shown as a code."""
    value = str(text)
    if not _UNSAFE.search(value):
        return value
    return _UNSAFE.sub(lambda m: _NAMED.get(m.group(), f"<U+{ord(m.group()):04X}>"), value)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def format_options(*formats: str) -> Callable[[F], F]:
    """`--json`, `--jsonl`, `--csv` (those named), one output format in `fmt`."""
    helps = {
        "json": "one JSON document",
        "jsonl": "JSON lines, one object per line",
        "csv": "CSV with a header row",
    }

    def decorate(func: F) -> F:
        for name in reversed(formats):
            func = click.option(f"--{name}", "fmt", flag_value=name, help=helps[name])(func)
        return func

    return decorate


def when(timestamp: int) -> str:
    """A store timestamp (seconds) as UTC time for people."""
    from datetime import UTC, datetime

    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, wide: int = -1) -> None:
    """Aligned columns; on a terminal column `wide` is cut to fit its width."""
    cells = [[safe(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    if is_terminal() and cells:
        import shutil

        columns = shutil.get_terminal_size().columns
        index = wide % len(headers)
        others = sum(w for i, w in enumerate(widths) if i != index) + 2 * (len(headers) - 1)
        room = max(10, columns - others)
        if widths[index] > room:
            widths[index] = room
            for row in cells:
                if len(row[index]) > room:
                    row[index] = row[index][: room - 1] + "…"
    last = len(headers) - 1

    def line(row: Sequence[str]) -> str:
        return "  ".join(c if i == last else c.ljust(widths[i]) for i, c in enumerate(row))

    out = [line(list(headers))] + [line(row) for row in cells]
    write("\n".join(s.rstrip() for s in out) + "\n")


def json_document(document: object) -> None:
    write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def json_lines(objects: Iterable[object]) -> None:
    for item in objects:
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def csv_rows(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    write(buffer.getvalue())


def emit(
    fmt: str,
    headers: Sequence[str],
    records: Sequence[dict[str, Any]],
    *,
    document: object = None,
) -> None:
    """Write `records` (dicts keyed by `headers`) as `--json`, `--jsonl` or `--csv`.

    `document` is what `--json` prints (default: the list of records).
    """
    if fmt == "json":
        json_document(records if document is None else document)
    elif fmt == "jsonl":
        json_lines(records)
    else:
        csv_rows(headers, ([r[h] for h in headers] for r in records))
