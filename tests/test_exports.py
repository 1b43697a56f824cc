"""The poster page, its preview, the staff card, the record downloads and the export history,
checked with poppler like a printer would."""

import csv
import gc
import io
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from flask_babel import force_locale
from PIL import Image

from workshop import cli, exports, models, poster, words
from workshop.exports import poster_text

from .conftest import HX

MISSION = "Każdego dnia z życzliwością troszczymy się o zdrowie naszych pacjentów — „razem”."
PRINCIPLES = [
    ("Życzliwość", "każdego witamy z uśmiechem"),
    ("Rzetelność", "leczymy zgodnie z aktualną wiedzą"),
    ("Poufność", "ściśle chronimy dane i tajemnicę lekarską"),
]
ROUTINE = [
    "Wysłuchaj do końca, nie przerywaj",
    "Przeproś za to, co czuje pacjent",
    "Powiedz, co zrobisz i kiedy",
    "Zrób to i daj znać",
    "Zapisz, czego się nauczyliśmy",
]
OPTIONS = {
    "size": "a3",
    "orientation": "portrait",
    "frame": "gold",
    "theme": "ivory",
    "reading_distance": "2",
}


def agree(db, workshop):
    models.save_mission(db, workshop, MISSION)
    models.replace_principles(db, workshop, PRINCIPLES)
    models.mark_agreed(db, workshop)


def agree_routine(db, workshop):
    """Agree the trust-recovery routine the way a room does: a draft, a round, three yeses."""
    version = models.propose_draft(db, workshop, "\n".join(ROUTINE), kind="routine")
    round_ = models.open_round(db, workshop, "routine", version)
    for _ in range(3):
        person, _key = models.add_participant(db, workshop)
        models.answer_round(db, workshop, round_, person, 1)
    models.close_round(db, workshop, round_)


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def pdf_info(path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout


def page_size(path) -> tuple[int, int]:
    """Return the first page's size in whole points, as pdfinfo reports it."""
    found = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", pdf_info(path), re.MULTILINE)
    return round(float(found[1])), round(float(found[2]))


A5, A4, A3, A2 = (420, 595), (595, 842), (842, 1191), (1191, 1684)


def image_bytes(fmt: str, size=(60, 30), noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (120, 40, 20))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def save_options(facilitator, workshop, headers=HX, **fields):
    data = {**OPTIONS, "city": "", **fields}
    response = facilitator.post(f"/w/{workshop.public_id}/poster", data=data, headers=headers)
    # Werkzeug's test client spools a large multipart body to a temporary file it never
    # closes; close it here so the ResourceWarning does not surface in a later test.
    response.request.environ["wsgi.input"].close()
    return response


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


# Who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "poster",
        "poster/preview.png",
        "poster.pdf",
        "card.pdf",
        "table-card/a6.pdf",
        "record.pdf",
        "record.csv",
        "record.xlsx",
        "record.md",
        "record.json",
        "exports",
        "exports/1",
    ],
)
def test_exports_are_only_for_the_facilitator(client, phone, workshop, db, path):
    agree(db, workshop)
    assert client.get(f"/w/{workshop.public_id}/{path}").status_code == 403
    assert phone.get(f"/w/{workshop.public_id}/{path}").status_code == 403


def test_saving_poster_options_is_only_for_the_facilitator(client, phone, workshop, db):
    agree(db, workshop)
    for visitor in (client, phone):
        assert visitor.post(f"/w/{workshop.public_id}/poster", data=OPTIONS).status_code == 403
    assert models.get_poster_settings(db, workshop).updated_at is None


# The poster page --------------------------------------------------------------------------


