"""The frames' corners at 300 dpi, kept as expected images so a frame cannot silently
change: `tests/test_poster.py` renders each frame's top-left corner and compares it with
`tests/expected/frame-<name>.png` within a tolerance.

After a deliberate change to a frame, look at the new corners and store them:

    .venv/bin/python -m tests.frame_corners
"""

import io
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

EXPECTED = Path(__file__).parent / "expected"
DPI = 300
CORNER_MM = 36  # the square, from the trim's corner: the mitre, and the gold rule's corner
# Within tolerance: the mean difference (0–255, over every channel) and the share of
# pixels that differ by more than STRAY (anti-aliasing moves an edge by a pixel or so).
MEAN_TOLERANCE = 2.0
STRAY = 48
STRAY_SHARE = 0.005


def corner(pdf: Path) -> Image.Image:
    """Return the page's top-left CORNER_MM square at DPI as an RGB image."""
    side = round(CORNER_MM / 25.4 * DPI)
    command = ["pdftoppm", "-r", str(DPI), "-x", "0", "-y", "0", "-W", str(side)]
    command += ["-H", str(side), "-png", "-singlefile", str(pdf)]  # to stdout
    png = subprocess.run(command, check=True, capture_output=True).stdout
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB")


def difference(one: Image.Image, two: Image.Image) -> tuple[float, float]:
    """Return the mean difference and the share of pixels that differ by more than STRAY."""
    assert one.size == two.size, (one.size, two.size)
    diff = ImageChops.difference(one, two)
    mean = sum(ImageStat.Stat(diff).mean) / 3
    worst = diff.convert("L").point(lambda value: 255 if value > STRAY // 3 else 0)
    share = ImageStat.Stat(worst).mean[0] / 255
    return mean, share


def matches(image: Image.Image, expected: Image.Image) -> bool:
    """Tell whether an image is within tolerance of the expected one."""
    mean, share = difference(image, expected)
    return mean <= MEAN_TOLERANCE and share <= STRAY_SHARE


def expected(frame: str) -> Image.Image:
    """Return the stored corner of a frame."""
    with Image.open(EXPECTED / f"frame-{frame}.png") as image:
        return image.convert("RGB")


def store(frame: str, image: Image.Image) -> None:
    """Keep a frame's corner, as a small palette PNG."""
    EXPECTED.mkdir(exist_ok=True)
    small = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(EXPECTED / f"frame-{frame}.png", optimize=True)


def main() -> None:
    """Render the typical poster in every frame and store each corner."""
    sys.path.insert(0, str(Path(__file__).parent.parent))
    from tests.test_poster import TYPICAL  # noqa: PLC0415 - only when run as a script
    from workshop import create_app  # noqa: PLC0415 - only when run as a script
    from workshop.poster import FRAMES, PosterOptions, render_poster  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "DATABASE": f"{folder}/t.db", "SECRET_KEY": "x"})
        for frame in FRAMES:
            with app.app_context():
                pdf = render_poster(TYPICAL, PosterOptions(frame=frame))
            path = Path(folder) / f"{frame}.pdf"
            path.write_bytes(pdf)
            store(frame, corner(path))
            print(EXPECTED / f"frame-{frame}.png")


if __name__ == "__main__":
    main()
