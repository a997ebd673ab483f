"""Add an entry: key, value, layer and source_step; an existing key is never overwritten unasked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, RadioButton, RadioSet, Static, TextArea

from ..display import one_line, safe
from ..table.rows import Row
from ..widgets.safe_inputs import LeadInput, SafeInput, hidden_characters
from ..widgets.safe_text_area import SafeTextArea
from ._base import field_line, message_line, title, value_preview
from .confirm import ConfirmDialog
from .edit import json_problem
from .saving import ASKING, Saver, SavingDialog, size_limit_note

AddLayer = Literal["store", "memory"]


@dataclass(frozen=True)
class AddResult:
    """The entry to write; `layer` says where."""

    key: str
    value: str
    layer: AddLayer
    source_step: str


def key_problem(key: str) -> tuple[bool, Content] | None:
    """(blocks saving, message) for a key worth a word, else None."""
    if not key.strip():
        return True, Content.styled("✗ A key is required.", "$text-error bold")
    if hidden_characters(key):
        return False, Content.assemble(
            Content.styled("⚠ The key holds control or invisible characters: ", "$text-warning"),
            one_line(key, 80),
        )
    if key != key.strip():
        return False, Content.styled("⚠ The key starts or ends with spaces.", "$text-warning")
    return None


class AddDialog(SavingDialog[AddResult]):
    """Add an entry to a scope; ctrl+s saves, escape cancels (asking if anything was typed)."""

    AUTO_FOCUS = "#key"
    BINDINGS = [Binding("ctrl+s", "save", "Save")]

    def __init__(
        self,
        scope: str,
        *,
        key_exists: Callable[[str, str], Row | None],
        default_source_step: str = "tui",
        memory_allowed: bool = True,
        memory_note: str | None = None,
        save: Saver[AddResult] | None = None,
        limit: int | None = None,
    ) -> None:
        """`save` writes the result (the dialog stays open until it succeeds); `limit` in bytes.

        `memory_note` says, when the memory layer is chosen, where such an entry lives
        (for a file store: in this app's process only, gone when it quits).
        """
        super().__init__(save=save)
        self.limit = limit
        self.scope = scope
        self.key_exists = key_exists
        self.default_source_step = default_source_step
        self.memory_allowed = memory_allowed
        self.memory_note = memory_note
        self._asking = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as panel:
            panel.border_title = title("Add entry")
            panel.border_subtitle = "ctrl+s save · ctrl+e $EDITOR · esc cancel"
            yield Static(field_line("scope", safe(self.scope)), classes="fields")
            with Horizontal(classes="form-row"):
                yield Static(Content("key"), classes="label")
                yield LeadInput(
                    placeholder="required",
                    cursor_blink=self.cursor_blink,
                    follow=self._type_into_value,
                    id="key",
                )
            yield Static(id="key-message", classes="message")
            with Horizontal(classes="form-row"):
                yield Static(Content("layer"), classes="label")
                with RadioSet(id="layer"):
                    yield RadioButton("store", value=True, id="layer-store")
                    yield RadioButton("memory", id="layer-memory", disabled=not self.memory_allowed)
            yield Static(id="layer-note", classes="warning")
            yield Static(Content("value"), classes="label")
            yield SafeTextArea(soft_wrap=True, cursor_blink=self.cursor_blink, id="value")
            yield Static(id="json-warning", classes="warning")
            yield Static(size_limit_note(self.limit), id="limit", classes="hint")
            with Horizontal(classes="form-row"):
                yield Static(Content("source_step"), classes="label")
                yield SafeInput(
                    self.default_source_step,
                    placeholder=self.default_source_step,
                    cursor_blink=self.cursor_blink,
                    id="source-step",
                )
            yield Static(id="problem", classes="problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Add", variant="primary", id="save")

    def on_mount(self) -> None:
        message_line(self.query_one("#key-message", Static), None)
        message_line(self.query_one("#layer-note", Static), None)
        message_line(self.query_one("#json-warning", Static), None)
        self.show_problem(None)

    @property
    def layer(self) -> AddLayer:
        pressed = self.query_one("#layer", RadioSet).pressed_button
        return "memory" if pressed is not None and pressed.id == "layer-memory" else "store"

    @on(Input.Changed, "#key")
    def _key_changed(self, event: Input.Changed) -> None:
        problem = key_problem(event.value) if event.value else None
        message_line(self.query_one("#key-message", Static), problem[1] if problem else None)

    @on(RadioSet.Changed, "#layer")
    def _layer_changed(self) -> None:
        note = self.memory_note if self.layer == "memory" else None
        message_line(
            self.query_one("#layer-note", Static),
            None if note is None else Content.styled(f"⚠ {note}", "$text-warning"),
        )

    @on(TextArea.Changed, "#value")
    def _value_changed(self, event: TextArea.Changed) -> None:
        message_line(self.query_one("#json-warning", Static), json_problem(event.text_area.text))

    @on(Input.Submitted, "#key")
    def _key_submitted(self) -> None:
        self.set_focus(self.query_one("#value", TextArea))

    def _type_into_value(self, text: str) -> None:
        """What was typed or pasted after enter in the key: it belongs to the value."""
        area = self.query_one("#value", TextArea)
        area.insert(text)

    @on(Input.Submitted, "#source-step")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self._asking:
            return
        key_input = self.query_one("#key", Input)
        key = key_input.value
        problem = key_problem(key)
        if problem is not None and problem[0]:
            message_line(self.query_one("#key-message", Static), problem[1])
            key_input.focus()
            return
        result = AddResult(
            key=key,
            value=self.query_one("#value", TextArea).text,
            layer=self.layer,
            source_step=self.query_one("#source-step", Input).value.strip()
            or self.default_source_step,
        )
        self._add(result)

    @work(group=ASKING, exclusive=True)
    async def _add(self, result: AddResult) -> None:
        """Save `result`; a key that exists is overwritten only when the operator says so."""
        existing = self.key_exists(result.key, result.layer)
        if existing is not None:
            self._asking = True
            try:
                confirmed = await self.app.push_screen_wait(
                    ConfirmDialog(
                        "Overwrite existing entry?",
                        self._overwrite_question(existing, result.layer),
                        confirm_label="Overwrite",
                        destructive=True,
                    )
                )
            finally:
                self._asking = False
            if not confirmed:
                self.query_one("#key", Input).focus()
                return
        self.submit(result)

    def _overwrite_question(self, existing: Row, layer: AddLayer) -> Content:
        return Content("\n").join(
            [
                Content(f"This key already exists in the {layer} layer:"),
                Content(""),
                field_line("scope", safe(self.scope)),
                field_line("key", one_line(existing.key).stylize("bold")),
                field_line("source_step", safe(existing.source_step)),
                field_line("value", Content("")),
                value_preview(existing.value),
                Content(""),
                Content("Overwrite replaces this value."),
            ]
        )

    def changed(self) -> bool:
        step = self.query_one("#source-step", Input).value.strip() or self.default_source_step
        return bool(
            self.query_one("#key", Input).value
            or self.query_one("#value", TextArea).text
            or step != self.default_source_step
        )

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()
