"""The agreed mission as a framed poster PDF (and the staff card): clean, fit, render.

Everything printable goes through one warm WeasyPrint state per process: our fonts
(static instances, so no slow variable-font conversion), our stylesheets parsed once, and
a URL fetcher that only reads our own folders and data: URLs. Pages are absolutely
positioned plain blocks (no flex or grid: both are several times slower in WeasyPrint 70)
and frames are CSS gradients, borders and SVG backgrounds (never `border-image`, which
crashes 70.0 with millimetre widths). The type is fitted by laying the text block out on
a tall page at a few root font sizes and reading its height from the public
`Page.anchors`, then rendering once more at the chosen size.
"""

import base64
import datetime
import io
import math
import random
import re
import threading
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from flask import current_app, has_app_context, has_request_context, render_template
from flask_babel import force_locale, format_date, gettext
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from . import fonts, offload, png
from .rules import (
    CARD_MAX_STEPS,
    LOGO_MAX_BYTES,
    LOGO_MAX_PIXELS,
    LOGO_MAX_PX,
    LOGO_WHOLE_MAX_PIXELS,
    MAX_PRINCIPLES,
    POSTER_MAX_CHARACTERS,
)

if TYPE_CHECKING:
    from flask_babel import LazyString
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
CARD_SIZES = ("a5", "a4")
_CARD_MM = {"a5": (148.0, 210.0), "a4": (210.0, 297.0)}
# The reception desk's table card with the feedback QR code, portrait.
FEEDBACK_CARD_SIZES = ("a6", "a5")
_FEEDBACK_CARD_MM = {"a6": (105.0, 148.0), "a5": (148.0, 210.0)}
ORIENTATIONS = ("portrait", "landscape")

FRAMES: dict[str, "LazyString"] = {
    "gold": _l("Gilded gold frame"),
    "wood": _l("Dark wood frame"),
    "black": _l("Black gallery frame with a white mat"),
    "modern": _l("Thin modern border"),
    "none": _l("No frame (for a framing shop)"),
}
THEMES: dict[str, "LazyString"] = {
    "ivory": _l("Ivory paper, brown ink"),
    "white": _l("White paper, black ink (office printers)"),
    "sage": _l("Sage green"),
    "navy": _l("Navy blue"),
}

# How far a text reads from: the rule, in one place. Fluent reading needs letters whose
# x-height spans about 0.2° of visual angle (Legge & Bigelow 2011, "Does print size
# matter for reading?", Journal of Vision 11(5):8: reading speed is at its best from
# about 0.2°, twice the acuity limit). That is a letter height of 1/286 of the distance,
# close to signage's rule of thumb of 1 inch of letter height per 25 feet (1/300). EB
# Garamond's x-height is 0.40 em, so its text reads from about pt / 24.7 metres; Cinzel
# (the title, in capitals and small capitals) has small capitals 0.60 em high.
READING_ANGLE_DEGREES = 0.2
GARAMOND_X_HEIGHT_EM = 0.40
CINZEL_SMALL_CAPS_EM = 0.60
MISSION_EM = 1.72  # the mission's size, in root ems (the template writes it into the CSS)
# Paper sizes from the smallest sheet up: the first that reads from far enough is offered.
SIZES_BY_AREA = ("a4", "letter", "a3", "ledger", "a2")


def reading_distance_m(pt: float, letter_em: float = GARAMOND_X_HEIGHT_EM) -> float:
    """Return how far (m) text of ``pt`` points, letters ``letter_em`` high, reads from."""
    letter_m = pt * 25.4 / 72 * letter_em / 1000
    return letter_m / math.tan(math.radians(READING_ANGLE_DEGREES))


# The smallest size the principles (the poster's smallest running text) may take, by
# paper; labels are never set smaller either. By the reading rule above, A4 and Letter are read up
# close on a notice board (9.5 pt: ~0.4 m), A3 and Ledger from half a metre (12 pt), and
# the list on an A2 in a waiting room from ~0.65 m (16 pt); at that floor the A2 mission
# is 21 pt (~0.85 m) and the title 58 pt, whose capitals carry beyond 3 m. Typical texts
# fit well above the floor. The staff card is read at arm's length.
LEGIBLE_MINIMUM_PT: dict[str, float] = {
    "a5": 8.5,
    "a4": 9.5,
    "letter": 9.5,
    "a3": 12.0,
    "ledger": 12.0,
    "a2": 16.0,
}

DESIGN_PT = 16.0  # root font size on a page whose short side is 297 mm
CEILING = 2.2  # short texts grow at most this much over the design size
BODY_EM = 1.3  # the principles' size in rem, checked against the legibility floor
CARD_BODY_EM = 1.0
# Headings and labels follow the fitted size only halfway (geometric mean with the
# design size), so a long text keeps a bold title and a short one no giant labels.
LABELS = (
    ("h1", 3.5),
    (".kicker", 0.85),
    ("h2", 0.95),
    (".footer", 0.9),
    (".feedback-ask", 0.8),
)
CARD_LABELS = (("h1", 2.2), (".kicker", 0.9), ("h2", 1.2), (".footer", 0.85))
FEEDBACK_CARD_LABELS = (("h1", 2.4), (".kicker", 1.0), (".link", 1.0))
FEEDBACK_CARD_MIN_PT = 8.0  # read at arm's length on the desk, as the staff card
LOGO_EM = 3.4  # the logo's height, in label units (see LABELS)
TWO_COLUMNS_FROM = 7
MAX_LAYOUTS = 12
CLOSE_ENOUGH = 1.02  # stop when the largest fitting and smallest failing sizes are this close
PX_PER_MM = 96 / 25.4
PT_PER_MM = 72 / 25.4

# For a print shop (--bleed): the artwork runs 3 mm past the trim (the bleed, cut away),
# and a white slug past the bleed holds the crop marks, where the cutter never reaches
# and no artwork touches them: each mark starts 4 mm from the trim (1 mm past the
# bleed), is 6 mm long and 0.25 pt wide, in registration colour (every separation).
BLEED_MM = 3.0
SLUG_MM = 9.0
MARK_OFFSET_MM = 4.0
MARK_LENGTH_MM = 6.0
MARK_WIDTH_PT = 0.25


ONE_LETTER_WORD = re.compile(r"(?<![^\s(\[„\"'«‘“])([aiouwz]) ", re.IGNORECASE)
SPACE_BEFORE_DASH = re.compile(r" ([—–])")
LAST_SPACE = re.compile(r" (\S+)$")


class PosterError(Exception):
    """The text cannot be made into a poster; the message says why, for a facilitator."""


@dataclass(frozen=True)
class PosterText:
    """What the poster says."""

    team: str
    mission: str
    principles: tuple[tuple[str, str], ...]
    language: str
    date: datetime.date
    city: str = ""
    logo: bytes | None = None  # a PNG made by prepare_logo
    signature: str = ""  # who signs the footer; empty: "the team", in the poster's language
    feedback_url: str = ""  # the clients' feedback page, for the QR code (when chosen)


@dataclass(frozen=True)
class CardText:
    """What the staff-room card says."""

    team: str
    principles: tuple[tuple[str, str], ...]
    routine: tuple[str, ...]  # the agreed steps for winning back trust; may be empty
    language: str
    date: datetime.date


@dataclass(frozen=True)
class FeedbackCardText:
    """What the reception desk's table card says: who asks, and where to answer."""

    team: str
    url: str  # the clients' feedback page the QR code opens
    promise: str  # the line saying why the answer matters; may be empty
    language: str


