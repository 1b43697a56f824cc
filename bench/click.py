"""The facilitator's "Add to principles" as the browser sees it, against ``workshop serve``.

The server-side times (bench/actions.py) leave out what the browser does with the answer.
Here the real server (its default workers) holds the room of bench/actions.py (40 people,
four answered stages, drafts, a round), on the principles stage; headless Chromium opens
the control page and clicks "Add to principles" ``CLICKS`` times, each on the next
proposed principle, timing from the click to htmx's ``afterSettle`` of the swapped block
(the request, the server, the swap of the control page's main block and its settling).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser import volume
from tests.browser.conftest import create_workshop
from tests.live_room import Server
from workshop import models

from .table import Line

CLICKS = 6
CHROMIUM = "/usr/bin/chromium"
TARGET = 0.2  # s, as the server side's: the facilitator never waits
LISTEN = """() => { window.settled = [];
  document.body.addEventListener('htmx:afterSettle',
    () => window.settled.push(performance.now())); }"""


def click_times() -> list[float]:
    """Seconds from each click to the swapped block settled, in order."""
    times = []
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        server = Server(Path(folder), workers=None)
        server.start()
        try:
            made = create_workshop(server)
            db = volume.open_db(server)
            workshop = volume.get_workshop(db, made.id)
            volume.fill_answered_room(db, workshop, 40)
            workshop = volume.fresh(db, workshop)
            models.move_to_stage(db, workshop, volume.stage_of_kind(db, workshop, "principles"))
            db.close()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(made.facilitator_url)
                page.wait_for_load_state("networkidle")
                page.evaluate(LISTEN)
                for _ in range(CLICKS):
                    before = page.evaluate("window.settled.length")
                    started = page.evaluate("performance.now()")
                    page.get_by_role("button", name="Dodaj do zasad").first.click()
                    while page.evaluate("window.settled.length") <= before:
                        time.sleep(0.005)  # the page's CSP forbids wait_for_function's eval
                    settled = page.evaluate(f"window.settled[{before}]")
                    times.append((settled - started) / 1000)
                    page.wait_for_load_state("networkidle")
                browser.close()
        finally:
            server.stop()
    return times


def click_lines() -> list[Line]:
    times = click_times()
    rest = sorted(times[1:])
    return [
        Line(
            "click",
            '"Add to principles" in Chromium, click → block settled',
            f"first {times[0] * 1000:.0f} ms; then median {statistics.median(rest) * 1000:.0f}, "
            f"slowest {rest[-1] * 1000:.0f} ms",
            target=f"≤ {TARGET * 1000:.0f} ms",
            ok=rest[-1] <= TARGET,
            note=f"{CLICKS} clicks, `workshop serve` with its default workers, headless Chromium",
        )
    ]


def main() -> int:
    for line in click_lines():
        print(f"{line.what}: {line.result} ({line.note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
