"""Browser tests: the real server (gunicorn, SQLite in a temp dir) and Debian's Chromium.

The server is started once per session on a free port; each test makes its own workshop
through the ``workshop create`` CLI, so tests never see each other's people or answers.
Every page opened through the ``room`` fixture records console messages, uncaught
errors and dialogs; a test fails on any Content Security Policy message, JS error or
dialog (tests may allow specific, expected network errors such as going offline).
Screenshots land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]

START_TIMEOUT = 20.0  # seconds for gunicorn to answer "/"
STOP_TIMEOUT = 10.0  # gunicorn's graceful_timeout is 5 s
CLI_TIMEOUT = 30.0

# Console errors tolerated everywhere. Chromium asks every page for /favicon.ico, which
# the app does not serve (404): a cosmetic gap, reported, not a JS error.
ALWAYS_ALLOWED = [re.compile(r"^Failed to load resource: .* 404 .*/favicon\.ico\)$")]

# Tell the console which directive blocked what, and where (Chromium's own message omits it).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => console.warn(
  "Content Security Policy violation (reported): " + e.violatedDirective + " blocked " +
  (e.blockedURI || "inline") + " sample=" + JSON.stringify(e.sample) + " at " +
  e.sourceFile + ":" + e.lineNumber + ":" + e.columnNumber));
"""

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "pl-PL",
}
SCREEN = {"viewport": {"width": 1920, "height": 1080}, "locale": "pl-PL"}
LAPTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "pl-PL"}
KINDS = {"phone": PHONE, "screen": SCREEN, "laptop": LAPTOP}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


# --- the server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    port: int
    env: dict[str, str]
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _workshop_command() -> str:
    found = shutil.which("workshop", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the `workshop` command is not installed in this venv (pip install -e .)")
    return found


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Run ``workshop serve`` (gunicorn) on a free port with a fresh database."""
    root = tmp_path_factory.mktemp("credo-server")
    port = _free_port()
    env = {
        **os.environ,
        "WORKSHOP_DATABASE": str(root / "credo.db"),
        "WORKSHOP_EXPORTS_DIR": str(root / "exports"),
        "WORKSHOP_SECRET_KEY": "browser-test-secret",
        # Streams notice a closed browser only when they next write: ping every second so
        # their threads end soon after each test (and the graceful shutdown is quick).
        "WORKSHOP_LIVE_HEARTBEAT_SECONDS": "1.0",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    log = root / "server.log"
    command = [_workshop_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(base_url + "/"):
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {START_TIMEOUT}s:\n{_tail(log)}")
            time.sleep(0.1)
        yield Server(base_url=base_url, port=port, env=env, log=log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn: terminate (graceful, up to its 5 s graceful_timeout), then kill."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@dataclass(frozen=True)
class Workshop:
    id: str
    join_code: str
    join_url: str
    screen_url: str
    facilitator_url: str


def create_workshop(
    server: Server, title: str = "Przychodnia Pod Lipami", lang: str = "pl"
) -> Workshop:
    """Create a workshop through the CLI, its links pointing at ``server``."""
    result = subprocess.run(
        [_workshop_command(), "create", "--title", title, "--lang", lang, "--json"],
        cwd=REPO,
        env=server.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    if result.returncode != 0:
        pytest.fail(f"`workshop create` failed ({result.returncode}):\n{result.stderr}")
    info = json.loads(result.stdout)
    made = Workshop(**info)
    for url in (made.join_url, made.screen_url, made.facilitator_url):
        assert url.startswith(server.base_url + "/"), f"{url} does not point at the test server"
    return made


@pytest.fixture
def new_workshop(server: Server):
    """A factory: ``new_workshop()`` makes a fresh workshop on the test server."""

    def make(title: str = "Przychodnia Pod Lipami", lang: str = "pl") -> Workshop:
        return create_workshop(server, title, lang)

    return make


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Note:
    page: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"[{self.page}] {self.kind}: {self.text}"


@dataclass
class Room:
    """Opens pages in separate browser contexts (one per device) and watches them."""

    browser: Browser
    base_url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=lambda: list(ALWAYS_ALLOWED))
    reported: int = 0  # problems already reported by assert_clean_console

    def open(self, url: str, kind: str = "phone", label: str | None = None) -> Page:
        """Open ``url`` in a new context shaped like a phone, the projector or a laptop."""
        context = self.browser.new_context(base_url=self.base_url, **KINDS[kind])
        context.set_default_timeout(5_000)
        context.set_default_navigation_timeout(10_000)
        self.contexts.append(context)
        context.add_init_script(CSP_REPORTER)
        page = context.new_page()
        self.watch(page, label or f"{kind}{len(self.contexts)}")
        page.goto(url)
        return page

    def watch(self, page: Page, label: str) -> None:
        def on_console(message: ConsoleMessage) -> None:
            where = message.location.get("url") or ""
            text = f"{message.text} ({where})" if where else message.text
            self.notes.append(Note(label, f"console.{message.type}", text))

        def on_error(error: PlaywrightError) -> None:
            self.notes.append(Note(label, "pageerror", f"{error.name}: {error.message}"))

        def on_dialog(dialog: Dialog) -> None:
            self.notes.append(Note(label, "dialog", f"{dialog.type}: {dialog.message}"))
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", on_error)
        page.on("dialog", on_dialog)

    def allow(self, pattern: str) -> None:
        """Accept console errors matching ``pattern`` (expected network failures)."""
        self.allowed.append(re.compile(pattern))

    def problems(self) -> list[Note]:
        found = []
        for note in self.notes:
            if "content security policy" in note.text.lower():
                found.append(note)  # never allowed
            elif note.kind in ("pageerror", "dialog"):
                found.append(note)
            elif note.kind == "console.error" and not any(
                pattern.search(note.text) for pattern in self.allowed
            ):
                found.append(note)
        return found

    def assert_clean_console(self) -> None:
        """Fail on any CSP message, JS error, dialog or unexpected console error so far."""
        problems = self.problems()
        self.reported = len(problems)
        assert not problems, "console problems:\n" + "\n".join(map(str, problems))

    def close(self) -> None:
        for context in self.contexts:
            try:
                context.close()
            except PlaywrightError:
                pass


@pytest.fixture
def room(browser: Browser, server: Server) -> Iterator[Room]:
    """Open devices with ``room.open(url, kind)``; the console is checked at the end."""
    made = Room(browser=browser, base_url=server.base_url)
    yield made
    problems = made.problems()[made.reported :]
    made.close()
    if problems:
        pytest.fail("console problems:\n" + "\n".join(map(str, problems)))
