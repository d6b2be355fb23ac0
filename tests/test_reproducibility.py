"""Auditors re-run a past year and get the same bytes: determinism, cache, manifest, verify,
and two builds at once."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, copy_built, copy_project, run_cli, seed_cache
from test_faults import only_chapters

from annualreport.provenance.uptodate import record_path

BUILD = ("build", "--partnership", "lancashire", "--year", "2013-14", "--renderer", "embedded")


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def differing(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def clean_build(project: Path, cache_from: Path | None = None) -> dict[str, str]:
    """Build from nothing: no report and no cache (or only the chapter cache of the build
    `cache_from`, for a test about one changed chapter: every other chapter is reused)."""
    shutil.rmtree(project / "build", ignore_errors=True)  # the report and the cache
    if cache_from is not None:
        seed_cache(project, cache_from)
    proc = run_cli(project, *BUILD)
    assert proc.returncode == 0, proc.stderr
    return hashes(project / "build" / "lancashire" / "2013-14")


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory, lancashire_build: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
    """Two clean builds of the example in two folders: the shared build (conftest.py) and one here."""
    project = copy_project(tmp_path_factory.mktemp("repro") / "project")
    return project, hashes(lancashire_build), clean_build(project)


@pytest.mark.slow
@pytest.mark.xdist_group("reproducibility")  # these share one module-scoped build: one worker
def test_two_clean_builds_are_byte_identical(twice: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    _, first, second = twice
    assert {"public/report.html", "public/report.pdf", "manifest.json", "store.csv", "chapters/front_door.ipynb"} <= set(first)
    assert any(k.startswith("public/data/") for k in first) and any(k.startswith("figures/") for k in first)
    assert differing(first, second) == []


@pytest.mark.slow
@pytest.mark.xdist_group("reproducibility")  # these share one module-scoped build: one worker
def test_a_rebuild_from_the_cache_gives_the_same_outputs(twice: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    project, first, _ = twice
    record_path(project / "build", "lancashire", "2013-14").unlink()  # else nothing changed: answered at once (uptodate.py)
    proc = run_cli(project, *BUILD)
    assert proc.returncode == 0 and "0 of 14 notebooks executed" in proc.stderr
    # only the manifest differs: it records that the chapters were reused, not executed
    assert differing(first, hashes(project / "build" / "lancashire" / "2013-14")) == ["manifest.json"]


@pytest.mark.slow
def test_a_planted_timestamp_is_caught(tmp_path: Path, lancashire_build: Path) -> None:
    project = copy_project(tmp_path / "planted")
    only_chapters(project, "outside_home", "training")  # two chapters: verify rebuilds them, not all 14
    notebook = project / "notebooks" / "training.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('import datetime\nch.say(f"Built at {datetime.datetime.now().isoformat()}")'))
    nbformat.write(nb, notebook)
    # training's code changed, so each clean build executes it (the other chapters come from the cache)
    first, second = clean_build(project, cache_from=lancashire_build), clean_build(project, cache_from=lancashire_build)
    assert "chapters/training.ipynb" in differing(first, second)
    assert "public/report.html" in differing(first, second)
    # and verify names it as a determinism bug, pointing at the cell
    proc = run_cli(project, "verify", str(project / "build" / "lancashire" / "2013-14" / "manifest.json"), "-q")
    assert proc.returncode == 1
    assert "outputs differ with identical inputs, code and environment (a determinism bug)" in proc.stdout
    assert "chapters/training.ipynb: first differing cell" in proc.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("reproducibility")  # these share one module-scoped build: one worker
def test_manifest_records_inputs_code_environment_chapters_and_outputs(twice: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    project, first, _ = twice
    manifest = json.loads((project / "build" / "lancashire" / "2013-14" / "manifest.json").read_text())
    national = "data/national/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    assert manifest["inputs"][national]["sha256"] == hashlib.sha256((REPO / national).read_bytes()).hexdigest()
    assert "data/local/lancashire/2013-14/lado_outcomes.csv" in manifest["inputs"]
    assert "params/lancashire/2013-14.yml" in manifest["inputs"] and "params/lancashire.yml" in manifest["params"]
    assert manifest["environment"]["packages"]["papermill"] and manifest["environment"]["lock_sha256"]
    assert set(manifest["code"]) >= {"annualreport", "commit", "dirty", "code_sha256"}
    assert manifest["chapters"]["front_door"]["status"] in ("executed", "cached")  # another test rebuilds it
    assert manifest["chapters"]["front_door"]["cache_key"] and manifest["chapters"]["summary"]["parameters"]["chapters"]
    assert manifest["renderer"]["name"] == "embedded" and "pandoc" in manifest["renderer"]["version"]
    assert manifest["outputs"]["public/report.pdf"]["sha256"] == first["public/report.pdf"]


@pytest.mark.slow
def test_verify_identical_then_names_a_changed_input_and_the_figures_that_moved(tmp_path: Path, lancashire_build: Path) -> None:
    # The example with two of its chapters (each verify rebuilds every chapter; that all 14 give the
    # same bytes twice is test_two_clean_builds_are_byte_identical's), built from the example's cache.
    project = copy_project(tmp_path / "project")
    only_chapters(project, "outside_home", "training")
    national = project / "data" / "national"
    national.unlink()
    shutil.copytree(REPO / "data" / "national", national)  # a private copy (of the same files) to change
    clean_build(project, cache_from=lancashire_build)
    manifest = str(project / "build" / "lancashire" / "2013-14" / "manifest.json")
    proc = run_cli(project, "verify", manifest, "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("identical")

    c1 = national / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    text = c1.read_text()
    row = "2014,Reporting year,Local authority,E92000001,England,E12000002,North West,888,E10000017,Lancashire,Referrals and Re-referrals,19460,"
    assert row in text
    c1.write_text(text.replace(row, row.replace(",19460,", ",19461,")))
    proc = run_cli(project, "verify", manifest, "-q")
    assert proc.returncode == 1
    assert "inputs changed since the build:" in proc.stdout
    assert "data/national/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv: SHA-256" in proc.stdout
    assert "indicator referrals, Lancashire (partnership), 2013-14: 19,460 -> 19,461" in proc.stdout
    assert "determinism bug" not in proc.stdout


@pytest.mark.slow
def test_summary_reexecutes_when_a_chapter_it_summarises_changes(tmp_path: Path, lancashire_build: Path) -> None:
    project = copy_built(lancashire_build, tmp_path / "project")  # the example, built: every chapter cached
    notebook = project / "notebooks" / "front_door.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    record = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("ch.record("))
    record.source = 'ch.record("referrals", "rereferral_percent")'
    nbformat.write(nb, notebook)
    proc = run_cli(project, *BUILD)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 14 notebooks executed" in proc.stderr
    assert "front_door executed" in proc.stderr and "summary executed" in proc.stderr


@pytest.mark.slow
def test_two_builds_at_once_both_succeed_with_identical_outputs(tmp_path: Path) -> None:
    # Three chapters (charts, local inputs, tables): each executed by both builds at the same moment,
    # both writing its cache entry, the store and the report folder at once.
    chapters = ("front_door", "allegations", "training")
    project = copy_project(tmp_path / "project")
    only_chapters(project, *chapters)
    cmd = [sys.executable, "-m", "annualreport", *BUILD, "--project", str(project), "--jobs", "1"]
    procs = [subprocess.Popen(cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    folder = project / "build" / "lancashire" / "2013-14"
    built, concurrent_manifest = hashes(folder), json.loads((folder / "manifest.json").read_text())
    # the second build may have reused chapters the first one cached: only the manifest says so
    alone = copy_project(tmp_path / "alone")  # the same inputs, built alone
    only_chapters(alone, *chapters)
    assert differing(built, clean_build(alone)) in ([], ["manifest.json"])
    alone_manifest = json.loads((alone / "build" / "lancashire" / "2013-14" / "manifest.json").read_text())
    assert concurrent_manifest["outputs"] == alone_manifest["outputs"]
    versions = project / "build" / "lancashire" / ".2013-14.versions"  # only the current report is left
    assert [p.name for p in versions.iterdir()] == [(project / "build" / "lancashire" / "2013-14").resolve().name]
    assert not list((project / "build" / ".cache").rglob(".*-*"))  # no half-written cache entry


@pytest.mark.slow
def test_a_killed_build_leaves_the_report_and_cache_usable(tmp_path: Path, lancashire_build: Path) -> None:
    project = copy_built(lancashire_build, tmp_path / "project")  # the example, built
    before = hashes(project / "build" / "lancashire" / "2013-14")
    cmd = [sys.executable, "-m", "annualreport", *BUILD, "--project", str(project), "--force"]
    proc = subprocess.Popen(cmd, cwd=project, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # kill it as soon as it has started executing chapters
        if "executed" in line:
            proc.kill()
            break
    proc.wait(timeout=60)
    assert hashes(project / "build" / "lancashire" / "2013-14") == before
    again = run_cli(project, *BUILD)
    assert again.returncode == 0, again.stderr
    versions = project / "build" / "lancashire" / ".2013-14.versions"  # only the current report is left
    assert [p.name for p in versions.iterdir()] == [(project / "build" / "lancashire" / "2013-14").resolve().name]
