"""Settings kept between runs, in the platform's config directory or the file --config names."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from axon_scopes.tui.cli import build_parser
from axon_scopes.tui.settings import Settings, SettingsError, default_path, load, save

from .conftest import SIZE, AppFactory, settle


def test_the_platform_config_directory() -> None:
    home = {"HOME": "/home/op"}
    assert default_path(home, "linux") == Path("/home/op/.config/axon-scopes/settings.json")
    xdg = {**home, "XDG_CONFIG_HOME": "/cfg"}
    assert default_path(xdg, "linux") == Path("/cfg/axon-scopes/settings.json")
    assert default_path({**home, "XDG_CONFIG_HOME": "rel"}, "linux").parts[:3] == (
        "/",
        "home",
        "op",
    )
    assert default_path(home, "darwin") == Path(
        "/home/op/Library/Application Support/axon-scopes/settings.json"
    )
    assert default_path({"HOME": "/h", "APPDATA": "/appdata"}, "win32") == Path(
        "/appdata/axon-scopes/settings.json"
    )
    env = {**home, "AXON_SCOPES_CONFIG": "/elsewhere/s.json"}
    assert default_path(env, "linux") == Path("/elsewhere/s.json")


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "settings.json"
    assert load(path) == Settings()
    save(path, Settings(theme="textual-light", muted=True))
    assert load(path) == Settings(theme="textual-light", muted=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text('{"muted": "yes", "theme": 3, "later": 1}', encoding="utf-8")
    assert load(path) == Settings()  # Wrong types and unknown names are ignored.
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError):
        load(path)


async def test_theme_mute_and_tree_are_kept_between_runs(
    demo_base: Path, app_for: AppFactory, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    app = app_for(demo_base, settings_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "t")
        app.theme = "textual-light"
        await pilot.pause()
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "muted": True,
        "theme": "textual-light",
        "tree_hidden": True,
    }
    app = app_for(demo_base, settings_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "textual-light" and app.browser.muted
        assert not app.browser.tree.display


async def test_an_unreadable_settings_file_is_said_and_left_alone(
    demo_base: Path, app_for: AppFactory, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{broken", encoding="utf-8")
    app = app_for(demo_base, settings_path=path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await pilot.pause()
    assert path.read_text(encoding="utf-8") == "{broken"


def test_config_flag() -> None:
    assert build_parser().parse_args(["--config", "/tmp/s.json"]).config == "/tmp/s.json"
    assert build_parser().parse_args([]).config is None
