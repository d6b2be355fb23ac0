"""Renderers turn a book project folder into report.html and report.pdf.

Two implementations, looked up by name: `quarto` (runs `quarto render`) and `embedded`
(pandoc from the pypandoc-binary wheel and Typst from the typst wheel). `auto` picks quarto
when it is on PATH, embedded otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from annualreport.errors import RenderError

if TYPE_CHECKING:
    from annualreport.render.render_cache import RenderCache


# Where a renderer leaves pandoc's reading of the report's Markdown (its JSON AST, as the PDF and
# Word are made from it), so that the final gate reads the tables of those outputs too
# (publication.published_cells); removed with the rest of .render/ once the gate has run.
DOCUMENT = Path(".render") / "report.json"


class Renderer(Protocol):
    name: str

    def render(self, project: Path, draft: bool = False, year_end: int = 2000,
               html_ready: Callable[[], None] | None = None, cache: "RenderCache | None" = None,
               meanwhile: Callable[[], None] | None = None) -> list[Path]:
        """Render the book in `project`; return the files written (report.html, report.pdf).
        A renderer that reads the book as one Markdown document also writes `project / DOCUMENT`.

        `year_end` (the calendar year of 31 March that ends the report year) dates the PDF, so the
        same inputs give the same bytes. `html_ready` is called once, before render returns, as soon
        as `project` holds the HTML (report.html, and _book/ for Quarto) and DOCUMENT: the build's
        final gate reads only those, so it runs while the PDF is still being made. An exception it
        raises stops the render and is raised by render. `meanwhile` is called once, before
        `html_ready`, when the render starts waiting for its tools to write the outputs: work of
        the build's own that can run beside them (the build imports the final gate's modules then).

        `cache` (render_cache.py): the embedded renderer takes the outputs of a book it rendered
        before from there, and keeps what it renders; Quarto always renders.
        """
        ...

    def version(self) -> str:
        ...


def get_renderer(name: str, workers: int | None = None) -> Renderer:
    """The renderer called `name` ('auto', 'quarto' or 'embedded'); `workers`: the processes the
    embedded renderer may run at once (by default one per core, up to one per output)."""
    from annualreport.render.embedded import EmbeddedRenderer

    if name == "auto":
        name = "quarto" if shutil.which("quarto") else "embedded"
    if name == "quarto":
        # Imported only here: it imports pikepdf (with lxml), which the embedded renderer imports
        # in its PDF thread, off the build's critical path.
        from annualreport.render.quarto import INSTALL_HINT, QuartoRenderer

        if shutil.which("quarto") is None:  # said before any chapter runs, not after the whole build
            raise RenderError(INSTALL_HINT)
        return QuartoRenderer()
    if name == "embedded":
        return EmbeddedRenderer(workers=workers)
    raise RenderError(f"unknown renderer '{name}' (expected auto, quarto or embedded)")


__all__ = ["DOCUMENT", "Renderer", "get_renderer", "Path"]
