"""The peer a Textual user would write first: the built-in `DataTable`, every row added.

`python -m bench.datatable_peer FILE [--headless]`: with `--headless` it prints
`ready` once a frame with rows has been drawn, then exits (the harness times it).
"""

from __future__ import annotations

import json
import sys

from textual.app import App, ComposeResult
from textual.widgets import DataTable


class DataTablePeer(App[None]):
    def __init__(self, path: str, headless: bool) -> None:
        super().__init__()
        self.path = path
        self.report = headless

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "value", "timestamp", "source_step")
        with open(self.path, encoding="utf-8") as handle:
            entries = json.load(handle)
        table.add_rows(
            (e["key"], e["value"], str(e["timestamp"]), e["source_step"]) for e in entries
        )
        if self.report:
            self.call_after_refresh(self.ready)

    def ready(self) -> None:
        print("ready", flush=True)
        self.exit()


def main() -> None:
    headless = "--headless" in sys.argv
    path = next(a for a in sys.argv[1:] if not a.startswith("--"))
    app = DataTablePeer(path, headless)
    if headless:
        app.run(headless=True, size=(120, 36))
    else:
        app.run()


if __name__ == "__main__":
    main()
