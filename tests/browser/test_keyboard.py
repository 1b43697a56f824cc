"""The facilitator's whole flow by keyboard alone: Tab to a control, Enter or Space to use it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .test_room import LIVE, join, send


def tab_to(page: Page, selector: str, limit: int = 200) -> None:
    """Press Tab until the focused element matches ``selector``; fail if it never does."""
    for _ in range(limit):
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_the_facilitator_runs_a_workshop_by_keyboard(room, new_workshop):
    landing = room.open("/", "laptop", "landing")
    tab_to(landing, "#title")
    landing.keyboard.type("Gabinet Pod Klonem")
    tab_to(landing, "form[action='/'] button[type=submit]")
    landing.keyboard.press("Enter")
    expect(landing).to_have_url(re.compile(r"/control$"), timeout=LIVE)
    facilitator = landing
    join_url = facilitator.locator("#join-url").input_value()

    first = facilitator.locator("#control-main .stage-heading h2").inner_text()
    tab_to(facilitator, "form[action$='/stage/next'] button")
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator("#control-main .stage-heading h2")).not_to_have_text(first)
    tab_to(facilitator, "form[action$='/stage/previous'] button")
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator("#control-main .stage-heading h2")).to_have_text(first)

    phones = [join(room, join_url) for _ in range(2)]
    send(phones[0], "Bezpieczeństwo pacjentów")
    send(phones[1], "Pacjent ma czuć się bezpiecznie")
    expect(facilitator.locator("#control-board .answer-card")).to_have_count(2, timeout=LIVE)

    # Merge by keyboard: More… → pick the card → Merge.
    facilitator.locator("body").focus()
    tab_to(facilitator, "#control-board .answer-card a[href*='/board/answers/']")
    facilitator.keyboard.press("Enter")
    expect(facilitator).to_have_url(re.compile(r"/board/answers/\d+$"))
    tab_to(facilitator, "select[name=target]")
    facilitator.keyboard.press("ArrowDown")
    tab_to(facilitator, "form[action$='/merge'] button[type=submit]")
    facilitator.keyboard.press("Enter")
    expect(facilitator).to_have_url(re.compile(r"/control$"))
    expect(facilitator.locator("#control-board .answer-card")).to_have_count(1)

    # Dot voting, reveal, a timer: every switch reachable and usable from the keyboard.
    tab_to(facilitator, "input[name='voting-budget']")
    facilitator.keyboard.press("Control+A")
    facilitator.keyboard.type("2")
    tab_to(facilitator, "form[action$='/voting'] button[type=submit]")
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator("form[action$='/close-voting']")).to_be_visible(timeout=LIVE)
    tab_to(facilitator, "form[action$='/reveal-results'] button")
    facilitator.keyboard.press(" ")
    expect(facilitator.locator("form[action$='/hide-results']")).to_be_visible(timeout=LIVE)
    tab_to(facilitator, "form[action$='/timer'] button[type=submit]")
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator(".room-tools .timer")).to_be_visible(timeout=LIVE)

    # Close joining from the header.
    tab_to(facilitator, "form[action$='/joining/lock'] button")
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator("form[action$='/joining/unlock']")).to_be_visible(timeout=LIVE)
    room.assert_clean_console()
