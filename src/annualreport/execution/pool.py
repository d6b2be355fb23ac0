"""Warm kernels: chapters run on kernels started once, with the heavy imports done.

A fresh kernel per chapter spends most of its time starting Python and importing pandas
and matplotlib. A `KernelPool` keeps `size` kernels, each owned by one thread of the
pool (a kernel's client and its event loop stay on that thread). Each kernel imports what the
chapters use once (kernel_state.WARM_IMPORTS), and before every chapter it is reset to look like a
fresh kernel started in the chapter's build folder (kernel_state.reset). Chapters still run
through papermill and our engine (execute.py: the same parameters, error reporting, time and
output limits), which is handed the pool's kernel manager instead of starting one, and the
kernel's client: connected once when the kernel starts, it serves the resets and every chapter
(no channels opened and closed per chapter: a quarter less of a chapter's fixed cost).

A kernel is replaced by a fresh one (started and warmed again) when:
- it died, or a chapter on it failed in any way (a cell's exception, a timeout: the cell may
  still be running; the output limit: it was killed);
- a reset found state it cannot put back (kernel_state.fingerprint differs from the warm-up's);
- it does not answer a reset within STARTUP_TIMEOUT seconds.

A kernel is also recycled (shut down after a chapter, and a fresh one started for the next), so
that a long batch (every council in England, hundreds of chapters per kernel) does not grow
without bound: after `max_chapters` chapters (MAX_CHAPTERS, or the environment variable
ANNUALREPORT_KERNEL_CHAPTERS), and as soon as its resident memory (psutil's RSS of the kernel's
process and its children) passes `max_memory_mb` (MAX_MEMORY_MB, or ANNUALREPORT_KERNEL_MEMORY_MB).
A recycled kernel is a fresh kernel, so what a chapter gives does not depend on it.
The chapter is reported as it would be with a fresh kernel; Ctrl-C kills every kernel (they are
tracked in kernel_manager.KERNELS like any other).

Several builds (in threads, or one after another) can share one pool:

    with KernelPool(2) as pool:
        build_report(project, "lancashire", "2013-14", pool=pool)
        build_report(project, "lancashire", "2014-15", pool=pool)

Their chapters wait for a kernel in the order of the builds (the one that sent its first chapter
earliest goes first), not in the order sent: reports of a batch that started together then drift
apart, one rendering while the next executes and another builds its store. In the order sent they
stayed in step: all three rendered at once, then all built their stores at once (Python, one
core), leaving the other core idle. A batch of 24 councils on 2 cores left a core idle 7.3 s on
average, and 5.8 s in this order (8 runs each).
"""

from __future__ import annotations

import ast
import itertools
import math
import os
import queue
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from annualreport.errors import AnnualReportError, ChapterFailed

STARTUP_TIMEOUT = 60  # seconds for a kernel to start and import what chapters use, or to answer a reset
MAX_CHAPTERS = 50  # chapters a kernel runs before it is recycled (ANNUALREPORT_KERNEL_CHAPTERS)
MAX_MEMORY_MB = 1024  # resident memory past which a kernel is recycled (ANNUALREPORT_KERNEL_MEMORY_MB); warm: ~200
KERNEL_ARGUMENTS = [
    "--IPKernelApp.log_level=CRITICAL",  # as execute.run_chapter: no start-up chatter
    "--HistoryManager.hist_file=:memory:",  # as nbclient starts its kernels
]
_STATE = "__import__('annualreport.execution.kernel_state', fromlist=['reset'])"


def _setting(variable: str, default: int) -> int:
    """A positive whole number from the environment, or `default`; a clear error when it is not one."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise AnnualReportError(f"environment variable {variable}={text!r}: expected a whole number of at least 1")
    return int(text)


class KernelUnavailable(Exception):
    """A kernel could not be started, warmed or reset."""


def _descendants(pid: int) -> list[int] | None:
    """The processes below `pid`, read from Linux's /proc/PID/task/TID/children (a few small files),
    or None where there is no such file: psutil finds children by reading the status of every
    process on the machine, milliseconds after every chapter (more on a busy server)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:  # gone, or no /proc
            if parent == pid:
                return None
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as f:
                    kids = [int(k) for k in f.read().split()]
            except FileNotFoundError:
                if parent == pid and task == str(pid):  # a kernel built without it
                    return None
                continue  # the thread has ended
            except OSError:
                continue
            found += kids
            todo += kids
    return found


