"""Time builds side by side, in one run on one machine, and print a table with the ratios.

    python bench/bench_build.py [--quick] [--runs 3] [--batch 20] [--partnership lancashire] [--year 2013-14]
    make bench ARGS=--quick
    make bench ARGS="--batch 20 --only-batches"     # the batch figures alone
    make bench ARGS="--only-batches --dask-rounds 3"  # Dask 1 and 2 workers three times each, in turns

Works in a temporary copy of the project (its params, notebooks, national and reference data,
and the year's local inputs), so nothing of the checkout changes. Every figure is the wall time
of a whole process (imports included), the median of `runs`:

- papermill loop: the report's notebooks run one after another with the papermill CLI, one
  process each, on a finished build's folder (what a coordinator's shell loop does);
- lower bound: the same chapters' code cells run in one plain Python process, imports included
  (no kernels, no notebooks): the work itself;
- render: the render phase of a cold build (book, pandoc, Typst, public folder, gates, manifest),
  from an in-process build;
- cold: `annualreport build --force` with the build folder and the cache removed;
- no-op: the same command again with nothing changed;
- narrative: after editing one markdown cell (no notebook needs executing);
- one input: after changing one local input file (only its chapter needs executing);
- batch: `--every-la` reports for the first `batch` councils of 2023-24, built in one process
  (local executor), then on a Dask LocalCluster of 1 and of 2 workers, in turns, `--dask-rounds`
  times each (the ratio is of the medians; each round's own is printed too); with the peak memory of
  the whole process tree (kernels and workers included); and beside them, how much two copies of a
  pure-Python loop get done at once against one (`core_scaling`): the most 2 workers can gain here.
  A batch's throughput is its rate once running, between its first report done and its last: the
  one-off start-up (a process and its kernels; a cluster, its workers and theirs) is not throughput.
  Every council (153) is projected as the first round's time (a report on each of the executor's
  slots) plus the rest at that rate.

`--quick` runs each once and the batches with 4 councils. The acceptance goals of issue 11 are
printed beside the figures; this script only measures, it never fails on a goal.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import psutil

from annualreport.build import build_report, target_folder
from annualreport.execution.execute import ChapterRun, run_chapter
from annualreport.inputs.params import load_params
from annualreport.project import Project, find_project
from annualreport.provenance.verify import copy_project

BATCH_YEAR = "2023-24"
POLL = 0.1  # seconds between memory samples


# -- measuring a process ----------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    wall: float  # seconds
    cpu: float  # CPU seconds (user + system) of the process and every process it waited for (kernels, pandoc, typst)
    peak_mb: float = 0.0  # peak resident memory of the whole process tree


def median_measure(measures: list[Measure]) -> Measure:
    """The median wall and CPU of some runs of one thing, and their highest peak."""
    return Measure(statistics.median(x.wall for x in measures), statistics.median(x.cpu for x in measures),
                   max(x.peak_mb for x in measures))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: list[str], cwd: Path | None = None) -> Measure:
    """Run `cmd` to the end; its wall and CPU seconds and the peak resident memory (MB) of its whole
    process tree (the sum over the process and its children, sampled every POLL seconds). CPU
    seconds say what the work costs when other work shares the machine; wall what a user waits."""
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: a talkative step never blocks on it
        cpu = children_cpu()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        peak = 0
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, total)
            time.sleep(POLL)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"benchmark step failed (exit {proc.returncode}): {' '.join(cmd)}\n{errors.read()[-4000:]}")
    return Measure(wall, children_cpu() - cpu, peak / 2**20)


def repeat(runs: int, step: Callable[[], Measure], before: Callable[[int], None] | None = None) -> list[Measure]:
    measures = []
    for i in range(runs):
        if before:
            before(i)
        measures.append(step())
    return measures


# -- the work measured ------------------------------------------------------------------------

def cli(project: Project, *args: str) -> list[str]:
    return [sys.executable, "-m", "annualreport", *args, "--project", str(project.root), "--quiet"]


def papermill_loop(project: Project, work: Path, chapters: list[str], params: dict) -> Measure:
    """Each chapter with the papermill CLI, one process after another, in a finished build's folder."""
    (work / "bench-out").mkdir(exist_ok=True)
    start, cpu = time.perf_counter(), children_cpu()
    for ch in chapters:
        parameters = dict(params, chapters=[c for c in chapters if c != "summary"]) if ch == "summary" else params
        run_measured([str(Path(sys.executable).with_name("papermill")), str(project.notebooks_dir / f"{ch}.ipynb"),
                      str(work / "bench-out" / f"{ch}.ipynb"), "-y", json.dumps(parameters), "--cwd", str(work),
                      "--no-progress-bar", "--log-level", "ERROR"])
    return Measure(time.perf_counter() - start, children_cpu() - cpu)


