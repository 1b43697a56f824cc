"""The clients' feedback link in print: the small QR code on the poster (a print option)
and the reception desk's table cards, read back from the PDFs as a phone would."""

import dataclasses
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask_babel import force_locale

from workshop import create_app, exports, models
from workshop.cli import main
from workshop.db import connect
from workshop.poster import (
    FRAMES,
    SIZES,
    Geometry,
    PosterError,
    PosterOptions,
    feedback_card_qr_mm,
    page_size,
    poster_qr_mm,
    render_poster,
)

from . import qr_scan
from .test_exports import HX, agree, pdf_text, save_options, soup
from .test_poster import SUBSET, TEXTS, TYPICAL, check_legible, check_page

MM = 72 / 25.4  # points
URL = "https://credo.example.org/c/Qm3xTtq0vWb9rJc7Lk2aZw"
ASKS = {"pl": "Jak było dziś?", "en": "How did we do today?"}


@pytest.fixture(scope="module")
def print_app(tmp_path_factory):
    base = tmp_path_factory.mktemp("print")
    return create_app({"TESTING": True, "DATABASE": str(base / "t.db"), "SECRET_KEY": "x"})


def poster_pdf(app, tmp_path: Path, text, options: PosterOptions) -> Path:
    with app.app_context():
        pdf = render_poster(text, options)
    path = tmp_path / f"{options.size}-{options.orientation}-{options.frame}.pdf"
    path.write_bytes(pdf)
    return path


def poster_qr(path: Path, options: PosterOptions, url: str = URL):
    """Find the poster's QR code right of its caption; return (matrix, quiet zone clear,
    the code's box in points, the caption's words)."""
    asking = [w for w in qr_scan.words(path) if w[4] in ("dziś?", "today?")]
    assert len(asking) == 1, "the caption is on the page once"
    _x0, y0, x1, y1, _ = asking[0]
    side = poster_qr_mm(options.size, options.orientation) * MM
    width, height = page_size(options.size, options.orientation)
    geometry = Geometry(width, height, options.frame)
    # The text block's right edge, or the gold frame's corner ornament's left edge.
    inset = geometry.rule_run if options.frame == "gold" else geometry.text_left
    right = (width - inset) * MM
    middle = (y0 + y1) / 2
    box = (x1 + 1, middle - side / 2 - 0.5 * MM, right + 0.5 * MM, middle + side / 2 + 0.5 * MM)
    image = qr_scan.crop(path, box)
    matrix, clear = qr_scan.read_matrix(image, len(qr_scan.expected_matrix(url)))
    return matrix, clear, (right - side, middle - side / 2, right, middle + side / 2)


def overlaps(one, two) -> bool:
    return one[0] < two[2] and two[0] < one[2] and one[1] < two[3] and two[1] < one[3]


# The QR code on the poster ----------------------------------------------------------------


@pytest.mark.parametrize("frame", list(FRAMES))
@pytest.mark.parametrize("size", list(SIZES))
def test_the_posters_qr_code_scans_and_meets_nothing(print_app, tmp_path, size, frame):
    options = PosterOptions(size=size, frame=frame, feedback_qr=True)
    text = dataclasses.replace(TYPICAL, feedback_url=URL, city="Łódź", signature="Zespół")
    path = poster_pdf(print_app, tmp_path, text, options)
    matrix, clear, box = poster_qr(path, options)
    assert matrix == qr_scan.expected_matrix(URL)
    assert clear, "four modules of quiet zone all round"
    width, height = page_size(size)
    geometry = Geometry(width, height, frame)
    block = (
        geometry.text_left * MM,
        geometry.text_top * MM,
        (width - geometry.text_left) * MM,
        (height - geometry.text_top) * MM,
    )
    assert block[0] <= box[0] and box[2] <= block[2] + 0.01  # inside the frame's window
    assert block[1] <= box[1] and box[3] <= block[3] + 0.01
    if frame == "gold":  # and clear of the corner ornaments, which reach into the block
        near, far = geometry.rule * MM, geometry.rule_run * MM
        for x0, x1 in ((near, far), (width * MM - far, width * MM - near)):
            for y0, y1 in ((near, far), (height * MM - far, height * MM - near)):
                assert not overlaps((x0, y0, x1, y1), box)
    for word in qr_scan.words(path):
        assert not overlaps(word[:4], box), word
    footer = [w for w in qr_scan.words(path) if w[4] == "Zespół"]
    assert footer and footer[-1][3] <= box[1], "the signature stays above the code"


