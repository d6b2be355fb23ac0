"""A chart's pixels written as PNG: unfiltered rows, deflated once.

Pillow's PNG writer tries every PNG filter on every row and keeps the one that looks smallest,
which is most of the time it takes to write a chart. A chart is flat colour on white, which
deflate packs well as it is: written with no filter at zlib's default level, a chart's PNG is made
in about half the time and comes out about a tenth smaller (9.5% over a region's 96 charts). The pixels are the same (a test
reads them back), and so is the dpi recorded in the file.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVEL = 6  # zlib's default: level 9 takes five times as long for 5% less


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(rgba: bytes | memoryview, width: int, height: int, dpi: float) -> bytes:
    """An RGB PNG, eight bits a channel, of `rgba`: `width` x `height` pixels of four bytes each,
    top row first, whose fourth byte (alpha, opaque on a chart) is left out. `dpi` is recorded in
    the pHYs chunk as pixels per metre, rounded as Pillow and matplotlib round it."""
    rgb = Image.frombytes("RGB", (width, height), rgba, "raw", "RGBX").tobytes()  # drops alpha, in C
    stride = 3 * width
    rows = b"".join(b"\0" + rgb[start:start + stride] for start in range(0, len(rgb), stride))  # filter 0: none
    per_metre = int(dpi / 0.0254 + 0.5)
    return b"".join([
        SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),  # 8 bits, RGB, no interlace
        _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),  # 1: the unit is the metre
        _chunk(b"IDAT", zlib.compress(rows, LEVEL)),
        _chunk(b"IEND", b""),
    ])


def write_png(path: Path, rgba: bytes | memoryview, width: int, height: int, dpi: float) -> None:
    """Write `png_bytes` of the pixels to `path`."""
    path.write_bytes(png_bytes(rgba, width, height, dpi))
