"""The build reads and writes notebooks without nbformat (execution/notebook_io.py): what it reads is
what nbformat reads, and what it writes is byte for byte what nbformat writes."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from annualreport.execution.notebook_io import read_notebook, write_notebook
from conftest import REPO


def same_as_nbformat(path: Path, tmp_path: Path) -> None:
    ours, theirs = read_notebook(path), nbformat.read(path, as_version=4)
    assert ours == theirs, path
    write_notebook(ours, tmp_path / "ours.ipynb")
    nbformat.write(theirs, tmp_path / "theirs.ipynb")
    assert (tmp_path / "ours.ipynb").read_bytes() == (tmp_path / "theirs.ipynb").read_bytes(), path


def test_the_chapters_and_their_executed_notebooks_read_and_write_as_with_nbformat(lancashire_build: Path,
                                                                                 tmp_path: Path) -> None:
    sources = sorted((REPO / "notebooks").glob("*.ipynb"))
    executed = sorted((lancashire_build / "chapters").glob("*.ipynb"))
    assert len(sources) > 10 and len(executed) > 10
    for path in sources + executed:
        same_as_nbformat(path, tmp_path)


def test_every_kind_of_output_and_transient_key_reads_and_writes_as_with_nbformat(tmp_path: Path) -> None:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    code = new_code_cell("x = 1\nprint(x)\n", outputs=[
        new_output("stream", name="stdout", text="1\n2\n"),
        new_output("execute_result", execution_count=1, data={
            "text/plain": "a\nb", "text/markdown": "**a**\n\nb\n", "application/json": {"k": ["v\n", "w"]},
            "application/vnd.custom+json": {"lines": ["x\n"]}, "image/svg+xml": "<svg>\n</svg>\n",
            "image/png": "iVBORw0KGgo=\n"}),
        new_output("display_data", data={"text/html": "<p>é – ü</p>\n<p>2</p>"}, metadata={"isolated": True}),
        new_output("error", ename="ValueError", evalue="bad", traceback=["line 1\n", "line 2"]),
    ])
    code.metadata["trusted"] = True
    text = new_markdown_cell("Some *text*\nover two lines.\n")
    text["attachments"] = {"a.png": {"image/png": "iVBORw0KGgo=", "text/plain": "one\ntwo\n"}}
    nb.cells = [code, text, new_code_cell("")]
    nb.metadata["orig_nbformat"] = 3
    nb.metadata["signature"] = "sha256:0"
    path = tmp_path / "every.ipynb"
    nbformat.write(nb, path)
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    on_disk["cells"][0]["metadata"]["trusted"] = True  # as a file from elsewhere may hold
    on_disk["metadata"]["orig_nbformat"] = 3
    path.write_text(json.dumps(on_disk), encoding="utf-8")  # not as nbformat writes it: one line, no lists
    same_as_nbformat(path, tmp_path)
    assert "trusted" not in read_notebook(path).cells[0].metadata


def test_a_notebook_of_an_older_format_is_converted_as_nbformat_converts_it(tmp_path: Path) -> None:
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["A heading\n", "and text"]},
        {"cell_type": "code", "collapsed": False, "input": ["print(1)"], "language": "python", "metadata": {},
         "outputs": [{"output_type": "stream", "stream": "stdout", "text": ["1\n"]}], "prompt_number": 1}]}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(old), encoding="utf-8")
    ours, theirs = read_notebook(path), nbformat.read(path, as_version=4)
    assert ours.nbformat == 4 and ours.cells[1].source == "print(1)"
    for nb in (ours, theirs):
        for cell in nb.cells:
            del cell["id"]  # new cells' ids are random
    assert ours == theirs
