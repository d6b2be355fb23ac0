"""Editors' narrative: markdown edits and narrative files rebuild without executing a notebook;
unknown names fail with the file, the cell and the nearest valid names."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import copy_built, run_cli
from test_build_end_to_end import pdf_body
from test_report import text_of

# The tests change one built project in turn: they run on one worker, in order.
pytestmark = pytest.mark.xdist_group("narrative")

BUILD = ("build", "--partnership", "lancashire", "--year", "2013-14", "--renderer", "embedded")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, lancashire_build: Path) -> Path:
    """A project whose report has been built once, so its chapters are in the cache: a copy of the
    shared example build (the tests below change it)."""
    return copy_built(lancashire_build, tmp_path_factory.mktemp("narrative") / "project")


def edit_cell(project: Path, chapter: str, cell_id: str, text: str) -> None:
    path = project / "notebooks" / f"{chapter}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = text
    nbformat.write(nb, path)


def outputs_text(project: Path) -> tuple[str, str]:
    folder = project / "build" / "lancashire" / "2013-14"
    html = text_of((folder / "public" / "report.html").read_text(encoding="utf-8"))
    pdf = pdf_body(folder / "public" / "report.pdf")
    return html, pdf


def test_markdown_edit_rebuilds_without_executing(built: Path) -> None:
    edit_cell(built, "front_door", "front-door-3",
              "The front door was redesigned this year. Referrals were {{ referrals.value }}, against "
              "{{ referrals.england }} in England.")
    proc = run_cli(built, *BUILD)
    assert proc.returncode == 0, proc.stderr
    assert "0 of 14 notebooks executed, 14 reused from the cache" in proc.stderr
    log = json.loads((built / "build" / "lancashire" / "2013-14" / "manifest.json").read_text())["chapters"]
    assert {v["status"] for v in log.values()} == {"cached"}
    for text in outputs_text(built):
        assert "The front door was redesigned this year. Referrals were 19,460, against 657,780 in England." in text


def test_unknown_placeholder_names_file_cell_and_nearest(built: Path) -> None:
    edit_cell(built, "summary", "summary-3", "Plans: {{ cp_plan.value }}.")
    proc = run_cli(built, *BUILD)
    assert proc.returncode == 1
    assert "notebooks/summary.ipynb, cell summary-3: unknown placeholder '{{ cp_plan.value }}'" in proc.stderr
    assert "cp_plans.value" in proc.stderr
    edit_cell(built, "summary", "summary-3", "## Foreword {.unnumbered}\n\nA foreword.")


def test_narrative_file_replaces_and_adds_text(built: Path) -> None:
    folder = built / "params" / "lancashire" / "2013-14" / "narrative"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "child_protection.md").write_text(
        "A closing paragraph from the chair: plans {{ cp_plans.change_sentence }}.\n\n"
        "<!-- replace: intro -->\nChild protection is the first priority of the board.\n\n"
        "<!-- after: intro -->\nThe board reviewed every plan open for more than a year.\n")
    proc = run_cli(built, *BUILD)
    assert proc.returncode == 0, proc.stderr
    assert "0 of 14 notebooks executed" in proc.stderr
    for text in outputs_text(built):
        assert "Child protection is the first priority of the board. The board reviewed every plan open for more than a year." in text
        assert "A closing paragraph from the chair: plans rose sharply from 883 in 2012-13 to 1,079 in 2013-14 (up 22%)." in text
        assert "Second or subsequent plans, and plans lasting two years" not in text  # the replaced intro

    (folder / "child_protection.md").write_text("<!-- replace: intor -->\nText.\n")
    proc = run_cli(built, *BUILD)
    assert proc.returncode == 1
    assert "narrative/child_protection.md: no narrative cell 'intor'" in proc.stderr and "intro" in proc.stderr
    (folder / "child_protection.md").unlink()

    (folder / "front_dor.md").write_text("Text.\n")
    proc = run_cli(built, *BUILD)
    assert proc.returncode == 1
    assert "params/lancashire/2013-14/narrative/front_dor.md: no chapter 'front_dor'" in proc.stderr
    assert "front_door" in proc.stderr
    (folder / "front_dor.md").unlink()


def test_changed_local_input_reexecutes_only_its_chapters(built: Path) -> None:
    path = built / "data" / "local" / "lancashire" / "2013-14" / "training.csv"
    path.write_text(path.read_text().replace(",2152,", ",2153,").replace(",13443,", ",13444,"))
    proc = run_cli(built, *BUILD)
    assert proc.returncode == 0, proc.stderr
    # training, and the summary at a glance, which shows the number of attendees (training_attendees)
    assert "2 of 14 notebooks executed" in proc.stderr and "training executed" in proc.stderr
    assert "summary executed" in proc.stderr


def test_placeholders_lists_every_name_with_this_years_value(project: Path) -> None:
    proc = run_cli(project, "placeholders", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode == 0, proc.stderr
    listed = {line.split("}}")[0].strip("{ ").strip(): line.split("}}", 1)[1].strip() for line in proc.stdout.splitlines()}
    assert listed["cla_at31.value"] == "1,592"  # children looked after at 31 March 2014, DfE's figure
    assert listed["partnership"] == "Lancashire Safeguarding Children Board" and listed["year"] == "2013-14"
    assert {"glossary", "provenance"} <= set(listed)
    assert f"{len(listed)} placeholders" in proc.stderr
