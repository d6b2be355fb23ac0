"""Many reports in one command: `build -p all -y all`, `--every-la`, on one kernel pool.

Reports are built here (execution.pool's kernels shared by the reports), or on Dask workers
(execution.dask_executor). Either way a process building reports is sized by the cores it is
given, C (here: the machine's cores; a Dask worker: its threads), by one rule (`Share`):

- it builds up to C reports at once (one report keeps about one core busy: its chapters wait for
  kernels, its render for pandoc and Typst, so several reports at once keep every core busy); the
  local executor, which has the machine to itself, builds one more (LOCAL_EXTRA): with C reports
  the cores were still idle a sixth of the time, waiting, and every council came out about 15%
  sooner with C + 1 (measured on 2 cores). A Dask worker builds what Dask gives it, a report per thread;
- its pool has a kernel per report built at once, and at least C (`--jobs` changes it), shared by
  those reports;
- each report's render makes C // (reports at once) of its outputs at once (at least one).

So the process keeps about C processes busy, not one per core of the machine for each worker.
Either way:

- progress is said by report ('building report 3 of 153') and, by build_report, by chapter;
- a report that fails stops no other: its error is said when it happens and again, on one
  line, in the summary at the end, and the command exits non-zero;
- memory stays bounded however many reports are asked for: at most C (+ 1) reports are in memory
  at once, and a finished report leaves only a ReportOutcome (its name, its outputs' paths, its
  error), never its store or notebooks.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterator

from annualreport.build import build_report
from annualreport.errors import AnnualReportError
from annualreport.execution.pool import KernelPool
from annualreport.execution.progress import Progress
from annualreport.project import Project


@dataclass(frozen=True)
class ReportSpec:
    """One report of a batch."""

    partnership: str
    year: str

    @property
    def label(self) -> str:
        return f"{self.partnership} {self.year}"


@dataclass(frozen=True)
class BuildOptions:
    """The build options every report of a batch shares (see `annualreport build --help`)."""

    renderer: str = "auto"
    jobs: int | None = None  # chapters at once (kernels) per building process; None: its cores (Share)
    timeout: int = 600
    force: bool = False
    allow_dirty: bool = False


@dataclass(frozen=True)
class ReportOutcome:
    """What is kept of a finished report: enough for the summary, nothing of its data."""

    partnership: str
    year: str
    seconds: float
    outputs: tuple[str, ...] = ()  # relative to the project
    executed: int = 0
    chapters: int = 0
    error: str | None = None  # the message naming what failed

    @property
    def label(self) -> str:
        return f"{self.partnership} {self.year}"


@dataclass(frozen=True)
class Share:
    """What a process building reports uses of the `cores` it is given (the module docstring's rule)."""

    cores: int
    reports: int  # reports built at once
    kernels: int  # chapters executed at once, shared by those reports

    @property
    def render_workers(self) -> int:
        """The outputs one report makes at once: its share of the cores."""
        return max(1, self.cores // self.reports)


# Reports the local executor builds at once beyond one per core (see the module docstring).
LOCAL_EXTRA = 1


def share(cores: int, jobs: int | None, reports: int, extra: int = 0) -> Share:
    """The share of a process given `cores` cores that builds `reports` reports (`jobs`: --jobs),
    `extra` reports at once beyond one per core."""
    cores = max(1, cores)
    at_once = max(1, min(cores + extra, reports))
    return Share(cores, at_once, jobs or max(cores, at_once))


def freeze_imports() -> None:
    """Keep what this process holds now (its imported modules: the pipeline's code, pandas...) out
    of the garbage collector's full collections, which otherwise walk all of it after every report.
    It lives as long as the process; what the reports make is collected as before (gc.freeze)."""
    import annualreport.render.embedded  # noqa: F401  # what every report imports, before it is frozen
    import annualreport.store.figures  # noqa: F401

    _collect_and_freeze()


_frozen_modules = 0  # how many modules had been imported when what the process held was last frozen


def _collect_and_freeze() -> None:
    global _frozen_modules
    gc.collect()
    gc.freeze()
    _frozen_modules = len(sys.modules)


def collect_after_report() -> None:
    """After each report of a batch built here: its frames and figures go now (a full collection),
    not at some later report. The first reports import what freeze_imports does not (papermill,
    pikepdf, ...: only a report that executes or renders needs them), and every later collection
    walked those modules again, 0.03-0.07 s a report: so when modules were imported since the last
    freeze, what is left after the collection is frozen too. Objects of reports still being built
    are frozen with it; those freed by their reference counts go as before (most do), only cycles
    among them wait for the process to end, once, for the two or three reports in flight."""
    if len(sys.modules) != _frozen_modules:
        _collect_and_freeze()
    else:
        gc.collect()


OnDone = Callable[[ReportOutcome, int, int], None]  # (outcome, reports finished so far, reports in the batch)


@dataclass
class BatchSummary:
    outcomes: list[ReportOutcome] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def failed(self) -> list[ReportOutcome]:
        return [o for o in self.outcomes if o.error is not None]

    def lines(self) -> list[str]:
        """'3 reports: 2 built, 1 failed (41.2 s)' and one line per failure with the first line of its reason."""
        built = len(self.outcomes) - len(self.failed)
        out = [f"{len(self.outcomes)} report(s): {built} built, {len(self.failed)} failed ({self.seconds:.1f} s)"
               + (" (interrupted: the rest were not built)" if self.interrupted else "")]
        for o in self.failed:
            assert o.error is not None
            out.append(f"  failed: {o.label}: {o.error.splitlines()[0]}")
        return out


def build_one(project: Project, spec: ReportSpec, options: BuildOptions, pool: KernelPool, progress: Progress,
              render_workers: int | None = None) -> ReportOutcome:
    """Build one report on `pool`'s kernels and keep only its outcome. Any failure, expected or
    not, becomes the outcome's error (an unexpected one with its traceback said first);
    KeyboardInterrupt is raised."""
    start = time.perf_counter()
    try:
        result = build_report(project, spec.partnership, spec.year, renderer=options.renderer, jobs=pool.size,
                              timeout=options.timeout, progress=progress, force=options.force,
                              allow_dirty=options.allow_dirty, pool=pool, render_workers=render_workers)
    except AnnualReportError as e:
        return ReportOutcome(spec.partnership, spec.year, time.perf_counter() - start, error=str(e))
    except Exception as e:  # a bug must not stop the other reports; say where it was
        for line in traceback.format_exc().rstrip().splitlines():
            progress.say(spec.label, line)
        return ReportOutcome(spec.partnership, spec.year, time.perf_counter() - start,
                             error=f"unexpected error (a bug in annualreport): {type(e).__name__}: {e}")
    return ReportOutcome(spec.partnership, spec.year, time.perf_counter() - start,
                         tuple(project.rel(p) for p in result.outputs), len(result.executed), len(result.chapters))


def run_local(project: Project, specs: list[ReportSpec], options: BuildOptions, progress: Progress,
              on_done: OnDone, cores: int | None = None) -> BatchSummary:
    """Build `specs` in this process, up to `cores` (default: the machine's) at once, sharing one
    kernel pool, by the module docstring's rule; in the order given, each said as it starts."""
    summary = BatchSummary()
    start = time.perf_counter()
    size = share(cores or os.cpu_count() or 1, options.jobs, len(specs), LOCAL_EXTRA)
    # Kernels start when a report first needs one (build_report warms them up for a first build):
    # a rebuild that only re-renders (a narrative edit) starts none.
    pool = KernelPool(size.kernels)
    if len(specs) > 1:
        freeze_imports()
    else:
        # One report: what is imported so far is frozen as it is (the build's collections walked it:
        # 0.08 s of a narrative-only rebuild). Not freeze_imports: its imports would bring pandas into
        # a rebuild that needs none, and its full collection (0.05 s) buys nothing in a process that ends.
        gc.freeze()
    lock = threading.Lock()
    queue: Iterator[tuple[int, ReportSpec | None]] = iter(enumerate(specs, 1))
    stop = threading.Event()

    def builder() -> None:
        """Take the next report and build it, until none is left (or the batch is interrupted)."""
        while not stop.is_set():
            with lock:
                i, spec = next(queue, (0, None))
            if spec is None:
                return
            if len(specs) > 1:
                progress.say(spec.label, f"building report {i} of {len(specs)}")
            outcome = build_one(project, spec, options, pool, progress, size.render_workers)
            with lock:
                summary.outcomes.append(outcome)
                on_done(outcome, len(summary.outcomes), len(specs))
            if len(specs) > 1:  # (after the only report, the command ends: a full collection is 0.05 s for nothing)
                collect_after_report()

    try:
        if size.reports == 1:
            builder()
        else:
            threads = [threading.Thread(target=builder, name=f"report-{n}", daemon=True) for n in range(size.reports)]
            for thread in threads:
                thread.start()
            try:
                for thread in threads:
                    thread.join()
            except KeyboardInterrupt:  # the reports being built stop at their next chapter; no other starts
                stop.set()
                from annualreport.execution.kernel_manager import KERNELS  # jupyter_client: not for a build that executes nothing

                KERNELS.kill_all()
                for thread in threads:
                    thread.join()
                raise
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        pool.close()
        summary.seconds = time.perf_counter() - start
    return summary


def say_outcome(progress: Progress, echo: Callable[[str], None], err: Callable[[str], None]) -> OnDone:
    """The callback that says a report's end: its outputs' paths (to `echo`), or its error (to `err`)."""

    def done(outcome: ReportOutcome, finished: int, total: int) -> None:
        if outcome.error is not None:
            err(f"error: [{outcome.label}] {outcome.error}")
        else:
            progress.say(outcome.label, f"{outcome.executed} of {outcome.chapters} notebooks executed, "
                                        f"{outcome.chapters - outcome.executed} reused from the cache")
            for path in outcome.outputs:
                echo(path)
        if total > 1:
            progress.say(outcome.label, f"report {finished} of {total} finished ({outcome.seconds:.1f} s)")

    return done
