"""The facilitator's control page fits a laptop, with a real room's volume of answers.

At 1366×768 (the issue's laptop) and 1280×720 the current stage's title, previous/next,
the list of all stages and the stage's main actions (answering, hidden collection, voting,
timer; on the mission stage, opening a round) are on screen without scrolling. The list
of the twelve stages is one menu, not rows of chips. The mission stage, with four
questions of 40 answers each, 12 principles and a 120-word draft, stays within three
screens: each question shows its top answers and folds the rest. Screenshots go to
tests/artifacts/control/ for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from workshop import models

from . import volume
from .conftest import Workshop
from .test_accessibility import violations
from .test_keyboard import tab_to
from .test_room import FACILITATOR_QUESTION, LIVE, shoot

SIZES = ((1366, 768), (1280, 720))
LONG_TITLE = "Niepubliczny Zakład Opieki Zdrowotnej Przychodnia Rodzinna Pod Lipami w Łodzi"
STAGE_NAV = ["form[action$='/stage/previous'] button", ".stage-menu > summary"]
STAGE_NAV += ["form[action$='/stage/next'] button", FACILITATOR_QUESTION]

# Where each element is, if it is not wholly inside the window at the current scroll.
OUTSIDE = """(selectors) => selectors.flatMap(selector => {
  const found = document.querySelector(selector);
  if (!found) return [`${selector}: missing`];
  const box = found.getBoundingClientRect();
  const inside = box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
    && box.bottom <= innerHeight && box.right <= innerWidth;
  return inside ? [] : [`${selector}: ${Math.round(box.left)},${Math.round(box.top)} to `
    + `${Math.round(box.right)},${Math.round(box.bottom)} in ${innerWidth}×${innerHeight}`];
})"""


@pytest.fixture(scope="module")
def big_room(server) -> Workshop:
    """Twelve stages; four questions with 40 answers each (10 of 280 characters), a dot
    vote with a tie on the first, 12 principles and a 120-word draft."""
    made = Workshop(**server.create_workshop(LONG_TITLE, template="trust", language="pl"))
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    people = volume.add_people(db, workshop)
    questions = [s for s in models.list_stages(db, workshop) if s.kind == "question"][:4]
    answers = {stage.id: volume.fill_question(db, workshop, stage, people) for stage in questions}
    volume.vote_with_tie(db, workshop, questions[0], people, answers[questions[0].id])
    volume.set_principles(db, workshop)
    volume.long_draft(db, workshop)
    db.close()
    return made


def put_room_on(server, made: Workshop, kind: str, nth: int = 0) -> models.Stage:
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    stage = volume.stage_of_kind(db, workshop, kind, nth)
    volume.move_to(db, workshop, stage)
    db.close()
    return stage


def outside(page: Page, selectors: list[str]) -> list[str]:
    page.evaluate("window.scrollTo(0, 0)")
    return page.evaluate(OUTSIDE, selectors)


def check_sizes(page: Page, label: str, selectors: list[str], folder: Path) -> list[str]:
    """At each laptop size: the selectors are on screen at the top of the page, the stage
    navigation is one row, nothing is wider than the window; a screenshot of each."""
    found = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        found += [f"[{label} {width}×{height}] {problem}" for problem in outside(page, selectors)]
        nav = page.locator(".stage-nav").bounding_box()
        button = page.locator("form[action$='/stage/next'] button").bounding_box()
        assert nav and button
        if nav["height"] > 2 * button["height"] + 16:  # at most two rows, even when it wraps
            found.append(f"[{label} {width}] the stage navigation is {nav['height']:.0f}px tall")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            found.append(f"[{label} {width}] the page is {wide}px wide")
        shoot(page, folder / f"{label}-{width}x{height}.png")
    return found


def test_each_stage_s_main_actions_are_on_a_laptop_screen(room, server, big_room, artifacts):
    folder = artifacts / "control"
    folder.mkdir(exist_ok=True)
    put_room_on(server, big_room, "question", 1)
    page = room.open(big_room.facilitator_url, "laptop", "facilitator")
    expect(page.locator("#control-board .answer-card")).to_have_count(40)
    expect(page.locator(".stage-list li")).to_have_count(12)
    expect(page.locator(".stage-menu > summary")).to_contain_text(re.compile(r"\b2\b.*\b12\b"))
    expect(page.locator(".stage-list")).to_be_hidden()  # folded into the menu
    found = check_sizes(
        page,
        "question",
        STAGE_NAV
        + [
            "form[action$='/lock-input'] button",
            "form[action$='/collect-hidden'] button",
            "form[action$='/voting'] button[type=submit]",
            "form[action$='/timer'] button[type=submit]",
        ],
        folder,
    )

    # The list of all stages opens over the page, every stage on screen at once.
    page.locator(".stage-menu > summary").click()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        last = ".stage-list li:last-child button"
        found += [f"[menu {width}] {problem}" for problem in outside(page, [last])]
        shoot(page, folder / f"stage-menu-{width}x{height}.png")
    found += violations(page, "control, stage menu open")
    page.keyboard.press("Escape")
    expect(page.locator(".stage-list")).to_be_hidden()

    # Voting open with a timer running: their switches are on screen too.
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, big_room.id)
    stage = put_room_on(server, big_room, "question", 2)
    models.open_voting(db, workshop, stage, budget=3)
    models.start_timer(db, workshop, volume.fresh_stage(db, workshop, stage), 300, True)
    page.reload()
    found += check_sizes(
        page,
        "voting",
        STAGE_NAV
        + [
            "form[action$='/close-voting'] button",
            "form[action$='/reveal-results'] button",
            ".room-tools .timer",
            "form[action$='/add-minute'] button",
            "form[action$='/stop-timer'] button",
        ],
        folder,
    )

    # Results revealed (the first question's vote, a tie for third).
    put_room_on(server, big_room, "question", 0)
    page.reload()
    found += check_sizes(
        page,
        "results",
        STAGE_NAV + ["form[action$='/hide-results'] button", "form[action$='/clear-votes'] button"],
        folder,
    )
    db.close()
    assert not found, "\n".join(found)
    room.assert_clean_console()


def test_the_mission_stage_folds_a_real_room_into_three_screens(room, server, big_room, artifacts):
    folder = artifacts / "control"
    folder.mkdir(exist_ok=True)
    put_room_on(server, big_room, "mission")
    page = room.open(big_room.facilitator_url, "laptop", "facilitator")
    groups = page.locator("#control-board .answers-group")
    expect(groups).to_have_count(4)
    open_round = "form.round-form button[type=submit]"
    found = check_sizes(page, "mission", [*STAGE_NAV, open_round], folder)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        tall = page.evaluate("document.documentElement.scrollHeight")
        # Three screens: what must stay open (the 120-word draft, the builder, the round,
        # the principles' names, each question's top three) needs about two and a half.
        if tall > 3 * height:
            found.append(f"[mission {width}×{height}] the page is {tall}px tall")
        shoot(page, folder / f"mission-{width}x{height}-whole.png", full_page=True)

    # Each question shows its top three answers; "show all 40" unfolds the other 37.
    for index in range(4):
        group = groups.nth(index)
        expect(group.locator(".answer-list li:visible")).to_have_count(3)
        expect(group.locator(".answer-list li")).to_have_count(40)
    first = groups.first
    expect(first.locator(".answer-list li").first).to_contain_text(volume.SHORT[0])  # 9 dots
    first.locator(".answers-more > summary").click()
    expect(first.locator(".answer-list li:visible")).to_have_count(40)
    # It stays unfolded when a new answer redraws the list live.
    page.locator(FACILITATOR_QUESTION).click()  # focus leaves the list, so refreshes run
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, big_room.id)
    voted = volume.stage_of_kind(db, workshop, "question")
    models.add_answer(db, workshop, voted, None, "Nowa odpowiedź", entered_by="facilitator")
    db.close()
    expect(first.locator(".answer-list li:visible")).to_have_count(41, timeout=LIVE)
    found += violations(page, "control, mission with 160 answers")
    assert not found, "\n".join(found)
    room.assert_clean_console()


def test_the_stage_menu_works_from_the_keyboard(room, new_workshop):
    made = new_workshop()
    page = room.open(made.facilitator_url, "laptop", "facilitator")
    heading = page.locator(FACILITATOR_QUESTION)
    first = heading.inner_text()
    tab_to(page, ".stage-menu > summary")
    page.keyboard.press("Enter")
    expect(page.locator(".stage-list")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".stage-list")).to_be_hidden()
    assert page.evaluate("document.activeElement.matches('.stage-menu > summary')")
    page.keyboard.press("Enter")
    tab_to(page, ".stage-list li:nth-child(3) button")
    third = page.locator(".stage-list li:nth-child(3) .stage-title").inner_text()
    page.keyboard.press("Enter")
    expect(heading).to_have_text(third, timeout=LIVE)
    assert third != first
    expect(page.locator(".stage-menu > summary")).to_contain_text(re.compile(r"\b3\b"))
    expect(page.locator(".stage-list li:nth-child(3) button[aria-current=step]")).to_have_count(1)
    room.assert_clean_console()
