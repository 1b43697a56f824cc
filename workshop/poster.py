"""The agreed mission as a framed poster PDF: clean the text, fit it to one page, render it."""

import datetime
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, has_app_context, render_template
from flask_babel import force_locale, format_date

from . import fonts

if TYPE_CHECKING:
    from weasyprint import CSS, Document
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

# Portrait trim sizes in millimetres; "ledger" is 11 × 17 in (CSS `tabloid` silently gives A4).
SIZES: dict[str, tuple[float, float]] = {
    "a4": (210.0, 297.0),
    "a3": (297.0, 420.0),
    "a2": (420.0, 594.0),
    "letter": (215.9, 279.4),
    "ledger": (279.4, 431.8),
}
ORIENTATIONS = ("portrait", "landscape")

DESIGN_PT = 16.0  # root font size on a page whose short side is 297 mm
CEILING = 2.2  # short texts grow at most this much over the design size
FLOOR = 0.5  # principles at 10.4 pt on A3 (a close read); below that, refuse the text
# Headings and labels follow the fitted size only halfway (geometric mean with the
# design size), so a long text keeps a bold title and a short one no giant labels.
LABELS = (("h1", 3.5), (".kicker", 0.85), ("h2", 0.95), (".signature", 0.9))
TWO_COLUMNS_FROM = 7
MAX_LAYOUTS = 12
PX_PER_MM = 96 / 25.4

MAX_PRINCIPLES = 12
MAX_CHARACTERS = 6000  # well above the form limits; stops absurd input before any layout

ONE_LETTER_WORD = re.compile(r"(?<![^\s(\[„\"'«‘“])([aiouwz]) ", re.IGNORECASE)
SPACE_BEFORE_DASH = re.compile(r" ([—–])")
LAST_SPACE = re.compile(r" (\S+)$")


@dataclass(frozen=True)
class PosterText:
    """What the poster says."""

    team: str
    mission: str
    principles: tuple[tuple[str, str], ...]
    language: str
    date: datetime.date


class PosterError(Exception):
    """The text cannot be made into a poster; the message says why."""


@dataclass(frozen=True)
class Geometry:
    """Page and frame measurements in millimetres, all scaled from the page's short side."""

    width: float
    height: float
    measuring: bool = False

    @property
    def k(self) -> float:
        """Return the scale relative to an A3 page's short side."""
        return min(self.width, self.height) / 297.0

    @property
    def page_height(self) -> float:
        """Return the page height, three times taller while measuring so nothing is cut."""
        return self.height * 3 if self.measuring else self.height

    @property
    def frame(self) -> tuple[tuple[str, float], ...]:
        """Return the frame layers, outermost first, with their inset from the trim."""
        k = self.k
        return (("moulding", 8 * k), ("bead", 14.6 * k), ("lip", 18.6 * k), ("paper", 20 * k))

    @property
    def rule(self) -> float:
        """Return the inset of the outer line of the double rule."""
        return 27 * self.k

    @property
    def rule_outer(self) -> float:
        """Return the thickness of the outer line of the double rule."""
        return 0.6 * self.k

    @property
    def rule_inner(self) -> float:
        """Return the thickness of the inner line of the double rule."""
        return 0.25 * self.k

    @property
    def rule_band(self) -> float:
        """Return the distance from the outer edge of the double rule to its inner edge."""
        return 2.45 * self.k

    @property
    def corner(self) -> float:
        """Return the side of a corner ornament (corner.svg is drawn 34 units square)."""
        return 34 * self.k

    @property
    def rule_run(self) -> float:
        """Return where the straight rules start, just past the corner ornaments."""
        return self.rule + self.corner

    @property
    def text_left(self) -> float:
        """Return the inset of the text block from the left edge."""
        return self.rule + self.rule_band + 14 * self.k

    @property
    def text_top(self) -> float:
        """Return the inset of the text block from the top edge, clear of the ornaments."""
        return self.rule + self.rule_band + 15 * self.k

    @property
    def text_width(self) -> float:
        """Return the width of the text block."""
        return self.width - 2 * self.text_left

    @property
    def text_height(self) -> float:
        """Return the height the text block may fill."""
        return self.height - 2 * self.text_top

    @property
    def design_pt(self) -> float:
        """Return the root font size the design was drawn for at this page size."""
        return DESIGN_PT * self.k


