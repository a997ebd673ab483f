"""Every write the operator starts, as straight-line flows: ask, write, and on a conflict ask again.

Each flow is an async worker that awaits its dialogs (`push_screen_wait`) and branches
on the answers. The writes themselves run one at a time, in key-press order, in a
thread worker under `write_lock`, so the undo stack follows the key presses. Nothing
here checks and then writes: every write is a compare-and-set in the core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import msgspec.structs
from textual import work
from textual.notifications import SeverityLevel

from axon_scopes.core import (
    Capabilities,
    MemoryEntry,
    ScopeError,
    ScopeService,
    ScopeSource,
    WriteConflictError,
)
from axon_scopes.core.errors import WriteForbiddenError

from .. import changes
from ..dialogs.saving import ASKING, SAVED, SaveOutcome
from ..refs import ScopeRef
from ..table.rows import Row
from .deletes import DeleteRefusals

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

    from ..dialogs.add import AddResult
    from ..dialogs.edit import EditResult

T = TypeVar("T")

#: Shown in the editor after "Edit again": saving now replaces what is stored now.
EDIT_AGAIN = (
    "It changed {elsewhere} while you edited (see the value there now in the table); "
    "your text is kept, and saving now replaces that value."
)


READ_ONLY_REASON = "read-only: started with --read-only, so nothing can be changed"
SERVICE_READ_ONLY = "read-only: this store's service refuses every write"
NO_CHECKED_WRITES = (
    "read-only here: this store's service cannot check a write against what you saw, "
    "so none is made"
)
MEMORY_READ_ONLY = "This store's service shows its memory layer but cannot write it."


def service_refusal(capabilities: Capabilities) -> str | None:
    """Why a service's writes are refused, read from what it says it can do; None: allowed.

    A service whose checked writes re-read the entry right before writing
    (`checked_writes="reread"`, an AxonServer) may write: it narrows the race with
    another writer, and its conflicts open the same dialog.
    """
    if capabilities.read_only:
        return capabilities.read_only_reason or SERVICE_READ_ONLY
    if not capabilities.has_compare_and_set:
        return NO_CHECKED_WRITES
    return None


class WriteFlows(DeleteRefusals):
    """The write flows of the main view; mixed into the node that owns the scope's state.

    A plain class, listed after the Textual base, so that it adds no CSS or bindings.
    """

    if TYPE_CHECKING:
        app: App[None]
        run_worker: Callable[..., Worker[object]]
        current: ScopeRef | None
        #: How large a value may be, in bytes (stated in the dialogs; the core enforces it).
        max_value_bytes: int | None
        #: Where other processes' writes land, for messages: "on disk", "in Redis".
        elsewhere: str

        source: ScopeSource
        #: Scopes whose file is unreadable, and why.
        errors: dict[ScopeRef, str]
        read_only: bool

        def service(self, ref: ScopeRef) -> ScopeService: ...
        def query_one(self, selector: type[T]) -> T: ...
        def load_scope(
            self, ref: ScopeRef, external: bool = False, reload: bool = False
        ) -> None: ...
        def scan_scopes(self) -> None: ...
        def remember_write(
            self, ref: ScopeRef, layer: str, key: str, entry: MemoryEntry | None
        ) -> None: ...

    def write_refusal(self, row: Row | None = None) -> tuple[str, SeverityLevel] | None:
        """Why nothing (or `row`) may be changed here, and how loudly; None: it may."""
        if self.read_only:
            return READ_ONLY_REASON, "warning"
        if self.current is None:
            return "No scope selected.", "warning"
        capabilities = self.service(self.current).capabilities
        refusal = service_refusal(capabilities)
        if refusal is not None:
            return refusal, "warning"
        if self.current in self.errors:
            reason = self.errors[self.current]
            what = "This scope's file is" if self.source.kind == "files" else "This scope is"
            return f"{what} unreadable, so writes are refused: {reason}", "error"
        if row is not None and not row.writable:
            return (
                "This memory layer was published by another process; it is read-only here.",
                "warning",
            )
        if row is not None and row.layer == "memory" and not capabilities.can_write_memory:
            return MEMORY_READ_ONLY, "warning"
        return None

    def turned_read_only(self, error: ScopeError) -> None:
        """A server refused a write with this token (403): the header says read-only now."""
        from ..widgets.header import StoreHeader

        if isinstance(error, WriteForbiddenError):
            self.query_one(StoreHeader).read_only = True

    def _refused(self, row: Row | None = None) -> bool:
        refusal = self.write_refusal(row)
        if refusal is not None:
            self.notify(refusal[0], severity=refusal[1])
        return refusal is not None

    @property
    def memory_note(self) -> str | None:
        """Where a memory entry written here lives, when that is only this process."""
        if self.source.kind != "files":
            return None
        return (
            "A memory entry lives only in this app's process: files share only the store "
            "layer, so no server sees it, and it is gone when the app quits."
        )

    def init_writes(self) -> None:
        #: What each write changed, newest last: `u` takes from the end.
        self.undo_stack: list[changes.UndoStep] = []
        #: One write at a time; asyncio's lock is fair, so writes run in the order asked.
        self._write_lock = asyncio.Lock()

    def write_lock(self) -> asyncio.Lock:
        return self._write_lock

    async def in_thread(self, write: Callable[..., T], *args: object) -> T | ScopeError:
        """Run one write off the UI thread; a refused write comes back as its error."""

        def run() -> T | ScopeError:
            try:
                return write(*args)
            except ScopeError as exc:
                return exc

        return await self.run_worker(run, thread=True, group="write").wait()  # type: ignore[return-value]

    def wrote(
        self,
        ref: ScopeRef,
        summary: str,
        undo: changes.UndoStep | None = None,
        done: changes.UndoStep | None = None,
    ) -> None:
        """After a write: remember its undo, say so, and show the scope as it is now.

        What each key now holds (`done`, else what `undo` would undo) is watched for a
        while: another writer undoing it is said (`RevertWatch`).
        """
        for previous in (done or undo or changes.UndoStep(ref, "", ())).previous:
            self.remember_write(ref, previous.layer, previous.key, previous.written)
        if undo is not None:
            self.undo_stack.append(undo)
        self.app.notify(summary, timeout=2)
        self.refresh_after_write(ref)

    def failed(self, ref: ScopeRef, summary: str, error: ScopeError) -> None:
        self.turned_read_only(error)
        self.app.notify(str(error), title=summary, severity="error", timeout=8)
        self.refresh_after_write(ref)

    def refresh_after_write(self, ref: ScopeRef) -> None:
        self.scan_scopes()
        if ref == self.current:
            self.load_scope(ref)

    # ── edit and add ───────────────────────────────────────────────────────

    def open_editor(self, ref: ScopeRef, row: Row, expected: MemoryEntry | None) -> None:
        """Edit `row`; the dialog stays open until a write expecting `expected` succeeds."""
        from ..dialogs.edit import EditDialog

        state = {"expected": expected}

        async def save(result: EditResult) -> SaveOutcome:
            outcome = await self.put(
                ref, row.layer, row.key, result.value, result.source_step, "edit", state
            )
            return outcome

        self.app.push_screen(EditDialog(ref.scope, row, save=save, limit=self.max_value_bytes))

    def open_adder(self, ref: ScopeRef) -> None:
        """Add an entry; an existing key is overwritten only if it still holds what was shown."""
        from ..dialogs.add import AddDialog

        service = self.service(ref)
        #: What the dialog was told each key holds: the write expects exactly that.
        looked: dict[tuple[str, str], MemoryEntry | None] = {}

        def exists(key: str, layer: str) -> Row | None:
            entry = service.get(ref.scope, key, layer=layer)  # type: ignore[arg-type]
            looked[(layer, key)] = entry
            if entry is None:
                return None
            return Row(layer, entry.key, entry.value, entry.timestamp, entry.source_step)  # type: ignore[arg-type]

        async def save(result: AddResult) -> SaveOutcome:
            state = {"expected": looked.get((result.layer, result.key))}
            return await self.put(
                ref, result.layer, result.key, result.value, result.source_step, "add", state
            )

        self.app.push_screen(
            AddDialog(
                ref.scope,
                key_exists=exists,
                save=save,
                limit=self.max_value_bytes,
                memory_allowed=service.capabilities.can_write_memory,
                memory_note=self.memory_note,
            )
        )

    async def put(
        self,
        ref: ScopeRef,
        layer: str,
        key: str,
        value: str,
        step: str,
        verb: str,
        state: dict[str, MemoryEntry | None],
    ) -> SaveOutcome:
        """Write `value` if `key` holds `state["expected"]`; on a conflict, ask what to do."""
        from ..dialogs.conflict import ConflictDialog

        service = self.service(ref)
        while True:
            expected = state["expected"]
            async with self.write_lock():
                done = await self.in_thread(
                    changes.put, service, ref.scope, layer, key, value, step, expected
                )
                if isinstance(done, changes.Previous):
                    undo = changes.UndoStep(ref, f"{verb} {key!r}", (done,))
                    self.wrote(ref, f"{verb}: {key!r} saved to {layer}", undo)
                    return SAVED
            if not isinstance(done, WriteConflictError):
                self.turned_read_only(done)
                return SaveOutcome(False, f"{verb} failed: {done}")
            actual = done.actual
            state["expected"] = actual
            choice = await self.app.push_screen_wait(
                ConflictDialog(
                    ref.scope,
                    key,
                    opened=None if expected is None else expected.value,
                    on_disk=None if actual is None else actual.value,
                    mine=value,
                    situation="add" if verb == "add" else "edit",
                    elsewhere=self.elsewhere,
                )
            )
            if choice == "mine":
                continue
            if choice == "theirs":
                self.app.notify(f"Kept the value {self.elsewhere}; your change was not written.")
                self.refresh_after_write(ref)
                return SaveOutcome(True)
            self.refresh_after_write(ref)
            return SaveOutcome(False, EDIT_AGAIN.format(elsewhere=self.elsewhere))

    # ── purge ──────────────────────────────────────────────────────────────

    @work(group=ASKING)
    async def purge_flow(self, ref: ScopeRef, row: Row) -> None:
        """Confirm, purge what was confirmed; if it changed meanwhile, show it and ask again."""
        from ..dialogs.purge import PurgeDialog

        note: str | None = None
        while True:
            if not await self.app.push_screen_wait(PurgeDialog(ref.scope, row, note=note)):
                return
            service = self.service(ref)
            async with self.write_lock():
                done = await self.in_thread(changes.remove, service, ref.scope, [row])
                if isinstance(done, tuple):
                    self.wrote(
                        ref,
                        f"purged {row.key!r}",
                        changes.UndoStep(ref, f"purged {row.key!r}", done),
                    )
                    return
            if not isinstance(done, WriteConflictError):
                self.failed(ref, "purge failed", done)
                return
            now = done.actual
            if now is None:
                self.app.notify("That entry is already gone from disk; nothing was purged.")
                self.refresh_after_write(ref)
                return
            row = msgspec.structs.replace(
                row, value=now.value, timestamp=now.timestamp, source_step=now.source_step
            )
            note = "This entry changed on disk since it was shown. Below is its value now."

    @work(group=ASKING)
    async def bulk_purge_flow(
        self, ref: ScopeRef, find: Callable[[str], list[Row]], query: str
    ) -> None:
        """Purge exactly the previewed entries, and only those still as previewed."""
        from ..dialogs.bulk_purge import BulkPurgeDialog

        rows = await self.app.push_screen_wait(
            BulkPurgeDialog(ref.scope, find=find, initial_query=query)
        )
        if not rows:
            return
        service = self.service(ref)
        async with self.write_lock():
            done = await self.in_thread(changes.remove_unchanged, service, ref.scope, rows)
            if not isinstance(done, tuple):
                self.failed(ref, "purge failed", done)
                return
            previous, skipped = done
            summary = f"purged {len(previous)} entries"
            if skipped:
                summary += f"; {skipped} skipped (changed or gone since the preview)"
            self.wrote(ref, summary, changes.UndoStep(ref, summary, previous) if previous else None)

    # ── undo ───────────────────────────────────────────────────────────────

    @work(group=ASKING)
    async def undo_flow(self) -> None:
        """Undo the latest write if every key still holds what this app wrote; else ask first.

        The step is taken from the stack under the write lock, so an undo pressed right
        after a save undoes that save.
        """
        from ..dialogs.conflict import ConflictDialog

        async with self.write_lock():
            if not self.undo_stack:
                self.app.notify("Nothing to undo.")
                return
            step = self.undo_stack.pop()
        while True:
            service = self.service(step.ref)
            async with self.write_lock():
                done = await self.in_thread(changes.restore, service, step)
                if isinstance(done, changes.UndoStep):
                    self.wrote(step.ref, f"undone: {step.description}", done=done)
                    return
            if not isinstance(done, WriteConflictError):
                self.failed(step.ref, "undo failed", done)
                return
            exc = done
            back = next(p for p in step.previous if (p.layer, p.key) == (exc.layer, exc.key))
            choice = await self.app.push_screen_wait(
                ConflictDialog(
                    step.ref.scope,
                    exc.key,
                    opened=None if exc.expected is None else exc.expected.value,
                    on_disk=None if exc.actual is None else exc.actual.value,
                    mine=None if back.entry is None else back.entry.value,
                    situation="undo",
                    elsewhere=self.elsewhere,
                )
            )
            if choice == "mine":
                actual = [(key, now) for key, _seen, now in exc.conflicts]
                step = changes.overriding(step, exc.layer, actual)
                continue
            base = back.entry or exc.actual
            if choice == "edit" and base is not None:
                row = Row(back.layer, base.key, base.value, base.timestamp, base.source_step)  # type: ignore[arg-type]
                self.open_editor(step.ref, row, exc.actual)
            else:
                self.app.notify(f"Kept the value {self.elsewhere}; the undo was not applied.")
                self.refresh_after_write(step.ref)
            return