def test_poster_page_has_the_options_the_preview_and_the_history(facilitator, workshop, db):
    agree(db, workshop)
    facilitator.get(f"/w/{workshop.public_id}/poster.pdf")
    response = facilitator.get(f"/w/{workshop.public_id}/poster")
    assert response.status_code == 200
    page = soup(response)
    form = page.find("form", id="poster-form")
    assert form["method"] == "post" and form["enctype"] == "multipart/form-data"
    assert form["action"] == form["hx-post"] == f"/w/{workshop.public_id}/poster"
    assert "change" in form["hx-trigger"] and form["hx-indicator"] == "#poster-preview"
    sizes = [radio["value"] for radio in form.find_all("input", attrs={"name": "size"})]
    assert sizes == ["a4", "a3", "a2", "letter", "ledger"]
    assert form.find("input", attrs={"name": "size", "value": "a3"}).has_attr("checked")
    assert form.find(id="poster-reading")  # how far each size reads, for this text
    frames = [option["value"] for option in form.find("select", attrs={"name": "frame"})("option")]
    assert frames == list(poster.FRAMES)
    themes = [option["value"] for option in form.find("select", attrs={"name": "theme"})("option")]
    assert themes == list(poster.THEMES)
    for name in ("bleed", "archival"):
        assert form.find("input", attrs={"name": name, "type": "checkbox"})
    assert form.find("input", attrs={"name": "city"})
    assert form.find("input", attrs={"name": "logo", "type": "file"})["accept"] == (
        "image/png,image/jpeg"
    )
    preview = page.find(id="poster-preview")
    assert "Przygotowuję podgląd" in preview.get_text()  # the workshop is Polish
    image = preview.find("img")
    assert image["src"].startswith(f"/w/{workshop.public_id}/poster/preview.png?")
    assert facilitator.get(image["src"]).mimetype == "image/png"
    download = preview.find("button", attrs={"data-download": True})
    assert download["type"] == "submit" and download["form"] == form["id"] == "poster-form"
    assert download["name"] == "download" and not preview.find("a", attrs={"download": True})
    rows = page.find(id="export-history").find("tbody").find_all("tr")
    assert len(rows) == 1
    assert "A3" in rows[0].get_text() and rows[0].find("a")["href"].endswith(
        f"/exports/{models.list_exports(db, workshop)[0].id}"
    )
    assert not page.select("[style]") and not page.select("script:not([src])")


def test_poster_page_before_agreement_explains_what_is_missing(facilitator, workshop):
    response = facilitator.get(f"/w/{workshop.public_id}/poster")
    assert response.status_code == 200
    preview = soup(response).find(id="poster-preview")
    assert preview.find(class_="alert") and not preview.find("img")
    assert not preview.find("a", attrs={"download": True})


def test_control_page_links_to_the_poster_page(facilitator, workshop, db):
    agree(db, workshop)
    models.move_to_stage(
        db, workshop, next(s for s in models.list_stages(db, workshop) if s.kind == "mission")
    )
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    assert page.find("a", href=f"/w/{workshop.public_id}/poster")


def test_preview_is_a_png_of_the_page_that_follows_the_options(facilitator, workshop, db):
    agree(db, workshop)
    base = f"/w/{workshop.public_id}/poster/preview.png"
    portrait = facilitator.get(f"{base}?size=a3&orientation=portrait")
    landscape = facilitator.get(f"{base}?size=a3&orientation=landscape")
    for response in (portrait, landscape):
        assert response.status_code == 200 and response.mimetype == "image/png"
    tall = Image.open(io.BytesIO(portrait.data)).size
    wide = Image.open(io.BytesIO(landscape.data)).size
    assert tall[0] < tall[1] and wide[0] > wide[1]
    other_frame = next(name for name in poster.FRAMES if name != "gold")
    framed = facilitator.get(f"{base}?size=a3&orientation=portrait&frame={other_frame}")
    assert framed.data != portrait.data


def test_a_repeated_preview_comes_from_the_cache(facilitator, workshop, db, monkeypatch):
    agree(db, workshop)
    calls = []
    real = poster.render_preview

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(poster, "render_preview", counting)
    url = f"/w/{workshop.public_id}/poster/preview.png?size=a4&orientation=landscape&frame=none"
    first, second = facilitator.get(url), facilitator.get(url)
    assert first.data == second.data and len(calls) == 1
    assert first.headers["ETag"]
    again = facilitator.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_preview_with_an_unknown_option_is_not_found(facilitator, workshop, db):
    agree(db, workshop)
    base = f"/w/{workshop.public_id}/poster/preview.png"
    assert facilitator.get(f"{base}?size=a0").status_code == 404
    assert facilitator.get(f"{base}?frame=plastic").status_code == 404


