"""AxonServer's export formats: its JSON document and its CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict

from .entry import ScopedEntry

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
