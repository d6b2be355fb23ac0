"""Rebuilds that reuse what did not change (the executed chapters, the indicator store) give the
bytes of a cold build: an auditor re-running a year cannot tell how the report was made."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import nbformat
import psutil
import pytest
from conftest import REPO, copy_built, copy_project, run_cli, seed_cache

from annualreport.chapters.chapter import open_chapter
from annualreport.errors import AnnualReportError
from annualreport.execution.batch import BuildOptions, ReportSpec, run_local
from annualreport.execution.progress import Progress
from annualreport.project import Project

sys.path.insert(0, str(REPO / "bench"))
from bench_build import edit_input  # noqa: E402  (the benchmark's one-input edit)

BUILD = ("build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded")
REPORT = Path("build/lancashire/2013-14")
SENTENCE = "An editor added this sentence to the training chapter this week."
CELL_EDIT = " The front door text was edited too."


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_narrative(project: Path) -> None:
    """What an editor does: a narrative file for one chapter, and a markdown cell of another's notebook."""
    narrative = project / "params" / "lancashire" / "2013-14" / "narrative"
    narrative.mkdir(parents=True, exist_ok=True)
    (narrative / "training.md").write_text(SENTENCE + "\n", encoding="utf-8")
    path = project / "notebooks" / "front_door.ipynb"
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("A referral")).source += CELL_EDIT
    nbformat.write(nb, path)


def manifest_without_statuses(folder: Path) -> dict:
    """The manifest with each chapter's "executed" or "cached" left out: the one thing it may say differently."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    chapters = manifest.get("chapters", {})
    assert chapters and all("status" in c for c in chapters.values())
    for record in chapters.values():
        record.pop("status")
    return manifest


@pytest.mark.slow
def test_a_narrative_edit_reuses_store_and_chapters_and_gives_the_bytes_of_a_cold_build(tmp_path: Path,
                                                                                       lancashire_build: Path) -> None:
    project = copy_built(lancashire_build, tmp_path / "incremental")  # the report and its caches
    edit_narrative(project)
    proc = run_cli(project, *BUILD)
    assert proc.returncode == 0, proc.stderr
    assert "0 of 14 notebooks executed" in proc.stderr
    assert "figures (unchanged: reused)" in proc.stderr  # the store was not computed again
    incremental = project / REPORT
    html = (incremental / "public" / "report.html").read_text(encoding="utf-8")
    assert SENTENCE in html and CELL_EDIT.strip() in html

    # The same edit built cold: --force builds from nothing cached, though this copy of the example
    # has every chapter, the store and the example's render in its cache (and uses none of them).
    cold = copy_built(lancashire_build, tmp_path / "cold")
    edit_narrative(cold)
    proc = run_cli(cold, *BUILD, "--force")
    assert proc.returncode == 0, proc.stderr
    assert "14 of 14 notebooks executed" in proc.stderr
    assert "unchanged: reused" not in proc.stderr and "taken from the render cache" not in proc.stderr
    first, second = hashes(incremental), hashes(cold / REPORT)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == ["manifest.json"]
    assert manifest_without_statuses(incremental) == manifest_without_statuses(cold / REPORT)

    # A changed input is a changed store key: the store is computed again.
    edit_input(Project(project), "lancashire", "2013-14")  # one more attendee: a valid change to training.csv
    proc = run_cli(project, *BUILD)
    assert proc.returncode == 0, proc.stderr
    assert "unchanged: reused" not in proc.stderr and "training executed" in proc.stderr
    assert "front_door cached" in proc.stderr


def test_a_narrative_edit_imports_no_pandas_before_the_render(tmp_path: Path, lancashire_build: Path) -> None:
    """A rebuild that executes nothing takes the store's summary from the cache, checks the inputs and
    makes every chapter's key without pandas (a fifth of a second on its critical path): only the
    final gate imports it, in a thread, once the render has begun. Nothing the kernels need is imported."""
    project = copy_built(lancashire_build, tmp_path / "project")
    edit_narrative(project)
    cmd = [sys.executable, "-X", "importtime", "-m", "annualreport", *BUILD, "--project", str(project)]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "0 of 14 notebooks executed" in proc.stderr and "figures (unchanged: reused)" in proc.stderr

    def imported(text: str) -> set[str]:
        return {line.split("|")[-1].strip().split(".")[0] for line in text.splitlines() if line.startswith("import time:")}

    before, rendering, after = proc.stderr.partition("rendering with embedded")
    assert rendering and "pandas" not in imported(before)
    assert "pandas" in imported(after)  # the gate's: the line above would see it
    assert not imported(proc.stderr) & {"matplotlib", "papermill", "nbclient", "ipykernel"}
    assert SENTENCE in (project / REPORT / "public" / "report.html").read_text(encoding="utf-8")


def kernels_seen_while(action: Callable[[], Any]) -> tuple[Any, int]:
    """Run `action`, watching this process's children: its result, and how many kernels it started."""
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        me = psutil.Process()
        while not done.is_set():
            for child in me.children(recursive=True):
                try:  # a kernel started as a process of its own, or one forked by a kernel server (kernel_server.py)
                    parent = child.parent()
                    if "ipykernel_launcher" in " ".join(child.cmdline()) or (
                            parent is not None and "annualreport.execution.kernel_server" in " ".join(parent.cmdline())):
                        seen.add(child.pid)
                except psutil.Error:
                    pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        return action(), len(seen)
    finally:
        done.set()
        watcher.join()


