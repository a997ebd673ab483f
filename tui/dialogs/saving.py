"""Dialogs that write what was typed: they stay open until the write succeeds.

The dialog hands its result to a `Saver` (the screen's write flow) and waits. A
failed write comes back as a reason shown in the dialog, with everything typed
kept; escape on a changed value asks before discarding it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import work
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static, TextArea

from ..display import looks_like_json
from ._base import DialogScreen, message_line
from .confirm import ConfirmDialog

ResultT = TypeVar("ResultT")

#: Workers in this group wait for the operator's answer to a dialog, not for I/O.
ASKING = "asking"


@dataclass(frozen=True)
class SaveOutcome:
    """What a save came to: `done` closes the dialog; otherwise `problem` is shown in it."""

    done: bool
    problem: str | None = None


SAVED = SaveOutcome(True)

Saver = Callable[[ResultT], Awaitable[SaveOutcome]]


#: The value editor's keys, said under it (the editor's own are not discoverable).
EDITOR_KEYS = "ctrl+e your $EDITOR · ctrl+a select all · ctrl+z undo · ctrl+y redo"


def size_limit_note(limit: int | None) -> Content:
    """The editor's keys and the value size limit, stated before saving."""
    keys = Content.styled(EDITOR_KEYS, "$text-muted")
    if limit is None:
        return keys
    return Content.assemble(f"Values up to {limit:,} bytes (UTF-8).\n", keys)


class SavingDialog(DialogScreen[ResultT | None], Generic[ResultT]):
    """A dialog whose result is written before it closes (when given a `save`).

    Its value (`#value`) can be edited in the operator's own editor with ctrl+e.
    """

    BINDINGS = [Binding("ctrl+e", "external_editor", "Edit in $EDITOR", priority=True)]

    def __init__(self, *, save: Saver[ResultT] | None = None) -> None:
        super().__init__()
        self.save = save
        self._saving = False

    def changed(self) -> bool:
        """Whether closing now would lose something typed; dialogs say what that means."""
        return False

    def submit(self, result: ResultT) -> None:
        """Close with `result`, or first write it and stay open if that fails."""
        if self.save is None:
            self.dismiss(result)
        elif not self._saving:
            self._saving = True
            self.show_problem(None)
            self._write(result)

    @work(group=ASKING)
    async def _write(self, result: ResultT) -> None:
        assert self.save is not None
        try:
            outcome = await self.save(result)
        finally:
            self._saving = False
        if outcome.done:
            self.dismiss(result)
        else:
            self.show_problem(outcome.problem)

    def action_external_editor(self) -> None:
        """The value in `$VISUAL`/`$EDITOR` while the app waits; what it leaves comes back."""
        from .external_editor import EditorFailed, edit_in_editor

        area = self.query_one("#value", TextArea)
        suffix = ".json" if looks_like_json(area.text) else ".txt"
        try:
            text = edit_in_editor(self.app, area.text, suffix=suffix)
        except EditorFailed as exc:
            self.show_problem(f"The editor did not run: {exc}. Your text is kept.")
            return
        self.show_problem(None)
        if text != area.text:
            area.text = text

    def show_problem(self, problem: str | None) -> None:
        line = self.query_one("#problem", Static)
        message_line(
            line, None if problem is None else Content.styled(f"✗ {problem}", "$text-error")
        )

    def action_cancel(self) -> None:
        if self._saving:
            return
        if not self.changed():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                "Discard your changes?",
                "What you typed has not been saved. Discard it and close the dialog?",
                confirm_label="Discard",
                destructive=True,
            ),
            answered,
        )
