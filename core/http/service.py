"""`HttpService`: one AxonServer's scopes, read and written through its session API.

Reads: the scope list and counts from `GET /v1/session`; a scope's memory layer from
its export (AxonServer's lists memory only), its store layer from an empty query.
Reading a scope creates it on an AxonServer, so a scope the last listing did not
name is never read (it reads as empty). Writes go through the server's own
endpoints, so the server flushes its own files and nothing races with it; what the
server cannot do (delete a memory entry) is refused before anything is sent and
advertised in `capabilities`. Checked writes are checked by the server when it
advertises `compare-and-set`, else by re-reading right before writing (`writes.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from operator import attrgetter

from ..backend import PublishedMemory
from ..commit import count_changes
from ..entry import Layer, MemoryEntry, ScopedEntry
from ..errors import SourceUnavailableError, StoreUnreadableError
from ..service import (
    Capabilities,
    ScopeChange,
    ScopeService,
    ScopeSnapshot,
    ScopeStatus,
    Subscriber,
    Subscribers,
)
from .client import HttpClient, segment
from .shapes import Export, Lookup, Query, Summary, lookup_entry, parse
from .writes import HttpWrites

Layers = tuple[dict[str, MemoryEntry], dict[str, MemoryEntry]]
FEATURES_HEADER = "axon-scopes-features"


class HttpService(HttpWrites, ScopeService):
    """The scopes of the server behind `client`; thread-safe."""

    def __init__(
        self, client: HttpClient, *, read_only: bool = False, max_value_bytes: int
    ) -> None:
        self._client = client
        self._max_value_bytes = max_value_bytes
        self._read_only = read_only
        self._lock = threading.RLock()
        #: Counts by scope, from the last listing (None: not listed yet).
        self._listed: dict[str, tuple[int, int]] | None = None
        #: Both layers of each scope as last read, for `refresh` to compare with.
        self._seen: dict[str, Layers] = {}
        #: Scopes reported to subscribers (new ones are said once, gone ones too).
        self._announced: set[str] | None = None
        #: Each scope's counts as the last refresh (or the first listing) saw them.
        self._counted: dict[str, tuple[int, int]] = {}
        #: Why writes are refused since the server said 403 ("" while they are not).
        self._forbidden = ""
        #: Scopes the listing says are unreadable (our server says so), and why.
        self._listed_errors: dict[str, str] = {}
        #: Scopes whose last read the server refused as unreadable, and why.
        self._read_errors: dict[str, str] = {}
        #: Scopes the listeners were last told are unreadable (by a listing or a change):
        #: what a refresh tells is what differs from this, whoever read the scope since.
        self._told_unreadable: set[str] = set()
        self._subscribers = Subscribers()

    def __repr__(self) -> str:
        return f"<HttpService {self._client.url}>"

    @property
    def location(self) -> str:
        return self._client.url

    @property
    def client(self) -> HttpClient:
        return self._client

    # ── what it can do ─────────────────────────────────────────────────────

    @property
    def checks_atomically(self) -> bool:
        """The server checks `expected` itself (our server advertises it)."""
        return "compare-and-set" in self._client.features

    @property
    def capabilities(self) -> Capabilities:
        reason = self._forbidden
        return Capabilities(
            can_write_memory=True,
            has_compare_and_set=True,
            read_only=self._read_only or bool(reason),
            can_delete_memory=False,
            checked_writes="atomic" if self.checks_atomically else "reread",
            read_only_reason=reason,
        )

    # ── the listing ────────────────────────────────────────────────────────

    def summary(self) -> dict[str, tuple[int, int]]:
        """Read the listing now: counts by scope (and the features the server advertises)."""
        answer = self._client.get("/v1/session")
        listing = parse(answer.body, Summary, self.location, "GET /v1/session")
        features = answer.headers.get(FEATURES_HEADER, "")
        self._client.features = frozenset(
            part.strip().lower() for part in features.split(",") if part.strip()
        )
        counts = {s.scope: (s.memory_count, s.store_count) for s in listing.scopes}
        errors = {s.scope: s.unreadable for s in listing.scopes if s.unreadable is not None}
        with self._lock:
            self._listed = counts
            self._listed_errors = errors
            if self._announced is None:
                self._announced = set(counts)
                self._counted = dict(counts)
        return counts

    @property
    def listed_once(self) -> bool:
        """Whether the listing was read (the server answered as an AxonServer once)."""
        with self._lock:
            return self._listed is not None

    def listed(self, scope: str) -> bool:
        """Whether the listing names `scope` (read once if it never was)."""
        with self._lock:
            listed = self._listed
        if listed is None:
            listed = self.summary()
        return scope in listed

    def _mark_listed(self, scope: str) -> None:
        """A write created the scope on the server: it may be read from now on."""
        with self._lock:
            if self._listed is not None and scope not in self._listed:
                self._listed = {**self._listed, scope: (0, 0)}

    def scopes(self) -> list[ScopeStatus]:
        counts = self.summary()
        statuses = [
            ScopeStatus(name, m, s, self.error(name)) for name, (m, s) in sorted(counts.items())
        ]
        with self._lock:
            for status in statuses:
                if status.error is None:
                    self._told_unreadable.discard(status.scope)
                else:
                    self._told_unreadable.add(status.scope)
        return statuses

    def error(self, scope: str) -> str | None:
        """Why the scope's stored data cannot be read, as the server last said, or None."""
        with self._lock:
            return self._read_errors.get(scope) or self._listed_errors.get(scope)

    # ── reads ──────────────────────────────────────────────────────────────

    def _read(self, scope: str) -> Layers:
        """Both layers of a listed scope, as the server holds them now; a scope the server
        cannot read raises `StoreUnreadableError` (and is remembered as such)."""
        try:
            layers = self._read_layers(scope)
        except StoreUnreadableError as exc:
            reason = _without_scope(scope, exc.reason)
            with self._lock:
                self._read_errors[scope] = reason
            raise StoreUnreadableError(self.where(scope), reason) from None
        with self._lock:
            self._read_errors.pop(scope, None)
        return layers

    def _read_layers(self, scope: str) -> Layers:
        where = segment(scope)
        exported = self._client.get(f"/v1/session/{where}/export", {"format": "json"})
        what = f"the export of {scope!r}"
        export = parse(exported.body, Export, self.location, what)
        _same_scope(scope, [export.scope, *(e.scope for e in export.entries)], self.location, what)
        memory = {
            e.key: MemoryEntry(e.key, e.value, e.timestamp, e.source_step)
            for e in export.entries
            if e.layer == "memory"
        }
        queried = self._client.post("/v1/session/query", {"scope": scope, "query": ""}, write=False)
        what = f"the query of {scope!r}"
        query = parse(queried.body, Query, self.location, what)
        _same_scope(scope, [query.scope], self.location, what)
        store = {e.key: e for e in query.entries}
        with self._lock:
            self._seen[scope] = (memory, store)
        return memory, store

    def snapshot(self, scope: str) -> ScopeSnapshot:
        if not self.listed(scope):
            return ScopeSnapshot([], [])
        try:
            memory, store = self._read(scope)
        except StoreUnreadableError as exc:  # The last good entries, and why no newer ones.
            with self._lock:
                memory, store = self._seen.get(scope, ({}, {}))
            return ScopeSnapshot(_by_key(memory), _by_key(store), error=exc.reason)
        return ScopeSnapshot(_by_key(memory), _by_key(store))

    def entries(self, scope: str) -> list[ScopedEntry]:
        snapshot = self.snapshot(scope)
        return [
            ScopedEntry(scope, layer, e.key, e.value, e.timestamp, e.source_step)
            for layer, entries in (("memory", snapshot.memory), ("store", snapshot.store))
            for e in entries
        ]

    def published_memory(self, scope: str) -> PublishedMemory | None:
        return None  # The server's memory layer is its own, read as the memory layer.

    def get(self, scope: str, key: str, *, layer: Layer = "store") -> MemoryEntry | None:
        if not self.listed(scope):
            return None
        verb = "recall" if layer == "memory" else "retrieve"
        answer = self._client.get(f"/v1/session/{verb}/{segment(key)}", {"scope": scope})
        what = f"{verb} of {key!r}"
        lookup = parse(answer.body, Lookup, self.location, what)
        _same_scope(scope, [lookup.scope], self.location, what)
        if lookup.key != key:
            raise SourceUnavailableError(
                self.location, f"is not an AxonServer: {what} answered for key {lookup.key!r}"
            )
        return lookup_entry(lookup, self.location, what)

    def where(self, scope: str) -> str:
        return f"{self.location} (scope {scope})"

    # ── changes ────────────────────────────────────────────────────────────

    def refresh(
        self, scope: str | None = None, *, keys: Iterable[str] | None = None
    ) -> list[ScopeChange]:
        """Re-read one scope (or every listed one, saying which are new and which gone)."""
        listed = self.summary()
        with self._lock:
            announced = set(self._announced or ())
        names = sorted(listed.keys() | announced) if scope is None else [scope]
        return self.refresh_scopes(names, listed)

    def refresh_scopes(
        self,
        names: Iterable[str],
        listed: dict[str, tuple[int, int]],
        hinted: frozenset[str] = frozenset(),
    ) -> list[ScopeChange]:
        """Re-read `names` as of the listing `listed`: new ones said new, unlisted ones gone.

        A scope never read before has nothing to compare with: its change is told by its
        counts (as the previous refresh listed them), or as an unknown change when an
        event named it (`hinted`); a first read for no reason tells nothing.
        """
        changes: list[ScopeChange] = []
        with self._lock:
            counted = self._counted
            self._counted = {**counted, **{n: listed[n] for n in names if n in listed}}
            announced = self._announced if self._announced is not None else set()
            self._announced = announced
            new = {name for name in names if name in listed and name not in announced}
            gone = sorted(name for name in names if name in announced and name not in listed)
            names = [name for name in names if name in listed]
            announced |= new
            announced.difference_update(gone)
            for name in gone:
                self._seen.pop(name, None)
        changes.extend(ScopeChange(name, "refresh", gone=True) for name in gone)
        for name in names:
            change, compared = self._reread(name, name in new)
            if not compared and name not in new:
                change = _unseen(name, counted.get(name), listed[name], name in hinted)
            if change is not None:
                changes.append(change)
        for change in changes:
            self._subscribers.notify(change)
        return changes

    def _reread(self, scope: str, new: bool) -> tuple[ScopeChange | None, bool]:
        """The scope's change since it was last read, and whether there was a last read."""
        with self._lock:
            before = self._seen.get(scope)
            was_unreadable = scope in self._told_unreadable
        try:
            memory, store = self._read(scope)
        except StoreUnreadableError as exc:
            with self._lock:
                self._told_unreadable.add(scope)
            if new:
                return ScopeChange(scope, "refresh", new=True, error=exc.reason), True
            if was_unreadable:
                return None, True  # Still unreadable: said already.
            return ScopeChange(scope, "refresh", error=exc.reason), True
        with self._lock:
            self._told_unreadable.discard(scope)
        if new:
            return ScopeChange(scope, "refresh", added=len(store), new=True), True
        if was_unreadable:  # Readable again: whatever it holds is news.
            return ScopeChange(scope, "refresh", added=len(store), memory_changed=True), True
        if before is None:
            return None, False
        added, changed, removed = count_changes(before[1], store)
        memory_changed = before[0] != memory
        if not (added or changed or removed or memory_changed):
            return None, True
        keys = None if memory_changed else frozenset(_moved(before[1], store))
        change = ScopeChange(
            scope, "refresh", added, changed, removed, keys=keys, memory_changed=memory_changed
        )
        return change, True

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        return self._subscribers.subscribe(callback)

    def _wrote(self, scope: str, layer: Layer, key: str, entry: MemoryEntry | None) -> None:
        """After a write of ours: what `refresh` compares with holds it (not news to us)."""
        self._mark_listed(scope)
        with self._lock:
            seen = self._seen.get(scope)
            if seen is not None:  # New dicts: a refresh may be comparing the old ones.
                memory, store = dict(seen[0]), dict(seen[1])
                entries = memory if layer == "memory" else store
                if entry is None:
                    entries.pop(key, None)
                else:
                    entries[key] = entry
                self._seen[scope] = (memory, store)
        self._subscribers.notify(ScopeChange(scope))


