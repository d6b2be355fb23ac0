"""Time cold builds of the example report and split the time into its parts.

    python bench/bench_build.py [--runs 3] [--partnership lancashire] [--year 2013-14] [--jobs N]

Reports the median wall time of `runs` cold builds (the build folder removed before each), the
median of each phase (store, chapters, render), and the cost of one kernel start-up measured by
executing an empty notebook through papermill the same way chapters are executed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from annualreport.build import build_report, target_folder
from annualreport.execute import ChapterRun, run_chapter
from annualreport.project import find_project


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
            result = run_chapter(ChapterRun("empty", source, Path(tmp) / "out.ipynb", {}), Path(tmp), 60)
            times.append(result.seconds)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partnership", default="lancashire")
    parser.add_argument("--year", default="2013-14")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    project = find_project()
    walls, phases = [], []
    for i in range(args.runs):
        shutil.rmtree(target_folder(project, args.partnership, args.year), ignore_errors=True)
        start = time.perf_counter()
        result = build_report(project, args.partnership, args.year, renderer="embedded", jobs=args.jobs)
        walls.append(time.perf_counter() - start)
        phases.append(result.seconds)
        print(f"run {i + 1}: {walls[-1]:.2f} s  " + "  ".join(f"{k} {v:.2f} s" for k, v in result.seconds.items()))
    kernel = kernel_startup_seconds(args.runs)
    chapters = len(result.executed)
    print(f"\ncold build of {args.partnership} {args.year}, {chapters} chapters, jobs={args.jobs}, "
          f"median of {args.runs}: {statistics.median(walls):.2f} s")
    for phase in phases[0]:
        print(f"  {phase:9s} {statistics.median(p[phase] for p in phases):.2f} s")
    print(f"  kernel start-up and shut-down (papermill, empty notebook): {kernel:.2f} s per chapter, "
          f"{kernel * chapters:.2f} s of kernel time over {chapters} chapters")


if __name__ == "__main__":
    main()
