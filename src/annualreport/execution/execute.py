"""Execute chapter notebooks with papermill, several at once, one kernel each.

Each kernel starts in the build folder (nbclient's `resources.metadata.path`, which is
thread-safe, unlike papermill's `cwd`, which changes the process's folder), so notebooks
receive only relative paths. A failing chapter stops no other; its error is returned with the
chapter, the cell and the exception, and its executed notebook is kept.

Bounds, each failing the chapter with a message naming it (papermill and nbclient offer a time
limit per cell but no limit on output, so the engine below adds one):

- time: a cell running longer than `timeout` seconds is stopped (nbclient's cell timeout);
- output: a chapter whose outputs exceed MAX_OUTPUT_BYTES is cut off as the output arrives
  (further output is dropped and the kernel stopped at once). ipykernel sends what a cell prints
  in batches (all that was printed in its flush interval) and each batch is decoded whole, so a
  pool's kernel forwards no more than the limit of what a chapter prints (kernel_state.limit_streams):
  memory stays bounded by the limit, not by what was printed, and a chapter printing hundreds of
  megabytes fails within a second and never reaches the renderer;
- Ctrl-C: queued chapters are cancelled at once and running kernels are killed.
"""

from __future__ import annotations

import asyncio
import json
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import papermill as pm
from nbclient.exceptions import CellTimeoutError
from nbclient.util import ensure_async, run_hook, run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args
from traitlets import Integer

from annualreport.errors import ChapterFailed
from annualreport.execution.chapter_run import ChapterResult, ChapterRun
from annualreport.execution.kernel_manager import KERNELS, TrackedKernelManager, kill
from annualreport.execution.notebook_io import read_notebook, write_notebook

if TYPE_CHECKING:
    from annualreport.execution.pool import KernelPool

MAX_OUTPUT_BYTES = 20 * 1024 * 1024  # all outputs of one chapter; a real chapter writes a few kilobytes
ENGINE = "annualreport"


class BoundedClient(PapermillNotebookClient):
    """papermill's notebook client with a limit on the size of a notebook's outputs."""

    max_output_bytes = Integer(MAX_OUTPUT_BYTES).tag(config=True)

    def __init__(self, *args: Any, kc: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.shared_kc = kc  # with a pool's kernel (`km`): the kernel's own client (pool.WarmKernel)
        self.output_bytes = 0
        self.output_exceeded = False
        self.current_cell: Any = None
        self._watching: asyncio.Task | None = None  # nbclient's check that the kernel lives, for the cell running

    async def async_start_new_kernel_client(self) -> Any:
        """A pool's kernel (already running and reset: pool.py) comes with its client, connected
        once when the kernel started and used by each of its chapters: no channels opened and
        closed per chapter. A kernel started for this notebook (run_chapter's) gets its client here,
        ready as soon as IOPub is (`connect_client`). Messages left from before need no flushing,
        since nbclient takes only those whose parent is the cell it runs."""
        if self.owns_km:
            return await super().async_start_new_kernel_client()
        assert self.km is not None
        try:
            self.kc = self.shared_kc or await connect_client(self.km, self.startup_timeout)
        except Exception:
            await self._async_cleanup_kernel()
            raise
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # nbclient's sync name, bound to ours

    async def _async_poll_kernel_alive(self) -> None:
        self._watching = asyncio.current_task()
        await super()._async_poll_kernel_alive()

    def execute_cell(self, cell: Any, cell_index: int, *args: Any, **kw: Any) -> Any:  # type: ignore[override]
        self.current_cell = cell
        try:
            return super().execute_cell(cell, cell_index, *args, **kw)
        finally:  # before papermill saves the cell, whether it ran or failed
            if cell.get("outputs"):
                cell.outputs = join_streams(cell.outputs)

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        if self.output_exceeded:
            return None  # dropped: memory stays bounded while the kernel is being interrupted
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None:
            self.output_bytes += len(json.dumps(out))
            if self.output_bytes > self.max_output_bytes:
                self.output_exceeded = True
                if outs and outs[-1] is out:
                    outs.pop()
                if self.km is not None:
                    kill(self.km)  # stop the flood at its source; the cell fails as a dead kernel
                # at once: the kernel may have finished the cell before it was killed, and nbclient
                # would wait for its last status (iopub_timeout, 4 s) before finding it dead
                for task in (self._watching, getattr(self, "task_poll_for_reply", None)):
                    if task is not None:
                        task.cancel()
        return out


def join_streams(outputs: list) -> list:
    """Consecutive outputs of one stream (stdout or stderr) joined into one. Whether the kernel sent
    a print as one message or two depends on when its buffer happened to flush: timing, which must
    not change an executed notebook's bytes. Nothing is reordered (a display between two prints
    stays between them)."""
    joined: list = []
    for out in outputs:
        last = joined[-1] if joined else None
        if (out.get("output_type") == "stream" and last is not None and last.get("output_type") == "stream"
                and last.get("name") == out.get("name")):
            last["text"] += out["text"]
        else:
            joined.append(out)
    return joined


async def connect_client(km: Any, timeout: float) -> Any:
    """A client of `km`'s running kernel with its shell, IOPub and control channels open, ready as
    soon as IOPub is (`_iopub_ready`): jupyter_client's `wait_for_ready` would always wait 0.2 s
    more for IOPub to fall silent."""
    kc = km.client()
    kc.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=True)
    try:
        await _iopub_ready(kc, timeout)
    except BaseException:
        kc.stop_channels()
        raise
    kc.allow_stdin = False
    return kc


