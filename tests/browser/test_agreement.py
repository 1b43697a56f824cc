"""Reaching agreement in a real room: three phones rate a draft, one blocks with a reason,
a new version passes, and the agreed mission is printed on the poster."""

from __future__ import annotations

import re
import subprocess

from playwright.sync_api import Page, expect

from .test_room import LIVE, assert_not_reloaded, join, mark_loaded, shoot

FIRST = "Istniejemy, aby leczyć ludzi z naszej okolicy."
SECOND = "Istniejemy, aby każdy pacjent z naszej okolicy wychodził od nas spokojniejszy i zdrowszy."
BLOCK_REASON = "Nie ma tu nic o rodzinach pacjentów."
PRINCIPLES = [
    ("Życzliwość", "witamy każdego z uśmiechem"),
    ("Rzetelność", "leczymy zgodnie z wiedzą"),
    ("Szacunek", "chronimy godność pacjenta"),
]

ROUND_PANEL = "#round-panel"
PHONE_ROUND = "#phone-round"


def answer_round(phone: Page, level: int, reason: str = "") -> None:
    """Pick a level on the phone's round panel (and a reason), send, wait for the receipt."""
    panel = phone.locator(PHONE_ROUND)
    expect(panel.locator("form.round-form")).to_be_visible(timeout=LIVE)
    panel.locator(f"label.level-{level}").click()
    if reason:
        panel.locator("textarea[name=reason]").fill(reason)
    panel.locator("form.round-form button[type=submit]").click()
    expect(panel.locator(".my-answer, .round-answered, details.round-change")).not_to_have_count(
        0, timeout=LIVE
    )


def open_round_on_newest(facilitator: Page) -> None:
    form = facilitator.locator("form.round-form")
    expect(form).to_be_visible(timeout=LIVE)
    first = form.locator("select[name='round-target'] option").first.get_attribute("value")
    form.locator("select[name='round-target']").select_option(first)
    form.locator("button[type=submit]").click()
    expect(facilitator.locator(f"{ROUND_PANEL} form[action$='/close']")).to_be_visible(timeout=LIVE)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.replace("\u00ad", ""))


def test_a_blocked_draft_is_revised_and_the_new_version_is_agreed_and_printed(
    room, new_workshop, artifacts, tmp_path
):
    workshop = new_workshop()
    facilitator = room.open(workshop.facilitator_url, "laptop", "facilitator")
    screen = room.open(workshop.screen_url, "screen", "screen")
    phones = [join(room, workshop.join_url, name) for name in ("Ania", "Bartek", "Cela")]
    mark_loaded(screen)

    # The principles, then the mission stage.
    facilitator.locator(".stage-menu > summary").click()  # the list of all stages
    facilitator.locator(".stage-list li").nth(4).locator("button").click()
    expect(facilitator.locator("#builder-form")).to_be_visible(timeout=LIVE)
    for index, (name, line) in enumerate(PRINCIPLES):
        facilitator.locator(f"input[name='principles-{index}-name']").fill(name)
        facilitator.locator(f"input[name='principles-{index}-line']").fill(line)
    facilitator.locator("form.principles-form button[type=submit]:not([name])").click()
    expect(facilitator.locator("form.principles-form .saved")).to_be_visible(timeout=LIVE)

    facilitator.locator("#builder-text").fill(FIRST)
    facilitator.locator("#builder-form button[type=submit]").click()
    expect(facilitator.locator("#drafts-panel .draft-card")).to_have_count(1, timeout=LIVE)
    expect(screen.locator("#screen-main")).to_contain_text(FIRST, timeout=LIVE)

    # Round 1: one phone blocks with a reason.
    open_round_on_newest(facilitator)
    answer_round(phones[0], 1)
    answer_round(phones[1], 2)
    answer_round(phones[2], 5, BLOCK_REASON)
    expect(screen.locator("#screen-main")).to_contain_text(BLOCK_REASON, timeout=LIVE)
    expect(facilitator.locator(ROUND_PANEL)).to_contain_text(BLOCK_REASON, timeout=LIVE)
    shoot(screen, artifacts / "screen-round-blocked.png")
    shoot(phones[2], artifacts / "phone-round-answered.png", full_page=True)
    facilitator.locator(f"{ROUND_PANEL} form[action$='/close'] button").click()
    expect(facilitator.locator(f"{ROUND_PANEL} .outcome-not")).to_be_visible(timeout=LIVE)
    assert not facilitator.locator("#builder-form").count() == 0  # still drafting

    # A new version, and round 2 passes.
    card = facilitator.locator("#drafts-panel .draft-card").first
    card.locator("details.revise summary").click()
    card.locator("details.revise textarea").fill(SECOND)
    card.locator("details.revise button[type=submit]").click()
    expect(facilitator.locator("#drafts-panel .draft-card").first).to_contain_text(
        SECOND, timeout=LIVE
    )
    open_round_on_newest(facilitator)
    for phone, level in zip(phones, (1, 2, 3), strict=True):
        expect(phone.locator(PHONE_ROUND)).to_contain_text(SECOND, timeout=LIVE)
        answer_round(phone, level)
    facilitator.locator(f"{ROUND_PANEL} form[action$='/close'] button").click()
    expect(facilitator.locator("#editor-heading")).to_be_visible(timeout=LIVE)
    expect(facilitator.locator(".editor .mission-text").first).to_have_text(SECOND, timeout=LIVE)
    expect(screen.locator("#screen-main.kind-agreed")).to_contain_text(SECOND, timeout=LIVE)
    for phone in phones:
        expect(phone.locator("#phone-stage")).to_contain_text(SECOND, timeout=LIVE)
    assert_not_reloaded(screen)
    shoot(screen, artifacts / "screen-agreed.png")

    # The poster carries the agreed wording.
    with facilitator.expect_download(timeout=30_000) as download:
        facilitator.locator("a[href$='/poster.pdf']").click()
    pdf = tmp_path / "poster.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    printed = " ".join(words(text.replace("-\n", "")))
    assert " ".join(words(SECOND)) in printed, printed
    for name, _line in PRINCIPLES:
        assert name.upper() in text.upper()
    room.assert_clean_console()
