"""The swap into build/ is one atomic step: a kill at any instant leaves a complete report at the
target path, and the next build cleans up what the killed one left."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from test_faults import only_chapters

from annualreport.provenance.swap import clean_stale, versions_dir

STEPS = {"link": ["link made", "link replaced", "stale failure removed", "old version removed"],
         "exchange": ["link made", "folder exchanged", "stale failure removed", "old version removed"],
         "fallback": ["link made", "folder moved aside", "link placed", "stale failure removed", "old version removed"]}

# Run one swap in a child process that dies (os._exit, as a kill would) at step `stop` (0: never).
SWAP = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {src!r})
    import annualreport.provenance.swap as swap
    target, stop, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if mode == "fallback":
        swap.exchange = lambda a, b: False  # as where renameat2 is unavailable
    work = swap.new_version(target)
    (work / "report.html").write_text("new")
    steps = []
    def step(name):
        steps.append(name)
        if len(steps) == stop:
            os._exit(9)
    swap.swap_in(work, target, step)
    print(",".join(steps))
""").format(src=str(REPO / "src"))


def report_at(target: Path) -> str:
    """The report at target ('old' or 'new'); fails unless it is a complete report."""
    html = target / "report.html"
    assert html.is_file(), f"no report at {target}"
    return html.read_text()


def old_report(target: Path, layout: str) -> None:
    """A previous report at target: a link into the versions (this layout) or a real folder (the older one)."""
    if layout == "link":
        target.parent.mkdir(parents=True)
        old = versions_dir(target) / "999999999-old"  # its build has ended
        old.mkdir(parents=True)
        (old / "report.html").write_text("old")
        target.symlink_to(old.relative_to(target.parent))
    else:
        target.mkdir(parents=True)
        (target / "report.html").write_text("old")


def swap(target: Path, stop: int, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SWAP, str(target), str(stop), mode], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("mode", ["link", "exchange", "fallback"])
def test_the_steps_are_the_ones_the_kill_test_covers(tmp_path: Path, mode: str) -> None:
    target = tmp_path / "build" / "lancashire" / "2013-14"
    old_report(target, "link" if mode == "link" else "folder")
    proc = swap(target, 0, mode)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().split(",") == STEPS[mode]
    assert report_at(target) == "new" and target.is_symlink()
    assert [p.name for p in versions_dir(target).iterdir()] == [target.resolve().name]
    assert sorted(p.name for p in target.parent.iterdir()) == [".2013-14.lock", ".2013-14.versions", "2013-14"]


@pytest.mark.parametrize("mode", ["link", "exchange"])
def test_a_kill_at_every_step_leaves_a_complete_report_and_the_next_build_cleans_up(tmp_path: Path, mode: str) -> None:
    for stop in range(1, len(STEPS[mode]) + 1):
        target = tmp_path / f"kill-{stop}" / "lancashire" / "2013-14"
        old_report(target, "link" if mode == "link" else "folder")
        proc = swap(target, stop, mode)
        assert proc.returncode == 9, proc.stderr
        seen = report_at(target)  # old before the swap's one step, new after it
        assert seen == ("old" if stop < 2 else "new")
        clean_stale(target)  # what the next build does first
        assert report_at(target) == seen
        left = sorted(p.name for p in target.parent.iterdir())
        assert left == [".2013-14.lock", ".2013-14.versions", "2013-14"], (stop, left)
        assert [p.name for p in versions_dir(target).iterdir()] == ([target.resolve().name] if target.is_symlink() else [])


def test_a_migration_killed_between_the_fallbacks_two_renames_is_restored_by_the_next_build(tmp_path: Path) -> None:
    """Without renameat2 a real folder is migrated with two renames; a kill between them leaves no
    report at the target for a moment, and the next build puts the old one back."""
    target = tmp_path / "build" / "lancashire" / "2013-14"
    old_report(target, "folder")
    proc = swap(target, 1 + STEPS["fallback"].index("folder moved aside"), "fallback")
    assert proc.returncode == 9
    assert not target.exists()
    clean_stale(target)
    assert report_at(target) == "old" and not target.is_symlink()
    assert sorted(p.name for p in target.parent.iterdir()) == [".2013-14.lock", ".2013-14.versions", "2013-14"]
    assert list(versions_dir(target).iterdir()) == []


def test_clean_stale_keeps_the_folders_of_builds_still_running(tmp_path: Path) -> None:
    target = tmp_path / "lancashire" / "2013-14"
    old_report(target, "link")
    running = versions_dir(target) / f"{os.getppid()}-running"  # pytest's parent: alive
    running.mkdir()
    clean_stale(target)
    assert running.is_dir() and report_at(target) == "old"


def test_a_real_build_replaces_a_folder_of_the_older_layout(project: Path) -> None:
    target = project / "build" / "lancashire" / "2013-14"
    target.mkdir(parents=True)
    (target / "report.html").write_text("a report built by an older version")
    stale = target.parent / ".2013-14.building-999999999-abc"  # a killed build of the older layout
    stale.mkdir()
    only_chapters(project, "training")
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded")
    assert proc.returncode == 0, proc.stderr
    assert target.is_symlink() and (target / "public" / "report.html").is_file()
    assert not stale.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == [".2013-14.lock", ".2013-14.versions", "2013-14"]