async def _iopub_ready(kc: Any, timeout: float) -> None:
    """Ask the kernel for its info until the request's idle status arrives on IOPub (the channel is
    subscribed: a cell's outputs cannot be lost); RuntimeError after `timeout` s or if it died."""
    deadline = time.monotonic() + timeout
    while True:
        msg_id = kc.kernel_info()
        try:
            reply = await kc._async_recv_reply(msg_id, timeout=1)
        except (TimeoutError, queue.Empty):  # no answer within a second (jupyter_client 8 raises
            reply = None  # TimeoutError, not Empty): ask again, until `timeout`
        if reply is not None:
            kc._handle_kernel_info_reply(reply)
            end = time.monotonic() + 0.2
            while (left := end - time.monotonic()) > 0:
                try:
                    msg = await ensure_async(kc.iopub_channel.get_msg(timeout=left))
                except queue.Empty:
                    break
                if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    return
        if not await ensure_async(kc.is_alive()):
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class OutputTooLarge(Exception):
    def __init__(self, cell: Any, limit: int):
        self.cell = cell
        super().__init__(f"its output passed {limit // (1024 * 1024)} MB and was cut off")


class ChapterTimeout(Exception):
    def __init__(self, cell: Any, timeout: int | None):
        self.cell = cell
        super().__init__(f"a cell ran longer than the time limit ({timeout} s, --timeout) and was stopped")


