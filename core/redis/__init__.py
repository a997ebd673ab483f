"""Scopes in Redis: `RedisStorage` (a base), `RedisBackend` (a scope), `RedisSource` (a view)."""

from .backend import RedisBackend
from .connection import Connection, connect
from .storage import RedisStorage

__all__ = ["Connection", "RedisBackend", "RedisStorage", "connect"]
