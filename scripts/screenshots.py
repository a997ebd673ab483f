"""Regenerate screenshots/*.svg from the same scenes the snapshot tests use.

Run `make screenshots`; the README shows the result.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scenes import SCENES, Scene  # noqa: E402

OUT = ROOT / "screenshots"


async def shoot(scene: Scene) -> Path:
    app = scene.app()
    async with app.run_test(size=scene.size) as pilot:
        await scene.play(pilot)
        return Path(app.save_screenshot(filename=f"{scene.name}.svg", path=str(OUT)))


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for scene in SCENES:
        with tempfile.TemporaryDirectory() as tmp:
            here = os.getcwd()
            os.chdir(tmp)
            try:
                path = asyncio.run(shoot(scene))
            finally:
                os.chdir(here)
        print(f"{path.relative_to(ROOT)}  {scene.caption}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
