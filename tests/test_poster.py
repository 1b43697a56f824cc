"""The framed poster PDF: one page, right size, real text, our fonts, gold frame."""

import datetime
import re
import subprocess
from pathlib import Path

import pytest

from workshop import create_app
from workshop.poster import (
    PosterError,
    PosterText,
    clean_text,
    page_size,
    render_poster,
    typeset,
    unsupported_characters,
)

DATE = datetime.date(2026, 11, 23)
POLISH = "ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ „cytat” — myślnik"

TYPICAL = PosterText(
    team="Przychodnia Rodzinna „Pod Lipami”",
    mission=(
        "Jesteśmy po to, by każdy pacjent wychodził od nas spokojniejszy niż przyszedł. "
        "Słuchamy uważnie, tłumaczymy prostym językiem i leczymy zgodnie z aktualną wiedzą. "
        f"Dbamy o siebie nawzajem: {POLISH}."
    ),
    principles=(
        ("Uważność", "najpierw słuchamy, potem radzimy"),
        ("Jasność", "mówimy prosto i sprawdzamy, czy zostaliśmy zrozumiani"),
        ("Rzetelność", "leczymy zgodnie z aktualną wiedzą medyczną"),
        ("Punktualność", "szanujemy czas pacjentów i uprzedzamy o opóźnieniach"),
        ("Dyskrecja", "chronimy dane i tajemnicę lekarską w każdej rozmowie"),
        ("Zespół", "wspieramy się nawzajem i wspólnie uczymy się na błędach"),
    ),
    language="pl",
    date=DATE,
)

_WORDS = (
    "Każdego dnia z życzliwością i szacunkiem troszczymy się o zdrowie mieszkańców naszej "
    "dzielnicy, łącząc rzetelną wiedzę medyczną z uważną rozmową i cierpliwością"
).split()
_LINE = (
    "Zawsze staramy się działać z pełnym zaangażowaniem, szacunkiem i cierpliwością wobec "
    "każdego pacjenta, rodziny oraz współpracowników, także w trudnych chwilach dnia."
)
LONGEST = PosterText(
    team="Niepubliczny Zakład Opieki Zdrowotnej „Zdrowie Rodziny” w Łodzi",
    mission=" ".join((_WORDS * 10)[:120]) + ".",
    principles=tuple(
        (f"{n}. Współodpowiedzialność za wspólne sprawy"[:40], _LINE[:160]) for n in range(1, 13)
    ),
    language="pl",
    date=DATE,
)
SHORTEST = PosterText(
    team="Gabinet Zdrowia",
    mission="Leczymy z sercem i wiedzą.",
    principles=(("Szacunek", "dla każdego"), ("Wiedza", "aktualna"), ("Czas", "dla pacjenta")),
    language="pl",
    date=DATE,
)
PAYLOADS = ("<script>alert(1)</script>", "{{7*7}}", '<div hx-get="/x">')
HOSTILE = PosterText(
    team="Team {{7*7}}",
    mission=f"We print {PAYLOADS[0]} and {PAYLOADS[1]} as text, never as markup.",
    principles=(
        ("Escaping", PAYLOADS[2]),
        ("Templates", "{% raw %}{{ config }}{% endraw %} stays text"),
        ("Bidi", "no \u202eoverride\u202c or \u2066isolate\u2069 survives"),
    ),
    language="en",
    date=DATE,
)


@pytest.fixture(scope="module")
def poster_app(tmp_path_factory):
    base = tmp_path_factory.mktemp("poster")
    return create_app(
        {
            "TESTING": True,
            "DATABASE": str(base / "t.db"),
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
        }
    )


@pytest.fixture(scope="module")
def render(poster_app, tmp_path_factory):
    """Render a poster once per input and return the path of its PDF."""
    folder = tmp_path_factory.mktemp("pdf")
    done: dict[PosterText, Path] = {}

    def rendered(text: PosterText) -> Path:
        if text not in done:
            with poster_app.app_context():
                pdf = render_poster(text)
            done[text] = folder / f"poster-{len(done)}.pdf"
            done[text].write_bytes(pdf)
        return done[text]

    return rendered


def run(*command: str | Path) -> str:
    return subprocess.run(
        [str(part) for part in command], check=True, capture_output=True, text=True
    ).stdout


def pdf_text(path: Path) -> str:
    """Return the PDF's text with no-break spaces and line breaks folded into single spaces."""
    return " ".join(run("pdftotext", path, "-").replace("\u00a0", " ").split())


def pdf_info(path: Path) -> dict[str, str]:
    lines = run("pdfinfo", path).splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def test_a3_poster_is_a3_portrait(render):
    size = pdf_info(render(TYPICAL))["Page size"]
    width, height = map(float, re.match(r"\s*([\d.]+) x ([\d.]+) pts", size).groups())
    assert width == pytest.approx(841.9, abs=1)
    assert height == pytest.approx(1190.6, abs=1)


@pytest.mark.parametrize("text", [TYPICAL, LONGEST, SHORTEST], ids=["typical", "longest", "5-word"])
def test_poster_is_exactly_one_page(render, text):
    assert pdf_info(render(text))["Pages"].strip() == "1"


def test_pdf_text_has_the_mission_and_every_polish_letter(render):
    text = pdf_text(render(TYPICAL))
    assert POLISH in text
    for word in TYPICAL.mission.split():
        assert word in text
    for name, line in TYPICAL.principles:
        assert name in text
        assert line in text
    assert "23listopada2026" in text.replace(" ", "")


def test_longest_text_is_all_there(render):
    text = pdf_text(render(LONGEST))
    assert " ".join(LONGEST.mission.split()[-12:]) in text
    assert _LINE[:60] in text


