"""A large PNG logo decoded a band of rows at a time (workshop/png.py): the same pixels as
Pillow decoding it whole, a broken file refused, and a 6000 × 6000 logo in little memory."""

import io
import struct
import subprocess
import sys
import zlib

import pytest
from PIL import Image, ImageDraw

from workshop import png


def drawing(mode: str, size=(257, 203)) -> Image.Image:
    """A logo-like image with gradients and shapes, so every row filter gets used."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for n in range(0, size[0], 23):
        draw.ellipse((n, n // 2, n + 60, n // 2 + 45), fill=(200, 40 + n % 200, 90))
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(size).rotate(90))
    elif mode == "LA":
        image = image.convert("L")
        image.putalpha(Image.linear_gradient("L").resize(size))
        image = image.convert("LA")
    elif mode in ("L", "1", "I;16"):
        image = image.convert("L").convert(mode)
    elif mode.startswith("P"):
        image = image.quantize(int(mode[1:]))
    return image


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encoded(image: Image.Image, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "1", "I;16", "P2", "P4", "P16", "P200"])
@pytest.mark.parametrize("factor", [1, 3])
def test_bands_give_the_pixels_of_a_whole_decode(mode, factor, monkeypatch):
    monkeypatch.setattr(png, "BAND_BYTES", 3000)  # many bands, each a few rows
    data = encoded(drawing(mode))
    with Image.open(io.BytesIO(data)) as whole:
        expected = png._working(whole.convert("L") if whole.mode == "1" else whole)
        expected = expected.reduce(factor)
    banded = png.reduce_in_bands(data, factor)
    assert banded.mode == expected.mode and banded.size == expected.size
    assert banded.tobytes() == expected.tobytes()


def test_a_transparent_colour_is_kept():
    image = drawing("RGB")
    data = encoded(image, transparency=(200, 40, 90))
    assert png.reduce_in_bands(data, 1).mode == "RGBA"


def with_header(data: bytes, depth: int, interlace: int) -> bytes:
    """Return the PNG with other header fields (its pixels no longer match: never read)."""
    header = bytearray(data[16:29])
    header[8], header[12] = depth, interlace
    return data[:8] + chunk(b"IHDR", bytes(header)) + data[33:]


def test_interlaced_and_16_bit_colour_pngs_are_left_to_a_whole_decode():
    data = encoded(drawing("RGB"))
    assert png.reduce_in_bands(with_header(data, 8, 0), 2) is not None
    assert png.reduce_in_bands(with_header(data, 8, 1), 2) is None
    assert png.reduce_in_bands(with_header(data, 16, 0), 2) is None


def short_idat() -> bytes:
    """A PNG whose chunks are all whole and checked, but whose image data stops halfway."""
    rows = b"".join(b"\0" + bytes(range(30)) for _ in range(20))
    data = zlib.compress(rows)
    header = struct.pack(">IIBBBBB", 10, 20, 8, 2, 0, 0, 0)
    return b"".join(
        [png.SIGNATURE, chunk(b"IHDR", header), chunk(b"IDAT", data[: len(data) // 2])]
        + [chunk(b"IEND", b"")]
    )


def few_rows() -> bytes:
    """A PNG whose image data is whole zlib but holds fewer rows than its header says."""
    rows = b"".join(b"\0" + bytes(30) for _ in range(5))
    header = struct.pack(">IIBBBBB", 10, 20, 8, 2, 0, 0, 0)
    return b"".join(
        [png.SIGNATURE, chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(rows))]
        + [chunk(b"IEND", b"")]
    )


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize(
    "broken",
    [
        encoded(drawing("RGB"))[:-40],
        flipped(encoded(drawing("RGB")), encoded(drawing("RGB")).index(b"IDAT") + 60),
        encoded(drawing("RGB"))[:-12],  # no IEND
        short_idat(),
        few_rows(),
        b"GIF89a",
    ],
    ids=["truncated", "idat-crc", "no-iend", "short-data", "few-rows", "not-png"],
)
def test_a_broken_png_is_refused(broken):
    with pytest.raises(png.BrokenPNG):
        png.reduce_in_bands(broken, 2)


PEAK = """
import io, sys
from PIL import Image
from workshop import create_app
from workshop.poster import prepare_logo

def peak_mb():  # this process's own high-water mark (ru_maxrss would count the parent's)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024

data = open(sys.argv[1], "rb").read()
app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": ":memory:"})
before = peak_mb()
with app.app_context():
    logo = prepare_logo(data)
print(before, peak_mb(), Image.open(io.BytesIO(logo)).size)
"""


def big_rgba_png(side: int = 6000) -> bytes:
    """An RGBA PNG of side × side pixels, written a row at a time (never whole in memory):
    coloured stripes and columns, some transparent, some half so."""
    colours = [(30, 90, 60, 255), (176, 141, 60, 255), (255, 255, 255, 0), (20, 30, 90, 128)]
    stream = zlib.compressobj(9)
    parts = [png.SIGNATURE, chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))]
    idat = []
    for y in range(side):
        first, second = colours[(y // 300) % 4], colours[(y // 700 + 1) % 4]
        row = bytes(first) * (side // 3) + bytes(second) * (side - side // 3)
        idat.append(stream.compress(b"\0" + row))
    idat.append(stream.flush())
    parts += [chunk(b"IDAT", b"".join(idat)), chunk(b"IEND", b"")]
    return b"".join(parts)


def test_a_6000_px_png_logo_is_scaled_in_under_150_mb(tmp_path):
    """The whole process, app loaded, peaks under 150 MB (a whole decode took over 600)."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(big_rgba_png())
    assert logo.stat().st_size < 2 * 1024 * 1024
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(logo)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    before, peak, size = result.stdout.split(" ", 2)
    assert size.strip() == "(1200, 1200)"
    assert int(peak) < 150, f"peak RSS {peak} MB (app loaded: {before} MB)"