# The lower bound, run as `python -c LOWER_BOUND WORK SPEC`: the chapters' code cells in one plain
# Python process (no kernel, no notebook written), with only what the chapters import themselves.
LOWER_BOUND = """
import json, os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
work, spec = sys.argv[1], json.loads(sys.argv[2])
os.chdir(work)
for ch in spec["chapters"]:
    nb = nbformat.read(os.path.join(spec["notebooks"], ch + ".ipynb"), as_version=4)
    namespace = dict(spec["params"])
    if ch == "summary":
        namespace["chapters"] = [c for c in spec["chapters"] if c != "summary"]
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            exec(compile(cell.source, ch + ".ipynb", "exec"), namespace)
    plt.close("all")
"""


def batch_child(root: str, size: int, executor: str, workers: int, times: str) -> None:
    """(In a child process.) The first `size` --every-la reports of BATCH_YEAR, built as the CLI does;
    writes to `times` when each report was done (seconds from the start, as JSON)."""
    from annualreport.execution.batch import BuildOptions, ReportSpec, run_local
    from annualreport.execution.progress import Progress
    from annualreport.inputs.every_la import every_la_params

    start = time.perf_counter()
    project, ids = every_la_params(Project(Path(root)), BATCH_YEAR)
    specs = [ReportSpec(i, BATCH_YEAR) for i in ids[:size]]
    options = BuildOptions(renderer="embedded", force=True)
    progress = Progress(quiet=True)
    failed: list[str] = []
    finished: list[float] = []

    def done(outcome, finished_count: int, total: int) -> None:
        finished.append(time.perf_counter() - start)
        if outcome.error:
            failed.append(f"{outcome.label}: {outcome.error.splitlines()[0]}")

    if executor == "dask":
        from annualreport.execution.dask_executor import run_dask

        run_dask(project, specs, options, progress, done, workers=workers, dashboard=":0")
    else:
        run_local(project, specs, options, progress, done)
    Path(times).write_text(json.dumps(finished), encoding="utf-8")
    if failed:
        raise SystemExit("reports failed:\n" + "\n".join(failed))


def kernel_startup_seconds(runs: int) -> float:
    """Median wall time of papermill executing a notebook with one empty code cell, the way chapters run."""
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


def edit_markdown(project: Project, round_: int) -> None:
    path = project.notebooks_dir / "front_door.ipynb"
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("A referral")).source += f" Edit {round_}."
    nbformat.write(nb, path)


def edit_input(project: Project, partnership: str, year: str) -> None:
    """One more attendee on the face-to-face courses, and in the total: a valid change to one file."""
    path = project.root / "data" / "local" / partnership / year / "training.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["course_type"] in ("Face to face", "Total"):
            row["attendees"] = str(int(row["attendees"]) + 1)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# -- the run ----------------------------------------------------------------------------------

Row = Callable[[str, list[Measure]], Measure]  # names, prints and returns the median of some measures


