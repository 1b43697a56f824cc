"""The projector at a real room's volume, while the room agrees: three drafts side by side
(one of 120 words), a round on that draft with long block reasons, 12 principles with their
lines, the five-step routine, the mission stage and the Agreed reveal; and the framed poster
put on the screen from the control page.

At 1920×1080, 1366×768, 1280×720 and 1024×768, every draft, principle, step and reason must
at some moment (pages turn) lie fully inside the screen, clipped by no ancestor, never
line-clamped, in type of at least 2 % of the screen's height; the tally's bars have a width
in proportion to their counts, and the counts and the rule under them are on screen.
Screenshots of every state at every size go to tests/artifacts/projector/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from workshop import models

from . import volume
from .test_accessibility import violations
from .test_room import LIVE, shoot

SIZES = [(1920, 1080), (1366, 768), (1280, 720), (1024, 768)]
SMALLEST = 0.02  # of the screen's height
SHORT_DRAFTS = [
    "Leczymy z uwagą i szacunkiem każdego, kto do nas przychodzi.",
    "Jesteśmy przychodnią, do której cała dzielnica wraca bez lęku, bo tu się słucha, "
    "tłumaczy i dotrzymuje słowa.",
]
ROUTINE_STAGE = (
    "routine",
    "Nasza procedura odzyskiwania zaufania",
    "Pięć kroków z niezadowolonym pacjentem.",
)

# Where ``element`` stands: inside the screen and every clipping ancestor, not clamped,
# not hidden, its smallest type. Text is measured by a Range over its contents.
WHERE = """(element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const box = range.getBoundingClientRect();
  const own = element.getBoundingClientRect();
  const rect = {
    left: Math.min(box.left, own.left), top: Math.min(box.top, own.top),
    right: Math.max(box.right, own.right), bottom: Math.max(box.bottom, own.bottom),
  };
  const problems = [];
  if (!own.width || !own.height) problems.push('no box');
  if (rect.left < -1 || rect.top < -1 ||
      rect.right > innerWidth + 1 || rect.bottom > innerHeight + 1) {
    problems.push(`outside the screen ${JSON.stringify(rect)}`);
  }
  for (let node = element; node && node !== document.documentElement; node = node.parentElement) {
    const style = getComputedStyle(node);
    if (style.visibility === 'hidden' || parseFloat(style.opacity) === 0) problems.push('hidden');
    if (style.clipPath && style.clipPath !== 'none') {
      problems.push(`clip-path on ${node.className}`);
    }
    if (style.webkitLineClamp && style.webkitLineClamp !== 'none') {
      problems.push(`line-clamp on ${node.className}`);
    }
    if (node !== element && (style.overflowX !== 'visible' || style.overflowY !== 'visible')) {
      const clip = node.getBoundingClientRect();
      if (rect.left < clip.left - 1 || rect.right > clip.right + 1 ||
          rect.top < clip.top - 1 || rect.bottom > clip.bottom + 1) {
        problems.push(`clipped by ${node.tagName.toLowerCase()}.${node.className}`);
      }
    }
  }
  if (element.scrollHeight > element.clientHeight + 1 &&
      getComputedStyle(element).overflowY !== 'visible') {
    problems.push('its own content overflows');
  }
  let smallest = Infinity;
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    if (!walker.currentNode.textContent.trim()) continue;
    const parent = walker.currentNode.parentElement;
    if (parent.closest('.visually-hidden')) continue;
    smallest = Math.min(smallest, parseFloat(getComputedStyle(parent).fontSize));
  }
  return {problems, smallest};
}"""

# Every piece of text in view, smallest first: [font size, its first 40 characters].
SMALLEST_TEXT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    const skip = '[hidden], dialog:not([open]), .visually-hidden, .off-page, .help-hint';
    if (element.closest(skip)) continue;
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (parseFloat(style.opacity) === 0) continue;
    found.push([parseFloat(style.fontSize), node.textContent.trim().slice(0, 40)]);
  }
  return found.sort((a, b) => a[0] - b[0]).slice(0, 3);
}"""

SETTLED = """() => Array.from(document.querySelectorAll('[data-pages]')).every(
  (box) => box.credoFitted === box.clientWidth + 'x' + box.clientHeight + '@' + innerHeight)"""

PAGE_COUNT = """() => Math.max(1, ...Array.from(document.querySelectorAll('[data-pages]')).map(
  (box) => parseInt(box.dataset.pageCount || '1', 10)))"""


def settle(screen: Page) -> None:
    """Wait until the page engine has fitted every list to the screen's present size."""
    screen.wait_for_function(SETTLED)
    screen.evaluate("() => document.fonts.ready")
    screen.wait_for_function(SETTLED)


