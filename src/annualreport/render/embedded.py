"""The embedded renderer: the book project rendered with pandoc and Typst from PyPI wheels.

HTML: the chapters' Markdown -> pandoc -> one self-contained report.html (images inlined,
navigable table of contents). PDF: the same Markdown -> pandoc -> Typst source -> the typst
compiler -> report.pdf with an outline (table of contents) and page numbers.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path

import typst
import yaml

from ..errors import RenderError
from .notebook_md import notebook_to_markdown

WORK = ".render"


def _pandoc() -> str:
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError) as e:
        raise RenderError(f"pandoc from the pypandoc-binary wheel is not available ({e}); run `make setup`") from None


def _template(name: str) -> str:
    return str(resources.files("annualreport") / "templates" / name)


def _run_pandoc(args: list[str], cwd: Path) -> None:
    proc = subprocess.run([_pandoc(), *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed ({' '.join(args[-2:])}):\n{proc.stderr.strip()}")


def pdf_timestamp(year_end: int) -> int:
    """The date written into the PDF: SOURCE_DATE_EPOCH when set, else the last day of the
    reporting year (31 March, 00:00 UTC) - never the time of the build, so a re-run gives the same bytes."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value and value.isdigit():
        return int(value)
    return int(datetime(year_end, 3, 31, tzinfo=timezone.utc).timestamp())


class EmbeddedRenderer:
    name = "embedded"

    def version(self) -> str:
        proc = subprocess.run([_pandoc(), "--version"], capture_output=True, text=True)
        pandoc_version = proc.stdout.splitlines()[0] if proc.stdout else "pandoc ?"
        return f"{pandoc_version}; typst-py {metadata.version('typst')}"

    def combined_markdown(self, project: Path) -> tuple[str, dict]:
        """The whole book as one Markdown document, with the book's title in its metadata."""
        config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
        book = config["book"]
        parts = []
        for chapter in book["chapters"]:
            path = project / chapter
            if path.suffix == ".ipynb":
                parts.append(notebook_to_markdown(path, project / WORK / "outputs"))
            else:
                parts.append(path.read_text(encoding="utf-8"))
        return "\n\n".join(parts), book

    def render(self, project: Path, draft: bool = False, year_end: int = 2000) -> list[Path]:
        markdown, book = self.combined_markdown(project)
        work = project / WORK
        work.mkdir(exist_ok=True)
        source = work / "report.md"
        source.write_text(markdown, encoding="utf-8")
        common = [
            "--from", "markdown", "--standalone", "--toc", "--toc-depth=2", "--number-sections",
            "--lua-filter", _template("quarto_compat.lua"),
            "--metadata", f"title={book['title']}", "--metadata", f"subtitle={book['subtitle']}",
            "--metadata", "lang=en-GB", "--metadata", "toc-title=Contents",
            "--resource-path", str(project),
        ]
        html = project / "report.html"
        draft_html = ["--include-before-body", _template("draft-banner.html")] if draft else []
        draft_typst = ["--include-in-header", _template("report-header.typ")]
        draft_typst += ["--include-in-header", _template("draft-watermark.typ")] if draft else []
        _run_pandoc([*common, *draft_html, "--to", "html5", "--embed-resources", "--css", _template("report.css"),
                     "--metadata", f"pagetitle={book['title']}", str(source.relative_to(project)), "-o", html.name], project)
        typ = work / "report.typ"
        _run_pandoc([*common, *draft_typst, "--to", "typst", "--metadata-file", _template("typst.yaml"),
                     str(source.relative_to(project)), "-o", str(typ.relative_to(project))], project)
        pdf = project / "report.pdf"
        # Typst resolves image paths against the .typ file's folder: give it the project as root and
        # write the .typ at the project root so `figures/...` resolves as in the HTML.
        root_typ = project / "report.typ"
        root_typ.write_text(typ.read_text(encoding="utf-8"), encoding="utf-8")
        try:
            typst.compile(str(root_typ), output=str(pdf), root=str(project), timestamp=pdf_timestamp(year_end))
        except Exception as e:  # typst raises its own error type with the source location
            raise RenderError(f"typst failed to compile {root_typ.name}:\n{e}") from None
        finally:
            root_typ.unlink(missing_ok=True)
        return [html, pdf]