def _unseen(
    scope: str, was: tuple[int, int] | None, now: tuple[int, int], hinted: bool
) -> ScopeChange | None:
    """The change of a scope read for the first time: from its counts, else unknown."""
    if was is not None and was != now:
        store = now[1] - was[1]
        return ScopeChange(
            scope,
            "refresh",
            added=max(0, store),
            removed=max(0, -store),
            memory_changed=now[0] != was[0],
        )
    return ScopeChange(scope, "refresh") if hinted else None


def _same_scope(scope: str, named: list[str], location: str, what: str) -> None:
    """An answer about another scope than the one asked for is refused, nothing applied."""
    other = next((name for name in named if name != scope), None)
    if other is not None:
        raise SourceUnavailableError(
            location, f"is not an AxonServer: {what} answered for scope {other!r}"
        )


def _without_scope(scope: str, reason: str) -> str:
    """Our server's reason, without the "scope '…' is unreadable: " the app says itself."""
    said = f"scope {scope!r} is unreadable: "
    return reason[len(said) :] if reason.startswith(said) and len(reason) > len(said) else reason


def _by_key(entries: dict[str, MemoryEntry]) -> list[MemoryEntry]:
    return sorted(entries.values(), key=attrgetter("key"))


def _moved(before: dict[str, MemoryEntry], after: dict[str, MemoryEntry]) -> set[str]:
    """The store keys added, changed or removed."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
