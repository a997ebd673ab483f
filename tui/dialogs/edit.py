"""Edit one entry's value and source_step; scope, layer and key are shown, not editable."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Static, TextArea
from textual.widgets.text_area import LanguageDoesNotExist

from ..display import as_json, looks_like_json, one_line, safe
from ..table.rows import Row
from ..widgets.safe_inputs import SafeInput, hidden_characters
from ..widgets.safe_text_area import SafeTextArea
from ._base import field_line, message_line, title
from .saving import Saver, SavingDialog, size_limit_note


@dataclass(frozen=True)
class EditResult:
    """What to write: the whole new value and the source_step to record with it."""

    value: str
    source_step: str


#: Lines longer than this are not wrapped in the editor: each keystroke would rewrap them.
WRAP_LINE_CHARS = 4_000
#: Values longer than this are not wrapped either: wrapping them all takes seconds.
WRAP_VALUE_CHARS = 256 * 1024
#: A line longer than this is edited in $EDITOR (ctrl+e): drawn here, each keystroke lags.
INLINE_LINE_CHARS = 200_000


def json_problem(text: str) -> Content | None:
    """A warning when the text starts and ends like JSON but does not parse, else None."""
    if not looks_like_json(text):
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at line {error.lineno}, column {error.colno}"
    except (ValueError, RecursionError) as error:
        reason = type(error).__name__
    else:
        return None
    return Content.assemble(
        Content.styled("⚠ Looks like JSON but does not parse: ", "$text-warning bold"),
        safe(reason),
        Content.styled(" (saving is still allowed)", "$text-muted"),
    )


def editor_notes(value: str, loaded: str) -> Content | None:
    """Say what the editor cannot show or keep of a value, so nothing is silently lost."""
    notes: list[Content] = []
    longest = max(map(len, value.split("\n")))
    if longest > INLINE_LINE_CHARS:
        notes.append(
            Content.styled(
                f"A line of {longest:,} characters is too long to edit here without lag: "
                "ctrl+e edits the value in your $EDITOR.",
                "$text-warning",
            )
        )
    elif longest > WRAP_LINE_CHARS or len(value) > WRAP_VALUE_CHARS:
        notes.append(
            Content.styled(
                f"A big value ({len(value):,} characters, lines up to {longest:,}) is not "
                "wrapped here; ctrl+e edits it in your $EDITOR.",
                "$text-muted",
            )
        )
    hidden = hidden_characters(value)
    if hidden:
        shown = Content(" ").join(safe(char) for char in hidden[:8])
        notes.append(
            Content.assemble(
                Content.styled("⚠ Holds characters the editor cannot show: ", "$text-warning"),
                shown,
                "; they are kept unless you delete the text around them.",
            )
        )
    if loaded != value:
        notes.append(
            Content.styled(
                "⚠ Its line breaks are not all \\n: unchanged it is saved as it was; "
                "edited, every line break is saved as the editor's.",
                "$text-warning",
            )
        )
    return Content("\n").join(notes) if notes else None


class EditDialog(SavingDialog[EditResult]):
    """Edit the value of one entry; ctrl+s saves, escape cancels (asking if it was changed)."""

    AUTO_FOCUS = "#value"
    BINDINGS = [Binding("ctrl+s", "save", "Save")]

    def __init__(
        self,
        scope: str,
        row: Row,
        *,
        default_source_step: str = "tui",
        save: Saver[EditResult] | None = None,
        limit: int | None = None,
    ) -> None:
        """`save` writes the result (the dialog stays open until it succeeds); `limit` in bytes."""
        super().__init__(save=save)
        self.limit = limit
        self.scope = scope
        self.row = row
        self.default_source_step = default_source_step
        self._loaded = row.value

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog") as panel:
            panel.border_title = title("Edit entry")
            panel.border_subtitle = "ctrl+s save · ctrl+e $EDITOR · esc cancel"
            yield Static(
                Content("\n").join(
                    [
                        field_line("scope", safe(self.scope)),
                        field_line("layer", Content(row.layer)),
                        field_line("key", one_line(row.key).stylize("bold")),
                    ]
                ),
                classes="fields",
            )
            yield Static(Content("value"), classes="label")
            longest = max(map(len, row.value.split("\n")))
            area = SafeTextArea(
                row.value,
                # A long line rewrapped on every keystroke would make each take seconds.
                soft_wrap=longest <= WRAP_LINE_CHARS and len(row.value) <= WRAP_VALUE_CHARS,
                read_only=longest > INLINE_LINE_CHARS,
                cursor_blink=self.cursor_blink,
                id="value",
            )
            if as_json(row.value) is not None:
                # Highlighting needs tree-sitter's JSON grammar; plain text is fine without it.
                with contextlib.suppress(LanguageDoesNotExist):
                    area.language = "json"
            yield area
            yield Static(id="notes", classes="warning")
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
                yield Button("Save", variant="primary", id="save")

    def on_mount(self) -> None:
        area = self.query_one("#value", TextArea)
        self._loaded = area.text
        message_line(self.query_one("#notes", Static), editor_notes(self.row.value, area.text))
        self._check_json(area.text)
        self.show_problem(None)

    @on(TextArea.Changed, "#value")
    def _value_changed(self, event: TextArea.Changed) -> None:
        self._check_json(event.text_area.text)

    def _check_json(self, text: str) -> None:
        message_line(self.query_one("#json-warning", Static), json_problem(text))

    @on(Input.Submitted, "#source-step")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.submit(self.result())

    def result(self) -> EditResult:
        text = self.query_one("#value", TextArea).text
        # The editor rewrites some line breaks on load: an untouched value goes back as it was.
        value = self.row.value if text == self._loaded else text
        source_step = self.query_one("#source-step", Input).value.strip()
        return EditResult(value, source_step or self.default_source_step)

    def changed(self) -> bool:
        step = self.query_one("#source-step", Input).value.strip() or self.default_source_step
        return self.query_one("#value", TextArea).text != self._loaded or (
            step != self.default_source_step
        )

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()