@pytest.mark.slow
def test_a_narrative_edit_starts_no_kernel(tmp_path: Path, lancashire_build: Path) -> None:
    project = copy_built(lancashire_build, tmp_path / "project")
    edit_narrative(project)
    outcomes: list = []
    spec = ReportSpec("lancashire", "2013-14")
    _, kernels = kernels_seen_while(lambda: run_local(  # as the command runs a build
        Project(project), [spec], BuildOptions(renderer="embedded"), Progress(quiet=True),
        lambda outcome, i, n: outcomes.append(outcome)))
    assert [o.error for o in outcomes] == [None] and outcomes[0].executed == 0
    assert kernels == 0
    # and a chapter that must execute does start one (so the watch above would have seen it)
    add = project / "notebooks" / "training.ipynb"
    nb = nbformat.read(add, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    nbformat.write(nb, add)
    outcomes.clear()
    _, kernels = kernels_seen_while(lambda: run_local(
        Project(project), [spec], BuildOptions(renderer="embedded"), Progress(quiet=True),
        lambda outcome, i, n: outcomes.append(outcome)))
    assert [o.error for o in outcomes] == [None] and outcomes[0].executed == 1
    assert kernels == 1


@pytest.mark.slow
def test_a_first_build_whose_chapters_are_all_cached_starts_no_kernel(tmp_path: Path, lancashire_build: Path) -> None:
    """A project with the example's cache but no report (a copied or seeded cache): nothing needs
    executing, so no kernel is warmed up while the store is read."""
    project = seed_cache(copy_project(tmp_path / "project"), lancashire_build)
    outcomes: list = []
    _, kernels = kernels_seen_while(lambda: run_local(
        Project(project), [ReportSpec("lancashire", "2013-14")], BuildOptions(renderer="embedded"), Progress(quiet=True),
        lambda outcome, i, n: outcomes.append(outcome)))
    assert [o.error for o in outcomes] == [None] and outcomes[0].executed == 0
    assert kernels == 0


def test_a_chapter_may_read_only_its_own_inputs(tmp_path: Path, lancashire_build: Path) -> None:
    """What makes a chapter's cache key whole: it covers the chapter's own inputs (files and not-provided
    entries), so a chapter that read another chapter's input would be reused when that input changed."""
    for name in ("store.csv", "store.json"):
        shutil.copyfile(lancashire_build / name, tmp_path / name)
    shutil.copytree(lancashire_build / "inputs", tmp_path / "inputs")
    front_door = open_chapter(str(tmp_path), "front_door")
    for read in (lambda: front_door.local.table("training", "Training"), lambda: front_door.local.provided("training")):
        with pytest.raises(AnnualReportError, match="chapter 'front_door' reads the local input 'training', "
                                                    "which is an input of chapter 'training'"):
            read()
    with pytest.raises(AnnualReportError, match="'challenge_log.yml', which is an input of chapter 'quality_assurance'"):
        front_door.local.items("challenge_log.yml")
    with pytest.raises(AnnualReportError, match="'section11_audit', which is an input of chapter 'quality_assurance'"):
        front_door.local.missing("section11_audit")
    training = open_chapter(str(tmp_path), "training")  # its own input: read as before
    assert training.local.provided("training") and "Training" in training.local.table("training", "Training").data
