"""A published HTML page, read once for the final gate: its tables and its visible text by section.

The gate reads each table's cells back (published_cells) and looks for personal names in the text
under each heading (personal_names). report.html is about a megabyte, its charts inlined, so both
checks share one reading of it instead of parsing it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

Table = tuple[list[str], list[list[str]]]  # header cells, body rows: each cell's text, spaces collapsed


@dataclass(frozen=True)
class HtmlReading:
    tables: dict[str, Table] = field(default_factory=dict)  # every <table id=...>, by its id
    texts: list[tuple[str, str, str]] = field(default_factory=list)  # (h1 id, h2 id, a run of visible text)


class _Reader(HTMLParser):
    """Tables with an id (header and body rows) and the visible text under each level 1 and 2 heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.reading = HtmlReading()
        self._stack: list[tuple[str, list[str], list[list[str]]]] = []  # tables open, innermost last
        self._part = ""  # thead or tbody
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._chapter = self._section = ""
        self._skip = 0  # inside style, script or title: not text a reader sees

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append((dict(attrs).get("id") or "", [], []))
        elif tag in ("thead", "tbody") and self._stack:
            self._part = tag
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "h1":
            self._chapter, self._section = dict(attrs).get("id") or "", ""
        elif tag == "h2":
            self._section = dict(attrs).get("id") or ""
        elif tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            _, header, body = self._stack[-1]
            if self._part == "thead":
                header[:] = self._row
            else:
                body.append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            table_id, header, body = self._stack.pop()
            if table_id:
                self.reading.tables[table_id] = (header, body)
        elif tag in ("style", "script", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if not self._skip and data.strip():
            self.reading.texts.append((self._chapter, self._section, data))


def read_html(path: Path) -> HtmlReading:
    """One page's tables and text (bytes that are not UTF-8 read as U+FFFD, never an error)."""
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8", errors="replace"))
    reader.close()
    return reader.reading


def html_pages(public: Path) -> dict[str, HtmlReading]:
    """Every published page in `public` (report.html, and a Quarto book's _book/*.html), by its path
    relative to `public`, in the order a table id found on two pages is taken from (the last wins)."""
    paths = sorted([public / "report.html", *sorted((public / "_book").rglob("*.html"))])
    return {str(p.relative_to(public)): read_html(p) for p in paths if p.is_file()}
