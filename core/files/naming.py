"""Axon's file naming: scope → source file → store path, and back for discovery.

Axon derives a scope's file as `<dir>/.<stem>.session.json`, where `<stem>` is
Rust's `Path::file_stem` of `<base>__<scope with ':' → '_'>`. The mapping is
lossy in two ways that we keep (files must stay Axon's) and document:

* `flow:a` and a custom scope `flow_a` share one file; discovery reads it back
  as `flow:a`.
* the stem rule cuts at the last dot: `flow:v1.2` is stored in
  `.<base>__flow_v1.session.json` and is discovered as `flow:v1`.

`parse_scope_file` is the one place that reads the rule back from a file name;
discovery, the catalog and the watcher all go through it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidScopeNameError
from .atomic import temp_name_bytes

DEFAULT_SCOPE = "global"
SESSION_SUFFIX = ".session.json"
MEMORY_SUFFIX = ".memory.json"
LOCK_SUFFIX = ".lock"
MAX_FILE_NAME_BYTES = 255

_FLOW = "flow:"
_DAEMON = "daemon:"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI_CONTROLS = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})


def flow_scope(name: str) -> str:
    """Scope name of a flow, as Axon builds it."""
    return f"{_FLOW}{name}"


def daemon_scope(name: str) -> str:
    """Scope name of a daemon, as Axon builds it."""
    return f"{_DAEMON}{name}"


def file_stem(file_name: str) -> str:
    """Rust's `Path::file_stem` on a bare file name (so `.hidden` keeps its dot)."""
    if file_name == "..":
        return file_name
    before, dot, _after = file_name.rpartition(".")
    if not dot or before == "":
        return file_name
    return before


def store_path_for(source_file: str | os.PathLike[str]) -> Path:
    """Axon's store path for a source file: `<dir>/.<stem>.session.json`."""
    source = os.fspath(source_file)
    directory, name = os.path.split(source)
    return Path(directory or ".") / f".{file_stem(name)}{SESSION_SUFFIX}"


def source_file_for(base_path: str | os.PathLike[str], scope: str) -> str:
    """The `source_file` Axon's manager hands to a scope's store."""
    return f"{os.fspath(base_path)}__{scope.replace(':', '_')}"


def memory_path_for(store_path: Path) -> Path:
    """Sidecar where a process may publish a scope's memory layer (Axon ignores it)."""
    name = store_path.name
    stem = name[: -len(SESSION_SUFFIX)] if name.endswith(SESSION_SUFFIX) else name
    return store_path.with_name(f"{stem}{MEMORY_SUFFIX}")


def lock_path_for(store_path: Path) -> Path:
    """Permanent sidecar lock file; never deleted, so two lockers always meet on one inode."""
    return store_path.with_name(store_path.name + LOCK_SUFFIX)


def validate_scope_name(scope: str, base_path: str | os.PathLike[str] = "axon-server") -> str:
    """Reject names that could leave the base directory or cannot be a file name."""
    if not isinstance(scope, str):
        raise InvalidScopeNameError(repr(scope), "a scope name must be a string")
    if scope == "":
        raise InvalidScopeNameError(scope, "the name is empty")
    if scope.strip() != scope or scope.strip() == "":
        raise InvalidScopeNameError(scope, "leading or trailing white space")
    if "/" in scope or "\\" in scope or (os.altsep and os.altsep in scope):
        raise InvalidScopeNameError(scope, "path separators ('/' or '\\') are not allowed")
    match = _CONTROL.search(scope)
    if match:
        raise InvalidScopeNameError(
            scope, f"control character U+{ord(match.group()):04X} is not allowed"
        )
    for ch in scope:
        if unicodedata.category(ch) == "Cs":
            raise InvalidScopeNameError(scope, "lone surrogate characters are not allowed")
        if unicodedata.bidirectional(ch) in _BIDI_CONTROLS:
            raise InvalidScopeNameError(
                scope, f"bidirectional control U+{ord(ch):04X} is not allowed"
            )
    if any(part in {".", ".."} for part in scope.split(":")):
        raise InvalidScopeNameError(scope, "'.' and '..' segments are not allowed")
    _check_name_lengths(scope, store_path_for(source_file_for(base_path, scope)))
    return scope


def _check_name_lengths(scope: str, store: Path) -> None:
    """Every name the store creates must fit, or the scope could never be flushed."""
    memory = memory_path_for(store)
    created = [
        ("file name", len(store.name.encode("utf-8"))),
        ("lock file name", len(lock_path_for(store).name.encode("utf-8"))),
        ("published-memory file name", len(memory.name.encode("utf-8"))),
        ("temp file name", temp_name_bytes(store)),
        ("published-memory temp file name", temp_name_bytes(memory)),
    ]
    what, size = max(created, key=lambda item: item[1])
    if size > MAX_FILE_NAME_BYTES:
        raise InvalidScopeNameError(
            scope, f"its {what} would be {size} bytes, over the limit of {MAX_FILE_NAME_BYTES}"
        )


@dataclass(frozen=True, slots=True)
class ScopeFile:
    """A file name that Axon's naming rule produces, read back."""

    base: str
    scope: str
    #: The published-memory sidecar rather than the store file itself.
    memory: bool
    #: The scope's store file name (the file itself, or the one the sidecar belongs to).
    store_name: str


def parse_scope_file(file_name: str, base_name: str | None = None) -> ScopeFile | None:
    """Read `.<base>__<scope>.session.json` (or its `.memory.json` sidecar); None if not one.

    Only names Axon itself can write are scopes. It replaces every ':' of a scope with
    '_', so a ':' in the scope part means someone else planted the file (it would
    otherwise pass for the scope Axon really stores elsewhere); and its names are Rust
    strings, so a name that is not UTF-8 is not its either. Nothing stricter: a name
    Axon could have written is shown, whatever characters it holds. Without
    `base_name`, the base is read up to the first `__`.
    """
    if file_name.endswith(SESSION_SUFFIX):
        memory, suffix = False, SESSION_SUFFIX
    elif file_name.endswith(MEMORY_SUFFIX):
        memory, suffix = True, MEMORY_SUFFIX
    else:
        return None
    if not file_name.startswith("."):
        return None
    stem = file_name[1 : -len(suffix)]
    if base_name is None:
        base, separator, raw = stem.partition("__")
        if not separator or not base:
            return None
    else:
        base = base_name
        if not stem.startswith(f"{base}__"):
            return None
        raw = stem[len(base) + 2 :]
    if raw == "" or ":" in raw:
        return None
    try:
        file_name.encode("utf-8")
    except UnicodeEncodeError:  # os.listdir's stand-ins for bytes that are not UTF-8
        return None
    scope = raw
    for tag in ("flow", "daemon"):
        if raw.startswith(f"{tag}_") and len(raw) > len(tag) + 1:
            scope = f"{tag}:{raw[len(tag) + 1 :]}"
            break
    return ScopeFile(base, scope, memory, f".{stem}{SESSION_SUFFIX}")


def scope_from_file_name(base_name: str, file_name: str) -> str | None:
    """Discovery: `.<base>__flow_x.session.json` → `flow:x`; None if not a store file of Axon's."""
    parsed = parse_scope_file(file_name, base_name)
    return None if parsed is None or parsed.memory else parsed.scope


def base_names_in(directory: Path) -> list[str]:
    """Base names of the stores in a directory (`.<base>__<scope>.session.json`).

    A base is read up to the first `__`, so a base name containing `__` is
    split early; Axon's own base, `axon-server`, has none.
    """
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    parsed = (parse_scope_file(name) for name in names)
    return sorted({found.base for found in parsed if found is not None and not found.memory})