class BoundedEngine(NBClientEngine):
    """papermill's nbclient engine with BoundedClient and tracked kernels (see the module docstring).

    Given `km` (a running kernel's manager, as pool.KernelPool passes), the notebook runs on that
    kernel, which is left running; otherwise a kernel is started for the notebook and shut down after.
    Registered with papermill as "annualreport" (here and as a `papermill.engine` entry point)."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, **kwargs: Any) -> Any:  # type: ignore[override]
        # The executed notebook is normalised here, in memory, before papermill writes it: one write
        # per chapter instead of papermill's write, then our read and write again.
        return without_run_details(super().execute_notebook(nb, kernel_name, **kwargs))

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False, stdout_file: Any = None,
                                 stderr_file: Any = None, start_timeout: int = 60, execution_timeout: int | None = None,
                                 **kwargs: Any) -> Any:
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                    kernel_name=kernel_name, log=logger, log_output=log_output,
                                    stdout_file=stdout_file, stderr_file=stderr_file,
                                    kernel_manager_class=TrackedKernelManager)
        client = BoundedClient(nb_man, **final_kwargs)
        try:
            result = client.execute()
        except Exception as exc:  # a flood cut off ends as a dead kernel or an output timeout
            if client.output_exceeded:
                raise OutputTooLarge(client.current_cell, client.max_output_bytes) from None
            if isinstance(exc, CellTimeoutError):
                raise ChapterTimeout(client.current_cell, execution_timeout) from None
            raise
        finally:
            if not client.owns_km and client.kc is not None and client.kc is not client.shared_kc:
                client.kc.stop_channels()  # run_chapter's kernel outlives the client; a pool's keeps its own
        if client.output_exceeded:
            raise OutputTooLarge(client.current_cell, client.max_output_bytes)
        return result


papermill_engines.register(ENGINE, BoundedEngine)


def _cell_description(notebook: Path, source: str | None, index: int | None) -> str:
    """'code cell 5 (id ...: `ch.chart("cp_rate", ...`)': a cell by position among code cells of the source."""
    first_line = (source or "").strip().splitlines()[0] if (source or "").strip() else ""
    try:
        nb = read_notebook(notebook)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        position = next(i for i, c in enumerate(code_cells, 1) if c.source == source)
        cell_id = code_cells[position - 1].get("id", "")
        return f"code cell {position} (id {cell_id}: `{first_line}`)"
    except (StopIteration, OSError, ValueError):
        return f"cell {index} (`{first_line}`)" if index is not None else f"a cell (`{first_line}`)"


def normalise(notebook: Path) -> None:
    """`without_run_details` for an executed notebook on disk (a failed chapter's, which papermill
    writes with its error cells before raising)."""
    write_notebook(without_run_details(read_notebook(notebook)), notebook)


def without_run_details(nb: Any) -> Any:
    """Remove what differs between two runs of the same chapter, so executed notebooks are
    byte-identical: papermill's timings and paths, nbclient's timestamps, the random id of the
    injected-parameters cell, and the kernel's machine-specific details. Changes `nb` in place."""
    papermill_meta = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables"):
        papermill_meta.pop(key, None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        # Per-cell papermill status and empty tag lists: markdown cells then match their source, so a
        # chapter restored from the cache (with the source's markdown) equals a freshly executed one.
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
    return nb


def run_chapter(run: ChapterRun, workdir: Path, timeout: int, km: Any = None, kc: Any = None) -> ChapterResult:
    """Execute one chapter notebook; never raises for a failure inside the notebook.

    `km`: the manager of a running kernel to execute it on (a warm kernel of pool.KernelPool, reset
    for this chapter), and `kc` its connected client; by default a fresh kernel is started in
    `workdir` and shut down after. A failed chapter's result carries what its kernel process printed
    meanwhile (`kernel_log`)."""
    from jupyter_core.utils import run_sync

    start = time.perf_counter()
    own = km is None
    if own:  # ours rather than nbclient's, so that its log can be read after a failure
        km = TrackedKernelManager(kernel_name="python3")
    log_start = km.log_size() if isinstance(km, TrackedKernelManager) else 0

    def failed(cell: str, exception: str) -> ChapterResult:
        log = km.log_since(log_start) if isinstance(km, TrackedKernelManager) else ""
        return ChapterResult(run.chapter, time.perf_counter() - start,
                             ChapterFailed(run.chapter, cell, exception, str(run.output)), kernel_log=log)

    if KERNELS.cancelled:
        return failed("kernel", "cancelled (interrupted)")
    try:
        return _execute(run, workdir, timeout, km, kc, start, failed)
    finally:
        if own and km.has_kernel:
            # Stopped, as a pool stops its kernels: the outputs are saved, and nothing is left for the
            # kernel to do. Asked to shut down, about one in eight kept running for jupyter_client's
            # 2.5 s grace period (its SIGTERM then ended it).
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # already gone
                pass


def _execute(run: ChapterRun, workdir: Path, timeout: int, km: Any, kc: Any, start: float,
             failed: Callable[[str, str], ChapterResult]) -> ChapterResult:
    try:
        pm.execute_notebook(
            str(run.source),
            str(run.output),
            parameters=run.parameters,
            engine_name=ENGINE,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            resources={"metadata": {"path": str(workdir)}},
            # ipykernel's start-up and shut-down chatter ("KeyboardInterrupt caught") goes to the
            # kernel's log (kernel_manager.py); errors in cells still arrive as notebook outputs.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            record_timing=False,
            km=km,
            kc=kc,
        )
    except PapermillExecutionError as exc:
        normalise(run.output)
        return failed(_cell_description(run.source, exc.source, exc.cell_index), f"{exc.ename}: {exc.evalue}")
    except (ChapterTimeout, OutputTooLarge) as exc:
        cell = exc.cell.source if exc.cell is not None else None
        return failed(_cell_description(run.source, cell, None), str(exc))
    except Exception as exc:  # kernel died, unreadable notebook: still this chapter's failure
        return failed("kernel", f"{type(exc).__name__}: {exc}")
    return ChapterResult(run.chapter, time.perf_counter() - start)


def run_chapters(runs: list[ChapterRun], workdir: Path, jobs: int, timeout: int,
                 on_done: Callable[[ChapterResult], None], pool: "KernelPool | None" = None) -> list[ChapterResult]:
    """Execute `runs` on the warm kernels of `pool`, or with up to `jobs` fresh kernels at once
    (one per chapter) when there is no pool; calls on_done as each finishes.

    On KeyboardInterrupt (Ctrl-C) or any other exception in the caller's thread, queued chapters
    are cancelled, running kernels are killed, and the exception is raised once their threads end."""
    results: list[ChapterResult] = []
    KERNELS.cancelled = False
    threads = None if pool is not None else ThreadPoolExecutor(max_workers=max(1, jobs))
    futures: list[Future] = []
    try:
        for r in runs:
            futures.append(pool.submit(r, workdir, timeout) if pool is not None
                           else threads.submit(run_chapter, r, workdir, timeout))  # type: ignore[union-attr]
        for fut in as_completed(futures):
            result = fut.result()
            on_done(result)
            results.append(result)
    except BaseException:
        for fut in futures:
            fut.cancel()
        KERNELS.kill_all()
        if threads is not None:
            threads.shutdown(wait=True, cancel_futures=True)
        else:
            wait(futures)
        raise
    if threads is not None:
        threads.shutdown()
    return results
