"""Flushes that never lose an update or take a file over.

Coarse timestamps run on a real ext2 image (one-second mtimes), loop-mounted;
other accounts are real processes running as `nobody`. Both need root.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from axon_scopes.core import FlushError, MemoryEntry, ScopedSessionManager, SessionStore
from axon_scopes.core.files.codec import encode_entries
from axon_scopes.core.files.naming import lock_path_for
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


def test_a_bad_file_made_good_within_one_second_is_read_again(coarse_dir: Path) -> None:
    """An unreadable file's signature is as racy as a good one's."""
    path = coarse_dir / ".axon-server__global.session.json"
    good = encode_entries([entry("k", "v")])
    bad = good.replace(b'"v"', b"123")  # complete, but the value is not a string
    assert len(bad) == len(good)
    for _attempt in range(5):
        start_of_a_second()
        path.write_bytes(bad)
        reader = SessionStore("", path=path, retry_budget=0.05)
        assert reader.error is not None
        if same_second_rewrite(path, good):
            break
    else:
        pytest.fail("could not rewrite the file within one second in five tries")
    assert reader.reload() is True
    assert reader.error is None and reader.retrieve("k") == entry("k", "v")


def test_the_browser_sees_published_memory_rewritten_within_one_second(
    coarse_dir: Path,
) -> None:
    """The memory sidecar's signature is as racy as the store file's."""
    base = coarse_dir / "axon-server"
    memory = ScopedSessionManager(base).store("global").backend.memory_path
    old = encode_entries([entry("m", "old")])
    new = encode_entries([entry("m", "new")])
    for _attempt in range(5):
        start_of_a_second()
        memory.write_bytes(old)
        browser = ScopedSessionManager(base)
        browser.refresh()  # Sees the old memory.
        if same_second_rewrite(memory, new):
            break
    else:
        pytest.fail("could not rewrite the file within one second in five tries")
    assert [c.published for c in browser.refresh("global")] == [True]
    published = browser.published_memory("global")
    assert published is not None and published.entries == [entry("m", "new")]


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


# ── 5. other accounts ─────────────────────────────────────────────────────


#: Site directories are added as such, so that their .pth files (the editable install's
#: import hook among them) are read; the directories come as the first argument.
ADD_SITE_DIRS = "import site, sys; [site.addsitedir(d) for d in sys.argv.pop(1).split(':')]"


def sites() -> str:
    return ":".join(p for p in sys.path if p.endswith("site-packages"))


def nobody_python() -> list[str]:
    """A command that runs this checkout's package as uid 65534, or a skip saying why not."""
    for python in (sys.executable, "/usr/bin/python3"):
        try:
            probe = subprocess.run(
                [python, "-c", f"{ADD_SITE_DIRS}; import axon_scopes.core, msgspec", sites()],
                user=NOBODY,
                group=NOBODY,
                extra_groups=[],
                cwd="/",
                env={"PYTHONPATH": str(ROOT)},
                capture_output=True,
                check=False,
            )
        except OSError:  # this interpreter lives where uid 65534 cannot reach it
            continue
        if probe.returncode == 0:
            return [python]
    pytest.skip("no Python interpreter that uid 65534 can run with this project's packages")


