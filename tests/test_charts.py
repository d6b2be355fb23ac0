"""How a chart is drawn and written (issue 11): with its fonts read from memory (chart_fonts.py)
it has the pixels it has with matplotlib reading them from files, and the PNG that png_write.py
writes holds the canvas's pixels and dpi, read back by Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pikepdf
import pytest
from matplotlib import font_manager, ft2font
from PIL import Image

from annualreport.chapters.chart_fonts import FontFile
from annualreport.chapters.charts import bar_chart, line_chart
from annualreport.chapters.png_write import png_bytes


def _series() -> pd.DataFrame:
    rows = [(kind, name, year, 20 + (year % 7) * 2.5 + len(name))
            for kind, name in [("partnership", "Gateshead"), ("england", "England"), ("region", "North East")]
            for year in range(2014, 2025)]
    return pd.DataFrame(rows, columns=["area_type", "area_name", "time_period", "value"])


def _bars() -> pd.DataFrame:
    return pd.DataFrame({"category": ["Neglect", "Emotional abuse — ‘other’", "Physical abuse"],
                         "value": [512.0, 230.0, float("nan")], "unit": "count", "decimals": 0,
                         "state": ["value", "value", "suppressed"]})


def _draw_both(folder: Path) -> dict[str, bytes]:
    line_chart(_series(), folder / "line.png", "Rate per 10,000 children (é, →)", 2023)
    bar_chart(_bars(), folder / "bars.png", "Children")
    return {name: (folder / name).read_bytes() for name in ("line.png", "bars.png")}


@pytest.fixture
def fonts_from_files(monkeypatch: pytest.MonkeyPatch):
    """matplotlib as it is out of the box: its fonts read through files."""
    monkeypatch.setattr(font_manager, "ft2font", ft2font)
    font_manager._get_font.cache_clear()
    yield
    monkeypatch.undo()
    font_manager._get_font.cache_clear()


def test_charts_drawn_with_fonts_read_from_memory_have_the_pixels_of_fonts_read_from_files(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    dejavu = font_manager.findfont("DejaVu Sans")
    assert isinstance(font_manager.get_font(dejavu).fname, FontFile)  # the charts module made it so
    (tmp_path / "memory").mkdir()
    (tmp_path / "files").mkdir()
    from_memory = _draw_both(tmp_path / "memory")
    request.getfixturevalue("fonts_from_files")
    assert font_manager.get_font(dejavu).fname == dejavu
    from_files = _draw_both(tmp_path / "files")
    assert from_memory == from_files
    assert all(len(png) > 10_000 for png in from_memory.values())  # text and lines, not a blank canvas


def test_a_font_read_from_memory_still_names_its_file_and_a_pdf_figure_embeds_it(tmp_path: Path) -> None:
    dejavu = font_manager.findfont("DejaVu Sans")
    font = font_manager.get_font(dejavu)
    assert isinstance(font.fname, FontFile) and str(font.fname) == dejavu == font.fname.name
    # font_manager's own reading of a font to list it is left on the file
    assert font_manager.ft2font.FT2Font(dejavu).fname == dejavu
    fig, ax = plt.subplots()
    ax.set_title("Re-referrals é →")
    fig.savefig(tmp_path / "figure.pdf")
    plt.close(fig)
    with pikepdf.open(tmp_path / "figure.pdf") as pdf:
        fonts = [f for page in pdf.pages for f in page.Resources.Font.values()]
    assert any("DejaVuSans" in str(f.get("/BaseFont", "")) for f in fonts)


def test_the_png_holds_the_canvas_pixels_and_dpi_and_is_smaller_than_pillows() -> None:
    fig, ax = plt.subplots(figsize=(4, 2), dpi=150)
    ax.plot([0, 1, 2], [3, 1, 2], color="#12436D")
    ax.set_title("A chart")
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height(physical=True)
    rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    rgba[5, 7] = (200, 10, 30, 255)  # a pixel of its own, where no filter would guess it
    png = png_bytes(rgba.tobytes(), width, height, 150)
    Image.open(io.BytesIO(png)).verify()  # the signature, chunk order and every CRC
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB" and image.size == (width, height)
    assert np.array_equal(np.asarray(image), rgba[:, :, :3])
    assert image.info["dpi"] == pytest.approx((150, 150), abs=0.02)  # 5906 pixels a metre
    pillows = io.BytesIO()
    Image.fromarray(rgba[:, :, :3]).save(pillows, format="png", dpi=(150, 150))
    assert np.array_equal(np.asarray(Image.open(pillows)), np.asarray(image))
    assert Image.open(pillows).info["dpi"] == image.info["dpi"]
    assert len(png) < len(pillows.getvalue())