@dataclass(frozen=True)
class SingleReport:
    """The single-report figures of one run."""

    chapters: list[str]
    loop: Measure
    lower: Measure
    cold: Measure
    noop: Measure
    narrative: Measure
    one_input: Measure
    render: float
    kernel: float
    phases: list[dict[str, float]]
    narrative_phases: list[dict[str, float]]

    def print_rows(self, line: Callable[..., None]) -> None:
        n = len(self.chapters)
        line(f"serial papermill CLI loop ({n} notebooks)", self.loop,
             f"{self.loop.wall / self.cold.wall:.1f} x the cold build (CPU {self.loop.cpu / self.cold.cpu:.1f} x)",
             "cold at least 5 x faster")
        line("in-process lower bound (imports included)", self.lower)
        print(f"| render phase (in-process cold build) | {self.render:.2f} | | | |")
        line("cold build (`build --force`, no cache)", self.cold,
             f"{self.cold.wall / (self.lower.wall + self.render):.1f} x (lower bound + render)", "at most 2 x")
        line("no-op rebuild", self.noop, "", "at most 1 s")
        line("narrative-only rebuild", self.narrative, "", "at most 2 s")
        line("one-input rebuild", self.one_input)
        print(f"| kernel start-up + shut-down per chapter (empty notebook, in-process) | {self.kernel:.2f} | | "
              f"{self.kernel * n:.1f} s of kernel starts per report | |")

    def print_phases(self) -> None:
        for what, phases in (("cold build", self.phases), ("narrative-only rebuild", self.narrative_phases)):
            print(f"{what} phases (in-process, median): "
                  + ", ".join(f"{k} {statistics.median(ph[k] for ph in phases):.2f} s" for k in phases[0]))


def single_report_figures(project: Project, p: str, y: str, runs: int, row: Row, work: Path) -> SingleReport:
    """Cold, no-op, narrative and one-input builds of one report; the papermill loop, the lower
    bound, the render phase and the kernel start-up beside them."""
    build = cli(project, "build", "-p", p, "-y", y, "--renderer", "embedded", "--allow-dirty")
    chapters = load_params(project, p, y).report.chapters

    def cold_prep(_: int) -> None:
        shutil.rmtree(project.build_dir, ignore_errors=True)

    cold = row("cold", repeat(runs, lambda: run_measured(build + ["--force"]), cold_prep))
    noop = row("no-op", repeat(runs, lambda: run_measured(build)))
    narrative = row("narrative", repeat(runs, lambda: run_measured(build), lambda i: edit_markdown(project, i)))
    one_input = row("one input", repeat(runs, lambda: run_measured(build), lambda i: edit_input(project, p, y)))

    shutil.copytree(target_folder(project, p, y).resolve(), work)
    params = {"partnership": p, "year": y, "build_dir": "."}
    loop = row("papermill loop", repeat(runs, lambda: papermill_loop(project, work, chapters, params)))
    spec = json.dumps({"notebooks": str(project.notebooks_dir), "chapters": chapters, "params": params})
    lower = row("lower bound", repeat(runs, lambda: run_measured([sys.executable, "-c", LOWER_BOUND, str(work), spec])))
    phases = []
    for _ in range(runs):
        shutil.rmtree(project.build_dir, ignore_errors=True)
        phases.append(build_report(project, p, y, renderer="embedded", force=True, allow_dirty=True).seconds)
    render = statistics.median(ph["render"] for ph in phases)
    narrative_phases = []  # where a narrative-only rebuild's time goes (after the cold builds above)
    for i in range(runs):
        edit_markdown(project, runs + i)
        narrative_phases.append(build_report(project, p, y, renderer="embedded", allow_dirty=True).seconds)
    kernel = kernel_startup_seconds(runs)
    return SingleReport(chapters, loop, lower, cold, noop, narrative, one_input, render, kernel, phases, narrative_phases)


