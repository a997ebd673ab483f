"""A yes/no question and a plain message, for everything that needs no form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from ..display import safe
from ._base import DialogScreen


def _plain(text: str | Content) -> Content:
    """Strings are shown as plain text, never parsed as markup."""
    return text if isinstance(text, Content) else safe(text, keep_layout=True)


class ConfirmDialog(DialogScreen[bool | None]):
    """Ask once; True only on the confirm button.

    A destructive question starts on Cancel and shows its confirm button in the error
    colour, so a stray enter never destroys anything.
    """

    def __init__(
        self,
        title: str | Content,
        body: Content | str,
        *,
        confirm_label: str = "OK",
        destructive: bool = False,
    ) -> None:
        super().__init__()
        self._title = _plain(title)
        self._body = _plain(body)
        self._confirm_label = confirm_label
        self._destructive = destructive

    def compose(self) -> ComposeResult:
        classes = "dialog -compact -destructive" if self._destructive else "dialog -compact"
        with Vertical(classes=classes) as panel:
            panel.border_title = self._title
            # Not a focus stop: tab goes straight between the two answers.
            with VerticalScroll(classes="dialog-body", can_focus=False):
                yield Static(self._body, id="body", classes="lead")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    Content(self._confirm_label),
                    variant="error" if self._destructive else "primary",
                    id="confirm",
                )

    def on_mount(self) -> None:
        self.query_one("#cancel" if self._destructive else "#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)


class MessageDialog(DialogScreen[None]):
    """Show something the operator should read (such as why a scope file is unreadable)."""

    AUTO_FOCUS = "#close"

    def __init__(self, title: str | Content, body: Content | str) -> None:
        super().__init__()
        self._title = _plain(title)
        self._body = _plain(body)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -compact") as panel:
            panel.border_title = self._title
            with VerticalScroll(classes="dialog-body"):
                yield Static(self._body, id="body", classes="lead")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
