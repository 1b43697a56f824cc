"""The projector from the back of the room: no title, label or count under 4.5 % of the
screen height, no answer (nor a word drawn from the answers) under 2 %, the join code at
12 % on the join slide, a QR code in every state, contrast at least 7:1."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from .test_accessibility import AXE
from .test_room import LIVE, join, send

SMALLEST = 0.045
SMALLEST_ANSWER = 0.02  # answers are fitted to the screen (static/js/app.js), then paged
JOIN_CODE = 0.12
ANSWERS = "[data-pages], .word-strip"

SMALLEST_TEXT = """(answers) => {
  const found = {answers: [], other: []};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    if (element.closest('[hidden], dialog:not([open]), .visually-hidden, .help-hint')) continue;
    if (element.closest('.off-page')) continue;  // on another page of a paged list
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (parseFloat(style.opacity) === 0) continue;
    const kind = element.closest(answers) ? 'answers' : 'other';
    found[kind].push([parseFloat(style.fontSize), node.textContent.trim().slice(0, 40)]);
  }
  for (const kind in found) found[kind] = found[kind].sort((a, b) => a[0] - b[0]).slice(0, 3);
  return found;
}"""


def check_screen(page: Page, label: str, join_slide: bool = False) -> list[str]:
    """Return what makes this state of the screen hard to read from the back of the room."""
    problems = []
    height = page.viewport_size["height"]
    smallest = page.evaluate(SMALLEST_TEXT, ANSWERS)
    for kind, floor in (("other", SMALLEST), ("answers", SMALLEST_ANSWER)):
        found = smallest[kind]
        if found and found[0][0] < floor * height - 0.5:
            problems.append(
                f"[{label}] {kind} at {found[0][0]:.1f}px < {floor:.1%} of {height}: {found}"
            )
    qr = page.locator(".join-qr")
    if not qr.is_visible():
        problems.append(f"[{label}] no QR code on screen")
    if join_slide:
        code = float(
            page.locator(".join-code").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        )
        if code < JOIN_CODE * height - 0.5:
            problems.append(f"[{label}] join code {code:.0f}px < 12 % of {height}")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: ['color-contrast-enhanced'],"
        " resultTypes: ['violations']})"
    )
    for violation in result["violations"]:
        for node in violation["nodes"]:
            problems.append(f"[{label}] contrast under 7:1: {node['target']}")
    return problems


def test_the_screen_reads_from_the_back_of_the_room_in_every_state(room, new_workshop, artifacts):
    workshop = new_workshop()
    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    problems: list[str] = []
    for width, height in ((1920, 1080), (1024, 768)):
        screen = room.open(workshop.screen_url, "screen", f"screen {width}")
        screen.set_viewport_size({"width": width, "height": height})
        problems += check_screen(screen, f"join {width}x{height}", join_slide=True)
    phones = [join(room, workshop.join_url) for _ in range(3)]
    for index, phone in enumerate(phones):
        send(phone, f"Odpowiedź numer {index + 1}: słuchamy pacjentów uważnie")
    for size in ((1920, 1080), (1024, 768)):
        screen.set_viewport_size({"width": size[0], "height": size[1]})
        expect(screen.locator("#screen-main .screen-card")).to_have_count(3, timeout=LIVE)
        problems += check_screen(screen, f"answers {size[0]}x{size[1]}")
    screen.set_viewport_size({"width": 1920, "height": 1080})
    facilitator.locator("input[name='voting-budget']").fill("3")
    facilitator.locator("form[action$='/voting'] button[type=submit]").click()
    expect(screen.locator("#screen-votes")).to_be_visible(timeout=LIVE)
    problems += check_screen(screen, "voting")
    facilitator.locator("form[action$='/reveal-results'] button[type=submit]").click()
    expect(screen.locator("#screen-main .screen-results")).to_be_visible(timeout=LIVE)
    problems += check_screen(screen, "results")
    screen.screenshot(path=str(Path(artifacts) / "screen-legibility-results.png"), caret="initial")
    assert not problems, "\n".join(problems)
