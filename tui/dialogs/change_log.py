"""The change log (`l`): every change found elsewhere, newest first; enter opens its scope."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from ..change_log import ChangeRecord, clock_time
from ..display import one_line, safe
from ..refs import ScopeRef
from ._base import DialogScreen, title


def record_line(record: ChangeRecord) -> Content:
    """`14:02:11  daemon:worker  ~2  queue.depth, heartbeat`, every part made safe."""
    parts: list[Content] = [
        Content.styled(clock_time(record.at), "$text-muted"),
        Content("  "),
        one_line(record.ref.scope, 60).stylize("bold"),
        Content("  "),
        safe(record.summary(), style="$text-error" if record.error or record.reverted else ""),
    ]
    if record.keys:
        parts += [Content.styled("  keys ", "$text-muted"), one_line(", ".join(record.keys), 200)]
    return Content.assemble(*parts)


class ChangeLogScreen(DialogScreen[ScopeRef | None]):
    """The records newest first; enter on one answers its scope, escape or l answers None."""

    AUTO_FOCUS = "#log"
    BINDINGS = [Binding("escape,l", "cancel", "Close")]

    def __init__(self, records: list[ChangeRecord], *, total: int, since: float) -> None:
        super().__init__()
        self._records = records
        self._total = total
        self._since = since

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog change-log") as panel:
            panel.border_title = title("Changes made elsewhere")
            panel.border_subtitle = "enter: open the scope · esc close"
            kept = len(self._records)
            lead = (
                f"{self._total:,} change{'s' if self._total != 1 else ''} since "
                f"{clock_time(self._since)} UTC, newest first"
                + (f" (the latest {kept:,} are kept)" if kept < self._total else "")
            )
            yield Static(lead, classes="lead", id="log-lead")
            if self._records:
                yield OptionList(
                    *(
                        Option(record_line(record), id=str(at))
                        for at, record in enumerate(self._records)
                    ),
                    id="log",
                )
            else:
                yield Static(
                    Content.styled("Nothing has changed elsewhere yet.", "$text-muted italic"),
                    id="log-empty",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", variant="primary", id="close")

    @on(OptionList.OptionSelected, "#log")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._records[event.option_index].ref)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