@dataclass(frozen=True)
class PosterOptions:
    """How the poster is printed: paper, frame, colours and what the print shop needs."""

    size: str = "a3"
    orientation: str = "portrait"
    frame: str = "gold"
    theme: str = "ivory"
    bleed: bool = False
    archival: bool = False
    feedback_qr: bool = False  # a small QR code to the clients' feedback page, under the footer

    def __post_init__(self) -> None:
        """Refuse values no poster can be made with."""
        for name, allowed in (
            ("size", SIZES),
            ("orientation", ORIENTATIONS),
            ("frame", FRAMES),
            ("theme", THEMES),
        ):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                choices = ", ".join(allowed)
                raise ValueError(f"unknown poster {name} {value!r}; choose one of {choices}")
        for name in ("bleed", "archival", "feedback_qr"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"poster option {name} must be true or false")

    def as_dict(self) -> dict[str, Any]:
        """Return the options as a JSON-able dict, for the export history."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PosterOptions":
        """Build options from a dict, ignoring unknown keys; bad values raise ValueError."""
        if not isinstance(data, Mapping):
            raise ValueError("poster options must be a mapping")
        known = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


DEFAULT_OPTIONS = PosterOptions()


@dataclass(frozen=True)
class Reading:
    """How far each part of one poster reads from on one paper size (None: too long)."""

    size: str
    title_m: float | None = None
    mission_m: float | None = None
    principles_m: float | None = None

    @property
    def fits(self) -> bool:
        """Tell whether the text prints legibly on this size at all."""
        return self.mission_m is not None

    @property
    def reach_m(self) -> float:
        """Return the distance the running text (mission and principles) reads from."""
        if self.mission_m is None or self.principles_m is None:
            return 0.0
        return min(self.mission_m, self.principles_m)


@dataclass(frozen=True)
class Palette:
    """A colour theme: paper and inks, each ink at least 7:1 against every paper tone."""

    page: str  # the flat paper colour: page margin and bleed
    paper_top: str  # the paper inside the frame is a faint vertical gradient
    paper_bottom: str
    ink: str  # mission and principles
    accent: str  # title, headings, numbers, footer
    ornament: tuple[str, str, str, str, str]  # divider: line, dark, light, mid, darkest

    @property
    def papers(self) -> tuple[str, ...]:
        """Return every paper tone text may sit on."""
        return (self.page, self.paper_top, self.paper_bottom)

    @property
    def inks(self) -> tuple[str, ...]:
        """Return every colour text is printed in."""
        return (self.ink, self.accent)


GOLD_ORNAMENT = ("#9c7424", "#7a5816", "#f3dc8e", "#b78a2b", "#6f5114")
PALETTES: dict[str, Palette] = {
    "ivory": Palette(
        page="#f8f3e3",
        paper_top="#fdf9ec",
        paper_bottom="#f6edd2",
        ink="#2b2117",
        accent="#5e4310",
        ornament=GOLD_ORNAMENT,
    ),
    "white": Palette(
        page="#ffffff",
        paper_top="#ffffff",
        paper_bottom="#f7f7f5",
        ink="#1a1a1a",
        accent="#3a3631",
        ornament=("#6b6b6b", "#4a4a4a", "#d9d9d9", "#8a8a8a", "#3a3a3a"),
    ),
    "sage": Palette(
        page="#eef2e8",
        paper_top="#f6f8f2",
        paper_bottom="#e7ede0",
        ink="#1b281f",
        accent="#2a4532",
        ornament=("#5f8466", "#3d5c44", "#c9dccb", "#6f9476", "#2f4a36"),
    ),
    "navy": Palette(
        page="#f4f6fa",
        paper_top="#fafbfd",
        paper_bottom="#ecf0f6",
        ink="#131c30",
        accent="#1c3461",
        ornament=("#3e5c8f", "#27406b", "#c5d2e8", "#4f6ea3", "#1c3461"),
    ),
}
# The staff card: white paper for the office printer, the poster's brown-gold headings.
CARD_PALETTE = Palette("#ffffff", "#ffffff", "#ffffff", "#1a1a1a", "#5e4310", GOLD_ORNAMENT)


@dataclass(frozen=True)
class FrameStyle:
    """A frame's layers and where the paper and the text start, in mm on an A3 short side."""

    layers: tuple[tuple[str, float], ...]  # css class and inset from the trim, outermost first
    window: float  # the frame's inner edge: where the paper shows
    margin: float  # from the window to the text block
    extra_top: float = 0.0  # more room above and below, for corner ornaments
    ornaments: bool = False  # the gold double rule with corner flourishes


FRAME_STYLES: dict[str, FrameStyle] = {
    "gold": FrameStyle((("moulding", 8.0), ("paper", 20.0)), 20.0, 23.45, 1.0, True),
    "wood": FrameStyle((("wood", 8.0), ("fillet", 25.0), ("paper", 26.4)), 26.4, 15.6),
    "black": FrameStyle((("gallery", 8.0), ("mat", 19.0), ("window", 41.0)), 42.3, 10.5),
    "modern": FrameStyle((("border", 12.0),), 13.0, 19.0),
    "none": FrameStyle((), 0.0, 24.0),
}
GOLD_BAND = 12.0  # the gilt moulding's width
WOOD_BAND = 17.0  # the wood moulding's width
GALLERY_BAND = 11.0  # the black frame's width
BEVEL = 1.3  # the mat's cut bevel around the window
MODERN_LINE = 1.0  # the modern border's line


@dataclass(frozen=True)
class Geometry:
    """Page, frame and text-block measurements in millimetres, scaled from the short side."""

    width: float
    height: float
    frame: str = "gold"
    measuring: bool = False

    @property
    def k(self) -> float:
        """Return the scale relative to an A3 page's short side."""
        return min(self.width, self.height) / 297.0

    @property
    def style(self) -> FrameStyle:
        """Return the frame's layers and insets."""
        return FRAME_STYLES[self.frame]

    @property
    def page_height(self) -> float:
        """Return the page height, three times taller while measuring so nothing is cut."""
        return self.height * 3 if self.measuring else self.height

    @property
    def layers(self) -> tuple[tuple[str, float], ...]:
        """Return the frame layers, outermost first, with their inset from the trim."""
        return tuple((name, inset * self.k) for name, inset in self.style.layers)

    def mm(self, value: float) -> float:
        """Return an A3-scale length in millimetres on this page."""
        return value * self.k

    @property
    def window(self) -> float:
        """Return the inset of the frame's inner edge from the trim."""
        return self.style.window * self.k

    @property
    def rule(self) -> float:
        """Return the inset of the outer line of the gold double rule."""
        return 27 * self.k

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
        return (self.style.window + self.style.margin) * self.k

    @property
    def text_top(self) -> float:
        """Return the inset of the text block from the top edge, clear of the ornaments."""
        return self.text_left + self.style.extra_top * self.k

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


def size_label(size: str) -> str:
    """Return the name a facilitator knows a paper size by."""
    names = {"letter": gettext("US Letter"), "ledger": gettext("Ledger (11 × 17 in)")}
    return names.get(size, size.upper())


def legible_minimum_pt(size: str) -> float:
    """Return the smallest type size (pt) the principles may take on this paper."""
    if size not in LEGIBLE_MINIMUM_PT:
        raise ValueError(f"unknown paper size {size!r}")
    return LEGIBLE_MINIMUM_PT[size]


def clean_text(text: str) -> str:
    """Normalise to NFC, drop control, format and private-use characters, collapse spaces.

    For typesetting, not for input: text arrives here already cleaned by forms.clean_text
    (which keeps line breaks and what people may type); this one flattens it to one line.
    """
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


def footer_line(signature: str, city: str, date: datetime.date, language: str) -> str:
    """Return the poster's footer, a signature: "Zespół Przychodni · Łódź, 2026".

    The team's name is already at the top, so the footer names who signs (the team, in
    the poster's language, unless the facilitator wrote who) and where and when. Set by
    the same rules as the rest: no one-letter word at a line end, no lone last word, no
    line that starts with the dot. Call in the poster's locale.
    """
    who = clean_text(signature) or gettext("The team")
    where = ", ".join(filter(None, [clean_text(city), format_date(date, format="yyyy")]))
    return typeset(f"{who} · {where}", language).replace(" ·", "\u00a0·")


def unsupported_characters(text: str) -> set[str]:
    """Return the characters of ``text`` that the poster fonts cannot draw."""
    covered = fonts.covered_characters()
    return {char for char in clean_text(text) if not char.isspace() and char not in covered}


# ── Logo ─────────────────────────────────────────────────────────────────────


def prepare_logo(data: bytes) -> bytes:
    """Check an uploaded logo (PNG or JPEG, ≤ 2 MB) and return it as a small, clean PNG.

    The whole image is decoded strictly: a truncated file or a corrupt chunk is refused,
    never printed with its missing part filled in black.
    """
    with _messages("en"):
        if len(data) > LOGO_MAX_BYTES:
            raise PosterError(logo_too_large())
        with _logo_lock:
            return offload.run(_decode_strictly, data)


# One logo is decoded at a time: a large one takes tens of megabytes while it is scaled.
_logo_lock = threading.Lock()


