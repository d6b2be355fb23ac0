"""Execute chapter notebooks with papermill, several at once, one kernel each.

Each kernel starts in the build folder (nbclient's `resources.metadata.path`, which is
thread-safe, unlike papermill's `cwd`, which changes the process's folder), so notebooks
receive only relative paths. A failing chapter stops no other; its error is returned with the
chapter, the cell and the exception, and its executed notebook is kept.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import nbformat
import papermill as pm
from papermill.exceptions import PapermillExecutionError

from .errors import ChapterFailed


@dataclass(frozen=True)
class ChapterRun:
    """One notebook to execute: source, where the executed copy goes, and its parameters."""

    chapter: str
    source: Path
    output: Path
    parameters: dict[str, Any]


@dataclass
class ChapterResult:
    chapter: str
    seconds: float
    error: ChapterFailed | None = None
    status: str = "executed"  # or "cached"
    key: str = ""


def _cell_description(notebook: Path, exc: PapermillExecutionError) -> str:
    """'cell 5 (`ch.chart("cp_rate", ...`)': the failing cell by position among code cells of the source."""
    first_line = (exc.source or "").strip().splitlines()[0] if exc.source else ""
    try:
        nb = nbformat.read(notebook, as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        position = next(i for i, c in enumerate(code_cells, 1) if c.source == exc.source)
        cell_id = code_cells[position - 1].get("id", "")
        return f"code cell {position} (id {cell_id}: `{first_line}`)"
    except (StopIteration, OSError, ValueError):
        return f"cell {exc.cell_index} (`{first_line}`)"


def normalise(notebook: Path) -> None:
    """Remove what differs between two runs of the same chapter, so executed notebooks are
    byte-identical: papermill's timings and paths, nbclient's timestamps, the random id of the
    injected-parameters cell, and the kernel's machine-specific details."""
    nb = nbformat.read(notebook, as_version=4)
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
    nbformat.write(nb, notebook)


def run_chapter(run: ChapterRun, workdir: Path, timeout: int) -> ChapterResult:
    """Execute one chapter notebook; never raises for a failure inside the notebook."""
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(run.source),
            str(run.output),
            parameters=run.parameters,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            resources={"metadata": {"path": str(workdir)}},
            # ipykernel's start-up and shut-down chatter (TCP warning, "KeyboardInterrupt caught")
            # would bury the progress lines; errors in cells still arrive as notebook outputs.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            record_timing=False,
        )
        normalise(run.output)
    except PapermillExecutionError as exc:
        normalise(run.output)
        error = ChapterFailed(run.chapter, _cell_description(run.source, exc), f"{exc.ename}: {exc.evalue}", str(run.output))
        return ChapterResult(run.chapter, time.perf_counter() - start, error)
    except Exception as exc:  # kernel died, timeout, unreadable notebook: still this chapter's failure
        error = ChapterFailed(run.chapter, "kernel", f"{type(exc).__name__}: {exc}", str(run.output))
        return ChapterResult(run.chapter, time.perf_counter() - start, error)
    return ChapterResult(run.chapter, time.perf_counter() - start)


def run_chapters(runs: list[ChapterRun], workdir: Path, jobs: int, timeout: int,
                 on_done: Callable[[ChapterResult], None]) -> list[ChapterResult]:
    """Execute `runs` with up to `jobs` kernels at once; calls on_done as each finishes."""
    results: list[ChapterResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_chapter, r, workdir, timeout) for r in runs]
        for fut in as_completed(futures):
            result = fut.result()
            on_done(result)
            results.append(result)
    return results