def page_size(size: str, orientation: str = "portrait") -> tuple[float, float]:
    """Return the (width, height) in mm of a named paper size and orientation."""
    if size.lower() not in SIZES:
        raise ValueError(f"unknown poster size {size!r}; choose one of {', '.join(SIZES)}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {orientation!r}; choose portrait or landscape")
    short, long = SIZES[size.lower()]
    return (short, long) if orientation == "portrait" else (long, short)


def clean_text(text: str) -> str:
    """Normalise to NFC, drop control, format and private-use characters, collapse spaces."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(" " if char.isspace() else char for char in text if _printable(char))
    return " ".join(kept.split())


def _printable(char: str) -> bool:
    """Tell whether a character may reach the poster (bidi overrides and the like may not)."""
    if char.isspace():
        return True
    category = unicodedata.category(char)
    if category == "Cf":
        return char == "\u00ad"
    return category not in ("Cc", "Co", "Cs")


def typeset(text: str, language: str) -> str:
    """Apply Polish typesetting: no lone one-letter words or dashes at line ends, no widows."""
    if language == "pl":
        text = ONE_LETTER_WORD.sub("\\1\u00a0", text)
    text = SPACE_BEFORE_DASH.sub("\u00a0\\1", text)
    return LAST_SPACE.sub("\u00a0\\1", text)


def unsupported_characters(text: str) -> set[str]:
    """Return the characters of ``text`` that the poster fonts cannot draw."""
    covered = fonts.covered_characters()
    return {char for char in clean_text(text) if not char.isspace() and char not in covered}


def render_poster(text: PosterText, size: str = "a3", orientation: str = "portrait") -> bytes:
    """Render the poster as a one-page PDF at the largest type that fits; needs an app context."""
    width, height = page_size(size, orientation)
    poster = _prepare(text, landscape=width > height)
    renderer = _renderer()
    geometry = Geometry(width, height)
    with renderer.lock, force_locale(text.language):
        poster["date"] = format_date(text.date, format="long")
        measured: dict[float, float] = {}

        def measure(font_pt: float) -> float:
            doc = renderer.layout(poster, Geometry(width, height, measuring=True), font_pt, 0)
            _, top, _, bottom = doc.pages[0].anchors["content"]
            measured[font_pt] = bottom - top
            return measured[font_pt]

        target = geometry.text_height * PX_PER_MM
        font_pt = _fit(measure, target, geometry.design_pt)
        doc = renderer.layout(poster, geometry, font_pt, (target - measured[font_pt]) / 2)
        if len(doc.pages) != 1:
            raise PosterError("The poster text does not fit on one page.")
        # PDF/UA-1 tags the text for screen readers; the painted frame becomes artifacts.
        return doc.write_pdf(pdf_variant="pdf/ua-1")


def _column_count(principles: int, landscape: bool) -> int:
    """Return how many columns the principles take: two from seven, three on a wide page."""
    if principles < TWO_COLUMNS_FROM:
        return 2 if landscape and principles >= 4 else 1
    return 3 if landscape else 2


def _prepare(text: PosterText, landscape: bool = False) -> dict[str, Any]:
    """Clean, check and typeset the user's text into the template's context."""
    team = clean_text(text.team)
    mission = clean_text(text.mission)
    principles = [(clean_text(name), clean_text(line)) for name, line in text.principles]
    principles = [(name, line) for name, line in principles if name or line]
    if not mission:
        raise PosterError("The mission is empty.")
    if not principles or len(principles) > MAX_PRINCIPLES:
        raise PosterError(f"A poster holds 1 to {MAX_PRINCIPLES} principles.")
    everything = " ".join([team, mission, *(f"{name} {line}" for name, line in principles)])
    if len(everything) > MAX_CHARACTERS:
        raise PosterError("The text is too long for a poster.")
    missing = unsupported_characters(everything)
    if missing:
        named = ", ".join(f"{char} (U+{ord(char):04X})" for char in sorted(missing))
        raise PosterError(f"The poster fonts cannot draw these characters: {named}.")
    language = text.language
    numbered = [
        (number, typeset(name, language), typeset(line, language))
        for number, (name, line) in enumerate(principles, start=1)
    ]
    step = math.ceil(len(numbered) / _column_count(len(numbered), landscape))
    columns = [numbered[start : start + step] for start in range(0, len(numbered), step)]
    return {
        "team": team,
        "kicker": typeset(team, language),
        "description": mission,
        "mission": typeset(mission, language),
        "language": language,
        "created": text.date.isoformat(),
        "columns": columns,
    }


def _fit(measure: Callable[[float], float], target: float, design: float) -> float:
    """Return the largest root font size whose text block height stays within ``target``."""
    low, high = design * FLOOR, design * CEILING
    fits: float | None = None
    fails: float | None = None
    size = design
    for _ in range(MAX_LAYOUTS):
        height = measure(size)
        if height <= target:
            fits = size if fits is None else max(fits, size)
        else:
            fails = size if fails is None else min(fails, size)
        if fits is not None and fails is not None:
            if fails / fits <= 1.015:
                break
            size = math.sqrt(fits * fails)
            continue
        if fits is not None and size >= high:
            break
        if fails is not None and size <= low:
            break
        # Wrapped text grows about with the square of the type size; the minimum
        # step keeps a line-break plateau from stalling the search.
        step = math.sqrt(target / height)
        step = max(step, 1.03) if height <= target else min(step, 0.97)
        size = min(high, max(low, size * step))
    if fits is None:
        raise PosterError(
            "The text is too long to print at a legible size: shorten the mission or principles."
        )
    return fits


@dataclass
class _Renderer:
    """WeasyPrint state kept warm for the life of the process."""

    font_config: "FontConfiguration"
    stylesheets: list["CSS"]
    fetcher: "URLFetcher"
    base_url: str
    lock: threading.Lock

    def layout(
        self, poster: dict[str, Any], geometry: Geometry, font_pt: float, pad_top_px: float
    ) -> "Document":
        """Lay the poster out at one root font size."""
        from weasyprint import HTML

        html = render_template(
            "poster/poster.html",
            poster=poster,
            g=geometry,
            font_pt=font_pt,
            labels=[
                (selector, em * math.sqrt(font_pt * geometry.design_pt)) for selector, em in LABELS
            ],
            pad_top_px=pad_top_px,
            measuring=geometry.measuring,
        )
        document = HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        return document.render(stylesheets=self.stylesheets, font_config=self.font_config)


_renderers: dict[tuple[Path, Path], _Renderer] = {}
_renderers_lock = threading.Lock()


def _font_dir() -> Path:
    """Return where the static font instances live for this app."""
    configured = current_app.config.get("POSTER_FONT_DIR") if has_app_context() else None
    return Path(configured or fonts.DEFAULT_CACHE).resolve()


def _renderer() -> _Renderer:
    """Return this process's renderer for the current app, creating it on first use."""
    static = Path(current_app.static_folder or "static").resolve()
    font_dir = _font_dir()
    with _renderers_lock:
        if (static, font_dir) not in _renderers:
            _renderers[static, font_dir] = _new_renderer(static, font_dir)
        return _renderers[static, font_dir]


