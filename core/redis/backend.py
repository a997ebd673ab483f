"""`RedisBackend`: one scope's store layer as a Redis hash, committed by one Lua script."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import redis.exceptions as rex

from ..backend import KeysLoaded, Loaded, StoreBackend, Version
from ..commit import Change, apply
from ..entry import MemoryEntry
from ..errors import FlushError, SourceUnavailableError, StoreUnreadableError, WriteConflictError
from ..sizes import DEFAULT_MAX_FILE_BYTES, size_text
from . import scripts
from .codec import (
    BadEntry,
    Chunk,
    decode_chunk_into,
    decode_entry,
    encode_entry,
)
from .connection import SERVER_ERRORS
from .layout import FEED_CAP, FEED_KEY, ScopeKeys
from .publishing import Publishing

if TYPE_CHECKING:
    from .storage import RedisStorage

#: Fields asked for per HSCAN call: big enough for few round trips, small enough that
#: the server answers other clients in between.
SCAN_COUNT = 10_000
#: A version: `<commits>:<incarnation>`; `EMPTY` stands for "nothing stored".
_VERSION = re.compile(rb"\d+:\d+")
EMPTY = b"0:0"


def _shown(version: bytes) -> bytes | None:
    """The version as `StoreBackend` reports it: None for nothing stored."""
    return None if version == EMPTY else version


#: A commit naming more keys than this logs "*" (readers then reload the scope).
LISTED_KEYS = 1_000
#: Commits remembered in a scope's log (what `load_keys` can catch up over).
LOG_CAP = 1_000
NOTHING_WRITTEN = "nothing was written and the changes wait for the next flush"
NOT_CONFIRMED = (
    "the server did not confirm the write; the changes wait for the next flush, "
    "which cannot apply them twice"
)


def _expected(entry: MemoryEntry | None) -> bytes:
    return b"" if entry is None else b"=" + encode_entry(entry)


class RedisBackend(Publishing, StoreBackend):
    """A scope's entries in the hash `axon-scopes:{<base>|<scope>}:store` (see `layout`).

    The version is the scope's commit counter, so it proves "unchanged" exactly.
    The backend also remembers the version its store's view was read or written
    at (`_known`): the scope's log then says which keys others changed since, so
    `load_keys` and `commit` move only those keys, never the whole hash.
    """

    def __init__(
        self, storage: RedisStorage, scope: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES
    ) -> None:
        self._storage = storage
        #: A scope holding more (keys and values, encoded) is left unread, as a file is.
        self._max_bytes = max_bytes
        self._conn = storage.connection
        self.scope = scope
        self.keys = ScopeKeys(storage.base_name, scope)
        #: The version token (`<commits>:<incarnation>`, `0:0` for nothing stored) the
        #: store's view is exactly the stored entries at; None when that is not known.
        self._known: bytes | None = None
        self._registered = False
        self.publisher = uuid.uuid4().hex
        #: What this backend publishes now (kept alive by the storage), or None.
        self.published: bytes | None = None
        self._last_live = False

    def __repr__(self) -> str:
        return f"<RedisBackend {self.location}>"

    @property
    def location(self) -> str:
        return f"{self._storage.location} scope {self.scope!r}"

    # ── helpers ────────────────────────────────────────────────────────────

    def _unreadable(self, reason: str) -> StoreUnreadableError:
        return StoreUnreadableError(self.location, f"{reason}; it is left as it is")

    def _wrong_type(self, exc: rex.ResponseError) -> StoreUnreadableError | None:
        text = str(exc)
        if "WRONGTYPE" not in text:
            return None
        start = text.find("WRONGTYPE ")
        detail = text[start + len("WRONGTYPE ") :] if start >= 0 else text
        if "Operation against a key" in detail:
            detail = "a key of the scope holds a value of another type"
            for key, want in ((self.keys.store, "hash"), (self.keys.version, "string")):
                found = self._type(key)
                if found not in {want, "none"}:
                    detail = f"{key} is not a {want} (it holds a {found})"
                    break
        return self._unreadable(detail)

    def _type(self, key: str) -> str:
        try:
            found = self._conn.client.type(key)
        except rex.RedisError:
            return "value of another type"
        return found.decode() if isinstance(found, bytes) else str(found)

    def _run(self, call: Any) -> Any:
        """Reads: a lost server raises `SourceUnavailableError`; a wrong type, unreadable."""
        try:
            return self._conn.run(call)
        except rex.ResponseError as exc:
            bad = self._wrong_type(exc)
            if bad is not None:
                raise bad from None
            raise self._unreadable(f"the server refused to read it ({exc})") from None

    # ── reading ────────────────────────────────────────────────────────────

    def _token(self, raw: bytes | None) -> bytes:
        """A version as stored (`<commits>:<incarnation>`), `0:0` for none; checked."""
        if raw is None:
            return EMPTY
        if _VERSION.fullmatch(raw) is None:
            raise self._unreadable(f"{self.keys.version} does not hold a version")
        return raw

    def _read_version(self) -> bytes:
        return self._token(self._run(lambda: self._conn.client.get(self.keys.version)))

    def _first_chunk(self) -> tuple[bytes, int, Chunk]:
        """The version and the first HSCAN chunk, read in one transaction (one step)."""

        def read() -> list[Any]:
            pipe = self._conn.client.pipeline(transaction=True)
            pipe.get(self.keys.version)
            pipe.hscan(self.keys.store, 0, count=SCAN_COUNT)
            return pipe.execute()

        raw, scanned = self._run(read)
        cursor, chunk = _scanned(scanned)
        return self._token(raw), cursor, chunk

    def _whole(self) -> tuple[bytes, Chunk]:
        """The version and the whole hash in one transaction: exact, but one long reply."""

        def read() -> list[Any]:
            pipe = self._conn.client.pipeline(transaction=True)
            pipe.get(self.keys.version)
            pipe.hgetall(self.keys.store)
            return pipe.execute()

        raw, chunk = self._run(read)
        return self._token(raw), Chunk(_flat(chunk))

    def _bounded(self, read: int, chunk: Chunk) -> int:
        """Bytes read so far with `chunk`; past the limit, the scope is left unread.

        A big scope is read chunk by chunk, so no more than the limit and one chunk
        is ever held: a hash grown huge by a runaway writer cannot exhaust memory here.
        """
        read += chunk.size
        if read > self._max_bytes:
            raise self._unreadable(f"it holds more than the {size_text(self._max_bytes)} limit")
        return read

    def load(self) -> Loaded:
        """A scope that fits one HSCAN reply is read in one step with its version; a bigger
        one chunk by chunk (the server serves others in between) and kept only if the
        version did not move meanwhile; after two tries, in one step with HGETALL.

        Each chunk is decoded as it comes, so at most two chunks' raw replies are held
        beside the entries (a whole scope's would about double the peak memory).
        """
        self._known = None
        version = EMPTY
        entries: dict[str, MemoryEntry] = {}
        for attempt in range(3):
            entries = {}
            if attempt == 2:
                version, chunk = self._whole()
                self._bounded(0, chunk)
                self._decode_into(entries, chunk, version)
                break
            version, cursor, chunk = self._first_chunk()
            if cursor == 0:
                self._bounded(0, chunk)
                self._decode_into(entries, chunk, version)
                break
            self._scan_into(entries, version, cursor, chunk)
            if self._read_version() == version:
                break
        self._known = version
        return Loaded(entries, _shown(version))

    def _scan_into(
        self, entries: dict[str, MemoryEntry], version: bytes, cursor: int, chunk: Chunk
    ) -> None:
        """Decode `chunk` and every chunk after it into `entries`.

        The next chunk is asked for before this one is decoded: building a reply takes
        the server about as long as decoding one takes here, and the two overlap.
        """
        read = 0
        with ThreadPoolExecutor(1, thread_name_prefix="redis-scan") as ahead:
            while True:
                upcoming = ahead.submit(self._scan_chunk, cursor) if cursor else None
                read = self._bounded(read, chunk)
                self._decode_into(entries, chunk, version)
                if upcoming is None:
                    return
                cursor, chunk = upcoming.result()

    def _scan_chunk(self, cursor: int) -> tuple[int, Chunk]:
        client = self._conn.client
        return _scanned(self._run(lambda: client.hscan(self.keys.store, cursor, count=SCAN_COUNT)))

    def _decode_into(self, entries: dict[str, MemoryEntry], chunk: Chunk, version: bytes) -> None:
        """A chunk's entries decoded into `entries`."""
        try:
            decode_chunk_into(entries, chunk)
        except BadEntry as exc:
            error = self._unreadable(str(exc))
            error.version = _shown(version)
            raise error from None

    def version(self) -> Version | None:
        try:
            return _shown(self._read_version())
        except StoreUnreadableError as exc:
            return ("unreadable", exc.reason)

    def load_keys(self, keys: Collection[str]) -> KeysLoaded | None:
        known = self._known
        if known is None:
            return None
        k = self.keys
        args: list[Any] = [known, LISTED_KEYS, *keys]
        try:
            reply = self._conn.run(
                lambda: self._conn.script(scripts.LOAD_KEYS)(
                    keys=[k.store, k.version, k.log], args=args
                )
            )
        except rex.ResponseError:
            return None  # A wrong type: `load` says so, and marks the scope.
        now = bytes(reply[0])
        if reply[1] != b"ok":
            return None
        found: dict[str, MemoryEntry | None] = {}
        pairs = reply[2:]
        try:
            for field, value in zip(pairs[0::2], pairs[1::2], strict=True):
                found[field.decode("utf-8")] = decode_entry(field, value) if value else None
        except (BadEntry, UnicodeDecodeError):
            return None
        self._known = now
        return KeysLoaded(found, _shown(now))

    # ── committing ─────────────────────────────────────────────────────────

    def committed_version(self) -> Version | None:
        """Exact: the store's view is the stored entries at `_known` (None: not proven)."""
        return _shown(self._known) if self._known is not None else None

    def _register(self) -> None:
        """Put the scope in its base's registry (before its first data: discovery finds it)."""
        if not self._registered:
            self._storage.register(self.scope)
            self._registered = True

    def _flush_error(self, exc: BaseException, what: str = NOTHING_WRITTEN) -> FlushError:
        reason = self._conn.reason(exc)
        lost_reply = isinstance(exc, SERVER_ERRORS) and "connecting to" not in str(exc)
        if lost_reply and what == NOTHING_WRITTEN:
            what = NOT_CONFIRMED
        return FlushError(self.location, f"{reason}; {what}")

    def commit(
        self,
        view: Mapping[str, MemoryEntry],
        sets: Mapping[str, MemoryEntry],
        purges: Collection[str],
        checked: Sequence[Change],
    ) -> dict[str, MemoryEntry] | None:
        k = self.keys
        args: list[Any] = [
            uuid.uuid4().hex,
            b"" if self._known is None else self._known,
            self._storage.base_name,
            self.scope,
            LOG_CAP,
            FEED_CAP,
            LISTED_KEYS,
            len(sets),
        ]
        for key, entry in sets.items():
            args += [key, encode_entry(entry)]
        args.append(len(purges))
        args.extend(purges)
        args.append(len(checked))
        for change in checked:
            args += [change.key, _expected(change.expected), _expected(change.entry)]
        keys = [k.store, k.version, k.log, k.done(args[0])]
        if not self._conn.cluster:
            keys.append(FEED_KEY)  # One server: the feed is written by the same script.
        try:
            self._conn.run(self._register)
        except SourceUnavailableError as exc:
            raise FlushError(self.location, f"{exc.reason}; {NOTHING_WRITTEN}") from None
        try:
            reply = self._conn.script(scripts.COMMIT)(keys=keys, args=args)
        except (rex.AuthenticationError, rex.NoPermissionError) as exc:
            raise self._flush_error(exc) from None
        except SERVER_ERRORS as exc:
            raise self._flush_error(exc) from None
        except rex.ResponseError as exc:
            bad = self._wrong_type(exc)
            if bad is not None:
                raise bad from None
            raise self._flush_error(exc) from None
        if reply[0] == b"conflict":
            self._raise_conflict(reply[1:], checked)
        version = bytes(reply[1])
        if self._conn.cluster:
            self._announce(version, sets, purges, checked)
        how = reply[2]
        if how == b"same":
            self._known = version
            return None
        merged = dict(view)
        apply(merged, checked)
        if how == b"keys":
            pairs = reply[3:]
            try:
                for field, value in zip(pairs[0::2], pairs[1::2], strict=True):
                    key = field.decode("utf-8")
                    if value:
                        merged[key] = decode_entry(field, value)
                    else:
                        merged.pop(key, None)
            except (BadEntry, UnicodeDecodeError):
                pass  # Stored all the same; the next refresh reads the scope whole.
            else:
                self._known = version
                return merged
        self._known = None
        try:
            return self.load().entries
        except (SourceUnavailableError, StoreUnreadableError):
            return merged  # Stored; the next refresh reads what others wrote.

    def _raise_conflict(self, pairs: list[bytes], checked: Sequence[Change]) -> None:
        wanted = {change.key: change.expected for change in checked}
        found: list[tuple[str, MemoryEntry | None, MemoryEntry | None]] = []
        for field, actual in zip(pairs[0::2], pairs[1::2], strict=True):
            key = field.decode("utf-8")
            try:
                entry = decode_entry(field, actual[1:]) if actual else None
            except BadEntry as exc:
                raise self._unreadable(str(exc)) from None
            found.append((key, wanted.get(key), entry))
        key, expected, actual_entry = found[0]
        raise WriteConflictError("", key, expected, actual_entry, conflicts=tuple(found))

    def _announce(
        self,
        version: bytes,
        sets: Mapping[str, MemoryEntry],
        purges: Collection[str],
        checked: Sequence[Change],
    ) -> None:
        """On a cluster the feed is in another slot: announce after the commit (best effort;
        a viewer's periodic re-check finds a change whose announcement was lost)."""
        touched = list(dict.fromkeys([*sets, *purges, *(c.key for c in checked)]))
        listed = encode_keys(touched)
        fields = {"base": self._storage.base_name, "scope": self.scope, "version": version}
        fields["keys"] = listed
        with contextlib.suppress(rex.RedisError):
            self._conn.client.xadd(FEED_KEY, fields, maxlen=FEED_CAP, approximate=True)


def _flat(found: Any) -> list[bytes]:
    """A hash reply as field, value, field, value…: what HSCAN answers (see
    `connection.keep_flat`); a dict where the protocol or a client made one."""
    if isinstance(found, dict):
        return [part for pair in found.items() for part in pair]
    return found if isinstance(found, list) else list(found)


def _scanned(found: Any) -> tuple[int, Chunk]:
    cursor, chunk = found
    return int(cursor), Chunk(_flat(chunk))


def encode_keys(keys: list[str]) -> bytes:
    """A commit's keys as the feed lists them: a JSON array, or "*" past `LISTED_KEYS`."""
    if len(keys) > LISTED_KEYS:
        return b"*"
    import msgspec

    return msgspec.json.encode(keys)