def test_the_qr_code_is_vector_and_asks_in_the_posters_language(print_app, tmp_path):
    options = PosterOptions(size="a3", frame="modern", feedback_qr=True)
    english = dataclasses.replace(TYPICAL, language="en", feedback_url=URL)
    path = poster_pdf(print_app, tmp_path, english, options)
    assert ASKS["en"] in " ".join(pdf_text(path).split())
    listed = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True)
    assert len(listed.stdout.strip().splitlines()) == 2, "no raster image: the code is paths"
    without = poster_pdf(print_app, tmp_path, english, dataclasses.replace(options, size="a2"))
    assert ASKS["en"] in pdf_text(without)
    plain = poster_pdf(
        print_app, tmp_path, english, PosterOptions(size="a4", frame="modern")
    )  # the option off: no code, no caption
    assert ASKS["en"] not in pdf_text(plain)


@pytest.mark.parametrize(("size", "orientation", "frame"), SUBSET)
@pytest.mark.parametrize("name", list(TEXTS))
def test_texts_still_fit_with_the_qr_code(print_app, tmp_path, name, size, orientation, frame):
    options = PosterOptions(size, orientation, frame, feedback_qr=True)
    text = dataclasses.replace(TEXTS[name], feedback_url=URL)
    if (name, size, orientation) == ("120 words, 12", "a4", "landscape"):
        # Already within 2 % of the legibility floor without the code: the poster asks for
        # a larger size, and A3 takes it.
        with pytest.raises(PosterError), print_app.app_context():
            render_poster(text, options)
        options = dataclasses.replace(options, size="a3")
    path = poster_pdf(print_app, tmp_path, text, options)
    check_page(path, options)
    check_legible(path, options.size)
    matrix, clear, _box = poster_qr(path, options)
    assert matrix == qr_scan.expected_matrix(URL) and clear


def test_the_option_is_off_by_default_and_saved_with_the_others(facilitator, workshop, db):
    agree(db, workshop)
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    assert not page.select_one("#feedback_qr").has_attr("checked")
    assert save_options(facilitator, workshop, feedback_qr="y").status_code == 200
    saved = json.loads(models.get_poster_settings(db, workshop).options)
    assert saved["feedback_qr"] is True
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    assert page.select_one("#feedback_qr").has_attr("checked")
    assert "feedback_qr=1" in page.select_one(".preview-image")["src"]
    response = facilitator.get(f"/w/{workshop.public_id}/poster.pdf")
    assert response.status_code == 200
    assert json.loads(models.list_exports(db, workshop)[0].options)["feedback_qr"] is True
    history = soup(facilitator.get(f"/w/{workshop.public_id}/exports", headers=HX)).get_text()
    assert "kod QR do opinii" in history
    assert save_options(facilitator, workshop).status_code == 200  # unticked: off again
    assert json.loads(models.get_poster_settings(db, workshop).options)["feedback_qr"] is False


def test_the_poster_prints_the_link_phones_open(facilitator, workshop, db, app, tmp_path):
    agree(db, workshop)
    app.config["BASE_URL"] = "https://credo.example.org"
    save_options(facilitator, workshop, feedback_qr="y", size="a4", frame="none")
    response = facilitator.get(f"/w/{workshop.public_id}/poster.pdf")
    path = tmp_path / "poster.pdf"
    path.write_bytes(response.data)
    url = f"https://credo.example.org/c/{workshop.feedback_token}"
    options = PosterOptions(**{**OPTIONS_A4_NONE, "feedback_qr": True})
    matrix, clear, _box = poster_qr(path, options, url)
    assert matrix == qr_scan.expected_matrix(url) and clear
    assert ASKS["pl"] in pdf_text(path)


OPTIONS_A4_NONE = {"size": "a4", "orientation": "portrait", "frame": "none", "theme": "ivory"}


# The table cards --------------------------------------------------------------------------


def card_qr(path: Path, size: str, url: str):
    """Find the table card's QR code: centred, above its short link."""
    width = {"a6": 105.0, "a5": 148.0}[size] * MM
    side = feedback_card_qr_mm(size) * MM
    link = [w for w in qr_scan.words(path) if "/c/" in w[4]]
    assert len(link) == 1
    top = link[0][1] - side - 3 * MM
    box = (width / 2 - side / 2 - 0.5 * MM, top, width / 2 + side / 2 + 0.5 * MM, link[0][1])
    image = qr_scan.crop(path, box)
    return qr_scan.read_matrix(image, len(qr_scan.expected_matrix(url)))


def fonts_of(path: Path) -> list[list[str]]:
    listed = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    return [line.split() for line in listed.splitlines()[2:]]