def _decode_strictly(data: bytes) -> bytes:
    """Run _prepare_logo with Pillow refusing truncated and corrupt images.

    WeasyPrint sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES`` when it is imported,
    and Pillow then fills what is missing with black and skips checksums. The switch is
    off while a logo decodes (under ``_logo_lock``; WeasyPrint only ever reads our own
    clean images) and put back after; should WeasyPrint's first import set it meanwhile,
    the logo is decoded again.
    """
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        while True:
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            clean = _prepare_logo(data)
            if not ImageFile.LOAD_TRUNCATED_IMAGES:
                return clean
            lenient = True
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient or ImageFile.LOAD_TRUNCATED_IMAGES


def _prepare_logo(data: bytes) -> bytes:
    """Do prepare_logo's work."""
    refused = gettext("The logo must be a PNG or JPEG image.")
    try:
        with warnings.catch_warnings():
            # Pillow only warns about decompression bombs up to twice its limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PosterError(_too_many_pixels()) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PosterError(refused) from None
    with image:
        if image.width * image.height > LOGO_MAX_PIXELS:
            raise PosterError(_too_many_pixels())
        if image.format == "PNG" and getattr(image, "is_animated", False):
            raise PosterError(gettext("The logo must be a still image, not an animation."))
        try:
            image = _decoded(image, data)
            image = ImageOps.exif_transpose(image) or image
            image = _as_rgb(image)
        except (OSError, ValueError, SyntaxError):  # truncated, a bad checksum, bad data
            raise PosterError(
                gettext(
                    "The logo file is damaged or incomplete: save it again and upload the new file."
                )
            ) from None
        image.thumbnail((LOGO_MAX_PX, LOGO_MAX_PX), Image.Resampling.LANCZOS)
        # A new image from the pixels alone: no EXIF, ICC, text chunks or timestamps.
        clean = Image.frombytes(image.mode, image.size, image.tobytes())
        out = io.BytesIO()
        clean.save(out, "PNG", optimize=True)
        return out.getvalue()


def _decoded(image: "Image.Image", data: bytes) -> "Image.Image":
    """Decode the logo near the size it is stored at: a JPEG at a reduced scale (Pillow's
    draft), a large PNG a band at a time, reduced as it goes (png.py); whole otherwise."""
    scale = min(1.0, LOGO_MAX_PX / max(image.size))
    if image.format == "JPEG":
        width, height = (max(1, round(side * scale)) for side in image.size)
        image.draft(image.mode, (width, height))  # at least that size
    elif image.width * image.height > LOGO_WHOLE_MAX_PIXELS:
        # Box-averaged to 1.5 times the stored size or more, then LANCZOS does the rest.
        reduced = png.reduce_in_bands(data, max(1, int(1 / scale / 1.5)))
        if reduced is None:
            raise PosterError(_too_many_pixels())
        if "exif" in image.info:
            reduced.info["exif"] = image.info["exif"]
        return reduced
    if image.width * image.height > LOGO_WHOLE_MAX_PIXELS:
        raise PosterError(_too_many_pixels())
    image.load()
    return image


def logo_too_large() -> str:
    """Return the message for a logo file over the size limit."""
    return gettext("The logo is larger than 2 MB: please upload a smaller file.")


def _too_many_pixels() -> str:
    """Return the message for an image too large to open safely."""
    return gettext("The logo has too many pixels: please upload a smaller image.")


def _as_rgb(image: "Image.Image") -> "Image.Image":
    """Return the image as RGB, RGBA or L, converting CMYK and 16-bit images properly."""
    if image.mode == "CMYK":
        profile = image.info.get("icc_profile")
        if profile:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        return image.convert("RGB")
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda value: value / 257).convert("L")
    if image.mode in ("RGB", "L"):
        return image
    image = image.convert("RGBA")
    if image.getchannel("A").getextrema()[0] == 255:
        return image.convert("RGB")  # opaque after all: no alpha channel to embed
    return image


def _png_size(png: bytes) -> tuple[int, int]:
    """Return the width and height recorded in a PNG's header."""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR" or not width or not height:
        raise PosterError(gettext("The logo must be a PNG or JPEG image."))
    return width, height


# ── Rendering ────────────────────────────────────────────────────────────────


def render_poster(text: PosterText, options: PosterOptions = DEFAULT_OPTIONS) -> bytes:
    """Render the poster as a one-page PDF at the largest legible type that fits.

    Needs an app context. Raises PosterError when the text cannot be printed legibly
    at this size, in the request's language (or the poster's, outside a request).
    """
    with _messages(text.language):
        return offload.run(_render_poster, text, options)


def _render_poster(text: PosterText, options: PosterOptions) -> bytes:
    """Do render_poster's work."""
    width, height = page_size(options.size, options.orientation)
    geometry = Geometry(width, height, options.frame)
    poster = _prepare(text, geometry)
    poster["feedback"] = _feedback_qr(text, options, geometry)
    renderer = _renderer()
    images: dict = {}
    with renderer.lock, force_locale(text.language):
        poster["footer"] = footer_line(text.signature, text.city, text.date, text.language)
        fitted = _fitted(renderer, text, options, poster, geometry, images)
        if fitted is not None:
            doc = _centred(
                lambda font_pt, g, pad: renderer.poster(poster, options, g, font_pt, pad, images),
                geometry,
                fitted,
            )
    if fitted is None:
        raise PosterError(
            gettext(
                "The text is too long to print legibly at %(size)s: choose a larger size "
                "or shorten the mission or principles.",
                size=size_label(options.size),
            )
        )
    if len(doc.pages) != 1:
        raise PosterError(gettext("The poster text does not fit on one page."))
    return _write(doc, options.archival, options.bleed)


def _fitted(
    renderer: "_Renderer",
    text: PosterText,
    options: PosterOptions,
    poster: dict[str, Any],
    geometry: Geometry,
    images: dict,
) -> tuple[float, float] | None:
    """Return the fitted root size and text height, remembered by text and page; None
    when the text does not fit legibly (call under the renderer's lock, in the locale)."""
    key = (text, options.size, options.orientation, options.frame, options.feedback_qr)
    if key not in renderer.fits:
        fitted = _fit_layouts(
            lambda font_pt, g: renderer.poster(poster, options, g, font_pt, 0, images),
            geometry,
            legible_minimum_pt(options.size) / BODY_EM,
        )
        renderer.remember_fit(key, fitted)
    return renderer.fits[key]


def reading_distances(
    text: PosterText, orientation: str = "portrait", frame: str = "gold", feedback_qr: bool = False
) -> tuple[Reading, ...]:
    """Return, for every paper size from the smallest, how far this text's title, mission
    and principles read from, at the sizes the poster would really print them.

    Fits the text on each size (remembered, as for render_poster). Needs an app context;
    raises PosterError when the text cannot be made into a poster at all.
    """
    with _messages(text.language):
        return offload.run(_reading_distances, text, orientation, frame, feedback_qr)


def _reading_distances(
    text: PosterText, orientation: str, frame: str, feedback_qr: bool = False
) -> tuple[Reading, ...]:
    """Do reading_distances' work."""
    renderer = _renderer()
    readings = []
    for size in SIZES_BY_AREA:
        options = PosterOptions(
            size=size, orientation=orientation, frame=frame, feedback_qr=feedback_qr
        )
        geometry = Geometry(*page_size(size, orientation), frame)
        poster = _prepare(text, geometry)
        poster["feedback"] = _feedback_qr(text, options, geometry)
        with renderer.lock, force_locale(text.language):
            poster["footer"] = footer_line(text.signature, text.city, text.date, text.language)
            fitted = _fitted(renderer, text, options, poster, geometry, {})
        readings.append(_reading(size, geometry, fitted))
    return tuple(readings)


def _reading(size: str, geometry: Geometry, fitted: tuple[float, float] | None) -> Reading:
    """Return the distances of one fitted poster's parts."""
    if fitted is None:
        return Reading(size)
    font_pt = fitted[0]
    label = math.sqrt(font_pt * geometry.design_pt)
    title_pt = dict(_labels(LABELS, label, legible_minimum_pt(size)))["h1"]
    return Reading(
        size,
        title_m=reading_distance_m(title_pt, CINZEL_SMALL_CAPS_EM),
        mission_m=reading_distance_m(MISSION_EM * font_pt),
        principles_m=reading_distance_m(BODY_EM * font_pt),
    )


def recommended_size(readings: tuple[Reading, ...], distance_m: float) -> Reading | None:
    """Return the smallest size whose mission and principles read from ``distance_m``."""
    for reading in readings:
        if reading.fits and round(reading.reach_m, 1) >= distance_m:
            return reading
    return None


