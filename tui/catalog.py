"""What the app is pointed at: one base path, a directory of stores, or a live manager."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from axon_scopes.core import ScopedSessionManager

DEFAULT_BASE = "axon-server"


@dataclass(frozen=True, slots=True)
class ScopeRef:
    """A scope of one store: `base` tells stores apart when a directory holds several."""

    base: str
    scope: str


class Catalog:
    """The managers the app shows, one per base name, keyed by the base path string."""

    def __init__(
        self,
        target: str | os.PathLike[str] | ScopedSessionManager | None = None,
        *,
        manager_factory: Callable[[str], ScopedSessionManager] | None = None,
    ) -> None:
        self._factory = manager_factory or ScopedSessionManager
        self.managers: dict[str, ScopedSessionManager] = {}
        #: Opening a manager reads its global scope (seconds for a big one), and both the
        #: first scan and the periodic re-check may ask: each base is opened exactly once.
        self._opening = threading.Lock()
        self.directory_mode = False
        #: The one base path given (not a directory); its manager opens in `discover`.
        self._base_path: str | None = None
        if isinstance(target, ScopedSessionManager):
            self.directory = target.directory
            self.managers[target.base_path] = target
            self.pattern = ScopedSessionManager.file_pattern(target.base_name)
            return
        raw = os.fspath(target) if target is not None else DEFAULT_BASE
        if os.path.isdir(raw):
            self.directory_mode = True
            self.directory = Path(raw)
            self.pattern = ScopedSessionManager.file_pattern()
        else:
            self.directory = Path(os.path.dirname(raw) or ".")
            base = os.path.basename(raw)
            self.pattern = ScopedSessionManager.file_pattern(base)
            self._base_path = raw

    @property
    def location(self) -> str:
        """Where the app looks, as the user gave it (a relative path stays relative)."""
        return os.path.join(os.fspath(self.directory), self.pattern)

    @property
    def where(self) -> str:
        """The directory in absolute terms, or "the current directory"."""
        absolute = self.directory.resolve()
        return "the current directory" if absolute == Path.cwd().resolve() else str(absolute)

    @property
    def base_names(self) -> list[str] | None:
        """The one base name shown, or None in directory mode (every base in it)."""
        if self._base_path is None:
            return None if self.directory_mode else [m.base_name for m in self.managers.values()]
        return [os.path.basename(self._base_path)]

    def discover(self) -> list[str]:
        """Open managers for new base names; returns the new base paths.

        Opening a manager reads its global scope, so this runs off the UI thread:
        nothing is read before the app has drawn its first frame.
        """
        with self._opening:
            if self.directory_mode:
                names = ScopedSessionManager.bases_in(self.directory)
                bases = [str(self.directory / base) for base in names]
            else:
                bases = [self._base_path] if self._base_path is not None else []
            found = [base for base in bases if base not in self.managers]
            for base in found:
                # A new dict, not an insert: other threads may be iterating the old one.
                self.managers = {**self.managers, base: self._factory(base)}
            return found

    def manager(self, base: str) -> ScopedSessionManager:
        return self.managers[base]

    def refs(self) -> list[ScopeRef]:
        return [
            ScopeRef(base, scope)
            for base, manager in self.managers.items()
            for scope in manager.list_scopes()
        ]

    def has_files(self) -> bool:
        """Whether any store file exists, or anything is held in memory by a live manager."""
        for manager in self.managers.values():
            for scope in manager.list_scopes():
                if manager.store_path(scope).exists() or manager.memory_count(scope):
                    return True
        return False

    def label(self, base: str) -> str:
        return os.path.basename(base) or base
