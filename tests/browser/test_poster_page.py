"""The poster page prints exactly what its form shows.

A city typed a moment ago is saved when the field loses focus, and that save is still on
its way when "Download PDF" is clicked straight after typing: the PDF must carry the new
city, not the one saved before (an A2 print is an expensive mistake).
"""

from __future__ import annotations

import re
import subprocess

from playwright.sync_api import Route, expect

from workshop import models

from . import volume
from .test_accessibility import violations
from .test_room import shoot

MISSION = "Każdego dnia z życzliwością troszczymy się o zdrowie naszych pacjentów."
PRINCIPLES = [
    ("Życzliwość", "każdego witamy z uśmiechem"),
    ("Rzetelność", "leczymy zgodnie z aktualną wiedzą"),
    ("Poufność", "chronimy tajemnicę lekarską"),
]


def agreed_poster_page(room, new_workshop, server):
    """A workshop with its mission and three principles agreed, and its facilitator's
    poster page open on a laptop."""
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    models.save_mission(db, workshop, MISSION)
    models.replace_principles(db, workshop, PRINCIPLES)
    models.mark_agreed(db, workshop)
    db.close()
    page = room.open(made.facilitator_url, "laptop", "facilitator")
    expect(page).to_have_url(re.compile(r"/control$"))
    page.goto(f"/w/{made.id}/poster")
    return page


def test_download_right_after_typing_a_city_prints_that_city(
    room, new_workshop, server, artifacts, tmp_path
):
    page = agreed_poster_page(room, new_workshop, server)
    city = page.locator("#poster-form input[name=city]")
    expect(page.locator("#poster-preview img.preview-image")).to_be_visible()
    # How far each size reads from comes in once the page is up.
    expect(page.locator("#poster-reading .reading-table tbody tr")).to_have_count(5, timeout=60_000)
    expect(page.locator("#poster-reading .reading-advice")).to_be_visible()
    shoot(page, artifacts / "poster-reading.png")

    # Saved first: Kraków (the field's change sends the form; its answer redraws the form).
    with page.expect_response(lambda r: r.request.method == "POST" and "/poster" in r.url):
        city.fill("Kraków")
        city.blur()
    expect(city).to_have_value("Kraków")

    # Then Zamość, and Download at once, while its save is still on its way (held here, so
    # that the race goes the same way every time).
    held: list[Route] = []

    def hold_save(route: Route) -> None:
        if route.request.method == "POST" and route.request.headers.get("hx-request"):
            held.append(route)
        else:
            route.continue_()

    page.route("**/poster", hold_save)
    with page.expect_download(timeout=60_000) as download:
        city.fill("Zamość")
        page.locator("#poster-preview [data-download]").click()
    assert held, "the change of city was not sent"
    pdf = tmp_path / "poster.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.replace(" ", "")  # letter-spaced lines
    assert "Zamość" in text and "Kraków" not in text, text

    for route in held:
        route.continue_()
    page.unroute("**/poster")
    expect(city).to_have_value("Zamość")
    preview = page.locator("#poster-preview")
    expect(preview).not_to_have_class(re.compile(r"\bhtmx-request\b"), timeout=30_000)
    expect(preview.locator("img.preview-image")).to_be_visible()
    shoot(page, artifacts / "poster-page.png")
    room.assert_clean_console()


def test_a_logo_over_2_mb_is_refused_before_it_is_sent(room, new_workshop, server, tmp_path):
    page = agreed_poster_page(room, new_workshop, server)
    expect(page.locator("#poster-preview img.preview-image")).to_be_visible()
    page.locator("#poster-form input[name=city]").fill("Lublin")  # typed, not yet sent
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    huge = tmp_path / "logo.png"
    huge.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3 * 1024 * 1024))
    page.locator("#poster-form input[name=logo]").set_input_files(huge)
    errors = page.locator("#logo-errors")
    expect(errors).to_contain_text("2 MB")
    logo = page.locator("#poster-form input[name=logo]")
    expect(logo).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#poster-form input[name=city]")).to_have_value("Lublin")
    assert logo.evaluate("input => input.files.length") == 0
    assert not posts


def test_the_feedback_qr_code_is_chosen_on_the_page_and_the_table_card_downloads(
    room, new_workshop, server, artifacts, tmp_path
):
    page = agreed_poster_page(room, new_workshop, server)
    image = page.locator("#poster-preview img.preview-image")
    expect(image).to_have_attribute("src", re.compile(r"feedback_qr=0"))
    page.get_by_label("Wydrukuj na plakacie kod QR do opinii klientów").check()
    expect(image).to_have_attribute("src", re.compile(r"feedback_qr=1"), timeout=30_000)
    expect(image).to_be_visible()
    found = violations(page, "poster page with the feedback QR code")
    page.locator("#poster-preview").screenshot(
        path=artifacts / "poster-preview-feedback-qr.png", caret="initial"
    )
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("link", name="Karta na ladę, A6").click()
    pdf = tmp_path / "table-card.pdf"
    download.value.save_as(pdf)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "297.638 x 419.528 pts" in info  # A6
    card_png = str(artifacts / "table-card-a6")
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf), card_png], check=True)
    assert not found, "\n".join(found)
    room.assert_clean_console()
