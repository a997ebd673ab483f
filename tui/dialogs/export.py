"""Export a scope to a JSON or CSV file: choose the format, where it goes, and for CSV
whether cells that a spreadsheet would run as formulas are made inert."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from ..display import safe
from ..widgets.safe_inputs import SafeInput
from ._base import DialogScreen, field_line, message_line, title

ExportFormat = Literal["json", "csv"]
#: Off by default: the option changes the data, and the label says so.
NEUTRALIZE_LABEL = "CSV: ' before = + - @ tab CR cells (alters data)"


@dataclass(frozen=True)
class ExportResult:
    """Where to write the export, and in which format."""

    format: ExportFormat
    path: Path
    #: CSV only: prefix `'` to cells starting with = + - @ tab or CR (changes the data).
    neutralize_formulas: bool = False


def default_file_name(scope: str, fmt: ExportFormat) -> str:
    """`flow:analyze` → `flow_analyze.json`; path separators cannot sneak in either."""
    stem = scope.replace(":", "_").replace("/", "_").replace("\\", "_")
    return f"{stem}.{fmt}"


def path_problem(text: str) -> tuple[bool, Content] | None:
    """(blocks exporting, message) about the chosen path, else None."""
    if not text.strip():
        return True, Content.styled("✗ A file path is required.", "$text-error bold")
    path = Path(text).expanduser()
    if path.is_dir():
        return True, Content.styled("✗ That is a directory; add a file name.", "$text-error bold")
    if path.exists():
        return False, Content.styled("⚠ The file exists; exporting replaces it.", "$text-warning")
    if not path.parent.is_dir():
        return False, Content.styled(
            "⚠ Its directory does not exist; the export will fail.", "$text-warning"
        )
    return None


class ExportDialog(DialogScreen[ExportResult | None]):
    """Pick a format and a file; the file name follows the format until edited."""

    AUTO_FOCUS = "#path"
    BINDINGS = [Binding("ctrl+s", "export", "Export")]

    def __init__(self, scope: str, *, default_dir: Path) -> None:
        super().__init__()
        self.scope = scope
        self.default_dir = default_dir
        self._format: ExportFormat = "json"

    def _default_path(self, fmt: ExportFormat) -> str:
        return str(self.default_dir / default_file_name(self.scope, fmt))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as panel:
            panel.border_title = title("Export scope")
            panel.border_subtitle = "enter export · esc cancel"
            yield Static(field_line("scope", safe(self.scope)), classes="fields")
            with Horizontal(classes="form-row"):
                yield Static(Content("format"), classes="label")
                with RadioSet(id="format"):
                    yield RadioButton("JSON", value=True, id="format-json")
                    yield RadioButton("CSV", id="format-csv")
            with Horizontal(classes="form-row"):
                yield Static(Content("file"), classes="label")
                yield SafeInput(
                    self._default_path("json"),
                    select_on_focus=False,
                    cursor_blink=self.cursor_blink,
                    id="path",
                )
            yield Static(id="path-message", classes="message")
            with Horizontal(classes="form-row"):
                yield Static(Content("formulas"), classes="label")
                yield Checkbox(Content(NEUTRALIZE_LABEL), id="neutralize", disabled=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", variant="primary", id="export")

    def on_mount(self) -> None:
        self._check_path(self.query_one("#path", Input).value)

    @on(RadioSet.Changed, "#format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        new: ExportFormat = "csv" if event.pressed.id == "format-csv" else "json"
        old, self._format = self._format, new
        self.query_one("#neutralize", Checkbox).disabled = new != "csv"
        path_input = self.query_one("#path", Input)
        current = path_input.value
        if current == self._default_path(old):
            path_input.value = self._default_path(new)
        elif current.endswith(f".{old}"):
            path_input.value = current[: -len(old)] + new

    @on(Input.Changed, "#path")
    def _path_changed(self, event: Input.Changed) -> None:
        self._check_path(event.value)

    def _check_path(self, text: str) -> None:
        problem = path_problem(text)
        message_line(self.query_one("#path-message", Static), problem[1] if problem else None)

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        text = self.query_one("#path", Input).value
        problem = path_problem(text)
        if problem is not None and problem[0]:
            self._check_path(text)
            return
        neutralize = self._format == "csv" and self.query_one("#neutralize", Checkbox).value
        self.dismiss(ExportResult(self._format, Path(text).expanduser(), neutralize))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