def test_changing_an_option_saves_it_and_answers_with_the_new_preview(facilitator, workshop, db):
    agree(db, workshop)
    response = save_options(facilitator, workshop, size="a2", orientation="landscape")
    assert response.status_code == 200
    block = soup(response)
    assert block.find(id="poster-studio") and not block.find("html")
    assert (
        "size=a2" in block.find("img")["src"]
        and "orientation=landscape" in (block.find("img")["src"])
    )
    saved = json.loads(models.get_poster_settings(db, workshop).options)
    assert saved["size"] == "a2" and saved["orientation"] == "landscape"
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    assert page.find("input", attrs={"name": "size", "value": "a2"}).has_attr("checked")


def test_without_javascript_saving_redirects_to_the_page(facilitator, workshop, db):
    agree(db, workshop)
    response = save_options(facilitator, workshop, headers={}, city="Kraków", bleed="y")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/w/{workshop.public_id}/poster")
    settings = models.get_poster_settings(db, workshop)
    assert settings.city == "Kraków" and json.loads(settings.options)["bleed"] is True


def test_download_pdf_prints_the_form_as_sent_and_keeps_it(facilitator, workshop, db, tmp_path):
    """The "Download PDF" button submits the form: the file has what it showed."""
    agree(db, workshop)
    save_options(facilitator, workshop, city="Kraków")
    response = save_options(
        facilitator, workshop, headers={}, size="a4", city="Zamość", download="pdf"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.data)
    assert page_size(pdf) == A4
    assert "Zamość" in pdf_text(pdf) and "Kraków" not in pdf_text(pdf)
    assert models.get_poster_settings(db, workshop).city == "Zamość"
    assert json.loads(models.list_exports(db, workshop)[0].options)["city"] == "Zamość"


def test_an_invalid_option_keeps_what_was_typed(facilitator, workshop, db):
    agree(db, workshop)
    response = save_options(facilitator, workshop, frame="plastic", city="Gdańsk")
    assert response.status_code == 422
    block = soup(response)
    assert block.find("input", attrs={"name": "city"})["value"] == "Gdańsk"
    assert block.select(".errors")
    assert models.get_poster_settings(db, workshop).updated_at is None


def test_the_footer_signature_is_saved_printed_and_checked(facilitator, workshop, db, tmp_path):
    agree(db, workshop)
    response = save_options(
        facilitator, workshop, headers={}, city="Łódź", signature="Zespół Przychodni",
        download="pdf",
    )  # fmt: skip
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.data)
    year = poster_text(db, models.get_workshop(db, workshop.public_id)).date.year
    assert f"Zespół Przychodni · Łódź, {year}" in pdf_text(pdf)
    assert models.get_poster_settings(db, workshop).signature == "Zespół Przychodni"
    assert json.loads(models.list_exports(db, workshop)[0].options)["signature"] == (
        "Zespół Przychodni"
    )
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    assert page.find("input", attrs={"name": "signature"})["value"] == "Zespół Przychodni"
    too_long = "Zespół " * 20
    response = save_options(facilitator, workshop, city="Kraków", signature=too_long)
    assert response.status_code == 422
    block = soup(response)
    assert block.find("input", attrs={"name": "signature"})["value"] == too_long.strip()
    assert block.find("input", attrs={"name": "city"})["value"] == "Kraków"
    assert block.select("#signature-errors, .errors")
    assert models.get_poster_settings(db, workshop).signature == "Zespół Przychodni"


def test_the_poster_page_asks_for_the_reading_distances_on_its_own(facilitator, workshop, db):
    agree(db, workshop)
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    block = page.find(id="poster-reading")
    assert "/poster/reading?" in block["hx-get"] and "distance=2" in block["hx-get"]
    assert block["hx-trigger"] == "load"
    assert block.find("a")["href"] == block["hx-get"]  # without JavaScript: a link
    assert page.find("select", attrs={"name": "reading_distance"})
    assert "2–3 m" not in page.get_text()


def reading_rows(response) -> dict[str, list[str]]:
    rows = soup(response).select(".reading-table tbody tr")
    return {row.th.get_text(): [td.get_text() for td in row.find_all("td")] for row in rows}


