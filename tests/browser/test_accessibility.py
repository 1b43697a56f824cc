"""WCAG 2.2 AA in a real browser: axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa)
reports no violations on every page, in every state a workshop goes through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .test_room import LIVE, join, send

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page: Page, label: str) -> list[str]:
    """Run axe-core on the page as it is now; return one line per violating element."""
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing (npm ci installs axe-core)")
    page.wait_for_load_state("networkidle")
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluate is not subject to the page's CSP
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        TAGS,
    )
    assert len(result["passes"]) > 10, f"axe checked almost nothing on {label}"
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            target = json.dumps(node["target"])
            found.append(
                f"[{label}] {violation['id']} ({violation['impact']}): {target} — "
                f"{node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return found


def test_every_page_and_state_has_no_wcag_violations(room, new_workshop):
    workshop = new_workshop()
    found: list[str] = []
    landing = room.open("/", "laptop", "landing")
    found += violations(landing, "landing")
    joining = room.open("/join", "phone", "join")
    found += violations(joining, "join")
    room.allow(r"status of 422")
    joining.locator("input[name=code]").fill("AB1")
    joining.locator("main form button[type=submit]").click()
    expect(joining.locator(".errors")).to_be_visible()
    found += violations(joining, "join with an error")

    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    screen = room.open(workshop.screen_url, "screen", "screen")
    found += violations(facilitator, "control, first question")
    found += violations(screen, "screen, join")
    phone = join(room, workshop.join_url, "Ania")
    other = join(room, workshop.join_url)
    found += violations(phone, "phone, question")
    send(phone, "Żeby każdy pacjent czuł się bezpiecznie")
    send(other, "Słuchamy z uwagą i szacunkiem")
    expect(screen.locator("#screen-main .screen-card")).to_have_count(2, timeout=LIVE)
    found += violations(phone, "phone, with answers")
    found += violations(screen, "screen, answers")
    expect(facilitator.locator("#control-board .answer-card")).to_have_count(2, timeout=LIVE)
    found += violations(facilitator, "control, answers")
    card = facilitator.locator("#control-board .answer-card").first.get_attribute("data-card")

    facilitator.locator("input[name='voting-budget']").fill("3")
    facilitator.locator("form[action$='/voting'] button[type=submit]").click()
    expect(phone.locator("#phone-board .vote-card")).to_have_count(2, timeout=LIVE)
    phone.locator("#phone-board .vote-card button.vote-add").first.click()
    found += violations(phone, "phone, voting")
    found += violations(screen, "screen, voting")
    found += violations(facilitator, "control, voting")
    facilitator.locator("form[action$='/reveal-results'] button[type=submit]").click()
    expect(screen.locator("#screen-main .screen-results")).to_be_visible(timeout=LIVE)
    found += violations(screen, "screen, results")
    found += violations(phone, "phone, results")

    facilitator_context_stages = facilitator.context.new_page()
    room.watch(facilitator_context_stages, "stages")
    facilitator_context_stages.goto(f"/w/{workshop.id}/stages")
    found += violations(facilitator_context_stages, "stages")

    facilitator.locator(".stage-menu > summary").click()  # the list of all stages
    facilitator.locator(".stage-list li").nth(4).locator("button").click()
    expect(facilitator.locator("#builder-form")).to_be_visible(timeout=LIVE)
    facilitator.locator("#builder-text").fill(
        "Istniejemy, aby każdy pacjent z naszej okolicy czuł się bezpiecznie."
    )
    facilitator.locator("#builder-form button[type=submit]").click()
    expect(facilitator.locator("#drafts-panel .draft-card")).to_have_count(1, timeout=LIVE)
    found += violations(facilitator, "control, mission")
    found += violations(screen, "screen, drafts")
    found += violations(phone, "phone, drafts")
    form = facilitator.locator("form.round-form")
    form.locator("select[name='round-target']").select_option(index=0)
    form.locator("button[type=submit]").click()
    expect(phone.locator("#phone-round form.round-form")).to_be_visible(timeout=LIVE)
    found += violations(phone, "phone, round")
    found += violations(screen, "screen, round")
    found += violations(facilitator, "control, round")
    poster = facilitator.context.new_page()
    room.watch(poster, "poster page")
    poster.goto(f"/w/{workshop.id}/poster")
    poster.wait_for_load_state("networkidle")
    found += violations(poster, "poster page")
    for path in (f"/w/{workshop.id}/board/answers/{card}", f"/w/{workshop.id}/compare"):
        page = facilitator.context.new_page()
        room.watch(page, path)
        assert page.goto(path).status == 200, path  # this workshop's own answer, not a 404
        found += violations(page, path)
    assert not found, "accessibility violations:\n" + "\n".join(found)
    room.assert_clean_console()