def texts_in_view(screen: Page, selector: str, label: str, shots: Path) -> list[str]:
    """Step through the pages; return what never showed whole (empty when all did)."""
    count = screen.locator(selector).count()
    assert count, f"[{label}] nothing matches {selector}"
    height = screen.viewport_size["height"]
    seen: dict[int, str] = {}
    last: dict[int, str] = {}
    pages = screen.evaluate(PAGE_COUNT)
    for page in range(pages):
        shoot(screen, shots.with_name(f"{shots.stem}{f'-p{page + 1}' if pages > 1 else ''}.png"))
        for index in range(count):
            if index in seen:
                continue
            where = screen.locator(selector).nth(index).evaluate(WHERE)
            problems = list(where["problems"])
            if where["smallest"] < SMALLEST * height - 0.5:
                problems.append(f"type {where['smallest']:.1f}px < 2 % of {height}")
            if problems:
                last[index] = "; ".join(problems)
            else:
                seen[index] = "ok"
        if len(seen) == count:
            break
        screen.evaluate("() => window.credoPages.step(1)")
        screen.wait_for_function(SETTLED)
    return [
        f"[{label}] {selector} #{index + 1}: {last.get(index, '?')}"
        for index in range(count)
        if index not in seen
    ]


def tally_in_view(screen: Page, label: str) -> list[str]:
    """The bars have widths in proportion to their counts; counts and rule are on screen."""
    problems = []
    answered = int(screen.locator(".round-number").inner_text())
    for bar in screen.locator(".round-bar").all():
        track = bar.locator(".round-track").bounding_box()
        fill = bar.locator(".bar").bounding_box()
        count = int(bar.locator(".round-n").inner_text())
        if not track or track["width"] < 20:
            problems.append(f"[{label}] a tally bar's track is {track and track['width']}px wide")
            continue
        share = fill["width"] / track["width"] if fill else 0
        if abs(share - count / answered) > 0.05 or (count and not fill["width"]):
            problems.append(f"[{label}] bar {share:.2f} of its track for {count} of {answered}")
    for part in [*screen.locator(".round-n").all(), screen.locator(".round-rule")]:
        where = part.evaluate(WHERE)
        if where["problems"]:
            problems.append(f"[{label}] {part.inner_text()!r}: {'; '.join(where['problems'])}")
    return problems


def accessible(screen: Page, label: str) -> list[str]:
    """WCAG AA by axe-core, and the projector's own 7:1 contrast."""
    problems = violations(screen, label)
    result = screen.evaluate(
        "() => axe.run(document, {runOnly: ['color-contrast-enhanced'],"
        " resultTypes: ['violations']})"
    )
    for violation in result["violations"]:
        for node in violation["nodes"]:
            problems.append(f"[{label}] contrast under 7:1: {node['target']}")
    return problems


def look(
    screen: Page, name: str, checks: list[str], folder: Path, tally: bool = False
) -> list[str]:
    """Check one state of the screen at every size; save its screenshots."""
    problems = accessible(screen, name)
    for width, height in SIZES:
        for old in folder.glob(f"{name}-{width}x{height}*.png"):
            old.unlink()
        screen.set_viewport_size({"width": width, "height": height})
        settle(screen)
        label = f"{name} {width}x{height}"
        smallest = screen.evaluate(SMALLEST_TEXT)
        if smallest and smallest[0][0] < SMALLEST * height - 0.5:
            problems.append(f"[{label}] text under 2 % of the height: {smallest}")
        for selector in checks:
            shots = folder / f"{name}-{width}x{height}.png"
            problems += texts_in_view(screen, selector, label, shots)
        if tally:
            problems += tally_in_view(screen, label)
    return problems


