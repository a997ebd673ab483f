"""Axon's files: naming, codec, atomic writes, locking, reading, watching, and `FileBackend`.

Axon's file-name rule is parsed in one place, `naming.parse_scope_file`.
"""

from .backend import FileBackend

__all__ = ["FileBackend"]
