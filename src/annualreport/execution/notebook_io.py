"""Reading and writing notebooks without nbformat's schema check, for the build's own steps.

`nbformat.read` and `nbformat.write` check every notebook against the schema each time, and only
log what they find; a report's build reads and writes its 14 notebooks about eight times each
(cache keys, the cache, stitching, Markdown), and the checks were a tenth of a narrative-only
rebuild. The notebooks are checked where it matters, when papermill executes them. The bytes
written are nbformat's own (`nbformat.v4.writes`, with the newline `nbformat.write` adds).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode


def read_notebook(path: Path) -> NotebookNode:
    """The notebook at `path`, as nbformat 4 (an older one converted, as `nbformat.read` does)."""
    nb = nbformat.reader.reads(path.read_text(encoding="utf-8"))
    return nb if nb.get("nbformat") == 4 else nbformat.convert(nb, 4)


def write_notebook(nb: NotebookNode, path: Path) -> None:
    """Write `nb` to `path` as `nbformat.write` would, byte for byte."""
    text = nbformat.v4.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def code_sources(path: Path) -> tuple[list[str], str]:
    """The notebook's code cells' sources and its kernel's name (what a chapter's cache key covers)."""
    nb = read_notebook(path)
    return [c.source for c in nb.cells if c.cell_type == "code"], nb.metadata.get("kernelspec", {}).get("name", "")
