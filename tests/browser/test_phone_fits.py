"""Phones at 390 and 320 px never pan sideways, at any stage of a real room's workshop.

The header carries the workshop's name, the language switch and the person's name; with a
clinic's full legal name and a 40-letter name without spaces it once made the page
404–431 px wide, so the page slid sideways under the thumb while typing. Each stage is
filled to a real room's volume (tests/browser/volume.py) and the phone is reloaded there;
screenshots land in tests/artifacts/phone/ for a person to look at.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from workshop import models

from . import volume
from .test_room import PHONE_BODY, join, shoot

LONG_TITLE = "Niepubliczny Zakład Opieki Zdrowotnej Przychodnia Rodzinna Pod Lipami w Łodzi"
LONG_NAME = "Konstantynopolitańczykowianeczkówna" + "Żółć5"  # 40 letters, no space
UNBROKEN = "https://przychodnia-pod-lipami.example/ankieta-satysfakcji-pacjentow-2024"
WIDTHS = ((390, 844), (320, 568))

# Measured against the width the phone was given: a mobile browser whose page is too wide
# zooms out, and then window.innerWidth grows with the page and hides the overflow.
WIDTH = """(width) => ({
  page: document.documentElement.scrollWidth,
  inner: window.innerWidth,
  wide: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1
      && !e.closest('[hidden], .visually-hidden, details:not([open]) > :not(summary)'))
    .slice(0, 5).map(e => e.outerHTML.slice(0, 100)),
})"""


def too_wide(phone: Page, label: str, artifacts) -> list[str]:
    """Measure the page at each phone width; return what is wider than the screen."""
    found = []
    folder = artifacts / "phone"
    folder.mkdir(exist_ok=True)
    for width, height in WIDTHS:
        phone.set_viewport_size({"width": width, "height": height})
        measured = phone.evaluate(WIDTH, width)
        if max(measured["page"], measured["inner"]) > width:
            found.append(f"{label} at {width}px: page {measured['page']}px wide {measured['wide']}")
        shoot(phone, folder / f"{label}-{width}.png", full_page=True)
    phone.set_viewport_size({"width": 390, "height": 844})
    return found


def test_no_stage_makes_a_phone_scroll_sideways(room, new_workshop, server, artifacts):
    made = new_workshop(LONG_TITLE)
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    phone = join(room, made.join_url, LONG_NAME)
    expect(phone.locator(".phone-header .name-link")).to_have_text(LONG_NAME)
    me = next(p for p in models.list_participants(db, workshop) if p.display_name == LONG_NAME)
    people = [me, *volume.add_people(db, workshop, 39)]
    question = volume.stage_of_kind(db, workshop, "question")
    found: list[str] = []

    # The question, with the phone's own answers (one a long link with no space in it).
    phone.locator(PHONE_BODY).fill(UNBROKEN)
    phone.locator("#phone-stage form.answer-form button[type=submit]").click()
    expect(phone.locator("#phone-stage .my-answer")).to_have_count(1)
    answers = volume.fill_question(db, workshop, question, people[1:])
    phone.reload()
    found += too_wide(phone, "1-question", artifacts)

    # Answers grouped into themes, then a dot vote, then its result (a tie for 3rd).
    volume.group_into_themes(db, workshop, question, answers)
    phone.reload()
    found += too_wide(phone, "2-themes", artifacts)
    models.open_voting(db, workshop, volume.fresh_stage(db, workshop, question), budget=3)
    phone.reload()
    expect(phone.locator("#phone-board .vote-card").first).to_be_visible()
    found += too_wide(phone, "3-voting", artifacts)
    volume.vote_with_tie(db, workshop, question, people, answers)
    phone.reload()
    expect(phone.locator("#phone-board .result-row").first).to_be_visible()
    found += too_wide(phone, "4-results", artifacts)

    # Principles: answers with a line each.
    principles = volume.stage_of_kind(db, workshop, "principles")
    volume.move_to(db, workshop, principles)
    for person, (name, line) in zip(people, volume.PRINCIPLES, strict=False):
        if person.id != me.id:
            models.add_answer(db, workshop, principles, person, name, line)
    phone.reload()
    found += too_wide(phone, "5-principles", artifacts)

    # The mission: drafts the phone may amend, a proposal form, then a round with reasons.
    volume.set_principles(db, workshop)
    volume.move_to(db, workshop, volume.stage_of_kind(db, workshop, "mission"))
    models.set_proposals_open(db, workshop, True)
    volume.long_draft(db, workshop)
    phone.reload()
    expect(phone.locator("#phone-mission .draft-card").first).to_be_visible()
    found += too_wide(phone, "6-drafts", artifacts)
    round_ = volume.mission_round(db, workshop, people[1:], blocks=3)
    phone.reload()
    expect(phone.locator("#phone-round form.round-form")).to_be_visible()
    found += too_wide(phone, "7-round", artifacts)
    models.answer_round(db, workshop, round_, me, models.BLOCK, UNBROKEN + " " + "nie" * 60)
    phone.reload()
    found += too_wide(phone, "8-round-answered", artifacts)

    # Agreed: the mission, the principles and the result of the round.
    volume.agree(db, workshop, round_)
    principles_round = models.open_round(db, volume.fresh(db, workshop), "principles")
    volume.agree(db, workshop, principles_round)
    volume.move_to(db, workshop, volume.stage_of_kind(db, workshop, "agreed"))
    phone.reload()
    found += too_wide(phone, "9-agreed", artifacts)

    # The pages around the stages: the name page and the join page.
    phone.goto(phone.url.rsplit("/", 1)[0] + "/name")
    found += too_wide(phone, "10-name", artifacts)
    assert not found, "\n".join(found)
    room.assert_clean_console()
