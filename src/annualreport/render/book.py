"""Stitch executed chapter notebooks into a Quarto book project.

The project is a real Quarto book (`_quarto.yml`, `index.qmd`, `chapters/*.ipynb`) that
`quarto render` turns into HTML and PDF; the embedded renderer renders the same project with
pandoc and Typst. Stitching is where narrative is applied: per-year narrative files, then the
figures behind each `{{ placeholder }}`, then the glossary of the acronyms the report uses.
Code is hidden by tagging every code cell `remove-input`, which both Quarto and the embedded
renderer honour, and by `echo: false` in `_quarto.yml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from annualreport.execution.notebook_io import NotebookNode, read_notebook, write_notebook
from annualreport.inputs import narrative
from annualreport.inputs.framework import framework_for
from annualreport.chapters.fmt import join_words
from annualreport.render.front import signatures_markdown, write_front
from annualreport.render.markdown_text import inline
from annualreport.inputs.params import ReportParams


@dataclass(frozen=True)
class BookInfo:
    title: str
    subtitle: str
    chapters: list[str]  # chapter ids in report order
    unknown_acronyms: list[str]


def report_title(params: ReportParams) -> tuple[str, str]:
    year = params.report.year
    start = int(year[:4])
    title = f"{params.partnership.name}: Annual Report {year}"
    subtitle = f"1 April {start} to 31 March {start + 1}" + (" (DRAFT)" if params.report.status == "draft" else "")
    return title, subtitle


def glossary_terms(params: ReportParams | None = None) -> dict[str, str]:
    """The glossary's terms and acronyms: the shipped list, the terms of the year's framework
    (inputs.framework: LCSPR, safeguarding partners... from 2019-20), then the partnership's own
    `glossary:` entries (params/<partnership>.yml, then the year's params, which win)."""
    terms = yaml.safe_load((resources.files("annualreport") / "templates" / "glossary.yml").read_text(encoding="utf-8"))
    if params is not None:
        terms |= dict(framework_for(params.report.year).glossary) | params.partnership.glossary | params.report.glossary
    return terms


def index_text(params: ReportParams, members: list[str]) -> str:
    """The book's front page: what the report covers and how to read its figures."""
    year = params.report.year
    name, region, model = (inline(v) for v in (params.partnership.name, params.partnership.region,
                                                params.partnership.statistical_neighbours))
    return f"""# About this report {{.unnumbered}}

This is the annual report of the {name} for {year}. The year ran from 1 April {year[:4]} to 31 March
{int(year[:4]) + 1}. It covers the area of {join_words([inline(m) for m in members])}.

Every figure is computed once, from the published national statistics of the Department for Education
(DfE) and the Office for National Statistics (ONS) and from the partnership's own records, and every
table, chart and sentence reads the same figure. Each chart is followed by its data. Figures are compared
with England, the {region} region and similar areas. Similar areas are the councils most like this
one, chosen by DfE's statistical neighbour model ({model}); the figure shown is the mean of theirs.
Years are financial years. A figure "at 31 March" is a count on the last day of the year.

Symbols in tables follow the national statistics: [x] not available, [c] suppressed to protect small
numbers, [z] not applicable.
"""


def _markdown_texts(nb: NotebookNode) -> list[str]:
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            md = out.get("data", {}).get("text/markdown")
            if md:
                texts.append("".join(md) if isinstance(md, list) else md)
    return texts


def stitch_chapter(nb: NotebookNode, chapter: str, values: dict[str, str], narrative_file: Path | None,
                   narrative_label: str) -> None:
    """Check the chapter's Markdown, apply its narrative file, fill its placeholders, and hide its code."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            narrative.check_markdown(cell.source, f"notebooks/{chapter}.ipynb, cell {cell.get('id', '?')}")
    if narrative_file is not None:
        narrative.apply_file(nb, narrative_file, narrative_label)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            where = f"notebooks/{chapter}.ipynb, cell {cell.get('id', '?')}"
            if narrative_file is not None and (cell.get("id", "").endswith("-after") or cell.get("id", "").endswith("-narrative")):
                where = narrative_label
            cell.source = narrative.fill(cell.source, values, where)
        elif cell.cell_type == "code":
            tags = cell.metadata.setdefault("tags", [])
            if "remove-input" not in tags:
                tags.append("remove-input")


def write_book(folder: Path, params: ReportParams, chapters: list[str], members: list[str], placeholders: dict[str, str],
               narrative_dir: Path, narrative_label: str, extra: dict[str, str] | None = None) -> BookInfo:
    """Stitch the executed notebooks in folder/chapters/ and write `_quarto.yml` and `index.qmd`.

    `placeholders`: the narrative's values (narrative.placeholders of the public store); `extra`
    adds more (the build adds `provenance`). Raises NarrativeError for an unknown
    placeholder or narrative name, or a narrative file for a chapter that is not in the report.
    """
    title, subtitle = report_title(params)
    files = narrative.narrative_files(narrative_dir, chapters, narrative_label)
    values = placeholders | {"glossary": GLOSSARY_SLOT} | (extra or {})  # the glossary once every chapter is known
    books = {}
    for ch in chapters:
        path = folder / "chapters" / f"{ch}.ipynb"
        nb = read_notebook(path)
        file = files.get(ch)
        stitch_chapter(nb, ch, values, file, f"{narrative_label}/{file.name}" if file else "")
        books[ch] = nb
    index = index_text(params, members)
    all_text = "\n".join([index, *(t for nb in books.values() for t in _markdown_texts(nb))])
    terms = glossary_terms(params)
    glossary = narrative.glossary_text(terms, all_text)
    signatures = signatures_markdown(params)
    for ch, nb in books.items():
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = cell.source.replace(GLOSSARY_SLOT, glossary)
                if signatures and "narrative:foreword" in cell.metadata.get("tags", []):
                    cell.source += "\n\n" + signatures  # the foreword is signed by the year's signatories
        write_notebook(nb, folder / "chapters" / f"{ch}.ipynb")
    write_front(folder, params)
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
            "typst": {"toc": True, "number-sections": True, "papersize": "a4", "page-numbering": "1",
                      "pdf-standard": "ua-1"},
        },
    }
    (folder / "_quarto.yml").write_text(
        "# Written by annualreport; rendered by `quarto render` or the embedded renderer.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    (folder / "index.qmd").write_text(index, encoding="utf-8")
    return BookInfo(title, subtitle, chapters, narrative.unknown_acronyms(all_text, terms))


GLOSSARY_SLOT = "\x00glossary\x00"
