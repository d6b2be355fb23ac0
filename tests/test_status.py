"""Draft and final: a final report refuses missing inputs and unsuppressed small numbers;
a partnership with national data only builds a draft that says what it lacks."""

from __future__ import annotations

from pathlib import Path

import nbformat
from conftest import SharedBuild, run_cli, seed_cache
from test_build_end_to_end import pdf_body, pdf_text


def make_final(project: Path) -> None:
    path = project / "params" / "lancashire" / "2013-14.yml"
    path.write_text(path.read_text().replace("status: draft", "status: final"))


def test_final_refuses_a_missing_input(project: Path) -> None:
    make_final(project)
    (project / "data" / "local" / "lancashire" / "2013-14" / "training.csv").unlink()
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode == 1
    assert "a final report needs every input present and valid; nothing was built" in proc.stderr
    assert "data/local/lancashire/2013-14/training.csv: missing file" in proc.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()


def test_final_refuses_an_unsuppressed_small_count(project: Path, lancashire_build: Path) -> None:
    make_final(project)
    seed_cache(project, lancashire_build)  # the unchanged chapters are reused; the changed one is executed
    notebook = project / "notebooks" / "training.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    # A chapter that publishes its own table without going through the suppressing helpers.
    nb.cells.append(nbformat.v4.new_code_cell(
        'import pandas as pd\n'
        'ch.outputs.write_csv("training-extra", pd.DataFrame({"category": ["Course A", "Course B"],\n'
        '                                                     "unit": ["count", "count"], "value": [40, 3]}))'))
    nbformat.write(nb, notebook)
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode == 1, proc.stderr
    assert "a final report may not publish small numbers; nothing was built" in proc.stderr
    assert "data/training-extra.csv, row 3, column 'value': unsuppressed small number: found 3" in proc.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()


def test_kingston_and_richmond_draft_builds_with_national_data_only(kingston_run: SharedBuild) -> None:
    assert kingston_run.returncode == 0, kingston_run.stderr
    folder = kingston_run.folder
    text = pdf_body(folder / "public" / "report.pdf")
    assert "Kingston upon Thames" in text and "Richmond upon Thames" in text and "Kingston and Richmond" in text
    assert "Not provided for 2023-24: LADO allegations by employment sector" in text
    assert "Not provided: budget" in text
    assert all("DRAFT" in page for page in pdf_text(folder / "public" / "report.pdf"))
