"""The control page keeps the facilitator's place: after any action the page stays where it
was, focus stays on the control that was used, and a refusal appears next to the form that
caused it. Dots on someone's behalf offer only answers that can take dots, and the chosen
person stays chosen. Run at a real room's volume (40 answers, 10 of 280 characters).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from workshop import models

from . import volume
from .conftest import Workshop
from .test_room import shoot

THEMES = "#side-themes"
THEME_INPUT = "#side-themes input[name='theme-name']"
THEME_BUTTON = "#side-themes form button[type=submit]"
DOT_FORM = "form[action$='/on-behalf/dot']"
ANSWERED = 15_000  # ms: a wait for the server's answer to an action, on a busy machine

# Where the page is and what has focus: a CSS path that finds the same control again.
PLACE = """() => {
  const active = document.activeElement;
  const form = active && active.form;
  return {
    y: Math.round(window.scrollY),
    tag: active ? active.tagName.toLowerCase() : null,
    name: active ? active.getAttribute("name") : null,
    form: form ? form.getAttribute("action") : null,
  };
}"""


@pytest.fixture
def busy_room(server, new_workshop) -> tuple[Workshop, dict]:
    """A workshop on its first question with 40 answers and two people without a phone."""
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    people = volume.add_people(db, workshop)
    stage = volume.stage_of_kind(db, workshop, "question")
    answers = volume.fill_question(db, workshop, stage, people)
    volume.move_to(db, workshop, stage)
    ania = models.add_person_without_phone(db, workshop, "Ania bez telefonu")
    bolek = models.add_person_without_phone(db, workshop, "Bolek bez telefonu")
    db.close()
    return made, {"stage": stage, "answers": answers, "ania": ania, "bolek": bolek}


def place(page: Page) -> dict:
    return page.evaluate(PLACE)


def open_themes(page: Page) -> None:
    page.locator(f"{THEMES} > summary").click()
    expect(page.locator(THEME_INPUT)).to_be_visible()


def scroll_to(page: Page, selector: str, from_top: int = 300) -> int:
    """Scroll so ``selector`` sits ``from_top`` px below the window's top; return scrollY."""
    page.evaluate(
        """([s, offset]) => {
          const box = document.querySelector(s).getBoundingClientRect();
          window.scrollTo(0, window.scrollY + box.top - offset);
        }""",
        [selector, from_top],
    )
    y = page.evaluate("Math.round(window.scrollY)")
    assert y > 100, "the page should be scrolled to mid-page for this test"
    return y


def test_adding_a_theme_keeps_the_place_and_the_focus(room, busy_room, artifacts):
    made, _ = busy_room
    page = room.open(made.facilitator_url, "laptop")
    page.set_viewport_size({"width": 1366, "height": 500})
    open_themes(page)
    y = scroll_to(page, THEME_INPUT)

    # Enter in the field: the field keeps focus, the page does not move.
    page.locator(THEME_INPUT).fill("Bezpieczeństwo")
    page.locator(THEME_INPUT).press("Enter")
    expect(page.locator("#control-board .theme-column h3").first).to_have_text(
        "Bezpieczeństwo", timeout=ANSWERED
    )
    now = place(page)
    assert abs(now["y"] - y) <= 4, f"the page moved from {y} to {now['y']}"
    assert now["name"] == "theme-name", f"focus went to {now}"

    # The button: it keeps focus, the page does not move.
    page.locator(THEME_INPUT).fill("Czas i uwaga")
    page.locator(THEME_BUTTON).click()
    expect(page.locator("#control-board .theme-column h3")).to_have_count(3, timeout=ANSWERED)
    now = place(page)
    assert abs(now["y"] - y) <= 4, f"the page moved from {y} to {now['y']}"
    assert now["tag"] == "button" and now["form"].endswith("/themes"), f"focus went to {now}"
    shoot(page, artifacts / "control-theme-kept-place.png")


def test_a_stage_switch_keeps_the_focus_on_its_button(room, busy_room):
    made, _ = busy_room
    page = room.open(made.facilitator_url, "laptop")
    lock = page.locator("form[action$='/lock-input'] button")
    lock.focus()
    page.keyboard.press("Enter")
    expect(page.locator("form[action$='/unlock-input'] button")).to_be_focused(timeout=ANSWERED)


