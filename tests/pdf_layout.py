"""Checks of a report PDF's layout, read from the PDF the way a reader sees it (poppler's pdftotext).

`layout_problems(pdf, html)` lists, one line each:
  * two lines of text that overlap on a page (rows printed on top of each other);
  * text outside the text area, other than the page header (top margin) and footer (bottom margin)
    whose wording is fixed, and the DRAFT watermark;
  * a table row of the HTML (the same Markdown rendered by pandoc) whose cells are not found, in
    order, in the PDF's text.
It is a test helper: the geometry comes from the Typst template's page settings (typst.yaml).
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import yaml

CM = 72 / 2.54
A4 = (595.2756, 841.8898)
XHTML = "{http://www.w3.org/1999/xhtml}"
WATERMARK_HEIGHT = 40.0  # the DRAFT watermark's letters are over 100 pt high; text is at most ~25 pt
SLACK = 3.0  # points: glyph boxes (a heading's ascenders, hanging punctuation) may poke this far into a margin
# Typst puts the last line's baseline at most at the bottom of the text area; its descenders (g, y, the
# comma) hang below it by the font's descent, about 0.35 em of the 11 pt body.
DESCENT = 4.0


@dataclass(frozen=True)
class Line:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    def overlaps(self, other: "Line") -> bool:
        """Boxes that share more than a sliver: horizontally by over 1 pt and vertically by over a third of
        the smaller line's height (lines that touch, or a superscript, are not overlaps)."""
        dx = min(self.x1, other.x1) - max(self.x0, other.x0)
        dy = min(self.y1, other.y1) - max(self.y0, other.y0)
        return dx > 1.0 and dy > min(self.y1 - self.y0, other.y1 - other.y0) / 3


def margins() -> tuple[float, float]:
    """The (x, y) page margins in points, from the Typst template's settings."""
    text = (resources.files("annualreport") / "templates" / "typst.yaml").read_text(encoding="utf-8")
    margin = yaml.safe_load(text)["margin"]
    return tuple(float(str(margin[k]).removesuffix("cm")) * CM for k in ("x", "y"))  # type: ignore[return-value]


def pdf_lines(pdf: Path) -> list[list[Line]]:
    """Every line of text on every page (page numbers from 1), without the watermark's letters."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    root = ET.fromstring(xml)
    pages: list[list[Line]] = []
    for n, page in enumerate(root.iter(f"{XHTML}page"), start=1):
        lines = []
        for line in page.iter(f"{XHTML}line"):
            words = [w for w in line.iter(f"{XHTML}word")
                     if float(w.get("yMax")) - float(w.get("yMin")) < WATERMARK_HEIGHT]
            if not words:
                continue
            lines.append(Line(n, min(float(w.get("xMin")) for w in words), min(float(w.get("yMin")) for w in words),
                              max(float(w.get("xMax")) for w in words), max(float(w.get("yMax")) for w in words),
                              " ".join(w.text or "" for w in words)))
        pages.append(lines)
    return pages


class _Tables(HTMLParser):
    """The text of every body row of every table in an HTML file, cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []  # (table caption, cells)
        self._caption = ""
        self._in: str | None = None
        self._cell: list[str] = []
        self._row: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "thead":
            self._head = True
        elif tag == "caption":
            self._in, self._cell = "caption", []
        elif tag == "tr" and not self._head:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._in, self._cell = "cell", []

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._head = False
        elif tag == "caption":
            self._caption, self._in = " ".join("".join(self._cell).split()), None
        elif tag in ("td", "th") and self._in == "cell" and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._in = None
        elif tag == "tr" and self._row is not None:
            if any(self._row):
                self.rows.append((self._caption, self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._cell.append(data)


def html_table_rows(html: Path) -> list[tuple[str, list[str]]]:
    parser = _Tables()
    parser.feed(html.read_text(encoding="utf-8"))
    return parser.rows


def _norm(text: str) -> str:
    """Text without its spaces: a cell's words are compared however its lines were broken."""
    return "".join(text.replace("\u00ad", "").split())


@dataclass(frozen=True)
class Block:
    """A block of text as pdftotext finds it: a paragraph, or the text of one table cell."""

    y0: float
    y1: float
    text: str


def pdf_blocks(pdf: Path) -> list[list[Block]]:
    """The text blocks of every page, their lines joined with spaces."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in ET.fromstring(xml).iter(f"{XHTML}page"):
        blocks = []
        for block in page.iter(f"{XHTML}block"):
            words = [w.text or "" for w in block.iter(f"{XHTML}word")]
            blocks.append(Block(float(block.get("yMin")), float(block.get("yMax")), _norm(" ".join(words))))
        pages.append(blocks)
    return pages


def _row_on_page(blocks: list[Block], cells: list[str]) -> bool:
    """Whether every cell of the row is a block of the page, all side by side (sharing a band of height)."""
    wanted = sorted({_norm(c) for c in cells if _norm(c)}, key=len, reverse=True)
    candidates = [[b for b in blocks if b.text == c or (len(c) > 3 and c in b.text)] for c in wanted]
    for anchor in candidates[0]:
        if all(any(min(anchor.y1, b.y1) - max(anchor.y0, b.y0) > 0 for b in cands) for cands in candidates[1:]):
            return True
    return False


def missing_rows(pdf: Path, rows: list[tuple[str, list[str]]]) -> list[str]:
    """Table rows (from the HTML) whose cells are not found side by side on any page of the PDF."""
    pages = pdf_blocks(pdf)
    return [f"table row missing from the PDF's text ({caption[:50]}): {' | '.join(cells)[:100]}"
            for caption, cells in rows if any(c.strip() for c in cells)
            and not any(_row_on_page(blocks, cells) for blocks in pages)]


def layout_problems(pdf: Path, html: Path, header: str, footer: str) -> list[str]:
    """Every layout fault of the PDF; `header` and `footer` are regular expressions for the only text
    allowed in the top and bottom margins."""
    mx, my = margins()
    width, height = A4
    pages = pdf_lines(pdf)
    problems = []
    for lines in pages:
        for i, a in enumerate(lines):
            where = f"page {a.page}: '{a.text[:60]}'"
            if a.x0 < mx - SLACK or a.x1 > width - mx + SLACK:
                problems.append(f"{where} lies outside the text area (x {a.x0:.0f} to {a.x1:.0f})")
            if a.y1 < my + SLACK:
                if not re.fullmatch(header, a.text):
                    problems.append(f"{where} lies in the top margin but is not the page header")
            elif a.y0 < my - 2 * SLACK:  # a large heading's ascent reaches a little above its line
                problems.append(f"{where} crosses the top of the text area (y {a.y0:.0f} < {my:.0f})")
            if a.y0 > height - my - SLACK:
                if not re.fullmatch(footer, a.text):
                    problems.append(f"{where} lies in the bottom margin but is not the page footer")
            elif a.y1 > height - my + DESCENT:
                problems.append(f"{where} crosses the bottom of the text area (y {a.y1:.0f} > {height - my:.0f})")
            for b in lines[i + 1:]:
                if a.overlaps(b):
                    problems.append(f"{where} overlaps '{b.text[:60]}'")
    return problems + missing_rows(pdf, html_table_rows(html))
