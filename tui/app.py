"""The axon-scopes app: configuration and the source; the browser screen does the rest."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from axon_scopes.core import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_VALUE_BYTES,
    ScopedSessionManager,
    ScopeSource,
    SourceOptions,
    open_source,
)

from .config import Tuning
from .display import plain
from .keys import palette
from .screens.browser import BrowserScreen
from .settings import SettingsFile

Clock = Callable[[], float]
#: A notification shows at most this many characters (a key may be a megabyte long).
NOTICE_CHARS = 2_000
#: While a dialog is up, at most this many notices wait for it to close (the latest).
HELD_NOTICES = 4


class ScopesApp(App[None]):
    """Browse and edit the scopes of one or more Axon stores."""

    #: Dialogs bring their own sheet (`DialogScreen.CSS_PATH`) when first opened.
    CSS_PATH = "app.tcss"
    TITLE = "axon-scopes"
    #: Dialogs and inputs read this; tests and pictures turn it off for steady frames.
    CURSOR_BLINK = True
    #: Every screen gets a class by the terminal's size (`app.tcss`, `dialogs.tcss`): a
    #: narrower tree and tighter dialogs on small terminals, set again on every resize.
    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (70, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    #: Set by the command line, which owns the process: once the first scope is shown,
    #: move everything alive into the collector's permanent generation. Textual keeps
    #: tens of thousands of long-lived objects, and every full collection walked them
    #: all again (20-100 ms each, which showed up as stutters during live reloads).
    freeze_gc = False

    def __init__(
        self,
        source: ScopeSource,
        *,
        tuning: Tuning | None = None,
        read_only: bool = False,
        watch: bool = True,
        clock: Clock = time.time,
        theme: str | None = None,
        cursor_blink: bool = True,
        age_refresh: float | None = 15.0,
        max_value_bytes: int | None = None,
        settings_path: os.PathLike[str] | str | None = None,
    ) -> None:
        #: The operator's settings, kept between runs when a path is given (`settings.py`).
        self.settings_file = SettingsFile(None if settings_path is None else Path(settings_path))
        super().__init__()
        self.CURSOR_BLINK = cursor_blink
        self.source = source
        self.tuning = tuning or Tuning()
        self.read_only = read_only
        #: Follow changes made elsewhere (tests switch it off).
        self.watching = watch
        self.browser = BrowserScreen(
            source,
            read_only=read_only,
            clock=clock,
            cursor_blink=cursor_blink,
            age_refresh=age_refresh,
            max_value_bytes=max_value_bytes,
        )
        #: Notices raised while a dialog was up, shown when it closes.
        self._held: list[tuple[str, str, SeverityLevel, float | None]] = []
        kept = self.settings_file.settings
        if theme:
            self.theme = theme
        elif kept.theme and kept.theme in self.available_themes:
            self.theme = kept.theme

    def on_mount(self) -> None:
        if self.settings_file.problem:
            self.notify(
                f"{self.settings_file.problem}. The defaults are used; the file is left as it is.",
                title="Settings not read",
                severity="warning",
                timeout=8,
            )

    def remember(self, **changes: object) -> None:
        """A setting changed: keep it for the next run (saying so if that fails)."""
        problem = self.settings_file.update(**changes)
        if problem:
            self.notify(problem, severity="warning", timeout=6)

    def watch_theme(self, theme: str) -> None:
        if hasattr(self, "settings_file"):
            self.remember(theme=theme)

    def get_default_screen(self) -> Screen:
        """The main screen is the first on the stack: dialogs go on top of it."""
        return self.browser

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification, whoever raises it, is plain text through `display.plain`.

        Messages carry scope names, keys, paths and error reasons. Textual would parse
        them as markup (crashing on `[/]`, obeying `[@click=…]`) and write their
        control characters to the terminal, so `markup` is accepted and ignored.
        """
        if len(message) > NOTICE_CHARS:
            message = message[:NOTICE_CHARS] + "…"
        if severity == "information" and self.browser.muted:
            return
        notice = (plain(message, keep_layout=True), plain(title[:NOTICE_CHARS]), severity, timeout)
        if self._dialog_up():
            # A toast over a dialog hides its fields and buttons: shown when it closes.
            if notice not in self._held:
                self._held.append(notice)
            del self._held[:-HELD_NOTICES]
            return
        self._show(notice)

    def _show(self, notice: tuple[str, str, SeverityLevel, float | None]) -> None:
        message, title, severity, timeout = notice
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _dialog_up(self) -> bool:
        """Whether a dialog (any modal screen, the command palette too) is on top."""
        stack = self.screen_stack
        return len(stack) > 1 and isinstance(stack[-1], ModalScreen)

    def release_notices(self) -> None:
        """Show what was held while a dialog was up (the main screen calls it on its return)."""
        held, self._held = self._held, []
        for notice in held:
            self._show(notice)

    def action_help_quit(self) -> None:
        """ctrl+c does not quit (inputs copy with it): say which key does, without markup."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app", title="Do you want to quit?")
                return

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in palette():
            yield SystemCommand(title, help_text, self._runner(action))

    def _runner(self, action: str) -> Callable[[], object]:
        return lambda: self.browser.run_action(action)


def make_app(
    target: str | os.PathLike[str] | ScopedSessionManager | ScopeSource | None = None,
    *,
    read_only: bool = False,
    watch: bool = True,
    clock: Clock = time.time,
    theme: str | None = None,
    cursor_blink: bool = True,
    age_refresh: float | None = 15.0,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    lock_timeout: float | None = None,
    tuning: Tuning | None = None,
    settings_path: os.PathLike[str] | str | None = None,
) -> ScopesApp:
    """Build the app for the command line and the tests alike.

    `target` is what a user types (a base path `dir/axon-server`, a directory of
    stores, a `redis://` URL), a live `ScopedSessionManager` (both of its layers
    then show and are editable) or a ready `ScopeSource`. Tests pass a fixed
    `clock`, `cursor_blink=False`, `age_refresh=None` and their own `tuning`.
    """
    if isinstance(target, ScopeSource):
        source = target
    else:
        options = SourceOptions(
            read_only=read_only,
            max_value_bytes=max_value_bytes,
            max_file_bytes=max_file_bytes,
            lock_timeout=lock_timeout,
            clock=clock,
        )
        source = open_source(target, options)
    return ScopesApp(
        source,
        tuning=tuning,
        read_only=read_only,
        watch=watch,
        clock=clock,
        theme=theme,
        cursor_blink=cursor_blink,
        age_refresh=age_refresh,
        max_value_bytes=max_value_bytes,
        settings_path=settings_path,
    )
