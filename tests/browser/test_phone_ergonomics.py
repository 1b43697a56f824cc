"""Phones at 390×844 and 320×568: every control at least 44×44 px, typed text at least
16 px (no zoom on iOS), nothing wider than the screen."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .test_room import LIVE, join, send

# Widths are compared with the width the phone was given: a mobile browser zooms out of a
# page that is too wide, and window.innerWidth then grows with it and hides the overflow.
MEASURE = """(width) => {
  const problems = [];
  const visible = e => {
    const box = e.getBoundingClientRect();
    const style = getComputedStyle(e);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden'
      && !e.closest('[hidden], .visually-hidden');
  };
  const controls = 'a, button, select, textarea, input:not([type=hidden]), summary';
  for (const e of document.querySelectorAll(controls)) {
    if (!visible(e)) continue;
    let box = e.getBoundingClientRect();
    if (e.matches('input[type=radio], input[type=checkbox]') && e.closest('label')) {
      box = e.closest('label').getBoundingClientRect();
    }
    if (box.width < 43.5 || box.height < 43.5) {
      const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
      problems.push(`target ${size}: ${e.outerHTML.slice(0, 90)}`);
    }
    if (e.matches('textarea, select, input:not([type=radio]):not([type=checkbox])')
        && parseFloat(getComputedStyle(e).fontSize) < 16) {
      problems.push(`input text under 16px: ${e.outerHTML.slice(0, 90)}`);
    }
  }
  const wide = Math.max(document.documentElement.scrollWidth, window.innerWidth);
  if (wide > width + 1) {
    problems.push(`page ${wide}px wide on a ${width}px screen`);
  }
  return problems;
}"""


def check(page: Page, label: str) -> list[str]:
    found = []
    for width, height in ((390, 844), (320, 568)):
        page.set_viewport_size({"width": width, "height": height})
        found += [f"[{label} {width}] {problem}" for problem in page.evaluate(MEASURE, width)]
    page.set_viewport_size({"width": 390, "height": 844})
    return found


def test_phone_controls_are_thumb_sized_at_every_stage(room, new_workshop):
    workshop = new_workshop()
    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    found: list[str] = []
    joining = room.open("/join", "phone", "join")
    found += check(joining, "join")
    phone = join(room, workshop.join_url, "Ola")
    found += check(phone, "question")
    send(phone, "Słuchamy pacjentów do końca")
    found += check(phone, "with an answer")
    facilitator.locator("input[name='voting-budget']").fill("3")
    facilitator.locator("form[action$='/voting'] button[type=submit]").click()
    expect(phone.locator("#phone-board .vote-card")).to_have_count(1, timeout=LIVE)
    found += check(phone, "voting")
    facilitator.locator(".stage-menu > summary").click()  # the list of all stages
    facilitator.locator(".stage-list li").nth(4).locator("button").click()
    facilitator.locator("#builder-text").fill(
        "Istniejemy, aby każdy pacjent czuł się u nas dobrze."
    )
    facilitator.locator("#builder-form button[type=submit]").click()
    expect(facilitator.locator("#drafts-panel .draft-card")).to_have_count(1, timeout=LIVE)
    facilitator.locator("form.round-form button[type=submit]").click()
    expect(phone.locator("#phone-round form.round-form")).to_be_visible(timeout=LIVE)
    found += check(phone, "round")
    assert not found, "\n".join(found)
