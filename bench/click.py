"""The facilitator's frequent clicks as the browser sees them, against ``workshop serve``.

The server-side times (bench/actions.py) leave out what the browser does with the answer.
Here the real server (its default workers) holds the room of bench/actions.py (40 people,
four answered stages, drafts, a round), and headless Chromium opens the control page and
clicks, ``CLICKS`` times each: "Add to principles" (on the principles stage, each time on
the next proposal), "Hide" (on a question's board, each time the next visible answer),
"Next" (from the first question; "Previous" brings it back between clicks, untimed) and
"Open the round" (on the principles; withdrawn between clicks, untimed). Each is timed
from the click to the end of htmx's handling of the answer (``htmx:afterRequest``: every
panel swapped and settled) and to the next frame after it (the browser's layout of the
new panels included); the size of each answer is noted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser import volume
from tests.browser.conftest import create_workshop
from tests.live_room import Server
from workshop import models

from .table import Line, percentile

CLICKS = 8
CHROMIUM = "/usr/bin/chromium"
SETTLE = 1.0  # s after each click, before the next: the stream's news of it, re-fetched
ANSWER_TIMEOUT = 10  # s: a click not answered by then is lost (and made again)
TARGET = 0.2  # s, as the server side's: the facilitator never waits
LISTEN = """() => { window.clicks = [];
  document.body.addEventListener('htmx:afterRequest', (event) => {
    const config = event.detail.requestConfig;
    if (!config || config.verb !== 'post') { return; }
    const done = { settled: performance.now(),
                   bytes: (event.detail.xhr.responseText || '').length };
    window.clicks.push(done);
    requestAnimationFrame(() => setTimeout(() => { done.painted = performance.now(); }, 0));
  }); }"""


@dataclass
class Click:
    """One frequent click: the stage it is made on, the button, and what undoes it between
    clicks (untimed), if anything."""

    name: str
    stage: tuple[str, int]
    button: Callable[[Page], object]
    undo: Callable[[Page], object] | None = None
    prepare: Callable[[object, models.Workshop], None] | None = None


def _open_principles(db, workshop: models.Workshop) -> None:
    """Principles with their lines, and no round open: the round's form is offered."""
    for round_ in models.list_rounds(db, workshop):
        if round_.is_open:
            models.cancel_round(db, workshop, round_)
    models.replace_principles(db, workshop, volume.PRINCIPLES[:4])


SCENARIOS = [
    Click(
        '"Add to principles"',
        ("principles", 0),
        lambda page: page.get_by_role("button", name="Dodaj do zasad").first,
    ),
    Click(
        '"Hide" an answer',
        ("question", 1),
        lambda page: page.locator(".answer-card.moderation-visible").first.get_by_role(
            "button", name="Ukryj", exact=True
        ),
    ),
    Click(
        '"Next" stage',
        ("question", 0),
        lambda page: page.locator(".stage-nav").get_by_role("button", name="Następny →"),
        undo=lambda page: page.locator(".stage-nav").get_by_role("button", name="← Poprzedni"),
    ),
    Click(
        '"Open the round"',
        ("principles", 0),
        lambda page: page.get_by_role("button", name="Otwórz rundę"),
        undo=lambda page: page.get_by_role("button", name="Wycofaj rundę"),
        prepare=_open_principles,
    ),
]


def _answered(page: Page, before: int) -> dict | None:
    """Wait for the click's answer to be handled and painted; return its times and size,
    or None when it never comes (the click was lost)."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while time.monotonic() < deadline:
        done = page.evaluate(f"window.clicks[{before}] || null")
        if done and "painted" in done:
            return done
        time.sleep(0.005)  # the page's CSP forbids wait_for_function's eval
    return None


def _click(page: Page, button: Callable[[Page], object], lost: list[str]) -> dict:
    """Click, and time the answer; a lost click is noted and the button clicked again."""
    for _attempt in range(3):
        before = page.evaluate("window.clicks.length")
        started = page.evaluate("performance.now()")
        button(page).click()
        done = _answered(page, before)
        time.sleep(SETTLE)  # the live refreshes the change brings (untimed) come and go
        page.wait_for_load_state("networkidle")
        if done is not None:
            return {
                "settled": (done["settled"] - started) / 1000,
                "painted": (done["painted"] - started) / 1000,
                "bytes": done["bytes"],
            }
        lost.append(page.url)
        page.evaluate("window.clicks.length = 0")
    raise TimeoutError("three clicks in a row were not answered")


def click_times(clicks: int = CLICKS) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """Each scenario's clicks, in order (seconds to settled and to painted, bytes), and how
    many clicks were lost (no answer came: made again)."""
    times: dict[str, list[dict]] = {}
    losses: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        server = Server(Path(folder), workers=None)
        server.start()
        try:
            made = create_workshop(server)
            db = volume.open_db(server)
            workshop = volume.get_workshop(db, made.id)
            volume.fill_answered_room(db, workshop, 40)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(made.facilitator_url)
                for scenario in SCENARIOS:
                    workshop = volume.fresh(db, workshop)
                    if scenario.prepare:
                        scenario.prepare(db, workshop)
                    models.move_to_stage(
                        db, workshop, volume.stage_of_kind(db, workshop, *scenario.stage)
                    )
                    page.reload()
                    page.wait_for_load_state("networkidle")
                    page.evaluate(LISTEN)
                    times[scenario.name] = []
                    lost: list[str] = []
                    losses[scenario.name] = 0
                    for _ in range(clicks):
                        times[scenario.name].append(_click(page, scenario.button, lost))
                        if scenario.undo:
                            _click(page, scenario.undo, lost)
                    losses[scenario.name] = len(lost)
                browser.close()
            db.close()
        finally:
            server.stop()
    return times, losses


def click_lines() -> list[Line]:
    lines = []
    times, losses = click_times()
    for name, clicks in times.items():
        settled = sorted(c["settled"] for c in clicks[1:])
        painted = sorted(c["painted"] for c in clicks[1:])
        size = statistics.median(c["bytes"] for c in clicks) / 1000
        lines.append(
            Line(
                "click",
                f"{name} in Chromium, click → answer swapped and settled (→ painted)",
                f"first {clicks[0]['settled'] * 1000:.0f} ms; then median "
                f"{statistics.median(settled) * 1000:.0f} ms, p95 "
                f"{percentile(settled, 0.95) * 1000:.0f} ms (painted: median "
                f"{statistics.median(painted) * 1000:.0f}, p95 "
                f"{percentile(painted, 0.95) * 1000:.0f} ms); answer {size:.1f} KB",
                target=f"≤ {TARGET * 1000:.0f} ms",
                ok=percentile(settled, 0.95) <= TARGET,
                note=f"{len(clicks)} clicks ({losses[name]} lost and made again), "
                "`workshop serve` with its default workers",
            )
        )
    return lines


def main() -> int:
    for line in click_lines():
        print(f"{line.what}: {line.result} ({line.note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