def test_fonts_are_embedded_and_ours(render):
    rows = run("pdffonts", render(TYPICAL)).splitlines()[2:]
    names = [row.split()[0] for row in rows]
    assert {name.split("+", 1)[1].rsplit("-", 1)[0] for name in names} >= {
        "Credo-Garamond",
        "Credo-Cinzel",
    }
    for row in rows:
        name, *_, emb, sub, uni, _obj, _gen = row.split()
        assert re.fullmatch(r"[A-Z]{6}\+Credo-(Garamond|Cinzel)(-\w+)?", name), row
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row


def test_markup_and_template_payloads_print_literally(render):
    text = pdf_text(render(HOSTILE))
    # A line may break inside a payload; compare without the spaces that breaks add.
    flat = text.replace(" ", "")
    for payload in [*PAYLOADS, "{% raw %}{{ config }}{% endraw %}", "nooverrideorisolate"]:
        assert payload.replace(" ", "") in flat
    assert "49" not in text
    assert "November 23, 2026" in text


def test_metadata_names_the_team_and_language(render):
    info = pdf_info(render(TYPICAL))
    assert info["Author"].strip() == TYPICAL.team
    assert TYPICAL.team in info["Title"]
    assert info["CreationDate"].strip().startswith("Mon Nov 23")
    assert info["Tagged"].strip() == "yes"


def test_identical_input_gives_identical_bytes(poster_app, render):
    with poster_app.app_context():
        again = render_poster(TYPICAL)
    assert again == render(TYPICAL).read_bytes()


def test_unsupported_characters_are_named(poster_app):
    assert unsupported_characters("Zażółć gęślą jaźń 你 ☃\t\n") == {"你", "☃"}
    assert unsupported_characters("bez \u202ekontroli\u202c\ue000") == set()
    mission = "Leczymy z sercem, wiedzą i uśmiechem 你好."
    with poster_app.app_context(), pytest.raises(PosterError, match="你.*好|好.*你"):
        render_poster(PosterText("Zespół", mission, SHORTEST.principles, "pl", DATE))


def test_text_too_long_for_a_legible_size_is_refused(poster_app):
    long_line = "Słuchamy, tłumaczymy i sprawdzamy, czy wszystko jest jasne. " * 6
    text = PosterText("Zespół", long_line * 4, (("Zasada", long_line),) * 12, "pl", DATE)
    with poster_app.app_context(), pytest.raises(PosterError, match="legible"):
        render_poster(text)


def test_frame_is_gold_at_the_edges_and_paper_light_in_the_centre(render, tmp_path):
    run("pdftoppm", "-r", "20", "-singlefile", render(TYPICAL), tmp_path / "page")
    width, height, pixels = read_ppm(tmp_path / "page.ppm")

    def at(x: int, y: int) -> tuple[int, int, int]:
        offset = 3 * (y * width + x)
        return pixels[offset], pixels[offset + 1], pixels[offset + 2]

    for inset_mm in (11, 17):  # the outer moulding and the inner bead of the frame
        band = int(inset_mm / 25.4 * 20)
        for x, y in [
            (width // 2, band),
            (width // 2, height - 1 - band),
            (band, height // 2),
            (width - 1 - band, height // 2),
        ]:
            red, green, blue = at(x, y)
            assert red > 110 and red - blue > 50 and green > blue, (inset_mm, x, y, at(x, y))
            assert red + green + blue < 690, (inset_mm, x, y, at(x, y))
    centre = sorted(
        sum(at(x, y))
        for x in range(width * 2 // 5, width * 3 // 5)
        for y in range(height * 2 // 5, height * 3 // 5)
    )
    assert centre[len(centre) // 2] > 3 * 225


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    """Read a binary PPM (P6) as width, height and RGB bytes."""
    data = path.read_bytes()
    magic, width, height, _maximum, pixels = data.split(maxsplit=4)
    assert magic == b"P6"
    return int(width), int(height), pixels


def test_page_sizes_and_orientations():
    assert page_size("a3") == (297.0, 420.0)
    assert page_size("a4", "landscape") == (297.0, 210.0)
    assert page_size("ledger") == (279.4, 431.8)
    assert page_size("letter") == (215.9, 279.4)
    assert page_size("a2") == (420.0, 594.0)
    with pytest.raises(ValueError):
        page_size("tabloid")
    with pytest.raises(ValueError):
        page_size("a3", "sideways")


def test_text_is_cleaned_and_typeset_the_polish_way():
    assert clean_text("a\u0328\u202e x\u2066y\u2069\ue000\x07  z\n") == "ą xy z"
    assert typeset("Dbamy o siebie i w pracy, i w domu", "pl") == (
        "Dbamy o\u00a0siebie i\u00a0w\u00a0pracy, i\u00a0w\u00a0domu"
    )
    assert typeset("Uważność — najpierw słuchamy", "pl") == "Uważność\u00a0— najpierw\u00a0słuchamy"


def test_poster_resources_come_only_from_our_folders(poster_app):
    from workshop.poster import _locked_fetcher

    static = Path(poster_app.static_folder).resolve()
    fetch = _locked_fetcher((static,)).fetch
    assert fetch((static / "poster" / "corner.svg").as_uri()).read().startswith(b"<svg")
    assert fetch("data:text/plain,ok").read() == b"ok"
    for url in [
        "file:///etc/passwd",
        (static / "poster" / ".." / ".." / "pyproject.toml").as_uri(),
        "http://example.org/poster.css",
        "ftp://example.org/font.ttf",
    ]:
        with pytest.raises(ValueError):
            fetch(url)