def render_preview(
    text: PosterText, options: PosterOptions = DEFAULT_OPTIONS, width_px: int = 900
) -> bytes:
    """Return a PNG, ``width_px`` wide, of exactly the page render_poster makes."""
    if not 100 <= width_px <= 4000:
        raise ValueError("a preview is 100 to 4000 pixels wide")
    return rasterise(render_poster(text, options), width_px)


# What warm_up draws: a short poster in Polish, so its letters' glyphs are loaded too.
WARM_UP_TEXT = PosterText(
    team="Zespół",
    mission="Słuchamy do końca i mówimy prosto, żeby każdy wychodził spokojniejszy.",
    principles=(("Uważność", "najpierw słuchamy, potem radzimy"),),
    language="pl",
    date=datetime.date(2026, 1, 1),
)


def warm_up(width_px: int = 900) -> None:
    """Do once what a process's first poster would otherwise wait for: load WeasyPrint,
    parse the fonts and stylesheets, lay out and write a poster (fontconfig, Pango and the
    font subsetter warm), and load the preview's rasteriser. Needs an app context."""
    render_preview(WARM_UP_TEXT, DEFAULT_OPTIONS, width_px)


def rasterise(pdf: bytes, width_px: int) -> bytes:
    """Draw the first page of a PDF (its whole media box) as a PNG ``width_px`` wide."""
    return offload.run(_rasterise, pdf, width_px)


