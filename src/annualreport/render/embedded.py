"""The embedded renderer: the book project rendered with pandoc and Typst from PyPI wheels.

Pandoc reads the chapters' Markdown once into its JSON AST (render.DOCUMENT, which the final
gate reads too; a chapter read before is taken from the reading cache, markdown_read.py); one
pandoc writes the three outputs from that in turn (pandoc_write.py), the PDF's Typst first: it
compiles while pandoc writes the HTML, and the build's gate runs as soon as the HTML is written
(`html_ready`), while the PDF is still being made and pandoc writes Word.
HTML: the document -> pandoc -> one self-contained report.html (the style sheet, the images
(html_embed) and the charts' CSV data inlined, a skip link, the contents as a navigation beside
the text).
PDF: the same document -> pandoc -> Typst source (report.typst: cover, header, "Page N of M") ->
the typst compiler -> report.pdf. Word: the same document -> pandoc -> report.docx, styled by the
reference document (reference.docx).

Rendering cannot reach outside the build: pandoc reads the Markdown with raw HTML, raw
attributes and raw TeX off and runs `safety.lua` first (only the build's charts as images, no
`javascript:`/`file:`/`data:` links, no raw elements); both pandoc and Typst run in a fresh
folder holding only the Markdown and the charts (never the build folder, with its inputs and
store); Typst packages come from an empty folder; the HTML carries a Content-Security-Policy
that forbids scripts. Each step has a time limit, and the Markdown a size limit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import yaml

from annualreport.errors import RenderError
from annualreport.render import DOCUMENT
from annualreport.render.front import FRONT, body_fonts
from annualreport.render.html_embed import embed_images, style_block
from annualreport.render.markdown_read import ReadingCache, book_markdown, read_book
from annualreport.render.notebook_md import notebook_to_markdown
from annualreport.render.pandoc_run import pandoc_binary, run_pandoc, template
from annualreport.render.pandoc_write import Output, write_outputs
from annualreport.render.pdf_outline import open_outline
from annualreport.render.render_cache import RenderCache
from annualreport.render.typst_compile import compile_pdf

WORK = ".render"
# Pandoc's Markdown without any way to pass raw HTML, Typst or LaTeX through.
MARKDOWN = "markdown-raw_html-raw_attribute-raw_tex"
MB = 2**20


@dataclass(frozen=True)
class RenderLimits:
    """How long each step may take, and how much Markdown the book may hold."""

    pandoc_seconds: float = 300
    typst_seconds: float = 300
    markdown_bytes: int = 32 * MB


def _megabytes(n: int) -> str:
    return f"{n / MB:.1f} MB"


def pdf_timestamp(year_end: int) -> int:
    """The date written into the PDF: SOURCE_DATE_EPOCH when set, else the last day of the
    reporting year (31 March, 00:00 UTC) - never the time of the build, so a re-run gives the same bytes."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value and value.isdigit():
        return int(value)
    return int(datetime(year_end, 3, 31, tzinfo=timezone.utc).timestamp())


def _copy_files(source: Path, dest: Path, pattern: str) -> None:
    """Copy the regular files (never links) of `source` matching `pattern` into `dest`."""
    if not source.is_dir():
        return
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob(pattern)):
        if path.is_file() and not path.is_symlink():
            shutil.copyfile(path, dest / path.name)


def sandbox(project: Path, markdown: str) -> Path:
    """A fresh folder under project/.render holding `root/`, with only the Markdown (report.md),
    the charts (figures/*.png), the charts' and tables' CSVs (data/*.csv) and the front (cover,
    logos), regular files only: the one folder pandoc and Typst may read; and `packages/`,
    empty, where Typst looks for packages."""
    (project / WORK).mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sandbox-", dir=project / WORK))
    root = work / "root"
    root.mkdir()
    (work / "packages").mkdir()
    (root / "report.md").write_text(markdown, encoding="utf-8")
    _copy_files(project / "figures", root / "figures", "*")
    _copy_files(project / "data", root / "data", "*.csv")
    _copy_files(project / FRONT, root / FRONT, "*")
    _copy_files(project / FRONT / "branding", root / FRONT / "branding", "*")
    return work