def _new_renderer(static: Path, font_dir: Path) -> _Renderer:
    """Parse the fonts and stylesheet once, with a fetcher that only reads our own files."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _locked_fetcher((static, font_dir))
    font_config = FontConfiguration()
    stylesheets = [
        CSS(string=fonts.font_face_css(font_dir), font_config=font_config, url_fetcher=fetcher),
        CSS(
            filename=str(static / "poster" / "poster.css"),
            font_config=font_config,
            url_fetcher=fetcher,
        ),
    ]
    return _Renderer(font_config, stylesheets, fetcher, static.as_uri() + "/", threading.Lock())


def _locked_fetcher(roots: tuple[Path, ...]) -> "URLFetcher":
    """Build a URL fetcher that serves data: URLs and files under ``roots``, nothing else."""
    from weasyprint.urls import URLFetcher

    class LockedFetcher(URLFetcher):
        """Refuse every resource that is not ours."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            """Fetch ``url`` if it is a data: URL or a file under the allowed folders."""
            scheme = url.partition(":")[0].lower()
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_file() and any(path.is_relative_to(root) for root in roots):
                    return super().fetch(url, headers)
            elif scheme == "data":
                return super().fetch(url, headers)
            raise ValueError(f"the poster may not load {url[:80]}")

    return LockedFetcher(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)
