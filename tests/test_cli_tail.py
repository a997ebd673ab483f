"""`tail` sees other processes' writes as JSON lines and ends cleanly however it is stopped."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from axon_scopes.core import ScopedSessionManager
from tests.test_cli_support import AXON, shell


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return found


def first_line_after_writes(
    found: queue.Queue[str], write: object, timeout: float = 20.0
) -> dict[str, object]:
    """Write (again and again, until the watcher is up) until a line arrives."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        write(attempt)  # type: ignore[operator]
        try:
            return json.loads(found.get(timeout=1.0))
        except queue.Empty:
            continue
    raise AssertionError("tail printed nothing")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_tail_prints_another_process_write_and_stops_cleanly(
    tmp_path: Path, stop: signal.Signals
) -> None:
    manager = ScopedSessionManager(str(tmp_path / "axon-server"))
    manager.put("global", "status", "idle", "boot")
    manager.put("flow:other", "x", "1", "boot")
    process = subprocess.Popen(
        [AXON, "tail", tmp_path / "axon-server", "global", "--interval", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        found = lines_of(process)
        writer = ScopedSessionManager(str(tmp_path / "axon-server"))  # Another process's view.

        def write(n: object) -> None:
            writer.put("flow:other", "x", f"ignored {n}", "w")  # Not a scope we follow.
            writer.put("global", "status", f"busy {n}", "worker")

        change = first_line_after_writes(found, write)
        assert change["scope"] == "global" and change["layer"] == "store"
        # The first write may land before tail's first snapshot: old is what came before new.
        assert change["key"] == "status" and change["source_step"] == "worker"
        number = int(str(change["new"]).split()[1])
        assert change["old"] == ("idle" if number == 1 else f"busy {number - 1}")
        assert isinstance(change["time"], int)
        writer.delete("global", "status")
        removal = json.loads(found.get(timeout=20))
        while removal["new"] is not None:  # A later write of the first loop, then the removal.
            removal = json.loads(found.get(timeout=20))
        assert removal["key"] == "status" and removal["old"].startswith("busy")
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None and "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.wait()


def test_tail_ends_quietly_when_its_reader_goes(tmp_path: Path) -> None:
    manager = ScopedSessionManager(str(tmp_path / "axon-server"))
    manager.put("global", "n", "0", "boot")
    process = subprocess.Popen(
        ["bash", "-o", "pipefail", "-c", f"'{AXON}' tail axon-server --interval 0.3 | head -n 1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    count = 0
    while process.poll() is None and time.monotonic() < deadline:
        count += 1
        manager.put("global", "n", str(count), "w")
        time.sleep(0.3)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert json.loads(out)["key"] == "n" and "Traceback" not in err
    assert shell  # the helpers module is shared with the other command-line tests
