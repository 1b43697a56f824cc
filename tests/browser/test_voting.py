"""Dot voting in a real room: three phones answer and vote, the facilitator merges a
duplicate by dragging it and reveals the result, the projector ranks the answers."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .test_room import LIVE, SCREEN_MAIN, assert_not_reloaded, join, mark_loaded, send, shoot

KIND = "Żeby każdy pacjent czuł się bezpiecznie"
KIND_AGAIN = "Pacjent ma się czuć u nas bezpiecznie"
LISTEN = "Słuchamy z uwagą i szacunkiem"

BOARD_CARD = "#control-board .answer-card"
VOTE_CARD = "#phone-board .vote-card"
SCREEN_CARD = "#screen-main .screen-card"
SCREEN_RESULT = "#screen-main .screen-results .result"


def facilitator_card(facilitator: Page, text: str):
    return facilitator.locator(BOARD_CARD).filter(has_text=text)


def add_dot(phone: Page, text: str, dots_left: int) -> None:
    """Tap "add a dot" on the card with ``text``; wait until the phone counts it."""
    card = phone.locator(VOTE_CARD).filter(has_text=text)
    card.locator("button.vote-add").click()
    expect(phone.locator("#phone-board .dots-left")).to_contain_text(
        re.compile(rf"(?<!\d){dots_left}(?!\d)"), timeout=LIVE
    )


def test_three_phones_vote_the_facilitator_merges_and_reveals(room, new_workshop, artifacts):
    workshop = new_workshop()
    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    screen = room.open(workshop.screen_url, "screen", "screen")
    mark_loaded(screen)
    ania, bartek, celina = (join(room, workshop.join_url, name) for name in ("Ania", "", "Cela"))
    send(ania, KIND)
    send(bartek, KIND_AGAIN)
    send(celina, LISTEN)
    expect(screen.locator(SCREEN_CARD)).to_have_count(3, timeout=LIVE)
    expect(facilitator.locator(BOARD_CARD)).to_have_count(3, timeout=LIVE)

    # Merge the duplicate by pointer: drag it onto the card it repeats.
    facilitator_card(facilitator, KIND_AGAIN).drag_to(facilitator_card(facilitator, KIND))
    expect(facilitator.locator(BOARD_CARD)).to_have_count(2, timeout=LIVE)
    merged = facilitator_card(facilitator, KIND)
    expect(merged.locator("details.merged")).to_contain_text(KIND_AGAIN)
    expect(screen.locator(SCREEN_CARD)).to_have_count(2, timeout=LIVE)
    expect(screen.locator(SCREEN_MAIN)).not_to_contain_text(KIND_AGAIN)

    # Open voting with 3 dots each.
    facilitator.locator("input[name='voting-budget']").fill("3")
    facilitator.locator("form[action$='/voting'] button[type=submit]").click()
    for phone in (ania, bartek, celina):
        expect(phone.locator(VOTE_CARD)).to_have_count(2, timeout=LIVE)
        expect(phone.locator(VOTE_CARD).filter(has_text=KIND_AGAIN)).to_have_count(0)

    add_dot(ania, KIND, 2)
    add_dot(ania, KIND, 1)
    add_dot(ania, LISTEN, 0)
    expect(ania.locator(f"{VOTE_CARD} button.vote-add").first).to_be_disabled()
    add_dot(bartek, KIND, 2)
    add_dot(bartek, LISTEN, 1)
    add_dot(celina, KIND, 2)

    # Counts stay hidden while voting: the screen shows only who has voted.
    votes = screen.locator("#screen-votes")
    expect(votes).to_contain_text(re.compile(r"(?<!\d)3(?!\d)"), timeout=LIVE)
    expect(votes).to_contain_text(re.compile(r"(?<!\d)6(?!\d)"))
    expect(screen.locator("#screen-main .result-count")).to_have_count(0)
    shoot(screen, artifacts / "screen-voting.png")
    shoot(bartek, artifacts / "phone-voting.png", full_page=True)

    facilitator.locator("form[action$='/close-voting'] button[type=submit]").click()
    facilitator.locator("form[action$='/reveal-results'] button[type=submit]").click()

    results = screen.locator(SCREEN_RESULT)
    expect(results).to_have_count(2, timeout=LIVE)
    expect(results.nth(0)).to_contain_text(KIND)
    expect(results.nth(0).locator(".result-count")).to_have_text(re.compile(r"^\s*4"))
    expect(results.nth(1)).to_contain_text(LISTEN)
    expect(results.nth(1).locator(".result-count")).to_have_text(re.compile(r"^\s*2"))
    assert_not_reloaded(screen)
    shoot(screen, artifacts / "screen-results.png")
    shoot(facilitator, artifacts / "facilitator-results.png", full_page=True)
    room.assert_clean_console()
