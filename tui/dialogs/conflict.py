"""An edit collided with another process's write: show the three values, let the operator pick."""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from ..display import one_line, safe
from ._base import DialogScreen, field_line, title, value_preview

ConflictChoice = Literal["theirs", "mine", "edit"]
#: What the operator was doing when the write collided.
Situation = Literal["edit", "add", "undo"]

#: Per situation: the lead sentence, the three headings, what a missing "yours" means,
#: and the label of the button that writes anyway.
WORDING: dict[Situation, tuple[str, str, str, str, str]] = {
    "edit": (
        "Another process changed this entry while you were editing it.",
        "when you opened it",
        "yours",
        "",
        "Overwrite with mine",
    ),
    "add": (
        "Another process wrote this key while you were adding it.",
        "when you opened it",
        "yours",
        "",
        "Overwrite with mine",
    ),
    "undo": (
        "Another process changed this entry after your change: undoing it now would "
        "replace their value.",
        "what you wrote",
        "undo puts back",
        "(undo removes the entry)",
        "Undo anyway",
    ),
}

#: Each of the three values shows at most this many lines.
CONFLICT_PREVIEW_LINES = 4


def version(heading: str, value: str | None, missing: str) -> Static:
    """One of the three values in its own labelled box; None shows `missing`."""
    body = (
        Content.styled(missing, "$text-warning italic")
        if value is None
        else value_preview(value, lines=CONFLICT_PREVIEW_LINES)
    )
    box = Static(body, classes="version value-preview")
    box.border_title = Content(heading)
    return box


class ConflictDialog(DialogScreen[ConflictChoice | None]):
    """Never overwrite silently: Keep theirs is focused, Overwrite needs a deliberate choice."""

    AUTO_FOCUS = "#theirs"

    def __init__(
        self,
        scope: str,
        key: str,
        *,
        opened: str | None,
        on_disk: str | None,
        mine: str | None,
        situation: Situation = "edit",
        elsewhere: str = "on disk",
    ) -> None:
        super().__init__()
        self.scope = scope
        self.key = key
        self.opened = opened
        self.on_disk = on_disk
        self.mine = mine
        self.situation: Situation = situation
        #: Where the other write landed, for people: "on disk", "in Redis".
        self.elsewhere = elsewhere

    def compose(self) -> ComposeResult:
        lead, opened, yours, removes, overwrite = WORDING[self.situation]
        with Vertical(classes="dialog -conflict") as panel:
            panel.border_title = title(f"Changed {self.elsewhere}")
            panel.border_subtitle = "esc back"
            with VerticalScroll(classes="dialog-body"):
                yield Static(
                    Content("\n").join(
                        [
                            Content(lead),
                            Content(""),
                            field_line("scope", safe(self.scope)),
                            field_line("key", one_line(self.key).stylize("bold")),
                        ]
                    ),
                    classes="fields",
                )
                yield version(opened, self.opened, "(not there yet)")
                yield version(f"{self.elsewhere} now", self.on_disk, "deleted")
                yield version(yours, self.mine, removes)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep theirs", variant="primary", id="theirs")
                yield Button("Edit again", id="edit")
                yield Button(overwrite, variant="warning", id="mine")

    @on(Button.Pressed, "#theirs")
    def _theirs(self) -> None:
        self.dismiss("theirs")

    @on(Button.Pressed, "#mine")
    def _mine(self) -> None:
        self.dismiss("mine")

    @on(Button.Pressed, "#edit")
    def _edit(self) -> None:
        self.dismiss("edit")
