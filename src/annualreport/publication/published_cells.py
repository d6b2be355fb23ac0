"""The registered count cells as they were published: in each CSV, in the HTML and in the Markdown.

`cell_registry` says where each count about children sits in each table; this module reads the
published files back and yields every such cell with the text a reader sees there, so the final
gate and the audit of what was published look at the files themselves, not at what the code meant
to write. The PDF's tables are made by pandoc from the same Markdown as the HTML's, so the
Markdown tables (parsed by pandoc) stand for the PDF's.
"""

from __future__ import annotations

import csv
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from annualreport.publication.cell_registry import Ref, TableCells, read_cells
from annualreport.publication.html_reading import HtmlReading, html_pages
from annualreport.render.pandoc_ast import plain_text


@dataclass(frozen=True)
class PublishedCell:
    file: str  # e.g. data/allegations-table-1.csv, report.html (table tbl-x), report.md (table tbl-x)
    row: int  # CSV: the row as a spreadsheet counts it (the header is row 1); tables: body row from 1
    column: str
    text: str
    ref: Ref


def number(text: str) -> float | None:
    """A published cell's number ('1,079', '£12', '31.0%'), or None for a symbol such as [c]."""
    try:
        return float(text.strip().replace(",", "").replace("£", "").rstrip("%"))
    except ValueError:
        return None


# Blocks that hold only inline text: no table can be inside one, so the search skips them.
TEXT_BLOCKS = frozenset({"Para", "Plain", "Header", "CodeBlock", "RawBlock", "LineBlock", "HorizontalRule"})


def markdown_tables(markdown: str | dict) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every table with an id in a Markdown document, as pandoc reads it (header, body rows).

    `markdown` is the document's text, or pandoc's reading of it already made (its JSON AST as a
    dict: what the embedded renderer leaves in render.DOCUMENT)."""
    if isinstance(markdown, str):
        from annualreport.render.pandoc_run import pandoc_binary

        proc = subprocess.run([pandoc_binary(), "--from", "markdown", "--to", "json"], input=markdown, capture_output=True,
                              text=True, check=True)
        markdown = json.loads(proc.stdout)
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("t") in TEXT_BLOCKS:
                return
            if node.get("t") == "Table":
                attr, _, _, head, bodies, _ = node["c"]
                header = [plain_text(cell[4]) for cell in head[1][-1][1]] if head[1] else []
                body = [[plain_text(cell[4]) for cell in row[1]] for b in bodies for row in b[3]]
                if attr[0]:
                    tables[attr[0]] = (header, body)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(markdown)
    return tables


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return (rows[0] if rows else []), rows[1:]


def published_cells(public: Path, private: Path, markdown: str | dict | None = None,
                    pages: dict[str, HtmlReading] | None = None) -> Iterator[PublishedCell]:
    """Every registered count cell in every published form: CSVs and report tables.

    `public` holds what is published (report.html, data/*.csv), `private` the build's records;
    `markdown` is the report's Markdown the PDF and Word were made from, when there is one (its
    text, or pandoc's reading of it: see `markdown_tables`); `pages` the reading of the published
    HTML pages (html_reading.html_pages), read here when not given."""
    registry = read_cells(private)
    html = {}
    for name, page in (html_pages(public) if pages is None else pages).items():
        html |= {k: (name, v) for k, v in page.tables.items()}
    md = {k: ("report.md", v) for k, v in markdown_tables(markdown).items()} if markdown else {}
    for table in registry:
        yield from _csv_cells(public, table)
        for source in (html, md):
            if table.table_id in source:
                name, (header, body) = source[table.table_id]
                for i, j, ref in table.table_cells:
                    if i < len(body) and j < len(body[i]):
                        column = header[j] if j < len(header) else str(j + 1)
                        yield PublishedCell(f"{name} (table {table.table_id})", i + 1, column, body[i][j], ref)


def _csv_cells(public: Path, table: TableCells) -> Iterator[PublishedCell]:
    if not table.csv or not (public / table.csv).is_file():
        return
    header, rows = read_csv_rows(public / table.csv)
    for row, column, ref in table.csv_cells:
        if row - 1 < len(rows) and column in header:
            yield PublishedCell(table.csv, row + 1, column, rows[row - 1][header.index(column)], ref)
