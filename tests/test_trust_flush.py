"""Flushes that never lose an update on a filesystem with coarse timestamps.

They run on a real ext2 image (one-second mtimes), loop-mounted, which needs root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import MemoryEntry, SessionStore
from core.codec import encode_entries
from tests.flush_worker import doomed_key, race_key, race_value, spared_key

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534


def is_root() -> bool:
    return os.geteuid() == 0


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def coarse_mount() -> Iterator[Path]:
    """A loop-mounted ext2 image: 128-byte inodes keep whole-second timestamps."""
    if not is_root():
        pytest.skip("needs root to loop-mount an ext2 image with one-second timestamps")
    if shutil.which("mkfs.ext2") is None:
        pytest.skip("mkfs.ext2 is not installed: no coarse-timestamp filesystem to test on")
    work = Path(tempfile.mkdtemp(prefix="flush-coarse-"))
    image, mount = work / "ext2.img", work / "mnt"
    mount.mkdir()
    with open(image, "wb") as handle:
        handle.truncate(32 * 1024 * 1024)
    made = run("mkfs.ext2", "-q", "-F", "-I", "128", str(image))
    mounted = made.returncode == 0 and run("mount", "-o", "loop", str(image), str(mount))
    if not mounted or mounted.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        why = (made.stderr + (mounted.stderr if mounted else "")).strip()
        pytest.skip(f"cannot loop-mount an ext2 image here: {why}")
    try:
        yield mount
    finally:
        if run("umount", str(mount)).returncode != 0:
            run("umount", "-l", str(mount))
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def coarse_dir(coarse_mount: Path, request: pytest.FixtureRequest) -> Path:
    directory = coarse_mount / request.node.name[:100]
    directory.mkdir()
    probe = directory / "probe"
    probe.write_bytes(b"x")
    if probe.stat().st_mtime_ns % 1_000_000_000:
        pytest.skip("the ext2 image has sub-second timestamps: nothing coarse to test against")
    probe.unlink()
    return directory


def worker(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.flush_worker", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def entry(key: str, value: str) -> MemoryEntry:
    return MemoryEntry(key, value, 1, "seed")


def keys_on_disk(path: Path) -> dict[str, str]:
    return {e["key"]: e["value"] for e in json.loads(path.read_bytes())}


def start_of_a_second() -> None:
    """Sleep into the first tenth of a wall-clock second, so a few steps share one."""
    fraction = time.time() % 1
    if fraction > 0.1:
        time.sleep(1 - fraction + 0.01)


def same_second_rewrite(path: Path, data: bytes) -> bool:
    """Rewrite `path` in place from another process; True if its mtime did not move."""
    before = path.stat()
    done = worker("inplace", str(path), input=data.decode())
    assert done.returncode == 0, done.stderr
    after = path.stat()
    assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)
    return after.st_mtime_ns == before.st_mtime_ns


# ── 4. coarse timestamps ──────────────────────────────────────────────────


def test_a_same_size_rewrite_within_one_second_is_not_overwritten(coarse_dir: Path) -> None:
    """Inode, size and mtime all match what we wrote, yet the bytes are another writer's."""
    path = coarse_dir / ".axon-server__global.session.json"
    for _attempt in range(5):
        path.unlink(missing_ok=True)
        start_of_a_second()
        store = SessionStore("", path=path)
        store.persist("theirs", "old", "s")
        store.persist("mine", "a", "s")
        store.flush()
        if same_second_rewrite(path, path.read_bytes().replace(b'"old"', b'"new"')):
            break
    else:
        pytest.fail("could not rewrite the file within one second in five tries")
    store.persist("mine", "b", "s")
    store.flush()
    assert keys_on_disk(path) == {"theirs": "new", "mine": "b"}
    theirs = store.retrieve("theirs")
    assert theirs is not None and theirs.value == "new"


def test_a_reload_sees_a_same_size_rewrite_within_one_second(coarse_dir: Path) -> None:
    path = coarse_dir / ".axon-server__global.session.json"
    old = encode_entries([entry("k", "old")])
    new = encode_entries([entry("k", "new")])
    for _attempt in range(5):
        start_of_a_second()
        path.write_bytes(old)
        reader = SessionStore("", path=path)
        assert reader.retrieve("k") == entry("k", "old")
        if same_second_rewrite(path, new):
            break
    else:
        pytest.fail("could not rewrite the file within one second in five tries")
    assert reader.reload() is True
    assert reader.retrieve("k") == entry("k", "new")


def test_racing_writers_lose_no_update_and_resurrect_no_purge(coarse_dir: Path) -> None:
    """Writers race on one file that keeps its size: updates of existing keys, and purges."""
    writers, rounds = 6, 60
    path = coarse_dir / ".axon-server__global.session.json"
    now = int(time.time())  # as wide as every later timestamp: the size never moves
    seed = [
        MemoryEntry(race_key(w, r), race_value(0), now, "race")
        for w in range(writers)
        for r in range(1, rounds + 1)
    ]
    seed += [
        MemoryEntry(doomed_key(w, d), race_value(0), now, "race")
        for w in range(writers)
        for d in range(1, rounds // 2 + 1)
    ]
    path.write_bytes(encode_entries(seed))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.flush_worker", "race", str(path), str(w), str(rounds)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    on_disk = keys_on_disk(path)
    lost = [
        race_key(w, r)
        for w in range(writers)
        for r in range(1, rounds + 1)
        if on_disk.get(race_key(w, r)) != race_value(r)
    ]
    swaps = [(w, d) for w in range(writers) for d in range(1, rounds // 2 + 1)]
    lost += [spared_key(w, d) for w, d in swaps if spared_key(w, d) not in on_disk]
    resurrected = [doomed_key(w, d) for w, d in swaps if doomed_key(w, d) in on_disk]
    assert (len(lost), len(resurrected)) == (0, 0), (lost[:5], resurrected[:5])
    assert len(on_disk) == len(seed)
    for proc in procs:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
