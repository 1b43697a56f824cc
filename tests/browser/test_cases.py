"""A way back when trust is lost: a client on a 320 px phone rates the visit 2 and asks to be
called back; that opens a case, which a team member walks through the team's own agreed
routine on a 390 px phone and closes. No console errors, no sideways scroll, no axe
violations on the case pages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from workshop import models

from .conftest import PHONE
from .test_accessibility import violations
from .test_feedback import feedback_url, small_phone
from .volume import get_workshop, move_to, open_db, stage_of_kind

ROUTINE = (
    "Wysłuchujemy do końca, nie przerywając.",
    "Pytamy, żeby zrozumieć, a nie żeby odpowiedzieć.",
    "Patrzymy na to oczami pacjenta.",
    "Naprawiamy błąd i przepraszamy.",
    "Pytamy, czy pacjent nadal będzie do nas przychodził.",
)


def agree_routine(server, public_id: str) -> None:
    """Give the workshop its own agreed routine, as a consensus round would."""
    db = open_db(server)
    workshop = get_workshop(db, public_id)
    db.execute(
        "update workshops set routine = ?, routine_agreed_at = ? where id = ?",
        ["\n".join(ROUTINE), models.now(), workshop.id],
    )
    db.close()


def fits(page: Page, artifacts, name: str, width: int) -> None:
    """No sideways scroll; keep a screenshot to look at."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: the page is {scroll} px wide"
    page.screenshot(path=artifacts / f"cases-{name}.png", full_page=True, caret="initial")


def test_a_two_star_call_back_opens_a_case_walked_through_the_routine_and_closed(
    room, server, new_workshop, artifacts
):
    workshop = new_workshop()
    agree_routine(server, workshop.id)
    client = small_phone(room, feedback_url(room, workshop), "client")
    client.locator("label.face-option:has(input[value='2'])").click()  # "Źle": 2 of 5
    client.locator("textarea[name=comment]").fill("Nikt nie odebrał telefonu przez godzinę.")
    client.get_by_label("Tak, proszę o kontakt").check()
    client.locator("input[name=contact]").fill("+48 600 100 200")
    client.locator("input[name=consent]").check()
    client.get_by_role("button", name="Wyślij").click()
    expect(client.locator("h1")).to_have_text("Dziękujemy!")

    staff = small_phone(room, workshop.facilitator_url, "staff", shape=PHONE)
    staff.locator("details.share > summary").click()
    staff.locator("a.cases-link", has_text="Sprawy (1 otwarta)").click()
    expect(staff.locator("h1")).to_have_text("Sprawy: odzyskiwanie zaufania")
    fits(staff, artifacts, "list-open", 390)
    found = violations(staff, "case list")
    staff.locator("a.case-link").first.click()
    expect(staff.locator("a[href='tel:+48600100200']")).to_be_visible()
    fits(staff, artifacts, "case-open", 390)
    found += violations(staff, "open case")

    for position, wording in enumerate(ROUTINE[:4], start=1):
        step = staff.locator(f"#step-{position}")
        expect(step.locator("h3")).to_contain_text(wording)
        step.get_by_label("Notatka (opcjonalnie)").fill(f"Krok {position}: zrobione przy recepcji")
        if position == 1:
            step.get_by_label("Kto to zrobił").fill("Ola")
        else:  # the name typed last is offered again
            expect(step.get_by_label("Kto to zrobił")).to_have_value("Ola")
        step.get_by_role("button", name=f"Krok {position} zrobiony").click()
        expect(staff.locator(f"#step-{position}.done")).to_be_visible()

    last = staff.locator("#step-5")
    expect(last.locator("h3")).to_contain_text(ROUTINE[4])
    room.allow(r"status of 422")
    last.get_by_label("Notatka (opcjonalnie)").fill("Zadzwoniłam, umówiła się na wtorek.")
    last.get_by_role("button", name="Krok 5 zrobiony").click()  # no answer yet: refused
    expect(staff.locator("#step5-outcome-errors")).to_be_visible()
    expect(staff.locator("#step5-note")).to_have_value("Zadzwoniłam, umówiła się na wtorek.")
    found += violations(staff, "case with an error")
    staff.locator("#step-5").get_by_label("Tak, klient nadal przychodzi").check()
    staff.locator("#step-5").get_by_role("button", name="Krok 5 zrobiony").click()
    expect(staff.locator("#step-5.done")).to_contain_text("Tak, klient nadal przychodzi")
    fits(staff, artifacts, "case-ready", 390)

    staff.get_by_role("button", name="Zamknij sprawę").click()
    expect(staff.locator("#close-heading")).to_have_text("Sprawa zamknięta")
    expect(staff.locator("a[href^='tel:']")).to_have_count(0)
    expect(staff.locator("body")).not_to_contain_text("600 100 200")
    fits(staff, artifacts, "case-closed", 390)
    found += violations(staff, "closed case")
    staff.get_by_role("link", name="Wszystkie sprawy").click()
    expect(staff.locator(".case-outcome")).to_have_text("Tak, klient nadal przychodzi")
    found += violations(staff, "case list with a closed case")
    assert not found, "\n".join(found)


def test_next_years_workshop_starts_from_the_clients_feedback(
    room, server, new_workshop, artifacts
):
    """Cloning with the box ticked: the comments stand on "Co dajemy innym?" as answers
    marked as a client's, on the board and on the projector; the least-felt principles are
    the principles stage's prompt."""
    workshop = new_workshop()
    db = open_db(server)
    made = get_workshop(db, workshop.id)
    models.replace_principles(db, made, [(n, "") for n in ("Życzliwość", "Punktualność")])
    db.execute(
        "update workshops set principles_agreed_at = ? where id = ?", [models.now(), made.id]
    )
    models.add_feedback(db, made, 2, ["Życzliwość"], "Długo czekałam na wynik badania.")
    models.add_feedback(db, made, 5, ["Życzliwość"], "Pani w rejestracji była bardzo miła.")

    laptop = room.open(workshop.facilitator_url, "laptop", "facilitator")
    laptop.goto(f"/w/{workshop.id}/stages")
    box = laptop.get_by_label("Zacznij od opinii klientów z ostatnich 12 miesięcy")
    expect(box).to_be_checked()
    laptop.locator("#clone-heading").scroll_into_view_if_needed()
    laptop.locator("section[aria-labelledby=clone-heading]").screenshot(
        path=artifacts / "cases-revisit-box.png", caret="initial"
    )
    laptop.get_by_role("button", name="Rozpocznij nowy warsztat").click()
    expect(laptop).to_have_url(re.compile(r"/control$"))
    copy = get_workshop(db, laptop.url.split("/w/")[1].split("/")[0])
    give = next(s for s in models.list_stages(db, copy) if s.title == "Co dajemy innym?")
    move_to(db, copy, give)
    laptop.reload()
    board = laptop.locator("#control-main")
    expect(board).to_contain_text("Pani w rejestracji była bardzo miła.")
    expect(board).to_contain_text("Z opinii klienta")
    laptop.screenshot(path=artifacts / "cases-revisit-control.png", caret="initial")
    screen = room.open(laptop.locator("#screen-url").input_value(), "screen", "projector")
    expect(screen.locator("#screen-main")).to_contain_text("Długo czekałam na wynik badania.")
    screen.screenshot(path=artifacts / "cases-revisit-screen.png", caret="initial")
    move_to(db, copy, stage_of_kind(db, copy, "principles"))
    expect(screen.locator("#screen-main")).to_contain_text("Punktualność (0×), Życzliwość (2×)")
    screen.screenshot(path=artifacts / "cases-revisit-principles.png", caret="initial")
    db.close()
