"""How fast and how big the poster is, against issue 5's targets.

Warm renders clear the remembered fits first, so every one searches for its type size
(4–6 layouts) and writes the PDF, as a new poster does. A cold process is timed from the
outside, interpreter start to exit.
"""

import dataclasses
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from workshop import create_app, poster
from workshop.poster import (
    FRAMES,
    PosterOptions,
    clear_caches,
    prepare_logo,
    render_poster,
    render_preview,
)

from .samples import LONG, TYPICAL
from .table import Line

ROUNDS = 15
COLD_ROUNDS = 3
WARM_TARGET = 0.3  # seconds, median, A3 and A2
COLD_TARGET = 2.0  # seconds
SIZE_TARGET = 150 * 1024  # bytes


@dataclass
class Row:
    """One line of the table."""

    what: str
    median: float | None = None
    p90: float | None = None
    size: int | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""


def timed(run: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """Return the median and 90th percentile of ``rounds`` runs, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


def uncached(text: poster.PosterText, options: PosterOptions) -> Callable[[], bytes]:
    """Return a run that searches for the type size again each time."""

    def run() -> bytes:
        clear_caches()
        return render_poster(text, options)

    return run


def count_layouts(text: poster.PosterText, options: PosterOptions) -> int:
    """Return how many layouts one uncached render takes (fit search plus the final one)."""
    original = poster._Renderer.poster
    calls = []

    def counting(self: poster._Renderer, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(self, *args, **kwargs)

    poster._Renderer.poster = counting
    try:
        uncached(text, options)()
    finally:
        poster._Renderer.poster = original
    return len(calls)


def warm_rows() -> list[Row]:
    """Time renders in this (warm) process."""
    rows = []
    for size in ("a3", "a2", "a4"):
        options = PosterOptions(size=size)
        median, p90 = timed(uncached(TYPICAL, options))
        limited = size in ("a3", "a2")
        rows.append(
            Row(
                f"warm {size.upper()}: fit + PDF, typical text",
                median,
                p90,
                target=f"median ≤ {WARM_TARGET} s" if limited else "",
                ok=median <= WARM_TARGET if limited else None,
                note=f"{count_layouts(TYPICAL, options)} layouts",
            )
        )
    options = PosterOptions(size="a2")
    median, p90 = timed(uncached(LONG, options))
    rows.append(
        Row(
            "warm A2: fit + PDF, 120 words + 12 principles",
            median,
            p90,
            target=f"median ≤ {WARM_TARGET} s",
            ok=median <= WARM_TARGET,
            note=f"{count_layouts(LONG, options)} layouts",
        )
    )
    render_poster(TYPICAL)
    median, p90 = timed(lambda: render_poster(TYPICAL, PosterOptions(theme="navy")))
    rows.append(Row("warm A3, fit remembered (theme change)", median, p90, note="1 layout"))
    for frame in FRAMES:
        options = PosterOptions(frame=frame)
        median, p90 = timed(uncached(TYPICAL, options), rounds=7)
        size = len(render_poster(TYPICAL, options))
        rows.append(
            Row(
                f"frame {frame}: A3 fit + PDF, PDF size",
                median,
                p90,
                size,
                target=f"≤ {SIZE_TARGET // 1024} KB",
                ok=size <= SIZE_TARGET,
            )
        )
    for bleed, archival in ((True, False), (False, True)):
        options = PosterOptions(bleed=bleed, archival=archival)
        size = len(render_poster(TYPICAL, options))
        what = "bleed + crop marks" if bleed else "archival PDF/A-2u"
        rows.append(
            Row(
                f"A3 gold, {what}: PDF size",
                size=size,
                target=f"≤ {SIZE_TARGET // 1024} KB",
                ok=size <= SIZE_TARGET,
            )
        )
    with_logo = dataclasses.replace(TYPICAL, logo=prepare_logo(flat_logo()))
    median, p90 = timed(uncached(with_logo, PosterOptions()), rounds=7)
    size = len(render_poster(with_logo))
    rows.append(
        Row(
            "A3 gold with a flat 1200 px logo",
            median,
            p90,
            size,
            target=f"≤ {SIZE_TARGET // 1024} KB",
            ok=size <= SIZE_TARGET,
        )
    )
    median, p90 = timed(lambda: render_preview(TYPICAL, width_px=900), rounds=7)
    rows.append(Row("preview PNG 900 px (fit remembered)", median, p90))
    pdf = render_poster(TYPICAL)
    median, p90 = timed(lambda: poster.rasterise(pdf, 900), rounds=7)
    png = poster.rasterise(pdf, 900)
    rows.append(Row("  of which rasterising with pdfium", median, p90, len(png)))
    return rows


def flat_logo() -> bytes:
    """Return a logo as organisations have them: flat colours on transparency."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (2400, 1200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 100, 1100, 1100), fill=(31, 92, 64, 255))
    draw.rectangle((1250, 450, 2300, 750), fill=(196, 120, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def cold_row() -> Row:
    """Time a fresh process rendering one poster, from the outside."""
    times, stages = [], []
    for _ in range(COLD_ROUNDS):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "bench.cold"], check=True, capture_output=True, text=True
        )
        times.append(time.perf_counter() - start)
        stages.append(json.loads(result.stdout))
    median = statistics.median(times)
    start_up = statistics.median(stage["start"] for stage in stages)
    render = statistics.median(stage["render"] for stage in stages)
    return Row(
        "cold process: start, import, app, 1 A3 poster",
        median,
        max(times),
        target=f"≤ {COLD_TARGET} s",
        ok=median <= COLD_TARGET,
        note=f"imports {start_up:.2f} s + first poster {render:.2f} s",
    )


def poster_lines() -> list[Line]:
    """Run every poster measurement; return the rows of the table."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE": f"{folder}/bench.db", "SECRET_KEY": "bench"})
        with app.app_context():
            render_poster(TYPICAL)  # first render: fonts, stylesheets, Pango caches
            rows = warm_rows()
    rows.append(cold_row())
    scenario = "poster"
    lines = []
    for row in rows:
        parts = []
        if row.median is not None:
            spread = "max" if row.what.startswith("cold") else "p90"
            parts.append(f"{row.median:.3f} s median, {row.p90:.3f} s {spread}")
        if row.size is not None:
            parts.append(f"{row.size / 1024:.0f} KB")
        lines.append(
            Line(scenario, row.what.strip(), "; ".join(parts), row.target, row.ok, row.note)
        )
    return lines
