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


def test_every_picture_belongs_to_a_test() -> None:
    """A picture no test compares any more fails the run.

    syrupy says so itself only in a run of one process; `make test` runs in parallel.
    """
    from . import test_dialogs

    folder = Path(__file__).parent / "__snapshots__"
    expected = {f"test_snapshots/test_scene[{scene.name}].svg" for scene in SCENES}
    pictured = [name for name in vars(test_dialogs) if name.startswith("test_snapshot")]
    expected |= {f"test_dialogs/{name}.svg" for name in pictured}
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*.svg")} == expected