def test_a_refusal_appears_next_to_the_form_that_caused_it(room, busy_room, artifacts):
    made, _ = busy_room
    room.allow(r"status of 422")
    page = room.open(made.facilitator_url, "laptop")
    page.set_viewport_size({"width": 1366, "height": 500})
    open_themes(page)
    y = scroll_to(page, THEME_INPUT)
    page.locator(THEME_INPUT).fill("   ")
    page.locator(THEME_BUTTON).click()
    error = page.locator(f"{THEMES} form .alert-error, {THEMES} form .errors")
    expect(error.first).to_be_visible(timeout=ANSWERED)
    expect(error.first).to_be_in_viewport()
    assert page.locator("#control-main > .alert-error").count() == 0, "the error is at the top"
    assert abs(place(page)["y"] - y) <= 4
    shoot(page, artifacts / "control-theme-error-in-place.png")


def test_dots_on_behalf_offer_only_answers_that_can_take_dots(room, busy_room, server, artifacts):
    made, room_data = busy_room
    answers = room_data["answers"]
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    stage = room_data["stage"]
    models.moderate(db, workshop, answers[1], "hidden")
    models.moderate(db, workshop, answers[2], "flagged")
    models.merge_answers(db, workshop, answers[3], answers[4])
    models.open_voting(db, workshop, volume.fresh_stage(db, workshop, stage), budget=2)
    db.close()

    page = room.open(made.facilitator_url, "laptop")
    page.set_viewport_size({"width": 1366, "height": 600})
    page.locator("details.side-panel:has(form[action$='/people'])").evaluate("d => d.open = true")
    form = page.locator(DOT_FORM)
    expect(form).to_be_visible()
    offered = set(
        int(value)
        for value in form.locator("select[name='dot-answer'] option").evaluate_all(
            "options => options.map(o => o.value)"
        )
    )
    assert answers[0].id in offered
    for gone in (answers[1], answers[2], answers[3]):
        assert gone.id not in offered, f"answer {gone.id} ({gone.moderation}) is offered"
    assert answers[4].id in offered

    # The chosen person stays chosen after each dot.
    bolek = room_data["bolek"]
    scroll_to(page, DOT_FORM, 200)
    form.locator("select[name='dot-person']").select_option(str(bolek.id))
    for number in range(2):
        form.locator("select[name='dot-answer']").select_option(str(answers[number * 5].id))
        form.locator("button[type=submit]").click()
        expect(page.locator(f"{DOT_FORM} .saved")).to_be_visible(timeout=ANSWERED)
        expect(page.locator(f"{DOT_FORM} select[name='dot-person']")).to_have_value(str(bolek.id))
        page.locator(f"{DOT_FORM} .saved").evaluate("e => e.remove()")

    # A third dot is refused: the reason shows at the form, on screen, and Bolek stays.
    room.allow(r"status of 422")
    form.locator("button[type=submit]").click()
    error = page.locator(f"{DOT_FORM} .alert-error")
    expect(error).to_be_visible(timeout=ANSWERED)
    expect(error).to_be_in_viewport()
    expect(page.locator(f"{DOT_FORM} select[name='dot-person']")).to_have_value(str(bolek.id))
    shoot(page, artifacts / "control-dot-refused-in-place.png")


# The principles editor ---------------------------------------------------------------------

ROWS = "form.principles-form .principle-row:not(.principle-columns)"
ADD_ROW = "form.principles-form button[name=add_row]"


