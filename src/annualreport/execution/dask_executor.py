"""Reports of a batch on Dask workers: `annualreport build ... --executor dask [--scheduler ADDRESS]`.

Without an address a LocalCluster is started on this machine: `--workers` processes (default: one
per core) of one thread each, so each worker is one core; with one, the reports go to that
scheduler's workers. Each report is one Dask task that builds it with `batch.build_one`, so a
report builds exactly as it does locally (same bytes) and its failure is its own.

A worker uses the cores it is given, its threads (`dask worker --nthreads N`), by batch.Share's
rule: it builds up to N reports at once (one per thread, as Dask runs tasks), on a kernel pool of
N kernels (`--jobs` changes it) shared by them, and each report's render makes N // N = one output
at a time. The pool is made when the worker plugin is set up on the worker and its kernels start
when the first report needs them (so a worker's start-up is not spent waiting for kernels); it is
shut down when the plugin is torn down (at the end of the batch, or when the worker stops).

The workers must see the project at the same path as this machine (a shared filesystem) and run
the same environment (`make setup` from the same lock file): they read the params, notebooks and
data there and write the reports into its build/ folder. What workers say (progress by chapter)
comes back to this command as Dask events and is said here.
"""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import ExitStack
from typing import Any

from distributed import Client, LocalCluster, as_completed, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from annualreport.execution.batch import (BatchSummary, BuildOptions, OnDone, ReportOutcome, ReportSpec, build_one,
                                          freeze_imports, share)
from annualreport.execution.pool import KernelPool
from annualreport.execution.progress import Progress
from annualreport.project import Project

PLUGIN_NAME = "annualreport-kernel-pool"
TOPIC = "annualreport-progress"


def worker_cores(worker: Any) -> int:
    """The cores a worker is given: its threads."""
    return max(1, int(worker.state.nthreads))


class KernelPoolPlugin(WorkerPlugin):
    """Makes the worker's KernelPool when set up on it (of `jobs` kernels, by default one per
    thread of the worker); its kernels start as reports need them. Shuts it down on teardown."""

    name = PLUGIN_NAME

    def __init__(self, jobs: int | None) -> None:
        self.jobs = jobs
        self.pool: KernelPool | None = None

    def setup(self, worker: Any) -> None:
        self.pool = KernelPool(share(worker_cores(worker), self.jobs, worker_cores(worker)).kernels)
        freeze_imports()

    # Dask calls this on the worker's event loop: the pool stops its kernels in a thread of its
    # own, so that kernel clients running their own event loops never meet the worker's.
    async def teardown(self, worker: object) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            await asyncio.to_thread(pool.__exit__, None, None, None)


class WorkerProgress(Progress):
    """Progress said on a worker is sent to the client as a Dask event (topic TOPIC)."""

    def say(self, label: str, message: str) -> None:
        if not self.quiet:
            get_worker().log_event(TOPIC, {"label": label, "message": message})


def build_on_worker(project: Project, spec: ReportSpec, options: BuildOptions, quiet: bool) -> ReportOutcome:
    """The task: build one report on this worker with the worker's kernel pool, its render given
    the report's share of the worker's cores."""
    worker = get_worker()
    cores = worker_cores(worker)
    plugin = worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, KernelPoolPlugin) or plugin.pool is None:
        raise RuntimeError(f"the worker has no kernel pool (its plugin {PLUGIN_NAME!r} is not set up)")
    return build_one(project, spec, options, plugin.pool, WorkerProgress(quiet=quiet),
                     share(cores, options.jobs, cores).render_workers)


def run_dask(project: Project, specs: list[ReportSpec], options: BuildOptions, progress: Progress, on_done: OnDone,
             scheduler: str | None = None, workers: int | None = None, dashboard: str = ":8787") -> BatchSummary:
    """Build `specs` on Dask: the cluster at `scheduler`, or a LocalCluster of `workers` processes
    of one thread (one core) each, default one per core. Each worker is sized by its threads (see
    the module docstring)."""
    summary = BatchSummary()
    start = time.perf_counter()
    with ExitStack() as stack:
        if scheduler is None:
            workers = workers or os.cpu_count() or 1
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=dashboard))
            client = stack.enter_context(Client(cluster))
            where = f"a local Dask cluster of {workers} worker(s)"
        else:
            client = stack.enter_context(Client(scheduler))
            where = f"the Dask scheduler at {scheduler}"
        progress.say("dask", f"building {len(specs)} report(s) on {where}; dashboard: {client.dashboard_link}")
        client.subscribe_topic(TOPIC, lambda event: progress.say(event[1]["label"], event[1]["message"]))
        client.register_plugin(KernelPoolPlugin(options.jobs), name=PLUGIN_NAME)
        if scheduler is not None:  # close the workers' kernels at the end; a LocalCluster closes with its workers
            stack.callback(client.unregister_worker_plugin, PLUGIN_NAME)
        futures = {client.submit(build_on_worker, project, spec, options, progress.quiet, key=f"report-{spec.label}",
                                 pure=False): spec for spec in specs}
        try:
            for finished, future in enumerate(as_completed(futures), 1):
                spec = futures[future]
                try:
                    outcome = future.result()
                except Exception as e:  # the worker died or the task could not run: this report only
                    outcome = ReportOutcome(spec.partnership, spec.year, time.perf_counter() - start,
                                            error=f"the Dask task failed: {type(e).__name__}: {e}")
                summary.outcomes.append(outcome)
                future.release()
                on_done(outcome, finished, len(specs))
        except KeyboardInterrupt:
            summary.interrupted = True
            client.cancel(list(futures))
            raise
        finally:
            summary.seconds = time.perf_counter() - start
    return summary
