"""Stitch executed chapter notebooks into a Quarto book project.

The project is a real Quarto book (`_quarto.yml`, `index.qmd`, `chapters/*.ipynb`) that
`quarto render` turns into HTML and PDF; the embedded renderer renders the same project with
pandoc and Typst. Code is hidden by tagging every code cell `remove-input`, which both Quarto
and the embedded renderer honour, and by `echo: false` in `_quarto.yml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from .params import ReportParams


@dataclass(frozen=True)
class BookInfo:
    title: str
    subtitle: str
    chapters: list[str]  # chapter ids in report order


def report_title(params: ReportParams) -> tuple[str, str]:
    year = params.report.year
    start = int(year[:4])
    title = f"{params.partnership.name}: Annual Report {year}"
    subtitle = f"1 April {start} to 31 March {start + 1}" + (" (DRAFT)" if params.report.status == "draft" else "")
    return title, subtitle


def hide_code(notebook: Path) -> None:
    """Tag every code cell `remove-input` and drop papermill's per-run metadata noise."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            tags = cell.metadata.setdefault("tags", [])
            if "remove-input" not in tags:
                tags.append("remove-input")
    nbformat.write(nb, notebook)


def index_text(params: ReportParams, members: list[str]) -> str:
    """The book's front page: what the report covers and how to read its figures."""
    year = params.report.year
    council_list = ", ".join(members)
    return f"""# About this report {{.unnumbered}}

This is the annual report of the {params.partnership.name} for {year} (1 April {year[:4]} to 31 March
{int(year[:4]) + 1}). It covers the area of {council_list}.

Every figure is computed once, from the published national statistics of the Department for Education
(Explore Education Statistics) and ONS population estimates, and every table, chart and sentence reads the
same figure. Each chart is followed by its data. Figures are compared with England, the
{params.partnership.region} region and the mean of the statistical neighbours (DfE's
{params.partnership.statistical_neighbours} model). Years are financial years; a figure "at 31 March"
is a count on the last day of the year.

Symbols in tables follow the national statistics: [x] not available, [c] suppressed to protect
small numbers, [z] not applicable.
"""


def write_book(folder: Path, params: ReportParams, chapters: list[str], members: list[str]) -> BookInfo:
    """Write `_quarto.yml` and `index.qmd` beside the executed notebooks in folder/chapters/."""
    title, subtitle = report_title(params)
    for ch in chapters:
        hide_code(folder / "chapters" / f"{ch}.ipynb")
    config = {
        "project": {"type": "book", "output-dir": "_book"},
        "book": {
            "title": title,
            "subtitle": subtitle,
            "output-file": "report",
            "chapters": ["index.qmd"] + [f"chapters/{ch}.ipynb" for ch in chapters],
        },
        "lang": "en-GB",
        "execute": {"enabled": False, "echo": False, "warning": False},
        "format": {
            "html": {"toc": True, "number-sections": True},
            "typst": {"toc": True, "number-sections": True, "papersize": "a4", "page-numbering": "1"},
        },
    }
    (folder / "_quarto.yml").write_text(
        "# Written by annualreport; rendered by `quarto render` or the embedded renderer.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    (folder / "index.qmd").write_text(index_text(params, members), encoding="utf-8")
    return BookInfo(title, subtitle, chapters)

