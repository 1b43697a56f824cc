"""A server on 127.0.0.1 only, opened through 127.0.0.1: phones cannot join, and the control
page and the projector say so plainly, with the fix, without crowding anything out.

The test server listens on 127.0.0.1 (tests never listen on every interface), so this is
what a facilitator sees after ``HOST=127.0.0.1 make run``.
"""

from __future__ import annotations

from playwright.sync_api import expect

from . import volume
from .test_accessibility import AXE, TAGS
from .test_room import LIVE

SIZES = ((1920, 1080), (1366, 768), (1280, 720), (1024, 768))
SMALLEST = 0.02  # of the viewport's height: legible from the back row

WARNING_BOX = """(selector) => {
  const element = document.querySelector(selector);
  const box = element.getBoundingClientRect();
  const panel = element.closest('.join-panel').getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, left: box.left, right: box.right,
          panelLeft: panel.left, panelRight: panel.right,
          font: parseFloat(getComputedStyle(element).fontSize),
          visible: getComputedStyle(element).display !== 'none'};
}"""


AXE_RUN = """([selector, options]) => axe.run({include: [selector]}, options)"""


def axe_problems(page, label: str, selector: str, projector: bool) -> list[str]:
    """WCAG 2.2 AA on ``selector`` (and, on the projector, contrast of at least 7:1)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    runs = [{"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}]
    if projector:
        runs.append({"runOnly": ["color-contrast-enhanced"], "resultTypes": ["violations"]})
    found = []
    for options in runs:
        for violation in page.evaluate(AXE_RUN, [selector, options])["violations"]:
            found += [
                f"[{label}] {violation['id']}: {node['target']}" for node in violation["nodes"]
            ]
    return found


BAR_HEIGHT = """() => ({
  panel: document.querySelector('.join-panel').getBoundingClientRect().height,
  qr: document.querySelector('.join-qr').getBoundingClientRect().height,
})"""


def check_warning(screen, label: str, height: int, width: int, fix: bool) -> list[str]:
    """Return what keeps the loopback warning (and, beside the question, its fix) from
    being read on this screen."""
    problems = []
    selectors = [".join-unreachable .join-label", ".join-unreachable strong"]
    for selector in selectors + [".join-fix"] * fix:
        box = screen.evaluate(WARNING_BOX, selector)
        where = f"[{label}] {selector}"
        if not box["visible"]:
            problems.append(f"{where} is hidden")
            continue
        if box["top"] < 0 or box["bottom"] > height + 0.5 or box["right"] > width + 0.5:
            problems.append(f"{where} is off the screen: {box}")
        if box["left"] < box["panelLeft"] - 0.5 or box["right"] > box["panelRight"] + 0.5:
            problems.append(f"{where} sticks out of the join panel: {box}")
        if box["font"] < SMALLEST * height - 0.5:
            problems.append(f"{where} at {box['font']:.1f}px < 2 % of {height}")
    return problems


def test_projector_and_control_page_say_phones_cannot_reach_127_0_0_1(
    room, new_workshop, server, artifacts
):
    workshop = new_workshop()
    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    facilitator.set_viewport_size({"width": 1366, "height": 768})
    warning = facilitator.locator(".reach-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("127.0.0.1")
    expect(warning.locator("code")).to_have_text("HOST=0.0.0.0 make run")
    box = warning.bounding_box()
    assert box is not None and box["y"] + box["height"] < 768 / 3, f"not near the top: {box}"
    facilitator.screenshot(path=str(artifacts / "reach-control-1366x768.png"), caret="initial")
    problems = axe_problems(facilitator, "control", ".reach-warning", projector=False)

    screen = room.open(workshop.screen_url, "screen", "screen")
    expect(screen.locator(".join-unreachable .join-label")).to_have_text("Telefony nie otworzą")
    expect(screen.locator(".join-unreachable strong")).to_have_text("127.0.0.1")
    expect(screen.locator(".join-fix code")).to_have_text("HOST=0.0.0.0 make run")
    screen.evaluate("document.fonts.ready.then(() => true)")
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        problems += check_warning(screen, f"join {width}x{height}", height, width, fix=True)
        problems += axe_problems(screen, f"join {width}x{height}", ".join-panel", projector=True)
        screen.screenshot(path=str(artifacts / f"reach-join-{width}x{height}.png"), caret="initial")

    # With a room's answers on screen the joining panel folds into a bar: still said.
    db = volume.open_db(server)
    made = volume.get_workshop(db, workshop.id)
    people = volume.add_people(db, made, volume.ROOM_SIZE)
    stage = volume.stage_of_kind(db, made, "question")
    volume.fill_question(db, made, stage, people)
    db.close()
    expect(screen.locator("#screen-main .screen-card").first).to_be_visible(timeout=LIVE)
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        problems += check_warning(screen, f"answers {width}x{height}", height, width, fix=False)
        problems += axe_problems(screen, f"answers {width}x{height}", ".join-panel", True)
        # Folded into a bar, the panel stays as low as the QR code beside it.
        bar = screen.evaluate(BAR_HEIGHT)
        if bar["panel"] > bar["qr"] + 0.03 * height:
            problems.append(f"[answers {width}x{height}] the bar grew to two rows: {bar}")
        screen.screenshot(
            path=str(artifacts / f"reach-answers-{width}x{height}.png"), caret="initial"
        )

    # On the Agreed stage joining is a quiet footer on the light page: still said, legibly.
    db = volume.open_db(server)
    volume.move_to(db, made, volume.stage_of_kind(db, made, "agreed"))
    db.close()
    expect(screen.locator("#screen-main.join-slim")).to_be_visible(timeout=LIVE)
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        problems += check_warning(screen, f"agreed {width}x{height}", height, width, fix=False)
        problems += axe_problems(screen, f"agreed {width}x{height}", ".join-panel", True)
        screen.screenshot(
            path=str(artifacts / f"reach-agreed-{width}x{height}.png"), caret="initial"
        )
    assert not problems, "\n".join(problems)
    room.assert_clean_console()
