"""Build one report: params -> store -> chapters executed -> book project -> HTML and PDF.

Everything is written to a fresh temporary folder beside the target; only when every chapter
ran and both outputs rendered is it swapped in for build/<partnership>/<year>/. A failed build
leaves the previous good report untouched and keeps the failed folder, with the executed
notebooks, at build/<partnership>/<year>.failed/ for inspection.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .book import write_book
from .cache import ChapterCache, chapter_key, code_digest, sha256_file
from .checks import ALL_INPUTS, check_inputs, local_folder
from .errors import ChapterFailed, InputProblems
from .execute import ChapterResult, ChapterRun, run_chapters
from .local_data import INPUTS, NOT_PROVIDED
from .local_schema import DATASET_BY_NAME, TEXT_BY_NAME
from .params import ReportParams, load_params
from .progress import Progress
from .project import Project
from .provenance import lock_path, manifest_head, provenance_text, write_manifest
from .publication import small_counts
from .render import get_renderer
from .store import KEYS_DIR, build_store, chapter_store_file

# Chapters that summarise others run after them and receive the others' ids as `chapters`.
SUMMARY_CHAPTERS = {"summary"}


@dataclass
class BuildResult:
    partnership: str
    year: str
    folder: Path
    outputs: list[Path] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each phase
    chapters: dict[str, str] = field(default_factory=dict)  # chapter -> "executed" or "cached"


# Problems a draft may be built with: inputs not yet provided (a draft lists them).
DRAFT_ALLOWED = {"missing file", "no data for the report year"}


def check_before_build(project: Project, params: ReportParams, progress: Progress, label: str) -> dict[str, str]:
    """Refuse to build on any faulty input; a draft may lack inputs, a final may not.

    Returns the inputs not provided (declared in params, or missing from a draft): name -> reason.
    """
    problems = check_inputs(project, params)
    draft = params.report.status == "draft"
    blocking = [p for p in problems if not (draft and p.kind in DRAFT_ALLOWED)]
    if blocking:
        why = "inputs failed their checks" if draft else "a final report needs every input present and valid"
        raise InputProblems(blocking, why)
    missing = dict(params.report.not_provided)
    absent = {p.input for p in problems if p.input}
    for name in (*DATASET_BY_NAME, *TEXT_BY_NAME):
        if name not in missing and (name in absent or ALL_INPUTS in absent):
            missing[name] = "not yet provided for this draft"
    for name in missing:
        progress.say(label, f"not provided: {name}")
    return missing


def copy_inputs(project: Project, params: ReportParams, work: Path, missing: dict[str, str]) -> None:
    """Copy the local inputs into the build (inputs/), with the list of those not provided."""
    source = local_folder(project, params.partnership_id, params.report.year)
    dest = work / INPUTS
    if source.is_dir():
        shutil.copytree(source, dest)
    dest.mkdir(exist_ok=True)
    (dest / NOT_PROVIDED).write_text(json.dumps(missing, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def target_folder(project: Project, partnership: str, year: str) -> Path:
    return project.build_dir / partnership / year


def _chapter_runs(project: Project, params: ReportParams, work: Path, chapters: list[str]) -> list[ChapterRun]:
    runs = []
    body = [c for c in chapters if c not in SUMMARY_CHAPTERS]
    for ch in chapters:
        parameters: dict = {"partnership": params.partnership_id, "year": params.report.year, "build_dir": "."}
        if ch in SUMMARY_CHAPTERS:
            parameters["chapters"] = body
        runs.append(ChapterRun(ch, project.notebooks_dir / f"{ch}.ipynb", work / "chapters" / f"{ch}.ipynb", parameters))
    return runs


def gate_small_numbers(work: Path, params: ReportParams, meta: dict, progress: Progress, label: str) -> None:
    """A final report is not built while a published file holds an unsuppressed small count."""
    problems = small_counts(work, meta["indicators"], params.report.thresholds.suppress_below)
    if problems and params.report.status == "final":
        raise InputProblems(problems, "a final report may not publish small numbers")
    for p in problems:
        progress.say(label, f"warning (draft only): {p}")


def chapter_records(runs: list[ChapterRun], results: list[ChapterResult]) -> dict[str, dict]:
    """For the manifest: each chapter's parameters, cache key, and whether it was executed or reused."""
    by_chapter = {r.chapter: r for r in results}
    return {run.chapter: {"parameters": run.parameters, "cache_key": by_chapter[run.chapter].key,
                          "status": by_chapter[run.chapter].status} for run in runs}


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on one report's folder (two builds of one report at once take turns to swap)."""
    lock = target.with_name(f".{target.name}.lock")
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_in(work: Path, target: Path) -> None:
    """Replace target with work; the old build is removed only once the new one is in place."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    with _locked(target):
        if target.exists():
            target.rename(old)
        work.rename(target)
        shutil.rmtree(target.with_name(f"{target.name}.failed"), ignore_errors=True)  # a stale failure
    shutil.rmtree(old, ignore_errors=True)


def _clean_stale(folder: Path, year: str) -> None:
    """Remove the temporary folders of builds of this report that were killed half way."""
    for path in folder.glob(f".{year}.building-*"):
        pid = path.name.split("-")[-2] if path.name.count("-") >= 2 else ""
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_failed(work: Path, target: Path) -> Path:
    failed = target.with_name(f"{target.name}.failed")
    with _locked(target):
        shutil.rmtree(failed, ignore_errors=True)
        work.rename(failed)
    return failed


def chapter_inputs(run: ChapterRun, work: Path) -> list[Path]:
    """The files a chapter reads: its part of the store (store.chapter_store_file), the
    inputs-not-provided list, its own local inputs, and for a summary the records of the chapters
    it summarises."""
    files = [chapter_store_file(work, run.chapter, run.source), work / INPUTS / NOT_PROVIDED]
    files += [work / INPUTS / f"{d.name}.csv" for d in DATASET_BY_NAME.values() if d.chapter == run.chapter]
    files += [work / INPUTS / t.name for t in TEXT_BY_NAME.values() if t.chapter == run.chapter]
    files += [work / "records" / f"{c}.json" for c in run.parameters.get("chapters", [])]
    return files


def environment_digest(project: Project) -> str:
    """What the environment contributes to a cache key: the lock file, this library's code, Python."""
    lock = lock_path(project)
    lock_hash = sha256_file(lock) if lock.is_file() else "no lock file"
    return f"{lock_hash}:{code_digest()}:{sys.version}"


