"""Poster fonts: static instances of the pinned fontpkg variable fonts, their CSS and coverage."""

import os
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import fontpkg
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "instance" / "fonts"


@dataclass(frozen=True)
class Face:
    """One static font face the poster uses."""

    family: str
    package: str
    weight: int
    style: str = "normal"


TEXT = "Credo Garamond"
TITLE = "Credo Cinzel"

FACES: tuple[Face, ...] = (
    Face(TEXT, "eb-garamond", 400),
    Face(TEXT, "eb-garamond", 700),
    Face(TEXT, "eb-garamond", 400, "italic"),
    Face(TITLE, "cinzel", 400),
    Face(TITLE, "cinzel", 700),
)


def package_dir(face: Face, cache_dir: Path | None = None) -> Path:
    """Return the cache folder for the pinned version of a face's package."""
    distribution = f"fontpkg-{face.package}"
    return (cache_dir or DEFAULT_CACHE) / f"{distribution}-{version(distribution)}"


def static_font(face: Face, cache_dir: Path | None = None) -> Path:
    """Return the static instance of ``face``, instancing it on first use."""
    source = fontpkg.path(face.package, face.weight, face.style)
    target = package_dir(face, cache_dir) / f"{source.stem.split('[')[0]}-{face.weight}.ttf"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Several workers may instance the same face at once: each writes its own
    # temporary file and the last rename wins with an identical, complete file.
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with TTFont(source, recalcTimestamp=False) as font, os.fdopen(handle, "wb") as stream:
            if "fvar" in font:
                instancer.instantiateVariableFont(
                    font, {"wght": face.weight}, inplace=True, updateFontNames=True, static=True
                )
            font.save(stream)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


@cache
def font_files(cache_dir: Path | None = None) -> tuple[tuple[Face, Path], ...]:
    """Return every poster face paired with its static instance, instancing what is missing."""
    return tuple((face, static_font(face, cache_dir)) for face in FACES)


def font_face_css(cache_dir: Path | None = None) -> str:
    """Return @font-face rules that point at the static instances by file:// URI."""
    rules = [
        f'@font-face {{ font-family: "{face.family}"; src: url("{path.as_uri()}"); '
        f"font-weight: {face.weight}; font-style: {face.style}; }}"
        for face, path in font_files(cache_dir)
    ]
    return "\n".join(rules) + "\n"


@cache
def covered_characters() -> frozenset[str]:
    """Return the set of characters every poster face maps to a glyph."""
    # Instancing keeps the cmap, so the packaged variable fonts answer without
    # waiting for the (slow, first-run) static instances.
    covered: set[str] | None = None
    for face in FACES:
        with TTFont(fontpkg.path(face.package, face.weight, face.style), lazy=True) as font:
            chars = {chr(code) for code in font.getBestCmap()}
        covered = chars if covered is None else covered & chars
    return frozenset(covered or ())
