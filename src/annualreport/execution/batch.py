"""Many reports in one command: `build -p all -y all`, `--every-la`, on one kernel pool.

Reports are built one after another (each report's chapters run in parallel on the shared pool,
execution.pool), or on Dask workers (execution.dask_executor). Either way:

- progress is said by report ('building report 3 of 153') and, by build_report, by chapter;
- a report that fails stops no other: its error is said when it happens and again, on one
  line, in the summary at the end, and the command exits non-zero;
- memory stays bounded however many reports are asked for: a finished report leaves only a
  ReportOutcome (its name, its outputs' paths, its error), never its store or notebooks.
"""

from __future__ import annotations

import gc
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

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
    jobs: int | None = None  # chapters at once per report; None: the cores of the machine building it
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


def build_one(project: Project, spec: ReportSpec, options: BuildOptions, pool: KernelPool | None,
              progress: Progress) -> ReportOutcome:
    """Build one report and keep only its outcome. Any failure, expected or not, becomes the
    outcome's error (an unexpected one with its traceback said first); KeyboardInterrupt is raised."""
    start = time.perf_counter()
    try:
        result = build_report(project, spec.partnership, spec.year, renderer=options.renderer,
                              jobs=options.jobs or os.cpu_count(), timeout=options.timeout, progress=progress,
                              force=options.force, allow_dirty=options.allow_dirty, pool=pool)
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
              on_done: OnDone) -> BatchSummary:
    """Build `specs` one after another in this process, sharing one kernel pool."""
    summary = BatchSummary()
    start = time.perf_counter()
    jobs = options.jobs or os.cpu_count() or 1
    # Kernels start when a report first needs one (build_report warms them up for a first build):
    # a rebuild that only re-renders (a narrative edit) starts none.
    pool = KernelPool(jobs)
    try:
        for i, spec in enumerate(specs, 1):
            if len(specs) > 1:
                progress.say(spec.label, f"building report {i} of {len(specs)}")
            outcome = build_one(project, spec, options, pool, progress)
            summary.outcomes.append(outcome)
            on_done(outcome, i, len(specs))
            gc.collect()  # the report's frames and figures go now, not at some later report
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
