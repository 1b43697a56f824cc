"""A complete Polish workshop in one room: the facilitator creates it, the projector shows
it, five phones take part — answers, dots, principles, a consensus round — and the poster
prints. Screenshots of the screen and a phone at each stage go to tests/artifacts/whole-room/."""

from __future__ import annotations

import re
import subprocess

from playwright.sync_api import Page, expect

from .test_room import LIVE, join, mark_loaded, send, shoot

ANSWERS = {
    0: [
        "Żeby pacjent czuł się bezpiecznie",
        "Leczymy z sercem",
        "Bo zdrowie jest najważniejsze",
        "Pomagamy ludziom z okolicy",
        "Żeby nikt nie czekał sam",
    ],
    1: ["Spokój", "Czas i uwagę", "Rzetelną wiedzę", "Uśmiech", "Poczucie bezpieczeństwa"],
    2: ["Pacjentom z okolicy", "Rodzinom", "Seniorom", "Dzieciom", "Sobie nawzajem"],
}
PRINCIPLES = [
    ("Życzliwość", "witamy każdego po imieniu"),
    ("Rzetelność", "mówimy prawdę"),
    ("Cierpliwość", "słuchamy do końca"),
    ("Szacunek", "chronimy godność"),
]
MISSION = (
    "Istniejemy, aby każdy pacjent z naszej okolicy czuł się u nas bezpiecznie "
    "i wychodził spokojniejszy."
)


def next_stage(facilitator: Page, screen: Page, phones: list[Page]) -> None:
    """Move on and wait, as the staff would, until the screen and every phone show it."""
    before = screen.locator("#screen-main .screen-question").inner_text()
    facilitator.locator("form[action$='/stage/next'] button[type=submit]").click()
    expect(screen.locator("#screen-main .screen-question")).not_to_have_text(before, timeout=LIVE)
    question = screen.locator("#screen-main .screen-question").inner_text()
    for phone in phones:
        expect(phone.locator("#phone-stage .question")).to_have_text(question, timeout=LIVE)


def test_a_complete_polish_workshop(room, artifacts, tmp_path):
    shots = artifacts / "whole-room"
    shots.mkdir(exist_ok=True)
    facilitator = room.open("/", "laptop", "facilitator")
    facilitator.locator("#title").fill("Przychodnia Pod Lipami")
    facilitator.locator("#language").select_option("pl")
    facilitator.locator("form[action='/'] button[type=submit]").click()
    expect(facilitator).to_have_url(re.compile(r"/control$"))
    expect(facilitator.locator("html")).to_have_attribute("lang", "pl")
    screen_url = facilitator.locator("#screen-url").input_value()
    join_url = facilitator.locator("#join-url").input_value()
    code = facilitator.locator(".control-facts .code").inner_text()
    screen = room.open(screen_url, "screen", "screen")
    mark_loaded(screen)
    shoot(screen, shots / "01-screen-join.png")

    by_code = room.open("/join", "phone", "phone-by-code")
    by_code.locator("input[name=code]").fill(code.lower())
    by_code.locator("main form button[type=submit]").click()
    by_code.locator("main form button[type=submit]").click()  # no name: anonymous
    expect(by_code).to_have_url(re.compile(r"/p$"))
    phones = [by_code] + [join(room, join_url, name) for name in ("Ania", "Bartek", "Cela", "")]
    expect(screen.locator("#screen-people")).to_contain_text("5", timeout=LIVE)
    expect(screen.locator("#screen-people")).to_contain_text("osób")

    for stage in range(3):
        for phone, text in zip(phones, ANSWERS[stage], strict=True):
            send(phone, text)
        expect(screen.locator("#screen-main .screen-card")).not_to_have_count(0, timeout=LIVE)
        shoot(screen, shots / f"0{2 + stage}-screen-question-{stage + 1}.png")
        shoot(phones[1], shots / f"0{2 + stage}-phone-question-{stage + 1}.png")
        if stage == 0:
            facilitator.locator("input[name='voting-budget']").fill("3")
            facilitator.locator("form[action$='/voting'] button[type=submit]").click()
            for phone in phones:
                expect(phone.locator("#phone-board .vote-card")).to_have_count(5, timeout=LIVE)
                phone.locator("#phone-board .vote-card button.vote-add").first.click()
                expect(phone.locator("#phone-board .dots-left")).to_contain_text("2", timeout=LIVE)
            shoot(phones[1], shots / "02-phone-voting.png", full_page=True)
            facilitator.locator("form[action$='/reveal-results'] button[type=submit]").click()
            results = screen.locator("#screen-main .screen-results .result")
            expect(results.first).to_contain_text(ANSWERS[0][0], timeout=LIVE)
            shoot(screen, shots / "02-screen-results.png")
        next_stage(facilitator, screen, phones)

    # Principles: phones propose, the facilitator adopts.
    for phone, (name, line) in zip(phones, PRINCIPLES, strict=False):
        phone.locator("textarea[name=body]").fill(name)
        phone.locator("textarea[name=detail]").fill(line)
        phone.locator("form.answer-form button[type=submit]").click()
        expect(phone.locator(".my-answer")).to_have_count(1, timeout=LIVE)
    shoot(screen, shots / "05-screen-principles.png")
    next_stage(facilitator, screen, phones)
    for _ in PRINCIPLES:
        facilitator.locator("form[action*='/principles/adopt/'] button").first.click()
        facilitator.wait_for_timeout(200)
    expect(facilitator.locator("input[name='principles-3-name']")).to_have_value("Szacunek")

    facilitator.locator("#builder-text").fill(MISSION)
    facilitator.locator("#builder-form button[type=submit]").click()
    expect(screen.locator("#screen-main")).to_contain_text(MISSION, timeout=LIVE)
    shoot(screen, shots / "06-screen-draft.png")
    form = facilitator.locator("form.round-form")
    form.locator("select[name='round-target']").select_option(index=0)
    form.locator("button[type=submit]").click()
    for phone, level in zip(phones, (1, 1, 2, 3, 2), strict=True):
        panel = phone.locator("#phone-round")
        expect(panel.locator("form.round-form")).to_be_visible(timeout=LIVE)
        panel.locator(f"label.level-{level}").click()
        panel.locator("form.round-form button[type=submit]").click()
        expect(panel.locator("details.round-change")).to_have_count(1, timeout=LIVE)
    shoot(phones[1], shots / "06-phone-round.png", full_page=True)
    expect(screen.locator("#screen-main .round-layout")).to_contain_text("5", timeout=LIVE)
    shoot(screen, shots / "06-screen-round.png")
    facilitator.locator("#round-panel form[action$='/close'] button").click()
    expect(screen.locator("#screen-main.kind-agreed")).to_contain_text(MISSION, timeout=LIVE)
    shoot(screen, shots / "07-screen-agreed.png")
    shoot(phones[1], shots / "07-phone-agreed.png")

    with facilitator.expect_download(timeout=30_000) as download:
        facilitator.locator("a[href$='/poster.pdf']").first.click()
    pdf = tmp_path / "poster.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    printed = " ".join(re.findall(r"\w+", text.replace("-\n", "")))
    assert " ".join(re.findall(r"\w+", MISSION)) in printed
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-singlefile", str(pdf), str(shots / "08-poster")],
        check=True,
    )
    room.assert_clean_console()
