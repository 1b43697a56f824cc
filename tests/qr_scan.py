"""Read a printed QR code back as a phone's camera would see it: rasterise part of a PDF
page with poppler, find the code's dark modules, sample each module's centre, and compare
the matrix with the one segno draws for the same address."""

import subprocess
from pathlib import Path

import segno
from PIL import Image

DARK = 128  # grey level: below is ink, above is paper
QUIET_MODULES = 4


def expected_matrix(url: str) -> list[list[int]]:
    """Return the module matrix (no quiet zone) of the QR code Credo draws for ``url``."""
    return [list(row) for row in segno.make(url, error="m").matrix]


def crop(pdf: Path, box_pt: tuple[float, float, float, float], dpi: int = 300) -> Image.Image:
    """Rasterise the page's ``box_pt`` (x0, y0, x1, y1 in points from the top left)."""
    scale = dpi / 72
    x0, y0, x1, y1 = (round(value * scale) for value in box_pt)
    out = pdf.with_name(f"{pdf.stem}-qr-{x0}-{y0}")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-x", str(x0), "-y", str(y0), "-W", str(x1 - x0),
         "-H", str(y1 - y0), "-png", "-singlefile", str(pdf), str(out)],
        check=True,
    )  # fmt: skip
    return Image.open(out.with_suffix(".png")).convert("L")


def read_matrix(image: Image.Image, modules: int) -> tuple[list[list[int]], bool]:
    """Return the module matrix of the lowest QR code in ``image`` (``modules`` a side),
    and whether its quiet zone (four modules all round) is clear paper.

    The code's bottom is the lowest dark row; its sides the dark columns of the third of a
    code above it; it is square."""
    width, height = image.size
    pixels = image.load()
    dark_rows = [y for y in range(height) if any(pixels[x, y] < DARK for x in range(width))]
    assert dark_rows, "no ink in the crop"
    bottom = dark_rows[-1]
    columns = [
        x
        for x in range(width)
        if any(pixels[x, y] < DARK for y in range(max(0, bottom - height // 6), bottom + 1))
    ]
    left, right = columns[0], columns[-1]
    side = right - left + 1
    top = bottom + 1 - side
    module = side / modules
    matrix = [
        [
            int(pixels[int(left + (col + 0.5) * module), int(top + (row + 0.5) * module)] < DARK)
            for col in range(modules)
        ]
        for row in range(modules)
    ]
    zone = round(QUIET_MODULES * module) - 1
    ring = (left - zone, top - zone, right + zone, bottom + zone)
    inside = ring[0] >= 0 and ring[1] >= 0 and ring[2] < width and ring[3] < height
    clear = inside and all(
        pixels[x, y] >= DARK
        for y in range(ring[1], ring[3] + 1)
        for x in range(ring[0], ring[2] + 1)
        if not (left - 2 <= x <= right + 2 and top - 2 <= y <= bottom + 2)  # anti-aliasing
    )
    return matrix, clear


def words(pdf: Path) -> list[tuple[float, float, float, float, str]]:
    """Return every word on the first page with its box in points from the top left."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = []
    for line in html.splitlines():
        line = line.strip()
        if line.startswith("<word "):
            attrs = dict(part.split("=", 1) for part in line[6 : line.index(">")].split())
            text = line[line.index(">") + 1 : line.rindex("</word>")]
            box = tuple(float(attrs[key].strip('"')) for key in ("xMin", "yMin", "xMax", "yMax"))
            found.append((*box, text))
    return found
