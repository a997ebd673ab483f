"""The operator's settings (theme, mute, the tree shown or hidden), kept between runs.

They live in one JSON file in the platform's configuration directory:

* Linux and other Unix: `$XDG_CONFIG_HOME/axon-scopes/settings.json`
  (`~/.config/axon-scopes/settings.json` when XDG_CONFIG_HOME is not set);
* macOS: `~/Library/Application Support/axon-scopes/settings.json`;
* Windows: `%APPDATA%\\axon-scopes\\settings.json`.

`--config PATH` (or `AXON_SCOPES_CONFIG`) names another file. The file is written
atomically with mode 0600 whenever a setting changes; a missing file means the
defaults, and a file that cannot be read is left alone (the app says why and does
not overwrite it).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

APP_DIR = "axon-scopes"
FILE_NAME = "settings.json"
#: Names another settings file, like `--config`.
ENV_VAR = "AXON_SCOPES_CONFIG"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything kept between runs; new fields need a default."""

    #: The Textual theme, or None for Textual's default.
    theme: str | None = None
    #: Confirmations and row flashes off (`m`).
    muted: bool = False
    #: The scope tree hidden (`t`).
    tree_hidden: bool = False

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def default_path(environ: dict[str, str] | None = None, platform: str | None = None) -> Path:
    """The settings file in the platform's configuration directory."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        base = home / "Library" / "Application Support"
    elif platform.startswith("win"):
        base = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
    else:
        xdg = env.get("XDG_CONFIG_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".config"
    return base / APP_DIR / FILE_NAME


class SettingsError(Exception):
    """The settings file exists but cannot be used; it is left as it is."""


def load(path: Path) -> Settings:
    """The settings in `path`: defaults if it does not exist. Raises `SettingsError`."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: not a JSON object")
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, object] = {}
    for name, value in data.items():
        if name not in known:
            continue  # From a newer version: kept on disk only until the next save.
        theme_ok = name == "theme" and (value is None or isinstance(value, str))
        if theme_ok or (name != "theme" and isinstance(value, bool)):
            values[name] = value
    return Settings(**values)  # type: ignore[arg-type]


def save(path: Path, settings: Settings) -> None:
    """Write `settings` to `path` atomically (0600), creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(asdict(settings), indent=2, sort_keys=True) + "\n"
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


class SettingsFile:
    """The app's settings and where they are kept; `update` saves at once."""

    def __init__(self, path: Path | None) -> None:
        #: None: nothing is kept (tests, pictures).
        self.path = path
        #: Why the file could not be read ("" when it could): then it is never written.
        self.problem = ""
        self.settings = Settings()
        if path is not None:
            try:
                self.settings = load(path)
            except SettingsError as exc:
                self.problem = str(exc)

    def update(self, **changes: object) -> str:
        """Change settings and save them; returns why saving failed ("" when it did not)."""
        settings = self.settings.with_(**changes)
        if settings == self.settings:
            return ""
        self.settings = settings
        if self.path is None or self.problem:
            return ""
        try:
            save(self.path, settings)
        except OSError as exc:
            return f"Settings not saved to {self.path}: {exc.strerror or exc}"
        return ""
