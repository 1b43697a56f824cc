"""A large PNG decoded a band of rows at a time and reduced as it goes, so a 6000 × 6000
logo never stands whole in memory (Pillow would hold 144 MB of it; its ``draft`` only
shrinks JPEGs).

A PNG's rows are filtered against the row above. Each band becomes a small PNG of its own
for Pillow to decode: the previous band's last row, unfiltered ("None" filter), then the
band's rows as the file has them. Every chunk's checksum is checked, the image data must
be whole and end in IEND: a broken file is refused, never padded. Non-interlaced PNGs of
every bit depth but 16-bit colour are banded; `reduce_in_bands` returns None for the
others, which the caller decodes whole under a lower pixel limit.
"""

import io
import struct
import zlib
from collections.abc import Iterator

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type
# How Pillow writes one decoded row back as the file's raw bytes, by (bit depth, colour
# type): the unfiltered row above each band's first. 16-bit colour has no such packer.
RAW_MODES = {
    (1, 0): "1",
    (2, 0): "L;2",
    (4, 0): "L;4",
    (8, 0): "L",
    (16, 0): "I;16B",
    (8, 2): "RGB",
    (1, 3): "P;1",
    (2, 3): "P;2",
    (4, 3): "P;4",
    (8, 3): "P",
    (8, 4): "LA",
    (8, 6): "RGBA",
}
BAND_BYTES = 4 * 1024 * 1024  # decoded bytes per band, about
INFLATE_STEP = 1024 * 1024  # inflate at most this much at a time (a bomb stays small)


class BrokenPNG(ValueError):
    """The PNG is truncated, corrupt or not what its header says."""


def reduce_in_bands(data: bytes, factor: int) -> Image.Image | None:
    """Return the PNG ``data`` reduced ``factor`` times (box average) in RGB, RGBA or L,
    or None when it is interlaced or has 16-bit colour. Raises BrokenPNG."""
    chunks = dict.fromkeys((b"PLTE", b"tRNS"), b"")
    idat: list[bytes] = []
    header = b""
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind in chunks:
            chunks[kind] = body
    if len(header) != 13:
        raise BrokenPNG("no image header")
    width, height, depth, colour, _method, _filters, interlace = struct.unpack(">IIBBBBB", header)
    raw_mode = RAW_MODES.get((depth, colour))
    if raw_mode is None or interlace or not width or not height:
        return None
    row = 1 + -(-width * CHANNELS[colour] * depth // 8)
    rows_per_band = max(factor, BAND_BYTES // (4 * width) // factor * factor)
    extra = b"".join(_chunk(kind, body) for kind, body in chunks.items() if body)
    out: Image.Image | None = None
    previous = b""  # the last row of the band before, unfiltered
    top = 0
    for band in _bands(_inflate(idat), row * rows_per_band, row * height):
        rows = len(band) // row
        png = _png(width, rows + bool(previous), header[8:], extra, previous + band)
        with Image.open(io.BytesIO(png), formats=["PNG"]) as decoded:
            decoded.load()
            whole = decoded.copy()
        last = whole.crop((0, whole.height - 1, width, whole.height))
        previous = b"\0" + last.tobytes("raw", raw_mode)
        if whole.height > rows:
            whole = whole.crop((0, 1, width, whole.height))
        part = _working(whole).reduce(factor)
        if out is None:
            out = Image.new(part.mode, (-(-width // factor), -(-height // factor)))
        out.paste(part, (0, top // factor))
        top += rows
    if out is None or top != height:
        raise BrokenPNG("the image data is incomplete")
    return out


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield each chunk's type and data up to IEND, checking lengths and checksums."""
    if not data.startswith(SIGNATURE):
        raise BrokenPNG("not a PNG")
    at = len(SIGNATURE)
    while True:
        if at + 12 > len(data):
            raise BrokenPNG("the file ends before IEND")
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        end = at + 8 + length
        if end + 4 > len(data):
            raise BrokenPNG("the file ends inside a chunk")
        body = data[at + 8 : end]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[end : end + 4])[0]:
            raise BrokenPNG(f"bad checksum in {kind!r}")
        if kind == b"IEND":
            return
        yield kind, body
        at = end + 4


def _inflate(parts: list[bytes]) -> Iterator[bytes]:
    """Yield the image data inflated a step at a time; raise BrokenPNG if it is cut short."""
    stream = zlib.decompressobj()
    try:
        for part in parts:
            while part:
                out = stream.decompress(part, INFLATE_STEP)
                part = stream.unconsumed_tail
                if out:
                    yield out
                if stream.eof:
                    return
        out = stream.flush()
        if out:
            yield out
    except zlib.error as error:
        raise BrokenPNG(f"the image data is corrupt: {error}") from None
    if not stream.eof:
        raise BrokenPNG("the image data is incomplete")


def _bands(blocks: Iterator[bytes], size: int, total: int) -> Iterator[bytes]:
    """Regroup inflated blocks into bands of ``size`` bytes, up to ``total`` bytes."""
    pending = bytearray()
    taken = 0
    for block in blocks:
        pending += block
        while len(pending) >= size and taken < total:
            band = bytes(pending[: min(size, total - taken)])
            del pending[: len(band)]
            taken += len(band)
            yield band
        if taken >= total:
            return
    if pending and taken < total:
        if taken + len(pending) < total:
            raise BrokenPNG("the image data is incomplete")
        yield bytes(pending[: total - taken])


def _png(width: int, height: int, rest: bytes, extra: bytes, rows: bytes) -> bytes:
    """Return a small PNG of ``rows`` (already filtered) with the original's header fields."""
    header = struct.pack(">II", width, height) + rest
    idat = zlib.compress(rows, 0)  # stored: only Pillow reads it, at once
    return SIGNATURE + _chunk(b"IHDR", header) + extra + _chunk(b"IDAT", idat) + _chunk(b"IEND")


def _chunk(kind: bytes, body: bytes = b"") -> bytes:
    checksum = struct.pack(">I", zlib.crc32(kind + body))
    return struct.pack(">I", len(body)) + kind + body + checksum


def _working(image: Image.Image) -> Image.Image:
    """Return a band in a mode that reduces well: RGB, RGBA or L (a palette or a
    transparent colour becomes RGBA)."""
    if image.mode in ("P", "LA") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode == "I;16":
        return image.convert("I").point(lambda value: value / 257).convert("L")
    if image.mode == "1":
        return image.convert("L")
    return image