class EmbeddedRenderer:
    """`workers`: how many processes a render runs at once (pandoc reading chapters; Typst compiling
    the PDF beside pandoc writing the HTML and Word, or with one worker, after it): by default one
    per core, up to three. A batch that builds several reports at once gives each report its share
    of the cores."""

    name = "embedded"

    def __init__(self, limits: RenderLimits | None = None, workers: int | None = None):
        self.limits = limits or RenderLimits()
        self.workers = max(1, min(3, os.cpu_count() or 1) if workers is None else workers)

    def version(self) -> str:
        proc = subprocess.run([pandoc_binary(), "--version"], capture_output=True, text=True)
        pandoc_version = proc.stdout.splitlines()[0] if proc.stdout else "pandoc ?"
        return f"{pandoc_version}; typst-py {metadata.version('typst')}"

    def combined_markdown(self, project: Path) -> tuple[str, dict]:
        """The whole book as one Markdown document (as pandoc reads it), and the book's settings."""
        parts, book = self.chapter_markdown(project)
        return book_markdown(parts), book

    def chapter_markdown(self, project: Path) -> tuple[list[str], dict]:
        """Each chapter's Markdown, in book order, and the book's settings (its title, its chapters).

        RenderError naming the chapter when the book would hold more than the limit's Markdown
        (a chapter that printed hundreds of megabytes is refused before pandoc reads it).
        """
        config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
        book = config["book"]
        limit = self.limits.markdown_bytes
        parts: list[str] = []
        size = 0
        for chapter in book["chapters"]:
            path = project / chapter
            too_big = f"chapter '{path.stem}' ({chapter})"
            if path.stat().st_size > limit:
                raise RenderError(f"stitching the book: {too_big} is {_megabytes(path.stat().st_size)}, more than the "
                                  f"{_megabytes(limit)} the whole book may hold; does a cell print too much?")
            if path.suffix == ".ipynb":
                text = notebook_to_markdown(path, project / "figures")
            else:
                text = path.read_text(encoding="utf-8")
            size += len(text.encode("utf-8"))
            if size > limit:
                raise RenderError(f"stitching the book: with {too_big} ({_megabytes(len(text.encode('utf-8')))} of "
                                  f"Markdown) the book holds more than the {_megabytes(limit)} it may hold; "
                                  f"does a cell print too much?")
            parts.append(text)
        return parts, book

    def render(self, project: Path, draft: bool = False, year_end: int = 2000,
               html_ready: Callable[[], None] | None = None, cache: RenderCache | None = None,
               meanwhile: Callable[[], None] | None = None) -> list[Path]:
        parts, book = self.chapter_markdown(project)
        work = sandbox(project, book_markdown(parts))
        try:
            key = cache.key(work / "root", {"book": book, "draft": draft, "year_end": year_end}) if cache else ""
            kept = cache.get(key) if cache else None
            if kept is not None:
                if meanwhile is not None:
                    meanwhile()
                return self._kept(project, kept, html_ready)
            outputs = self._render(project, work, parts, book, draft, year_end, html_ready, cache, meanwhile)
            if cache:
                cache.put(key, {"report.json": project / DOCUMENT, **{p.name: p for p in outputs}})
            return outputs
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _kept(self, project: Path, kept: Path, html_ready: Callable[[], None] | None) -> list[Path]:
        """The outputs of the same book rendered before, handed over as a render hands them: the HTML
        and the document first (to the final gate), then the PDF and Word."""
        shutil.copyfile(kept / "report.json", project / DOCUMENT)
        shutil.copyfile(kept / "report.html", project / "report.html")
        if html_ready is not None:
            try:
                html_ready()
            except BaseException:
                for made in (project / "report.html", project / DOCUMENT):
                    made.unlink(missing_ok=True)
                raise
        for name in ("report.pdf", "report.docx"):
            shutil.copyfile(kept / name, project / name)
        return [project / "report.html", project / "report.pdf", project / "report.docx"]

    def read(self, parts: list[str], root: Path, book: dict, readings: ReadingCache | None = None) -> list[int] | None:
        """Pandoc's reading of the book (the chapters' Markdown `parts`; root/report.md holds them as
        one document) into its JSON AST, root/report.json: the document every output is written from,
        and the one the final gate reads the PDF's and Word's tables from (DOCUMENT). Through the
        safety filter, so nothing unsafe reaches any writer. Chapters read before are taken from
        `readings` (markdown_read.py). Returns the blocks that hold an image or a link (write_reading)."""
        safety = template("safety.lua")
        read = [
            "--from", MARKDOWN, "--lua-filter", safety,
            "--metadata", f"title={book['title']}", "--metadata", f"subtitle={book['subtitle']}",
            "--metadata", "lang=en-GB", "--metadata", "toc-title=Contents",
        ]
        if (root / FRONT / "metadata.yml").is_file():
            read += ["--metadata-file", f"{FRONT}/metadata.yml"]
        settings = f"{MARKDOWN}\n" + Path(safety).read_text(encoding="utf-8")  # what decides a chapter's reading
        timeout = self.limits.pandoc_seconds
        return read_book(parts, root, read, settings, lambda args, step: run_pandoc(args, root, step, timeout),
                         readings, self.workers)

    def _render(self, project: Path, work: Path, parts: list[str], book: dict, draft: bool, year_end: int,
                html_ready: Callable[[], None] | None, cache: RenderCache | None,
                meanwhile: Callable[[], None] | None = None) -> list[Path]:
        root = work / "root"
        cover = lambda name: [f"{FRONT}/{name}"] if (root / FRONT / name).is_file() else []  # noqa: E731
        # The style sheet goes in the page's head (instead of pandoc's own, which it would add without
        # document-css=false), the images in as data: URIs (html_embed): one self-contained file. No line
        # breaks inside a tag (wrap none), as in pandoc's embedded page.
        style = work / "style.html"
        style.write_text(style_block(Path(template("report.css")).read_text(encoding="utf-8")), encoding="utf-8")
        watermark = [template("draft-watermark.typ")] if draft else []
        outputs = [  # the PDF's first (pandoc, then Typst: the longest), then the HTML, which the gate reads
            Output("typst", "writing Typst for the PDF", "typst", "report.typ", template("report.typst"),
                   {"header-includes": [template("report-header.typ"), *watermark], "include-before": cover("cover.typ")},
                   metadata_files=[template("typst.yaml")]),
            Output("html", "rendering HTML", "html5", "report.html", template("report.html5"),
                   {"header-includes": [template("csp.html"), str(style)],
                    "include-before": cover("cover.html") + (cover("draft-banner.html") if draft else [])},  # front.py
                   metadata={"document-css": False, "pagetitle": book["title"]}, options={"wrap_text": "none"}),
            Output("docx", "writing Word", "docx", "report.docx", options={"reference_doc": template("reference.docx")},
                   background=True),
        ]
        counts = work / "row-headers.txt"
        env = {"ANNUALREPORT_ROW_HEADERS": str(counts), "SOURCE_DATE_EPOCH": str(pdf_timestamp(year_end))}

        def pdf() -> None:
            # pikepdf is imported here, in the PDF's thread, not before the render starts (a thirtieth
            # of a second on every build's critical path).
            from annualreport.render.pdf_row_headers import mark_row_headers, read_counts

            # Typst resolves `figures/...` against the .typ's folder and can read nothing outside its
            # root: a folder of its own holding the .typ, the charts and the logos only.
            typst_root = work / "pdf"
            typst_root.mkdir()
            os.replace(root / "report.typ", typst_root / "report.typ")
            for folder in ("figures", FRONT):
                if (root / folder).is_dir():
                    shutil.copytree(root / folder, typst_root / folder)
            compile_pdf(typst_root / "report.typ", work / "report.pdf", typst_root, work / "packages",
                        pdf_timestamp(year_end), self.limits.typst_seconds, body_fonts())
            mark_row_headers(work / "report.pdf", read_counts(counts))
            open_outline(work / "report.pdf")

        image_link_blocks = self.read(parts, root, book, cache.readings if cache else None)
        # One pandoc writes the three outputs in turn (pandoc_write.py). The PDF's Typst compiles as soon
        # as it is written, beside pandoc (with one worker, after it); the HTML goes to the final gate as
        # soon as it is written, while pandoc writes Word. A fault is reported as the first output's
        # (the message names the step), or html_ready's, then the PDF compile's.
        made: list[Future] = []
        with ThreadPoolExecutor(max_workers=1) as pool:

            def written(out: Output) -> None:
                if out.name == "typst" and self.workers > 1:
                    made.append(pool.submit(pdf))
                elif out.name == "html":
                    page = root / "report.html"
                    page.write_text(embed_images(page.read_text(encoding="utf-8"), root), encoding="utf-8")
                    shutil.copyfile(root / "report.json", project / DOCUMENT)
                    os.replace(page, project / "report.html")
                    if html_ready is not None:
                        html_ready()

            try:
                if meanwhile is not None:  # pandoc writes the Typst first: the main thread only waits
                    meanwhile()
                write_outputs(root, "report.json", outputs, self.limits.pandoc_seconds, env, written,
                              image_link_blocks=image_link_blocks)
                if made:
                    made[0].result()
                else:
                    pdf()
            except BaseException:
                for made_file in (project / "report.html", project / DOCUMENT):
                    made_file.unlink(missing_ok=True)  # a failed render leaves no output behind
                raise
        os.replace(root / "report.docx", project / "report.docx")
        os.replace(work / "report.pdf", project / "report.pdf")
        return [project / "report.html", project / "report.pdf", project / "report.docx"]