def test_reading_distances_per_size_and_the_smallest_that_reaches(facilitator, workshop, db):
    agree(db, workshop)
    url = f"/w/{workshop.public_id}/poster/reading"
    response = facilitator.get(url, query_string={"distance": "1"}, headers=HX)
    assert response.status_code == 200
    rows = reading_rows(response)
    assert list(rows) == ["A4", "US Letter", "A3", "Ledger", "A2"]
    metres = {
        size: [float(cell.split()[0].replace(",", ".")) for cell in cells]
        for size, cells in rows.items()
    }
    for size, (title, mission, principles) in metres.items():
        assert title > mission > principles > 0, size
    assert metres["A4"][2] < metres["A3"][2] < metres["A2"][2]
    # The smallest paper whose mission and principles both read from 1 m is marked.
    reaching = [size for size, cells in metres.items() if min(cells[1:]) >= 1]
    recommended = soup(response).select(".reading-table tr.recommended th")
    assert [row.get_text() for row in recommended] == reaching[:1]
    far = facilitator.get(url, query_string={"distance": "4"}, headers=HX)
    assert not soup(far).select(".reading-table tr.recommended")
    assert "A2" in soup(far).select_one(".reading-advice").get_text()
    # Without JavaScript the link opens the whole page with the table.
    page = soup(facilitator.get(url, query_string={"distance": "1"}))
    assert page.find(id="poster-form") and page.select(".reading-table tr.recommended")


LONG_MISSION = " ".join(
    (
        " ".join(["Każdego dnia z życzliwością troszczymy się o zdrowie naszych pacjentów"] * 11)
    ).split()[:120]
)
LONG_PRINCIPLES = [
    (f"Zasada numer {number} dłuższa nazwa", ("każdego witamy z uśmiechem i słuchamy " * 5)[:160])
    for number in range(1, 13)
]


def test_text_too_long_for_the_size_warns_instead_of_failing(facilitator, workshop, db):
    models.save_mission(db, workshop, LONG_MISSION)
    models.replace_principles(db, workshop, LONG_PRINCIPLES)
    models.mark_agreed(db, workshop)
    response = save_options(facilitator, workshop, size="letter")
    assert response.status_code == 422
    block = soup(response)
    warning = block.find(class_="preview-warning")
    assert warning["role"] == "alert" and "A2" in warning.get_text()
    assert not block.find("img") and not block.find("a", attrs={"download": True})
    assert json.loads(models.get_poster_settings(db, workshop).options)["size"] == "letter"
    image = facilitator.get(f"/w/{workshop.public_id}/poster/preview.png?size=letter")
    assert image.status_code == 422 and image.mimetype == "text/html"
    page = facilitator.get(f"/w/{workshop.public_id}/poster")
    assert page.status_code == 200 and soup(page).find(class_="preview-warning")
    pdf = facilitator.get(f"/w/{workshop.public_id}/poster.pdf")
    assert pdf.status_code == 422
    larger = save_options(facilitator, workshop, size="a2")
    assert larger.status_code == 200 and soup(larger).find("img")


# The logo ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_png_or_jpeg_logo_is_stored_downscaled(facilitator, workshop, db, fmt):
    agree(db, workshop)
    upload = (io.BytesIO(image_bytes(fmt, size=(3000, 1500))), f"logo.{fmt.lower()}")
    response = save_options(facilitator, workshop, logo=upload)
    assert response.status_code == 200
    logo = models.get_poster_settings(db, workshop).logo
    assert logo and max(Image.open(io.BytesIO(logo)).size) < 3000
    assert "Na plakacie jest logo" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "name, content",
    [
        ("logo.gif", image_bytes("GIF")),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
        ("logo.png", image_bytes("PNG", size=(1100, 800), noise=True)),
    ],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused_clearly(
    app, facilitator, workshop, db, name, content
):
    agree(db, workshop)
    if name == "logo.png":
        assert len(content) > 2 * 1024 * 1024
    upload = (io.BytesIO(content), name)
    response = save_options(facilitator, workshop, size="a2", city="Lublin", logo=upload)
    assert response.status_code == 422
    block = soup(response)
    with app.test_request_context(), force_locale(workshop.language):
        with pytest.raises(poster.PosterError) as refused:
            poster.prepare_logo(content)
    assert block.find(id="logo-errors").get_text(strip=True) == str(refused.value)
    assert block.find("input", attrs={"name": "city"})["value"] == "Lublin"
    assert block.find("input", attrs={"name": "size", "value": "a2"}).has_attr("checked")
    assert models.get_poster_settings(db, workshop).logo is None