@pytest.fixture
def projector_folder(artifacts) -> Path:
    folder = Path(artifacts) / "projector"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_room_agreeing_shows_in_full_on_every_projector(
    room, new_workshop, server, projector_folder
):
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    people = volume.add_people(db, workshop, 12)
    mission = volume.stage_of_kind(db, workshop, "mission")
    volume.move_to(db, workshop, mission)
    volume.set_principles(db, workshop)
    screen = room.open(made.screen_url, "screen", "screen")
    main = screen.locator("#screen-main")
    problems: list[str] = []

    # The mission stage before any draft: the question and the 12 principles.
    expect(main.locator(".screen-principles li")).to_have_count(12, timeout=LIVE)
    problems += look(screen, "mission-stage", [".screen-principles li"], projector_folder)

    # Three drafts side by side, one of 120 words.
    for text in SHORT_DRAFTS:
        models.propose_draft(db, workshop, text)
    long_version = volume.long_draft(db, workshop)
    expect(main.locator(".screen-draft")).to_have_count(3, timeout=LIVE)
    problems += look(screen, "drafts", [".draft-words"], projector_folder)

    # A round on the 120-word draft: three long blocks and two reservations.
    round_ = models.open_round(db, workshop, "mission", long_version)
    volume.answer_round(db, workshop, round_, people, blocks=3)
    expect(main.locator(".round-reason")).to_have_count(5, timeout=LIVE)
    assert all(len(r) >= 200 for r in volume.BLOCK_REASONS)
    problems += look(
        screen, "mission-round", [".round-text", ".round-reason"], projector_folder, tally=True
    )
    closed = models.close_round(db, workshop, round_)
    assert closed.outcome == "not-agreed"
    expect(main).to_have_class(has_class("mode-outcome"), timeout=LIVE)
    problems += look(
        screen, "mission-outcome", [".round-text", ".round-reason"], projector_folder, tally=True
    )

    # A round on 12 principles with their lines.
    principles = models.open_round(db, workshop, "principles")
    volume.answer_round(db, workshop, principles, people, blocks=0)
    expect(main.locator(".round-principles li")).to_have_count(12, timeout=LIVE)
    problems += look(
        screen,
        "principles-round",
        [".round-principles li", ".round-reason"],
        projector_folder,
        tally=True,
    )
    volume.agree(db, workshop, principles)

    # The routine: the method's five steps to start from, then a round on the team's own.
    routine = models.add_stage(db, workshop, *ROUTINE_STAGE)
    volume.move_to(db, workshop, routine)
    expect(main.locator(".screen-routine li")).to_have_count(5, timeout=LIVE)
    problems += look(screen, "routine-start", [".screen-routine li"], projector_folder)
    routine_round = volume.routine_round(db, workshop, people)
    expect(main.locator(".round-layout .routine-steps li")).to_have_count(5, timeout=LIVE)
    problems += look(screen, "routine-round", [".routine-steps li"], projector_folder, tally=True)
    volume.agree(db, workshop, routine_round)

    # The Agreed stage: the 120-word mission, 12 principles and the routine, and a slim footer.
    models.close_round(db, workshop, closed, "Uzgodnione po rozmowie.")
    agreed = volume.stage_of_kind(db, workshop, "agreed")
    volume.move_to(db, workshop, agreed)
    expect(main.locator(".screen-routine li")).to_have_count(5, timeout=LIVE)
    expect(main).to_have_class(has_class("reveal"))
    assert not screen.locator(".join-qr").is_visible()
    problems += look(
        screen,
        "agreed",
        [".screen-mission", ".screen-principles li", ".screen-routine li"],
        projector_folder,
    )
    db.close()
    assert not problems, "\n".join(problems)


def has_class(name: str) -> re.Pattern[str]:
    """A pattern for expect(...).to_have_class: the element has class ``name``."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


POSTER_MISSION = (
    "Istniejemy, aby każdy pacjent z naszej okolicy wychodził od nas spokojniejszy i zdrowszy."
)


def test_the_facilitator_puts_the_framed_poster_on_the_screen_and_takes_it_off(
    room, new_workshop, server, projector_folder
):
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    models.save_mission(db, workshop, POSTER_MISSION)
    volume.set_principles(db, workshop, 6)
    models.mark_agreed(db, workshop)
    volume.move_to(db, workshop, volume.stage_of_kind(db, workshop, "agreed"))
    db.close()
    facilitator = room.open(made.facilitator_url, "laptop", "facilitator")
    screen = room.open(made.screen_url, "screen", "screen")
    main = screen.locator("#screen-main")
    expect(main.locator(".screen-mission")).to_have_text(POSTER_MISSION, timeout=LIVE)

    toggle = facilitator.locator("form.screen-poster-switch button")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(facilitator.locator("form.screen-poster-switch button")).to_have_attribute(
        "aria-pressed", "true", timeout=30_000
    )
    facilitator.locator("form.screen-poster-switch").scroll_into_view_if_needed()
    shoot(facilitator, projector_folder.parent / "facilitator-poster-switch.png")
    image = main.locator(".screen-poster img")
    expect(image).to_be_visible(timeout=30_000)
    expect(main.locator(".screen-mission")).to_have_count(0)
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        screen.wait_for_function(
            "() => { const i = document.querySelector('.screen-poster img');"
            " return i && i.complete && i.naturalWidth > 0; }",
            timeout=30_000,
        )
        box = image.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= width + 1 and box["y"] + box["height"] <= height + 1, box
        # Fitted: it fills the height left above the footer (a portrait page on a wide screen).
        assert box["height"] >= 0.8 * height, (width, height, box)
        shoot(screen, projector_folder / f"poster-{width}x{height}.png")
    assert not accessible(screen, "poster"), accessible(screen, "poster")

    facilitator.locator("form.screen-poster-switch button").click()
    expect(main.locator(".screen-mission")).to_have_text(POSTER_MISSION, timeout=LIVE)
    expect(main.locator(".screen-poster")).to_have_count(0)
    expect(facilitator.locator("form.screen-poster-switch button")).to_have_attribute(
        "aria-pressed", "false"
    )
