"""The fonts matplotlib draws a chart's text with, read from memory rather than through a file.

FreeType loads each glyph from the font file as it draws it, and matplotlib gives it the file as a
Python file object: every glyph costs two seeks and a read, each a system call. That is about
5,000 system calls for one chart, and a tenth of the time it takes to draw. matplotlib's FT2Font
also takes the font as a binary file object, so the fonts that font_manager opens to draw with
(its `_get_font`, which caches them per thread) are given the file's bytes in memory instead. The
same bytes reach FreeType, so the same pixels come out (a test compares them).

Only fonts opened for drawing are changed: `_get_font` is the one caller that passes
`_kerning_factor`. When font_manager reads a font's names to list it (addfont, as it builds its
font list), FT2Font gets the path as before. A font opened from memory still names its file
(FontFile), as the PDF and PostScript backends need to embed it.
"""

from __future__ import annotations

import io
import os
import types
from typing import Any

from matplotlib import font_manager, ft2font


class FontFile(io.BytesIO):
    """A font file's bytes, in memory. Named as the open file would be (`name`), and its `str` is the
    file's path: what the PDF and PostScript backends take from FT2Font.fname to embed the font."""

    def __init__(self, path: str | os.PathLike) -> None:
        with open(path, "rb") as file:
            super().__init__(file.read())
        self.name = os.fspath(path)

    def __str__(self) -> str:
        return self.name


def _ft2font(filename: Any, *args: Any, **kwargs: Any) -> ft2font.FT2Font:
    """ft2font.FT2Font, with a font opened to draw with (`_kerning_factor` given) read from memory."""
    if "_kerning_factor" in kwargs and isinstance(filename, (str, os.PathLike)):
        filename = FontFile(filename)
    return ft2font.FT2Font(filename, *args, **kwargs)


def read_fonts_from_memory() -> None:
    """From now on, open the fonts matplotlib draws with from memory (see the module docstring).
    Fonts already opened are let go (font_manager opens them again on first use)."""
    if getattr(font_manager.ft2font, "FT2Font", None) is _ft2font:
        return
    font_manager.ft2font = types.SimpleNamespace(**{**vars(ft2font), "FT2Font": _ft2font})  # type: ignore[assignment]
    font_manager._get_font.cache_clear()
