"""The Quarto renderer: `quarto render` on the book project, when Quarto is installed.

Quarto is not on PyPI in a usable form (its package downloads the binary at install time), so
it is optional: conda users get it from `environment.yml`; others install it from quarto.org.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pikepdf

from annualreport.errors import RenderError

INSTALL_HINT = (
    "Quarto is not installed (no `quarto` on PATH). Install it with conda "
    "(`conda env create -f environment.yml`, which includes quarto from conda-forge) or from "
    "https://quarto.org/docs/get-started/, or use `--renderer embedded`, which needs nothing beyond "
    "this project's Python dependencies."
)


def require_pdf_ua(path: Path) -> None:
    """Refuse a PDF that does not declare PDF/UA-1, saying why, rather than publish a lesser one.

    The book asks for it (`pdf-standard: ua-1`), which Quarto 1.9 and later pass to Typst; an older
    Quarto ignores the option and writes an untagged PDF."""
    with pikepdf.open(path) as pdf, pdf.open_metadata() as xmp:
        part = xmp.get("pdfuaid:part")
    if part != "1":
        raise RenderError(f"{path.name} from Quarto is not PDF/UA-1 (its metadata declares no pdfuaid:part 1), so "
                          "a screen reader cannot rely on it. Quarto 1.9 or later writes PDF/UA-1 with the book's "
                          "`pdf-standard: ua-1`; or use `--renderer embedded`, which always does.")


class QuartoRenderer:
    name = "quarto"

    def _quarto(self) -> str:
        exe = shutil.which("quarto")
        if exe is None:
            raise RenderError(INSTALL_HINT)
        return exe

    def version(self) -> str:
        proc = subprocess.run([self._quarto(), "--version"], capture_output=True, text=True)
        return f"quarto {proc.stdout.strip()}"

    def render(self, project: Path, draft: bool = False, year_end: int = 2000,
               html_ready: Callable[[], None] | None = None, cache: Any = None,
               meanwhile: Callable[[], None] | None = None) -> list[Path]:
        """Render the book to HTML (a website in _book/) and Typst PDF, then collect them.

        A Quarto book's HTML is a website of several pages in _book/, so report.html is a page
        that opens it; the embedded renderer is the one that writes a single self-contained file.
        """
        exe = self._quarto()
        if meanwhile is not None:
            meanwhile()
        for fmt in ("typst", "html"):
            proc = subprocess.run([exe, "render", str(project), "--to", fmt], cwd=project, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RenderError(f"quarto render --to {fmt} failed:\n{proc.stderr.strip()[-4000:]}")
        book = project / "_book"
        require_pdf_ua(book / "report.pdf")
        pdf = project / "report.pdf"
        shutil.copyfile(book / "report.pdf", pdf)
        html = project / "report.html"
        html.write_text('<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
                        '<meta http-equiv="refresh" content="0; url=_book/index.html"><title>Report</title></head>'
                        '<body><a href="_book/index.html">Open the report</a></body></html>\n', encoding="utf-8")
        if html_ready is not None:
            html_ready()
        return [html, pdf]