def test_the_poster_form_checks_csrf_and_takes_a_logo_sized_upload(app, facilitator, workshop, db):
    agree(db, workshop)
    app.config["WTF_CSRF_ENABLED"] = True
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    token = page.find("form", id="poster-form").find("input", attrs={"name": "csrf_token"})
    big = (io.BytesIO(image_bytes("PNG", size=(1100, 800), noise=True)), "logo.png")
    refused = save_options(facilitator, workshop, logo=big)
    assert refused.status_code == 400
    small = (io.BytesIO(image_bytes("PNG")), "logo.png")
    accepted = save_options(facilitator, workshop, csrf_token=token["value"], logo=small)
    assert accepted.status_code == 200 and models.get_poster_settings(db, workshop).logo
    big = (io.BytesIO(image_bytes("PNG", size=(1100, 800), noise=True)), "logo.png")
    too_big = save_options(facilitator, workshop, csrf_token=token["value"], logo=big)
    assert too_big.status_code == 422  # the logo's own message, not the 64 KB form limit


def test_a_refused_logo_saves_nothing_else_and_keeps_what_was_typed(facilitator, workshop, db):
    agree(db, workshop)
    save_options(facilitator, workshop, city="Łódź")
    before = models.get_poster_settings(db, workshop)
    broken = image_bytes("PNG", size=(300, 200), noise=True)
    upload = (io.BytesIO(broken[: len(broken) // 2]), "logo.png")
    response = save_options(facilitator, workshop, size="a2", city="Lublin", logo=upload)
    assert response.status_code == 422 and soup(response).find(id="logo-errors")
    after = models.get_poster_settings(db, workshop)
    assert (after.city, after.options, after.logo) == ("Łódź", before.options, None)
    block = soup(response)
    assert block.find("input", attrs={"name": "city"})["value"] == "Lublin"
    assert block.find("input", attrs={"name": "size", "value": "a2"}).has_attr("checked")


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain-form"])
def test_a_far_too_large_upload_names_the_logos_2_mb_limit(facilitator, workshop, db, headers):
    agree(db, workshop)
    save_options(facilitator, workshop, city="Łódź")
    huge = (io.BytesIO(b"\x89PNG" + bytes(9 * 1024 * 1024)), "logo.png")
    response = save_options(facilitator, workshop, headers=headers, city="Lublin", logo=huge)
    assert response.status_code == 413
    errors = soup(response).find(id="logo-errors").get_text(strip=True)
    assert "2 MB" in errors  # the logo's own words, in Polish, not the form's size limit
    assert "za dużo" not in response.get_data(as_text=True).lower()
    assert models.get_poster_settings(db, workshop).city == "Łódź"


def test_the_logo_can_be_removed(facilitator, workshop, db):
    agree(db, workshop)
    save_options(facilitator, workshop, logo=(io.BytesIO(image_bytes("PNG")), "logo.png"))
    assert models.get_poster_settings(db, workshop).logo
    response = save_options(facilitator, workshop, remove_logo="1")
    assert response.status_code == 200
    assert models.get_poster_settings(db, workshop).logo is None
    assert "Remove the logo" not in response.get_data(as_text=True)


# The poster PDF ---------------------------------------------------------------------------


def test_poster_downloads_as_one_a3_page_and_is_kept_in_exports(
    facilitator, workshop, db, tmp_path
):
    agree(db, workshop)
    response = facilitator.get(f"/w/{workshop.public_id}/poster.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.data)
    info = pdf_info(pdf)
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert page_size(pdf) == A3
    text = " ".join(pdf_text(pdf).split())
    assert "PrzychodniaPodLipami" in text.replace(" ", "")  # the title is letter-spaced
    for word in ("życzliwością", "„razem”", "Poufność", "tajemnicę"):
        assert word in text
    kept = list((tmp_path / "exports").glob("*.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == response.data
    export = models.list_exports(db, workshop)[0]
    assert export.filename == kept[0].name and export.kind == "poster"
    assert json.loads(export.options)["size"] == "a3"


def test_poster_follows_the_saved_options_and_the_query(facilitator, workshop, db, tmp_path):
    agree(db, workshop)
    save_options(facilitator, workshop, size="a4", orientation="landscape")
    pdf = tmp_path / "saved.pdf"
    pdf.write_bytes(facilitator.get(f"/w/{workshop.public_id}/poster.pdf").data)
    assert page_size(pdf) == A4[::-1]
    pdf.write_bytes(facilitator.get(f"/w/{workshop.public_id}/poster.pdf?size=a2").data)
    assert page_size(pdf) == A2[::-1]
    newest = json.loads(models.list_exports(db, workshop)[0].options)
    assert newest["size"] == "a2" and newest["orientation"] == "landscape"


def test_poster_fonts_are_embedded(facilitator, workshop, db, tmp_path):
    agree(db, workshop)
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(facilitator.get(f"/w/{workshop.public_id}/poster.pdf").data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows
    for row in rows:
        assert " yes yes " in row  # embedded, subset
        assert "DejaVu" not in row and "Noto" not in row


def test_poster_waits_for_a_mission_and_principles(facilitator, workshop):
    response = facilitator.get(f"/w/{workshop.public_id}/poster.pdf", headers=HX)
    assert response.status_code == 422


def test_poster_waits_for_the_mission_to_be_agreed(facilitator, workshop, db):
    models.save_mission(db, workshop, MISSION)
    models.replace_principles(db, workshop, PRINCIPLES)
    response = facilitator.get(f"/w/{workshop.public_id}/poster.pdf")
    assert response.status_code == 422
    assert models.list_exports(db, workshop) == []


# History ----------------------------------------------------------------------------------


def test_an_earlier_export_downloads_again(facilitator, workshop, db):
    agree(db, workshop)
    original = facilitator.get(f"/w/{workshop.public_id}/poster.pdf").data
    export = models.list_exports(db, workshop)[0]
    again = facilitator.get(f"/w/{workshop.public_id}/exports/{export.id}")
    assert again.status_code == 200 and again.data == original
    assert again.mimetype == "application/pdf"
    assert export.filename in again.headers["Content-Disposition"]


def test_a_removed_export_file_is_not_found(facilitator, workshop, db, app, tmp_path):
    agree(db, workshop)
    facilitator.get(f"/w/{workshop.public_id}/record.md")
    export = models.list_exports(db, workshop)[0]
    (tmp_path / "exports" / export.filename).unlink()
    assert facilitator.get(f"/w/{workshop.public_id}/exports/{export.id}").status_code == 404
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    assert "plik usunięty" in page.find(id="export-history").get_text()


def test_exports_never_serve_files_outside_the_folder(facilitator, workshop, db, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "exports").mkdir()
    os.symlink(tmp_path / "secret.txt", tmp_path / "exports" / "link.pdf")
    for name in ("../secret.txt", str(tmp_path / "secret.txt"), "link.pdf", "", "."):
        export = models.record_export(db, workshop, "poster", name)
        response = facilitator.get(f"/w/{workshop.public_id}/exports/{export.id}")
        assert response.status_code == 404, name
    assert facilitator.get(f"/w/{workshop.public_id}/exports/9999").status_code == 404


def test_an_export_of_another_workshop_is_not_found(facilitator, workshop, db, tmp_path):
    from .conftest import make_workshop

    other, _token = make_workshop(db, "Inny zespół")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "theirs.md").write_text("theirs")
    export = models.record_export(db, other, "markdown", "theirs.md")
    assert facilitator.get(f"/w/{workshop.public_id}/exports/{export.id}").status_code == 404


def test_history_lists_every_kind_newest_first(facilitator, workshop, db):
    agree(db, workshop)
    for path in ("poster.pdf?size=a2&frame=none", "card.pdf?size=a4", "record.csv"):
        assert facilitator.get(f"/w/{workshop.public_id}/{path}").status_code == 200
    response = facilitator.get(f"/w/{workshop.public_id}/exports", headers=HX)
    rows = soup(response).find_all("tr")[1:]
    texts = [" ".join(row.get_text(" ").split()) for row in rows]
    assert texts[0].startswith("Answers (CSV)") or "CSV" in texts[0]
    assert "A4" in texts[1]
    assert "A2" in texts[2] and "Bez ramy" in texts[2]


# The staff card ---------------------------------------------------------------------------


def test_staff_card_prints_the_agreed_routine_and_the_principles(
    facilitator, workshop, db, tmp_path
):
    agree(db, workshop)
    agree_routine(db, workshop)
    response = facilitator.get(f"/w/{workshop.public_id}/card.pdf?size=a5")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(response.data)
    assert page_size(pdf) == A5
    text = " ".join(pdf_text(pdf).split())
    assert "Wysłuchaj do końca" in text and "Zapisz, czego się nauczyliśmy" in text
    assert "Życzliwość" in text and "Poufność" in text
    assert json.loads(models.list_exports(db, workshop)[0].options) == {
        "size": "a5",
        "routine": True,
    }


def test_staff_card_without_an_agreed_routine_prints_the_principles(
    facilitator, workshop, db, tmp_path
):
    agree(db, workshop)
    models.propose_draft(db, workshop, "\n".join(ROUTINE), kind="routine")  # not agreed
    response = facilitator.get(f"/w/{workshop.public_id}/card.pdf?size=a4")
    assert response.status_code == 200
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(response.data)
    assert page_size(pdf) == A4
    text = " ".join(pdf_text(pdf).split())
    assert "Rzetelność" in text and "Wysłuchaj" not in text


def test_staff_card_sizes_and_missing_principles(facilitator, workshop, db):
    assert facilitator.get(f"/w/{workshop.public_id}/card.pdf").status_code == 422
    agree(db, workshop)
    assert facilitator.get(f"/w/{workshop.public_id}/card.pdf?size=a3").status_code == 404


# The workshop's record --------------------------------------------------------------------


def fill_room(db, workshop):
    """Answers with formulas, Markdown and dots; a draft, a round with a reason."""
    stage = models.current_stage(db, workshop)
    person, _key = models.add_participant(db, workshop)
    other, _key = models.add_participant(db, workshop)
    answers = {}
    bodies = ('=HYPERLINK("http://evil","x")', "+1", "-2", "@SUM(A1:A2)", "*Zdrowie* [a](b)")
    for body in bodies:
        answers[body] = models.add_answer(db, workshop, stage, person, body)
    models.open_voting(db, workshop, stage, budget=3)
    models.cast_vote(db, workshop, other, answers["+1"])
    models.cast_vote(db, workshop, person, answers["+1"])
    version = models.propose_draft(db, workshop, "Pomagamy ludziom — każdego dnia.")
    round_ = models.open_round(db, workshop, "mission", version, min_answers=1)
    models.answer_round(db, workshop, round_, person, 5, "Za ogólnie, brak pacjentów")
    models.close_round(db, workshop, round_)
    agree(db, workshop)
    return answers


def test_record_downloads_in_five_formats_and_is_kept(facilitator, workshop, db, tmp_path):
    fill_room(db, workshop)
    base = f"/w/{workshop.public_id}/record"
    types = {"pdf": "application/pdf", "csv": "text/csv", "md": "text/markdown"}
    types["json"] = "application/json"
    types["xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for fmt, mimetype in types.items():
        response = facilitator.get(f"{base}.{fmt}")
        assert response.status_code == 200, fmt
        assert response.mimetype == mimetype
        assert "attachment" in response.headers["Content-Disposition"]
    kinds = [export.kind for export in models.list_exports(db, workshop)]
    assert kinds == ["xlsx", "json", "markdown", "csv", "report"]
    assert len(list((tmp_path / "exports").iterdir())) == 5
    page = BeautifulSoup(facilitator.get(f"/w/{workshop.public_id}/poster").data, "html.parser")
    csv_link = page.select_one('a[href$="record.csv"]')
    assert csv_link.find_next_sibling("a")["href"].endswith("record.xlsx")
    assert "Excel" in csv_link.find_next_sibling("a").get_text()


def test_record_csv_opens_safely_in_a_spreadsheet(facilitator, workshop, db):
    fill_room(db, workshop)
    data = facilitator.get(f"/w/{workshop.public_id}/record.csv").data
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    body = rows[1:]
    assert len(body) == 5 and len({len(row) for row in rows}) == 1
    answers = [row[2] for row in body]
    assert '\'=HYPERLINK("http://evil","x")' in answers
    assert {"'+1", "'-2", "'@SUM(A1:A2)", "*Zdrowie* [a](b)"} <= set(answers)
    plus_one = next(row for row in body if row[2] == "'+1")
    assert plus_one[4] == "2"  # two dots
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_record_pdf_reads_like_a_report(facilitator, workshop, db, tmp_path):
    fill_room(db, workshop)
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(facilitator.get(f"/w/{workshop.public_id}/record.pdf").data)
    text = " ".join(pdf_text(pdf).split())
    assert "Przychodnia Pod Lipami" in text
    assert "=HYPERLINK" in text and "*Zdrowie* [a](b)" in text
    assert "Pomagamy ludziom — każdego dnia." in text
    assert "Za ogólnie, brak pacjentów" in text
    assert MISSION[:30] in text and "Poufność" in text


def test_the_staff_card_prints_only_agreed_principles(facilitator, workshop, db, tmp_path):
    models.replace_principles(db, workshop, PRINCIPLES)  # typed, never agreed
    page = BeautifulSoup(facilitator.get(f"/w/{workshop.public_id}/poster").data, "html.parser")
    assert not page.select('a[href*="card.pdf"]')
    assert "Zasady nie są jeszcze uzgodnione" in page.select_one(".card-problems").get_text()
    refused = facilitator.get(f"/w/{workshop.public_id}/card.pdf?size=a5")
    assert refused.status_code == 422 and "nie są jeszcze uzgodnione" in refused.text
    assert models.list_exports(db, workshop) == []
    round_ = models.open_round(db, workshop, "principles", None)
    for _ in range(3):
        person, _key = models.add_participant(db, workshop)
        models.answer_round(db, workshop, round_, person, 1)
    models.close_round(db, workshop, round_)  # the principles agreed in their own round
    page = BeautifulSoup(facilitator.get(f"/w/{workshop.public_id}/poster").data, "html.parser")
    assert len(page.select('a[href*="card.pdf"]')) == 2 and not page.select(".card-problems")
    response = facilitator.get(f"/w/{workshop.public_id}/card.pdf?size=a5")
    assert response.status_code == 200
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(response.data)
    assert "Rzetelność" in pdf_text(pdf)


# The warm-up as the server starts --------------------------------------------------------


def test_the_warm_up_lays_out_writes_and_rasterises_a_poster(app, monkeypatch):
    """What a first poster page would wait for is done: a poster laid out, written as PDF
    and drawn by the preview's rasteriser, with the app's own renderer."""
    drawn = []
    real = poster.rasterise

    def rasterise(pdf: bytes, width_px: int) -> bytes:
        png = real(pdf, width_px)
        drawn.append((pdf[:5], png[:8], width_px))
        return png

    monkeypatch.setattr(poster, "rasterise", rasterise)
    exports.warm_up(app)
    assert drawn == [(b"%PDF-", b"\x89PNG\r\n\x1a\n", exports.PREVIEW_WIDTH)]
    with app.app_context():
        assert any(static == Path(app.static_folder).resolve() for static, _ in poster._renderers)


def test_a_failed_warm_up_is_logged_and_never_raised(app, monkeypatch, caplog):
    def broken(width_px: int) -> None:
        raise OSError("no fonts")

    monkeypatch.setattr(poster, "warm_up", broken)
    exports.warm_up(app)  # the worker goes on serving
    assert "warming up the poster renderer failed" in caplog.text


def test_a_served_worker_starts_the_warm_up_in_a_background_thread(app, monkeypatch):
    """`workshop serve`'s worker hook hands its app to the warm-up in a daemon thread and
    returns at once, so the worker serves while it runs."""
    started = threading.Event()
    release = threading.Event()
    seen = []

    def warm_up(given) -> None:
        seen.append((given, threading.current_thread().daemon))
        started.set()
        release.wait(30)

    monkeypatch.setattr(cli, "warm_up", warm_up)
    monkeypatch.setattr(words, "load_in_background", lambda: None)
    monkeypatch.setattr(words, "loaded_lexicon", lambda: seen.append("dictionaries"))
    monkeypatch.setattr(gc, "freeze", lambda: seen.append("freeze"))
    cli.prepare_worker(SimpleNamespace(wsgi=app))  # returns while the warm-up still runs
    assert started.wait(30)
    assert seen == ["freeze", (app, True)]  # what the app loaded, frozen at once
    release.set()
    deadline = time.monotonic() + 30
    while len(seen) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == ["freeze", (app, True), "dictionaries", "freeze"]  # then all that is loaded