def _rasterise(pdf: bytes, width_px: int) -> bytes:
    """Do rasterise's work."""
    import pypdfium2 as pdfium  # noqa: PLC0415 - lazy: a native library, ~0.1 s to load

    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            width_pt, _ = page.get_size()
            bitmap = page.render(scale=width_px / width_pt)
            image = bitmap.to_pil().convert("RGB")
            page.close()
        finally:
            document.close()
    if image.width != width_px:
        height = round(image.height * width_px / image.width)
        image = image.resize((width_px, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # zlib level 3: the same size within 5 %, packed in half the time of the default 6 (a
    # 1400-pixel projector image 65 ms instead of 115).
    image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


PNG_COMPRESS_LEVEL = 3
_pdfium_lock = threading.Lock()


def render_staff_card(card: CardText, size: str = "a5") -> bytes:
    """Render the staff-room card: the trust-recovery steps (if any) and the principles."""
    if size not in CARD_SIZES:
        raise ValueError(f"unknown card size {size!r}; choose one of {', '.join(CARD_SIZES)}")
    with _messages(card.language):
        return offload.run(_render_staff_card, card, size)


def _render_staff_card(card: CardText, size: str) -> bytes:
    """Do render_staff_card's work."""
    width, height = _CARD_MM[size]
    geometry = Geometry(width, height, "modern")
    content = _prepare_card(card)
    renderer = _renderer()
    floor = legible_minimum_pt(size) / CARD_BODY_EM
    with renderer.lock, force_locale(card.language):
        content["date"] = format_date(card.date, format="long")
        def layout(font_pt: float, g: Geometry, pad: float = 0) -> "Document":
            return renderer.card(content, size, g, font_pt, pad)

        fitted = _fit_layouts(layout, geometry, floor)
        if fitted is not None:
            doc = _centred(layout, geometry, fitted)
    if fitted is None:
        raise PosterError(
            gettext(
                "The card text is too long to print legibly at %(size)s: choose A4 "
                "or shorten the routine or principles.",
                size=size_label(size),
            )
        )
    return _write(doc, archival=False)


def render_feedback_card(card: FeedbackCardText, size: str = "a6") -> bytes:
    """Render the reception desk's table card: the team, the question, the QR code large,
    the short link under it and one line of why."""
    if size not in FEEDBACK_CARD_SIZES:
        choices = ", ".join(FEEDBACK_CARD_SIZES)
        raise ValueError(f"unknown table card size {size!r}; choose one of {choices}")
    with _messages(card.language):
        return offload.run(_render_feedback_card, card, size)


def feedback_card_qr_mm(size: str) -> float:
    """Return the side of the table card's QR code (quiet zone included), in mm."""
    return Geometry(*_FEEDBACK_CARD_MM[size], "modern").text_width * FEEDBACK_CARD_QR_SHARE


def _render_feedback_card(card: FeedbackCardText, size: str) -> bytes:
    """Do render_feedback_card's work."""
    geometry = Geometry(*_FEEDBACK_CARD_MM[size], "modern")
    team = clean_text(card.team)
    promise = typeset(clean_text(card.promise), card.language)
    _check_characters(team, promise)
    content = {
        "team": team,
        "kicker": typeset(team, card.language),
        "language": card.language,
        "promise": promise,
        "link": card.url.partition("://")[2] or card.url,
        "qr": {
            "src": feedback_qr_svg(card.url, CARD_PALETTE.ink),
            "mm": feedback_card_qr_mm(size),
        },
    }
    renderer = _renderer()
    with renderer.lock, force_locale(card.language):
        def layout(font_pt: float, g: Geometry, pad: float = 0) -> "Document":
            return renderer.feedback_card(content, g, font_pt, pad)

        fitted = _fit_layouts(layout, geometry, FEEDBACK_CARD_MIN_PT)
        if fitted is not None:
            doc = _centred(layout, geometry, fitted)
    if fitted is None or len(doc.pages) != 1:
        raise PosterError(
            gettext(
                "The table card's text does not fit at %(size)s: choose A5 "
                "or shorten the team's name.",
                size=size_label(size),
            )
        )
    return _write(doc, archival=False)


def render_document(html: str, stylesheet: Path) -> bytes:
    """Render a printable HTML document with our fonts, locked fetcher and ``stylesheet``.

    The HTML should carry its own <title>, <html lang> and dcterms dates; the result is
    a tagged PDF/UA-1 file. Needs an app context.
    """
    return offload.run(_render_document, html, stylesheet)


def _render_document(html: str, stylesheet: Path) -> bytes:
    """Do render_document's work."""
    renderer = _renderer()
    with renderer.lock:
        doc = renderer.render(html, [renderer.font_css, renderer.stylesheet(Path(stylesheet))])
    return _write(doc, archival=False)


@contextmanager
def _messages(language: str) -> Iterator[None]:
    """Translate messages for the request's reader, or into ``language`` outside a request
    (the command line, a worker), where the app's locale selector has no session to read."""
    if has_request_context():
        yield
    else:
        with force_locale(language):
            yield


def _write(doc: "Document", archival: bool, bleed: bool = False) -> bytes:
    """Write a laid-out document as PDF/UA-1 or, for archives, as tagged PDF/A-2u.

    PDF/UA-1 tags the text for screen readers; the painted frame becomes artifacts.
    WeasyPrint 70 offers PDF/A-1b…4f; the "a" levels force tags, the "u" levels take
    ``pdf_tags=True``, so PDF/A-2u keeps the same structure tree. PDF/A-2 rather than -3:
    no attachments are needed, and archives that refuse PDF/A-3 (any file may be embedded)
    accept -2. "u" rather than "a": every glyph maps to Unicode, which WeasyPrint ensures;
    "a" claims a fully accessible structure we cannot validate here (no veraPDF). The XMP
    does not also claim PDF/UA: in PDF/A-2 that identifier needs an extension schema.
    """
    finisher = _print_shop_marks if bleed else None
    if not archival:
        return doc.write_pdf(pdf_variant="pdf/ua-1", finisher=finisher)
    # The output intent's sRGB profile, given under our own name: for "srgb" WeasyPrint
    # 70 opens its bundled profile and never closes the file (a ResourceWarning).
    doc.color_profiles[ARCHIVAL_INTENT] = _srgb_profile()
    return doc.write_pdf(
        pdf_variant="pdf/a-2u", pdf_tags=True, output_intent=ARCHIVAL_INTENT, finisher=finisher
    )


def _print_shop_marks(_document: "Document", pdf: Any) -> None:
    """Set each page's BleedBox 3 mm past the trim, whiten the slug and draw crop marks.

    WeasyPrint makes the MediaBox the CSS bleed (here bleed and slug together), puts the
    BleedBox at most 10 pt past the trim and draws its own marks inside the bleed, so the
    page is laid out with no marks and finished here. The marks are a content stream of
    their own, after the page's (wrapped in q/Q so its flipped coordinates end with it),
    marked as an artifact so tagged PDFs keep them out of the structure tree.
    """
    import pydyf  # noqa: PLC0415 - lazy: comes with WeasyPrint, which takes ~1 s to load

    bleed, offset = BLEED_MM * PT_PER_MM, MARK_OFFSET_MM * PT_PER_MM
    length = MARK_LENGTH_MM * PT_PER_MM
    kids = pdf.pages["Kids"]
    for number in kids[::3]:
        page = pdf.objects[number]
        x0, y0, x1, y1 = (float(value) for value in page["MediaBox"])
        left, top, right, bottom = (float(value) for value in page["TrimBox"])
        page["BleedBox"] = pydyf.Array([left - bleed, top - bleed, right + bleed, bottom + bleed])
        resources = _resolve(pdf, page["Resources"])
        spaces = _resolve(pdf, resources.setdefault("ColorSpace", pydyf.Dictionary()))
        spaces["CredoRegistration"] = pydyf.Array(
            ["/Separation", "/All", "/DeviceCMYK", _registration_tint(pdf)]
        )
        marks = pydyf.Stream()
        marks.pop_state()
        marks.begin_marked_content("Artifact")
        # The slug is white: the page's paper colour stops at the bleed.
        marks.set_color_rgb(1, 1, 1)
        marks.rectangle(x0, y0, x1 - x0, y1 - y0)
        marks.rectangle(
            left - bleed, top - bleed, right - left + bleed * 2, bottom - top + bleed * 2
        )
        marks.fill(even_odd=True)
        marks.set_color_space("CredoRegistration", stroke=True)
        marks.set_color_special(None, True, 1)
        marks.set_line_width(MARK_WIDTH_PT)
        for x, y, sx, sy in (
            (left, top, -1, -1), (right, top, 1, -1), (left, bottom, -1, 1), (right, bottom, 1, 1)
        ):  # fmt: skip
            # Each corner: one mark on the line of the vertical trim, one on the horizontal.
            marks.move_to(x, y + sy * offset)
            marks.line_to(x, y + sy * (offset + length))
            marks.move_to(x + sx * offset, y)
            marks.line_to(x + sx * (offset + length), y)
        marks.stroke()
        marks.end_marked_content()
        opening = pydyf.Stream()
        opening.push_state()
        for stream in (opening, marks):
            pdf.add_object(stream)
        page["Contents"] = pydyf.Array([opening.reference, page["Contents"], marks.reference])


def _resolve(pdf: Any, value: Any) -> Any:
    """Return the object a reference (``b"12 0 R"``) points to, or the value itself."""
    if isinstance(value, bytes):
        return pdf.objects[int(value.split()[0])]
    return value


def _registration_tint(pdf: Any) -> Any:
    """Return the tint transform of the registration colour: 100 % of C, M, Y and K."""
    import pydyf  # noqa: PLC0415 - lazy: comes with WeasyPrint, which takes ~1 s to load

    tint = pydyf.Dictionary(
        {
            "FunctionType": 2,
            "Domain": pydyf.Array([0, 1]),
            "C0": pydyf.Array([0, 0, 0, 0]),
            "C1": pydyf.Array([1, 1, 1, 1]),
            "N": 1,
        }
    )
    pdf.add_object(tint)
    return tint.reference


ARCHIVAL_INTENT = "credo-srgb"


def _srgb_profile() -> Any:
    """Return WeasyPrint's bundled sRGB ICC profile, read and closed."""
    from weasyprint.css import ColorProfile  # noqa: PLC0415 - lazy: WeasyPrint takes ~1 s to load

    data = (files("weasyprint") / "pdf" / "sRGB2014.icc").read_bytes()
    rgb = (["r"], ["g"], ["b"])
    return ColorProfile(io.BytesIO(data), "sRGB2014.icc", "relative-colorimetric", rgb)


# ── Text preparation ─────────────────────────────────────────────────────────


def _column_count(principles: int, landscape: bool) -> int:
    """Return how many columns the principles take: two from seven, three on a wide page."""
    if principles < TWO_COLUMNS_FROM:
        return 2 if landscape and principles >= 4 else 1
    return 3 if landscape else 2


def _check_characters(*texts: str) -> None:
    """Refuse text the poster fonts cannot draw, naming the characters."""
    everything = " ".join(texts)
    if len(everything) > POSTER_MAX_CHARACTERS:
        raise PosterError(gettext("The text is too long for a poster."))
    missing = unsupported_characters(everything)
    if missing:
        named = ", ".join(f"{char} (U+{ord(char):04X})" for char in sorted(missing))
        raise PosterError(
            gettext("The poster fonts cannot draw these characters: %(chars)s.", chars=named)
        )


def _numbered(principles: tuple[tuple[str, str], ...], language: str) -> list[tuple]:
    """Clean, drop empty and number the principles."""
    cleaned = [(clean_text(name), clean_text(line)) for name, line in principles]
    kept = [(name, line) for name, line in cleaned if name or line]
    return [
        (number, typeset(name, language), typeset(line, language))
        for number, (name, line) in enumerate(kept, start=1)
    ]


def _prepare(text: PosterText, geometry: Geometry) -> dict[str, Any]:
    """Clean, check and typeset the user's text into the template's context."""
    team, mission, city = clean_text(text.team), clean_text(text.mission), clean_text(text.city)
    numbered = _numbered(text.principles, text.language)
    if not mission:
        raise PosterError(gettext("The mission is empty."))
    if not numbered or len(numbered) > MAX_PRINCIPLES:
        raise PosterError(gettext("A poster holds 1 to %(max)d principles.", max=MAX_PRINCIPLES))
    signature = clean_text(text.signature)
    _check_characters(team, mission, city, signature, *(f"{n} {line}" for _, n, line in numbered))
    language = text.language
    landscape = geometry.width > geometry.height
    step = math.ceil(len(numbered) / _column_count(len(numbered), landscape))
    return {
        "team": team,
        "city": city,
        "kicker": typeset(team, language),
        "description": mission,
        "mission": typeset(mission, language),
        "language": language,
        "created": text.date.isoformat(),
        "columns": [numbered[start : start + step] for start in range(0, len(numbered), step)],
        "logo": _logo_context(text.logo),
        "landscape": landscape,
    }


# The feedback QR code: its side with the quiet zone, in mm. On the poster it is small (it
# is read from arm's length, not from across the room): 22 mm on A3, never under 20 mm,
# so a version-4 code's module stays near half a millimetre. On the table card it takes
# most of the width.
POSTER_QR_MM = 22.0
POSTER_QR_MIN_MM = 18.0
FEEDBACK_CARD_QR_SHARE = 0.62  # of the table card's text width
QR_ERROR = "m"  # as web.qr_svg draws it on screens
QR_BORDER = 4  # modules of quiet zone, as the standard asks


def feedback_qr_svg(url: str, dark: str) -> str:
    """Return the QR code for ``url`` as an SVG data: URL (vector in the PDF), the quiet
    zone left as the paper's own colour."""
    code = segno.make(url, error=QR_ERROR)
    return code.svg_data_uri(dark=dark, light=None, border=QR_BORDER, xmldecl=False)


def poster_qr_mm(size: str, orientation: str = "portrait") -> float:
    """Return the side of the poster's feedback QR code (quiet zone included), in mm."""
    return max(POSTER_QR_MIN_MM, Geometry(*page_size(size, orientation)).mm(POSTER_QR_MM))


def _feedback_qr(
    text: PosterText, options: PosterOptions, geometry: Geometry
) -> dict[str, Any] | None:
    """Return the poster's feedback QR code, or None when not chosen (or no link)."""
    if not (options.feedback_qr and text.feedback_url):
        return None
    side = max(POSTER_QR_MIN_MM, geometry.mm(POSTER_QR_MM))
    return {"src": feedback_qr_svg(text.feedback_url, PALETTES[options.theme].ink), "mm": side}


def _logo_context(logo: bytes | None) -> dict[str, Any] | None:
    """Return the logo's data: URL and its aspect ratio, or None without a logo."""
    if not logo:
        return None
    width, height = _png_size(logo)
    src = "data:image/png;base64," + base64.b64encode(logo).decode()
    return {"src": src, "ratio": width / height}


def _prepare_card(card: CardText) -> dict[str, Any]:
    """Clean, check and typeset the staff card's text."""
    team = clean_text(card.team)
    numbered = _numbered(card.principles, card.language)
    steps = [typeset(clean_text(step), card.language) for step in card.routine]
    steps = [step for step in steps if step]
    if not numbered or len(numbered) > MAX_PRINCIPLES:
        raise PosterError(gettext("A poster holds 1 to %(max)d principles.", max=MAX_PRINCIPLES))
    if len(steps) > CARD_MAX_STEPS:
        raise PosterError(gettext("A card holds at most %(max)d steps.", max=CARD_MAX_STEPS))
    _check_characters(team, *steps, *(f"{n} {line}" for _, n, line in numbered))
    return {
        "team": team,
        "kicker": typeset(team, card.language),
        "language": card.language,
        "created": card.date.isoformat(),
        "steps": steps,
        "principles": numbered,
    }


# ── Fitting ──────────────────────────────────────────────────────────────────


def _fit_layouts(
    layout: Callable[[float, Geometry], "Document"], geometry: Geometry, floor: float
) -> tuple[float, float] | None:
    """Return the largest root size (≥ floor) whose text block fits, and its height in px."""
    measuring = Geometry(geometry.width, geometry.height, geometry.frame, measuring=True)
    measured: dict[float, float] = {}

    def measure(font_pt: float) -> float:
        doc = layout(font_pt, measuring)
        _, top, _, bottom = doc.pages[0].anchors["content"]
        measured[font_pt] = bottom - top
        return measured[font_pt]

    target = geometry.text_height * PX_PER_MM
    font_pt = _fit(measure, target, geometry.design_pt, floor)
    return None if font_pt is None else (font_pt, measured[font_pt])


def _centred(
    layout: Callable[[float, Geometry, float], "Document"],
    geometry: Geometry,
    fitted: tuple[float, float],
) -> "Document":
    """Lay out at the fitted root size, the text block centred in its area (the padding
    above it half of what the fitted height leaves free)."""
    font_pt, height_px = fitted
    return layout(font_pt, geometry, (geometry.text_height * PX_PER_MM - height_px) / 2)


def _fit(
    measure: Callable[[float], float], target: float, design: float, floor: float
) -> float | None:
    """Return the largest root size in [floor, ceiling] whose height stays within ``target``.

    Wrapped text grows about with the square of the type size, so each layout predicts
    where the height meets the target (from the bracket's two ends once there is one).
    The next size is taken just past that prediction, on the side that would close the
    bracket, so a typical text needs three layouts to pin the size within 2 %.
    """
    low, high = floor, max(design * CEILING, floor)
    fits: tuple[float, float] | None = None  # the largest size that fits, and its height
    fails: tuple[float, float] | None = None  # the smallest size that does not
    size = min(high, max(low, design))
    nudge = math.sqrt(CLOSE_ENOUGH)  # half the tolerance, as a ratio
    for _ in range(MAX_LAYOUTS):
        height = measure(size)
        fitted = height <= target
        if fitted and (fits is None or size > fits[0]):
            fits = (size, height)
        elif not fitted and (fails is None or size < fails[0]):
            fails = (size, height)
        if fits and fails and fails[0] / fits[0] <= CLOSE_ENOUGH:
            break
        if (fits and fits[0] >= high) or (fails and fails[0] <= low):
            break
        predicted = size * (target / height) ** 0.5
        if fits and fails and fails[0] / fits[0] < 1.15:
            # A close bracket: interpolate in log-log space between its ends.
            (s0, h0), (s1, h1) = fits, fails
            exponent = math.log(h1 / h0) / math.log(s1 / s0) if h1 > h0 else 2.0
            predicted = s0 * (target / h0) ** (1 / min(4.0, max(1.0, exponent)))
        # Probe just past the prediction, on the side that would close the bracket.
        if fitted:
            guess = max(predicted * nudge, size * CLOSE_ENOUGH)
        else:
            guess = min(predicted / nudge, size / CLOSE_ENOUGH)
        if fits and fails:  # strictly inside the bracket, so every layout narrows it
            guess = min(max(guess, fits[0] * nudge), fails[0] / nudge)
        size = min(high, max(low, guess))
    return fits[0] if fits else None


FIT_CACHE_SIZE = 256


def load_libraries() -> None:
    """Load WeasyPrint and pdfium now. A gevent worker calls this as it starts: loading them
    looks for their native libraries with ``ldconfig``, a subprocess that gevent can watch
    only from its main loop, never from the thread pool the renders run on (offload.py)."""
    import pypdfium2  # noqa: F401, PLC0415 - lazy: loaded here only in a gevent worker
    import weasyprint.text.fonts  # noqa: F401, PLC0415 - lazy: WeasyPrint takes ~1 s to load


def clear_caches() -> None:
    """Forget remembered fits (the benchmark measures the search itself)."""
    with _renderers_lock:
        for renderer in _renderers.values():
            with renderer.lock:
                renderer.fits.clear()


# ── Decoration ───────────────────────────────────────────────────────────────


def _data_url(svg: str) -> str:
    """Return an SVG document as a base64 data: URL."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


_svg_cache: dict[tuple, str] = {}


def _divider_url(static: Path, theme: str) -> str:
    """Return the title divider in the theme's ornament colours, as a data: URL."""
    key = ("divider", static, theme)
    if key not in _svg_cache:
        svg = (static / "poster" / "divider.svg").read_text(encoding="utf-8")
        for gold, colour in zip(GOLD_ORNAMENT, PALETTES[theme].ornament, strict=True):
            svg = svg.replace(gold, colour)
        _svg_cache[key] = _data_url(svg)
    return _svg_cache[key]


def _gold_url(width: float, height: float, band: float) -> str:
    """Return a mitred gilt moulding, ``width`` × ``height`` mm, as an SVG data: URL."""
    key = ("gold", round(width, 3), round(height, 3), round(band, 3))
    if key not in _svg_cache:
        _svg_cache[key] = _data_url(_gold_svg(width, height, band))
    return _svg_cache[key]


# The gilt moulding's cross-section, outer edge (0) to sight edge (1), as heights: a
# fillet, a rounded outer bead, a cove, an ogee sweep up to a flat top, a small inner
# bead and the bevel down into the rebate.
GOLD_PROFILE = (
    (0.00, 0.00), (0.02, 0.16), (0.05, 0.36), (0.09, 0.47), (0.13, 0.49), (0.17, 0.45),
    (0.21, 0.34), (0.24, 0.27), (0.29, 0.24), (0.35, 0.28), (0.43, 0.40), (0.52, 0.56),
    (0.60, 0.66), (0.66, 0.69), (0.71, 0.69), (0.74, 0.66), (0.76, 0.70), (0.79, 0.76),
    (0.82, 0.77), (0.85, 0.73), (0.87, 0.64), (0.89, 0.60), (0.94, 0.42), (1.00, 0.18),
)  # fmt: skip
# Gilding from shadow to highlight: the shade (0–1) of a facet picks a colour here.
GOLD_RAMP = (
    (0.00, (62, 42, 8)), (0.22, (111, 81, 20)), (0.42, (158, 118, 36)),
    (0.60, (199, 156, 60)), (0.76, (230, 196, 110)), (0.90, (246, 224, 150)),
    (1.00, (255, 246, 212)),
)  # fmt: skip


def _gold_svg(width: float, height: float, band: float) -> str:
    """Draw four mitred gilt sides, each shaded from its profile, lit from the top left.

    Every strip of a side is one solid trapezoid (as in _wood_svg, for poppler), its
    colour from how its facet faces the light: a diffuse part and a burnished highlight.
    The sides face different ways, so the light changes at each mitre as on a real frame.
    """
    light = (-0.48, -0.62, 0.62)  # towards the light: up and to the left, above the wall
    norm = math.sqrt(sum(c * c for c in light))
    light = tuple(c / norm for c in light)
    half = (light[0], light[1], light[2] + 1)  # halfway to the viewer, for the highlight
    norm = math.sqrt(sum(c * c for c in half))
    half = tuple(c / norm for c in half)
    relief = 1.6  # how steep the profile is, across the band

    def colour(shade: float) -> str:
        shade = max(0.0, min(1.0, shade))
        for (s0, c0), (s1, c1) in zip(GOLD_RAMP, GOLD_RAMP[1:], strict=False):
            if s0 <= shade <= s1:
                t = (shade - s0) / (s1 - s0)
                return "#" + "".join(
                    f"{round(a + (b - a) * t):02x}" for a, b in zip(c0, c1, strict=True)
                )
        return "#fff6d4"

    # The slope at each point of the profile (central differences), followed linearly
    # between them, so the light rolls smoothly over beads and coves.
    knots = [p for p, _ in GOLD_PROFILE]
    heights = [h for _, h in GOLD_PROFILE]
    slopes = [
        (heights[min(i + 1, len(knots) - 1)] - heights[max(i - 1, 0)])
        / (knots[min(i + 1, len(knots) - 1)] - knots[max(i - 1, 0)])
        for i in range(len(knots))
    ]

    def slope(p: float) -> float:
        for i in range(len(knots) - 1):
            if knots[i] <= p <= knots[i + 1]:
                t = (p - knots[i]) / (knots[i + 1] - knots[i])
                return (slopes[i] + (slopes[i + 1] - slopes[i]) * t) * relief
        return 0.0

    def point(to: Callable[[float, float], tuple[float, float]], x: float, y: float) -> str:
        px, py = to(x, y)
        return f"{px:.3f},{py:.3f}"

    sides = {  # inward direction of each side, and how side coordinates map to the page
        "top": ((0.0, 1.0), lambda x, y: (x, y), width),
        "right": ((-1.0, 0.0), lambda x, y: (width - y, x), height),
        "bottom": ((0.0, -1.0), lambda x, y: (width - x, height - y), width),
        "left": ((1.0, 0.0), lambda x, y: (y, height - x), height),
    }
    strips = 120
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.3f} {height:.3f}" '
        f'width="{width:.3f}mm" height="{height:.3f}mm">'
    ]
    for (dx, dy), to, length in sides.values():
        for i in range(strips):
            depth = band * i / strips
            rise = slope((i + 0.5) / strips)
            normal = (-rise * dx, -rise * dy, 1.0)
            size = math.sqrt(sum(c * c for c in normal))
            diffuse = max(0.0, sum(n * c for n, c in zip(normal, light, strict=True)) / size)
            facing = max(0.0, sum(n * h for n, h in zip(normal, half, strict=True)) / size)
            shade = 0.2 + 0.72 * diffuse**1.3 + 0.4 * facing**40
            corners = [(depth, depth), (length - depth, depth), (length - band, band), (band, band)]
            outline = " ".join(point(to, x, y) for x, y in corners)
            parts.append(f'<polygon points="{outline}" fill="{colour(shade)}"/>')
    parts.append(
        _mitres_and_edges(
            width,
            height,
            band,
            'stroke="#4a3309" stroke-width="0.06" stroke-opacity="0.55"',
            "#3e2a06",
            0.1,
            0.2,
            0.25,
        )
    )
    parts.append("</svg>")
    return "".join(parts)


