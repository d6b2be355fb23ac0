"""Batches of reports: params generated for every council, a failing report isolated from the
others with a summary at the end, and the Dask executor giving the same bytes as the local one.

The batch builds are small on purpose: three single-council reports of two chapters each
(2023-24, national statistics only), one of which fails in a chapter, built through the CLI. On
two cores or more the local batch builds two reports at once; a report built so is compared, byte
for byte, with the same report built alone and with the Dask executor's.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import copy_project, run_cli

from annualreport.errors import ParamsError
from annualreport.execution.batch import LOCAL_EXTRA, Share, share
from annualreport.inputs.every_la import NATIONAL_CHAPTERS, councils_in_year, every_la_params, report_id
from annualreport.inputs.params import load_params
from annualreport.inputs.reference import local_authorities
from annualreport.project import Project

YEAR = "2023-24"
# (partnership id, DfE code, region) of the batch; 'bad' fails in its local_context chapter.
COUNCILS = (("bad", "841", "North East"), ("camden", "202", "Inner London"), ("greenwich", "203", "Outer London"))
PLANTED = 'if partnership == "bad":\n    raise ValueError("planted failure for this report only")'


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def batch_project(dest: Path) -> Path:
    """A project copy whose params are only the three councils of COUNCILS (one chapter each),
    and whose local_context chapter raises for 'bad' alone."""
    project = copy_project(dest)
    shutil.rmtree(project / "params")
    gss = councils_in_year(Project(project), YEAR)
    names = local_authorities(project / "data" / "reference")
    for pid, code, region in COUNCILS:
        name = names[code].name
        (project / "params" / pid).mkdir(parents=True)
        (project / "params" / f"{pid}.yml").write_text(
            f"name: {name}\nshort_name: {name}\nmembers:\n  - name: {name}\n    la_code: \"{code}\"\n"
            f"    gss_code: {gss[code]}\nregion: {region}\n")
        (project / "params" / pid / f"{YEAR}.yml").write_text(
            f"year: {YEAR}\nstatus: draft\nchapters:\n  - local_context\n")
    notebook = project / "notebooks" / "local_context.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    cell = nbformat.v4.new_code_cell(PLANTED)
    cell["id"] = "planted-failure"  # the same in every copy (new_code_cell's id is random)
    nb.cells.append(cell)
    nbformat.write(nb, notebook)
    return project


BATCH = ("build", "-p", "all", "-y", YEAR, "--renderer", "embedded", "--jobs", "2")


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    project = batch_project(tmp_path_factory.mktemp("local") / "project")
    proc = run_cli(project, *BATCH)
    return project, proc.stderr, proc.returncode


def test_every_la_params_for_a_few_councils(project: Path) -> None:
    before = tree_hashes(project / "params")
    generated, ids = every_la_params(Project(project), YEAR)
    assert len(ids) == len(councils_in_year(Project(project), YEAR)) == 153  # the councils of 2023-24
    assert "la-888-lancashire" in ids and "la-909-cumbria" not in ids  # Cumbria was abolished in April 2023
    assert tree_hashes(project / "params") == before  # nothing written to params/
    assert generated.params_dir == project / "build" / ".every-la" / YEAR / "params"
    for rid in ("la-888-lancashire", "la-202-camden", "la-420-isles-of-scilly", "la-940-north-northamptonshire"):
        params = load_params(generated, rid, YEAR)  # validated like any params: codes, GSS, region
        assert params.report.status == "draft"
        assert params.report.chapters == list(NATIONAL_CHAPTERS)
        assert len(params.partnership.members) == 1 and rid.startswith(f"la-{params.partnership.members[0].la_code}-")
    assert load_params(generated, "la-943-westmorland-and-furness", YEAR).partnership.members[0].gss_code == "E06000064"

    north_east, ne_ids = every_la_params(Project(project), YEAR, region="North East")
    las = local_authorities(project / "data" / "reference")
    assert len(ne_ids) == 12 and all(las[i.split("-")[1]].region == "North East" for i in ne_ids)
    assert report_id(las["841"]) == "la-841-darlington"
    with pytest.raises(ParamsError, match="--region North Easst"):
        every_la_params(Project(project), YEAR, region="North Easst")
    with pytest.raises(ParamsError, match="--year 2031-32"):
        every_la_params(Project(project), "2031-32")


@pytest.mark.xdist_group("batch")  # these share one module-scoped batch: one worker
def test_a_failing_report_stops_no_other(local_batch: tuple[Path, str, int]) -> None:
    project, stderr, code = local_batch
    assert code == 1, stderr
    assert "3 report(s): 2 built, 1 failed" in stderr
    assert "failed: bad 2023-24: chapter 'local_context' failed" in stderr and "planted failure" in stderr
    assert "[camden 2023-24] building report 2 of 3" in stderr  # progress by report ...
    assert "[camden 2023-24] local_context executed" in stderr  # ... and by chapter
    for pid in ("camden", "greenwich"):
        assert (project / "build" / pid / YEAR / "public" / "report.pdf").is_file()
    assert not (project / "build" / "bad" / YEAR).exists()
    assert (project / "build" / "bad" / f"{YEAR}.failed" / "chapters" / "local_context.ipynb").is_file()


@pytest.mark.slow
@pytest.mark.xdist_group("batch")  # these share one module-scoped batch: one worker
def test_dask_local_cluster_builds_the_same_bytes(local_batch: tuple[Path, str, int], tmp_path: Path) -> None:
    local, _, _ = local_batch
    project = batch_project(tmp_path / "project")
    proc = run_cli(project, *BATCH, "--executor", "dask", "--workers", "2")
    assert proc.returncode == 1, proc.stderr
    assert "dashboard: http" in proc.stderr
    assert "3 report(s): 2 built, 1 failed" in proc.stderr
    assert "failed: bad 2023-24: chapter 'local_context' failed" in proc.stderr
    assert "[greenwich 2023-24] local_context executed" in proc.stderr  # chapter progress from the workers
    for pid in ("camden", "greenwich"):
        ours, theirs = tree_hashes(project / "build" / pid / YEAR), tree_hashes(local / "build" / pid / YEAR)
        assert "public/report.pdf" in ours and "manifest.json" in ours
        assert ours == theirs, sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
    assert not (project / "build" / "bad" / YEAR).exists()


def test_a_batch_is_sized_by_its_cores() -> None:
    # the local executor: a report more than cores at once, a kernel each
    assert share(2, None, 153, LOCAL_EXTRA) == Share(cores=2, reports=3, kernels=3)  # --every-la on two cores
    assert share(2, None, 153, LOCAL_EXTRA).render_workers == 1  # three reports at once: one output at a time each
    alone = share(2, None, 1, LOCAL_EXTRA)
    assert alone == Share(2, 1, 2) and alone.render_workers == 2  # one report: both cores
    assert share(2, None, 2, LOCAL_EXTRA) == Share(2, 2, 2)  # two reports: no more at once than there are
    jobs = share(4, 2, 3, LOCAL_EXTRA)
    assert jobs == Share(4, 3, 2) and jobs.render_workers == 1  # --jobs 2
    # a Dask worker: a report per thread
    assert share(1, None, 1) == Share(1, 1, 1)  # one thread: one report, one kernel
    assert share(2, None, 2) == Share(2, 2, 2) and share(2, None, 2).render_workers == 1


@pytest.mark.xdist_group("batch")  # these share one module-scoped batch: one worker
def test_a_report_built_in_a_batch_is_the_report_built_alone(local_batch: tuple[Path, str, int], tmp_path: Path) -> None:
    batch, _, _ = local_batch
    project = batch_project(tmp_path / "project")
    proc = run_cli(project, "build", "-p", "camden", "-y", YEAR, "--renderer", "embedded", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    alone, together = tree_hashes(project / "build" / "camden" / YEAR), tree_hashes(batch / "build" / "camden" / YEAR)
    assert "public/report.pdf" in alone and "store.csv" in alone and "manifest.json" in alone
    assert alone == together, sorted(k for k in alone.keys() | together.keys() if alone.get(k) != together.get(k))


def test_collections_after_reports_skip_what_the_first_reports_imported() -> None:
    """After a report, a batch collects its garbage; modules imported since the last freeze (what the
    first report needed) are frozen then, so later collections do not walk them again, and what a
    later report leaves in cycles is still collected. In a process of its own: the freeze is for life."""
    import subprocess
    import sys

    program = """
import gc, sys, weakref
from annualreport.execution import batch
class Node: pass
def cycle():
    a, b = Node(), Node(); a.b, b.a = b, a
    return weakref.ref(a)
batch.freeze_imports()
frozen = gc.get_freeze_count()
import xml.dom.minidom  # a module imported by the first report
garbage = cycle()
batch.collect_after_report()
assert garbage() is None, "the first report's cycles were not collected"
assert gc.get_freeze_count() > frozen, "the modules the first report imported were not frozen"
frozen = gc.get_freeze_count()
garbage = cycle()
batch.collect_after_report()
assert garbage() is None, "a later report's cycles were not collected"
assert gc.get_freeze_count() <= frozen, "frozen again with nothing newly imported"
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
