"""Renderers: the notebook-to-Markdown step honours Quarto's tags; Quarto's absence is a clear error."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from conftest import run_cli
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from annualreport.render.notebook_md import notebook_to_markdown


def test_tags_hide_code_and_outputs(tmp_path: Path) -> None:
    nb = new_notebook()
    shown = new_code_cell("secret_code = 1", outputs=[new_output("display_data", data={"text/markdown": "**shown**"})])
    shown.metadata["tags"] = ["remove-input"]
    removed = new_code_cell("other = 2", outputs=[new_output("stream", name="stdout", text="hidden")])
    removed.metadata["tags"] = ["remove-cell"]
    warning = new_code_cell("x", outputs=[new_output("stream", name="stderr", text="a warning")])
    warning.metadata["tags"] = ["remove-input"]
    nb.cells = [new_markdown_cell("# Title"), shown, removed, warning]
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    md = notebook_to_markdown(path, tmp_path / "out")
    assert md == "# Title\n\n**shown**\n"


def test_quarto_renderer_without_quarto_says_how_to_install(project: Path) -> None:
    env = os.environ.copy()
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "quarto").exists())
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "quarto", env=env)
    assert proc.returncode == 1
    assert "Quarto is not installed" in proc.stderr and "environment.yml" in proc.stderr and "--renderer embedded" in proc.stderr
    assert "indicator store" not in proc.stderr and "executed" not in proc.stderr  # said before any work, not after it
    assert not (project / "build" / "lancashire" / "2013-14").exists()


def test_a_quarto_pdf_that_is_not_pdf_ua_is_refused_saying_why(lancashire_build: Path, tmp_path: Path) -> None:
    """An older Quarto ignores `pdf-standard: ua-1`: its untagged PDF is refused, never published."""
    import typst

    from annualreport.errors import RenderError
    from annualreport.render.quarto import require_pdf_ua

    plain = tmp_path / "report.pdf"
    plain.write_bytes(typst.compile(b"= Report\n\nText.", format="pdf"))
    with pytest.raises(RenderError, match="not PDF/UA-1.*--renderer embedded"):
        require_pdf_ua(plain)
    require_pdf_ua(lancashire_build / "public" / "report.pdf")  # the embedded renderer's PDF passes
