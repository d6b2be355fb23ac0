"""Time builds of the example report and split the time into its parts.

    python bench/bench_build.py [--runs 3] [--partnership lancashire] [--year 2013-14] [--jobs N]

Works in a temporary copy of the project (its own notebooks, params, local inputs and build
folder; the national data linked), and reports medians of `runs`:

- cold: the build folder and cache removed before each build;
- no-op: a rebuild with nothing changed (answered from the manifest: nothing executed or
  rendered), in-process and as the whole command (`no-op cmd`);
- narrative: a rebuild after editing one markdown cell (no notebook executed);
- one input: a rebuild after changing one local input file (only its chapter executed);
- verify: `annualreport verify` of the cold build (a rebuild with the cache off, and the comparison);

with the phases of the cold build (checks, store, chapters, render) and the cost of one kernel
start-up, measured by executing an empty notebook through papermill the way chapters run.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from annualreport.build import build_report, target_folder
from annualreport.execution.execute import ChapterRun, run_chapter
from annualreport.project import Project, find_project
from annualreport.provenance.verify import copy_project, verify


def kernel_startup_seconds(runs: int) -> float:
    """Median wall time of papermill executing a notebook with one empty code cell."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "empty.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cell = nbformat.v4.new_code_cell("pass")
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell]
        nbformat.write(nb, source)
        for _ in range(runs):
            times.append(run_chapter(ChapterRun("empty", source, Path(tmp) / "out.ipynb", {}), Path(tmp), 60).seconds)
    return statistics.median(times)


def timed(project: Project, args: argparse.Namespace) -> tuple[float, dict[str, float], int]:
    start = time.perf_counter()
    result = build_report(project, args.partnership, args.year, renderer="embedded", jobs=args.jobs)
    return time.perf_counter() - start, result.seconds, len(result.executed)


def command(project: Project, args: argparse.Namespace) -> tuple[float, dict[str, float], int]:
    """Wall time of the whole command, as a user runs it (Python start-up and imports included)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "annualreport", "build", "-p", args.partnership, "-y", args.year,
                    "--renderer", "embedded", "--project", str(project.root), "--quiet"], check=True, capture_output=True)
    return time.perf_counter() - start, {}, -1


def edit_markdown(project: Project, round_: int) -> None:
    path = project.notebooks_dir / "front_door.ipynb"
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("A referral")).source += f" Edit {round_}."
    nbformat.write(nb, path)


def edit_input(project: Project, args: argparse.Namespace) -> None:
    """One more attendee on the face-to-face courses, and in the total: a valid change to one file."""
    path = project.root / "data" / "local" / args.partnership / args.year / "training.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["course_type"] in ("Face to face", "Total"):
            row["attendees"] = str(int(row["attendees"]) + 1)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def report(name: str, runs: list[tuple[float, dict[str, float], int]]) -> None:
    walls = [w for w, _, _ in runs]
    print(f"{name:10s} median {statistics.median(walls):6.2f} s  (runs: {', '.join(f'{w:.2f}' for w in walls)}"
          + (f"; notebooks executed: {', '.join(str(n) for _, _, n in runs)})" if runs[0][2] >= 0 else ")"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partnership", default="lancashire")
    parser.add_argument("--year", default="2013-14")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(find_project(), Path(tmp) / "project", args.partnership, args.year)
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(project.build_dir, ignore_errors=True)
            cold.append(timed(project, args))
        noop = [timed(project, args) for _ in range(args.runs)]
        noop_command = [command(project, args) for _ in range(args.runs)]
        verify_times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            verdict = verify(target_folder(project, args.partnership, args.year) / "manifest.json")
            verify_times.append((time.perf_counter() - start, {}, -1))
            assert verdict.identical, verdict.lines()
        narrative, one_input = [], []
        for i in range(args.runs):
            edit_markdown(project, i)
            narrative.append(timed(project, args))
        for _ in range(args.runs):
            edit_input(project, args)
            one_input.append(timed(project, args))
        pages = "?"
        try:
            from pypdf import PdfReader

            pages = str(len(PdfReader(target_folder(project, args.partnership, args.year) / "public" / "report.pdf").pages))
        except ImportError:
            pass
    print(f"{args.partnership} {args.year}, jobs={args.jobs}, PDF pages: {pages}")
    report("cold", cold)
    report("no-op", noop)
    report("no-op cmd", noop_command)
    report("narrative", narrative)
    report("one input", one_input)
    report("verify", verify_times)
    phases = [p for _, p, _ in cold]
    print("cold build phases (median): " + ", ".join(f"{k} {statistics.median(p[k] for p in phases):.2f} s" for k in phases[0]))
    kernel = kernel_startup_seconds(args.runs)
    print(f"kernel start-up and shut-down (papermill, empty notebook): {kernel:.2f} s per chapter")


if __name__ == "__main__":
    main()
