"""Build one report: params -> store -> chapters executed -> book project -> HTML and PDF.

Everything is written to a fresh folder (build/<partnership>/.<year>.versions/<pid>-<random>/);
only when every chapter ran and both outputs rendered is it made the report at
build/<partnership>/<year> in one atomic step (swap.py). The build folder holds public/ (what may
be published, public.py) and, beside it, what the report was made from, for the audit. A failed
build leaves the previous good report untouched and keeps the failed folder, with the executed
notebooks, at build/<partnership>/<year>.failed/ for inspection; a build that cannot write (a
read-only folder, a full disk) stops with one message and leaves the previous report and the cache.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from annualreport.render.book import write_book
from annualreport.execution.cache import ChapterCache, chapter_key, code_digest, sha256_file
from annualreport.inputs.checks import ALL_INPUTS, blocking, check_inputs, local_folder
from annualreport.errors import AnnualReportError, BuildFolderError, ChapterFailed, DirtyTree, InputProblems
from annualreport.execution.chapter_run import ChapterResult, ChapterRun
from annualreport.inputs.local_data import INPUTS, NOT_PROVIDED, copy_local_inputs, write_chapter_not_provided
from annualreport.inputs.framework import inputs_of
from annualreport.inputs.local_schema import DATASET_BY_NAME, TEXT_BY_NAME
from annualreport.inputs.names import check_names
from annualreport.inputs.narrative import placeholders
from annualreport.inputs.params import ReportParams, load_params
from annualreport.inputs.result_cache import cache_dir
from annualreport.execution.pool import KernelPool, LazyPool
from annualreport.execution.progress import Progress
from annualreport.project import Project
from annualreport.provenance.manifest import MANIFEST, dirty_files, lock_path, manifest_head, provenance_text, source_states, write_manifest
from annualreport.publication.public_folder import PUBLIC, assemble_public, unexpected_public_files
from annualreport.publication.html_reading import html_pages
from annualreport.publication.personal_names import scan_public
from annualreport.render import DOCUMENT, get_renderer
from annualreport.render.render_cache import RenderCache
from annualreport.store import national_cache
from annualreport.store import KEYS_DIR, PUBLIC_STORE
from annualreport.store.chapter_part import chapter_store_file
from annualreport.store.store_cache import StoreCache, StoreSummary, store_key
from annualreport.provenance import uptodate
from annualreport.provenance.uptodate import record_path, write_record
from annualreport.provenance.swap import clean_stale, failed_dir, locked, new_version, swap_in

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


def check_before_build(project: Project, params: ReportParams, progress: Progress, label: str) -> dict[str, str]:
    """Refuse to build on any faulty input; a draft may lack inputs, a final may not.

    Returns the inputs not provided (declared in params, or missing from a draft): name -> reason.
    """
    for warning in params.warnings:
        progress.say(label, f"warning (draft only): {warning}")
    problems = check_inputs(project, params)
    draft = params.report.status == "draft"
    faults = blocking(problems, params)  # a draft may lack inputs (checks.NOT_YET_PROVIDED)
    if faults:
        why = "inputs failed their checks" if draft else "a final report needs every input present and valid"
        raise InputProblems(faults, why)
    missing = dict(params.report.not_provided)
    absent = {p.input for p in problems if p.input}
    needed = inputs_of(params.report.chapters)  # an input no chapter of this report shows is not missing
    for name in (*DATASET_BY_NAME, *TEXT_BY_NAME):
        if name in needed and name not in missing and (name in absent or ALL_INPUTS in absent):
            missing[name] = "not yet provided for this draft"
    for name in missing:
        progress.say(label, f"not provided: {name}")
    return missing


def copy_inputs(project: Project, params: ReportParams, work: Path, missing: dict[str, str]) -> None:
    """Copy the local inputs into the build (inputs/), with the list of those not provided."""
    source = local_folder(project, params.partnership_id, params.report.year)
    dest = work / INPUTS
    if source.is_dir():
        copy_local_inputs(source, dest, project.root)  # text as UTF-8; no link outside the project followed
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


def gate_small_numbers(public: Path, private: Path, params: ReportParams, meta: dict, progress: Progress, label: str,
                       document: Path | None = None) -> None:
    """A final report is not built while a published file holds an unsuppressed small count or
    names a person outside the partner updates and foreword (personal_names).

    `public` is the folder holding what is published (report.html, _book/, data/*.csv: the build
    folder while the PDF is rendered, before assemble_public moves them to public/), `private` the build's
    records and inputs; `document` pandoc's reading of the Markdown the PDF and Word were made
    from (render.DOCUMENT), when the renderer left one: their tables are checked too."""
    from annualreport.publication.gate import small_counts  # pandas: imported here, beside the PDF's render

    read = json.loads(document.read_text(encoding="utf-8")) if document is not None and document.is_file() else None
    pages = html_pages(public)  # read once for both checks
    problems = small_counts(public, private, meta["indicators"], params.report.thresholds.suppress_below, read, pages)
    names = scan_public(public, params.report.names_allowed, pages.get("report.html"))
    if params.report.status == "final" and problems:
        raise InputProblems(problems + names, "a final report may not publish small numbers")
    if params.report.status == "final" and names:
        raise InputProblems(names, "a final report may not name people outside the partner updates and foreword")
    for p in problems + names:
        progress.say(label, f"warning (draft only): {p}")


def import_gate_meanwhile() -> None:
    """Import the final gate (it reads tables with pandas: a fifth of a second) in a thread of its
    own, when no chapter was executed and so nothing has imported pandas yet: started when the render
    begins waiting for pandoc to write the outputs (the renderer's `meanwhile`), it imports while the
    main thread only waits, and the gate, once the HTML is written, does not wait for it.
    A fault is the gate's own import's to report (gate_small_numbers imports it again)."""
    if "pandas" in sys.modules:
        return

    def load() -> None:
        try:
            importlib.import_module("annualreport.publication.gate")
        except Exception:
            pass

    threading.Thread(target=load, name="import-gate").start()


def chapter_records(runs: list[ChapterRun], results: list[ChapterResult]) -> dict[str, dict]:
    """For the manifest: each chapter's parameters, cache key, and whether it was executed or reused."""
    by_chapter = {r.chapter: r for r in results}
    return {run.chapter: {"parameters": run.parameters, "cache_key": by_chapter[run.chapter].key,
                          "status": by_chapter[run.chapter].status} for run in runs}


def _keep_failed(work: Path, target: Path) -> Path:
    failed = failed_dir(target)
    with locked(target):
        shutil.rmtree(failed, ignore_errors=True)
        work.rename(failed)
    return failed


def chapter_inputs(run: ChapterRun, work: Path) -> list[Path]:
    """The files a chapter reads: its part of the store (chapter_part.chapter_store_file), its part of the
    inputs-not-provided list (local_data.write_chapter_not_provided), its own local inputs, and for a
    summary the records of the chapters it summarises."""
    from annualreport.execution.notebook_io import code_sources

    code = "\n".join(code_sources(run.source)[0])  # read once for both key files
    files = [chapter_store_file(work, run.chapter, code),
             write_chapter_not_provided(work / INPUTS, work / KEYS_DIR, run.chapter, code)]
    files += [work / INPUTS / f"{d.name}.csv" for d in DATASET_BY_NAME.values() if d.chapter == run.chapter]
    files += [work / INPUTS / t.name for t in TEXT_BY_NAME.values() if t.chapter == run.chapter]
    files += [work / "records" / f"{c}.json" for c in run.parameters.get("chapters", [])]
    return files


def make_store(project: Project, params: ReportParams, work: Path) -> StoreSummary:
    """Build the store into `work` (store.csv, store.json) from the national files and the build's
    copy of the local inputs, and its public view for the chapters (write_public_store, cached with
    the store); what the rest of the build needs of it. The view is made once, for both."""
    from annualreport.store.figures import build_store, write_public_store  # pandas: only when the store is made

    store = build_store(project, params, work, work / INPUTS)
    return StoreSummary(len(store.frame), store.meta, placeholders(write_public_store(work)))


def environment_digest(project: Project) -> str:
    """What the environment contributes to a cache key: the lock file, this library's code, Python."""
    lock = lock_path(project)
    lock_hash = sha256_file(lock) if lock.is_file() else "no lock file"
    return f"{lock_hash}:{code_digest()}:{sys.version}"


def run_wave(runs: list[ChapterRun], work: Path, cache: ChapterCache, environment: str, force: bool,
             kernels: LazyPool, timeout: int, done: Callable[[ChapterResult], None]) -> None:
    """Reuse what the cache has for these chapters; execute the rest on warm kernels, and cache them."""
    to_run: list[ChapterRun] = []
    keys = {}
    for run in runs:
        start = time.perf_counter()
        keys[run.chapter] = key = chapter_key(run.source, run.parameters, chapter_inputs(run, work), environment)
        if not force and cache.get(key):
            try:
                cache.restore(key, run.source, run.output, work)
            except OSError as e:  # an unreadable entry: execute the chapter instead
                cache.fault(e)
                to_run.append(run)
                continue
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
        from annualreport.execution.execute import run_chapters  # papermill: only when a chapter executes
        from annualreport.store.figures import write_public_store  # pandas, likewise

        if not (work / PUBLIC_STORE).is_file():
            write_public_store(work)  # make_store writes it; a store cached by older code came without it
        run_chapters(to_run, work, kernels.jobs, timeout, executed, pool=kernels.get())


def refuse_dirty(params: ReportParams, sources: dict, allow_dirty: bool, progress: Progress, label: str) -> None:
    """A final report cites a commit: refuse one built from files that differ from it, unless allowed."""
    changed = dirty_files(sources)
    if not changed:
        return
    if params.report.status == "final" and not allow_dirty:
        raise DirtyTree(changed)
    progress.say(label, f"warning: {len(changed)} file(s) differ from the commit; the report will say so: "
                        + ", ".join(changed[:8]) + (" ..." if len(changed) > 8 else ""))


def answer_if_up_to_date(project: Project, partnership: str, year: str, renderer: str, allow_dirty: bool,
                         progress: Progress) -> BuildResult | None:
    """The report as it is, when nothing it depends on changed since it was built (uptodate.py):
    nothing is executed or rendered."""
    found = uptodate.answer(project, partnership, year, renderer, allow_dirty, progress)
    if found is None:
        return None
    target, public, chapters = found
    return BuildResult(partnership, year, target, public, [], {}, chapters)


def build_report(project: Project, partnership: str, year: str, renderer: str = "auto",
                 jobs: int | None = None, timeout: int = 600, progress: Progress | None = None,
                 force: bool = False, allow_dirty: bool = False, sources_of: Project | None = None,
                 pool: KernelPool | None = None, render_workers: int | None = None) -> BuildResult:
    """Build one partnership-year report into build/<partnership>/<year>/ (its public/ folder is what
    may be published).

    Raises ParamsError, InputProblems or DirtyTree before anything is written, ChapterFailed (the
    first failure, after every chapter has run), RenderError or BuildFolderError (the build folder
    cannot be written); in each case, and on KeyboardInterrupt, the previous report is left as it was.
    `sources_of`: the project whose git describes these files, when `project` is a copy (verify).
    `pool`: warm kernels to execute chapters on (pool.KernelPool), shared by several builds; by
    default the build makes its own pool of `jobs` kernels when a chapter needs executing, and
    closes it before returning. `render_workers`: the render's processes at once (a batch's share
    of the cores, execution.batch); by default the renderer's own.
    """
    progress = progress or Progress(quiet=True)
    label = f"{partnership} {year}"
    if not force:
        check_names(partnership, year)
        answer = answer_if_up_to_date(project, partnership, year, renderer, allow_dirty, progress)
        if answer is not None:
            return answer
    params = load_params(project, partnership, year)
    render = get_renderer(renderer, render_workers)  # fail early if Quarto was asked for but is missing
    clock = time.perf_counter()
    missing = check_before_build(project, params, progress, label)
    sources = source_states(project, params, sources_of)
    refuse_dirty(params, sources, allow_dirty, progress, label)
    target = target_folder(project, partnership, year)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(target)
        work = new_version(target)
    except OSError as e:
        raise BuildFolderError(project.rel(target.parent), e) from None
    seconds: dict[str, float] = {}

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[phase] = now - clock
        clock = now

    lap("checks")
    jobs = jobs or os.cpu_count() or 1
    kernels = LazyPool(jobs, pool)
    try:
        cache = ChapterCache(project.build_dir / ".cache" / "chapters", warn=lambda line: progress.say(label, line))
        environment = environment_digest(project)
        # The national datasets, normalised, are kept in the user's cache for the next process;
        # --force reads the files again (store/national_cache.py).
        national_cache.use(cache_dir() / "national", environment, refresh=force, warn=cache.warn)
        stores = StoreCache(project.build_dir / ".cache" / "store", faults=cache)
        key = store_key(project, params, environment, missing)
        # Kernels warm up while the store is built, when chapters will likely execute: every chapter on a
        # first build (or --force), one on a rebuild after an input changed. With the store cached, its
        # chapters are likely cached too: kernels start only if one is not (a seeded or copied cache).
        store_cached = not force and stores.has(key)
        if not store_cached and (force or not (target / MANIFEST).is_file()):
            kernels.warm()
        elif not store_cached:
            kernels.warm(1)
        copy_inputs(project, params, work, missing)
        # Local figures are read from the build's own copy of the inputs (copied above).
        store, reused = stores.store(key, work, lambda: make_store(project, params, work), force)
        lap("store")
        progress.say(label, f"indicator store: {store.figures} figures" + (" (unchanged: reused)" if reused else ""))
        chapters = params.report.chapters
        runs = _chapter_runs(project, params, work, chapters)
        (work / "chapters").mkdir()
        results: list[ChapterResult] = []
        waves = [[r for r in runs if r.chapter not in SUMMARY_CHAPTERS], [r for r in runs if r.chapter in SUMMARY_CHAPTERS]]
        total = len(runs)

        def done(result: ChapterResult) -> None:
            results.append(result)
            status = "FAILED" if result.error else result.status
            progress.say(label, f"{result.chapter} {status} ({result.seconds:.1f} s) [{len(results)}/{total}]")
            if result.error and result.kernel_log:  # kept off the terminal unless its chapter failed
                progress.say(label, f"{result.chapter}: its kernel printed:\n" + textwrap.indent(result.kernel_log, "    "))

        for wave in waves:
            if any(r.error for r in results):
                for r in wave:
                    progress.say(label, f"{r.chapter} skipped: it summarises chapters and one failed")
            elif wave:
                run_wave(wave, work, cache, environment, force, kernels, timeout, done)
        kernels.close()
        lap("chapters")
        shutil.rmtree(work / KEYS_DIR, ignore_errors=True)  # the chapters' cache-key material, not part of the report
        failures = [r.error for r in results if r.error]
        if failures:
            raise failures[0]
        members = [m["name"] for m in store.meta["members"]]
        narrative_dir = project.params_dir / params.partnership_id / params.report.year / "narrative"
        head = manifest_head(project, params, render.name, render.version(), sources)
        book = write_book(work, params, chapters, members, store.placeholders, narrative_dir, project.rel(narrative_dir),
                          {"provenance": provenance_text(head)})
        if book.unknown_acronyms:
            progress.say(label, "acronyms not in the glossary: " + ", ".join(book.unknown_acronyms))
        progress.say(label, f"rendering with {render.name}")
        gated = []

        def gate() -> None:
            # The build folder holds what public/ will (report.html, _book/, data/*.csv: assemble_public
            # moves exactly these), and the PDF's and Word's tables are read from DOCUMENT: the gate
            # runs as soon as the HTML is written, while the PDF is still being made.
            gate_small_numbers(work, work, params, store.meta, progress, label, work / DOCUMENT)
            gated.append(True)

        # A book rendered before with the same tools is not rendered again; --force renders it (render_cache.py).
        renders = RenderCache(project.build_dir / ".cache" / "render", environment, cache, refresh=force)
        outputs = render.render(work, draft=params.report.status == "draft", year_end=params.report.time_period,
                                html_ready=gate, cache=renders, meanwhile=import_gate_meanwhile)
        if not gated:
            raise AnnualReportError(f"the {render.name} renderer did not hand the HTML to the final gate")
        if renders.reused:
            progress.say(label, "outputs: the same book as rendered before, taken from the render cache")
        public = assemble_public(work, outputs)
        stray = unexpected_public_files(work / PUBLIC)
        if stray:
            raise AnnualReportError(f"{PUBLIC}/ would hold files that are not public outputs: {', '.join(stray)}")
        shutil.rmtree(work / ".render", ignore_errors=True)  # intermediates, not part of the report
        write_manifest(work, head, chapter_records(runs, results))
        lap("render")
        swap_in(work, target)
        write_record(work, record_path(project.build_dir, partnership, year), project.root, renderer)
        progress.say(label, f"done: publish {project.rel(target / PUBLIC)}/ "
                            f"({', '.join(p.name for p in public)} and data/); the rest of {project.rel(target)}/ is for the audit")
        executed = [r.chapter for r in results if r.status == "executed"]
        return BuildResult(partnership, year, target, [target / PUBLIC / p.name for p in public], executed, seconds,
                           {r.chapter: r.status for r in results})
    except ChapterFailed as e:
        kernels.close()
        failed = _keep_failed(work, target)
        e.notebook = str(failed / "chapters" / f"{e.chapter}.ipynb")
        raise ChapterFailed(e.chapter, e.cell, e.exception, project.rel(Path(e.notebook))) from None
    except OSError as e:
        kernels.close()
        shutil.rmtree(work, ignore_errors=True)
        raise BuildFolderError(project.rel(target.parent), e) from None
    except BaseException:
        kernels.close()
        shutil.rmtree(work, ignore_errors=True)
        raise
