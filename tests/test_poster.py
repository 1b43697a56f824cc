"""The framed poster PDF: one page, right size, real text, our fonts, gold frame."""

import dataclasses
import datetime
import io
import re
import struct
import subprocess
import threading
import zlib
from pathlib import Path

import pytest
from flask_babel import force_locale
from fontTools.ttLib import TTFont
from PIL import Image, ImageFile
from pypdf import PdfReader
from weasyprint.css import StyleFor
from weasyprint.html import UA

from tests import frame_corners
from workshop import create_app
from workshop import poster as poster_module
from workshop.poster import (
    CARD_SIZES,
    FRAME_STYLES,
    FRAMES,
    LOGO_MAX_PX,
    PALETTES,
    SIZES,
    THEMES,
    CardText,
    Geometry,
    PosterError,
    PosterOptions,
    PosterText,
    clean_text,
    clear_caches,
    footer_line,
    lean_ua_css,
    legible_minimum_pt,
    page_size,
    prepare_logo,
    reading_distance_m,
    reading_distances,
    recommended_size,
    render_document,
    render_poster,
    render_preview,
    render_staff_card,
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
    """Render a poster once per input and options; return the path of its PDF."""
    folder = tmp_path_factory.mktemp("pdf")
    done: dict[tuple[PosterText, PosterOptions], Path] = {}

    def rendered(text: PosterText, options: PosterOptions | None = None) -> Path:
        options = options or PosterOptions()
        if (text, options) not in done:
            with poster_app.app_context():
                pdf = render_poster(text, options)
            path = folder / f"poster-{len(done)}.pdf"
            path.write_bytes(pdf)
            done[text, options] = path
        return done[text, options]

    return rendered


def run(*command: str | Path) -> str:
    return subprocess.run(
        [str(part) for part in command], check=True, capture_output=True, text=True
    ).stdout


def pdf_text(path: Path, *options: str) -> str:
    """Return the PDF's text with no-break spaces and line breaks folded into single spaces."""
    return " ".join(run("pdftotext", *options, path, "-").replace("\u00a0", " ").split())


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
    assert "Zespół · 2026" in text  # the footer signs: who and when


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
    assert "The team · 2026" in text


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
    with poster_app.app_context(), pytest.raises(PosterError, match="czytelnie"):  # a Polish poster
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


# ── Options ──────────────────────────────────────────────────────────────────


def test_options_round_trip_through_a_dict_and_ignore_unknown_keys():
    options = PosterOptions("a2", "landscape", "black", "navy", bleed=True, archival=True)
    assert PosterOptions.from_dict(options.as_dict()) == options
    assert options.as_dict() == {
        "size": "a2",
        "orientation": "landscape",
        "frame": "black",
        "theme": "navy",
        "bleed": True,
        "archival": True,
        "feedback_qr": False,  # options saved before the QR code was one read as off
    }
    assert PosterOptions.from_dict({"frame": "wood", "dpi": 300}) == PosterOptions(frame="wood")
    assert PosterOptions.from_dict({}) == PosterOptions()


@pytest.mark.parametrize(
    "data",
    [
        {"size": "tabloid"},
        {"orientation": "sideways"},
        {"frame": "plastic"},
        {"theme": "neon"},
        {"bleed": "yes"},
        {"archival": 1},
        {"size": None},
    ],
)
def test_bad_option_values_are_refused(data):
    with pytest.raises(ValueError):
        PosterOptions.from_dict(data)


def test_frames_and_themes_have_translated_labels(poster_app):
    assert set(FRAMES) == {"gold", "wood", "black", "modern", "none"}
    assert {"ivory", "white"} <= set(THEMES) and len(THEMES) >= 3
    with poster_app.test_request_context(), poster_app.app_context():
        assert all(str(label) for label in [*FRAMES.values(), *THEMES.values()])


def contrast(one: str, two: str) -> float:
    """Return the WCAG contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(one), luminance(two)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("theme", sorted(PALETTES))
def test_every_theme_prints_its_text_at_seven_to_one(theme):
    palette = PALETTES[theme]
    for ink in palette.inks:
        for paper in palette.papers:
            assert contrast(ink, paper) >= 7, (theme, ink, paper)


# ── The matrix: sizes × frames, texts × principle counts ────────────────────

SHORT12 = dataclasses.replace(
    SHORTEST,
    principles=tuple((f"Zasada {n}", "dla każdego pacjenta") for n in range(1, 13)),
)
LONG = dataclasses.replace(
    TYPICAL,
    mission=" ".join((_WORDS * 10)[:120]) + ".",
    principles=tuple(
        (f"Zasada {n}", "wspieramy się nawzajem i uczymy się razem na błędach")
        for n in range(1, 13)
    ),
    city="Łódź",
)
LONG3 = dataclasses.replace(LONG, principles=LONG.principles[:3])
TEXTS = {
    "5 words, 3": SHORTEST,
    "5 words, 12": SHORT12,
    "120 words, 3": LONG3,
    "120 words, 12": LONG,
}
SUBSET = [
    ("a4", "landscape", "black"),
    ("letter", "portrait", "gold"),
    ("a3", "landscape", "wood"),
    ("ledger", "portrait", "modern"),
    ("a2", "landscape", "none"),
]
DPI = 40
MM = 72 / 25.4  # points


def pdf_boxes(path: Path) -> dict[str, tuple[float, ...]]:
    """Return the page boxes pdfinfo reports, in points."""
    boxes = {}
    for line in run("pdfinfo", "-box", path).splitlines():
        if match := re.match(r"(\w+Box):\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", line):
            boxes[match[1]] = tuple(float(value) for value in match.groups()[1:])
    return boxes


def raster(path: Path, dpi: int = DPI) -> Image.Image:
    """Rasterise the PDF's page with pdftoppm and return it as an RGB image."""
    stem = path.with_name(f"{path.stem}-{dpi}")
    if not stem.with_suffix(".png").exists():
        run("pdftoppm", "-r", str(dpi), "-png", "-singlefile", path, stem)
    with Image.open(stem.with_suffix(".png")) as image:
        return image.convert("RGB")


def close(one: tuple[int, ...], two: tuple[int, ...], tolerance: int = 12) -> bool:
    return sum(abs(a - b) for a, b in zip(one, two, strict=True)) <= tolerance


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def ink_box(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """Return the bounding box (in page pixels) of dark ink inside ``box``."""
    dark = image.crop(box).convert("L").point(lambda value: 255 if value < 100 else 0)
    found = dark.getbbox()
    if found is None:
        return None
    return (found[0] + box[0], found[1] + box[1], found[2] + box[0], found[3] + box[1])


def check_frame_and_ink(path: Path, options: PosterOptions) -> None:
    """The frame is painted (or, frameless, the edges are plain paper) and no ink crosses it."""
    image = raster(path)
    px = DPI / 25.4
    geometry = Geometry(*page_size(options.size, options.orientation), options.frame)
    page = hex_rgb(PALETTES[options.theme].page)
    width, height = image.size
    middles = [(width // 2, None), (None, height // 2)]
    assert close(image.getpixel((1, 1)), page), "the trim's corner is plain paper"
    if options.frame == "none":
        # The page's last row and column of pixels are partly off the page (white).
        inset = int((geometry.text_left - 4) * px)
        for x in range(inset):
            for y in (height // 3, height // 2, 2 * height // 3):
                assert close(image.getpixel((x, y)), page), (x, y)
                assert close(image.getpixel((width - 2 - x, y)), page), (x, y)
        for y in range(inset):
            assert close(image.getpixel((width // 2, y)), page)
            assert close(image.getpixel((width // 2, height - 2 - y)), page)
    else:
        outer = geometry.layers[0][1]
        band = range(int(outer * px) + 1, max(int(geometry.window * px), int(outer * px) + 3))
        for x_mid, y_mid in middles:
            for flip in (False, True):
                samples = []
                for step in band:
                    if x_mid is not None:
                        y = height - 1 - step if flip else step
                        samples.append(image.getpixel((x_mid, y)))
                    else:
                        x = width - 1 - step if flip else step
                        samples.append(image.getpixel((x, y_mid)))
                assert (
                    max(sum(abs(a - b) for a, b in zip(s, page, strict=True)) for s in samples) > 80
                )
    window = int((geometry.window + 1) * px) + 1
    inside = (window, window, width - window, height - window)
    found = ink_box(image, inside)
    assert found is not None, "the text is on the page"
    margin = int(1 * px)
    assert found[0] >= inside[0] + margin and found[1] >= inside[1] + margin, (found, inside)
    assert found[2] <= inside[2] - margin and found[3] <= inside[3] - margin, (found, inside)


def check_page(path: Path, options: PosterOptions) -> None:
    """One page of the named size: the TrimBox; with bleed, the BleedBox exactly 3 mm
    past it and the MediaBox a 9 mm slug past that, for the crop marks."""
    info = pdf_info(path)
    assert info["Pages"].strip() == "1"
    width, height = (mm * 72 / 25.4 for mm in page_size(options.size, options.orientation))
    boxes = pdf_boxes(path)
    x0, y0, x1, y1 = boxes["TrimBox"]
    assert x1 - x0 == pytest.approx(width, abs=0.5)
    assert y1 - y0 == pytest.approx(height, abs=0.5)
    bleed = 3 * MM if options.bleed else 0
    slug = 9 * MM if options.bleed else 0
    for box, past in (("BleedBox", bleed), ("MediaBox", bleed + slug)):
        x0, y0, x1, y1 = boxes[box]
        assert (x0, y0) == (pytest.approx(-past, abs=0.01), pytest.approx(-past, abs=0.01))
        assert x1 - x0 == pytest.approx(width + 2 * past, abs=0.01)
        assert y1 - y0 == pytest.approx(height + 2 * past, abs=0.01)


def check_fonts(path: Path) -> None:
    """Every font is one of ours, embedded and subset (no silent system fallback)."""
    rows = run("pdffonts", path).splitlines()[2:]
    assert rows
    for row in rows:
        name, *_, emb, sub, uni, _obj, _gen = row.split()
        assert re.fullmatch(r"[A-Z]{6}\+Credo-(Garamond|Cinzel)(-\w+)?", name), row
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row


def drawn_characters(path: Path) -> set[str]:
    """Return the characters the PDF draws with a real (non-empty, non-.notdef) glyph."""
    drawn: set[str] = set()
    fonts = PdfReader(path).pages[0]["/Resources"]["/Font"]
    for reference in fonts.values():
        font = reference.get_object()
        assert font["/Encoding"] == "/Identity-H"
        descendant = font["/DescendantFonts"][0].get_object()
        assert descendant["/CIDToGIDMap"] == "/Identity"
        program = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        with TTFont(io.BytesIO(program)) as ttf:
            glyphs = ttf.getGlyphOrder()
            table = ttf["glyf"]
            cmap = font["/ToUnicode"].get_object().get_data().decode()
            for code, text in re.findall(r"<([0-9a-f]{4})> <([0-9a-f]+)>", cmap):
                gid = int(code, 16)
                if gid == 0 or gid >= len(glyphs):
                    continue
                char = bytes.fromhex(text).decode("utf-16-be")
                if char.isspace() or table[glyphs[gid]].numberOfContours != 0:
                    drawn.add(char)
    return drawn


def check_text(path: Path, text: PosterText) -> None:
    """All of the text is extractable, and every character is drawn from our fonts."""
    extracted = pdf_text(path, "-raw").replace(" ", "")  # in drawing order, column by column
    for word in clean_text(text.mission).split():
        assert word in extracted, word
    for name, line in text.principles:
        assert name.replace(" ", "") in extracted
        assert line.replace(" ", "") in extracted
    wanted = set(text.team + text.mission + text.city + "".join(map("".join, text.principles)))
    missing = {char for char in wanted if not char.isspace()} - drawn_characters(path)
    assert not missing


def type_sizes(path: Path) -> list[tuple[float, str, str]]:
    """Return (size in pt, font name, text) for every run of text on the page."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font is not None:
            scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
            runs.append((size * scale, str(font["/BaseFont"]), text))

    PdfReader(path).pages[0].extract_text(visitor_text=visit)
    return runs


def check_legible(path: Path, size: str) -> None:
    """No Garamond text is set below the paper's legible minimum; Cinzel numerals and
    labels (capitals and small capitals, larger per point) at most 10 % below it."""
    floor = legible_minimum_pt(size)
    for pt, font, text in type_sizes(path):
        least = floor if "Garamond" in font else 0.9 * floor
        assert pt >= least - 0.01, (pt, font, text)


@pytest.mark.parametrize("frame", list(FRAMES))
@pytest.mark.parametrize("size", list(SIZES))
def test_every_frame_at_every_size(render, size, frame):
    options = PosterOptions(size=size, frame=frame)
    path = render(TYPICAL, options)
    check_page(path, options)
    check_fonts(path)
    check_frame_and_ink(path, options)


@pytest.mark.parametrize(("size", "orientation", "frame"), SUBSET)
@pytest.mark.parametrize("name", list(TEXTS))
def test_short_and_long_texts_fit_legibly(render, name, size, orientation, frame):
    text = TEXTS[name]
    options = PosterOptions(size=size, orientation=orientation, frame=frame)
    path = render(text, options)
    check_page(path, options)
    check_text(path, text)
    check_legible(path, size)
    check_frame_and_ink(path, options)


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_theme_renders_with_its_paper(render, theme):
    options = PosterOptions(theme=theme, frame="modern", size="a4")
    path = render(TYPICAL, options)
    check_frame_and_ink(path, options)
    centre = raster(path).getpixel((5, 5))
    assert close(centre, hex_rgb(PALETTES[theme].page))


def text_runs(path: Path) -> list[tuple[float, float, str]]:
    """Return (x, baseline y, text) in points for every run of text on the page."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font is not None:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((x, y, text))

    PdfReader(path).pages[0].extract_text(visitor_text=visit)
    return runs


def check_numbers_on_baseline(path: Path, count: int) -> None:
    """Every list number ("1." …) stands on the baseline of the text beside it."""
    runs = text_runs(path)
    numbers = [(x, y) for x, y, text in runs if re.fullmatch(r"\d+\.", text.strip())]
    assert len(numbers) >= count
    for x, y in numbers:
        beside = [ry for rx, ry, text in runs if 0 < rx - x < 60 and abs(ry - y) < 6]
        assert beside, (x, y)
        assert min(abs(ry - y) for ry in beside) < 0.05, (x, y, beside)


@pytest.mark.parametrize(
    ("text", "options"),
    [(TYPICAL, PosterOptions()), (LONG, PosterOptions("a2", "landscape", "black"))],
)
def test_principle_numbers_sit_on_the_text_baseline(render, text, options):
    check_numbers_on_baseline(render(text, options), len(text.principles))


def test_footer_is_a_signature_set_the_polish_way(poster_app):
    with poster_app.app_context(), force_locale("pl"):
        assert footer_line("", "Łódź", DATE, "pl") == "Zespół\u00a0· Łódź,\u00a02026"
        assert (
            footer_line("Zespół Przychodni", "", DATE, "pl") == "Zespół Przychodni\u00a0·\u00a02026"
        )
        line = footer_line("Lekarze i pielęgniarki z Łodzi", "Łódź", DATE, "pl")
        assert "i\u00a0pielęgniarki z\u00a0Łodzi\u00a0·" in line
    with poster_app.app_context(), force_locale("en"):
        assert footer_line("", "Leeds", DATE, "en") == "The team\u00a0· Leeds,\u00a02026"


ONE_LETTER_AT_LINE_END = re.compile(r"(^|\s)[aiouwz]$", re.IGNORECASE | re.MULTILINE)


@pytest.mark.parametrize("size", ["a4", "a2"])
def test_footer_signs_without_repeating_the_team_and_keeps_one_letter_words(render, size):
    signature = "Zespół lekarzy, pielęgniarek i rejestracji z przychodni w Łodzi i okolicach"
    text = dataclasses.replace(TYPICAL, city="Łódź", signature=signature)
    path = render(text, PosterOptions(size=size))
    flat = pdf_text(path)
    assert flat.replace(" ", "").count("PodLipami") == 1  # the kicker only
    assert f"{signature} · Łódź, 2026" in flat
    lines = run("pdftotext", "-layout", path, "-").replace("\u00a0", " ")
    footer = lines[lines.index("Zespół lekarzy") :]
    assert not ONE_LETTER_AT_LINE_END.search(footer.rstrip()), footer


@pytest.mark.parametrize("frame", list(FRAMES))
def test_each_frame_corner_matches_its_expected_image_at_300_dpi(render, frame):
    image = frame_corners.corner(render(TYPICAL, PosterOptions(frame=frame)))
    expected = frame_corners.expected(frame)
    assert frame_corners.matches(image, expected), frame_corners.difference(image, expected)
    # The comparison can fail: every other frame's corner is out of tolerance.
    for other in FRAMES:
        if other != frame:
            assert not frame_corners.matches(image, frame_corners.expected(other)), other


def test_gold_frame_is_a_mitred_vector_moulding_lit_from_the_top_left(render):
    path = render(TYPICAL, PosterOptions(frame="gold"))
    assert not run("pdfimages", "-list", path).splitlines()[2:], "no bitmaps"
    image = raster(path, 150).convert("L")
    px = 150 / 25.4
    width, height = image.size
    band = [round((8.5 + 11 * i / 40) * px) for i in range(41)]  # across the moulding
    top = [image.getpixel((width // 2, y)) for y in band]
    bottom = [image.getpixel((width // 2, height - 1 - y)) for y in band]
    left = [image.getpixel((x, height // 2)) for x in band]
    # Depth: the profile runs from shadow to highlight, with more than one highlight.
    assert max(top) - min(top) > 100
    peaks = [i for i in range(1, 40) if top[i] > 200 and top[i] >= max(top[i - 1], top[i + 1])]
    assert len(peaks) >= 2, top
    # Light: the top and left sides are brighter than the bottom.
    assert sum(top) / len(top) > sum(bottom) / len(bottom) + 10
    assert sum(left) / len(left) > sum(bottom) / len(bottom) + 5
    # Mitres: at the top-right corner the top and right sides meet on the diagonal with
    # different light, so across it the same point of the profile changes tone.
    mirrored = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    steps = [round((9 + 10 * i / 20) * px) for i in range(21)]
    jumps = [
        abs(mirrored.getpixel((d + 3, d - 3)) - mirrored.getpixel((d - 3, d + 3))) for d in steps
    ]
    assert max(jumps) > 40, jumps


def test_reading_distance_follows_the_legibility_rule():
    # The measurements: a mission at 48 pt and principles at 36 pt read from about
    # 1.9 m and 1.5 m; at 26 pt and 19.5 pt from about 1 m and 0.8 m.
    for pt, metres in ((48, 1.94), (36, 1.46), (26, 1.05), (19.5, 0.79)):
        assert reading_distance_m(pt) == pytest.approx(metres, abs=0.01)
    assert reading_distance_m(20, 0.6) == pytest.approx(1.5 * reading_distance_m(20))


def test_reading_distances_are_those_of_the_printed_text(poster_app, render):
    with poster_app.app_context():
        readings = {reading.size: reading for reading in reading_distances(TYPICAL)}
        longest = reading_distances(LONG)
    assert list(readings) == ["a4", "letter", "a3", "ledger", "a2"]
    for size in ("a3", "a2"):
        sizes = type_sizes(render(TYPICAL, PosterOptions(size=size)))
        mission = max(pt for pt, font, _ in sizes if "Italic" in font)
        principles = max(pt for pt, font, _ in sizes if "Garamond-Bold" in font)
        title = max(pt for pt, font, _ in sizes if "Cinzel-Bold" in font)
        reading = readings[size]
        assert reading.mission_m == pytest.approx(reading_distance_m(mission), abs=0.01)
        assert reading.principles_m == pytest.approx(reading_distance_m(principles), abs=0.01)
        assert reading.title_m == pytest.approx(reading_distance_m(title, 0.6), abs=0.01)
    assert readings["a4"].reach_m < readings["a3"].reach_m < readings["a2"].reach_m
    # The smallest size that reaches a distance; none when even A2 does not.
    assert recommended_size(tuple(readings.values()), 0.5).size == "a4"
    reach = readings["a3"].reach_m
    assert recommended_size(tuple(readings.values()), round(reach, 1)).size == "a3"
    assert recommended_size(tuple(readings.values()), 4.0) is None
    assert all(reading.reach_m < 1 for reading in longest)
    assert recommended_size(longest, 2.0) is None


# ── Print shop, metadata, archive, reproducibility ──────────────────────────


@pytest.mark.parametrize(("size", "frame"), [("a3", "gold"), ("letter", "none"), ("a2", "black")])
def test_bleed_adds_3mm_of_paper_and_a_white_slug_with_crop_marks(render, size, frame):
    options = PosterOptions(size=size, frame=frame, bleed=True)
    path = render(TYPICAL, options)
    check_page(path, options)
    image = raster(path)
    page = hex_rgb(PALETTES["ivory"].page)
    width, height = image.size
    slug = round(9 * DPI / 25.4) - 1  # the last pixel row of the slug
    bleed = round(10.5 * DPI / 25.4)  # the middle of the bleed
    # Mid-edge, in the bleed: the paper colour, so a trim error shows no white edge;
    # past it, the slug is white.
    for inset, colour in ((bleed, page), (slug, (255, 255, 255))):
        for x, y in [
            (width // 2, inset),
            (inset, height // 2),
            (width // 2, height - 1 - inset),
            (width - 1 - inset, height // 2),
        ]:
            assert close(image.getpixel((x, y)), colour), (x, y, inset)
    check_crop_marks(path)
    assert "Nasza misja" in pdf_text(path)


def check_crop_marks(path: Path) -> None:
    """At 300 dpi, around every corner: dark marks in the slug on the trim lines, from 4 mm
    to 10 mm past the trim, nothing dark in the bleed; drawn 0.25 pt wide in the
    registration colour (100 % of every separation)."""
    dpi = 300
    px = dpi / 25.4
    x0, y0, x1, y1 = pdf_boxes(path)["MediaBox"]
    size = (round((x1 - x0) / 72 * dpi), round((y1 - y0) / 72 * dpi))
    trim = 12 * px  # from the media box's edge
    reach = round(14 * px)
    for flip_x in (False, True):
        for flip_y in (False, True):
            left = size[0] - reach if flip_x else 0
            top = size[1] - reach if flip_y else 0
            stem = path.with_name(f"{path.stem}-corner-{int(flip_x)}{int(flip_y)}")
            run(
                "pdftoppm", "-r", dpi, "-x", left, "-y", top, "-W", reach, "-H", reach,
                "-gray", "-singlefile", path, stem,
            )  # fmt: skip
            with Image.open(stem.with_suffix(".pgm")) as corner:
                corner = corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if flip_x else corner
                corner = corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM) if flip_y else corner
                dark = corner.point(lambda value: 255 if value < 128 else 0)
            # Within the bleed and the page (from 3 mm outside the trim): no marks.
            inside = round(trim - 3 * px)
            assert dark.crop((inside, inside, reach, reach)).getbbox() is None
            # The mark along the vertical trim line, above the corner, and its twin.
            for mark in (dark, dark.transpose(Image.Transpose.TRANSPOSE)):
                found = mark.crop((0, 0, reach, inside)).getbbox()
                assert found is not None, "a crop mark"
                assert abs((found[0] + found[2]) / 2 - trim) <= 2, found  # on the trim line
                assert found[2] - found[0] <= 3  # a hairline: 0.25 pt is 1 pixel at 300 dpi
                assert trim - found[3] == pytest.approx(4 * px, abs=2)  # starts 4 mm out
                assert found[3] - found[1] == pytest.approx(6 * px, abs=2)  # 6 mm long
    page = PdfReader(path).pages[0]
    spaces = page["/Resources"]["/ColorSpace"]
    registration = spaces["/CredoRegistration"]
    assert registration[:3] == ["/Separation", "/All", "/DeviceCMYK"]
    tint = registration[3].get_object()
    assert list(tint["/C1"]) == [1, 1, 1, 1]
    marks = " ".join(page["/Contents"][-1].get_object().get_data().decode().split())
    assert "/CredoRegistration CS" in marks and "0.25 w" in marks and "/Artifact BMC" in marks


def test_metadata_has_title_author_language_and_tags(render):
    path = render(TYPICAL, PosterOptions(frame="wood"))
    info = pdf_info(path)
    assert info["Author"].strip() == TYPICAL.team
    assert info["Title"].strip() == f"Nasza misja · {TYPICAL.team}"
    assert info["Tagged"].strip() == "yes"
    catalog = PdfReader(path).trailer["/Root"]
    assert catalog["/Lang"] == "pl"
    assert catalog["/MarkInfo"]["/Marked"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp
    assert "pdfaid" not in xmp


def test_archival_pdf_is_tagged_pdf_a_2u_that_keeps_the_frame(render):
    options = PosterOptions(archival=True)
    path = render(TYPICAL, options)
    catalog = PdfReader(path).trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="U"' in xmp
    assert catalog["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert catalog["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in catalog
    assert pdf_info(path)["Tagged"].strip() == "yes"
    check_page(path, options)
    check_frame_and_ink(path, options)  # the gradients survive PDF/A


def test_identical_input_gives_identical_bytes_for_every_option_set(poster_app, tmp_path):
    logo = prepare_logo(png_bytes(600, 300))
    cases = [
        (TYPICAL, PosterOptions()),
        (LONG, PosterOptions("a2", "landscape", "wood", "sage", bleed=True)),
        (SHORTEST, PosterOptions("letter", "portrait", "black", "navy", archival=True)),
        (dataclasses.replace(TYPICAL, logo=logo, city="Łódź"), PosterOptions(frame="none")),
    ]
    with poster_app.app_context():
        for text, options in cases:
            first = render_poster(text, options)
            clear_caches()
            assert render_poster(text, options) == first, options


# ── Legibility floor ────────────────────────────────────────────────────────


def test_the_legible_minimum_grows_with_the_paper():
    assert legible_minimum_pt("a4") < legible_minimum_pt("a3") < legible_minimum_pt("a2")
    assert legible_minimum_pt("letter") == legible_minimum_pt("a4")
    assert legible_minimum_pt("ledger") == legible_minimum_pt("a3")
    assert legible_minimum_pt("a5") <= legible_minimum_pt("a4")
    with pytest.raises(ValueError):
        legible_minimum_pt("tabloid")


def test_text_too_long_for_a4_is_refused_and_fits_on_a2(poster_app, render):
    with poster_app.app_context(), pytest.raises(PosterError) as refused:
        render_poster(LONGEST, PosterOptions(size="a4", frame="gold"))
    message = str(refused.value)
    assert "A4" in message and "większy format" in message and "skróć" in message
    path = render(LONGEST, PosterOptions(size="a2", frame="gold"))
    check_legible(path, "a2")
    assert pdf_info(path)["Pages"].strip() == "1"


def test_refusal_is_in_the_readers_language(poster_app):
    with poster_app.test_request_context(headers={"Accept-Language": "pl"}):
        with pytest.raises(PosterError) as refused:
            render_poster(LONGEST, PosterOptions(size="a4"))
    assert "A4" in str(refused.value)


# ── Logo ─────────────────────────────────────────────────────────────────────


def png_bytes(width: int, height: int, mode: str = "RGBA", **save: object) -> bytes:
    image = Image.new(mode, (width, height), (30, 90, 60, 255)[: len(mode)] if mode != "L" else 90)
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def jpeg_bytes(width: int, height: int, mode: str = "RGB") -> bytes:
    image = Image.new(mode, (width, height))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """Return a PNG that claims a size (its pixels are never there)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def chunks(png: bytes) -> list[bytes]:
    """Return the chunk types of a PNG."""
    kinds, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kinds.append(png[offset + 4 : offset + 8])
        offset += 12 + length
    return kinds


def test_png_logo_is_downscaled_keeping_its_aspect(poster_app):
    logo = prepare_logo(png_bytes(3000, 1000, pnginfo=None))
    with Image.open(io.BytesIO(logo)) as image:
        assert image.format == "PNG"
        assert image.size == (LOGO_MAX_PX, LOGO_MAX_PX // 3)
    assert set(chunks(logo)) <= {b"IHDR", b"IDAT", b"IEND", b"PLTE", b"tRNS"}


def test_jpeg_logo_becomes_a_png_without_metadata():
    logo = prepare_logo(jpeg_bytes(800, 600))
    with Image.open(io.BytesIO(logo)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (800, 600), "RGB")
    assert not set(chunks(logo)) & {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"tIME"}
    cmyk = prepare_logo(jpeg_bytes(100, 100, "CMYK"))
    with Image.open(io.BytesIO(cmyk)) as image:
        assert image.mode == "RGB"


def animated_png() -> bytes:
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (gif_bytes(), "PNG or JPEG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>', "PNG"),
        (b"\x89PNG\r\n\x1a\n not really", "PNG or JPEG"),
        (b"", "PNG or JPEG"),
        (b"\0" * 100, "PNG or JPEG"),
        (b"x" * (2 * 1024 * 1024 + 1), "2 MB"),
        (png_header(30_000, 30_000), "too many pixels"),
        (png_header(10_000, 10_000), "too many pixels"),
        (png_header(7_000, 7_000), "too many pixels"),
        (animated_png(), "animation"),
    ],
    ids=["gif", "svg", "broken-png", "empty", "zeros", "over-2mb", "bomb", "big", "huge", "apng"],
)
def test_logo_that_is_not_a_small_png_or_jpeg_is_refused(data, words):
    with pytest.raises(PosterError, match=words):
        prepare_logo(data)


def test_logo_and_city_are_printed_and_nothing_external_loads(render):
    logo = prepare_logo(png_bytes(900, 300))
    text = dataclasses.replace(TYPICAL, logo=logo, city="Łódź")
    options = PosterOptions(frame="black")
    path = render(text, options)
    images = run("pdfimages", "-list", path).splitlines()[2:]
    assert len([row for row in images if " image " in row]) == 1
    assert "Zespół · Łódź, 2026" in pdf_text(path)
    check_frame_and_ink(path, options)
    assert pdf_info(path)["Pages"].strip() == "1"


# ── Staff card, preview, documents ──────────────────────────────────────────

ROUTINE = (
    "Zauważamy, że zawiedliśmy, i mówimy o tym wprost.",
    "Przepraszamy bez tłumaczenia się.",
    "Pytamy, czego potrzebuje pacjent, i robimy to od razu.",
    "Wracamy po tygodniu, by sprawdzić, czy jest dobrze.",
)


@pytest.mark.parametrize("size", CARD_SIZES)
def test_staff_card_has_the_routine_steps_and_principles(poster_app, tmp_path, size):
    card = CardText(TYPICAL.team, TYPICAL.principles, ROUTINE, "pl", DATE)
    path = tmp_path / "card.pdf"
    with poster_app.app_context():
        path.write_bytes(render_staff_card(card, size))
    info = pdf_info(path)
    assert info["Pages"].strip() == "1" and info["Tagged"].strip() == "yes"
    width, height = {"a5": (148, 210), "a4": (210, 297)}[size]
    x0, y0, x1, y1 = pdf_boxes(path)["MediaBox"]
    assert (x1 - x0, y1 - y0) == (
        pytest.approx(width * 72 / 25.4, abs=0.5),
        pytest.approx(height * 72 / 25.4, abs=0.5),
    )
    text = pdf_text(path)
    assert "Nasza procedura odzyskiwania zaufania".upper() in text.upper()
    flat = text.replace(" ", "")
    for step in ROUTINE:
        assert step.replace(" ", "") in flat
    for name, line in TYPICAL.principles:
        assert name in text and line.replace(" ", "") in flat
    check_fonts(path)
    check_legible(path, size)
    check_numbers_on_baseline(path, len(ROUTINE) + len(TYPICAL.principles))


def test_staff_card_without_a_routine_lists_the_principles(poster_app, tmp_path):
    card = CardText(TYPICAL.team, TYPICAL.principles, (), "pl", DATE)
    path = tmp_path / "card.pdf"
    with poster_app.app_context():
        path.write_bytes(render_staff_card(card))
    text = pdf_text(path)
    assert "Nasze zasady".upper() in text.upper()
    assert "zaufania" not in text
    assert all(name in text for name, _ in TYPICAL.principles)
    with poster_app.app_context(), pytest.raises(ValueError):
        render_staff_card(card, "a3")


@pytest.mark.parametrize(
    ("options", "width_px"),
    [(PosterOptions(), 900), (PosterOptions("a4", "landscape", "wood", bleed=True), 600)],
)
def test_preview_is_a_png_of_the_page(poster_app, options, width_px):
    with poster_app.app_context():
        png = render_preview(TYPICAL, options, width_px)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.width == width_px
        width, height = page_size(options.size, options.orientation)
        past = 12 if options.bleed else 0  # the bleed and the slug
        width, height = width + 2 * past, height + 2 * past
        assert image.height == pytest.approx(width_px * height / width, abs=1.5)
        page = hex_rgb(PALETTES[options.theme].page)
        paper = round((past + 0.5) * width_px / width)  # just inside the trim
        assert close(image.convert("RGB").getpixel((width_px // 2, paper)), page)


def test_render_document_uses_our_fonts_and_refuses_external_resources(poster_app, tmp_path):
    stylesheet = tmp_path / "report.css"
    stylesheet.write_text(
        'body { font-family: "Credo Garamond" } h1 { font-family: "Credo Cinzel" }'
    )
    html = (
        '<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>Raport</title>'
        '<meta name="dcterms.created" content="2026-11-23"></head><body><h1>Raport z warsztatu</h1>'
        '<p>Zażółć gęślą jaźń.</p><img src="http://example.org/tracker.png" alt="">'
        '<img src="file:///etc/hosts" alt=""></body></html>'
    )
    path = tmp_path / "report.pdf"
    with poster_app.app_context():
        path.write_bytes(render_document(html, stylesheet))
        assert render_document(html, stylesheet) == path.read_bytes()
    assert "Zażółć gęślą jaźń." in pdf_text(path)
    check_fonts(path)
    assert pdf_info(path)["Tagged"].strip() == "yes"
    assert run("pdfimages", "-list", path).splitlines()[2:] == []


def test_documents_style_only_the_pseudo_elements_they_draw(poster_app, tmp_path, monkeypatch):
    stylesheet = tmp_path / "report.css"
    stylesheet.write_text("ol { list-style: decimal }")
    rows = "".join(f"<tr><td>{n}</td><td><p>Odpowiedź {n}</p></td></tr>" for n in range(30))
    html = (
        '<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>Raport</title>'
        f"</head><body><ol><li>Uważność</li><li>Jasność</li></ol><table>{rows}</table>"
        "</body></html>"
    )
    styled: list[tuple[str, str | None]] = []
    real = StyleFor.set_computed_styles

    def spy(self, element, parent, root=None, pseudo_type=None, **kwargs):
        styled.append((getattr(element, "tag", "@page"), pseudo_type))
        return real(self, element, parent, root, pseudo_type, **kwargs)

    monkeypatch.setattr(StyleFor, "set_computed_styles", spy)
    path = tmp_path / "report.pdf"
    with poster_app.app_context():
        path.write_bytes(render_document(html, stylesheet))
    assert {pseudo for tag, pseudo in styled if tag != "@page"} == {None, "marker"}
    assert {tag for tag, pseudo in styled if pseudo == "marker"} == {"li"}
    assert "1. Uważność 2. Jasność" in pdf_text(path)  # the list's numbers still drawn


def test_lean_user_agent_stylesheet_notices_a_changed_weasyprint():
    lean = lean_ua_css(UA)
    assert "\n::marker" not in lean and "li::marker, summary::marker {" in lean
    assert "footnote-call" not in lean and "note-callback" not in lean
    with pytest.raises(ValueError, match="footnote-call"):
        lean_ua_css(UA.replace("::footnote-call {", "::footnote-call{"))


def test_frame_styles_keep_the_text_inside_the_window():
    for name in FRAME_STYLES:
        geometry = Geometry(297, 420, name)
        assert geometry.text_left > geometry.window, name
        assert all(inset < geometry.window + 0.01 for _, inset in geometry.layers), name


def noisy_png(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((width, height), 60).convert("RGB").save(out, "PNG")
    return out.getvalue()


def with_bad_idat_crc(png: bytes) -> bytes:
    """Return the PNG with one byte of its first IDAT chunk's data flipped (its CRC now wrong)."""
    at = png.index(b"IDAT") + 4 + 100
    return png[:at] + bytes([png[at] ^ 0xFF]) + png[at + 1 :]


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "broken",
    [half(noisy_png()), with_bad_idat_crc(noisy_png()), half(jpeg_bytes(400, 300))],
    ids=["truncated-png", "idat-crc", "truncated-jpeg"],
)
def test_a_broken_logo_is_refused_even_where_pillow_may_load_truncated_images(broken, monkeypatch):
    # WeasyPrint sets this for the whole process when it is imported.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(PosterError, match="damaged or incomplete"):
        prepare_logo(broken)
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # put back for WeasyPrint
    assert prepare_logo(noisy_png())  # and a whole one is still taken


def test_one_logo_is_decoded_at_a_time(monkeypatch):
    decode = poster_module._prepare_logo
    inside, most = [], []
    other_came_in = threading.Event()

    def counted(data: bytes) -> bytes:
        inside.append(data)
        most.append(len(inside))
        if len(inside) > 1:
            other_came_in.set()
        other_came_in.wait(1)  # gives a second upload the chance to come in alongside
        inside.remove(data)
        return decode(data)

    monkeypatch.setattr(poster_module, "_prepare_logo", counted)
    uploads = [png_bytes(40, 20), png_bytes(30, 30)]
    threads = [threading.Thread(target=prepare_logo, args=(upload,)) for upload in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == [1, 1]
