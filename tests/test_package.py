"""The wheel a user installs: one `axon_scopes` package, every subpackage in it, a working command.

Built from this checkout and installed into a fresh virtual environment, then run from
a directory outside the checkout so nothing can be imported from the source tree.
"""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {
    "core": "axon_scopes/core",
    "tui": "axon_scopes/tui",
    "cli": "axon_scopes/cli",
    "server": "axon_scopes/server",
    "web": "axon_scopes/web",
    "axon_scopes": "axon_scopes",
}


#: Both tests share one wheel, built in the checkout's `build/`: one worker of a parallel run.
pytestmark = pytest.mark.xdist_group("wheel")


def run(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in cmd], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", out, ROOT, cwd=out)
    (built,) = out.glob("axon_scopes-*.whl")
    return built


def source_packages() -> set[str]:
    """Every folder of the checkout that is a package, by the path it must have in the wheel."""
    found = set()
    for folder, target in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                found.add(f"{target}/{init.parent.relative_to(ROOT / folder)}".rstrip("/."))
    return found


def test_the_wheel_holds_one_package_with_every_subpackage(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"axon_scopes"}
    packages = {name.rsplit("/", 1)[0] for name in names if name.endswith("/__init__.py")}
    assert packages == source_packages()
    assert "axon_scopes/tui/app.tcss" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


def test_the_installed_command_runs_from_a_fresh_environment(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    fresh = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                     cwd=tmp_path).stdout.strip())
    # The dependencies come from this environment's site-packages, listed after the
    # fresh one's own, so the installed wheel is what `axon_scopes` resolves to.
    ours = {sysconfig.get_path("purelib"), *site.getsitepackages()}
    (fresh / "deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        wheel, cwd=tmp_path)
    assert not any((fresh / folder).exists() for folder in ("core", "tui", "cli"))
    version = run(venv / "bin" / "axon-scopes", "--version", cwd=tmp_path).stdout
    assert version.startswith("axon-scopes 0.")
    assert run(python, "-m", "axon_scopes", "--version", cwd=tmp_path).stdout == version
    where = run(python, "-c", "import axon_scopes.tui.app as m; print(m.__file__)", cwd=tmp_path)
    assert where.stdout.startswith(str(fresh))
    helped = run(venv / "bin" / "axon-scopes", "--help", cwd=tmp_path).stdout
    assert "--read-only" in helped