@pytest.mark.parametrize(("size", "points"), [("a6", (298, 420)), ("a5", (420, 595))])
def test_table_card_prints_the_question_the_code_the_link_and_why(
    facilitator, workshop, db, app, tmp_path, size, points
):
    agree(db, workshop)
    app.config["BASE_URL"] = "https://credo.example.org"
    response = facilitator.get(f"/w/{workshop.public_id}/table-card/{size}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "table-card.pdf"
    path.write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    width, height = (float(v) for v in info.split("Page size:")[1].split("pts")[0].split(" x "))
    assert (round(width), round(height)) == points
    text = " ".join(pdf_text(path).split())
    url = f"https://credo.example.org/c/{workshop.feedback_token}"
    assert workshop.title.replace(" ", "") in text.replace(" ", "")  # letter-spaced
    assert ASKS["pl"] in text
    assert f"credo.example.org/c/{workshop.feedback_token}" in text
    assert "Twoja odpowiedź pomaga nam dotrzymać obietnicy" in text
    assert "Każdego dnia z życzliwością" in text  # the mission's first line
    matrix, clear = card_qr(path, size, url)
    assert matrix == qr_scan.expected_matrix(url) and clear
    fonts = fonts_of(path)
    assert fonts and all(row[0].split("+")[-1].startswith("Credo-") for row in fonts), fonts
    assert all("yes" == row[-5] for row in fonts), "every font embedded"
    kept = models.list_exports(db, workshop)
    assert kept[0].kind == "table-card" and json.loads(kept[0].options) == {"size": size}
    again = facilitator.get(f"/w/{workshop.public_id}/table-card/{size}.pdf")
    assert again.data == response.data
    assert len(models.list_exports(db, workshop)) == 1, "one kept copy per identical export"


def test_table_cards_are_on_the_poster_page_before_the_mission_is_agreed(
    facilitator, workshop, app, tmp_path
):
    page = soup(facilitator.get(f"/w/{workshop.public_id}/poster"))
    links = [a["href"] for a in page.select('a[href*="table-card/"]')]
    assert links == [
        f"/w/{workshop.public_id}/table-card/a6.pdf",
        f"/w/{workshop.public_id}/table-card/a5.pdf",
    ]
    response = facilitator.get(links[0])
    assert response.status_code == 200
    path = tmp_path / "card.pdf"
    path.write_bytes(response.data)
    text = " ".join(pdf_text(path).split())
    assert "Twoja odpowiedź pomaga nam dotrzymać obietnicy." in text  # no mission yet
    assert facilitator.get(f"/w/{workshop.public_id}/table-card/a4.pdf").status_code == 404


def test_the_promise_is_the_missions_first_line_kept_short():
    assert exports.promise_line("Słuchamy do końca.\nI tak dalej.") == "Słuchamy do końca."
    long_line = "Pierwsze zdanie jest krótkie. " + "a" * 200
    assert exports.promise_line(long_line) == "Pierwsze zdanie jest krótkie."
    assert exports.promise_line("b" * 200) == ""
    assert exports.promise_line("") == ""


def test_from_the_command_line_the_card_needs_the_public_address(app, db, workshop):
    with app.app_context(), force_locale("pl"):
        app.config["BASE_URL"] = None
        with pytest.raises(PosterError):
            exports.write_feedback_card(db, workshop, "a6")
        app.config["BASE_URL"] = "https://credo.example.org/"
        _pdf, path = exports.write_feedback_card(db, workshop, "a6")
        assert exports.feedback_url(workshop).startswith("https://credo.example.org/c/")
    assert path.exists()


def test_the_command_line_prints_table_cards_on_the_public_address(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", str(tmp_path / "exports"))
    made = CliRunner().invoke(main, ["create", "--title", "Klinika", "--lang", "pl", "--json"])
    workshop_id = json.loads(made.output)["id"]
    out = tmp_path / "card.pdf"
    args = ["export", workshop_id, "--format", "table-card", "--size", "a5", "-o", str(out)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "WORKSHOP_BASE_URL" in refused.output
    assert not out.exists()
    monkeypatch.setenv("WORKSHOP_BASE_URL", "https://credo.klinika.pl")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    db = connect(str(tmp_path / "cli.db"))
    token = models.get_workshop(db, workshop_id).feedback_token
    db.close()
    assert f"credo.klinika.pl/c/{token}" in pdf_text(out)
    wrong = CliRunner().invoke(main, [*args[:5], "a4", "-o", str(out)])
    assert wrong.exit_code == 2 and "a6 or a5" in wrong.output
