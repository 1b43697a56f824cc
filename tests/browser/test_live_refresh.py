"""Live blocks always end on the newest state, however close together two changes come.

A block refetches itself when the stream says it changed. Two ways a change was lost:

- it arrived while the block's own refresh was on its way: htmx queued the second request
  on the old element, which the answer then replaced (outerHTML), and dropped it;
- it arrived in the moment after a swap, before the new element was made live.

Each test holds the first refresh's answer (rendered before the second change) until the
page has heard of the second change, then lets it through: the block must go on to show
the second change, on the projector, a phone and the control page.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from workshop import models

from . import volume
from .test_room import PHONE_QUESTION, join

# ms. A lost change never comes (until the next one), so waiting longer than test_room.LIVE only
# keeps a slow first render on a loaded machine from failing the test.
ARRIVES = 10_000

# Counts, per live block, the stream's messages of one kind it heard, and every swap of a
# live block after which the new element was not live yet when the next task ran (an
# event then would have been lost).
LISTEN = """
([id, kind]) => {
  window.credoHeard = 0;
  window.credoGaps = [];
  document.addEventListener("htmx:sseMessage", (event) => {
    if (event.target.id === id && event.detail.type === kind) { window.credoHeard += 1; }
  });
  const loaded = new WeakSet();
  document.addEventListener("htmx:load", (event) => loaded.add(event.detail.elt));
  document.addEventListener("htmx:afterSwap", (event) => {
    const swapped = event.detail.target && event.detail.target.id;
    if (!swapped) { return; }
    setTimeout(() => {
      const block = document.getElementById(swapped);
      if (block && block.hasAttribute("hx-trigger") && !loaded.has(block)) {
        window.credoGaps.push(swapped);
      }
    }, 0);
  });
}
"""


class HoldFirst:
    """A route handler: fetch the first refresh at once, but answer the page only later."""

    def __init__(self) -> None:
        self.route: Route | None = None
        self.response = None

    def __call__(self, route: Route) -> None:
        if self.route is not None or route.request.headers.get("hx-request") != "true":
            route.continue_()
            return
        self.response = route.fetch()  # rendered now: before the second change
        self.route = route

    def release(self) -> None:
        assert self.route is not None
        self.route.fulfill(response=self.response)


def until(page: Page, condition: Callable[[], bool], what: str) -> None:
    """Wait (letting Playwright deliver its events) until ``condition()`` holds."""
    deadline = time.monotonic() + ARRIVES / 1000
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        page.wait_for_timeout(20)


def change_twice(
    page: Page,
    block: str,
    refresh_url: str,
    kind: str,
    first: Callable[[], None],
    second: Callable[[], None],
) -> None:
    """Make ``first`` change, hold the block's refresh, make ``second``, then answer."""
    page.evaluate(LISTEN, [block, kind])
    held = HoldFirst()
    page.route(refresh_url, held)
    first()
    until(page, lambda: held.route is not None, f"#{block} asks for its refresh")
    heard = page.evaluate("window.credoHeard")
    second()
    page.wait_for_function("(heard) => window.credoHeard > heard", arg=heard, timeout=ARRIVES)
    held.release()


@pytest.fixture
def room_db(server):
    db = volume.open_db(server)
    yield db
    db.close()


def test_the_projector_shows_an_answer_that_came_during_a_refresh(room, new_workshop, room_db):
    made = new_workshop()
    workshop = volume.get_workshop(room_db, made.id)
    stage = models.current_stage(room_db, workshop)
    person, _key = models.add_participant(room_db, workshop)
    screen = room.open(made.screen_url, "screen", "screen")
    main = screen.locator("#screen-main")
    expect(main).to_be_visible()

    def answer(text: str) -> Callable[[], None]:
        return lambda: models.add_answer(room_db, workshop, stage, person, text)

    change_twice(
        screen,
        "screen-main",
        "**/s/*/main*",
        "answers-changed",
        answer("Pierwsza odpowiedź"),
        answer("Druga odpowiedź, w trakcie odświeżania"),
    )
    expect(main).to_contain_text("Druga odpowiedź, w trakcie odświeżania", timeout=ARRIVES)
    expect(main).to_contain_text("Pierwsza odpowiedź")
    assert screen.evaluate("window.credoGaps") == []


def test_a_phone_follows_two_quick_stage_changes(room, new_workshop, room_db):
    made = new_workshop()
    workshop = volume.get_workshop(room_db, made.id)
    phone = join(room, made.join_url, "Ania")
    stages = [s for s in models.list_stages(room_db, workshop) if s.kind == "question"]
    assert len(stages) >= 3

    change_twice(
        phone,
        "phone-stage",
        "**/w/*/p",
        "stage-changed",
        lambda: volume.move_to(room_db, workshop, stages[1]),
        lambda: volume.move_to(room_db, workshop, stages[2]),
    )
    expect(phone.locator(PHONE_QUESTION)).to_have_text(stages[2].title, timeout=ARRIVES)
    assert phone.evaluate("window.credoGaps") == []


def test_the_control_board_shows_an_answer_that_came_during_a_refresh(room, new_workshop, room_db):
    made = new_workshop()
    workshop = volume.get_workshop(room_db, made.id)
    stage = models.current_stage(room_db, workshop)
    person, _key = models.add_participant(room_db, workshop)
    facilitator = room.open(made.facilitator_url, "laptop", "facilitator")
    board = facilitator.locator("#control-board")
    expect(board).to_be_visible()

    def answer(text: str) -> Callable[[], None]:
        return lambda: models.add_answer(room_db, workshop, stage, person, text)

    change_twice(
        facilitator,
        "control-board",
        "**/control/board*",
        "answers-changed",
        answer("Pierwsza odpowiedź"),
        answer("Druga odpowiedź, w trakcie odświeżania"),
    )
    expect(board).to_contain_text("Druga odpowiedź, w trakcie odświeżania", timeout=ARRIVES)
    expect(board).to_contain_text("Pierwsza odpowiedź")
    assert facilitator.evaluate("window.credoGaps") == []
