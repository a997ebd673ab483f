"""Bearer keys with two roles, read and write, as AxonServer checks them.

Axon's rule (`auth_middleware.rs`): with no keys everything is open; otherwise a
request without `Authorization: Bearer <key>` gets 401, an unknown key 403, and
a read-only key 403 on a write endpoint. A write key may also read.

Keys come from a file (`--keys FILE`: one `read KEY` or `write KEY` per line,
blank lines and `#` comments allowed; refused when group or others may read it,
as ssh refuses a private key) and from `AXON_SCOPES_READ_KEYS` /
`AXON_SCOPES_WRITE_KEYS` (comma-separated). A key is never logged or echoed:
messages name the file and the line, never the text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

READ_ENV = "AXON_SCOPES_READ_KEYS"
WRITE_ENV = "AXON_SCOPES_WRITE_KEYS"
_PREFIX = "Bearer "


class Role(IntEnum):
    READ = 1
    WRITE = 2


class KeysError(ValueError):
    """A keys file or variable that cannot be used; the message holds no key."""


class Denied(Exception):
    """A request the keys refuse: 401 (no key) or 403 (unknown key, or a read key writing)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _checked(key: str, where: str) -> bytes:
    if not key or not key.isascii() or not key.isprintable() or " " in key:
        raise KeysError(f"{where}: a key must be printable ASCII without spaces")
    return _digest(key.encode("ascii"))


def _digest(key: bytes) -> bytes:
    """Keys are compared by digest: equal lengths, so the time says nothing of the length."""
    return hashlib.sha256(key).digest()


@dataclass
class Keys:
    """The keys a server accepts (their digests), each with its role; none: all is open."""

    roles: list[tuple[bytes, Role]] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return bool(self.roles)

    def add(self, key: str, role: Role, where: str) -> None:
        self.roles.append((_checked(key, where), role))

    def role_of(self, token: str) -> Role | None:
        """The key's role; every key is compared, in constant time, whatever matches."""
        given = _digest(token.encode("utf-8", "surrogateescape"))
        found: Role | None = None
        for key, role in self.roles:
            if hmac.compare_digest(given, key) and (found is None or role > found):
                found = role
        return found

    def check(self, authorization: str | None, need: Role) -> None:
        """Raise `Denied` unless the `Authorization` header allows `need`."""
        if not self.enabled:
            return
        if authorization is None or not authorization.startswith(_PREFIX):
            raise Denied(401, "unauthorized", "an Authorization: Bearer <key> header is needed")
        role = self.role_of(authorization[len(_PREFIX) :])
        if role is None:
            raise Denied(403, "forbidden", "this key is not known here")
        if role < need:
            raise Denied(403, "forbidden", "this key may only read")

    # ── loading ────────────────────────────────────────────────────────────

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Keys:
        keys = cls()
        if path is not None:
            keys.read_file(Path(path))
        for name, role in ((READ_ENV, Role.READ), (WRITE_ENV, Role.WRITE)):
            for item in _split(environ.get(name, "")):
                keys.add(item, role, f"${name}")
        return keys

    def read_file(self, path: Path) -> None:
        try:
            with open(path, encoding="utf-8") as handle:
                mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
                if mode & 0o077:
                    raise KeysError(
                        f"keys file {path} may be read by others (mode {mode:04o}): "
                        f"run chmod 600 {path}"
                    )
                lines = handle.read().splitlines()
        except UnicodeDecodeError:
            raise KeysError(f"keys file {path} is not UTF-8 text") from None
        except OSError as exc:
            raise KeysError(f"cannot read keys file {path}: {exc.strerror}") from None
        for number, line in enumerate(lines, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            where = f"{path} line {number}"
            if len(words) != 2 or words[0] not in ("read", "write"):
                raise KeysError(f"{where}: expected 'read KEY' or 'write KEY'")
            self.add(words[1], Role.READ if words[0] == "read" else Role.WRITE, where)


def _split(text: str) -> Iterable[str]:
    return [item.strip() for item in text.split(",") if item.strip()]