def test_add_a_row_always_adds_one_and_unfinished_principles_stay_off_the_screen(
    room, server, new_workshop, artifacts
):
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    volume.move_to(db, workshop, volume.stage_of_kind(db, workshop, "mission"))
    db.close()
    page = room.open(made.facilitator_url, "laptop")
    screen = room.open(made.screen_url, "screen")
    rows = page.locator(ROWS)
    expect(rows).to_have_count(3)
    for count in (4, 5, 6):  # blank rows are there: each click still adds one
        page.locator(ADD_ROW).click()
        expect(rows).to_have_count(count, timeout=ANSWERED)
    assert page.evaluate("document.activeElement.name") == "add_row"

    page.locator("input[name='principles-0-name']").fill("Słuchamy")  # no line yet
    for index, (name, line) in enumerate(volume.PRINCIPLES[1:4], start=1):
        page.locator(f"input[name='principles-{index}-name']").fill(name)
        page.locator(f"input[name='principles-{index}-line']").fill(line)
    page.locator("form.principles-form button[type=submit]:not([name])").click()
    expect(page.locator("form.principles-form .saved")).to_be_visible(timeout=ANSWERED)
    flags = page.locator(f"{ROWS} .row-flag")
    expect(flags).to_have_count(1)
    expect(page.locator(f"{ROWS}").first.locator(".row-flag")).to_have_count(1)

    shown = screen.locator("#screen-main .screen-principles li")
    expect(shown).to_have_count(3, timeout=ANSWERED)
    expect(screen.locator("#screen-main")).not_to_contain_text("Słuchamy")
    shoot(page, artifacts / "control-principles-unfinished.png")

    # A round cannot decide on an unfinished principle: said at the round's form.
    room.allow(r"status of 422")
    page.locator("select[name='round-target']").select_option("principles")
    page.locator("form.round-form button[type=submit]").click()
    error = page.locator("form.round-form .alert-error")
    expect(error).to_contain_text("Słuchamy", timeout=ANSWERED)


# Wording and word limits -------------------------------------------------------------------


def test_a_typed_code_with_a_letter_no_code_has_is_named(room, new_workshop):
    made = new_workshop()
    room.allow(r"status of 422")
    phone = room.open("/join", "phone")
    phone.locator("input[name=code]").fill("TX5-WKO")
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator(".errors")).to_contain_text("„O”", timeout=ANSWERED)
    code = made.join_code
    phone.locator("input[name=code]").fill(f"{code[:3]}-{code[3:]}".lower())
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("input[name=display_name]")).to_be_visible(timeout=ANSWERED)


def test_the_builder_writes_a_punctuated_sentence_and_counts_words(
    room, server, new_workshop, artifacts
):
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    volume.move_to(db, workshop, volume.stage_of_kind(db, workshop, "mission"))
    db.close()
    page = room.open(made.facilitator_url, "laptop")
    text = page.locator("#builder-text")
    text.fill(" ".join(["słowo"] * 119))
    count = page.locator("#builder-text-count")
    expect(count).to_have_text("Słowa: 119 z 120")
    assert "builder-text-count" in text.get_attribute("aria-describedby")
    text.press("End")
    page.keyboard.type(" jeszcze dwa")
    expect(count).to_have_text(re.compile(r"^Słowa: 121 z 120\. Za długie"))
    expect(count).to_have_class(re.compile(r"\bover\b"))
    room.allow(r"status of 422")
    page.locator("#builder-form button[type=submit]").click()
    expect(page.locator("#builder-form .alert-error, #builder-form .errors").first).to_contain_text(
        "121", timeout=ANSWERED
    )
    shoot(page, artifacts / "control-draft-too-long.png")

    text.fill("")
    page.locator("#builder-why").fill("Skracać czas w kolejce.")
    page.locator("#builder-whom").fill("rodzin z dziećmi")
    page.locator("#builder-how").fill("dobrą organizację")
    page.locator("#builder-form button[type=submit]").click()
    expect(page.locator("#drafts-panel .mission-text").first).to_have_text(
        "Istniejemy, aby skracać czas w kolejce, dla rodzin z dziećmi, poprzez dobrą organizację.",
        timeout=ANSWERED,
    )


def test_on_behalf_forms_label_the_answer_for_what_it_is(room, busy_room):
    made, _ = busy_room
    page = room.open(made.facilitator_url, "laptop")
    assert page.locator("label[for='behalf-body']").inner_text() == "Treść odpowiedzi"
    expect(page.locator("label", has_text="Twoja odpowiedź")).to_have_count(0)
