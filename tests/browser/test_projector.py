"""The projector's keys: a clicker moves the stages, B blanks, ? explains, and the
single-key shortcuts can be switched off."""

from __future__ import annotations

from playwright.sync_api import expect

from .test_room import LIVE, SCREEN_QUESTION


def test_clicker_keys_move_the_room_from_the_facilitators_screen(room, new_workshop, artifacts):
    workshop = new_workshop()
    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    screen = facilitator.context.new_page()
    room.watch(screen, "facilitator-screen")
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(workshop.screen_url)
    audience = room.open(workshop.screen_url, "screen", "second screen")
    first = screen.locator(SCREEN_QUESTION).inner_text()

    screen.keyboard.press("PageDown")
    expect(screen.locator(SCREEN_QUESTION)).not_to_have_text(first, timeout=LIVE)
    second = screen.locator(SCREEN_QUESTION).inner_text()
    expect(audience.locator(SCREEN_QUESTION)).to_have_text(second, timeout=LIVE)
    screen.keyboard.press("ArrowLeft")
    expect(screen.locator(SCREEN_QUESTION)).to_have_text(first, timeout=LIVE)

    # A screen opened without the facilitator's session cannot move anyone.
    audience.keyboard.press("ArrowRight")
    audience.wait_for_timeout(500)
    expect(screen.locator(SCREEN_QUESTION)).to_have_text(first)

    screen.keyboard.press("b")
    expect(screen.locator(".blackout")).to_be_visible()
    screen.keyboard.press("b")
    expect(screen.locator(".blackout")).to_be_hidden()

    screen.keyboard.press("?")
    help_dialog = screen.locator("#screen-help")
    expect(help_dialog).to_be_visible()
    screen.screenshot(path=str(artifacts / "screen-help.png"), caret="initial")
    help_dialog.locator("[data-screen-action=toggle-shortcuts]").click()
    help_dialog.locator("[data-screen-action=close-help]").click()
    expect(help_dialog).to_be_hidden()
    screen.keyboard.press("b")
    expect(screen.locator(".blackout")).to_be_hidden()  # single-key shortcuts are off
    screen.keyboard.press("ArrowRight")  # clicker keys still work
    expect(screen.locator(SCREEN_QUESTION)).not_to_have_text(first, timeout=LIVE)
    room.assert_clean_console()
