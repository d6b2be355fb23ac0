"""Builds that fail safely: a chapter that never ends or floods its output, Ctrl-C, a cache or a
build folder that cannot be written. Each leaves the previous report (and the cache) as they were."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import run_cli

BUILD = ("build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded")
YEAR_FILE = Path("params/lancashire/2013-14.yml")


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def only_chapters(project: Path, *chapters: str) -> None:
    """Build only these chapters (a faster report for tests that need a build but not every chapter)."""
    path = project / YEAR_FILE
    text = path.read_text()
    listed = re.search(r"chapters:\n((?:  - .*\n)+)", text)
    assert listed
    path.write_text(text.replace(listed.group(1), "".join(f"  - {c}\n" for c in chapters)))


def add_cell(project: Path, chapter: str, source: str) -> None:
    notebook = project / "notebooks" / f"{chapter}.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, notebook)


def chattr(flag: str, path: Path) -> None:
    """Set or clear the immutable attribute of a folder and everything in it (links have none)."""
    subprocess.run(["find", str(path), "!", "-type", "l", "-exec", "chattr", flag, "{}", "+"], check=True, capture_output=True)


@pytest.mark.slow
def test_a_chapter_that_never_ends_is_stopped_at_its_timeout(project: Path) -> None:
    only_chapters(project, "training", "governance")
    # An endless loop that waits rather than spins: the limit is on wall time, and it stops either kind
    # the same way (the cell times out and its kernel is replaced), without a core burnt for the limit.
    add_cell(project, "training", "while True:\n    __import__('time').sleep(0.05)")
    start = time.monotonic()
    proc = run_cli(project, *BUILD, "--timeout", "4")  # a per-cell limit: the other cells take a tenth of a second each
    assert proc.returncode == 1
    assert time.monotonic() - start < 120
    assert "chapter 'training' failed in code cell" in proc.stderr
    assert "`while True:`" in proc.stderr
    assert "ran longer than the time limit (4 s, --timeout) and was stopped" in proc.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()


def peak_memory_kb(pid: int) -> int:
    """The peak resident memory of one process so far (VmHWM), 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) if found else 0


@pytest.mark.slow
def test_a_chapter_printing_hundreds_of_megabytes_is_cut_off(project: Path) -> None:
    only_chapters(project, "training")
    add_cell(project, "training", "for _ in range(200):\n    print('x' * 1_000_000)")  # 200 MB in 1 MB chunks
    cmd = [sys.executable, "-m", "annualreport", *BUILD, "--project", str(project), "--timeout", "300"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, peak_memory_kb(proc.pid))
        time.sleep(0.2)
    _, stderr = proc.communicate()
    assert proc.returncode == 1, stderr
    assert time.monotonic() - start < 200
    assert "chapter 'training' failed in code cell" in stderr and "`for _ in range(200):`" in stderr
    assert "its output passed 20 MB and was cut off" in stderr
    # bounded by the limit (the kernel forwards no more of it: about 350 MB seen, 250 MB for the build
    # without the flood), not by the 200 MB printed, several times over as it is decoded, kept and written
    assert 0 < peak < 500_000, f"peak resident memory of the build: {peak} kB"
    assert not (project / "build" / "lancashire" / "2013-14").exists()


def kernels_in(folder: Path) -> list[str]:
    """The processes working in `folder` (a chapter's kernel works in its build folder): pid and folder."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if cwd.startswith(str(folder)):
            found.append(f"{pid} in {cwd}")
    return found


@pytest.mark.slow
def test_ctrl_c_cancels_queued_chapters_at_once_and_leaves_the_previous_report(project: Path) -> None:
    only_chapters(project, "training", "governance", "learning")
    assert run_cli(project, *BUILD).returncode == 0
    folder = project / "build" / "lancashire" / "2013-14"
    before = tree_hashes(folder)
    add_cell(project, "training", "import time\ntime.sleep(600)")
    cmd = [sys.executable, "-m", "annualreport", *BUILD, "--project", str(project), "--jobs", "1", "--force"]
    # As at a terminal: SIGINT's default action in the build (a run in the background, `make test &`,
    # ignores SIGINT, and a build started from it would inherit that and wait for the endless cell).
    proc = subprocess.Popen(cmd, cwd=project, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    for line in proc.stderr:
        if "indicator store" in line:
            break
    # The kernel of the first chapter is in the build folder (then its endless cell); two chapters are queued.
    deadline = time.monotonic() + 60
    while not kernels_in(project / "build") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    assert time.monotonic() - sent < 20, "Ctrl-C waited for queued chapters"
    assert proc.returncode == 130, rest
    assert "interrupted" in rest
    assert "governance executed" not in rest and "learning executed" not in rest
    assert tree_hashes(folder) == before
    versions = project / "build" / "lancashire" / ".2013-14.versions"
    assert [p.name for p in versions.iterdir()] == [folder.resolve().name]  # the unfinished build was removed
    assert not kernels_in(project / "build"), "a kernel of this build is still running"


@pytest.mark.slow
def test_read_only_cache_builds_without_it_and_read_only_build_folder_fails_cleanly(project: Path) -> None:
    only_chapters(project, "training", "governance")
    cache = project / "build" / ".cache"
    cache.mkdir(parents=True)
    chattr("+i", cache)  # root ignores permissions, not the immutable attribute
    try:
        proc = run_cli(project, *BUILD)
    finally:
        chattr("-i", cache)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "cannot be used" in line]
    assert len(warnings) == 1 and "building without it" in warnings[0]
    assert list(cache.iterdir()) == []

    # a cache that works, then a build folder that cannot be written at all
    assert run_cli(project, *BUILD).returncode == 0
    folder = project / "build" / "lancashire"
    before, cached = tree_hashes(folder / "2013-14"), tree_hashes(cache)
    add_cell(project, "training", "x = 1  # a change, so there is something to build")
    chattr("+i", folder)
    try:
        proc = run_cli(project, *BUILD)
    finally:
        chattr("-i", folder)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "cannot write the report in build/lancashire/" in errors[0] and "Operation not permitted" in errors[0]
    assert "Traceback" not in proc.stderr
    assert tree_hashes(folder / "2013-14") == before and tree_hashes(cache) == cached


def test_a_file_where_the_build_folder_should_be_is_one_clear_error(project: Path) -> None:
    (project / "build").mkdir()
    (project / "build" / "lancashire").write_text("not a folder")
    proc = run_cli(project, *BUILD)
    assert proc.returncode == 1
    assert "error: [lancashire 2013-14] cannot write the report in build/lancashire/" in proc.stderr
    assert "Traceback" not in proc.stderr
