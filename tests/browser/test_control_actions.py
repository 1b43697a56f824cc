"""A control-page action swaps only the panels it changed (control.ACTION_PANELS): the rest of
the controls stay the very same elements, with what was typed and opened there; the button
pressed keeps the focus, also when the stream's news of the same change refreshes its panel."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from workshop import models

from . import volume

ANSWERED = 15_000  # ms: a wait for the server's answer to an action, on a busy machine
MARK = """() => { document.getElementById('control-main').credoKept = true;
  window.credoBoardSwaps = 0;
  document.body.addEventListener('htmx:afterSwap', (event) => {
    if (event.detail.elt.id === 'control-board') { window.credoBoardSwaps += 1; } }); }"""


def test_hiding_an_answer_swaps_its_card_and_the_focus_stays_through_the_live_refresh(
    room, server, new_workshop
):
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    stage = volume.stage_of_kind(db, workshop, "question")
    volume.move_to(db, workshop, stage)
    answers = [models.add_answer(db, workshop, stage, None, f"Odpowiedź {n}") for n in range(3)]
    db.close()
    page = room.open(made.facilitator_url, "laptop", "facilitator")
    page.evaluate(MARK)
    page.locator("#side-themes > summary").click()  # a fold opened, a name typed, not sent
    page.locator("input[name='theme-name']").fill("Rozmowa")

    card = page.locator(f"#answer-card-{answers[1].id}")
    card.get_by_role("button", name="Ukryj", exact=True).click()
    show = card.get_by_role("button", name="Pokaż", exact=True)
    expect(show).to_be_focused(timeout=ANSWERED)
    expect(card).to_have_class("answer-card moderation-hidden")

    # The stream says the answers changed: the board refreshes, the focus stays put.
    deadline = time.monotonic() + ANSWERED / 1000
    while page.evaluate("window.credoBoardSwaps") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)  # the page's CSP forbids wait_for_function's eval
    assert page.evaluate("window.credoBoardSwaps") >= 1, "the board never refreshed"
    expect(show).to_be_focused()

    # The rest of the controls were not redrawn: the same element, the fold and the text kept.
    assert page.evaluate("document.getElementById('control-main').credoKept === true")
    expect(page.locator("#side-themes")).to_have_attribute("open", "")
    expect(page.locator("input[name='theme-name']")).to_have_value("Rozmowa")
