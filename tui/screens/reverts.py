"""Edits of this app that another writer undid: found soon after, said plainly, marked on the row.

A mixin of the browser screen. Every entry the app writes is remembered for a while
(`Tuning.revert_window_s`); when a scope it wrote changes elsewhere, a worker reads
those keys again, and a key that no longer holds what the app wrote is a revert:
one message names the key, what the app wrote and what replaced it, the change log
and the status line keep it, and its row carries a mark until the app writes it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work

from axon_scopes.core import MemoryEntry, ScopeError, ScopeService

from ..change_log import ChangeRecord, clock_time
from ..display import one_line
from ..messages import EditsReverted
from ..refs import ScopeRef

if TYPE_CHECKING:
    from textual.app import App

    from ..app import Clock, ScopesApp
    from ..widgets.entry_table import EntryTable

#: (scope, layer, key): one entry of one scope.
EntryRef = tuple[ScopeRef, str, str]
#: How much of each value a revert message quotes.
QUOTED_CHARS = 120


@dataclass(frozen=True, slots=True)
class OwnWrite:
    """An entry this app wrote, and when (the app's clock)."""

    entry: MemoryEntry
    at: float


@dataclass(frozen=True, slots=True)
class Revert:
    """Another writer replaced (`now`) or removed (`now` None) what this app wrote."""

    where: EntryRef
    mine: OwnWrite
    now: MemoryEntry | None
    found_at: float

    @property
    def key(self) -> str:
        return self.where[2]

    def sentence(self, elsewhere: str) -> str:
        """The one message, in plain words (the caller makes it safe)."""
        ref, layer, key = self.where
        verb = "removed" if self.now is None else "replaced"
        lines = [
            f"Another writer {verb} your edit of {key!r} in {ref.scope} ({layer}), "
            f"saved at {clock_time(self.mine.at)}.",
            f"You wrote:  {quote(self.mine.entry.value)}",
        ]
        if self.now is not None:
            lines.append(f"Now {elsewhere}:  {quote(self.now.value)}")
        return "\n".join(lines)


def quote(value: str) -> str:
    return one_line(value, QUOTED_CHARS).plain


class RevertWatch:
    """Remember this app's writes; find the ones another writer undid."""

    if TYPE_CHECKING:
        app: App[None]
        config: ScopesApp
        clock: Clock
        current: ScopeRef | None
        table: EntryTable
        elsewhere: str
        post_message: Callable[..., bool]

        def service(self, ref: ScopeRef) -> ScopeService: ...
        def log_changes(self, records: list[ChangeRecord]) -> None: ...
        def _update_detail(self) -> None: ...

    def init_reverts(self) -> None:
        #: What this app wrote lately, by entry.
        self.own_writes: dict[EntryRef, OwnWrite] = {}
        #: Entries whose latest write by this app another writer undid.
        self.reverted: dict[EntryRef, Revert] = {}
        #: Memory entries this app wrote (and has not removed): they go when it quits.
        self.memory_written: set[EntryRef] = set()

    def remember_write(
        self, ref: ScopeRef, layer: str, key: str, entry: MemoryEntry | None
    ) -> None:
        """This app just wrote `entry` (None: removed it) at `key`: watch it for a while."""
        where = (ref, layer, key)
        if layer == "memory":
            (self.memory_written.discard if entry is None else self.memory_written.add)(where)
        if entry is None:
            self.own_writes.pop(where, None)
        else:
            self.own_writes[where] = OwnWrite(entry, self.clock())
        if self.reverted.pop(where, None) is not None:
            self.mark_reverted_rows()

    def check_reverts(self, refs: Iterable[ScopeRef]) -> None:
        """After changes elsewhere in `refs`: read again what this app wrote there lately."""
        now = self.clock()
        window = self.config.tuning.revert_window_s
        for where, write in list(self.own_writes.items()):
            if now - write.at > window:
                del self.own_writes[where]
        touched = set(refs)
        wanted = {w: write for w, write in self.own_writes.items() if w[0] in touched}
        if wanted:
            self._read_back(wanted)

    @work(thread=True, group="reverts")
    def _read_back(self, wanted: dict[EntryRef, OwnWrite]) -> None:
        found: list[Revert] = []
        for where, write in wanted.items():
            ref, layer, key = where
            try:
                now = self.service(ref).get(ref.scope, key, layer=layer)  # type: ignore[arg-type]
            except ScopeError:
                continue  # Unreadable: said elsewhere, and nothing is known of the key.
            if now is None or now.value != write.entry.value:
                found.append(Revert(where, write, now, self.clock()))
        if found:
            self.post_message(EditsReverted(found))

    def on_edits_reverted(self, message: EditsReverted) -> None:
        fresh = [r for r in message.reverts if self.own_writes.get(r.where) == r.mine]
        if not fresh:
            return  # Written again meanwhile: that write is the one to watch.
        for revert in fresh:
            del self.own_writes[revert.where]
            self.reverted[revert.where] = revert
        self.log_changes(
            [ChangeRecord(r.found_at, r.where[0], reverted=(r.key, r.now is None)) for r in fresh]
        )
        self.app.notify(
            "\n\n".join(r.sentence(self.elsewhere) for r in fresh),
            title="Your edit was undone elsewhere"
            if len(fresh) == 1
            else f"{len(fresh)} of your edits were undone elsewhere",
            severity="warning",
            timeout=12,
        )
        self.mark_reverted_rows()

    def mark_reverted_rows(self) -> None:
        """The shown scope's rows whose edit was undone carry a mark; the detail pane says why."""
        self.table.set_marked(
            {(layer, key) for ref, layer, key in self.reverted if ref == self.current}
        )
        self._update_detail()

    def revert_of(self, layer: str, key: str) -> Revert | None:
        if self.current is None:
            return None
        return self.reverted.get((self.current, layer, key))
