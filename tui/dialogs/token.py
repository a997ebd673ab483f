"""Ask for a server's bearer token: the source answered 401 (or refused the token given)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from ..display import safe
from ..widgets.safe_inputs import SafeInput
from ._base import DialogScreen, title


class TokenDialog(DialogScreen[str | None]):
    """A password field; enter or Connect answers the token, escape or Cancel None.

    The token is never shown (the field is a password field) and never kept here.
    """

    AUTO_FOCUS = "#token"

    def __init__(self, location: str, reason: str) -> None:
        super().__init__()
        self._location = location
        self._reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -compact") as panel:
            panel.border_title = title("Token for ", safe(self._location))
            yield Static(
                safe(
                    f"The server {self._reason}. Enter its bearer key (an API key of the "
                    "server; AXON_TOKEN or --token give it at start).",
                    keep_layout=True,
                ),
                id="body",
                classes="lead",
            )
            yield SafeInput(
                placeholder="bearer key",
                password=True,
                id="token",
                cursor_blink=self.cursor_blink,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Connect", variant="primary", id="connect")

    @on(Input.Submitted, "#token")
    @on(Button.Pressed, "#connect")
    def _connect(self) -> None:
        token = self.query_one("#token", Input).value.strip()
        if token:
            self.dismiss(token)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
