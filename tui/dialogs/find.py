"""Find (`F`): scopes by name and entries by key or value, in every scope; enter jumps there."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ..display import one_line
from ..search import Found, Hit
from ..widgets.safe_inputs import SafeInput
from ._base import DialogScreen, title

Searcher = Callable[[str, Callable[[], bool]], Found]
#: Typing pauses this long before a search starts.
DEBOUNCE_S = 0.25


def hit_line(hit: Hit) -> Content:
    """`flow:ingest  STO batch.0041  {"rows": 812…}`, every part made safe."""
    scope = one_line(hit.ref.scope, 60).stylize("bold")
    if hit.key is None:
        return Content.assemble(Content.styled("scope  ", "$text-accent"), scope)
    badge = {"memory": "MEM", "store": "STO", "published": "PUB"}.get(hit.layer or "", "?")
    return Content.assemble(
        scope,
        Content.styled(f"  {badge} ", "$text-muted"),
        one_line(hit.key, 40).stylize("bold" if hit.where == "key" else ""),
        "  ",
        one_line(hit.value, 80).stylize("$text-muted"),
    )


class FindScreen(DialogScreen[Hit | None]):
    """Type to search every scope; enter (or down, then enter) opens the hit."""

    AUTO_FOCUS = "#find-query"
    BINDINGS = [Binding("down", "to_results", "Results", show=False)]

    def __init__(self, searcher: Searcher, *, query: str = "") -> None:
        super().__init__()
        self.searcher = searcher
        self.searching = query
        self.hits: list[Hit] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog find") as panel:
            panel.border_title = title("Find in every scope")
            panel.border_subtitle = "enter: go there · ↓ results · esc close"
            yield SafeInput(
                self.searching,
                placeholder="scope name, key or value contains…",
                cursor_blink=self.cursor_blink,
                id="find-query",
            )
            yield Static(id="find-status", classes="hint")
            yield OptionList(id="find-results")

    def on_mount(self) -> None:
        if self.searching:
            self._search(self.searching)

    @on(Input.Changed, "#find-query")
    def _changed(self, event: Input.Changed) -> None:
        self.searching = event.value
        self._search(event.value)

    @on(Input.Submitted, "#find-query")
    def _submitted(self) -> None:
        if self.hits:
            self.dismiss(self.hits[0])

    def action_to_results(self) -> None:
        results = self.query_one("#find-results", OptionList)
        if self.hits and not results.has_focus:
            results.focus()
            results.highlighted = 0

    @work(thread=True, exclusive=True, group="find")
    def _search(self, query: str) -> None:
        import time

        worker = get_current_worker()
        if not query.strip():
            self.app.call_from_thread(self._show, query, None)
            return
        time.sleep(DEBOUNCE_S)
        if worker.is_cancelled:
            return
        found = self.searcher(query, lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, query, found)

    def _show(self, query: str, found: Found | None) -> None:
        if query != self.searching:
            return
        results = self.query_one("#find-results", OptionList)
        results.clear_options()
        status = self.query_one("#find-status", Static)
        if found is None:
            self.hits = []
            status.update(Content.styled("Type to search.", "$text-muted"))
            return
        self.hits = found.hits
        results.add_options(Option(hit_line(hit)) for hit in found.hits)
        scopes = sum(1 for hit in found.hits if hit.key is None)
        entries = len(found.hits) - scopes
        words = (
            f"{scopes:,} scope name{'s' if scopes != 1 else ''} and {entries:,} "
            f"entr{'ies' if entries != 1 else 'y'} match, in {found.scopes:,} scopes read"
        )
        if found.stopped:
            words += f" (stopped at {entries:,} entries: type more to narrow it)"
        if found.unreadable:
            words += f"; {len(found.unreadable)} unreadable"
        status.update(Content.styled(words, "$text-muted"))

    @on(OptionList.OptionSelected, "#find-results")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[event.option_index])
