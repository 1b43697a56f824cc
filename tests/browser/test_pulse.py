"""The team's pulse with a few months of a clinic's feedback: the facilitator's page on a
1366×768 laptop (hide a comment, undo), the lead's read-only link on a 390 px phone. No
console errors, no sideways scroll, no axe violations; screenshots kept to look at."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from workshop import models

from .conftest import LAPTOP, PHONE
from .test_accessibility import violations
from .test_feedback import small_phone
from .volume import HELD_COMMENT, fill_feedback, fresh, get_workshop, open_db

SMALL_LAPTOP = {**LAPTOP, "viewport": {"width": 1366, "height": 768}}


def no_sideways_scroll(page: Page, width: int, name: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: the page is {scroll} px wide"


def test_the_pulse_on_a_laptop_and_the_leads_phone(room, server, new_workshop, artifacts):
    made = new_workshop()
    db = open_db(server)
    workshop = get_workshop(db, made.id)
    fill_feedback(db, workshop, 900, days=120)
    models.add_feedback(db, fresh(db, workshop), 1, [], HELD_COMMENT)
    room.open(made.facilitator_url, "laptop", "facilitator")  # claims the session
    laptop = room.contexts[-1].pages[0]
    laptop.set_viewport_size(SMALL_LAPTOP["viewport"])
    laptop.goto(f"/w/{made.id}/pulse")
    expect(laptop.locator("h1")).to_have_text("Puls zespołu")
    expect(laptop.locator("svg[role=img]").first).to_be_visible()
    assert laptop.locator(".chart-svg .chart-bar").count() >= 10
    no_sideways_scroll(laptop, 1366, "laptop")
    laptop.screenshot(path=artifacts / "pulse-laptop.png", full_page=True, caret="initial")
    found = violations(laptop, "pulse, facilitator")

    held = laptop.locator("section.held li.comment").first
    expect(held).to_contain_text("kretyni")
    comment = laptop.locator("section:has(#comments-heading) li.comment").first
    comment_id = comment.get_attribute("id")
    comment.get_by_role("button", name="Ukryj").click()
    hidden = laptop.locator(f"#{comment_id}")
    expect(hidden).to_have_class("comment is-hidden")
    hidden.get_by_role("button", name="Pokaż ponownie").click()
    expect(laptop.locator(f"#{comment_id}")).to_have_class("comment")
    found += violations(laptop, "pulse, after hide and undo")

    laptop.goto(f"/w/{made.id}/control")
    laptop.locator("details.share > summary").click()
    lead_url = laptop.locator("#lead-url").input_value()
    laptop.locator("#lead-link").screenshot(path=artifacts / "pulse-lead-link.png", caret="initial")
    phone = small_phone(room, lead_url, "lead", shape=PHONE)
    expect(phone.locator(".read-only-note")).to_be_visible()
    assert phone.locator("form[method=post]").count() == 0
    assert "kretyni" not in phone.content()
    phone.get_by_label("ostatnie 12 miesięcy").check()
    phone.get_by_role("button", name="Pokaż", exact=True).click()
    expect(phone.locator("#pulse-bars-title")).to_have_text("Odpowiedzi miesięcznie")
    no_sideways_scroll(phone, 390, "lead phone")
    phone.screenshot(path=artifacts / "pulse-lead-390.png", full_page=True, caret="initial")
    found += violations(phone, "pulse, lead")
    assert not found, "\n".join(found)
    room.assert_clean_console()
