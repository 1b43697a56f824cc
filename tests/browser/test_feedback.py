"""A client gives feedback on a 320 px phone, with and without JavaScript; the kiosk thanks
and starts afresh by itself. No console errors, no sideways scroll, no axe violations."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from workshop import models

from . import volume
from .conftest import CSP_REPORTER, PHONE, Room
from .test_accessibility import violations

SMALL = {**PHONE, "viewport": {"width": 320, "height": 640}}
TABLET = {**PHONE, "viewport": {"width": 800, "height": 1280}}


def small_phone(
    room: Room, url: str, label: str, javascript: bool = True, shape: dict = SMALL
) -> Page:
    """Open ``url`` on a 320 px phone (or ``shape``), with or without JavaScript, watched
    like the rest."""
    context = room.browser.new_context(
        base_url=room.base_url, java_script_enabled=javascript, **shape
    )
    context.set_default_timeout(5_000)
    room.contexts.append(context)
    context.add_init_script(CSP_REPORTER)
    page = context.new_page()
    room.watch(page, label)
    page.goto(url)
    return page


def feedback_url(room: Room, workshop, artifacts=None) -> str:
    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    if artifacts is not None:
        facilitator.locator("details.share > summary").click()
        expect(facilitator.locator(".feedback-links img")).to_be_visible()
        facilitator.locator("details.share").screenshot(
            path=artifacts / "feedback-control-links.png", caret="initial"
        )
    return facilitator.locator("#feedback-url").input_value()


def fits(page: Page, artifacts, name: str) -> None:
    """No sideways scroll at 320 px; keep a screenshot to look at."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{name}: the page is {width} px wide"
    page.screenshot(path=artifacts / f"feedback-{name}.png", full_page=True, caret="initial")


def with_agreed_principles(server, made):
    """Agree the team's principles, so the page offers them as chips."""
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    models.replace_principles(db, workshop, [("Życzliwość", ""), ("Punktualność", "")])
    db.execute(
        "update workshops set principles_agreed_at = ? where id = ?", [models.now(), workshop.id]
    )
    db.close()
    return made


def test_a_client_gives_feedback_on_a_small_phone_with_javascript(
    room, new_workshop, server, artifacts
):
    url = feedback_url(room, with_agreed_principles(server, new_workshop()), artifacts)
    phone = small_phone(room, url, "client")
    expect(phone.locator("h1")).to_have_text("Jak było dziś?")
    phone.locator("label.chip", has_text="Punktualność").click()  # a principle felt today
    fits(phone, artifacts, "form-320")
    found = violations(phone, "feedback form")
    room.allow(r"status of 422")
    phone.locator("textarea[name=comment]").fill("Miła rejestracja")
    phone.get_by_role("button", name="Wyślij").click()  # no rating yet: the browser asks
    phone.locator("label.face-option", has_text="Dobrze").first.click()
    phone.get_by_label("Tak, proszę o kontakt").check()
    phone.get_by_role("button", name="Wyślij").click()
    expect(phone.locator("#contact-errors")).to_be_visible()
    expect(phone.locator("textarea[name=comment]")).to_have_value("Miła rejestracja")
    fits(phone, artifacts, "error-320")
    found += violations(phone, "feedback form with an error")
    phone.locator("input[name=contact]").fill("+48 600 100 200")
    phone.locator("input[name=consent]").check()
    expect(phone.locator("input[name=principles][value=Punktualność]")).to_be_checked()
    phone.get_by_role("button", name="Wyślij").click()
    expect(phone.locator("h1")).to_have_text("Dziękujemy!")
    fits(phone, artifacts, "thanks-320")
    assert not found, "\n".join(found)


def test_a_client_gives_feedback_without_javascript(room, new_workshop, server, artifacts):
    made = with_agreed_principles(server, new_workshop())
    url = feedback_url(room, made)
    phone = small_phone(room, url, "client-no-js", javascript=False)
    phone.locator("label.face-option", has_text="Bardzo dobrze").click()
    phone.locator("label.chip", has_text="Życzliwość").click()
    phone.locator("textarea[name=comment]").fill("Wszystko w porządku")
    fits(phone, artifacts, "form-320-no-js")
    phone.get_by_role("button", name="Wyślij").click()
    expect(phone.locator("h1")).to_have_text("Dziękujemy!")
    assert re.search(r"/c/[^/]+/thanks$", phone.url)
    db = volume.open_db(server)
    stored = db.execute(
        """select f.rating, f.principles, f.comment from feedback f
           join workshops w on w.id = f.workshop_id where w.public_id = ?""",
        [made.id],
    ).fetchone()
    db.close()
    assert stored[0] == 5 and "Życzliwość" in stored[1] and stored[2] == "Wszystko w porządku"


def test_the_kiosk_thanks_and_starts_afresh(room, new_workshop, artifacts):
    url = feedback_url(room, new_workshop()) + "?kiosk=1"
    tablet = small_phone(room, url, "kiosk", javascript=False, shape=TABLET)
    tablet.screenshot(path=artifacts / "feedback-kiosk-form.png", caret="initial")
    tablet.locator("label.face-option", has_text="Źle").first.click()
    tablet.locator("textarea[name=comment]").fill("Długo czekałem")
    tablet.get_by_role("button", name="Wyślij").click()
    expect(tablet.locator("h1")).to_have_text("Dziękujemy!")
    tablet.screenshot(path=artifacts / "feedback-kiosk-thanks.png", caret="initial")
    # The thank-you page reloads a fresh form by itself: nothing of the last client stays.
    expect(tablet.locator("h1")).to_have_text("Jak było dziś?", timeout=15_000)
    expect(tablet.locator("textarea[name=comment]")).to_have_value("")
    expect(tablet.locator("input[name=rating]:checked")).to_have_count(0)
    assert tablet.context.cookies() == [] or all(
        cookie["name"] == "session" for cookie in tablet.context.cookies()
    )