def _wood_url(width: float, height: float, band: float) -> str:
    """Return a mitred dark-wood moulding, ``width`` × ``height`` mm, as an SVG data: URL."""
    key = ("wood", round(width, 3), round(height, 3), round(band, 3))
    if key not in _svg_cache:
        _svg_cache[key] = _data_url(_wood_svg(width, height, band))
    return _svg_cache[key]


def _wood_svg(width: float, height: float, band: float) -> str:
    """Draw four mitred sides with the grain along each, lit from the top left.

    Each side is a stack of solid trapezoids, outer edge inwards, rather than one SVG
    gradient: poppler's Splash renderer (pdftoppm, Okular, many CUPS printer filters)
    drops parts of large gradient-filled SVG shapes.
    """
    grain = random.Random(1707)  # fixed seed: the same poster gives the same bytes
    # Across the moulding, outer edge (0) to inner edge (1): a rounded outer bead,
    # a groove, a flat and a bevel down into the rebate.
    profile = [
        (0.00, 0.55), (0.04, 1.10), (0.10, 1.32), (0.18, 1.12), (0.26, 0.92),
        (0.34, 0.70), (0.40, 0.62), (0.46, 0.86), (0.56, 1.02), (0.70, 1.00),
        (0.80, 0.94), (0.88, 1.18), (0.94, 0.84), (1.00, 0.50),
    ]  # fmt: skip

    def brightness(p: float) -> float:
        for (p0, b0), (p1, b1) in zip(profile, profile[1:], strict=False):
            if p0 <= p <= p1:
                return b0 + (b1 - b0) * (p - p0) / (p1 - p0)
        return 1.0

    strips = 44
    streaks = [1 + (grain.random() - 0.5) * 0.16 for _ in range(strips)]
    base = (84, 50, 28)
    sides = {  # light falls from the top left
        "top": (1.12, lambda x, y: (x, y), width),
        "right": (0.80, lambda x, y: (width - y, x), height),
        "bottom": (0.70, lambda x, y: (width - x, height - y), width),
        "left": (0.96, lambda x, y: (y, height - x), height),
    }

    def colour(shade: float) -> str:
        return "#" + "".join(f"{max(0, min(255, round(c * shade))):02x}" for c in base)

    def point(to: Callable[[float, float], tuple[float, float]], x: float, y: float) -> str:
        px, py = to(x, y)
        return f"{px:.3f},{py:.3f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.3f} {height:.3f}" '
        f'width="{width:.3f}mm" height="{height:.3f}mm">'
    ]
    for light, to, length in sides.values():
        for i in range(strips):
            # Each strip reaches the inner edge; the next one paints over all but its
            # outer part, so neighbours never leave a hairline gap between them.
            depth = band * i / strips
            shade = brightness((i + 0.5) / strips) * streaks[i] * light
            corners = [(depth, depth), (length - depth, depth), (length - band, band), (band, band)]
            outline = " ".join(point(to, x, y) for x, y in corners)
            parts.append(f'<polygon points="{outline}" fill="{colour(shade)}"/>')
        # Darker grain lines that wander a little along the side, mitre to mitre.
        for _ in range(7):
            depth = band * (0.2 + 0.75 * grain.random())
            path = [f"M{point(to, depth, depth)}"]
            steps = max(2, int((length - 2 * depth) / 45))
            for i in range(1, steps + 1):
                x = depth + (length - 2 * depth) * i / steps
                wobble = 0 if i == steps else (grain.random() - 0.5) * 0.7
                mid = depth + (length - 2 * depth) * (i - 0.5) / steps
                path.append(f"Q{point(to, mid, depth + wobble)} {point(to, x, depth)}")
            stroke = 0.08 + 0.22 * grain.random()
            parts.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{colour(0.62 * light)}" '
                f'stroke-width="{stroke:.3f}"/>'
            )
    parts.append(
        _mitres_and_edges(
            width, height, band, 'stroke="#1c100a" stroke-width="0.18"', "#1c100a", 0.15, 0.3, 0.4
        )
    )
    parts.append("</svg>")
    return "".join(parts)


