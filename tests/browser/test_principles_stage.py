"""The principles are made and agreed on their own stage, on a 1366×768 laptop: the
facilitator adopts two of the phones' proposals with one click each, changes their order
with a row's ↑ and ↓ (mouse and keyboard; the moved principle keeps the focus), adds one of
their own, saves, opens the round there, and sees its outcome there."""

from __future__ import annotations

from playwright.sync_api import expect

from workshop import models

from . import volume
from .test_accessibility import violations
from .test_room import LIVE, join, shoot

PROPOSALS = volume.PRINCIPLES[:5]
EDITOR = "form.principles-form"
ANSWERED = 15_000  # ms: a wait for the server's answer to an action, on a busy machine


def names(page) -> list[str]:
    """The editor's rows that have a name, in order."""
    fields = page.locator(f"{EDITOR} input[name$='-name']")
    return [value for value in fields.evaluate_all("(all) => all.map(f => f.value)") if value]


def focused_move(page) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.value || null")


def test_principles_are_adopted_ordered_and_agreed_on_their_stage(
    room, server, new_workshop, artifacts
):
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    people = volume.add_people(db, workshop, count=len(PROPOSALS))
    stage = volume.stage_of_kind(db, workshop, "principles")
    volume.move_to(db, workshop, stage)
    cards = {
        name: models.add_answer(db, workshop, stage, person, name, line)
        for person, (name, line) in zip(people, PROPOSALS, strict=False)
    }
    db.close()
    page = room.open(made.facilitator_url, "laptop", "facilitator")
    page.set_viewport_size({"width": 1366, "height": 768})
    phone = join(room, made.join_url, "Ania")

    # The proposals and the editor side by side, nothing wider than the window.
    adopt = page.locator("#control-board form[action*='/principles/adopt/'] button")
    expect(adopt).to_have_count(len(PROPOSALS))
    page.locator("#principles-heading").scroll_into_view_if_needed()
    shoot(page, artifacts / "control-principles-stage-1366x768.png")
    card = page.locator("#control-board .answer-card").first.bounding_box()
    editor = page.locator(".principles-editor").bounding_box()
    assert card and editor
    assert card["x"] + card["width"] < editor["x"], "the editor is not beside the proposals"
    assert abs(card["y"] - editor["y"]) < 80, "the editor does not start beside the proposals"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    # Adopt two proposals, one click each: the third, then the first.
    for name in (PROPOSALS[2][0], PROPOSALS[0][0]):
        card = page.locator(f"#control-board [data-card='{cards[name].id}']")
        card.locator("form[action*='/adopt/'] button").click()
        expect(card.locator(".adopted")).to_be_visible(timeout=ANSWERED)
    expect(adopt).to_have_count(len(PROPOSALS) - 2)
    assert names(page) == [PROPOSALS[2][0], PROPOSALS[0][0]]
    expect(page.locator("#principles-1-line")).to_have_value(PROPOSALS[0][1])

    # ↑ on the second row: it goes first, and keeps the focus (its ↑ is off at the top).
    page.locator(f"{EDITOR} button[value='1-up']").click()
    expect(page.locator("#principles-0-name")).to_have_value(PROPOSALS[0][0], timeout=ANSWERED)
    expect(page.locator(f"{EDITOR} button[value='0-up']")).to_be_disabled()
    expect(page.locator(f"{EDITOR} button[value='0-down']")).to_be_focused()
    # The keyboard: Enter on the focused ↓ moves it back down, the focus with it.
    page.keyboard.press("Enter")
    expect(page.locator("#principles-1-name")).to_have_value(PROPOSALS[0][0], timeout=ANSWERED)
    expect(page.locator(f"{EDITOR} button[value='1-up']")).to_be_focused()
    # Tab goes from a row's ↑ ↓ on to the next row's name: the keyboard's order is the list's.
    page.locator("#principles-1-line").focus()
    page.keyboard.press("Tab")
    assert focused_move(page) == "1-up"
    page.keyboard.press("Tab")  # ↓ is off on the last named row: on to the next row
    expect(page.locator("#principles-2-name")).to_be_focused()

    # One of the facilitator's own in the blank row, saved, then moved to the top.
    page.locator("#principles-2-name").fill("Mówimy prosto")
    page.locator("#principles-2-line").fill("Tłumaczymy wyniki bez żargonu.")
    page.locator(f"{EDITOR} button[type=submit]:not([name])").click()
    expect(page.locator(f"{EDITOR} .saved")).to_be_visible(timeout=ANSWERED)
    page.locator(f"{EDITOR} button[value='2-up']").click()
    expect(page.locator(f"{EDITOR} button[value='1-up']")).to_be_focused(timeout=ANSWERED)
    page.locator(f"{EDITOR} button[value='1-up']").click()
    expect(page.locator("#principles-0-name")).to_have_value("Mówimy prosto", timeout=ANSWERED)
    order = ["Mówimy prosto", PROPOSALS[2][0], PROPOSALS[0][0]]
    assert names(page) == order
    check = volume.open_db(server)
    assert [p.name for p in models.list_principles(check, workshop)] == order
    check.close()
    shoot(page, artifacts / "control-principles-ordered.png")
    found = violations(page, "control, principles stage")
    assert not found, "\n".join(found)

    # The round on the principles opens here; the phone gets it, in this order.
    round_form = page.locator("form.round-form")
    expect(round_form).to_contain_text("(3)")
    round_form.locator("button[type=submit]").click()
    close = page.locator("#round-panel form[action$='/close'] button")
    expect(close).to_be_visible(timeout=ANSWERED)
    expect(page.locator("form.round-form")).to_have_count(0)
    panel = phone.locator("#phone-round")
    expect(panel.locator("form.round-form")).to_be_visible(timeout=LIVE)
    expect(panel.locator("li").first).to_contain_text("Mówimy prosto")

    # Its outcome, on the same stage: agreed, the editor turned into the agreed list.
    db = volume.open_db(server)
    opened = models.current_round(db, workshop)
    assert opened is not None and opened.subject == "principles"
    volume.answer_round(db, workshop, opened, people[:3], blocks=0, reservations=0)
    expect(page.locator("#round-panel")).to_contain_text("3", timeout=LIVE)
    close.click()
    expect(page.locator("#round-panel .outcome-agreed")).to_be_visible(timeout=ANSWERED)
    editor = page.locator(".principles-editor")
    expect(editor.locator("form[action$='/reopen/principles']")).to_be_visible()
    expect(editor.locator(".principle-list li").first).to_contain_text("Mówimy prosto")
    expect(page.locator(EDITOR)).to_have_count(0)
    expect(page.locator("#control-board form[action*='/adopt/']")).to_have_count(0)
    shoot(page, artifacts / "control-principles-agreed.png")
    db.close()
    room.assert_clean_console()