def run_wave(runs: list[ChapterRun], work: Path, cache: ChapterCache, environment: str, force: bool,
             jobs: int, timeout: int, done: Callable[[ChapterResult], None]) -> None:
    """Reuse what the cache has for these chapters; execute the rest, in parallel, and cache them."""
    to_run: list[ChapterRun] = []
    keys = {}
    for run in runs:
        start = time.perf_counter()
        keys[run.chapter] = key = chapter_key(run.source, run.parameters, chapter_inputs(run, work), environment)
        if not force and cache.get(key):
            cache.restore(key, run.source, run.output, work)
            done(ChapterResult(run.chapter, time.perf_counter() - start, status="cached", key=key))
        else:
            to_run.append(run)

    def executed(result: ChapterResult) -> None:
        result.key = keys[result.chapter]
        if result.error is None:
            run = next(r for r in to_run if r.chapter == result.chapter)
            cache.put(result.key, run.output, work, run.chapter)
        done(result)

    if to_run:
        run_chapters(to_run, work, jobs, timeout, executed)


def build_report(project: Project, partnership: str, year: str, renderer: str = "auto",
                 jobs: int | None = None, timeout: int = 600, progress: Progress | None = None,
                 force: bool = False) -> BuildResult:
    """Build one partnership-year report into build/<partnership>/<year>/.

    Raises ParamsError or InputError before anything is written, ChapterFailed (the first
    failure, after every chapter has run) or RenderError; in each case the previous report
    is left as it was.
    """
    progress = progress or Progress(quiet=True)
    label = f"{partnership} {year}"
    params = load_params(project, partnership, year)
    render = get_renderer(renderer)  # fail early if Quarto was asked for but is missing
    clock = time.perf_counter()
    missing = check_before_build(project, params, progress, label)
    target = target_folder(project, partnership, year)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(target.parent, year)
    work = Path(tempfile.mkdtemp(prefix=f".{year}.building-{os.getpid()}-", dir=target.parent))
    work.chmod(0o755)  # mkdtemp makes it private; a report folder is for its readers
    seconds: dict[str, float] = {}

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[phase] = now - clock
        clock = now

    lap("checks")
    try:
        store = build_store(project, params, work)
        copy_inputs(project, params, work, missing)
        lap("store")
        progress.say(label, f"indicator store: {len(store.frame)} figures")
        chapters = params.report.chapters
        runs = _chapter_runs(project, params, work, chapters)
        (work / "chapters").mkdir()
        jobs = jobs or os.cpu_count() or 1
        results: list[ChapterResult] = []
        waves = [[r for r in runs if r.chapter not in SUMMARY_CHAPTERS], [r for r in runs if r.chapter in SUMMARY_CHAPTERS]]
        total = len(runs)

        def done(result: ChapterResult) -> None:
            results.append(result)
            status = "FAILED" if result.error else result.status
            progress.say(label, f"{result.chapter} {status} ({result.seconds:.1f} s) [{len(results)}/{total}]")

        cache = ChapterCache(project.build_dir / ".cache" / "chapters")
        environment = environment_digest(project)
        for wave in waves:
            if any(r.error for r in results):
                for r in wave:
                    progress.say(label, f"{r.chapter} skipped: it summarises chapters and one failed")
            elif wave:
                run_wave(wave, work, cache, environment, force, jobs, timeout, done)
        lap("chapters")
        shutil.rmtree(work / KEYS_DIR, ignore_errors=True)  # the chapters' cache-key material, not part of the report
        failures = [r.error for r in results if r.error]
        if failures:
            raise failures[0]
        gate_small_numbers(work, params, store.meta, progress, label)
        members = [m["name"] for m in store.meta["members"]]
        narrative_dir = project.params_dir / params.partnership_id / params.report.year / "narrative"
        head = manifest_head(project, params, render.name, render.version())
        book = write_book(work, params, chapters, members, store.public(), narrative_dir, project.rel(narrative_dir),
                          {"provenance": provenance_text(head)})
        if book.unknown_acronyms:
            progress.say(label, "acronyms not in the glossary: " + ", ".join(book.unknown_acronyms))
        progress.say(label, f"rendering with {render.name}")
        outputs = render.render(work, draft=params.report.status == "draft", year_end=params.report.time_period)
        shutil.rmtree(work / ".render", ignore_errors=True)  # intermediates, not part of the report
        write_manifest(work, head, chapter_records(runs, results))
        lap("render")
        _swap_in(work, target)
        progress.say(label, f"done: {project.rel(target / 'report.html')}, {project.rel(target / 'report.pdf')}")
        executed = [r.chapter for r in results if r.status == "executed"]
        return BuildResult(partnership, year, target, [target / o.name for o in outputs], executed, seconds,
                           {r.chapter: r.status for r in results})
    except ChapterFailed as e:
        failed = _keep_failed(work, target)
        e.notebook = str(failed / "chapters" / f"{e.chapter}.ipynb")
        raise ChapterFailed(e.chapter, e.cell, e.exception, project.rel(Path(e.notebook))) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
