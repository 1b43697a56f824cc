"""Browser tests: the real server (gunicorn, SQLite in a temp dir) and Debian's Chromium.

The server is started once per session on a free port; each test makes its own workshop
through the ``workshop create`` CLI, so tests never see each other's people or answers.
Every page opened through the ``room`` fixture records console messages, uncaught
errors and dialogs; a test fails on any Content Security Policy message, JS error or
dialog (tests may allow specific, expected network errors such as going offline).
Screenshots land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
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

from ..live_room import NotStarted, Server

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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Run ``workshop serve`` (gunicorn, its default workers) on a free port, fresh database."""
    running = Server(tmp_path_factory.mktemp("credo-server"), workers=None)
    running.env["WORKSHOP_SECRET_KEY"] = "browser-test-secret"
    # A robot's minimum fill time: a test fills the clients' feedback form at once
    # (tests/test_feedback.py holds the minimum itself).
    running.env["WORKSHOP_FEEDBACK_MIN_FILL_SECONDS"] = "0"
    # Its heartbeat is 1 s: a stream notices a closed browser only when it next writes, so
    # stream threads end soon after each test and the shutdown is quick.
    try:
        running.start()
    except NotStarted as error:
        pytest.fail(str(error))
    try:
        yield running
    finally:
        running.stop()


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
    info = server.create_workshop(title, template="mission", language=lang)
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

    def assert_clean_console(self, where: str = "") -> None:
        """Fail on any CSP message, JS error, dialog or unexpected console error so far
        (``where``: the step of the test, named in the failure)."""
        problems = self.problems()
        self.reported = len(problems)
        heading = f"console problems {where}:" if where else "console problems:"
        assert not problems, heading + "\n" + "\n".join(map(str, problems))

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