@dataclass(frozen=True)
class Batch:
    """A batch's whole command (Measure), when each of its reports was done (seconds from its start),
    and how many it builds at once."""

    measure: Measure
    finished: list[float]
    at_once: int

    @property
    def first_round(self) -> float:
        """Seconds until the first `at_once` reports are done: the start-up (a process and its kernels;
        a cluster, its workers and theirs) and one report on each."""
        return self.finished[min(self.at_once, len(self.finished)) - 1]

    @property
    def steady(self) -> float:
        """Seconds per report once running: the reports done after the first round, over the time
        they took (the batch's throughput, without its one-off start-up). Counted from the end of
        the first round, not the first report: reports built side by side finish in pairs at first."""
        n, k = len(self.finished), self.at_once
        return (self.finished[-1] - self.finished[k - 1]) / (n - k) if n > k else self.measure.wall / max(1, n)


def batch_figures(project: Project, size: int, rounds: int, row: Row) -> dict[int, list[Batch]]:
    """A batch of `size` --every-la reports, each in a process of its own: local executor (key 0),
    then Dask with 1 and 2 workers (keys 1 and 2), `rounds` times each, in turns (1, 2, then 2, 1,
    ...): this machine's speed drifts by a third within minutes, and a ratio of two runs made one
    after the other would measure the drift as much as the workers."""
    from annualreport.execution.batch import LOCAL_EXTRA, share

    batches: dict[int, list[Batch]] = {0: [], 1: [], 2: []}
    times = project.root.parent / "batch-times.json"
    order = [0] + [w for r in range(rounds) for w in ((1, 2) if r % 2 == 0 else (2, 1))]
    for workers in order:  # 0: the local executor
        shutil.rmtree(project.build_dir, ignore_errors=True)
        name = f"batch of {size}, " + (f"Dask {workers} worker(s)" if workers else "local")
        measure = row(f"{name}, run {len(batches[workers]) + 1}", [
            run_measured([sys.executable, __file__, "--batch-child", str(project.root), str(size),
                          "dask" if workers else "local", str(workers), str(times)])])
        # the local executor's reports at once; a Dask worker: one thread, one report
        at_once = workers or share(os.cpu_count() or 1, None, size, LOCAL_EXTRA).reports
        batches[workers].append(Batch(measure, json.loads(times.read_text(encoding="utf-8")), at_once))
    return batches


