"""Without JavaScript every action still works as a plain form with redirect-after-post."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from .conftest import LAPTOP, PHONE


@pytest.fixture
def no_js(browser: Browser, server):
    """Open pages in contexts with JavaScript switched off."""
    contexts = []

    def open_page(url: str, kind: dict):
        context = browser.new_context(base_url=server.base_url, java_script_enabled=False, **kind)
        context.set_default_timeout(5_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_a_workshop_runs_with_javascript_off(no_js, new_workshop):
    workshop = new_workshop()
    facilitator = no_js(workshop.facilitator_url, LAPTOP)
    phone = no_js(workshop.join_url, PHONE)
    expect(phone).to_have_url(re.compile(r"/name$"))
    phone.locator("input[name=display_name]").fill("Ola")
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/p$"))

    phone.locator("textarea[name=body]").fill("Żeby pacjent czuł się u nas jak u siebie")
    phone.locator("form.answer-form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/p$"))
    expect(phone.locator(".my-answer")).to_have_count(1)

    facilitator.reload()
    expect(facilitator.locator("#control-board .answer-card")).to_have_count(1)
    facilitator.locator("input[name='voting-budget']").fill("2")
    facilitator.locator("form[action$='/voting'] button[type=submit]").click()
    expect(facilitator).to_have_url(re.compile(r"/control$"))

    phone.reload()
    phone.locator("#phone-board .vote-card button.vote-add").first.click()
    expect(phone.locator("#phone-board .dots-left")).to_contain_text("1")

    facilitator.locator("form[action$='/reveal-results'] button[type=submit]").click()
    facilitator.locator("form[action$='/stage/next'] button[type=submit]").click()
    expect(facilitator.locator("#control-main .stage-heading h2")).not_to_have_text("")
    phone.reload()
    expect(phone.locator(".my-answer")).to_have_count(0)
    expect(phone.locator("textarea[name=body]")).to_be_visible()

    # Straight to the mission: a draft, a round, an answer from the phone.
    facilitator.locator(".stage-menu > summary").click()  # the list of all stages
    facilitator.locator(".stage-list li").nth(4).locator("button").click()
    facilitator.locator("#builder-text").fill(
        "Istniejemy, aby każdy pacjent z naszej okolicy czuł się bezpiecznie."
    )
    facilitator.locator("#builder-form button[type=submit]").click()
    expect(facilitator.locator("#drafts-panel .draft-card")).to_have_count(1)
    facilitator.locator("form.round-form button[type=submit]").click()
    expect(facilitator.locator("#round-panel form[action$='/close']")).to_be_visible()
    phone.reload()
    phone.locator("#phone-round label.level-2").click()
    phone.locator("#phone-round form.round-form button[type=submit]").click()
    expect(phone.locator("#phone-round details.round-change")).to_have_count(1)
    facilitator.reload()
    expect(facilitator.locator("#round-panel .round-facts")).to_contain_text(
        re.compile(r"(?<!\d)1(?!\d)")
    )
