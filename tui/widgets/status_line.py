"""The status line: what changed elsewhere lately, in one quiet line that is always there."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from ..change_log import ChangeRecord, clock_time
from ..display import safe

#: The latest burst names at most this many scopes; the rest are counted.
SCOPES_SHOWN = 3


class ChangeStatus(Static):
    """Attributes go down: the screen sets them, the line only renders."""

    #: The records of the latest burst of changes found elsewhere.
    latest: reactive[tuple[ChangeRecord, ...]] = reactive(())
    #: Records since the start, and how many scopes they touched.
    total: reactive[int] = reactive(0)
    scopes: reactive[int] = reactive(0)
    #: When the app started watching (the clock's time).
    since: reactive[float] = reactive(0.0)
    #: Whether live updates are followed at all.
    watching: reactive[bool] = reactive(False)
    #: Notices and flashes are muted (updates still come).
    muted: reactive[bool] = reactive(False)
    #: Where other writes land, for the words: "elsewhere", "on disk".
    elsewhere: reactive[str] = reactive("elsewhere")

    def render(self) -> Content:
        parts: list[Content] = []
        if self.latest:
            reverted = [r for r in self.latest if r.reverted is not None]
            shown = reverted or list(self.latest)
            style = "bold $text-error" if reverted else "$text-warning"
            parts.append(Content.styled(f" ● {clock_time(shown[-1].at)} ", style))
            for at, record in enumerate(shown[:SCOPES_SHOWN]):
                if at:
                    parts.append(Content.styled(" · ", "$text-muted"))
                parts.append(safe(record.ref.scope, style="bold"))
                parts.append(Content(" "))
                parts.append(
                    safe(
                        record.summary(),
                        style="$text-error" if record.error or record.reverted else "",
                    )
                )
            if len(shown) > SCOPES_SHOWN:
                parts.append(Content.styled(f" · {len(shown) - SCOPES_SHOWN} more", "$text-muted"))
            parts.append(
                Content.styled(
                    f"   {self.total:,} change{'s' if self.total != 1 else ''} in "
                    f"{self.scopes:,} scope{'s' if self.scopes != 1 else ''}"
                    f" since {clock_time(self.since)}",
                    "$text-muted",
                )
            )
        elif self.watching:
            parts.append(
                Content.styled(
                    f" no changes {self.elsewhere} since {clock_time(self.since)}", "$text-muted"
                )
            )
        else:
            parts.append(Content.styled(" not following changes (ctrl+r re-reads)", "$text-muted"))
        hints = "  l: change log" + ("  · muted (m)" if self.muted else "")
        parts.append(Content.styled(hints, "$text-muted italic"))
        return Content.assemble(*parts)
