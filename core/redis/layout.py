"""Key names of the Redis layout, and how scope and base names become parts of them.

Every key starts with `axon-scopes:`. One scope's keys share one hash tag, so
they live in one cluster slot and a commit touches them in one script:

    axon-scopes:{<base>|<scope>}:store       hash: entry key -> the entry as JSON
    axon-scopes:{<base>|<scope>}:version     string: `<commits>:<incarnation>`, bumped by
                                             every commit (the incarnation tells a scope
                                             re-created after a data loss from the old one)
    axon-scopes:{<base>|<scope>}:log         stream: one entry per commit, id <version>-0,
                                             naming the keys it touched (capped)
    axon-scopes:{<base>|<scope>}:done:<id>   string: a commit's result, kept for a
                                             minute so a commit retried after a lost
                                             reply is not applied twice
    axon-scopes:{<base>|<scope>}:publishers  sorted set: publisher id -> expiry (ms)
    axon-scopes:{<base>|<scope>}:memory:<id> string: one process's published memory layer
    axon-scopes:{<base>|<scope>}:memory-version  string: bumped by every publish

Per base and per database:

    axon-scopes:{<base>}:scopes              set: the base's scope names (discovery)
    axon-scopes:bases                        set: the base names (discovery)
    axon-scopes:feed                         stream: every commit and publish, naming
                                             base, scope, version and keys (live views)

Names are escaped so that they can hold anything: `%`, `{`, `}`, `|` and every
character that is not printable become `%XX` / `%uXXXX`, so a `{` or `}` in a
name can never open or close the hash tag, and `|` only ever separates base from scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidScopeNameError

PREFIX = "axon-scopes"
BASES_KEY = f"{PREFIX}:bases"
FEED_KEY = f"{PREFIX}:feed"
#: Entries kept in the change feed of the database.
FEED_CAP = 10_000
#: Longest scope name accepted, in UTF-8 bytes (a key name is sent with every command).
MAX_SCOPE_BYTES = 1024

_SPECIAL = frozenset("%{}|")
_ESCAPE = re.compile(r"%(?:u([0-9A-F]{4})|U([0-9A-F]{6})|([0-9A-F]{2}))")


def escape(name: str) -> str:
    """A name as a key part: no `{`, `}` or `|`, nothing unprintable; reversible (`unescape`)."""
    if name.isprintable() and not (_SPECIAL & set(name)):
        return name
    out: list[str] = []
    for ch in name:
        code = ord(ch)
        if ch in _SPECIAL or (not ch.isprintable() and code < 0x100):
            out.append(f"%{code:02X}")
        elif not ch.isprintable():
            out.append(f"%u{code:04X}" if code < 0x10000 else f"%U{code:06X}")
        else:
            out.append(ch)
    return "".join(out)


def unescape(part: str) -> str:
    """The name `escape` turned into `part`."""

    def one(match: re.Match[str]) -> str:
        return chr(int(next(group for group in match.groups() if group), 16))

    return _ESCAPE.sub(one, part)


def validate_scope_name(scope: object) -> str:
    """Any string is a scope name except an empty one, one Redis cannot hold as UTF-8,
    or one over `MAX_SCOPE_BYTES`: the escaping keeps every other name inside its tag."""
    if not isinstance(scope, str):
        raise InvalidScopeNameError(repr(scope), "a scope name must be a string")
    if scope == "":
        raise InvalidScopeNameError(scope, "the name is empty")
    try:
        size = len(scope.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidScopeNameError(scope, "lone surrogate characters are not allowed") from None
    if size > MAX_SCOPE_BYTES:
        raise InvalidScopeNameError(
            scope, f"the name is {size} bytes in UTF-8, over the limit of {MAX_SCOPE_BYTES}"
        )
    return scope


def scopes_key(base: str) -> str:
    """The set of a base's scope names."""
    return f"{PREFIX}:{{{escape(base)}}}:scopes"


@dataclass(frozen=True, slots=True)
class ScopeKeys:
    """Every key of one scope; all share the hash tag `{<base>|<scope>}`."""

    base: str
    scope: str

    @property
    def tag(self) -> str:
        return f"{PREFIX}:{{{escape(self.base)}|{escape(self.scope)}}}"

    @property
    def store(self) -> str:
        return f"{self.tag}:store"

    @property
    def version(self) -> str:
        return f"{self.tag}:version"

    @property
    def log(self) -> str:
        return f"{self.tag}:log"

    def done(self, commit_id: str) -> str:
        return f"{self.tag}:done:{commit_id}"

    @property
    def publishers(self) -> str:
        return f"{self.tag}:publishers"

    def memory(self, publisher: str) -> str:
        return f"{self.tag}:memory:{publisher}"

    @property
    def memory_version(self) -> str:
        return f"{self.tag}:memory-version"
