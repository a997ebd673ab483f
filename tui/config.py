"""The app's tuning: intervals and size thresholds, one value each, set through `make_app`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tuning:
    """Defaults measured on the benchmark's scopes; tests shorten or lengthen them."""

    #: Seconds between full re-checks that catch anything a notification missed.
    reconcile_s: float = 2.0
    #: Live updates start once the first rows are on screen, or after this long at most.
    watch_after_s: float = 3.0
    #: Scopes with more rows than this show their first screenful before the full index.
    preview_above: int = 20_000
    #: At most this long the full index waits for the preview to be on screen.
    preview_paint_wait_s: float = 0.5
    #: Then this long more: the terminal's writer thread needs the GIL to send the frame,
    #: and sorting a big scope holds it in one C call (a second and more at 1M rows).
    preview_write_s: float = 0.05
    #: Scopes with more rows than this keep them in key order (filtering beats re-reading).
    sort_rows_above: int = 300_000
    #: An entry this app wrote is watched this long: another writer undoing it is said.
    revert_window_s: float = 60.0
