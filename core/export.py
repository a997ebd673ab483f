"""AxonServer's export formats (its JSON document and its CSV), and writing an export file.

An export file holds everything a scope stores, so it is written whole or not at
all, private, and never through a planted symlink: it gets the store file's
permission bits (0600 when there is no file yet), never the umask's 0644, through
the same atomic write as the store (a temp file in the same directory, then a
rename, which replaces a symlink at the destination instead of writing through
it). A file already there is given the export's mode first, since the atomic
write keeps the mode of the file it replaces; one with other (hard-linked) names
is unlinked instead, so that nothing else changes mode.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from .entry import ScopedEntry
from .files.atomic import NEW_FILE_MODE, atomic_write

EXPORT_FIELDS = ("scope", "layer", "key", "value", "timestamp", "source_step")


def export_json(scope: str, entries: Iterable[ScopedEntry]) -> str:
    """AxonServer's export shape: `{"scope", "count", "entries": [...]}`."""
    rows = [asdict(e) for e in entries]
    document = {"scope": scope, "count": len(rows), "entries": rows}
    return json.dumps(document, ensure_ascii=False, indent=2)


def export_csv(entries: Iterable[ScopedEntry], *, neutralize_formulas: bool = False) -> str:
    """CSV with AxonServer's header, quoted so commas, quotes and newlines survive.

    `neutralize_formulas` prefixes `'` to every text cell a spreadsheet would run
    as a formula (OWASP's rule: it starts with `=`, `+`, `-`, `@`, tab or CR).
    Off by default, since it changes the data (`-5` becomes `'-5`).
    """
    formula_starts = ("=", "+", "-", "@", "\t", "\r")

    def cell(text: str) -> str:
        if neutralize_formulas and text.startswith(formula_starts):
            return "'" + text
        return text

    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(EXPORT_FIELDS)
    for e in entries:
        fields = (e.scope, e.layer, e.key, e.value, e.timestamp, e.source_step)
        writer.writerow([cell(f) if isinstance(f, str) else f for f in fields])
    return buffer.getvalue()


def export_mode(store_path: Path) -> int:
    """The store file's permission bits, or 0600 when it does not exist (yet)."""
    try:
        return stat.S_IMODE(os.stat(store_path).st_mode)
    except OSError:
        return NEW_FILE_MODE


def write_export(path: Path, text: str, mode: int) -> None:
    """Replace `path` with `text` (UTF-8) as one new file with `mode`."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISLNK(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink > 1):
            # The name only: what a symlink points to, or the file's other names, keep
            # their bytes and mode.
            os.unlink(path)
        elif stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) != mode:
            os.chmod(path, mode)
    atomic_write(path, text.encode("utf-8"))
