"""`FileSource`: Axon's files in one directory (one base, or every base in it), watched live."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import SourceUnavailableError
from ..manager import ScopedSessionManager
from ..service import ScopeChange, ScopeService
from ..source import ScopeSource, SourceChange, SourceListener, SourceOptions, SourceState
from .naming import parse_scope_file
from .storage import FileStorage
from .watching import StoreWatcher

DEFAULT_BASE = "axon-server"
_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)

ManagerFactory = Callable[[str], ScopedSessionManager]


class FileSource(ScopeSource):
    """A base path (`dir/axon-server`), a directory of stores, or a live manager's files.

    Each base is opened exactly once, however many threads ask (opening one reads
    its global scope, seconds for a big one). `watch` runs a directory watcher
    (an atomic rename swaps the inode, so files are never watched themselves)
    and one thread that re-reads the scopes behind changed files, plus every
    scope every `reconcile_s` for what the watcher missed.
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | ScopedSessionManager | None = None,
        options: SourceOptions | None = None,
        *,
        manager_factory: ManagerFactory | None = None,
    ) -> None:
        self._factory = manager_factory or _factory(options or SourceOptions())
        self._managers: dict[str, ScopedSessionManager] = {}
        self._opening = threading.Lock()
        self.directory_mode = False
        #: The one base path given (not a directory); its manager opens in `discover`.
        self._base_path: str | None = None
        self._stop: Callable[[], None] | None = None
        #: The scope of the session file given instead of a base path, if one was.
        self.scope_given: str | None = None
        if isinstance(target, ScopedSessionManager):
            self.given = target.base_path
            self.directory = target.directory
            self._managers[target.base_path] = target
            self.pattern = FileStorage.file_pattern(target.base_name)
            return
        raw = os.fspath(target) if target is not None else DEFAULT_BASE
        #: What the user gave, for messages.
        self.given = raw
        if os.path.isdir(raw) or raw.endswith(_SEPARATORS):
            # `dir/` names a directory even before it exists (never the base name "").
            self.directory_mode = True
            self.directory = Path(raw)
            self.pattern = FileStorage.file_pattern()
            return
        parsed = parse_scope_file(os.path.basename(raw))
        if parsed is not None:
            # A store (or sidecar) file's name, there or not: open the base it belongs to,
            # not a base named after the file (`..axon-server__global.session.json__*`).
            raw = os.path.join(os.path.dirname(raw), parsed.base)
            self.scope_given = parsed.scope
        self.directory = Path(os.path.dirname(raw) or ".")
        self.pattern = FileStorage.file_pattern(os.path.basename(raw))
        self._base_path = raw

    # ── bases ──────────────────────────────────────────────────────────────

    @property
    def location(self) -> str:
        """Where we look, as the user gave it (a relative path stays relative)."""
        return os.path.join(os.fspath(self.directory), self.pattern)

    @property
    def kind(self) -> str:
        return "files"

    @property
    def where(self) -> str:
        """The directory in absolute terms, or "the current directory"."""
        absolute = self.directory.resolve()
        return "the current directory" if absolute == Path.cwd().resolve() else str(absolute)

    def check(self) -> None:
        """Refuse a directory that is missing or not a directory: it is never created."""
        directory = os.fspath(self.directory)
        if os.path.isdir(directory):
            return
        if os.path.lexists(directory):
            raise SourceUnavailableError(self.given, f"{directory} is not a directory")
        # The nearest part of the path that exists says which of the two it is.
        parent = os.path.dirname(os.path.abspath(directory))
        while parent and not os.path.lexists(parent):
            parent = os.path.dirname(parent)
        if parent and not os.path.isdir(parent):
            raise SourceUnavailableError(self.given, f"{parent} is a file, not a directory")
        raise SourceUnavailableError(self.given, f"no such directory: {directory}")

    def describe_empty(self) -> str:
        return f"No store files matching {self.pattern} in {self.where}."

    @property
    def base_names(self) -> list[str] | None:
        """The base names shown, or None in directory mode (every base in it)."""
        if self._base_path is not None:
            return [os.path.basename(self._base_path)]
        if self.directory_mode:
            return None
        return [m.base_name for m in self._managers.values()]

    def _discover(self) -> list[str]:
        found = self._open_new_bases()
        for manager in self._managers.values():
            manager.discover()
        return found

    def refresh_all(self) -> list[SourceChange]:
        """Each base's `refresh` finds its new scopes itself: the directory is listed once."""
        self._open_new_bases()
        return [
            SourceChange(base, change)
            for base, manager in self._managers.items()
            for change in manager.refresh()
        ]

    def _open_new_bases(self) -> list[str]:
        with self._opening:
            if self.directory_mode:
                names = FileStorage.bases_in(self.directory)
                bases = [str(self.directory / name) for name in names]
            else:
                bases = [self._base_path] if self._base_path is not None else []
            found = [base for base in bases if base not in self._managers]
            for base in found:
                # A new dict, not an insert: other threads may be iterating the old one.
                self._managers = {**self._managers, base: self._factory(base)}
        return found

    def services(self) -> dict[str, ScopeService]:
        return dict(self._managers)

    def label(self, base: str) -> str:
        return os.path.basename(base) or base

    # ── watching ───────────────────────────────────────────────────────────

    def _scopes_for(self, paths: set[Path]) -> tuple[dict[tuple[str, str], None], bool]:
        """The (base, scope) pairs behind changed files, and whether an unknown base showed up."""
        found: dict[tuple[str, str], None] = {}
        unknown = False
        for path in sorted(paths):
            for base, manager in self._managers.items():
                hit = manager.storage.scope_for_path(path)  # type: ignore[attr-defined]
                if hit is not None:
                    found[(base, hit[0])] = None
                    break
            else:
                unknown = True
        return found, unknown

    def _recheck(self, paths: set[Path] | None, emit: SourceListener) -> None:
        """Re-read the scopes behind `paths` (None: all of them) and report what moved."""
        if paths is None:
            for change in self.refresh_all():
                emit(change)
            return
        targets, unknown = self._scopes_for(paths)
        if unknown and self.directory_mode:
            for base in self.discover():
                for scope in self._managers[base].list_scopes():
                    emit(SourceChange(base, ScopeChange(scope, "refresh", new=True)))
            targets, _ = self._scopes_for(paths)
        for base, scope in targets:
            for change in self._managers[base].refresh(scope):
                emit(SourceChange(base, change))

    def watch(
        self,
        on_change: SourceListener,
        *,
        reconcile_s: float = 10.0,
        on_state: Callable[[SourceState], None] | None = None,
    ) -> Callable[[], None]:
        events: queue.Queue[set[Path] | None] = queue.Queue()
        stopping = threading.Event()
        watcher = StoreWatcher(self.directory, events.put, base_names=self.base_names)

        def run() -> None:
            due = time.monotonic()  # Catch up at once with what changed before.
            while not stopping.is_set():
                try:
                    paths = events.get(timeout=max(0.0, due - time.monotonic()))
                except queue.Empty:
                    paths = None
                if stopping.is_set():
                    break
                if paths is None:
                    due = time.monotonic() + reconcile_s
                else:
                    while not events.empty():  # One pass for a burst of events.
                        more = events.get_nowait()
                        if more is not None:
                            paths |= more
                self._recheck(paths, on_change)

        thread = threading.Thread(target=run, name="source-recheck", daemon=True)
        watcher.start()
        thread.start()
        if on_state is not None:
            on_state(SourceState(connected=True, live="watching files"))

        def stop() -> None:
            stopping.set()
            events.put(set())
            watcher.stop()
            thread.join(timeout=2)

        return stop


def _factory(options: SourceOptions) -> ManagerFactory:
    given = {
        name: value
        for name, value in (
            ("clock", options.clock),
            ("max_value_bytes", options.max_value_bytes),
            ("max_file_bytes", options.max_file_bytes),
            ("lock_timeout", options.lock_timeout),
        )
        if value is not None
    }

    def open_manager(base: str) -> ScopedSessionManager:
        return ScopedSessionManager(base, read_only=options.read_only, **given)  # type: ignore[arg-type]

    return open_manager
