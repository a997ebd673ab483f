"""Regenerate screenshots/web.png: the browser test takes it, this copies it.

Run `make screenshots` (or this file); it needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots" / "web.png"
#: Where the test copies its screenshot (tests/test_web.py, SCREENSHOT_ENV).
SCREENSHOT_ENV = "AXON_SCOPES_WEB_SCREENSHOT"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="web-screenshot-") as tmp:
        shot = Path(tmp) / "web.png"
        test = "tests/test_web.py::test_a_flush_by_another_process_appears"
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
            cwd=ROOT,
            env={**os.environ, SCREENSHOT_ENV: str(shot)},
        )
        if done.returncode != 0 or not shot.exists():
            print("the browser test failed: screenshots/web.png is unchanged", file=sys.stderr)
            return 1
        OUT.write_bytes(shot.read_bytes())
    print(f"{OUT.relative_to(ROOT)}  the app in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
