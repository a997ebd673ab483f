"""`FileStorage`: one base's scopes as Axon's files in one directory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ..backend import BackendOptions, ScopeStorage, StoreBackend
from ..errors import ScopeCollisionError
from .backend import FileBackend
from .naming import (
    SESSION_SUFFIX,
    base_names_in,
    parse_scope_file,
    source_file_for,
    store_path_for,
    validate_scope_name,
)


class FileStorage(ScopeStorage):
    """`<dir>/.<base>__<scope>.session.json`, one file a scope, as Axon names them.

    Only names Axon's rule can produce are scopes, and two scope names that Axon
    would store in one file are refused (`ScopeCollisionError`) rather than mixed.
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        self._base_path = os.fspath(base_path)
        self._directory = Path(os.path.dirname(self._base_path) or ".")
        self._base_name = os.path.basename(self._base_path)
        self._mutex = threading.Lock()
        self._paths: dict[str, Path] = {}
        self._owners: dict[Path, str] = {}

    @property
    def location(self) -> str:
        return self._base_path

    @property
    def base_name(self) -> str:
        return self._base_name

    @property
    def base_path(self) -> str:
        return self._base_path

    @property
    def directory(self) -> Path:
        return self._directory

    @staticmethod
    def bases_in(directory: str | os.PathLike[str]) -> list[str]:
        """Base names of the stores in a directory (`.<base>__<scope>.session.json`)."""
        return base_names_in(Path(directory))

    @staticmethod
    def file_pattern(base_name: str | None = None) -> str:
        """The glob of a base's store files (of any base's when None), to show where we look."""
        return f".{base_name or '*'}__*{SESSION_SUFFIX}"

    def _register(self, scope: str, path: Path) -> None:
        owner = self._owners.get(path)
        if owner is not None and owner != scope:
            raise ScopeCollisionError(
                scope, f"Axon stores it in {path.name}, which already holds scope {owner!r}"
            )
        self._paths[scope] = path
        self._owners[path] = scope

    def discover(self) -> list[str]:
        try:
            names = sorted(os.listdir(self._directory))
        except (FileNotFoundError, NotADirectoryError):
            return []
        found: set[str] = set()
        with self._mutex:
            for file_name in names:
                parsed = parse_scope_file(file_name, self._base_name)
                if parsed is None or parsed.memory:
                    continue
                path = self._directory / file_name
                if parsed.scope not in self._paths and path not in self._owners:
                    self._register(parsed.scope, path)
                if self._paths.get(parsed.scope) == path:
                    found.add(parsed.scope)
        return sorted(found)

    def path_for(self, scope: str) -> Path:
        """The store file of a scope (validating a new name)."""
        with self._mutex:
            path = self._paths.get(scope)
            if path is None:
                validate_scope_name(scope, self._base_path)
                path = store_path_for(source_file_for(self._base_path, scope))
                self._register(scope, path)
            return path

    def scope_for_path(self, path: str | os.PathLike[str]) -> tuple[str, bool] | None:
        """(scope, whether it is the published-memory sidecar) for a file of this base."""
        parsed = parse_scope_file(Path(path).name, self._base_name)
        if parsed is None:
            return None
        with self._mutex:
            known = self._paths.get(parsed.scope)
        if known is not None and known.name != parsed.store_name:
            return None
        return parsed.scope, parsed.memory

    def backend(self, scope: str, options: BackendOptions) -> StoreBackend:
        return FileBackend(
            self.path_for(scope),
            retry_budget=options.retry_budget,
            lock_timeout=options.lock_timeout,
            max_file_bytes=options.max_file_bytes,
        )

    def release(self, scope: str) -> None:
        with self._mutex:
            path = self._paths.pop(scope, None)
            if path is not None:
                self._owners.pop(path, None)
