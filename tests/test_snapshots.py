"""Pictures of the app for every scene: fixed data, clock and size, steady cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .scenes import SCENES, Scene


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_scene(
    scene: Scene, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert snap_compare(scene.app(), terminal_size=scene.size, run_before=scene.play)