def flush_as_nobody(path: Path, key: str, value: str) -> subprocess.CompletedProcess[str]:
    run_worker = f"{ADD_SITE_DIRS}; import runpy; runpy.run_module('tests.flush_worker', "
    run_worker += "run_name='__main__', alter_sys=True)"
    return subprocess.run(
        [*nobody_python(), "-c", run_worker, sites(), "flush", str(path), key, value],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory that uid 65534 owns and can reach (tmp_path's parents are root's, 0700)."""
    if not is_root():
        pytest.skip("needs root to write as one account and then flush as another")
    work = Path(tempfile.mkdtemp(prefix="flush-accounts-"))
    work.chmod(0o755)
    directory = work / "srv"
    directory.mkdir()
    os.chown(directory, NOBODY, NOBODY)
    try:
        yield directory
    finally:
        shutil.rmtree(work, ignore_errors=True)


def owner(path: Path) -> tuple[int, int, int]:
    st = path.lstat()
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


@pytest.mark.parametrize("stale_lock", [False, True], ids=["new lock", "root's old lock"])
def test_root_flushing_keeps_the_servers_owner_and_the_server_can_still_flush(
    shared_dir: Path, stale_lock: bool
) -> None:
    path = shared_dir / ".axon-server__global.session.json"
    path.write_bytes(encode_entries([entry("server", "1")]))
    os.chown(path, NOBODY, NOBODY)
    path.chmod(0o600)
    lock = lock_path_for(path)
    if stale_lock:  # as a root flush left it before: root:root 0600
        lock.touch(mode=0o600)
    store = SessionStore("", path=path)
    store.persist("root", "2", "s")
    assert store.flush()
    assert owner(path) == (NOBODY, NOBODY, 0o600)
    assert owner(lock)[:2] == (NOBODY, NOBODY)
    done = flush_as_nobody(path, "server-again", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert keys_on_disk(path) == {"server": "1", "root": "2", "server-again": "3"}
    assert owner(path) == (NOBODY, NOBODY, 0o600)


def test_a_flush_that_cannot_keep_the_owner_writes_nothing(shared_dir: Path) -> None:
    """uid 65534 may write root's file and its directory, but cannot give a copy root's owner."""
    shared_dir.chmod(0o777)
    path = shared_dir / ".axon-server__global.session.json"
    original = encode_entries([entry("root", "1")])
    path.write_bytes(original)
    path.chmod(0o666)
    lock_path_for(path).touch(mode=0o666)
    lock_path_for(path).chmod(0o666)
    done = flush_as_nobody(path, "nobody", "2")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "FlushError" in done.stdout and "owner" in done.stdout and "uid 0" in done.stdout
    assert path.read_bytes() == original
    assert owner(path) == (0, 0, 0o666)
    assert sorted(p.name for p in shared_dir.iterdir()) == [path.name, lock_path_for(path).name]


def test_a_lock_file_that_cannot_be_created_is_named_as_the_reason(shared_dir: Path) -> None:
    """uid 65534 owns the file but may not create files in root's directory."""
    os.chown(shared_dir, 0, 0)
    path = shared_dir / ".axon-server__global.session.json"
    original = encode_entries([entry("server", "1")])
    path.write_bytes(original)
    os.chown(path, NOBODY, NOBODY)
    done = flush_as_nobody(path, "nobody", "2")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "cannot open its lock file" in done.stdout and "Permission denied" in done.stdout
    assert "gone" not in done.stdout
    assert path.read_bytes() == original


def test_a_read_only_file_is_refused_and_the_changes_wait(tmp_path: Path) -> None:
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    mgr.persist("global", "k", "1", "s")
    mgr.flush("global")
    path = mgr.store_path("global")
    path.chmod(0o444)
    original = path.read_bytes()
    mgr.persist("global", "k", "2", "s")
    with pytest.raises(FlushError, match=r"read-only \(mode 0444\).*nothing was written") as err:
        mgr.flush("global")
    assert err.value.errno == errno.EACCES
    assert path.read_bytes() == original and owner(path)[2] == 0o444
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert mgr.store("global").dirty
    path.chmod(0o644)
    assert mgr.flush("global")
    assert keys_on_disk(path) == {"k": "2"} and owner(path)[2] == 0o644


# ── 10. the scope's directory and path ────────────────────────────────────


def test_a_flush_into_a_deleted_directory_fails_and_creates_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "srv"
    directory.mkdir()
    mgr = ScopedSessionManager(directory / "axon-server", publish_memory=True)
    mgr.persist("global", "k", "1", "s")
    mgr.flush("global")
    shutil.rmtree(directory)
    mgr.persist("global", "k", "2", "s")
    with pytest.raises(FlushError, match=r"directory .*srv is gone.*nothing was written"):
        mgr.flush("global")
    assert mgr.store("global").dirty
    mgr.remember("flow:notes", "m", "1", "s")  # memory only: its sidecar, no lock
    with pytest.raises(FlushError, match=r"directory .*srv is gone.*nothing was written"):
        mgr.flush("flow:notes")
    assert not directory.exists()
    directory.mkdir()
    assert mgr.flush("global") and mgr.flush("flow:notes")
    assert keys_on_disk(directory / ".axon-server__global.session.json") == {"k": "2"}
    assert keys_on_disk(directory / ".axon-server__flow_notes.memory.json") == {"m": "1"}


def test_a_symlink_at_the_scope_path_is_read_through_and_never_replaced(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "global.json"
    original = encode_entries([entry("k", "1")])
    target.write_bytes(original)
    link = tmp_path / ".axon-server__global.session.json"
    link.symlink_to(target)
    mgr = ScopedSessionManager(tmp_path / "axon-server")
    assert mgr.retrieve("global", "k") == entry("k", "1")
    mgr.persist("global", "k", "2", "s")
    with pytest.raises(FlushError, match=r"symbolic link to .*global\.json.*nothing was written"):
        mgr.flush("global")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == original
    assert mgr.store("global").dirty
    assert sorted(p.name for p in real_dir.iterdir()) == ["global.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
