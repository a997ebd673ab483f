"""`axon-scopes web` in a real browser: Debian's chromium, driven through its chromedriver.

Selenium rather than Playwright: Debian ships chromium and chromedriver of one version,
an exact pair that Selenium drives by path with nothing downloaded, while Playwright's
driver expects browser builds of its own.

One server over a store in a directory named like a shell command, one browser. The
terminal is drawn on a canvas (xterm.js with its WebGL renderer), so its text is read
from the terminal's own buffer: a script added before the page's own keeps the
terminal object textual-serve's page creates (`this.terminal = new Terminal(…)`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.web_servers import HOSTILE, WebServer, gone, make_store

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"
#: Where `make screenshots` wants the screenshot this test takes (scripts/web_screenshot.py).
SCREENSHOT_ENV = "AXON_SCOPES_WEB_SCREENSHOT"
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,720",
)
#: Keeps the page's terminal where the test can read it (see the module's docstring).
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true});
    if (!window.axonTerminal && value && value.buffer) window.axonTerminal = value;
  },
});
"""
SCREEN_TEXT = """
const term = window.axonTerminal;
if (!term) return null;
const buffer = term.buffer.active, rows = [];
for (let i = 0; i < buffer.length; i++) rows.push(buffer.getLine(i).translateToString(true));
return rows.join("\\n");
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: install with `{INSTALL}` (as root), "
            "or run `make test`, which installs them",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="web-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # Given explicitly: nothing is looked up or downloaded.
    for argument in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebServer, Path]]:
    """The server, started in `where`, on the store in `where/a b;$(touch x)`."""
    where = tmp_path_factory.mktemp("web")
    store = make_store(where, demo=True)
    server = WebServer(f"{HOSTILE}/", cwd=where)
    yield server, store
    assert server.stop() == 0


@pytest.fixture(scope="module")
def page(browser: object, site: tuple[WebServer, Path]) -> str:
    """The site open in a tab of its own, its rows shown; the tab's handle."""
    handle = open_tab(browser, site[0].url)
    wait_screen(browser, lambda t: row(t, "greeting", "hello from the store"))
    return handle


@pytest.fixture
def tab(browser: object, page: str) -> object:
    """The browser, on the site's tab."""
    browser.switch_to.window(page)  # type: ignore[attr-defined]
    return browser


def open_tab(driver: object, url: str) -> str:
    """Load `url` in a new tab (the first tab: in the one there is); its handle."""
    if driver.current_url not in {"data:,", "about:blank"}:  # type: ignore[attr-defined]
        driver.switch_to.new_window("tab")  # type: ignore[attr-defined]
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Page.addScriptToEvaluateOnNewDocument", {"source": KEEP_TERMINAL}
    )
    driver.get(url)  # type: ignore[attr-defined]
    return str(driver.current_window_handle)  # type: ignore[attr-defined]


def screen(driver: object) -> str:
    return driver.execute_script(SCREEN_TEXT) or ""  # type: ignore[attr-defined]


def wait_screen(driver: object, check: Callable[[str], bool], timeout: float = 15) -> str:
    """The terminal's text once `check` holds; fails with that text if it never does."""
    deadline = time.monotonic() + timeout
    while not check(text := screen(driver)):
        assert time.monotonic() < deadline, f"the page never showed it; it shows:\n{text}"
        time.sleep(0.05)
    return text


def type_keys(driver: object, keys: str) -> None:
    """Keys to the terminal, as a person typing in the page."""
    from selenium.webdriver.common.by import By

    area = driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")  # type: ignore[attr-defined]
    area.send_keys(keys)


def row(text: str, *words: str) -> bool:
    """Whether one line of `text` holds every word, in order."""
    for line in text.splitlines():
        at = 0
        for word in words:
            at = line.find(word, at)
            if at < 0:
                break
            at += len(word)
        else:
            return True
    return False


def test_the_page_shows_the_tree_and_a_known_row(tab: object, site: tuple[WebServer, Path]) -> None:
    server, store = site
    text = screen(tab)
    assert row(text, "greeting", "hello from the store")
    assert row(text, "axon-server") and row(text, "global", "0·5")  # The tree, its counts.
    assert row(text, "flows") and row(text, "analyze")
    assert row(text, "server.version", "0.9.4")
    assert HOSTILE in text  # The header names the directory: one path, not a command.
    assert not (store.parent / "x").exists() and not (store / "x").exists()
    assert len(server.apps()) == 1


def test_a_key_press_reaches_the_app(tab: object) -> None:
    type_keys(tab, "\t/greet")  # To the table, then filter its rows.
    text = wait_screen(tab, lambda t: not row(t, "server.version", "0.9.4"))
    assert row(text, "greeting", "hello from the store")
    type_keys(tab, "\ue00c")  # Escape clears the filter.
    wait_screen(tab, lambda t: row(t, "server.version", "0.9.4"))


def test_a_flush_by_another_process_appears(
    tab: object, site: tuple[WebServer, Path], tmp_path: Path
) -> None:
    path = site[1] / ".axon-server__global.session.json"
    worker = ["-m", "tests.flush_worker", "flush", str(path), "web.note", "written elsewhere"]
    subprocess.run([sys.executable, *worker], check=True, cwd=Path(__file__).parent.parent)
    wait_screen(tab, lambda t: row(t, "web.note", "written elsewhere"))
    shot = tmp_path / "web.png"
    assert tab.save_screenshot(str(shot))  # type: ignore[attr-defined]
    assert shot.read_bytes().startswith(b"\x89PNG")
    if wanted := os.environ.get(SCREENSHOT_ENV):
        shutil.copyfile(shot, wanted)


def test_closing_a_tab_ends_its_app(tab: object, site: tuple[WebServer, Path]) -> None:
    server, _store = site
    first = tab.current_window_handle  # type: ignore[attr-defined]
    (before,) = server.wait_apps(1)
    open_tab(tab, server.url)
    wait_screen(tab, lambda t: row(t, "greeting", "hello from the store"))
    (new,) = set(server.wait_apps(2)) - {before}
    tab.close()  # type: ignore[attr-defined]
    tab.switch_to.window(first)  # type: ignore[attr-defined]
    assert server.wait_apps(1) == [before]
    assert gone(new)


def test_stopping_the_server_ends_every_app_it_started(browser: object, tmp_path: Path) -> None:
    """SIGTERM with a tab open (SIGINT and two apps: test_web_command.py)."""
    server = WebServer(str(make_store(tmp_path, "srv")), cwd=tmp_path)
    open_tab(browser, server.url)
    wait_screen(browser, lambda t: row(t, "greeting", "hello from the store"))
    apps = server.wait_apps(1)
    assert server.stop(signal.SIGTERM) == 0
    assert all(gone(pid) for pid in apps)
    err = server.stderr()
    assert "Traceback" not in err and "Error" not in err, err
    closed = "return document.body.classList.contains('-closed')"  # "Session ended."
    deadline = time.monotonic() + 5
    while not browser.execute_script(closed):  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the page was not told the session ended"
        time.sleep(0.05)
    browser.close()  # type: ignore[attr-defined]