def machine_speed() -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions): how fast this machine is, so
    that the absolute figures (the 1 s, 2 s and 5 min goals) of two runs on two machines, or of one
    machine on two days, can be compared. Best of three."""
    best = math.inf
    for _ in range(3):
        start, total = time.process_time(), 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.process_time() - start)
    return best


SPIN = "t = 0\nfor i in range(40_000_000):\n    t += i\n"


def core_scaling(copies: int = 2) -> float:
    """How much work `copies` processes get done at once against one, in a pure-Python loop that
    shares nothing: the most any executor can gain from `copies` workers on this machine (on a
    virtual machine, cores can share a physical core or the host). Best of three."""
    def wall(n: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    one = min(wall(1) for _ in range(3))
    many = min(wall(copies) for _ in range(3))
    return copies * one / many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each figure once; batches of 4 councils")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 3, or 1 with --quick)")
    parser.add_argument("--batch", type=int, default=None, help="councils in the batch figures (default 20, or 4 with --quick)")
    parser.add_argument("--dask-rounds", type=int, default=None,
                        help="runs of each Dask batch, 1 and 2 workers in turns (default 2, or 1 with --quick)")
    parser.add_argument("--partnership", default="lancashire")
    parser.add_argument("--year", default="2013-14")
    parser.add_argument("--skip-batches", action="store_true", help="only the single-report figures")
    parser.add_argument("--only-batches", action="store_true", help="only the batch figures (local, Dask 1 and 2 workers)")
    parser.add_argument("--batch-child", nargs=5, metavar=("ROOT", "SIZE", "EXECUTOR", "WORKERS", "TIMES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.skip_batches and args.only_batches:
        parser.error("--skip-batches and --only-batches leave nothing to measure")
    if args.batch_child:
        root, size_text, executor, workers, times = args.batch_child
        batch_child(root, int(size_text), executor, int(workers), times)
        return
    runs = args.runs or (1 if args.quick else 3)
    size = args.batch or (4 if args.quick else 20)
    rounds = args.dask_rounds or (1 if args.quick else 2)
    p, y = args.partnership, args.year

    def row(key: str, measures: list[Measure]) -> Measure:
        m = median_measure(measures)
        print(f"  {key}: {m.wall:.2f} s wall, {m.cpu:.2f} s CPU (walls: {', '.join(f'{x.wall:.2f}' for x in measures)})"
              + (f", peak {m.peak_mb:.0f} MB" if m.peak_mb else ""), file=sys.stderr, flush=True)
        return m

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(find_project(), Path(tmp) / "project", p, y)
        speed = machine_speed()
        print(f"benchmark: {p} {y}, {os.cpu_count()} cores, runs={runs}, batches of {size}, "
              f"load average before: {os.getloadavg()[0]:.1f}, machine speed {speed:.2f} CPU s", file=sys.stderr)
        single = None if args.only_batches else single_report_figures(project, p, y, runs, row, Path(tmp) / "work")
        batches = {} if args.skip_batches else batch_figures(project, size, rounds, row)
        scaling = 0.0 if args.skip_batches else core_scaling()
        load = os.getloadavg()[0]

    print()
    print(f"{p} {y}, {os.cpu_count()} cores, median of {runs}; whole processes; "
          f"load average at the end {load:.1f} (other work on the machine inflates wall, not CPU); machine speed: "
          f"a pure-Python loop of 10 million additions takes {speed:.2f} CPU s (a slower machine scales every figure)")
    print()
    print("| what | wall (s) | CPU (s) | ratio | goal (issue 11) |")
    print("|---|---:|---:|---|---|")

    def line(name: str, m: Measure, ratio: str = "", goal: str = "") -> None:
        print(f"| {name} | {m.wall:.2f} | {m.cpu:.2f} | {ratio} | {goal} |")

    if single is not None:
        single.print_rows(line)
    if batches:
        local, d1 = batches[0][0], batches[1][0]
        steady1, steady2 = (statistics.median(b.steady for b in batches[w]) for w in (1, 2))
        # each round's ratio: its two runs were made one after the other
        paired = [one.steady / two.steady for one, two in zip(batches[1], batches[2])]
        # every council: the first round (start-up and a report on each), then the rest at the steady rate
        every = local.first_round + (153 - local.at_once) * local.steady
        line(f"batch of {size} councils (`--every-la`), local executor", local.measure,
             f"{local.steady:.2f} s per report once running ({local.at_once} at once; first round done at "
             f"{local.first_round:.1f} s; {local.measure.wall / size:.2f} s per report overall); "
             f"{local.measure.cpu / size:.2f} CPU s per report; peak {local.measure.peak_mb:.0f} MB",
             f"153 councils in 5 min: {every / 60:.1f} min at this rate")
        d1_measure, d2_measure = (median_measure([b.measure for b in batches[w]]) for w in (1, 2))
        line(f"batch of {size} councils, Dask 1 worker", d1_measure,
             f"{steady1:.2f} s per report once running, median of {len(batches[1])} "
             f"({', '.join(f'{b.steady:.2f}' for b in batches[1])}; first done at {d1.first_round:.1f} s); "
             f"peak {d1_measure.peak_mb:.0f} MB")
        line(f"batch of {size} councils, Dask 2 workers", d2_measure,
             f"throughput {steady1 / steady2:.2f} x that of 1 worker, from the medians (each round's: "
             f"{', '.join(f'{r:.2f}' for r in paired)}; {steady2:.2f} s per report once running, median of "
             f"{', '.join(f'{b.steady:.2f}' for b in batches[2])}; the whole command "
             f"{d1_measure.wall / d2_measure.wall:.2f} x, with the cluster's start-up); "
             f"peak {d2_measure.peak_mb:.0f} MB; the machine's own ceiling: {scaling:.2f} x (2 copies of a "
             f"pure-Python loop at once)", "throughput at least 1.8 x")
    if single is not None:
        print()
        single.print_phases()


if __name__ == "__main__":
    main()
