"""The header line: where the stores are, how many scopes and entries, and the mode."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from ..display import safe


class StoreHeader(Static):
    """Attributes go down: the app sets them, the header only renders."""

    location: reactive[str] = reactive("")
    scope_count: reactive[int] = reactive(0)
    memory_total: reactive[int] = reactive(0)
    store_total: reactive[int] = reactive(0)
    read_only: reactive[bool] = reactive(False)
    paused: reactive[bool] = reactive(False)
    pending: reactive[int] = reactive(0)
    watching: reactive[bool] = reactive(False)
    #: Why the source cannot be reached now ("" when it can): the last good data is shown.
    offline: reactive[str] = reactive("")
    #: How changes are found, when it is worth saying ("polling every 1 s"); "" otherwise.
    live_mode: reactive[str] = reactive("")
    #: Until the first scan: the counts are not known yet.
    reading: reactive[bool] = reactive(False)

    def render(self) -> Content:
        parts: list[Content] = [
            Content.styled(" axon-scopes ", "bold $text-accent"),
            safe(self.location, style="$text-muted"),
            Content.styled("  reading…", "$text-muted")
            if self.reading
            else Content(
                f"  {self.scope_count} scope{'s' if self.scope_count != 1 else ''}"
                f" · memory {self.memory_total:,} · store {self.store_total:,}"
            ),
        ]
        if self.offline:
            parts.append(Content.styled("  ⚠ ", "bold $text-error"))
            parts.append(safe(self.offline, style="bold $text-error"))
            _mode, dot, last = self.live_mode.partition(" · ")
            if dot:  # When a polled source last answered: the data shown is from then.
                parts.append(safe(f" ({last})", style="$text-muted"))
        elif self.watching and not self.paused:
            parts.append(Content.styled("  ● live", "$text-success"))
            if self.live_mode:
                parts.append(safe(f" ({self.live_mode})", style="$text-muted"))
        if self.paused:
            waiting = f" ({self.pending} waiting)" if self.pending else ""
            parts.append(Content.styled(f"  ⏸ PAUSED{waiting}", "bold $text-warning"))
        if self.read_only:
            parts.append(Content.styled("  READ-ONLY", "bold $text-error"))
        return Content.assemble(*parts)