class WarmKernel:
    """One kernel of a pool; used only by the pool thread that owns it."""

    def __init__(self, pool: "KernelPool"):
        self.pool = pool
        self.km: Any = None
        self.kc: Any = None  # its one client, connected when it starts, used by the reset and every chapter
        self.baseline = ""
        self.chapters = 0  # chapters run on this kernel since it started

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and run_sync(self.km.is_alive)()

    def start(self) -> None:
        """Start a kernel in a neutral folder and import what chapters use."""
        from jupyter_core.utils import run_sync

        from annualreport.execution.execute import MAX_OUTPUT_BYTES, connect_client
        from annualreport.execution.kernel_manager import TrackedKernelManager

        self.km = TrackedKernelManager(kernel_name="python3")
        self.chapters = 0
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=tempfile.gettempdir())
        self.pool._count("started")
        self.kc = run_sync(connect_client)(self.km, STARTUP_TIMEOUT)
        self.baseline = self.evaluate(f"{_STATE}.warm_up({MAX_OUTPUT_BYTES})")

    def stop(self) -> None:
        from jupyter_core.utils import run_sync

        kc, self.kc = self.kc, None
        if kc is not None:
            kc.stop_channels()
        km, self.km = self.km, None
        if km is None:
            return
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already gone: nothing to stop
            pass

    def memory_mb(self) -> float:
        """Resident memory of the kernel's process and its children, in MB (0 when there is none)."""
        import psutil

        pid = getattr(self.km.provisioner, "pid", None) if self.km is not None and self.km.provisioner else None
        if not pid:
            return 0.0
        try:
            process = psutil.Process(pid)
            total = process.memory_info().rss
            children = _descendants(pid)
            if children is None:
                children = [child.pid for child in process.children(recursive=True)]
            for child in children:
                try:
                    total += psutil.Process(child).memory_info().rss
                except psutil.Error:  # it has ended
                    pass
        except psutil.Error:
            return 0.0
        return total / 2**20

    def worn_out(self) -> bool:
        """Whether this kernel has run its share of chapters or holds too much memory (see module docstring)."""
        return self.chapters >= self.pool.max_chapters or self.memory_mb() > self.pool.max_memory_mb

    def replace(self) -> None:
        self.stop()
        self.pool._count("replaced")
        self.start()

    def evaluate(self, expression: str) -> Any:
        """The value of a Python expression in the kernel, run silently (no execution count, no
        history); KernelUnavailable when the kernel does not answer in time or the expression fails."""
        from jupyter_core.utils import run_sync

        return run_sync(self._evaluate)(expression)

    async def _evaluate(self, expression: str) -> Any:
        kc = self.kc
        try:
            msg_id = kc.execute("", silent=True, store_history=False, user_expressions={"value": expression})
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not await self.km.is_alive():
                    raise KernelUnavailable("the kernel did not answer")
                try:
                    reply = await kc.get_shell_msg(timeout=min(remaining, 1.0))
                except queue.Empty:
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        except TimeoutError:  # asyncio's, since Python 3.11
            raise KernelUnavailable("the kernel did not answer") from None
        value = reply["content"].get("user_expressions", {}).get("value", {})
        if value.get("status") != "ok":
            raise KernelUnavailable(f"{value.get('ename', 'error')}: {value.get('evalue', reply['content'])}")
        return ast.literal_eval(value["data"]["text/plain"])

    def prepare(self, folder: Path) -> None:
        """A live kernel reset for a chapter in `folder`, replaced first if it cannot be reset clean."""
        if not self.alive():
            if self.km is not None:
                self.pool._count("replaced")
            self.stop()
            self.start()
        try:
            clean = self.evaluate(f"{_STATE}.reset({str(folder)!r})") == self.baseline
        except KernelUnavailable:
            clean = False
        if not clean:
            self.replace()
            if self.evaluate(f"{_STATE}.reset({str(folder)!r})") != self.baseline:
                raise KernelUnavailable("a fresh kernel's state differs from the warm-up's")

    def run(self, run: Any, workdir: Path, timeout: int) -> Any:
        from annualreport.execution.execute import KERNELS, ChapterResult, run_chapter

        start = time.perf_counter()
        if KERNELS.cancelled:
            return ChapterResult(run.chapter, 0.0, ChapterFailed(run.chapter, "kernel", "cancelled (interrupted)", str(run.output)))
        try:
            self.prepare(workdir)
        except Exception as exc:  # the kernel cannot be started: this chapter's failure, as with a fresh kernel
            self.stop()
            return ChapterResult(run.chapter, time.perf_counter() - start,
                                 ChapterFailed(run.chapter, "kernel", f"{type(exc).__name__}: {exc}", str(run.output)))
        result = run_chapter(run, workdir, timeout, km=self.km, kc=self.kc)
        self.chapters += 1
        result.seconds = time.perf_counter() - start
        if result.error is not None:  # the cell may still run (timeout) or the kernel be dead: a fresh one next
            self.stop()
            self.pool._count("replaced")
        elif self.worn_out():  # its memory is freed now; a fresh kernel starts when the next chapter needs one
            self.stop()
            self.pool._count("recycled")
        return result