def _mitres_and_edges(
    width: float,
    height: float,
    band: float,
    joint: str,
    edge: str,
    inset: float,
    outer: float,
    inner: float,
) -> str:
    """A moulding's four mitre joints (corner to inner corner) and its outer and inner
    edges, drawn over the shaded sides (gold and wood share the joinery)."""
    lines = "".join(
        f'<line x1="{x:.3f}" y1="{y:.3f}" x2="{band if x == 0 else width - band:.3f}" '
        f'y2="{band if y == 0 else height - band:.3f}" {joint}/>'
        for x, y in ((0, 0), (width, 0), (width, height), (0, height))
    )
    return (
        lines + f'<rect x="{inset:g}" y="{inset:g}" width="{width - 2 * inset:.3f}" '
        f'height="{height - 2 * inset:.3f}" fill="none" stroke="{edge}" stroke-width="{outer:g}"/>'
        f'<rect x="{band:.3f}" y="{band:.3f}" width="{width - 2 * band:.3f}" '
        f'height="{height - 2 * band:.3f}" fill="none" stroke="{edge}" stroke-width="{inner:g}"/>'
    )


# ── WeasyPrint state ─────────────────────────────────────────────────────────


@dataclass
class _Renderer:
    """WeasyPrint state kept warm for the life of the process."""

    font_config: "FontConfiguration"
    font_css: "CSS"
    poster_css: "CSS"
    card_css: "CSS"
    fetcher: "URLFetcher"
    static: Path
    lock: threading.Lock
    html: type  # weasyprint.HTML with our lean user-agent stylesheet (_lean_html)
    documents: dict[tuple[Path, float], "CSS"]
    # Fits found, by text and page: a theme, bleed or archival change, or the
    # download after a preview, lays the poster out once instead of searching again.
    # None: the text does not fit that page legibly (the reading distances ask every size).
    fits: "OrderedDict[tuple, tuple[float, float] | None]"

    def remember_fit(self, key: tuple, fitted: tuple[float, float] | None) -> None:
        """Keep a fit, forgetting the oldest past FIT_CACHE_SIZE (call under the lock)."""
        self.fits[key] = fitted
        while len(self.fits) > FIT_CACHE_SIZE:
            self.fits.popitem(last=False)

    @property
    def base_url(self) -> str:
        """Return the URL relative references in our templates resolve against."""
        return self.static.as_uri() + "/"

    def render(self, html: str, stylesheets: list["CSS"], images: dict | None = None) -> "Document":
        """Lay out an HTML string with our fonts and fetcher.

        ``images`` keeps decoded images (the logo) between the layouts of one render.
        """
        document = self.html(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
        return document.render(stylesheets=stylesheets, font_config=self.font_config, cache=images)

    def poster(
        self,
        poster: dict[str, Any],
        options: PosterOptions,
        geometry: Geometry,
        font_pt: float,
        pad_top_px: float,
        images: dict | None = None,
    ) -> "Document":
        """Lay the poster out at one root font size."""
        label = math.sqrt(font_pt * geometry.design_pt)
        decorated = not geometry.measuring
        html = render_template(
            "poster/poster.html",
            poster=poster,
            g=geometry,
            palette=PALETTES[options.theme],
            frame=options.frame,
            theme=options.theme,
            bleed=options.bleed and decorated,
            bleed_mm=BLEED_MM + SLUG_MM,
            archival=options.archival,
            font_pt=font_pt,
            labels=_labels(LABELS, label, legible_minimum_pt(options.size)),
            mission_em=MISSION_EM,
            body_em=BODY_EM,
            logo_pt=LOGO_EM * label,
            pad_top_px=pad_top_px,
            measuring=geometry.measuring,
            divider=_divider_url(self.static, options.theme),
            wood=(
                _wood_url(*_inner_size(geometry, wood_inset), geometry.mm(WOOD_BAND))
                if decorated and (wood_inset := dict(geometry.layers).get("wood"))
                else None
            ),
            gold=(
                _gold_url(*_inner_size(geometry, gold_inset), geometry.mm(GOLD_BAND))
                if decorated
                and options.frame == "gold"
                and (gold_inset := dict(geometry.layers).get("moulding"))
                else None
            ),
            frame_widths={
                "gallery": geometry.mm(GALLERY_BAND),
                "bevel": geometry.mm(BEVEL),
                "border": geometry.mm(MODERN_LINE),
            },
        )
        return self.render(html, [self.font_css, self.poster_css], images)

    def card(
        self,
        card: dict[str, Any],
        size: str,
        geometry: Geometry,
        font_pt: float,
        pad_top_px: float,
    ) -> "Document":
        """Lay the staff card out at one root font size."""
        label = math.sqrt(font_pt * geometry.design_pt)
        html = render_template(
            "poster/card.html",
            card=card,
            g=geometry,
            palette=CARD_PALETTE,
            font_pt=font_pt,
            labels=_labels(CARD_LABELS, label, legible_minimum_pt(size)),
            pad_top_px=pad_top_px,
            measuring=geometry.measuring,
            divider=_divider_url(self.static, "ivory"),
            line=geometry.mm(MODERN_LINE),
        )
        return self.render(html, [self.font_css, self.poster_css, self.card_css])

    def feedback_card(
        self, card: dict[str, Any], geometry: Geometry, font_pt: float, pad_top_px: float
    ) -> "Document":
        """Lay the reception desk's table card out at one root font size."""
        label = math.sqrt(font_pt * geometry.design_pt)
        html = render_template(
            "poster/feedback_card.html",
            card=card,
            g=geometry,
            palette=CARD_PALETTE,
            font_pt=font_pt,
            labels=_labels(FEEDBACK_CARD_LABELS, label, FEEDBACK_CARD_MIN_PT),
            pad_top_px=pad_top_px,
            measuring=geometry.measuring,
            divider=_divider_url(self.static, "ivory"),
            line=geometry.mm(MODERN_LINE),
        )
        return self.render(html, [self.font_css, self.poster_css, self.card_css])

    def stylesheet(self, path: Path) -> "CSS":
        """Return a parsed stylesheet for render_document, parsed again when it changes."""
        from weasyprint import CSS  # noqa: PLC0415 - lazy: WeasyPrint takes ~1 s to load

        path = path.resolve()
        key = (path, path.stat().st_mtime)
        if key not in self.documents:
            fetcher = _locked_fetcher((self.static, _font_dir(), path.parent))
            self.documents[key] = CSS(
                filename=str(path), font_config=self.font_config, url_fetcher=fetcher
            )
        return self.documents[key]


def _labels(
    labels: tuple[tuple[str, float], ...], label_pt: float, floor_pt: float
) -> list[tuple[str, float]]:
    """Return each label's size in pt, never below the paper's legible minimum."""
    return [(selector, max(em * label_pt, floor_pt)) for selector, em in labels]


def _inner_size(geometry: Geometry, inset: float) -> tuple[float, float]:
    """Return the size of the box ``inset`` mm inside the trim."""
    return geometry.width - 2 * inset, geometry.height - 2 * inset


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
    """Parse the fonts and stylesheets once, with a fetcher that only reads our own files."""
    from weasyprint import CSS  # noqa: PLC0415 - lazy: WeasyPrint takes ~1 s to load
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415 - lazy: WeasyPrint takes ~1 s to load

    fetcher = _locked_fetcher((static, font_dir))
    font_config = FontConfiguration()

    def sheet(name: str) -> "CSS":
        return CSS(
            filename=str(static / "poster" / name), font_config=font_config, url_fetcher=fetcher
        )

    return _Renderer(
        font_config=font_config,
        font_css=CSS(
            string=fonts.font_face_css(font_dir), font_config=font_config, url_fetcher=fetcher
        ),
        poster_css=sheet("poster.css"),
        card_css=sheet("card.css"),
        fetcher=fetcher,
        static=static,
        lock=threading.Lock(),
        html=_lean_html(),
        documents={},
        fits=OrderedDict(),
    )


# WeasyPrint's user-agent stylesheet styles six pseudo-elements of every element
# (``::marker``, and the footnotes' and notes' calls and markers), so it computes six styles
# for each element besides its own: 7,000 styles never drawn in a 13-page record, a tenth
# of its time. Our documents have no footnotes or notes, and markers only on list items:
# each rule, by the selector it starts with, becomes the rule after it (None: left out).
LEAN_UA_RULES: dict[str, str | None] = {
    "::marker": "li::marker, summary::marker",
    "::footnote-call": None,
    "::footnote-marker": None,
    "::note-call": None,
    "::note-marker": None,
    "::note-callback": None,
}


def lean_ua_css(text: str) -> str:
    """Return WeasyPrint's user-agent stylesheet ``text`` with LEAN_UA_RULES applied.

    Raises ValueError unless each rule is found exactly once, on a line of its own (a
    WeasyPrint that words its stylesheet otherwise: the pin in pyproject.toml is 70.0)."""
    for selector, lean in LEAN_UA_RULES.items():
        pattern = re.compile(r"^" + re.escape(selector) + r"( \{[^{}\n]*\})\n", re.MULTILINE)
        text, count = pattern.subn("" if lean is None else lean + r"\1\n", text)
        if count != 1:
            raise ValueError(f"WeasyPrint's user-agent stylesheet has {count} {selector} rules")
    return text


def _lean_html() -> type:
    """Return weasyprint.HTML with LEAN_UA_RULES applied to its user-agent stylesheet."""
    from weasyprint import CSS, HTML  # noqa: PLC0415 - lazy: WeasyPrint takes ~1 s to load
    from weasyprint.html import UA, UA_COUNTER_STYLE  # noqa: PLC0415 - lazy: the same

    sheet = CSS(string=lean_ua_css(UA), counter_style=UA_COUNTER_STYLE)

    class LeanHTML(HTML):
        # HTML._ua_stylesheets is where WeasyPrint 70 takes its user-agent sheets from.
        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [sheet, *super()._ua_stylesheets(forms)[1:]]

    return LeanHTML


def _locked_fetcher(roots: tuple[Path, ...]) -> "URLFetcher":
    """Build a URL fetcher that serves data: URLs and files under ``roots``, nothing else."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - lazy: WeasyPrint takes ~1 s to load

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
