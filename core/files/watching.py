"""Watches store directories and reports which store files to re-check.

The directory is watched, never the files: an atomic `os.replace` swaps the
inode, which ends a watch on the file itself. Every event (added, modified,
deleted) only means "re-check this file"; the reader decides what happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .naming import parse_scope_file

if TYPE_CHECKING:
    import watchfiles

#: Measured: debounce=50, step=10 delivers a change in ~14 ms median at ~0.5 % idle CPU.
DEBOUNCE_MS = 50
STEP_MS = 10


def is_store_file(name: str, base_names: Iterable[str] | None) -> bool:
    """Store files and published-memory sidecars as Axon names them; never temp or lock files."""
    if base_names is None:
        return parse_scope_file(name) is not None
    return any(parse_scope_file(name, base) is not None for base in base_names)


class StoreWatcher:
    """A watchfiles loop on a thread; `on_change` gets sets of paths (called on that thread)."""

    def __init__(
        self,
        directory: Path,
        on_change: Callable[[set[Path]], None],
        *,
        base_names: Iterable[str] | None = None,
    ) -> None:
        self.directory = directory
        self._on_change = on_change
        self._bases = None if base_names is None else tuple(base_names)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()

    def _filter(self, _change: watchfiles.Change, path: str) -> bool:
        return is_store_file(Path(path).name, self._bases)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="store-watcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import watchfiles  # Loaded on this thread, once the app is up.

        if not self.directory.is_dir():
            return
        self.ready.set()
        for batch in watchfiles.watch(
            self.directory,
            watch_filter=self._filter,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=self._stop,
            recursive=False,
            raise_interrupt=False,
            rust_timeout=500,
            yield_on_timeout=False,
        ):
            if self._stop.is_set():
                break
            paths = {Path(path) for _change, path in batch}
            if paths:
                self._on_change(paths)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