class KernelPool:
    """`size` warm kernels, shared by every chapter (and every build) that is given the pool.

    Kernels start when the pool is entered; `__exit__` (or `close`) shuts them all down."""

    def __init__(self, size: int, max_chapters: int | None = None, max_memory_mb: float | None = None) -> None:
        self.size = max(1, size)
        self.max_chapters = max(1, max_chapters or _setting("ANNUALREPORT_KERNEL_CHAPTERS", MAX_CHAPTERS))
        self.max_memory_mb = max_memory_mb or _setting("ANNUALREPORT_KERNEL_MEMORY_MB", MAX_MEMORY_MB)
        # kernels started; of those, replacing a failed or unclean one; kernels recycled (worn out)
        self.counts = {"started": 0, "replaced": 0, "recycled": 0}
        # Chapters waiting for a kernel: those of the build that sent its first chapter earliest go
        # first, in the order sent (see submit); (turn, order, task), a task None stops a kernel.
        self._tasks: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._turns: dict[Path, int] = {}  # each build folder's turn (when it sent its first chapter); one a report
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self._pending = 0  # chapters submitted and not yet done

    def __enter__(self) -> "KernelPool":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def start(self, count: int | None = None) -> None:
        """Start kernels (each in its own thread) until `count` of them (at most `size`; by default
        `size`) have been started."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the kernel pool is closed")
            wanted = min(self.size, self.size if count is None else count)
            new = [threading.Thread(target=self._serve, name=f"kernel-{i}", daemon=True)
                   for i in range(len(self._threads), wanted)]
            self._threads += new
        for thread in new:
            thread.start()

    def _serve(self) -> None:
        kernel = WarmKernel(self)
        try:
            try:
                kernel.start()
            except Exception:  # tried again, and reported, when a chapter needs it
                kernel.stop()
            while True:
                _, _, task = self._tasks.get()
                if task is None:
                    return
                future, run, workdir, timeout = task
                if not future.set_running_or_notify_cancel():  # cancelled while queued
                    self._finished()
                    continue
                try:
                    result = kernel.run(run, workdir, timeout)
                except BaseException as exc:
                    self._finished()
                    future.set_exception(exc)
                else:
                    self._finished()  # before the caller hears of it: its next chapter may come at once
                    future.set_result(result)
        finally:
            kernel.stop()

    def _finished(self) -> None:
        with self._lock:
            self._pending -= 1

    def submit(self, run: Any, workdir: Path, timeout: int) -> "Future[Any]":
        """Queue one chapter (an execute.ChapterRun) of the build in `workdir`, behind the chapters of
        builds that sent theirs first (module docstring); the future gives its execute.ChapterResult.
        A kernel is started for it when every kernel started so far has a chapter (up to `size`)."""
        with self._lock:
            self._pending += 1
            pending = self._pending
            turn = self._turns.setdefault(workdir, len(self._turns))
            order = next(self._order)
        self.start(pending)
        future: Future = Future()
        self._tasks.put((turn, order, (future, run, workdir, timeout)))
        return future

    def close(self) -> None:
        """Shut every kernel down (after the chapters already queued)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._tasks.put((math.inf, next(self._order), None))
        for thread in threads:
            thread.join()


class LazyPool:
    """The kernel pool of one build: the caller's, or one of `jobs` kernels made for this build
    (started early by `warm`, or when a chapter first needs executing) and closed after it."""

    def __init__(self, jobs: int, shared: "KernelPool | None" = None):
        self.jobs = jobs
        self.shared = shared
        self.own: KernelPool | None = None

    def warm(self, count: int | None = None) -> None:
        """Start `count` kernels (by default all) now, while the store is built, rather than when
        chapters first need them."""
        self.get().start(count)

    def get(self) -> "KernelPool":
        """The pool (its kernels start when warmed, or as chapters are submitted)."""
        if self.shared is not None:
            return self.shared
        if self.own is None:
            self.own = KernelPool(self.jobs)
        return self.own

    def close(self) -> None:
        if self.own is not None:
            self.own.close()
